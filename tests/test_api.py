"""The read API through the `api` target: every resource, every error path, the response contract."""

import datetime
import re
import sqlite3
import urllib.parse

import pytest

from conftest import follow_pages, table_snapshot
from contract import ERROR_KEYS, error_body

SUBSTATION_KEYS = {"id", "name", "region", "voltage_kv", "latitude", "longitude", "commissioned_year"}
EQUIPMENT_KEYS = {
    "id", "substation_id", "name", "kind", "manufacturer", "rated_mva", "voltage_kv",
    "year_manufactured", "oil_preservation", "insulating_liquid", "status",
}
SAMPLE_KEYS = {"id", "equipment_id", "sampled_at", "h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2", "o2", "n2", "lab"}
HEALTH_KEYS = {"status", "database", "schema_version", "checks", "latency_ms"}
RANKING_KEYS = {
    "equipment_id", "equipment_name", "substation_id", "kind", "equipment_status", "sample_id", "sampled_at",
    "dga_status", "fault_present", "fault_type", "agreement", "severity", "health_index", "rank", "action",
    "engine_version", "diagnosed_at", "stale",
}
VERDICT_PROVENANCE = {"engine_version", "diagnosed_at", "stale"}

# (method, path, status, body shape, keys of the body or of each element)
CONTRACT = [
    ("GET", "/api/v1/application", 200, list, {"hello"}),
    ("GET", "/api/v1/substations", 200, list, SUBSTATION_KEYS),
    ("GET", "/api/v1/substations/1", 200, dict, SUBSTATION_KEYS),
    ("GET", "/api/v1/equipment", 200, list, EQUIPMENT_KEYS),
    ("GET", "/api/v1/equipment?substation_id=1&kind=power_transformer&status=in_service", 200, list, EQUIPMENT_KEYS),
    ("GET", "/api/v1/equipment/1", 200, dict, EQUIPMENT_KEYS),
    ("GET", "/api/v1/measurements", 200, list, SAMPLE_KEYS),
    ("GET", "/api/v1/measurements?equipment_id=1&from=2020-01-01&to=2021-01-01T00:00:00Z", 200, list, SAMPLE_KEYS),
    ("GET", "/api/v1/measurements/1", 200, dict, SAMPLE_KEYS),
    ("GET", "/api/v1/health", 200, dict, HEALTH_KEYS),
    ("GET", "/api/v1/diagnoses", 200, list, RANKING_KEYS),
    ("GET", "/api/v1/diagnoses?substation_id=1&status=3&fault=D2", 200, list, RANKING_KEYS),
    ("GET", "/api/v1/diagnoses/1", 200, dict, {"equipment", "as_of", "sample", "diagnosis", *VERDICT_PROVENANCE}),
    ("GET", "/api/v1/diagnoses/1?history=true&at=2026-01-01", 200, dict, {"equipment", "as_of", "sample", "diagnosis", "history", *VERDICT_PROVENANCE}),
    ("GET", "/api/v1/diagnoses/999999", 404, dict, ERROR_KEYS),
    ("POST", "/api/v1/diagnoses/1", 405, dict, ERROR_KEYS),
    ("GET", "/api/v1/equipment/999999", 404, dict, ERROR_KEYS),
    ("GET", "/api/v1/substations/999999", 404, dict, ERROR_KEYS),
    ("GET", "/api/v1/measurements/999999999", 404, dict, ERROR_KEYS),
    ("GET", "/api/v1/equipment/abc", 400, dict, ERROR_KEYS),
    ("GET", "/api/v1/equipment?limit=0", 400, dict, ERROR_KEYS),
    ("GET", "/api/v1/equipment?kind=teapot", 400, dict, ERROR_KEYS),
    ("GET", "/api/v1/measurements?from=yesterday", 400, dict, ERROR_KEYS),
    ("GET", "/api/v1/measurements?colour=red", 400, dict, ERROR_KEYS),
    ("GET", "/api/v1/application/1", 404, dict, ERROR_KEYS),
    ("GET", "/api/v1/equipment/1/extra", 404, dict, ERROR_KEYS),
    ("GET", "/api/v1/nothing", 404, dict, ERROR_KEYS),
    ("GET", "/", 404, dict, ERROR_KEYS),
    ("POST", "/api/v1/application", 405, dict, ERROR_KEYS),
    ("DELETE", "/api/v1/health", 405, dict, ERROR_KEYS),
    ("PATCH", "/api/v1/substations/1", 405, dict, ERROR_KEYS),
]


