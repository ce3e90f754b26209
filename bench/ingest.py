"""Ingest: samples/s of 10,000-row CSV `POST /api/v1/measurements`, stored verdicts included, against a real server.

    python bench/ingest.py [--rounds 5] [--rows 10000] [--samples 100000] [--database PATH]

Two databases, each served by its own uvicorn process on loopback (1 worker, the service as
`functions_framework.create_app("api", "main.py")` builds it): the demo database, and a bigger
one built here from `shared.demo_data.generate(samples=--samples)` with every verdict stored
(or `--database PATH`, e.g. the 1M-sample database `python -m tools.load` builds; it is copied,
never written). Rounds alternate between the two; each posts `--rows` new samples (times after
every stored one, so each is an insert) spread over as many units as the database has, up to
one sample per unit. The server wraps `shared.verdict_store`'s steps with timers (the service's
own code, timed from outside), so the table also says what share of each POST is spent in
`verdict_store.refresh`, split into reading the units' states, `plan` (engine, rows, JSON) and
writing. Medians over the rounds; one line per database.
"""

import argparse
import contextlib
import datetime
import json
import os
import pathlib
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API_KEY = "bench-ingest-key-0123456789"
STEPS = ("read_states", "plan", "write")
FIRST_NEW_SAMPLE = datetime.datetime(2040, 1, 1)  # after every generated sample: the bench's rows are inserts


def instrumented_app():
    """The service, with `verdict_store.refresh` and its steps timed into the JSON-lines file $BENCH_TIMINGS."""
    import functions_framework

    from shared import verdict_store

    spent = {}

    def timed_async(name, function):
        async def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    refresh = verdict_store.refresh

    async def timed_refresh(tx, changes):
        spent.clear()
        started = time.perf_counter()
        result = await refresh(tx, changes)
        spent["refresh"] = time.perf_counter() - started
        with open(os.environ["BENCH_TIMINGS"], "a") as timings:
            timings.write(json.dumps({**spent, "verdicts": len(result.upserts)}) + "\n")
        return result

    verdict_store.read_states = timed_async("read_states", verdict_store.read_states)
    verdict_store.write = timed_async("write", verdict_store.write)
    verdict_store.plan = timed("plan", verdict_store.plan)
    verdict_store.refresh = timed_refresh
    return functions_framework.create_app("api", str(ROOT / "main.py"))


def build_database(path, samples):
    """A database of about `samples` generated samples with every verdict stored (`python -m tools.load`)."""
    subprocess.run([sys.executable, "-m", "tools.load", "--samples", str(samples), "--sqlite", str(path)],
                   cwd=ROOT, check=True)


def csv_body(unit_ids, rows, round_number, rng):
    """`rows` new samples as CSV: round-robin over the units, each unit's at later days than any stored."""
    from shared.schema import SAMPLE_GASES

    lines = [",".join(("equipment_id", "sampled_at", *SAMPLE_GASES, "lab"))]
    gases = rng.lognormal(3, 1.5, size=(rows, len(SAMPLE_GASES))).round(1)
    for row in range(rows):
        unit = unit_ids[row % len(unit_ids)]
        moment = FIRST_NEW_SAMPLE + datetime.timedelta(days=round_number * 1000 + row // len(unit_ids))
        lines.append(",".join((str(unit), moment.isoformat() + "Z", *map(str, gases[row]), "bench")))
    return ("\n".join(lines) + "\n").encode()


def _free_port():
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(database, timings):
    """uvicorn serving the instrumented service on `database`; (process, base URL) once it answers."""
    port = _free_port()
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith(("SEDA_", "ORACLE_"))},
                   "SEDA_SQLITE_PATH": str(database), "SEDA_API_KEYS": API_KEY, "SEDA_RATE_LIMIT_PER_MINUTE": "0",
                   "BENCH_TIMINGS": str(timings)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.ingest:instrumented_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url + "/api/v1/health/live", timeout=2).read()
            return process, url
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the service on {database} did not start")


