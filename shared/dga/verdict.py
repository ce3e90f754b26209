"""The combined verdict: fault presence and type, health index, severity, rank and action.

This is the engine's own rule, built on the standards' guidance rather than on a vote, and
decided without looking at labelled data:

- **Presence** from the IEEE C57.104-2019 status (concentrations, deltas and rates): a fault
  is present at Status 2 or 3, absent at Status 1, unknown when the status is. The graphical
  and ratio methods never answer "normal" (the Duval triangle cannot), so none of them decides
  presence. A 2008 Condition 4 always implies a 2019 status ≥ 2, so the gate agrees with 2008
  at the extreme.
- **Type** (only when present) from one method, the *basis*: the first of `AGREEMENT_METHODS`
  that names a type, in this order of fineness and standing: Duval Triangle 1 (the graphical
  method of IEC 60599, which always names a zone when its gases are usable), Duval Pentagon 1
  (the same classes plus stray gassing S, from five gases: it still answers where Triangle 1's
  three gases are all at trace levels but H2 or C2H6 is not), then the ratio tables (IEC
  60599, Rogers: fine classes but "no diagnosis" for many samples) and last Doernenburg
  (coarse: thermal or arcing). A later method is the basis only when every earlier one names
  nothing (not applicable, gases below typical values, no table row), so a coarser answer never
  overrides a finer one. The learned model (`methods.ai_model`, `ai_model.py`) takes part only
  where it *joins* the verdict (`SEDA_VERDICT_USES_MODEL=true`, off by default: turn it on when
  the scorecard on your own inspections shows it beats the published methods), and then it
  comes **first**: its class is the type wherever it applies, and Triangle 1 and the others
  confirm or dissent as they do for Triangle 1 (their answers are the engineer's check on a
  model trained on other utilities' data). Where it does not apply (traces, a gas missing,
  another liquid), or the sample is out of its training distribution, the hierarchy is the
  published one. Where it does not join, the verdict is
  exactly the one without a model: `methods.ai_model` is shown beside the others, and counts
  neither as basis, support nor dissent. Where the basis names several classes at once (a
  sample in the overlap of IEC's D1 and D2 rows), the class the other methods support most is
  taken; a tie within one family gives the family (D1/D2 → "D").
- **Refinement** (only when the type is Triangle 1's zone, whether Triangle 1 is the basis or
  confirms the model's class): Duval's later methods look inside that zone — Triangle 4 (after
  PD, T1, T2) and Triangle 5 (after T2, T3), as IEEE C57.104-2019 Annex D applies them, then
  Pentagon 2 (Duval & Lamarre 2014: Pentagon 1's zones split into overheating O, paper
  carbonization C and oil-only T3-H). The first of `REFINING_METHODS` whose zone is one of
  `REFINEMENTS[Triangle 1's zone]` (a class inside it) is `fault.refinement`; the type itself
  stays Triangle 1's zone, so the finer answer is added, never substituted, and a refining
  method that names a class outside the zone refines nothing.
- **Agreement**: every other applicable method confirms (its answer is the type, or its coarse
  family: Doernenburg's "thermal" confirms T1, T2 and T3) or dissents. Dissent is reported
  (`agreement.dissenting`), never counted against the basis.
- `agreement` = {"methods": confirming methods incl. the basis, "of": applicable methods,
  "supporting": [...], "dissenting": [...], "basis": method | null}.
- `health_index.value` = 100 − penalties, clamped to 0–100 (100 = healthy):
  - 2019 status 2 / 3: 20 / 40;
  - worst gas relative to its 2019 Table 2 limit: 20·log10(value/limit), clamped to
    0–20 (20 at 10× the limit);
  - 2008 worst condition 2 / 3 / 4: 5 / 10 / 20;
  - fault type (only when present): PD 5, T1 5, T2 10, T3 15, DT 15, D1 15, D2 20,
    T 10, D 15 (and S 0, O 5, C 15, T3-H 15 for the zones of Duval's later methods).
  The value is null when the 2019 status is unknown.
- `fault.severity`:
  - "none": Status 1.
  - "unknown": status not determinable.
  - "low" / "medium": Status 2; medium when the health index is < 70.
  - "high" / "critical": Status 3; critical when the health index is < 30.
- `rank` = 100·(severity level) + (100 − health index), where the severity levels are
  none 0, unknown 1, low 2, medium 3, high 4, critical 5 ("unknown" gets exactly 100).
  Higher is worse: sort a fleet by `rank` descending to get the worst first. The
  severity tiers never overlap.
- `action`: fixed plain-language advice for each severity (see `ACTIONS`); a unit whose
  liquid the 2019 tables do not cover gets NOT_FOR_LIQUID_ACTION instead of the "unknown"
  advice to correct the data (`liquids.py`).

`verdict_dict` puts every module's part of the verdict together, and `VERDICT_SCHEMA` (the
OpenAPI document's `Verdict`) their schemas.
"""

