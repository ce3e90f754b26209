"""`diagnose_pending` — catch up stored verdicts that are pending or stale, a bounded amount per call, for a scheduler.

POST /api/v1/diagnose-pending[?partition=k/n] → 200 `{"units", "samples", "batches", "done",
    "partition", "elapsed_s"}`: writes the verdicts of complete samples that have none (samples
    a loader wrote straight into the database, a database upgraded from schema version 3) and
    rewrites those of another engine version, model or verdict setting (`shared/pending.py`), in
    batches of `SEDA_PENDING_BATCH_UNITS` units, each one transaction, starting no batch after
    `SEDA_PENDING_TIME_BUDGET_S`. `done` is true when nothing is left pending or stale in the
    partition; while it is false, call again (Cloud Scheduler: every few minutes). `partition`
    k/n takes only the units whose id modulo n is k - 1, so n schedules share a backlog without
    overlapping. Idempotent and safe to call concurrently: each batch locks its units and
    skips those another call caught up meanwhile. A call that finds nothing to do reads once
    and writes nothing (no audit entry). The command-line equivalent is `python -m tools.rediagnose`.
Needs an API key with the `admin` scope (401 without a valid key, 403 without the scope); each
batch is recorded in the audit trail (`shared/audit.py`, resource `diagnoses`, the units' ids).
Tables: DGA_SAMPLE, EQUIPMENT (read); DGA_DIAGNOSIS, DGA_CHANGE, AUDIT_LOG (written).
"""

import time

import functions_framework.aio

from shared import audit, auth, config, context, http, metrics, openapi, pending, validation
from shared.errors import InvalidParametersError
from shared.jsonio import json_response

RESOURCE = "diagnose-pending"  # the public path: /api/v1/diagnose-pending (the target is `diagnose_pending`)


def _partition(name, raw):
    """`?partition=k/n` as a Partition."""
    try:
        return pending.parse_partition(raw)
    except ValueError:
        raise InvalidParametersError(
            f"Parameter '{name}' must be {pending.PARTITION_FORMS}; received {validation.shown(raw)}."
        ) from None


_PARTITION_SCHEMA = {
    "type": "string", "pattern": "^[0-9]{1,6}/[0-9]{1,6}$", "examples": ["1/1", "2/4"],
    "description": f"This call's share of the units: {pending.PARTITION_FORMS}. Default 1/1, every unit.",
}
_QUERY = {"partition": validation.Parser(_partition, _PARTITION_SCHEMA, InvalidParametersError)}
_COUNT = {"type": "integer", "minimum": 0}
_RESULT = openapi.output("PendingCaughtUp", {
    "units": {**_COUNT, "description": "Units whose verdicts this call rewrote."},
    "samples": {**_COUNT, "description": "Verdicts this call wrote."},
    "batches": {**_COUNT, "description": "Transactions this call committed."},
    "done": {"type": "boolean", "description": "Nothing is left pending or stale in the partition; false: call again."},
    "partition": {"type": "string", "examples": ["1/1"]},
    "elapsed_s": {"type": "number", "minimum": 0},
})


def _audited(request):
    """The audit hook of each batch: the units it rewrote and how many verdicts it inserted and updated."""

    async def record(tx, caught_up):
        await audit.record(tx, request, "diagnoses", {"equipment_id": caught_up.units}, inserted=caught_up.inserted,
                           updated=caught_up.updated, deleted=len(caught_up.plan.deletes))

    return record


@auth.requires("admin")
@openapi.operation(
    openapi.answer(_RESULT, "What this call caught up, and whether anything is left."), query=_QUERY,
)
async def _catch_up(request):
    """Write pending and rewrite stale verdicts for at most the time budget; say how much, and whether it is done."""
    values = validation.parse_query(request.query_params, _QUERY)
    partition = values.get("partition", pending.WHOLE)
    settings = config.settings()
    started = time.monotonic()
    progress = await pending.catch_up(
        partition, batch_units=settings.pending_batch_units, time_budget_s=settings.pending_time_budget_s,
        record=_audited(request),
    )
    await _log_backlog()
    return json_response({
        "units": progress.units,
        "samples": progress.samples,
        "batches": progress.batches,
        "done": progress.done,
        "partition": str(partition),
        "elapsed_s": round(time.monotonic() - started, 3),
    })


async def _log_backlog():
    """What is left, counted again now, in this call's access line: on FaaS platforms the scheduler's calls are the
    backlog's log-based metric (no metrics path is deployed there). Not counted when SEDA_METRICS_BACKLOG_TTL_S is 0."""
    metrics.forget_backlog()
    left = await metrics.backlog()
    if left is not None:
        context.add_log_fields(verdicts_backlog_pending=left.pending, verdicts_backlog_stale=left.stale,
                               verdicts_backlog_units=left.units)


COLLECTION = {"POST": _catch_up}


@functions_framework.aio.http
async def diagnose_pending(request):
    """HTTP entry point of the `diagnose_pending` target."""
    return await http.serve(request, RESOURCE, COLLECTION)
