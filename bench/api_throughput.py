"""Requests/s of the service against a raw baseline serving the same page, in one run.

    python bench/api_throughput.py [--seconds 5] [--connections 16] [--path /api/v1/measurements?limit=100]

Both servers run on loopback under uvicorn (1 worker; uvloop and httptools when installed) and
are loaded by wrk (`apt-get install wrk`), one after the other, twice each, best run kept:
- service: `functions_framework.create_app("api", "main.py")`, i.e. routing, validation,
  request ids, CORS, the access log (to /dev/null), the db helper and the serializer;
- baseline: a bare ASGI callable that runs the same SELECT with sqlite3 and writes it with orjson.
The ratio service/baseline is the cost of everything the service does beyond the query.
"""

import argparse
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE_SQL = (
    "SELECT id, equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2, o2, n2, lab FROM dga_sample "
    "ORDER BY equipment_id, sampled_at LIMIT 100 OFFSET 0"
)


def service_app():
    """The service as the framework builds it (uvicorn --factory target)."""
    import functions_framework

    return functions_framework.create_app("api", str(ROOT / "main.py"))


def baseline_app():
    """The bare baseline: one query, orjson, no framework (uvicorn --factory target)."""
    import datetime
    import sqlite3

    import orjson

    connection = sqlite3.connect(os.environ["SEDA_SQLITE_PATH"], check_same_thread=False)

    async def app(scope, receive, send):
        cursor = connection.execute(BASELINE_SQL)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        for row in rows:
            row["sampled_at"] = datetime.datetime.fromisoformat(row["sampled_at"])
        body = orjson.dumps(rows, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return app


def _free_port():
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(factory, environment):
    """Start uvicorn on a free loopback port with the factory; returns (process, base URL)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", f"bench.api_throughput:{factory}",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/api/v1/health", timeout=2).read()
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{factory} did not start")


def wrk(url, seconds, connections):
    """Requests/s that wrk measured."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main():
    """Measure both servers twice, alternating, and print the best of each and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", default="/api/v1/measurements?limit=100")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    environment = dict(os.environ)
    environment.setdefault("SEDA_SQLITE_PATH", os.path.join(tempfile.mkdtemp(), "seda.sqlite3"))
    # wrk is one client: its budget would run out in a moment. bench/rate_limit.py measures what limiting costs.
    environment.setdefault("SEDA_RATE_LIMIT_PER_MINUTE", "0")
    from shared import db

    os.environ.update(environment)
    db.open_at_start()  # build the demo database once, before either server starts
    rates = {"service_app": [], "baseline_app": []}
    for _ in range(2):
        for factory in rates:
            process, url = serve(factory, environment)
            try:
                rates[factory].append(wrk(url + args.path, args.seconds, args.connections))
            finally:
                process.terminate()
                process.wait()
    service, baseline = max(rates["service_app"]), max(rates["baseline_app"])
    print(f"{args.path}: service {service:,.0f} req/s, raw baseline {baseline:,.0f} req/s, "
          f"service/baseline = {service / baseline:.2f}")


if __name__ == "__main__":
    main()
