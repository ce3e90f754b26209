"""Cold start: exec → first 200, per target, against the seed app and the framework's own floor.

    python bench/cold_start.py [--rounds 9] [--compare OTHER/main.py] [--seed-venv DIR] [--no-bytecode-cache]

Every subject is a fresh process on a free loopback port, timed from just before its exec to
the first 200 answer (the port is polled with back-to-back connects; a connection the kernel
accepts before the worker is up simply waits in the backlog):
- each target of ours, `functions-framework --source <main.py> --target <target>` (the CLI
  beside this Python, so no shim is timed) on the demo SQLite database, answering GET `/`;
  `api` twice: its first request `/api/v1/equipment`, and `/api/v1/diagnoses` (the one that
  loads NumPy);
- the framework's floor: `functions-framework --target=hello` in `../shared/peers/ff_aio_hello`;
- the seed app: gunicorn from its own venv in `../shared/peers/seed_flask_restful`, as its
  README says, serving `/api/v1/application` from the same SQLite file.
Rounds are interleaved (every subject once per round, the order rotated each round) and the
table shows medians. Every subject compiles its modules once, in an uncounted warm-up round,
into a private bytecode cache, unless `--no-bytecode-cache`. `--source
/other/checkout/main.py` times another checkout instead, `--compare /other/checkout/main.py`
as well, in the same rounds (each checkout's own code builds its database). The
seed's venv is created on first use (`pip install flask flask-restful flask-cors gunicorn`,
needs PyPI) and reused after.
"""

import argparse
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEERS = ROOT.parent.parent / "shared" / "peers"  # /work/shared/peers beside /work/wt/<name> and /work/main
if not PEERS.is_dir():
    PEERS = ROOT.parent / "shared" / "peers"
SEED_PACKAGES = ("flask", "flask-restful", "flask-cors", "gunicorn")
SEED_QUERY = "SELECT * FROM equipment ORDER BY id LIMIT 100"
API_KEY = "cold-start-bench-key-0123456789"
START_LIMIT_S = 60
# Each resource target and the path of its first request.
OUR_TARGETS = {
    "application": "/",
    "substations": "/",
    "equipment": "/",
    "measurements": "/",
    "diagnoses": "/",
    "health": "/",
    "openapi": "/",
    "docs": "/",
    "audit": "/",
    "api": "/api/v1/equipment",
}
_API_DIAGNOSES = "api → /diagnoses"
_FLOOR = "ff aio hello (floor)"
_SEED = "seed Flask-RESTful"
_BASELINES = (_FLOOR, _SEED)
_BEFORE = " (before)"  # the rows of the --compare checkout


def _free_port():
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status_of_get(port, path):
    """The status of one GET, or None while nothing listens on the port yet."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: Bearer {API_KEY}\r\nConnection: close\r\n\r\n")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=START_LIMIT_S) as sock:
            sock.sendall(request.encode())
            head = sock.recv(64)
    except (ConnectionRefusedError, ConnectionResetError):
        return None
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else None


def time_to_first_200(command, cwd, environment, port, path):
    """Seconds from exec of `command` to the first 200 for GET `path`; the process is stopped after."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        while time.perf_counter() - started < START_LIMIT_S:
            status = _status_of_get(port, path)
            if status == 200:
                return time.perf_counter() - started
            if status is not None:
                raise SystemExit(f"{' '.join(command)}: GET {path} answered {status}")
            if process.poll() is not None:
                raise SystemExit(f"{' '.join(command)} exited: {process.stderr.read().decode()[-2000:]}")
        raise SystemExit(f"{' '.join(command)}: no 200 within {START_LIMIT_S} s")
    finally:
        os.killpg(process.pid, 9)  # the arbiter and its worker; nothing to drain in a benchmark
        process.wait()
        process.stderr.close()


