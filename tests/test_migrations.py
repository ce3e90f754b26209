"""Schema versions: a database made by the previous release upgrades with every row intact, and the service
refuses any schema but its own, at start-up, naming the command."""

import contextlib
import datetime
import pathlib
import sqlite3

import pytest

from conftest import API_KEY, make_client, run_server_expecting_refusal, run_tool, table_snapshot, use_database
from shared import demo_data, schema
from shared.db import SQLITE, migrations, sqlite_files
from shared.db.dialects import prepared_binds
from shared.db.migrations import m0005_insulating_liquid, m0006_inspections
from shared.db.sqlite_statements import execute_many, rows

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
V1_DDL = (FIXTURES / "sqlite_schema_v1.sql").read_text()
V2_DDL = (FIXTURES / "sqlite_schema_v2.sql").read_text()
V3_DDL = (FIXTURES / "sqlite_schema_v3.sql").read_text()
V4_DDL = (FIXTURES / "sqlite_schema_v4.sql").read_text()
V5_DDL = (FIXTURES / "sqlite_schema_v5.sql").read_text()
V6_DDL = (FIXTURES / "sqlite_schema_v6.sql").read_text()
V7_DDL = (FIXTURES / "sqlite_schema_v7.sql").read_text()


def make_v1_database(path):
    """A database exactly as release 1 made it: its DDL, the demo fleet, and a deleted newest sample."""
    return _make_database(path, V1_DDL, versions=())


def make_v2_database(path):
    """A database exactly as release 2 made it: versions 1 and 2 recorded, the demo fleet, a deleted newest sample."""
    return _make_database(path, V2_DDL, versions=migrations.history()[:2])


def make_v3_database(path):
    """A database exactly as release 3 made it: versions 1–3 recorded, the demo fleet, a deleted newest sample."""
    return _make_database(path, V3_DDL, versions=migrations.history()[:3])


def make_v4_database(path):
    """A database exactly as release 4 made it: versions 1–4 recorded, the demo fleet and its stored verdicts."""
    _make_database(path, V4_DDL, versions=migrations.history()[:4])
    # Release 4 read units without a liquid, and diagnosed every one as mineral oil.
    release_4_units = "'mineral' AS insulating_liquid"
    connection = sqlite_files.open_new_file(path)
    try:
        from shared import verdict_store

        connection.execute("BEGIN")
        unit_ids = [unit_id for (unit_id,) in connection.execute("SELECT id FROM equipment")]
        verdict_store.rediagnose_sync(
            lambda sql, binds: rows(connection, sql.replace("insulating_liquid", release_4_units), binds),
            lambda sql, written: execute_many(connection, sql, written), unit_ids, datetime.datetime.now(datetime.UTC))
        connection.execute("COMMIT")
    finally:
        connection.close()
    return path


def make_v5_database(path):
    """A database exactly as release 5 made it: versions 1–5 recorded, the demo fleet (liquids varied) and its verdicts."""
    _make_database(path, V5_DDL, versions=migrations.history()[:5])
    connection = sqlite_files.open_new_file(path)
    try:
        connection.execute("BEGIN")
        connection.execute("UPDATE equipment SET insulating_liquid = 'natural_ester' WHERE id = 2")
        sqlite_files.store_verdicts(connection, [unit_id for (unit_id,) in connection.execute("SELECT id FROM equipment")])
        connection.execute("COMMIT")
    finally:
        connection.close()
    return path


def make_v6_database(path):
    """A database exactly as release 6 made it: versions 1–6 recorded, the demo fleet, its verdicts, an inspection."""
    _make_database(path, V6_DDL, versions=migrations.history()[:6])
    connection = sqlite_files.open_new_file(path)
    try:
        connection.execute("BEGIN")
        sqlite_files.store_verdicts(connection, [unit_id for (unit_id,) in connection.execute("SELECT id FROM equipment")])
        connection.execute("INSERT INTO inspection (equipment_id, inspected_at, finding) "
                           "VALUES (1, '2024-01-01 00:00:00.000000', 'T1')")
        connection.execute("COMMIT")
    finally:
        connection.close()
    return path


