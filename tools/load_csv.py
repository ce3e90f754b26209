"""Load CSV files of substations, equipment, DGA samples and inspections into SQLite or Oracle (`tools.load --csv`).

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
   last committed line. The run's request id is derived from the file's bytes, so a changed
   file starts again from its first line (upserts make that harmless), and a file loaded whole
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
import hashlib
import os
import sqlite3
import sys

import oracledb

from functions import equipment, inspections, measurements, substations
from shared import audit, bodies, charsets, db, validation, verdict_refresh
from shared.db import sqlite_files
from shared.errors import ApiError, SchemaValidationError
from shared.jsonio import loads
from tools.progress import Progress
from tools.rediagnose import failure_message, interruptible

KEY_ID = "tools.load"  # the audit trail's key id of every batch this loader writes
DEFAULT_BATCH_ROWS = 1000
_OPERATION_BYTES = 100  # AUDIT_LOG.OPERATION is VARCHAR2(100)

# Each parent, by natural key, with its id: what rows' names are resolved against.
_SUBSTATION_IDS = "SELECT id, name FROM substation"
_EQUIPMENT_IDS = (
    "SELECT e.id, s.name AS substation_name, e.name FROM equipment e JOIN substation s ON s.id = e.substation_id"
)
_SUBSTATION_BY_NAME = "SELECT id FROM substation WHERE name = :name"
# The checkpoints: the audit entries of a run's batches, each naming its first and last line.
_CHECKPOINTS = "SELECT ids FROM audit_log WHERE request_id = :request_id AND key_id = :key_id"


class LoadRefused(Exception):
    """The load stopped: `message` says where and why (exit status 1)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of CSV file: its columns, its natural key, its parent and how a batch of it is written."""

    name: str  # the file is NAME.csv, the option --NAME-csv
    noun: str  # for messages
    fields: dict  # column -> bodies.Field
    key: tuple  # the columns of the natural key, unique within a file and in the table
    once: str  # what a second row with the same key repeats, for the message
    parent: str | None  # the kind this one's rows name, or None
    parent_key: tuple  # the columns naming the parent (its natural key, in this file's names)
    parent_id: str | None  # the column the parent's id is stored in
    columns: tuple  # what is written to the table
    resource: str  # the audit trail's resource_name
    write: object  # async write(tx, rows) -> ({"inserted", "updated"}, ids for the audit entry)
    row_problems: object = None  # problems(values) of a row whose fields are each valid, or None

    @property
    def file_name(self):
        """The file's name in a --csv directory."""
        return f"{self.name}.csv"


def _without(fields, name):
    """`fields` without the one named `name` (a parent's id, named by natural key in files instead)."""
    return {field: spec for field, spec in fields.items() if field != name}


_SUBSTATION_NAME = {"substation_name": substations.FIELDS["name"]}
_UNIT_NAME = {**_SUBSTATION_NAME, "equipment_name": equipment.FIELDS["name"]}
_SUBSTATION_COLUMNS = tuple(substations.FIELDS)
_SUBSTATION_UPSERT = db.Upsert("substation", ("name",), _SUBSTATION_COLUMNS)
_EQUIPMENT_UPSERT = db.Upsert("equipment", ("substation_id", "name"), equipment.COLUMNS)
_INSPECTION_UPSERT = db.Upsert("inspection", ("equipment_id", "inspected_at"), inspections.COLUMNS)


async def _write_substations(tx, rows):
    """Upsert substations by name; their ids."""
    stored = [await tx.fetch_one(_SUBSTATION_BY_NAME, {"name": row["name"]}) for row in rows]
    await tx.execute_many(_SUBSTATION_UPSERT, rows)
    ids = [(await tx.fetch_one(_SUBSTATION_BY_NAME, {"name": row["name"]}))["id"] for row in rows]
    return _counts(stored), {"id": ids}


