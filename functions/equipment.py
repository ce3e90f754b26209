"""`equipment` — transformers, reactors and other oil-filled units of the fleet.

GET /api/v1/equipment[?substation_id=&kind=&status=&limit=&offset=] → array ordered by id;
GET /api/v1/equipment/<id> → one object with its `ETag` (304 for a matching If-None-Match) or 404;
POST /api/v1/equipment (JSON object) → 201 with the new row, its `ETag` and `Location`;
PUT /api/v1/equipment/<id> (every field) → 200 with the row; a missing optional field becomes null
    (`insulating_liquid`: mineral, its default, as on POST);
PATCH /api/v1/equipment/<id> (some fields; `application/json` or `application/merge-patch+json`,
    null clears an optional field, and sets `insulating_liquid` back to mineral) → 200 with the row;
DELETE /api/v1/equipment/<id>[?cascade=true] → 204; 409 while DGA samples or inspections reference the
    unit, unless `cascade=true` deletes them with it (status `retired` keeps a unit and its history).
Writes need an API key with the `admin` scope (401 without a valid key, 403 without the scope)
and are recorded in the audit trail (`shared/audit.py`). PUT, PATCH and DELETE need `If-Match` with the ETag from GET
(428 without it, 412 when the unit changed since; `If-Match: *` skips the comparison), checked
against the row locked for the change. A body's `id`, if given, must be the path's. 400 lists
every invalid field; 409 when the substation does not exist or another unit in it has the name.
A change of `year_manufactured`, `oil_preservation` or `insulating_liquid` rewrites the unit's
stored verdicts, and a cascading delete removes them, in the same transaction
(`shared/verdict_store.py`).
Tables: EQUIPMENT; SUBSTATION (must exist); DGA_SAMPLE, INSPECTION (reference it, cascade); DGA_DIAGNOSIS, DGA_CHANGE;
AUDIT_LOG.
"""

import functions_framework.aio

from shared import audit, auth, bodies, db, http, openapi, validation, verdict_refresh
from shared.errors import ConflictError
from shared.schema import EQUIPMENT_KINDS, EQUIPMENT_STATUSES, INSULATING_LIQUIDS, OIL_PRESERVATIONS

COLUMNS = (
    "substation_id", "name", "kind", "manufacturer", "rated_mva", "voltage_kv", "year_manufactured",
    "oil_preservation", "insulating_liquid", "status",
)
_SELECT = f"SELECT id, {', '.join(COLUMNS)} FROM equipment"
_FILTERS = {
    "substation_id": "substation_id = :p_substation_id",
    "kind": "kind = :p_kind",
    "status": "status = :p_status",
}
_QUERY = {
    **validation.PAGING,
    "substation_id": validation.integer(1),
    "kind": validation.choice(EQUIPMENT_KINDS),
    "status": validation.choice(EQUIPMENT_STATUSES),
}
_DELETE_QUERY = {"cascade": validation.choice(("true", "false"))}
# Upper bounds are those of the Oracle columns: NUMBER(8,2), NUMBER(6,1), NUMBER(4).
FIELDS = {
    "substation_id": bodies.Field("integer", required=True, minimum=1),
    "name": bodies.Field("text", required=True),
    "kind": bodies.Field("choice", required=True, choices=EQUIPMENT_KINDS),
    "manufacturer": bodies.Field("text"),
    "rated_mva": bodies.Field("number", maximum=999_999.99, decimals=2),  # NUMBER(8,2)
    "voltage_kv": bodies.Field("number", maximum=99_999.9, decimals=1),  # NUMBER(6,1)
    "year_manufactured": bodies.Field("integer", minimum=1900, maximum=2100),
    "oil_preservation": bodies.Field("choice", required=True, choices=OIL_PRESERVATIONS),
    # Mineral oil unless told otherwise; methods published for mineral oil only say so for the others.
    "insulating_liquid": bodies.Field("choice", choices=INSULATING_LIQUIDS, default=INSULATING_LIQUIDS[0]),
    "status": bodies.Field("choice", required=True, choices=EQUIPMENT_STATUSES),
}
# PUT and PATCH accept the `id` a GET returned, so a read row can be sent back as it is.
_ITEM_FIELDS = {"id": bodies.Field("integer", minimum=1), **FIELDS}
_BODY_TYPES = (bodies.JSON,)
_PATCH_TYPES = (bodies.JSON, "application/merge-patch+json")
_ROW = openapi.row_schema("Equipment", FIELDS)
_EXAMPLE = {"substation_id": 1, "name": "T-901", "kind": "power_transformer", "manufacturer": "Hyosung",
            "rated_mva": 100.0, "voltage_kv": 154.0, "year_manufactured": 2005, "oil_preservation": "sealed",
            "insulating_liquid": "mineral", "status": "in_service"}

