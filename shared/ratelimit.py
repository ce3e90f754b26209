"""Rate limits: a budget per client (429 TooManyRequestsTypeA) and a load limit per instance (429 TooManyRequestsTypeB).

`shared.http.serve` calls `admit(request, route)` once the method is known to be served (after
404 and 405, before the API key's 401 and 403), so refused requests cost the database nothing. OPTIONS preflights are answered before that, and the health probes, the metrics scrape and the files pages load cost nothing
(`COSTS`, `costs`):
neither is ever limited.

Per client (A). A client is its API key when it sends a configured one (named by `auth.key_id`,
never by the key or its digest), else its address: the connection's peer, or, when
`SEDA_TRUSTED_PROXY_HEADER` names the header a trusted proxy sets (`X-Forwarded-For`), the
entry `SEDA_TRUSTED_PROXY_HOPS` from the right of that header's comma-separated list (the one
the outermost trusted proxy wrote; what a client wrote itself stands further left and is never
read). An IPv6 client is its /64, which one host can fill with addresses. Each request spends
its operation's cost (`COSTS`) from a budget of `SEDA_RATE_LIMIT_BURST` units per window of
burst ÷ rate seconds, rounded up (the rate is `SEDA_RATE_LIMIT_PER_MINUTE` / 60 units a second:
by default 100 units per 10 s, i.e. 10 units/s in bursts of up to 100). The algorithm and storage are the `limits` library's: a fixed window, which starts
with the client's first request and gives its whole budget back when it ends, so `Retry-After`
is exact (the price: across a window's end a client may spend up to two budgets in a moment).
A refused request still counts, so hammering does not shorten the wait. Budgets live in each
instance's memory, or with `SEDA_RATE_LIMIT_STORAGE=redis://…` in Redis, shared by every
instance (keys `seda:…`). While Redis does not answer (`_STORAGE_TIMEOUT_S` per call, no
retries), each instance counts in its own memory, says so once in the log, and tries Redis
again every `_STORAGE_RETRY_S`: a Redis outage weakens the limit, it never stops the API.

Per instance (B), answered at once instead of queueing until clients time out: more than
`SEDA_MAX_IN_FLIGHT` requests in flight (counted by `shared/lifecycle.py`, health probes
included, though they are never refused), or no database session free within a short wait
(`shared/db/slots.py` for SQLite; the Oracle pool's own wait, `ORACLE_POOL_TIMEOUT_S`). A
database that is down, or locked by another process past `SEDA_SQLITE_BUSY_TIMEOUT_MS`, stays
503 DatabaseUnavailable: that is not this instance being busy.

Headers follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026; structured fields): under
the per-client limit, every response a handler returns (its error answers do without) carries
`RateLimit-Policy: "client";q=<burst>;w=<window s>` and `RateLimit: "client";r=<units
left>;t=<s until the window ends>`; a 429 A carries both and `Retry-After` (= t). A 429 B carries `Retry-After: 1` and `RateLimit: "instance";r=0;t=1`, plus
the client policy when there is one; the instance's capacity is never advertised (the draft's
section 8.2: it would tell an attacker how much saturates it).

Every 429 names the limit that refused it in `refused_by` (`client_budget` for A; `in_flight`,
`sqlite_sessions`, `oracle_pool`, `exports` for B), and an admitted request's outcome is
`request.state.rate_limit` (`exempt` or `admitted`; `shared/http.py` notes `refused` and the
reason): the metrics (`shared/metrics.py`) and the access log report both.
"""

import asyncio
import dataclasses
import functools
import ipaddress
import math
import time

from shared import auth, bodies, config, context, csvout, lifecycle
from shared.errors import TooManyRequestsTypeAError, TooManyRequestsTypeBError

CLIENT_POLICY = "client"
INSTANCE_POLICY = "instance"
INSTANCE_RETRY_AFTER_S = 1  # saturation passes in moments, not windows
BODY_BLOCK_BYTES = 64 * 1024
_STORAGE_TIMEOUT_S = 0.25  # longest one Redis call may take before the instance counts alone
_STORAGE_RETRY_S = 5
_REDIS_KEY_PREFIX = "seda"
_IPV6_CLIENT_PREFIX = 64
EXEMPT_OUTCOME = "exempt"
ADMITTED_OUTCOME = "admitted"
REFUSED_OUTCOME = "refused"


