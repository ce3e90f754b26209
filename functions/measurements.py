"""`measurements` — dissolved-gas-analysis (DGA) samples, gases in ppm.

GET /api/v1/measurements[?equipment_id=&from=&to=&limit=&offset=] → array ordered by
equipment and sampling time (`from`/`to` inclusive, ISO 8601, UTC when no zone is given);
GET /api/v1/measurements/<id> → one object or 404.
Tables: DGA_SAMPLE.
"""

import functions_framework.aio

from shared import http, validation

_SELECT = (
    "SELECT id, equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2, o2, n2, lab FROM dga_sample"
)
_FILTERS = {
    "equipment_id": "equipment_id = :p_equipment_id",
    "from": "sampled_at >= :p_from",
    "to": "sampled_at <= :p_to",
}
_QUERY = {
    **validation.PAGING,
    "equipment_id": validation.integer(1),
    "from": validation.timestamp,
    "to": validation.timestamp,
}


async def _list(request):
    """DGA samples of one unit or the fleet, within an optional time range."""
    return await http.list_page(request, _SELECT, _FILTERS, _QUERY, order_by="equipment_id, sampled_at")


async def _get(request, sample_id):
    """One DGA sample by id."""
    return await http.get_one(request, _SELECT, sample_id, "measurement")


COLLECTION = {"GET": _list}
ITEM = {"GET": _get}


@functions_framework.aio.http
async def measurements(request):
    """HTTP entry point of the `measurements` resource."""
    return await http.serve(request, "measurements", COLLECTION, ITEM)
