"""Inspections: the collection and its filters, items with ETags, writes with scopes, If-Match and audit entries."""

import pytest

from conftest import make_client, table_snapshot
from contract import error_body

LAB_KEY, OPS_KEY, PORTAL_KEY = "lab-key-0123456789abcdef", "ops-key-0123456789abcdef", "portal-key-0123456789abc"
KEYS = f"lab@ingest={LAB_KEY},ops@admin={OPS_KEY},portal@read={PORTAL_KEY}"
LAB, OPS, PORTAL = ({"Authorization": f"Bearer {key}"} for key in (LAB_KEY, OPS_KEY, PORTAL_KEY))
INSPECTION = {"equipment_id": 5, "inspected_at": "2024-05-02T10:00:00+09:00", "finding": "T2",
              "description": "Overheated bolted joint of the LV lead", "reference": "WO-2024-0117"}
STORED = {**INSPECTION, "inspected_at": "2024-05-02T01:00:00Z"}  # read back in UTC


@pytest.fixture
def api(settings_env):
    """The whole API with an ingest, an admin and a read key configured; requests carry no key unless given."""
    settings_env(SEDA_API_KEYS=KEYS)
    with make_client("api") as client:
        yield client


def _create(api, **changes):
    """POST an inspection (INSPECTION with `changes`) with the ingest key; the response."""
    response = api.post("/api/v1/inspections", json={**INSPECTION, **changes}, headers=LAB)
    assert response.status_code == 201, response.text
    return response


def _trail(api):
    """The audit entries of inspections, oldest first, without their times and request ids."""
    entries = api.get("/api/v1/audit?resource_name=inspections", headers=OPS).json()
    return [{key: entry[key] for key in ("key_id", "operation", "ids", "inserted", "updated", "deleted")}
            for entry in entries]


def test_post_creates_an_inspection_that_reads_back_identical_with_its_etag(api, sql):
    response = _create(api)
    created = response.json()
    assert created == {"id": created["id"], **STORED}
    assert response.headers["location"] == f"http://testserver/api/v1/inspections/{created['id']}"
    read = api.get(f"/api/v1/inspections/{created['id']}")
    assert read.status_code == 200 and read.json() == created and read.headers["etag"] == response.headers["etag"]
    for header in (read.headers["etag"], f"W/{read.headers['etag']}", "*"):
        cached = api.get(f"/api/v1/inspections/{created['id']}", headers={"If-None-Match": header})
        assert cached.status_code == 304 and cached.content == b""
    assert api.get(f"/api/v1/inspections/{created['id']}", headers={"If-None-Match": '"other"'}).status_code == 200
    assert sql("SELECT equipment_id, inspected_at, finding FROM inspection WHERE id = ?", (created["id"],)) == [
        (5, "2024-05-02 01:00:00.000000", "T2")]
    optional_left_out = _create(api, inspected_at="2024-06-01", description=None, reference=None).json()
    assert optional_left_out["description"] is None and optional_left_out["reference"] is None


def test_a_description_may_run_to_several_lines_but_holds_no_other_control_character(api, demo_db):
    report = "Internal inspection, 2024-05-02:\r\n- LV lead joint discoloured\n- paper of the lead carbonised"
    created = _create(api, description=report).json()
    assert api.get(f"/api/v1/inspections/{created['id']}").json()["description"] == report
    before = table_snapshot(demo_db)
    refused = api.post("/api/v1/inspections", json={**INSPECTION, "inspected_at": "2024-07-01",
                                                    "description": "tab\there"}, headers=LAB)
    body = error_body(refused, 400, "SchemaValidation")
    assert "other than line breaks (LF, CR" in refused.text and body["details"][0]["field"] == "description"
    assert table_snapshot(demo_db) == before
    # Every other text field stays on one line.
    refused = api.post("/api/v1/inspections", json={**INSPECTION, "inspected_at": "2024-07-02",
                                                    "reference": "WO-1\nWO-2"}, headers=LAB)
    assert error_body(refused, 400, "SchemaValidation")["details"][0]["field"] == "reference"


