"""The same API against a real Oracle database; runs only when ORACLE_TEST_* variables are set.

Set ORACLE_TEST_USER, ORACLE_TEST_PASSWORD and ORACLE_TEST_DSN (e.g. `localhost:1521/FREEPDB1`)
to a schema created with sql/oracle/02_schema.sql. The fixture REPLACES that schema's fleet rows
with the default demo fleet (tools/load_oracle.py --replace), so point it at a test schema only.
"""

import asyncio
import os

import functions_framework
import httpx
import pytest

from conftest import API_KEY, MAIN, follow_pages, make_client, use_database
from shared import db

ORACLE_TEST_VARIABLES = ("ORACLE_TEST_USER", "ORACLE_TEST_PASSWORD", "ORACLE_TEST_DSN")
pytestmark = [
    pytest.mark.oracle,
    pytest.mark.skipif(
        not all(os.environ.get(v) for v in ORACLE_TEST_VARIABLES),
        reason="no Oracle database here: set ORACLE_TEST_USER, ORACLE_TEST_PASSWORD and ORACLE_TEST_DSN to run",
    ),
]
COMPARED_PATHS = [
    "/api/v1/application",
    "/api/v1/substations",
    "/api/v1/equipment?limit=1000",
    "/api/v1/equipment/7",
    "/api/v1/measurements?equipment_id=5&limit=1000",
    "/api/v1/measurements?equipment_id=5&from=2020-01-01&to=2022-06-30T12:00:00%2B09:00",
    "/api/v1/measurements?limit=50&cursor=WzMsIjIwMjAtMDEtMDFUMDA6MDA6MDAiXQ",  # a keyset page
    "/api/v1/measurements?format=ndjson&equipment_id=5",  # streamed exports
    "/api/v1/measurements?format=csv&from=2021-01-01",
]


@pytest.fixture(scope="module")
def oracle_environment():
    """Service settings pointing at the test schema, filled with the demo fleet."""
    from tools import load_oracle

    environment = {
        "SEDA_DATABASE": "oracle",
        "ORACLE_USER": os.environ["ORACLE_TEST_USER"],
        "ORACLE_PASSWORD": os.environ["ORACLE_TEST_PASSWORD"],
        "ORACLE_DSN": os.environ["ORACLE_TEST_DSN"],
    }
    os.environ.update(environment)
    asyncio.run(db.reset())
    assert load_oracle.main(["--replace"]) == 0
    return environment


@pytest.fixture
def oracle_client(oracle_environment, demo_db):
    """The whole API on Oracle (the pool belongs to this client's event loop)."""
    use_database(demo_db, **oracle_environment)
    with make_client("api") as client:
        yield client
    asyncio.run(db.reset())


def test_application_on_oracle(oracle_client):
    assert oracle_client.get("/api/v1/application").json() == [{"hello": "Oracle"}]


def test_health_on_oracle(oracle_client):
    body = oracle_client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["database"] == "oracle"


def test_oracle_answers_exactly_like_sqlite(oracle_environment, demo_db):
    use_database(demo_db)
    with make_client("api") as client:
        expected = {path: client.get(path).content for path in COMPARED_PATHS}
    use_database(demo_db, **oracle_environment)
    with make_client("api") as client:
        for path in COMPARED_PATHS:
            assert client.get(path).content == expected[path], path
    asyncio.run(db.reset())


def test_paging_on_oracle(oracle_client):
    rows, pages = follow_pages(oracle_client, "/api/v1/measurements?equipment_id=2&limit=9")
    seen = [r["id"] for r in rows]
    assert len(seen) == len(set(seen)) > 9 and pages > 1


def test_unknown_id_and_bad_input_on_oracle(oracle_client):
    assert oracle_client.get("/api/v1/equipment/999999").status_code == 404
    assert oracle_client.get("/api/v1/measurements?from=x").status_code == 400


def test_wrong_password_is_503_without_details(oracle_environment, demo_db):
    use_database(demo_db, **{**oracle_environment, "ORACLE_PASSWORD": "definitely-wrong"})
    with make_client("api") as client:
        response = client.get("/api/v1/equipment")
    asyncio.run(db.reset())
    assert response.status_code == 503
    assert "definitely-wrong" not in response.text and "ORA-" not in response.text


@pytest.fixture
def oracle_writer(oracle_environment, demo_db):
    """The whole API on Oracle with an API key; every request carries it."""
    use_database(demo_db, SEDA_API_KEYS=API_KEY, **oracle_environment)
    with make_client("api") as client:
        client.headers["Authorization"] = f"Bearer {API_KEY}"
        yield client
    asyncio.run(db.reset())


NEW_UNIT = {
    "substation_id": 1, "name": "ORACLE-IT-1", "kind": "shunt_reactor", "manufacturer": "LS Electric",
    "rated_mva": 50.25, "voltage_kv": 154, "year_manufactured": 2021, "oil_preservation": "sealed",
    "status": "in_service",
}


