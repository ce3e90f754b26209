// The unit view's verdict tables: every method's latest answer with its reasons and values,
// and the learned model's class probabilities and nearest reference cases.

import { el, svg } from "./dom.js";
import { faultName, gasName, methodName, section, statusText } from "./unit_parts.js";

// The ratio methods and the ratios' names as the engine writes them (a_b = A/B).
const RATIO_METHODS = ["iec_60599_ratios", "rogers", "doernenburg"];

export function methodsSection({ verdict }, context) {
  const { t } = context;
  const rows = Object.entries(verdict.diagnosis.methods).map(([name, method]) => methodRow(name, method, context));
  return section("methods", t("unit.methods.title"), [
    el("table", { "data-testid": "methods", class: "methods" }, [
      el("caption", {}, [t("unit.methods.caption")]),
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col" }, [t("unit.methods.method")]),
        el("th", { scope: "col" }, [t("unit.methods.result")]),
        el("th", { scope: "col" }, [t("unit.methods.details")]),
      ])]),
      el("tbody", {}, rows),
    ]),
  ]);
}

function methodRow(name, method, context) {
  const { t } = context;
  const cells = method.applicable
    ? [methodResult(name, method, context), methodDetails(name, method, context)]
    : [t("unit.methods.notApplicable"), el("p", { class: "method-reason" }, [method.reason ?? ""])];
  return el("tr", { "data-method": name, "data-applicable": String(method.applicable) }, [
    el("th", { scope: "row" }, [methodName(name)]),
    el("td", { class: "method-result" }, [cells[0]]),
    el("td", { class: "method-details" }, [cells[1]]),
  ]);
}

function methodResult(name, method, { t }) {
  if (name === "ieee_c57_104_2019") return statusText(method.status);
  if (name === "ieee_c57_104_2008") return t("unit.condition", { condition: method.condition });
  if (name === "co2_co") return t(`unit.co2co.${method.indicator}`);
  return method.result ?? t("unit.methods.noResult");
}

/** What a method found beyond its answer: its reasons, ratios, shares or conditions. */
function methodDetails(name, method, context) {
  const { t, fmt } = context;
  if (name === "ieee_c57_104_2019") return ieee2019Details(method, context);
  if (name === "ieee_c57_104_2008") {
    const gases = Object.entries(method.gases || {}).map(([gas, condition]) => t("unit.details.gasCondition", { gas: gasName(gas), condition }));
    return detailList([
      t("unit.details.tdcg", { ppm: fmt.number(method.tdcg?.ppm, 0), condition: method.tdcg?.condition ?? t("unit.unknown") }),
      gases.join(", "),
      method.complete ? null : t("unit.details.incomplete"),
    ]);
  }
  if (name === "co2_co") {
    return detailList([t("unit.details.ratio", { name: ratioName("co2_co"), value: fmt.number(method.ratio, 2) }), method.description]);
  }
  const lines = [method.fault_type ? faultName(method.fault_type) : null];
  if (RATIO_METHODS.includes(name)) {
    lines.push(Object.entries(method.ratios || {}).map(([ratio, value]) => t("unit.details.ratio", { name: ratioName(ratio), value: fmt.number(value, 2) })).join(", "));
    if (method.undefined_ratios?.length) lines.push(t("unit.details.undefinedRatios", { ratios: method.undefined_ratios.map(ratioName).join(", ") }));
    if (method.matches?.length > 1) lines.push(t("unit.details.matches", { zones: method.matches.join(", ") }));
    if (method.case !== undefined && method.case !== null) lines.push(t("unit.details.rogersCase", { case: method.case }));
  }
  if (method.percent) {
    lines.push(Object.entries(method.percent).map(([gas, share]) => t("unit.details.share", { gas: gasName(gas), value: fmt.number(share, 1) })).join(", "));
  }
  if (name === "ai_model" && method.out_of_distribution) lines.push(t("unit.model.outOfDistribution"));
  return detailList(lines);
}

function ratioName(ratio) {
  return ratio.split("_").map(gasName).join("/");
}

function detailList(lines) {
  return el("ul", { class: "method-detail-list" }, lines.filter(Boolean).map((line) => el("li", {}, [line])));
}

