"""The change feed: DGA_CHANGE rows, oldest first, after a cursor (the last id a poller saw).

`verdict_store.refresh` appends a row whenever a unit's latest status, fault type or severity
changes (its first verdict and "no verdict any more" included). A reader asks for `id > :since`
in id order and follows the `Link` next URL, which always carries the page's last id (the same
`since` when the page is empty), so a poller never re-reads or skips what it was served.

Ids and commit order. On SQLite writers take turns under the database's one write lock, so ids
are committed in order and `id > :since` misses nothing. On Oracle the identity values of two
concurrent transactions can commit out of order: a reader at `since=N` may be served N+1 while
N (or a smaller id) is still uncommitted, and never see it. The mitigation here: a page serves
only rows recorded at least `SEDA_CHANGE_FEED_DELAY_S` ago (by `changed_at`, the writer's
clock), and it stops before the first row after `since` that is younger (`_BEFORE_UNSETTLED`):
`changed_at` order is not id order, so a settled id 11 is not served while an unsettled 10
waits, which the next `since=11` would skip for good. `changed_at` is taken when `refresh`
starts planning, so the time from it to the commit spans the engine pass over the
transaction's samples, the verdict and change writes, and what the caller writes after
`refresh` (the audit entry) and the commit; a transaction slower than the delay over that span
(or writer clocks skewed by more than it) can still be missed. Writes of one unit cannot
overtake each other (`refresh` locks the unit's row), so what can be missed is a change of
another unit. A consumer that must never miss one re-reads a unit's latest verdict
(`GET /diagnoses/<id>`) or, periodically, the fleet ranking.
"""

import datetime

from shared import config

# How much worse a severity is than another: "unknown" (no verdict) counts as "none".
SEVERITY_LEVELS = {"none": 0, "unknown": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
SUMMARY = ("dga_status", "fault_type", "severity")
_PREVIOUS_COLUMNS = {"dga_status": "previous_status", "fault_type": "previous_fault_type",
                     "severity": "previous_severity"}


def _level(column):
    """SQL giving the severity level of `column` (NULL, no verdict before, counts as none)."""
    cases = " ".join(f"WHEN '{name}' THEN {level}" for name, level in SEVERITY_LEVELS.items())
    return f"CASE {column} {cases} ELSE 0 END"


SELECT = (
    "SELECT c.id, c.equipment_id, e.name AS equipment_name, e.substation_id, c.changed_at, c.sample_id, "
    f"c.sampled_at, c.engine_version, {', '.join('c.' + column for column in _PREVIOUS_COLUMNS.values())}, "
    f"{', '.join('c.' + name for name in SUMMARY)} "
    "FROM dga_change c LEFT JOIN equipment e ON e.id = c.equipment_id"
)
# A page ends before the first change that has not settled (none: no bound, `c.id + 1`). The
# unsettled changes are the last few seconds' ones, found through dga_change_recent_ix whatever
# `since` is (an unsettled one below `since` was passed already; it would only hold the page
# back until it settles). `u.id + 0`: with a bare MIN(u.id) SQLite walks the ids upwards from the
# smallest instead of reading the recent ones (1.5 ms vs 0.005 ms on 37,732 changes, measured).
_BEFORE_UNSETTLED = ("c.id < COALESCE((SELECT MIN(u.id + 0) FROM dga_change u WHERE u.changed_at > :settled), "
                     "c.id + 1)")
_WORSENED = f"{_level('c.severity')} > {_level('c.previous_severity')}"


def page_query(values, limit):
    """The SQL and binds of one page of changes after `values["since"]` (0: from the start), with its filters."""
    conditions = ["c.id > :since", "c.changed_at <= :settled", _BEFORE_UNSETTLED]
    binds = {"since": values.get("since", 0), "settled": settled_before(), "limit": limit, "offset": 0}
    if "substation_id" in values:
        conditions.append("e.substation_id = :p_substation_id")
        binds["p_substation_id"] = values["substation_id"]
    if values.get("worsened") == "true":
        conditions.append(_WORSENED)
    return f"{SELECT} WHERE {' AND '.join(conditions)} ORDER BY c.id", binds


def settled_before():
    """The latest `changed_at` served now (see the module docstring)."""
    delay = config.settings().change_feed_delay_s
    return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=delay)


def entry(row):
    """One change as the feed shows it."""
    return {
        "id": row["id"],
        "equipment_id": row["equipment_id"],
        "equipment_name": row["equipment_name"],
        "substation_id": row["substation_id"],
        "changed_at": row["changed_at"],
        "sample_id": row["sample_id"],
        "sampled_at": row["sampled_at"],
        "engine_version": row["engine_version"],
        "previous": {name: row[column] for name, column in _PREVIOUS_COLUMNS.items()},
        "current": {name: row[name] for name in SUMMARY},
    }