def make_v7_database(path):
    """A database exactly as release 7 made it: versions 1–7 recorded, the demo fleet, its verdicts, audit entries."""
    _make_database(path, V7_DDL, versions=migrations.history()[:7])
    connection = sqlite_files.open_new_file(path)
    try:
        connection.execute("BEGIN")
        sqlite_files.store_verdicts(connection, [unit_id for (unit_id,) in connection.execute("SELECT id FROM equipment")])
        connection.executemany(
            "INSERT INTO audit_log (recorded_at, request_id, key_id, operation, resource_name, ids, inserted, updated, "
            "deleted) VALUES ('2024-01-01 00:00:00.000000', ?, ?, 'PATCH /api/v1/equipment/<id>', 'equipment', "
            "'{\"id\": [1]}', 0, 1, 0)", [(f"request-{number}", f"key-{number % 3}") for number in range(30)])
        connection.execute("COMMIT")
    finally:
        connection.close()
    return path


def assert_rows_kept(before, after):
    """Every row of every table of `before` is in `after` unchanged, equipment rows with the liquid added (mineral)."""
    kept = {table: rows for table, rows in after.items() if table in before and table != "schema_version"}
    expected = {table: rows for table, rows in before.items() if table != "schema_version"}
    expected["equipment"] = [(*row, "mineral") for row in before["equipment"]]
    assert kept == expected


def _make_database(path, ddl, versions):
    """A database made by an earlier release's `ddl`, with its SCHEMA_VERSION rows, if it had any, and the demo fleet."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.executescript(ddl)
    connection.execute("BEGIN")
    if versions:  # release 1 kept none
        records = migrations.version_records(versions)
        connection.executemany(migrations.RECORD_VERSION, [prepared_binds(SQLITE, record) for record in records])
    connection.execute("INSERT INTO test_table (hello) VALUES ('Oracle')")
    demo_data.load(lambda sql, rows: connection.executemany(sql, rows), demo_data.generate(),
                   bind_timestamp=SQLITE.bind_timestamp, with_inspections=False)  # INSPECTION came with version 6
    connection.execute("DELETE FROM dga_sample WHERE id = (SELECT MAX(id) FROM dga_sample)")
    connection.execute("COMMIT")
    connection.close()
    return path


def run_migrate(path, *arguments):
    """`python -m tools.migrate` on the SQLite file `path`, as an operator runs it."""
    return run_tool("tools.migrate", *arguments, SEDA_SQLITE_PATH=str(path))


def start_refusal(path):
    """Start the served API on `path`; (exit code, stderr) of a start that must fail."""
    process = run_server_expecting_refusal(SEDA_SQLITE_PATH=str(path))
    return process.returncode, process.stderr


def test_upgrade_from_version_1_keeps_every_row_and_backs_up_first(tmp_path):
    path = make_v1_database(tmp_path / "seda.sqlite3")
    before = table_snapshot(path)

    result = run_migrate(path)

    assert result.returncode == 0, result.stderr
    after = table_snapshot(path)
    assert_rows_kept(before, after)
    versions = [row[:2] for row in after["schema_version"]]
    assert versions == migrations.history()
    backups = list(tmp_path.glob("seda.sqlite3.v1.*.bak"))
    assert len(backups) == 1 and table_snapshot(backups[0]) == before
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "equipment_substation_ix" in indexes
    assert "nothing to do" in run_migrate(path).stdout


def _shape(path):
    """Every table's columns (name, type, not null, default, primary key) and every index's table and columns."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        tables = {name: connection.execute(f"PRAGMA table_info({name})").fetchall() for name in names}
        indexes = {
            index: (table, connection.execute(f"PRAGMA index_info({index})").fetchall())
            for index, table in connection.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
        }
    return tables, indexes


