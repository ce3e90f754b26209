"""The JSON serializer: orjson (shared/jsonio.py) against the standard library on API rows.

    python bench/serializer.py [--rows 1000] [--repeat 200]

Both encode the same page of DGA-sample dicts (datetimes included, converted for the stdlib
by a `default` hook as any stdlib-based service must); prints pages/s of each and the ratio.
"""

import argparse
import datetime
import json
import pathlib
import random
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from shared import jsonio  # noqa: E402


def _rows(count):
    """A page of sample-shaped rows with realistic values."""
    rng = random.Random(1)
    start = datetime.datetime(2016, 1, 1)
    return [
        {
            "id": i, "equipment_id": i % 120 + 1, "sampled_at": start + datetime.timedelta(days=i),
            **{g: round(rng.uniform(0, 500), 1) for g in ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2", "o2", "n2")},
            "lab": "KEPCO Research Institute",
        }
        for i in range(count)
    ]


def _stdlib_default(value):
    """What a stdlib encoder needs for datetimes."""
    return value.isoformat() + "Z"


def _rate(encode, rows, repeat):
    """Pages encoded per second."""
    started = time.perf_counter()
    for _ in range(repeat):
        encode(rows)
    return repeat / (time.perf_counter() - started)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rows = _rows(args.rows)
    stdlib = _rate(lambda r: json.dumps(r, default=_stdlib_default).encode(), rows, args.repeat)
    fast = _rate(jsonio.dumps, rows, args.repeat)
    print(f"{args.rows}-row page: orjson {fast:,.0f} pages/s, json {stdlib:,.0f} pages/s, orjson/json = {fast / stdlib:.1f}")
