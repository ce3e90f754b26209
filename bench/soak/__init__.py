"""Soak: clients read and write a real server on loopback while faults hit it; nothing acknowledged may be lost.

    python -m bench.soak [--seconds 60] [--clients 16] [--faults lock,move,kill] [--seed 1] [--workdir DIR]

A fresh demo SQLite database in a temporary directory is served by `functions-framework
--target=api` (started the way the test suite does, `tests/conftest.start_server`). The
clients (threads, one keep-alive HTTP connection each) mix reads (lists, items, diagnoses
and one page of a unit's diagnosis history) and writes: POST /measurements batches of 1-20
samples whose (equipment_id, sampled_at) and `lab` are unique to the run, PATCH /equipment
with If-Match (each unit belongs to one client, so "its last acknowledged PATCH" is defined),
and DELETE of samples the client wrote. Meanwhile, each minute of the run (or once, scaled to
a shorter run) the faults strike, one after the other:

- lock: another process holds SQLite's write lock (BEGIN IMMEDIATE) for a few seconds;
- move: the main database file is renamed away, and back a few seconds later;
- kill: the server's process group gets SIGKILL, and a new server starts on the same file.

Every write is recorded with what it sent and what it got back: 2xx is acknowledged; no
answer (connection refused or reset) leaves its outcome unknown. Afterwards the server is
killed and the file is read directly: every acknowledged sample must be stored with its values
(unless an acknowledged DELETE removed it), every acknowledged DELETE's sample must be absent,
each unit must hold its last acknowledged PATCH (or a later one whose answer was lost), no
batch, acknowledged or not, may be partly stored, and `PRAGMA integrity_check` must say ok.
The exit status is 1 when any of that fails, 2 when the soak itself could not run. With
`--workdir`, the database and the server's stderr (`server.log`) stay there for a post-mortem.
"""

# The names the verdict's tests (tests/test_soak.py) build ledgers and read verdicts with.
from bench.soak.clients import FIRST_SAMPLE_AT
from bench.soak.ledger import GASES, Batch, Delete, Ledger, Patch
from bench.soak.verdict import Verdict, verify

__all__ = ["FIRST_SAMPLE_AT", "GASES", "Batch", "Delete", "Ledger", "Patch", "Verdict", "verify"]
