"""Database rows → the DGA engine's arrays, and the engine's columns → the short verdict summary.

Stored samples and units come from the database as dicts (`SELECT … FROM dga_sample`,
`… FROM equipment`); the engine (`diagnose_batch`) wants columnar NumPy arrays. The diagnoses
resource and the stored verdicts (`shared/verdict_store.py`) both go through here, so a verdict
served on the fly and one read back from DGA_DIAGNOSIS are computed from the same arrays.
Samples posted to the diagnoses resource (body rows that carry their own age, oil
preservation and insulating liquid, and no history) go through `diagnose_samples`. A unit row
gives `year_manufactured`, `oil_preservation` and `insulating_liquid`.

Both pass the served model (`shared/model/serving.py`, None when SEDA_MODEL_PATH=none), so
every verdict of the service carries `methods.ai_model` when a model is configured.

A unit's *window* for a sample is that sample preceded by up to HISTORY_DEPTH earlier complete
samples of the same unit, oldest first: everything the engine reads besides the unit itself.
"""

import datetime
import math

import numpy as np

from shared import dga
from shared.model import serving

HISTORY_DEPTH = 6  # earlier samples the engine needs at most: 1 for Table 3 deltas, 5 more for Table 4 rates
SUMMARY_COLUMNS = ("ieee2019_status", "fault_present", "fault_type", "severity", "health_index", "rank")


def epoch(moment):
    """Epoch seconds of a naive-UTC or aware datetime; NaN for none."""
    if moment is None:
        return np.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def column(rows, field):
    """One field of every row as a float array, NaN where it is missing."""
    return np.array([np.nan if row[field] is None else row[field] for row in rows], float)


def gases(rows):
    """The engine's gas arrays for rows of samples."""
    return {field: column(rows, field) for field in dga.SAMPLE_FIELDS}


def age_years(units, sample_times):
    """Age in years at each sample time, from the middle of the year of manufacture; NaN when unknown."""
    built = np.array(
        [
            datetime.datetime(unit["year_manufactured"], 7, 1, tzinfo=datetime.timezone.utc).timestamp()
            if unit["year_manufactured"]
            else np.nan
            for unit in units
        ],
        float,
    )
    return (sample_times - built) / dga.YEAR_SECONDS


def diagnose_windows(units, windows):
    """Columnar verdicts for windows of samples (oldest first, the last one is diagnosed) of `units`."""
    count = len(windows)
    current = [window[-1] for window in windows]
    times = np.array([epoch(sample["sampled_at"]) for sample in current], float)
    history_times = np.full((count, HISTORY_DEPTH), np.nan)
    history_gases = {gas: np.full((count, HISTORY_DEPTH), np.nan) for gas in dga.GASES}
    for row, window in enumerate(windows):
        earlier = window[:-1][-HISTORY_DEPTH:]
        for position, sample in enumerate(earlier):
            history_times[row, position] = epoch(sample["sampled_at"])
            for gas in dga.GASES:
                history_gases[gas][row, position] = sample[gas]
    return dga.diagnose_batch(
        gases(current),
        age_years=age_years(units, times),
        oil_preservation=[unit["oil_preservation"] for unit in units],
        insulating_liquid=[unit["insulating_liquid"] for unit in units],
        sample_times=times,
        history_times=history_times,
        history_gases=history_gases,
        model=serving.current(),
        columnar=True,
    )


def diagnose_samples(samples):
    """Columnar verdicts for samples that carry their own context (`age_years`, `oil_preservation`,
    `insulating_liquid`), without history."""
    return dga.diagnose_batch(
        gases(samples),
        age_years=column(samples, "age_years"),
        oil_preservation=[sample["oil_preservation"] for sample in samples],
        insulating_liquid=[sample["insulating_liquid"] for sample in samples],
        sample_times=np.array([epoch(sample["sampled_at"]) for sample in samples], float),
        model=serving.current(),
        columnar=True,
    )


def rounded(value):
    """A number as the verdicts show it: one decimal, None when not finite."""
    return round(value, 1) if math.isfinite(value) else None


def summaries(columns):
    """The short form of columnar verdicts, built without the full verdicts.

    Each value is the full verdict's: `dga_status` is methods.ieee_c57_104_2019.status,
    `fault_present`, `fault_type` and `severity` are under `fault`, `health_index` is its `value`.
    """
    return [
        {
            "dga_status": status or None,
            "fault_present": None if present < 0 else bool(present),
            "fault_type": dga.FAULT_TYPES[fault] if fault >= 0 else None,
            "severity": dga.SEVERITIES[severity],
            "health_index": rounded(health),
            "rank": rounded(rank),
        }
        for status, present, fault, severity, health, rank in zip(*(columns[name].tolist() for name in SUMMARY_COLUMNS))
    ]
