"""The audit trail: one entry per write, committed with it or not at all, readable by admin keys only."""

import datetime
import json
import sqlite3

import pytest

from conftest import follow_pages, make_client, table_snapshot

ADMIN_KEY = "ops-admin-key-0123456789abcdef"
INGEST_KEY = "lab-ingest-key-0123456789abcde"
KEYS = f"ops@admin+read={ADMIN_KEY},lab-kepco@ingest={INGEST_KEY}"
UNIT = {"substation_id": 1, "name": "T-audit", "kind": "shunt_reactor", "oil_preservation": "sealed", "status": "standby"}
ANY_VERSION = {"If-Match": "*"}


def _client(settings_env, key, **environment):
    """The whole API with KEYS configured, sending `key` (None: no key) with every request."""
    settings_env(SEDA_API_KEYS=KEYS, **environment)
    client = make_client("api")
    if key:
        client.headers["Authorization"] = f"Bearer {key}"
    return client


@pytest.fixture
def admin(settings_env):
    """A client holding the admin key."""
    with _client(settings_env, ADMIN_KEY) as client:
        yield client


@pytest.fixture
def lab(settings_env):
    """A client holding the ingest-only key."""
    with _client(settings_env, INGEST_KEY) as client:
        yield client


def _entries(demo_db):
    """Every AUDIT_LOG row, oldest first, as dicts."""
    connection = sqlite3.connect(demo_db)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM audit_log ORDER BY id")]
    finally:
        connection.close()


def _instant(text):
    """An ISO 8601 time as an aware datetime."""
    return datetime.datetime.fromisoformat(text)


