"""The fleet summary: how many units the ranking's filters select, per DGA status, fault type, severity and
health-index band, and how many of their verdicts are stale.

One GROUP BY over every selected unit and its latest stored verdict (`fleet.UNITS`, the
ranking's filters `fleet.ranking_filters`), so the database does the O(units) work and Python
folds at most a few hundred groups into the counts. Each unit is counted by what its ranking
entry shows: a unit without a verdict is `no_verdict` in `dga_status` and `fault_type`, `unknown`
in `severity` (as its entry says) and counts among the units without a health index. A unit
whose presence of a fault is unknown, or whose fault no method named, is `unknown` in
`fault_type`. The health-index bands are `HEALTH_BAND_WIDTH` wide from 0; the last one holds
100 too.
"""

from shared import db, dga, fleet, verdict_store

HEALTH_BAND_WIDTH = 10
HEALTH_BANDS = tuple(range(0, 100, HEALTH_BAND_WIDTH))  # the lower bound of each band
NO_VERDICT, UNKNOWN, NO_FAULT = "no_verdict", "unknown", "none"
STATUSES = ("1", "2", "3", UNKNOWN, NO_VERDICT)
FAULT_TYPES = (NO_FAULT, *dga.FAULT_TYPES, UNKNOWN, NO_VERDICT)
_NO_BAND = -1
_BAND = ("CASE WHEN d.health_index IS NULL THEN -1 "
         + " ".join(f"WHEN d.health_index < {low + HEALTH_BAND_WIDTH} THEN {low}" for low in HEALTH_BANDS[:-1])
         + f" ELSE {HEALTH_BANDS[-1]} END")
# Each grouping expression with its name; GROUP BY repeats the expressions (Oracle does not group by alias).
_GROUPS = {
    "has_verdict": "CASE WHEN d.sample_id IS NULL THEN 0 ELSE 1 END",
    "dga_status": "d.dga_status",
    "fault_present": "d.fault_present",
    "fault_type": "d.fault_type",
    "severity": "COALESCE(d.severity, 'unknown')",
    "health_band": _BAND,
    "stale": "CASE WHEN d.fingerprint <> :p_fingerprint THEN 1 ELSE 0 END",
}
_SELECT = f"SELECT {', '.join(f'{sql} AS {name}' for name, sql in _GROUPS.items())}, COUNT(*) AS units {fleet.UNITS}"
_GROUP_BY = f" GROUP BY {', '.join(_GROUPS.values())}"


def query(values):
    """The SQL and binds of the groups of the units the filters in `values` select."""
    conditions, binds = fleet.ranking_filters(values)
    return f"{_SELECT}{fleet.where(conditions)}{_GROUP_BY}", {**binds, "p_fingerprint": verdict_store.fingerprint()}


async def summary(values):
    """The summary of the units the filters in `values` select (module docstring)."""
    sql, binds = query(values)
    async with db.connect() as conn:
        groups = await conn.fetch_all(sql, binds)
    return folded(groups)


def status_of(group):
    """The `dga_status` count a group falls in."""
    if not group["has_verdict"]:
        return NO_VERDICT
    return UNKNOWN if group["dga_status"] is None else str(group["dga_status"])


def fault_of(group):
    """The `fault_type` count a group falls in."""
    if not group["has_verdict"]:
        return NO_VERDICT
    if group["fault_type"] is not None:
        return group["fault_type"]
    return NO_FAULT if group["fault_present"] == 0 else UNKNOWN


def folded(groups):
    """The summary's counts from the query's groups."""
    by_status = dict.fromkeys(STATUSES, 0)
    by_fault = dict.fromkeys(FAULT_TYPES, 0)
    by_severity = dict.fromkeys(dga.SEVERITIES, 0)
    by_band = dict.fromkeys((*HEALTH_BANDS, _NO_BAND), 0)
    total = stale = 0
    for group in groups:
        units = group["units"]
        total += units
        stale += units * group["stale"]
        by_status[status_of(group)] += units
        by_fault[fault_of(group)] += units
        by_severity[group["severity"]] += units
        by_band[group["health_band"]] += units
    bands = [{"from": low, "to": low + HEALTH_BAND_WIDTH, "units": by_band[low]} for low in HEALTH_BANDS]
    return {"total": total, "stale": stale, "dga_status": by_status, "fault_type": by_fault,
            "severity": by_severity, "health_index": {"bands": bands, "none": by_band[_NO_BAND]}}


def _counts(keys, description):
    """The JSON Schema of an object counting units under each of `keys`."""
    count = {"type": "integer", "minimum": 0}
    return {"type": "object", "properties": dict.fromkeys(keys, count), "required": list(keys),
            "additionalProperties": False, "description": description}


SCHEMA = {
    "title": "FleetSummary",
    "type": "object",
    "properties": {
        "total": {"type": "integer", "minimum": 0, "description": "Units the filters select."},
        "stale": {"type": "integer", "minimum": 0, "description": "Of them, units whose verdict is stale (written "
                  "by another engine version, model or verdict settings)."},
        "dga_status": _counts(STATUSES, "Units per IEEE C57.104-2019 DGA status; `unknown`: a verdict without one; "
                              "`no_verdict`: no stored verdict."),
        "fault_type": _counts(FAULT_TYPES, "Units per fault type; `none`: no fault; `unknown`: presence unknown or "
                              "no method named the fault; `no_verdict`: no stored verdict."),
        "severity": _counts(dga.SEVERITIES, "Units per severity, as their entries show it (`unknown` without a "
                            "verdict)."),
        "health_index": {
            "type": "object",
            "properties": {
                "bands": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"from": {"type": "number"}, "to": {"type": "number"},
                                   "units": {"type": "integer", "minimum": 0}},
                    "required": ["from", "to", "units"], "additionalProperties": False,
                }, "description": f"{len(HEALTH_BANDS)} bands from 0 to 100, each from ≤ index < to (the last "
                                  "holds 100 too)."},
                "none": {"type": "integer", "minimum": 0, "description": "Units without a health index."},
            },
            "required": ["bands", "none"],
            "additionalProperties": False,
        },
    },
    "required": ["total", "stale", "dga_status", "fault_type", "severity", "health_index"],
    "additionalProperties": False,
}
