// The unit view's strings, Korean and English (keys under "unit." so they never meet the core
// dictionary's). Importing this module registers them. Statuses, severities, fault types, kinds
// and method names are NOT here: the view uses the core dictionary's (i18n.js), the fleet's words.

import { registerStrings } from "./i18n.js";

// The engine's fixed actions by severity (shared/dga/verdict.py ACTIONS): a verdict whose
// action is one of these is shown in the page's language; any other text is shown as sent.
export const ACTIONS_IN_ENGLISH = {
  none: "Normal sampling interval.",
  unknown: "Cannot assess the DGA status: resample, or correct the data, so that all seven gases (H2, CH4, C2H6, C2H4, C2H2, CO, CO2) have valid values.",
  low: "Resample within 3 months and watch the trend.",
  medium: "Resample within 1 month; review the fault type, loading and recent events.",
  high: "Resample within 1 week and plan a diagnostic investigation.",
  critical: "Investigate now; consider removing from service.",
};

function prefixed(prefix, entries) {
  return Object.fromEntries(Object.entries(entries).map(([key, text]) => [`${prefix}.${key}`, text]));
}

const en = {
  "unit.back": "← Back to the fleet",
  "unit.title": "Unit {name}",
  "unit.unknown": "not recorded",
  "unit.notDetermined": "ND: not determined",
  "unit.methodName.co2_co": "CO₂/CO ratio",
  "unit.condition": "Condition {condition}",
  ...prefixed("unit.facts", {
    substation: "Substation", kind: "Kind", manufacturer: "Manufacturer", rating: "Rating", ratingValue: "{mva} MVA, {kv} kV",
    year: "Manufactured", preservation: "Oil preservation", liquid: "Insulating liquid", status: "Service status",
    samples: "Samples", lastSample: "Last sample",
  }),
  ...prefixed("unit.preservation", { sealed: "sealed", free_breathing: "free-breathing" }),
  ...prefixed("unit.liquid", { mineral: "mineral oil", natural_ester: "natural ester", synthetic_ester: "synthetic ester", silicone: "silicone" }),
  ...prefixed("unit.equipmentStatus", { in_service: "in service", standby: "standby", retired: "retired" }),
  ...prefixed("unit.empty", {
    title: "No samples yet",
    none: "This unit has no DGA sample, so there is nothing to diagnose.",
    incomplete: "This unit has {count} sample(s), but none with all seven gases, so there is nothing to diagnose.",
    what: "Send a complete sample (H2, CH4, C2H6, C2H4, C2H2, CO, CO2) with POST /api/v1/measurements; the verdict appears here.",
  }),
  ...prefixed("unit.summary", {
    status: "IEEE C57.104-2019 status", fault: "Fault type", severity: "Severity", health: "Health index", sampled: "Latest sample",
    agreement: "{methods} of {of} methods agree", stale: "This verdict was made by an older engine or model; it is refreshed on the next read.",
    factors: "What lowered the health index", factor: "{line} (−{penalty})",
  }),
  ...prefixed("unit.factor", {
    method: "{method}: {result}", gas_level: "{gas} at {multiple}× its Table 2 limit", fault_type: "Fault {fault}",
  }),
  "unit.action.title": "Recommended action",
  ...prefixed("unit.action", ACTIONS_IN_ENGLISH),
  ...prefixed("unit.gas", { h2: "H₂", ch4: "CH₄", c2h6: "C₂H₆", c2h4: "C₂H₄", c2h2: "C₂H₂", co: "CO", co2: "CO₂", o2: "O₂", n2: "N₂" }),
  ...prefixed("unit.duval", {
    title: "Duval triangle and pentagon",
    label: "{plot}: {count} sample(s) on its zones, the latest highlighted",
    pointTitle: "{date}: zone {zone}",
    pointTitleNoZone: "{date}: below typical values — no zone named",
    noZone: "no zone",
    caption: "latest: {zone}; {count} sample(s), older ones fainter.",
    belowTypical: "Grey: below typical values, no zone named.",
    notApplicable: "does not apply: {reason}",
    noZones: "The zone outlines could not be loaded; reload the page.",
  }),
  ...prefixed("unit.trend", {
    title: "Gas trends",
    log: "Logarithmic scale",
    legend: "Dashed lines: IEEE C57.104-2019 Table 1 (90th percentile) and Table 2 (95th percentile) limits for this unit; purple marks: inspections.",
    label: "{gas} over time, {count} sample(s), with the 2019 limits",
    caption: "{gas}, ppm",
    pointTitle: "{date}: {gas} {value} ppm",
    table_1: "Table 1 limit {value} ppm", table_2: "Table 2 limit {value} ppm",
    "table_1.short": "Tab. 1", "table_2.short": "Tab. 2",
  }),
  ...prefixed("unit.history", {
    title: "Status and health-index history",
    statusLabel: "IEEE C57.104-2019 status of each of {count} sample(s) over time",
    statusTitle: "{date}: {status}",
    statusCaption: "IEEE C57.104-2019 status per sample; purple marks: inspections.",
    healthLabel: "Health index of {count} sample(s) over time, 0 to 100",
    healthTitle: "{date}: health index {value}",
    healthCaption: "Health index (100 = no sign of a fault).",
  }),
  ...prefixed("unit.methods", {
    title: "Every method's latest verdict", caption: "The latest sample read by each method, with its reasons",
    method: "Method", result: "Result", details: "Reasons and values", notApplicable: "does not apply", noResult: "no zone",
  }),
  ...prefixed("unit.details", {
    tdcg: "TDCG {ppm} ppm (Condition {condition})", gasCondition: "{gas} {condition}", incomplete: "not every gas was measured",
    ratio: "{name} {value}", undefinedRatios: "undefined (zero denominator): {ratios}", matches: "zones matched: {zones}",
    rogersCase: "Rogers case {case}", share: "{gas} {value} %", ageBand: "age band {band} years",
    o2n2: "O₂/N₂ {value} (column {column})", noReasons: "every gas within the Table 1 limits",
  }),
  ...prefixed("unit.reason", {
    concentration: "{gas} {value} ppm above the Table {table} limit {limit} ppm ({status})",
    delta: "{gas} rose {value} ppm since the previous sample; Table 3 allows {limit} ppm ({status})",
    rate: "{gas} rising {value} ppm/year; Table 4 allows {limit} ppm/year ({status})",
  }),
  ...prefixed("unit.co2co", { none: "no sign of paper involvement", paper_involvement: "paper may be involved", mild_overheating_or_oxidation: "mild overheating or oxidation" }),
  ...prefixed("unit.model", {
    title: "Learned model", absent: "This deployment serves no learned model.",
    notApplicable: "The model does not apply to this sample:", outOfDistribution: "The sample lies outside what the model was trained on: its answer is not used.",
    answer: "Most likely: {name}", probabilities: "Class probabilities", class: "Class", probability: "Probability",
    percent: "{value} %", nearest: "Nearest reference cases", caseLabel: "Class", caseSource: "Case", caseDistance: "Distance",
    caseRow: "{source}, row {row}",
  }),
  ...prefixed("unit.inspection", {
    title: "Inspections", none: "No inspection recorded for this unit.", caption: "Inspections of this unit, oldest first",
    date: "Date", finding: "Finding", description: "Description", reference: "Reference", noFinding: "nothing found",
    marker: "Inspection {date}: {finding}",
  }),
};