from collections.abc import Mapping

import numpy as np

from shared.dga import (ai_model, co2_co, doernenburg, duval_pentagons, duval_triangles, iec_60599, ieee_c57_104_2008,
                        ieee_c57_104_2019, rogers)
from shared.dga.doernenburg import DOERNENBURG_RULES
from shared.dga.duval_pentagons import DUVAL_PENTAGON_1_RULES, DUVAL_PENTAGON_2_RULES
from shared.dga.duval_triangles import DUVAL_TRIANGLE_1_RULES, REFINES, TRIANGLE_4, TRIANGLE_5
from shared.dga.gases import GAS_LABELS, GASES
from shared.dga.iec_60599 import IEC_60599_RATIO_RULES
from shared.dga.inputs import INPUT_SCHEMA, issues_dict
from shared.dga.output import TEXT_OR_NULL, as_text, object_of, one_of, rounded
from shared.dga.rogers import ROGERS_RULES
from shared.dga.rules import FAULT_DESCRIPTIONS, FAULT_TYPES, NOT_FOR_LIQUID, fault_type_codes

# The coarse answer a fine type belongs to: a method naming either confirms the other.
FAULT_FAMILY = {"D1": "D", "D2": "D", "T1": "T", "T2": "T", "T3": "T", "O": "T", "C": "T", "T3-H": "T"}

STATUS_PENALTY = (0.0, 0.0, 20.0, 40.0)  # by 2019 status 0 (unknown), 1, 2, 3
CONDITION_2008_PENALTY = (0.0, 0.0, 5.0, 10.0, 20.0)  # by 2008 condition 0 (none), 1..4
GAS_EXCESS_MAX_PENALTY = 20.0  # reached at 10 × the Table 2 limit
FAULT_TYPE_PENALTY = {"PD": 5.0, "D1": 15.0, "D2": 20.0, "DT": 15.0, "T1": 5.0, "T2": 10.0, "T3": 15.0,
                      "T": 10.0, "D": 15.0, "S": 0.0, "O": 5.0, "C": 15.0, "T3-H": 15.0}
SEVERITIES = ("none", "unknown", "low", "medium", "high", "critical")
MEDIUM_BELOW_HEALTH, CRITICAL_BELOW_HEALTH = 70.0, 30.0
ACTIONS = (
    "Normal sampling interval.",
    "Cannot assess the DGA status: resample, or correct the data, so that all seven gases "
    "(H2, CH4, C2H6, C2H4, C2H2, CO, CO2) have valid values.",
    "Resample within 3 months and watch the trend.",
    "Resample within 1 month; review the fault type, loading and recent events.",
    "Resample within 1 week and plan a diagnostic investigation.",
    "Investigate now; consider removing from service.",
)
# The action of an "unknown" severity whose cause is the unit's liquid, not its data (`liquids.py`).
NOT_FOR_LIQUID_ACTION = (
    "Not assessed: the DGA limits applied here are published for mineral oil only; interpret this unit's gases "
    "by the guide for its liquid (IEEE C57.155 for natural and synthetic esters)."
)
# The methods that may give the type, in order: the first that names one is the basis.
AGREEMENT_METHODS = (
    ("duval_triangle_1", "duval", DUVAL_TRIANGLE_1_RULES),
    ("duval_pentagon_1", "pentagon1", DUVAL_PENTAGON_1_RULES),
    ("iec_60599_ratios", "iec", IEC_60599_RATIO_RULES),
    ("rogers", "rogers", ROGERS_RULES),
    ("doernenburg", "doernenburg", DOERNENBURG_RULES),
    # Last in bit order (so the published methods keep their codes), first in BASIS_ORDER where it joins.
    ("ai_model", ai_model.PREFIX, ai_model.AI_MODEL_RULES),
)
_MODEL = len(AGREEMENT_METHODS) - 1  # the learned model's index
BASIS_ORDER = (_MODEL, *range(_MODEL))  # the model, where it joins; then Triangle 1, Pentagon 1, ...
_TRIANGLE_1 = 0
# The methods that may refine Triangle 1's zone, in order, and the zones they apply after.
REFINING_METHODS = (
    ("duval_triangle_4", TRIANGLE_4.prefix, TRIANGLE_4.rules, REFINES[TRIANGLE_4.prefix]),
    ("duval_triangle_5", TRIANGLE_5.prefix, TRIANGLE_5.rules, REFINES[TRIANGLE_5.prefix]),
    ("duval_pentagon_2", "pentagon2", DUVAL_PENTAGON_2_RULES, ("PD", "T1", "T2", "T3")),
)
# The classes inside each Triangle 1 zone (Duval 2008; IEEE C57.104-2019 Annex D): what a
# refining method may add. PD can be stray gassing; a low or medium thermal fault, stray
# gassing, overheating below 250 °C or paper carbonization; T3, carbonization or oil only.
REFINEMENTS = {"PD": ("S",), "T1": ("S", "O", "C"), "T2": ("S", "O", "C"), "T3": ("C", "T3-H")}
_TYPE_BIT = {fault_type: 1 << code for code, fault_type in enumerate(FAULT_TYPES)}
# The types a named type confirms: itself, its family, and (for a family) every member.
_CONFIRMS = {
    fault_type: _TYPE_BIT[fault_type] | _TYPE_BIT.get(FAULT_FAMILY.get(fault_type), 0)
    | sum(_TYPE_BIT[member] for member, family in FAULT_FAMILY.items() if family == fault_type)
    for fault_type in FAULT_TYPES
}


