"""`openapi` — the API's contract for programs: GET /api/v1/openapi.json.

The OpenAPI 3.1 document of every resource `main.HANDLERS` routes (this one and the reference
page `functions/docs.py` included), built by `shared/openapi/` from the handlers' own method,
parameter and field tables and error classes, under the settings in force: page and batch
limits, which reads need a key, and as the server SEDA_PUBLIC_URL (without it, the path prefix the
request came through: an API Gateway stage). Needs no API key and no database.
"""

import functools

import functions_framework.aio
from starlette.responses import Response

from shared import auth, config, http, openapi as contract, validation
from shared.jsonio import JSON_MEDIA_TYPE, dumps


def _routed_resources():
    """`main.HANDLERS`, read when asked: main.py imports this module, and functions-framework loaded it as `main`."""
    import main  # noqa: PLC0415 - a top-level import would be circular

    return main.HANDLERS


@auth.public
@contract.operation(
    contract.answer({"type": "object", "required": ["openapi", "info", "paths"]}, "The OpenAPI 3.1 document."),
    database=False,
)
async def _document(request):
    """The OpenAPI 3.1 document of the whole API."""
    validation.parse_query(request.query_params, {})
    return Response(_built(config.settings(), _server_url(request)), media_type=JSON_MEDIA_TYPE)


def _server_url(request):
    """Where the document's paths start: SEDA_PUBLIC_URL, else the request's path prefix (relative: same host) or /."""
    settings = config.settings()
    if settings.public_origin is not None:
        return f"{settings.public_origin}{settings.public_prefix}"
    return http.public_prefix(request) or "/"


@functools.lru_cache(maxsize=4)  # an instance is reached through one stage or few
def _built(settings, server_url):
    """The document as JSON, built once per process, settings and server (it takes ~8 ms and ~400 kB to build)."""
    return dumps(contract.document(_routed_resources(), server_url))


COLLECTION = {"GET": _document}


@functions_framework.aio.http
async def openapi(request):
    """HTTP entry point of the OpenAPI document."""
    return await http.serve(request, "openapi.json", COLLECTION)
