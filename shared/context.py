"""Per-request context: the request id, and structured JSON logging that Cloud Logging parses.

The request id is taken from a sane incoming `X-Request-ID` (1-128 characters of letters,
digits and `-_.:`), otherwise a new UUID4. It lives in a context variable so every log line
written while serving the request carries it.
"""

import contextvars
import logging
import re
import sys
import time
import uuid

import orjson

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_request_id = contextvars.ContextVar("request_id", default=None)

logger = logging.getLogger("seda")


class _CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line with `severity`, `message`, the request id and extra fields."""

    def format(self, record):
        entry = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


class _ServiceLogger(logging.Logger):
    """The "seda" logger, which no logging configuration but this module's can switch off.

    functions-framework calls `logging.config.dictConfig` when `LOG_EXECUTION_ID=true`, after
    it has imported main.py; dictConfig's default `disable_existing_loggers=True` sets
    `disabled` on every logger that exists by then, which silenced every access and error
    line. It names only the root logger, so this logger keeps its handler, level and
    `propagate = False`; refusing `disabled` is all it takes to keep writing.
    """

    @property
    def disabled(self):
        """Never disabled."""
        return False

    @disabled.setter
    def disabled(self, _value):
        """Ignore the request: only this module decides where the service's lines go."""


class _StdoutHandler(logging.StreamHandler):
    """Write to whatever `sys.stdout` is at the time (frameworks and test runners swap it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def _configure_logger():
    """Send the service's logs to stdout as JSON lines, once per process."""
    if logger.handlers:
        return
    # The logger may exist already (the database modules ask for it by name), so its class is
    # changed in place rather than chosen with `logging.setLoggerClass` before creation.
    logger.__class__ = _ServiceLogger
    handler = _StdoutHandler()
    handler.setFormatter(_CloudLoggingFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logging.Formatter.converter = time.gmtime


_configure_logger()


def begin_request(incoming_id):
    """Start a request: choose its id and store it in the context; returns the id."""
    if incoming_id and _SANE_REQUEST_ID.fullmatch(incoming_id):
        request_id = incoming_id
    else:
        request_id = str(uuid.uuid4())
    _request_id.set(request_id)
    return request_id


def current_request_id():
    """The id of the request being served, or None outside a request."""
    return _request_id.get()


def log_request(method, path, status, duration_ms):
    """Write the one access-log line of a request."""
    severity = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    if not logger.isEnabledFor(severity):
        return
    # What `logger.log` does, less its search of the stack for the caller's file and line (no
    # line of ours shows them): that search was a quarter of the access log's cost.
    record = logger.makeRecord(
        logger.name,
        severity,
        __file__,
        0,
        f"{method} {path} {status}",
        (),
        None,
        extra={
            "fields": {
                "httpRequest": {"requestMethod": method, "requestUrl": path, "status": status},
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 2),
            }
        },
    )
    logger.handle(record)
