"""The metrics path: Prometheus text that parses, counts that move with real requests, who may scrape it.

Counts are the test process's since it started (every test's requests add to them), so each
test compares two scrapes around what it does. The parser is prometheus_client's own.
"""

import contextlib
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import API_KEY, kill_server, make_client, start_server, write_lock_held
from contract import error_body
from shared import metrics

METRICS_KEY = "metrics-scrape-key-0123456789"
READ_KEY = "read-only-key-0123456789abc"
KEYS = f"prometheus@metrics={METRICS_KEY},portal@read={READ_KEY},{API_KEY}"
SCRAPE = {"Authorization": f"Bearer {METRICS_KEY}"}
GUARD_S = 30  # against hangs only


def samples(text):
    """{(sample name, frozenset of labels): value} of a Prometheus text exposition (fails on a malformed one)."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(client, headers=SCRAPE):
    """The parsed metrics of one scrape, checking it is Prometheus text."""
    response = client.get("/api/v1/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    return samples(response.text)


def value(scraped, name, **labels):
    """One sample's value; 0 when the series does not exist yet."""
    return scraped.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scraper(settings_env):
    """The whole API with a metrics key, a read key and an all-scope key configured."""
    settings_env(SEDA_API_KEYS=KEYS)
    with make_client("api") as client:
        yield client


def test_requests_are_counted_by_target_route_method_and_status_class(scraper):
    before = scrape(scraper)
    for _ in range(3):
        assert scraper.get("/api/v1/equipment?limit=2").status_code == 200
    assert scraper.get("/api/v1/equipment/999999").status_code == 404
    assert scraper.get("/api/v1/equipment/abc").status_code == 400  # a malformed id, on the item's route
    assert scraper.put("/api/v1/equipment", json={}).status_code == 405
    assert scraper.get("/api/v1/no-such-resource").status_code == 404
    after = scrape(scraper)

    def moved(**labels):
        return value(after, "seda_http_requests_total", **labels) - value(before, "seda_http_requests_total", **labels)

    assert moved(target="api", route="/api/v1/equipment", method="GET", status="2xx") == 3
    assert moved(target="api", route="/api/v1/equipment/<id>", method="GET", status="4xx") == 2
    assert moved(target="api", route="/api/v1/equipment", method="PUT", status="4xx") == 1
    assert moved(target="api", route="unmatched", method="GET", status="4xx") == 1
    # The first scrape is counted too, as the metrics route.
    assert moved(target="api", route="/api/v1/metrics", method="GET", status="2xx") == 1
    # A raw path never becomes a label: the unknown one is `unmatched`, the item one its template.
    routes = {dict(labels).get("route") for name, labels in after if name == "seda_http_requests_total"}
    assert not routes & {"/api/v1/no-such-resource", "/api/v1/equipment/999999", "/api/v1/equipment/abc"}


def test_a_requests_latency_lands_in_the_bucket_that_holds_it(scraper):
    series = {"target": "api", "route": "/api/v1/substations/<id>", "method": "GET"}
    before = scrape(scraper)
    assert scraper.get("/api/v1/substations/1").status_code == 200
    after = scrape(scraper)
    name = "seda_http_request_duration_seconds"

    def moved(sample, **more):
        return value(after, sample, **series, **more) - value(before, sample, **series, **more)

    assert moved(f"{name}_count") == 1
    seconds = moved(f"{name}_sum")
    bounds = [*metrics.LATENCY_BUCKETS_S, float("inf")]
    grew = [bound for bound in bounds if moved(f"{name}_bucket", le=_le(bound)) == 1]
    # Cumulative buckets: every bound from the first that holds the request on counts it once, none below.
    assert grew == bounds[bounds.index(grew[0]):]
    lower = bounds[bounds.index(grew[0]) - 1] if grew[0] != bounds[0] else 0.0
    assert lower < seconds <= grew[0]


def _le(bound):
    """The `le` label of a bucket bound, as the exposition writes it."""
    return "+Inf" if bound == float("inf") else str(bound)


