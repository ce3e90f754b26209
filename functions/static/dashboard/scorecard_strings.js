// The scorecard view's strings, Korean and English (keys under "scorecard."). Importing this
// module registers them.

import { registerStrings } from "./i18n.js";

registerStrings({
  en: {
    "scorecard.title": "Inspections scorecard",
    "scorecard.intro": "Each method's verdict on the sample before an inspection, against what the inspection found, over the last {days} days: {considered} inspections, {with_sample} of them with a sample to judge by.",
    "scorecard.caption": "Agreement of each method with the inspections' findings",
    "scorecard.column.method": "Method",
    "scorecard.column.scored": "Inspections scored",
    "scorecard.column.presence": "Fault present or not",
    "scorecard.column.fine": "Fault type",
    "scorecard.column.coarse": "Fault class (T, D, PD)",
    "scorecard.score": "{accuracy} ({correct} of {scored})",
    "scorecard.heatmaps": "Confusion matrices",
    "scorecard.heatmap.label": "{method}: what the inspections found (rows) against what the method said (columns)",
    "scorecard.heatmap.rows": "Found",
    "scorecard.heatmap.columns": "Method said",
    "scorecard.heatmap.cell": "Found {actual}, method said {predicted}: {count} inspections",
    "scorecard.heatmap.nothing": "No inspection scored.",
    "scorecard.no_answer": "no answer",
    "scorecard.code.none": "none",
    "scorecard.empty.title": "No inspections yet",
    "scorecard.empty": "No inspection was recorded in the last {days} days. Record inspections (POST /api/v1/inspections) to see how well each method names the faults found.",
  },
  ko: {
    "scorecard.title": "점검 결과 대비 성적표",
    "scorecard.intro": "최근 {days}일 동안 점검 전 시료에 대한 각 방법의 판정을 점검 결과와 비교했습니다: 점검 {considered}건 중 {with_sample}건에 판정할 시료가 있습니다.",
    "scorecard.caption": "방법별 점검 결과 일치도",
    "scorecard.column.method": "방법",
    "scorecard.column.scored": "채점된 점검",
    "scorecard.column.presence": "고장 유무",
    "scorecard.column.fine": "고장 유형",
    "scorecard.column.coarse": "고장 분류 (T, D, PD)",
    "scorecard.score": "{accuracy} ({scored}건 중 {correct}건)",
    "scorecard.heatmaps": "혼동 행렬",
    "scorecard.heatmap.label": "{method}: 점검 결과(행)와 방법의 판정(열)",
    "scorecard.heatmap.rows": "점검 결과",
    "scorecard.heatmap.columns": "방법의 판정",
    "scorecard.heatmap.cell": "점검 결과 {actual}, 판정 {predicted}: {count}건",
    "scorecard.heatmap.nothing": "채점된 점검이 없습니다.",
    "scorecard.no_answer": "판정 없음",
    "scorecard.code.none": "없음",
    "scorecard.empty.title": "점검 기록이 없습니다",
    "scorecard.empty": "최근 {days}일 동안 기록된 점검이 없습니다. 점검 결과를 등록하면(POST /api/v1/inspections) 각 방법이 고장을 얼마나 맞히는지 볼 수 있습니다.",
  },
});