@pytest.mark.parametrize("method,path,status,shape,keys", CONTRACT, ids=[f"{c[0]} {c[1]}" for c in CONTRACT])
def test_response_contract(client, method, path, status, shape, keys):
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-request-id"])
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert isinstance(body, shape)
    items = body if isinstance(body, list) else [body]
    assert items, "the demo data should give every collection rows"
    for item in items:
        assert set(item) == keys
    if status >= 400:
        error_body(response, status)
    if status == 405:
        assert "OPTIONS" in response.headers["allow"]


def test_application_keeps_the_original_response(client):
    assert client.get("/api/v1/application").json() == [{"hello": "Oracle"}]


def test_error_names_follow_the_taxonomy(client):
    assert client.get("/api/v1/equipment/abc").json()["error"] == "InvalidIntegerFormat"
    assert client.get("/api/v1/measurements?from=2024-13-01").json()["error"] == "InvalidTimestampFormat"
    assert client.get("/api/v1/equipment?x=1").json()["error"] == "InvalidParameters"
    assert client.get("/api/v1/equipment/424242").json()["error"] == "NotFound"
    assert client.post("/api/v1/substations").json()["error"] == "MethodNotAllowed"


def test_unknown_parameter_message_names_it_and_lists_the_accepted(client):
    message = client.get("/api/v1/equipment?substation=3").json()["message"]
    assert "'substation'" in message
    assert "kind, limit, offset, status, substation_id" in message


def test_repeated_parameter_is_rejected(client):
    body = client.get("/api/v1/equipment?kind=shunt_reactor&kind=power_transformer").json()
    assert body["error"] == "InvalidParameters"
    assert "2 times" in body["message"]


@pytest.mark.parametrize(
    "query,fragment",
    [
        ("limit=abc", "received 'abc'"),
        ("limit=1001", "between 1 and 1000"),
        ("offset=-1", "between 0 and"),
        ("substation_id=1.5", "received '1.5'"),
        ("substation_id=99999999999999999999", "base-10 integer"),
    ],
)
def test_bad_integers_say_what_was_received_and_what_is_accepted(client, query, fragment):
    body = client.get(f"/api/v1/equipment?{query}").json()
    assert body["error"] == "InvalidIntegerFormat"
    assert fragment in body["message"]


@pytest.mark.parametrize("value", ["2024-02-30", "2024-05-01T25:00", "1714550400", "2024-05", "now", ""])
def test_bad_timestamps_are_rejected_with_examples(client, value):
    body = client.get("/api/v1/measurements", params={"from": value}).json()
    assert body["error"] == "InvalidTimestampFormat"
    assert "ISO 8601" in body["message"] and "2024-05-01T09:30:00+09:00" in body["message"]


def test_from_after_to_is_rejected(client):
    body = client.get("/api/v1/measurements?from=2024-01-02&to=2024-01-01").json()
    assert body["error"] == "InvalidParameters"
    assert "'from'" in body["message"] and "'to'" in body["message"]


def test_equipment_filters(client, sql):
    rows = client.get("/api/v1/equipment?substation_id=2&kind=power_transformer&limit=1000").json()
    expected = sql("SELECT id FROM equipment WHERE substation_id = 2 AND kind = 'power_transformer' ORDER BY id")
    assert [r["id"] for r in rows] == [e[0] for e in expected]
    assert expected, "the demo fleet has power transformers in substation 2"
    standby = client.get("/api/v1/equipment?status=standby&limit=1000").json()
    assert standby and all(r["status"] == "standby" for r in standby)


def test_substation_region_filter(client, sql):
    region = sql("SELECT region FROM substation ORDER BY id LIMIT 1")[0][0]
    rows = client.get("/api/v1/substations", params={"region": region}).json()
    assert rows and {r["region"] for r in rows} == {region}


def test_measurements_time_range_is_inclusive_and_zone_aware(client, sql):
    first, second = sql("SELECT sampled_at FROM dga_sample WHERE equipment_id = 1 ORDER BY sampled_at LIMIT 2")
    start = datetime.datetime.fromisoformat(first[0])
    end = datetime.datetime.fromisoformat(second[0])
    in_seoul = (end.replace(tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=9)).astimezone(
        datetime.timezone(datetime.timedelta(hours=9))
    )
    rows = client.get(
        "/api/v1/measurements",
        params={"equipment_id": 1, "from": start.isoformat(), "to": in_seoul.isoformat()},
    ).json()
    assert [r["sampled_at"] for r in rows] == [
        start.strftime("%Y-%m-%dT%H:%M:%S") + "Z",
        end.strftime("%Y-%m-%dT%H:%M:%S") + "Z",
    ]