function ieee2019Details(method, context) {
  const { t, fmt } = context;
  const reasons = (method.reasons || []).map((reason) => el("li", { "data-reason-gas": reason.gas, "data-reason-table": reason.table }, [
    t(`unit.reason.${reason.kind}`, {
      gas: gasName(reason.gas),
      value: fmt.number(reason.value, 1),
      limit: fmt.number(reason.limit, reason.limit < 10 ? 1 : 0),
      table: reason.table,
      status: t(`status.${reason.status}`),
    }),
  ]));
  const facts = [
    method.age_band ? t("unit.details.ageBand", { band: method.age_band }) : null,
    method.o2_n2 ? t("unit.details.o2n2", { value: fmt.number(method.o2_n2.value, 3), column: method.o2_n2.column }) : null,
    ...(method.limitations || []).map((limitation) => (typeof limitation === "string" ? limitation : limitation.text ?? JSON.stringify(limitation))),
  ];
  return el("div", {}, [
    reasons.length ? el("ol", { class: "reasons", "data-testid": "reasons-2019" }, reasons) : el("p", {}, [t("unit.details.noReasons")]),
    detailList(facts),
  ]);
}

// ---------------------------------------------------------------- the learned model

export function modelSection({ verdict }, context) {
  const { t, fmt } = context;
  const model = verdict.diagnosis.methods.ai_model;
  if (!model) return section("model", t("unit.model.title"), [el("p", { "data-testid": "model", class: "state" }, [t("unit.model.absent")])]);
  if (!model.applicable) {
    return section("model", t("unit.model.title"), [el("div", { "data-testid": "model", "data-applicable": "false" }, [
      el("p", {}, [t("unit.model.notApplicable")]), el("p", { class: "method-reason" }, [model.reason ?? ""]),
    ])]);
  }
  const probabilities = Object.entries(model.probabilities || {});
  const bars = el("table", { class: "probabilities" }, [
    el("caption", {}, [t("unit.model.probabilities")]),
    el("thead", {}, [el("tr", {}, [el("th", { scope: "col" }, [t("unit.model.class")]), el("th", { scope: "col" }, [t("unit.model.probability")])])]),
    el("tbody", {}, probabilities.map(([label, probability]) => el("tr", { class: label === model.result ? "chosen" : null }, [
      el("th", { scope: "row" }, [label]),
      el("td", {}, [
        el("span", { class: "probability-value", "data-probability": label, "data-value": probability }, [
          t("unit.model.percent", { value: fmt.number(probability * 100, 1) }),
        ]),
        probabilityBar(probability),
      ]),
    ]))),
  ]);
  const cases = el("table", { "data-testid": "nearest-cases", class: "nearest-cases" }, [
    el("caption", {}, [t("unit.model.nearest")]),
    el("thead", {}, [el("tr", {}, [
      el("th", { scope: "col" }, [t("unit.model.caseLabel")]),
      el("th", { scope: "col" }, [t("unit.model.caseSource")]),
      el("th", { scope: "col" }, [t("unit.model.caseDistance")]),
    ])]),
    el("tbody", {}, (model.nearest_cases || []).map((nearest) => el("tr", {}, [
      el("td", {}, [nearest.label]),
      el("td", {}, [t("unit.model.caseRow", { source: nearest.source, row: nearest.row })]),
      el("td", {}, [fmt.number(nearest.distance, 3)]),
    ]))),
  ]);
  const notes = [
    el("p", {}, [t("unit.model.answer", { name: faultName(model.fault_type ?? model.result) })]),
    model.out_of_distribution ? el("p", { class: "model-ood", "data-testid": "out-of-distribution" }, [t("unit.model.outOfDistribution")]) : null,
  ];
  return section("model", t("unit.model.title"), [
    el("div", { "data-testid": "model", "data-applicable": "true", "data-out-of-distribution": String(Boolean(model.out_of_distribution)), class: "model" }, [...notes, bars, cases]),
  ]);
}

function probabilityBar(probability) {
  const width = Math.round(Math.max(0, Math.min(1, probability)) * 100);
  return svg("svg", { class: "probability-bar", viewBox: "0 0 100 8", width: 100, height: 8, "aria-hidden": "true", focusable: "false" }, [
    svg("rect", { x: 0, y: 0, width: 100, height: 8, fill: "#e4e7eb" }),
    svg("rect", { x: 0, y: 0, width, height: 8, fill: "#1d4ed8" }),
  ]);
}
