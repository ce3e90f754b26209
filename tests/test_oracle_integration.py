"""The same API against a real Oracle database; runs only when ORACLE_TEST_* variables are set.

Set ORACLE_TEST_USER, ORACLE_TEST_PASSWORD and ORACLE_TEST_DSN (e.g. `localhost:1521/FREEPDB1`)
to a schema created with sql/oracle/02_schema.sql. The fixture REPLACES that schema's fleet rows
with the default demo fleet (tools/load_oracle.py --replace), so point it at a test schema only.
"""

import asyncio
import os

import pytest

from conftest import follow_pages, make_client, use_database
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