def seed_gunicorn(venv):
    """The seed's gunicorn, its venv created on first use as the peer's README says."""
    gunicorn = venv / "bin" / "gunicorn"
    if not gunicorn.exists():
        print(f"creating the seed's venv in {venv} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *SEED_PACKAGES], check=True)
    return gunicorn


def build_database(source, directory):
    """The demo SQLite database, built by the checkout being timed (its schema version)."""
    path = directory / "seda.sqlite3"
    subprocess.run([sys.executable, "-c", "from shared import db; db.open_at_start()"], check=True,
                   cwd=source.parent, env={**os.environ, "SEDA_DATABASE": "sqlite", "SEDA_SQLITE_PATH": str(path)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def python_environment(directory, bytecode_cache):
    """The environment every subject starts in: the same bytecode-cache rule for all of them.

    With the cache, compiled modules are kept in a private folder (PYTHONPYCACHEPREFIX: the
    peers' folders are read-only), as in an image built with `python -m compileall`; without
    it, every start compiles the sources that ship no bytecode (ours and the peers' own files).
    """
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if bytecode_cache:
        return {**environment, "PYTHONPYCACHEPREFIX": str(directory / "pycache")}
    return {**environment, "PYTHONDONTWRITEBYTECODE": "1"}


def _framework_command(target, *options):
    """The functions-framework CLI beside this Python serving `target` (no shim timed), as a function of the port."""
    framework = str(pathlib.Path(sys.executable).parent / "functions-framework")
    return lambda port: [framework, *options, f"--target={target}", "--host=127.0.0.1", f"--port={port}"]


def baselines(database, gunicorn, environment):
    """{name: (command builder(port), cwd, environment, path)} of the two baselines."""
    return {
        _FLOOR: (_framework_command("hello"), PEERS / "ff_aio_hello", environment, "/"),
        _SEED: (
            lambda port: [str(gunicorn), "-b", f"127.0.0.1:{port}", "--threads", "8", "-w", "1", "app:app"],
            PEERS / "seed_flask_restful", {**environment, "PEER_DB": str(database), "PEER_QUERY": SEED_QUERY},
            "/api/v1/application",
        ),
    }


def our_targets(source, database, environment, suffix=""):
    """{name + suffix: (command builder(port), cwd, environment, path)} of every target of one checkout."""
    ours = {**environment, "SEDA_DATABASE": "sqlite", "SEDA_SQLITE_PATH": str(database),
            "SEDA_API_KEYS": f"bench@read+ingest+admin={API_KEY}"}
    paths = {**{target: (target, path) for target, path in OUR_TARGETS.items()},
             _API_DIAGNOSES: ("api", "/api/v1/diagnoses")}
    return {
        name + suffix: (_framework_command(target, f"--source={source}"), source.parent, ours, path)
        for name, (target, path) in paths.items()
    }


def measure(table, rounds):
    """{name: [seconds per round]}, every subject once per round, the order rotated each round.

    A first round is not counted: it writes the bytecode caches and warms the page cache.
    """
    names = list(table)
    timings = {name: [] for name in names}
    for round_number in range(-1, rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            command, cwd, environment, path = table[name]
            port = _free_port()
            seconds = time_to_first_200(command(port), cwd, environment, port, path)
            if round_number >= 0:
                timings[name].append(seconds)
        print(f"round {round_number + 1}/{rounds} done" if round_number >= 0 else "warm-up round done", file=sys.stderr)
    return timings


def print_table(timings, goal):
    """Medians in ms, and each one's ratio to the floor and to the seed."""
    floor = statistics.median(timings[_FLOOR])
    seed = statistics.median(timings[_SEED])
    print(f"{'subject':<31} {'median ms':>9} {'min ms':>7} {'× floor':>8} {'× seed':>7}  within {goal}× floor")
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        verdict = "—" if name in _BASELINES or name.endswith(_BEFORE) else "yes" if median <= goal * floor else "NO"
        print(f"{name:<31} {median * 1000:>9.0f} {min(seconds) * 1000:>7.0f} {median / floor:>8.2f} "
              f"{median / seed:>7.2f}  {verdict}")


def main():
    """Build the database, time every subject in interleaved rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--source", type=pathlib.Path, default=ROOT / "main.py", help="the main.py to time")
    parser.add_argument("--seed-venv", type=pathlib.Path,
                        default=pathlib.Path(tempfile.gettempdir()) / "seda-seed-venv")
    parser.add_argument("--goal", type=float, default=1.1, help="each target's goal, as a multiple of the floor")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile sources at every start (PYTHONDONTWRITEBYTECODE=1), for every subject")
    parser.add_argument("--compare", type=pathlib.Path, metavar="MAIN_PY",
                        help="also time this checkout's targets in the same rounds (rows marked 'before')")
    args = parser.parse_args()
    source = args.source.resolve()
    with tempfile.TemporaryDirectory() as directory:
        directory = pathlib.Path(directory)
        (directory / "this").mkdir()
        database = build_database(source, directory / "this")
        environment = python_environment(directory, bytecode_cache=not args.no_bytecode_cache)
        table = {**baselines(database, seed_gunicorn(args.seed_venv), environment),
                 **our_targets(source, database, environment)}
        if args.compare:
            (directory / "compare").mkdir()
            compared = args.compare.resolve()
            table.update(our_targets(compared, build_database(compared, directory / "compare"), environment, _BEFORE))
        print_table(measure(table, args.rounds), args.goal)


if __name__ == "__main__":
    main()
