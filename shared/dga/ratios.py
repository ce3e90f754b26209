"""Gas ratios, shared by the IEC 60599, Rogers and Doernenburg ratio methods.

Choice where the sources disagree — **ratios with a zero gas**: x/0 with x > 0 is +infinity,
so it lies above every bound; 0/0 is read as 0, because two absent gases point to the lowest
code. A ratio method is "not applicable" only when every gas it uses is zero. TM sets any ratio
with a zero denominator to 0. Ratios are compared unrounded; TM rounds them to 2 decimals
first.
"""

from collections.abc import Sequence

import numpy as np

from shared.dga.inputs import invalid
from shared.dga.output import nullable, numbers_of, rounded
from shared.dga.rules import ALL_ZERO, RULE_METHOD_SCHEMA, all_of, any_of, applicability, first_match, rule_method

RATIOS = {
    "c2h2_c2h4": ("c2h2", "c2h4"),
    "ch4_h2": ("ch4", "h2"),
    "c2h4_c2h6": ("c2h4", "c2h6"),
    "c2h2_ch4": ("c2h2", "ch4"),
    "c2h6_c2h2": ("c2h6", "c2h2"),
}
RATIO_METHOD_GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2")
THREE_RATIOS = ("c2h2_c2h4", "ch4_h2", "c2h4_c2h6")


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator/denominator with x/0 = +inf and 0/0 = 0 (see the module docstring)."""
    return np.where((numerator == 0) & (denominator == 0), 0.0, numerator / denominator)


def ratios_of(ppm) -> dict[str, np.ndarray]:
    """Every ratio in RATIOS of the validated gases (NaN where a gas is invalid)."""
    return {name: ratio(ppm[numerator], ppm[denominator]) for name, (numerator, denominator) in RATIOS.items()}


def evaluate_ratio_method(col, prefix, rules, ppm, valid, ratios, n) -> None:
    """`<prefix>_applicable`, `_reason` and `_rule` of a ratio table over RATIO_METHOD_GASES (IEC 60599, Rogers)."""
    has_gases = all_of(valid[gas] for gas in RATIO_METHOD_GASES)
    nonzero = any_of(ppm[gas] > 0 for gas in RATIO_METHOD_GASES)
    applicable = applicability(col, prefix, has_gases, [(nonzero, ALL_ZERO)])
    col[f"{prefix}_rule"] = np.where(applicable, first_match(rules, ratios, n), -1).astype(np.int8)


def ratio_method(c, i, prefix, rules, ratio_names) -> dict:
    """A ratio method's answer; the ratios are shown whenever its gases are valid, applicable or not."""
    answer = rule_method(c, i, prefix, rules, RATIO_METHOD_GASES)
    has_gases = not invalid(c, i, RATIO_METHOD_GASES)
    answer["ratios"] = {name: rounded(c[f"ratio_{name}"][i], 4) for name in ratio_names} if has_gases else None
    return answer


def ratio_method_schema(ratio_names: Sequence[str]) -> dict:
    """The keys of `ratio_method` as JSON Schema properties."""
    return {**RULE_METHOD_SCHEMA, "ratios": nullable(numbers_of(ratio_names))}
