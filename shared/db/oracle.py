"""Oracle through python-oracledb's thin async pool (no Instant Client).

One pool per process, created lazily on first use and reused by every warm invocation (the
serverless practice); fixed size by default; a session callback sets UTC and ISO date
formats; LOBs arrive as str/bytes; arraysize and prefetchrows follow the page size; a
statement that fails because its pooled connection was dead is retried once on a fresh
connection, except inside a transaction, where a retry would silently drop the statements
before it. A transaction holds one pooled connection, runs `executemany` with
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
import datetime
import logging

import oracledb

from shared import config, ratelimit
from shared.db import migrations
from shared.db.dialects import ORACLE, prepared_binds
from shared.db.interface import SessionUse, Verbs, committed, dict_rows, notify, observed
from shared.errors import DatabaseUnavailableError

logger = logging.getLogger("seda")

# Closing a pool waits for its background task, which may be stuck in a connect that never
# ends; long enough for a healthy pool to log its sessions off, then the close is cut short.
_POOL_CLOSE_LIMIT_S = 5

# Rows decoded and made into dicts between two turns of the event loop (`_rows_in_slices`).
_SLICE_ROWS = 1000

oracledb.defaults.fetch_lobs = False
_ORACLE_BIND_TYPES = (
    (datetime.datetime, oracledb.DB_TYPE_TIMESTAMP),
    ((int, float), oracledb.DB_TYPE_NUMBER),
)
# Longest string Oracle binds as VARCHAR2 (MAX_STRING_SIZE = STANDARD, the default); a longer one
# must be bound as a CLOB, else ORA-01461 (a stored verdict's document reaches ~5.3 kB).
_VARCHAR2_MAX_BYTES = 4000
_MAX_BYTES_PER_CHARACTER = 4  # UTF-8


def _number_as_float(cursor, metadata):
    """Fetch non-integer NUMBER columns as float so JSON output matches SQLite's REAL."""
    if metadata.type_code is oracledb.DB_TYPE_NUMBER and not (metadata.precision and metadata.scale == 0):
        return cursor.var(oracledb.DB_TYPE_BINARY_DOUBLE, arraysize=cursor.arraysize)
    return None


SESSION_SETUP_SQL = (
    "ALTER SESSION SET TIME_ZONE = 'UTC' "
    "NLS_DATE_FORMAT = 'YYYY-MM-DD\"T\"HH24:MI:SS' "
    "NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD\"T\"HH24:MI:SS.FF6'"
)


def _driver_error(exc):
    """The driver's `_Error` describing a python-oracledb exception (its code and flags), or None."""
    return exc.args[0] if exc.args else None


def _session_is_dead(exc, connection):
    """True when the driver says the session is gone, so the statement may work on another one.

    The driver's own signals, not a list of codes: the error's `is_session_dead` (the ORA- codes
    of a lost connection arrive as DPY-4011 with it set), or the connection's local health check
    (a connection that was already closed raises DPY-1001 without the flag). A call timeout whose
    cancellation the database acknowledged leaves a healthy session and is not retried.
    """
    return bool(getattr(_driver_error(exc), "is_session_dead", False)) or not connection.is_healthy()


async def _rows_in_slices(cursor):
    """Every row of an executed query as dicts, `_SLICE_ROWS` at a time, letting other requests run in between.

    The thin driver decodes rows on the event loop, and we make dicts of them there: a fleet read
    of a million rows in one `fetchall` would hold the loop for seconds. A slice is ~1,000 rows.
    """
    rows = []
    while batch := await cursor.fetchmany(_SLICE_ROWS):
        rows += dict_rows(cursor.description, batch)
        if len(batch) < _SLICE_ROWS:
            break
        await asyncio.sleep(0)  # the next slice may be buffered already: without this, nothing else would run
    return rows


