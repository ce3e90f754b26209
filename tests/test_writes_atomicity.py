"""No partial writes: failures made to happen for real in SQLite leave every table exactly as before."""

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import API_KEY, kill_server, make_client, start_server, table_snapshot
from shared.schema import SAMPLE_GASES

BATCH_ROWS = 10_000
FAILING_ROW = 9_000
# Every row after row 0 costs a long recursive count, so the batch cannot finish before the
# test kills the server: the kill lands mid-transaction however fast the machine is.
SLOW_TRIGGER = """
CREATE TRIGGER slow_sample BEFORE INSERT ON dga_sample
WHEN NEW.lab <> 'row 0'
 AND (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT COUNT(*) FROM c) > 0
BEGIN SELECT 1; END
"""


def _execute(path, statement):
    """Run one statement on the test's SQLite file, outside the service."""
    connection = sqlite3.connect(path)
    try:
        connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def _batch(demo_db):
    """10,000 samples: re-sent stored samples first (updates), then new ones (inserts); row i has lab 'row i'."""
    connection = sqlite3.connect(demo_db)
    stored = connection.execute("SELECT equipment_id, sampled_at FROM dga_sample ORDER BY id LIMIT 3000").fetchall()
    connection.close()
    keys = [(unit, at.replace(" ", "T") + "Z") for unit, at in stored]
    days = [n // 100 for n in range(BATCH_ROWS - len(keys))]  # 100 units a day, from 2031-01-01
    keys += [(1 + n % 100, f"2031-{1 + day // 28:02}-{1 + day % 28:02}T00:00:00Z") for n, day in enumerate(days)]
    gases = dict.fromkeys(SAMPLE_GASES, 1.0)
    return [{"equipment_id": unit, "sampled_at": at, **gases, "lab": f"row {i}"} for i, (unit, at) in enumerate(keys)]


@pytest.mark.parametrize("event", ["INSERT", "UPDATE"])
def test_a_failure_at_row_9000_of_10000_leaves_every_table_as_before(writer, demo_db, event):
    batch = _batch(demo_db)
    failing = FAILING_ROW if event == "INSERT" else 2_500  # the first 3,000 rows update stored samples
    _execute(
        demo_db,
        f"CREATE TRIGGER fail_row BEFORE {event} ON dga_sample WHEN NEW.lab = 'row {failing}' "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    before = table_snapshot(demo_db)
    response = writer.post("/api/v1/measurements", json=batch)
    assert response.status_code == 409
    assert "constraint" in response.json()["message"] and "injected" not in response.text
    assert table_snapshot(demo_db) == before
    _execute(demo_db, "DROP TRIGGER fail_row")
    assert writer.post("/api/v1/measurements", json=batch).json() == {"received": BATCH_ROWS, "inserted": 7_000, "updated": 3_000}


def test_reads_during_a_write_see_the_old_rows_and_a_killed_server_leaves_them(demo_db, free_port):
    batch = _batch(demo_db)
    _execute(demo_db, SLOW_TRIGGER)
    before = table_snapshot(demo_db)
    server = start_server("api", demo_db, free_port, SEDA_API_KEYS=API_KEY)
    base = f"http://127.0.0.1:{free_port}/api/v1"
    try:
        writer = threading.Thread(target=_post_ignoring_errors, args=(f"{base}/measurements", batch), daemon=True)
        writer.start()
        _wait_for_write_lock(demo_db)
        time.sleep(0.3)  # settle: row 0 is rewritten at once, row 1 alone then takes far longer
        first_sample = before["dga_sample"][0]
        during = _get_json(f"{base}/measurements/{first_sample[0]}")
        assert during["lab"] == first_sample[-1] != "row 0", "a read during the transaction must not see its rows"
        assert _holds_write_lock(demo_db), "the batch was still being written when the server died"
        kill_server(server)
        writer.join(timeout=20)
    finally:
        kill_server(server)
    assert table_snapshot(demo_db) == before


def test_a_write_to_an_unreachable_sqlite_file_is_503(writer, settings_env, tmp_path):
    settings_env(SEDA_API_KEYS=API_KEY, SEDA_SQLITE_PATH=str(tmp_path / "missing-dir" / "seda.sqlite3"))
    response = writer.post("/api/v1/measurements", json=[{"equipment_id": 1, "sampled_at": "2030-01-01", "h2": 1}])
    assert response.status_code == 503 and response.headers["retry-after"]
    assert "missing-dir" not in response.text


def test_a_write_to_an_unreachable_oracle_is_503_without_secrets(settings_env):
    settings_env(ORACLE_USER="seda", ORACLE_PASSWORD="s3cret-Pa55", ORACLE_DSN="127.0.0.1:1/FREEPDB1",
                 ORACLE_POOL_TIMEOUT_S="2", SEDA_API_KEYS=API_KEY)
    with make_client("api") as client:
        response = client.post(
            "/api/v1/measurements", json=[{"equipment_id": 1, "sampled_at": "2030-01-01", "h2": 1}], headers={"X-API-Key": API_KEY}
        )
    assert response.status_code == 503 and response.json()["error"] == "DatabaseUnavailable"
    for secret in ("s3cret-Pa55", "127.0.0.1", "FREEPDB1", "DPY-", API_KEY):
        assert secret not in response.text


def _get_json(url):
    """GET a URL and parse its JSON body."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post_ignoring_errors(url, batch):
    """POST a batch whose server is about to die."""
    request = urllib.request.Request(
        url, data=json.dumps(batch).encode(), headers={"Content-Type": "application/json", "X-API-Key": API_KEY}
    )
    try:
        urllib.request.urlopen(request, timeout=60).close()
    except (urllib.error.URLError, ConnectionError, OSError):
        pass


def _holds_write_lock(path):
    """True while another connection holds SQLite's write lock on the file."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


def _wait_for_write_lock(path, seconds=30):
    """Wait until the server's write transaction has begun."""
    deadline = time.monotonic() + seconds
    while not _holds_write_lock(path):
        assert time.monotonic() < deadline, "the write transaction never began"
        time.sleep(0.02)