def test_upgrade_from_version_2_keeps_every_row_and_gives_the_schema_of_a_new_database(tmp_path, demo_db):
    path = make_v2_database(tmp_path / "release-2.sqlite3")  # demo_db is tmp_path / "seda.sqlite3"
    before = table_snapshot(path)

    result = run_migrate(path)

    assert result.returncode == 0, result.stderr
    assert f"from schema version 2 to {migrations.CURRENT_VERSION}" in result.stdout
    after = table_snapshot(path)
    assert_rows_kept(before, after)
    assert after["schema_version"][:2] == before["schema_version"]
    assert [row[:2] for row in after["schema_version"]] == migrations.history()
    assert after["audit_log"] == []
    assert _shape(path) == _shape(demo_db)
    assert len(list(tmp_path.glob("release-2.sqlite3.v2.*.bak"))) == 1


def test_upgrade_from_version_3_keeps_every_row_and_leaves_every_verdict_pending(tmp_path, demo_db):
    path = make_v3_database(tmp_path / "release-3.sqlite3")
    before = table_snapshot(path)

    result = run_migrate(path)

    assert result.returncode == 0, result.stderr
    assert f"from schema version 3 to {migrations.CURRENT_VERSION}" in result.stdout
    assert "python -m tools.rediagnose" in result.stdout
    after = table_snapshot(path)
    assert_rows_kept(before, after)
    assert [row[:2] for row in after["schema_version"]] == migrations.history()
    assert after["dga_diagnosis"] == [] and after["dga_change"] == []  # written by tools.rediagnose, not here
    assert _shape(path) == _shape(demo_db)


def test_upgrade_from_version_4_makes_every_unit_mineral_and_keeps_every_verdict_current(tmp_path, demo_db):
    from test_verdict_store import assert_stored_equal_fresh

    path = make_v4_database(tmp_path / "release-4.sqlite3")
    before = table_snapshot(path)
    assert before["dga_diagnosis"] and before["dga_change"]

    result = run_migrate(path)

    assert result.returncode == 0, result.stderr
    assert f"from schema version 4 to {migrations.CURRENT_VERSION}" in result.stdout
    assert "rediagnose" not in result.stdout  # no NEXT_STEP: a mineral unit's verdict did not change
    after = table_snapshot(path)
    assert_rows_kept(before, after)  # the stored verdicts and the feed included, untouched
    with contextlib.closing(sqlite3.connect(path)) as connection:
        liquids = connection.execute("SELECT DISTINCT insulating_liquid FROM equipment").fetchall()
        unit_ids = [unit_id for (unit_id,) in connection.execute("SELECT id FROM equipment")]
    assert liquids == [("mineral",)]
    assert_stored_equal_fresh(path, unit_ids)
    assert [row[:2] for row in after["schema_version"]] == migrations.history()
    assert _shape(path) == _shape(demo_db)


def test_version_5_checks_the_liquids_the_engine_knows(tmp_path):
    path = make_v4_database(tmp_path / "release-4.sqlite3")
    assert run_migrate(path).returncode == 0
    with contextlib.closing(sqlite3.connect(path)) as connection:
        for liquid in schema.INSULATING_LIQUIDS:  # the frozen check accepts today's list, and nothing else
            connection.execute("UPDATE equipment SET insulating_liquid = ? WHERE id = 1", (liquid,))
        with pytest.raises(sqlite3.IntegrityError, match="equipment_liquid_ck"):
            connection.execute("UPDATE equipment SET insulating_liquid = 'castor oil' WHERE id = 1")
    frozen = m0005_insulating_liquid._LIQUIDS
    assert frozen == ", ".join(f"'{liquid}'" for liquid in schema.INSULATING_LIQUIDS)


