"""Stored verdicts: DGA_DIAGNOSIS kept equal to a fresh computation, and DGA_CHANGE, the feed of verdict changes.

A complete sample's verdict depends on the sample, on up to HISTORY_DEPTH earlier complete
samples of the same unit (its *window*, `shared/dga/rows.py`), on the unit's year of
manufacture, oil preservation and insulating liquid, and on the engine. Whatever changes one of these calls
`refresh(tx, changes)` in the same transaction:

    await verdict_store.refresh(tx, {unit_id: {sampled_at, …}})   # samples written or deleted
    await verdict_store.refresh(tx, {unit_id: verdict_store.ALL})  # the unit itself changed

`refresh` reads each named unit's complete samples and stored verdicts, and rewrites the
verdicts of the samples at the changed times and of the HISTORY_DEPTH complete samples after
each (their windows changed), plus any of the unit's verdicts that are missing or stale; it
removes verdicts of samples that are no longer complete, moves `is_latest` to the unit's
latest complete sample, and appends a DGA_CHANGE row when the latest status, fault type or
severity differs from what the unit's last DGA_CHANGE row said (also from "no verdict" to one
and back). Comparing with the feed itself, not with the verdict rows, keeps the feed right
when a sample's verdict went with it (ON DELETE CASCADE) before `refresh` ran.

A verdict is *stale* when its `fingerprint` is not `fingerprint()`: a hash of the engine
version, the served model's SHA-256 (`model_hash()`, None with SEDA_MODEL_PATH=none) and the
settings that shape a verdict (`VERDICT_SETTINGS`: SEDA_VERDICT_USES_MODEL), so a new engine
release, another model or that setting changed makes every stored verdict stale at once
without touching a row.
`refresh_pending(tx, unit_ids)` rewrites whole those units that, once locked, still have a
pending (no row) or stale verdict: one batch of `shared/pending.py` (`python -m
tools.rediagnose`, `POST /api/v1/diagnose-pending`), which catches up samples that arrived by
other paths.

`plan(states, changes, now)` is the whole decision, pure and synchronous: the loader of the
demo data uses it with its own connection, and the tests compare its result with fresh
computations. Everything CPU-heavy (the engine, the JSON documents) runs in a worker thread.
"""

import asyncio
import bisect
import contextlib
import dataclasses
import datetime
import functools
import gc
import hashlib
import threading

from shared import config, db, dga, jsonio
from shared.dga.rows import HISTORY_DEPTH, diagnose_windows
from shared.verdict_refresh import ALL

# The settings that shape a verdict: environment variable -> its `config.Settings` field.
VERDICT_SETTINGS = {"SEDA_VERDICT_USES_MODEL": "verdict_uses_model"}


def model_hash():
    """The served model's identity (`SEDA_MODEL_PATH`: its file's and its reference cases' SHA-256 and its
    out-of-distribution threshold, `ModelCard.identity`), or None when no model is configured."""
    model = config.settings().model
    return None if model is None else model.identity


def fingerprint():
    """What besides the data shapes a verdict now: the engine version, the model's hash, VERDICT_SETTINGS."""
    settings = config.settings()
    return _fingerprint(dga.ENGINE_VERSION, model_hash(),
                        tuple((name, getattr(settings, field)) for name, field in VERDICT_SETTINGS.items()))


@functools.cache
def _fingerprint(engine_version, model_hash, settings):
    """What besides the data shapes a verdict, as one hash."""
    described = {"engine_version": engine_version, "model_hash": model_hash, "settings": dict(settings)}
    return hashlib.sha256(jsonio.dumps(dict(sorted(described.items())))).hexdigest()

UNIT_FIELDS = ("id", "year_manufactured", "oil_preservation", "insulating_liquid")
SAMPLE_FIELDS = ("id", "equipment_id", "sampled_at", *dga.SAMPLE_FIELDS)
# A complete sample: every dissolved gas present. Only DGA_SAMPLE has these columns, so the
# condition serves every query over it, aliased or not (the fleet and unit reads use it too).
COMPLETE = " AND ".join(f"{gas} IS NOT NULL" for gas in dga.GASES)
SUMMARY_FIELDS = ("dga_status", "fault_type", "severity")  # the values whose change the feed reports
STORED_FIELDS = ("sample_id", "equipment_id", "is_latest", "fingerprint", *SUMMARY_FIELDS)
COLUMNS = (
    "sample_id", "equipment_id", "sampled_at", "is_latest", "engine_version", "fingerprint", "dga_status",
    "fault_present", "fault_type", "severity", "health_index", "verdict_rank", "diagnosed_at", "verdict",
)
CHANGE_COLUMNS = (
    "equipment_id", "changed_at", "sample_id", "sampled_at", "engine_version", "previous_status",
    "previous_fault_type", "previous_severity", "dga_status", "fault_type", "severity",
)
# Units are read this many at a time, through IN-lists of one fixed text.
UNITS_PER_READ = 100
_UNITS = db.FixedInList("u", UNITS_PER_READ)

