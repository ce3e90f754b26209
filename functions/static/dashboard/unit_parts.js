// Small pieces every module of the unit view uses: its sections, and the names of gases,
// fault types, statuses, severities and methods in the page's language. Statuses, fault
// types, severities, kinds and method names are the core dictionary's (i18n.js), the words
// the fleet view shows, so that a unit reads the same in both views.

import { el } from "./dom.js";
import { t, tOr } from "./i18n.js";

export function gasName(gas) {
  return t(`unit.gas.${gas}`);
}

export function section(name, title, children) {
  const headingId = `unit-${name}-title`;
  return el("section", { class: `unit-section unit-${name}`, "data-section": name, "aria-labelledby": headingId }, [
    el("h2", { id: headingId }, [title]),
    ...children,
  ]);
}

/** A fault type or zone code in words ("D2: high-energy discharges"); a code the page does not know, as sent. */
export function faultName(code) {
  if (!code) return t("fault.unknown");
  if (code === "ND") return t("unit.notDetermined"); // Triangles 4/5's "not determined" zone: no fault type of the fleet's
  return tOr(`fault.${code}`, code);
}

/** The verdict's fault as the fleet row names it: none, not named, or its type in words. */
export function verdictFault(fault) {
  if (fault.present === false) return t("fault.none");
  return faultName(fault.type);
}

/** The 2019 status as the fleet row's badge words it ("Status 3: fault likely"). */
export function statusText(status) {
  return status ? t(`status.${status}.long`) : t("status.unknown");
}

export function severityText(severity) {
  return tOr(`severity.${severity}`, severity);
}

/** A method's name: the core dictionary's, or the unit view's for the one it lacks (CO2/CO). */
export function methodName(method) {
  return tOr(`method.${method}`, tOr(`unit.methodName.${method}`, method));
}
