"""Optional OpenTelemetry tracing: a span per request, a child span per SQL statement; off and free otherwise.

On when OpenTelemetry's own variables name an exporter or an endpoint (`OTEL_TRACES_EXPORTER`,
`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; `OTEL_SDK_DISABLED=true` or
`OTEL_TRACES_EXPORTER=none` keep it off: `shared/config/observability.py`) and its packages are
installed (`opentelemetry-sdk`, plus the exporter's: `opentelemetry-exporter-otlp-proto-http` for
`otlp`). Otherwise nothing of OpenTelemetry is imported and each request pays one settings
lookup. Configured but not installed, the first request logs a warning once and serves without.

The tracer provider is the one already installed (`opentelemetry-instrument`, or a program that
embeds the service) or else one made here from the environment: the exporters
`OTEL_TRACES_EXPORTER` names (comma-separated, default `otlp`), found by the entry points the
exporter packages register (`opentelemetry_traces_exporter`), behind a batch processor; the
service name `OTEL_SERVICE_NAME` (default `seda`); sampling as `OTEL_TRACES_SAMPLER` says (the
SDK reads it). Spans are flushed when the database closes on shutdown (`shared/lifecycle.py`).

A request's span (kind SERVER, named `<method> <route template>`) is the child of the trace the
request came with (`shared/trace_headers.py`: `traceparent` or `X-Cloud-Trace-Context`), and its
ids become the log lines' trace and span (`shared/context.py`), so logs and spans correlate.
Statements (`shared/db/interface.observed`) are its children, named by their first keyword, with
the statement's text (binds are names, never values) as `db.query.text`.
"""

import contextlib
import functools
import os

from shared import config, context
from shared.trace_headers import TraceContext

_EXPORTER_ENTRY_POINTS = "opentelemetry_traces_exporter"
_DEFAULT_EXPORTER = "otlp"
_DEFAULT_SERVICE_NAME = "seda"
_INSTRUMENTATION = "seda"
_INSTALL_HINT = "pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http"


def tracer():
    """The service's tracer when tracing is configured and installed, else None (OpenTelemetry stays unimported)."""
    if not config.settings().observability.tracing:
        return None
    return _tracer()


@functools.cache  # one provider per process
def _tracer():
    """The tracer of the installed provider, or of one made from the environment; None (said once) when it cannot be."""
    try:
        from opentelemetry import trace  # noqa: PLC0415 - imported only when tracing is configured
    except ImportError:
        context.logger.warning(f"OTEL_* variables turn tracing on but OpenTelemetry is not installed ({_INSTALL_HINT});"
                               " serving without traces")
        return None
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):  # none installed yet
        provider = _provider_from_environment()
        if provider is None:
            return None
        trace.set_tracer_provider(provider)
    return trace.get_tracer(_INSTRUMENTATION)


def _provider_from_environment():
    """An SDK tracer provider exporting to what OTEL_TRACES_EXPORTER names; None (logged) when that is not installed."""
    from importlib.metadata import entry_points  # noqa: PLC0415

    try:
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError:
        context.logger.warning(f"OTEL_* variables turn tracing on but opentelemetry-sdk is not installed "
                               f"({_INSTALL_HINT}); serving without traces")
        return None
    names = [name.strip() for name in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if name.strip()]
    exporters = []
    for name in names or [_DEFAULT_EXPORTER]:
        found = entry_points(group=_EXPORTER_ENTRY_POINTS, name=name)
        if not found:
            context.logger.warning(f"no OpenTelemetry span exporter named {name!r} is installed ({_INSTALL_HINT} for "
                                   "otlp); serving without traces")
            return None
        exporters.append(next(iter(found)).load()())
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: _DEFAULT_SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def request_span(request, trace):
    """A context manager around serving `request`: its span (yielded) when tracing is on, else None."""
    active = tracer()
    if active is None:
        return contextlib.nullcontext()
    return _request_span(active, request, trace)


@contextlib.contextmanager
def _request_span(active, request, trace):
    """The request's server span, child of the caller's `trace` (a TraceContext or None); logs name it from here."""
    from opentelemetry import trace as otel  # noqa: PLC0415

    parent = None
    if trace is not None:
        caller = otel.SpanContext(int(trace.trace_id, 16), int(trace.span_id, 16), is_remote=True,
                                  trace_flags=otel.TraceFlags(otel.TraceFlags.SAMPLED if trace.sampled else 0))
        parent = otel.set_span_in_context(otel.NonRecordingSpan(caller))
    attributes = {"http.request.method": request.method, "url.path": request.scope["path"],
                  "url.scheme": request.url.scheme}
    with active.start_as_current_span(request.method, context=parent, kind=otel.SpanKind.SERVER,
                                      attributes=attributes, record_exception=False,
                                      set_status_on_exception=False) as span:
        ids = span.get_span_context()
        if ids.is_valid:
            context.set_trace(TraceContext(otel.format_trace_id(ids.trace_id), otel.format_span_id(ids.span_id),
                                           ids.trace_flags.sampled))
        yield span


def finish_request_span(span, method, route, status):
    """Name the request's span by its route once routed, and record its status (5xx is an error)."""
    from opentelemetry.trace import Status, StatusCode  # noqa: PLC0415

    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def statement_span(sql, dialect):
    """A context manager around one statement (`sql` as a handler wrote it, for `dialect`): its child span when
    tracing is on, else nothing."""
    active = tracer()
    if active is None:
        return contextlib.nullcontext()
    text = dialect.render(sql)
    return active.start_as_current_span(text.split(None, 1)[0].upper(),
                                        attributes={"db.system.name": dialect.name, "db.query.text": text})


def flush():
    """Export the spans still buffered (on shutdown: the process may end before the batch processor's next turn)."""
    if tracer() is None:
        return
    from opentelemetry import trace  # noqa: PLC0415

    force_flush = getattr(trace.get_tracer_provider(), "force_flush", None)
    if force_flush is not None:
        force_flush()
