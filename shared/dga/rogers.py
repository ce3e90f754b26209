"""Rogers ratios (IEEE C57.104-2008 Table 5): C2H2/C2H4, CH4/H2, C2H4/C2H6 → a case 0–5.

Case 0 is "normal", cases 1–5 are PD, D2, T1, T2, T3, and a sample that matches no case is
"no diagnosis". Choice where the sources disagree: CH4/H2 is
"0.1 ≤ r ≤ 1" for cases 0, 2 and 3, and case 5 is C2H4/C2H6 > 3 (TM, MCM; XD differs).
"""

from shared.dga.bands import above, below, between
from shared.dga.output import object_of
from shared.dga.ratios import THREE_RATIOS, evaluate_ratio_method, ratio_method, ratio_method_schema
from shared.dga.rules import Rule

# The row index is the Rogers case number.
ROGERS_RULES = (
    Rule("normal", None, "unit normal",
         ({"c2h2_c2h4": below(0.1), "ch4_h2": between(0.1, 1.0), "c2h4_c2h6": below(1.0)},)),
    Rule("PD", "PD", "low-energy discharge (partial discharge)",
         ({"c2h2_c2h4": below(0.1), "ch4_h2": below(0.1), "c2h4_c2h6": below(1.0)},)),
    Rule("D2", "D2", "arcing, high-energy discharge",
         ({"c2h2_c2h4": between(0.1, 3.0), "ch4_h2": between(0.1, 1.0), "c2h4_c2h6": above(3.0)},)),
    Rule("T1", "T1", "low-temperature thermal fault",
         ({"c2h2_c2h4": below(0.1), "ch4_h2": between(0.1, 1.0), "c2h4_c2h6": between(1.0, 3.0)},)),
    Rule("T2", "T2", "thermal fault < 700 °C",
         ({"c2h2_c2h4": below(0.1), "ch4_h2": above(1.0), "c2h4_c2h6": between(1.0, 3.0)},)),
    Rule("T3", "T3", "thermal fault > 700 °C",
         ({"c2h2_c2h4": below(0.1), "ch4_h2": above(1.0), "c2h4_c2h6": above(3.0)},)),
)


def evaluate(col, ppm, valid, ratios, n) -> None:
    """Rogers case of every sample."""
    evaluate_ratio_method(col, "rogers", ROGERS_RULES, ppm, valid, ratios, n)


def as_dict(c, i) -> dict:
    """Rogers answer with its case number."""
    answer = ratio_method(c, i, "rogers", ROGERS_RULES, THREE_RATIOS)
    answer["case"] = c["rogers_rule"][i] if c["rogers_rule"][i] >= 0 else None
    return answer


SCHEMA = object_of({**ratio_method_schema(THREE_RATIOS), "case": {"type": ["integer", "null"]}})
