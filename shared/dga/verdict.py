"""The combined verdict: fault presence and type, health index, severity, rank and action.

This is the engine's own rule, not a standard's: a fault is present when the IEEE
C57.104-2019 status is 2 or 3. The Duval triangle never answers "normal", so it is gated by
the status. A 2008 Condition 4 always implies a 2019 status ≥ 2, so the gate agrees with 2008
at the extreme.

- `fault.type`: a vote over the four interpretation methods (Duval, IEC, Rogers,
  Doernenburg), counted only when a fault is present. A method supports a fault type when it
  gives that type. Doernenburg's coarse "thermal"/"arcing" answers support T1/T2/T3 and
  D1/D2. The type with the most support wins. Ties go to Duval, then IEC, then Rogers (Duval
  Triangle 1 is the primary method of IEC 60599 and always answers). The coarse types "T"
  and "D" appear only when Doernenburg is the sole support.
  `agreement` = {"methods": supporting methods, "of": applicable methods}.
- `health_index.value` = 100 − penalties, clamped to 0–100 (100 = healthy):
  - 2019 status 2 / 3: 20 / 40;
  - worst gas relative to its 2019 Table 2 limit: 20·log10(value/limit), clamped to
    0–20 (20 at 10× the limit);
  - 2008 worst condition 2 / 3 / 4: 5 / 10 / 20;
  - fault type (only when present): PD 5, T1 5, T2 10, T3 15, DT 15, D1 15, D2 20,
    T 10, D 15.
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
- `action`: fixed plain-language advice for each severity (see `ACTIONS`).

`verdict_dict` puts every module's part of the verdict together, and `VERDICT_SCHEMA` (the
OpenAPI document's `Verdict`) their schemas.
"""

from collections.abc import Mapping

import numpy as np

from shared.dga import (doernenburg, duval_pentagons, duval_triangles, iec_60599, ieee_c57_104_2008, ieee_c57_104_2019,
                        rogers)
from shared.dga.doernenburg import DOERNENBURG_RULES
from shared.dga.duval_triangles import DUVAL_TRIANGLE_1_RULES
from shared.dga.gases import GAS_LABELS, GASES
from shared.dga.iec_60599 import IEC_60599_RATIO_RULES
from shared.dga.inputs import INPUT_SCHEMA, issues_dict
from shared.dga.output import TEXT_OR_NULL, as_text, object_of, one_of, rounded
from shared.dga.rogers import ROGERS_RULES
from shared.dga.rules import FAULT_DESCRIPTIONS, FAULT_TYPES, fault_type_codes

# The coarse answer that also supports a fine type in the vote.
FAULT_FAMILY = {"D1": "D", "D2": "D", "T1": "T", "T2": "T", "T3": "T"}

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
# Vote order = tie-break priority: the weights only break ties (they sum to < 1).
VOTING_METHODS = (
    ("duval_triangle_1", "duval", DUVAL_TRIANGLE_1_RULES, 0.4),
    ("iec_60599_ratios", "iec", IEC_60599_RATIO_RULES, 0.2),
    ("rogers", "rogers", ROGERS_RULES, 0.1),
    ("doernenburg", "doernenburg", DOERNENBURG_RULES, 0.05),
)


def evaluate(col, n) -> None:
    """Fault presence, vote on the fault type, health index, severity and rank."""
    status = col["ieee2019_status"]
    present = status >= 2
    col["fault_present"] = np.where(status == 0, -1, present).astype(np.int8)

    answers = []
    for _, prefix, rules, _ in VOTING_METHODS:
        col[f"{prefix}_fault_type"] = fault_type_codes(rules, col[f"{prefix}_rule"])
        answers.append(col[f"{prefix}_fault_type"])
    family = np.array([FAULT_TYPES.index(FAULT_FAMILY[t]) if t in FAULT_FAMILY else -2 for t in FAULT_TYPES])
    scores = np.zeros((n, len(FAULT_TYPES)))
    for code in range(len(FAULT_TYPES)):
        for answer, (*_, weight) in zip(answers, VOTING_METHODS):
            exact = answer == code
            scores[:, code] += (exact | (answer == family[code])) + weight * exact
    best = np.argmax(scores, axis=1)
    fault_type = np.where(present & (scores.max(axis=1) >= 1), best, -1).astype(np.int8)
    col["fault_type"] = fault_type
    supporting = np.zeros(n, np.int8)
    for bit, answer in enumerate(answers):
        supports = (fault_type >= 0) & ((answer == fault_type) | (answer == family[fault_type]))
        supporting |= (supports << bit).astype(np.int8)
    col["fault_supporting"] = supporting
    col["fault_agreement"] = sum((supporting >> bit) & 1 for bit in range(len(answers))).astype(np.int8)
    col["fault_methods_applicable"] = sum(
        col[f"{prefix}_applicable"].astype(np.int8) for _, prefix, _, _ in VOTING_METHODS).astype(np.int8)

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


