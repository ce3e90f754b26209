"""Benchmark of the DGA engine: vectorized batch path against one-sample-at-a-time calls.

Generates plausible random samples: mostly healthy units, some with a thermal or
discharge fault pattern, a few missing gases, O2/N2 on both sides of 0.2, ages in every
band, and up to `--history` earlier samples spaced 1–8 months apart. Then it times:
- `diagnose_batch(..., columnar=True)` on all samples, in chunks;
- `diagnose_batch(...)` returning dicts, on `--dict-samples` samples;
- `diagnose(...)` called once per sample, on the first `--single` samples.
It checks that the single calls return the same dicts as the batch and prints samples/s
and the speed ratios. With a model (`--model`, default the shipped `models/dga_type.onnx`;
`none` to skip), the same run also times:
- `diagnose_batch(..., model=..., columnar=True)`: rules and model together, and the share of
  samples the model's gates let through (the others skip it);
- the model alone on every sample with all five gases, gates aside: features, the ONNX forest
  and the nearest training cases (what `methods.ai_model` costs per sample it answers).

    python bench/dga_batch.py [--samples 1000000] [--single 20000] [--model PATH|none]
"""

import argparse
import datetime as dt
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from shared import dga
from shared.model import card, serving
from shared.model.features import features

NOW = 1_717_200_000.0  # 2024-06-01 UTC, epoch seconds
# Typical healthy levels (ppm) and the multipliers a fault pattern applies to them.
HEALTHY = {"h2": 15.0, "ch4": 8.0, "c2h6": 6.0, "c2h4": 4.0, "c2h2": 0.3, "co": 250.0, "co2": 2500.0}
FAULTS = {
    "thermal": {"h2": 4, "ch4": 30, "c2h6": 15, "c2h4": 80, "c2h2": 2, "co": 1.5, "co2": 1.5},
    "discharge": {"h2": 40, "ch4": 8, "c2h6": 2, "c2h4": 20, "c2h2": 200, "co": 1.2, "co2": 1.1},
    "partial_discharge": {"h2": 60, "ch4": 5, "c2h6": 2, "c2h4": 1, "c2h2": 1, "co": 1, "co2": 1},
}


def generate(n: int, depth: int, rng: np.random.Generator) -> dict:
    """Keyword arguments for `diagnose_batch` describing n random units."""
    pattern = rng.choice(len(FAULTS) + 1, size=n, p=[0.7, 0.12, 0.1, 0.08])
    severity = rng.lognormal(0.0, 0.8, size=n)
    gases = {}
    for gas, level in HEALTHY.items():
        multiplier = np.ones(n)
        for index, factors in enumerate(FAULTS.values(), start=1):
            multiplier = np.where(pattern == index, factors[gas] * severity, multiplier)
        values = np.round(level * multiplier * rng.lognormal(0.0, 0.5, size=n), 2)
        if gas == "c2h2":
            values[(pattern == 0) & (rng.random(n) < 0.9)] = 0.0  # healthy units: mostly not detected
        values[rng.random(n) < 0.02] = np.nan  # a gas the lab did not report
        gases[gas] = values
    gases["n2"] = rng.uniform(40_000, 70_000, size=n)
    gases["o2"] = gases["n2"] * np.where(rng.random(n) < 0.5, rng.uniform(0.01, 0.2, n), rng.uniform(0.2, 0.5, n))
    sample_times = NOW + rng.integers(0, 10**7, size=n).astype(float)
    gaps = rng.uniform(30, 240, size=(n, depth)).cumsum(axis=1)[:, ::-1] * dga.DAY_SECONDS  # oldest first
    history_times = sample_times[:, None] - gaps
    history_times[rng.random((n, depth)) < 0.2] = np.nan  # shorter histories
    # Faulty units gassed up to today; healthy ones are flat with a little lab noise.
    drift = np.where(pattern[:, None] > 0, np.linspace(0.5, 0.9, depth), 1.0)
    history_gases = {gas: np.round(values[:, None] * drift * rng.lognormal(0, 0.05, (n, depth)), 2)
                     for gas, values in gases.items() if gas in dga.GASES}
    return {
        "gases": gases,
        "age_years": rng.choice([np.nan, 3.0, 15.0, 25.0, 35.0, 50.0], size=n),
        "oil_preservation": rng.choice(np.array(["sealed", "free_breathing", None], dtype=object), size=n),
        "sample_times": sample_times,
        "history_times": history_times,
        "history_gases": history_gases,
    }


def subset(arguments: dict, rows: slice) -> dict:
    """The same keyword arguments restricted to some rows."""
    return {key: ({name: array[rows] for name, array in value.items()} if isinstance(value, dict) else value[rows])
            for key, value in arguments.items()}