_READ_UNITS = f"SELECT {', '.join(UNIT_FIELDS)} FROM equipment WHERE id IN ({_UNITS.sql})"
_READ_SAMPLES = (
    f"SELECT {', '.join(SAMPLE_FIELDS)} FROM dga_sample WHERE equipment_id IN ({_UNITS.sql}) AND {COMPLETE} "
    "ORDER BY equipment_id, sampled_at"
)
_READ_STORED = f"SELECT {', '.join(STORED_FIELDS)} FROM dga_diagnosis WHERE equipment_id IN ({_UNITS.sql})"
_READ_REPORTED = (
    f"SELECT c.equipment_id, c.sample_id, {', '.join('c.' + name for name in SUMMARY_FIELDS)} FROM dga_change c "
    f"WHERE c.equipment_id IN ({_UNITS.sql}) "
    "AND c.id = (SELECT MAX(last.id) FROM dga_change last WHERE last.equipment_id = c.equipment_id)"
)
_UPSERT = db.Upsert("dga_diagnosis", ("sample_id",), COLUMNS)
_DELETE = "DELETE FROM dga_diagnosis WHERE sample_id = :sample_id"
_SET_LATEST = (
    "UPDATE dga_diagnosis SET is_latest = CASE WHEN sample_id = :latest THEN 1 ELSE 0 END "
    "WHERE equipment_id = :equipment_id AND (is_latest = 1 OR sample_id = :latest)"
)
_RECORD_CHANGE = (
    f"INSERT INTO dga_change ({', '.join(CHANGE_COLUMNS)}) VALUES ({', '.join(':' + name for name in CHANGE_COLUMNS)})"
)


@dataclasses.dataclass
class UnitState:
    """What the database holds for one unit: the unit, its complete samples (oldest first), its stored verdicts."""

    unit: dict
    samples: list
    stored: dict  # sample id -> the STORED_FIELDS of its verdict row
    reported: tuple | None = None  # SUMMARY_FIELDS as the unit's last DGA_CHANGE row gave them; None: no verdict


@dataclasses.dataclass
class Plan:
    """The writes that make the stored verdicts of some units equal to a fresh computation."""

    upserts: list = dataclasses.field(default_factory=list)  # COLUMNS rows
    deletes: list = dataclasses.field(default_factory=list)  # {"sample_id"} of verdicts whose sample is gone
    latest: list = dataclasses.field(default_factory=list)  # {"equipment_id", "latest"} binds of _SET_LATEST
    changes: list = dataclasses.field(default_factory=list)  # CHANGE_COLUMNS rows

    def statements(self):
        """(statement, rows of binds) to execute in this order; none with no rows."""
        steps = ((_DELETE, self.deletes), (_UPSERT, self.upserts), (_SET_LATEST, self.latest),
                 (_RECORD_CHANGE, self.changes))
        return [(statement, rows) for statement, rows in steps if rows]


def _naive_utc(moment):
    """Times as the database returns them: naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment


def _affected(state, changed_times):
    """Positions of the samples whose verdict must be (re)written: changed, after a change, missing or stale."""
    if changed_times is ALL:
        return list(range(len(state.samples)))
    times = [sample["sampled_at"] for sample in state.samples]
    chosen = set()
    for moment in map(_naive_utc, changed_times):
        first_after = bisect.bisect_right(times, moment)
        at = bisect.bisect_left(times, moment)
        chosen.update(range(at, min(first_after + HISTORY_DEPTH, len(times))))
    current = fingerprint()
    for position, sample in enumerate(state.samples):
        stored = state.stored.get(sample["id"])
        if stored is None or stored["fingerprint"] != current:
            chosen.add(position)
    return sorted(chosen)


def verdict_row(sample, verdict, is_latest, diagnosed_at):
    """The DGA_DIAGNOSIS row of a sample's verdict."""
    fault = verdict["fault"]
    return {
        "sample_id": sample["id"],
        "equipment_id": sample["equipment_id"],
        "sampled_at": sample["sampled_at"],
        "is_latest": int(is_latest),
        "engine_version": dga.ENGINE_VERSION,
        "fingerprint": fingerprint(),
        "dga_status": verdict["methods"]["ieee_c57_104_2019"]["status"],
        "fault_present": None if fault["present"] is None else int(fault["present"]),
        "fault_type": fault["type"],
        "severity": fault["severity"],
        "health_index": verdict["health_index"]["value"],
        "verdict_rank": verdict["rank"],
        "diagnosed_at": diagnosed_at,
        "verdict": jsonio.dumps(verdict).decode(),
    }


