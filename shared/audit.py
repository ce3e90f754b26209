"""The audit trail: every write is recorded in AUDIT_LOG, inside the transaction that makes it.

A write handler ends its transaction with

    await audit.record(tx, request, "equipment", {"id": [unit_id]}, updated=1)

so the record commits with the write or not at all: a refused or rolled-back write leaves no
row, and an acknowledged one always has one. A row holds when (`recorded_at`, UTC), which
request (`request_id`, as in `X-Request-ID` and the log), whose key (`key_id`, never the key:
`shared/keys.py`), the operation (`operation`, method and route: `DELETE
/api/v1/equipment/<id>`, set by `shared/http.py`), the resource written (`resource_name`; plain
`resource` is a word Oracle reserves), the ids it touched (`ids`, JSON text of an object
naming each id field with its ids in order: `{"id": [42]}` for a unit or a sample,
`{"equipment_id": [1, 7]}` for the units whose samples a batch wrote) and how many rows it
inserted, updated and deleted (a cascading equipment DELETE counts the unit and its samples).
`GET /api/v1/audit` reads them (`functions/audit.py`). A tool that writes outside a request
(`python -m tools.load --csv`) records each batch with `record_as`, naming itself as the `Actor`.
"""

import dataclasses
import datetime

from shared import context
from shared.jsonio import dumps

# The resources whose writes are recorded: the values `resource_name` can hold.
# diagnoses: stored verdicts caught up (diagnose-pending); substations: loaded by tools.load --csv.
RESOURCES = ("equipment", "measurements", "diagnoses", "inspections", "substations")
COLUMNS = (
    "recorded_at", "request_id", "key_id", "operation", "resource_name", "ids", "inserted", "updated", "deleted",
)
_INSERT = f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who wrote: the request id (or a tool run's), the key id (or the tool's name) and the operation."""

    request_id: str
    key_id: str
    operation: str


async def record(tx, request, resource, ids, *, inserted=0, updated=0, deleted=0):
    """Record one write of `resource` in the audit trail, inside its transaction `tx`.

    `ids` maps an id field to the ids the write touched; the key id and operation are those
    `shared.http.serve` stored on the request when it let the write through.
    """
    actor = Actor(context.current_request_id(), request.state.key_id, request.state.operation)
    await record_as(tx, actor, resource, ids, inserted=inserted, updated=updated, deleted=deleted)


async def record_as(tx, actor, resource, ids, *, inserted=0, updated=0, deleted=0):
    """Record one write of `resource` by `actor` (an `Actor`) in the audit trail, inside its transaction `tx`."""
    if resource not in RESOURCES:
        raise ValueError(f"{resource!r} is not an audited resource; add it to audit.RESOURCES")
    await tx.execute(
        _INSERT,
        {
            "recorded_at": datetime.datetime.now(datetime.timezone.utc),
            "request_id": actor.request_id,
            "key_id": actor.key_id,
            "operation": actor.operation,
            "resource_name": resource,
            "ids": dumps({field: sorted(values) for field, values in sorted(ids.items())}).decode(),
            "inserted": inserted,
            "updated": updated,
            "deleted": deleted,
        },
    )
