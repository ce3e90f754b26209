"""`python -m tools.load --csv`: CSV files checked by the API's rules, written in resumable batches, served afterwards."""

import codecs
import contextlib
import csv
import datetime
import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from conftest import API_KEY, ROOT, make_client, run_tool, service_free_environment, table_snapshot, use_database
from shared.schema import SAMPLE_GASES
from test_oracle_integration import ORACLE_TEST_VARIABLES
from tools import load

SUBSTATIONS = """name,region,voltage_kv,latitude,longitude,commissioned_year
신가평,경기,765,37.802,127.527,2002
Dong-Seoul,Seoul,345,37.566,127.163,1988
"""
EQUIPMENT = """substation_name,name,kind,manufacturer,rated_mva,voltage_kv,year_manufactured,oil_preservation,status
신가평,주변압기 1,power_transformer,효성중공업,500,345,2006,sealed,in_service
Dong-Seoul,T2,shunt_reactor,ABB,100,345,2010,free_breathing,standby
"""
GAS_HEADER = ",".join(SAMPLE_GASES)
SAMPLES = f"""substation_name,equipment_name,sampled_at,{GAS_HEADER},lab
신가평,주변압기 1,2024-01-01T09:00:00+09:00,10,5,2,1,0,200,2000,15000,50000,대전 연구소
신가평,주변압기 1,2024-02-01T09:00:00+09:00,12,6,2,1,0,210,2100,15000,50000,대전 연구소
Dong-Seoul,T2,2024-02-01,80,60,20,40,0.5,300,2500,9000,60000,
"""
INSPECTIONS = """substation_name,equipment_name,inspected_at,finding,description,reference
신가평,주변압기 1,2024-03-01T10:00:00+09:00,T2,"권선 과열, 변색된 절연지
두 번째 줄",WO-2024-0117
"""
FILES = {"substations": SUBSTATIONS, "equipment": EQUIPMENT, "samples": SAMPLES, "inspections": INSPECTIONS}
# Tables compared between loads, without the columns that say when a row was written.
WRITTEN_AT = {"audit_log": ("recorded_at",), "dga_diagnosis": ("diagnosed_at",), "dga_change": ("changed_at",)}


def write_files(directory, files=FILES, bom=False):
    """The CSV files `files` (kind name -> text) in `directory`, UTF-8 (with a byte order mark if asked)."""
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.csv").write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode())
    return directory


def contents(path):
    """Every table's rows without write times: what two equal loads leave alike."""
    connection = sqlite3.connect(path)
    try:
        tables = {}
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")
                       if row[1] not in WRITTEN_AT.get(table, ()) and not (table == "schema_version" and row[1] == "applied_at")]
            tables[table] = connection.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1").fetchall()
        return tables
    finally:
        connection.close()


