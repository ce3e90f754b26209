// The scorecard view: how often each method named what the inspections found (presence, fine
// and coarse fault type), as a table, and each method's confusion matrix as a heat map.

import { el, replaceChildren } from "./dom.js";
import "./scorecard_strings.js";
import { t, tOr } from "./i18n.js";
import { stateBox } from "./states.js";
import { confusionHeatMap } from "./summary_charts.js";

const NO_ANSWER = "no answer"; // the scorecard's column for a method that named nothing
const SCORES = ["presence", "fine", "coarse"];

/** A class as the heat map labels it: fault codes as they are, `none` and `no answer` in words. */
function code(name) {
  if (name === NO_ANSWER) return t("scorecard.no_answer");
  return name === "none" ? t("scorecard.code.none") : name;
}

function score(result, fmt) {
  if (!result || !result.scored) return t("value.none");
  return t("scorecard.score", { accuracy: fmt.percent(result.accuracy), correct: fmt.number(result.correct),
    scored: fmt.number(result.scored) });
}

function table(methods, fmt) {
  const headers = ["method", "scored", ...SCORES].map((column) =>
    el("th", { scope: "col", class: column === "method" ? null : "numeric" }, [t(`scorecard.column.${column}`)]));
  const rows = Object.entries(methods).map(([method, result]) => el("tr", { "data-method": method }, [
    el("th", { scope: "row" }, [tOr(`method.${method}`, method)]),
    el("td", { class: "numeric", "data-score": "scored" }, [fmt.number(result.scored)]),
    ...SCORES.map((name) => el("td", { class: "numeric", "data-score": name }, [score(result[name], fmt)])),
  ]));
  return el("table", { class: "scorecard-table", "data-testid": "scorecard" }, [
    el("caption", {}, [t("scorecard.caption")]),
    el("thead", {}, [el("tr", {}, headers)]),
    el("tbody", {}, rows),
  ]);
}

/** The heat map's rows (findings, in the API's order) and columns (the same first, so the diagonal lines up). */
function axes(findings, confusion) {
  const actuals = [...new Set([...findings, ...Object.keys(confusion)])].filter((name) => confusion[name]);
  const said = new Set(Object.values(confusion).flatMap((row) => Object.keys(row)));
  const predicted = [...actuals.filter((name) => said.has(name)),
    ...[...said].filter((name) => !actuals.includes(name) && name !== NO_ANSWER)];
  if (said.has(NO_ANSWER)) predicted.push(NO_ANSWER);
  return { actuals, predicted };
}

function heatMap(method, result, findings, fmt) {
  const name = tOr(`method.${method}`, method);
  const { actuals, predicted } = axes(findings, result.confusion || {});
  const content = actuals.length
    ? confusionHeatMap(result.confusion, {
      method, actuals, predicted, code,
      label: t("scorecard.heatmap.label", { method: name }),
      rowsTitle: t("scorecard.heatmap.rows"),
      columnsTitle: t("scorecard.heatmap.columns"),
      cellLabel: (actual, said, count) => t("scorecard.heatmap.cell", { actual: code(actual), predicted: code(said),
        count: fmt.number(count) }),
      count: (value) => fmt.number(value),
    })
    : el("p", { class: "heatmap-nothing" }, [t("scorecard.heatmap.nothing")]);
  return el("figure", { class: "heatmap", "data-method": method }, [el("figcaption", {}, [name]), content]);
}

/** Draw the scorecard into `root` from GET /api/v1/inspections/scorecard. */
export async function renderScorecard(root, context) {
  const { body } = await context.api.get("/api/v1/inspections/scorecard");
  const { fmt } = context;
  const days = fmt.number(body.window_days);
  const heading = el("h1", { class: "view-title" }, [t("scorecard.title")]);
  if (!body.inspections.considered) {
    replaceChildren(root, [heading, stateBox("empty", { title: t("scorecard.empty.title"), message: t("scorecard.empty", { days }) })]);
    return;
  }
  const findings = Object.keys(body.inspections.by_finding);
  replaceChildren(root, [
    heading,
    el("p", { class: "view-intro" }, [t("scorecard.intro", { days, considered: fmt.number(body.inspections.considered),
      with_sample: fmt.number(body.inspections.with_sample) })]),
    el("div", { class: "table-scroll" }, [table(body.methods, fmt)]),
    el("h2", { class: "section-title" }, [t("scorecard.heatmaps")]),
    el("div", { class: "heatmaps" }, Object.entries(body.methods).map(([method, result]) =>
      heatMap(method, result, findings, fmt))),
  ]);
}
