"""Serving one resource: routing within it, authentication, CORS, request ids, errors and access logs.

Every handler ends in `serve(request, resource, COLLECTION, ITEM)`, where the two tables
map HTTP methods to the module's functions for `/<resource>` and `/<resource>/<id>`; a
resource with named sub-paths (`/health/live`) passes them as `parts={"live": {...}}`. All
exceptions become JSON error bodies here, and only here, so the behaviour is identical
under the test client, a local server and a FaaS platform. A request is checked in this
order: path (404, or 400 for a malformed id), OPTIONS preflight (never needs a key), method
(405), rate limits (429, `shared/ratelimit.py`; their headers go on the handler's response), API
key and scope (401, 403, `shared/auth.py`), then the handler.

Each request ends in one access-log line (`shared/context.py`: Cloud Logging's `httpRequest`,
and `target`, `route`, `status`, `latency_ms`, `db_ms`, `rate_limit`, the database sessions in use for
log-based metrics), one
count in the metrics (`shared/metrics.py`) and, when tracing is on, one span (`shared/tracing.py`).

Items carry a strong `ETag` (the SHA-256 of the row's JSON with sorted keys, so both
databases give the same tag); `GET` answers 304 when `If-None-Match` lists it, and changes
check `If-Match` against the row they locked (412 when it names another version, 428 when a
resource requires it and it is missing).
"""

import asyncio
import hashlib
import sqlite3
import sys
import time
import urllib.parse

from starlette.responses import Response

from shared import auth, config, context, db, lifecycle, metrics, ratelimit, trace_headers, tracing, validation
from shared.errors import (
    ApiError,
    InternalServerError,
    InvalidParametersError,
    MethodNotAllowedError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
    TooManyRequestsTypeAError,
    from_database_error,
)
from shared.headers import add_response_headers
from shared.jsonio import dumps, json_response

API_PREFIX = config.API_PREFIX
_CORS_ALLOWED_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match, X-API-Key, X-Request-ID"
_CORS_EXPOSED_HEADERS = "Content-Disposition, ETag, Link, Location, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate, X-Request-ID, X-Verdicts-Pending"
_CORS_MAX_AGE_S = "600"
_REQUEST_ID_HEADER = context.REQUEST_ID_HEADER.lower().encode("latin-1")
ITEM_ID = validation.integer(1)  # the `<id>` of an item path
_NOT_MODIFIED_HEADERS = frozenset({"ETag", "Cache-Control", "Vary"})
_ROWS_RENDERED_INLINE = 100  # a page rendered other than as JSON, up to this many rows, is written on the loop
_LOGGED_HEADER_CHARACTERS = 512  # a User-Agent or Host longer than this is cut in the access log
_LOGGED_REQUEST_HEADERS = frozenset({b"host", b"user-agent", b"content-length"})


async def serve(request, resource, collection, item=None, parts=None):
    """Answer a request for `resource` using its method tables for the collection, an item and named sub-paths."""

    async def route():
        # The path as received: `request.url` passes through urlsplit, which silently drops tabs
        # and line breaks, so "/equipment/%0A5" would read as id 5.
        methods, raw_id, template = _methods_for(request.scope["path"], resource, collection, item, parts or {})
        request.state.route = template  # before the id is read: a malformed id is still counted under its route
        item_id = None if raw_id is None else ITEM_ID("id", raw_id)
        if request.method == "OPTIONS":
            return _preflight(methods)
        function = methods.get("GET" if request.method == "HEAD" else request.method)
        if function is None:
            raise MethodNotAllowedError(
                f"Method {request.method} is not allowed here; allowed: {_allow(methods)}.",
                headers={"Allow": _allow(methods)},
            )
        # What the audit trail records of a write (`shared/audit.py`): the operation and whose key allowed it.
        request.state.operation = f"{request.method} {template}"
        rate_limit_headers = await ratelimit.admit(request, template, function)
        request.state.key_id = auth.require_key(request, function, request.state.operation)
        response = await (function(request) if item_id is None else function(request, item_id))
        response.headers.update(rate_limit_headers)
        return _without_body(response) if request.method == "HEAD" else response

    if not hasattr(request.state, "target"):  # `api` names itself before routing here
        request.state.target = target_name(resource)
    return await respond(request, route)


def target_name(resource):
    """The deployed entry point that serves `resource` alone: its path segment as an identifier (main.py's rule)."""
    return resource.removesuffix(".json").replace("-", "_")


