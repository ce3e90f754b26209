"""SQLite, the embedded default: WAL, foreign keys, created with demo data once, never re-created.

Reads start inline on the event loop, and give way when they turn out big: bench/sqlite_dispatch.py
measured a 100-row page inline at 2.8x the throughput of the same read sent to a worker thread
(5,258 vs 1,853 pages/s; 2.4x for 1,000 rows), and a 100-row page holds the loop for about
0.2 ms. But a deep OFFSET or a fleet query inline holds it for tens of milliseconds and stalls
every other request. So an inline read may run `_INLINE_READ_STEPS` SQLite VM steps (counted
by the progress handler that also enforces the statement timeout); a read that needs more, or
finds the file locked, is interrupted and run again in a worker thread, on a connection opened
for that read (an interrupted statement changes nothing, so running it again is safe). Every
page of the default size stays inline, and nothing holds the loop for more than about a
millisecond. `fetch_all(..., large=True)` sends a read known to be big to the thread at once.
A write transaction gets a new connection and a thread of its own and starts with BEGIN
IMMEDIATE: SQLite's write lock serializes writers (a waiting writer blocks only its own
thread, never the loop or the shared executor), and the loop's read connection never sees a
transaction before it commits.

The file is created, with the demo fleet, only when a process starts (`sqlite_files.create_if_absent`,
called by `db.open_at_start`) and finds no database there and no `-wal` without its file;
every connection opens it with `mode=rw`, which fails instead of creating an empty database. Before each use the path is checked against the file this process
opened (device and inode):
- missing (moved away or deleted): 503 DatabaseUnavailable, the open connections are kept (a
  file moved back is the same file, and its committed rows are all there), and the service
  serves again by itself when the file returns;
- another file (replaced): the old file's WAL is checkpointed into it, wherever it now is,
  through the loop's connection that still has it open, and truncated; then the new file is
  served. While that cannot be done (another process holds the old file), 503: opening the
  new file beside the old file's WAL would graft the old pages onto it;
- corrupt or not a database: 503 with a log line; the file is never re-created.
A write that finds the disk full or the write lock held past `SEDA_SQLITE_BUSY_TIMEOUT_MS`
rolls back whole and is answered 503 with `Retry-After` (mapped in `shared/errors.py`). Sessions
and write transactions hold one of `SEDA_SQLITE_MAX_SESSIONS` slots; a request that finds none
free within `SEDA_SQLITE_SESSION_WAIT_MS` is answered 429 TooManyRequestsTypeB (`slots.py`). Every
statement runs under `SEDA_STATEMENT_TIMEOUT_S`, enforced by a progress handler; an export's
statement (`stream`, `SqliteStream`) runs on a connection and thread of its own and the limit
applies to each batch it fetches, so a long export is never cut off as a whole.

Backups: with WAL a copy of the main file alone can miss every recent commit; `backup()` uses
SQLite's online backup API (`sqlite_files.backup`, `python -m tools.backup`), consistent while the
service writes. One statement runs as `sqlite_statements.py` says.
"""

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import os
import sqlite3
import urllib.parse

from shared import config
from shared.db import migrations
from shared.db.dialects import SQLITE, prepared_binds
from shared.db import sqlite_statements as statements
from shared.db.interface import SessionUse, Verbs, committed, dict_rows, notify, observed
from shared.db.sqlite_files import unreadable
from shared.db.slots import SessionSlots
from shared.errors import DATABASE_UNAVAILABLE, DatabaseUnavailableError

logger = logging.getLogger("seda")

# VM steps an inline read may take before it gives way to a worker thread. 100-row pages take
# 1,600-2,700 steps (0.2 ms on the loop); 10,000 steps are ~370 rows of samples, 0.7 ms with
# their conversion to dicts; a 1,000-row page takes 27,000 and OFFSET 900,000 about 2.7 million.
_INLINE_READ_STEPS = 10_000


