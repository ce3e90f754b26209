// The fleet view's summary strip, drawn from GET /api/v1/diagnoses/summary: units in all, per
// IEEE C57.104-2019 status, per fault type, and the health-index distribution as a small chart.

import { el } from "./dom.js";
import "./fleet_strings.js";
import { t } from "./i18n.js";
import { healthHistogram } from "./summary_charts.js";

const STATUS_COUNTS = ["1", "2", "3", "unknown", "no_verdict"];
export const WORDS_NOT_CODES = ["none", "unknown", "no_verdict"]; // fault "types" shown in words, not as a code

/** A status in words: "Status 3: fault likely", "Status unknown", "No sample yet". */
export function statusLabel(status) {
  return ["1", "2", "3"].includes(status) ? t(`status.${status}.long`) : t(`status.${status}`);
}

/** A fault type in little room: its code, with the words for screen readers (and as a tooltip); words alone for the non-codes. */
function faultLabel(fault) {
  if (WORDS_NOT_CODES.includes(fault)) return el("span", { class: "count-label" }, [t(`fault.${fault}`)]);
  return el("span", { class: "count-label" }, [el("span", { "aria-hidden": "true" }, [fault]),
    el("span", { class: "visually-hidden" }, [t(`fault.${fault}`)])]);
}

/** The strip's blocks for the API's fleet summary: units in all, per status, per fault type, the health-index histogram. */
export function summaryStrip(summary, context) {
  const { fmt } = context;
  const statuses = el("ul", { class: "counts", "aria-label": t("fleet.summary.statuses") }, STATUS_COUNTS.map((status) =>
    el("li", { class: `count count-status status-${status}` }, [
      el("span", { class: "count-value", "data-status-count": status }, [fmt.number(summary.dga_status[status])]),
      el("span", { class: "count-label" }, [statusLabel(status)]),
    ])));
  const faults = Object.entries(summary.fault_type).filter(([, units]) => units > 0);
  const faultList = el("ul", { class: "counts counts-faults", "aria-label": t("fleet.summary.faults") }, faults.map(([fault, units]) =>
    el("li", { class: "count count-fault", title: t(`fault.${fault}`) }, [
      el("span", { class: "count-value", "data-fault-count": fault }, [fmt.number(units)]),
      faultLabel(fault),
    ])));
  const chart = healthHistogram(summary.health_index.bands, {
    label: t("fleet.summary.health"),
    describe: (band) => t("fleet.summary.health_band", { from: fmt.number(band.from), to: fmt.number(band.to),
      units: fmt.number(band.units) }),
    count: (value) => fmt.number(value),
  });
  return [
    el("div", { class: "summary-block summary-total" }, [
      el("span", { class: "count-value", "data-total": summary.total }, [fmt.number(summary.total)]),
      el("span", { class: "count-label" }, [t("fleet.summary.total")]),
      summary.stale ? el("span", { class: "summary-note" }, [t("fleet.summary.stale", { count: fmt.number(summary.stale) })]) : null,
    ]),
    el("div", { class: "summary-block" }, [el("h2", { class: "summary-heading" }, [t("fleet.summary.statuses")]), statuses]),
    el("div", { class: "summary-block" }, [el("h2", { class: "summary-heading" }, [t("fleet.summary.faults")]), faultList]),
    el("div", { class: "summary-block summary-chart" }, [el("h2", { class: "summary-heading" }, [t("fleet.summary.health")]), chart,
      summary.health_index.none
        ? el("p", { class: "summary-note" }, [t("fleet.summary.health_none", { units: fmt.number(summary.health_index.none) })])
        : null]),
  ];
}
