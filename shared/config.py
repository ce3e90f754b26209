"""Service settings, read once per process from environment variables.

Every environment variable the service reads:

| variable | default | meaning |
|---|---|---|
| `SEDA_DATABASE` | `sqlite` unless `ORACLE_USER` is set | `sqlite` or `oracle` |
| `SEDA_SQLITE_PATH` | `seda.sqlite3` in the working directory | embedded database file; created and filled with demo data on first start |
| `ORACLE_USER` | — | Oracle account (the service account, e.g. `SEDA`) |
| `ORACLE_PASSWORD` | — | its password (never logged) |
| `ORACLE_DSN` | — | full connect string (`host:port/service`, an Easy Connect string or a TNS descriptor); set it or the next four, never both |
| `ORACLE_HOST` | — | database host |
| `ORACLE_PORT` | `1521` | listener port |
| `ORACLE_SERVICE_NAME` | — | service name (preferred); `ORACLE_HOST` needs it or `ORACLE_SID` |
| `ORACLE_SID` | — | SID, for old databases without a service name |
| `ORACLE_POOL_MIN` / `ORACLE_POOL_MAX` | `2` / `2` | fixed-size pool: equal values keep the pool from growing and shrinking |
| `ORACLE_POOL_TIMEOUT_S` | `5` | seconds to wait for a free pooled connection: then 429 TooManyRequestsTypeB when all of them are in use, 503 DatabaseUnavailable when none is (the pool cannot open one) |
| `ORACLE_CONNECT_TIMEOUT_S` | `10` | longest a request waits to get a pooled connection, opening a new session included (TCP connect — also the driver's own limit —, handshake, login, session setup); beyond it 503 DatabaseUnavailable, and a pool that timed out with no connection in use is replaced |
| `ORACLE_EXPIRE_TIME_MIN` | `2` | minutes between keepalive probes on idle pooled sessions, so a firewall does not drop them silently; `0` turns the probes off |
| `SEDA_MAX_PAGE_SIZE` | `1000` | largest `limit` a collection accepts |
| `SEDA_DEFAULT_PAGE_SIZE` | `100` | `limit` when none is given |
| `SEDA_MAX_OFFSET` | `10000` | largest `offset` a collection that pages by cursor accepts (`GET /measurements`, `GET /diagnoses`); deeper pages follow the `Link` next URL's `cursor`, which costs the same at any depth |
| `SEDA_CORS_ORIGINS` | `*` | comma-separated allowed origins, or `*` |
| `SEDA_PUBLIC_URL` | — (the request's Host, and the stage prefix an API Gateway event names) | what clients call before `/api/v1`: scheme, host and an optional path prefix (`https://seda.example.com`, `https://abc123.execute-api.ap-northeast-2.amazonaws.com/Prod`) for the absolute URLs in `Link` and `Location` and the OpenAPI document's server; set it behind a proxy or cache so a forged `Host` header cannot redirect clients. On AWS Lambda the prefix is also the custom domain's base path that is stripped before routing (`lambda_function.py`) |
| `SEDA_API_KEYS` | — (none) | comma-separated entries `<key id>@<scopes>=<key>` (scopes from `read`, `ingest`, `admin` joined by `+`; the key at least 16 characters, or `sha256:<64 hex digits>`, its SHA-256 digest); an entry without `<key id>@<scopes>=` (the format before scopes) holds every scope and has key id `key-<position>`. Syntax in `shared/keys.py`, which operation needs which scope in `shared/auth.py` |
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

import contextvars
import dataclasses
import functools
import math
import os
import re
import urllib.parse

from shared import keys
from shared.model import card as model_card

API_PREFIX = "/api/v1"  # where every resource lives (`shared/http.py` routes below it; the dashboard calls below it)

_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

_noted_problems = contextvars.ContextVar("noted_problems", default=None)  # a list while `problems()` runs


def problems():
    """Every message start-up would stop with, in the order `settings()` reads the variables (`tools/check_config.py`).

    Start-up stops at the first; here each read marked `_or_noted` notes its message and stands in a harmless value,
    so the reads after it run too. The cached `settings()` is left alone.
    """
    noted = []
    token = _noted_problems.set(noted)
    try:
        settings.__wrapped__()
    finally:
        _noted_problems.reset(token)
    return noted


def _or_noted(stand_in):
    """Decorate a read that refuses a bad value: under `problems()` its RuntimeError is noted and
    `stand_in(*arguments)` is returned instead; otherwise the error stops start-up as before."""
    def decorate(read):
        @functools.wraps(read)
        def checked(*arguments, **keywords):
            try:
                return read(*arguments, **keywords)
            except RuntimeError as problem:
                noted = _noted_problems.get()
                if noted is None:
                    raise
                noted.append(str(problem))
                return stand_in(*arguments, **keywords)
        return checked
    return decorate


@dataclasses.dataclass(frozen=True)
class OracleSettings:
    """How to reach Oracle; `password` is excluded from repr so it cannot reach a log."""

    user: str
    password: str = dataclasses.field(repr=False)
    dsn: str | None
    host: str | None
    port: int
    service_name: str | None
    sid: str | None
    pool_min: int
    pool_max: int
    pool_timeout_s: int
    connect_timeout_s: int
    expire_time_min: int


@dataclasses.dataclass(frozen=True)
class LimitSettings:
    """Per-client rate limits and this instance's load limits (`shared/ratelimit.py`).

    `storage` may carry a Redis password, so it is excluded from repr.
    """

    per_minute: int
    burst: int
    window_s: int  # burst ÷ rate, rounded up; 0 when the per-client limit is off
    storage: str = dataclasses.field(repr=False)
    trusted_proxy_header: str | None
    trusted_proxy_hops: int
    max_in_flight: int
    max_exports: int
    sqlite_max_sessions: int
    sqlite_session_wait_ms: int


@dataclasses.dataclass(frozen=True)
class DashboardSettings:
    """Where the dashboard page reads the API, and who may frame it (`functions/dashboard.py`)."""

    api_url: str  # "" = the page's own origin
    api_origin: str | None  # scheme://host[:port] of api_url, for connect-src
    frame_ancestors: tuple[str, ...]


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


@_or_noted(lambda name, default, minimum=1: default)
def _int_env(name, default, minimum=1):
    """An integer environment variable, refusing nonsense at start-up rather than at request time."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise RuntimeError(f"{name} must be at least {minimum}, got {value}")
    return value


