"""Decision tables: rules made of bands, the fault types they name, and what every rule-table method shares.

A rule-table method (Duval Triangle 1, IEC 60599, Rogers, Doernenburg) stores, per sample,
`<prefix>_applicable`, `<prefix>_reason` (why not: the codes below, then the method's own) and
`<prefix>_rule` (the index of the first matching rule in table order, -1 for none), and answers
with the keys of `rule_method`. A table whose rows can overlap (IEC 60599: D1 and D2) also
stores `<prefix>_matches`, a bitmask of every row that holds (`all_matches`), so the overlap is
reported instead of hidden behind row order.
"""

import functools
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from shared.dga.bands import Band
from shared.dga.gases import GAS_LABELS, INSULATING_LIQUIDS, LIQUID_LABELS, labels
from shared.dga.inputs import invalid
from shared.dga.output import TEXT_OR_NULL, as_text, one_of

NO_DIAGNOSIS = "no diagnosis"

# Fine IEC fault types, then the coarse ones only Doernenburg gives, then the zones of Duval's
# later graphical methods (Triangles 4 and 5, Pentagons 1 and 2) that have no IEC class.
FAULT_TYPES = ("PD", "D1", "D2", "DT", "T1", "T2", "T3", "T", "D", "S", "O", "C", "T3-H")
FAULT_DESCRIPTIONS = {
    "PD": "partial discharges",
    "D1": "discharges of low energy",
    "D2": "discharges of high energy",
    "DT": "mixture of thermal and electrical faults",
    "T1": "thermal fault, t < 300 °C",
    "T2": "thermal fault, 300 °C < t < 700 °C",
    "T3": "thermal fault, t > 700 °C",
    "T": "thermal fault (temperature not resolved)",
    "D": "discharge or arcing (energy not resolved)",
    "S": "stray gassing of mineral oil (t < 200 °C)",
    "O": "overheating, t < 250 °C",
    "C": "possible carbonization of paper (t > 300 °C)",
    "T3-H": "thermal fault, t > 700 °C, in oil only",
}

# Why a method is not applicable (the `<prefix>_reason` codes); a method numbers its own
# reasons from FIRST_OWN_REASON and words them itself. NOT_FOR_LIQUID: the method is published
# for mineral oil only; BELOW_TYPICAL: the method's gases are all below typical values (IEEE
# C57.104-2019 Table 1), too little to name a fault (set by `typical.gate`); UNDEFINED_RATIO: no
# table row holds because a ratio the table needs is 0/0 (worded by `ratios.ratio_method`).
APPLICABLE, GAS_MISSING, ALL_ZERO, NOT_FOR_LIQUID, BELOW_TYPICAL, UNDEFINED_RATIO, FIRST_OWN_REASON = range(7)
# Reasons that say more about a sample than a gate run after the methods would (the trace level,
# Triangle 1's zone for Triangles 4 and 5): a method not applicable for one of them keeps it.
SAYS_MORE = (GAS_MISSING, ALL_ZERO, NOT_FOR_LIQUID)


class Rule(NamedTuple):
    """A decision-table row: `result` when all bands of any one mapping in `when` hold."""

    result: str
    fault_type: str | None
    description: str
    when: tuple[Mapping[str, Band], ...]


def fault_rule(code: str, *when: Mapping[str, Band]) -> Rule:
    """A rule whose answer is the IEC fault code itself."""
    return Rule(code, code, FAULT_DESCRIPTIONS[code], when)