_BY_ID = f"{_SELECT} WHERE id = :id"
BY_NAME = f"{_SELECT} WHERE substation_id = :substation_id AND name = :name"
_SUBSTATION = "SELECT id FROM substation WHERE id = :id"
_INSERT = f"INSERT INTO equipment ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"
_UPDATE = f"UPDATE equipment SET {', '.join(f'{c} = :{c}' for c in COLUMNS)} WHERE id = :id"
_DEPENDENTS = (
    "SELECT (SELECT COUNT(*) FROM dga_sample WHERE equipment_id = :id) AS samples, "
    "(SELECT COUNT(*) FROM inspection WHERE equipment_id = :id) AS inspections FROM equipment WHERE id = :id"
)
_DELETE_DEPENDENTS = ("DELETE FROM dga_sample WHERE equipment_id = :id", "DELETE FROM inspection WHERE equipment_id = :id")
_DELETE = "DELETE FROM equipment WHERE id = :id"
VERDICT_INPUTS = ("year_manufactured", "oil_preservation", "insulating_liquid")  # unit fields a verdict depends on


@openapi.operation(openapi.page(_ROW), query=_QUERY)
async def _list(request):
    """Equipment, filtered by substation, kind and status."""
    return await http.list_page(request, _SELECT, _FILTERS, _QUERY, order_by="id")


@openapi.operation(openapi.item(_ROW))
async def _get(request, equipment_id):
    """One piece of equipment by id."""
    return await http.get_one(request, _SELECT, equipment_id, "equipment")


@auth.requires("admin")
@openapi.operation(openapi.created(_ROW), errors=(ConflictError,),
                   body=openapi.Body(FIELDS, "NewEquipment", _BODY_TYPES, example=_EXAMPLE))
async def _create(request):
    """Add a unit: 201 with the new row and its URL."""
    validation.parse_query(request.query_params, {})
    values = bodies.object_values(await bodies.read(request, _BODY_TYPES), FIELDS, "equipment")
    async with db.transaction() as tx:
        await _check_references(tx, values, equipment_id=None)
        await tx.execute(_INSERT, values)
        # The unique key finds the new row's generated id on both databases, without RETURNING.
        row = await tx.fetch_one(BY_NAME, name_key(values))
        await audit.record(tx, request, "equipment", {"id": [row["id"]]}, inserted=1)
    return http.created(request, row)


@auth.requires("admin")
@openapi.operation(openapi.changed(_ROW), errors=(ConflictError,), if_match="required",
                   body=openapi.Body(_ITEM_FIELDS, "EquipmentReplacement", _BODY_TYPES, example=_EXAMPLE))
async def _replace(request, equipment_id):
    """Replace every field of a unit."""
    changes = await bodies.item_values(request, equipment_id, _BODY_TYPES, _ITEM_FIELDS, "equipment", partial=False)
    return await _update(request, equipment_id, changes)


