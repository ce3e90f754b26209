"""Catching up pending and stale verdicts (`shared/pending.py`): `python -m tools.rediagnose` as an operator runs it,
and `POST /api/v1/diagnose-pending` as a scheduler calls it. Afterwards every stored verdict equals a fresh one."""

import concurrent.futures
import contextlib
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import API_KEY, ROOT, kill_server, run_tool, service_free_environment, start_server, table_snapshot
from conftest import write_lock_held
from contract import error_body
from test_migrations import make_v3_database
from test_verdict_store import assert_stored_equal_fresh
from shared import pending
from tools import migrate

GUARD_S = 120  # against a hang only
_CAUGHT_UP = re.compile(r"caught up ([0-9,]+) units, ([0-9,]+) verdicts")


def _query(path, sql, binds=()):
    """Rows of a query, from a connection of the test's own."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, binds).fetchall()
    finally:
        connection.close()


def _unit_ids(path):
    """Ids of the units that have complete samples (the others have nothing to diagnose)."""
    from shared import verdict_store

    return [row[0] for row in _query(path, f"SELECT DISTINCT equipment_id FROM dga_sample WHERE {verdict_store.COMPLETE} "
                                           "ORDER BY equipment_id")]


def _complete_samples(path):
    """How many complete samples the database holds."""
    from shared import verdict_store

    return _query(path, f"SELECT COUNT(*) FROM dga_sample WHERE {verdict_store.COMPLETE}")[0][0]


def _verdicts(path):
    """How many stored verdicts the database holds."""
    return _query(path, "SELECT COUNT(*) FROM dga_diagnosis")[0][0]


def _rediagnose(path, *arguments, **settings):
    """`python -m tools.rediagnose` on `path`, finished."""
    return run_tool("tools.rediagnose", *arguments, SEDA_SQLITE_PATH=str(path), **settings)


def _caught_up(result):
    """(units, verdicts) from the command's closing line."""
    assert result.returncode == 0, result.stderr
    found = _CAUGHT_UP.search(result.stdout)
    assert found, result.stdout
    return tuple(int(number.replace(",", "")) for number in found.groups())


