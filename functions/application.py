"""`application` — the original demo resource: every row of TEST_TABLE.

GET /api/v1/application → `[{"hello": "Oracle"}]`, paged like every collection.
Tables: TEST_TABLE.
"""

import functions_framework.aio

from shared import bodies, db, http, openapi, validation

_QUERY = validation.PAGING
_ROW = {"hello": bodies.Field("text")}
_SELECT = f"SELECT {', '.join(_ROW)} FROM test_table ORDER BY hello"


@openapi.operation(openapi.page(openapi.row_schema("Greeting", _ROW, with_id=False)), query=_QUERY)
async def _list(request):
    """All rows of TEST_TABLE."""
    limit, offset, page = http.page_values(validation.parse_query(request.query_params, _QUERY))
    async with db.connect() as conn:
        rows = await conn.fetch_all(_SELECT, page, paged=True)
    return http.collection_response(request, rows, limit, offset)


COLLECTION = {"GET": _list}


@functions_framework.aio.http
async def application(request):
    """HTTP entry point of the `application` resource."""
    return await http.serve(request, "application", COLLECTION)