def _holds(rule: Rule, values: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """Where all bands of any one mapping in `rule.when` hold."""
    holds = np.zeros(size, bool)
    for bands in rule.when:
        alternative = np.ones(size, bool)
        for name, band in bands.items():
            alternative &= band.contains(values[name])
        holds |= alternative
    return holds


def first_match(rules: Sequence[Rule], values: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """Index of the first rule that holds for each element, -1 where none does."""
    matched = np.full(size, -1, np.int8)
    for index, rule in enumerate(rules):
        matched[(matched < 0) & _holds(rule, values, size)] = index
    return matched


def all_matches(rules: Sequence[Rule], values: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """Bitmask of every rule that holds for each element: bit k set when rules[k] holds."""
    matches = np.zeros(size, np.int32)
    for index, rule in enumerate(rules):
        matches |= _holds(rule, values, size).astype(np.int32) << index
    return matches


def matched_results(rules: Sequence[Rule], matches: int) -> list[str]:
    """The `result` of every rule set in a bitmask from `all_matches`, in table order."""
    return [rule.result for index, rule in enumerate(rules) if matches >> index & 1]


def band_names(rules: Sequence[Rule]) -> tuple[str, ...]:
    """Every value name the bands of a table compare, in order of first use."""
    return tuple(dict.fromkeys(name for rule in rules for bands in rule.when for name in bands))


def fault_type_codes(rules: Sequence[Rule], matched: np.ndarray) -> np.ndarray:
    """FAULT_TYPES index of each matched rule's fault type, -1 for none or no match."""
    lookup = [FAULT_TYPES.index(rule.fault_type) if rule.fault_type else -1 for rule in rules]
    return np.array(lookup + [-1], np.int8)[matched]  # matched == -1 picks the trailing -1


def all_of(masks) -> np.ndarray:
    """Element-wise AND of boolean arrays."""
    return np.logical_and.reduce(list(masks))


def any_of(masks) -> np.ndarray:
    """Element-wise OR of boolean arrays."""
    return np.logical_or.reduce(list(masks))


def applicability(col, prefix, has_gases, other_checks=()) -> np.ndarray:
    """Store `<prefix>_reason` (first failed check) and `<prefix>_applicable`; return the latter."""
    reason = np.where(has_gases, APPLICABLE, GAS_MISSING).astype(np.int8)
    for passed, code in other_checks:
        reason[(reason == APPLICABLE) & ~passed] = code
    col[f"{prefix}_reason"] = reason
    col[f"{prefix}_applicable"] = reason == APPLICABLE
    return col[f"{prefix}_applicable"]


def withdraw(col, prefix, where, code) -> None:
    """Make a rule-table method not applicable, for the reason `code`, on the samples `where` holds."""
    col[f"{prefix}_applicable"] = col[f"{prefix}_applicable"] & ~where
    col[f"{prefix}_reason"] = np.where(where, code, col[f"{prefix}_reason"]).astype(np.int8)
    if f"{prefix}_rule" in col:
        col[f"{prefix}_rule"] = np.where(where, -1, col[f"{prefix}_rule"]).astype(np.int8)
    if f"{prefix}_matches" in col:  # a table whose rows can overlap (IEC 60599)
        col[f"{prefix}_matches"] = np.where(where, 0, col[f"{prefix}_matches"]).astype(np.int32)


def mineral_only_reason(liquid_code) -> str:
    """Why a method published for mineral oil says nothing about a sample of another liquid (`shared/dga/liquids.py`)."""
    return f"published for mineral oil only; not applicable to {LIQUID_LABELS[INSULATING_LIQUIDS[liquid_code]]}"


@functools.lru_cache(maxsize=4096)
def _within(gas: str, value: float, limit: float) -> str:
    """A gas within its limit for the trace-level sentence, e.g. `CH4 1 ≤ 20`.

    Cached: the methods of one sample share their gases, so each pair is written once per verdict
    rather than once per method.
    """
    return f"{GAS_LABELS[gas]} {as_text(value)} ≤ {as_text(limit)}"


def _not_applicable_reason(c, i, prefix, needed) -> str | None:
    """The sentence behind a shared `<prefix>_reason` code (None for applicable and for the method's own)."""
    code = c[f"{prefix}_reason"][i]
    if code == GAS_MISSING:
        return f"needs {labels(needed)}; missing or invalid: {labels(invalid(c, i, needed))}"
    if code == ALL_ZERO:
        return f"{labels(needed)} are all zero"
    if code == BELOW_TYPICAL:
        from shared.dga.ieee_c57_104_2019 import table_1_basis  # here: that module is built on this one
        compared = ", ".join(_within(gas, c[f"ppm_{gas}"][i], c[f"ieee2019_table1_{gas}"][i]) for gas in needed)
        return f"below typical values ({table_1_basis(c, i)}): {compared}"
    if code == NOT_FOR_LIQUID:
        return mineral_only_reason(c["liquid"][i])
    return None


def plotted(c, i, prefix) -> bool:
    """Whether a graphical method shows its point: when it answers, and when its gases are only too low to.

    A sample below typical values still has a place in the figure (a unit's history plots its
    healthy samples too); one of another liquid, or whose gases are missing, has none.
    """
    return bool(c[f"{prefix}_applicable"][i]) or c[f"{prefix}_reason"][i] == BELOW_TYPICAL


def rule_method(c, i, prefix, rules, needed) -> dict:
    """The keys every rule-table method shares."""
    index = c[f"{prefix}_rule"][i]
    applicable = c[f"{prefix}_applicable"][i]
    rule = rules[index] if index >= 0 else None
    return {
        "applicable": applicable,
        "reason": _not_applicable_reason(c, i, prefix, needed),
        "result": (rule.result if rule else NO_DIAGNOSIS) if applicable else None,
        "fault_type": rule.fault_type if rule else None,
        "description": (rule.description if rule else "no table row matches") if applicable else None,
    }


RULE_METHOD_SCHEMA = {
    "applicable": {"type": "boolean"},
    "reason": TEXT_OR_NULL,
    "result": TEXT_OR_NULL,
    "fault_type": one_of((*FAULT_TYPES, None)),
    "description": TEXT_OR_NULL,
}
