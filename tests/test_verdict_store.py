"""Stored verdicts (`shared/verdict_store.py`): after any sequence of writes through the API, every stored verdict
equals a fresh computation from the samples, and the change feed's last word on each unit is its latest verdict."""

import datetime
import gc
import random
import sqlite3

import numpy as np
import orjson
import pytest

from shared import db, dga, verdict_store
from shared.dga.rows import HISTORY_DEPTH, diagnose_windows

GAS_FIELDS = dga.SAMPLE_FIELDS


def _rows(path, sql, binds=()):
    """Rows as dicts, from a connection of the test's own."""
    connection = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, binds)]
    finally:
        connection.close()


def fresh_verdicts(path, unit_id):
    """Sample id -> the engine's verdict computed now from the unit's complete samples."""
    unit = _rows(path, f"SELECT {', '.join(verdict_store.UNIT_FIELDS)} FROM equipment WHERE id = ?", (unit_id,))[0]
    samples = _rows(path, f"SELECT id, equipment_id, sampled_at, {', '.join(GAS_FIELDS)} FROM dga_sample "
                          f"WHERE equipment_id = ? AND {verdict_store.COMPLETE} ORDER BY sampled_at", (unit_id,))
    if not samples:
        return {}
    windows = [samples[max(0, position - HISTORY_DEPTH) : position + 1] for position in range(len(samples))]
    verdicts = dga.verdicts_from_columns(diagnose_windows([unit] * len(windows), windows))
    return {sample["id"]: verdict for sample, verdict in zip(samples, verdicts)}


def assert_stored_equal_fresh(path, unit_ids):
    """Every stored verdict of the units equals a fresh one, the latest is marked, and the feed ends on it."""
    for unit_id in unit_ids:
        fresh = fresh_verdicts(path, unit_id)
        stored = {row["sample_id"]: row for row in _rows(path, "SELECT * FROM dga_diagnosis WHERE equipment_id = ?",
                                                         (unit_id,))}
        assert set(stored) == set(fresh), f"unit {unit_id}: verdicts of other samples than its complete ones"
        for sample_id, verdict in fresh.items():
            row = stored[sample_id]
            assert orjson.loads(row["verdict"]) == verdict, f"unit {unit_id}, sample {sample_id}"
            assert (row["dga_status"], row["fault_type"], row["severity"], row["verdict_rank"]) == (
                verdict["methods"]["ieee_c57_104_2019"]["status"], verdict["fault"]["type"],
                verdict["fault"]["severity"], verdict["rank"])
            assert row["fingerprint"] == verdict_store.fingerprint() and row["engine_version"] == dga.ENGINE_VERSION
        latest = max(fresh, key=lambda sample_id: stored[sample_id]["sampled_at"]) if fresh else None
        assert [sample_id for sample_id, row in stored.items() if row["is_latest"]] == ([latest] if latest else [])
        feed = _rows(path, "SELECT * FROM dga_change WHERE equipment_id = ? ORDER BY id DESC LIMIT 1", (unit_id,))
        if latest is None:
            assert not feed or feed[0]["sample_id"] is None
        else:
            assert feed and (feed[0]["dga_status"], feed[0]["fault_type"], feed[0]["severity"]) == (
                stored[latest]["dga_status"], stored[latest]["fault_type"], stored[latest]["severity"])


def test_the_demo_database_holds_a_fresh_verdict_for_every_complete_sample(demo_db):
    unit_ids = [row["id"] for row in _rows(demo_db, "SELECT id FROM equipment")]
    assert_stored_equal_fresh(demo_db, unit_ids)
    changes = _rows(demo_db, "SELECT equipment_id FROM dga_change")
    assert sorted(row["equipment_id"] for row in changes) == sorted(unit_ids)  # each unit's first verdict, once