class OracleSession(Verbs):
    """The verbs handlers use, over one pooled python-oracledb async connection."""

    dialect = ORACLE

    def __init__(self, database, pool, connection):
        self._database = database
        self._pool = pool
        self._connection = connection
        self._may_retry = True

    async def _run(self, sql, binds, paged):
        """Execute once, retrying on a fresh connection if the pooled one was dead; (rows, rows changed)."""
        notify(sql, paged)
        text = ORACLE.render(sql, paged)
        values = prepared_binds(ORACLE, binds)
        try:
            return await self._execute(text, values)
        except oracledb.Error as exc:  # DPY-1001 (not connected) is an InterfaceError
            if not self._may_retry or not _session_is_dead(exc, self._connection):
                raise
            self._may_retry = False
            logger.warning("pooled Oracle connection was dead; retrying once on a new one")
            await self._replace_connection()
            return await self._execute(text, values)

    async def _execute(self, text, values):
        """Execute one statement; its rows as dicts (none for DML) and the number of rows it changed."""
        with self._connection.cursor() as cursor:
            page_rows = values.get("limit")
            if isinstance(page_rows, int):
                cursor.arraysize = page_rows
                cursor.prefetchrows = page_rows + 1
            cursor.outputtypehandler = _number_as_float
            cursor.setinputsizes(**oracle_bind_types([values]))
            await cursor.execute(text, values)
            if cursor.description is None:
                return [], cursor.rowcount
            return await _rows_in_slices(cursor), cursor.rowcount

    async def _replace_connection(self):
        """Drop the dead connection from the pool and take another."""
        with contextlib.suppress(oracledb.Error):
            await self._pool.drop(self._connection)
        self._connection = await self._database.acquire(self._pool)

    @observed
    async def fetch_all(self, sql, binds=None, *, paged=False, large=False):
        """All rows of a query; `paged` appends the paging clause (read in slices: no read blocks the loop here)."""
        rows, _ = await self._run(sql, binds, paged)
        return rows

    @observed
    async def execute(self, sql, binds=None):
        """Run a statement that returns no rows; the number of rows it changed."""
        _, changed = await self._run(sql, binds, False)
        return changed

    async def ping(self):
        """Run the trivial query that proves the database answers."""
        await self._run(ORACLE.ping_sql, None, False)

    async def release(self):
        """Give the connection back to the pool."""
        await self._pool.release(self._connection)


class OracleTransaction(OracleSession):
    """The verbs inside one transaction on one pooled connection, which is never swapped for another."""

    def __init__(self, database, pool):
        super().__init__(database, pool, None)
        self._may_retry = False

    async def begin(self):
        """Take a pooled connection (Oracle starts the transaction at the first change)."""
        self._connection = await self._database.acquire(self._pool)

    @observed
    async def execute_many(self, sql, rows):
        """Run a statement once per row of binds (a non-empty list) in one round trip; a failing row fails the call."""
        notify(sql, False)
        with self._connection.cursor() as cursor:
            cursor.setinputsizes(**oracle_bind_types(rows))
            await cursor.executemany(
                ORACLE.render(sql), [prepared_binds(ORACLE, row) for row in rows], batcherrors=False
            )

    async def commit(self):
        """Make the transaction's changes visible to everyone."""
        await self._connection.commit()

    async def rollback(self):
        """Undo the transaction; a dead connection has nothing left to undo."""
        if self._connection is not None:
            with contextlib.suppress(oracledb.Error):
                await self._connection.rollback()

    async def close(self):
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

    def __init__(self, database, sql, binds, batch_rows):
        self._database = database
        self._sql = sql
        self._binds = binds
        self._batch_rows = batch_rows
        self._pool = None
        self._connection = None
        self._cursor = None

    async def open(self):
        """Take a pooled connection and execute the statement."""
        notify(self._sql, False)
        self._pool = self._database._get_pool()
        self._connection = await self._database.acquire(self._pool)
        try:
            values = prepared_binds(ORACLE, self._binds)
            self._cursor = self._connection.cursor()
            self._cursor.arraysize = self._cursor.prefetchrows = self._batch_rows
            self._cursor.outputtypehandler = _number_as_float
            self._cursor.setinputsizes(**oracle_bind_types([values]))
            await self._cursor.execute(ORACLE.render(self._sql), values)
        except BaseException:
            await self.aclose()
            raise
        return self

    def __aiter__(self):
        return self

    async def __anext__(self):
        rows = await self._cursor.fetchmany(self._batch_rows)
        if not rows:
            raise StopAsyncIteration
        return dict_rows(self._cursor.description, rows)

    async def aclose(self):
        """Close the cursor and give the connection back to the pool (once)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(oracledb.Error):
            if self._cursor is not None:
                self._cursor.close()
            await self._pool.release(connection)

    async def __aenter__(self):
        return await self.open()

    async def __aexit__(self, *exc_info):
        await self.aclose()


def oracle_bind_types(rows):
    """The Oracle type of every bind holding a number, a datetime or a string too long for VARCHAR2 in any row.

    Declared because python-oracledb would guess wrong: it takes a bind's type from the first
    row (a batch may start with a missing gas), binds a datetime as DATE, which drops the
    fractional seconds a TIMESTAMP column keeps, and a string as VARCHAR2 whatever its length.
    """
    types = {}
    for row in rows:
        for name, value in row.items():
            if isinstance(value, str) and _longer_than_varchar2(value):
                types[name] = oracledb.DB_TYPE_CLOB  # wins over a shorter row's default
                continue
            for python_types, oracle_type in _ORACLE_BIND_TYPES:
                if isinstance(value, python_types) and not isinstance(value, bool):
                    types.setdefault(name, oracle_type)
    return types


def _longer_than_varchar2(text):
    """Whether `text` may exceed VARCHAR2's bytes (encoded only when its length alone cannot tell)."""
    if len(text) * _MAX_BYTES_PER_CHARACTER <= _VARCHAR2_MAX_BYTES:
        return False
    return len(text) > _VARCHAR2_MAX_BYTES or len(text.encode()) > _VARCHAR2_MAX_BYTES