def _named_types(col, prefix, rules) -> np.ndarray:
    """Bitmask (over FAULT_TYPES) of the types a method names for each sample: its rule's, or every matching row's."""
    matches = col.get(f"{prefix}_matches")  # a table whose rows can overlap reports every row that holds
    if matches is None:
        codes = fault_type_codes(rules, col[f"{prefix}_rule"])
        return np.where(codes >= 0, 1 << codes.astype(np.int64), 0)
    named = np.zeros(len(matches), np.int64)
    for row, rule in enumerate(rules):
        if rule.fault_type:
            named |= np.where((matches >> row) & 1, _TYPE_BIT[rule.fault_type], 0)
    return named


def _confirmed(named: np.ndarray) -> np.ndarray:
    """Bitmask of every type the named types confirm."""
    confirmed = np.zeros(len(named), np.int64)
    for fault_type, bit in _TYPE_BIT.items():
        confirmed |= np.where(named & bit, _CONFIRMS[fault_type], 0)
    return confirmed


_FAMILY_MEMBERS = {family: [FAULT_TYPES.index(member) for member, of in FAULT_FAMILY.items() if of == family]
                   for family in sorted(set(FAULT_FAMILY.values()))}


def _choose(candidates: np.ndarray, confirmations: list[np.ndarray]) -> np.ndarray:
    """FAULT_TYPES code of the one type among each sample's candidate types (-1 for none).

    A single candidate is the type. Among several, the one most other methods confirm; several
    leaders of one family give the family; leaders of different families, the first in
    FAULT_TYPES order.
    """
    is_candidate = np.stack([(candidates & bit) != 0 for bit in _TYPE_BIT.values()], axis=1)
    votes = np.stack([sum(((confirmed & bit) != 0).astype(np.int8) for confirmed in confirmations)
                      for bit in _TYPE_BIT.values()], axis=1)
    votes = np.where(is_candidate, votes, -1)
    best = votes.max(axis=1)
    leaders = is_candidate & (votes == best[:, None])
    chosen = np.argmax(leaders, axis=1)
    several = leaders.sum(axis=1) > 1
    for family, members in _FAMILY_MEMBERS.items():
        outside = np.delete(leaders, members, axis=1).any(axis=1)
        chosen = np.where(several & ~outside, FAULT_TYPES.index(family), chosen)
    return np.where(best >= 0, chosen, -1)


def _takes_part(col, prefix, n) -> np.ndarray:
    """Where a method takes part in the verdict: always for the published ones; for the model, where it joins and
    the sample is like its training cases (out of distribution, its class is shown but decides nothing)."""
    if prefix != ai_model.PREFIX:
        return np.ones(n, bool)
    return col.get(f"{prefix}_joins", np.zeros(n, bool)) & ~col.get(f"{prefix}_ood", np.zeros(n, bool)).astype(bool)