@dataclasses.dataclass(frozen=True)
class Cost:
    """What one request of an operation spends of its client's budget, in units (a page is 1).

    `csv` replaces `units` when the request's `Accept` prefers CSV (an export); `per_block` adds
    that much per started `BODY_BLOCK_BYTES` of the request body as `Content-Length` announces it
    (a body announcing none is charged as the largest accepted, `SEDA_MAX_BODY_BYTES`). No request
    costs more than a whole budget, so every one of them can be served once the window ends.
    """

    units: int
    csv: int | None = None
    per_block: int = 0
    export: int | None = None  # replaces `units` for a streamed export (`format` other than json, shared/exports.py)

    def of(self, request):
        """The units this request costs."""
        units = self.units
        if self.csv is not None and csvout.prefers_csv(request.headers.get("accept", "")):
            units = self.csv
        if self.export is not None and request.query_params.get("format", "json") != "json":
            units = self.export
        if self.per_block:
            size = bodies.declared_length(request)
            if size is None:
                size = config.settings().max_body_bytes
            units += self.per_block * math.ceil(size / BODY_BLOCK_BYTES)
        return units

    def describe(self):
        """The cost in words, for the API's documentation."""
        if not self.units:
            return "never limited"
        words = [f"{self.units} unit{'s' if self.units > 1 else ''}"]
        if self.per_block:
            words.append(f"plus {self.per_block} per started {BODY_BLOCK_BYTES // 1024} KiB of request body")
        if self.csv is not None:
            words.append(f"{self.csv} as CSV (Accept: text/csv)")
        if self.export is not None:
            words.append(f"{self.export} as a whole export (format=ndjson or format=csv)")
        return "; ".join(words)


PAGE = Cost(1)  # what every operation not listed in COSTS costs
EXEMPT = Cost(0)  # never limited, never counted
# Operations that cost other than a page, by (method, route) as `shared.http` names them
# (the route of an item ends in `/<id>`); HEAD costs what GET does.
COSTS = {
    # A fleet page reads stored verdicts (and may diagnose up to SEDA_MAX_INLINE_DIAGNOSES pending units).
    ("GET", "/api/v1/diagnoses"): Cost(2, export=50),
    # The summary counts every unit the filters select in one GROUP BY: a few fleet pages' worth.
    ("GET", "/api/v1/diagnoses/summary"): Cost(5),
    ("GET", "/api/v1/diagnoses/<id>"): Cost(1, export=50),  # history=true&format=… exports a unit's verdicts
    ("POST", "/api/v1/diagnoses"): Cost(5, per_block=1),  # batches of up to SEDA_MAX_BATCH_ROWS samples
    ("GET", "/api/v1/measurements"): Cost(1, csv=5, export=50),  # an export streams up to the whole table
    ("POST", "/api/v1/measurements"): Cost(5, per_block=1),
    ("POST", "/api/v1/diagnose-pending"): Cost(10),  # runs the engine for up to SEDA_PENDING_TIME_BUDGET_S
    ("GET", "/api/v1/inspections/scorecard"): Cost(10),  # reads a verdict per inspection, may compute missing ones
    ("GET", "/api/v1/health"): EXEMPT,  # probes: load balancers must see the instance as it is
    ("GET", "/api/v1/health/ready"): EXEMPT,
    ("GET", "/api/v1/health/live"): EXEMPT,
    ("GET", "/api/v1/metrics"): EXEMPT,  # scrapes: a saturated instance must still report itself
}


def cost_of(method, route, function=None):
    """The cost of an operation: what its handler `function` declares (`costs`), else `COSTS`, else a page's."""
    declared = getattr(function, "cost", None)
    if declared is not None:
        return declared
    return COSTS.get(("GET" if method == "HEAD" else method, route), PAGE)


def costs(cost):
    """Mark a handler as costing `cost` wherever it is routed, for handlers made by a factory (`shared/static_files.py`)
    whose routes no table here can list."""

    def mark(function):
        function.cost = cost
        return function

    return mark


async def admit(request, route, function=None):
    """The rate-limit headers for the response once the request may be served; else 429 A or B (raised)."""
    cost = cost_of(request.method, route, function)
    if not cost.units:
        request.state.rate_limit = EXEMPT_OUTCOME
        return {}
    limits = config.settings().limits
    if lifecycle.requests_in_flight() > limits.max_in_flight:
        raise instance_busy(
            "This instance is serving as many requests as it takes at once (SEDA_MAX_IN_FLIGHT); nothing was done. "
            f"Retry in {INSTANCE_RETRY_AFTER_S} s (Retry-After).",
            "in_flight",
        )
    request.state.rate_limit = ADMITTED_OUTCOME  # until the client's budget says otherwise
    if not limits.per_minute:
        return {}
    units = min(cost.of(request), limits.burst)
    allowed, remaining, reset_s = await _budgets(limits).spend(client_id(request), units)
    headers = {"RateLimit-Policy": _client_policy(limits), "RateLimit": _service_limit(CLIENT_POLICY, remaining, reset_s)}
    if not allowed:
        refusal = TooManyRequestsTypeAError(
            f"Too many requests from this client: its budget is {limits.burst} units per {limits.window_s} s and "
            f"this request costs {units}. Retry in {reset_s} s (Retry-After); the RateLimit header of every "
            "response says what is left.",
            headers={**headers, "Retry-After": str(reset_s)},
        )
        refusal.refused_by = "client_budget"
        raise refusal
    return headers


def instance_busy(message, reason):
    """429 TooManyRequestsTypeB: this instance is saturated (`reason`: the limit it reached); retry in a moment."""
    headers = {
        "Retry-After": str(INSTANCE_RETRY_AFTER_S),
        "RateLimit": _service_limit(INSTANCE_POLICY, 0, INSTANCE_RETRY_AFTER_S),
    }
    limits = config.settings().limits
    if limits.per_minute:
        headers["RateLimit-Policy"] = _client_policy(limits)
    refusal = TooManyRequestsTypeBError(message, headers=headers)
    refusal.refused_by = reason
    return refusal


