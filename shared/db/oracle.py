"""Oracle through python-oracledb's thin async pool (no Instant Client).

One pool per process, created lazily on first use and reused by every warm invocation (the
serverless practice); fixed size by default; a session callback sets UTC and ISO date
formats and, with `ORACLE_SCHEMA`, the schema that owns the tables (the service may connect as
a least-privilege runtime account, `sql/oracle/`); LOBs arrive as str/bytes; arraysize and
prefetchrows follow the page size; a statement that fails because its pooled connection was
dead is retried once on a fresh connection, except inside a transaction, where a retry would
silently drop the statements before it. A transaction holds one pooled connection, runs `executemany` with
`batcherrors=False` (one bad row fails the whole call), and commits at the end.

Slow and dead peers: idle sessions send keepalive probes every `ORACLE_EXPIRE_TIME_MIN`
(`expire_time`); every round trip is limited to `SEDA_STATEMENT_TIMEOUT_S` (`call_timeout`,
504 when exceeded); taking a connection from the pool is limited to
`ORACLE_CONNECT_TIMEOUT_S`, because the driver's own limits stop at TCP connect and round
trips: a peer that accepts and never finishes the handshake would otherwise hold the request
until the pool's wait ends, and the pool for good. A pool that could not hand out a connection
in time while none was in use is replaced (see `OracleDatabase._discard_if_stuck`).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from typing import Any

import oracledb

from shared import config, ratelimit
from shared.config.oracle import OracleSettings
from shared.db import migrations
from shared.db.dialects import ORACLE, Statement, prepared_binds
from shared.db.interface import Binds, Row, SessionUse, Verbs, committed, dict_rows, notify, observed
from shared.db.oracle_connect import oracle_pool_params, session_setup_statements
from shared.db.oracle_types import number_as_float, oracle_bind_types
from shared.errors import DatabaseUnavailableError

logger = logging.getLogger("seda")

# Closing a pool waits for its background task, which may be stuck in a connect that never
# ends; long enough for a healthy pool to log its sessions off, then the close is cut short.
_POOL_CLOSE_LIMIT_S = 5

# Rows decoded and made into dicts between two turns of the event loop (`_rows_in_slices`).
_SLICE_ROWS = 1000

oracledb.defaults.fetch_lobs = False
def _driver_error(exc: oracledb.Error) -> object:
    """The driver's `_Error` describing a python-oracledb exception (its code and flags), or None."""
    return exc.args[0] if exc.args else None


def _session_is_dead(exc: oracledb.Error, connection: oracledb.AsyncConnection) -> bool:
    """True when the driver says the session is gone, so the statement may work on another one.

    The driver's own signals, not a list of codes: the error's `is_session_dead` (the ORA- codes
    of a lost connection arrive as DPY-4011 with it set), or the connection's local health check
    (a connection that was already closed raises DPY-1001 without the flag). A call timeout whose
    cancellation the database acknowledged leaves a healthy session and is not retried.
    """
    return bool(getattr(_driver_error(exc), "is_session_dead", False)) or not connection.is_healthy()


async def _rows_in_slices(cursor: oracledb.AsyncCursor, columns: list[oracledb.FetchInfo]) -> list[Row]:
    """Every row of an executed query as dicts, `_SLICE_ROWS` at a time, letting other requests run in between.

    The thin driver decodes rows on the event loop, and we make dicts of them there: a fleet read
    of a million rows in one `fetchall` would hold the loop for seconds. A slice is ~1,000 rows.
    """
    rows: list[Row] = []
    while batch := await cursor.fetchmany(_SLICE_ROWS):
        rows += dict_rows(columns, batch)
        if len(batch) < _SLICE_ROWS:
            break
        await asyncio.sleep(0)  # the next slice may be buffered already: without this, nothing else would run
    return rows