def _summary(row):
    """The values the change feed compares, or None for no verdict."""
    return None if row is None else tuple(row[name] for name in SUMMARY_FIELDS)


def _change(state, current, now):
    """The DGA_CHANGE row for a unit whose latest verdict is now `current` (a row, or None), if the feed must say so."""
    before, after = state.reported, _summary(current)
    if before == after:
        return None
    sample = state.samples[-1] if current is not None else None
    return {
        "equipment_id": state.unit["id"],
        "changed_at": now,
        "sample_id": None if sample is None else sample["id"],
        "sampled_at": None if sample is None else sample["sampled_at"],
        "engine_version": dga.ENGINE_VERSION,
        "previous_status": None if before is None else before[0],
        "previous_fault_type": None if before is None else before[1],
        "previous_severity": None if before is None else before[2],
        "dga_status": None if after is None else after[0],
        "fault_type": None if after is None else after[1],
        "severity": "unknown" if after is None else after[2],
    }


def plan(states, changes, now):
    """The writes for `states` (one UnitState per unit named in `changes`, unit id -> changed times or ALL)."""
    result = Plan()
    jobs = []  # (state, position) of every verdict to compute, in one engine pass
    for state in states:
        jobs.extend((state, position) for position in _affected(state, changes[state.unit["id"]]))
    windows = [state.samples[max(0, position - HISTORY_DEPTH) : position + 1] for state, position in jobs]
    verdicts = dga.verdicts_from_columns(diagnose_windows([state.unit for state, _ in jobs], windows)) if jobs else []
    fresh = {}  # sample id -> new row
    for (state, position), verdict in zip(jobs, verdicts):
        sample = state.samples[position]
        fresh[sample["id"]] = verdict_row(sample, verdict, position == len(state.samples) - 1, now)
    result.upserts = list(fresh.values())
    for state in states:
        complete_ids = {sample["id"] for sample in state.samples}
        result.deletes.extend({"sample_id": gone} for gone in state.stored if gone not in complete_ids)
        marked = next((row["sample_id"] for row in state.stored.values() if row["is_latest"]), None)
        latest_id = state.samples[-1]["id"] if state.samples else None
        current = fresh.get(latest_id) or state.stored.get(latest_id)
        if latest_id is not None and marked != latest_id:
            result.latest.append({"equipment_id": state.unit["id"], "latest": latest_id})
        change = _change(state, current, now)
        if change is not None:
            result.changes.append(change)
    return result


