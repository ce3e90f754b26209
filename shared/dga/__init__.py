"""Dissolved-gas analysis (DGA) interpretation engine: pure Python + NumPy, no I/O.

`diagnose` (one sample) and `diagnose_batch` (NumPy arrays of many) are the entry points;
every constant callers use is importable from here (`dga.GASES`, `dga.VERDICT_SCHEMA`, ...).
One module per concern, each holding its tables, its logic and the shaping of its output:

- `gases`: the gases, their labels, MAX_PPM, oil preservations, insulating liquids, seconds
  per day/month/year.
- `inputs`: parsing and validation of one sample or a batch, `input.issues`.
- `bands`, `rules`, `ratios`, `output`: interval bands, decision tables and the fault types
  they name, gas ratios (the zero-gas choice), number formatting and JSON Schema blocks.
- `duval_triangles`, `duval_pentagons`, `iec_60599`, `rogers`, `doernenburg`, `ieee_c57_104_2008`,
  `ieee_c57_104_2019`: one method or standard each; `co2_co`: the CO2/CO cellulose indicator.
- `liquids`: which methods hold for a unit's insulating liquid (the mineral-oil-only ones say
  "not applicable to <liquid>" for the others), and the sources of that decision.
- `typical`: the trace-level gate — a method none of whose gases moves the 2019 status (all
  within Table 1, none rising past Table 3 or 4) says "below typical values" instead of naming
  a fault.
- `ai_model`: the learned fault-type method's gates, answer and schema (the model is passed
  in: `diagnose(..., model=...)`, served by `shared/model/serving.py`).
- `verdict`: the combined verdict (the hierarchy of methods, health index, severity, rank,
  action), the verdict dict and `VERDICT_SCHEMA`.
- `rows`: database rows → these arrays, and columns → the short verdict summary (imported
  by the resources that read the database, not by this package).

## Choices made where the public sources disagree

The decision rules come from `/work/shared/dga/STANDARDS.md`, which gives for each value the
public implementations it was read from (keys TM, MCM, XD, TS, SEV, TK, PY, RX). Each choice
is written in the docstring of the module that makes it: ratios with a zero gas (`ratios`),
Duval boundaries and the D2/DT corner (`duval_triangles`), the pentagon zone vertices, centroid
and edge rule (`duval_pentagons`), the IEC table cells and rule order
(`iec_60599`), the Rogers bounds (`rogers`), the Doernenburg L1 values and steps
(`doernenburg`), the 2008 condition bounds (`ieee_c57_104_2008`), the 2019 O2/N2 column,
age bands, status logic and Tables 3/4 (`ieee_c57_104_2019`), the trace-level gate
(`typical`) and the CO2/CO thresholds (`co2_co`). The combined verdict is this
engine's own rule, not a standard's (`verdict`).

⚠ STANDARDS.md marks several of these for checking against the printed standards before
release: the boundary inclusivity (Duval, Rogers), the 40 % D2/DT corner, the 2008 condition
gaps, the default O2/N2 column and the Table 3 status logic.

## Output shape of `diagnose` (JSON-ready; floats rounded, never NaN/inf)

    {"fault": {"present": bool | None, "type": str | None, "description": str | None,
               "agreement": {"methods": int, "of": int, "supporting": [method, ...],
                             "dissenting": [method, ...], "basis": method | None},
               "refinement": {"type": str, "description": str, "method": str} | None,
               "severity": "none|unknown|low|medium|high|critical"},
     "health_index": {"value": float | None,
                      "factors": [{"factor": str, "detail": str, "penalty": float}]},
     "rank": float,
     "action": str,
     "methods": {
        "duval_triangle_1": {"applicable", "reason", "result", "fault_type", "description",
                             "percent": {"ch4", "c2h4", "c2h2"}, "point": {"x", "y"}},
        "duval_triangle_3": {... as Triangle 1; never applicable (no confirmed variant) ...},
        "duval_triangle_4": {... as Triangle 1, "percent": {"h2", "ch4", "c2h6"} ...},
        "duval_triangle_5": {... as Triangle 1, "percent": {"ch4", "c2h4", "c2h6"} ...},
        "duval_pentagon_1": {"applicable", "reason", "result", "fault_type", "description",
                             "percent": {"h2", "c2h6", "ch4", "c2h4", "c2h2"}, "point": {"x", "y"}},
        "duval_pentagon_2": {... as duval_pentagon_1 ...},
        "iec_60599_ratios": {"applicable", "reason", "result", "fault_type", "description",
                             "ratios": {"c2h2_c2h4", "ch4_h2", "c2h4_c2h6"},
                             "undefined_ratios": [name] | None, "matches": [result, ...]},
        "rogers": {... as IEC without "matches" ..., "case": 0-5 | None},
        "doernenburg": {... as IEC with ratios ch4_h2, c2h2_c2h4, c2h2_ch4, c2h6_c2h2 ...,
                        "validity": {"fault_levels": bool | None,
                                     "ratios_significant": bool | None}},
        "ieee_c57_104_2008": {"applicable", "reason", "condition", "complete",
                              "gases": {gas: 1-4 | None}, "tdcg": {"ppm", "condition"} | None},
        "ieee_c57_104_2019": {"applicable", "reason", "status": 1|2|3|None,
                              "o2_n2": {"value", "basis", "column"},
                              "alternative": {"column", "status"} | None, "age_years", "age_band",
                              "reasons": [{"gas", "table", "kind", "value", "limit",
                                           "status", "text"}],
                              "limitations": [str], "limits": {"table_1".."table_4"},
                              "deltas": {gas: ppm} | None, "previous_sample_days": float | None,
                              "rates": {gas: ppm/year} | None,
                              "rate_window": {"samples", "months", "row"} | None},
        "co2_co": {"applicable", "reason", "ratio", "indicator": "none" | "paper_involvement" |
                   "mild_overheating_or_oxidation" | None, "description"},
        "ai_model": {"applicable", "reason", "result", "fault_type", "description",   # only with a model
                     "probabilities": {class: p}, "out_of_distribution": bool,
                     "nearest_cases": [{"label", "source", "row", "distance"}] (3)}},
     "input": {"issues": [{"field": str, "problem": str}]}}

Every method always carries `applicable` (bool) and `reason` (str, or None when
applicable), and always has the same keys: a key that cannot be filled is null.
`result` is the method's own answer label: the zone, the case code, "normal", "thermal",
and so on, or "no diagnosis". `fault_type` is that answer mapped to `FAULT_TYPES`.
Ratios are shown whenever the method's gases are valid, even when a validity step
fails. A ratio whose denominator gas is 0 (x/0 unbounded, or 0/0 undefined) is shown as
null; `undefined_ratios` names the 0/0 ones. `result` and `fault_type` come from the first
table row that holds, in table order; IEC's `matches` lists every row that holds (its D1 and
D2 rows overlap). A method whose gases are all within the 2019 Table 1 limits is not
applicable, reason "below typical values (...)" with the values compared (`typical`).

## Single and batch paths

`diagnose` turns one sample into arrays of length 1 and runs the same vectorized rules
(`_evaluate`, below) as `diagnose_batch`. The two paths therefore compute every ratio and
comparison with the same operations in the same order, and they agree on every boundary
by construction. `diagnose_batch(..., columnar=True)` returns those arrays (see
`diagnose_batch`). `verdicts_from_columns` turns them into the dicts above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from shared.dga import (co2_co, doernenburg, duval_pentagons, duval_triangles, iec_60599, ieee_c57_104_2008,
                        ieee_c57_104_2019, liquids, rogers, typical, verdict)
from shared.dga.bands import Band, above, at_least, below, between, from_up_to, strictly_between
from shared.dga.doernenburg import (DOERNENBURG_KEY_GASES, DOERNENBURG_L1, DOERNENBURG_OTHER_GASES, DOERNENBURG_RATIOS,
                                    DOERNENBURG_RULES)
from shared.dga.duval_pentagons import (DUVAL_PENTAGON_1_POLYGONS, DUVAL_PENTAGON_1_RULES, DUVAL_PENTAGON_2_POLYGONS,
                                        DUVAL_PENTAGON_2_RULES, DUVAL_PENTAGON_AXIS_VERTICES, DUVAL_PENTAGON_GASES)
from shared.dga.duval_triangles import (DUVAL_GASES, DUVAL_POINT_SCHEMA, DUVAL_TRIANGLE_1_POLYGONS,
                                        DUVAL_TRIANGLE_1_RULES, DUVAL_TRIANGLE_1_VERTICES_PERCENT,
                                        DUVAL_TRIANGLE_4_GASES, DUVAL_TRIANGLE_4_POLYGONS, DUVAL_TRIANGLE_4_RULES,
                                        DUVAL_TRIANGLE_4_VERTICES_PERCENT, DUVAL_TRIANGLE_5_GASES,
                                        DUVAL_TRIANGLE_5_POLYGONS, DUVAL_TRIANGLE_5_RULES,
                                        DUVAL_TRIANGLE_5_VERTICES_PERCENT, duval_point)
from shared.dga.gases import (ATMOSPHERIC_GASES, DAY_SECONDS, GAS_LABELS, GASES, INSULATING_LIQUIDS, MAX_PPM,
                              MONTH_SECONDS, OIL_PRESERVATIONS, SAMPLE_FIELDS, YEAR_SECONDS)
from shared.dga.iec_60599 import IEC_60599_RATIO_RULES
from shared.dga.ieee_c57_104_2008 import IEEE_2008_CONDITION_LIMITS, TDCG_GASES
from shared.dga.ieee_c57_104_2019 import (AGE_BANDS, IEEE_2019_TABLE_1, IEEE_2019_TABLE_2, IEEE_2019_TABLE_3,
                                          IEEE_2019_TABLE_4, INCREASE_ONLY_GASES, O2_N2_BASES, O2_N2_COLUMNS,
                                          O2_N2_SEALED_MAX, RATE_MAX_MONTHS, RATE_MAX_SAMPLES, RATE_MIN_MONTHS,
                                          RATE_MIN_SAMPLES, RATE_ROWS, RATE_SHORT_ROW_MAX_MONTHS)
from shared.dga.inputs import INPUT_PROBLEMS, Inputs, batch_inputs, single_inputs, validated
from shared.dga.ratios import RATIO_METHOD_GASES, RATIOS, THREE_RATIOS, ratios_of
from shared.dga.rogers import ROGERS_RULES
from shared.dga.rules import FAULT_DESCRIPTIONS, FAULT_TYPES, NO_DIAGNOSIS, Rule
from shared.dga.verdict import (ACTIONS, AGREEMENT_SCHEMA, CONDITION_2008_PENALTY, CRITICAL_BELOW_HEALTH, FAULT_FAMILY,
                                FAULT_TYPE_PENALTY, GAS_EXCESS_MAX_PENALTY, MEDIUM_BELOW_HEALTH, NOT_FOR_LIQUID_ACTION,
                                SEVERITIES, STATUS_PENALTY, VERDICT_SCHEMA, AGREEMENT_METHODS, verdict_dict,
                                verdicts_from_columns)
from shared.dga.verdict import _severity  # noqa: F401 -- tests/test_dga_engine.py checks the severity edges on it

# The engine's version: raised whenever a verdict on the same data could come out different.
# Stored verdicts (`shared/verdict_store.py`) written by another version are served as stale.
ENGINE_VERSION = "2.0.0"

__all__ = [
    "ENGINE_VERSION", "diagnose", "diagnose_batch", "verdicts_from_columns",
    # gases
    "ATMOSPHERIC_GASES", "DAY_SECONDS", "GAS_LABELS", "GASES", "INSULATING_LIQUIDS", "MAX_PPM", "MONTH_SECONDS", "OIL_PRESERVATIONS",
    "SAMPLE_FIELDS", "YEAR_SECONDS", "INPUT_PROBLEMS",
    # bands, rules and ratios
    "Band", "above", "at_least", "below", "between", "from_up_to", "strictly_between",
    "FAULT_DESCRIPTIONS", "FAULT_TYPES", "NO_DIAGNOSIS", "Rule", "RATIO_METHOD_GASES", "RATIOS", "THREE_RATIOS",
    # methods
    "DUVAL_GASES", "DUVAL_POINT_SCHEMA", "DUVAL_TRIANGLE_1_POLYGONS", "DUVAL_TRIANGLE_1_RULES",
    "DUVAL_TRIANGLE_1_VERTICES_PERCENT", "DUVAL_TRIANGLE_4_GASES", "DUVAL_TRIANGLE_4_POLYGONS",
    "DUVAL_TRIANGLE_4_RULES", "DUVAL_TRIANGLE_4_VERTICES_PERCENT", "DUVAL_TRIANGLE_5_GASES",
    "DUVAL_TRIANGLE_5_POLYGONS", "DUVAL_TRIANGLE_5_RULES", "DUVAL_TRIANGLE_5_VERTICES_PERCENT", "duval_point",
    "DUVAL_PENTAGON_1_POLYGONS", "DUVAL_PENTAGON_1_RULES", "DUVAL_PENTAGON_2_POLYGONS", "DUVAL_PENTAGON_2_RULES",
    "DUVAL_PENTAGON_AXIS_VERTICES", "DUVAL_PENTAGON_GASES",
    "IEC_60599_RATIO_RULES", "ROGERS_RULES",
    "DOERNENBURG_KEY_GASES", "DOERNENBURG_L1", "DOERNENBURG_OTHER_GASES", "DOERNENBURG_RATIOS", "DOERNENBURG_RULES",
    "IEEE_2008_CONDITION_LIMITS", "TDCG_GASES",
    "AGE_BANDS", "IEEE_2019_TABLE_1", "IEEE_2019_TABLE_2", "IEEE_2019_TABLE_3", "IEEE_2019_TABLE_4",
    "INCREASE_ONLY_GASES", "O2_N2_BASES", "O2_N2_COLUMNS", "O2_N2_SEALED_MAX", "RATE_MAX_MONTHS", "RATE_MAX_SAMPLES",
    "RATE_MIN_MONTHS", "RATE_MIN_SAMPLES", "RATE_ROWS", "RATE_SHORT_ROW_MAX_MONTHS",
    # verdict
    "ACTIONS", "AGREEMENT_SCHEMA", "CONDITION_2008_PENALTY", "CRITICAL_BELOW_HEALTH", "FAULT_FAMILY",
    "FAULT_TYPE_PENALTY", "GAS_EXCESS_MAX_PENALTY", "MEDIUM_BELOW_HEALTH", "NOT_FOR_LIQUID_ACTION", "SEVERITIES",
    "STATUS_PENALTY", "VERDICT_SCHEMA", "AGREEMENT_METHODS",
]


def _evaluate(inp: Inputs, model=None) -> dict[str, np.ndarray]:
    """Run every rule (and `model`, if any) over n samples; return the columnar result (see `diagnose_batch`)."""
    n = len(inp.sample_times)
    col: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        ppm, valid = validated(inp, col)
        col["liquid"] = inp.liquid
        ratios = ratios_of(ppm)
        for name, values in ratios.items():
            col[f"ratio_{name}"] = values
        duval_triangles.evaluate(col, ppm, valid, n)
        duval_pentagons.evaluate(col, ppm, valid)
        iec_60599.evaluate(col, ppm, valid, ratios, n)
        rogers.evaluate(col, ppm, valid, ratios, n)
        doernenburg.evaluate(col, ppm, valid, ratios, n)
        ieee_c57_104_2008.evaluate(col, ppm, valid)
        co2_co.evaluate(col, ppm, valid)
        ieee_c57_104_2019.evaluate(col, ppm, valid, inp, n)
        liquids.gate(col)  # after every method: the mineral-oil-only ones, for other liquids
        typical.gate(col)  # reads the 2019 levels; the verdict must see the gated answers
        if model is not None:  # the learned method (`ai_model`): gated like the others, before the verdict
            model.evaluate(col, ppm, valid)
        duval_triangles.follow_triangle_1(col)
        verdict.evaluate(col, n)
    return col


def diagnose(sample: Mapping[str, Any], *, history: Sequence[Mapping[str, Any]] = (),
             age_years: float | None = None, oil_preservation: str | None = None,
             insulating_liquid: str | None = None, model=None) -> dict:
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
    insulating_liquid: one of INSULATING_LIQUIDS; None or anything else means mineral oil.
    model: the served learned model (`shared/model/serving.py`), or None for the published
    methods alone; with one, the verdict carries `methods.ai_model` (`ai_model`).
    Returns the dict described in the package docstring.
    """
    columns = _evaluate(single_inputs(sample, history, age_years, oil_preservation, insulating_liquid), model)
    return verdict_dict({key: values.tolist() for key, values in columns.items()}, 0)


