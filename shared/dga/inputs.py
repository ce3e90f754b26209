"""Input normalisation: one sample (any Python values) or a batch (arrays) → the arrays every rule reads.

A value that is not a real number, not finite, negative or above MAX_PPM counts as missing
for the methods and is listed in the verdict's `input.issues`.
"""

import datetime as _dt
import decimal
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from shared.dga.gases import ATMOSPHERIC_GASES, GASES, INSULATING_LIQUIDS, MAX_PPM, OIL_PRESERVATIONS, SAMPLE_FIELDS
from shared.dga.output import object_of, one_of

INPUT_PROBLEMS = (None, "missing", "not a number", "not finite", "negative", "above 1,000,000 ppm")
OK, MISSING, NOT_A_NUMBER, NOT_FINITE, NEGATIVE, TOO_LARGE = range(len(INPUT_PROBLEMS))


class Inputs(NamedTuple):
    """Arrays for n samples: raw values (NaN = missing) and the context the 2019 tables need."""

    raw: dict[str, np.ndarray]  # SAMPLE_FIELDS -> (n,)
    not_a_number: dict[str, np.ndarray]  # SAMPLE_FIELDS -> (n,) bool
    age_years: np.ndarray  # (n,)
    preservation: np.ndarray  # (n,) index into OIL_PRESERVATIONS
    liquid: np.ndarray  # (n,) index into INSULATING_LIQUIDS
    sample_times: np.ndarray  # (n,) epoch seconds
    history_times: np.ndarray  # (n, k) epoch seconds
    history_gases: dict[str, np.ndarray]  # GASES -> (n, k)


def _parse_number(raw: Any) -> tuple[float, bool]:
    """(value, not_a_number): NaN for None; NaN and True for anything that is not a real number."""
    if raw is None:
        return math.nan, False
    if isinstance(raw, bool) or not isinstance(raw, (numbers.Real, decimal.Decimal)):
        return math.nan, True
    try:
        return float(raw), False
    except OverflowError:  # an int or Decimal beyond float range
        return (math.inf if raw > 0 else -math.inf), False
    except (ValueError, TypeError):  # e.g. a signalling Decimal NaN
        return math.nan, True


