"""IEC 60599 ratio method (2015 Table 2): C2H2/C2H4, CH4/H2, C2H4/C2H6 → PD, D1, D2, T1, T2, T3.

A sample that matches no row is "no diagnosis".

Choices where the sources disagree: the table follows TM, which agrees with the majority on
each disputed cell. "NS" means the ratio is not checked, so C2H2/C2H4 is ignored for PD and T1
(TM, XD; MCM needs < 0.01). T1 needs CH4/H2 > 1 and C2H4/C2H6 < 1 (TM, MCM; XD skips CH4/H2).
Ranges written "a – b" are inclusive.

**The D1 and D2 rows overlap**: C2H2/C2H4 in (1, 2.5], CH4/H2 in [0.1, 0.5] and C2H4/C2H6 > 2
fit both. No other two rows of this table, of Rogers or of Doernenburg can hold together
(tests/test_dga_gates.py checks it on random and boundary ratios). The answer reports the
table as it is: `matches` lists every row that holds, in table order (["D1", "D2"] in the
overlap, [] for none), and the columnar form has the bitmask `iec_matches` (bit k = row k).
`result` and `fault_type` keep their meaning: the first row that holds in table order (PD, D1,
D2, T1, T2, T3; TM, XD), so in the overlap they are D1; read `matches` to see D2 as well.
"""

import numpy as np

from shared.dga.bands import above, below, between
from shared.dga.output import object_of, one_of
from shared.dga.ratios import THREE_RATIOS, evaluate_ratio_method, ratio_method, ratio_method_schema
from shared.dga.rules import all_matches, fault_rule, matched_results

IEC_60599_RATIO_RULES = (
    fault_rule("PD", {"ch4_h2": below(0.1), "c2h4_c2h6": below(0.2)}),
    fault_rule("D1", {"c2h2_c2h4": above(1.0), "ch4_h2": between(0.1, 0.5), "c2h4_c2h6": above(1.0)}),
    fault_rule("D2", {"c2h2_c2h4": between(0.6, 2.5), "ch4_h2": between(0.1, 1.0), "c2h4_c2h6": above(2.0)}),
    fault_rule("T1", {"ch4_h2": above(1.0), "c2h4_c2h6": below(1.0)}),
    fault_rule("T2", {"c2h2_c2h4": below(0.1), "ch4_h2": above(1.0), "c2h4_c2h6": between(1.0, 4.0)}),
    fault_rule("T3", {"c2h2_c2h4": below(0.2), "ch4_h2": above(1.0), "c2h4_c2h6": above(4.0)}),
)


def evaluate(col, ppm, valid, ratios, n) -> None:
    """IEC 60599 ratio-table answer of every sample, and every row that holds."""
    evaluate_ratio_method(col, "iec", IEC_60599_RATIO_RULES, ppm, valid, ratios, n)
    col["iec_matches"] = np.where(col["iec_applicable"], all_matches(IEC_60599_RATIO_RULES, ratios, n), 0)


def as_dict(c, i) -> dict:
    """IEC 60599 ratio-method answer."""
    answer = ratio_method(c, i, "iec", IEC_60599_RATIO_RULES, THREE_RATIOS)
    answer["matches"] = matched_results(IEC_60599_RATIO_RULES, c["iec_matches"][i])
    return answer


SCHEMA = object_of({
    **ratio_method_schema(THREE_RATIOS),
    "matches": {"type": "array", "items": one_of([rule.result for rule in IEC_60599_RATIO_RULES]),
                "description": "Every table row that holds, in table order; `result` is the first of them."},
})
