// Small pieces every module of the unit view uses: its sections, and the names of gases,
// fault types and statuses in the page's language.

import { el } from "./dom.js";

export function gasName(gas, t) {
  return t(`unit.gas.${gas}`);
}

export function section(name, title, children) {
  const headingId = `unit-${name}-title`;
  return el("section", { class: `unit-section unit-${name}`, "data-section": name, "aria-labelledby": headingId }, [
    el("h2", { id: headingId }, [title]),
    ...children,
  ]);
}

/** A fault type's name in the page's language (the engine's own description in English). */
export function faultName(faultType, description, { t, lang }) {
  if (!faultType) return t("unit.noFault");
  if (lang === "en" && description) return description;
  return t(`unit.fault.${faultType}`);
}

export function statusText(status, t) {
  return status ? t(`unit.status.${status}`) : t("unit.status.unknown");
}
