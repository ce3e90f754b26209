"""The connection helper: one small async interface over Oracle (python-oracledb thin) and SQLite.

Handlers write

    async with db.connect() as conn:
        rows = await conn.fetch_all(SQL, binds, paged=True)
        row = await conn.fetch_one(SQL, binds)

and get rows as dicts with lowercase keys on both databases. Writes run in a transaction that
commits when the block ends and rolls back when it raises:

    async with db.transaction() as tx:
        row = await tx.fetch_one(db.ForUpdate(SQL), binds)    # locked until the block ends
        changed = await tx.execute(SQL, binds)                # rows changed
        await tx.execute_many(db.Upsert(table, keys, columns), rows)

Exports read a query in batches, off the loop, on a connection of their own:

    async with db.stream(SQL, binds, batch_rows=1000) as batches:
        async for rows in batches:
            ...

Statements use named binds (`:name`) and are plain SQL both databases understand; the few
dialect differences (paging clause, ping statement, timestamp binding, upsert, row locks)
live in `dialects.py`, and `Upsert` and `ForUpdate` are statements each dialect renders its
own way. The modules: `interface.py` (the verbs and what both drivers share), `dialects.py`,
`sqlite.py` (with `sqlite_statements.py`, one statement, and `sqlite_files.py`, new files and
backups), `oracle.py` (sessions, transactions, streams and the pool, with `oracle_connect.py`, how to
reach the database and set a session up, and `oracle_types.py`, bind and fetch types), `migrations/`
(schema versions); this one chooses the database and re-exports the names callers use (the Oracle ones when first used: python-oracledb is imported
only where Oracle is configured). The settings they read (`SEDA_DATABASE`, `SEDA_SQLITE_PATH`,
the `ORACLE_*` variables, the time limits) are listed with their defaults in `shared/config/__init__.py`.
"""

import importlib
import os

from shared import config
from shared.db.dialects import ORACLE, SQLITE, Dialect, ForUpdate, OracleDialect, SqliteDialect, Upsert
from shared.db.interface import FixedInList, statement_observers, where
from shared.db.sqlite import SqliteDatabase
from shared.db.sqlite_files import create_if_absent

__all__ = [
    "ORACLE", "SQLITE", "SESSION_SETUP_SQL", "Dialect", "FixedInList", "ForUpdate", "OracleDatabase", "OracleDialect",
    "SqliteDatabase", "SqliteDialect", "Upsert", "connect", "database", "oracle_bind_types",
    "open_at_start", "oracle_connect_params", "reset", "statement_observers", "stream", "transaction", "where",
]

# Re-exported from the Oracle modules on first use, so python-oracledb (~35 ms to import, with the
# cryptography it loads) is imported only by a process that uses Oracle: name -> its module.
_ORACLE_NAMES = {
    "SESSION_SETUP_SQL": "shared.db.oracle_connect", "oracle_connect_params": "shared.db.oracle_connect",
    "oracle_bind_types": "shared.db.oracle_types", "OracleDatabase": "shared.db.oracle",
}

_database = None


def __getattr__(name):
    """One of the Oracle names, imported with python-oracledb when first asked for."""
    if name not in _ORACLE_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ORACLE_NAMES[name]), name)


def database():
    """The process's database, chosen by the settings and opened on first use (an embedded file is never created here)."""
    global _database
    if _database is None:
        settings = config.settings()
        if settings.database == "oracle":
            from shared.db.oracle import OracleDatabase  # noqa: PLC0415 - see _ORACLE_NAMES

            _database = OracleDatabase(settings.oracle)
        else:
            _database = SqliteDatabase(os.path.abspath(settings.sqlite_path))
    return _database


def opened():
    """The process's database if something has opened it, else None (the access log reads its sessions, never opens it)."""
    return _database


def open_at_start():
    """Open the process's database as it starts: the one moment an absent embedded file is created (with demo data)."""
    settings = config.settings()
    if settings.database == "sqlite":
        create_if_absent(os.path.abspath(settings.sqlite_path))
    return database()


def require_existing():
    """RuntimeError naming the file when the embedded SQLite database does not exist (for commands that never create one)."""
    settings = config.settings()
    if settings.database == "sqlite":
        path = os.path.abspath(settings.sqlite_path)
        if not os.path.exists(path):
            raise RuntimeError(f"no database at {path} (SEDA_SQLITE_PATH); point it at the service's database file")


def connect():
    """Shorthand for `database().connect()`."""
    return database().connect()


def transaction():
    """Shorthand for `database().transaction()`."""
    return database().transaction()


def stream(sql, binds=None, batch_rows=1000):
    """Shorthand for `database().stream(...)`: a query read in batches, for exports (`await` its `open()`)."""
    return database().stream(sql, binds, batch_rows)


async def reset():
    """Forget the process's database (tests switch files and settings with this)."""
    global _database
    if _database is not None:
        await _database.close()
    _database = None
    config.settings.cache_clear()