def _inline_rows(connection, sql, binds, paged):
    """The rows of a read on the loop's connection, or None when it gave way (out of steps, or the file locked)."""
    connection.steps_left = _INLINE_READ_STEPS
    try:
        return statements.rows(connection, sql, binds, paged)
    except sqlite3.OperationalError as exc:
        if connection.steps_left >= 0 and getattr(exc, "sqlite_errorname", "") != "SQLITE_BUSY":
            raise
        return None
    finally:
        connection.steps_left = math.inf


def _read_in_thread(database, sql, binds, paged):
    """A large read on a connection of its own, closed when done (runs in a worker thread)."""
    with contextlib.closing(database.open_connection()) as connection:
        return statements.rows(connection, sql, binds, paged)


class SqliteSession(Verbs):
    """The verbs handlers use, over the event loop thread's sqlite3 connection."""

    dialect = SQLITE

    def __init__(self, database, connection):
        self._database = database
        self._connection = connection

    @observed
    async def fetch_all(self, sql, binds=None, *, paged=False, large=False):
        """All rows of a query; `paged` appends the paging clause. Inline until it proves big, then in a
        thread; `large` goes to the thread at once."""
        if not large:
            rows = _inline_rows(self._connection, sql, binds, paged)
            if rows is not None:
                return rows
        return await asyncio.to_thread(_read_in_thread, self._database, sql, binds, paged)

    @observed
    async def execute(self, sql, binds=None):
        """Run a statement that returns no rows; the number of rows it changed."""
        return statements.changes(self._connection, sql, binds)

    async def ping(self):
        """Run the trivial query that proves the database answers."""
        await self.fetch_all(SQLITE.ping_sql)


class SqliteTransaction(Verbs):
    """The verbs inside one write transaction, on a new connection used only from a thread of its own."""

    dialect = SQLITE

    def __init__(self, open_connection):
        self._open_connection = open_connection
        self._connection = None
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="seda-write")

    async def _call(self, function, *args):
        """Run `function(*args)` on the transaction's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    async def begin(self):
        """Open the connection and take the write lock at once, so a later statement cannot find it taken."""
        self._connection = await self._call(self._open_connection)
        await self._call(self._connection.execute, "BEGIN IMMEDIATE")

    @observed
    async def fetch_all(self, sql, binds=None, *, paged=False, large=False):
        """All rows of a query (`large` changes nothing: every statement here runs in the thread)."""
        return await self._call(statements.rows, self._connection, sql, binds, paged)

    @observed
    async def execute(self, sql, binds=None):
        """Run a statement that returns no rows; the number of rows it changed."""
        return await self._call(statements.changes, self._connection, sql, binds)

    @observed
    async def execute_many(self, sql, rows):
        """Run a statement once per row of binds; a failing row fails the call."""
        await self._call(statements.execute_many, self._connection, sql, rows)

    async def commit(self):
        """Make the transaction's changes visible to everyone."""
        await self._call(self._connection.execute, "COMMIT")

    async def rollback(self):
        """Undo the transaction; its own failure (no connection, SQLite already rolled back) changes nothing."""
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                await self._call(self._connection.execute, "ROLLBACK")

    async def close(self):
        """Close the connection and end the thread."""
        if self._connection is not None:
            await self._call(self._connection.close)
        self._thread.shutdown(wait=False)