def evaluate_type(col, n) -> None:
    """Fault presence from the 2019 status, the type from the basis method, and every method's agreement."""
    status = col["ieee2019_status"]
    present = status >= 2
    col["fault_present"] = np.where(status == 0, -1, present).astype(np.int8)

    taking_part = [_takes_part(col, prefix, n) for _, prefix, _ in AGREEMENT_METHODS]
    named = [np.where(part, _named_types(col, prefix, rules), 0) if part.any() else np.zeros(n, np.int64)
             for part, (_, prefix, rules) in zip(taking_part, AGREEMENT_METHODS)]
    confirmed = [_confirmed(types) for types in named]
    basis = np.full(n, -1, np.int8)
    for index in BASIS_ORDER:
        basis[(basis < 0) & (named[index] != 0)] = index
    candidates = np.select([basis == index for index in range(len(named))], named, 0)
    others = [np.where(basis == index, 0, types) for index, types in enumerate(confirmed)]
    fault_type = np.where(present, _choose(candidates, others), -1).astype(np.int8)
    col["fault_type"] = fault_type
    col["fault_basis"] = np.where(fault_type >= 0, basis, -1).astype(np.int8)
    type_bit = np.where(fault_type >= 0, 1 << np.maximum(fault_type, 0).astype(np.int64), 0)
    supporting = np.zeros(n, np.int16)
    dissenting = np.zeros(n, np.int16)
    for bit, (types, confirms) in enumerate(zip(named, confirmed)):
        supports = (type_bit & confirms) != 0
        supporting |= (supports << bit).astype(np.int16)
        dissenting |= (((type_bit != 0) & (types != 0) & ~supports) << bit).astype(np.int16)
    col["fault_supporting"] = supporting
    col["fault_dissenting"] = dissenting
    col["fault_agreement"] = sum((supporting >> bit) & 1 for bit in range(len(named))).astype(np.int8)
    col["fault_methods_applicable"] = np.stack([
        col.get(f"{prefix}_applicable", np.zeros(n, bool)) & part
        for part, (_, prefix, _) in zip(taking_part, AGREEMENT_METHODS)]).sum(axis=0).astype(np.int8)
    _refine(col, n, np.where((fault_type >= 0) & (named[_TRIANGLE_1] == type_bit), fault_type, -1))


def _refine(col, n, zone) -> None:
    """`fault_refinement` (FAULT_TYPES code) and `fault_refined_by` (REFINING_METHODS index), -1 for none.

    `zone`: each sample's type where it is Triangle 1's zone, else -1.
    """
    refinement = np.full(n, -1, np.int8)
    refined_by = np.full(n, -1, np.int8)
    for index, (_, prefix, rules, after) in enumerate(REFINING_METHODS):
        answer = fault_type_codes(rules, col[f"{prefix}_rule"])
        for zone_type, inside in REFINEMENTS.items():
            if zone_type not in after:
                continue
            refines = ((refinement < 0) & (zone == FAULT_TYPES.index(zone_type))
                       & np.isin(answer, [FAULT_TYPES.index(label) for label in inside]))
            refinement[refines] = answer[refines]
            refined_by[refines] = index
    col["fault_refinement"] = refinement
    col["fault_refined_by"] = refined_by


def evaluate(col, n) -> None:
    """Fault presence and type (`evaluate_type`), health index, severity and rank."""
    evaluate_type(col, n)
    status = col["ieee2019_status"]
    fault_type = col["fault_type"]

    multiples = np.stack([np.nan_to_num(col[f"ieee2019_table2_multiple_{gas}"], nan=0.0) for gas in GASES])
    worst_gas = np.argmax(multiples, axis=0)
    worst_multiple = multiples.max(axis=0)
    col["health_worst_gas"] = worst_gas.astype(np.int8)
    col["health_worst_multiple"] = worst_multiple
    penalties = {
        "status": np.asarray(STATUS_PENALTY)[status],
        "gas_level": np.round(GAS_EXCESS_MAX_PENALTY * np.clip(np.log10(np.maximum(worst_multiple, 1.0)), 0, 1), 1),
        "condition_2008": np.asarray(CONDITION_2008_PENALTY)[col["ieee2008_condition"]],
        "fault_type": np.asarray([FAULT_TYPE_PENALTY[t] for t in FAULT_TYPES] + [0.0])[fault_type],
    }
    for name, penalty in penalties.items():
        col[f"health_penalty_{name}"] = penalty
    health = np.round(np.clip(100.0 - sum(penalties.values()), 0.0, 100.0), 1)
    known = status > 0
    col["health_index"] = np.where(known, health, np.nan)
    severity = _severity(status, health)
    col["severity"] = severity
    col["rank"] = 100.0 * severity + np.where(known, 100.0 - health, 0.0)