def test_upgrade_from_version_5_adds_an_empty_inspection_table_and_changes_no_row(tmp_path, demo_db):
    from test_verdict_store import assert_stored_equal_fresh

    path = make_v5_database(tmp_path / "release-5.sqlite3")
    before = table_snapshot(path)
    assert before["dga_diagnosis"] and before["dga_change"] and "inspection" not in before

    result = run_migrate(path)

    assert result.returncode == 0, result.stderr
    assert f"from schema version 5 to {migrations.CURRENT_VERSION}" in result.stdout and "rediagnose" not in result.stdout
    after = table_snapshot(path)
    assert {table: rows for table, rows in after.items() if table in before and table != "schema_version"} == {
        table: rows for table, rows in before.items() if table != "schema_version"}  # every row, verdicts included
    assert after["inspection"] == []
    assert [row[:2] for row in after["schema_version"]] == migrations.history()
    assert _shape(path) == _shape(demo_db)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert_stored_equal_fresh(path, [unit_id for (unit_id,) in connection.execute("SELECT id FROM equipment")])


def test_upgrade_from_version_6_adds_the_fleet_view_index_and_changes_no_row(tmp_path, demo_db):
    from shared import fleet_summary

    path = make_v6_database(tmp_path / "release-6.sqlite3")
    before = table_snapshot(path)
    assert before["dga_diagnosis"] and before["inspection"]

    result = run_migrate(path)

    assert result.returncode == 0, result.stderr
    assert f"from schema version 6 to {migrations.CURRENT_VERSION}" in result.stdout and "rediagnose" not in result.stdout
    after = table_snapshot(path)
    assert {table: rows for table, rows in after.items() if table != "schema_version"} == {
        table: rows for table, rows in before.items() if table != "schema_version"}
    assert [row[:2] for row in after["schema_version"]] == migrations.history()
    assert _shape(path) == _shape(demo_db)
    summary, binds = fleet_summary.query({})
    with contextlib.closing(sqlite3.connect(path)) as connection:
        plan = " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {summary}", binds))
    assert "USING COVERING INDEX dga_diagnosis_latest_ix (equipment_id=? AND is_latest=?)" in plan


def test_upgrade_from_version_7_adds_the_audit_lookup_indexes_and_changes_no_row(tmp_path, demo_db):
    from functions import audit

    path = make_v7_database(tmp_path / "release-7.sqlite3")
    before = table_snapshot(path)
    assert len(before["audit_log"]) == 30

    result = run_migrate(path)

    assert result.returncode == 0, result.stderr
    assert "from schema version 7 to 8" in result.stdout and "rediagnose" not in result.stdout
    after = table_snapshot(path)
    assert {table: rows for table, rows in after.items() if table != "schema_version"} == {
        table: rows for table, rows in before.items() if table != "schema_version"}
    assert [row[:2] for row in after["schema_version"]] == migrations.history()
    assert _shape(path) == _shape(demo_db)
    plans = {}
    with contextlib.closing(sqlite3.connect(path)) as connection:
        for name, index in (("request_id", "audit_log_request_ix"), ("key_id", "audit_log_key_ix")):
            page = SQLITE.render(f"{audit._SELECT} WHERE {audit._FILTERS[name]} ORDER BY id", paged=True)
            binds = {f"p_{name}": "request-7" if name == "request_id" else "key-1", "limit": 10, "offset": 0}
            plans[name] = " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {page}", binds))
            assert f"USING INDEX {index} ({name}=?)" in plans[name], plans[name]
            assert len(connection.execute(page, binds).fetchall()) == (1 if name == "request_id" else 10)
    assert "TEMP B-TREE" not in plans["key_id"], "a key's entries are read in the page's order"


