"""The diagnoses reads from stored verdicts: the fleet ranking and its cursor, pending samples diagnosed inline,
stale verdicts flagged, the change feed, and the streamed exports of the ranking and of a unit's history."""

import re
import sqlite3

import orjson
import pytest

from conftest import API_KEY, follow_pages, make_client, write_lock_held
from shared import change_feed, db, dga, fleet
from test_oracle_sql import UNIT
from test_verdict_store import assert_stored_equal_fresh

LINK = re.compile(r'<http://testserver(/api/v1/[^>]+)>; rel="next"')
GASES = {"h2": 500, "ch4": 120, "c2h6": 30, "c2h4": 80, "c2h2": 40, "co": 300, "co2": 2000}


def _execute(path, statement, binds=()):
    """Run one statement on a connection of the test's own (a write past the API) and commit."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(statement, binds).fetchall()
        connection.commit()
        return rows
    finally:
        connection.close()


def _next(response):
    """The path of the rel="next" link."""
    return LINK.fullmatch(response.headers["link"]).group(1)


def test_cursor_pages_and_offset_pages_give_the_same_ranking(client):
    by_cursor, pages = follow_pages(client, "/api/v1/diagnoses?limit=13")
    assert pages > 5
    assert "cursor=" in client.get("/api/v1/diagnoses?limit=13").headers["link"]
    by_offset = []
    for offset in range(0, len(by_cursor), 13):
        by_offset.extend(client.get(f"/api/v1/diagnoses?limit=13&offset={offset}").json())
    assert by_offset == by_cursor
    assert [(e["rank"], -e["equipment_id"]) for e in by_cursor] == sorted(
        ((e["rank"], -e["equipment_id"]) for e in by_cursor), reverse=True)


def test_units_without_a_verdict_follow_by_id_across_the_cursor(client, demo_db, writer):
    for name in ("U-a", "U-b", "U-c"):  # new units: no sample, no verdict
        assert writer.post("/api/v1/equipment", json={**UNIT, "name": name}).status_code == 201
    entries, _ = follow_pages(client, "/api/v1/diagnoses?limit=7")
    tail = [e for e in entries if e["rank"] == -1]
    assert [e["equipment_name"] for e in tail] == ["U-a", "U-b", "U-c"]
    assert all(e["action"] == "No complete DGA sample: take one." and e["engine_version"] is None for e in tail)
    assert entries[-3:] == tail


def test_stale_verdicts_are_served_flagged_with_their_engine(client, demo_db):
    _execute(demo_db, "UPDATE dga_diagnosis SET fingerprint = 'older', engine_version = '0.9.0' WHERE equipment_id = 3")
    entry = next(e for e in follow_pages(client, "/api/v1/diagnoses?limit=1000")[0] if e["equipment_id"] == 3)
    assert entry["stale"] is True and entry["engine_version"] == "0.9.0"
    unit = client.get("/api/v1/diagnoses/3?history=true").json()
    assert unit["stale"] is True and unit["engine_version"] == "0.9.0"
    assert all(point["stale"] for point in unit["history"])
    other = client.get("/api/v1/diagnoses/4").json()
    assert other["stale"] is False and other["engine_version"] == dga.ENGINE_VERSION


def test_a_sample_written_past_the_api_is_diagnosed_stored_and_ranked_by_the_next_fleet_request(client, demo_db):
    _execute(demo_db, "INSERT INTO dga_sample (equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2) "
                      "VALUES (7, '2031-01-01 00:00:00.000000', ?, ?, ?, ?, ?, ?, ?)", tuple(GASES.values()))
    sample_id = _execute(demo_db, "SELECT MAX(id) FROM dga_sample")[0][0]
    unit = client.get("/api/v1/diagnoses/7").json()  # a unit read computes it on the fly, writing nothing
    assert unit["sample"]["id"] == sample_id and unit["diagnosis"]["fault"]["type"] == "D2"
    assert _execute(demo_db, "SELECT COUNT(*) FROM dga_diagnosis WHERE sample_id = ?", (sample_id,))[0][0] == 0
    response = client.get("/api/v1/diagnoses?limit=1000")
    assert "x-verdicts-pending" not in response.headers
    entry = next(e for e in response.json() if e["equipment_id"] == 7)
    assert entry["sample_id"] == sample_id and entry["fault_type"] == "D2" and entry["stale"] is False
    assert_stored_equal_fresh(demo_db, [7])
    assert client.get("/api/v1/diagnoses/7").json()["diagnosis"] == unit["diagnosis"]


def test_after_a_migration_the_fleet_stores_every_verdict_cap_by_cap_and_says_while_some_wait(client, demo_db,
                                                                                            settings_env, sql):
    settings_env(SEDA_MAX_INLINE_DIAGNOSES="1000")
    _execute(demo_db, "DELETE FROM dga_diagnosis")  # as after migration 4 on a database with samples
    _execute(demo_db, "DELETE FROM dga_change")
    first = client.get("/api/v1/diagnoses?limit=1")
    assert first.headers["x-verdicts-pending"] == "true"
    assert _execute(demo_db, "SELECT COUNT(*) FROM dga_diagnosis")[0][0] >= 1000
    for _ in range(20):
        if "x-verdicts-pending" not in client.get("/api/v1/diagnoses?limit=1").headers:
            break
    else:
        pytest.fail("the pending verdicts never caught up")
    assert_stored_equal_fresh(demo_db, [row[0] for row in sql("SELECT id FROM equipment")])


def test_inline_diagnosis_can_be_turned_off(client, demo_db, settings_env):
    settings_env(SEDA_MAX_INLINE_DIAGNOSES="0")
    _execute(demo_db, "DELETE FROM dga_diagnosis WHERE equipment_id = 11")
    entries = follow_pages(client, "/api/v1/diagnoses?limit=1000")[0]
    assert entries[-1]["equipment_id"] == 11 and entries[-1]["rank"] == -1
    assert entries[-1]["action"].startswith("Diagnosis pending")
    assert _execute(demo_db, "SELECT COUNT(*) FROM dga_diagnosis WHERE equipment_id = 11")[0][0] == 0


@pytest.mark.parametrize("query,error", [("cursor=abc&offset=3", "InvalidParameters"), ("cursor=%%%", "InvalidParameters"),
                                         ("offset=10001", "InvalidIntegerFormat"), ("format=xml", "InvalidParameters"),
                                         ("format=ndjson&limit=5", "InvalidParameters")])
def test_bad_fleet_paging_is_400(client, query, error):
    response = client.get(f"/api/v1/diagnoses?{query}")
    assert response.status_code == 400 and response.json()["error"] == error


def _feed(client, url):
    """Every change the feed serves from `url` on, following its links until a page comes back empty."""
    changes = []
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.text
        url = _next(response)
        if not response.json():
            return changes, url
        changes.extend(response.json())


def test_the_change_feed_lists_each_change_once_oldest_first_and_keeps_the_cursor(client, writer, settings_env):
    settings_env(SEDA_CHANGE_FEED_DELAY_S="0", SEDA_API_KEYS=API_KEY)
    initial, resume = _feed(client, "/api/v1/diagnoses/changes?limit=50")
    assert [c["id"] for c in initial] == sorted(c["id"] for c in initial)
    assert all(c["previous"]["severity"] is None and c["sample_id"] for c in initial)  # each unit's first verdict
    assert "since=" in resume
    sample = {"equipment_id": 2, "sampled_at": "2031-01-01T00:00:00Z", **GASES, "lab": "x"}
    assert writer.post("/api/v1/measurements", json=[sample]).status_code == 200
    new, resume_after = _feed(client, resume)
    assert len(new) == 1 and new[0]["equipment_id"] == 2 and new[0]["current"]["fault_type"] == "D2"
    unit_2 = [c for c in initial if c["equipment_id"] == 2]
    assert new[0]["previous"] == unit_2[-1]["current"]
    assert client.get(resume_after).json() == [] and _next(client.get(resume_after)) == resume_after
    worse = client.get(f"{resume.split('?')[0]}?since={new[0]['id'] - 1}&worsened=true").json()
    assert [c["id"] for c in worse] == ([new[0]["id"]] if _level(new[0]["current"]) > _level(new[0]["previous"]) else [])


def _level(state):
    """A severity's level, as the feed's `worsened` compares them ("unknown" and none as "none")."""
    return change_feed.SEVERITY_LEVELS[state["severity"] or "none"]


def test_the_change_feed_holds_back_changes_younger_than_its_delay(client, writer, settings_env):
    settings_env(SEDA_CHANGE_FEED_DELAY_S="3600")
    assert client.get("/api/v1/diagnoses/changes").json() == []  # the demo database was made just now
    assert "since=0" in client.get("/api/v1/diagnoses/changes").headers["link"]


def test_the_change_feed_filters_by_substation(client, sql, settings_env):
    settings_env(SEDA_CHANGE_FEED_DELAY_S="0")
    changes = client.get("/api/v1/diagnoses/changes?substation_id=2&limit=1000").json()
    assert {c["equipment_id"] for c in changes} == {r[0] for r in sql("SELECT id FROM equipment WHERE substation_id = 2")}
    response = client.get("/api/v1/diagnoses/changes?since=x")
    assert response.status_code == 400 and response.json()["error"] == "InvalidIntegerFormat"


def test_the_fleet_export_equals_the_paged_ranking(client, demo_db):
    _execute(demo_db, "INSERT INTO equipment (substation_id, name, kind, oil_preservation, status) "
                      "VALUES (1, 'no samples', 'shunt_reactor', 'sealed', 'standby')")
    paged = follow_pages(client, "/api/v1/diagnoses?limit=1000")[0]
    assert paged[-1]["equipment_name"] == "no samples"  # the export ends with the units without a verdict too
    response = client.get("/api/v1/diagnoses?format=ndjson")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    exported = [orjson.loads(line) for line in response.content.splitlines()]
    assert exported == orjson.loads(orjson.dumps(paged))
    csv_lines = client.get("/api/v1/diagnoses?format=csv&status=3").text.splitlines()
    assert csv_lines[0].startswith("equipment_id,equipment_name") and len(csv_lines) > 1


def test_the_history_export_equals_the_paged_series_also_for_pending_samples(client, demo_db):
    _execute(demo_db, "DELETE FROM dga_diagnosis WHERE equipment_id = 12 AND sampled_at > '2020-01-01'")
    paged = client.get("/api/v1/diagnoses/12?history=true&limit=1000").json()["history"]
    exported = [orjson.loads(line) for line in client.get("/api/v1/diagnoses/12?history=true&format=ndjson").content.splitlines()]
    without_time = [{k: v for k, v in point.items() if k != "diagnosed_at"} for point in paged]
    assert [{k: v for k, v in point.items() if k != "diagnosed_at"} for point in exported] == orjson.loads(
        orjson.dumps(without_time))
    assert client.get("/api/v1/diagnoses/12?format=csv").status_code == 400  # an export of the series needs history=true


def test_every_statement_of_the_stored_reads_parses_as_oracle_19c(client, demo_db, settings_env):
    from test_oracle_sql import parse_oracle
    from shared import db

    settings_env(SEDA_CHANGE_FEED_DELAY_S="0")
    _execute(demo_db, "INSERT INTO dga_sample (equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2) "
                      "VALUES (13, '2031-01-01 00:00:00.000000', ?, ?, ?, ?, ?, ?, ?)", tuple(GASES.values()))
    _execute(demo_db, "INSERT INTO equipment (substation_id, name, kind, oil_preservation, status) "
                      "VALUES (1, 'no samples', 'shunt_reactor', 'sealed', 'standby')")
    seen = []
    db.statement_observers.append(lambda sql, paged: seen.append(db.ORACLE.render(sql, paged)))
    try:
        cursor_url = _next(client.get("/api/v1/diagnoses?limit=5&substation_id=1"))
        _execute(demo_db, "DELETE FROM dga_diagnosis WHERE equipment_id = 14")
        for path in (cursor_url, "/api/v1/diagnoses?offset=9000", "/api/v1/diagnoses?status=2&fault=none",
                     "/api/v1/diagnoses?fault=T3&limit=3", "/api/v1/diagnoses?format=csv&substation_id=1",
                     "/api/v1/diagnoses/14?at=2030-01-01", "/api/v1/diagnoses/3?history=true&format=ndjson",
                     "/api/v1/diagnoses/changes?since=3&substation_id=1&worsened=true&limit=5"):
            assert client.get(path).status_code == 200, path
    finally:
        db.statement_observers.clear()
    kinds = " ".join(seen)
    for fragment in ("AND d.verdict_rank = :k_0 AND d.equipment_id > :k_1", "AND d.verdict_rank < :k_0 ORDER BY",
                     "NOT IN (SELECT d.equipment_id", "COUNT(*)",
                     "NOT EXISTS (SELECT 1 FROM dga_diagnosis d WHERE d.sample_id = s.id)", "FROM dga_change c",
                     "LEFT JOIN dga_diagnosis d ON d.sample_id = s.id", "FOR UPDATE"):
        assert fragment in kinds, fragment
    for statement in set(seen):
        parse_oracle(statement)


def test_a_rewritten_verdict_replaces_what_the_ranking_read_of_the_old_one(writer):
    for preservation, built in (("free_breathing", 1960), ("sealed", 2018), ("free_breathing", 1985)):
        entries = follow_pages(writer, "/api/v1/diagnoses?limit=1000")[0]  # reads (and keeps) every document's parts
        for entry in entries[:5]:
            unit = writer.get(f"/api/v1/diagnoses/{entry['equipment_id']}").json()
            assert (entry["agreement"], entry["action"], entry["diagnosed_at"]) == (
                unit["diagnosis"]["fault"]["agreement"], unit["diagnosis"]["action"], unit["diagnosed_at"])
        for entry in entries[:5]:  # rewrites every verdict of these units (a new diagnosed_at)
            response = writer.patch(f"/api/v1/equipment/{entry['equipment_id']}", headers={"If-Match": "*"},
                                    json={"oil_preservation": preservation, "year_manufactured": built})
            assert response.status_code == 200, response.text


def test_a_parts_cache_smaller_than_a_page_still_shows_every_ranked_unit_with_its_verdict(client, monkeypatch):
    expected = follow_pages(client, "/api/v1/diagnoses?limit=1000")[0]
    fleet._parts_read.clear()
    monkeypatch.setattr(fleet, "PARTS_CACHED", 3)  # a page's own new entries overflow it
    for _ in range(2):  # the second time the cache holds another page's last entries
        assert follow_pages(client, "/api/v1/diagnoses?limit=10")[0] == expected
    assert all(entry["rank"] != -1 for entry in expected if entry["sample_id"] is not None)


def test_a_verdict_rewritten_between_the_ranking_and_its_document_read_is_shown_as_it_is_now(client, demo_db):
    fleet._parts_read.clear()
    rewritten = []

    def rewrite_before_the_first_document_read(statement, paged):
        if statement.startswith("SELECT sample_id, diagnosed_at, verdict") and not rewritten:
            rewritten.append(_execute(demo_db, "UPDATE dga_diagnosis SET diagnosed_at = '2032-02-02 00:00:00.000000' "
                                               "WHERE is_latest = 1 AND equipment_id = 5 RETURNING sample_id"))

    db.statement_observers.append(rewrite_before_the_first_document_read)
    try:
        entries = follow_pages(client, "/api/v1/diagnoses?limit=1000")[0]
    finally:
        db.statement_observers.clear()
    assert rewritten
    entry = next(e for e in entries if e["equipment_id"] == 5)
    assert entry["rank"] != -1 and entry["diagnosed_at"].startswith("2032-02-02") and entry["action"]
    assert entry["action"] == client.get("/api/v1/diagnoses/5").json()["diagnosis"]["action"]


def test_the_change_feed_stops_before_an_unsettled_change_and_serves_the_settled_one_after_it_later(client, demo_db,
                                                                                                   settings_env):
    settings_env(SEDA_CHANGE_FEED_DELAY_S="60")
    _execute(demo_db, "UPDATE dga_change SET changed_at = '2000-01-01 00:00:00.000000'")  # every change settled
    insert = ("INSERT INTO dga_change (equipment_id, changed_at, sample_id, engine_version, severity) "
              "VALUES (3, ?, NULL, 'x', 'unknown') RETURNING id")
    (unsettled,), = _execute(demo_db, insert, ("2999-01-01 00:00:00.000000",))  # a lower id committed late
    (settled,), = _execute(demo_db, insert, ("2000-01-02 00:00:00.000000",))
    served, resume = _feed(client, "/api/v1/diagnoses/changes?limit=1000")
    assert served and served[-1]["id"] == unsettled - 1 and settled not in [c["id"] for c in served]
    _execute(demo_db, "UPDATE dga_change SET changed_at = '2000-01-03 00:00:00.000000' WHERE id = ?", (unsettled,))
    assert [c["id"] for c in _feed(client, resume)[0]] == [unsettled, settled]


def test_a_catch_up_the_database_cannot_write_now_leaves_the_ranking_served_and_flagged_pending(demo_db, settings_env):
    settings_env(SEDA_SQLITE_BUSY_TIMEOUT_MS="50")
    _execute(demo_db, "INSERT INTO dga_sample (equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2) "
                      "VALUES (7, '2031-01-01 00:00:00.000000', ?, ?, ?, ?, ?, ?, ?)", tuple(GASES.values()))
    with make_client("api") as client:
        before = client.get("/api/v1/health/ready")  # the first request of the process, before the lock is taken
        assert before.status_code == 200, before.text
        with write_lock_held(demo_db):
            response = client.get("/api/v1/diagnoses?limit=1000")
        assert response.status_code == 200, response.text
        assert response.headers["x-verdicts-pending"] == "true"
        held_back = next(e for e in response.json() if e["equipment_id"] == 7)
        assert held_back["rank"] != -1 and held_back["sampled_at"] < "2031"  # ranked by its earlier sample's verdict
        after = client.get("/api/v1/diagnoses?limit=1000")  # the lock gone, the next request stores it
    assert "x-verdicts-pending" not in after.headers
    assert _execute(demo_db, "SELECT COUNT(*) FROM dga_diagnosis d JOIN dga_sample s ON s.id = d.sample_id "
                             "WHERE s.sampled_at LIKE '2031%'")[0][0] == 1


def test_with_one_session_slot_the_fleet_and_history_exports_each_complete(demo_db, settings_env):
    settings_env(SEDA_SQLITE_MAX_SESSIONS="1")
    _execute(demo_db, "INSERT INTO equipment (substation_id, name, kind, oil_preservation, status) "
                      "VALUES (1, 'no samples', 'shunt_reactor', 'sealed', 'standby')")
    with make_client("api") as client:
        fleet_export = client.get("/api/v1/diagnoses?format=ndjson")
        history_export = client.get("/api/v1/diagnoses/3?history=true&format=ndjson")
        assert history_export.status_code == 200, history_export.text
        series = client.get("/api/v1/diagnoses/3?history=true&limit=1000").json()["history"]
    assert fleet_export.status_code == 200, fleet_export.text
    exported = [orjson.loads(line) for line in fleet_export.content.splitlines()]
    assert exported[-1]["equipment_name"] == "no samples"  # the tail, read after the ranked part's stream
    assert [point["sample_id"] for point in map(orjson.loads, history_export.content.splitlines())] == [
        point["sample_id"] for point in series]