@_or_noted(lambda name, default: default)
def _bool_env(name, default):
    """A `true`/`false` environment variable (also 1/0, yes/no), refusing anything else at start-up."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _BOOLEANS:
        raise RuntimeError(f"{name} must be true or false, got {raw!r}")
    return _BOOLEANS[raw]


@_or_noted(lambda: None)
def _oracle_settings():
    """Oracle settings from the environment, or None when no Oracle user is configured."""
    user = os.environ.get("ORACLE_USER")
    if not user:
        _refuse_oracle_settings_without_user()
        return None
    _check_oracle_location()
    password = os.environ.get("ORACLE_PASSWORD")
    if not password:
        raise RuntimeError("ORACLE_USER is set but ORACLE_PASSWORD is missing or empty; set the account's password")
    pool_min = _int_env("ORACLE_POOL_MIN", 2, minimum=0)
    return OracleSettings(
        user=user,
        password=password,
        dsn=os.environ.get("ORACLE_DSN") or None,
        host=os.environ.get("ORACLE_HOST") or None,
        port=_int_env("ORACLE_PORT", 1521),
        service_name=os.environ.get("ORACLE_SERVICE_NAME") or None,
        sid=os.environ.get("ORACLE_SID") or None,
        pool_min=pool_min,
        pool_max=_int_env("ORACLE_POOL_MAX", max(pool_min, 2)),
        pool_timeout_s=_int_env("ORACLE_POOL_TIMEOUT_S", 5),
        connect_timeout_s=_int_env("ORACLE_CONNECT_TIMEOUT_S", 10),
        expire_time_min=_int_env("ORACLE_EXPIRE_TIME_MIN", 2, minimum=0),
    )


def _oracle_variables_set(*names):
    """Those of `names` that are set to something non-empty."""
    return [name for name in names if os.environ.get(name)]


def _refuse_oracle_settings_without_user():
    """Without ORACLE_USER the service would quietly serve SQLite; refuse if Oracle was clearly meant."""
    orphans = _oracle_variables_set("ORACLE_PASSWORD", "ORACLE_DSN", "ORACLE_HOST", "ORACLE_SERVICE_NAME", "ORACLE_SID")
    if orphans:
        raise RuntimeError(f"{', '.join(orphans)} set without ORACLE_USER; set ORACLE_USER to use Oracle or unset them")


def _check_oracle_location():
    """Exactly one way to reach the database: ORACLE_DSN alone, or ORACLE_HOST with a service name or a SID."""
    parts = _oracle_variables_set("ORACLE_HOST", "ORACLE_PORT", "ORACLE_SERVICE_NAME", "ORACLE_SID")
    if os.environ.get("ORACLE_DSN"):
        if parts:
            raise RuntimeError(
                f"ORACLE_DSN is set together with {', '.join(parts)}; set ORACLE_DSN alone, or ORACLE_HOST "
                "with ORACLE_SERVICE_NAME or ORACLE_SID"
            )
        return
    if not os.environ.get("ORACLE_HOST"):
        raise RuntimeError("ORACLE_USER is set but neither ORACLE_DSN nor ORACLE_HOST says where the database is")
    names = _oracle_variables_set("ORACLE_SERVICE_NAME", "ORACLE_SID")
    if len(names) != 1:
        raise RuntimeError("ORACLE_HOST needs exactly one of ORACLE_SERVICE_NAME or ORACLE_SID to name the database")


@functools.cache
def settings():
    """The process's settings, read from the environment on first use."""
    oracle = _oracle_settings()
    database = _database(oracle)
    max_page_size = _int_env("SEDA_MAX_PAGE_SIZE", 1000)
    max_batch_rows = _int_env("SEDA_MAX_BATCH_ROWS", 10_000)
    origins = tuple(o.strip() for o in os.environ.get("SEDA_CORS_ORIGINS", "*").split(",") if o.strip())
    return Settings(
        database=database,
        sqlite_path=os.environ.get("SEDA_SQLITE_PATH", "seda.sqlite3"),
        oracle=oracle,
        max_page_size=max_page_size,
        default_page_size=min(_int_env("SEDA_DEFAULT_PAGE_SIZE", 100), max_page_size),
        max_offset=_int_env("SEDA_MAX_OFFSET", 10_000, minimum=0),
        max_inline_diagnoses=_int_env("SEDA_MAX_INLINE_DIAGNOSES", 200, minimum=0),
        change_feed_delay_s=_int_env("SEDA_CHANGE_FEED_DELAY_S", 5, minimum=0),
        cors_origins=origins or ("*",),
        api_keys=_api_keys(),
        require_keys_for_reads=_bool_env("SEDA_REQUIRE_KEYS_FOR_READS", False),
        max_body_bytes=_int_env("SEDA_MAX_BODY_BYTES", 8 * 1024 * 1024),
        max_batch_rows=max_batch_rows,
        max_full_verdicts=min(_int_env("SEDA_MAX_FULL_VERDICTS", 1000), max_batch_rows),
        **_public_url(),
        statement_timeout_s=_int_env("SEDA_STATEMENT_TIMEOUT_S", 30),
        body_timeout_s=_int_env("SEDA_BODY_TIMEOUT_S", 30),
        sqlite_busy_timeout_ms=_int_env("SEDA_SQLITE_BUSY_TIMEOUT_MS", 5000, minimum=0),
        pending_batch_units=_int_env("SEDA_PENDING_BATCH_UNITS", 20),
        pending_time_budget_s=_int_env("SEDA_PENDING_TIME_BUDGET_S", 10, minimum=0),
        limits=_limit_settings(),
        **_model_settings(),
        dashboard=_dashboard_settings(),
    )


