"""IEEE C57.104-2019: Tables 1–4 by O2/N2 column and age band, and the DGA Status 1/2/3 with its reasons.

Levels from Tables 1/2, the Table 3 delta to the previous sample and the Table 4 rates; each
reason gives the gas, table, value and limit.

## Choices where the sources disagree

- O2/N2 comes from the sample when O2 and N2 are both valid and N2 > 0. Otherwise it comes
  from the oil preservation ("sealed" ⇒ ≤ 0.2, "free_breathing" ⇒ > 0.2). Otherwise the
  **> 0.2 (free-breathing) tables** are used (TM, TS; SEV reports "insufficient data"
  instead). They are lower for H2, CH4, C2H6, CO and CO2, so this default flags sooner,
  except for C2H2 (Table 1 limit 2 ppm instead of 1). An O2/N2 of exactly 0.2 uses the
  ≤ 0.2 column. Because that default is a guess, the status is also worked out under the
  other (≤ 0.2) column: the answer's `alternative` gives that column and its status (null when
  the column is known), and a limitation sentence names both statuses when they differ.
- Age bands: unknown (missing, ≤ 0 or not finite), 0 < age < 10 → "1-9",
  10 ≤ age ≤ 30 → "10-30", age > 30 → ">30" (TM, SEV).
- The status logic is variant A (SEV, TK). Status 3: a gas above Table 2, or a rate above
  Table 4. Status 2: a gas above Table 1, or a delta above Table 3. Otherwise Status 1.
  Every table is evaluated and every exceedance is reported. A value equal to a limit is
  within it (SEV, TK, TM; MCM counts equality as exceeding).
- Status 1 needs all seven gases. If a gas is missing and the others exceed nothing, the
  status is null ("insufficient data"). A Status 2 or 3 found in the gases that are given
  stands, because more gases can only raise the worst-gas status.
- Table 3: |current − previous| > limit, so a fall counts like a rise of the same size. For
  C2H2 the entry is "any increase": current − previous > 0. The previous sample is the latest
  earlier sample, whatever the time between. Sources: TS titles the table "95th percentile
  absolute deltas between successive samples" and SEV compares `abs(delta)`; MCM
  (`R/screening.R`, which calls itself "simplified") compares the signed `newest − previous`,
  so only rises count there. No public text of the standard's Table 3 could be read (the
  studylib copy shows its first page only). Kept |delta| because two of the three sources say
  so, one of them in the table's own title, and a 95th percentile of *absolute* changes makes
  a large fall as atypical as a large rise; a fall that large means the history is broken (oil
  processing such as degassing, a sampling or laboratory error, a mixed-up sample), and Status
  2's "confirm and resample" is the right call for that too. A fall is worded "fell", with
  that advice, so it is not read as gassing. ⚠ To check against the printed Table 3 and its
  notes on oil processing.
- Table 4: the window is the largest set of the 3–6 most recent samples (the current one
  included) whose time span is 4–24 months, both ends inclusive. A month is 30.4375 days and
  a year 365.25 days. The rate of a gas is the slope of the least-squares line through the
  window's valid values of that gas, which needs 3 or more values (SEV), in ppm/year. A span
  ≤ 9 months uses the "4-9 months" row; a longer span uses "10-24 months" (SEV). Only rises
  count: rate > limit, and for C2H2 any rate > 0.
"""

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from shared.dga.bands import count_above
from shared.dga.gases import DAY_SECONDS, GAS_LABELS, GASES, MONTH_SECONDS, SEALED, YEAR_SECONDS, labels
from shared.dga.inputs import Inputs, invalid, valid_or_nan
from shared.dga.output import TEXT_OR_NULL, as_text, nullable, numbers_of, object_of, one_of, rounded
from shared.dga.rules import APPLICABLE, FIRST_OWN_REASON, GAS_MISSING, NOT_FOR_LIQUID, mineral_only_reason

