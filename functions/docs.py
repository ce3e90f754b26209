"""`docs` — the API's reference page for people: GET /api/v1/docs.

Swagger UI rendering the OpenAPI document (`GET /api/v1/openapi.json`), with "Try it out"
and "Authorize" for an API key. Every file the page loads is served here, below
/api/v1/docs/: Swagger UI's bundle and stylesheet, vendored from the npm package
`swagger-ui-dist` into `functions/static/swagger-ui/` (`python -m tools.vendor_swagger_ui
VERSION` replaces them), and `functions/static/initializer.js`, the few lines that start it.
No CDN and no inline script: the page's Content-Security-Policy allows only the service's
own files. Needs no API key and no database.
"""

import functools
import pathlib

import functions_framework.aio
from starlette.responses import Response

from shared import auth, http, openapi, static_files, validation

_STATIC = pathlib.Path(__file__).resolve().parent / "static"
_DOCS = f"{http.API_PREFIX}/docs"
# Swagger UI sets inline styles on its elements (never inline scripts) and draws icons from data: URLs.
_PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SEDA API reference</title>
<link rel="stylesheet" href="{docs}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{api}/openapi.json"></div>
<script src="{docs}/swagger-ui-bundle.js"></script>
<script src="{docs}/initializer.js"></script>
</body>
</html>
"""
# The files below /docs/: where each one is, and its media type.
_FILES = {
    "swagger-ui-bundle.js": (_STATIC / "swagger-ui" / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_STATIC / "swagger-ui" / "swagger-ui.css", "text/css"),
    "initializer.js": (_STATIC / "initializer.js", "text/javascript"),
}


@auth.public
@openapi.operation(
    openapi.answer(openapi.TEXT, "The reference page.", media_type="text/html", headers={"Content-Security-Policy": True}),
    database=False,
)
async def _page(request):
    """The reference page: Swagger UI on the OpenAPI document, with Try it out."""
    validation.parse_query(request.query_params, {})
    return Response(_page_html(http.public_prefix(request)), media_type="text/html",
                    headers={"Content-Security-Policy": _PAGE_POLICY})


@functools.cache
def _page_html(prefix):
    """The page with its files below `prefix` (what clients call before /api/v1: an API Gateway stage, say)."""
    return _PAGE.format(docs=f"{prefix}{_DOCS}", api=f"{prefix}{http.API_PREFIX}").encode()


COLLECTION = {"GET": _page}
PARTS = {name: static_files.methods(name, media_type, functools.partial(static_files.read, path),
                                   summary=f"The reference page's {name}")
         for name, (path, media_type) in _FILES.items()}


@functions_framework.aio.http
async def docs(request):
    """HTTP entry point of the reference page and its files."""
    return await http.serve(request, "docs", COLLECTION, parts=PARTS)
