"""Streamed exports (rows/s, the server's peak RSS) at 100k and 1M rows, and a deep cursor page vs the first page.

    python bench/exports.py [--rounds 2] [--page-rounds 300] [--db-100k PATH] [--db-1m PATH]

The databases are built with `python -m tools.load` when the files are absent (about 15 s for
1M samples). Each export runs on a fresh uvicorn server (1 worker, the `api` target as
bench/api_throughput.py builds it), so the peak RSS (VmHWM in /proc/<pid>/status) belongs to that
one export; the client reads the body in 1 MiB reads and counts its lines. Rounds alternate
between the formats and sizes; the table shows medians. The paging part serves the 1M database
and times, interleaved, the first page, a keyset page ~90 % deep (its cursor made from the row
there) and the deepest offset page allowed (SEDA_MAX_OFFSET), 100 rows each, over one kept-alive
connection: p50 and p99 per kind, and each median against the first page's.
"""

import argparse
import http.client
import os
import pathlib
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_throughput import serve  # noqa: E402 - needs the repository on sys.path

SIZES = {"100k": 100_000, "1M": 1_000_000}
FORMATS = ("ndjson", "csv")
_READ_BYTES = 1 << 20


def ensure_database(path, samples):
    """Build the benchmark database at `path` with tools.load unless it exists."""
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "tools.load", "--samples", str(samples), "--sqlite", path],
                       cwd=ROOT, check=True)
    return path


def peak_rss_mib(pid):
    """The process's peak resident set (VmHWM), in MiB."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def _environment(database):
    """The server's environment: the benchmark database, no per-client limit (one client sends everything)."""
    return {**os.environ, "SEDA_SQLITE_PATH": database, "SEDA_RATE_LIMIT_PER_MINUTE": "0"}


def export_once(database, export_format):
    """One export on a fresh server: (rows, seconds, MiB of body, peak RSS MiB before, peak RSS MiB after)."""
    process, url = serve("service_app", _environment(database))
    try:
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=600)
        connection.request("GET", "/api/v1/measurements?limit=1")
        connection.getresponse().read()
        before = peak_rss_mib(process.pid)
        started = time.perf_counter()
        connection.request("GET", f"/api/v1/measurements?format={export_format}")
        response = connection.getresponse()
        assert response.status == 200, response.read()[:500]
        lines = size = 0
        while chunk := response.read(_READ_BYTES):
            lines += chunk.count(b"\n")
            size += len(chunk)
        seconds = time.perf_counter() - started
        rows = lines - (1 if export_format == "csv" else 0)
        return rows, seconds, size / 2**20, before, peak_rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait()


def _deep_cursor(database, depth):
    """The cursor of the row at `depth` in the collection's order, as the service writes it."""
    from functions import measurements

    with sqlite3.connect(database, detect_types=sqlite3.PARSE_DECLTYPES) as connection:
        unit, at = connection.execute(
            "SELECT equipment_id, sampled_at FROM dga_sample ORDER BY equipment_id, sampled_at LIMIT 1 OFFSET ?",
            (depth,),
        ).fetchone()
    return measurements.BY_UNIT_AND_TIME.encode({"equipment_id": unit, "sampled_at": at})


def page_latencies(database, rounds):
    """{kind: [milliseconds]} for the first page, a deep keyset page and the deepest offset page, interleaved."""
    with sqlite3.connect(database) as connection:
        total = connection.execute("SELECT COUNT(*) FROM dga_sample").fetchone()[0]
    paths = {
        "first page": "/api/v1/measurements?limit=100",
        f"cursor page at row {int(total * 0.9):,}": f"/api/v1/measurements?limit=100&cursor={_deep_cursor(database, int(total * 0.9))}",
        "offset=10000 page (the maximum)": "/api/v1/measurements?limit=100&offset=10000",
    }
    process, url = serve("service_app", _environment(database))
    try:
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        timings = {kind: [] for kind in paths}
        for round_number in range(rounds + 10):
            for kind, path in paths.items():
                started = time.perf_counter()
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status == 200 and body.startswith(b"[{"), body[:300]
                if round_number >= 10:  # the first rounds warm the page cache and the server
                    timings[kind].append(elapsed)
        return timings
    finally:
        process.terminate()
        process.wait()


def _p99(values):
    """The 99th percentile."""
    return statistics.quantiles(values, n=100)[98]


def main():
    """Measure and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="exports per format and size")
    parser.add_argument("--page-rounds", type=int, default=300)
    parser.add_argument("--db-100k", default="/tmp/seda-bench-100k.sqlite3")
    parser.add_argument("--db-1m", default="/tmp/seda-bench-1m.sqlite3")
    args = parser.parse_args()
    databases = {"100k": ensure_database(args.db_100k, SIZES["100k"]), "1M": ensure_database(args.db_1m, SIZES["1M"])}

    results = {(size, export_format): [] for size in SIZES for export_format in FORMATS}
    for _ in range(args.rounds):
        for size, export_format in results:
            results[size, export_format].append(export_once(databases[size], export_format))
    print(f"{'export':<14}{'rows':>11}{'rows/s':>11}{'MiB/s':>8}{'body MiB':>10}{'RSS idle':>10}{'RSS peak':>10}")
    for (size, export_format), runs in results.items():
        rows = runs[0][0]
        seconds = statistics.median(run[1] for run in runs)
        body = runs[0][2]
        idle = statistics.median(run[3] for run in runs)
        peak = statistics.median(run[4] for run in runs)
        print(f"{size + ' ' + export_format:<14}{rows:>11,}{rows / seconds:>11,.0f}{body / seconds:>8.1f}{body:>10.1f}"
              f"{idle:>9.1f}M{peak:>9.1f}M")
    for export_format in FORMATS:
        small = statistics.median(run[4] for run in results["100k", export_format])
        large = statistics.median(run[4] for run in results["1M", export_format])
        print(f"{export_format}: peak RSS at 1M / at 100k = {large / small:.3f} (goal: within 1.10)")

    timings = page_latencies(databases["1M"], args.page_rounds)
    first = statistics.median(next(iter(timings.values())))
    print(f"\n{'page (1M database, 100 rows)':<40}{'p50 ms':>9}{'p99 ms':>9}{'vs first':>10}")
    for kind, values in timings.items():
        print(f"{kind:<40}{statistics.median(values):>9.2f}{_p99(values):>9.2f}{statistics.median(values) / first:>9.2f}x")


if __name__ == "__main__":
    main()