O2_N2_SEALED_MAX = 0.2
O2_N2_COLUMNS = ("<= 0.2", "> 0.2")
O2_N2_BASES = ("sample", "oil_preservation", "default")
AGE_BANDS = ("unknown", "1-9", "10-30", ">30")
# Tables 1 and 2 (ppm): [O2/N2 column][age band], in the order of O2_N2_COLUMNS and AGE_BANDS.
IEEE_2019_TABLE_1 = {
    "h2": ((80, 75, 75, 100), (40, 40, 40, 40)),
    "ch4": ((90, 45, 90, 110), (20, 20, 20, 20)),
    "c2h6": ((90, 30, 90, 150), (15, 15, 15, 15)),
    "c2h4": ((50, 20, 50, 90), (50, 25, 60, 60)),
    "c2h2": ((1, 1, 1, 1), (2, 2, 2, 2)),
    "co": ((900, 900, 900, 900), (500, 500, 500, 500)),
    "co2": ((9000, 5000, 10000, 10000), (5000, 3500, 5500, 5500)),
}
IEEE_2019_TABLE_2 = {
    "h2": ((200, 200, 200, 200), (90, 90, 90, 90)),
    "ch4": ((150, 100, 150, 200), (50, 60, 60, 30)),
    "c2h6": ((175, 70, 175, 250), (40, 30, 40, 40)),
    "c2h4": ((100, 40, 95, 175), (100, 80, 125, 125)),
    "c2h2": ((2, 2, 2, 4), (7, 7, 7, 7)),
    "co": ((1100, 1100, 1100, 1100), (600, 600, 600, 600)),
    "co2": ((12500, 7000, 14000, 14000), (7000, 5000, 8000, 8000)),
}
# Gases whose Table 3/4 entry is "any increase": limit 0 and only a rise counts.
INCREASE_ONLY_GASES = ("c2h2",)
# Table 3 (ppm): [O2/N2 column].
IEEE_2019_TABLE_3 = {
    "h2": (40, 25), "ch4": (30, 10), "c2h6": (25, 7), "c2h4": (20, 20),
    "c2h2": (0, 0), "co": (250, 175), "co2": (2500, 1750),
}
RATE_ROWS = ("4-9 months", "10-24 months")
# Table 4 (ppm/year): [O2/N2 column][rate row].
IEEE_2019_TABLE_4 = {
    "h2": ((50, 20), (25, 10)),
    "ch4": ((15, 10), (4, 3)),
    "c2h6": ((15, 9), (3, 2)),
    "c2h4": ((10, 7), (7, 5)),
    "c2h2": ((0, 0), (0, 0)),
    "co": ((200, 100), (100, 80)),
    "co2": ((1750, 1000), (1000, 800)),
}
RATE_MIN_SAMPLES, RATE_MAX_SAMPLES = 3, 6
RATE_MIN_MONTHS, RATE_MAX_MONTHS, RATE_SHORT_ROW_MAX_MONTHS = 4.0, 24.0, 9.0