def diagnose_batch(gases: Mapping[str, np.ndarray], *, age_years: np.ndarray | None = None,
                   oil_preservation: Sequence[str | None] | None = None,
                   history_times: np.ndarray | None = None,
                   history_gases: Mapping[str, np.ndarray] | None = None,
                   sample_times: np.ndarray | None = None,
                   insulating_liquid: Sequence[str | None] | None = None,
                   model=None, columnar: bool = False) -> list[dict] | dict[str, np.ndarray]:
    """Vectorized `diagnose` over n samples; element i equals diagnose(sample_i, history=..., ...).

    gases: SAMPLE_FIELDS name -> 1-D float array of length n. NaN means missing, and a
    field that is absent is all missing. Negative, infinite and > MAX_PPM values are
    invalid, as in `diagnose`.
    age_years: (n,) years, NaN = unknown. oil_preservation: n entries, "sealed",
    "free_breathing" or None. insulating_liquid: n entries of INSULATING_LIQUIDS or None
    (mineral). model: as in `diagnose`.
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
    - `duval_rule` / `duval4_rule` / `duval5_rule` / `pentagon1_rule` / `pentagon2_rule` /
      `iec_rule` / `rogers_rule` / `doernenburg_rule` → that method's rule tuple, and -1 =
      not applicable or no diagnosis (`duval3_rule` is always -1);
    - `<method>_applicable` (bool);
    - `iec_matches`: bitmask of every IEC row that holds (bit k = IEC_60599_RATIO_RULES[k]);
    - `ieee2019_status`: 0 = unknown; `ieee2019_other_column_status`: the status under the
      other O2/N2 column where the column was assumed, else 0;
    - `co2_co_indicator` → co2_co.INDICATORS, and -1 = not applicable;
    - `ieee2019_reason` / `ieee2008_reason` → `rules`' reason codes (NOT_FOR_LIQUID: not
      mineral oil, `liquids`);
    - `liquid` → INSULATING_LIQUIDS;
    - `ieee2008_condition`: 0 = none;
    - `problem_<field>` → INPUT_PROBLEMS.
    The other columns: `health_index`, `rank`, `duval_pct_<gas>`, `duval_x`, `duval_y` (and
    the same with the prefixes `duval3`, `duval4`, `duval5`), `pentagon_pct_<gas>`,
    `pentagon_x`, `pentagon_y`, `ratio_<name>`, `ieee2019_level_<gas>`,
    `ieee2019_table1_<gas>` (the Table 1 limit applied), `ieee2019_delta_<gas>`,
    `ieee2019_rate_<gas>` and `co2_co_ratio`; with a model, the `ai_model_*` columns (`ai_model`).
    Pass the columnar form to `verdicts_from_columns` to get the dicts.
    """
    inputs = batch_inputs(gases, age_years, oil_preservation, history_times, history_gases, sample_times,
                          insulating_liquid)
    columns = _evaluate(inputs, model)
    return columns if columnar else verdicts_from_columns(columns)
