"""A liveness probe's latency while heavy requests run against the service, on the 1M-sample database.

    python bench/probe_latency.py [--database /tmp/seda-bench-1m.sqlite3] [--samples 1000000]
                                  [--rounds 3] [--seconds 4] [--root DIR]

Builds the database when the file is absent (as `python -m tools.load --samples N --sqlite PATH`
does), serves it with `functions-framework --target=api` (gunicorn, one worker, as deployed)
and probes `GET /api/v1/health/live` every 5 ms on one keep-alive connection, measuring each
answer. Each scenario runs its heavy requests back to back from another process (one client
each; `all` runs every kind at once); `idle` runs none. Rounds interleave the scenarios, and the
table shows the median over rounds of each round's p50, p99 and maximum. Goal: loaded p99 under
20 ms. `--root` serves another checkout of the project (to measure a commit before a change).
Heavy requests:
- fleet: `GET /diagnoses` (the fleet ranking, first page);
- deep page: `GET /measurements?offset=900000` (scaled to the database);
- history: `GET /diagnoses/<unit>?history=true&limit=1000`, the unit with the most samples;
- ingest: `POST /measurements` of SEDA_MAX_BATCH_ROWS CSV rows (stored samples, so each post replaces them);
- diagnose: `POST /diagnoses?view=summary` of SEDA_MAX_BATCH_ROWS CSV samples.
"""

import argparse
import http.client
import multiprocessing
import os
import pathlib
import socket
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = "bench-ingest-key-0123456789"
PROBE = "/api/v1/health/live"
PROBE_GAP_S = 0.005
SAMPLE_COLUMNS = ("equipment_id", "sampled_at", "h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2", "o2", "n2", "lab")
GASES = SAMPLE_COLUMNS[2:-1]


def build_database(path, samples):
    """The benchmark database, unless it exists: the demo fleet scaled to `samples`, as `python -m tools.load` builds it."""
    if os.path.exists(path):
        return
    from shared import demo_data
    from tools import load

    load.build_sqlite(path, demo_data.generate(samples=samples))


