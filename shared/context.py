"""Per-request context: the request id and trace, and structured JSON logging that Cloud Logging parses.

The request id is taken from a sane incoming `X-Request-ID` (1-128 characters of letters,
digits and `-_.:`), otherwise a new UUID4; the trace from a valid `traceparent` or
`X-Cloud-Trace-Context` (`shared/trace_headers.py`). Both live in context variables, so every
log line written while serving the request carries them.

Every line is one JSON object in Cloud Logging's structured format: `severity`, `message`,
`time`, `logger`, the request id (as `request_id` and in `logging.googleapis.com/labels`), and
within a traced request `logging.googleapis.com/trace` (`projects/<GOOGLE_CLOUD_PROJECT>/traces/<id>`,
the bare id without a project), `logging.googleapis.com/spanId` (16 hex digits: the span this
service opened when OpenTelemetry traces it, else the caller's) and
`logging.googleapis.com/trace_sampled`. A request's access line adds `httpRequest` (Cloud
Logging's HttpRequest: method, URL, status, sizes, user agent, remote IP, latency as `"0.012s"`,
protocol) and flat fields for log-based metrics (`shared/http.py` chooses them). Values are
JSON-escaped by orjson, so no header or path can break a line or add one.

Under `LOG_EXECUTION_ID=true` functions-framework rewrites each line on its way out: it adds
its `execution_id` to the labels (ours stay) and, when `X-Cloud-Trace-Context` came, replaces
`logging.googleapis.com/spanId` with that header's decimal span id, which Cloud Logging does
not match to a span; leave that variable unset where spans should link.
"""

import contextvars
import logging
import re
import sys
import time
import uuid

import orjson

from shared import config

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_request_id = contextvars.ContextVar("request_id", default=None)
_trace = contextvars.ContextVar("trace", default=None)  # a trace_headers.TraceContext
_db_time = contextvars.ContextVar("db_time", default=None)  # [seconds]: the request's statements so far
_log_fields = contextvars.ContextVar("log_fields", default=None)  # what a handler adds to its access line
_LABELS = "logging.googleapis.com/labels"
_TRACE = "logging.googleapis.com/trace"
_SPAN_ID = "logging.googleapis.com/spanId"
_TRACE_SAMPLED = "logging.googleapis.com/trace_sampled"

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
            entry[_LABELS] = {"request_id": request_id}
        trace = _trace.get()
        if trace is not None:
            entry.update(_trace_fields(trace))
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


def _trace_fields(trace):
    """Cloud Logging's trace fields for a TraceContext."""
    project = config.settings().observability.trace_project
    return {
        _TRACE: f"projects/{project}/traces/{trace.trace_id}" if project else trace.trace_id,
        _SPAN_ID: trace.span_id,
        _TRACE_SAMPLED: trace.sampled,
    }


def begin_request(incoming_id, trace=None):
    """Start a request: choose its id and store it and its `trace` (or None) in the context; returns the id."""
    if incoming_id and _SANE_REQUEST_ID.fullmatch(incoming_id):
        request_id = incoming_id
    else:
        request_id = str(uuid.uuid4())
    _request_id.set(request_id)
    _trace.set(trace)
    _db_time.set([0.0])
    _log_fields.set({})
    return request_id


def add_log_fields(**fields):
    """Fields for the request's access line, for log-based metrics (outside a request: nowhere)."""
    added = _log_fields.get()
    if added is not None:
        added.update(fields)


def added_log_fields():
    """The fields handlers added to the request's access line."""
    return _log_fields.get() or {}


def add_db_time(seconds):
    """Count `seconds` a statement took toward the request's database time (outside a request: nowhere)."""
    spent = _db_time.get()
    if spent is not None:
        spent[0] += seconds


def db_time_s():
    """Seconds the request's statements have taken so far (they are awaited one after another)."""
    spent = _db_time.get()
    return spent[0] if spent is not None else 0.0


def set_trace(trace):
    """Make `trace` the request's from here on (the span this service opened, `shared/tracing.py`)."""
    _trace.set(trace)


def current_request_id():
    """The id of the request being served, or None outside a request."""
    return _request_id.get()


def log_request(method, path, status, http_request, fields):
    """Write the one access-log line of a request: Cloud Logging's `http_request` and the flat `fields`."""
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
        extra={"fields": {"httpRequest": http_request, "method": method, "path": path, "status": status, **fields}},
    )
    logger.handle(record)