def test_unencoded_plus_in_zone_offset_is_understood(client, sql):
    first = sql("SELECT sampled_at FROM dga_sample WHERE equipment_id = 1 ORDER BY sampled_at LIMIT 1")[0][0]
    at = datetime.datetime.fromisoformat(first)
    in_seoul = (at + datetime.timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    # A raw "+" in a query string arrives as a space; read as UTC the range would end 9 hours later.
    exact = client.get(f"/api/v1/measurements?equipment_id=1&to={in_seoul}+09:00").json()
    assert [r["sampled_at"] for r in exact] == [at.strftime("%Y-%m-%dT%H:%M:%S") + "Z"]
    earlier = (at + datetime.timedelta(hours=9) - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert client.get(f"/api/v1/measurements?equipment_id=1&to={earlier}+09:00").json() == []


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "0999-01-01", "1899-12-31", "2101-01-01"]
)
def test_timestamps_outside_1900_to_2100_are_400(client, value):
    body = client.get("/api/v1/measurements", params={"from": value}).json()
    assert body["error"] == "InvalidTimestampFormat" and "between the years 1900 and 2100" in body["message"]


def test_measurement_json_types(client):
    sample = client.get("/api/v1/measurements/1").json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", sample["sampled_at"])
    assert isinstance(sample["h2"], float)
    assert isinstance(sample["equipment_id"], int)


def test_following_link_headers_visits_every_row_exactly_once(client, sql):
    rows, pages = follow_pages(client, "/api/v1/measurements?equipment_id=3&limit=7")
    expected = [r[0] for r in sql("SELECT id FROM dga_sample WHERE equipment_id = 3 ORDER BY sampled_at")]
    assert [r["id"] for r in rows] == expected
    assert pages == -(-len(expected) // 7)


def test_paging_over_the_whole_fleet(client, sql):
    rows, _ = follow_pages(client, "/api/v1/equipment?limit=13")
    assert sorted(r["id"] for r in rows) == [r[0] for r in sql("SELECT id FROM equipment ORDER BY id")]
    assert len({r["id"] for r in rows}) == len(rows)


def test_next_link_keeps_filters_and_is_absent_on_the_last_page(client, sql):
    count = sql("SELECT COUNT(*) FROM equipment WHERE kind = 'power_transformer'")[0][0]
    response = client.get(f"/api/v1/equipment?kind=power_transformer&limit={count - 1}")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(response.headers["link"][1:].split(">")[0]).query)
    assert query == {"kind": ["power_transformer"], "limit": [str(count - 1)], "offset": [str(count - 1)]}
    assert "link" not in client.get(f"/api/v1/equipment?kind=power_transformer&limit={count}").headers


def test_default_and_maximum_page_size(client, settings_env):
    assert len(client.get("/api/v1/measurements").json()) == 100
    assert len(client.get("/api/v1/measurements?limit=1000").json()) == 1000
    settings_env(SEDA_MAX_PAGE_SIZE="20", SEDA_DEFAULT_PAGE_SIZE="5")
    assert len(client.get("/api/v1/measurements").json()) == 5
    body = client.get("/api/v1/measurements?limit=21").json()
    assert body["error"] == "InvalidIntegerFormat" and "between 1 and 20" in body["message"]


def test_request_id_is_propagated_or_generated(client):
    sent = client.get("/api/v1/equipment/999999", headers={"X-Request-ID": "lab-sync.42"})
    assert sent.headers["x-request-id"] == "lab-sync.42"
    assert sent.json()["request_id"] == "lab-sync.42"
    insane = client.get("/api/v1/health", headers={"X-Request-ID": "<script>" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f-]{36}", insane.headers["x-request-id"])
    first, second = client.get("/api/v1/health"), client.get("/api/v1/health")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_access_log_line_is_structured_json(client, capsys):
    client.get("/api/v1/equipment/999999", headers={"X-Request-ID": "trace-me"})
    import json

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "trace-me" in line]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["severity"] == "WARNING"
    assert entry["method"] == "GET" and entry["path"] == "/api/v1/equipment/999999"
    assert entry["status"] == 404 and entry["request_id"] == "trace-me"
    assert isinstance(entry["latency_ms"], float) and entry["httpRequest"]["latency"].endswith("s")