class OracleSession(Verbs):
    """The verbs handlers use, over one pooled python-oracledb async connection."""

    dialect = ORACLE

    def __init__(
        self, database: "OracleDatabase", pool: oracledb.AsyncConnectionPool, connection: oracledb.AsyncConnection | None
    ) -> None:
        self._database = database
        self._pool = pool
        self._connection: oracledb.AsyncConnection | None = connection
        self._may_retry = True

    @property
    def _live_connection(self) -> oracledb.AsyncConnection:
        """The connection statements run on (a transaction's from `begin` on)."""
        if self._connection is None:
            raise RuntimeError("the transaction has not begun: no connection was taken yet")
        return self._connection

    async def _run(self, sql: Statement, binds: Binds | None, paged: bool) -> tuple[list[Row], int]:
        """Execute once, retrying on a fresh connection if the pooled one was dead; (rows, rows changed)."""
        notify(sql, paged)
        text = ORACLE.render(sql, paged)
        values = prepared_binds(ORACLE, binds)
        try:
            return await self._execute(text, values)
        except oracledb.Error as exc:  # DPY-1001 (not connected) is an InterfaceError
            if not self._may_retry or not _session_is_dead(exc, self._live_connection):
                raise
            self._may_retry = False
            logger.warning("pooled Oracle connection was dead; retrying once on a new one")
            await self._replace_connection()
            return await self._execute(text, values)

    async def _execute(self, text: str, values: dict[str, Any]) -> tuple[list[Row], int]:
        """Execute one statement; its rows as dicts (none for DML) and the number of rows it changed."""
        with self._live_connection.cursor() as cursor:
            page_rows = values.get("limit")
            if isinstance(page_rows, int):
                cursor.arraysize = page_rows
                cursor.prefetchrows = page_rows + 1
            cursor.outputtypehandler = number_as_float
            cursor.setinputsizes(**oracle_bind_types([values]))
            await cursor.execute(text, values)
            columns = cursor.description
            if columns is None:
                return [], cursor.rowcount
            return await _rows_in_slices(cursor, columns), cursor.rowcount

    async def _replace_connection(self) -> None:
        """Drop the dead connection from the pool and take another."""
        with contextlib.suppress(oracledb.Error):
            # The driver annotates drop() with the synchronous Connection; it takes the pool's own.
            await self._pool.drop(self._live_connection)  # pyright: ignore[reportArgumentType]
        self._connection = await self._database.acquire(self._pool)

    @observed
    async def fetch_all(
        self, sql: Statement, binds: Binds | None = None, *, paged: bool = False, large: bool = False
    ) -> list[Row]:
        """All rows of a query; `paged` appends the paging clause (read in slices: no read blocks the loop here)."""
        rows, _ = await self._run(sql, binds, paged)
        return rows

    @observed
    async def execute(self, sql: Statement, binds: Binds | None = None) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        _, changed = await self._run(sql, binds, False)
        return changed

    async def ping(self) -> None:
        """Run the trivial query that proves the database answers."""
        await self._run(ORACLE.ping_sql, None, False)

    async def release(self) -> None:
        """Give the connection back to the pool."""
        await self._pool.release(self._live_connection)


class OracleTransaction(OracleSession):
    """The verbs inside one transaction on one pooled connection, which is never swapped for another."""

    def __init__(self, database: "OracleDatabase", pool: oracledb.AsyncConnectionPool) -> None:
        super().__init__(database, pool, None)
        self._may_retry = False

    async def begin(self) -> None:
        """Take a pooled connection (Oracle starts the transaction at the first change)."""
        self._connection = await self._database.acquire(self._pool)

    @observed
    async def execute_many(self, sql: Statement, rows: list[Binds]) -> None:
        """Run a statement once per row of binds (a non-empty list) in one round trip; a failing row fails the call."""
        notify(sql, False)
        with self._live_connection.cursor() as cursor:
            cursor.setinputsizes(**oracle_bind_types(rows))
            await cursor.executemany(
                ORACLE.render(sql), [prepared_binds(ORACLE, row) for row in rows], batcherrors=False
            )

    async def commit(self) -> None:
        """Make the transaction's changes visible to everyone."""
        await self._live_connection.commit()

    async def rollback(self) -> None:
        """Undo the transaction; a dead connection has nothing left to undo."""
        if self._connection is not None:
            with contextlib.suppress(oracledb.Error):
                await self._connection.rollback()

    async def close(self) -> None:
        """Give the connection back to the pool."""
        if self._connection is not None:
            with contextlib.suppress(oracledb.Error):
                await self.release()


