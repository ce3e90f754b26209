"""What this process has served, counted on every request, and the Prometheus text of it (`GET /api/v1/metrics`).

`shared.http.respond` calls `request_served` once per request and `refused` for each 429: a
dict increment and a bisect into the latency buckets, with no library on that path and nothing
imported for it at cold start. The scrape (`functions/metrics.py`) renders the counts with
prometheus_client (imported by the first scrape, ~30 ms once), beside what it reads at that
moment: requests in flight, database sessions in use, the re-diagnosis backlog, and
prometheus_client's process and Python collectors (CPU, memory, open files, GC).

| metric | type | labels |
|---|---|---|
| `seda_http_requests_total` | counter | `target`, `route`, `method`, `status` (`2xx`…`5xx`) |
| `seda_http_request_duration_seconds` | histogram | `target`, `route`, `method` |
| `seda_http_requests_in_flight` | gauge | — |
| `seda_rate_limit_rejections_total` | counter | `type` (`A`: a client's budget, `B`: this instance), `reason` |
| `seda_db_sessions_in_use` / `seda_db_sessions_limit` | gauge | `database` |
| `seda_db_sessions_open` | gauge | `database` (Oracle: the pool's open sessions) |
| `seda_verdicts_backlog_samples` | gauge | `kind` (`pending`: no stored verdict, `stale`: another fingerprint) |
| `seda_verdicts_backlog_units` | gauge | — |
| `seda_verdicts_backlog_counted_timestamp_seconds` | gauge | — (when the backlog was last counted) |

Labels stay few: `route` is the template `serve` matched (`/api/v1/equipment/<id>`; `unmatched`
for a path no resource serves), `method` one of the seven functions-framework routes (it answers
any other itself, before this service), `target` the deployed entry point (`api`, or a resource's own). Counts are per process and start
at zero when it starts: run one worker per instance (functions-framework's default `WORKERS=1`),
as several workers would each answer a scrape with their own counts.

The backlog is `shared/pending.py`'s count of complete samples without a current verdict, one
scan of the samples, so a scrape serves the last count for `SEDA_METRICS_BACKLOG_TTL_S` and
counts again only after; a count the database cannot answer keeps the last one (its timestamp
says how old it is). Reasons a 429 names: `client_budget` (A); `in_flight`, `sqlite_sessions`,
`oracle_pool`, `exports` (B).
"""

import bisect
import collections
import dataclasses
import time
import weakref

from shared import config, context, db, lifecycle

# Upper bounds of the latency buckets, in seconds: from a cached page (~1 ms) to the statement timeout's default (30 s).
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED_ROUTE = "unmatched"


@dataclasses.dataclass
class _Latencies:
    """One histogram series: requests per bucket (not cumulative; the last is +Inf), their sum and count."""

    buckets: list = dataclasses.field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_S) + 1))
    total_s: float = 0.0

    def observe(self, seconds):
        """Count one request of `seconds` in the first bucket whose bound holds it."""
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        self.total_s += seconds


_requests = collections.Counter()  # (target, route, method, status class) -> requests
_latencies = collections.defaultdict(_Latencies)  # (target, route, method) -> _Latencies
_rejections = collections.Counter()  # (type, reason) -> 429s


def request_served(target, route, method, status, seconds):
    """Count a request answered with `status` after `seconds`."""
    _requests[target, route, method, f"{status // 100}xx"] += 1
    _latencies[target, route, method].observe(seconds)


def refused(limit_type, reason):
    """Count a 429 of `limit_type` (`A` or `B`) for `reason`."""
    _rejections[limit_type, reason] += 1


@dataclasses.dataclass(frozen=True)
class Backlog:
    """A count of the samples without a current stored verdict, and when it was made."""

    pending: int
    stale: int
    units: int
    counted_at: float  # time.time()
    counted_monotonic: float


_backlogs = weakref.WeakKeyDictionary()  # database -> its last Backlog (tests switch databases)
_counting = weakref.WeakSet()  # databases whose backlog a scrape is counting now


async def backlog():
    """The database's backlog, counted again when the last count is older than `SEDA_METRICS_BACKLOG_TTL_S`;
    None when it is never counted (TTL 0) or no count has succeeded yet."""
    ttl_s = config.settings().observability.backlog_ttl_s
    if not ttl_s:
        return None
    database = db.database()
    last = _backlogs.get(database)
    if (last is not None and time.monotonic() - last.counted_monotonic < ttl_s) or database in _counting:
        return last
    _counting.add(database)
    try:
        _backlogs[database] = await _count()
    except Exception as exc:  # noqa: BLE001 - a scrape must answer while the database cannot
        context.logger.warning(f"verdict backlog not counted now ({type(exc).__name__}); serving the last count")
    finally:
        _counting.discard(database)
    return _backlogs.get(database)


