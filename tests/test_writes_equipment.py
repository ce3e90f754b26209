"""Equipment writes: POST, PUT, PATCH and DELETE with validation, conflicts, ETags and If-Match."""

import concurrent.futures
import threading

import pytest

from conftest import API_KEY, make_client, table_snapshot

UNIT = {
    "substation_id": 2,
    "name": "T9-new",
    "kind": "power_transformer",
    "manufacturer": "Hyosung",
    "rated_mva": 166.7,
    "voltage_kv": 154,
    "year_manufactured": 2024,
    "oil_preservation": "sealed",
    "status": "in_service",
}


def _create(writer, **changes):
    """POST a unit (UNIT with `changes`) and return the response."""
    response = writer.post("/api/v1/equipment", json={**UNIT, **changes})
    assert response.status_code == 201, response.text
    return response


def _read(writer, unit_id):
    """GET one unit: (body, ETag)."""
    response = writer.get(f"/api/v1/equipment/{unit_id}")
    assert response.status_code == 200
    return response.json(), response.headers["etag"]


def test_post_creates_a_unit_that_reads_back_identical(writer, sql):
    response = _create(writer)
    created = response.json()
    assert response.headers["location"] == f"http://testserver/api/v1/equipment/{created['id']}"
    assert created == {"id": created["id"], **UNIT, "insulating_liquid": "mineral"}  # the default liquid
    body, etag = _read(writer, created["id"])
    assert body == created and etag == response.headers["etag"]
    assert sql("SELECT name, substation_id FROM equipment WHERE id = ?", (created["id"],)) == [("T9-new", 2)]


def test_a_standalone_target_points_location_below_its_own_root(settings_env):
    settings_env(SEDA_API_KEYS=API_KEY)
    with make_client("equipment") as client:
        response = client.post("/", json=UNIT, headers={"X-API-Key": API_KEY})
        assert response.status_code == 201
        location = response.headers["location"]
        assert location == f"http://testserver/{response.json()['id']}"
        assert client.get(location).json() == response.json()