def verdict_dict(c: Mapping[str, list], i: int) -> dict:
    """The JSON-ready verdict of sample i from columns already converted to lists."""
    fault_type = c["fault_type"][i]
    present = c["fault_present"][i]
    supporting = c["fault_supporting"][i]
    return {
        "fault": {
            "present": None if present < 0 else bool(present),
            "type": FAULT_TYPES[fault_type] if fault_type >= 0 else None,
            "description": FAULT_DESCRIPTIONS[FAULT_TYPES[fault_type]] if fault_type >= 0 else None,
            "agreement": {
                "methods": c["fault_agreement"][i],
                "of": c["fault_methods_applicable"][i],
                "supporting": [name for bit, (name, *_) in enumerate(VOTING_METHODS) if supporting >> bit & 1],
            },
            "severity": SEVERITIES[c["severity"][i]],
        },
        "health_index": {"value": rounded(c["health_index"][i], 1), "factors": _health_factors(c, i)},
        "rank": rounded(c["rank"][i], 1),
        "action": ACTIONS[c["severity"][i]],
        "methods": {
            "duval_triangle_1": duval_triangles.as_dict(c, i),
            "duval_pentagon_1": duval_pentagons.as_dict(c, i, "pentagon1"),
            "duval_pentagon_2": duval_pentagons.as_dict(c, i, "pentagon2"),
            "iec_60599_ratios": iec_60599.as_dict(c, i),
            "rogers": rogers.as_dict(c, i),
            "doernenburg": doernenburg.as_dict(c, i),
            "ieee_c57_104_2008": ieee_c57_104_2008.as_dict(c, i),
            "ieee_c57_104_2019": ieee_c57_104_2019.as_dict(c, i),
        },
        "input": issues_dict(c, i),
    }


AGREEMENT_SCHEMA = object_of({
    "methods": {"type": "integer", "minimum": 0, "description": "How many methods name the fault type."},
    "of": {"type": "integer", "minimum": 0, "description": "How many methods were applicable."},
    "supporting": {"type": "array", "items": one_of([name for name, *_ in VOTING_METHODS])},
})
VERDICT_SCHEMA = {
    "title": "Verdict",
    **object_of({
        "fault": object_of({
            "present": {"type": ["boolean", "null"]},
            "type": one_of((*FAULT_TYPES, None)),
            "description": TEXT_OR_NULL,
            "agreement": AGREEMENT_SCHEMA,
            "severity": one_of(SEVERITIES),
        }),
        "health_index": object_of({
            "value": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
            "factors": {"type": "array", "items": object_of({"factor": {"type": "string"}, "detail": {"type": "string"},
                                                           "penalty": {"type": "number"}})},
        }),
        "rank": {"type": ["number", "null"]},
        "action": one_of(ACTIONS),
        "methods": object_of({
            "duval_triangle_1": duval_triangles.SCHEMA,
            "duval_pentagon_1": duval_pentagons.SCHEMA,
            "duval_pentagon_2": duval_pentagons.SCHEMA,
            "iec_60599_ratios": iec_60599.SCHEMA,
            "rogers": rogers.SCHEMA,
            "doernenburg": doernenburg.SCHEMA,
            "ieee_c57_104_2008": ieee_c57_104_2008.SCHEMA,
            "ieee_c57_104_2019": ieee_c57_104_2019.SCHEMA,
        }),
        "input": INPUT_SCHEMA,
    }),
}


def verdicts_from_columns(columns: Mapping[str, np.ndarray]) -> list[dict]:
    """The JSON-ready verdict dict of every sample in a columnar result."""
    lists = {key: values.tolist() for key, values in columns.items()}
    return [verdict_dict(lists, i) for i in range(len(columns["rank"]))]