def _severity(status: np.ndarray, health: np.ndarray) -> np.ndarray:
    """SEVERITIES index from the 2019 status and the health index."""
    return np.select(
        [status == 0, status == 1, (status == 2) & (health >= MEDIUM_BELOW_HEALTH), status == 2,
         health >= CRITICAL_BELOW_HEALTH],
        [1, 0, 2, 3, 4], 5).astype(np.int8)


def _health_factors(c, i) -> list[dict]:
    """The penalties that lowered the health index, largest first."""
    if c["ieee2019_status"][i] == 0:
        return []
    worst_gas = GASES[c["health_worst_gas"][i]]
    fault_type = c["fault_type"][i]
    details = {
        "status": ("ieee_c57_104_2019_status", f"DGA Status {c['ieee2019_status'][i]}"),
        "gas_level": ("gas_level", f"{GAS_LABELS[worst_gas]} at {as_text(c['health_worst_multiple'][i])}× "
                                   "its Table 2 limit"),
        "condition_2008": ("ieee_c57_104_2008_condition", f"Condition {c['ieee2008_condition'][i]}"),
        "fault_type": ("fault_type", f"{FAULT_TYPES[fault_type]}: {FAULT_DESCRIPTIONS[FAULT_TYPES[fault_type]]}"
                       if fault_type >= 0 else ""),
    }
    factors = [{"factor": factor, "detail": detail, "penalty": c[f"health_penalty_{name}"][i]}
               for name, (factor, detail) in details.items() if c[f"health_penalty_{name}"][i] > 0]
    return sorted(factors, key=lambda factor: -factor["penalty"])


def _refinement(c, i) -> dict | None:
    """The verdict's `fault.refinement`: the class inside Triangle 1's zone a later Duval method found, or None."""
    refinement = c["fault_refinement"][i]
    if refinement < 0:
        return None
    label = FAULT_TYPES[refinement]
    return {"type": label, "description": FAULT_DESCRIPTIONS[label], "method": REFINING_METHODS[c["fault_refined_by"][i]][0]}


# The AGREEMENT_METHODS names of every bitmask, worked out once: each verdict reads two of them.
_NAMES_BY_BITS = tuple(tuple(name for bit, (name, *_) in enumerate(AGREEMENT_METHODS) if bits >> bit & 1)
                       for bits in range(1 << len(AGREEMENT_METHODS)))


def _methods_in(bits: int) -> list[str]:
    """The names of the AGREEMENT_METHODS whose bits are set."""
    return list(_NAMES_BY_BITS[bits])


def _supporting(bits: int, basis: int) -> list[str]:
    """The supporting methods, the basis first (the model's bit is last, its place first)."""
    if basis != _MODEL:
        return list(_NAMES_BY_BITS[bits])
    return [ai_model.PREFIX, *_NAMES_BY_BITS[bits & ~(1 << _MODEL)]]


def verdict_dict(c: Mapping[str, list], i: int) -> dict:
    """The JSON-ready verdict of sample i from columns already converted to lists."""
    fault_type = c["fault_type"][i]
    present = c["fault_present"][i]
    supporting, dissenting, basis = c["fault_supporting"][i], c["fault_dissenting"][i], c["fault_basis"][i]
    verdict = {
        "fault": {
            "present": None if present < 0 else bool(present),
            "type": FAULT_TYPES[fault_type] if fault_type >= 0 else None,
            "description": FAULT_DESCRIPTIONS[FAULT_TYPES[fault_type]] if fault_type >= 0 else None,
            "agreement": {
                "methods": c["fault_agreement"][i],
                "of": c["fault_methods_applicable"][i],
                "supporting": _supporting(supporting, basis),
                "dissenting": _methods_in(dissenting),
                "basis": AGREEMENT_METHODS[basis][0] if basis >= 0 else None,
            },
            "refinement": _refinement(c, i),
            "severity": SEVERITIES[c["severity"][i]],
        },
        "health_index": {"value": rounded(c["health_index"][i], 1), "factors": _health_factors(c, i)},
        "rank": rounded(c["rank"][i], 1),
        "action": NOT_FOR_LIQUID_ACTION if c["ieee2019_reason"][i] == NOT_FOR_LIQUID else ACTIONS[c["severity"][i]],
        "methods": {
            "duval_triangle_1": duval_triangles.as_dict(c, i),
            "duval_triangle_3": duval_triangles.as_dict(c, i, duval_triangles.TRIANGLE_3),
            "duval_triangle_4": duval_triangles.as_dict(c, i, duval_triangles.TRIANGLE_4),
            "duval_triangle_5": duval_triangles.as_dict(c, i, duval_triangles.TRIANGLE_5),
            "duval_pentagon_1": duval_pentagons.as_dict(c, i, "pentagon1"),
            "duval_pentagon_2": duval_pentagons.as_dict(c, i, "pentagon2"),
            "iec_60599_ratios": iec_60599.as_dict(c, i),
            "rogers": rogers.as_dict(c, i),
            "doernenburg": doernenburg.as_dict(c, i),
            "ieee_c57_104_2008": ieee_c57_104_2008.as_dict(c, i),
            "ieee_c57_104_2019": ieee_c57_104_2019.as_dict(c, i),
            "co2_co": co2_co.as_dict(c, i),
        },
        "input": issues_dict(c, i),
    }
    if f"{ai_model.PREFIX}_applicable" in c:  # a model was configured
        verdict["methods"][ai_model.PREFIX] = ai_model.as_dict(c, i)
    return verdict