async def _write_equipment(tx, rows):
    """Upsert units by (substation, name); rewrite the verdicts of units whose verdict inputs changed, as PUT does."""
    stored = [await tx.fetch_one(equipment.BY_NAME, _unit_key(row)) for row in rows]
    await tx.execute_many(_EQUIPMENT_UPSERT, rows)
    changed = {
        before["id"]: verdict_refresh.ALL
        for before, row in zip(stored, rows)
        if before is not None and any(before[field] != row[field] for field in equipment.VERDICT_INPUTS)
    }
    await verdict_refresh.refresh(tx, changed)
    ids = [before["id"] if before else (await tx.fetch_one(equipment.BY_NAME, _unit_key(row)))["id"]
           for before, row in zip(stored, rows)]
    return _counts(stored), {"id": ids}


async def _write_samples(tx, rows):
    """Upsert samples and rewrite the verdicts they change: POST /measurements' own write."""
    counts = await measurements.write_samples(tx, rows)
    return counts, {"equipment_id": list({row["equipment_id"] for row in rows})}


async def _write_inspections(tx, rows):
    """Upsert inspections by (unit, time)."""
    stored = [await tx.fetch_one(inspections.BY_KEY, _inspection_key(row)) for row in rows]
    await tx.execute_many(_INSPECTION_UPSERT, rows)
    return _counts(stored), {"equipment_id": list({row["equipment_id"] for row in rows})}


def _unit_key(row):
    """The binds of equipment's unique key."""
    return {"substation_id": row["substation_id"], "name": row["name"]}


def _inspection_key(row):
    """The binds of an inspection's unique key."""
    return {"equipment_id": row["equipment_id"], "inspected_at": row["inspected_at"]}


def _counts(stored):
    """Inserted and updated, from the rows found stored (or None) before an upsert."""
    updated = sum(row is not None for row in stored)
    return {"inserted": len(stored) - updated, "updated": updated}


# In load order: parents first.
KINDS = (
    Kind("substations", "substations", substations.FIELDS, ("name",), "a substation of this name",
         None, (), None, _SUBSTATION_COLUMNS, "substations", _write_substations),
    Kind("equipment", "equipment", {**_SUBSTATION_NAME, **_without(equipment.FIELDS, "substation_id")},
         ("substation_name", "name"), "a unit of this name in this substation",
         "substations", ("substation_name",), "substation_id", equipment.COLUMNS, "equipment", _write_equipment),
    Kind("samples", "samples", {**_UNIT_NAME, **_without(measurements.FIELDS, "equipment_id")},
         ("substation_name", "equipment_name", "sampled_at"), "a sample of this unit at this time",
         "equipment", ("substation_name", "equipment_name"), "equipment_id",
         tuple(measurements.FIELDS), "measurements", _write_samples, measurements.sample_problems),
    Kind("inspections", "inspections", {**_UNIT_NAME, **_without(inspections.FIELDS, "equipment_id")},
         ("substation_name", "equipment_name", "inspected_at"), "an inspection of this unit at this time",
         "equipment", ("substation_name", "equipment_name"), "equipment_id",
         inspections.COLUMNS, "inspections", _write_inspections),
)
BY_NAME = {kind.name: kind for kind in KINDS}


@dataclasses.dataclass
class CheckedFile:
    """What the check of one file found."""

    kind: Kind
    path: str
    data: bytes
    digest: str = ""
    good: int = 0  # lines that pass
    bad: dict = dataclasses.field(default_factory=dict)  # line -> its problems' messages
    unreadable: list = dataclasses.field(default_factory=list)  # problems of the file as a whole
    keys: set = dataclasses.field(default_factory=set)  # natural keys of the good lines (for children)

    @property
    def label(self):
        """How messages name the file."""
        return os.path.basename(self.path)

    def problems(self):
        """Every problem, as `FILE[:LINE]: message` lines in file order."""
        lines = [f"{self.label}: {message}" for message in self.unreadable]
        lines += [f"{self.label}:{line}: {message}" for line, messages in sorted(self.bad.items()) for message in messages]
        return lines