def test_the_collection_filters_by_unit_finding_and_time_in_time_order(api, sql):
    demo = sql("SELECT COUNT(*) FROM inspection")[0][0]
    first = _create(api, inspected_at="2030-01-01").json()
    second = _create(api, inspected_at="2030-02-01", finding="none").json()
    _create(api, equipment_id=6, inspected_at="2030-01-15", finding="none")
    everything = api.get("/api/v1/inspections?limit=1000").json()
    assert len(everything) == demo + 3
    assert [row["inspected_at"] for row in everything] == sorted(row["inspected_at"] for row in everything)
    assert api.get("/api/v1/inspections?equipment_id=5&from=2030-01-01").json() == [first, second]
    assert api.get("/api/v1/inspections?equipment_id=5&from=2030-01-01&finding=none").json() == [second]
    assert api.get("/api/v1/inspections?equipment_id=5&from=2030-01-01&to=2030-01-01T00:00:00Z").json() == [first]
    page = api.get("/api/v1/inspections?equipment_id=5&from=2030-01-01&limit=1")
    assert page.json() == [first] and page.headers["link"] == (
        '<http://testserver/api/v1/inspections?equipment_id=5&from=2030-01-01&limit=1&offset=1>; rel="next"')


@pytest.mark.parametrize(("query", "error", "fragment"), [
    ("finding=S", "InvalidParameters", "must be one of PD, D1, D2, DT, T1, T2, T3, D, T, none; received 'S'"),
    ("from=2030-01-02&to=2030-01-01", "InvalidParameters", "must not be later than"),
    ("equipment_id=x", "InvalidIntegerFormat", "'equipment_id' must be a base-10 integer"),
    ("from=yesterday", "InvalidTimestampFormat", "'from' must be an ISO 8601"),
    ("colour=red", "InvalidParameters", "Unknown query parameter(s): 'colour'"),
])
def test_a_bad_query_is_400_saying_what_is_accepted(api, query, error, fragment):
    body = error_body(api.get(f"/api/v1/inspections?{query}"), 400, error)
    assert fragment in body["message"]


def test_a_missing_inspection_is_404(api):
    assert error_body(api.get("/api/v1/inspections/424242"), 404, "NotFound")["message"] == "No inspection with id 424242."


def test_post_lists_every_invalid_field_and_writes_nothing(api, demo_db):
    before = table_snapshot(demo_db)
    body = {"equipment_id": 0, "inspected_at": "soon", "finding": "S", "description": "a\x00nul",
            "reference": "W" * 65, "colour": "red"}
    error = error_body(api.post("/api/v1/inspections", json=body, headers=LAB), 400, "SchemaValidation")
    problems = {problem["field"]: problem["message"] for problem in error["details"]}
    assert set(problems) == {"equipment_id", "inspected_at", "finding", "description", "reference", "colour"}
    assert "one of PD, D1, D2, DT, T1, T2, T3, D, T, none; received 'S'" in problems["finding"]
    assert "text of 1 to 2000 bytes" in problems["description"] and "text of 1 to 64 bytes" in problems["reference"]
    assert "'inspected_at' must be" in problems["inspected_at"] and "from 1 to" in problems["equipment_id"]
    assert all(message in error["message"] for message in problems.values())
    missing = error_body(api.post("/api/v1/inspections", json={}, headers=LAB), 400, "SchemaValidation")
    assert {problem["field"] for problem in missing["details"]} == {"equipment_id", "inspected_at", "finding"}
    assert error_body(api.post("/api/v1/inspections", json=[INSPECTION], headers=LAB), 400)["message"].endswith(
        "received an array.")
    assert error_body(api.post("/api/v1/inspections", content=b"finding=T1", headers={
        **LAB, "Content-Type": "text/csv"}), 415, "UnsupportedMediaType")
    assert table_snapshot(demo_db) == before


def test_an_unknown_unit_or_a_second_inspection_at_the_same_moment_is_409(api, demo_db):
    created = _create(api).json()
    before = table_snapshot(demo_db)
    unknown = error_body(api.post("/api/v1/inspections", json={**INSPECTION, "equipment_id": 9999}, headers=LAB), 409)
    assert unknown["error"] == "Conflict" and unknown["message"].startswith("No equipment has the id 9999")
    twice = error_body(api.post("/api/v1/inspections", json={**INSPECTION, "finding": "T3"}, headers=LAB), 409)
    assert twice["message"] == (
        f"Equipment 5 already has an inspection at 2024-05-02T01:00:00Z (id {created['id']}); change that one "
        f"(PUT or PATCH /api/v1/inspections/{created['id']}) or give another time.")
    assert table_snapshot(demo_db) == before
    other = _create(api, inspected_at="2024-05-02T01:00:01Z").json()
    moved = api.patch(f"/api/v1/inspections/{other['id']}", json={"inspected_at": "2024-05-02T10:00:00+09:00"},
                      headers={**LAB, "If-Match": "*"})
    assert error_body(moved, 409)["message"].startswith("Equipment 5 already has an inspection")


