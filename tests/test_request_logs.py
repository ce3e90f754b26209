"""Log lines in Cloud Logging's structured format: severity, httpRequest, trace and span from either trace header,
the request id as a label; malformed or hostile headers change nothing and never reach a line; keys never do."""

import http.client
import json
import re

import pytest

from conftest import API_KEY, kill_server, make_client, start_server, wait_for

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
CLOUD_TRACE_ID = "105445aa7843bc8bf206b12000100000"
TRACE = "logging.googleapis.com/trace"
SPAN_ID = "logging.googleapis.com/spanId"
SAMPLED = "logging.googleapis.com/trace_sampled"
LABELS = "logging.googleapis.com/labels"


def _lines(capsys):
    """Every line written so far, each parsed as JSON (a line that is not would fail here)."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _access_line(client, capsys, path="/api/v1/substations/1", request_id="logged", **headers):
    """The one access-log line of a GET of `path`, and the raw output it came in."""
    capsys.readouterr()
    client.get(path, headers={"X-Request-ID": request_id, **headers})
    output = capsys.readouterr().out
    lines = [json.loads(line) for line in output.splitlines()]
    access = [line for line in lines if line.get("request_id") == request_id and "httpRequest" in line]
    assert len(access) == 1, output
    return access[0], output


def test_the_access_line_carries_cloud_loggings_http_request_and_flat_fields(client, capsys):
    line, _ = _access_line(client, capsys, "/api/v1/equipment?limit=2", **{"User-Agent": "lab-sync/2.1"})
    assert line["severity"] == "INFO" and line["message"] == "GET /api/v1/equipment 200"
    http_request = line["httpRequest"]
    assert {key: http_request[key] for key in ("requestMethod", "requestUrl", "status", "userAgent", "protocol")} == {
        "requestMethod": "GET", "requestUrl": "http://testserver/api/v1/equipment?limit=2", "status": 200,
        "userAgent": "lab-sync/2.1", "protocol": "HTTP/1.1"}
    assert re.fullmatch(r"[0-9]+\.[0-9]{6}s", http_request["latency"])
    assert int(http_request["responseSize"]) > 0 and http_request["remoteIp"] == "testclient"
    assert line[LABELS] == {"request_id": "logged"} and line["request_id"] == "logged"
    assert {key: line[key] for key in ("target", "route", "status", "rate_limit")} == {
        "target": "api", "route": "/api/v1/equipment", "status": 200, "rate_limit": "admitted"}
    assert line["latency_ms"] >= line["db_ms"] > 0  # the page's read was timed
    assert TRACE not in line  # no trace header, no trace


def test_a_traceparent_names_the_trace_and_span_of_every_line_of_the_request(settings_env, capsys):
    settings_env(GOOGLE_CLOUD_PROJECT="seda-prod-1")
    with make_client("api") as client:
        line, _ = _access_line(client, capsys, traceparent=TRACEPARENT)
    assert line[TRACE] == f"projects/seda-prod-1/traces/{TRACE_ID}"
    assert line[SPAN_ID] == "00f067aa0ba902b7" and line[SAMPLED] is True


def test_x_cloud_trace_context_gives_the_trace_and_its_decimal_span_id_in_hex(client, capsys):
    line, _ = _access_line(client, capsys, **{"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/1;o=1"})
    assert line[TRACE] == CLOUD_TRACE_ID  # no GOOGLE_CLOUD_PROJECT: the bare id
    assert line[SPAN_ID] == "0000000000000001" and line[SAMPLED] is True
    line, _ = _access_line(client, capsys, **{"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID.upper()}/18446744073709551615"})
    assert line[TRACE] == CLOUD_TRACE_ID and line[SPAN_ID] == "ffffffffffffffff" and line[SAMPLED] is False
    both = {"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/1;o=1", "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-00"}
    line, _ = _access_line(client, capsys, **both)
    assert (line[TRACE], line[SPAN_ID], line[SAMPLED]) == (TRACE_ID, "00f067aa0ba902b7", False)  # traceparent wins


@pytest.mark.parametrize("headers", [
    {"traceparent": f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01"},  # uppercase
    {"traceparent": f"ff-{TRACE_ID}-00f067aa0ba902b7-01"},  # the invalid version
    {"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"},  # a zero trace id
    {"traceparent": f"00-{TRACE_ID}-{'0' * 16}-01"},  # a zero span id
    {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01-extra"},  # version 00 has four fields
    {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7"},
    {"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/18446744073709551616;o=1"},  # past 64 bits
    {"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/0;o=1"},
    {"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/12;o=2"},
    {"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID[:-1]}g/12;o=1"},
    {"X-Cloud-Trace-Context": f'{CLOUD_TRACE_ID}/12;o=1","severity":"CRITICAL'},  # an injection attempt
])
def test_a_malformed_trace_header_is_ignored_whole_and_never_logged(client, capsys, headers):
    line, output = _access_line(client, capsys, **headers)
    assert TRACE not in line and SPAN_ID not in line and line["severity"] == "INFO"
    for header_value in headers.values():
        assert header_value not in output and header_value.upper() not in output.upper()


def _get(port, path, headers):
    """GET `path` from the server on `port` with `headers`, a list of (name, value): a name may come twice."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path)
        for name, header_value in headers:
            connection.putheader(name, header_value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_on_a_real_server_the_line_names_the_peer_and_a_trace_header_sent_twice_is_ignored(demo_db, free_port,
                                                                                            tmp_path):
    output = tmp_path / "stdout.log"
    with output.open("w") as stdout:
        server = start_server("api", demo_db, free_port, stdout=stdout)
    try:
        wait_for(f"http://127.0.0.1:{free_port}/api/v1/health/live", server)
        twice = _get(free_port, "/api/v1/health/live",
                     [("X-Request-ID", "twice"), ("traceparent", TRACEPARENT), ("traceparent", TRACEPARENT)])
        once = _get(free_port, "/api/v1/health/live?probe=1",
                    [("X-Request-ID", "once"), ("traceparent", TRACEPARENT), ("User-Agent", "probe")])
    finally:
        kill_server(server)
    assert (twice, once) == (200, 400)  # the live probe takes no query: a 400 is logged as well
    lines = {line.get("request_id"): line for line in map(json.loads, (
        text for text in output.read_text().splitlines() if text.startswith("{")))}
    assert TRACE not in lines["twice"]
    assert lines["once"][TRACE] == TRACE_ID and lines["once"]["severity"] == "WARNING"
    assert lines["once"]["httpRequest"] | {"latency": None} == {
        "requestMethod": "GET", "requestUrl": f"http://127.0.0.1:{free_port}/api/v1/health/live?probe=1",
        "status": 400, "latency": None, "protocol": "HTTP/1.1", "remoteIp": "127.0.0.1", "userAgent": "probe",
        "responseSize": lines["once"]["httpRequest"]["responseSize"]}
    assert lines["once"]["target"] == "api" and lines["once"]["route"] == "/api/v1/health/live"


def test_hostile_header_and_path_values_stay_inside_one_json_line(client, capsys):
    agent = 'x"}\n{"severity":"CRITICAL","message":"forged"}' + "\u2028" + "a" * 2000
    capsys.readouterr()
    client.get("/api/v1/substations/%22%7D%2C%7B%22severity%22%3A%22CRITICAL%22%7D",
               headers={"X-Request-ID": "hostile", "User-Agent": agent.encode("utf-8")})
    lines = _lines(capsys)  # every line parses
    assert [line["severity"] for line in lines if line.get("request_id") == "hostile"] == ["WARNING"]  # the 400
    assert not any(line.get("message") == "forged" for line in lines)
    (line,) = [line for line in lines if line.get("request_id") == "hostile"]
    assert len(line["httpRequest"]["userAgent"]) == 512


def test_keys_never_reach_a_log_line(settings_env, capsys):
    wrong = "not-the-key-but-long-enough-0123"
    settings_env(SEDA_API_KEYS=f"ops@read={API_KEY}", SEDA_REQUIRE_KEYS_FOR_READS="true")
    with make_client("api") as client:
        capsys.readouterr()
        statuses = [client.get("/api/v1/substations", headers={"Authorization": f"Bearer {API_KEY}"}).status_code,
                    client.get("/api/v1/substations", headers={"X-API-Key": wrong}).status_code,
                    client.post("/api/v1/equipment", json={}, headers={"X-API-Key": API_KEY}).status_code]
        output = capsys.readouterr().out
    assert statuses == [200, 401, 403]
    assert len(output.splitlines()) >= 3
    assert API_KEY not in output and wrong not in output


def test_a_line_logged_while_serving_carries_the_requests_trace_and_id(client, capsys, demo_db):
    moved = demo_db.with_name("moved-away.sqlite3")
    demo_db.rename(moved)
    try:
        capsys.readouterr()
        client.get("/api/v1/substations", headers={"X-Request-ID": "gone", "traceparent": TRACEPARENT})
        lines = [line for line in _lines(capsys) if line.get("request_id") == "gone"]
    finally:
        moved.rename(demo_db)
    assert [line["severity"] for line in lines] == ["ERROR", "ERROR"]  # why it failed, then the 503 access line
    assert all(line[TRACE] == TRACE_ID and line[LABELS] == {"request_id": "gone"} for line in lines)
    assert "httpRequest" not in lines[0] and lines[1]["httpRequest"]["status"] == 503


@pytest.mark.parametrize(("environment", "named"), [
    ({"GOOGLE_CLOUD_PROJECT": "Not A Project"}, "GOOGLE_CLOUD_PROJECT must be a Google Cloud project id"),
    ({"SEDA_METRICS_BACKLOG_TTL_S": "-5"}, "SEDA_METRICS_BACKLOG_TTL_S must be at least 0"),
    ({"SEDA_METRICS_PUBLIC": "perhaps"}, "SEDA_METRICS_PUBLIC must be true or false"),
])
def test_bad_observability_settings_stop_start_up_naming_the_variable(settings_env, environment, named):
    from shared import config

    settings_env(**environment)
    with pytest.raises(RuntimeError, match=named):
        config.settings()


def test_the_access_line_says_how_many_database_sessions_are_in_use(client, capsys):
    line, _ = _access_line(client, capsys, "/api/v1/equipment?limit=2")
    assert line["db_sessions_in_use"] == 0  # the page's session is back before the line is written
    assert line["db_sessions_limit"] == 16  # SEDA_SQLITE_MAX_SESSIONS' default


def test_a_catch_up_call_logs_the_backlog_left_for_log_based_metrics(settings_env, demo_db, capsys):
    import sqlite3

    with sqlite3.connect(demo_db) as connection:
        connection.execute("UPDATE dga_diagnosis SET fingerprint = 'older engine' WHERE equipment_id IN (1, 2, 3)")
    connection.close()
    settings_env(SEDA_API_KEYS=API_KEY, SEDA_PENDING_BATCH_UNITS="2", SEDA_PENDING_TIME_BUDGET_S="0")
    logged = []
    with make_client("api") as client:
        for _ in range(2):
            capsys.readouterr()
            assert client.post("/api/v1/diagnose-pending", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
            logged += [line for line in _lines(capsys) if line.get("route") == "/api/v1/diagnose-pending"]
    assert [(line["verdicts_backlog_stale"], line["verdicts_backlog_units"]) for line in logged][1] == (0, 0)
    first = logged[0]
    assert first["verdicts_backlog_units"] == 1 and first["verdicts_backlog_stale"] > 0  # two of three units done
    assert first["verdicts_backlog_pending"] == 0


def test_a_download_is_logged_and_timed_once_its_body_has_been_sent(demo_db, capsys):
    """Driven as the server drives the app: the access line must not exist yet while any body chunk is sent."""
    import asyncio

    import functions_framework

    from conftest import MAIN

    app = functions_framework.create_app("api", MAIN)
    sent, logged_while_sending = [], []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/v1/measurements", "raw_path": b"/api/v1/measurements", "root_path": "",
             "query_string": b"format=csv", "headers": [(b"host", b"testserver"), (b"x-request-id", b"download")],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}

    requested = []

    async def receive():
        if requested:  # the client stays connected: the next message would be its disconnect
            await asyncio.Event().wait()
        requested.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.body":
            logged_while_sending.append('"request_id":"download"' in capsys.readouterr().out)
        sent.append(message)

    capsys.readouterr()
    asyncio.run(app(scope, receive, send))
    lines = [line for line in _lines(capsys) if line.get("request_id") == "download" and "httpRequest" in line]
    assert sent[0]["status"] == 200 and len(sent) > 2  # headers, then the body in several chunks
    assert logged_while_sending and not any(logged_while_sending)
    assert len(lines) == 1 and lines[0]["route"] == "/api/v1/measurements" and lines[0]["status"] == 200