@_or_noted(lambda oracle: "sqlite")
def _database(oracle):
    """`SEDA_DATABASE`, by default `oracle` when Oracle is configured; oracle without its settings is refused."""
    database = os.environ.get("SEDA_DATABASE", "oracle" if oracle else "sqlite").strip().lower()
    if database not in ("sqlite", "oracle"):
        raise RuntimeError(f"SEDA_DATABASE must be 'sqlite' or 'oracle', got {database!r}")
    if database == "oracle" and oracle is None:
        raise RuntimeError("SEDA_DATABASE=oracle needs ORACLE_USER, ORACLE_PASSWORD and a DSN or host")
    return database


@_or_noted(lambda: ())
def _api_keys():
    """The keys of `SEDA_API_KEYS` (`shared/keys.py`); its errors name an entry's position, never a key."""
    return keys.parse(os.environ.get("SEDA_API_KEYS", ""))


@_or_noted(lambda: {"model": None, "verdict_uses_model": False})
def _model_settings():
    """The served model's checked card (or None) and whether it joins the verdict.

    A model whose files do not match its card stops start-up (`shared/model/card.py`).
    """
    raw = os.environ.get("SEDA_MODEL_PATH")
    path = model_card.DEFAULT_MODEL_PATH if raw is None else raw.strip()
    model = None if str(path).lower() in ("", "none") else model_card.load_checked(path)
    uses_model = _bool_env("SEDA_VERDICT_USES_MODEL", False)
    if uses_model and model is None:
        raise RuntimeError("SEDA_VERDICT_USES_MODEL=true needs a model, but SEDA_MODEL_PATH is none")
    return {"model": model, "verdict_uses_model": uses_model}