def _start_rediagnose(path, *arguments, **settings):
    """`python -m tools.rediagnose` on `path`, started and left running."""
    return subprocess.Popen(
        [sys.executable, "-m", "tools.rediagnose", *arguments], cwd=ROOT,
        env=service_free_environment(SEDA_SQLITE_PATH=str(path), **settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def upgraded_db(tmp_path, capsys):
    """A database made by release 3 (the demo fleet, no verdicts), upgraded to this release's schema."""
    path = make_v3_database(tmp_path / "seda.sqlite3")
    assert migrate.migrate_sqlite(str(path)) == 0
    capsys.readouterr()
    return path


def _wait_for_first_commit(path, process):
    """Wait until `process` has committed a batch (verdicts are visible)."""
    deadline = time.monotonic() + GUARD_S
    while _verdicts(path) == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no batch committed"
        time.sleep(0.005)


@contextlib.contextmanager
def _stopped_with_the_write_lock_taken(process, path):
    """`process` frozen (SIGSTOP) between two of its write transactions, and SQLite's write lock on `path` held here.

    Taking the lock while the command runs is a race it wins: it begins its next batch the moment
    it commits one, and SQLite's busy handler grants no turn, so on a loaded box the lock came only
    after the whole catch-up. Frozen, the command cannot take it back; if it was frozen inside a
    batch (holding the lock), it is let run a moment and frozen again.
    """
    deadline = time.monotonic() + GUARD_S
    with contextlib.closing(sqlite3.connect(path, timeout=0.05, isolation_level=None)) as connection:
        while True:
            os.kill(process.pid, signal.SIGSTOP)
            try:
                connection.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError:  # frozen inside a batch
                os.kill(process.pid, signal.SIGCONT)
                assert time.monotonic() < deadline, "never frozen between two batches"
                time.sleep(0.002)
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            with contextlib.suppress(ProcessLookupError):  # it may have ended in the block
                os.kill(process.pid, signal.SIGCONT)


def _units_done_whole(path):
    """The units with any verdict; each has a verdict for every complete sample and its feed entry (batches are atomic)."""
    done = [row[0] for row in _query(path, "SELECT DISTINCT equipment_id FROM dga_diagnosis")]
    assert_stored_equal_fresh(path, done)
    return done


def test_after_an_upgrade_from_version_3_every_sample_is_pending_until_rediagnose_catches_up(upgraded_db):
    samples, units = _complete_samples(upgraded_db), _unit_ids(upgraded_db)
    assert _verdicts(upgraded_db) == 0

    dry = _rediagnose(upgraded_db, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"{len(units):,} units with pending or stale verdicts; {samples:,} pending samples, 0 stale" in dry.stdout
    assert _verdicts(upgraded_db) == 0  # a dry run writes nothing

    run = _rediagnose(upgraded_db, "--batch-units", "7")
    assert _caught_up(run) == (len(units), samples)
    # Progress on stderr; not a terminal here, so plain lines without redrawing.
    assert "\r" not in run.stderr and "\x1b" not in run.stderr
    assert re.fullmatch(rf"units {len(units)}/{len(units)} \(100%\) \| verdicts {samples:,}/{samples:,} \| "
                        r"[0-9,]+ verdicts/s \| ETA 0s", run.stderr.strip().splitlines()[-1]), run.stderr
    assert_stored_equal_fresh(upgraded_db, units)
    assert _query(upgraded_db, "SELECT COUNT(*), COUNT(DISTINCT equipment_id) FROM dga_change")[0] == (len(units),) * 2

    before = table_snapshot(upgraded_db)
    assert _caught_up(_rediagnose(upgraded_db)) == (0, 0)  # idempotent: nothing is left, nothing is rewritten
    assert table_snapshot(upgraded_db) == before


def test_a_new_engine_makes_verdicts_stale_until_rediagnose_catches_up(demo_db):
    stale_units = [1, 2, 3, 40]
    marks = ", ".join("?" * len(stale_units))
    connection = sqlite3.connect(demo_db)
    with connection:
        connection.execute(f"UPDATE dga_diagnosis SET fingerprint = 'older engine', verdict = '{{}}' "
                           f"WHERE equipment_id IN ({marks})", stale_units)
    connection.close()
    stale = _query(demo_db, f"SELECT COUNT(*) FROM dga_diagnosis WHERE equipment_id IN ({marks})", stale_units)[0][0]
    untouched = _query(demo_db, f"SELECT * FROM dga_diagnosis WHERE equipment_id NOT IN ({marks}) ORDER BY 1", stale_units)

    dry = _rediagnose(demo_db, "--dry-run")
    assert f"{len(stale_units)} units with pending or stale verdicts; 0 pending samples, {stale:,} stale" in dry.stdout

    assert _caught_up(_rediagnose(demo_db)) == (len(stale_units), stale)
    assert_stored_equal_fresh(demo_db, _unit_ids(demo_db))
    assert _query(demo_db, f"SELECT * FROM dga_diagnosis WHERE equipment_id NOT IN ({marks}) ORDER BY 1",
                  stale_units) == untouched


def test_partitions_running_at_once_share_the_backlog_without_overlapping(upgraded_db):
    units = _unit_ids(upgraded_db)
    first, second = (_start_rediagnose(upgraded_db, "--partition", share, "--batch-units", "3") for share in ("1/2", "2/2"))
    results = [process.communicate(timeout=GUARD_S) for process in (first, second)]
    assert first.returncode == second.returncode == 0, results
    done = [tuple(int(n.replace(",", "")) for n in _CAUGHT_UP.search(stdout).groups()) for stdout, _ in results]
    odd = [unit for unit in units if unit % 2 == 1]
    even = [unit for unit in units if unit % 2 == 0]
    assert [units_done for units_done, _ in done] == [len(even), len(odd)]  # 1/2: MOD(id, 2) = 0; 2/2: = 1
    assert sum(verdicts for _, verdicts in done) == _complete_samples(upgraded_db)  # no verdict written twice
    assert_stored_equal_fresh(upgraded_db, units)
    assert _query(upgraded_db, "SELECT COUNT(*), COUNT(DISTINCT equipment_id) FROM dga_change")[0] == (len(units),) * 2


def test_a_run_killed_mid_way_loses_at_most_its_batch_and_the_next_run_finishes(upgraded_db):
    units = _unit_ids(upgraded_db)
    process = _start_rediagnose(upgraded_db, "--batch-units", "1")
    try:
        _wait_for_first_commit(upgraded_db, process)
        os.kill(process.pid, signal.SIGSTOP)  # frozen now, wherever it is: killed before the end, surely
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=GUARD_S)
    finally:
        if process.poll() is None:
            process.kill()
    done = _units_done_whole(upgraded_db)
    assert 0 < len(done) < len(units)

    resumed = _caught_up(_rediagnose(upgraded_db, "--batch-units", "10"))
    assert resumed == (len(units) - len(done), _complete_samples(upgraded_db) - _verdicts_of(upgraded_db, done))
    assert_stored_equal_fresh(upgraded_db, units)
    assert _query(upgraded_db, "SELECT COUNT(*), COUNT(DISTINCT equipment_id) FROM dga_change")[0] == (len(units),) * 2


def _verdicts_of(path, units):
    """How many verdicts the units have."""
    return _query(path, f"SELECT COUNT(*) FROM dga_diagnosis WHERE equipment_id IN ({', '.join('?' * len(units))})",
                  units)[0][0]


def test_sigterm_rolls_the_batch_in_progress_back_and_says_how_to_carry_on(upgraded_db):
    # The next batch waits at most this long for the lock held below: the signal comes well before.
    process = _start_rediagnose(upgraded_db, "--batch-units", "1", SEDA_SQLITE_BUSY_TIMEOUT_MS="2000")
    try:
        _wait_for_first_commit(upgraded_db, process)
        # The next batch then waits at BEGIN for the lock held here until the signal has been handled.
        with _stopped_with_the_write_lock_taken(process, upgraded_db):
            done = len(_units_done_whole(upgraded_db))
            process.send_signal(signal.SIGTERM)
            os.kill(process.pid, signal.SIGCONT)
            _, stderr = process.communicate(timeout=GUARD_S)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted: the batch in progress was rolled back; run the command again to carry on" in stderr
    assert len(_units_done_whole(upgraded_db)) == done
    assert _caught_up(_rediagnose(upgraded_db))[0] == len(_unit_ids(upgraded_db)) - done


def test_database_errors_and_bad_arguments_exit_non_zero_with_a_clear_message(upgraded_db, tmp_path):
    with write_lock_held(upgraded_db):
        locked = _rediagnose(upgraded_db, SEDA_SQLITE_BUSY_TIMEOUT_MS="100")
    assert locked.returncode == 1
    assert locked.stderr.startswith("tools.rediagnose: ") and "database is locked" in locked.stderr
    assert "Traceback" not in locked.stderr and _verdicts(upgraded_db) == 0

    missing = _rediagnose(tmp_path / "absent.sqlite3")
    assert missing.returncode == 1 and "no database at" in missing.stderr
    assert not (tmp_path / "absent.sqlite3").exists()

    refused = _rediagnose(upgraded_db, "--partition", "3/2", "--batch-units", "5")
    assert refused.returncode == 2 and "a partition is k/n with whole numbers 1 ≤ k ≤ n" in refused.stderr
    refused = _rediagnose(upgraded_db, "--batch-units", "0")
    assert refused.returncode == 2 and "at least 1" in refused.stderr


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "half", "1/2/3", "-1/2", "1 / 2", ""])
def test_a_partition_is_k_of_n(text):
    with pytest.raises(ValueError, match=f"a partition is k/n with whole numbers 1 ≤ k ≤ n .*; received {text!r}"):
        pending.parse_partition(text)