def _history(inp: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Usable earlier samples, most recent first, NaN-padded to RATE_MAX_SAMPLES - 1 columns.

    Returns (times (n, 5), gases (len(GASES), n, 5), usable count (n,)). Columns are reversed
    before the stable sort so that, of two entries with the same time, the later-given one counts as newer.
    """
    times = inp.history_times[:, ::-1]
    usable = np.isfinite(times) & ~(times >= inp.sample_times[:, None])
    order = np.argsort(np.where(usable, -times, np.inf), axis=1, kind="stable")
    depth = RATE_MAX_SAMPLES - 1

    def newest_first(matrix):
        index = order.reshape((1,) * (matrix.ndim - 2) + order.shape)
        ordered = np.take_along_axis(np.where(usable, matrix, np.nan), index, axis=-1)[..., :depth]
        padding = [(0, 0)] * (ordered.ndim - 1) + [(0, depth - ordered.shape[-1])]
        return np.pad(ordered, padding, constant_values=np.nan)

    gases = np.stack([valid_or_nan(inp.history_gases[gas][:, ::-1]) for gas in GASES])
    return newest_first(times), newest_first(gases), usable.sum(axis=1)


def _stacked_table(table: Mapping[str, Any]) -> np.ndarray:
    """A per-gas limit table as one array with GASES along the first axis."""
    return np.array([table[gas] for gas in GASES], float)


_TABLE_1, _TABLE_2 = _stacked_table(IEEE_2019_TABLE_1), _stacked_table(IEEE_2019_TABLE_2)
_TABLE_3, _TABLE_4 = _stacked_table(IEEE_2019_TABLE_3), _stacked_table(IEEE_2019_TABLE_4)
_INCREASE_ONLY = np.array([[gas in INCREASE_ONLY_GASES] for gas in GASES])
_NO_VALID_GAS = FIRST_OWN_REASON  # the `ieee2019_reason` code of a sample without one valid gas


def evaluate(col, ppm, valid, inp: Inputs, n) -> None:
    """C57.104-2019 Tables 1–4 and DGA status; gases are stacked along the first axis."""
    from_sample = valid["o2"] & valid["n2"] & (ppm["n2"] > 0)
    o2_n2 = np.where(from_sample, ppm["o2"] / ppm["n2"], np.nan)
    free_breathing = np.where(from_sample, o2_n2 > O2_N2_SEALED_MAX, inp.preservation != SEALED)
    column = free_breathing.astype(np.int8)
    age = inp.age_years
    band = np.select([~(age > 0) | ~np.isfinite(age), age < 10, age <= 30], [0, 1, 2], 3).astype(np.int8)
    col["ieee2019_o2_n2"] = o2_n2
    col["ieee2019_o2_n2_basis"] = np.select([from_sample, inp.preservation > 0], [0, 1], 2).astype(np.int8)
    col["ieee2019_column"] = column
    col["ieee2019_age_band"] = band
    col["ieee2019_age_years"] = age

    past_times, past, used = _history(inp)
    t_now = inp.sample_times
    col["ieee2019_history_used"] = used
    col["ieee2019_has_previous"] = used >= 1
    col["ieee2019_previous_days"] = (t_now - past_times[:, 0]) / DAY_SECONDS

    window_times = [t_now] + [past_times[:, back] for back in range(RATE_MAX_SAMPLES - 1)]
    window = np.zeros(n, np.int8)
    span_months = np.full(n, np.nan)
    for size in range(RATE_MIN_SAMPLES, RATE_MAX_SAMPLES + 1):
        months = (t_now - window_times[size - 1]) / MONTH_SECONDS
        fits = (months >= RATE_MIN_MONTHS) & (months <= RATE_MAX_MONTHS)
        window[fits] = size
        span_months = np.where(fits, months, span_months)
    rate_row = (span_months > RATE_SHORT_ROW_MAX_MONTHS).astype(np.int8)  # 0 where there is no window
    col["ieee2019_rate_samples"] = window
    col["ieee2019_rate_months"] = span_months
    col["ieee2019_rate_row"] = np.where(window > 0, rate_row, -1).astype(np.int8)

    current = np.stack([ppm[gas] for gas in GASES])
    is_valid = np.stack([valid[gas] for gas in GASES])
    years = [(t - t_now) / YEAR_SECONDS for t in window_times]
    rate = _rate(window, [current] + [past[:, :, back] for back in range(RATE_MAX_SAMPLES - 1)], years)
    delta = current - past[:, :, 0]
    level, delta_exceeds, rate_exceeds, status = _status(column, band, current, is_valid, delta, rate, rate_row)
    for k, gas in enumerate(GASES):
        col[f"ieee2019_level_{gas}"] = level[k]
        col[f"ieee2019_table1_{gas}"] = _TABLE_1[k, column, band]
        col[f"ieee2019_table2_multiple_{gas}"] = current[k] / _TABLE_2[k, column, band]
        col[f"ieee2019_delta_{gas}"] = delta[k]
        col[f"ieee2019_delta_exceeds_{gas}"] = delta_exceeds[k]
        col[f"ieee2019_rate_{gas}"] = rate[k]
        col[f"ieee2019_rate_exceeds_{gas}"] = rate_exceeds[k]
    col["ieee2019_status"] = status
    col["ieee2019_reason"] = np.select([status > 0, is_valid.any(axis=0)], [APPLICABLE, GAS_MISSING],
                                       _NO_VALID_GAS).astype(np.int8)
    # With neither O2/N2 nor the oil preservation known, the column is a guess: the status under
    # the other column says what the guess decided (0 where the column is known).
    guessed = col["ieee2019_o2_n2_basis"] == O2_N2_BASES.index("default")
    other_status = _status(1 - column, band, current, is_valid, delta, rate, rate_row)[-1]
    col["ieee2019_other_column_status"] = np.where(guessed, other_status, 0).astype(np.int8)


def _status(column, band, current, is_valid, delta, rate, rate_row):
    """(level, delta_exceeds, rate_exceeds, status) of every gas and sample under O2/N2 column `column`.

    A value exceeds a limit when it is > the limit, everywhere (`count_above`, the deltas, the
    rates); `typical.gate` reads `level` == 1 as "within Table 1" so that it uses the same test.
    """
    level = np.where(is_valid, 1 + count_above(current, (_TABLE_1[:, column, band], _TABLE_2[:, column, band])),
                     0).astype(np.int8)
    delta_exceeds = np.where(_INCREASE_ONLY, delta > 0, np.abs(delta) > _TABLE_3[:, column])
    rate_exceeds = rate > _TABLE_4[:, column, rate_row]
    status_3 = ((level == 3) | rate_exceeds).any(axis=0)
    status_2 = ((level == 2) | delta_exceeds).any(axis=0)
    status = np.select([status_3, status_2, is_valid.all(axis=0)], [3, 2, 1], 0).astype(np.int8)
    return level, delta_exceeds, rate_exceeds, status


def withdraw(col, where, code) -> None:
    """No status (unknown) and no exceedance, for the reason `code` (`rules` numbering), where `where` holds.

    The verdict reads status 0 as "fault presence unknown" (severity "unknown", no health index).
    The deltas and rates stay: they are measurements, not a judgement against the tables.
    """
    col["ieee2019_status"] = np.where(where, 0, col["ieee2019_status"]).astype(np.int8)
    col["ieee2019_reason"] = np.where(where, code, col["ieee2019_reason"]).astype(np.int8)
    col["ieee2019_other_column_status"] = np.where(where, 0, col["ieee2019_other_column_status"]).astype(np.int8)
    for gas in GASES:
        col[f"ieee2019_level_{gas}"] = np.where(where, 0, col[f"ieee2019_level_{gas}"]).astype(np.int8)
        col[f"ieee2019_table2_multiple_{gas}"] = np.where(where, np.nan, col[f"ieee2019_table2_multiple_{gas}"])
        col[f"ieee2019_delta_exceeds_{gas}"] = col[f"ieee2019_delta_exceeds_{gas}"] & ~where
        col[f"ieee2019_rate_exceeds_{gas}"] = col[f"ieee2019_rate_exceeds_{gas}"] & ~where


def _rate(window: np.ndarray, values: list[np.ndarray], years: list[np.ndarray]) -> np.ndarray:
    """Least-squares slope (ppm/year) of each gas over the window's valid points; NaN with fewer than 3.

    values[p] is (gases, n) at window position p (0 = current sample); years[p] is (n,).
    The sums run position by position, so every sample sees the same operations in the same order.
    """
    inside = [(window > position) & ~np.isnan(value) for position, value in enumerate(values)]
    # Measuring from the most recent valid value keeps a constant series at a slope of exactly 0.
    reference = np.full(values[0].shape, np.nan)
    for position in reversed(range(len(values))):
        reference = np.where(inside[position], values[position], reference)
    points = np.zeros(values[0].shape)
    x_sum = np.zeros(values[0].shape)
    y_sum = np.zeros(values[0].shape)
    for position, (value, x) in enumerate(zip(values, years)):
        points += inside[position]
        x_sum += np.where(inside[position], x, 0.0)
        y_sum += np.where(inside[position], value - reference, 0.0)
    x_mean, y_mean = x_sum / points, y_sum / points
    sxx = np.zeros(values[0].shape)
    sxy = np.zeros(values[0].shape)
    for position, (value, x) in enumerate(zip(values, years)):
        dx = x - x_mean
        sxx += np.where(inside[position], dx * dx, 0.0)
        sxy += np.where(inside[position], dx * (value - reference - y_mean), 0.0)
    return np.where((points >= RATE_MIN_SAMPLES) & (sxx > 0), sxy / sxx, np.nan)


def _ieee_2019_reasons(c, i, column, band) -> list[dict]:
    """Every exceedance behind the 2019 status, worst status first."""
    reasons = []
    rate_row = c["ieee2019_rate_row"][i]
    for gas in GASES:
        label, value = GAS_LABELS[gas], c[f"ppm_{gas}"][i]
        level = c[f"ieee2019_level_{gas}"][i]
        if level >= 2:
            table = level - 1
            limit = float((IEEE_2019_TABLE_1 if table == 1 else IEEE_2019_TABLE_2)[gas][column][band])
            percentile = "90th" if table == 1 else "95th"
            reasons.append({"gas": gas, "table": table, "kind": "concentration", "value": rounded(value, 2),
                            "limit": limit, "status": level,
                            "text": f"{label} {as_text(value)} ppm > Table {table} limit {as_text(limit)} ppm "
                                    f"({percentile} percentile)"})
        if c[f"ieee2019_delta_exceeds_{gas}"][i]:
            delta, limit = c[f"ieee2019_delta_{gas}"][i], float(IEEE_2019_TABLE_3[gas][column])
            text = _delta_text(gas, delta, limit)
            reasons.append({"gas": gas, "table": 3, "kind": "delta", "value": rounded(delta, 2), "limit": limit,
                            "status": 2, "text": text})
        if c[f"ieee2019_rate_exceeds_{gas}"][i]:
            rate, limit = c[f"ieee2019_rate_{gas}"][i], float(IEEE_2019_TABLE_4[gas][column][rate_row])
            window = f"over {c['ieee2019_rate_samples'][i]} samples, {as_text(c['ieee2019_rate_months'][i])} months"
            text = (f"{label} rising {as_text(rate)} ppm/year {window} (Table 4: any increasing rate)"
                    if gas in INCREASE_ONLY_GASES else
                    f"{label} rising {as_text(rate)} ppm/year {window} > Table 4 limit {as_text(limit)} ppm/year")
            reasons.append({"gas": gas, "table": 4, "kind": "rate", "value": rounded(rate, 2), "limit": limit,
                            "status": 3, "text": text})
    return sorted(reasons, key=lambda reason: -reason["status"])


def _delta_text(gas: str, delta: float, limit: float) -> str:
    """The sentence of a Table 3 exceedance: a rise, or a fall, which counts the same (see the module docstring)."""
    label = GAS_LABELS[gas]
    if gas in INCREASE_ONLY_GASES:
        return f"{label} rose {as_text(delta)} ppm since the previous sample (Table 3: any increase)"
    if delta > 0:
        return f"{label} rose {as_text(delta)} ppm since the previous sample > Table 3 limit {as_text(limit)} ppm"
    return (f"{label} fell {as_text(-delta)} ppm since the previous sample > Table 3 limit {as_text(limit)} ppm "
            "(Table 3 limits the change either way; a fall this large suggests oil processing such as "
            "degassing, or a sampling or laboratory error: after oil processing, start the history again)")


def _column_text(column: int) -> str:
    """An O2/N2 column as a sentence writes it."""
    return "O2/N2 ≤ 0.2" if column == 0 else "O2/N2 > 0.2"


def table_1_basis(c, i) -> str:
    """Which Table 1 column sample i was compared with, for a sentence."""
    band = AGE_BANDS[c["ieee2019_age_band"][i]]
    age = "age unknown" if band == "unknown" else f"age {band} years"
    return f"IEEE C57.104-2019 Table 1, {_column_text(c['ieee2019_column'][i])}, {age}"


def _alternative(c, i) -> dict | None:
    """The other O2/N2 column and the status under it, when the column was assumed (None when it is known)."""
    if c["ieee2019_o2_n2_basis"][i] != O2_N2_BASES.index("default"):
        return None
    other = 1 - c["ieee2019_column"][i]
    return {"column": O2_N2_COLUMNS[other], "status": c["ieee2019_other_column_status"][i] or None}


def _ieee_2019_limitations(c, i) -> list[str]:
    """What the 2019 evaluation could not look at."""
    notes = []
    missing = invalid(c, i, GASES)
    if missing:
        notes.append(f"not assessed (missing or invalid): {labels(missing)}")
    alternative = _alternative(c, i)
    if alternative:
        notes.append("O2/N2 and oil preservation unknown: used the O2/N2 > 0.2 tables (default)")
        status, other = c["ieee2019_status"][i], alternative["status"]
        if status != (other or 0):
            notes.append(f"under the {_column_text(1 - c['ieee2019_column'][i])} tables the status would be "
                         f"{other or 'unknown'} instead of {status or 'unknown'}: give the O2 and N2 values or "
                         "the oil preservation")
    if c["ieee2019_age_band"][i] == 0:
        notes.append("age unknown: used the 'unknown age' column")
    if not c["ieee2019_has_previous"][i]:
        notes.append("Table 3 not assessed: no earlier sample")
    if c["ieee2019_rate_samples"][i] == 0:
        no_time = not math.isfinite(c["ieee2019_previous_days"][i]) and c["ieee2019_has_previous"][i]
        notes.append("Table 4 not assessed: needs 3-6 samples spanning 4-24 months"
                     + ("; the current sample has no sampled_at" if no_time else ""))
    else:
        thin = [gas for gas in GASES if not math.isfinite(c[f"ieee2019_rate_{gas}"][i])]
        if thin:
            notes.append(f"Table 4 not assessed for {labels(thin)}: fewer than 3 values in the window")
    return notes


def _reason(c, i) -> str | None:
    """Why there is no status, or None when there is one."""
    code = c["ieee2019_reason"][i]
    if code == APPLICABLE:
        return None
    if code == GAS_MISSING:
        return (f"insufficient data: Status 1 needs all seven gases; missing or invalid: {labels(invalid(c, i, GASES))} "
                "(the gases given exceed no limit)")
    if code == NOT_FOR_LIQUID:
        return (f"{mineral_only_reason(c['liquid'][i])}: its limits are mineral-oil norms, so the DGA status, fault "
                "presence and severity are unknown")
    return "no valid gas value"


def as_dict(c, i) -> dict:
    """C57.104-2019 status, reasons and the limits applied."""
    status = c["ieee2019_status"][i]
    column, band = c["ieee2019_column"][i], c["ieee2019_age_band"][i]
    rate_row = c["ieee2019_rate_row"][i]
    has_previous = c["ieee2019_has_previous"][i]
    return {
        "applicable": status > 0,
        "reason": _reason(c, i),
        "status": status or None,
        "o2_n2": {"value": rounded(c["ieee2019_o2_n2"][i], 4), "basis": O2_N2_BASES[c["ieee2019_o2_n2_basis"][i]],
                  "column": O2_N2_COLUMNS[column]},
        "alternative": _alternative(c, i),
        "age_years": rounded(c["ieee2019_age_years"][i], 2),
        "age_band": AGE_BANDS[band],
        "reasons": _ieee_2019_reasons(c, i, column, band),
        "limitations": _ieee_2019_limitations(c, i),
        "limits": {
            "table_1": {gas: float(IEEE_2019_TABLE_1[gas][column][band]) for gas in GASES},
            "table_2": {gas: float(IEEE_2019_TABLE_2[gas][column][band]) for gas in GASES},
            "table_3": {gas: float(IEEE_2019_TABLE_3[gas][column]) for gas in GASES},
            "table_4": {gas: float(IEEE_2019_TABLE_4[gas][column][rate_row]) for gas in GASES}
            if rate_row >= 0 else None,
        },
        "deltas": {gas: rounded(c[f"ieee2019_delta_{gas}"][i], 2) for gas in GASES} if has_previous else None,
        "previous_sample_days": rounded(c["ieee2019_previous_days"][i], 2),
        "rates": {gas: rounded(c[f"ieee2019_rate_{gas}"][i], 2) for gas in GASES} if rate_row >= 0 else None,
        "rate_window": {"samples": c["ieee2019_rate_samples"][i], "months": rounded(c["ieee2019_rate_months"][i], 2),
                        "row": RATE_ROWS[rate_row]} if rate_row >= 0 else None,
    }


SCHEMA = object_of({
    "applicable": {"type": "boolean"},
    "reason": TEXT_OR_NULL,
    "status": one_of((1, 2, 3, None)),
    "o2_n2": object_of({"value": {"type": ["number", "null"]}, "basis": one_of(O2_N2_BASES),
                      "column": one_of(O2_N2_COLUMNS)}),
    "alternative": nullable(object_of({"column": one_of(O2_N2_COLUMNS), "status": one_of((1, 2, 3, None))})),
    "age_years": {"type": ["number", "null"]},
    "age_band": one_of(AGE_BANDS),
    "reasons": {"type": "array", "items": object_of({
        "gas": one_of(GASES), "table": one_of((1, 2, 3, 4)), "kind": one_of(("concentration", "delta", "rate")),
        "value": {"type": ["number", "null"]}, "limit": {"type": "number"}, "status": one_of((2, 3)),
        "text": {"type": "string"},
    })},
    "limitations": {"type": "array", "items": {"type": "string"}},
    "limits": object_of({**{table: numbers_of(GASES, nullable=False) for table in ("table_1", "table_2", "table_3")},
                       "table_4": nullable(numbers_of(GASES, nullable=False))}),
    "deltas": nullable(numbers_of(GASES)),
    "previous_sample_days": {"type": ["number", "null"]},
    "rates": nullable(numbers_of(GASES)),
    "rate_window": nullable(object_of({"samples": {"type": "integer"}, "months": {"type": ["number", "null"]},
                                      "row": one_of(RATE_ROWS)})),
})
