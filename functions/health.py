"""`health` — liveness of the service and its database.

GET /api/v1/health → 200 `{"status": "ok", "database": "sqlite|oracle", "latency_ms": …}`
when a trivial query succeeds, else 503 DatabaseUnavailable.
Tables: none (the dialect's ping statement).
"""

import time

import functions_framework.aio

from shared import context, db, http, validation
from shared.errors import DatabaseUnavailableError
from shared.jsonio import json_response


async def _check(request):
    """Ping the database and report how long it took."""
    validation.parse_query(request.query_params, {})
    started = time.perf_counter()
    try:
        async with db.connect() as conn:
            await conn.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to answer means "unavailable" here
        context.logger.warning(f"health check failed: {type(exc).__name__}", exc_info=exc)
        raise DatabaseUnavailableError("The database did not answer the health check; retry later.") from None
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    return json_response({"status": "ok", "database": db.database().dialect.name, "latency_ms": latency_ms})


COLLECTION = {"GET": _check}


@functions_framework.aio.http
async def health(request):
    """HTTP entry point of the `health` resource."""
    return await http.serve(request, "health", COLLECTION)