def _csv(rows, columns):
    """Plain CSV text (no quoting needed: the demo's values hold no comma or quote)."""
    lines = [",".join(columns)] + [",".join("" if value is None else str(value) for value in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def heavy_requests(path, batch_rows):
    """Each heavy request as (name, method, URL, body, headers)."""
    with sqlite3.connect(path) as connection:
        sample_count = connection.execute("SELECT COUNT(*) FROM dga_sample").fetchone()[0]
        unit = connection.execute(
            "SELECT equipment_id FROM dga_sample GROUP BY equipment_id ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()[0]
        stored = connection.execute(
            f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM dga_sample ORDER BY id LIMIT ?", (batch_rows,)
        ).fetchall()
    stored = [(row[0], row[1].replace(" ", "T") + "Z", *row[2:]) for row in stored]
    csv_headers = {"Content-Type": "text/csv", "Authorization": f"Bearer {KEY}"}
    deep_offset = min(900_000, sample_count - 100)
    return [
        ("fleet", "GET", "/api/v1/diagnoses", None, {}),
        ("deep page", "GET", f"/api/v1/measurements?offset={deep_offset}", None, {}),
        ("history", "GET", f"/api/v1/diagnoses/{unit}?history=true&limit=1000", None, {}),
        ("ingest", "POST", "/api/v1/measurements", _csv(stored, SAMPLE_COLUMNS), csv_headers),
        ("diagnose", "POST", "/api/v1/diagnoses?view=summary",
         _csv([row[2:-1] for row in stored], GASES), {"Content-Type": "text/csv"}),
    ]


def _free_port():
    """A free loopback port."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def start_service(path, port, root):
    """functions-framework serving the whole API on loopback; returns once the probe answers."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SEDA_", "ORACLE_"))},
        "SEDA_SQLITE_PATH": path, "SEDA_RATE_LIMIT_PER_MINUTE": "0", "SEDA_API_KEYS": f"bench@ingest={KEY}",
        "SEDA_MAX_OFFSET": "1000000",  # the deep page is the load here (a cursor would make it cheap)
    }
    process = subprocess.Popen(
        ["functions-framework", "--target=api", "--host=127.0.0.1", f"--port={port}"],
        cwd=root, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _call(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "GET", PROBE)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not start")


def _call(connection, method, url, body=None, headers=None):
    """One request on `connection`; its status."""
    connection.request(method, url, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    return response.status


def _keep_requesting(port, request, stop, done):
    """Send one heavy request after another until `stop` is set; count answers by status in `done`."""
    _, method, url, body, headers = request
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    while not stop.is_set():
        status = _call(connection, method, url, body, headers)
        done[status] = done.get(status, 0) + 1


def probe_latencies(port, seconds):
    """Probe every PROBE_GAP_S for `seconds`: each answer's latency in ms."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    _call(connection, "GET", PROBE)
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        assert _call(connection, "GET", PROBE) == 200
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(PROBE_GAP_S)
    return latencies


def run_scenario(port, requests, seconds):
    """Probe latencies while `requests` run back to back (each from its own process); and their answers by status."""
    manager = multiprocessing.Manager()
    stop = manager.Event()
    answers = [manager.dict() for _ in requests]
    loaders = [
        multiprocessing.Process(target=_keep_requesting, args=(port, request, stop, done))
        for request, done in zip(requests, answers)
    ]
    for loader in loaders:
        loader.start()
    time.sleep(0.5 if requests else 0)  # let the heavy requests reach the server first
    latencies = probe_latencies(port, seconds)
    stop.set()
    for loader in loaders:
        loader.join()
    statuses = {}
    for done in answers:
        for status, count in done.items():
            statuses[status] = statuses.get(status, 0) + count
    manager.shutdown()
    return latencies, statuses


def percentile(values, share):
    """The `share` percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    """Run every scenario in interleaved rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="/tmp/seda-bench-1m.sqlite3")
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--only", nargs="*", help="scenarios to run (default: all)")
    parser.add_argument("--root", default=str(ROOT), help="the checkout of the project to serve")
    args = parser.parse_args()
    build_database(args.database, args.samples)
    batch_rows = int(os.environ.get("SEDA_MAX_BATCH_ROWS", "10000"))
    requests = heavy_requests(args.database, batch_rows)
    scenarios = {"idle": [], **{request[0]: [request] for request in requests}, "all": requests}
    if args.only:
        scenarios = {name: scenarios[name] for name in args.only}
    port = _free_port()
    service = start_service(args.database, port, args.root)
    results = {name: [] for name in scenarios}
    try:
        # Steady state: the first use of a path imports what it needs (NumPy, the engine) on the loop,
        # once per process; bench/cold_start.py measures that.
        for _, method, url, body, headers in requests:
            _call(http.client.HTTPConnection("127.0.0.1", port, timeout=600), method, url, body, headers)
        for round_number in range(args.rounds):
            for name, chosen in scenarios.items():
                latencies, statuses = run_scenario(port, chosen, args.seconds)
                results[name].append((percentile(latencies, 0.5), percentile(latencies, 0.99), max(latencies),
                                      len(latencies), statuses))
                print(f"round {round_number + 1} {name}: p99 {results[name][-1][1]:.1f} ms {statuses}",
                      file=sys.stderr)
    finally:
        os.killpg(service.pid, 15)
        service.wait()
    print(f"\nLiveness probe ({PROBE}) latency, ms: median of {args.rounds} interleaved rounds of "
          f"{args.seconds:g} s; database {args.database}\n")
    print(f"{'load':<12} {'p50':>7} {'p99':>7} {'max':>7} {'probes':>7}  heavy answers (status: count, all rounds)")
    for name, rounds in results.items():
        statuses = {}
        for *_, answered in rounds:
            for status, count in answered.items():
                statuses[status] = statuses.get(status, 0) + count
        p50, p99, worst, probes = (statistics.median(r[k] for r in rounds) for k in range(4))
        print(f"{name:<12} {p50:>7.2f} {p99:>7.2f} {worst:>7.1f} {probes:>7.0f}  {statuses or '-'}")


if __name__ == "__main__":
    main()