def files_in(directory):
    """`{kind name: path}` of the CSV files a --csv directory holds (any subset of the kinds); none is an error."""
    found = {kind.name: os.path.join(directory, kind.file_name) for kind in KINDS
             if os.path.isfile(os.path.join(directory, kind.file_name))}
    if not found:
        raise LoadRefused(f"{directory} holds none of {', '.join(kind.file_name for kind in KINDS)}")
    return found


def text_of(checked, charset):
    """The file's text in `charset` (a UTF-8 byte order mark dropped), or None with the problem recorded."""
    try:
        return charsets.decoded(checked.data, charset, "file", "Name the files' charset with --charset")
    except SchemaValidationError as exc:
        checked.unreadable.append(exc.message)
        return None


def parsed_rows(checked, text):
    """(line, values, problems) of each data line of the file, by the API's field rules; header problems recorded."""
    kind = checked.kind
    try:
        for row in bodies.csv_rows(text, kind.fields):
            values, problems = bodies.row_values(row, kind.fields, kind.noun)
            if not problems and kind.row_problems is not None:
                problems = kind.row_problems(values)
            yield row.line, values, [problem["message"] for problem in problems]
    except SchemaValidationError as exc:
        found = exc.details or [{"message": exc.message}]
        checked.unreadable.extend(problem["message"] for problem in found)


def check_file(kind, path, charset, parent_keys):
    """Read and check one file whole: a CheckedFile. `parent_keys`: the natural keys its rows may name."""
    with open(path, "rb") as file:
        checked = CheckedFile(kind, path, file.read())
    checked.digest = hashlib.sha256(checked.data).hexdigest()
    text = text_of(checked, charset)
    if text is None:
        return checked
    first_line = {}
    for line, values, problems in parsed_rows(checked, text):
        if not problems:
            problems = _key_problems(kind, values, line, first_line, parent_keys)
        if problems:
            checked.bad[line] = problems
            continue
        checked.good += 1
        if any(child.parent == kind.name for child in KINDS):
            checked.keys.add(tuple(values[column] for column in kind.key))
    return checked


def _key_problems(kind, values, line, first_line, parent_keys):
    """A key given twice in the file, or a parent that neither the database nor the parent file holds."""
    problems = []
    key = tuple(values[column] for column in kind.key)
    earlier = first_line.setdefault(key, line)
    if earlier != line:
        problems.append(f"Line {earlier} already holds {kind.once}; give each once.")
    if kind.parent is not None and tuple(values[column] for column in kind.parent_key) not in parent_keys:
        problems.append(_missing_parent(kind, values))
    return problems


def _missing_parent(kind, values):
    """The message for a row whose parent does not exist."""
    substation = validation.shown(values["substation_name"])
    parent_file = BY_NAME[kind.parent].file_name
    if kind.parent == "substations":
        return f"No substation is named {substation}; load it first ({parent_file}) or correct 'substation_name'."
    unit = validation.shown(values["equipment_name"])
    return (f"Substation {substation} has no unit named {unit}; load it first ({parent_file}) or correct "
            "'substation_name' and 'equipment_name'.")


async def parent_ids(session):
    """`{kind name: {natural key: id}}` of the parents stored in the database."""
    units = await session.fetch_all(_EQUIPMENT_IDS, large=True)
    return {
        "substations": {(row["name"],): row["id"] for row in await session.fetch_all(_SUBSTATION_IDS, large=True)},
        "equipment": {(row["substation_name"], row["name"]): row["id"] for row in units},
    }


def check_all(paths, charset, stored):
    """Check every file, parents first (`paths`: kind name -> path; `stored`: `parent_ids` of the database)."""
    checked = {}
    for kind in KINDS:
        if kind.name not in paths:
            continue
        known = set(stored.get(kind.parent, {}))
        if kind.parent in checked:
            known |= checked[kind.parent].keys
        checked[kind.name] = check_file(kind, paths[kind.name], charset, known)
    return list(checked.values())