def _now():
    """The current time in UTC, as AUDIT_LOG stores it (naive)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _write(client, demo_db, method, path, request_id, **options):
    """Send one write with `request_id`; its response and the one audit entry it left (with its time checked)."""
    before, started = len(_entries(demo_db)), _now()
    headers = {**options.pop("headers", {}), "X-Request-ID": request_id}
    response = client.request(method, path, headers=headers, **options)
    assert response.status_code < 300, response.text
    entries = _entries(demo_db)
    assert len(entries) == before + 1, "exactly one audit entry per write"
    entry = entries[-1]
    assert started <= datetime.datetime.fromisoformat(entry.pop("recorded_at")) <= _now()
    assert entry.pop("request_id") == request_id
    entry.pop("id")
    entry["ids"] = json.loads(entry["ids"])
    return response, entry


def _entry(key_id, operation, resource, ids, inserted=0, updated=0, deleted=0):
    """What an audit entry should hold, besides its id, time and request id."""
    return {"key_id": key_id, "operation": operation, "resource_name": resource, "ids": ids,
            "inserted": inserted, "updated": updated, "deleted": deleted}


def test_equipment_writes_each_leave_one_entry_naming_the_unit(admin, demo_db, sql):
    created, entry = _write(admin, demo_db, "POST", "/api/v1/equipment", "create-1", json=UNIT)
    unit = created.json()["id"]
    assert entry == _entry("ops", "POST /api/v1/equipment", "equipment", {"id": [unit]}, inserted=1)
    _, entry = _write(admin, demo_db, "PUT", f"/api/v1/equipment/{unit}", "put-1", json=UNIT, headers=ANY_VERSION)
    assert entry == _entry("ops", "PUT /api/v1/equipment/<id>", "equipment", {"id": [unit]}, updated=1)
    _, entry = _write(admin, demo_db, "PATCH", f"/api/v1/equipment/{unit}", "patch-1", json={"status": "retired"},
                      headers=ANY_VERSION)
    assert entry == _entry("ops", "PATCH /api/v1/equipment/<id>", "equipment", {"id": [unit]}, updated=1)
    _, entry = _write(admin, demo_db, "DELETE", f"/api/v1/equipment/{unit}", "delete-1", headers=ANY_VERSION)
    assert entry == _entry("ops", "DELETE /api/v1/equipment/<id>", "equipment", {"id": [unit]}, deleted=1)

    (samples,) = sql("SELECT COUNT(*) FROM dga_sample WHERE equipment_id = 1")[0]
    (inspections,) = sql("SELECT COUNT(*) FROM inspection WHERE equipment_id = 1")[0]
    assert samples > 0 and inspections > 0
    _, entry = _write(admin, demo_db, "DELETE", "/api/v1/equipment/1?cascade=true", "cascade-1", headers=ANY_VERSION)
    assert entry == _entry("ops", "DELETE /api/v1/equipment/<id>", "equipment", {"id": [1]},
                           deleted=1 + samples + inspections)


@pytest.mark.parametrize("media_type", ["json", "csv"])
def test_a_batch_leaves_one_entry_naming_its_units_and_counts(lab, admin, demo_db, sql, media_type):
    ((stored_at,),) = sql("SELECT sampled_at FROM dga_sample WHERE equipment_id = 2 ORDER BY id LIMIT 1")
    rows = [(3, "2031-01-01T00:00:00Z"), (2, stored_at.replace(" ", "T") + "Z"), (3, "2031-01-02T00:00:00Z")]
    if media_type == "json":
        options = {"json": [{"equipment_id": unit, "sampled_at": at, "h2": 7} for unit, at in rows]}
    else:
        text = "equipment_id,sampled_at,h2\n" + "".join(f"{unit},{at},7\n" for unit, at in rows)
        options = {"content": text, "headers": {"Content-Type": "text/csv"}}

    response, entry = _write(lab, demo_db, "POST", "/api/v1/measurements", f"batch-{media_type}", **options)

    assert response.json() == {"received": 3, "inserted": 2, "updated": 1}
    assert entry == _entry("lab-kepco", "POST /api/v1/measurements", "measurements", {"equipment_id": [2, 3]},
                           inserted=2, updated=1)
    (sample_id, unit), *_ = sql("SELECT id, equipment_id FROM dga_sample WHERE sampled_at >= '2031-01-01' ORDER BY id")
    _, entry = _write(admin, demo_db, "DELETE", f"/api/v1/measurements/{sample_id}", f"delete-{media_type}")
    assert entry == _entry("ops", "DELETE /api/v1/measurements/<id>", "measurements",
                           {"equipment_id": [unit], "id": [sample_id]}, deleted=1)


# Writes that are refused or roll back: (key, method, path, options, status).
REFUSED = {
    "bad-row": (INGEST_KEY, "POST", "/api/v1/measurements",
                {"json": [{"equipment_id": 1, "sampled_at": "2031-01-01", "h2": 1}, {"equipment_id": 1, "h2": -1}]}, 400),
    "unknown-unit": (INGEST_KEY, "POST", "/api/v1/measurements",
                     {"json": [{"equipment_id": 1, "sampled_at": "2031-01-01", "h2": 1},
                               {"equipment_id": 999999, "sampled_at": "2031-01-01", "h2": 1}]}, 409),
    "delete-without-cascade": (ADMIN_KEY, "DELETE", "/api/v1/equipment/1", {"headers": ANY_VERSION}, 409),
    "invalid-unit": (ADMIN_KEY, "POST", "/api/v1/equipment", {"json": {**UNIT, "name": None}}, 400),
    "unknown-substation": (ADMIN_KEY, "POST", "/api/v1/equipment", {"json": {**UNIT, "substation_id": 999999}}, 409),
    "stale-if-match": (ADMIN_KEY, "PATCH", "/api/v1/equipment/1", {"json": {"status": "retired"},
                                                                    "headers": {"If-Match": '"stale"'}}, 412),
    "no-if-match": (ADMIN_KEY, "PUT", "/api/v1/equipment/1", {"json": UNIT}, 428),
    "stale-sample": (ADMIN_KEY, "DELETE", "/api/v1/measurements/1", {"headers": {"If-Match": '"stale"'}}, 412),
    "missing-unit": (ADMIN_KEY, "DELETE", "/api/v1/equipment/999999", {"headers": ANY_VERSION}, 404),
    "missing-scope": (INGEST_KEY, "POST", "/api/v1/equipment", {"json": UNIT}, 403),
    "no-key": (None, "DELETE", "/api/v1/measurements/1", {}, 401),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_write_leaves_no_entry(settings_env, demo_db, case):
    key, method, path, options, status = REFUSED[case]
    before = table_snapshot(demo_db)
    with _client(settings_env, key) as client:
        assert client.request(method, path, **options).status_code == status
    assert table_snapshot(demo_db) == before
    assert _entries(demo_db) == []


def _add_trigger(demo_db, sql_text):
    """Create a trigger on the test's SQLite file, outside the service."""
    with sqlite3.connect(demo_db) as connection:
        connection.execute(sql_text)


