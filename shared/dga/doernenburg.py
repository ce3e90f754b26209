"""Doernenburg ratios (IEEE C57.104-2008 §6.4) behind the two L1 validity steps.

Ratios CH4/H2, C2H2/C2H4, C2H2/CH4, C2H6/C2H2 → "thermal", "corona", "arcing" or
"no diagnosis". When a step fails, the answer is "not applicable", with the step in the reason.

Choices where the sources disagree: L1 is H2 100, CH4 120, CO 350, C2H2 1, C2H4 50, C2H6 65 ppm
(the CO2 value from RX is not used). Step 1: one of H2, CH4, C2H2, C2H4 is above 2×L1 and one
of C2H6, CO is above L1 (TM). The text says "the other three gases", but only these two are
left in the L1 table. Step 2: each ratio has a gas above L1 (TM). Arcing needs
0.1 < CH4/H2 < 1, strictly (TM, the only source that gives operators). CO is optional: if it
is missing it counts as not above L1.
"""

import numpy as np

from shared.dga.bands import above, below, strictly_between
from shared.dga.output import object_of
from shared.dga.ratios import RATIO_METHOD_GASES, RATIOS, ratio_method, ratio_method_schema
from shared.dga.rules import FIRST_OWN_REASON, Rule, all_of, any_of, applicability, first_match

DOERNENBURG_L1 = {"h2": 100.0, "ch4": 120.0, "co": 350.0, "c2h2": 1.0, "c2h4": 50.0, "c2h6": 65.0}
DOERNENBURG_KEY_GASES = ("h2", "ch4", "c2h2", "c2h4")  # one must exceed 2 × L1 ...
DOERNENBURG_OTHER_GASES = ("c2h6", "co")  # ... and one of these L1
DOERNENBURG_RATIOS = ("ch4_h2", "c2h2_c2h4", "c2h2_ch4", "c2h6_c2h2")
DOERNENBURG_RULES = (
    Rule("thermal", "T", "thermal decomposition",
         ({"ch4_h2": above(1.0), "c2h2_c2h4": below(0.75), "c2h2_ch4": below(0.3), "c2h6_c2h2": above(0.4)},)),
    Rule("corona", "PD", "corona (low-intensity partial discharge)",
         ({"ch4_h2": below(0.1), "c2h2_ch4": below(0.3), "c2h6_c2h2": above(0.4)},)),
    Rule("arcing", "D", "arcing (high-intensity partial discharge)",
         ({"ch4_h2": strictly_between(0.1, 1.0), "c2h2_c2h4": above(0.75), "c2h2_ch4": above(0.3),
           "c2h6_c2h2": below(0.4)},)),
)
# The `doernenburg_reason` codes of the two validity steps.
_NO_FAULT_LEVELS, _NOT_SIGNIFICANT = FIRST_OWN_REASON, FIRST_OWN_REASON + 1


def evaluate(col, ppm, valid, ratios, n) -> None:
    """Doernenburg ratios behind the two L1 validity steps."""
    has_gases = all_of(valid[gas] for gas in RATIO_METHOD_GASES)
    fault_levels = (any_of(ppm[gas] > 2 * DOERNENBURG_L1[gas] for gas in DOERNENBURG_KEY_GASES)
                    & any_of(ppm[gas] > DOERNENBURG_L1[gas] for gas in DOERNENBURG_OTHER_GASES))
    for name in DOERNENBURG_RATIOS:
        numerator, denominator = RATIOS[name]
        col[f"doernenburg_significant_{name}"] = ((ppm[numerator] > DOERNENBURG_L1[numerator])
                                                  | (ppm[denominator] > DOERNENBURG_L1[denominator]))
    significant = all_of(col[f"doernenburg_significant_{name}"] for name in DOERNENBURG_RATIOS)
    col["doernenburg_fault_levels"] = fault_levels
    col["doernenburg_ratios_significant"] = significant
    applicable = applicability(col, "doernenburg", has_gases,
                               [(fault_levels, _NO_FAULT_LEVELS), (significant, _NOT_SIGNIFICANT)])
    col["doernenburg_rule"] = np.where(applicable, first_match(DOERNENBURG_RULES, ratios, n), -1).astype(np.int8)


def _step_reason(c, i) -> str | None:
    """The sentence behind a failed validity step, None when no step failed."""
    code = c["doernenburg_reason"][i]
    if code == _NO_FAULT_LEVELS:
        return ("step 1 not met: no fault by this method (needs one of H2, CH4, C2H2, C2H4 above 2×L1 "
                "and one of C2H6, CO above L1)")
    if code == _NOT_SIGNIFICANT:
        weak = [name for name in DOERNENBURG_RATIOS if not c[f"doernenburg_significant_{name}"][i]]
        return f"step 2 not met: ratios not significant (neither gas above L1 in {', '.join(weak)})"
    return None


def as_dict(c, i) -> dict:
    """Doernenburg answer with its validity steps."""
    answer = ratio_method(c, i, "doernenburg", DOERNENBURG_RULES, DOERNENBURG_RATIOS)
    answer["reason"] = _step_reason(c, i) or answer["reason"]
    evaluated = answer["ratios"] is not None
    answer["validity"] = {
        "fault_levels": c["doernenburg_fault_levels"][i] if evaluated else None,
        "ratios_significant": c["doernenburg_ratios_significant"][i] if evaluated else None,
    }
    return answer


SCHEMA = object_of({
    **ratio_method_schema(DOERNENBURG_RATIOS),
    "validity": object_of({"fault_levels": {"type": ["boolean", "null"]},
                           "ratios_significant": {"type": ["boolean", "null"]}}),
})
