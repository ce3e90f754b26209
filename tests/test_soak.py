"""bench/soak: its verdict counts what was lost for real, and a short soak with faults runs clean."""

import datetime
import sqlite3

from bench import soak
from conftest import run_tool

GASES = dict.fromkeys(soak.GASES, 1.5)


def _sample(number, unit=1):
    """A soak sample with label `soak <number>`."""
    at = soak.FIRST_SAMPLE_AT + datetime.timedelta(minutes=number)
    return {"equipment_id": unit, "sampled_at": at, **GASES, "lab": f"soak {number}"}


def _store(path, samples, **changed):
    """Insert samples as the service would, with `changed` values overriding theirs."""
    connection = sqlite3.connect(path)
    connection.executemany(
        f"INSERT INTO dga_sample (equipment_id, sampled_at, lab, {', '.join(soak.GASES)}) "
        f"VALUES (?, ?, ?, {', '.join('?' * len(soak.GASES))})",
        [
            (s["equipment_id"], s["sampled_at"].replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
             s["lab"], *({**s, **changed}[gas] for gas in soak.GASES))
            for s in samples
        ],
    )
    connection.commit()
    connection.close()


def _set_manufacturer(path, unit, value):
    """Store a manufacturer for a unit directly."""
    connection = sqlite3.connect(path)
    connection.execute("UPDATE equipment SET manufacturer = ? WHERE id = ?", (value, unit))
    connection.commit()
    connection.close()


def test_the_verdict_counts_lost_changed_partial_and_undone_writes(demo_db):
    whole, missing, split, unanswered_split, changed, deleted = (
        [_sample(n), _sample(n + 1)] for n in range(0, 12, 2)
    )
    _store(demo_db, whole + split[:1] + unanswered_split[:1] + deleted)
    _store(demo_db, changed, h2=99.0)
    _set_manufacturer(demo_db, 1, "third, unanswered")
    _set_manufacturer(demo_db, 2, "before the soak")
    ledger = soak.Ledger(
        batches=[soak.Batch(whole, 200), soak.Batch(missing, 200), soak.Batch(split, 200),
                 soak.Batch(unanswered_split, None), soak.Batch(changed, 200), soak.Batch(deleted, 200)],
        patches=[soak.Patch(1, "first", 200), soak.Patch(1, "second", 200), soak.Patch(1, "third, unanswered", None),
                 soak.Patch(2, "acknowledged", 200), soak.Patch(2, "refused", 412)],
        deletes=[soak.Delete(deleted[0]["lab"], 1, 204), soak.Delete(deleted[1]["lab"], 2, None)],
    )
    verdict = soak.verify(str(demo_db), [ledger])
    assert verdict.lost == {"POST": 2, "PATCH": 1, "DELETE": 1}  # missing and changed; unit 2; deleted[0]
    assert verdict.lost_samples == 2 + 1 + 2  # missing, split's second, changed
    assert verdict.partial == 2, "an unanswered batch may not be split either"
    assert verdict.integrity == "ok" and verdict.failed


def test_the_verdict_passes_when_everything_acknowledged_is_stored(demo_db):
    batch = [_sample(1, unit=3), _sample(2, unit=4)]
    _store(demo_db, batch)
    verdict = soak.verify(str(demo_db), [soak.Ledger(batches=[soak.Batch(batch, 200), soak.Batch([_sample(3)], 503)])])
    assert sum(verdict.lost.values()) == verdict.partial == 0 and not verdict.failed


def test_a_missing_database_fails_the_verdict(tmp_path):
    verdict = soak.verify(str(tmp_path / "gone.sqlite3"), [soak.Ledger(batches=[soak.Batch([_sample(1)], 200)])])
    assert verdict.failed and verdict.lost["POST"] == 1 and verdict.integrity.startswith("cannot open")


def test_a_short_soak_with_a_held_lock_a_moved_file_and_a_killed_server_loses_nothing():
    finished = run_tool("bench.soak", "--seconds", "8", "--clients", "8", "--faults", "lock,move,kill")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    table = finished.stdout
    assert "write lock held by another process" in table and "server killed" in table and "moved away" in table
    assert "lost writes:     0" in table and "partial writes:  0" in table and "integrity_check: ok" in table
    posts = next(line for line in table.splitlines() if line.startswith("POST"))
    assert int(posts.split()[2]) > 0, "some batches were acknowledged"
