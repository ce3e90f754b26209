// PLACEHOLDER in the shell's branch only, until the unit helper's unit.js lands (take theirs on
// merge): the shell routes #/unit/<id> here, so the fleet's row links have somewhere to go.

import { el, replaceChildren } from "./dom.js";

export async function renderUnit(root, unitId, context) {
  const { body } = await context.api.get(`/api/v1/diagnoses/${unitId}`);
  replaceChildren(root, el("section", { "data-testid": "unit", "data-unit-id": unitId }, [
    el("h1", { class: "view-title" }, [context.t("nav.unit", { name: body.equipment?.name ?? unitId })]),
  ]));
}
