"""`inspections` — what was found when a unit was opened, tested or repaired, and how well each DGA method foresaw it.

GET /api/v1/inspections[?equipment_id=&finding=&from=&to=&limit=&offset=] → array ordered by
    inspection time, then id (`from`/`to` bound `inspected_at`, inclusive, ISO 8601, UTC when no
    zone is given);
GET /api/v1/inspections/<id> → one object with its `ETag` (304 for a matching If-None-Match) or 404;
POST /api/v1/inspections (JSON object) → 201 with the new row, its `ETag` and `Location`;
PUT /api/v1/inspections/<id> (every field; a missing optional one becomes null) → 200 with the row;
PATCH /api/v1/inspections/<id> (some fields; `application/json` or `application/merge-patch+json`,
    null clears an optional field) → 200 with the row;
DELETE /api/v1/inspections/<id> → 204.
GET /api/v1/inspections/scorecard[?equipment_id=&substation_id=&window_days=] → how often each DGA
    method's verdict named what the inspections found (`shared/scorecard.py` has the rules).

`finding` is an IEC 60599 fault class (PD, D1, D2, DT, T1, T2, T3), a coarse class (D, T; PD is
both) or `none`; `description` is free text (up to 2,000 bytes), `reference` the work order (up to
64 bytes). A unit holds one inspection per moment: a second one at the same `inspected_at` is 409
naming the first (a retried POST cannot record an inspection twice). POST, PUT and PATCH need an
API key with the `ingest` scope (whoever records inspections corrects them), DELETE one with `admin`
(as every DELETE); 401 without a valid key, 403 without the scope. Every write is recorded in the
audit trail (`shared/audit.py`). PUT, PATCH and DELETE need `If-Match` with the ETag from GET (428
without it, 412 when the row changed since; `If-Match: *` skips the comparison), checked against the
row locked for the change. A body's `id`, if given, must be the path's. 400 lists every invalid
field; 409 when the unit does not exist. An equipment DELETE is 409 while inspections reference the
unit, unless `cascade=true` deletes them with it.
Tables: INSPECTION; EQUIPMENT (must exist, locked while an inspection of it is written); AUDIT_LOG;
the scorecard also reads DGA_SAMPLE and DGA_DIAGNOSIS.
"""

import functions_framework.aio

from shared import audit, auth, bodies, db, http, openapi, scorecard, validation
from shared.errors import ConflictError
from shared.jsonio import json_response
from shared.schema import INSPECTION_FINDINGS

COLUMNS = ("equipment_id", "inspected_at", "finding", "description", "reference")
_SELECT = f"SELECT id, {', '.join(COLUMNS)} FROM inspection"
_FILTERS = {
    "equipment_id": "equipment_id = :p_equipment_id",
    "finding": "finding = :p_finding",
    "from": "inspected_at >= :p_from",
    "to": "inspected_at <= :p_to",
}
_QUERY = {
    **validation.PAGING,
    "equipment_id": validation.integer(1),
    "finding": validation.choice(INSPECTION_FINDINGS),
    "from": validation.timestamp,
    "to": validation.timestamp,
}
# Upper bounds are those of the Oracle columns: VARCHAR2(2000), VARCHAR2(64).
FIELDS = {
    "equipment_id": bodies.Field("integer", required=True, minimum=1),
    "inspected_at": bodies.Field("timestamp", required=True),
    "finding": bodies.Field("choice", required=True, choices=INSPECTION_FINDINGS),
    # An inspection report runs to several lines; every other text field stays on one.
    "description": bodies.Field("text", max_bytes=2000, line_breaks=True),
    "reference": bodies.Field("text", max_bytes=64),
}
# PUT and PATCH accept the `id` a GET returned, so a read row can be sent back as it is.
_ITEM_FIELDS = {"id": bodies.Field("integer", minimum=1), **FIELDS}
_BODY_TYPES = (bodies.JSON,)
_PATCH_TYPES = (bodies.JSON, "application/merge-patch+json")
_ROW = openapi.row_schema("Inspection", FIELDS)
_EXAMPLE = {"equipment_id": 1, "inspected_at": "2024-05-02T10:00:00+09:00", "finding": "T2",
            "description": "Overheated bolted joint of the LV lead, discoloured paper", "reference": "WO-2024-0117"}

_BY_ID = f"{_SELECT} WHERE id = :id"
# The unique key (equipment_id, inspected_at): finds a new row's generated id on both databases, without RETURNING.
BY_KEY = f"{_SELECT} WHERE equipment_id = :equipment_id AND inspected_at = :inspected_at"
# Locked, so the unit cannot be deleted while one of its inspections is written.
_UNIT = db.ForUpdate("SELECT id FROM equipment WHERE id = :id")
_INSERT = f"INSERT INTO inspection ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"
_UPDATE = f"UPDATE inspection SET {', '.join(f'{c} = :{c}' for c in COLUMNS)} WHERE id = :id"
_DELETE = "DELETE FROM inspection WHERE id = :id"


@openapi.operation(openapi.page(_ROW), query=_QUERY)
async def _list(request):
    """Inspections in time order, filtered by unit, finding and time."""
    return await http.list_page(request, _SELECT, _FILTERS, _QUERY, order_by="inspected_at, id")