_paused_plans = 0  # plans running with the cyclic garbage collector paused (`_collector_paused`)
_paused_plans_lock = threading.Lock()


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a refresh reads, plans and writes.

    A refresh of 10,000 units holds ~350,000 fetched rows and builds ~10,000 verdict documents of
    ~80 containers each; with them alive, the collector's full passes took 40–107 ms each (7 in
    one 10,000-row ingest on a 1M-sample database, measured), and a pass holds the GIL, so the
    event loop stood still through them. Reference counting still frees everything acyclic
    meanwhile; the collector resumes when the last refresh in the process ends.
    """
    global _paused_plans
    with _paused_plans_lock:
        _paused_plans += 1
        gc.disable()
    try:
        yield
    finally:
        with _paused_plans_lock:
            _paused_plans -= 1
            if _paused_plans == 0:
                gc.enable()


_STATE_QUERIES = (_READ_UNITS, _READ_SAMPLES, _READ_STORED, _READ_REPORTED)  # the arguments of `states_of`, in order
# In a transaction the units are read FOR UPDATE: two writers refreshing one unit at once (an API
# write and tools.rediagnose on Oracle) take turns, so the feed records each change once.
_LOCKED_STATE_QUERIES = (db.ForUpdate(_READ_UNITS), *_STATE_QUERIES[1:])


async def read_states(session, unit_ids, *, lock=True):
    """UnitState of each existing unit among `unit_ids` (a unit that does not exist is left out).

    `lock` (inside a transaction) locks the units' rows until it ends; pass False on a read-only session.
    """
    states = []
    for binds in _UNITS.chunks(sorted(unit_ids)):
        queries = _LOCKED_STATE_QUERIES if lock else _STATE_QUERIES
        states.extend(states_of(*[await session.fetch_all(query, binds) for query in queries]))
    return states


def rediagnose_sync(fetch_all, execute_many, unit_ids, now):
    """Rewrite every verdict of `unit_ids`, one chunk of units at a time, over synchronous database calls.

    For loaders that hold a plain connection (the demo database, `tools.load`): `fetch_all(sql,
    binds)` returns dict rows and `execute_many(sql, rows)` writes, both rendering for their
    database. Memory stays one chunk's verdicts. Returns the number of verdicts written.
    """
    written = 0
    for binds in _UNITS.chunks(sorted(unit_ids)):
        states = states_of(*[fetch_all(query, binds) for query in _STATE_QUERIES])
        result = plan(states, {state.unit["id"]: ALL for state in states}, now)
        for statement, rows in result.statements():
            execute_many(statement, rows)
        written += len(result.upserts)
    return written


def states_of(units, samples, stored, reported):
    """Group rows of units, samples, stored verdicts and last reported changes into UnitStates."""
    by_unit = {unit["id"]: UnitState(unit, [], {}) for unit in units}
    for sample in samples:
        by_unit[sample["equipment_id"]].samples.append(sample)
    for row in stored:
        by_unit[row["equipment_id"]].stored[row["sample_id"]] = row
    for row in reported:
        by_unit[row["equipment_id"]].reported = None if row["sample_id"] is None else _summary(row)
    return list(by_unit.values())


async def write(tx, result):
    """Apply a Plan inside transaction `tx`."""
    for statement, rows in result.statements():
        await tx.execute_many(statement, rows)


async def refresh(tx, changes):
    """Bring the stored verdicts of the units in `changes` (unit id -> changed sample times, or ALL) up to date.

    Runs inside the caller's transaction, after its own writes; returns the Plan it applied.
    """
    if not changes:
        return Plan()
    with _collector_paused():
        return await _apply(tx, await read_states(tx, changes), changes)


@dataclasses.dataclass
class CaughtUp:
    """What `refresh_pending` did: the units it rewrote, and the Plan it applied."""

    units: list
    plan: Plan
    inserted: int  # verdicts of samples that had none
    updated: int  # verdicts rewritten (stale, or fresh ones of a rewritten unit)


def needs_rewrite(state):
    """Whether a unit has a complete sample whose verdict is pending (none) or stale (another fingerprint)."""
    stored, current = state.stored, fingerprint()
    return any(sample["id"] not in stored or stored[sample["id"]]["fingerprint"] != current
               for sample in state.samples)


async def refresh_pending(tx, unit_ids):
    """Rewrite every verdict of each of `unit_ids` that, once locked, still has a pending or stale one.

    A unit that another writer caught up meanwhile is left alone, so two catch-ups that picked
    the same units take turns on the locks and the second does nothing twice.
    """
    with _collector_paused():
        states = [state for state in await read_states(tx, unit_ids) if needs_rewrite(state)]
        changes = {state.unit["id"]: ALL for state in states}
        result = await _apply(tx, states, changes) if states else Plan()
    inserted = sum(sample["id"] not in state.stored for state in states for sample in state.samples)
    return CaughtUp(list(changes), result, inserted, len(result.upserts) - inserted)


async def _apply(tx, states, changes):
    """Plan the writes for `states` off the event loop and apply them in `tx`; the Plan."""
    now = datetime.datetime.now(datetime.timezone.utc)
    result = await asyncio.to_thread(plan, states, changes, now)
    await write(tx, result)
    # The states of a big batch are many small objects (10,000 units of a 1M-sample database:
    # ~350,000 sample dicts); freed when this frame ends, they would hold the event loop for tens
    # of ms. Emptied in a worker thread, they are freed there.
    await asyncio.to_thread(states.clear)
    return result