def forget_backlog():
    """Drop the database's last backlog count, so the next `backlog()` counts again (after a catch-up changed it)."""
    _backlogs.pop(db.database(), None)


async def _count():
    """Count the backlog now (`shared/pending.py`, which imports the engine: the first count loads it)."""
    from shared import pending  # noqa: PLC0415 - the engine (NumPy) is loaded by the first count, not at start

    found = await pending.needing_verdicts()
    return Backlog(found.pending, found.stale, found.units, time.time(), time.monotonic())


def exposition(backlog_now):
    """The Prometheus text (format 0.0.4) of every metric, with `backlog_now` (a Backlog or None); bytes."""
    from prometheus_client import generate_latest  # noqa: PLC0415 - imported by the first scrape (module docstring)

    return generate_latest(_registry(backlog_now))


def _registry(backlog_now):
    """A registry of this scrape's collector and prometheus_client's process, platform and GC collectors."""
    from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector  # noqa: PLC0415

    registry = CollectorRegistry(auto_describe=False)
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    registry.register(_Collector(backlog_now))
    return registry


class _Collector:
    """The service's metrics as prometheus_client metric families, read when a scrape collects them."""

    def __init__(self, backlog_now):
        self._backlog = backlog_now

    def collect(self):
        """Every family of the module docstring's table."""
        yield from _request_families()
        yield from _load_families()
        yield from _backlog_families(self._backlog)


def _request_families():
    """Requests by outcome, their latencies, and the 429s."""
    from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily  # noqa: PLC0415

    requests = CounterMetricFamily("seda_http_requests", "Requests answered, by target, route template, method and "
                                   "status class.", labels=("target", "route", "method", "status"))
    for labels, count in sorted(_requests.items()):
        requests.add_metric(labels, count)
    latency = HistogramMetricFamily("seda_http_request_duration_seconds", "Time from a request's start to its "
                                    "answer, by target, route template and method.", labels=("target", "route", "method"))
    bounds = [*(str(bound) for bound in LATENCY_BUCKETS_S), "+Inf"]
    for labels, series in sorted(_latencies.items()):
        cumulative = [sum(series.buckets[: position + 1]) for position in range(len(bounds))]
        latency.add_metric(labels, list(zip(bounds, cumulative)), series.total_s)
    rejections = CounterMetricFamily("seda_rate_limit_rejections", "Requests refused with 429: type A (a client's "
                                     "budget) or B (this instance saturated), by the limit that refused them.",
                                     labels=("type", "reason"))
    for labels, count in sorted(_rejections.items()):
        rejections.add_metric(labels, count)
    return requests, latency, rejections


def _load_families():
    """What this instance holds now: requests in flight and database sessions."""
    from prometheus_client.core import GaugeMetricFamily  # noqa: PLC0415

    in_flight = GaugeMetricFamily("seda_http_requests_in_flight", "Requests being served now, this scrape included.",
                                  value=lifecycle.requests_in_flight())
    database = db.database()
    use = database.session_use()
    name = database.dialect.name
    in_use = GaugeMetricFamily("seda_db_sessions_in_use", "Database sessions requests hold now.", labels=("database",))
    in_use.add_metric((name,), use.in_use)
    limit = GaugeMetricFamily("seda_db_sessions_limit", "Most database sessions this instance holds at once "
                              "(SEDA_SQLITE_MAX_SESSIONS, ORACLE_POOL_MAX).", labels=("database",))
    limit.add_metric((name,), use.limit)
    families = [in_flight, in_use, limit]
    if use.open is not None:
        opened = GaugeMetricFamily("seda_db_sessions_open", "Sessions the Oracle pool has open, busy or idle.",
                                   labels=("database",))
        opened.add_metric((name,), use.open)
        families.append(opened)
    return families


def _backlog_families(backlog_now):
    """The re-diagnosis backlog, when it was counted."""
    from prometheus_client.core import GaugeMetricFamily  # noqa: PLC0415

    if backlog_now is None:
        return []
    samples = GaugeMetricFamily("seda_verdicts_backlog_samples", "Complete DGA samples without a current stored "
                                "verdict: none stored (pending) or one of another fingerprint (stale).", labels=("kind",))
    samples.add_metric(("pending",), backlog_now.pending)
    samples.add_metric(("stale",), backlog_now.stale)
    units = GaugeMetricFamily("seda_verdicts_backlog_units", "Units with a pending or stale verdict.",
                              value=backlog_now.units)
    counted = GaugeMetricFamily("seda_verdicts_backlog_counted_timestamp_seconds", "When the backlog was last counted "
                                "(Unix time).", value=backlog_now.counted_at)
    return [samples, units, counted]