class OracleStream:
    """A query read in batches on a pooled connection of its own, for exports (`OracleDatabase.stream`).

    `await stream.open()` takes a connection and executes; `async for rows in stream` gives lists
    of up to `batch_rows` rows, one round trip each (arraysize = prefetchrows = batch_rows), so
    `call_timeout` (`SEDA_STATEMENT_TIMEOUT_S`) bounds each batch, never the whole export.
    `aclose()` closes the cursor and gives the connection back, however the export ended.
    """

    def __init__(self, database: "OracleDatabase", sql: Statement, binds: Binds | None, batch_rows: int) -> None:
        self._database = database
        self._sql = sql
        self._binds = binds
        self._batch_rows = batch_rows
        self._pool: oracledb.AsyncConnectionPool | None = None
        self._connection: oracledb.AsyncConnection | None = None
        self._cursor: oracledb.AsyncCursor | None = None

    async def open(self) -> "OracleStream":
        """Take a pooled connection and execute the statement."""
        notify(self._sql, False)
        self._pool = self._database._get_pool()
        self._connection = await self._database.acquire(self._pool)
        try:
            values = prepared_binds(ORACLE, self._binds)
            self._cursor = self._connection.cursor()
            self._cursor.arraysize = self._cursor.prefetchrows = self._batch_rows
            self._cursor.outputtypehandler = number_as_float
            self._cursor.setinputsizes(**oracle_bind_types([values]))
            await self._cursor.execute(ORACLE.render(self._sql), values)
        except BaseException:
            await self.aclose()
            raise
        return self

    def __aiter__(self) -> "OracleStream":
        return self

    async def __anext__(self) -> list[Row]:
        cursor = self._cursor
        if cursor is None:
            raise RuntimeError("the stream was not opened: await its open() first")
        rows = await cursor.fetchmany(self._batch_rows)
        if not rows:
            raise StopAsyncIteration
        return dict_rows(cursor.description or [], rows)  # a cursor that gave rows has a description

    async def aclose(self) -> None:
        """Close the cursor and give the connection back to the pool (once)."""
        pool, connection, self._connection = self._pool, self._connection, None
        if pool is None or connection is None:
            return
        with contextlib.suppress(oracledb.Error):
            if self._cursor is not None:
                self._cursor.close()
            await pool.release(connection)

    async def __aenter__(self) -> "OracleStream":
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class OracleDatabase:
    """Oracle through one lazily created async pool (thin mode: no Instant Client)."""

    dialect = ORACLE

    def __init__(self, oracle: OracleSettings) -> None:
        self._settings = oracle
        self._call_timeout_ms: int = config.settings().statement_timeout_s * 1000
        self._pool: oracledb.AsyncConnectionPool | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Task[None]] = set()  # closes of replaced pools, kept referenced until they end
        self._schema_checked = False

    def _get_pool(self) -> oracledb.AsyncConnectionPool:
        """Create the pool on first use; warm invocations on the same event loop reuse it.

        An asyncio pool belongs to the loop that made it. Runtimes that start a new loop per
        invocation (asyncio.run per event, test clients) get a new pool instead of a hang.
        """
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool_loop is not loop:
            self._pool_loop = loop
            self._pool = oracledb.create_pool_async(params=oracle_pool_params(self._settings, self._init_session))
        return self._pool

    async def _init_session(self, connection: oracledb.AsyncConnection, requested_tag: str | None) -> None:
        """Session callback: round trips limited first, then UTC and ISO formats (whatever the host's), the schema."""
        self._limit_round_trips(connection)
        with connection.cursor() as cursor:
            for statement in session_setup_statements(self._settings):
                await cursor.execute(statement)

    def _limit_round_trips(self, connection: oracledb.AsyncConnection) -> None:
        """Let no round trip on `connection` wait longer than `SEDA_STATEMENT_TIMEOUT_S` (DPY-4024 beyond)."""
        connection.call_timeout = self._call_timeout_ms

    async def acquire(self, pool: oracledb.AsyncConnectionPool) -> oracledb.AsyncConnection:
        """A connection from `pool` within `ORACLE_CONNECT_TIMEOUT_S`, its round trips limited.

        The limit covers what the driver's own timeouts miss: a session whose handshake or login
        never answers. A timed-out acquire may mean the pool's background connect hangs, so the
        pool is replaced when it had no connection in use (see `_discard_if_stuck`); with every
        connection in use, the pool's wait (`ORACLE_POOL_TIMEOUT_S`) is 429 TooManyRequestsTypeB.
        """
        seconds = self._settings.connect_timeout_s
        try:
            async with asyncio.timeout(seconds):
                connection = await pool.acquire()
        except TimeoutError:
            self._discard_if_stuck(pool)
            raise DatabaseUnavailableError(
                f"No database session could be opened within {seconds} s (ORACLE_CONNECT_TIMEOUT_S); retry later."
            ) from None
        except oracledb.Error as exc:
            if getattr(_driver_error(exc), "full_code", "") == "DPY-4005":  # the pool's own wait timed out
                if pool.busy:  # every session in use: this instance is saturated, the database is not down
                    raise ratelimit.instance_busy(
                        f"Every database session stayed in use for {self._settings.pool_timeout_s} s "
                        "(ORACLE_POOL_TIMEOUT_S): this instance is saturated, and nothing was done. Retry in "
                        f"{ratelimit.INSTANCE_RETRY_AFTER_S} s (Retry-After).",
                        "oracle_pool",
                    ) from None
                self._discard_if_stuck(pool)
            raise
        self._limit_round_trips(connection)
        if not self._schema_checked:
            await self._check_schema(pool, connection)
        return connection

    async def _check_schema(self, pool: oracledb.AsyncConnectionPool, connection: oracledb.AsyncConnection) -> None:
        """On the process's first session: refuse (503, logged) a schema of another version than this release's.

        Checked here rather than at import: a cold start must not wait on, or die with, a database
        that is down for a moment; the message names the command that fixes a wrong version.
        """
        version = None
        try:
            version = await _schema_version(connection)
            migrations.require_current(version, "Oracle")
        except migrations.SchemaVersionError as exc:
            await pool.release(connection)
            message = schema_version_message(str(exc), version)
            logger.error(message)
            raise DatabaseUnavailableError(message) from None
        except BaseException:
            await pool.release(connection)
            raise
        self._schema_checked = True

    def _discard_if_stuck(self, pool: oracledb.AsyncConnectionPool) -> None:
        """Replace `pool` if it handed out no connection in time while none was in use.

        Then it is stuck opening a session: the driver never gives up on a peer that accepts and
        never answers, and every later acquire on that pool times out too, even once the
        database is back. The next request creates a new pool; this one is closed in the
        background, forcibly and within `_POOL_CLOSE_LIMIT_S` (cutting the close short cancels
        the stuck connect and closes its socket). A pool with connections in use is merely busy
        and is kept.
        """
        if pool is not self._pool or pool.busy:
            return
        logger.warning("Oracle pool opened no session in time and had none in use; replacing it")
        self._pool = self._pool_loop = None
        closing = asyncio.create_task(_close_pool(pool))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncGenerator[OracleSession, None]:
        """A session on a pooled connection, released when the block ends."""
        pool = self._get_pool()
        session = OracleSession(self, pool, await self.acquire(pool))
        try:
            yield session
        finally:
            with contextlib.suppress(oracledb.Error):
                await session.release()

    def stream(self, sql: Statement, binds: Binds | None = None, batch_rows: int = 1000) -> OracleStream:
        """A query read in batches for an export (see `OracleStream`); `await` its `open()` first."""
        return OracleStream(self, sql, binds, batch_rows)

    def transaction(self) -> contextlib.AbstractAsyncContextManager[OracleTransaction]:
        """A transaction on one pooled connection (see `OracleTransaction`), committed when the block ends."""
        return committed(OracleTransaction(self, self._get_pool()))

    def session_use(self) -> SessionUse:
        """The pool's busy and open sessions now, and its maximum (`shared/metrics.py`); none before its first use."""
        pool = self._pool
        if pool is None:
            return SessionUse(0, self._settings.pool_max, 0)
        return SessionUse(pool.busy, pool.max, pool.opened)

    async def close(self) -> None:
        """Close the pool (tests and orderly shutdown) within a bound; a pool of another loop is just dropped."""
        if self._pool is not None and self._pool_loop is asyncio.get_running_loop():
            await _close_pool(self._pool)
        self._pool = self._pool_loop = None