async def respond(request, route):
    """Run `route()` inside the request context and turn whatever happens into a response.

    The request counts as in flight (for a graceful shutdown, `shared/lifecycle.py`) until its
    access-log line is written, or until whatever cut it short (a cancellation) has passed.
    """
    started = time.perf_counter()
    lifecycle.request_started()
    try:
        trace = trace_headers.from_headers(request.scope["headers"])
        request_id = context.begin_request(request.headers.get(context.REQUEST_ID_HEADER), trace)
        with tracing.request_span(request, trace) as span:
            try:
                response = await route()
            except Exception as exc:  # noqa: BLE001 - the one place where every failure becomes a response
                response = error_response(exc)
                _note_refusal(request, exc)
            # Headers no handler sets are appended to the raw list: setting one searches the list each time.
            response.raw_headers.append((_REQUEST_ID_HEADER, request_id.encode("latin-1")))
            _add_cors_headers(request, response)
            add_response_headers(request, response)
            if span is not None:
                route_matched = getattr(request.state, "route", metrics.UNMATCHED_ROUTE)
                tracing.finish_request_span(span, request.method, route_matched, response.status_code)
            when_done = getattr(response, "when_done", None)  # a streamed download: accounted once its body is sent
            if when_done is None:
                _account(request, response, time.perf_counter() - started)
            else:
                when_done.append(lambda: _account(request, response, time.perf_counter() - started))
        return response
    finally:
        lifecycle.request_finished()


def _note_refusal(request, exc):
    """Count a 429 by the limit that refused it, and note that for the access log."""
    reason = getattr(exc, "refused_by", None)
    if reason is None:
        return
    metrics.refused("A" if isinstance(exc, TooManyRequestsTypeAError) else "B", reason)
    request.state.rate_limit = ratelimit.REFUSED_OUTCOME
    request.state.rate_limit_reason = reason


def _account(request, response, seconds):
    """The request's metrics and access-log line."""
    state = request.state
    target = getattr(state, "target", "api")
    route = getattr(state, "route", metrics.UNMATCHED_ROUTE)
    status = response.status_code
    metrics.request_served(target, route, request.method, status, seconds)
    fields = {"target": target, "route": route, "latency_ms": round(seconds * 1000, 2),
              "db_ms": round(context.db_time_s() * 1000, 2)}
    rate_limit = getattr(state, "rate_limit", None)
    if rate_limit is not None:
        fields["rate_limit"] = rate_limit
    if rate_limit == ratelimit.REFUSED_OUTCOME:
        fields["rate_limit_reason"] = state.rate_limit_reason
    database = db.opened()
    if database is not None:
        use = database.session_use()
        fields["db_sessions_in_use"], fields["db_sessions_limit"] = use.in_use, use.limit
    fields.update(context.added_log_fields())
    context.log_request(request.method, request.url.path, status, _http_request(request, response, seconds), fields)


def _http_request(request, response, seconds):
    """Cloud Logging's HttpRequest of the request (what the client sent and was answered; no header but User-Agent)."""
    scope = request.scope
    sent = {name: value for name, value in scope["headers"] if name in _LOGGED_REQUEST_HEADERS}  # one pass
    query = scope["query_string"].decode("latin-1")
    host = sent.get(b"host", b"")[:_LOGGED_HEADER_CHARACTERS].decode("latin-1")
    url = f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}{scope['path']}"
    entry = {
        "requestMethod": request.method,
        "requestUrl": f"{url}?{query}" if query else url,
        "status": response.status_code,
        "latency": f"{seconds:.6f}s",
        "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
        "remoteIp": ratelimit.client_ip(request),
    }
    if b"user-agent" in sent:
        entry["userAgent"] = sent[b"user-agent"][:_LOGGED_HEADER_CHARACTERS].decode("latin-1")
    if sent.get(b"content-length", b"").isdigit():
        entry["requestSize"] = sent[b"content-length"].decode("latin-1")
    size = next((value for name, value in response.raw_headers if name == b"content-length"), b"")
    if size.isdigit():
        entry["responseSize"] = size.decode("latin-1")
    return entry


def error_response(exc):
    """The canonical JSON error body for any exception; 5xx bodies never reveal internals."""
    if not isinstance(exc, ApiError):
        if _is_database_error(exc):
            mapped = from_database_error(exc)
            context.logger.error(
                f"database error mapped to {mapped.status}: {type(exc).__name__}", exc_info=exc
            )
        else:
            mapped = InternalServerError("Internal server error.")
            context.logger.error(f"unhandled {type(exc).__name__}", exc_info=exc)
        exc = mapped
    request_id = context.current_request_id()
    message = exc.message
    if exc.status == 500:
        message = f"Internal server error. Quote request id {request_id} when reporting it."
    body = {"status": exc.status, "error": exc.name(), "message": message, "request_id": request_id}
    if exc.details is not None:
        body["details"] = exc.details
    return json_response(body, exc.status, exc.headers)


