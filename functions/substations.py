"""`substations` — the utility's substations.

GET /api/v1/substations[?region=&limit=&offset=] → array ordered by id;
GET /api/v1/substations/<id> → one object or 404.
Tables: SUBSTATION.
"""

import functions_framework.aio

from shared import http, validation

_SELECT = "SELECT id, name, region, voltage_kv, latitude, longitude, commissioned_year FROM substation"
_FILTERS = {"region": "region = :p_region"}
_QUERY = {**validation.PAGING, "region": validation.text(50)}


async def _list(request):
    """Substations, optionally of one region."""
    return await http.list_page(request, _SELECT, _FILTERS, _QUERY, order_by="id")


async def _get(request, substation_id):
    """One substation by id."""
    return await http.get_one(request, _SELECT, substation_id, "substation")


COLLECTION = {"GET": _list}
ITEM = {"GET": _get}


@functions_framework.aio.http
async def substations(request):
    """HTTP entry point of the `substations` resource."""
    return await http.serve(request, "substations", COLLECTION, ITEM)
