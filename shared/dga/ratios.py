"""Gas ratios, shared by the IEC 60599, Rogers and Doernenburg ratio methods.

Choice where the sources disagree — **ratios with a zero gas**: x/0 with x > 0 is +infinity,
so it lies above every bound. 0/0 is **undefined** (NaN), not 0: two absent gases say nothing
about their proportion, and reading 0/0 as 0 made a sample with only ethane, or only 5 ppm
acetylene, "PD" in the IEC and Rogers tables. An undefined ratio lies inside no band
(`Band.contains` is false for NaN), so only table rows that do not look at it can hold; IEC
60599's PD row, which ignores C2H2/C2H4 ("not significant"), still holds for a sample with no
C2H2 and no C2H4. A sample that matches no row while a ratio the table needs is 0/0 gets no
answer: "not applicable", reason UNDEFINED_RATIO ("C2H4/C2H6 is 0/0 (both gases zero): the
ratio is undefined"), rather than "no diagnosis". A ratio method is also "not applicable"
when every gas it uses is zero. TM sets any ratio with a zero denominator to 0. Ratios are
compared unrounded; TM rounds them to 2 decimals first.

In the answer, an unbounded (x/0) or undefined (0/0) ratio is null; `undefined_ratios` lists
the 0/0 ones.
"""

from collections.abc import Sequence

import numpy as np

from shared.dga.gases import GAS_LABELS
from shared.dga.inputs import invalid
from shared.dga.output import nullable, numbers_of, one_of, rounded
from shared.dga.rules import (ALL_ZERO, RULE_METHOD_SCHEMA, UNDEFINED_RATIO, all_of, any_of, applicability, band_names,
                              first_match, rule_method)

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
    """numerator/denominator with x/0 = +inf and 0/0 = NaN, undefined (see the module docstring)."""
    return numerator / denominator  # IEEE division already gives both; callers run under np.errstate(all="ignore")


def ratios_of(ppm) -> dict[str, np.ndarray]:
    """Every ratio in RATIOS of the validated gases (NaN where a gas is invalid or the ratio is 0/0)."""
    return {name: ratio(ppm[numerator], ppm[denominator]) for name, (numerator, denominator) in RATIOS.items()}


def evaluate_ratio_method(col, prefix, rules, ppm, valid, ratios, n) -> None:
    """`<prefix>_applicable`, `_reason` and `_rule` of a ratio table over RATIO_METHOD_GASES (IEC 60599, Rogers)."""
    has_gases = all_of(valid[gas] for gas in RATIO_METHOD_GASES)
    nonzero = any_of(ppm[gas] > 0 for gas in RATIO_METHOD_GASES)
    matched = first_match(rules, ratios, n)
    decided = (matched >= 0) | ~any_of(np.isnan(ratios[name]) for name in band_names(rules))
    applicable = applicability(col, prefix, has_gases, [(nonzero, ALL_ZERO), (decided, UNDEFINED_RATIO)])
    col[f"{prefix}_rule"] = np.where(applicable, matched, -1).astype(np.int8)


def _ratio_label(name: str) -> str:
    """A ratio as a sentence writes it: "C2H4/C2H6"."""
    numerator, denominator = RATIOS[name]
    return f"{GAS_LABELS[numerator]}/{GAS_LABELS[denominator]}"


def _undefined_reason(names: Sequence[str]) -> str:
    """The sentence behind UNDEFINED_RATIO."""
    listed = " and ".join(_ratio_label(name) for name in names)
    if len(names) == 1:
        return f"{listed} is 0/0 (both gases zero): the ratio is undefined"
    return f"{listed} are 0/0 (both gases zero): the ratios are undefined"


def ratio_method(c, i, prefix, rules, ratio_names) -> dict:
    """A ratio method's answer; the ratios are shown whenever its gases are valid, applicable or not."""
    answer = rule_method(c, i, prefix, rules, RATIO_METHOD_GASES)
    has_gases = not invalid(c, i, RATIO_METHOD_GASES)
    undefined = [name for name in ratio_names if has_gases and np.isnan(c[f"ratio_{name}"][i])]
    if c[f"{prefix}_reason"][i] == UNDEFINED_RATIO:
        answer["reason"] = _undefined_reason(undefined)
    answer["ratios"] = {name: rounded(c[f"ratio_{name}"][i], 4) for name in ratio_names} if has_gases else None
    answer["undefined_ratios"] = undefined if has_gases else None
    return answer


def ratio_method_schema(ratio_names: Sequence[str]) -> dict:
    """The keys of `ratio_method` as JSON Schema properties."""
    return {**RULE_METHOD_SCHEMA, "ratios": nullable(numbers_of(ratio_names)),
            "undefined_ratios": nullable({"type": "array", "items": one_of(ratio_names)})}