_PROBLEM = {
    "type": "object",
    "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}},
    "required": ["field", "message"],
    "additionalProperties": False,
}
# The body `error_response` writes, as JSON Schema (for the OpenAPI document). `details`, when
# present, lists the problems of an object body (`shared/bodies.py`), the bad rows of a batch
# (with the CSV line) or the failed readiness checks (`functions/health.py`).
ERROR_BODY = {
    "title": "Error",
    "type": "object",
    "properties": {
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status."},
        "error": {"type": "string", "description": "The error's name, for programs."},
        "message": {"type": "string", "minLength": 1, "description": "What was wrong and what is accepted."},
        "request_id": {"type": "string", "description": "The response's X-Request-ID, to quote when reporting."},
        "details": {
            "type": "array",
            "items": {
                "anyOf": [
                    _PROBLEM,
                    {
                        "type": "object",
                        "properties": {
                            "index": {"type": "integer", "minimum": 0},
                            "line": {"type": "integer", "minimum": 1},
                            "errors": {"type": "array", "items": _PROBLEM, "minItems": 1},
                        },
                        "required": ["index", "errors"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {"check": {"type": "string"}, "message": {"type": "string"}},
                        "required": ["check", "message"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
    },
    "required": ["status", "error", "message", "request_id"],
    "additionalProperties": False,
}


async def not_found(request):
    """Answer a path that names no resource."""

    async def route():
        raise NotFoundError(f"No resource at {request.url.path}; resources live under {API_PREFIX}/<resource>.")

    return await respond(request, route)


def collection_response(request, rows, limit, offset, render=None):
    """A page of a collection: `rows` holds up to limit+1 rows; an extra row means a next page.

    `render(rows, headers)`, when given, answers another representation than JSON (`shared/csvout.py`).
    """
    rows, headers = next_page(request, rows, limit, offset)
    if render is not None:
        return render(rows, headers)
    return json_response(rows, headers=headers)


def next_page(request, rows, limit, offset):
    """One page of `rows` (up to limit+1: an extra row means a next page) and the `Link` header announcing it."""
    if len(rows) <= limit:
        return rows, {}
    next_url = with_query(request, limit=limit, offset=offset + limit)
    return rows[:limit], {"Link": f'<{next_url}>; rel="next"'}


def with_query(request, removed=(), **changes):
    """The request's public URL without the query parameters `removed`, with `changes` set, the others kept in order.

    What `URL.remove_query_params` and `include_query_params` answer, without decoding and
    re-encoding the other parameters: they are kept as the client wrote them.
    """
    dropped = {*removed, *changes}
    kept = [
        parameter
        for parameter in request.scope["query_string"].decode("latin-1").split("&")
        if parameter and urllib.parse.unquote_plus(parameter.partition("=")[0]) not in dropped
    ]
    query = "&".join(kept + [f"{name}={urllib.parse.quote_plus(str(value))}" for name, value in changes.items()])
    return _public(request).replace(query=query)


async def list_page(request, select, conditions, query, order_by, render=None):
    """Validate a collection query, run `select` with the chosen filters, answer one page (`render` as above)."""
    values = validation.parse_query(request.query_params, query)
    validation.check_range(values)
    limit, offset, page = page_values(values)
    clause, binds = db.where(conditions, values)
    async with db.connect() as conn:
        rows = await conn.fetch_all(f"{select}{clause} ORDER BY {order_by}", {**binds, **page}, paged=True)
    return await _page_response(*next_page(request, rows, limit, offset), render)


async def _page_response(rows, headers, render):
    """A page as JSON, or in the representation `render` writes: in a worker thread when the page is big.

    CSV is written cell by cell in Python (a 1,000-row page takes ~4 ms), where orjson writes a
    1,000-row page in a quarter of a millisecond, holding the GIL (a thread would not free the loop).
    """
    if render is None:
        return json_response(rows, headers=headers)
    if len(rows) > _ROWS_RENDERED_INLINE:
        return await asyncio.to_thread(render, rows, headers)
    return render(rows, headers)


async def keyset_page(request, select, conditions, values, keyset, render=None):
    """One page of `select` with the chosen filters in the order of `keyset` (`shared/cursors.py`), from `offset`
    or after `cursor` (`values` validated with `validation.keyset_paging`); `render` as in `collection_response`.

    The next-page link always carries the cursor of the page's last row, whichever way the page started.
    """
    if "cursor" in values and "offset" in values:
        raise InvalidParametersError(
            "Give either 'cursor' or 'offset', not both: the cursor already says where the page starts."
        )
    limit, _, page = page_values(values)
    clause, binds = db.where(conditions, values)
    if "cursor" in values:
        after, key_binds = keyset.after(values["cursor"])
        clause = f"{clause} AND {after}" if clause else f" WHERE {after}"
        binds.update(key_binds)
    async with db.connect() as conn:
        rows = await conn.fetch_all(f"{select}{clause} ORDER BY {keyset.order_by()}", {**binds, **page}, paged=True)
    headers = {}
    if len(rows) > limit:
        rows = rows[:limit]
        next_url = with_query(request, removed=("offset",), limit=limit, cursor=keyset.encode(rows[-1]))
        headers["Link"] = f'<{next_url}>; rel="next"'
    return await _page_response(rows, headers, render)


async def get_one(request, select, item_id, noun, render=None):
    """Answer one row of `select … WHERE id = :id` with its ETag, 304 if `If-None-Match` lists it, or 404.

    `render(rows, headers)`, when given, answers `[row]` in another representation, without an
    ETag: tags name the JSON row, which is what `If-Match` on a change is compared with.
    """
    validation.parse_query(request.query_params, {})
    async with db.connect() as conn:
        row = _found(await conn.fetch_one(f"{select} WHERE id = :id", {"id": item_id}), noun, item_id)
    if render is not None:
        return render([row], {})
    return tagged_response(request, row)


def tagged_response(request, body, headers=None):
    """`body` as JSON with its ETag, or 304 when `If-None-Match` lists the tag."""
    tag = etag(body)
    if _lists(request.headers.get("if-none-match"), tag, weak=True):
        return Response(status_code=304, headers={"ETag": tag})
    return item_response(body, headers=headers)


def strong_etag(content):
    """The strong ETag of `content` (bytes): its SHA-256."""
    return f'"{hashlib.sha256(content).hexdigest()}"'


def tagged_bytes(request, content, media_type, headers=None, tag=None):
    """`content` (a file's bytes) with a strong ETag (`tag`, made once by the caller, or `strong_etag(content)`),
    or 304 when `If-None-Match` lists the tag; `headers` go on both."""
    headers = {"ETag": tag or strong_etag(content), **(headers or {})}
    if _lists(request.headers.get("if-none-match"), headers["ETag"], weak=True):
        # What a 304 must repeat of the 200 (RFC 9110 §15.4.5); the browser keeps the rest from its copy.
        return Response(status_code=304, headers={name: value for name, value in headers.items()
                                                   if name in _NOT_MODIFIED_HEADERS})
    return Response(content, media_type=media_type, headers=headers)


async def locked_row(tx, request, select, item_id, noun, *, if_match_required):
    """The row `select … WHERE id = :id`, locked by transaction `tx`, once `If-Match` allows changing it.

    404 when there is no such row, 428 when `If-Match` is required and missing, 412 when it
    names another version. The lock makes the check and the change one atomic step.
    """
    row = _found(await tx.fetch_one(db.ForUpdate(f"{select} WHERE id = :id"), {"id": item_id}), noun, item_id)
    if_match = request.headers.get("if-match")
    if if_match is None and if_match_required:
        raise PreconditionRequiredError(
            f"Changing {noun} {item_id} needs If-Match with the ETag from GET (or If-Match: * to change "
            "it whatever it holds now)."
        )
    if if_match is not None and not _lists(if_match, etag(row)):
        raise PreconditionFailedError(
            f"The {noun} {item_id} has changed since the version in If-Match; GET it again, redo the "
            "change and send the new ETag."
        )
    return row


def etag(row):
    """A strong ETag: the SHA-256 of the row's JSON with sorted keys."""
    return f'"{hashlib.sha256(dumps(dict(sorted(row.items())))).hexdigest()}"'


def item_response(row, status=200, headers=None):
    """One row as JSON with its ETag."""
    return json_response(row, status, {"ETag": etag(row), **(headers or {})})


def created(request, row):
    """201 with the new row, its ETag and its URL (below the collection URL the client posted to)."""
    collection = _public(request)
    location = collection.replace(path=f"{collection.path.rstrip('/')}/{row['id']}", query="")
    return item_response(row, 201, {"Location": str(location)})


def no_content():
    """204: done, nothing to say."""
    return Response(status_code=204)


def page_values(values):
    """The `limit` and `offset` of a validated query, with defaults; binds one row extra."""
    limit = values.get("limit", config.settings().default_page_size)
    offset = values.get("offset", 0)
    return limit, offset, {"limit": limit + 1, "offset": offset}


def public_url(request):
    """The request's URL as clients reach it (`SEDA_PUBLIC_URL`), for next-page links a handler builds itself."""
    return _public(request)


def public_prefix(request):
    """The path clients call before the routed one: `SEDA_PUBLIC_URL`'s when it is set, else the request's `root_path`.

    The routed path never holds that prefix: the AWS Lambda adapter (`lambda_function.py`) takes an API Gateway
    stage (`/Prod`) or a custom domain's base path off the event's path and names it in `root_path`, the way
    Mangum and older ASGI servers give a mount point, so `scope["path"]` routes alike on every platform.
    """
    settings = config.settings()
    return settings.public_prefix if settings.public_origin else request.scope.get("root_path", "")


def _public(request):
    """The request URL as clients call it: `SEDA_PUBLIC_URL`'s scheme and host when it is set, the prefix before."""
    url = request.url
    origin = config.settings().public_origin
    if origin is not None:
        scheme, _, netloc = origin.partition("://")
        url = url.replace(scheme=scheme, netloc=netloc)
    prefix = public_prefix(request)
    return url.replace(path=f"{prefix}{url.path}") if prefix else url


def _found(row, noun, item_id):
    """The row, or 404 naming the `noun`."""
    if row is None:
        raise NotFoundError(f"No {noun} with id {item_id}.")
    return row


def _lists(header, tag, weak=False):
    """True when an If-Match / If-None-Match value is `*` or lists `tag`; `weak` also accepts `W/` tags."""
    if header is None:
        return False
    listed = [t.strip() for t in header.split(",")]
    if weak:
        listed = [t.removeprefix("W/") for t in listed]
    return "*" in listed or tag in listed


def _methods_for(path, resource, collection, item, parts):
    """The method table for a path under the resource, the item id's segment as sent (None unless it names an
    item) and the route it matched (`/api/v1/equipment/<id>`); else 404."""
    segments = [p for p in path.split("/") if p]
    prefix = [p for p in API_PREFIX.split("/") if p] + [resource]
    if segments[: len(prefix)] == prefix:
        segments = segments[len(prefix) :]
    route = f"{API_PREFIX}/{resource}"
    if not segments:
        return collection, None, route
    if len(segments) == 1 and segments[0] in parts:
        return parts[segments[0]], None, f"{route}/{segments[0]}"
    if len(segments) == 1 and item:
        return item, segments[0], f"{route}/<id>"
    served = [route] + [f"{route}/{name}" for name in parts]
    if item:
        served.append(f"{route}/<id>")
    raise NotFoundError(f"No resource at {path}; {resource} serves {', '.join(served)}.")


def allowed_methods(methods):
    """Every method `serve` answers for a method table: its own, HEAD wherever GET is, and OPTIONS."""
    allowed = list(methods)
    if "GET" in allowed:
        allowed.append("HEAD")
    return allowed + ["OPTIONS"]


def _allow(methods):
    """The `Allow` header value for a method table."""
    return ", ".join(allowed_methods(methods))


def _preflight(methods):
    """Answer a CORS preflight (or plain OPTIONS) with the allowed methods."""
    return Response(
        status_code=204,
        headers={
            "Allow": _allow(methods),
            "Access-Control-Allow-Methods": _allow(methods),
            "Access-Control-Allow-Headers": _CORS_ALLOWED_HEADERS,
            "Access-Control-Max-Age": _CORS_MAX_AGE_S,
        },
    )


def _add_cors_headers(request, response):
    """Allow the configured origins: `*`, or echo a listed Origin and vary on it."""
    origins = config.settings().cors_origins
    if "*" in origins:
        allowed = "*"
    else:
        allowed = request.headers.get("origin")
        response.headers.append("Vary", "Origin")
        if allowed not in origins:
            return
    response.raw_headers += [
        (b"access-control-allow-origin", allowed.encode("latin-1")),
        (b"access-control-expose-headers", _CORS_EXPOSED_HEADERS.encode("latin-1")),
    ]


def _without_body(response):
    """The response to HEAD: GET's status and headers, no body."""
    response.body = b""
    return response


def _is_database_error(exc):
    """True for exceptions raised by either database driver (python-oracledb's only exist once it is imported)."""
    oracledb = sys.modules.get("oracledb")  # imported only when Oracle is configured: never loaded here
    return isinstance(exc, sqlite3.Error) or (oracledb is not None and isinstance(exc, oracledb.Error))
