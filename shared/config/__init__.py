"""Service settings, read once per process from environment variables.

This package reads them: `oracle.py` (the ORACLE_* variables), `limits.py` (rate and load limits), `urls.py` (public
URLs and the dashboard's), `observability.py` (metrics, log correlation, tracing), `reading.py` (typed reads and the
problem collector); the rest is read here.

Every environment variable the service reads:

| variable | default | meaning |
|---|---|---|
| `SEDA_DATABASE` | `sqlite` unless `ORACLE_USER` is set | `sqlite` or `oracle` |
| `SEDA_SQLITE_PATH` | `seda.sqlite3` in the working directory | embedded database file; created and filled with demo data on first start |
| `ORACLE_USER` | — | Oracle account the service connects as: the least-privilege runtime account (e.g. `SEDA_APP`, `sql/oracle/03_runtime_grants.sql`), or the schema owner |
| `ORACLE_PASSWORD` | — | its password (never logged) |
| `ORACLE_DSN` | — | full connect string (`host:port/service`, an Easy Connect string or a TNS descriptor); set it or the next four, never both |
| `ORACLE_HOST` | — | database host |
| `ORACLE_PORT` | `1521` | listener port |
| `ORACLE_SERVICE_NAME` | — | service name (preferred); `ORACLE_HOST` needs it or `ORACLE_SID` |
| `ORACLE_SID` | — | SID, for old databases without a service name |
| `ORACLE_SCHEMA` | — (the tables are `ORACLE_USER`'s own) | the account that owns the tables (e.g. `SEDA`), when `ORACLE_USER` is another one: each session runs `ALTER SESSION SET CURRENT_SCHEMA` to it, so statements name tables without a prefix; an unquoted Oracle name (letter, then letters, digits, `_`, `$`, `#`), upper-cased |
| `ORACLE_POOL_MIN` / `ORACLE_POOL_MAX` | `2` / `2` | fixed-size pool: equal values keep the pool from growing and shrinking |
| `ORACLE_POOL_TIMEOUT_S` | `5` | seconds to wait for a free pooled connection: then 429 TooManyRequestsTypeB when all of them are in use, 503 DatabaseUnavailable when none is (the pool cannot open one) |
| `ORACLE_CONNECT_TIMEOUT_S` | `10` | longest a request waits to get a pooled connection, opening a new session included (TCP connect — also the driver's own limit —, handshake, login, session setup); beyond it 503 DatabaseUnavailable, and a pool that timed out with no connection in use is replaced |
| `ORACLE_EXPIRE_TIME_MIN` | `2` | minutes between keepalive probes on idle pooled sessions, so a firewall does not drop them silently; `0` turns the probes off |
| `SEDA_MAX_PAGE_SIZE` | `1000` | largest `limit` a collection accepts |
| `SEDA_DEFAULT_PAGE_SIZE` | `100` | `limit` when none is given |
| `SEDA_MAX_OFFSET` | `10000` | largest `offset` a collection that pages by cursor accepts (`GET /measurements`, `GET /diagnoses`); deeper pages follow the `Link` next URL's `cursor`, which costs the same at any depth |
| `SEDA_CORS_ORIGINS` | `*` | comma-separated allowed origins, or `*` |
| `SEDA_PUBLIC_URL` | — (the request's Host, and the stage prefix an API Gateway event names) | what clients call before `/api/v1`: scheme, host and an optional path prefix (`https://seda.example.com`, `https://abc123.execute-api.ap-northeast-2.amazonaws.com/Prod`) for the absolute URLs in `Link` and `Location` and the OpenAPI document's server; set it behind a proxy or cache so a forged `Host` header cannot redirect clients. On AWS Lambda the prefix is also the custom domain's base path that is stripped before routing (`lambda_function.py`) |
| `SEDA_API_KEYS` | — (none) | comma-separated entries `<key id>@<scopes>=<key>` (scopes from `read`, `ingest`, `admin`, `metrics` joined by `+`; the key at least 16 characters, or `sha256:<64 hex digits>`, its SHA-256 digest); an entry without `<key id>@<scopes>=` (the format before scopes) holds every scope and has key id `key-<position>`. Syntax in `shared/keys.py`, which operation needs which scope in `shared/auth.py` |
| `SEDA_REQUIRE_KEYS_FOR_READS` | `false` | `true` makes reads (GET, HEAD) need a key too; OPTIONS preflights never do |
| `SEDA_MAX_BODY_BYTES` | `8388608` (8 MiB) | largest request body; a larger one is refused with 413 before it is parsed |
| `SEDA_MAX_BATCH_ROWS` | `10000` | most samples one measurements or diagnoses POST may carry (JSON array elements or CSV data rows); more is 413 |
| `SEDA_MAX_FULL_VERDICTS` | `1000` (at most `SEDA_MAX_BATCH_ROWS`) | most samples one `POST /diagnoses` may diagnose with the full view (~3 kB of JSON each); more is 413, while `?view=summary` takes up to `SEDA_MAX_BATCH_ROWS` |
| `SEDA_STATEMENT_TIMEOUT_S` | `30` | longest one SQL statement may run, on either database (on Oracle: each round trip, the `call_timeout`); a slower one is cancelled and answered 504 DatabaseTimeout. A streamed export is bounded per batch of rows (`shared/exports.py`), never as a whole |
| `SEDA_BODY_TIMEOUT_S` | `30` | longest a client may take to send a request body; a slower one is answered 408 RequestTimeout |
| `SEDA_SQLITE_BUSY_TIMEOUT_MS` | `5000` | how long a SQLite write waits for a lock another process holds before answering 503 DatabaseUnavailable |
| `SEDA_RATE_LIMIT_PER_MINUTE` | `600` | each client's sustained rate, in cost units (a page costs 1; `shared/ratelimit.py` lists the costs); `0` turns the per-client limit off |
| `SEDA_RATE_LIMIT_BURST` | `100` | units a client may spend at once: its budget is this many units per window of burst ÷ rate (10 s by default, rounded up to whole seconds); beyond it 429 TooManyRequestsTypeA |
| `SEDA_RATE_LIMIT_STORAGE` | `memory` | where budgets are counted: `memory` (each instance its own), or `redis://[:password@]host:port[/db]` (`rediss://` for TLS) so one client's budget holds across every instance |
| `SEDA_TRUSTED_PROXY_HEADER` | — (the connection's peer address) | header a trusted proxy sets to the client's address, e.g. `X-Forwarded-For`; set it only when every request passes that proxy, which must overwrite or append to a client's own |
| `SEDA_TRUSTED_PROXY_HOPS` | `1` | trusted proxies in front of the service: the client's address is this many entries from the right of that header's comma-separated list |
| `SEDA_MAX_EXPORTS` | `4` | downloads (`format=ndjson` or `csv`) this instance streams at once, each holding a database session for its whole length; one more is answered 429 TooManyRequestsTypeB |
| `SEDA_MAX_IN_FLIGHT` | `64` | requests this instance serves at once; one more is answered 429 TooManyRequestsTypeB at once (health probes and OPTIONS never are) |
| `SEDA_MAX_INLINE_DIAGNOSES` | `200` | most DGA samples without a stored verdict (written straight into the database, or older than migration 4) that one `GET /diagnoses` diagnoses and stores before answering (`shared/fleet.py`); beyond it the response says `X-Verdicts-Pending: true` until `python -m tools.rediagnose` catches up; `0` turns inline diagnosis off |
| `SEDA_CHANGE_FEED_DELAY_S` | `5` | `GET /diagnoses/changes` serves only changes recorded at least this long ago, so a change whose transaction commits after a later one (Oracle identities) is not skipped (`shared/change_feed.py`); `0` serves every committed change at once |
| `SEDA_SQLITE_MAX_SESSIONS` | `16` | SQLite sessions and write transactions open at once in this instance |
| `SEDA_SQLITE_SESSION_WAIT_MS` | `500` | how long a request waits for one of them before answering 429 TooManyRequestsTypeB |
| `SEDA_PENDING_BATCH_UNITS` | `20` | units per transaction of `POST /api/v1/diagnose-pending` (each batch holds SQLite's write lock while it runs the engine: ~0.3 s for 20 demo units) |
| `SEDA_MODEL_PATH` | `models/dga_type.onnx` (the shipped model) | the learned fault-type model behind `methods.ai_model` (an `.onnx` with its `.card.json` and `.reference.npz` beside it, written by `python -m tools.train_model`); empty or `none`: no model, no `ai_model` in verdicts and no onnxruntime. At start-up only the card and the files' SHA-256 are checked (a mismatch, a missing or changed file stops start-up); the session is built on the first diagnosis. Its hash is part of every stored verdict's fingerprint |
| `SEDA_VERDICT_USES_MODEL` | `false` | `true` makes the model's class the combined verdict's fault type where it applies and the sample is not out of distribution (before Triangle 1, which with the other methods then confirms or dissents; presence still comes from the 2019 status). Turn it on only when the inspections scorecard on your own units shows the model beats the published methods. Needs a model; changing it makes stored verdicts stale |
| `SEDA_PENDING_TIME_BUDGET_S` | `10` | a `POST /api/v1/diagnose-pending` runs one batch, then starts no other after this many seconds (the last one may end later; `0`: one batch per call); stay under the scheduler's request timeout |
| `SEDA_METRICS_PUBLIC` | `false` | `true` lets `GET /api/v1/metrics` (Prometheus text) answer without a key, for scrapes a network policy already restricts; otherwise it needs a key with the `metrics` scope (`Authorization: Bearer`, as Prometheus's `authorization` setting sends it) |
| `SEDA_METRICS_BACKLOG_TTL_S` | `60` | seconds the metrics path serves a counted re-diagnosis backlog (samples without a current stored verdict: one scan of the samples, ~13 ms per 20,000 on SQLite) before a scrape counts again; `0` never counts it |
| `GOOGLE_CLOUD_PROJECT` | — (log lines carry the bare trace id) | the Google Cloud project whose Cloud Trace the log lines link to: `logging.googleapis.com/trace` is `projects/<project>/traces/<trace id>` |
| `OTEL_TRACES_EXPORTER` | — (no tracing) | OpenTelemetry's own variable: `otlp`, `console` or another installed exporter turns on a span per request (`shared/tracing.py`; needs the `opentelemetry-sdk` package and the exporter's), `none` keeps it off |
| `OTEL_EXPORTER_OTLP_ENDPOINT` | — | OpenTelemetry's own: where the OTLP exporter sends spans; setting it (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) also turns tracing on, with the `otlp` exporter unless `OTEL_TRACES_EXPORTER` names another |
| `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | — | OpenTelemetry's own: the traces endpoint alone; the SDK reads the other `OTEL_*` variables (`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, headers) itself |
| `OTEL_SDK_DISABLED` | `false` | OpenTelemetry's own: `true` (any case) keeps tracing off whatever else is set; other values are read as the SDK reads them, as false |
| `SEDA_FRAME_ANCESTORS` | `'self'` | who may show the dashboard in a frame: space-separated CSP sources — `'self'`, `'none'`, or origins `http[s]://host[:port]` (a host may start with `*.` for its subdomains), e.g. `https://portal.kepco.co.kr`; the page's `frame-ancestors`, and the only origins it tells its height (`postMessage`) |
| `SEDA_DASHBOARD_API_URL` | — (the page's own origin) | where the dashboard reads the API: `http[s]://host[:port][/path]` before `/api/v1/…`, when the API is deployed apart from the page; its origin joins the page's `connect-src`, and that API's `SEDA_CORS_ORIGINS` must allow the page's origin |

With no `SEDA_API_KEYS`, every write is refused with the same 401 as a wrong key (and a
warning in the log): a deployment that forgot its keys stays read-only instead of open, and
an unauthenticated caller cannot tell a keyless deployment from a wrong key. The same holds
for reads when `SEDA_REQUIRE_KEYS_FOR_READS=true`. Keys are kept only as SHA-256 digests, and
neither keys nor digests appear in `repr`, logs or error bodies.

A database that is down or locked by another process is 503 DatabaseUnavailable; an instance
that has no free session for a request (every SQLite session taken for `SEDA_SQLITE_SESSION_WAIT_MS`,
or the Oracle pool's connections all in use for `ORACLE_POOL_TIMEOUT_S`) is busy, not down: 429
TooManyRequestsTypeB.

An Oracle configuration that is incomplete or ambiguous (no password, no DSN or host, a host
without a service name or SID, a DSN together with host parts, Oracle variables without
`ORACLE_USER`) stops start-up with a message naming the variables, never their values.
"""

