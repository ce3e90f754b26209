"""API keys and scopes: which operation needs a key, and which scope that key must hold.

A key arrives as `Authorization: Bearer <key>` or `X-API-Key: <key>` and is checked against
`SEDA_API_KEYS` (syntax, key ids and scopes in `shared/keys.py`; `shared/config/__init__.py` says what
happens when none is set). The presented key's SHA-256 digest is compared with every
configured digest by `hmac.compare_digest`, without stopping at a match, so the time taken
says nothing about which key or how much of it was right. A missing, malformed or wrong key
gets the same 401 with `WWW-Authenticate: Bearer realm="seda"`; a valid key without the scope
the operation needs gets 403 Forbidden naming the scope and the operation. Keys never reach a
log line or an error body; key ids may.

Each handler declares what it needs beside its definition:

| declaration | needs |
|---|---|
| `@auth.public` | never a key (health probes) |
| `@auth.public_if(setting)` with `@auth.requires(scope)` | no key while `setting(settings)` is true, else as `requires` (the metrics path, `SEDA_METRICS_PUBLIC`) |
| `@auth.requires(scope)` | a key holding `scope`, always, reads included |
| none, on GET/HEAD, or `@auth.changes_nothing` on a POST that only computes | a key holding `read`, only when `SEDA_REQUIRE_KEYS_FOR_READS=true` |
| none, on any other method | a key holding `admin` (undeclared writes fail closed) |

So: `POST /measurements` needs `ingest`; equipment writes, every DELETE and `GET /audit` need
`admin`; `GET /metrics` needs `metrics` unless `SEDA_METRICS_PUBLIC=true`. `shared.http.serve` calls
`require_key` before a handler runs; OPTIONS preflights never get here.
"""

import hashlib
import hmac

from shared import config, context, keys
from shared.errors import ForbiddenError, UnauthorizedError

_READ_METHODS = frozenset({"GET", "HEAD"})
_FAIL_CLOSED_SCOPE = "admin"


def changes_nothing(function):
    """Mark a POST handler that only computes (no data changes): it needs a key only when reads do."""
    function.changes_nothing = True
    return function


def public(function):
    """Mark a handler that never needs a key (health probes: load balancers and orchestrators carry none)."""
    function.public = True
    return function


def public_if(setting):
    """Mark a handler that needs no key while `setting(config.settings())` is true (a deployment's choice)."""

    def mark(function):
        function.public_if = setting
        return function

    return mark


def requires(scope):
    """Mark a handler as needing a key that holds `scope`, whether or not reads need keys."""
    if scope not in keys.SCOPES:
        raise ValueError(f"unknown scope {scope!r}; scopes are {', '.join(keys.SCOPES)}")

    def mark(function):
        function.scope = scope
        return function

    return mark


def required_scope(method, function):
    """(scope, always) for an operation: the scope its key must hold (None: no key ever), and whether
    it needs one even when `SEDA_REQUIRE_KEYS_FOR_READS` is off."""
    opened = getattr(function, "public_if", None)
    if getattr(function, "public", False) or (opened is not None and opened(config.settings())):
        return None, False
    if hasattr(function, "scope"):
        return function.scope, True
    if method in _READ_METHODS or getattr(function, "changes_nothing", False):
        return "read", False
    return _FAIL_CLOSED_SCOPE, True


def require_key(request, function, operation):
    """The id of the key that allows `operation` (e.g. "DELETE /api/v1/equipment/<id>"), or None when it needs none.

    UnauthorizedError without a configured key; ForbiddenError when the key lacks the scope.
    """
    scope, always = required_scope(request.method, function)
    settings = config.settings()
    if scope is None or not (always or settings.require_keys_for_reads):
        return None
    if not settings.api_keys:
        context.logger.warning("request refused: no API keys are configured (set SEDA_API_KEYS)")
    api_key = _carried_key(request)
    if api_key is None:
        raise UnauthorizedError(
            "This request needs a valid API key, sent as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
        )
    if scope not in api_key.scopes:
        held = ", ".join(sorted(api_key.scopes))
        raise ForbiddenError(
            f"{operation} needs an API key with the scope '{scope}'; the key '{api_key.key_id}' holds {held}. "
            "Use a key with that scope, or ask for it to be added to the key's entry in SEDA_API_KEYS."
        )
    return api_key.key_id


def key_id(request):
    """The id of the configured key the request carries (`shared/keys.py`), or None: no key, or not a configured one.

    It names the client whose rate-limit budget the request spends (`shared/ratelimit.py`).
    """
    api_key = _carried_key(request)
    return None if api_key is None else api_key.key_id


def _carried_key(request):
    """The configured key the request carries, or None; looked up once per request (rate limit and key check share it)."""
    if not hasattr(request.state, "api_key"):
        request.state.api_key = _configured_key(_presented_key(request.headers), config.settings().api_keys)
    return request.state.api_key


def _presented_key(headers):
    """The key from `Authorization: Bearer …`, else from `X-API-Key`; empty when there is none."""
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key", "").strip()


def _configured_key(key, api_keys):
    """The configured key whose digest equals the presented key's, or None; every digest is compared, in constant time each."""
    # Header values arrive decoded as latin-1; encoding them back gives the bytes the client sent.
    presented = hashlib.sha256(key.encode("latin-1")).digest()
    matches = [api_key for api_key in api_keys if hmac.compare_digest(presented, api_key.digest)]
    return matches[0] if matches and key else None