def test_a_batch_failing_at_its_last_row_leaves_no_entry(lab, demo_db):
    _add_trigger(demo_db, "CREATE TRIGGER fail_row BEFORE INSERT ON dga_sample WHEN NEW.lab = 'bad' "
                          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    batch = [{"equipment_id": 1, "sampled_at": f"2031-01-0{day}", "h2": 1, "lab": "bad" if day == 5 else "ok"}
             for day in range(1, 6)]
    before = table_snapshot(demo_db)
    assert lab.post("/api/v1/measurements", json=batch).status_code == 409
    assert table_snapshot(demo_db) == before


@pytest.mark.parametrize(
    "key, method, path, options",
    [
        (ADMIN_KEY, "POST", "/api/v1/equipment", {"json": UNIT}),
        (ADMIN_KEY, "DELETE", "/api/v1/equipment/1?cascade=true", {"headers": ANY_VERSION}),
        (INGEST_KEY, "POST", "/api/v1/measurements", {"json": [{"equipment_id": 1, "sampled_at": "2031-01-01", "h2": 1}]}),
    ],
    ids=["create", "cascade-delete", "ingest"],
)
def test_a_write_whose_audit_entry_fails_is_undone_with_it(settings_env, demo_db, key, method, path, options):
    _add_trigger(demo_db, "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log "
                          "BEGIN SELECT RAISE(ABORT, 'audit refused'); END")
    before = table_snapshot(demo_db)
    with _client(settings_env, key) as client:
        response = client.request(method, path, **options)
    assert response.status_code == 409 and "audit refused" not in response.text
    assert table_snapshot(demo_db) == before


def _three_writes(admin, lab):
    """Write three times (two keys, two resources); the request ids used."""
    assert admin.post("/api/v1/equipment", json=UNIT, headers={"X-Request-ID": "r-1"}).status_code == 201
    sample = {"equipment_id": 1, "sampled_at": "2031-01-01", "h2": 1}
    assert lab.post("/api/v1/measurements", json=[sample], headers={"X-Request-ID": "r-2"}).status_code == 200
    assert admin.patch("/api/v1/equipment/1", json={"status": "retired"},
                       headers={**ANY_VERSION, "X-Request-ID": "r-3"}).status_code == 200
    return ["r-1", "r-2", "r-3"]


def test_the_trail_reads_back_each_entry_in_id_order_with_its_ids_as_an_object(admin, lab, demo_db):
    request_ids = _three_writes(admin, lab)
    listed = admin.get("/api/v1/audit")
    assert listed.status_code == 200
    entries = listed.json()
    assert [entry["request_id"] for entry in entries] == request_ids
    assert [entry["id"] for entry in entries] == sorted(entry["id"] for entry in entries)
    stored = {row["id"]: row for row in _entries(demo_db)}
    for entry in entries:
        row = stored[entry["id"]]
        assert entry["ids"] == json.loads(row["ids"])
        assert _instant(entry["recorded_at"]) == _instant(row["recorded_at"] + "+00:00")
        assert set(entry) == {"id", "recorded_at", "request_id", "key_id", "operation", "resource_name", "ids",
                              "inserted", "updated", "deleted"}
        assert admin.get(f"/api/v1/audit/{entry['id']}").json() == entry
    assert entries[1]["ids"] == {"equipment_id": [1]} and entries[1]["key_id"] == "lab-kepco"
    missing = admin.get("/api/v1/audit/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"


def test_the_trail_pages_like_every_collection(admin):
    request_ids = [f"patch-{number}" for number in range(5)]
    for request_id, status in zip(request_ids, ["retired", "standby"] * 3):
        headers = {**ANY_VERSION, "X-Request-ID": request_id}
        assert admin.patch("/api/v1/equipment/1", json={"status": status}, headers=headers).status_code == 200
    entries, pages = follow_pages(admin, "/api/v1/audit?limit=2")
    assert [entry["request_id"] for entry in entries] == request_ids and pages == 3
    assert [e["request_id"] for e in admin.get("/api/v1/audit?limit=2&offset=3").json()] == request_ids[3:5]


def test_the_trail_filters_by_key_resource_request_and_time(admin, lab):
    _three_writes(admin, lab)

    def request_ids(query):
        response = admin.get(f"/api/v1/audit?{query}")
        assert response.status_code == 200, response.text
        return [entry["request_id"] for entry in response.json()]

    assert request_ids("key_id=ops") == ["r-1", "r-3"]
    assert request_ids("key_id=lab-kepco") == ["r-2"]
    assert request_ids("key_id=nobody") == []
    assert request_ids("resource_name=measurements") == ["r-2"]
    assert request_ids("request_id=r-3") == ["r-3"]
    assert request_ids("key_id=ops&resource_name=equipment") == ["r-1", "r-3"]
    recorded = admin.get("/api/v1/audit?request_id=r-2").json()[0]["recorded_at"]
    assert request_ids(f"from={recorded}&to={recorded}") == ["r-2"]
    assert request_ids("from=2000-01-01&to=2100-01-01") == ["r-1", "r-2", "r-3"]
    assert request_ids("to=2000-01-01") == []


@pytest.mark.parametrize(
    "query, error",
    [
        ("resource_name=substation", "InvalidParameters"),
        ("from=yesterday", "InvalidTimestampFormat"),
        ("from=2030-01-01&to=2020-01-01", "InvalidParameters"),
        ("key_id=" + "k" * 65, "InvalidParameters"),
        ("limit=0", "InvalidIntegerFormat"),
        ("colour=red", "InvalidParameters"),
    ],
)
def test_bad_trail_queries_are_400_naming_what_is_accepted(admin, query, error):
    response = admin.get(f"/api/v1/audit?{query}")
    assert response.status_code == 400 and response.json()["error"] == error


def test_only_admin_keys_read_the_trail_even_when_reads_need_no_key(admin, lab, settings_env):
    _three_writes(admin, lab)
    with _client(settings_env, None) as anonymous:
        for path, operation in (("/api/v1/audit", "GET /api/v1/audit"), ("/api/v1/audit/1", "GET /api/v1/audit/<id>")):
            allowed = admin.get(path)
            assert allowed.status_code == 200 and allowed.headers["cache-control"] == "no-store"
            forbidden = lab.get(path)
            assert forbidden.status_code == 403 and forbidden.json()["error"] == "Forbidden"
            assert "'admin'" in forbidden.json()["message"] and operation in forbidden.json()["message"]
            assert lab.head(path).status_code == 403
            assert anonymous.get(path).status_code == 401
        assert anonymous.get("/api/v1/equipment/1").status_code == 200  # reads in general stay open
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert admin.request(method, "/api/v1/audit/1").status_code == 405


def test_the_audit_target_serves_alone_at_its_root(admin, lab):
    import main

    assert main.HANDLERS["audit"] is main.audit
    _three_writes(admin, lab)
    with make_client("audit") as client:
        at_root = client.get("/", headers={"X-API-Key": ADMIN_KEY})
        assert at_root.status_code == 200 and len(at_root.json()) == 3
        assert client.get("/1", headers={"X-API-Key": ADMIN_KEY}).json() == at_root.json()[0]
        assert client.get("/").status_code == 401
