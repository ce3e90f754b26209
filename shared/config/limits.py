"""Per-client rate limits and this instance's load limits (table in `shared/config/__init__.py`)."""

import dataclasses
import math
import os
import re
import urllib.parse

from shared.config.reading import int_env, or_noted

DEFAULT_MAX_IN_FLIGHT = 64  # SEDA_MAX_IN_FLIGHT's default, also the functions' --concurrency (tools/deploy_gcf.py)


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


@or_noted(lambda: None)
def read():
    """The rate and load limits; a burst below one second's worth of the rate is refused (no window is that short)."""
    per_minute = int_env("SEDA_RATE_LIMIT_PER_MINUTE", 600, minimum=0)
    burst = int_env("SEDA_RATE_LIMIT_BURST", 100)
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
        trusted_proxy_hops=int_env("SEDA_TRUSTED_PROXY_HOPS", 1),
        max_in_flight=int_env("SEDA_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT),
        max_exports=int_env("SEDA_MAX_EXPORTS", 4),
        sqlite_max_sessions=int_env("SEDA_SQLITE_MAX_SESSIONS", 16),
        sqlite_session_wait_ms=int_env("SEDA_SQLITE_SESSION_WAIT_MS", 500, minimum=0),
    )


@or_noted(lambda: "memory")
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


@or_noted(lambda: None)
def _trusted_proxy_header():
    """The header name in `SEDA_TRUSTED_PROXY_HEADER`, lowercased, or None."""
    raw = os.environ.get("SEDA_TRUSTED_PROXY_HEADER", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", raw):
        raise RuntimeError(f"SEDA_TRUSTED_PROXY_HEADER must be a header name such as X-Forwarded-For, got {raw!r}")
    return raw.lower()
