"""Load CSV files of substations, equipment, DGA samples and inspections into SQLite or Oracle (`tools.load --csv`).

The package: `kinds.py` (the four files: columns, keys, parents, writes), `check.py` (reading and checking
files whole), `write.py` (batches and checkpoints); the run is here.

    python -m tools.load --csv DIR --sqlite PATH [--dry-run] [--max-errors N] [--batch-rows N] [--reload]
    python -m tools.load --samples-csv FILE --oracle ...          # one file; the ORACLE_* variables

The columns are the API's own fields (`KINDS`), checked by the API's own rules (`shared/bodies.py`
with each resource's fields), so a line the API would refuse is refused here with the same
message, as `FILE:LINE: message`. Rows name their parents by natural key, as the schema's unique
keys do: a substation by its `name`, a unit by `substation_name` and its `name` (`equipment_name`
in samples and inspections). Ids differ from one database to the next; names do not, and a file
can name parents loaded in the same run.

How a load runs:
1. Every file is read and checked whole first (what `--dry-run` does, and stops after): each line's
   fields, a sample's gases, a key given twice in a file, and each parent, in the database or
   among the parent file's good lines. Every problem is reported; nothing is written yet.
2. More bad lines than `--max-errors` (default 0), or a file that cannot be read at all: nothing
   is written. Otherwise the good lines are written, parents' files first, and the bad lines are
   skipped (each was reported in step 1).
3. Lines are written in batches of `--batch-rows`, each one transaction through the service's own
   write paths: an upsert on the natural key (`db.Upsert`: ON CONFLICT on SQLite, MERGE on
   Oracle), the stored verdicts the batch changes rewritten (`measurements.write_samples`, and an
   equipment change of a verdict input, as PUT does), and an audit entry (`shared/audit.py`, key
   id `tools.load`) naming the batch's first and last line. That entry is the checkpoint: it
   commits with the batch or not at all, so after a kill the same command carries on after the
   last committed line. The run's request id is derived from the file's bytes and the lines the
   check skipped, so a changed file, or one whose skipped lines are good now (their parents loaded
   since), starts again from its first line (upserts make that harmless), and a file loaded whole
   already is skipped; `--reload` writes it again (under a run id of its own, so an interrupted
   reload is repeated whole by running it again with `--reload`).
`--sqlite PATH` names an existing database of the current schema (the service's, which may keep
running: each batch holds the write lock for a moment) or a new file, created with the schema and
no rows once the check has passed (never by a dry run or a refused load). `--oracle` loads
into the schema the service's ORACLE_* variables name, by the same code with the Oracle dialect.
Exit status: 0 when every line was loaded (now or before), 1 when a line or a file was refused
(the good lines may still have been loaded, see 2) or the database refused a batch (rolled back;
the batches before it stay, and running the command again carries on), 130 when interrupted (the
batch in progress rolled back).
"""

import asyncio
import dataclasses
import datetime
import os
import sys

from shared import charsets, db
from shared.db import sqlite_files
from shared.db.oracle import OracleDatabase
from tools.load_csv.check import LoadRefused, check_all, files_in, parent_ids
from tools.load_csv.kinds import KINDS
from tools.load_csv.write import DEFAULT_BATCH_ROWS, actor, write_file
from tools.rediagnose import interruptible

__all__ = ["DEFAULT_BATCH_ROWS", "KINDS", "LoadRefused", "Options", "files_in", "run"]


def open_database(target):
    """The database to load into, `("sqlite", PATH)` or `("oracle", settings)`; None for a SQLite file not there yet."""
    dialect, where = target
    if dialect == "oracle":
        return OracleDatabase(where)
    path = os.path.abspath(where)
    return db.SqliteDatabase(path) if os.path.exists(path) else None


def created_database(target):
    """A new, empty SQLite file at the target's path, with the current schema, opened (just before the first write)."""
    sqlite_files.create_empty(os.path.abspath(target[1]))
    return open_database(target)


@dataclasses.dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    paths: dict  # kind name -> path
    target: tuple  # ("sqlite", path) or ("oracle", settings)
    dry_run: bool = False
    max_errors: int = 0
    batch_rows: int = DEFAULT_BATCH_ROWS
    reload: bool = False
    charset: str = charsets.UTF_8


def run(options, out=None, err=None):
    """Check every file, then (unless a dry run, or too many bad lines) write them; the exit status.

    Reports go to `out` (stdout by default), problems and progress to `err` (stderr). The check
    runs outside an event loop, so Ctrl-C stops it at once (KeyboardInterrupt); the writes run
    in one that SIGINT and SIGTERM cancel, rolling back the batch in progress (CancelledError).
    """
    out, err = out or sys.stdout, err or sys.stderr
    database = open_database(options.target)
    stored = {} if database is None else asyncio.run(_closing(database, _stored_parents(database)))
    checked = check_all(options.paths, options.charset, stored)
    for file in checked:
        for problem in file.problems():
            print(problem, file=err)
    bad_lines = sum(len(file.bad) for file in checked)
    refusal = _refusal(checked, bad_lines, options.max_errors)
    for file in checked if options.dry_run or refusal else ():
        state = "cannot be read" if file.unreadable else f"{file.good:,} good lines, {len(file.bad):,} bad"
        print(f"{file.label}: {state}", file=out)
    if options.dry_run:
        print("dry run: nothing was written", file=out)
        return 1 if bad_lines or refusal else 0
    if refusal:
        print(f"nothing was written: {refusal}", file=out)
        return 1
    database = database or created_database(options.target)
    asyncio.run(interruptible(_closing(database, _write_all(database, checked, options, out, err))))
    return 1 if bad_lines else 0


def _refusal(checked, bad_lines, max_errors):
    """Why nothing may be written, or None."""
    if any(file.unreadable for file in checked):
        return "a file cannot be read whole (see above); correct it and run again"
    if bad_lines > max_errors:
        return (f"{bad_lines:,} bad lines, more than --max-errors {max_errors}; correct them and run again, or "
                f"pass --max-errors {bad_lines} to load the other lines and skip those")
    return None


async def _closing(database, coroutine):
    """Run `coroutine`, then close the database's connections of this event loop."""
    try:
        return await coroutine
    finally:
        await database.close()


async def _stored_parents(database):
    """`parent_ids` of the database, on a session of its own."""
    async with database.connect() as session:
        return await parent_ids(session)


async def _write_all(database, checked, options, out, err):
    """Write every checked file, parents first, saying what each did."""
    reload_at = datetime.datetime.now(datetime.timezone.utc) if options.reload else None
    for file in checked:
        loaded = await write_file(database, file, options.charset, options.batch_rows, actor(file, reload_at), err)
        print(_written(file, loaded), file=out)


def _written(file, loaded):
    """The line that says what writing a file did."""
    skipped = f", {len(file.bad):,} bad lines skipped" if file.bad else ""
    before = f", {loaded.before:,} loaded by an earlier run" if loaded.before else ""
    if loaded.before == file.good and file.good and not loaded.batches:
        return f"{file.label}: loaded already ({file.good:,} lines{skipped}); --reload writes it again"
    batches = f"{loaded.batches:,} batch" + ("" if loaded.batches == 1 else "es")
    return f"{file.label}: {loaded.inserted:,} inserted, {loaded.updated:,} updated in {batches}{before}{skipped}"