def cpu_seconds(process):
    """CPU seconds (user + system) the server process has used so far (Linux /proc)."""
    fields = pathlib.Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(url, body):
    """POST the CSV; seconds taken (the answer must say every row was inserted)."""
    request = urllib.request.Request(f"{url}/api/v1/measurements", data=body, method="POST", headers={
        "Content-Type": "text/csv", "Authorization": f"Bearer {API_KEY}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        answer = json.loads(response.read())
    elapsed = time.perf_counter() - started
    if answer["inserted"] != answer["received"]:
        raise SystemExit(f"expected inserts only, got {answer}")
    return elapsed


class Target:
    """One database under test: its server, its units, and the timings of its posts."""

    def __init__(self, name, database, directory):
        self.name = name
        self.timings = directory / f"{name}.timings.jsonl"
        connection = sqlite3.connect(database)
        self.samples = connection.execute("SELECT COUNT(*) FROM dga_sample").fetchone()[0]
        self.units = [row[0] for row in connection.execute("SELECT id FROM equipment ORDER BY id")]
        connection.close()
        self.process, self.url = serve(database, self.timings)
        self.seconds = []
        self.cpu = []  # the server's CPU seconds per POST: what it costs whatever else the machine runs

    def post(self, body):
        """POST `body`, recording wall and server CPU seconds."""
        cpu_before = cpu_seconds(self.process)
        self.seconds.append(post(self.url, body))
        self.cpu.append(cpu_seconds(self.process) - cpu_before)

    def refresh_timings(self):
        """One dict per POST: seconds in refresh and in each step, and the verdicts written."""
        return [json.loads(line) for line in self.timings.read_text().splitlines()]

    def stop(self):
        """Stop the server."""
        self.process.terminate()
        self.process.wait(timeout=30)


def main():
    """Build or copy the databases, post in interleaved rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100_000, help="size of the bigger database built here")
    parser.add_argument("--database", type=pathlib.Path, help="use a copy of this database as the bigger one")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory(prefix="seda-ingest-") as scratch:
        directory = pathlib.Path(scratch)
        from shared.db.sqlite_files import backup, create_if_absent

        create_if_absent(str(directory / "demo.sqlite3"))
        bigger = directory / "bigger.sqlite3"
        if args.database:
            backup(str(args.database), str(bigger))  # SQLite's backup API: the -wal's commits come along
        else:
            print(f"building a database of ~{args.samples:,} samples with their verdicts…", file=sys.stderr)
            build_database(bigger, args.samples)
        targets = [Target("demo", directory / "demo.sqlite3", directory), Target("bigger", bigger, directory)]
        try:
            for round_number in range(args.rounds):
                for target in targets:
                    target.post(csv_body(target.units, args.rows, round_number, rng))
        finally:
            for target in targets:
                target.stop()
        print_table(targets, args.rows)


def print_table(targets, rows):
    """One line per database: medians of the rounds."""
    print(f"{rows:,}-row CSV POST /api/v1/measurements, stored verdicts included; medians of "
          f"{len(targets[0].seconds)} interleaved rounds")
    header = ("database", "samples", "units/post", "POST s", "samples/s", "server CPU s", "samples/CPU s",
              "refresh share", *[f"{s} s" for s in STEPS])
    print(" | ".join(header))
    for target in targets:
        timings = target.refresh_timings()
        median, cpu = statistics.median(target.seconds), statistics.median(target.cpu)
        share = statistics.median(timing["refresh"] / seconds for timing, seconds in zip(timings, target.seconds))
        steps = [statistics.median(timing.get(step, 0.0) for timing in timings) for step in STEPS]
        print(" | ".join((target.name, f"{target.samples:,}", f"{min(rows, len(target.units)):,}", f"{median:.2f}",
                          f"{rows / median:,.0f}", f"{cpu:.2f}", f"{rows / cpu:,.0f}", f"{share:.0%}",
                          *[f"{step:.2f}" for step in steps])))


if __name__ == "__main__":
    main()