@_or_noted(lambda: None)
def _limit_settings():
    """The rate and load limits; a burst below one second's worth of the rate is refused (no window is that short)."""
    per_minute = _int_env("SEDA_RATE_LIMIT_PER_MINUTE", 600, minimum=0)
    burst = _int_env("SEDA_RATE_LIMIT_BURST", 100)
    if per_minute and burst * 60 < per_minute:
        raise RuntimeError(
            "SEDA_RATE_LIMIT_BURST must be at least SEDA_RATE_LIMIT_PER_MINUTE / 60, one second's worth of the rate"
        )
    return LimitSettings(
        per_minute=per_minute,
        burst=burst,
        window_s=math.ceil(burst * 60 / per_minute) if per_minute else 0,
        storage=_rate_limit_storage(),
        trusted_proxy_header=_trusted_proxy_header(),
        trusted_proxy_hops=_int_env("SEDA_TRUSTED_PROXY_HOPS", 1),
        max_in_flight=_int_env("SEDA_MAX_IN_FLIGHT", 64),
        max_exports=_int_env("SEDA_MAX_EXPORTS", 4),
        sqlite_max_sessions=_int_env("SEDA_SQLITE_MAX_SESSIONS", 16),
        sqlite_session_wait_ms=_int_env("SEDA_SQLITE_SESSION_WAIT_MS", 500, minimum=0),
    )


@_or_noted(lambda: "memory")
def _rate_limit_storage():
    """`memory`, or a redis:// or rediss:// URL with a host; the error never repeats the value (it may hold a password)."""
    raw = os.environ.get("SEDA_RATE_LIMIT_STORAGE", "").strip() or "memory"
    if raw == "memory":
        return raw
    try:
        url = urllib.parse.urlsplit(raw)
        valid = url.scheme in ("redis", "rediss") and bool(url.hostname) and url.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        raise RuntimeError("SEDA_RATE_LIMIT_STORAGE must be memory, or a redis:// or rediss:// URL naming a host")
    return raw