def oracle_connect_params(oracle):
    """Keyword arguments for python-oracledb connect/create_pool from the settings."""
    params = {"user": oracle.user, "password": oracle.password}
    if oracle.dsn:
        params["dsn"] = oracle.dsn
    else:
        params.update(host=oracle.host, port=oracle.port)
        if oracle.service_name:
            params["service_name"] = oracle.service_name
        else:
            params["sid"] = oracle.sid
    return params


class OracleDatabase:
    """Oracle through one lazily created async pool (thin mode: no Instant Client)."""

    dialect = ORACLE

    def __init__(self, oracle):
        self._settings = oracle
        self._call_timeout_ms = config.settings().statement_timeout_s * 1000
        self._pool = None
        self._pool_loop = None
        self._closing = set()  # closes of replaced pools, kept referenced until they end
        self._schema_checked = False

    def _get_pool(self):
        """Create the pool on first use; warm invocations on the same event loop reuse it.

        An asyncio pool belongs to the loop that made it. Runtimes that start a new loop per
        invocation (asyncio.run per event, test clients) get a new pool instead of a hang.
        """
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool_loop is not loop:
            settings = self._settings
            self._pool_loop = loop
            self._pool = oracledb.create_pool_async(
                **oracle_connect_params(settings),
                min=settings.pool_min,
                max=settings.pool_max,
                increment=1,
                getmode=oracledb.POOL_GETMODE_TIMEDWAIT,
                wait_timeout=settings.pool_timeout_s * 1000,
                session_callback=self._init_session,
                ping_interval=60,
                expire_time=settings.expire_time_min,
                tcp_connect_timeout=settings.connect_timeout_s,
            )
        return self._pool

    async def _init_session(self, connection, requested_tag):
        """Session callback: round trips limited first, then UTC and ISO formats, whatever the host's."""
        self._limit_round_trips(connection)
        with connection.cursor() as cursor:
            await cursor.execute(SESSION_SETUP_SQL)

    def _limit_round_trips(self, connection):
        """Let no round trip on `connection` wait longer than `SEDA_STATEMENT_TIMEOUT_S` (DPY-4024 beyond)."""
        connection.call_timeout = self._call_timeout_ms

    async def acquire(self, pool):
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

    async def _check_schema(self, pool, connection):
        """On the process's first session: refuse (503, logged) a schema of another version than this release's.

        Checked here rather than at import: a cold start must not wait on, or die with, a database
        that is down for a moment; the message names the command that fixes a wrong version.
        """
        try:
            migrations.require_current(await _schema_version(connection), "Oracle")
        except migrations.SchemaVersionError as exc:
            await pool.release(connection)
            logger.error(str(exc))
            raise DatabaseUnavailableError(str(exc)) from None
        except BaseException:
            await pool.release(connection)
            raise
        self._schema_checked = True

    def _discard_if_stuck(self, pool):
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
    async def connect(self):
        """A session on a pooled connection, released when the block ends."""
        pool = self._get_pool()
        session = OracleSession(self, pool, await self.acquire(pool))
        try:
            yield session
        finally:
            with contextlib.suppress(oracledb.Error):
                await session.release()

    def stream(self, sql, binds=None, batch_rows=1000):
        """A query read in batches for an export (see `OracleStream`); `await` its `open()` first."""
        return OracleStream(self, sql, binds, batch_rows)

    def transaction(self):
        """A transaction on one pooled connection (see `OracleTransaction`), committed when the block ends."""
        return committed(OracleTransaction(self, self._get_pool()))

    def session_use(self):
        """The pool's busy and open sessions now, and its maximum (`shared/metrics.py`); none before its first use."""
        pool = self._pool
        if pool is None:
            return SessionUse(0, self._settings.pool_max, 0)
        return SessionUse(pool.busy, pool.max, pool.opened)

    async def close(self):
        """Close the pool (tests and orderly shutdown) within a bound; a pool of another loop is just dropped."""
        if self._pool is not None and self._pool_loop is asyncio.get_running_loop():
            await _close_pool(self._pool)
        self._pool = self._pool_loop = None


async def _schema_version(connection):
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


async def _close_pool(pool):
    """Close `pool` forcibly, giving up after `_POOL_CLOSE_LIMIT_S` (see there)."""
    with contextlib.suppress(oracledb.Error, TimeoutError):
        async with asyncio.timeout(_POOL_CLOSE_LIMIT_S):
            await pool.close(force=True)