def test_a_partition_binds_its_remainder():
    assert pending.parse_partition("2/4").binds() == {"parts": 4, "remainder": 1}
    assert pending.parse_partition("1/1") == pending.WHOLE


# --- POST /api/v1/diagnose-pending -------------------------------------------------------------------------------

PENDING = "/api/v1/diagnose-pending"


def _make_stale(path, units):
    """Mark the verdicts of `units` as another engine's."""
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(f"UPDATE dga_diagnosis SET fingerprint = 'older engine' "
                           f"WHERE equipment_id IN ({', '.join('?' * len(units))})", list(units))
    connection.close()


def _audit_entries(path):
    """(operation, resource_name, ids, inserted, updated) of every audit entry."""
    rows = _query(path, "SELECT operation, resource_name, ids, inserted, updated FROM audit_log ORDER BY id")
    return [(operation, resource, json.loads(ids), inserted, updated) for operation, resource, ids, inserted, updated in rows]


def test_the_target_needs_an_admin_key(settings_env, demo_db):
    from conftest import make_client

    settings_env(SEDA_API_KEYS=f"loader@ingest+read={API_KEY}")
    with make_client("api") as client:
        error_body(client.post(PENDING), 401, "Unauthorized")
        forbidden = client.post(PENDING, headers={"Authorization": f"Bearer {API_KEY}"})
        error_body(forbidden, 403, "Forbidden")
        assert "needs an API key with the scope 'admin'" in forbidden.json()["message"]