import dataclasses
import functools
import os

from shared import keys
from shared.config import limits, observability, oracle, urls
from shared.config.limits import LimitSettings
from shared.config.observability import ObservabilitySettings
from shared.config.oracle import OracleSettings
from shared.config.reading import bool_env, int_env, noted_problems, or_noted
from shared.config.urls import API_PREFIX, DashboardSettings
from shared.model import card as model_card

__all__ = [
    "API_PREFIX", "DashboardSettings", "LimitSettings", "ObservabilitySettings", "OracleSettings", "Settings", "problems",
    "settings",
]


def problems():
    """Every message start-up would stop with, in the order `settings()` reads the variables (`tools/check_config.py`).

    Start-up stops at the first; here each read marked `or_noted` notes its message and stands in a harmless value,
    so the reads after it run too. The cached `settings()` is left alone.
    """
    noted = []
    token = noted_problems.set(noted)
    try:
        settings.__wrapped__()
    finally:
        noted_problems.reset(token)
    return noted


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything configurable about the service."""

    database: str
    sqlite_path: str
    oracle: OracleSettings | None
    max_page_size: int
    default_page_size: int
    max_offset: int
    max_inline_diagnoses: int
    change_feed_delay_s: int
    cors_origins: tuple[str, ...]
    api_keys: tuple[keys.ApiKey, ...] = dataclasses.field(repr=False)
    require_keys_for_reads: bool
    max_body_bytes: int
    max_batch_rows: int
    max_full_verdicts: int
    public_origin: str | None
    public_prefix: str  # SEDA_PUBLIC_URL's path before /api/v1 ("" when none), prepended to public URLs
    statement_timeout_s: int
    body_timeout_s: int
    sqlite_busy_timeout_ms: int
    pending_batch_units: int
    pending_time_budget_s: int
    limits: LimitSettings
    model: model_card.ModelCard | None  # the served model, its files checked against its card
    verdict_uses_model: bool
    dashboard: DashboardSettings
    observability: ObservabilitySettings


@functools.cache
def settings():
    """The process's settings, read from the environment on first use."""
    oracle_settings = oracle.read()
    database = _database(oracle_settings)
    max_page_size = int_env("SEDA_MAX_PAGE_SIZE", 1000)
    max_batch_rows = int_env("SEDA_MAX_BATCH_ROWS", 10_000)
    origins = tuple(o.strip() for o in os.environ.get("SEDA_CORS_ORIGINS", "*").split(",") if o.strip())
    return Settings(
        database=database,
        sqlite_path=os.environ.get("SEDA_SQLITE_PATH", "seda.sqlite3"),
        oracle=oracle_settings,
        max_page_size=max_page_size,
        default_page_size=min(int_env("SEDA_DEFAULT_PAGE_SIZE", 100), max_page_size),
        max_offset=int_env("SEDA_MAX_OFFSET", 10_000, minimum=0),
        max_inline_diagnoses=int_env("SEDA_MAX_INLINE_DIAGNOSES", 200, minimum=0),
        change_feed_delay_s=int_env("SEDA_CHANGE_FEED_DELAY_S", 5, minimum=0),
        cors_origins=origins or ("*",),
        api_keys=_api_keys(),
        require_keys_for_reads=bool_env("SEDA_REQUIRE_KEYS_FOR_READS", False),
        max_body_bytes=int_env("SEDA_MAX_BODY_BYTES", 8 * 1024 * 1024),
        max_batch_rows=max_batch_rows,
        max_full_verdicts=min(int_env("SEDA_MAX_FULL_VERDICTS", 1000), max_batch_rows),
        **urls.public_url(),
        statement_timeout_s=int_env("SEDA_STATEMENT_TIMEOUT_S", 30),
        body_timeout_s=int_env("SEDA_BODY_TIMEOUT_S", 30),
        sqlite_busy_timeout_ms=int_env("SEDA_SQLITE_BUSY_TIMEOUT_MS", 5000, minimum=0),
        pending_batch_units=int_env("SEDA_PENDING_BATCH_UNITS", 20),
        pending_time_budget_s=int_env("SEDA_PENDING_TIME_BUDGET_S", 10, minimum=0),
        limits=limits.read(),
        **_model_settings(),
        dashboard=urls.dashboard(),
        observability=observability.read(),
    )