@pytest.mark.parametrize(("method", "path", "body", "allowed", "refused"), [
    ("POST", "/api/v1/inspections", INSPECTION, LAB, (OPS, PORTAL)),
    ("PUT", "/api/v1/inspections/1", INSPECTION, LAB, (OPS, PORTAL)),
    ("PATCH", "/api/v1/inspections/1", {"finding": "T3"}, LAB, (OPS, PORTAL)),
    ("DELETE", "/api/v1/inspections/1", None, OPS, (LAB, PORTAL)),
])
def test_writes_need_their_scope_and_change_nothing_without_it(api, demo_db, method, path, body, allowed, refused):
    before = table_snapshot(demo_db)
    headers = {"If-Match": "*"}
    error_body(api.request(method, path, json=body, headers=headers), 401, "Unauthorized")
    for key in refused:
        forbidden = error_body(api.request(method, path, json=body, headers={**key, **headers}), 403, "Forbidden")
        scope = "admin" if method == "DELETE" else "ingest"
        assert f"needs an API key with the scope '{scope}'" in forbidden["message"]
    assert table_snapshot(demo_db) == before
    assert api.request(method, path, json=body, headers={**allowed, **headers}).status_code in (200, 201, 204)


def test_put_and_patch_need_if_match_refuse_a_stale_one_and_give_a_new_etag(api, demo_db):
    created = _create(api)
    inspection_id, etag = created.json()["id"], created.headers["etag"]
    path = f"/api/v1/inspections/{inspection_id}"
    before = table_snapshot(demo_db)
    for method, body in (("PUT", INSPECTION), ("PATCH", {"finding": "T3"}), ("DELETE", None)):
        missing = error_body(api.request(method, path, json=body, headers=OPS if method == "DELETE" else LAB), 428,
                             "PreconditionRequired")
        assert "If-Match" in missing["message"]
        stale = api.request(method, path, json=body, headers={**(OPS if method == "DELETE" else LAB),
                                                               "If-Match": '"stale"'})
        error_body(stale, 412, "PreconditionFailed")
    assert table_snapshot(demo_db) == before

    patched = api.patch(path, json={"finding": "T3", "description": None}, headers={**LAB, "If-Match": etag})
    assert patched.status_code == 200
    assert patched.json() == {"id": inspection_id, **STORED, "finding": "T3", "description": None}
    assert patched.headers["etag"] != etag and api.get(path).headers["etag"] == patched.headers["etag"]
    error_body(api.patch(path, json={"finding": "T1"}, headers={**LAB, "If-Match": etag}), 412)  # the old tag
    merge = api.patch(path, content=b'{"reference": "WO-2"}', headers={
        **LAB, "If-Match": patched.headers["etag"], "Content-Type": "application/merge-patch+json"})
    assert merge.status_code == 200 and merge.json()["reference"] == "WO-2"
    replaced = api.put(path, json={"equipment_id": 6, "inspected_at": "2024-06-01", "finding": "none"},
                       headers={**LAB, "If-Match": merge.headers["etag"]})
    assert replaced.status_code == 200
    assert replaced.json() == {"id": inspection_id, "equipment_id": 6, "inspected_at": "2024-06-01T00:00:00Z",
                               "finding": "none", "description": None, "reference": None}
    sent_back = api.put(path, json=replaced.json(), headers={**LAB, "If-Match": replaced.headers["etag"]})
    assert sent_back.status_code == 200 and sent_back.headers["etag"] == replaced.headers["etag"]


def test_put_and_patch_refuse_another_id_a_null_required_field_and_an_unknown_unit(api, demo_db):
    inspection_id = _create(api).json()["id"]
    path = f"/api/v1/inspections/{inspection_id}"
    before = table_snapshot(demo_db)
    headers = {**LAB, "If-Match": "*"}
    other_id = error_body(api.put(path, json={**INSPECTION, "id": inspection_id + 1}, headers=headers), 400)
    assert f"differs from the path's ({inspection_id})" in other_id["message"]
    assert "'finding' is required" in error_body(api.patch(path, json={"finding": None}, headers=headers), 400)["message"]
    put_partial = error_body(api.put(path, json={"finding": "T1"}, headers=headers), 400)
    assert {problem["field"] for problem in put_partial["details"]} == {"equipment_id", "inspected_at"}
    assert error_body(api.patch(path, json={"equipment_id": 9999}, headers=headers), 409)["message"].startswith(
        "No equipment has the id 9999")
    assert error_body(api.patch("/api/v1/inspections/424242", json={"finding": "T1"}, headers=headers), 404)
    assert table_snapshot(demo_db) == before


