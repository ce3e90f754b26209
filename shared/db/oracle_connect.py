"""How the service reaches Oracle and what each new session runs first: the driver's connect and pool parameters
from the settings (`shared/config/oracle.py`), and the session set-up statements."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import oracledb

from shared.config.oracle import OracleSettings

SESSION_SETUP_SQL = (
    "ALTER SESSION SET TIME_ZONE = 'UTC' "
    "NLS_DATE_FORMAT = 'YYYY-MM-DD\"T\"HH24:MI:SS' "
    "NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD\"T\"HH24:MI:SS.FF6'"
)


def current_schema_sql(schema: str) -> str:
    """The statement that resolves unprefixed table names in `schema`, the owner's (`ORACLE_SCHEMA`).

    The name comes from the settings, never from a request, and was checked there to be an unquoted
    Oracle name in upper case; quoted, it is taken exactly so. It changes no privilege: the runtime
    account still reaches only what it was granted (`sql/oracle/03_runtime_grants.sql`).
    """
    return f'ALTER SESSION SET CURRENT_SCHEMA = "{schema}"'


def session_setup_statements(oracle: OracleSettings) -> tuple[str, ...]:
    """What every new session runs before its first use: UTC and ISO formats, then the owner's schema if one is set."""
    if oracle.schema is None:
        return (SESSION_SETUP_SQL,)
    return (SESSION_SETUP_SQL, current_schema_sql(oracle.schema))


# The pool calls it with each new session and the tag asked for (none here).
SessionCallback = Callable[[oracledb.AsyncConnection, str | None], Awaitable[None]]

# connect() and create_pool_async() take `**kwargs` as far as a type checker knows, so a misspelt keyword
# there would fail only at run time; ConnectParams and PoolParams spell theirs out, and pyright checks
# every keyword given them here (tests/test_typecheck.py).
_OracleParams = TypeVar("_OracleParams", bound=oracledb.ConnectParams)


def _reaching(params: _OracleParams, oracle: OracleSettings) -> _OracleParams:
    """`params` with the account and the database's location: ORACLE_DSN, or ORACLE_HOST with a service name or SID.

    The DSN is parsed into `params` after the other values are set, as `connect(dsn, ...)` does, so
    what the DSN names (EXPIRE_TIME, say) wins over the setting.
    """
    params.set(user=oracle.user, password=oracle.password)
    if oracle.dsn:
        params.parse_connect_string(oracle.dsn)
    elif oracle.service_name:
        params.set(host=oracle.host, port=oracle.port, service_name=oracle.service_name)
    else:
        params.set(host=oracle.host, port=oracle.port, sid=oracle.sid)
    return params


def oracle_connect_params(oracle: OracleSettings) -> oracledb.ConnectParams:
    """How a single connection reaches Oracle (the tools): `oracledb.connect(params=oracle_connect_params(oracle))`."""
    return _reaching(oracledb.ConnectParams(), oracle)


def oracle_pool_params(oracle: OracleSettings, session_callback: SessionCallback) -> oracledb.PoolParams:
    """The service's pool: fixed size by default, a timed wait for a session, keepalive probes and connect limits."""
    params = oracledb.PoolParams(
        min=oracle.pool_min,
        max=oracle.pool_max,
        increment=1,
        getmode=oracledb.POOL_GETMODE_TIMEDWAIT,
        wait_timeout=oracle.pool_timeout_s * 1000,
        session_callback=session_callback,
        ping_interval=60,
        expire_time=oracle.expire_time_min,
        tcp_connect_timeout=oracle.connect_timeout_s,
    )
    return _reaching(params, oracle)