def _sample(unit_id, moment, rng, complete=True):
    """A sample of plausible gases; with complete=False one of the seven gases is missing."""
    sample = {"equipment_id": unit_id, "sampled_at": moment.isoformat(), "lab": "test"}
    for gas in GAS_FIELDS:
        sample[gas] = round(rng.lognormal(3, 1.5), 1)
    if not complete:
        sample[rng.choice(dga.GASES)] = None
    return sample


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_verdicts_equal_fresh_ones_after_any_sequence_of_writes(writer, demo_db, seed):
    rng = random.Random(seed)
    numpy_rng = np.random.default_rng(seed)
    units = [1, 2, 3]
    start = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    for step in range(40):
        unit = rng.choice(units)
        action = rng.choice(("insert", "insert", "backfill", "replace", "incomplete", "delete", "unit"))
        existing = _rows(demo_db, "SELECT id, sampled_at FROM dga_sample WHERE equipment_id = ?", (unit,))
        if action in ("insert", "backfill", "incomplete"):
            moment = start + datetime.timedelta(days=rng.randrange(0 if action == "backfill" else 3000, 4000))
            batch = [_sample(unit, moment, numpy_rng, complete=action != "incomplete")]
            response = writer.post("/api/v1/measurements", json=batch)
        elif action == "replace" and existing:
            chosen = rng.choice(existing)["sampled_at"].replace(tzinfo=datetime.timezone.utc)
            response = writer.post("/api/v1/measurements", json=[_sample(unit, chosen, numpy_rng)])
        elif action == "delete" and existing:
            response = writer.delete(f"/api/v1/measurements/{rng.choice(existing)['id']}")
        else:
            response = writer.patch(f"/api/v1/equipment/{unit}", headers={"If-Match": "*"}, json={
                "year_manufactured": rng.randrange(1970, 2020), "oil_preservation": rng.choice(dga.OIL_PRESERVATIONS[1:]),
                "insulating_liquid": rng.choice(dga.INSULATING_LIQUIDS)})
        assert response.status_code in (200, 204), (step, action, response.text)
        assert_stored_equal_fresh(demo_db, [unit])
    assert_stored_equal_fresh(demo_db, units)


def test_a_change_of_liquid_rewrites_the_units_verdicts_in_its_transaction(writer, demo_db):
    latest = "SELECT severity, verdict FROM dga_diagnosis WHERE equipment_id = 1 AND is_latest = 1"
    mineral = _rows(demo_db, latest)[0]
    assert mineral["severity"] != "unknown"

    response = writer.patch("/api/v1/equipment/1", json={"insulating_liquid": "natural_ester"}, headers={"If-Match": "*"})

    assert response.status_code == 200
    assert_stored_equal_fresh(demo_db, [1])
    ester = _rows(demo_db, latest)[0]
    assert ester["severity"] == "unknown"
    assert orjson.loads(ester["verdict"])["methods"]["duval_triangle_1"]["reason"] == (
        "published for mineral oil only; not applicable to natural ester")
    feed = _rows(demo_db, "SELECT previous_severity, severity FROM dga_change WHERE equipment_id = 1 ORDER BY id")
    assert feed[-1] == {"previous_severity": mineral["severity"], "severity": "unknown"}
    unit = writer.get("/api/v1/diagnoses/1").json()
    assert unit["equipment"]["insulating_liquid"] == "natural_ester" and unit["diagnosis"]["fault"]["present"] is None

    writer.patch("/api/v1/equipment/1", json={"insulating_liquid": "mineral"}, headers={"If-Match": "*"})
    assert_stored_equal_fresh(demo_db, [1])
    assert _rows(demo_db, latest)[0]["verdict"] == mineral["verdict"]


def test_a_batch_across_many_units_writes_every_verdict_it_changes(writer, demo_db):
    rng = np.random.default_rng(7)
    moment = datetime.datetime(2019, 6, 1, tzinfo=datetime.timezone.utc)  # inside the units' histories: a backfill
    batch = [_sample(unit, moment, rng) for unit in range(1, 121)]
    assert writer.post("/api/v1/measurements", json=batch).status_code == 200
    assert_stored_equal_fresh(demo_db, range(1, 121))


def test_a_failed_write_leaves_the_stored_verdicts_as_they_were(writer, demo_db):
    before = _rows(demo_db, "SELECT * FROM dga_diagnosis ORDER BY sample_id")
    rng = np.random.default_rng(8)
    batch = [_sample(1, datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc), rng), _sample(9999, datetime.datetime(
        2030, 1, 1, tzinfo=datetime.timezone.utc), rng)]
    assert writer.post("/api/v1/measurements", json=batch).status_code == 409  # unit 9999 does not exist
    assert _rows(demo_db, "SELECT * FROM dga_diagnosis ORDER BY sample_id") == before


