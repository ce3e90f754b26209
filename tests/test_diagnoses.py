"""The `diagnoses` resource: one unit's verdict, its history, and the fleet ranking."""

import datetime

import pytest

from conftest import follow_pages
from shared import demo_data, dga, verdict_store
from shared.model import serving
from test_api import RANKING_KEYS

FLEET = demo_data.generate()
FAULTY = {unit: fault for unit, (fault, _onset) in FLEET.faults.items()}


def test_unit_verdict_shape_and_latest_sample(client, sql):
    body = client.get("/api/v1/diagnoses/1").json()
    assert set(body) == {"equipment", "as_of", "sample", "diagnosis", "engine_version", "diagnosed_at", "stale"}
    assert body["engine_version"] == dga.ENGINE_VERSION and body["stale"] is False and body["diagnosed_at"]
    latest = sql(
        "SELECT id FROM dga_sample WHERE equipment_id = 1 AND h2 IS NOT NULL AND ch4 IS NOT NULL AND c2h6 IS NOT NULL "
        "AND c2h4 IS NOT NULL AND c2h2 IS NOT NULL AND co IS NOT NULL AND co2 IS NOT NULL ORDER BY sampled_at DESC LIMIT 1"
    )[0][0]
    assert body["sample"]["id"] == latest
    diagnosis = body["diagnosis"]
    assert set(diagnosis) >= {"fault", "health_index", "rank", "action", "methods"}
    assert set(diagnosis["methods"]) == {
        "duval_triangle_1", "duval_triangle_3", "duval_triangle_4", "duval_triangle_5", "duval_pentagon_1",
        "duval_pentagon_2", "iec_60599_ratios", "rogers", "doernenburg", "ieee_c57_104_2008", "ieee_c57_104_2019",
        "co2_co", "ai_model",  # the shipped model is served by default (SEDA_MODEL_PATH)
    }


@pytest.mark.parametrize("unit,fault", sorted(FAULTY.items()))
def test_units_that_developed_a_fault_are_diagnosed_with_it(client, unit, fault):
    diagnosis = client.get(f"/api/v1/diagnoses/{unit}").json()["diagnosis"]
    assert diagnosis["fault"]["present"] is True
    assert diagnosis["fault"]["type"] == fault
    assert diagnosis["methods"]["duval_triangle_1"]["result"] == fault
    assert diagnosis["fault"]["severity"] in ("high", "critical")


def test_unit_uses_its_history_for_2019_rates(client):
    unit = next(u for u, f in FAULTY.items() if f == "T3")
    ieee = client.get(f"/api/v1/diagnoses/{unit}").json()["diagnosis"]["methods"]["ieee_c57_104_2019"]
    assert any(reason["table"] == 4 for reason in ieee["reasons"]), "a growing fault must show a Table 4 rate"
    assert ieee["o2_n2"]["basis"] == "sample"


def test_as_of_a_past_date_uses_only_earlier_samples(client, sql):
    unit = next(u for u, f in FAULTY.items() if f == "D2")
    onset = FLEET.faults[unit][1]
    before = client.get(f"/api/v1/diagnoses/{unit}", params={"at": onset.strftime("%Y-%m-%d")}).json()
    assert before["as_of"] == onset.strftime("%Y-%m-%dT00:00:00Z")
    assert before["sample"]["sampled_at"] < before["as_of"]
    assert before["diagnosis"]["fault"]["severity"] in ("none", "low")
    now = client.get(f"/api/v1/diagnoses/{unit}").json()
    assert now["diagnosis"]["rank"] > before["diagnosis"]["rank"]


def test_history_series_covers_every_complete_sample(client, sql):
    unit = next(u for u, f in FAULTY.items() if f == "T2")
    body = client.get(f"/api/v1/diagnoses/{unit}?history=true").json()
    complete = sql(
        "SELECT id FROM dga_sample WHERE equipment_id = ? AND h2 IS NOT NULL AND ch4 IS NOT NULL AND c2h6 IS NOT NULL "
        "AND c2h4 IS NOT NULL AND c2h2 IS NOT NULL AND co IS NOT NULL AND co2 IS NOT NULL ORDER BY sampled_at",
        (unit,),
    )
    series = body["history"]
    assert [point["sample_id"] for point in series] == [row[0] for row in complete]
    assert series[-1]["health_index"] == body["diagnosis"]["health_index"]["value"]
    assert series[0]["severity"] in ("none", "low") and series[-1]["severity"] in ("high", "critical")
    # the healthy first sample has trace gases only: the triangle names no zone ("below typical values")
    # but the sample keeps its point, so a unit's whole history can be plotted
    assert set(series[0]["duval_point"]) == set(series[-1]["duval_point"]) == {"x", "y"}