@_or_noted(lambda: None)
def _trusted_proxy_header():
    """The header name in `SEDA_TRUSTED_PROXY_HEADER`, lowercased, or None."""
    raw = os.environ.get("SEDA_TRUSTED_PROXY_HEADER", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", raw):
        raise RuntimeError(f"SEDA_TRUSTED_PROXY_HEADER must be a header name such as X-Forwarded-For, got {raw!r}")
    return raw.lower()


@_or_noted(lambda: {"public_origin": None, "public_prefix": ""})
def _public_url():
    """`SEDA_PUBLIC_URL` split into its origin (scheme://host[:port], or None to take them from each request) and
    its path prefix ("" when none); a prefix ending in /api/v1 is refused (every public URL would repeat it)."""
    raw = os.environ.get("SEDA_PUBLIC_URL", "").strip().rstrip("/")
    if not raw:
        return {"public_origin": None, "public_prefix": ""}
    matched = re.fullmatch(rf"({_ORIGIN})({_PATH_PREFIX})?", raw)
    if matched is None:
        raise RuntimeError(f"SEDA_PUBLIC_URL must look like https://seda.example.com[:port][/prefix], got {raw!r}")
    origin, prefix = matched.group(1), matched.group(3) or ""
    if prefix.endswith(API_PREFIX):
        raise RuntimeError(f"SEDA_PUBLIC_URL is the URL before {API_PREFIX} (the service adds it), got {raw!r}")
    return {"public_origin": origin, "public_prefix": prefix}


_ORIGIN = r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?"
_PATH_PREFIX = r"(?:/[A-Za-z0-9._~\-]+)+"  # path segments of unreserved characters, no empty segment
# A CSP host source naming one origin (a single-label intranet host included), or every subdomain of a host of two
# labels or more (`https://*.kepco.co.kr`; never `*.com`, which would let any site of a top-level domain frame it).
_LABEL = r"[A-Za-z0-9\-]+"
_FRAME_ANCESTOR = re.compile(rf"https?://(\*\.{_LABEL}(\.{_LABEL})+|{_LABEL}(\.{_LABEL})*)(:[0-9]{{1,5}})?")


@_or_noted(lambda: None)
def _dashboard_settings():
    """SEDA_DASHBOARD_API_URL and SEDA_FRAME_ANCESTORS, checked at start-up (each becomes part of a CSP)."""
    api_url = os.environ.get("SEDA_DASHBOARD_API_URL", "").strip().rstrip("/")
    if api_url and not re.fullmatch(rf"{_ORIGIN}(/[A-Za-z0-9._~\-/]*)?", api_url):
        raise RuntimeError(f"SEDA_DASHBOARD_API_URL must look like https://seda-api.example.com[:port][/path], got "
                           f"{api_url!r}")
    if api_url.endswith(API_PREFIX):  # the page adds it: calls would go to …/api/v1/api/v1/… and all be 404
        raise RuntimeError(f"SEDA_DASHBOARD_API_URL is the URL before {API_PREFIX} (the page adds it), got {api_url!r}")
    sources = tuple(os.environ.get("SEDA_FRAME_ANCESTORS", "").split()) or ("'self'",)
    refused = [] if sources == ("'none'",) else [
        source for source in sources if source != "'self'" and not _FRAME_ANCESTOR.fullmatch(source)]
    if refused:
        raise RuntimeError(f"SEDA_FRAME_ANCESTORS takes 'self', 'none' (alone) or origins such as "
                           f"https://portal.example.com or https://*.example.com, space-separated; got {refused[0]!r}")
    origin = re.match(_ORIGIN, api_url).group(0) if api_url else None
    return DashboardSettings(api_url=api_url, api_origin=origin, frame_ancestors=sources)
