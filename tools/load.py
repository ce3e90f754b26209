"""Build a benchmark database with the project's own generator (`shared/demo_data.py`), or load CSV files.

    python -m tools.load --samples 1000000 --sqlite PATH [--seed N] [--replace] [--no-verdicts]
    python -m tools.load --samples 1000000 --oracle [--replace]     # the service's ORACLE_* variables
    python -m tools.load --csv DIR --sqlite PATH|--oracle [--dry-run] [--max-errors N] [--batch-rows N] [--reload]
    python -m tools.load --samples-csv FILE [--equipment-csv FILE ...] --sqlite PATH|--oracle ...

CSV files (substations, equipment, samples, inspections) are loaded by `tools/load_csv/`, which
says what their columns are and how a load checks, writes, resumes and reports; the rest of this
docstring is about the generated fleet.

SQLite: a new file at PATH with the current schema and the generated fleet, built beside it
(`PATH.partial`) and moved into place only when complete, so PATH is never half a database;
an existing PATH is refused unless `--replace`. The build runs as the ordered `SQLITE_STEPS`
(schema, fleet, stored verdicts, statistics), each a function of the connection and the fleet; a step that fills
another table (stored verdicts, say) is one more entry there. Progress goes to stderr
(`tools/progress.py`). Oracle: delegated to `tools.load_oracle` (schema from sql/oracle first).
"""

import argparse
import asyncio
import contextlib
import os
import sqlite3
import sys
import time

import oracledb

from shared import charsets, config, demo_data
from shared.db import migrations, sqlite_files
from shared.errors import ApiError
from tools import load_csv, load_oracle
from tools.progress import Progress
from tools.rediagnose import INTERRUPTED, failure_message


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


def _parser():
    """The command's arguments."""
    parser = argparse.ArgumentParser(prog="python -m tools.load", description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", metavar="PATH", help="the SQLite database file: built new from the generator, or "
                        "loaded with CSV files (created empty when absent)")
    target.add_argument("--oracle", action="store_true", help="load into Oracle (ORACLE_* variables, see shared/config/__init__.py)")
    generated = parser.add_argument_group("the generated fleet")
    generated.add_argument("--samples", type=int, default=None, help="target sample count (default: the demo fleet)")
    generated.add_argument("--seed", type=int, default=None, help=f"generator seed (default {demo_data.DEFAULT_SEED})")
    generated.add_argument("--replace", action="store_true", help="replace an existing file / delete existing fleet rows")
    generated.add_argument("--no-verdicts", action="store_true",
                           help="SQLite: leave every sample pending (python -m tools.rediagnose writes the verdicts)")
    files = parser.add_argument_group("CSV files (see tools/load_csv/)")
    files.add_argument("--csv", metavar="DIR", help="a directory holding any of "
                       + ", ".join(kind.file_name for kind in load_csv.KINDS))
    for kind in load_csv.KINDS:
        files.add_argument(f"--{kind.name}-csv", metavar="FILE", help=f"a file of {kind.name} (instead of DIR/{kind.file_name})")
    files.add_argument("--dry-run", action="store_true", help="check every file and report every problem; write nothing")
    files.add_argument("--max-errors", type=_count, default=0,
                       help="bad lines to skip (each reported) before refusing the whole load (default 0)")
    files.add_argument("--batch-rows", type=_count, default=load_csv.DEFAULT_BATCH_ROWS,
                       help=f"lines per transaction, each one checkpoint (default {load_csv.DEFAULT_BATCH_ROWS})")
    files.add_argument("--reload", action="store_true", help="write files again that were loaded whole before")
    files.add_argument("--charset", default="utf-8", help=f"the files' charset (default utf-8): {charsets.CHARSETS}")
    return parser


def _count(text):
    """argparse type for a whole number (at least 0; --batch-rows, which needs 1, is checked by `_load_csv`)."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number; received {text!r}")
    return int(text)


def _csv_paths(args):
    """`{kind name: path}` from --csv DIR and the per-file options (which win); empty when none was given."""
    paths = load_csv.files_in(args.csv) if args.csv else {}
    for kind in load_csv.KINDS:
        given = getattr(args, f"{kind.name}_csv")
        if given:
            paths[kind.name] = given
    return paths


def _load_csv(parser, args):
    """Check and load the CSV files the arguments name; the exit status."""
    generated = [flag for flag, given in (("--samples", args.samples is not None), ("--seed", args.seed is not None),
                                          ("--replace", args.replace), ("--no-verdicts", args.no_verdicts)) if given]
    if generated:
        parser.error(f"{', '.join(generated)} belong to the generated fleet, not to CSV loads (which upsert)")
    if args.batch_rows < 1:
        parser.error("--batch-rows must be at least 1")
    try:
        paths = _csv_paths(args)
        codec = charsets.codec(args.charset)
    except (load_csv.LoadRefused, ApiError) as exc:
        parser.error(exc.message)
    missing = [path for path in paths.values() if not os.path.isfile(path)]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    if args.oracle:
        target = ("oracle", config.settings().oracle)
        if target[1] is None:
            parser.error("set ORACLE_USER, ORACLE_PASSWORD and ORACLE_DSN (or ORACLE_HOST and a service name)")
    else:
        target = ("sqlite", args.sqlite)
    options = load_csv.Options(paths, target, args.dry_run, args.max_errors, args.batch_rows, args.reload, codec)
    try:
        return load_csv.run(options)
    except (asyncio.CancelledError, KeyboardInterrupt):
        print("interrupted: the batch in progress (if any) was rolled back; run the same command again to carry on "
              "after the last committed batch", file=sys.stderr)
        return INTERRUPTED
    except load_csv.LoadRefused as exc:
        print(f"tools.load: {exc.message}", file=sys.stderr)
        return 1
    except (ApiError, migrations.SchemaVersionError, RuntimeError, sqlite3.Error, oracledb.Error) as exc:
        print(f"tools.load: {failure_message(exc)}", file=sys.stderr)
        return 1


def main(argv=None):
    """Parse arguments, then load CSV files, build the SQLite file, or hand over to the Oracle loader."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.csv or any(getattr(args, f"{kind.name}_csv") for kind in load_csv.KINDS):
        return _load_csv(parser, args)
    seed = demo_data.DEFAULT_SEED if args.seed is None else args.seed
    if args.oracle:
        forwarded = ["--seed", str(seed)] + (["--samples", str(args.samples)] if args.samples else [])
        return load_oracle.main(forwarded + (["--replace"] if args.replace else []))
    started = time.perf_counter()
    fleet = demo_data.generate(seed=seed, samples=args.samples)
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
