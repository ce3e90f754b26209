"""`audit` — the audit trail: one entry per write that changed data (`shared/audit.py` records them).

GET /api/v1/audit[?from=&to=&key_id=&resource_name=&request_id=&limit=&offset=] → array ordered
    by id, oldest first, so that pages stay put while writes go on appending (`from`/`to`
    bound `recorded_at`, inclusive, ISO 8601, UTC when no zone is given); to see the latest,
    ask `from` a recent time;
GET /api/v1/audit/<id> → one entry or 404.
An entry: `id`, `recorded_at`, `request_id`, `key_id`, `operation` (`POST /api/v1/measurements`),
`resource_name` (`equipment`, `measurements`, `inspections`, `diagnoses`, `substations`), `ids` (an object naming each id
field with the ids the write touched: `{"id": [42]}`, `{"equipment_id": [1, 7]}`; a batch of `python -m tools.load
--csv` also names `line`, the first and last line of its file), `inserted`, `updated`, `deleted`.
Both need an API key with the `admin` scope, even when reads need no key (401 without a valid
key, 403 with one lacking `admin`). Entries are never changed or deleted through the API.
Tables: AUDIT_LOG.
"""

import functions_framework.aio

from shared import auth, http, openapi, validation
from shared.audit import COLUMNS, RESOURCES
from shared.jsonio import json_response, loads

_SELECT = f"SELECT id, {', '.join(COLUMNS)} FROM audit_log"
_FILTERS = {
    "from": "recorded_at >= :p_from",
    "to": "recorded_at <= :p_to",
    "key_id": "key_id = :p_key_id",
    "resource_name": "resource_name = :p_resource_name",
    "request_id": "request_id = :p_request_id",
}
_QUERY = {
    **validation.PAGING,
    "from": validation.timestamp,
    "to": validation.timestamp,
    "key_id": validation.text(64),
    "resource_name": validation.choice(RESOURCES),
    "request_id": validation.text(128),
}
_COUNT = {"type": "integer", "minimum": 0}
_ENTRY = openapi.output("AuditEntry", {
    "id": http.ITEM_ID.schema(),
    "recorded_at": {"type": "string"},
    "request_id": {"type": "string"},
    "key_id": {"type": "string"},
    "operation": {"type": "string", "examples": ["DELETE /api/v1/equipment/<id>"]},
    "resource_name": {"enum": list(RESOURCES)},
    "ids": {"type": "object", "additionalProperties": {"type": "array", "items": http.ITEM_ID.schema()}},
    "inserted": _COUNT,
    "updated": _COUNT,
    "deleted": _COUNT,
})


@auth.requires("admin")
@openapi.operation(openapi.page(_ENTRY), query=_QUERY)
async def _list(request):
    """Audit entries, filtered by time, key, resource and request."""
    return await http.list_page(request, _SELECT, _FILTERS, _QUERY, order_by="id", render=_page)


@auth.requires("admin")
@openapi.operation(openapi.answer(_ENTRY, "The entry (no ETag: an entry never changes)."))
async def _get(request, entry_id):
    """One audit entry by id."""
    return await http.get_one(request, _SELECT, entry_id, "audit entry", render=_entry)


def _page(rows, headers):
    """A page of entries as JSON, each with its `ids` as an object."""
    return json_response([_shown(row) for row in rows], headers=headers)


def _entry(rows, headers):
    """One entry as JSON, with its `ids` as an object (no ETag: an entry never changes)."""
    return json_response(_shown(rows[0]), headers=headers)


def _shown(row):
    """An entry as the API shows it: `ids` parsed from the JSON text it is stored as."""
    return {**row, "ids": loads(row["ids"])}


COLLECTION = {"GET": _list}
ITEM = {"GET": _get}


@functions_framework.aio.http
async def audit(request):
    """HTTP entry point of the `audit` resource."""
    return await http.serve(request, "audit", COLLECTION, ITEM)