def test_post_lists_every_problem_with_its_field_and_writes_nothing(writer, demo_db):
    before = table_snapshot(demo_db)
    body = {**UNIT, "kind": "teapot", "rated_mva": -5, "year_manufactured": "2024", "colour": "red", "status": None}
    del body["name"]
    response = writer.post("/api/v1/equipment", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "SchemaValidation"
    problems = {d["field"]: d["message"] for d in error["details"]}
    assert set(problems) == {"kind", "rated_mva", "year_manufactured", "colour", "status", "name"}
    assert "one of power_transformer, auto_transformer" in problems["kind"] and "'teapot'" in problems["kind"]
    assert "from 0 to 999,999.99 with at most 2 decimals; received -5" in problems["rated_mva"]
    assert "received '2024'" in problems["year_manufactured"]
    assert "accepted fields: substation_id, name, kind" in problems["colour"]
    assert "'status' is required" in problems["status"] and "'name' is required" in problems["name"]
    assert all(message in error["message"] for message in problems.values())
    assert table_snapshot(demo_db) == before


@pytest.mark.parametrize(
    "body,fragment",
    [
        ([UNIT], "must be a JSON object describing equipment; received an array"),
        ({**UNIT, "name": ""}, "'name' must be text of 1 to 100 bytes"),
        ({**UNIT, "name": "변" * 34}, "'name' must be text of 1 to 100 bytes"),
        ({**UNIT, "substation_id": True}, "'substation_id' must be an integer"),
        ({**UNIT, "voltage_kv": "154"}, "'voltage_kv' must be a number"),
        ({**UNIT, "id": 5}, "'id' is not a field"),
    ],
)
def test_post_rejects_bad_values(writer, body, fragment):
    response = writer.post("/api/v1/equipment", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_duplicate_name_in_a_substation_is_409_saying_what_to_fix(writer, sql):
    name, substation_id = sql("SELECT name, substation_id FROM equipment WHERE id = 1")[0]
    response = writer.post("/api/v1/equipment", json={**UNIT, "name": name, "substation_id": substation_id})
    assert response.status_code == 409
    assert response.json()["message"] == (
        f"Equipment named '{name}' already exists in substation {substation_id} (id 1); choose another name."
    )
    _create(writer, name="T-shared", substation_id=2)
    _create(writer, name="T-shared", substation_id=3)  # names are unique within a substation only


def test_unknown_substation_is_409(writer, demo_db):
    before = table_snapshot(demo_db)
    response = writer.post("/api/v1/equipment", json={**UNIT, "substation_id": 9999})
    assert response.status_code == 409
    assert "Substation 9999 does not exist" in response.json()["message"]
    assert table_snapshot(demo_db) == before


def test_put_replaces_every_field(writer):
    created = _create(writer).json()
    _, etag = _read(writer, created["id"])
    replacement = {**UNIT, "name": "T9-renamed", "status": "standby"}
    del replacement["manufacturer"]
    response = writer.put(f"/api/v1/equipment/{created['id']}", json=replacement, headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.json() == {**replacement, "id": created["id"], "manufacturer": None, "insulating_liquid": "mineral"}
    assert response.headers["etag"] != etag
    assert _read(writer, created["id"]) == (response.json(), response.headers["etag"])


LIQUID_ACCEPTED = "'insulating_liquid' must be one of mineral, natural_ester, synthetic_ester, silicone"


def test_post_takes_an_insulating_liquid_and_refuses_an_unknown_one(writer, demo_db):
    created = _create(writer, insulating_liquid="natural_ester").json()
    assert created["insulating_liquid"] == "natural_ester" and _read(writer, created["id"])[0] == created
    before = table_snapshot(demo_db)

    response = writer.post("/api/v1/equipment", json={**UNIT, "name": "T9-castor", "insulating_liquid": "castor oil"})

    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "SchemaValidation" and error["request_id"]
    assert error["details"] == [{"field": "insulating_liquid", "message": f"{LIQUID_ACCEPTED}; received 'castor oil'."}]
    assert table_snapshot(demo_db) == before


def test_put_without_a_liquid_puts_back_mineral_oil(writer):
    created = _create(writer, insulating_liquid="silicone").json()
    _, etag = _read(writer, created["id"])
    response = writer.put(f"/api/v1/equipment/{created['id']}", json=UNIT, headers={"If-Match": etag})
    assert response.status_code == 200 and response.json()["insulating_liquid"] == "mineral"
    assert response.headers["etag"] != etag


def test_patch_changes_the_liquid_keeps_it_when_absent_and_null_means_mineral(writer, demo_db):
    _, etag = _read(writer, 4)
    changed = writer.patch("/api/v1/equipment/4", json={"insulating_liquid": "synthetic_ester"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["insulating_liquid"] == "synthetic_ester"
    assert changed.headers["etag"] != etag and _read(writer, 4) == (changed.json(), changed.headers["etag"])
    kept = writer.patch("/api/v1/equipment/4", json={"status": "standby"}, headers={"If-Match": "*"})
    assert kept.json()["insulating_liquid"] == "synthetic_ester"
    before = table_snapshot(demo_db)
    refused = writer.patch("/api/v1/equipment/4", json={"insulating_liquid": 3}, headers={"If-Match": "*"})
    assert refused.status_code == 400 and f"{LIQUID_ACCEPTED}; received 3." in refused.json()["message"]
    assert table_snapshot(demo_db) == before
    cleared = writer.patch("/api/v1/equipment/4", json={"insulating_liquid": None}, headers={"If-Match": "*"})
    assert cleared.status_code == 200 and cleared.json()["insulating_liquid"] == "mineral"


def test_put_accepts_a_read_row_sent_back_but_not_another_id(writer):
    body, etag = _read(writer, 3)
    assert writer.put("/api/v1/equipment/3", json={**body, "status": "standby"}, headers={"If-Match": etag}).status_code == 200
    response = writer.put("/api/v1/equipment/3", json={**body, "id": 4}, headers={"If-Match": "*"})
    assert response.status_code == 400
    assert "differs from the path's (3)" in response.json()["message"]


def test_put_needs_every_required_field(writer):
    response = writer.put("/api/v1/equipment/3", json={"name": "x"}, headers={"If-Match": "*"})
    assert response.status_code == 400
    assert {d["field"] for d in response.json()["details"]} == {"substation_id", "kind", "oil_preservation", "status"}


def test_patch_changes_only_the_given_fields_and_null_clears_optional_ones(writer):
    before, etag = _read(writer, 4)
    response = writer.patch(
        "/api/v1/equipment/4", json={"status": "retired", "manufacturer": None}, headers={"If-Match": etag}
    )
    assert response.status_code == 200
    assert response.json() == {**before, "status": "retired", "manufacturer": None}
    merge_patch = writer.patch(
        "/api/v1/equipment/4",
        content=b'{"rated_mva": 250}',
        headers={"If-Match": response.headers["etag"], "Content-Type": "application/merge-patch+json"},
    )
    assert merge_patch.status_code == 200 and merge_patch.json()["rated_mva"] == 250.0


def test_patch_cannot_null_a_required_field_or_take_a_used_name(writer, sql):
    response = writer.patch("/api/v1/equipment/4", json={"kind": None}, headers={"If-Match": "*"})
    assert response.status_code == 400 and "'kind' is required" in response.json()["message"]
    substation_id, name = sql("SELECT substation_id, name FROM equipment WHERE id = 4")[0]
    namesake = sql("SELECT name FROM equipment WHERE substation_id = ? AND id <> 4 LIMIT 1", (substation_id,))[0][0]
    response = writer.patch("/api/v1/equipment/4", json={"name": namesake}, headers={"If-Match": "*"})
    assert response.status_code == 409 and f"'{namesake}' already exists in substation {substation_id}" in response.text
    assert sql("SELECT name FROM equipment WHERE id = 4") == [(name,)]


def test_patch_can_move_a_unit_to_another_substation(writer):
    response = writer.patch("/api/v1/equipment/4", json={"substation_id": 5, "name": "moved"}, headers={"If-Match": "*"})
    assert response.status_code == 200 and response.json()["substation_id"] == 5


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_changes_need_if_match_and_refuse_a_stale_one(writer, demo_db, method):
    body, etag = _read(writer, 6)
    writer.patch("/api/v1/equipment/6", json={"manufacturer": "first operator"}, headers={"If-Match": etag})
    before = table_snapshot(demo_db)
    missing = writer.request(method, "/api/v1/equipment/6", json=body)
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["message"] and missing.json()["error"] == "PreconditionRequired"
    stale = writer.request(method, "/api/v1/equipment/6", json=body, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"] == "PreconditionFailed"
    weak = writer.request(method, "/api/v1/equipment/6", json=body, headers={"If-Match": f"W/{_read(writer, 6)[1]}"})
    assert weak.status_code == 412, "If-Match compares strongly"
    assert table_snapshot(demo_db) == before
    current = _read(writer, 6)[1]
    listed = writer.request(method, "/api/v1/equipment/6?cascade=true" if method == "DELETE" else "/api/v1/equipment/6",
                            json=body, headers={"If-Match": f'"other", {current}'})
    assert listed.status_code in (200, 204)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_changing_a_missing_unit_is_404(writer, method):
    response = writer.request(method, "/api/v1/equipment/424242", json=UNIT, headers={"If-Match": "*"})
    assert response.status_code == 404 and response.json()["message"] == "No equipment with id 424242."


def test_delete_is_409_while_samples_reference_the_unit_unless_cascade(writer, sql, demo_db):
    samples = sql("SELECT COUNT(*) FROM dga_sample WHERE equipment_id = 7")[0][0]
    assert samples > 0
    before = table_snapshot(demo_db)
    refused = writer.delete("/api/v1/equipment/7", headers={"If-Match": "*"})
    assert refused.status_code == 409
    assert f"has {samples} DGA samples and " in refused.json()["message"] and "?cascade=true" in refused.json()["message"]
    assert table_snapshot(demo_db) == before
    assert writer.delete("/api/v1/equipment/7?cascade=maybe", headers={"If-Match": "*"}).status_code == 400
    deleted = writer.delete("/api/v1/equipment/7?cascade=true", headers={"If-Match": _read(writer, 7)[1]})
    assert deleted.status_code == 204 and deleted.content == b""
    assert writer.get("/api/v1/equipment/7").status_code == 404
    assert sql("SELECT COUNT(*) FROM dga_sample WHERE equipment_id = 7") == [(0,)]
    assert sql("SELECT COUNT(*) FROM dga_sample") == [(len(before["dga_sample"]) - samples,)]


def test_delete_of_a_unit_without_samples(writer):
    created = _create(writer).json()
    assert writer.delete(f"/api/v1/equipment/{created['id']}", headers={"If-Match": "*"}).status_code == 204
    assert writer.get(f"/api/v1/equipment/{created['id']}").status_code == 404


def test_etag_is_stable_and_if_none_match_gives_304(writer):
    first = writer.get("/api/v1/equipment/8")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag == writer.get("/api/v1/equipment/8").headers["etag"]
    assert etag != writer.get("/api/v1/equipment/9").headers["etag"]
    for header in (etag, f"W/{etag}", f'"x", {etag}', "*"):
        cached = writer.get("/api/v1/equipment/8", headers={"If-None-Match": header})
        assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == etag
    assert writer.get("/api/v1/equipment/8", headers={"If-None-Match": '"other"'}).status_code == 200
    assert writer.get("/api/v1/measurements/8").headers["etag"]


def test_wrong_content_type_is_415_and_malformed_json_400_with_its_position(writer):
    response = writer.post("/api/v1/equipment", content=b"name=T1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and response.json()["error"] == "UnsupportedMediaType"
    assert "application/json" in response.json()["message"]
    assert writer.post("/api/v1/equipment", content=b"{}").status_code == 415, "no Content-Type at all"
    response = writer.patch(
        "/api/v1/equipment/1", content=b'{"name": "T1",\n "kind": }', headers={"Content-Type": "application/json", "If-Match": "*"}
    )
    assert response.status_code == 400 and response.json()["error"] == "SchemaValidation"
    assert "line 2, column 10" in response.json()["message"]


def test_a_body_over_the_size_limit_is_413_before_parsing(writer, settings_env):
    settings_env(SEDA_API_KEYS=writer.headers["authorization"].removeprefix("Bearer "), SEDA_MAX_BODY_BYTES="100")
    oversized = b'{"name": "' + b"x" * 200 + b'"'  # not even JSON: the size is refused first
    declared = writer.post("/api/v1/equipment", content=oversized, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "100 bytes" in declared.json()["message"]
    streamed = writer.post("/api/v1/equipment", content=iter([oversized[:60], oversized[60:]]), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413, "a body without Content-Length is counted while it is read"


def _race(writer, bodies, etag):
    """Send one PATCH per body at the same moment from its own thread, all with the same If-Match."""
    barrier = threading.Barrier(len(bodies))

    def patch(body):
        barrier.wait()
        return writer.patch("/api/v1/equipment/10", json=body, headers={"If-Match": etag})

    with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(patch, bodies))


def test_concurrent_writers_with_the_same_if_match_cannot_lose_an_update(writer, sql):
    _, etag = _read(writer, 10)
    bodies = [{"manufacturer": "operator A"}, {"rated_mva": 999.5}] + [{"year_manufactured": 1950 + n} for n in range(6)]
    responses = _race(writer, bodies, etag)
    assert sorted(r.status_code for r in responses) == [200] + [412] * 7
    winner = next(r for r in responses if r.status_code == 200)
    assert _read(writer, 10) == (winner.json(), winner.headers["etag"])
    columns = "manufacturer, rated_mva, year_manufactured"
    assert sql(f"SELECT {columns} FROM equipment WHERE id = 10") == [tuple(winner.json()[c] for c in columns.split(", "))]


def test_more_decimals_than_the_column_keeps_is_refused(writer):
    response = writer.post("/api/v1/equipment", json={**UNIT, "name": "T-decimals", "rated_mva": 1.234, "voltage_kv": 154.25})
    assert response.status_code == 400
    problems = {d["field"]: d["message"] for d in response.json()["details"]}
    assert set(problems) == {"rated_mva", "voltage_kv"}
    assert "at most 1 decimals; received 154.25" in problems["voltage_kv"]