def test_history_entries_equal_single_sample_diagnoses(client, sql):
    """The vectorized history must agree with the engine's one-sample path."""
    unit = next(u for u, f in FAULTY.items() if f == "PD")
    body = client.get(f"/api/v1/diagnoses/{unit}?history=true").json()
    equipment = body["equipment"]
    rows = client.get(f"/api/v1/measurements?equipment_id={unit}&limit=1000").json()
    complete = [r for r in rows if all(r[g] is not None for g in dga.GASES)]
    import datetime

    def parse(sample):
        return {**sample, "sampled_at": datetime.datetime.fromisoformat(sample["sampled_at"].replace("Z", "+00:00"))}

    samples = [parse(s) for s in complete]
    for index in (0, len(samples) // 2, len(samples) - 1):
        built = datetime.datetime(equipment["year_manufactured"], 7, 1, tzinfo=datetime.timezone.utc)
        age = (samples[index]["sampled_at"] - built).total_seconds() / dga.YEAR_SECONDS
        single = dga.diagnose(
            samples[index], history=samples[max(0, index - 6) : index], age_years=age,
            oil_preservation=equipment["oil_preservation"],
        )
        assert body["history"][index]["health_index"] == single["health_index"]["value"]
        assert body["history"][index]["fault_type"] == single["fault"]["type"]
    assert body["diagnosis"]["rank"] == single["rank"]


def test_unit_without_samples_gets_a_clear_answer(client):
    body = client.get("/api/v1/diagnoses/1?at=2000-01-01").json()
    assert body["sample"] is None and body["diagnosis"] is None
    assert body["message"] == "Equipment 1 has no complete DGA sample up to 2000-01-01T00:00:00Z; nothing to diagnose."


def test_unknown_unit_and_bad_parameters(client):
    assert client.get("/api/v1/diagnoses/999999").json()["error"] == "NotFound"
    assert client.get("/api/v1/diagnoses/1?at=soon").json()["error"] == "InvalidTimestampFormat"
    assert client.get("/api/v1/diagnoses/1?history=yes").json()["error"] == "InvalidParameters"
    assert client.get("/api/v1/diagnoses?status=4").json()["error"] == "InvalidParameters"
    assert client.get("/api/v1/diagnoses?fault=arcing").json()["error"] == "InvalidParameters"
    assert client.get("/api/v1/diagnoses?unit=1").json()["error"] == "InvalidParameters"


def test_fleet_ranking_lists_every_unit_once_worst_first(client, sql):
    entries = follow_pages(client, "/api/v1/diagnoses?limit=17")[0]
    assert sorted(e["equipment_id"] for e in entries) == [r[0] for r in sql("SELECT id FROM equipment ORDER BY id")]
    assert all(set(e) == RANKING_KEYS for e in entries)
    ranks = [e["rank"] for e in entries]
    assert ranks == sorted(ranks, reverse=True)
    worst = {e["equipment_id"] for e in entries[: len(FAULTY)]}
    assert worst == set(FAULTY), "the units with developed faults rank first"


def test_fleet_entry_matches_the_unit_verdict(client):
    entry = client.get("/api/v1/diagnoses?limit=1").json()[0]
    unit = client.get(f"/api/v1/diagnoses/{entry['equipment_id']}").json()
    assert entry["rank"] == unit["diagnosis"]["rank"]
    assert entry["sample_id"] == unit["sample"]["id"]
    assert entry["fault_type"] == unit["diagnosis"]["fault"]["type"]


def test_fleet_filters(client, sql):
    in_substation = follow_pages(client, "/api/v1/diagnoses?substation_id=2&limit=1000")[0]
    assert {e["equipment_id"] for e in in_substation} == {r[0] for r in sql("SELECT id FROM equipment WHERE substation_id = 2")}
    status_3 = follow_pages(client, "/api/v1/diagnoses?status=3&limit=1000")[0]
    assert status_3 and all(e["dga_status"] == 3 for e in status_3)
    assert set(FAULTY) <= {e["equipment_id"] for e in status_3}
    t3 = follow_pages(client, "/api/v1/diagnoses?fault=T3&limit=1000")[0]
    assert {u for u, f in FAULTY.items() if f == "T3"} <= {e["equipment_id"] for e in t3}
    assert all(e["fault_type"] == "T3" for e in t3)
    healthy = follow_pages(client, "/api/v1/diagnoses?fault=none&limit=1000")[0]
    assert healthy and all(e["fault_present"] is False for e in healthy)


def test_unit_with_only_incomplete_samples_ranks_last(client, demo_db, sql):
    import sqlite3

    connection = sqlite3.connect(demo_db, detect_types=sqlite3.PARSE_DECLTYPES)
    connection.row_factory = sqlite3.Row
    connection.execute("UPDATE dga_sample SET h2 = NULL WHERE equipment_id = 5")
    # A write past the API leaves the stored verdicts as they were; rewriting them is tools.rediagnose's job.
    verdict_store.rediagnose_sync(lambda sql, binds: [dict(row) for row in connection.execute(sql, binds)],
                                  connection.executemany, [5], datetime.datetime.now(datetime.timezone.utc))
    connection.commit()
    connection.close()
    entries = follow_pages(client, "/api/v1/diagnoses?limit=1000")[0]
    assert entries[-1]["equipment_id"] == 5 and entries[-1]["sample_id"] is None
    assert client.get("/api/v1/diagnoses/5").json()["diagnosis"] is None


def test_diagnoses_statements_parse_as_oracle(client):
    from test_oracle_sql import parse_oracle
    from shared import db

    seen = []
    db.statement_observers.append(lambda sql, paged: seen.append(db.ORACLE.render(sql, paged)))
    try:
        for path in (
            "/api/v1/diagnoses",
            "/api/v1/diagnoses?substation_id=1",
            "/api/v1/diagnoses/3",
            "/api/v1/diagnoses/3?at=2025-01-01&history=true",
        ):
            assert client.get(path).status_code == 200
    finally:
        db.statement_observers.clear()
    assert any("WHERE d.is_latest = 1 ORDER BY d.verdict_rank DESC, d.equipment_id ASC OFFSET" in s for s in seen)
    assert any("ORDER BY s.sampled_at DESC OFFSET :offset ROWS FETCH NEXT :limit ROWS ONLY" in s for s in seen)
    assert any("ORDER BY s.sampled_at OFFSET :offset ROWS FETCH NEXT :limit ROWS ONLY" in s for s in seen)
    # fleet: where to start looking for pending samples (once), the pending check, the ranked page, its 100 verdict
    # documents; by substation: the pending check, the ranked page (documents cached), the units without a verdict;
    # unit: unit and latest verdict, plus the history page
    assert len(seen) == 12, seen
    for statement in seen:
        parse_oracle(statement)


ARCING = {"h2": 500, "ch4": 120, "c2h6": 30, "c2h4": 80, "c2h2": 40, "co": 300, "co2": 2000}
HEALTHY = {"h2": 10, "ch4": 5, "c2h6": 3, "c2h4": 2, "c2h2": 0, "co": 200, "co2": 1500, "o2": 1500, "n2": 50000}


def test_post_one_sample_equals_the_engine(client, demo_db):
    from conftest import table_snapshot

    before = table_snapshot(demo_db)
    response = client.post("/api/v1/diagnoses", json={**ARCING, "age_years": 12, "oil_preservation": "sealed"})
    assert response.status_code == 200
    assert response.json() == dga.diagnose(ARCING, age_years=12, oil_preservation="sealed", model=serving.current())
    assert response.json()["fault"]["present"] is True
    assert table_snapshot(demo_db) == before, "diagnosing posted samples writes nothing"


def test_post_array_gives_verdicts_in_order(client):
    samples = [HEALTHY, {**ARCING, "sampled_at": "2024-05-01T09:30:00+09:00"}, {"h2": 10}]
    verdicts = client.post("/api/v1/diagnoses", json=samples).json()
    assert [v["fault"]["severity"] for v in verdicts] == [
        dga.diagnose(s)["fault"]["severity"] for s in (HEALTHY, ARCING, {"h2": 10})
    ]
    assert verdicts[2]["methods"]["duval_triangle_1"]["applicable"] is False


def test_posted_samples_carry_their_liquid_and_an_unknown_one_is_refused(client):
    csv = "h2,ch4,c2h6,c2h4,c2h2,co,co2,insulating_liquid\r\n500,120,30,80,40,300,2000,silicone\r\n500,120,30,80,40,300,2000,\r\n"
    verdicts = client.post("/api/v1/diagnoses", content=csv.encode(), headers={"Content-Type": "text/csv"}).json()
    served = serving.current()  # the service diagnoses with the shipped model
    assert verdicts == [dga.diagnose(ARCING, insulating_liquid="silicone", model=served), dga.diagnose(ARCING, model=served)]
    assert [v["fault"]["severity"] for v in verdicts] == ["unknown", dga.diagnose(ARCING)["fault"]["severity"]]
    summary = client.post("/api/v1/diagnoses?view=summary", json=[{**ARCING, "insulating_liquid": "natural_ester"}])
    assert summary.json()[0]["dga_status"] is None and summary.json()[0]["fault_present"] is None

    response = client.post("/api/v1/diagnoses", json={**ARCING, "insulating_liquid": "ester"})

    assert response.status_code == 400 and response.json()["error"] == "SchemaValidation"
    assert "'insulating_liquid' must be one of mineral, natural_ester, synthetic_ester, silicone; received 'ester'" in (
        response.json()["message"])


def test_post_csv(client):
    csv = "h2,ch4,c2h6,c2h4,c2h2,co,co2\r\n10,5,3,2,0,200,1500\r\n500,120,30,80,40,300,2000\r\n"
    response = client.post("/api/v1/diagnoses", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert [v["fault"]["present"] for v in response.json()] == [False, True]


def test_post_reports_every_invalid_field_of_every_sample(client):
    body = client.post(
        "/api/v1/diagnoses",
        json=[HEALTHY, {"h2": -1, "ch4": "x", "colour": 1}, HEALTHY, {"oil_preservation": "open", "sampled_at": "soon"}],
    ).json()
    assert body["error"] == "SchemaValidation" and "none was diagnosed" in body["message"]
    problems = {d["index"]: {e["field"] for e in d["errors"]} for d in body["details"]}
    assert problems == {1: {"h2", "ch4", "colour"}, 3: {"oil_preservation", "sampled_at"}}


@pytest.mark.parametrize(
    "content,content_type,status,error",
    [
        (b"[]", "application/json", 400, "SchemaValidation"),
        (b'{"h2": ', "application/json", 400, "SchemaValidation"),
        (b'"h2"', "application/json", 400, "SchemaValidation"),
        (b"h2=5", "application/x-www-form-urlencoded", 415, "UnsupportedMediaType"),
    ],
)
def test_post_bad_bodies(client, content, content_type, status, error):
    response = client.post("/api/v1/diagnoses", content=content, headers={"Content-Type": content_type})
    assert response.status_code == status and response.json()["error"] == error


def test_post_above_the_batch_limit_is_413_naming_it(client, settings_env):
    settings_env(SEDA_MAX_BATCH_ROWS="3")
    response = client.post("/api/v1/diagnoses", json=[HEALTHY] * 4)
    assert response.status_code == 413
    assert "3" in response.json()["message"] and response.json()["error"] == "PayloadTooLarge"
    assert client.post("/api/v1/diagnoses", json=[HEALTHY] * 3).status_code == 200


def test_post_needs_a_key_only_when_reads_do(client, settings_env):
    settings_env(SEDA_API_KEYS="diagnose-key-0123456789")
    assert client.post("/api/v1/diagnoses", json=HEALTHY).status_code == 200
    settings_env(SEDA_API_KEYS="diagnose-key-0123456789", SEDA_REQUIRE_KEYS_FOR_READS="true")
    assert client.post("/api/v1/diagnoses", json=HEALTHY).status_code == 401
    keyed = client.post("/api/v1/diagnoses", json=HEALTHY, headers={"X-API-Key": "diagnose-key-0123456789"})
    assert keyed.status_code == 200