def test_cors_preflight(client):
    response = client.options(
        "/api/v1/measurements",
        headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "X-Request-ID" in response.headers["access-control-allow-headers"]
    assert int(response.headers["access-control-max-age"]) > 0


def test_cors_origin_list(client, settings_env):
    settings_env(SEDA_CORS_ORIGINS="https://portal.kepco.example, https://other.example")
    allowed = client.get("/api/v1/health", headers={"Origin": "https://portal.kepco.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://portal.kepco.example"
    assert "Origin" in allowed.headers["vary"]
    denied = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in denied.headers


def test_head_has_headers_but_no_body(client):
    response = client.head("/api/v1/equipment/1")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "application/json"


def test_health_reports_the_database(client):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["database"] == "sqlite"
    assert body["latency_ms"] >= 0


def test_unreachable_database_gives_503_everywhere(client, tmp_path, settings_env):
    settings_env(SEDA_SQLITE_PATH=str(tmp_path / "missing-dir" / "seda.sqlite3"))
    for path in ("/api/v1/health", "/api/v1/equipment", "/api/v1/application"):
        response = client.get(path)
        assert response.status_code == 503, path
        body = response.json()
        assert body["error"] == "DatabaseUnavailable"
        assert "missing-dir" not in response.text and "sqlite" not in response.text.lower()
        assert response.headers["retry-after"]


def test_unexpected_failure_is_500_with_only_the_request_id(client, demo_db, capsys):
    connection = sqlite3.connect(demo_db)
    connection.execute("ALTER TABLE dga_sample RENAME COLUMN lab TO laboratory")
    connection.commit()
    connection.close()
    response = client.get("/api/v1/measurements", headers={"X-Request-ID": "broken-1"})
    assert response.status_code == 500
    body = response.json()
    assert body == {
        "status": 500,
        "error": "InternalServerError",
        "message": "Internal server error. Quote request id broken-1 when reporting it.",
        "request_id": "broken-1",
    }
    log = capsys.readouterr().out
    assert "no such column" in log and "broken-1" in log  # the traceback went to the log instead


INJECTIONS = ["1 OR 1=1", "1; DROP TABLE equipment", "' OR '1'='1", "1)--", "0x41", "%27%20OR%201=1"]
PARAMETERS = {
    "/api/v1/equipment": ["substation_id", "kind", "status", "limit", "offset"],
    "/api/v1/measurements": ["equipment_id", "from", "to", "limit", "offset"],
    "/api/v1/substations": ["region", "limit", "offset"],
    "/api/v1/application": ["limit", "offset"],
    "/api/v1/diagnoses": ["substation_id", "status", "fault", "limit", "offset"],
    "/api/v1/diagnoses/1": ["at", "history"],
}


@pytest.mark.parametrize("injection", INJECTIONS)
def test_sql_injection_in_every_parameter_has_no_effect(client, demo_db, injection):
    before = table_snapshot(demo_db)
    for path, names in PARAMETERS.items():
        for name in names:
            response = client.get(path, params={name: injection})
            assert response.status_code == 400 or (response.status_code == 200 and response.json() == []), (
                path,
                name,
            )
        item = client.get(f"{path}/{urllib.parse.quote(injection)}")
        assert item.status_code in (400, 404)
    assert table_snapshot(demo_db) == before


def test_public_url_setting_fixes_link_hosts(client, settings_env):
    forged = client.get("/api/v1/equipment?limit=1", headers={"Host": "evil.example"})
    assert "evil.example" in forged.headers["link"], "without the setting the request's host is used"
    settings_env(SEDA_PUBLIC_URL="https://seda.kepco.example")
    response = client.get("/api/v1/equipment?limit=1", headers={"Host": "evil.example"})
    assert response.headers["link"] == '<https://seda.kepco.example/api/v1/equipment?limit=1&offset=1>; rel="next"'
    settings_env(SEDA_PUBLIC_URL="seda.kepco.example/path")
    from shared import config

    with pytest.raises(RuntimeError, match="SEDA_PUBLIC_URL must look like"):
        config.settings()
