"""`substations` — the utility's substations.

GET /api/v1/substations[?region=&limit=&offset=] → array ordered by id;
GET /api/v1/substations/<id> → one object or 404.
Tables: SUBSTATION.
"""

import functions_framework.aio

from shared import bodies, http, openapi, validation

# The columns as read; substations are not written here but loaded (the demo data, or CSV files by
# `python -m tools.load --csv`, which checks them by these fields). Bounds are those of the Oracle
# columns: VARCHAR2(100), VARCHAR2(50), NUMBER(6,1), NUMBER(9,6), NUMBER(4).
FIELDS = {
    "name": bodies.Field("text", required=True),
    "region": bodies.Field("text", required=True, max_bytes=50),
    "voltage_kv": bodies.Field("number", required=True, maximum=99_999.9, decimals=1),
    "latitude": bodies.Field("number", minimum=-90, maximum=90, decimals=6),
    "longitude": bodies.Field("number", minimum=-180, maximum=180, decimals=6),
    "commissioned_year": bodies.Field("integer", minimum=1900, maximum=2100),
}
_SCHEMA = openapi.row_schema("Substation", FIELDS)
_SELECT = f"SELECT id, {', '.join(FIELDS)} FROM substation"
_FILTERS = {"region": "region = :p_region"}
_QUERY = {**validation.PAGING, "region": validation.text(50)}


@openapi.operation(openapi.page(_SCHEMA), query=_QUERY)
async def _list(request):
    """Substations, optionally of one region."""
    return await http.list_page(request, _SELECT, _FILTERS, _QUERY, order_by="id")


@openapi.operation(openapi.item(_SCHEMA))
async def _get(request, substation_id):
    """One substation by id."""
    return await http.get_one(request, _SELECT, substation_id, "substation")


COLLECTION = {"GET": _list}
ITEM = {"GET": _get}


@functions_framework.aio.http
async def substations(request):
    """HTTP entry point of the `substations` resource."""
    return await http.serve(request, "substations", COLLECTION, ITEM)
