"""Dissolved-gas analysis (DGA) interpretation engine: pure Python + NumPy, no I/O.

## Choices made where the public sources disagree

The decision rules come from `/work/shared/dga/STANDARDS.md`, which gives for each value
the public implementations it was read from (keys TM, MCM, XD, TS, SEV, TK, PY, RX below).

- **Ratios with a zero gas**: x/0 with x > 0 is +infinity, so it lies above every bound;
  0/0 is read as 0, because two absent gases point to the lowest code. A ratio method is
  "not applicable" only when every gas it uses is zero. TM sets any ratio with a zero
  denominator to 0. Ratios are compared unrounded; TM rounds them to 2 decimals first.
- **Duval Triangle 1**: a point on a zone boundary belongs to the zone whose lower bound
  it meets ("≥ lower, < upper"; TM, MCM and XD agree). The D2/DT corner is at 40 % C2H4.
- **IEC 60599 ratio method** (2015 Table 2): follows TM, which agrees with the majority
  on each disputed cell. "NS" means the ratio is not checked, so C2H2/C2H4 is ignored for
  PD and T1 (TM, XD; MCM needs < 0.01). T1 needs CH4/H2 > 1 and C2H4/C2H6 < 1 (TM, MCM;
  XD skips CH4/H2). Ranges written "a – b" are inclusive. The rules are tried in the
  order PD, D1, D2, T1, T2, T3 and the first match wins (TM, XD), so a point that fits
  both D1 and D2 is D1.
- **Rogers** (C57.104-2008 Table 5): CH4/H2 is "0.1 ≤ r ≤ 1" for cases 0, 2 and 3, and
  case 5 is C2H4/C2H6 > 3 (TM, MCM; XD differs).
- **Doernenburg** (C57.104-2008 §6.4): L1 is H2 100, CH4 120, CO 350, C2H2 1, C2H4 50,
  C2H6 65 ppm (the CO2 value from RX is not used). Step 1: one of H2, CH4, C2H2, C2H4 is
  above 2×L1 and one of C2H6, CO is above L1 (TM). The text says "the other three
  gases", but only these two are left in the L1 table. Step 2: each ratio has a gas above
  L1 (TM). Arcing needs 0.1 < CH4/H2 < 1, strictly (TM, the only source that gives
  operators). CO is optional: if it is missing it counts as not above L1.
- **IEEE C57.104-2008 conditions**: a value above the upper bound of Condition k is
  Condition k+1. This leaves no gap for non-integers, and CO2 = 2500 is Condition 1 (PY).
  The overall condition is the worst of the gases and TDCG (PY). TDCG = H2 + CH4 + C2H6
  + C2H4 + C2H2 + CO and needs all six. The 2008 TDCG rates (ppm/day) are not evaluated.
- **IEEE C57.104-2019**:
  - O2/N2 comes from the sample when O2 and N2 are both valid and N2 > 0. Otherwise it
    comes from the oil preservation ("sealed" ⇒ ≤ 0.2, "free_breathing" ⇒ > 0.2).
    Otherwise the **> 0.2 (free-breathing) tables** are used (TM, TS; SEV reports
    "insufficient data" instead). They are lower for H2, CH4, C2H6, CO and CO2, so this
    default flags sooner, except for C2H2 (Table 1 limit 2 ppm instead of 1). An O2/N2
    of exactly 0.2 uses the ≤ 0.2 column.
  - Age bands: unknown (missing, ≤ 0 or not finite), 0 < age < 10 → "1-9",
    10 ≤ age ≤ 30 → "10-30", age > 30 → ">30" (TM, SEV).
  - The status logic is variant A (SEV, TK). Status 3: a gas above Table 2, or a rate
    above Table 4. Status 2: a gas above Table 1, or a delta above Table 3. Otherwise
    Status 1. Every table is evaluated and every exceedance is reported. A value equal
    to a limit is within it (SEV, TK, TM; MCM counts equality as exceeding).
  - Status 1 needs all seven gases. If a gas is missing and the others exceed nothing,
    the status is null ("insufficient data"). A Status 2 or 3 found in the gases that are
    given stands, because more gases can only raise the worst-gas status.
  - Table 3: |current − previous| > limit. So a large fall also counts; the table is of
    absolute changes (TS, SEV). For C2H2 the entry is "any increase": current − previous
    > 0. The previous sample is the latest earlier sample, whatever the time between.
  - Table 4: the window is the largest set of the 3–6 most recent samples (the current
    one included) whose time span is 4–24 months, both ends inclusive. A month is 30.4375
    days and a year 365.25 days. The rate of a gas is the slope of the least-squares
    line through the window's valid values of that gas, which needs 3 or more values
    (SEV), in ppm/year. A span ≤ 9 months uses the "4-9 months" row; a longer span uses
    "10-24 months" (SEV). Only rises count: rate > limit, and for C2H2 any rate > 0.
- ⚠ STANDARDS.md marks several of these for checking against the printed standards
  before release: the boundary inclusivity (Duval, Rogers), the 40 % D2/DT corner, the
  2008 condition gaps, the default O2/N2 column and the Table 3 status logic.
- **Combined verdict** (this engine's own rule, not from a standard): a fault is present
  when the 2019 status is 2 or 3. The Duval triangle never answers "normal", so it is
  gated by the status. A 2008 Condition 4 always implies a 2019 status ≥ 2, so the gate
  agrees with 2008 at the extreme.

## Duval Triangle 1 geometry

An equilateral triangle with side 100: 100 % C2H2 at (0, 0), 100 % C2H4 at (100, 0) and
100 % CH4 at the top (50, 86.603). A point with relative percentages (%CH4, %C2H4, %C2H2)
lies at x = %C2H4 + %CH4 / 2, y = %CH4 · √3 / 2. `DUVAL_TRIANGLE_1_POLYGONS` gives each
zone as (x, y) vertices in the same coordinates (from the TM vertices), so a client can
draw the triangle. `DUVAL_TRIANGLE_1_VERTICES_PERCENT` gives the same zones as
(%CH4, %C2H4, %C2H2) triples.

## Methods

- Duval Triangle 1 (IEC 60599 Annex B): zone PD, T1, T2, T3, D1, D2 or DT from
  %CH4 = 100·CH4/(CH4 + C2H4 + C2H2), and the same for C2H4 and C2H2.
- IEC 60599 ratios C2H2/C2H4, CH4/H2, C2H4/C2H6: PD, D1, D2, T1, T2, T3 or
  "no diagnosis".
- Rogers ratios (the same three): case 0 "normal", or cases 1–5 (PD, D2, T1, T2, T3),
  or "no diagnosis".
- Doernenburg ratios CH4/H2, C2H2/C2H4, C2H2/CH4, C2H6/C2H2 behind the two L1 validity
  steps: "thermal", "corona", "arcing" or "no diagnosis". When a step fails, the answer
  is "not applicable", with the step in the reason.
- IEEE C57.104-2008: Condition 1–4 for each gas and for TDCG.
- IEEE C57.104-2019: levels from Tables 1/2 by O2/N2 column and age band, the Table 3
  delta to the previous sample, the Table 4 rates, and DGA Status 1/2/3 with reasons.
  Each reason gives the gas, table, value and limit.

## Combined verdict, health index and rank

- `fault.type`: a vote over the four interpretation methods (Duval, IEC, Rogers,
  Doernenburg), counted only when a fault is present. A method supports a fault type
  when it gives that type. Doernenburg's coarse "thermal"/"arcing" answers support T1/T2/T3
  and D1/D2. The type with the most support wins. Ties go to Duval, then IEC, then
  Rogers (Duval Triangle 1 is the primary method of IEC 60599 and always answers). The
  coarse types "T" and "D" appear only when Doernenburg is the sole support.
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

## Output shape of `diagnose` (JSON-ready; floats rounded, never NaN/inf)

    {"fault": {"present": bool | None, "type": str | None, "description": str | None,
               "agreement": {"methods": int, "of": int, "supporting": [method, ...]},
               "severity": "none|unknown|low|medium|high|critical"},
     "health_index": {"value": float | None,
                      "factors": [{"factor": str, "detail": str, "penalty": float}]},
     "rank": float,
     "action": str,
     "methods": {
        "duval_triangle_1": {"applicable", "reason", "result", "fault_type", "description",
                             "percent": {"ch4", "c2h4", "c2h2"}, "point": {"x", "y"}},
        "iec_60599_ratios": {"applicable", "reason", "result", "fault_type", "description",
                             "ratios": {"c2h2_c2h4", "ch4_h2", "c2h4_c2h6"}},
        "rogers": {... as IEC ..., "case": 0-5 | None},
        "doernenburg": {... as IEC with ratios ch4_h2, c2h2_c2h4, c2h2_ch4, c2h6_c2h2 ...,
                        "validity": {"fault_levels": bool | None,
                                     "ratios_significant": bool | None}},
        "ieee_c57_104_2008": {"applicable", "reason", "condition", "complete",
                              "gases": {gas: 1-4 | None}, "tdcg": {"ppm", "condition"} | None},
        "ieee_c57_104_2019": {"applicable", "reason", "status": 1|2|3|None,
                              "o2_n2": {"value", "basis", "column"}, "age_years", "age_band",
                              "reasons": [{"gas", "table", "kind", "value", "limit",
                                           "status", "text"}],
                              "limitations": [str], "limits": {"table_1".."table_4"},
                              "deltas": {gas: ppm} | None, "previous_sample_days": float | None,
                              "rates": {gas: ppm/year} | None,
                              "rate_window": {"samples", "months", "row"} | None}},
     "input": {"issues": [{"field": str, "problem": str}]}}

Every method always carries `applicable` (bool) and `reason` (str, or None when
applicable), and always has the same keys: a key that cannot be filled is null.
`result` is the method's own answer label: the zone, the case code, "normal", "thermal",
and so on, or "no diagnosis". `fault_type` is that answer mapped to `FAULT_TYPES`.
Ratios are shown whenever the method's gases are valid, even when a validity step
fails. A ratio whose denominator gas is 0 (an unbounded ratio) is shown as null.

## Single and batch paths

`diagnose` turns one sample into arrays of length 1 and runs the same vectorized rules
(`_evaluate`) as `diagnose_batch`. The two paths therefore compute every ratio and
comparison with the same operations in the same order, and they agree on every boundary
by construction. `diagnose_batch(..., columnar=True)` returns those arrays (see
`diagnose_batch`). `verdicts_from_columns` turns them into the dicts above.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from shared.dga import doernenburg, duval_triangles, iec_60599, rogers
from shared.dga.doernenburg import (DOERNENBURG_KEY_GASES, DOERNENBURG_L1, DOERNENBURG_OTHER_GASES, DOERNENBURG_RATIOS,
                                    DOERNENBURG_RULES)
from shared.dga.duval_triangles import (DUVAL_GASES, DUVAL_POINT_SCHEMA, DUVAL_TRIANGLE_1_POLYGONS,
                                        DUVAL_TRIANGLE_1_RULES, DUVAL_TRIANGLE_1_VERTICES_PERCENT, duval_point)
from shared.dga.iec_60599 import IEC_60599_RATIO_RULES
from shared.dga.ratios import RATIO_METHOD_GASES, RATIOS, THREE_RATIOS, ratios_of
from shared.dga.rogers import ROGERS_RULES
from shared.dga.rules import FAULT_DESCRIPTIONS, FAULT_TYPES, NO_DIAGNOSIS, Rule, fault_type_codes, all_of
from shared.dga.output import rounded, as_text
from shared.dga import ieee_c57_104_2008, ieee_c57_104_2019
from shared.dga.ieee_c57_104_2008 import IEEE_2008_CONDITION_LIMITS, TDCG_GASES
from shared.dga.ieee_c57_104_2019 import (AGE_BANDS, IEEE_2019_TABLE_1, IEEE_2019_TABLE_2, IEEE_2019_TABLE_3,
                                          IEEE_2019_TABLE_4, INCREASE_ONLY_GASES, O2_N2_BASES, O2_N2_COLUMNS,
                                          O2_N2_SEALED_MAX, RATE_MAX_MONTHS, RATE_MAX_SAMPLES, RATE_MIN_MONTHS,
                                          RATE_MIN_SAMPLES, RATE_ROWS, RATE_SHORT_ROW_MAX_MONTHS)
from shared.dga.bands import Band, above, at_least, below, between, count_above, from_up_to, strictly_between
from shared.dga.inputs import (INPUT_PROBLEMS, INPUT_SCHEMA, OK, Inputs, batch_inputs, classify, invalid,
                               issues_dict, single_inputs, valid_or_nan)
from shared.dga.output import TEXT_OR_NULL, nullable, numbers_of, object_of, one_of
from shared.dga.gases import (ATMOSPHERIC_GASES, DAY_SECONDS, GAS_LABELS, GASES, MAX_PPM, MONTH_SECONDS,
                              OIL_PRESERVATIONS, SAMPLE_FIELDS, SEALED, YEAR_SECONDS, labels)

# The engine's version: raised whenever a verdict on the same data could come out different.
# Stored verdicts (`shared/verdict_store.py`) written by another version are served as stale.
ENGINE_VERSION = "1.0.0"

# The coarse answer that also supports a fine type in the vote.
FAULT_FAMILY = {"D1": "D", "D2": "D", "T1": "T", "T2": "T", "T3": "T"}

STATUS_PENALTY = (0.0, 0.0, 20.0, 40.0)  # by 2019 status 0 (unknown), 1, 2, 3
CONDITION_2008_PENALTY = (0.0, 0.0, 5.0, 10.0, 20.0)  # by 2008 condition 0 (none), 1..4
GAS_EXCESS_MAX_PENALTY = 20.0  # reached at 10 × the Table 2 limit
FAULT_TYPE_PENALTY = {"PD": 5.0, "D1": 15.0, "D2": 20.0, "DT": 15.0, "T1": 5.0, "T2": 10.0, "T3": 15.0,
                      "T": 10.0, "D": 15.0}
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

# ---------------------------------------------------------------------------------------
# Vectorized rules (the one implementation both paths run)


def _verdict(col, n) -> None:
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


def _evaluate(inp: Inputs) -> dict[str, np.ndarray]:
    """Run every rule over n samples; return the columnar result (see `diagnose_batch`)."""
    n = len(inp.sample_times)
    col: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        ppm, valid = {}, {}
        for field in SAMPLE_FIELDS:
            problem = classify(inp.raw[field], inp.not_a_number[field])
            valid[field] = problem == OK
            ppm[field] = np.where(valid[field], inp.raw[field], np.nan)
            col[f"problem_{field}"] = problem
            col[f"ppm_{field}"] = ppm[field]
        ratios = ratios_of(ppm)
        for name, values in ratios.items():
            col[f"ratio_{name}"] = values
        duval_triangles.evaluate(col, ppm, valid, n)
        iec_60599.evaluate(col, ppm, valid, ratios, n)
        rogers.evaluate(col, ppm, valid, ratios, n)
        doernenburg.evaluate(col, ppm, valid, ratios, n)
        ieee_c57_104_2008.evaluate(col, ppm, valid)
        ieee_c57_104_2019.evaluate(col, ppm, valid, inp, n)
        _verdict(col, n)
    return col


# ---------------------------------------------------------------------------------------
# JSON-ready dicts from the columns


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


def _verdict_dict(c: Mapping[str, list], i: int) -> dict:
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
            "iec_60599_ratios": iec_60599.as_dict(c, i),
            "rogers": rogers.as_dict(c, i),
            "doernenburg": doernenburg.as_dict(c, i),
            "ieee_c57_104_2008": ieee_c57_104_2008.as_dict(c, i),
            "ieee_c57_104_2019": ieee_c57_104_2019.as_dict(c, i),
        },
        "input": issues_dict(c, i),
    }


# The verdict `_verdict_dict` writes, as JSON Schema (the OpenAPI document's `Verdict`): every
# key is always present; a value the engine could not work out is null.


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
    return [_verdict_dict(lists, i) for i in range(len(columns["rank"]))]


# ---------------------------------------------------------------------------------------
# Public entry points


def diagnose(sample: Mapping[str, Any], *, history: Sequence[Mapping[str, Any]] = (),
             age_years: float | None = None, oil_preservation: str | None = None) -> dict:
    """Interpret one DGA sample; never raises for bad values, never returns NaN or infinity.

    sample: gas ppm values keyed by lowercase gas name (GASES, plus optional "o2", "n2"),
    and optionally "sampled_at": a datetime (naive = UTC), a date, or epoch seconds.
    Each value must be a real number (int, float, Decimal, NumPy number) that is ≥ 0 and
    ≤ MAX_PPM. Anything else counts as missing for the methods and is listed in
    input.issues.
    history: earlier samples of the same unit, each with "sampled_at" and its gases. An
    entry without a valid time, or one not earlier than the sample, is ignored. The
    entries are used in time order: the latest one gives the 2019 Table 3 delta, and the
    last 3–6 samples give the Table 4 rates.
    age_years: age of the unit in years. None, ≤ 0 or not finite means "unknown".
    oil_preservation: "sealed" or "free_breathing". It is used only when the sample has
    no valid O2/N2.
    Returns the dict described in the module docstring.
    """
    columns = _evaluate(single_inputs(sample, history, age_years, oil_preservation))
    return _verdict_dict({key: values.tolist() for key, values in columns.items()}, 0)


def diagnose_batch(gases: Mapping[str, np.ndarray], *, age_years: np.ndarray | None = None,
                   oil_preservation: Sequence[str | None] | None = None,
                   history_times: np.ndarray | None = None,
                   history_gases: Mapping[str, np.ndarray] | None = None,
                   sample_times: np.ndarray | None = None,
                   columnar: bool = False) -> list[dict] | dict[str, np.ndarray]:
    """Vectorized `diagnose` over n samples; element i equals diagnose(sample_i, history=..., ...).

    gases: SAMPLE_FIELDS name -> 1-D float array of length n. NaN means missing, and a
    field that is absent is all missing. Negative, infinite and > MAX_PPM values are
    invalid, as in `diagnose`.
    age_years: (n,) years, NaN = unknown. oil_preservation: n entries, "sealed",
    "free_breathing" or None.
    sample_times: (n,) epoch seconds of each sample (what `datetime.timestamp()` gives),
    NaN = unknown.
    history_times: (n, k) epoch seconds of earlier samples, NaN-padded; the current
    sample is not included. history_gases: GASES name -> (n, k) ppm, NaN-padded. The
    entries of a row may be in any order; they are used as in `diagnose`.
    A shape mismatch raises ValueError, because it is a programming error. Bad values
    never raise.

    columnar=False returns the list of verdict dicts. columnar=True returns the cheap
    columnar form: a dict of NumPy arrays of length n, with NaN where a value is absent.
    Codes index the module's tuples:
    - `fault_type` → FAULT_TYPES, and -1 = none;
    - `severity` → SEVERITIES;
    - `fault_present`: -1 unknown, 0 no, 1 yes;
    - `duval_rule` / `iec_rule` / `rogers_rule` / `doernenburg_rule` → that method's
      rule tuple, and -1 = not applicable or no diagnosis;
    - `<method>_applicable` (bool);
    - `ieee2019_status`: 0 = unknown;
    - `ieee2008_condition`: 0 = none;
    - `problem_<field>` → INPUT_PROBLEMS.
    The other columns: `health_index`, `rank`, `duval_pct_<gas>`, `duval_x`, `duval_y`,
    `ratio_<name>`, `ieee2019_level_<gas>`, `ieee2019_delta_<gas>` and
    `ieee2019_rate_<gas>`. Pass the columnar form to `verdicts_from_columns` to get the
    dicts.
    """
    inputs = batch_inputs(gases, age_years, oil_preservation, history_times, history_gases, sample_times)
    columns = _evaluate(inputs)
    return columns if columnar else verdicts_from_columns(columns)
