"""`health`: live never touches the database; ready (and plain health) proves every served table can be read."""

import os
import sqlite3

import pytest

from conftest import make_client
from contract import error_body
from functions.health import SERVED_TABLES
from shared.db import migrations


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/health/ready"])
def test_ready_reads_the_schema_version_and_every_served_table(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["schema_version"] == migrations.CURRENT_VERSION
    assert body["checks"] == dict.fromkeys(("schema_version", *SERVED_TABLES), "ok")


def test_live_answers_while_the_database_is_gone_and_ready_does_not(client, demo_db, tmp_path):
    os.rename(demo_db, tmp_path / "aside.sqlite3")
    live, ready = client.get("/api/v1/health/live"), client.get("/api/v1/health/ready")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert [failure["check"] for failure in error_body(ready, 503, "DatabaseUnavailable")["details"]] == ["connection"]


@pytest.mark.parametrize("table", SERVED_TABLES)
def test_ready_names_the_table_that_cannot_be_read(client, demo_db, table):
    with sqlite3.connect(demo_db) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute(f"DROP TABLE {table}")
    response = client.get("/api/v1/health/ready")
    body = response.json()
    assert response.status_code == 503 and body["error"] == "DatabaseUnavailable"
    assert [failure["check"] for failure in body["details"]] == [table]
    assert f"'{table}'" in body["message"] and "no such table" not in response.text


def test_ready_fails_on_another_schema_version_naming_the_command(client, demo_db):
    with sqlite3.connect(demo_db) as connection:
        connection.execute("DELETE FROM schema_version WHERE version = ?", (migrations.CURRENT_VERSION,))
    body = client.get("/api/v1/health/ready").json()
    assert [failure["check"] for failure in body["details"]] == ["schema_version"]
    assert "python -m tools.migrate" in body["details"][0]["message"]


def test_probes_need_no_key_even_when_reads_do(settings_env):
    settings_env(SEDA_API_KEYS="k" * 20, SEDA_REQUIRE_KEYS_FOR_READS="true")
    with make_client("api") as client:
        for path in ("/api/v1/health", "/api/v1/health/live", "/api/v1/health/ready"):
            assert client.get(path).status_code == 200, path
        assert client.get("/api/v1/equipment").status_code == 401


def test_standalone_health_target_serves_its_sub_paths_at_its_root(demo_db):
    with make_client("health") as client:
        assert client.get("/live").json() == {"status": "ok"}
        assert client.get("/ready").json()["status"] == "ok"
        assert client.head("/api/v1/health/live").status_code == 200
        unknown = client.get("/api/v1/health/deep")
        assert unknown.status_code == 404 and "/api/v1/health/live" in unknown.json()["message"]
        assert client.post("/live").status_code == 405
