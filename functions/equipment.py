"""`equipment` — transformers, reactors and other oil-filled units of the fleet.

GET /api/v1/equipment[?substation_id=&kind=&status=&limit=&offset=] → array ordered by id;
GET /api/v1/equipment/<id> → one object or 404.
Tables: EQUIPMENT.
"""

import functions_framework.aio

from shared import http, validation
from shared.schema import EQUIPMENT_KINDS, EQUIPMENT_STATUSES

_SELECT = (
    "SELECT id, substation_id, name, kind, manufacturer, rated_mva, voltage_kv, year_manufactured, "
    "oil_preservation, status FROM equipment"
)
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


async def _list(request):
    """Equipment, filtered by substation, kind and status."""
    return await http.list_page(request, _SELECT, _FILTERS, _QUERY, order_by="id")


async def _get(request, equipment_id):
    """One piece of equipment by id."""
    return await http.get_one(request, _SELECT, equipment_id, "equipment")


COLLECTION = {"GET": _list}
ITEM = {"GET": _get}


@functions_framework.aio.http
async def equipment(request):
    """HTTP entry point of the `equipment` resource."""
    return await http.serve(request, "equipment", COLLECTION, ITEM)