def test_equipment_crud_with_etags_on_oracle(oracle_writer):
    created = oracle_writer.post("/api/v1/equipment", json=NEW_UNIT)
    assert created.status_code == 201, created.text
    unit = created.json()
    try:
        assert oracle_writer.post("/api/v1/equipment", json=NEW_UNIT).status_code == 409
        stale = oracle_writer.patch(f"/api/v1/equipment/{unit['id']}", json={"status": "standby"}, headers={"If-Match": '"x"'})
        assert stale.status_code == 412
        patched = oracle_writer.patch(
            f"/api/v1/equipment/{unit['id']}", json={"status": "standby"}, headers={"If-Match": created.headers["etag"]}
        )
        assert patched.status_code == 200 and patched.json()["status"] == "standby"
        assert oracle_writer.get(f"/api/v1/equipment/{unit['id']}").headers["etag"] == patched.headers["etag"]
    finally:
        oracle_writer.delete(f"/api/v1/equipment/{unit['id']}?cascade=true", headers={"If-Match": "*"})
    assert oracle_writer.get(f"/api/v1/equipment/{unit['id']}").status_code == 404


def test_measurement_upsert_round_trip_and_all_or_nothing_on_oracle(oracle_writer):
    unit = oracle_writer.post("/api/v1/equipment", json={**NEW_UNIT, "name": "ORACLE-IT-2"}).json()
    try:
        samples = [
            {"equipment_id": unit["id"], "sampled_at": "2026-11-01T10:00:00.250+09:00", "h2": 12.5, "lab": "한전 전력연구원"},
            {"equipment_id": unit["id"], "sampled_at": "2026-11-15", "h2": 13, "c2h2": 0},
        ]
        assert oracle_writer.post("/api/v1/measurements", json=samples).json() == {"received": 2, "inserted": 2, "updated": 0}
        assert oracle_writer.post("/api/v1/measurements", json=samples).json() == {"received": 2, "inserted": 0, "updated": 2}
        stored = oracle_writer.get(f"/api/v1/measurements?equipment_id={unit['id']}").json()
        assert [s["sampled_at"] for s in stored] == ["2026-11-01T01:00:00.250000Z", "2026-11-15T00:00:00Z"]
        assert stored[0]["lab"] == "한전 전력연구원" and stored[0]["h2"] == 12.5
        bad = [{**samples[0], "h2": 99.0}, {"equipment_id": 999999999, "sampled_at": "2026-11-20", "h2": 1}]
        assert oracle_writer.post("/api/v1/measurements", json=bad).status_code == 409
        assert oracle_writer.get(f"/api/v1/measurements?equipment_id={unit['id']}").json() == stored
    finally:
        oracle_writer.delete(f"/api/v1/equipment/{unit['id']}?cascade=true", headers={"If-Match": "*"})


def test_session_callback_sets_utc_and_iso_formats(oracle_environment, demo_db):
    use_database(demo_db, **oracle_environment)

    async def session_settings():
        async with db.connect() as conn:
            return await conn.fetch_one(
                "SELECT SESSIONTIMEZONE AS tz, "
                "(SELECT value FROM nls_session_parameters WHERE parameter = 'NLS_DATE_FORMAT') AS date_format "
                "FROM DUAL"
            )

    settings = asyncio.run(session_settings())
    asyncio.run(db.reset())
    assert settings["tz"] in ("UTC", "+00:00")
    assert settings["date_format"] == 'YYYY-MM-DD"T"HH24:MI:SS'


def test_statement_past_the_time_limit_is_504_and_changes_nothing_on_oracle(oracle_environment, demo_db):
    """A PATCH waiting on a row lock another session holds is cut off by the call timeout (SEDA_STATEMENT_TIMEOUT_S=1)."""
    import oracledb

    use_database(demo_db, SEDA_API_KEYS=API_KEY, SEDA_STATEMENT_TIMEOUT_S="1", **oracle_environment)
    with oracledb.connect(
        user=oracle_environment["ORACLE_USER"], password=oracle_environment["ORACLE_PASSWORD"],
        dsn=oracle_environment["ORACLE_DSN"],
    ) as locker, make_client("api") as client:
        before = client.get("/api/v1/equipment/7").json()
        with locker.cursor() as cursor:
            cursor.execute("SELECT id FROM equipment WHERE id = 7 FOR UPDATE")
            response = client.patch(
                "/api/v1/equipment/7", json={"status": "retired"},
                headers={"If-Match": "*", "Authorization": f"Bearer {API_KEY}"},
            )
        locker.rollback()
        after = client.get("/api/v1/equipment/7").json()
    asyncio.run(db.reset())
    assert response.status_code == 504, response.text
    body = response.json()
    assert body["error"] == "DatabaseTimeout" and "1 s (SEDA_STATEMENT_TIMEOUT_S)" in body["message"]
    assert after == before


def test_a_pool_whose_sessions_are_all_in_use_is_429_b_not_503(oracle_environment, demo_db):
    use_database(demo_db, **oracle_environment, ORACLE_POOL_MIN="1", ORACLE_POOL_MAX="1", ORACLE_POOL_TIMEOUT_S="1")

    async def while_the_only_session_is_held():
        app = functions_framework.create_app("api", MAIN)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oracle.test") as client:
            async with db.connect():  # the pool's only session, on the loop the app serves from
                busy = await client.get("/api/v1/equipment")
            served = await client.get("/api/v1/equipment")
        await db.reset()
        return busy, served

    busy, served = asyncio.run(while_the_only_session_is_held())
    assert busy.status_code == 429 and busy.json()["error"] == "TooManyRequestsTypeB", busy.text
    assert "ORACLE_POOL_TIMEOUT_S" in busy.json()["message"] and busy.headers["retry-after"] == "1"
    assert served.status_code == 200
