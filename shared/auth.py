"""API-key authentication: writes always need a key, reads only when `SEDA_REQUIRE_KEYS_FOR_READS` is on.

A key arrives as `Authorization: Bearer <key>` or `X-API-Key: <key>` and is checked against
`SEDA_API_KEYS` (see `shared/config.py`, which also says what happens when none is set). The
presented key's SHA-256 digest is compared with every configured digest by
`hmac.compare_digest`, without stopping at a match, so the time taken says nothing about
which key or how much of it was right. A missing, malformed or wrong key gets the same 401
with `WWW-Authenticate: Bearer realm="seda"`; keys never reach a log line or an error body.
`shared.http.serve` calls `require_key` before a handler runs; OPTIONS preflights never get here.
"""

import hashlib
import hmac

from shared import config, context
from shared.errors import UnauthorizedError

_READ_METHODS = frozenset({"GET", "HEAD"})


def changes_nothing(function):
    """Mark a POST handler that only computes (no data changes): it needs a key only when reads do."""
    function.changes_nothing = True
    return function


def public(function):
    """Mark a handler that never needs a key (health probes: load balancers and orchestrators carry none)."""
    function.public = True
    return function


def needs_key(method, function):
    """True when a `method` request that `function` answers must carry a configured key."""
    if getattr(function, "public", False):
        return False
    reads = method in _READ_METHODS or getattr(function, "changes_nothing", False)
    return not reads or config.settings().require_keys_for_reads


def require_key(request, function):
    """Raise UnauthorizedError unless the request may proceed without a key or carries a configured one."""
    if not needs_key(request.method, function):
        return
    settings = config.settings()
    if not settings.api_key_digests:
        context.logger.warning("request refused: no API keys are configured (set SEDA_API_KEYS)")
    if not _is_configured(_presented_key(request.headers), settings.api_key_digests):
        raise UnauthorizedError(
            "This request needs a valid API key, sent as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
        )


def _presented_key(headers):
    """The key from `Authorization: Bearer …`, else from `X-API-Key`; empty when there is none."""
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key", "").strip()


def _is_configured(key, digests):
    """True when the key's digest equals a configured one; every digest is compared, in constant time each."""
    # Header values arrive decoded as latin-1; encoding them back gives the bytes the client sent.
    presented = hashlib.sha256(key.encode("latin-1")).digest()
    matched = False
    for digest in digests:
        matched |= hmac.compare_digest(presented, digest)
    return matched and bool(key)