def test_delete_removes_the_inspection(api, sql):
    created = _create(api)
    path = f"/api/v1/inspections/{created.json()['id']}"
    deleted = api.delete(path, headers={**OPS, "If-Match": created.headers["etag"]})
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.get(path).status_code == 404
    assert sql("SELECT COUNT(*) FROM inspection WHERE id = ?", (created.json()["id"],)) == [(0,)]
    error_body(api.delete(path, headers={**OPS, "If-Match": "*"}), 404)


def test_every_write_leaves_one_audit_entry_naming_the_inspection_and_its_unit(api):
    created = _create(api)
    inspection_id = created.json()["id"]
    path = f"/api/v1/inspections/{inspection_id}"
    api.put(path, json=INSPECTION, headers={**LAB, "If-Match": "*"})
    api.patch(path, json={"equipment_id": 6}, headers={**LAB, "If-Match": "*"})
    api.delete(path, headers={**OPS, "If-Match": "*"})
    error_body(api.post("/api/v1/inspections", json={**INSPECTION, "finding": "x"}, headers=LAB), 400)  # no entry
    ids, moved = {"id": [inspection_id], "equipment_id": [5]}, {"id": [inspection_id], "equipment_id": [6]}
    assert _trail(api) == [
        {"key_id": "lab", "operation": "POST /api/v1/inspections", "ids": ids, "inserted": 1, "updated": 0, "deleted": 0},
        {"key_id": "lab", "operation": "PUT /api/v1/inspections/<id>", "ids": ids, "inserted": 0, "updated": 1,
         "deleted": 0},
        {"key_id": "lab", "operation": "PATCH /api/v1/inspections/<id>", "ids": moved, "inserted": 0, "updated": 1,
         "deleted": 0},
        {"key_id": "ops", "operation": "DELETE /api/v1/inspections/<id>", "ids": moved, "inserted": 0, "updated": 0,
         "deleted": 1},
    ]


def test_equipment_delete_is_409_while_inspections_reference_it_and_cascade_deletes_them(api, demo_db, sql):
    unit = {"substation_id": 2, "name": "T-inspected", "kind": "power_transformer", "oil_preservation": "sealed",
            "status": "in_service"}
    unit_id = api.post("/api/v1/equipment", json=unit, headers=OPS).json()["id"]
    _create(api, equipment_id=unit_id)
    _create(api, equipment_id=unit_id, inspected_at="2025-01-01")
    before = table_snapshot(demo_db)
    refused = error_body(api.delete(f"/api/v1/equipment/{unit_id}", headers={**OPS, "If-Match": "*"}), 409, "Conflict")
    assert f"Equipment {unit_id} has 0 DGA samples and 2 inspections" in refused["message"]
    assert "?cascade=true" in refused["message"]
    assert table_snapshot(demo_db) == before
    deleted = api.delete(f"/api/v1/equipment/{unit_id}?cascade=true", headers={**OPS, "If-Match": "*"})
    assert deleted.status_code == 204
    assert sql("SELECT COUNT(*) FROM inspection WHERE equipment_id = ?", (unit_id,)) == [(0,)]
    entry = api.get("/api/v1/audit?resource_name=equipment", headers=OPS).json()[-1]
    assert (entry["operation"], entry["ids"], entry["deleted"]) == ("DELETE /api/v1/equipment/<id>", {"id": [unit_id]}, 3)


def test_reads_need_a_read_key_only_when_reads_need_keys(settings_env):
    settings_env(SEDA_API_KEYS=KEYS, SEDA_REQUIRE_KEYS_FOR_READS="true")
    with make_client("api") as client:
        for path in ("/api/v1/inspections", "/api/v1/inspections/1", "/api/v1/inspections/scorecard"):
            error_body(client.get(path), 401, "Unauthorized")
            assert client.get(path, headers=PORTAL).status_code == 200
            assert "scope 'read'" in error_body(client.get(path, headers=LAB), 403)["message"]


def test_the_inspections_target_serves_alone_at_its_root(settings_env):
    import main

    assert main.HANDLERS["inspections"] is main.inspections
    settings_env(SEDA_API_KEYS=KEYS)
    with make_client("inspections") as client:
        created = client.post("/", json=INSPECTION, headers=LAB)
        assert created.status_code == 201
        assert created.headers["location"] == f"http://testserver/{created.json()['id']}"
        assert client.get(created.headers["location"]).json() == created.json()
        assert client.get("/scorecard").status_code == 200
        assert client.post("/scorecard", headers=LAB).status_code == 405