@or_noted(lambda oracle: "sqlite")
def _database(oracle):
    """`SEDA_DATABASE`, by default `oracle` when Oracle is configured; oracle without its settings is refused."""
    database = os.environ.get("SEDA_DATABASE", "oracle" if oracle else "sqlite").strip().lower()
    if database not in ("sqlite", "oracle"):
        raise RuntimeError(f"SEDA_DATABASE must be 'sqlite' or 'oracle', got {database!r}")
    if database == "oracle" and oracle is None:
        raise RuntimeError("SEDA_DATABASE=oracle needs ORACLE_USER, ORACLE_PASSWORD and a DSN or host")
    return database


@or_noted(lambda: ())
def _api_keys():
    """The keys of `SEDA_API_KEYS` (`shared/keys.py`); its errors name an entry's position, never a key."""
    return keys.parse(os.environ.get("SEDA_API_KEYS", ""))


@or_noted(lambda: {"model": None, "verdict_uses_model": False})
def _model_settings():
    """The served model's checked card (or None) and whether it joins the verdict.

    A model whose files do not match its card stops start-up (`shared/model/card.py`).
    """
    raw = os.environ.get("SEDA_MODEL_PATH")
    path = model_card.DEFAULT_MODEL_PATH if raw is None else raw.strip()
    model = None if str(path).lower() in ("", "none") else model_card.load_checked(path)
    uses_model = bool_env("SEDA_VERDICT_USES_MODEL", False)
    if uses_model and model is None:
        raise RuntimeError("SEDA_VERDICT_USES_MODEL=true needs a model, but SEDA_MODEL_PATH is none")
    return {"model": model, "verdict_uses_model": uses_model}
