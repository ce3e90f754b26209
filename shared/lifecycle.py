"""Graceful shutdown: on SIGTERM the requests in flight finish, then the database is closed.

Why a signal handler, installed by the first request: functions-framework builds its
Starlette app after importing main.py and gives user code no lifespan hook (Starlette 1.x
has no `on_shutdown` either). Both ways its CLI serves the app run uvicorn's `Server` —
gunicorn's `uvicorn_worker.UvicornWorker` by default, `uvicorn.run` with `--debug`. On
SIGTERM that server stops accepting, waits for the connections in flight, then puts back the
handler it found and raises the signal again. That handler is SIG_DFL (the gunicorn worker
resets its signals before serving), so the process dies at once: no atexit, and gunicorn's
`worker_exit` hook (which functions-framework gives no way to set) never runs. The only code
of ours that runs between the signal and that end is a handler installed after uvicorn's
own, so the first request served on the main thread installs one chained to uvicorn's
(which still does the draining). It counts requests in flight (`shared/http.respond`
brackets each one) and, once SIGTERM has come and the last of them has written its
access-log line, exports the spans still buffered (`shared/tracing.py`) and closes the database (the Oracle pool,
the SQLite connection). The close starts while uvicorn still waits for that last connection
to close (it looks every 0.1 s), so it ends before the process does; one that hung would be
cut short by the exit, which loses nothing. Test clients serve from another thread, where
signals never arrive, so they are left alone.
"""

import asyncio
import contextvars
import logging
import signal
import threading

from shared import db, tracing

logger = logging.getLogger("seda")


class _Shutdown:
    """The process's shutdown state, touched only on the event loop that serves requests."""

    def __init__(self):
        self.in_flight = 0
        self.loop = None  # the serving loop, once the SIGTERM handler is installed
        self.server_handler = None  # the server's own SIGTERM handler, which we chain to
        self.requested = False
        self.closing = None  # the task closing the database (kept: the loop holds tasks weakly)


_state = _Shutdown()


def request_started():
    """Count a request in flight; under a server, the first request installs the SIGTERM handler."""
    _state.in_flight += 1
    if _state.server_handler is None:
        _chain_to_server_handler()


def request_finished():
    """Count a request done; after SIGTERM, the last one to finish lets the database close."""
    _state.in_flight -= 1
    if _state.requested:
        _close_when_idle()


def requests_in_flight():
    """Requests this process is serving now, the caller's own included (the load limit reads it, `shared/ratelimit.py`)."""
    return _state.in_flight


def _chain_to_server_handler():
    """Put our handler in front of the server's, when a server that drains on SIGTERM is running us."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach only the main thread; test clients serve from another one
    server_handler = signal.getsignal(signal.SIGTERM)
    if not callable(server_handler):
        return  # SIG_DFL: no server drains connections here, so there is nothing to wait for
    _state.loop = asyncio.get_running_loop()
    _state.server_handler = server_handler
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum, frame):
    """Let the server start draining, and have the loop close the database after the last request."""
    _state.server_handler(signum, frame)
    # A signal handler may interrupt the loop anywhere, even inside a request's context: the
    # thread-safe call defers the work (logging included) to the loop's next turn, in an empty
    # context so the shutdown lines carry no request's id.
    _state.loop.call_soon_threadsafe(_shutdown_requested, context=contextvars.Context())


def _shutdown_requested():
    """Note the first SIGTERM and close the database now if nothing is in flight."""
    if _state.requested:
        return
    _state.requested = True
    logger.info("shutdown requested", extra={"fields": {"requests_in_flight": _state.in_flight}})
    _close_when_idle()


def _close_when_idle():
    """Start closing the database, once, when no request is in flight (outside the last one's context)."""
    if _state.in_flight == 0 and _state.closing is None:
        _state.closing = _state.loop.create_task(_close_database(), context=contextvars.Context())


async def _close_database():
    """Export the spans still buffered (when tracing), close the database and say so (the line an operator looks for
    after a deploy).

    The server stops the loop soon after the last request, cancelling what still waits: so nothing here waits for a
    thread. The spans are exported on the loop itself — it blocks, but nothing is in flight any more — where a hop to
    a thread had let the loop end before the database was closed on a busy machine.
    """
    try:
        tracing.flush()  # nothing (and no import) when tracing is off
    except Exception as exc:  # noqa: BLE001 - losing spans must not keep the database open
        logger.warning(f"exporting the last spans on shutdown failed: {type(exc).__name__}")
    try:
        await db.reset()
    except Exception as exc:  # noqa: BLE001 - the process is ending; report, never raise into the loop
        logger.error(f"closing the database on shutdown failed: {type(exc).__name__}", exc_info=exc)
        return
    logger.info("database closed on shutdown")