def test_version_6_checks_the_findings_and_one_inspection_per_unit_and_moment(tmp_path):
    path = make_v5_database(tmp_path / "release-5.sqlite3")
    assert run_migrate(path).returncode == 0
    insert = "INSERT INTO inspection (equipment_id, inspected_at, finding) VALUES (1, ?, ?)"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA foreign_keys = ON")
        for number, finding in enumerate(schema.INSPECTION_FINDINGS):
            connection.execute(insert, (f"2020-01-{number + 1:02d} 00:00:00.000000", finding))
        with pytest.raises(sqlite3.IntegrityError, match="inspection_finding_ck"):
            connection.execute(insert, ("2021-01-01 00:00:00.000000", "S"))
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            connection.execute(insert, ("2020-01-01 00:00:00.000000", "T1"))
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            connection.execute("INSERT INTO inspection (equipment_id, inspected_at, finding) VALUES (999999, "
                               "'2020-01-01 00:00:00.000000', 'none')")
    assert m0006_inspections._FINDINGS == ", ".join(f"'{finding}'" for finding in schema.INSPECTION_FINDINGS)


def test_a_database_upgraded_from_any_release_serves_and_audits_writes(tmp_path):
    for version, make in ((1, make_v1_database), (2, make_v2_database), (3, make_v3_database), (4, make_v4_database),
                          (5, make_v5_database)):
        path = make(tmp_path / f"v{version}.sqlite3")
        assert run_migrate(path).returncode == 0
        use_database(path, SEDA_API_KEYS=API_KEY)
        with make_client("api") as client:
            assert client.get("/api/v1/health/ready").json()["schema_version"] == migrations.CURRENT_VERSION
            response = client.patch("/api/v1/equipment/1", json={"status": "standby"},
                                    headers={"If-Match": "*", "X-API-Key": API_KEY})
            assert response.status_code == 200
            trail = client.get("/api/v1/audit", headers={"X-API-Key": API_KEY}).json()
        assert [(entry["key_id"], entry["ids"]) for entry in trail] == [("key-1", {"id": [1]})]


def test_upgraded_database_never_gives_a_deleted_id_again(tmp_path):
    path = make_v1_database(tmp_path / "seda.sqlite3")
    assert run_migrate(path).returncode == 0
    with sqlite3.connect(path) as connection:
        newest_unit = connection.execute("SELECT MAX(id) FROM equipment").fetchone()[0]
        connection.execute("DELETE FROM dga_sample WHERE equipment_id = ?", (newest_unit,))
        connection.execute("DELETE FROM equipment WHERE id = ?", (newest_unit,))
        connection.execute(
            "INSERT INTO equipment (substation_id, name, kind, oil_preservation, status) "
            "VALUES (1, 'after upgrade', 'power_transformer', 'sealed', 'in_service')"
        )
        assert connection.execute("SELECT MAX(id) FROM equipment").fetchone()[0] == newest_unit + 1
        newest_sample = connection.execute("SELECT MAX(id) FROM dga_sample").fetchone()[0]
        connection.execute("DELETE FROM dga_sample WHERE id = ?", (newest_sample,))
        sample = connection.execute("INSERT INTO dga_sample (equipment_id, sampled_at, h2) VALUES (1, '2099-01-01 00:00:00.000000', 1)")
        assert sample.lastrowid > newest_sample


def test_a_failed_upgrade_leaves_the_file_as_it_was(tmp_path):
    path = make_v1_database(tmp_path / "seda.sqlite3")
    with sqlite3.connect(path) as connection:  # a row release 1 could hold with foreign keys off
        connection.execute("INSERT INTO dga_sample (equipment_id, sampled_at, h2) VALUES (999999, '2020-01-01 00:00:00.000000', 1)")
    before = table_snapshot(path)

    result = run_migrate(path)

    assert result.returncode != 0 and "broken references" in result.stderr
    assert table_snapshot(path) == before
    with sqlite3.connect(path) as connection:
        assert migrations.sqlite_version(connection) == 1


def test_the_service_refuses_an_older_schema_at_start_naming_the_command(tmp_path):
    path = make_v1_database(tmp_path / "seda.sqlite3")
    before = table_snapshot(path)

    code, stderr = start_refusal(path)

    assert code != 0
    assert "schema version 1" in stderr and "python -m tools.migrate" in stderr
    assert table_snapshot(path) == before


