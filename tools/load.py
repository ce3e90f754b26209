"""Build a benchmark database with the project's own generator (`shared/demo_data.py`).

    python -m tools.load --samples 1000000 --sqlite PATH [--seed N] [--replace] [--no-verdicts]
    python -m tools.load --samples 1000000 --oracle [--replace]     # the service's ORACLE_* variables

SQLite: a new file at PATH with the current schema and the generated fleet, built beside it
(`PATH.partial`) and moved into place only when complete, so PATH is never half a database;
an existing PATH is refused unless `--replace`. The build runs as the ordered `SQLITE_STEPS`
(schema, fleet, stored verdicts, statistics), each a function of the connection and the fleet; a step that fills
another table (stored verdicts, say) is one more entry there. Progress goes to stderr
(`tools/progress.py`). Oracle: delegated to `tools.load_oracle` (schema from sql/oracle first).
"""

import argparse
import contextlib
import os
import sys
import time

from shared import demo_data
from shared.db import sqlite_files
from tools import load_oracle
from tools.progress import Progress


def _schema(connection, fleet):
    """The current schema and its version records."""
    sqlite_files.create_schema(connection)


def _fleet(connection, fleet):
    """Substations, equipment and every sample, with a progress bar over the samples."""
    with Progress("samples", fleet.sample_count) as progress:
        sqlite_files.load_fleet(
            connection, fleet, lambda table, count: progress.advance(count) if table == "dga_sample" else None
        )


def _verdicts(connection, fleet):
    """A stored verdict for every complete sample, as the service writes them (`shared/verdict_store.py`)."""
    unit_ids = [unit["id"] for unit in fleet.equipment]
    with Progress("units diagnosed", len(unit_ids)) as progress:
        for start in range(0, len(unit_ids), _UNITS_PER_VERDICT_STEP):
            chunk = unit_ids[start : start + _UNITS_PER_VERDICT_STEP]
            sqlite_files.store_verdicts(connection, chunk)
            progress.advance(len(chunk))


def _statistics(connection, fleet):
    """Planner statistics, so the first queries on the new file plan as later ones will."""
    connection.execute("ANALYZE")


_UNITS_PER_VERDICT_STEP = 500  # ~17,000 verdicts between two moves of the progress bar

# The build, in order: (what it does, step(connection, fleet)).
SQLITE_STEPS = (
    ("schema", _schema),
    ("fleet", _fleet),
    ("verdicts", _verdicts),
    ("statistics", _statistics),
)


def build_sqlite(path, fleet, replace=False, verdicts=True):
    """Build the database at `path` from `fleet` through `SQLITE_STEPS`, then move it into place.

    `verdicts=False` skips the stored verdicts (every sample is then pending, as after an upgrade
    to schema version 4: `tools.rediagnose` writes them); tests of sample reads build faster so.
    """
    steps = [(name, step) for name, step in SQLITE_STEPS if verdicts or step is not _verdicts]
    if os.path.exists(path) and not replace:
        raise FileExistsError(f"{path} exists already; pass --replace to build a new one in its place")
    partial = f"{path}.partial"
    for leftover in (partial, f"{partial}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)
    connection = sqlite_files.open_new_file(partial)
    try:
        # A file nobody else reads yet: no journal, no syncs until it is complete.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        for name, step in steps:
            started = time.perf_counter()
            step(connection, fleet)
            print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode = WAL")  # what the service runs with
    finally:
        connection.close()
    for stale in (f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(stale)
    os.replace(partial, path)


def main(argv=None):
    """Parse arguments and build the SQLite file, or hand over to the Oracle loader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", metavar="PATH", help="build a new SQLite database file at PATH")
    target.add_argument("--oracle", action="store_true", help="load into Oracle (ORACLE_* variables, see shared/config/__init__.py)")
    parser.add_argument("--samples", type=int, default=None, help="target sample count (default: the demo fleet)")
    parser.add_argument("--seed", type=int, default=demo_data.DEFAULT_SEED)
    parser.add_argument("--replace", action="store_true", help="replace an existing file / delete existing fleet rows")
    parser.add_argument("--no-verdicts", action="store_true",
                        help="SQLite: leave every sample pending (python -m tools.rediagnose writes the verdicts)")
    args = parser.parse_args(argv)
    if args.oracle:
        forwarded = ["--seed", str(args.seed)] + (["--samples", str(args.samples)] if args.samples else [])
        return load_oracle.main(forwarded + (["--replace"] if args.replace else []))
    started = time.perf_counter()
    fleet = demo_data.generate(seed=args.seed, samples=args.samples)
    try:
        build_sqlite(args.sqlite, fleet, replace=args.replace, verdicts=not args.no_verdicts)
    except FileExistsError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started
    print(f"built {args.sqlite}: {len(fleet.substations)} substations, {len(fleet.equipment)} equipment, "
          f"{fleet.sample_count} samples in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