def test_a_cascading_delete_removes_the_verdicts_and_the_feed_says_so(writer, demo_db):
    assert writer.delete("/api/v1/equipment/5?cascade=true", headers={"If-Match": "*"}).status_code == 204
    assert _rows(demo_db, "SELECT * FROM dga_diagnosis WHERE equipment_id = 5") == []
    last = _rows(demo_db, "SELECT * FROM dga_change WHERE equipment_id = 5 ORDER BY id DESC LIMIT 1")[0]
    assert (last["sample_id"], last["dga_status"], last["severity"]) == (None, None, "unknown")
    assert last["previous_severity"] is not None


def test_a_new_engine_fingerprint_makes_every_verdict_of_a_touched_unit_fresh(writer, demo_db):
    connection = sqlite3.connect(demo_db)
    with connection:
        connection.execute("UPDATE dga_diagnosis SET fingerprint = 'older engine', verdict = '{}' WHERE equipment_id = 4")
    connection.close()
    rng = np.random.default_rng(9)
    moment = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
    assert writer.post("/api/v1/measurements", json=[_sample(4, moment, rng)]).status_code == 200
    assert_stored_equal_fresh(demo_db, [4])


def test_a_write_rewrites_exactly_the_window_it_falls_in(writer, demo_db):
    """A sample's window holds the HISTORY_DEPTH complete samples before it: deleting or backfilling one sample
    rewrites the verdicts of exactly the next HISTORY_DEPTH, and each equals a fresh one."""
    unit = writer.post("/api/v1/equipment", headers={"If-Match": "*"}, json={
        "substation_id": 1, "name": "window test", "kind": "power_transformer", "year_manufactured": 2000,
        "oil_preservation": "sealed", "status": "in_service"}).json()["id"]
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    rising = [{"equipment_id": unit, "sampled_at": (start + datetime.timedelta(days=30 * month)).isoformat(),
               **{gas: 10.0 * (1 + month) ** 2 for gas in dga.GASES}, "o2": 1000.0, "n2": 50000.0}
              for month in range(12)]
    assert writer.post("/api/v1/measurements", json=rising).status_code == 200
    assert_stored_equal_fresh(demo_db, [unit])
    second = writer.get(f"/api/v1/measurements?equipment_id={unit}").json()[1]
    written_at = "SELECT sample_id, diagnosed_at FROM dga_diagnosis WHERE equipment_id = ?"
    before = {row["sample_id"]: row["diagnosed_at"] for row in _rows(demo_db, written_at, (unit,))}
    assert writer.delete(f"/api/v1/measurements/{second['id']}").status_code == 204
    after = {row["sample_id"]: row["diagnosed_at"] for row in _rows(demo_db, written_at, (unit,))}
    rewritten = sorted(sample_id for sample_id in after if after[sample_id] != before[sample_id])
    assert rewritten == sorted(after)[1 : 1 + HISTORY_DEPTH]  # the six after the deleted one, no other
    assert_stored_equal_fresh(demo_db, [unit])
    backfill = {**rising[1], "sampled_at": (start + datetime.timedelta(days=45)).isoformat()}
    assert writer.post("/api/v1/measurements", json=[backfill]).status_code == 200
    assert_stored_equal_fresh(demo_db, [unit])


def test_the_collector_is_paused_while_a_refresh_runs_and_resumes_after(writer, demo_db):
    """The cyclic collector's full passes over a big refresh held the GIL (and the event loop) for up to 107 ms."""
    seen = []

    def observe(sql, paged):
        if "dga_diagnosis" in str(sql) or "dga_change" in str(sql):
            seen.append(gc.isenabled())

    db.statement_observers.append(observe)
    try:
        sample = _sample(1, datetime.datetime(2032, 1, 1, tzinfo=datetime.timezone.utc), np.random.default_rng(3))
        assert writer.post("/api/v1/measurements", json=[sample]).status_code == 200
    finally:
        db.statement_observers.remove(observe)
    assert seen and not any(seen)  # every statement of the refresh ran with the collector paused
    assert gc.isenabled()