class SqliteStream:
    """A query read in batches on a connection and a thread of its own, for exports (`SqliteDatabase.stream`).

    `await stream.open()` checks the file, takes a session slot and starts the statement, so
    what goes wrong before the first row is an ordinary error; then `async for rows in stream`
    gives lists of up to `batch_rows` rows, each batch fetched in the stream's thread (the loop
    is never blocked) under its own `SEDA_STATEMENT_TIMEOUT_S`: a long export is not cut off,
    a stalled batch is. The statement holds a read transaction (a WAL snapshot) until
    `aclose()`, which interrupts a batch in flight and closes the cursor and the connection;
    call it however the export ends. Also an async context manager.
    """

    def __init__(self, database, sql, binds, batch_rows):
        self._database = database
        self._sql = sql
        self._binds = binds
        self._batch_rows = batch_rows
        self._connection = None
        self._cursor = None
        self._slot = contextlib.AsyncExitStack()
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="seda-export")
        self._closed = False

    async def _call(self, function, *args):
        """Run `function(*args)` on the stream's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    async def open(self):
        """Check the file, hold a session slot, open the connection and start the statement."""
        self._database.check_file()
        await self._slot.enter_async_context(self._database.session_slot())
        try:
            self._connection = await self._call(self._database.open_connection)
            await self._call(self._execute)
        except BaseException:
            await self.aclose()
            raise
        return self

    def _execute(self):
        """Start the statement (in the stream's thread), under the statement time limit."""
        notify(self._sql, False)
        with statements.time_limit(self._connection):
            self._cursor = self._connection.execute(SQLITE.render(self._sql), prepared_binds(SQLITE, self._binds))

    def _next_batch(self):
        """Up to `batch_rows` rows as dicts (in the stream's thread), under a time limit of their own."""
        with statements.time_limit(self._connection):
            return dict_rows(self._cursor.description, self._cursor.fetchmany(self._batch_rows))

    def __aiter__(self):
        return self

    async def __anext__(self):
        rows = await self._call(self._next_batch)
        if not rows:
            raise StopAsyncIteration
        return rows

    async def aclose(self):
        """End the read wherever it is: interrupt a batch in flight, then close cursor and connection, free the slot.

        Nothing here waits on the thread: the close is queued behind the batch in flight, which the
        interrupt ends at once, so a cancelled export (client gone) cleans up all the same.
        """
        if self._closed:
            return
        self._closed = True
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.interrupt()
            self._thread.submit(self._close_connection)
        self._thread.shutdown(wait=False)
        await self._slot.aclose()

    def _close_connection(self):
        """Close the cursor (which ends the read transaction) and the connection, in the stream's thread."""
        with contextlib.suppress(sqlite3.Error):
            if self._cursor is not None:
                self._cursor.close()
            self._connection.close()
        self._connection = self._cursor = None

    async def __aenter__(self):
        return await self.open()

    async def __aexit__(self, *exc_info):
        await self.aclose()


def _identity(path):
    """(device, inode) of the file at `path`; OSError when there is none."""
    status = os.stat(path)
    return status.st_dev, status.st_ino


class SqliteDatabase:
    """The embedded database file, created with the demo fleet when a process starts without one."""

    dialect = SQLITE

    def __init__(self, path):
        self.path = path
        self._uri = f"file:{urllib.parse.quote(path)}?mode=rw"
        self._problem = None  # what is wrong with the file now, for logging each change once
        limits = config.settings().limits
        self._slots = SessionSlots(limits.sqlite_max_sessions, limits.sqlite_session_wait_ms)
        try:
            self._file = _identity(path)
            # Opened now and kept: a handle on the file this process serves, through which the
            # WAL can still be emptied into it if the file is replaced (see `_release_replaced_file`).
            self._reader = None
            version = self._schema_version()
            self._reader_connection()
        except OSError:
            raise DatabaseUnavailableError(DATABASE_UNAVAILABLE) from None
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_CANTOPEN", "SQLITE_BUSY"):
                raise  # absent, or locked past the busy timeout: not a damaged file, so no advice to restore it
            raise unreadable(path, exc) from None
        migrations.require_current(version, f"SQLite ({path})")

    def _schema_version(self):
        """The file's schema version, read as the process starts.

        Through a connection of its own that waits out a lock for the busy timeout, unlike the
        loop's reader: another process's connection closing (its checkpoint of the WAL) or
        recovering the WAL holds a lock for a moment, which must not make the file look unreadable.
        """
        with contextlib.closing(self.open_connection()) as connection:
            return migrations.sqlite_version(connection)

    def open_connection(self, wait_for_locks=True):
        """A new connection to the existing file (never creating one): autocommit, WAL, foreign keys.

        It waits for a lock up to `SEDA_SQLITE_BUSY_TIMEOUT_MS`; with `wait_for_locks=False` it
        stops waiting once it is set up: the set-up itself may meet another connection's close
        (its WAL checkpoint) or WAL recovery, a lock of a moment that must not fail it.
        """
        busy_timeout_ms = config.settings().sqlite_busy_timeout_ms
        connection = sqlite3.connect(
            self._uri,
            uri=True,
            detect_types=sqlite3.PARSE_DECLTYPES,
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_timeout_ms / 1000,
            factory=statements.TimedConnection,
        )
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = NORMAL")  # reads the file: the statement that can meet such a lock
        if not wait_for_locks:
            connection.execute("PRAGMA busy_timeout = 0")
        return connection

    def _check_file(self):
        """503 unless the path holds the file this process serves; follows a replaced file once its old WAL is empty."""
        try:
            found = _identity(self.path)
        except OSError:
            return self._unavailable("missing", "the database file is missing (moved away or deleted)")
        if found != self._file:
            if not self._release_replaced_file():
                return self._unavailable(
                    "replaced",
                    "the database file was replaced while the service ran and the old file's WAL could not be "
                    "emptied into it (another process holds it); stop every process using it, then start again",
                )
            logger.warning("database file was replaced; its WAL went into the old file; serving the new file")
            self._file = found
        if self._problem is not None:
            logger.warning(f"database file is back ({self._problem} before); serving again")
            self._problem = None

    def _release_replaced_file(self):
        """Empty the old file's WAL into it (wherever it now is) and let go of it; True when no WAL is left at the path.

        SQLite's checkpoint when the last connection closes skips a database file that has moved,
        which would leave the old file's WAL at the path, for the next connection (or the next
        process) to apply to the new file. So the WAL is emptied here, through the connection that
        still has the old file open, and the new file is served only once nothing is left of it.
        """
        if self._reader is not None:
            try:
                busy, _, _ = self._reader.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error:
                busy = 1
            if busy:
                return False
            self._close_reader()
        wal = self.path + "-wal"
        return not os.path.exists(wal) or os.path.getsize(wal) == 0

    def _unavailable(self, problem, description):
        """Log the problem when it starts, and answer 503."""
        if self._problem != problem:
            logger.error(f"{description}: {self.path}; answering 503 until it is back")
            self._problem = problem
        raise DatabaseUnavailableError(DATABASE_UNAVAILABLE)

    def _reader_connection(self):
        """The event-loop thread's connection, opened again after a replaced file let go of it."""
        if self._reader is None:
            # No waiting for a lock on the loop: a locked read goes to a thread, which waits (`_inline_rows`).
            self._reader = self.open_connection(wait_for_locks=False)
        return self._reader

    def _close_reader(self):
        """Close the loop's connection (it is reopened on next use)."""
        if self._reader is not None:
            with contextlib.suppress(sqlite3.Error):
                self._reader.close()
            self._reader = None

    @contextlib.asynccontextmanager
    async def connect(self):
        """A session on the event-loop thread's connection, holding one of the process's session slots."""
        self._check_file()
        async with self._slots.held():
            yield SqliteSession(self, self._reader_connection())

    @contextlib.asynccontextmanager
    async def transaction(self):
        """A write transaction (see `SqliteTransaction`) holding a session slot, committed when the block ends."""
        self._check_file()
        async with self._slots.held(), committed(SqliteTransaction(self.open_connection)) as transaction:
            yield transaction

    def stream(self, sql, binds=None, batch_rows=1000):
        """A query read in batches for an export (see `SqliteStream`); `await` its `open()` first."""
        return SqliteStream(self, sql, binds, batch_rows)

    def check_file(self):
        """503 unless the path holds the file this process serves (see `_check_file`)."""
        self._check_file()

    def session_slot(self):
        """One of the process's session slots, held for an `async with` block."""
        return self._slots.held()

    def session_use(self):
        """The session slots held now and how many there are (`shared/metrics.py`)."""
        return SessionUse(self._slots.held_now, self._slots.size)

    async def close(self):
        """Close the loop's connection (transactions and large reads close their own)."""
        self._close_reader()
