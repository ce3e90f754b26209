"""Requests/s and p50/p99 latency of the service, a raw baseline and the seed app serving the same page, in one run.

    python bench/api_throughput.py [--rounds 3] [--seconds 5] [--connections 16]
                                   [--path /api/v1/equipment?limit=100] [--database FILE]
                                   [--peer-venv DIR] [--root DIR]

Every server has one worker process and serves the same SQLite file (the demo database, built
in a temporary directory unless `--database` names one) on loopback; wrk (`apt-get install wrk`)
loads each in turn, the order rotating each round, and the table shows the median over rounds:
- service: `functions_framework.create_app("api", "main.py")` under uvicorn (uvloop and
  httptools when installed): routing, validation, request ids, CORS and safety headers, the
  access log (to /dev/null), the db helper and the serializer; `--root` serves another
  checkout of the project (to measure a commit before a change);
- baseline: a bare ASGI callable under the same uvicorn that runs the same SELECT with sqlite3
  and writes it with orjson: what any Python service pays for this page;
- seed: the Flask-RESTful app this project replaces (`../shared/peers/seed_flask_restful`), under
  gunicorn with 8 threads, from its own virtualenv, running the same SELECT:
      V=/tmp/peer-venv; python3 -m venv $V && $V/bin/pip install flask flask-restful flask-cors gunicorn
      python bench/api_throughput.py --peer-venv $V
Goals: service/baseline >= 0.8 and service/seed >= 4 in requests/s.
"""

import argparse
import os
import pathlib
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The peers sit in ../shared/peers beside the main checkout, so a level higher from a worktree in wt/.
PEER = next((base / "shared" / "peers" / "seed_flask_restful" for base in (ROOT.parent, ROOT.parent.parent)
             if (base / "shared" / "peers").is_dir()), None)
sys.path.insert(0, str(ROOT))

# The statement each page runs, for the baseline and the seed app (what the service's handler reads).
PAGES = {
    "/api/v1/equipment?limit=100": (
        "SELECT id, substation_id, name, kind, manufacturer, rated_mva, voltage_kv, year_manufactured, "
        "oil_preservation, insulating_liquid, status FROM equipment ORDER BY id LIMIT 100 OFFSET 0"
    ),
    "/api/v1/measurements?limit=100": (
        "SELECT id, equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2, o2, n2, lab FROM dga_sample "
        "ORDER BY equipment_id, sampled_at LIMIT 100 OFFSET 0"
    ),
}
_UNITS_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def service_app():
    """The service as the framework builds it (uvicorn --factory target), from the checkout in BENCH_ROOT."""
    import functions_framework

    root = os.environ.get("BENCH_ROOT", str(ROOT))
    sys.path.insert(0, root)
    return functions_framework.create_app("api", os.path.join(root, "main.py"))


def baseline_app():
    """The bare baseline: one query (BENCH_SQL), orjson, no framework (uvicorn --factory target)."""
    import datetime
    import sqlite3

    import orjson

    connection = sqlite3.connect(os.environ["SEDA_SQLITE_PATH"], check_same_thread=False)
    statement = os.environ["BENCH_SQL"]

    async def app(scope, receive, send):
        cursor = connection.execute(statement)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        if "sampled_at" in names:
            for row in rows:
                row["sampled_at"] = datetime.datetime.fromisoformat(row["sampled_at"])
        body = orjson.dumps(rows, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return app


def _free_port():
    """A free loopback port."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def _uvicorn(factory, port):
    """The command serving a factory of this module with uvicorn, one worker."""
    return [sys.executable, "-m", "uvicorn", "--factory", f"bench.api_throughput:{factory}", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]


def _seed(venv, port):
    """The command serving the seed app with gunicorn from its virtualenv, as its README says."""
    return [os.path.join(venv, "bin", "gunicorn"), "-b", f"127.0.0.1:{port}", "--threads", "8", "-w", "1", "app:app"]


def serve(command, cwd, environment, ready_path):
    """Start a server and wait until `ready_path` answers; returns (process, base URL)."""
    port = _free_port()
    process = subprocess.Popen(command(port), cwd=cwd, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + ready_path, timeout=2).read()
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{command(port)[0]} did not start")


def wrk(url, seconds, connections):
    """(requests/s, p50 ms, p99 ms) that wrk measured."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered errors:\n{output}")

    def latency_ms(share):
        value, unit = re.search(rf"^\s+{share}%\s+([\d.]+)(us|ms|s)$", output, re.MULTILINE).groups()
        return float(value) * _UNITS_S[unit] * 1000

    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), latency_ms(50), latency_ms(99)


def main():
    """Start the servers, load each in interleaved rounds, print the medians and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", default="/api/v1/equipment?limit=100", choices=PAGES)
    parser.add_argument("--database", help="the SQLite file to serve (default: a new demo database)")
    parser.add_argument("--peer-venv", help="a virtualenv with flask, flask-restful, flask-cors and gunicorn")
    parser.add_argument("--root", default=str(ROOT), help="the checkout of the project to serve")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    database = args.database or os.path.join(tempfile.mkdtemp(), "seda.sqlite3")
    from shared.db.sqlite_files import create_if_absent

    create_if_absent(database)  # the demo database, once, before any server starts
    statement = PAGES[args.path]
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SEDA_", "ORACLE_"))},
        "SEDA_SQLITE_PATH": database, "BENCH_SQL": statement, "BENCH_ROOT": args.root, "PEER_DB": database,
        "PEER_QUERY": statement,
        # wrk is one client: its budget would run out in a moment. bench/rate_limit.py measures what limiting costs.
        "SEDA_RATE_LIMIT_PER_MINUTE": "0",
    }
    servers = {
        "service": (lambda port: _uvicorn("service_app", port), ROOT, "/api/v1/health/live"),
        "baseline": (lambda port: _uvicorn("baseline_app", port), ROOT, "/"),
    }
    if args.peer_venv:
        if PEER is None:
            raise SystemExit("the seed app is not in ../shared/peers/seed_flask_restful")
        servers["seed"] = (lambda port: _seed(args.peer_venv, port), PEER, "/api/v1/application")
    started = {name: serve(command, cwd, environment, ready) for name, (command, cwd, ready) in servers.items()}
    paths = {name: args.path for name in started} | ({"seed": "/api/v1/application"} if "seed" in started else {})
    results = {name: [] for name in started}
    try:
        names = list(started)
        for round_number in range(args.rounds):
            for name in names[round_number % len(names):] + names[: round_number % len(names)]:
                results[name].append(wrk(started[name][1] + paths[name], args.seconds, args.connections))
    finally:
        for process, _ in started.values():
            process.terminate()
            process.wait()
    medians = {name: [statistics.median(r[k] for r in rounds) for k in range(3)] for name, rounds in results.items()}
    print(f"\n{args.path}: {args.connections} connections, median of {args.rounds} interleaved rounds of "
          f"{args.seconds} s, one worker each\n")
    print(f"{'server':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  service's req/s and its p50, p99 as a multiple "
          "of this server's (above 1: the service is faster)")
    service_rate, service_p50, service_p99 = medians["service"]
    for name, (rate, p50, p99) in medians.items():
        ratios = f"{service_rate / rate:.2f}x req/s, {p50 / service_p50:.2f}x p50, {p99 / service_p99:.2f}x p99"
        print(f"{name:<9} {rate:>8,.0f} {p50:>8.2f} {p99:>8.2f}  {'-' if name == 'service' else ratios}")


if __name__ == "__main__":
    main()
