"""Headers every response carries for safety and caching, and the server software never named.

- `X-Content-Type-Options: nosniff`: a browser never second-guesses the declared media type
  (a JSON error body is never run as a script or rendered as HTML).
- `Referrer-Policy: no-referrer`: no page of the service leaks its URL (with its query) onwards.
- `Cache-Control`, unless the handler chose one: `no-store` for anything keyed (the request
  carried a key, or every read needs one), for every change and for every error; `no-cache`
  for public reads, so a cache may keep them but must revalidate each time (items with their
  `ETag`, answered 304 when unchanged).
- No `Server` header: uvicorn adds `server: uvicorn` from its own configuration, not the
  app's. functions-framework serves with gunicorn's `uvicorn_worker.UvicornWorker`, which
  builds that configuration in each worker from the class's `CONFIG_KWARGS`; `configure_worker`
  sets `server_header=False` there when main.py is imported, in the master, before it forks.
  The development server (`functions-framework --debug`, plain `uvicorn.run`) takes no such
  option from us and still names itself.
- No proxy headers believed by the server: uvicorn's default `proxy_headers=True` rewrites the
  client address (and scheme) from `X-Forwarded-For`/`-Proto` for connections from 127.0.0.1,
  so any local client (or a same-host proxy that passes the header on) could pick its own
  address and a fresh rate-limit budget per request. `configure_worker` turns that off too:
  the client address is the peer's unless `SEDA_TRUSTED_PROXY_HEADER` names a header
  (`shared/ratelimit.py`), and `SEDA_PUBLIC_URL` gives the public scheme and host.
- A shorter GIL switch interval for the worker, so threads doing CPU work give the event loop
  its turn within a millisecond (`GIL_SWITCH_INTERVAL_S`).
"""

import sys

from shared import config

_KEY_HEADERS = ("authorization", "x-api-key")
_READ_METHODS = frozenset({"GET", "HEAD"})
NO_STORE = "no-store"
REVALIDATE = "no-cache"
# A thread busy in Python (validating a 10,000-row batch, diagnosing) keeps the GIL until the loop
# has waited this long for it; Python's 5 ms default put a liveness probe's p50 at 5.7 ms while a
# batch was posted, 1 ms at 1.7 ms (bench/probe_latency.py). Only contended threads pay for it.
GIL_SWITCH_INTERVAL_S = 0.001
_SAFETY_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))


def add_response_headers(request, response):
    """The safety headers, and the caching rule unless the handler set its own."""
    # Appended to the raw list (no handler sets these): setting a header searches the list each time.
    response.raw_headers += _SAFETY_HEADERS
    if not any(name == b"cache-control" for name, _ in response.raw_headers):
        policy = NO_STORE if _keyed_or_changing(request, response) else REVALIDATE
        response.raw_headers.append((b"cache-control", policy.encode("latin-1")))


def _keyed_or_changing(request, response):
    """True when a cache must not keep the response at all."""
    return (
        response.status_code >= 400
        or request.method not in _READ_METHODS
        or config.settings().require_keys_for_reads
        or any(name in request.headers for name in _KEY_HEADERS)
    )


def configure_worker():
    """Have gunicorn's uvicorn workers (forked after this runs) send no `Server` header and believe no proxy
    header, and have worker threads hand the GIL back to the event loop sooner (`GIL_SWITCH_INTERVAL_S`)."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    try:
        from uvicorn_worker import UvicornWorker
    except ImportError:  # no gunicorn worker here: nothing to configure
        return
    UvicornWorker.CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "server_header": False, "proxy_headers": False}
