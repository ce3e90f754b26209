"""Writing checked files in batches, each one transaction with the audit entry that is its checkpoint, so an
interrupted load carries on after its last committed line."""

import dataclasses
import sqlite3

import oracledb

from shared import audit
from shared.errors import ApiError
from shared.jsonio import loads
from tools.load_csv.check import LoadRefused, missing_parent, parent_ids, parsed_rows, text_of
from tools.progress import Progress
from tools.rediagnose import failure_message

KEY_ID = "tools.load"  # the audit trail's key id of every batch this loader writes
DEFAULT_BATCH_ROWS = 1000
_OPERATION_BYTES = 100  # AUDIT_LOG.OPERATION is VARCHAR2(100)
# The checkpoints: the audit entries of a run's batches, each naming its first and last line.
_CHECKPOINTS = "SELECT ids FROM audit_log WHERE request_id = :request_id AND key_id = :key_id"


@dataclasses.dataclass
class Loaded:
    """What writing one file did."""

    inserted: int = 0
    updated: int = 0
    before: int = 0  # good lines committed by an earlier, interrupted or complete, run
    batches: int = 0


def actor(checked, reload_at=None):
    """Who the audit trail says wrote the file's batches: a request id from the file's kind and bytes.

    `reload_at` (a time) makes a run of its own, which finds no earlier run's checkpoints.
    """
    request_id = f"load-{checked.kind.name}-{checked.digest[:40]}"
    if reload_at is not None:
        request_id += f"-{reload_at:%Y%m%dT%H%M%S%fZ}"
    operation = f"LOAD {checked.label}".encode()[:_OPERATION_BYTES].decode(errors="ignore")
    return audit.Actor(request_id, KEY_ID, operation)


async def last_line_committed(session, who):
    """The last line of the run's committed batches (0 when none): where a resumed run carries on."""
    rows = await session.fetch_all(_CHECKPOINTS, {"request_id": who.request_id, "key_id": who.key_id}, large=True)
    return max((loads(row["ids"])["line"][-1] for row in rows), default=0)


def stored_row(kind, values, ids, label, line):
    """The table row of a file's good line, its parent named by id; LoadRefused when the parent went meanwhile."""
    row = {column: values[column] for column in kind.columns if column != kind.parent_id}
    if kind.parent is not None:
        parent = ids[kind.parent].get(tuple(values[column] for column in kind.parent_key))
        if parent is None:
            raise LoadRefused(f"{label}:{line}: {missing_parent(kind, values)} (it was there when the file was checked)")
        row[kind.parent_id] = parent
    return row


async def write_file(database, checked, charset, batch_rows, who, stream):
    """Write a checked file's good lines in batches, after the run's last committed line; a Loaded."""
    kind, loaded = checked.kind, Loaded()
    async with database.connect() as session:
        done = await last_line_committed(session, who)
        ids = await parent_ids(session)
    batch = []
    with Progress(checked.label, checked.good, stream) as progress:
        for line, values, _ in parsed_rows(checked, text_of(checked, charset)):
            if line in checked.bad:  # the same bytes by the same rules: its problems were found by the check
                continue
            if line <= done:
                loaded.before += 1
                progress.advance(1)
                continue
            batch.append((line, stored_row(kind, values, ids, checked.label, line)))
            if len(batch) == batch_rows:
                await _write_batch(database, checked, batch, who, loaded)
                progress.advance(len(batch))
                batch = []
        if batch:
            await _write_batch(database, checked, batch, who, loaded)
            progress.advance(len(batch))
    return loaded


async def _write_batch(database, checked, batch, who, loaded):
    """One transaction: the rows, their verdicts and the audit entry that is the checkpoint."""
    rows = [row for _, row in batch]
    lines = [batch[0][0], batch[-1][0]]
    try:
        async with database.transaction() as tx:
            counts, ids = await checked.kind.write(tx, rows)
            await audit.record_as(tx, who, checked.kind.resource, {**ids, "line": lines}, **counts)
    except (ApiError, sqlite3.Error, oracledb.Error) as exc:
        raise LoadRefused(
            f"{checked.label}: lines {lines[0]}-{lines[1]}: the database refused the batch, so none of it was written "
            f"({failure_message(exc)}); the batches before it stay loaded, and the same command carries on from "
            "this batch once the cause is put right"
        ) from exc
    loaded.inserted += counts["inserted"]
    loaded.updated += counts["updated"]
    loaded.batches += 1