def query(path, statement):
    """Rows of one query on the SQLite file at `path`."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute(statement).fetchall()


def run_load(capsys, *arguments):
    """`python -m tools.load ...` in this process: (exit status, stdout, stderr)."""
    status = load.main([str(argument) for argument in arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_files_load_into_a_new_database_and_the_api_serves_them_with_korean_text_and_verdicts(tmp_path):
    directory = write_files(tmp_path / "csv", bom=True)
    path = tmp_path / "fleet.sqlite3"
    loaded = run_tool("tools.load", "--csv", str(directory), "--sqlite", str(path))
    assert loaded.returncode == 0, loaded.stderr
    assert "samples.csv: 3 inserted, 0 updated in 1 batch" in loaded.stdout
    assert "samples.csv [" in loaded.stderr and "100%" in loaded.stderr  # a progress bar per file
    assert query(path, "SELECT key_id, operation, resource_name, ids FROM audit_log ORDER BY id") == [
        ("tools.load", "LOAD substations.csv", "substations", '{"id":[1,2],"line":[2,3]}'),
        ("tools.load", "LOAD equipment.csv", "equipment", '{"id":[1,2],"line":[2,3]}'),
        ("tools.load", "LOAD samples.csv", "measurements", '{"equipment_id":[1,2],"line":[2,4]}'),
        ("tools.load", "LOAD inspections.csv", "inspections", '{"equipment_id":[1],"line":[2,2]}'),  # a record's line is where it starts
    ]
    # The samples were diagnosed as they were written, as POST /measurements does: none is left pending.
    assert query(path, "SELECT COUNT(*) FROM dga_diagnosis") == [(3,)]
    use_database(path, SEDA_API_KEYS=API_KEY)
    with make_client("api") as client:
        assert [s["name"] for s in client.get("/api/v1/substations").json()] == ["신가평", "Dong-Seoul"]
        unit = client.get("/api/v1/equipment?substation_id=1").json()[0]
        assert (unit["name"], unit["manufacturer"], unit["insulating_liquid"]) == ("주변압기 1", "효성중공업", "mineral")
        samples = client.get(f"/api/v1/measurements?equipment_id={unit['id']}").json()
        assert [(s["sampled_at"], s["lab"]) for s in samples] == [
            ("2024-01-01T00:00:00Z", "대전 연구소"), ("2024-02-01T00:00:00Z", "대전 연구소")]
        (inspection,) = client.get("/api/v1/inspections").json()
        assert inspection["description"] == "권선 과열, 변색된 절연지\n두 번째 줄" and inspection["finding"] == "T2"
        verdict = client.get(f"/api/v1/diagnoses/{unit['id']}").json()
        assert verdict["stale"] is False and verdict["diagnosed_at"] and verdict["sample"]["id"] == samples[-1]["id"]
        assert client.post("/api/v1/diagnose-pending", headers={"Authorization": f"Bearer {API_KEY}"}).json()["units"] == 0
        trail = client.get("/api/v1/audit?resource_name=substations", headers={"Authorization": f"Bearer {API_KEY}"})
        assert trail.json()[0]["ids"] == {"id": [1, 2], "line": [2, 3]}


BAD_SAMPLES = f"""substation_name,equipment_name,sampled_at,{GAS_HEADER},lab
신가평,주변압기 1,2024-01-01T09:00:00+09:00,10,5,2,1,0,200,2000,15000,50000,ok
신가평,주변압기 1,2024-01-05,abc,5,2,1,0,200,2000,15000,50000,
신가평,주변압기 1,yesterday,1,,,,,,,,,
신가평,주변압기 1,2024-01-06,,,,,,,,,,no gas
신가평,주변압기 1,2024-01-01T00:00:00Z,1,,,,,,,,,same time as line 2
신가평,T9,2024-01-07,1,,,,,,,,,
신가평,주변압기 1,2024-01-08,1,2
"""


def test_bad_lines_are_reported_with_file_and_line_in_the_api_s_words_and_nothing_is_written(tmp_path, capsys, writer):
    database = tmp_path / "fleet.sqlite3"
    assert run_load(capsys, "--csv", write_files(tmp_path / "good"), "--sqlite", database)[0] == 0
    before = table_snapshot(database)
    bad = write_files(tmp_path / "bad", {"samples": BAD_SAMPLES})
    status, out, err = run_load(capsys, "--csv", bad, "--sqlite", database)
    assert status == 1
    problems = err.splitlines()
    assert problems[:6] == [
        "samples.csv:3: 'h2' must be a number from 0 to 1,000,000; received 'abc'.",
        problems[1],
        "samples.csv:5: The sample has no gas value; give one or more of h2, ch4, c2h6, c2h4, c2h2, co, co2, o2, n2.",
        "samples.csv:6: Line 2 already holds a sample of this unit at this time; give each once.",
        ("samples.csv:7: Substation '신가평' has no unit named 'T9'; load it first (equipment.csv) or correct "
         "'substation_name' and 'equipment_name'."),
        "samples.csv:8: The row has 5 cells but the header names 13 columns.",
    ]
    assert problems[1].startswith("samples.csv:4: 'sampled_at' must be an ISO 8601 date or date-time")
    assert "samples.csv: 1 good lines, 6 bad" in out and "nothing was written: 6 bad lines, more than --max-errors 0" in out
    assert "pass --max-errors 6 to load the other lines and skip those" in out
    assert table_snapshot(database) == before
    # The API refuses the same line with the same message.
    refused = writer.post("/api/v1/measurements", content="equipment_id,sampled_at,h2\n1,yesterday,1\n",
                          headers={"Content-Type": "text/csv"})
    assert refused.json()["details"][0]["errors"][0]["message"] in problems[1]


def test_max_errors_skips_that_many_bad_lines_loads_the_rest_and_still_exits_non_zero(tmp_path, capsys):
    database = tmp_path / "fleet.sqlite3"
    assert run_load(capsys, "--csv", write_files(tmp_path / "good"), "--sqlite", database)[0] == 0
    bad = write_files(tmp_path / "bad", {"samples": BAD_SAMPLES})
    assert run_load(capsys, "--csv", bad, "--sqlite", database, "--max-errors", "5")[0] == 1  # 6 bad: refused
    assert query(database, "SELECT COUNT(*) FROM dga_sample WHERE lab = 'ok'") == [(0,)]
    status, out, err = run_load(capsys, "--csv", bad, "--sqlite", database, "--max-errors", "6")
    assert status == 1 and "samples.csv:8:" in err
    assert "samples.csv: 0 inserted, 1 updated in 1 batch, 6 bad lines skipped" in out
    assert query(database, "SELECT COUNT(*) FROM dga_sample WHERE lab = 'ok'") == [(1,)]


def test_a_header_naming_unknown_or_too_few_columns_refuses_the_load_whatever_max_errors_says(tmp_path, capsys):
    bad = write_files(tmp_path / "bad", {"equipment": "substation_name,name,colour\nx,y,red\n"})
    database = tmp_path / "new.sqlite3"
    status, out, err = run_load(capsys, "--csv", bad, "--sqlite", database, "--max-errors", "100")
    assert status == 1 and "nothing was written: a file cannot be read whole" in out
    assert "equipment.csv: 'colour' is not a field; accepted fields: substation_name, name, kind," in err
    assert "equipment.csv: Column 'kind' is required." in err
    assert not database.exists()  # a new file is made only for a load that writes


def test_dry_run_reports_every_problem_and_changes_no_byte_of_the_database(tmp_path, capsys, demo_db):
    bad = write_files(tmp_path / "bad", {**FILES, "samples": BAD_SAMPLES})
    digest = hashlib.sha256(demo_db.read_bytes()).hexdigest()
    rows = table_snapshot(demo_db)
    status, out, err = run_load(capsys, "--csv", bad, "--sqlite", demo_db, "--dry-run", "--max-errors", "100")
    assert status == 1 and "dry run: nothing was written" in out
    # The units the check found in equipment.csv count as parents: line 7 names one that is nowhere.
    assert len(err.splitlines()) == 6 and "samples.csv:7:" in err
    assert hashlib.sha256(demo_db.read_bytes()).hexdigest() == digest and table_snapshot(demo_db) == rows
    new = tmp_path / "absent.sqlite3"
    status, out, _ = run_load(capsys, "--csv", write_files(tmp_path / "good"), "--sqlite", new, "--dry-run")
    assert status == 0 and "samples.csv: 3 good lines, 0 bad" in out
    assert not new.exists()


def test_loading_again_changes_nothing_and_a_changed_file_updates_in_place(tmp_path, capsys):
    directory = write_files(tmp_path / "csv")
    database = tmp_path / "fleet.sqlite3"
    assert run_load(capsys, "--csv", directory, "--sqlite", database)[0] == 0
    first = contents(database)
    status, out, _ = run_load(capsys, "--csv", directory, "--sqlite", database)
    assert status == 0 and "samples.csv: loaded already (3 lines); --reload writes it again" in out
    assert contents(database) == first
    status, out, _ = run_load(capsys, "--csv", directory, "--sqlite", database, "--reload")
    assert status == 0 and "samples.csv: 0 inserted, 3 updated in 1 batch" in out
    reloaded = contents(database)
    assert {table: rows for table, rows in reloaded.items() if table != "audit_log"} == {
        table: rows for table, rows in first.items() if table != "audit_log"}
    assert len(reloaded["audit_log"]) == 2 * len(first["audit_log"])  # the reload is on the trail too
    verdict_before = query(database, "SELECT verdict FROM dga_diagnosis WHERE sample_id = 3")
    changed = {"equipment": EQUIPMENT.replace("2010,free_breathing", "1985,free_breathing"),
               "samples": SAMPLES.replace("Dong-Seoul,T2,2024-02-01,80", "Dong-Seoul,T2,2024-02-01,900")
               + "Dong-Seoul,T2,2024-03-01,1,1,1,1,0,1,1,1,1,\n"}
    status, out, _ = run_load(capsys, "--csv", write_files(tmp_path / "changed", changed), "--sqlite", database)
    assert status == 0 and "samples.csv: 1 inserted, 3 updated in 1 batch" in out
    assert query(database, "SELECT COUNT(*), MAX(h2) FROM dga_sample WHERE equipment_id = 2") == [(2, 900.0)]
    assert query(database, "SELECT year_manufactured FROM equipment WHERE name = 'T2'") == [(1985,)]
    assert query(database, "SELECT verdict FROM dga_diagnosis WHERE sample_id = 3") != verdict_before
    assert query(database, "SELECT s.sampled_at FROM dga_diagnosis d JOIN dga_sample s ON s.id = d.sample_id "
                           "WHERE d.equipment_id = 2 AND d.is_latest = 1") == [("2024-03-01 00:00:00.000000",)]
    assert query(database, "SELECT COUNT(*) FROM substation") == [(2,)]


def test_another_charset_is_read_when_named_and_refused_with_its_position_when_not(tmp_path, capsys):
    directory = tmp_path / "cp949"
    directory.mkdir()
    (directory / "substations.csv").write_bytes(SUBSTATIONS.encode("cp949"))
    database = tmp_path / "fleet.sqlite3"
    status, _, err = run_load(capsys, "--csv", directory, "--sqlite", database)
    assert status == 1 and "substations.csv: The file is not valid utf-8: the byte at position" in err
    assert run_load(capsys, "--csv", directory, "--sqlite", database, "--charset", "euc-kr")[0] == 0
    assert query(database, "SELECT name, region FROM substation ORDER BY id")[0] == ("신가평", "경기")


def test_arguments_the_csv_load_cannot_use_are_refused(tmp_path, capsys):
    for arguments, said in [
        (["--csv", tmp_path, "--sqlite", "x", "--samples", "10"], "--samples belong to the generated fleet"),
        (["--csv", tmp_path, "--sqlite", "x"], "holds none of substations.csv"),
        (["--samples-csv", tmp_path / "absent.csv", "--sqlite", "x"], "no such file"),
        (["--csv", write_files(tmp_path / "csv"), "--sqlite", "x", "--charset", "klingon"], "Charset"),
        (["--csv", tmp_path / "csv", "--oracle"], "ORACLE_USER"),
    ]:
        with pytest.raises(SystemExit) as refused:
            load.main([str(argument) for argument in arguments])
        assert refused.value.code == 2 and said.lower() in capsys.readouterr().err.lower()


def fleet_files(directory, units=6, samples_per_unit=700):
    """A fleet big enough for many batches: `units` units with `samples_per_unit` complete samples each."""
    unit_rows = [f"Dong-Seoul,T{unit},power_transformer,,100,154,2000,sealed,in_service" for unit in range(units)]
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    sample_rows = [
        f"Dong-Seoul,T{unit},{start + datetime.timedelta(days=7 * week):%Y-%m-%dT%H:%M:%SZ},"
        f"{week % 50 + 1},5,2,1,0,200,2000,15000,50000,lab"
        for unit in range(units) for week in range(samples_per_unit)
    ]
    return write_files(directory, {
        "substations": SUBSTATIONS,
        "equipment": EQUIPMENT.splitlines()[0] + "\n" + "\n".join(unit_rows) + "\n",
        "samples": SAMPLES.splitlines()[0] + "\n" + "\n".join(sample_rows) + "\n",
    })


SAMPLE_BATCHES = 14  # of `fleet_files()` at 300 lines a batch
INTERRUPTIBLE = ["--batch-rows", "300"]


def test_a_load_killed_mid_way_carries_on_when_run_again_and_ends_as_an_uninterrupted_load(tmp_path):
    directory = fleet_files(tmp_path / "csv")
    whole, killed = tmp_path / "whole.sqlite3", tmp_path / "killed.sqlite3"
    arguments = ["--csv", str(directory), *INTERRUPTIBLE]
    assert run_tool("tools.load", *arguments, "--sqlite", str(whole)).returncode == 0
    assert _committed_batches(whole) == SAMPLE_BATCHES
    status, _ = _interrupted_after_first_batch([*arguments, "--sqlite", str(killed)], killed, signal.SIGKILL)
    committed = _committed_batches(killed)
    assert status == -signal.SIGKILL and 1 <= committed < SAMPLE_BATCHES, "killed mid-load"
    assert query(killed, "SELECT COUNT(*) FROM dga_sample")[0][0] == committed * 300
    resumed = run_tool("tools.load", *arguments, "--sqlite", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    assert "loaded by an earlier run" in resumed.stdout
    assert contents(killed) == contents(whole)


def test_ctrl_c_rolls_back_the_batch_in_progress_exits_130_and_the_same_command_carries_on(tmp_path):
    directory = fleet_files(tmp_path / "csv")
    path = tmp_path / "fleet.sqlite3"
    arguments = ["--csv", str(directory), *INTERRUPTIBLE, "--sqlite", str(path)]
    status, err = _interrupted_after_first_batch(arguments, path, signal.SIGINT)
    assert status == 130 and "interrupted: the batch in progress (if any) was rolled back" in err
    committed = _committed_batches(path)
    assert 1 <= committed < SAMPLE_BATCHES
    assert query(path, "SELECT COUNT(*) FROM dga_sample")[0][0] == committed * 300  # no half batch
    resumed = run_tool("tools.load", *arguments)
    assert resumed.returncode == 0 and f"{committed * 300:,} loaded by an earlier run" in resumed.stdout
    assert query(path, "SELECT COUNT(*) FROM dga_sample") == [(6 * 700,)]


def _interrupted_after_first_batch(arguments, path, signal_number):
    """Start `python -m tools.load arguments`, and once a batch of samples is committed in `path`, take the write
    lock (so no further batch can commit) and send `signal_number`; the process's exit status and stderr."""
    process = subprocess.Popen([sys.executable, "-m", "tools.load", *arguments], cwd=ROOT,
                               env=service_free_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60  # against a hang only
        while not _committed_batches(path):
            assert process.poll() is None and time.monotonic() < deadline, "the load ended before a batch was seen"
            time.sleep(0.005)
        with contextlib.closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as lock:
            lock.execute("BEGIN IMMEDIATE")
            os.kill(process.pid, signal_number)
            if signal_number == signal.SIGKILL:
                process.wait(timeout=30)  # gone before the lock is let go; an interrupted one needs it to roll back
            lock.execute("ROLLBACK")
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, err


def _committed_batches(path):
    """Batches of samples committed in the database at `path` (0 while it does not exist yet)."""
    if not path.exists():
        return 0
    try:
        return query(path, "SELECT COUNT(*) FROM audit_log WHERE resource_name = 'measurements'")[0][0]
    except sqlite3.OperationalError:  # the schema is being created
        return 0


@pytest.mark.oracle
@pytest.mark.skipif(not all(os.environ.get(name) for name in ORACLE_TEST_VARIABLES),
                    reason="no Oracle database here: set ORACLE_TEST_USER, ORACLE_TEST_PASSWORD and ORACLE_TEST_DSN to run")
def test_csv_files_load_into_oracle_once_upsert_on_reload_and_are_served(tmp_path, demo_db):
    suffix = uuid.uuid4().hex[:8]
    files = {name: text.replace("신가평", f"신가평-{suffix}").replace("Dong-Seoul", f"Dong-Seoul-{suffix}")
             for name, text in FILES.items()}
    directory = write_files(tmp_path / "csv", files, bom=True)
    oracle = {"ORACLE_USER": os.environ["ORACLE_TEST_USER"], "ORACLE_PASSWORD": os.environ["ORACLE_TEST_PASSWORD"],
              "ORACLE_DSN": os.environ["ORACLE_TEST_DSN"]}
    try:
        first = run_tool("tools.load", "--csv", str(directory), "--oracle", **oracle)
        assert first.returncode == 0 and "samples.csv: 3 inserted, 0 updated" in first.stdout, first.stderr
        again = run_tool("tools.load", "--csv", str(directory), "--oracle", **oracle)
        assert again.returncode == 0 and "samples.csv: loaded already" in again.stdout, again.stderr
        reloaded = run_tool("tools.load", "--csv", str(directory), "--oracle", "--reload", **oracle)
        assert reloaded.returncode == 0 and "samples.csv: 0 inserted, 3 updated" in reloaded.stdout, reloaded.stderr
        use_database(demo_db, SEDA_DATABASE="oracle", **oracle)
        with make_client("api") as client:
            (substation,) = [s for s in client.get("/api/v1/substations?limit=1000").json() if s["name"] == f"신가평-{suffix}"]
            (unit,) = client.get(f"/api/v1/equipment?substation_id={substation['id']}").json()
            samples = client.get(f"/api/v1/measurements?equipment_id={unit['id']}").json()
            assert [s["lab"] for s in samples] == ["대전 연구소", "대전 연구소"]
            assert client.get(f"/api/v1/diagnoses/{unit['id']}").json()["diagnosed_at"]
    finally:
        _delete_from_oracle(oracle, suffix)


def _delete_from_oracle(oracle, suffix):
    """Remove what the Oracle test loaded (its substations' names end in `suffix`), children first."""
    import oracledb

    units = "SELECT e.id FROM equipment e JOIN substation s ON s.id = e.substation_id WHERE s.name LIKE :pattern"
    with oracledb.connect(user=oracle["ORACLE_USER"], password=oracle["ORACLE_PASSWORD"], dsn=oracle["ORACLE_DSN"]) as connection:
        with connection.cursor() as cursor:
            for table in ("dga_change", "inspection", "dga_diagnosis", "dga_sample"):
                cursor.execute(f"DELETE FROM {table} WHERE equipment_id IN ({units})", pattern=f"%-{suffix}")
            cursor.execute(f"DELETE FROM equipment WHERE id IN ({units})", pattern=f"%-{suffix}")
            cursor.execute("DELETE FROM substation WHERE name LIKE :pattern", pattern=f"%-{suffix}")
        connection.commit()


def demo_fleet_files(directory):
    """The demo fleet (`shared/demo_data.py`, what a new embedded database holds) written as the loader's CSV files."""
    from shared import demo_data

    fleet = demo_data.generate()
    substation_names = {substation["id"]: substation["name"] for substation in fleet.substations}
    units = {unit["id"]: (substation_names[unit["substation_id"]], unit["name"]) for unit in fleet.equipment}

    def table(columns, rows):
        text = io.StringIO()
        csv.writer(text).writerows([columns, *rows])  # None is written as an empty cell: a missing value
        return text.getvalue()

    files = {
        "substations": table(BY_KIND["substations"], ([s[c] for c in BY_KIND["substations"]] for s in fleet.substations)),
        "equipment": table(BY_KIND["equipment"], ([*units[u["id"]][:1], *(u.get(c) for c in BY_KIND["equipment"][1:])]
                                                  for u in fleet.equipment)),
        "samples": table(BY_KIND["samples"], ([*units[s["equipment_id"]], s["sampled_at"].isoformat(),
                                                *(s[c] for c in BY_KIND["samples"][3:])]
                                               for batch in fleet.sample_batches() for s in batch)),
        "inspections": table(BY_KIND["inspections"], ([*units[i["equipment_id"]], i["inspected_at"].isoformat(),
                                                        *(i.get(c) for c in BY_KIND["inspections"][3:])]
                                                       for i in fleet.inspections)),
    }
    return write_files(directory, files)


BY_KIND = {
    "substations": ("name", "region", "voltage_kv", "latitude", "longitude", "commissioned_year"),
    "equipment": ("substation_name", "name", "kind", "manufacturer", "rated_mva", "voltage_kv", "year_manufactured",
                  "oil_preservation", "status"),
    "samples": ("substation_name", "equipment_name", "sampled_at", *SAMPLE_GASES, "lab"),
    "inspections": ("substation_name", "equipment_name", "inspected_at", "finding", "description", "reference"),
}
VERDICTS_BY_NAME = (
    "SELECT s.name, e.name, d.sampled_at, d.is_latest, d.fingerprint, d.dga_status, d.fault_type, d.severity, "
    "d.health_index, d.verdict_rank FROM dga_diagnosis d JOIN equipment e ON e.id = d.equipment_id "
    "JOIN substation s ON s.id = e.substation_id ORDER BY 1, 2, 3"
)


def test_the_demo_fleet_loaded_from_csv_gets_the_stored_verdicts_the_service_writes_for_it(tmp_path, capsys, demo_db):
    path = tmp_path / "from-csv.sqlite3"
    status, out, _ = run_load(capsys, "--csv", demo_fleet_files(tmp_path / "csv"), "--sqlite", path)
    assert status == 0 and "samples.csv: 4,271 inserted" in out
    assert query(path, VERDICTS_BY_NAME) == query(demo_db, VERDICTS_BY_NAME)
    for table in ("substation", "equipment", "inspection"):
        assert query(path, f"SELECT * FROM {table} ORDER BY id") == query(demo_db, f"SELECT * FROM {table} ORDER BY id")


def test_a_line_skipped_for_a_missing_parent_is_written_once_the_parent_is_loaded(tmp_path, capsys):
    database = tmp_path / "fleet.sqlite3"
    parents = write_files(tmp_path / "parents", {"substations": SUBSTATIONS, "equipment": EQUIPMENT})
    assert run_load(capsys, "--csv", parents, "--sqlite", database)[0] == 0
    orphan = "Dong-Seoul,T9,2024-03-01,1,1,1,1,0,1,1,1,1,orphan\n"
    samples = write_files(tmp_path / "samples", {"samples": SAMPLES + orphan})
    status, out, err = run_load(capsys, "--csv", samples, "--sqlite", database, "--max-errors", "1")
    assert status == 1 and "samples.csv:5: Substation 'Dong-Seoul' has no unit named 'T9'" in err
    assert query(database, "SELECT COUNT(*) FROM dga_sample WHERE lab = 'orphan'") == [(0,)]
    unit = EQUIPMENT.splitlines()[0] + "\nDong-Seoul,T9,power_transformer,ABB,100,345,2010,sealed,in_service\n"
    assert run_load(capsys, "--csv", write_files(tmp_path / "unit", {"equipment": unit}), "--sqlite", database)[0] == 0
    status, out, _ = run_load(capsys, "--csv", samples, "--sqlite", database)
    assert status == 0, out
    assert "loaded already" not in out and "1 inserted, 3 updated" in out
    assert query(database, "SELECT COUNT(*) FROM dga_sample WHERE lab = 'orphan'") == [(1,)]
    assert "loaded already" in run_load(capsys, "--csv", samples, "--sqlite", database)[1]