def test_a_real_client_budget_429_is_counted_and_logged_with_its_reason(settings_env, capsys):
    settings_env(SEDA_API_KEYS=KEYS, SEDA_RATE_LIMIT_PER_MINUTE="60", SEDA_RATE_LIMIT_BURST="2")
    with make_client("api") as client:
        before = scrape(client)
        statuses = [client.get("/api/v1/substations", headers={"X-Request-ID": f"budget-{n}"}).status_code
                    for n in range(3)]
        after = scrape(client)  # never limited: the scrape is exempt, even for a client out of budget
    assert statuses == [200, 200, 429]
    rejections = "seda_rate_limit_rejections_total"
    assert value(after, rejections, type="A", reason="client_budget") - value(
        before, rejections, type="A", reason="client_budget") == 1
    lines = {line["request_id"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())
             if line.get("request_id", "").startswith("budget-")}
    assert lines["budget-2"]["rate_limit"] == "refused" and lines["budget-2"]["rate_limit_reason"] == "client_budget"
    assert lines["budget-0"]["rate_limit"] == "admitted" and "rate_limit_reason" not in lines["budget-0"]


def test_the_scrape_needs_a_metrics_key_unless_the_deployment_opens_it(scraper, settings_env):
    error_body(scraper.get("/api/v1/metrics"), 401, "Unauthorized")
    refused = error_body(scraper.get("/api/v1/metrics", headers={"Authorization": f"Bearer {READ_KEY}"}), 403,
                         "Forbidden")
    assert "'metrics'" in refused["message"]
    assert scraper.get("/api/v1/metrics", headers={"X-API-Key": API_KEY}).status_code == 200  # every scope
    operation = scraper.get("/api/v1/openapi.json").json()["paths"]["/api/v1/metrics"]["get"]
    assert operation["security"] == [{"bearer": ["metrics"]}, {"apiKey": ["metrics"]}]
    assert "text/plain" in operation["responses"]["200"]["content"] and "429" not in operation["responses"]
    # A metrics key reads no data.
    error_body(scraper.get("/api/v1/audit", headers=SCRAPE), 403, "Forbidden")

    settings_env(SEDA_METRICS_PUBLIC="true")
    with make_client("api") as client:
        assert "seda_http_requests_in_flight" in {name for name, _ in scrape(client, headers={})}
        assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/metrics"]["get"]["security"] == []


def test_the_backlog_counts_samples_without_a_current_verdict_and_is_served_from_its_count_until_the_ttl(
        settings_env, demo_db):
    settings_env(SEDA_API_KEYS=KEYS, SEDA_METRICS_BACKLOG_TTL_S="3600")
    with make_client("api") as client:
        first = scrape(client)
        assert value(first, "seda_verdicts_backlog_samples", kind="pending") == 0
        assert value(first, "seda_verdicts_backlog_units") == 0
        counted_at = value(first, "seda_verdicts_backlog_counted_timestamp_seconds")
        assert abs(counted_at - time.time()) < 3600
        _insert_samples_without_verdicts(demo_db, 3)
        cached = scrape(client)  # within the TTL: the same count, no new scan
        assert value(cached, "seda_verdicts_backlog_samples", kind="pending") == 0
        assert value(cached, "seda_verdicts_backlog_counted_timestamp_seconds") == counted_at

    settings_env(SEDA_API_KEYS=KEYS, SEDA_METRICS_BACKLOG_TTL_S="1")
    with make_client("api") as client:
        counted = scrape(client)  # new settings, new database object: counted afresh
    assert value(counted, "seda_verdicts_backlog_samples", kind="pending") == 3
    assert value(counted, "seda_verdicts_backlog_units") == 1

    settings_env(SEDA_API_KEYS=KEYS, SEDA_METRICS_BACKLOG_TTL_S="0")
    with make_client("api") as client:
        assert not any(name.startswith("seda_verdicts_backlog") for name, _ in scrape(client))


def _insert_samples_without_verdicts(database, count):
    """Complete samples of unit 1 written straight into the file, as a loader would (no verdict stored)."""
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        connection.executemany(
            "INSERT INTO dga_sample (equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2) "
            "VALUES (1, ?, 10, 5, 3, 2, 0, 200, 1500)", [(f"2040-01-{day:02d} 00:00:00",) for day in range(1, count + 1)])