const ko = {
  "unit.back": "← 설비 목록으로",
  "unit.title": "설비 {name}",
  "unit.unknown": "기록 없음",
  "unit.notDetermined": "ND: 판정 불가",
  "unit.methodName.co2_co": "CO₂/CO 비",
  "unit.condition": "조건 {condition}",
  ...prefixed("unit.facts", {
    substation: "변전소", kind: "종류", manufacturer: "제조사", rating: "정격", ratingValue: "{mva} MVA, {kv} kV",
    year: "제작 연도", preservation: "절연유 보존 방식", liquid: "절연유", status: "운전 상태",
    samples: "시료 수", lastSample: "최근 시료",
  }),
  ...prefixed("unit.preservation", { sealed: "밀봉식", free_breathing: "개방식" }),
  ...prefixed("unit.liquid", { mineral: "광유", natural_ester: "천연 에스테르", synthetic_ester: "합성 에스테르", silicone: "실리콘유" }),
  ...prefixed("unit.equipmentStatus", { in_service: "운전 중", standby: "대기", retired: "폐기" }),
  ...prefixed("unit.empty", {
    title: "아직 시료가 없습니다",
    none: "이 설비에는 유중가스 분석 시료가 없어 진단할 내용이 없습니다.",
    incomplete: "이 설비에는 시료 {count}건이 있지만 7개 가스가 모두 있는 시료가 없어 진단할 수 없습니다.",
    what: "7개 가스(H2, CH4, C2H6, C2H4, C2H2, CO, CO2)가 모두 있는 시료를 POST /api/v1/measurements 로 보내면 진단 결과가 여기에 나타납니다.",
  }),
  ...prefixed("unit.summary", {
    status: "IEEE C57.104-2019 상태", fault: "고장 유형", severity: "심각도", health: "건전도 지수", sampled: "최근 시료",
    agreement: "{of}개 방법 중 {methods}개 일치", stale: "이 진단은 이전 엔진이나 모델로 만들어졌으며, 다음 조회 때 갱신됩니다.",
    factors: "건전도 지수를 낮춘 요인", factor: "{line} (−{penalty})",
  }),
  ...prefixed("unit.factor", {
    method: "{method}: {result}", gas_level: "{gas}: 표 2 한계의 {multiple}배", fault_type: "고장 {fault}",
  }),
  "unit.action.title": "권고 조치",
  ...prefixed("unit.action", {
    none: "정상 주기로 시료를 채취하십시오.",
    unknown: "유중가스 상태를 판정할 수 없습니다. 7개 가스(H2, CH4, C2H6, C2H4, C2H2, CO, CO2)가 모두 유효하도록 재채취하거나 데이터를 바로잡으십시오.",
    low: "3개월 안에 재채취하고 추세를 지켜보십시오.",
    medium: "1개월 안에 재채취하고 고장 유형, 부하, 최근 이력을 검토하십시오.",
    high: "1주 안에 재채취하고 정밀 진단을 계획하십시오.",
    critical: "즉시 점검하고 운전 정지를 검토하십시오.",
  }),
  ...prefixed("unit.gas", { h2: "H₂", ch4: "CH₄", c2h6: "C₂H₆", c2h4: "C₂H₄", c2h2: "C₂H₂", co: "CO", co2: "CO₂", o2: "O₂", n2: "N₂" }),
  ...prefixed("unit.duval", {
    title: "듀발 삼각형과 오각형",
    label: "{plot}: 영역 위의 시료 {count}건, 최근 시료 강조",
    pointTitle: "{date}: 영역 {zone}",
    pointTitleNoZone: "{date}: 통상 수준 미만 — 영역 판정 없음",
    noZone: "영역 없음",
    caption: "최근 시료: {zone}; 시료 {count}건, 오래된 시료일수록 흐리게 표시.",
    belowTypical: "회색: 통상 수준 미만, 영역 판정 없음.",
    notApplicable: "적용되지 않음: {reason}",
    noZones: "영역 윤곽을 불러오지 못했습니다. 페이지를 새로 고치십시오.",
  }),
  ...prefixed("unit.trend", {
    title: "가스 추세",
    log: "로그 눈금",
    legend: "점선: 이 설비의 IEEE C57.104-2019 표 1(90 백분위수)과 표 2(95 백분위수) 한계; 보라색 표시: 내부 점검.",
    label: "{gas} 추이, 시료 {count}건, 2019 한계 표시",
    caption: "{gas}, ppm",
    pointTitle: "{date}: {gas} {value} ppm",
    table_1: "표 1 한계 {value} ppm", table_2: "표 2 한계 {value} ppm",
    "table_1.short": "표1", "table_2.short": "표2",
  }),
  ...prefixed("unit.history", {
    title: "상태와 건전도 지수 이력",
    statusLabel: "시료 {count}건 각각의 IEEE C57.104-2019 상태 추이",
    statusTitle: "{date}: {status}",
    statusCaption: "시료별 IEEE C57.104-2019 상태; 보라색 표시: 내부 점검.",
    healthLabel: "시료 {count}건의 건전도 지수 추이, 0~100",
    healthTitle: "{date}: 건전도 지수 {value}",
    healthCaption: "건전도 지수(100 = 고장 징후 없음).",
  }),
  ...prefixed("unit.methods", {
    title: "방법별 최근 판정", caption: "최근 시료에 대한 각 방법의 판정과 근거",
    method: "방법", result: "결과", details: "근거와 값", notApplicable: "적용되지 않음", noResult: "영역 없음",
  }),
  ...prefixed("unit.details", {
    tdcg: "TDCG {ppm} ppm (조건 {condition})", gasCondition: "{gas} {condition}", incomplete: "측정되지 않은 가스가 있음",
    ratio: "{name} {value}", undefinedRatios: "정의되지 않음(분모 0): {ratios}", matches: "일치한 영역: {zones}",
    rogersCase: "로저스 사례 {case}", share: "{gas} {value} %", ageBand: "경년 구간 {band}년",
    o2n2: "O₂/N₂ {value} (열 {column})", noReasons: "모든 가스가 표 1 한계 이내",
  }),
  ...prefixed("unit.reason", {
    concentration: "{gas} {value} ppm, 표 {table} 한계 {limit} ppm 초과 ({status})",
    delta: "{gas} 직전 시료보다 {value} ppm 증가, 표 3 허용 {limit} ppm ({status})",
    rate: "{gas} 연 {value} ppm 증가, 표 4 허용 연 {limit} ppm ({status})",
  }),
  ...prefixed("unit.co2co", { none: "절연지 관여 징후 없음", paper_involvement: "절연지 관여 가능성", mild_overheating_or_oxidation: "경미한 과열 또는 산화" }),
  ...prefixed("unit.model", {
    title: "학습 모델", absent: "이 배포에는 학습 모델이 없습니다.",
    notApplicable: "이 시료에는 모델이 적용되지 않습니다:", outOfDistribution: "이 시료는 모델의 학습 범위를 벗어나므로 모델의 답을 쓰지 않습니다.",
    answer: "가장 가능성 높은 유형: {name}", probabilities: "유형별 확률", class: "유형", probability: "확률",
    percent: "{value} %", nearest: "가장 가까운 참조 사례", caseLabel: "유형", caseSource: "사례", caseDistance: "거리",
    caseRow: "{source}, {row}행",
  }),
  ...prefixed("unit.inspection", {
    title: "내부 점검", none: "이 설비의 점검 기록이 없습니다.", caption: "이 설비의 점검 기록, 오래된 순",
    date: "일자", finding: "점검 결과", description: "내용", reference: "참조 번호", noFinding: "이상 없음",
    marker: "점검 {date}: {finding}",
  }),
};

registerStrings({ en, ko });
