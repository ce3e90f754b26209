"""`python -m bench.soak`: the command line, and the run that puts the server, the clients and the faults together."""

import argparse
import itertools
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import time

import bench.soak
from bench.soak.clients import REQUEST_TIMEOUT_S, Client
from bench.soak.faults import FAULTS, fault_schedule, inject
from bench.soak.report import report
from bench.soak.server import Server
from bench.soak.verdict import verify


def soak(seconds, clients, faults, seed, workdir):
    """Run the soak in `workdir`; the ledgers, the fault log and the verdict."""
    database = str(workdir / "seda.sqlite3")
    with open(workdir / "server.log", "w") as log:
        server = Server(database, log)
        server.start()  # the first start creates the demo database
        units = [row[0] for row in sqlite3.connect(database).execute("SELECT id FROM equipment ORDER BY id")]
        started = time.monotonic()
        numbers = itertools.count()
        workers = [Client(n, clients, server.port, units, started, seconds, seed, numbers) for n in range(clients)]
        for worker in workers:
            worker.start()
        events = []
        for at, fault in fault_schedule(seconds, faults):
            time.sleep(max(0.0, started + at - time.monotonic()))
            events.append((time.monotonic() - started, inject(fault, server, seconds)))
        for worker in workers:
            worker.join(timeout=max(0.0, started + seconds - time.monotonic()) + REQUEST_TIMEOUT_S + 5)
        server.kill()
    ledgers = [worker.ledger for worker in workers]
    return ledgers, events, verify(database, ledgers)


def _fault_names(raw):
    """The --faults list: names from FAULTS, comma-separated, or none."""
    names = [name.strip() for name in raw.split(",") if name.strip() and name.strip() != "none"]
    unknown = sorted(set(names) - set(FAULTS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown fault(s) {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
    return tuple(dict.fromkeys(names))


def main(argv=None):
    """Run the soak and print its table; exit 1 when a write was lost or split or the file is damaged."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=bench.soak.__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long the clients run (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--faults", type=_fault_names, default=FAULTS, help="comma-separated: lock,move,kill or none")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' random choices")
    parser.add_argument("--workdir", type=pathlib.Path, help="an empty directory to keep the database and server log in")
    arguments = parser.parse_args(argv)
    if arguments.seconds < 1 or arguments.clients < 1:
        parser.error("--seconds and --clients must be at least 1")
    if arguments.workdir and (not arguments.workdir.is_dir() or any(arguments.workdir.iterdir())):
        parser.error(f"--workdir {arguments.workdir} must be an existing empty directory")
    with tempfile.TemporaryDirectory(prefix="seda-soak-") as scratch:
        try:
            ledgers, events, verdict = soak(
                arguments.seconds, arguments.clients, arguments.faults, arguments.seed,
                arguments.workdir or pathlib.Path(scratch),
            )
        except (AssertionError, OSError, subprocess.SubprocessError) as exc:
            print(f"soak could not run: {exc}", file=sys.stderr)
            return 2
    print(report(arguments.seconds, arguments.clients, ledgers, events, verdict))
    return 1 if verdict.failed else 0