def _epoch_seconds(value: Any) -> float:
    """Seconds since the epoch of a datetime (naive = UTC), a date (midnight UTC) or a number; NaN otherwise."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc).timestamp()
    number, not_a_number = _parse_number(value)
    return math.nan if not_a_number else number


def _preservation_code(value: Any) -> int:
    """Index of a known oil preservation in OIL_PRESERVATIONS, 0 for anything else."""
    return OIL_PRESERVATIONS.index(value) if isinstance(value, str) and value in OIL_PRESERVATIONS else 0


def _liquid_code(value: Any) -> int:
    """Index of a known insulating liquid in INSULATING_LIQUIDS, 0 (mineral) for anything else."""
    return INSULATING_LIQUIDS.index(value) if isinstance(value, str) and value in INSULATING_LIQUIDS else 0


def single_inputs(sample: Any, history: Any, age_years: Any, oil_preservation: Any,
                  insulating_liquid: Any = None) -> Inputs:
    """Arrays of length 1 for one sample and its history."""
    sample = sample if isinstance(sample, Mapping) else {}
    parsed = {field: _parse_number(sample.get(field)) for field in SAMPLE_FIELDS}
    listed = history if isinstance(history, Sequence) and not isinstance(history, str) else ()
    entries = [entry for entry in listed if isinstance(entry, Mapping)]
    history_times = np.array([[_epoch_seconds(entry.get("sampled_at")) for entry in entries]], float)
    history_gases = {
        gas: np.array([[_parse_number(entry.get(gas))[0] for entry in entries]], float) for gas in GASES
    }
    return Inputs(
        raw={field: np.array([value]) for field, (value, _) in parsed.items()},
        not_a_number={field: np.array([bad]) for field, (_, bad) in parsed.items()},
        age_years=np.array([_parse_number(age_years)[0]]),
        preservation=np.array([_preservation_code(oil_preservation)], np.int8),
        liquid=np.array([_liquid_code(insulating_liquid)], np.int8),
        sample_times=np.array([_epoch_seconds(sample.get("sampled_at"))]),
        history_times=history_times,
        history_gases=history_gases,
    )


def batch_inputs(gases, age_years, oil_preservation, history_times, history_gases, sample_times,
                 insulating_liquid=None) -> Inputs:
    """Validated float arrays for `diagnose_batch`; a wrong shape is a programming error (ValueError)."""
    arrays = {field: np.asarray(values, dtype=float) for field, values in gases.items() if field in SAMPLE_FIELDS}
    sizes = {array.shape for array in arrays.values()}
    if len(sizes) > 1 or any(len(shape) != 1 for shape in sizes):
        raise ValueError(f"gas arrays must be 1-D and of equal length; got shapes {sorted(sizes)}")
    n = next(iter(sizes))[0] if sizes else _length_of(age_years, oil_preservation, sample_times, history_times)
    raw = {field: arrays.get(field, np.full(n, np.nan)) for field in SAMPLE_FIELDS}

    def column(values, name):
        array = np.full(n, np.nan) if values is None else np.asarray(values, dtype=float)
        if array.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},); got {array.shape}")
        return array

    def codes(labels, known, name):
        """Index of each label in `known` (0 for anything else, and for all when `labels` is None)."""
        if labels is None:
            return np.zeros(n, np.int8)
        array = np.asarray(list(labels), dtype=object)
        if array.shape != (n,):
            raise ValueError(f"{name} must have {n} entries; got {array.shape}")
        return np.select([array == label for label in known[1:]], range(1, len(known)), 0).astype(np.int8)

    preservation = codes(oil_preservation, OIL_PRESERVATIONS, "oil_preservation")
    liquid = codes(insulating_liquid, INSULATING_LIQUIDS, "insulating_liquid")
    times = np.empty((n, 0)) if history_times is None else np.asarray(history_times, dtype=float)
    if times.ndim != 2 or times.shape[0] != n:
        raise ValueError(f"history_times must have shape ({n}, k); got {times.shape}")
    given = dict(history_gases or {})
    past = {gas: np.asarray(given[gas], dtype=float) if gas in given else np.full(times.shape, np.nan)
            for gas in GASES}
    for gas, array in past.items():
        if array.shape != times.shape:
            raise ValueError(f"history_gases[{gas!r}] must have shape {times.shape}; got {array.shape}")
    return Inputs(
        raw=raw,
        not_a_number={field: np.zeros(n, bool) for field in SAMPLE_FIELDS},
        age_years=column(age_years, "age_years"),
        preservation=preservation,
        liquid=liquid,
        sample_times=column(sample_times, "sample_times"),
        history_times=times,
        history_gases=past,
    )


def _length_of(*candidates) -> int:
    """Sample count taken from the first context argument given (0 if none is)."""
    return next((len(candidate) for candidate in candidates if candidate is not None), 0)


def classify(values: np.ndarray, not_a_number: np.ndarray) -> np.ndarray:
    """INPUT_PROBLEMS code per value; later assignments take precedence."""
    problem = np.full(values.shape, OK, np.int8)
    problem[values > MAX_PPM] = TOO_LARGE
    problem[values < 0] = NEGATIVE
    problem[np.isinf(values)] = NOT_FINITE
    problem[np.isnan(values)] = MISSING
    problem[not_a_number] = NOT_A_NUMBER
    return problem


def valid_or_nan(values: np.ndarray) -> np.ndarray:
    """The values with every invalid one replaced by NaN."""
    return np.where(classify(values, np.zeros(values.shape, bool)) == OK, values, np.nan)


def validated(inp: Inputs, col) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(ppm, valid) per field: the value, NaN where invalid; store `problem_<field>` and `ppm_<field>`."""
    ppm, valid = {}, {}
    for field in SAMPLE_FIELDS:
        problem = classify(inp.raw[field], inp.not_a_number[field])
        valid[field] = problem == OK
        ppm[field] = np.where(valid[field], inp.raw[field], np.nan)
        col[f"problem_{field}"] = problem
        col[f"ppm_{field}"] = ppm[field]
    return ppm, valid


_PROBLEM_COLUMNS = {field: f"problem_{field}" for field in SAMPLE_FIELDS}  # read for every method of every verdict


def invalid(c, i, fields: Sequence[str]) -> list[str]:
    """The fields of sample i, among `fields`, that are missing or invalid."""
    return [field for field in fields if c[_PROBLEM_COLUMNS[field]][i] != OK]


def issues_dict(c, i) -> dict:
    """The verdict's `input`: every invalid field (an O2 or N2 that is merely absent is not an issue)."""
    return {"issues": [
        {"field": field, "problem": INPUT_PROBLEMS[c[f"problem_{field}"][i]]}
        for field in SAMPLE_FIELDS
        if c[f"problem_{field}"][i] != OK
        and not (field in ATMOSPHERIC_GASES and c[f"problem_{field}"][i] == MISSING)
    ]}


INPUT_SCHEMA = object_of({"issues": {"type": "array", "items": object_of({
    "field": one_of(SAMPLE_FIELDS), "problem": one_of(INPUT_PROBLEMS[1:]),
})}})