def single_calls(arguments: dict) -> list[tuple]:
    """(sample, history, age, preservation) per row, as the API would pass them to `diagnose`."""
    def when(seconds):
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)

    gases, times = arguments["gases"], arguments["history_times"]
    calls = []
    for i in range(len(arguments["sample_times"])):
        sample = {field: float(values[i]) for field, values in gases.items()}
        sample["sampled_at"] = when(arguments["sample_times"][i])
        history = [{**{gas: float(arguments["history_gases"][gas][i, j]) for gas in dga.GASES},
                    "sampled_at": when(times[i, j])} for j in range(times.shape[1]) if np.isfinite(times[i, j])]
        age = float(arguments["age_years"][i])
        calls.append((sample, history, None if np.isnan(age) else age, arguments["oil_preservation"][i]))
    return calls


def rate(count: int, seconds: float) -> str:
    """Samples per second, formatted."""
    return f"{count / seconds:>12,.0f} samples/s"


def time_model(model, options, rng) -> list[tuple]:
    """(name, samples, seconds) of the columnar path with the model, and of the model alone."""
    model.predict(np.zeros((1, len(card.FEATURE_NAMES)), np.float32))  # the session is built on first use: not timed
    with_model_seconds, answered, done, alone_seconds, alone_count = 0.0, 0, 0, 0.0, 0
    while done < options.samples:
        size = min(options.chunk, options.samples - done)
        arguments = generate(size, options.history, rng)
        start = time.perf_counter()
        columns = dga.diagnose_batch(**arguments, model=model, columnar=True)
        with_model_seconds += time.perf_counter() - start
        answered += int(columns["ai_model_applicable"].sum())
        complete = np.all([np.isfinite(arguments["gases"][gas]) for gas in card.MODEL_GASES], axis=0)
        start = time.perf_counter()
        matrix = features({gas: arguments["gases"][gas][complete] for gas in card.MODEL_GASES})
        model.predict(matrix)
        model.nearest(matrix)
        alone_seconds += time.perf_counter() - start
        alone_count += int(complete.sum())
        done += size
    print(f"the model's gates let {answered / options.samples:.0%} of the samples through to it")
    return [("batch, columnar + model", options.samples, with_model_seconds),
            ("model alone, every sample", alone_count, alone_seconds)]


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1_000_000, help="samples through the columnar batch path")
    parser.add_argument("--dict-samples", type=int, default=100_000, help="samples through the dict batch path")
    parser.add_argument("--single", type=int, default=20_000, help="samples diagnosed one at a time")
    parser.add_argument("--history", type=int, default=5, help="earlier samples per unit")
    parser.add_argument("--chunk", type=int, default=250_000, help="batch size for the columnar path")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default=str(card.DEFAULT_MODEL_PATH), help="model to time beside the rules, or none")
    options = parser.parse_args()
    rng = np.random.default_rng(options.seed)
    model = None if options.model == "none" else serving.ServedModel(card.load_checked(options.model), False)

    columnar_seconds, done = 0.0, 0
    while done < options.samples:
        size = min(options.chunk, options.samples - done)
        arguments = generate(size, options.history, rng)
        start = time.perf_counter()
        dga.diagnose_batch(**arguments, columnar=True)
        columnar_seconds += time.perf_counter() - start
        done += size

    dict_count = min(options.dict_samples, options.samples)
    arguments = generate(max(dict_count, options.single), options.history, rng)
    start = time.perf_counter()
    batch = dga.diagnose_batch(**subset(arguments, slice(0, dict_count)))
    dict_seconds = time.perf_counter() - start

    calls = single_calls(subset(arguments, slice(0, options.single)))
    start = time.perf_counter()
    singles = [dga.diagnose(sample, history=history, age_years=age, oil_preservation=preservation)
               for sample, history, age, preservation in calls]
    single_seconds = time.perf_counter() - start
    reference = batch if options.single <= dict_count else dga.diagnose_batch(
        **subset(arguments, slice(0, options.single)))
    mismatches = sum(one != many for one, many in zip(singles, reference))

    single_rate = options.single / single_seconds
    print(f"history depth {options.history}, chunk {options.chunk:,}, seed {options.seed}")
    timings = [("batch, columnar", options.samples, columnar_seconds), ("batch, dicts", dict_count, dict_seconds),
               ("single calls", options.single, single_seconds)]
    if model is not None:
        timings += time_model(model, options, rng)
    for name, count, seconds in timings:
        print(f"{name:<27} {count:>10,} samples {seconds:8.2f} s {rate(count, seconds)}")
    print(f"ratio batch/single: columnar {options.samples / columnar_seconds / single_rate:,.0f}x, "
          f"dicts {dict_count / dict_seconds / single_rate:,.1f}x")
    print(f"single == batch on {options.single:,} samples: {'yes' if not mismatches else f'NO ({mismatches} differ)'}")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