def _call(port, path, method="GET", data=None, **headers):
    """(status, body) of one request to the server on `port`."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=GUARD_S) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _until(condition, what):
    """Poll `condition()` until it returns something true (a hang guard, not a timing)."""
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline:
        if result := condition():
            return result
    raise AssertionError(f"never saw {what} within {GUARD_S} s")


def test_a_held_session_shows_in_the_gauges_and_the_429_it_causes_is_counted_on_a_real_server(demo_db, free_port):
    sample = json.dumps([{"equipment_id": 1, "sampled_at": "2041-01-01T00:00:00Z", "h2": 1.0}]).encode()
    port = free_port
    server = start_server("api", demo_db, port, SEDA_SQLITE_MAX_SESSIONS="1", SEDA_SQLITE_SESSION_WAIT_MS="100",
                          SEDA_SQLITE_BUSY_TIMEOUT_MS="60000", SEDA_API_KEYS=API_KEY, SEDA_METRICS_PUBLIC="true",
                          SEDA_METRICS_BACKLOG_TTL_S="0")
    try:
        with write_lock_held(demo_db):
            writer = threading.Thread(target=_call, args=(port, "/api/v1/measurements", "POST", sample), kwargs={
                "Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"})
            writer.start()  # takes the only session, then waits for the lock
            _until(lambda: _call(port, "/api/v1/substations")[0] == 429, "a 429 while the only session is held")
            held = samples(_call(port, "/api/v1/metrics")[1])
        writer.join(timeout=GUARD_S)
        released = samples(_call(port, "/api/v1/metrics")[1])
    finally:
        kill_server(server)
    assert value(held, "seda_db_sessions_in_use", database="sqlite") == 1
    assert value(held, "seda_db_sessions_limit", database="sqlite") == 1
    assert value(held, "seda_http_requests_in_flight") == 2  # the waiting write and the scrape
    assert value(held, "seda_rate_limit_rejections_total", type="B", reason="sqlite_sessions") >= 1
    assert value(held, "seda_http_requests_total", target="api", route="/api/v1/substations", method="GET",
                 status="4xx") >= 1
    assert value(released, "seda_db_sessions_in_use", database="sqlite") == 0
    assert value(released, "seda_http_requests_total", target="api", route="/api/v1/measurements", method="POST",
                 status="2xx") == 1
    assert value(released, "process_resident_memory_bytes") > 0


def test_a_resource_deployed_alone_names_itself_as_the_target(settings_env):
    settings_env(SEDA_API_KEYS=KEYS, SEDA_METRICS_PUBLIC="true")
    with make_client("substations") as alone, make_client("metrics") as scraper:
        before = scrape(scraper, headers={})
        assert alone.get("/").status_code == 200
        after = scrape(scraper, headers={})
    labels = {"target": "substations", "route": "/api/v1/substations", "method": "GET", "status": "2xx"}
    assert value(after, "seda_http_requests_total", **labels) - value(before, "seda_http_requests_total", **labels) == 1
    assert value(after, "seda_http_requests_total", target="metrics", route="/api/v1/metrics", method="GET",
                 status="2xx") >= 1


def test_every_resource_target_name_is_the_one_main_routes():
    import main
    from shared import http

    for segment, (_, handler_name) in main._ROUTES.items():
        assert http.target_name(segment) == handler_name, segment


def test_the_scrape_answers_while_the_database_is_gone(scraper, demo_db):
    with contextlib.ExitStack() as moved:
        for suffix in ("", "-wal", "-shm"):
            path = demo_db.with_name(demo_db.name + suffix)
            if path.exists():
                path.rename(path.with_name(f"gone-{path.name}"))
                moved.callback(path.with_name(f"gone-{path.name}").rename, path)
        error_body(scraper.get("/api/v1/substations"), 503, "DatabaseUnavailable")
        scraped = scrape(scraper)
    assert value(scraped, "seda_http_requests_total", target="api", route="/api/v1/substations", method="GET",
                 status="5xx") >= 1


def test_on_oracle_the_gauges_read_the_real_pool_and_a_database_that_refuses_leaves_the_scrape_answering(
        settings_env, misbehaving_listener):
    listener = misbehaving_listener("refuse")
    settings_env(ORACLE_USER="seda", ORACLE_PASSWORD="s3cret-Pa55", ORACLE_DSN=f"127.0.0.1:{listener.port}/FREEPDB1",
                 ORACLE_POOL_MAX="3", ORACLE_POOL_MIN="3", ORACLE_POOL_TIMEOUT_S="1", SEDA_METRICS_PUBLIC="true")
    with make_client("api") as client:
        never_used = scrape(client, headers={})
        assert client.get("/api/v1/substations").status_code == 503  # the pool exists now, with nothing open
        response = client.get("/api/v1/metrics")
    assert response.status_code == 200 and "s3cret" not in response.text
    after = samples(response.text)
    for scraped in (never_used, after):
        assert value(scraped, "seda_db_sessions_limit", database="oracle") == 3
        assert value(scraped, "seda_db_sessions_in_use", database="oracle") == 0
        assert value(scraped, "seda_db_sessions_open", database="oracle") == 0
    assert not any(name.startswith("seda_verdicts_backlog") for name, _ in after)  # not counted: nothing to serve
