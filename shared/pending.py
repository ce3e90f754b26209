"""Catching up pending and stale verdicts, in bounded batches: what `tools.rediagnose` and `diagnose_pending` share.

A complete sample is *pending* when it has no DGA_DIAGNOSIS row (it arrived by another path:
a database upgraded from version 3, the utility's own loaders writing straight into Oracle),
and *stale* when its row's fingerprint is not `verdict_store.fingerprint()` (a new engine
release, another model, SEDA_VERDICT_USES_MODEL changed). A unit with either is rewritten whole
(`verdict_store.refresh_pending`).

Each batch is one transaction: it finds the next `batch_units` units with a pending or stale
verdict after the last unit done (keyset over `equipment_id`, so no batch rescans what an
earlier one did), locks them, rewrites those that still need it once locked and commits. So a
batch is idempotent (a unit another process caught up meanwhile is skipped, not redone), a
process killed mid-way loses at most its current batch, and the pending query itself is the
progress: a restart carries on where the last commit left off, with no progress file.

A `Partition` k/n takes only the units whose `MOD(equipment_id, n) = k - 1`, so n instances
share one backlog without overlapping; on Oracle they run in parallel, on SQLite their writes
take turns (the engine runs inside each batch's write transaction).
"""

import dataclasses
import re
import time

from shared import db, verdict_store

# Complete samples of the partition's units without a current verdict (the gas columns of
# COMPLETE are DGA_SAMPLE's alone, so they need no alias here); :after is the keyset.
_NEEDING_VERDICTS = (
    "FROM dga_sample s LEFT JOIN dga_diagnosis d ON d.sample_id = s.id "
    f"WHERE {verdict_store.COMPLETE} AND (d.sample_id IS NULL OR d.fingerprint <> :fingerprint) "
    "AND MOD(s.equipment_id, :parts) = :remainder"
)
NEXT_UNITS = f"SELECT DISTINCT s.equipment_id {_NEEDING_VERDICTS} AND s.equipment_id > :after ORDER BY s.equipment_id"
COUNT_NEEDING = f"SELECT COUNT(*) AS samples, COUNT(d.sample_id) AS stale, COUNT(DISTINCT s.equipment_id) AS units {_NEEDING_VERDICTS}"
# Every complete sample of those units: what a catch-up rewrites (a unit is rewritten whole).
COUNT_TO_WRITE = (
    f"SELECT COUNT(*) AS samples FROM dga_sample WHERE {verdict_store.COMPLETE} AND equipment_id IN "
    f"(SELECT s.equipment_id {_NEEDING_VERDICTS})"
)
_PARTITION_FORM = re.compile(r"([0-9]{1,6})/([0-9]{1,6})")
PARTITION_FORMS = "k/n with whole numbers 1 ≤ k ≤ n ≤ 999999 (e.g. 2/4: the second of four instances)"


@dataclasses.dataclass(frozen=True)
class Partition:
    """The share k of n: the units whose id modulo n is k - 1."""

    k: int = 1
    n: int = 1

    def binds(self):
        """The binds of the MOD condition."""
        return {"parts": self.n, "remainder": self.k - 1}

    def __str__(self):
        return f"{self.k}/{self.n}"


WHOLE = Partition()


def parse_partition(text):
    """`k/n` as a Partition; ValueError saying what is accepted otherwise."""
    matched = _PARTITION_FORM.fullmatch(text)
    if not matched or not 1 <= int(matched.group(1)) <= int(matched.group(2)):
        raise ValueError(f"a partition is {PARTITION_FORMS}; received {text!r}")
    return Partition(int(matched.group(1)), int(matched.group(2)))


@dataclasses.dataclass
class Progress:
    """What catching up has done so far."""

    units: int = 0  # units whose verdicts were rewritten
    samples: int = 0  # verdicts written
    batches: int = 0
    done: bool = False  # the last look found nothing pending or stale in the partition
    last_unit: int = 0  # the keyset: the last unit a batch looked at


@dataclasses.dataclass(frozen=True)
class Backlog:
    """How much is pending and stale in a partition."""

    units: int
    pending: int  # complete samples without a verdict
    stale: int  # verdicts of another fingerprint
    to_write: int | None  # verdicts a catch-up writes: every complete sample of those units (None: not counted)


def _binds(partition, **more):
    """The binds every statement of this module takes."""
    return {"fingerprint": verdict_store.fingerprint(), **partition.binds(), **more}


async def needing_verdicts(partition=WHOLE):
    """What is pending and stale in `partition`, without what a catch-up would write (one scan: the metrics path)."""
    async with db.connect() as conn:
        (needing,) = await conn.fetch_all(COUNT_NEEDING, _binds(partition), large=True)
    samples, stale = int(needing["samples"] or 0), int(needing["stale"] or 0)
    return Backlog(int(needing["units"] or 0), samples - stale, stale, to_write=None)


async def backlog(partition=WHOLE):
    """Count what is pending and stale in `partition` (two scans: for a dry run and a progress bar, not per batch)."""
    needing = await needing_verdicts(partition)
    async with db.connect() as conn:
        (to_write,) = await conn.fetch_all(COUNT_TO_WRITE, _binds(partition), large=True)
    return dataclasses.replace(needing, to_write=int(to_write["samples"] or 0))


async def next_units(session, partition, after, limit):
    """Ids of the next `limit` units after `after` with a pending or stale verdict, in id order."""
    binds = _binds(partition, after=after, limit=limit, offset=0)
    rows = await session.fetch_all(NEXT_UNITS, binds, paged=True, large=True)
    return [int(row["equipment_id"]) for row in rows]


async def catch_up_batch(progress, partition, batch_units, record=None):
    """One batch, in one transaction: the next units after `progress.last_unit`, rewritten; updates `progress`.

    The units are found on a read session first, so a look that finds nothing never takes a
    write lock; `refresh_pending` re-checks them under the lock. `record(tx, result)`, when
    given, runs in the transaction once the verdicts are written (the audit trail).
    """
    async with db.connect() as conn:
        units = await next_units(conn, partition, progress.last_unit, batch_units)
    if not units:
        progress.done = True
        return progress
    async with db.transaction() as tx:
        result = await verdict_store.refresh_pending(tx, units)
        if record is not None and result.units:
            await record(tx, result)
    progress.units += len(result.units)
    progress.samples += len(result.plan.upserts)
    progress.batches += 1
    progress.last_unit = units[-1]
    progress.done = len(units) < batch_units  # the look reached the end: no need for another
    return progress


async def catch_up(partition=WHOLE, *, batch_units, time_budget_s=None, record=None, on_batch=None):
    """Batches until nothing is pending or stale in `partition`, or until `time_budget_s` is spent; the Progress.

    One batch always runs; the budget is checked before each further one, so the last may end
    after it. `on_batch(progress)` is called after each batch (a progress bar).
    """
    started = time.monotonic()
    progress = Progress()
    while not progress.done:
        if progress.batches and time_budget_s is not None and time.monotonic() - started >= time_budget_s:
            break
        await catch_up_batch(progress, partition, batch_units, record)
        if on_batch is not None:
            on_batch(progress)
    return progress
