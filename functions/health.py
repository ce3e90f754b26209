"""`health` — is the process alive, and can it serve data?

GET /api/v1/health/live → 200 `{"status": "ok"}` without touching the database: for liveness
    probes (load balancers, Cloud Run, Kubernetes), so a database outage never gets a healthy
    process restarted.
GET /api/v1/health/ready, and GET /api/v1/health → 200 `{"status": "ok", "database":
    "sqlite|oracle", "schema_version", "checks": {check: "ok"}, "latency_ms"}` when the schema
    version is the one this release serves and a row of every served table can be read (an
    empty table passes: it was read); else 503 DatabaseUnavailable whose message names the
    first failing check and whose `details` list every one (`{"check", "message"}`).
None of them needs an API key, even with SEDA_REQUIRE_KEYS_FOR_READS on: probes carry none.
Tables: SCHEMA_VERSION and every one of SERVED_TABLES (at most one row each).
"""

import time

import functions_framework.aio

from shared import auth, context, db, http, openapi, validation
from shared.db import migrations
from shared.errors import ApiError, DatabaseUnavailableError, from_database_error
from shared.headers import NO_STORE
from shared.jsonio import json_response

SERVED_TABLES = (
    "test_table", "substation", "equipment", "dga_sample", "audit_log", "dga_diagnosis", "dga_change", "inspection",
)
_TABLE_PROBES = {table: f"SELECT 1 AS found FROM {table}" for table in SERVED_TABLES}
_ONE_ROW = {"limit": 1, "offset": 0}
_OK = {"const": "ok"}
_READY = openapi.output("Ready", {
    "status": _OK,
    "database": {"enum": ["sqlite", "oracle"]},
    "schema_version": {"type": "integer", "minimum": 1},
    "checks": openapi.output("ReadyChecks", {check: _OK for check in ("schema_version", *SERVED_TABLES)}),
    "latency_ms": {"type": "number", "minimum": 0},
})
_NOT_CACHED = {"Cache-Control": NO_STORE}  # a probe must reach the process, never a cache


@auth.public
@openapi.operation(openapi.answer(openapi.output("Live", {"status": _OK}), "The process answers."), database=False)
async def _live(request):
    """The process answers: nothing else is checked."""
    validation.parse_query(request.query_params, {})
    return json_response({"status": "ok"}, headers=_NOT_CACHED)


@auth.public
@openapi.operation(openapi.answer(_READY, "Ready: the schema version is current and every served table was read."))
async def _ready(request):
    """Read the schema version and a row of every served table; 503 naming each check that failed."""
    validation.parse_query(request.query_params, {})
    started = time.perf_counter()
    checks, failures = {}, []
    try:
        async with db.connect() as conn:
            version = await _check(checks, failures, "schema_version", _schema_version(conn))
            for table, probe in _TABLE_PROBES.items():
                await _check(checks, failures, table, conn.fetch_all(probe, _ONE_ROW, paged=True))
    except Exception as exc:  # noqa: BLE001 - no connection at all is one more failed check
        failures.append(_failure("connection", exc))
    if failures:
        raise DatabaseUnavailableError(
            f"Not ready: {failures[0]['message']} `details` lists every failed check.", details=failures
        )
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    return json_response({
        "status": "ok",
        "database": db.database().dialect.name,
        "schema_version": version,
        "checks": checks,
        "latency_ms": latency_ms,
    }, headers=_NOT_CACHED)


async def _schema_version(conn):
    """The database's schema version; a failure unless it is the one this release serves."""
    row = await conn.fetch_one(migrations.VERSION_QUERY)
    version = None if row is None or row["version"] is None else int(row["version"])  # Oracle: a float
    migrations.require_current(version, db.database().dialect.name)
    return version


async def _check(checks, failures, name, probe):
    """Await one probe: record "ok" and return its result, or record its failure."""
    try:
        result = await probe
    except Exception as exc:  # noqa: BLE001 - every failure is reported as the check's, none escapes
        failures.append(_failure(name, exc))
        return None
    checks[name] = "ok"
    return result


def _failure(check, exc):
    """A failed check for `details`: what failed, in words safe to show (never a driver's text)."""
    context.logger.warning(f"readiness check {check} failed: {type(exc).__name__}", exc_info=exc)
    if isinstance(exc, migrations.SchemaVersionError):
        reason = str(exc)
    else:
        error = exc if isinstance(exc, ApiError) else from_database_error(exc)
        told = error.message if error.status != 500 else "it could not be read; the log has the cause"
        reason = f"{error.name()}: {told}"
    return {"check": check, "message": f"check '{check}' failed ({reason})."}


COLLECTION = {"GET": _ready}
PARTS = {"live": {"GET": _live}, "ready": {"GET": _ready}}


@functions_framework.aio.http
async def health(request):
    """HTTP entry point of the `health` resource."""
    return await http.serve(request, "health", COLLECTION, parts=PARTS)