_METHOD_NAMES = [name for name, *_ in AGREEMENT_METHODS]
AGREEMENT_SCHEMA = object_of({
    "methods": {"type": "integer", "minimum": 0, "description": "How many methods confirm the fault type."},
    "of": {"type": "integer", "minimum": 0, "description": "How many methods were applicable."},
    "supporting": {"type": "array", "items": one_of(_METHOD_NAMES),
                   "description": "The methods that confirm the type, the basis first among them."},
    "dissenting": {"type": "array", "items": one_of(_METHOD_NAMES),
                   "description": "The methods that name another type (reported, never counted against the basis)."},
    "basis": {**one_of([*_METHOD_NAMES, None]),
              "description": "The method the type is taken from: the first that names one (the model, where it "
                             "joins; then Triangle 1, Pentagon 1, the ratio tables, Doernenburg)."},
})
METHODS_SCHEMA = object_of({
    "duval_triangle_1": duval_triangles.SCHEMA,
    "duval_triangle_3": duval_triangles.TRIANGLE_3_SCHEMA,
    "duval_triangle_4": duval_triangles.TRIANGLE_4_SCHEMA,
    "duval_triangle_5": duval_triangles.TRIANGLE_5_SCHEMA,
    "duval_pentagon_1": duval_pentagons.SCHEMA,
    "duval_pentagon_2": duval_pentagons.SCHEMA,
    "iec_60599_ratios": iec_60599.SCHEMA,
    "rogers": rogers.SCHEMA,
    "doernenburg": doernenburg.SCHEMA,
    "ieee_c57_104_2008": ieee_c57_104_2008.SCHEMA,
    "ieee_c57_104_2019": ieee_c57_104_2019.SCHEMA,
    "co2_co": co2_co.SCHEMA,
})
# The learned model is there only when a model is configured: a property, not a required one.
METHODS_SCHEMA["properties"][ai_model.PREFIX] = ai_model.SCHEMA
VERDICT_SCHEMA = {
    "title": "Verdict",
    **object_of({
        "fault": object_of({
            "present": {"type": ["boolean", "null"]},
            "type": one_of((*FAULT_TYPES, None)),
            "description": TEXT_OR_NULL,
            "agreement": AGREEMENT_SCHEMA,
            "refinement": {"anyOf": [object_of({
                "type": one_of(sorted({label for inside in REFINEMENTS.values() for label in inside})),
                "description": {"type": "string"},
                "method": one_of([name for name, *_ in REFINING_METHODS]),
            }), {"type": "null"}], "description": "The class inside Triangle 1's zone that a later Duval method found."},
            "severity": one_of(SEVERITIES),
        }),
        "health_index": object_of({
            "value": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
            "factors": {"type": "array", "items": object_of({"factor": {"type": "string"}, "detail": {"type": "string"},
                                                           "penalty": {"type": "number"}})},
        }),
        "rank": {"type": ["number", "null"]},
        "action": one_of((*ACTIONS, NOT_FOR_LIQUID_ACTION)),
        "methods": METHODS_SCHEMA,
        "input": INPUT_SCHEMA,
    }),
}


def verdicts_from_columns(columns: Mapping[str, np.ndarray]) -> list[dict]:
    """The JSON-ready verdict dict of every sample in a columnar result."""
    lists = {key: values.tolist() for key, values in columns.items()}
    return [verdict_dict(lists, i) for i in range(len(columns["rank"]))]