def test_the_service_refuses_a_newer_schema_at_start(demo_db):
    with sqlite3.connect(demo_db) as connection:
        connection.execute(
            "INSERT INTO schema_version VALUES (?, 'from the future', '2030-01-01 00:00:00.000000')",
            (migrations.CURRENT_VERSION + 1,),
        )
    code, stderr = start_refusal(demo_db)
    assert code != 0 and f"newer than version {migrations.CURRENT_VERSION}" in stderr


def test_a_new_database_is_created_at_the_current_version(client, demo_db):
    with sqlite3.connect(demo_db) as connection:
        assert migrations.sqlite_version(connection) == migrations.CURRENT_VERSION
        assert [row[:2] for row in connection.execute("SELECT version, description FROM schema_version")] == migrations.history()


def test_api_ids_never_come_back_after_a_delete(writer):
    unit = {"substation_id": 1, "name": "T-reuse", "kind": "power_transformer", "oil_preservation": "sealed", "status": "in_service"}
    first = writer.post("/api/v1/equipment", json=unit).json()["id"]
    assert writer.delete(f"/api/v1/equipment/{first}", headers={"If-Match": "*"}).status_code == 204
    second = writer.post("/api/v1/equipment", json=unit).json()["id"]
    assert second > first

    sample = {"equipment_id": second, "sampled_at": "2031-01-01T00:00:00Z", "h2": 5}
    writer.post("/api/v1/measurements", json=[sample])
    sample_id = writer.get(f"/api/v1/measurements?equipment_id={second}").json()[0]["id"]
    assert writer.delete(f"/api/v1/measurements/{sample_id}").status_code == 204
    writer.post("/api/v1/measurements", json=[sample])
    assert writer.get(f"/api/v1/measurements?equipment_id={second}").json()[0]["id"] > sample_id
    assert writer.delete(f"/api/v1/measurements/{sample_id}").status_code == 404


def test_oracle_upgrade_script_is_printed_without_a_database():
    result = run_migrate("unused.sqlite3", "--print", "--from-version", "1")
    assert result.returncode == 0
    assert "CREATE TABLE schema_version" in result.stdout
    assert result.stdout.count("INSERT INTO schema_version") == migrations.CURRENT_VERSION
    assert run_migrate("unused.sqlite3", "--print", "--from-version", str(migrations.CURRENT_VERSION)).stdout.count(
        "INSERT"
    ) == 0


def test_backup_command_copies_commits_still_in_the_wal(demo_db, tmp_path):
    writer = sqlite3.connect(demo_db)  # holds the WAL open, so the commit below is not checkpointed
    writer.execute("INSERT INTO test_table (hello) VALUES ('only in the WAL')")
    writer.commit()
    plain_copy = tmp_path / "plain-copy.sqlite3"
    plain_copy.write_bytes(demo_db.read_bytes())
    destination = tmp_path / "backup.sqlite3"

    result = run_tool("tools.backup", str(destination), SEDA_SQLITE_PATH=str(demo_db))

    assert result.returncode == 0, result.stderr
    assert "quick_check ok" in result.stdout
    assert ("only in the WAL",) in sqlite3.connect(destination).execute("SELECT hello FROM test_table").fetchall()
    assert ("only in the WAL",) not in sqlite3.connect(plain_copy).execute("SELECT hello FROM test_table").fetchall()
    writer.close()
    use_database(destination)
    with make_client("api") as restored:
        assert {"hello": "only in the WAL"} in restored.get("/api/v1/application").json()


def test_backup_command_never_overwrites(demo_db, tmp_path):
    existing = tmp_path / "backup.sqlite3"
    existing.write_bytes(b"keep me")
    result = run_tool("tools.backup", str(existing), SEDA_SQLITE_PATH=str(demo_db))
    assert result.returncode != 0 and "exists already" in result.stderr
    assert existing.read_bytes() == b"keep me"