@openapi.operation(openapi.item(_ROW))
async def _get(request, inspection_id):
    """One inspection by id."""
    return await http.get_one(request, _SELECT, inspection_id, "inspection")


@auth.requires("ingest")
@openapi.operation(openapi.created(_ROW), errors=(ConflictError,),
                   body=openapi.Body(FIELDS, "NewInspection", _BODY_TYPES, example=_EXAMPLE))
async def _create(request):
    """Record an inspection: 201 with the new row and its URL."""
    validation.parse_query(request.query_params, {})
    values = bodies.object_values(await bodies.read(request, _BODY_TYPES), FIELDS, "inspection")
    async with db.transaction() as tx:
        await _check_references(tx, values, inspection_id=None)
        await tx.execute(_INSERT, values)
        row = await tx.fetch_one(BY_KEY, key(values))
        await audit.record(tx, request, "inspections", _audited(row), inserted=1)
    return http.created(request, row)


@auth.requires("ingest")
@openapi.operation(openapi.changed(_ROW), errors=(ConflictError,), if_match="required",
                   body=openapi.Body(_ITEM_FIELDS, "InspectionReplacement", _BODY_TYPES, example=_EXAMPLE))
async def _replace(request, inspection_id):
    """Replace every field of an inspection."""
    changes = await bodies.item_values(request, inspection_id, _BODY_TYPES, _ITEM_FIELDS, "inspection", partial=False)
    return await _update(request, inspection_id, changes)


@auth.requires("ingest")
@openapi.operation(openapi.changed(_ROW), errors=(ConflictError,), if_match="required",
                   body=openapi.Body(_ITEM_FIELDS, "InspectionChanges", _PATCH_TYPES, partial=True,
                                     example={"finding": "T3", "reference": "WO-2024-0118"}))
async def _patch(request, inspection_id):
    """Change the given fields of an inspection."""
    changes = await bodies.item_values(request, inspection_id, _PATCH_TYPES, _ITEM_FIELDS, "inspection", partial=True)
    return await _update(request, inspection_id, changes)


@auth.requires("admin")
@openapi.operation(openapi.no_content("Deleted."), if_match="required")
async def _delete(request, inspection_id):
    """Delete an inspection record."""
    validation.parse_query(request.query_params, {})
    async with db.transaction() as tx:
        row = await http.locked_row(tx, request, _SELECT, inspection_id, "inspection", if_match_required=True)
        await tx.execute(_DELETE, {"id": inspection_id})
        await audit.record(tx, request, "inspections", _audited(row), deleted=1)
    return http.no_content()


async def _update(request, inspection_id, changes):
    """Write `changes` over the inspection once If-Match matches the locked row; 200 with the new row."""
    async with db.transaction() as tx:
        row = await http.locked_row(tx, request, _SELECT, inspection_id, "inspection", if_match_required=True)
        values = {column: changes.get(column, row[column]) for column in COLUMNS}
        await _check_references(tx, values, inspection_id)
        await tx.execute(_UPDATE, {**values, "id": inspection_id})
        row = await tx.fetch_one(_BY_ID, {"id": inspection_id})
        await audit.record(tx, request, "inspections", _audited(row), updated=1)
    return http.item_response(row)


async def _check_references(tx, values, inspection_id):
    """409 unless the unit exists (locked until the write commits) and holds no other inspection at that time."""
    equipment_id = values["equipment_id"]
    if await tx.fetch_one(_UNIT, {"id": equipment_id}) is None:
        raise ConflictError(
            f"No equipment has the id {equipment_id}; give the id of an existing unit (GET {http.API_PREFIX}/equipment)."
        )
    namesake = await tx.fetch_one(BY_KEY, key(values))
    if namesake is not None and namesake["id"] != inspection_id:
        raise ConflictError(
            f"Equipment {equipment_id} already has an inspection at {values['inspected_at']:%Y-%m-%dT%H:%M:%SZ} "
            f"(id {namesake['id']}); change that one (PUT or PATCH {http.API_PREFIX}/inspections/{namesake['id']}) "
            "or give another time."
        )


def key(values):
    """The binds of the unique key (equipment_id, inspected_at)."""
    return {"equipment_id": values["equipment_id"], "inspected_at": values["inspected_at"]}


def _audited(row):
    """What the audit trail names of a written inspection: its id and its unit."""
    return {"id": [row["id"]], "equipment_id": [row["equipment_id"]]}


_SCORECARD_QUERY = {
    "equipment_id": validation.integer(1),
    "substation_id": validation.integer(1),
    "window_days": validation.integer(1, scorecard.MAX_WINDOW_DAYS),
}


@openapi.operation(openapi.answer(scorecard.SCHEMA, scorecard.DESCRIPTION), query=_SCORECARD_QUERY)
async def _scorecard(request):
    """How often each DGA method named what the inspections found, on the last complete sample before each."""
    values = validation.parse_query(request.query_params, _SCORECARD_QUERY)
    return json_response(await scorecard.build(values))


COLLECTION = {"GET": _list, "POST": _create}
ITEM = {"GET": _get, "PUT": _replace, "PATCH": _patch, "DELETE": _delete}
PARTS = {"scorecard": {"GET": _scorecard}}


@functions_framework.aio.http
async def inspections(request):
    """HTTP entry point of the `inspections` resource."""
    return await http.serve(request, "inspections", COLLECTION, ITEM, parts=PARTS)