def test_with_nothing_pending_a_call_writes_nothing_and_says_it_is_done(writer, demo_db):
    before = table_snapshot(demo_db)
    answer = writer.post(PENDING)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {**body, "elapsed_s": 0} == {"units": 0, "samples": 0, "batches": 0, "done": True, "partition": "1/1",
                                        "elapsed_s": 0}
    assert table_snapshot(demo_db) == before  # no verdict, no feed entry, no audit entry


def test_each_call_does_one_batch_within_a_zero_budget_until_done(settings_env, demo_db):
    from conftest import make_client

    stale_units = list(range(1, 11))
    _make_stale(demo_db, stale_units)
    settings_env(SEDA_API_KEYS=API_KEY, SEDA_PENDING_BATCH_UNITS="4", SEDA_PENDING_TIME_BUDGET_S="0")
    answers = []
    with make_client("api") as client:
        client.headers["Authorization"] = f"Bearer {API_KEY}"
        while not answers or not answers[-1]["done"]:
            response = client.post(PENDING)
            assert response.status_code == 200, response.text
            answers.append(response.json())
            assert len(answers) < 10
    assert [(answer["units"], answer["batches"], answer["done"]) for answer in answers] == [
        (4, 1, False), (4, 1, False), (2, 1, True)]
    assert_stored_equal_fresh(demo_db, _unit_ids(demo_db))
    entries = _audit_entries(demo_db)
    assert [(operation, resource) for operation, resource, *_ in entries] == [(f"POST {PENDING}", "diagnoses")] * 3
    assert [unit for _, _, ids, _, _ in entries for unit in ids["equipment_id"]] == stale_units
    assert sum(updated for *_, updated in entries) == sum(answer["samples"] for answer in answers)


def test_a_partition_takes_only_its_share_and_a_bad_one_is_refused(writer, demo_db):
    _make_stale(demo_db, range(1, 21))
    error_body(writer.post(f"{PENDING}?partition=3/2"), 400, "InvalidParameters")
    refused = writer.post(f"{PENDING}?partition=one")
    assert "must be k/n with whole numbers 1 ≤ k ≤ n" in refused.json()["message"]
    answer = writer.post(f"{PENDING}?partition=2/3").json()  # MOD(id, 3) = 1
    assert (answer["units"], answer["done"], answer["partition"]) == (7, True, "2/3")
    still_stale = _query(demo_db, "SELECT DISTINCT equipment_id FROM dga_diagnosis WHERE fingerprint = 'older engine' "
                                  "ORDER BY 1")
    assert [unit for (unit,) in still_stale] == [unit for unit in range(1, 21) if unit % 3 != 1]


def test_two_calls_at_once_share_the_work_without_doing_any_twice(demo_db, free_port):
    stale_units = list(range(1, 61))
    _make_stale(demo_db, stale_units)
    process = start_server("api", demo_db, free_port, SEDA_API_KEYS=API_KEY, SEDA_PENDING_BATCH_UNITS="3",
                           SEDA_RATE_LIMIT_PER_MINUTE="0")

    def call():
        request = urllib.request.Request(f"http://127.0.0.1:{free_port}{PENDING}", method="POST",
                                         headers={"Authorization": f"Bearer {API_KEY}"})
        with urllib.request.urlopen(request, timeout=GUARD_S) as response:
            return json.loads(response.read())

    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: call(), range(2)))
    finally:
        kill_server(process)
    assert all(answer["done"] for answer in answers)
    assert sum(answer["units"] for answer in answers) == len(stale_units)  # each unit caught up by one call only
    entries = _audit_entries(demo_db)
    audited = sorted(unit for _, _, ids, _, _ in entries for unit in ids["equipment_id"])
    assert audited == stale_units
    assert_stored_equal_fresh(demo_db, _unit_ids(demo_db))


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def test_on_a_terminal_the_progress_line_is_redrawn_in_place():
    from tools.rediagnose import ProgressReport

    terminal = _Terminal()
    report = ProgressReport(pending.Backlog(units=4, pending=10, stale=0, to_write=10), terminal)
    report.update(pending.Progress(units=2, samples=5, batches=1))
    report.update(pending.Progress(units=4, samples=10, batches=2, done=True))
    report.finish()
    frames = terminal.getvalue().split("\r")[1:]
    assert [frame.split(" | ")[0] for frame in frames] == ["units 2/4 (50%)", "units 4/4 (100%)"]
    assert all(frame.split(" | ")[-1].startswith("ETA ") for frame in frames)
    assert terminal.getvalue().endswith("ETA 0s\x1b[K\n")
