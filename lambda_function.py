"""AWS Lambda entry point: handler `lambda_function.lambda_handler` serves the target `FUNCTION_TARGET` names
(default `api`, the whole API; or one resource, as `functions-framework --target` does) behind API Gateway
(REST API, HTTP API) or a Lambda Function URL, through Mangum.

Mangum turns each event into one ASGI request and runs it to completion on the thread's event loop
(`asyncio.get_event_loop().run_until_complete`): the loop it found, or made and set, when it was built.
The adapter is built once per process, on the first invocation, and kept: warm invocations run on that
same loop, so what the process keeps per loop (the Oracle pool and the SQLite session slots, `shared/db/`;
the Redis rate limiter, `shared/ratelimit.py`) and per process (the database, the settings, the in-memory
rate-limit budgets, the in-flight count of `shared/lifecycle.py`) lives on from one event to the next.
Nothing is built at import (which loads only the settings and JSON modules), so no open socket or SQLite
handle is part of the init phase or of a SnapStart snapshot, and tests import the module freely. `lifespan="off"`: functions-framework's app
has no lifespan handlers, and Mangum would run a lifespan startup and shutdown around every event.

Paths: the app routes `/api/v1/<resource>[/<id>]` on every platform, so what a client's URL has before
it is taken off the path and named in the scope's `root_path`, which `shared/http.py` puts back in
`Link` and `Location` (unless `SEDA_PUBLIC_URL` says the public URL outright):
- a REST API (payload v1) routes the path without the stage, and `requestContext.path` is the one the
  client called (`/Prod/api/v1/...` on the execute-api host, a custom domain's base path before it);
- an HTTP API (payload v2) keeps a named stage in `rawPath` (`/dev/api/v1/...`): it is taken off;
- `SEDA_PUBLIC_URL`'s path prefix (a custom domain's base path, `https://api.example.com/seda`) is taken
  off too. Mangum's own `api_gateway_base_path` strips any path that starts with it, which would take
  `/api` off `/api/v1/...`; here neither a stage nor a base path is taken off a path already at `/api/v1`.
Response bodies of other than text types go back base64-encoded (Mangum's `text_mime_types`); a REST API
passes them on decoded only for its `binaryMediaTypes`, so the API's own text types are listed as text.
"""

import functools
import os
import pathlib
import urllib.parse

from shared import config
from shared.jsonio import NDJSON_MEDIA_TYPE

TARGET_VARIABLE = "FUNCTION_TARGET"  # the name functions-framework and Cloud Run functions read the target from
DEFAULT_TARGET = "api"
_MAIN = str(pathlib.Path(__file__).resolve().parent / "main.py")
# Sent as text, beside Mangum's defaults (text/*, application/json, …): the exports' NDJSON and the dashboard's icon.
_MORE_TEXT_TYPES = (NDJSON_MEDIA_TYPE, "image/svg+xml")


def lambda_handler(event, context):
    """The Lambda handler: one API Gateway or Function URL event in, its HTTP response out."""
    return _adapter(os.environ.get(TARGET_VARIABLE, "").strip() or DEFAULT_TARGET)(event, context)


@functools.cache
def _adapter(target):
    """The process's adapter for `target`, built on the first invocation and kept for the warm ones."""
    return build(target)


def build(target):
    """A Mangum adapter serving `target` of main.py, as functions-framework builds it (settings read, database opened)."""
    import functions_framework  # noqa: PLC0415 - imported with the first invocation, not with this module
    from mangum import Mangum  # noqa: PLC0415
    from mangum.adapter import DEFAULT_TEXT_MIME_TYPES  # noqa: PLC0415 - a list given replaces these, so they are added

    app = functions_framework.create_app(target, _MAIN)
    return Mangum(_routed_below_prefix(app), lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, *_MORE_TEXT_TYPES])


def _routed_below_prefix(app):
    """`app`, given the path below the public URL's prefix and the prefix as `root_path`."""

    async def routed(scope, receive, send):
        if scope["type"] == "http" and "aws.event" in scope:
            path, prefix = split_prefix(scope["aws.event"], scope["path"])
            scope = {**scope, "path": path, "root_path": prefix}
        await app(scope, receive, send)

    return routed


def split_prefix(event, path):
    """(the path to route, the prefix before it in the URL the client called) for the event Mangum read `path` from."""
    context = event.get("requestContext") or {}
    stage = context.get("stage") or "$default"
    path = _without(config.settings().public_prefix, path)
    if event.get("version") == "2.0":
        called = event.get("rawPath") or path
        if stage != "$default":
            path = _without(f"/{stage}", path)
    else:
        # A REST API event's own path lacks the stage; requestContext.path has it (not so on a custom domain).
        called = context.get("path") or (path if stage == "$default" else f"/{stage}{path}")
    called, routed = urllib.parse.unquote(called).rstrip("/"), path.rstrip("/")
    prefix = called[: len(called) - len(routed)] if called.endswith(routed) else ""
    return path, prefix


def _without(segment, path):
    """`path` less a leading `segment` (`/Prod`, a base path), unless the path already starts at the API's prefix."""
    if not segment or path == config.API_PREFIX or path.startswith(f"{config.API_PREFIX}/"):
        return path
    if path == segment or path.startswith(f"{segment}/"):
        return path[len(segment):] or "/"
    return path
