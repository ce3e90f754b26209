"""OpenTelemetry tracing for real, with the SDK's in-memory span exporter: a server span per request, child of the
trace it came with, a child span per statement, log lines naming the span; nothing at all when not configured.

The SDK allows one tracer provider per process: this module installs one holding an in-memory exporter, which the
service then uses (as it would `opentelemetry-instrument`'s). What a process imports, and the provider the service
builds from the environment alone, are checked in fresh processes (tests/test_cold_start.py).
"""

import json
import signal

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from conftest import kill_server, make_client, start_server, wait_for

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CLOUD_TRACE_ID = "105445aa7843bc8bf206b12000100000"
CONFIGURED = {"OTEL_TRACES_EXPORTER": "console"}  # any exporter named turns tracing on; the installed provider wins


@pytest.fixture(scope="module")
def exported():
    """The in-memory exporter behind the process's tracer provider."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    assert trace.get_tracer_provider() is provider, "another test installed a tracer provider first"
    return exporter


@pytest.fixture
def spans(exported, settings_env):
    """A function giving the spans finished so far by this test, with tracing configured."""
    settings_env(**CONFIGURED)
    exported.clear()
    return exported.get_finished_spans


def _hex(number, digits):
    return f"{number:0{digits}x}"


def test_a_request_is_a_server_span_child_of_its_traceparent_with_a_span_per_statement(spans, capsys):
    with make_client("api") as client:
        capsys.readouterr()
        response = client.get("/api/v1/substations/1", headers={
            "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01", "X-Request-ID": "traced"})
    assert response.status_code == 200
    finished = spans()
    (server,) = [span for span in finished if span.kind is trace.SpanKind.SERVER]
    assert server.name == "GET /api/v1/substations/<id>"
    assert _hex(server.context.trace_id, 32) == TRACE_ID
    assert server.parent is not None and _hex(server.parent.span_id, 16) == CALLER_SPAN and server.parent.is_remote
    assert server.attributes["http.route"] == "/api/v1/substations/<id>"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["http.request.method"] == "GET"
    statements = [span for span in finished if span is not server]
    assert statements and all(span.parent.span_id == server.context.span_id for span in statements)
    assert {span.name for span in statements} == {"SELECT"}
    assert all(span.attributes["db.system.name"] == "sqlite" and "FROM substation" in span.attributes["db.query.text"]
               for span in statements)
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines() if '"traced"' in text]
    # The log line names this service's span, so Cloud Logging and the trace viewer show them together.
    assert line["logging.googleapis.com/trace"] == TRACE_ID
    assert line["logging.googleapis.com/spanId"] == _hex(server.context.span_id, 16)


def test_x_cloud_trace_context_is_a_parent_too_and_a_5xx_span_is_an_error(spans, demo_db):
    moved = demo_db.with_name("moved.sqlite3")
    with make_client("api") as client:
        demo_db.rename(moved)
        try:
            response = client.get("/api/v1/substations", headers={"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/1;o=1"})
        finally:
            moved.rename(demo_db)
    assert response.status_code == 503
    (server,) = [span for span in spans() if span.kind is trace.SpanKind.SERVER]
    assert _hex(server.context.trace_id, 32) == CLOUD_TRACE_ID and server.parent.span_id == 1
    assert server.status.status_code is trace.StatusCode.ERROR
    assert server.name == "GET /api/v1/substations"


def test_without_a_trace_header_the_span_starts_a_trace(spans):
    with make_client("equipment") as client:
        assert client.get("/").status_code == 200
    (server,) = [span for span in spans() if span.kind is trace.SpanKind.SERVER]
    assert server.parent is None and server.name == "GET /api/v1/equipment"


@pytest.mark.parametrize("environment", [{}, {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"},
                                         {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}])
def test_not_configured_or_turned_off_nothing_is_traced(exported, settings_env, environment):
    settings_env(**environment)
    exported.clear()
    with make_client("api") as client:
        assert client.get("/api/v1/substations/1", headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"}
                          ).status_code == 200
    assert exported.get_finished_spans() == ()


def test_spans_still_buffered_are_exported_when_the_server_shuts_down(demo_db, free_port, tmp_path):
    output = tmp_path / "stdout.log"
    # The batch processor would wait ten minutes before exporting on its own; the process ends well before.
    with output.open("w") as stdout:
        server = start_server("api", demo_db, free_port, stdout=stdout, OTEL_TRACES_EXPORTER="console",
                              OTEL_BSP_SCHEDULE_DELAY="600000")
    try:
        wait_for(f"http://127.0.0.1:{free_port}/api/v1/health/live", server)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    finally:
        kill_server(server)
    written = output.read_text()
    assert '"name": "GET /api/v1/health/live"' in written
    assert written.index('"name": "GET /api/v1/health/live"') < written.index("database closed on shutdown")
