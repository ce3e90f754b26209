"""The response headers the service sends, the request headers an operation reads, and how a key is sent.

Each header is described once, in HEADERS, and becomes two components (always sent, and
`.optional`); a response object names its headers by those components (`response_object`),
EVERY_RESPONSE's always among them.
"""

from shared import keys

_ETAG_PATTERN = '^"[0-9a-f]{64}"$'
# Every response header the service sends: what it means, and its value as JSON Schema.
HEADERS = {
    "X-Request-ID": ("The request's id: a sane X-Request-ID the client sent (1-128 letters, digits and -_.:), else "
                     "a new UUID. Every log line of the request carries it; quote it when reporting a problem.",
                     {"type": "string", "minLength": 1}),
    "ETag": ("The row's strong validator: send it in If-Match to change the row, or in If-None-Match to revalidate.",
             {"type": "string", "pattern": _ETAG_PATTERN}),
    "Link": ('`<url>; rel="next"` (RFC 8288) when another page follows; absent on the last page.',
             {"type": "string", "pattern": '^<[^>]+>; rel="next"$'}),
    "Content-Disposition": ('`attachment; filename="<resource>.<ndjson|csv>"`: an export, to save as a file.',
                            {"type": "string", "pattern": '^attachment; filename="[a-z_]+[.](ndjson|csv)"$'}),
    "Location": ("The URL of the created row.", {"type": "string", "minLength": 1}),
    "X-Verdicts-Pending": ("`true` when DGA samples still wait for a stored verdict: more than one request "
                           "diagnoses (SEDA_MAX_INLINE_DIAGNOSES), or the database could not store them now. Until "
                           "later requests or `python -m tools.rediagnose` store them, a unit without any stored "
                           "verdict ranks last (\"Diagnosis pending\"); a unit with a verdict on an earlier sample "
                           "ranks by that one, unflagged (its `sample_id` names the earlier sample).",
                           {"const": "true"}),
    "Retry-After": ("Seconds to wait before trying again.", {"type": "integer", "minimum": 0}),
    "WWW-Authenticate": ("The scheme a key is sent with.", {"type": "string", "const": 'Bearer realm="seda"'}),
    "Allow": ("The methods the path answers.", {"type": "string"}),
    "Vary": ("The request headers the answer depends on: Accept where CSV can be negotiated, Origin when only some "
             "origins are allowed (SEDA_CORS_ORIGINS).", {"type": "string"}),
    "Access-Control-Allow-Origin": ("`*`, or the request's Origin when SEDA_CORS_ORIGINS lists it.",
                                    {"type": "string"}),
    "Access-Control-Expose-Headers": ("The response headers a browser script may read.",
                                      {"type": "string"}),
    "Access-Control-Allow-Methods": ("The methods the path answers (CORS preflight).", {"type": "string"}),
    "Access-Control-Allow-Headers": ("The request headers a browser may send (CORS preflight).",
                                     {"type": "string"}),
    "Access-Control-Max-Age": ("Seconds a browser may keep the preflight's answer.",
                               {"type": "integer", "minimum": 0}),
    "Connection": ("`close`: the service closes the connection after this answer.", {"type": "string"}),
    "Content-Security-Policy": ("What the page may load and run: only the service's own files.", {"type": "string"}),
    "RateLimit": ('What is left of the budget (draft-ietf-httpapi-ratelimit-headers-11): `"client";r=<units left>;'
                  't=<seconds until the window ends>`, or `"instance";r=0;t=1` when the instance is saturated.',
                  {"type": "string", "pattern": '^"(client|instance)";r=[0-9]+;t=[0-9]+$'}),
    "RateLimit-Policy": ('The per-client budget: `"client";q=<units>;w=<window seconds>` (SEDA_RATE_LIMIT_BURST, '
                         "SEDA_RATE_LIMIT_PER_MINUTE).", {"type": "string", "pattern": '^"client";q=[0-9]+;w=[0-9]+$'}),
    "X-Content-Type-Options": ("`nosniff`: the declared media type is the one to use.", {"const": "nosniff"}),
    "Referrer-Policy": ("`no-referrer`.", {"const": "no-referrer"}),
    "Cache-Control": ("`no-store` for anything keyed, every change and every error; `no-cache` (revalidate, items "
                      "with their ETag) for public reads.", {"type": "string"}),
}
# Headers on every response, by name: whether each is always there.
EVERY_RESPONSE = {"X-Request-ID": True, "Access-Control-Allow-Origin": False, "Access-Control-Expose-Headers": False,
                  "Vary": False, "X-Content-Type-Options": True, "Referrer-Policy": True, "Cache-Control": True}
# What a limited operation's own answers carry while the per-client limit is on (`shared/ratelimit.py`).
RATE_LIMIT_HEADERS = {"RateLimit": True, "RateLimit-Policy": True}
# The request headers an operation may read, by name: what each means.
REQUEST_HEADERS = {
    "If-Match": "The ETag from GET, or `*`: the change is made only if the row is still that version (`*`: any).",
    "If-None-Match": "ETags the client holds: 304 Not Modified, without a body, when one is the row's.",
}
_SCOPES = (f"Each operation names the scope its key must hold ({', '.join(keys.SCOPES)}): 401 without a valid key, "
           "403 with one that lacks the scope.")
# How a key is sent: either scheme, the same keys.
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": f"`Authorization: Bearer <key>`, a key of "
               f"SEDA_API_KEYS. {_SCOPES}"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": f"`X-API-Key: <key>`, the same "
               f"keys. {_SCOPES}"},
}


def response_object(description, content, headers):
    """A response object: its content (media type -> schema) and headers (name -> always sent), plus EVERY_RESPONSE."""
    response = {"description": description,
                "headers": {name: _header(name, required) for name, required in {**EVERY_RESPONSE, **headers}.items()}}
    if content:
        response["content"] = {media: {"schema": schema} for media, schema in content.items()}
    return response


def _header(name, required):
    """A reference to the response header of HEADERS, as always sent or as sometimes sent."""
    return {"$ref": f"#/components/headers/{_header_key(name, required)}"}


def _header_key(name, required):
    """The name of a header's component: its own when it is always sent, with `.optional` when not."""
    return name if required else f"{name}.optional"


def header_components():
    """Every HEADERS entry, always sent and sometimes sent."""
    return {_header_key(name, required): {"description": description, "required": required, "schema": schema}
            for name, (description, schema) in HEADERS.items() for required in (True, False)}

