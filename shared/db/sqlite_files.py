"""New SQLite files and copies of them: the embedded database made at process start (with the demo
fleet and its stored verdicts), the pieces `tools.load` builds a benchmark file from, and online backups.

A file is created only here (`create_if_absent`, called by `db.open_at_start`, and `open_new_file`
and `create_empty` for `tools.load`); the running service opens files with `mode=rw` only (`sqlite.py`).
"""

import contextlib
import datetime
import logging
import os
import sqlite3
import urllib.parse

from shared.db import migrations
from shared.db.dialects import SQLITE, prepared_binds
from shared.db.sqlite_statements import TimedConnection, execute_many, rows
from shared.schema import SQLITE_DDL

logger = logging.getLogger("seda")

_NEW_FILE_PAGE_BYTES = 16384
# The row `GET /application` reads: every new database holds it.
_APPLICATION_ROW = "INSERT INTO test_table (hello) VALUES ('Oracle')"


def create_if_absent(path):
    """At process start: create the file with the current schema and the demo fleet unless it holds a database.

    An absent or empty file is filled in one transaction under the write lock, so processes
    starting together create it once; a file that holds anything is left as it is (the schema
    check of `SqliteDatabase` then judges it).
    """
    if not os.path.exists(path) and os.path.exists(path + "-wal"):
        raise RuntimeError(
            f"SEDA_SQLITE_PATH={path} does not exist but its -wal file does: the database was moved or deleted "
            "without its WAL. Put the file back (or remove the stale -wal and -shm files to start afresh)."
        )
    connection = open_new_file(path)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN IMMEDIATE")
        if migrations.sqlite_version(connection) is None:
            create_schema(connection)
            _load_demo_data(connection)
        connection.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise unreadable(path, exc) from None
    finally:
        connection.close()


def open_new_file(path):
    """A connection that may create the file at `path` (process start and `tools.load` only), in autocommit mode."""
    connection = sqlite3.connect(path, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES, factory=TimedConnection)
    # 16 KiB pages hold six stored verdicts (~2.4 kB of JSON each) where 4 KiB pages held one:
    # a third less file. It only takes effect on a file that is still empty.
    connection.execute(f"PRAGMA page_size = {_NEW_FILE_PAGE_BYTES}")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def unreadable(path, exc):
    """The start-up refusal for a file that is not a readable SQLite database."""
    return RuntimeError(
        f"SEDA_SQLITE_PATH={path} is not a readable SQLite database ({exc}); restore it from a backup "
        "(python -m tools.backup makes them). The service never re-creates an existing file."
    )


def create_schema(connection):
    """Create the current schema and record its versions, inside the caller's transaction."""
    for statement in SQLITE_DDL.split(";"):
        if statement.strip():
            connection.execute(statement)
    records = migrations.version_records(migrations.history())
    connection.executemany(migrations.RECORD_VERSION, [prepared_binds(SQLITE, row) for row in records])


def create_empty(path):
    """A new database at `path` with the current schema and no fleet (`tools.load --csv` into a new file), in WAL mode.

    Built as `path.partial` and moved into place once committed, so `path` never holds half a schema.
    """
    partial = f"{path}.partial"
    with contextlib.suppress(FileNotFoundError):
        os.remove(partial)
    connection = open_new_file(partial)
    try:
        connection.execute("BEGIN")
        create_schema(connection)
        connection.execute(_APPLICATION_ROW)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()
    os.replace(partial, path)


def load_fleet(connection, fleet, on_rows=None):
    """Fill a new database with a generated `fleet` (`shared/demo_data.py`), inside the caller's transaction.

    `on_rows(table, count)`, when given, hears of each batch written (the loader's progress bar). The sample count.
    """
    from shared import demo_data  # imported here: only a new database needs it

    def executemany(sql, rows):
        connection.executemany(sql, rows)
        if on_rows is not None:
            on_rows(sql.split()[2], len(rows))  # INSERT INTO <table> …

    connection.execute(_APPLICATION_ROW)
    return demo_data.load(executemany, fleet, bind_timestamp=SQLITE.bind_timestamp)


def _load_demo_data(connection):
    """Fill an empty SQLite database with the demo fleet and its stored verdicts, inside the caller's transaction."""
    from shared import demo_data  # imported here: only the first start of a database needs it

    fleet = demo_data.generate()
    count = load_fleet(connection, fleet)
    verdicts = store_verdicts(connection, [unit["id"] for unit in fleet.equipment])
    logger.info(f"created the embedded demo database with {count} DGA samples and {verdicts} stored verdicts")


def store_verdicts(connection, unit_ids):
    """Write the stored verdicts of `unit_ids` in a new database (connection from `open_new_file`); how many."""
    from shared import verdict_store  # imported here: it brings NumPy, which only diagnosing needs

    return verdict_store.rediagnose_sync(
        lambda sql, binds: rows(connection, sql, binds),
        lambda sql, rows: execute_many(connection, sql, rows),
        unit_ids,
        datetime.datetime.now(datetime.timezone.utc),
    )


def backup(source_path, target_path):
    """Copy the database at `source_path` to a new file with SQLite's online backup API; the pages copied."""
    if os.path.exists(target_path):
        raise FileExistsError(f"{target_path} exists already; choose a new file for the backup")
    with contextlib.closing(sqlite3.connect(f"file:{urllib.parse.quote(source_path)}?mode=ro", uri=True)) as source:
        with contextlib.closing(sqlite3.connect(target_path)) as target:
            source.backup(target)
            return target.execute("PRAGMA page_count").fetchone()[0]