def client_id(request):
    """Whose budget the request spends: `key:<key id>` for a configured API key, else `address:<address>`."""
    key = auth.key_id(request)
    if key is not None:
        return f"key:{key}"
    return f"address:{client_address(request)}"


def client_address(request):
    """The client whose budget it is: its IP address (`client_ip`), an IPv6 one as its /64."""
    address = client_ip(request)
    return _client_block(address) or address  # not an IP address (a Unix socket, a test client): the peer's name it is


def client_ip(request):
    """The client's IP address: from the trusted proxy's header when one is configured and holds one, else the peer's."""
    limits = config.settings().limits
    if limits.trusted_proxy_header:
        forwarded = _forwarded(request.headers.getlist(limits.trusted_proxy_header), limits.trusted_proxy_hops)
        if forwarded is not None:
            return forwarded
    return request.client.host if request.client else ""


def _forwarded(values, hops):
    """The address `hops` entries from the right of a comma-separated header list, or None
    (too few entries: the request did not pass every trusted proxy; or not an address)."""
    entries = [entry.strip() for value in values for entry in value.split(",")]
    if len(entries) < hops or _client_block(entries[-hops]) is None:
        return None
    return entries[-hops]


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the rest of the limit in memory
def _client_block(text):
    """An IPv4 address as it is, an IPv6 one as its /64 (IPv4-mapped ones as IPv4); None when `text` is no address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        return str(address)
    return str(ipaddress.ip_network(f"{address}/{_IPV6_CLIENT_PREFIX}", strict=False))


def _client_policy(limits):
    """The `RateLimit-Policy` value of the per-client budget."""
    return f'"{CLIENT_POLICY}";q={limits.burst};w={limits.window_s}'


def _service_limit(policy, remaining, reset_s):
    """A `RateLimit` value: `remaining` units of `policy` for the next `reset_s` seconds."""
    return f'"{policy}";r={remaining};t={reset_s}'


class _Budgets:
    """The per-client budgets under one set of settings.

    `limits` is imported here, on the first limited request, not when the service starts. Memory
    budgets serve every event loop (limits' memory storage never waits across an await); a Redis
    client's connections belong to the loop that opened them, so each loop (a test client's) gets one.
    """

    def __init__(self, limits):
        from limits import RateLimitItemPerSecond
        from limits.aio.storage import MemoryStorage
        from limits.aio.strategies import FixedWindowRateLimiter

        self.settings = limits
        self._item = RateLimitItemPerSecond(limits.burst, limits.window_s)
        self._local = FixedWindowRateLimiter(MemoryStorage())
        self._shared = self._shared_loop = None
        self._shared_retry_at = 0.0  # while Redis is out: when to try it again
        self._outage = False

    async def spend(self, client, units):
        """Spend `units` of the client's budget: (allowed, units left, seconds until the window ends)."""
        from limits.errors import StorageError

        if self.settings.storage == "memory" or time.monotonic() < self._shared_retry_at:
            return await self._spend(self._local, client, units)
        try:
            spent = await self._spend(self._shared_limiter(), client, units)
        except StorageError as exc:
            self._storage_failed(exc)
            return await self._spend(self._local, client, units)
        if self._outage:
            self._outage = False
            context.logger.info("rate-limit storage answers again; client budgets are shared again")
        return spent

    def _shared_limiter(self):
        """The Redis-backed limiter of the running loop, made on its first use there."""
        from limits.aio.strategies import FixedWindowRateLimiter

        loop = asyncio.get_running_loop()
        if self._shared_loop is not loop:
            self._shared, self._shared_loop = FixedWindowRateLimiter(_redis_storage(self.settings.storage)), loop
        return self._shared

    async def _spend(self, limiter, client, units):
        """One hit on `limiter`, then the window's state."""
        allowed = await limiter.hit(self._item, client, cost=units)
        stats = await limiter.get_window_stats(self._item, client)
        return allowed, stats.remaining, max(1, math.ceil(stats.reset_time - time.time()))

    def _storage_failed(self, exc):
        """Count in this instance's memory for a while; log the outage once, by error type (never host or password)."""
        self._shared_retry_at = time.monotonic() + _STORAGE_RETRY_S
        if not self._outage:
            self._outage = True
            context.logger.warning(
                f"rate-limit storage unreachable ({type(exc.storage_error).__name__}): each instance counts client "
                f"budgets alone until it answers; trying again every {_STORAGE_RETRY_S} s"
            )


def _redis_storage(url):
    """limits' asyncio Redis storage for `url` over redis-py: short timeouts, no retries (a miss falls back at once)."""
    from limits.aio.storage import RedisStorage
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=_REDIS_KEY_PREFIX,
        socket_timeout=_STORAGE_TIMEOUT_S,
        socket_connect_timeout=_STORAGE_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
    )


_current = None


def _budgets(limits):
    """The budgets under these settings, made on first use (new settings start afresh)."""
    global _current
    if _current is None or _current.settings is not limits:
        _current = _Budgets(limits)
    return _current