# Version 1 on Oracle means SCHEMA_VERSION was not found; for a runtime account that is most often its settings.
_OUT_OF_REACH = (
    " Or the tables are out of the connected account's reach: a runtime account needs ORACLE_SCHEMA set to the "
    "account that owns them, and the grants of sql/oracle/03_runtime_grants.sql; `python -m tools.check_oracle` "
    "lists what is missing."
)


def schema_version_message(message: str, version: int | None) -> str:
    """The refusal's message for a schema `version` other than this release's, with the likelier cause of version 1."""
    return message + _OUT_OF_REACH if version == 1 else message


async def _schema_version(connection: oracledb.AsyncConnection) -> int | None:
    """The schema version recorded in the database; 1 when it has no SCHEMA_VERSION table (made before versions)."""
    notify(migrations.VERSION_QUERY, False)
    try:
        with connection.cursor() as cursor:
            await cursor.execute(migrations.VERSION_QUERY)
            (version,) = await cursor.fetchone()
    except oracledb.DatabaseError as exc:
        if getattr(_driver_error(exc), "full_code", "") != "ORA-00942":  # table or view does not exist
            raise
        return 1
    return None if version is None else int(version)


async def _close_pool(pool: oracledb.AsyncConnectionPool) -> None:
    """Close `pool` forcibly, giving up after `_POOL_CLOSE_LIMIT_S` (see there)."""
    with contextlib.suppress(oracledb.Error, TimeoutError):
        async with asyncio.timeout(_POOL_CLOSE_LIMIT_S):
            await pool.close(force=True)