@auth.requires("admin")
@openapi.operation(openapi.changed(_ROW), errors=(ConflictError,), if_match="required",
                   body=openapi.Body(_ITEM_FIELDS, "EquipmentChanges", _PATCH_TYPES, partial=True,
                                     example={"status": "standby"}))
async def _patch(request, equipment_id):
    """Change the given fields of a unit."""
    changes = await bodies.item_values(request, equipment_id, _PATCH_TYPES, _ITEM_FIELDS, "equipment", partial=True)
    return await _update(request, equipment_id, changes)


@auth.requires("admin")
@openapi.operation(openapi.no_content("Deleted."), query=_DELETE_QUERY, errors=(ConflictError,),
                   if_match="required")
async def _delete(request, equipment_id):
    """Delete a unit, and with `cascade=true` its samples and inspections; 409 while they reference it otherwise."""
    cascade = validation.parse_query(request.query_params, _DELETE_QUERY).get("cascade") == "true"
    async with db.transaction() as tx:
        await http.locked_row(tx, request, _SELECT, equipment_id, "equipment", if_match_required=True)
        counts = await tx.fetch_one(_DEPENDENTS, {"id": equipment_id})
        samples, inspections = int(counts["samples"]), int(counts["inspections"])  # Oracle's COUNT(*) is a float
        if (samples or inspections) and not cascade:
            raise ConflictError(
                f"Equipment {equipment_id} has {samples} DGA samples and {inspections} inspections; delete them with "
                "it by repeating the request with ?cascade=true, or keep its history by setting its status to retired."
            )
        for statement in _DELETE_DEPENDENTS:
            await tx.execute(statement, {"id": equipment_id})
        await verdict_refresh.refresh(tx, {equipment_id: verdict_refresh.ALL})  # the feed says the unit has no verdict now
        await tx.execute(_DELETE, {"id": equipment_id})
        await audit.record(tx, request, "equipment", {"id": [equipment_id]}, deleted=1 + samples + inspections)
    return http.no_content()


async def _update(request, equipment_id, changes):
    """Write `changes` over the unit once If-Match matches the locked row; 200 with the new row."""
    async with db.transaction() as tx:
        row = await http.locked_row(tx, request, _SELECT, equipment_id, "equipment", if_match_required=True)
        values = {column: changes.get(column, row[column]) for column in COLUMNS}
        await _check_references(tx, values, equipment_id)
        await tx.execute(_UPDATE, {**values, "id": equipment_id})
        if any(values[field] != row[field] for field in VERDICT_INPUTS):
            await verdict_refresh.refresh(tx, {equipment_id: verdict_refresh.ALL})  # every verdict depends on them
        row = await tx.fetch_one(_BY_ID, {"id": equipment_id})
        await audit.record(tx, request, "equipment", {"id": [equipment_id]}, updated=1)
    return http.item_response(row)


async def _check_references(tx, values, equipment_id):
    """409 unless the substation exists and no other unit in it has the name (messages say what to change)."""
    substation_id = values["substation_id"]
    if await tx.fetch_one(_SUBSTATION, {"id": substation_id}) is None:
        raise ConflictError(
            f"Substation {substation_id} does not exist; give the id of an existing substation "
            f"(GET {http.API_PREFIX}/substations)."
        )
    namesake = await tx.fetch_one(BY_NAME, name_key(values))
    if namesake is not None and namesake["id"] != equipment_id:
        raise ConflictError(
            f"Equipment named {validation.shown(values['name'])} already exists in substation {substation_id} "
            f"(id {namesake['id']}); choose another name."
        )



def name_key(values):
    """The binds of the unique key (substation_id, name)."""
    return {"substation_id": values["substation_id"], "name": values["name"]}


COLLECTION = {"GET": _list, "POST": _create}
ITEM = {"GET": _get, "PUT": _replace, "PATCH": _patch, "DELETE": _delete}


@functions_framework.aio.http
async def equipment(request):
    """HTTP entry point of the `equipment` resource."""
    return await http.serve(request, "equipment", COLLECTION, ITEM)