@dataclasses.dataclass
class Loaded:
    """What writing one file did."""

    inserted: int = 0
    updated: int = 0
    before: int = 0  # good lines committed by an earlier, interrupted or complete, run
    batches: int = 0


def actor(checked, reload_at=None):
    """Who the audit trail says wrote the file's batches: a request id from the file's kind and bytes.

    `reload_at` (a time) makes a run of its own, which finds no earlier run's checkpoints.
    """
    request_id = f"load-{checked.kind.name}-{checked.digest[:40]}"
    if reload_at is not None:
        request_id += f"-{reload_at:%Y%m%dT%H%M%S%fZ}"
    operation = f"LOAD {checked.label}".encode()[:_OPERATION_BYTES].decode(errors="ignore")
    return audit.Actor(request_id, KEY_ID, operation)


async def last_line_committed(session, who):
    """The last line of the run's committed batches (0 when none): where a resumed run carries on."""
    rows = await session.fetch_all(_CHECKPOINTS, {"request_id": who.request_id, "key_id": who.key_id}, large=True)
    return max((loads(row["ids"])["line"][-1] for row in rows), default=0)


def stored_row(kind, values, ids, label, line):
    """The table row of a file's good line, its parent named by id; LoadRefused when the parent went meanwhile."""
    row = {column: values[column] for column in kind.columns if column != kind.parent_id}
    if kind.parent is not None:
        parent = ids[kind.parent].get(tuple(values[column] for column in kind.parent_key))
        if parent is None:
            raise LoadRefused(f"{label}:{line}: {_missing_parent(kind, values)} (it was there when the file was checked)")
        row[kind.parent_id] = parent
    return row


async def write_file(database, checked, charset, batch_rows, who, stream):
    """Write a checked file's good lines in batches, after the run's last committed line; a Loaded."""
    kind, loaded = checked.kind, Loaded()
    async with database.connect() as session:
        done = await last_line_committed(session, who)
        ids = await parent_ids(session)
    batch = []
    with Progress(checked.label, checked.good, stream) as progress:
        for line, values, problems in parsed_rows(checked, text_of(checked, charset)):
            if problems or line in checked.bad:
                continue
            if line <= done:
                loaded.before += 1
                progress.advance(1)
                continue
            batch.append((line, stored_row(kind, values, ids, checked.label, line)))
            if len(batch) == batch_rows:
                await _write_batch(database, checked, batch, who, loaded)
                progress.advance(len(batch))
                batch = []
        if batch:
            await _write_batch(database, checked, batch, who, loaded)
            progress.advance(len(batch))
    return loaded


async def _write_batch(database, checked, batch, who, loaded):
    """One transaction: the rows, their verdicts and the audit entry that is the checkpoint."""
    rows = [row for _, row in batch]
    lines = [batch[0][0], batch[-1][0]]
    try:
        async with database.transaction() as tx:
            counts, ids = await checked.kind.write(tx, rows)
            await audit.record_as(tx, who, checked.kind.resource, {**ids, "line": lines}, **counts)
    except (ApiError, sqlite3.Error, oracledb.Error) as exc:
        raise LoadRefused(
            f"{checked.label}: lines {lines[0]}-{lines[1]}: the database refused the batch, so none of it was written "
            f"({failure_message(exc)}); the batches before it stay loaded, and the same command carries on from "
            "this batch once the cause is put right"
        ) from exc
    loaded.inserted += counts["inserted"]
    loaded.updated += counts["updated"]
    loaded.batches += 1


def open_database(target):
    """The database to load into, `("sqlite", PATH)` or `("oracle", settings)`; None for a SQLite file not there yet."""
    dialect, where = target
    if dialect == "oracle":
        from shared.db.oracle import OracleDatabase  # python-oracledb's pool, only when Oracle is the target

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
