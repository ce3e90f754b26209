"""`diagnoses` — what each unit's dissolved gases say: fault, severity, health index, action.

GET /api/v1/diagnoses[?substation_id=&status=&fault=&limit=&offset=] → the fleet ranking:
    every unit's verdict on its latest complete sample, worst first (by the engine's `rank`,
    then equipment id); `status` is the IEEE C57.104-2019 DGA status (1, 2, 3), `fault` a
    fault type or `none`. Units without a complete sample come last. One query and one
    vectorized engine pass serve the whole fleet.
GET /api/v1/diagnoses/<equipment_id>[?at=&history=true] → the verdict on the unit's latest
    complete sample (as of `at`), using its earlier samples for the 2019 deltas and rates
    and its age and oil preservation for the tables; `history=true` adds the verdict of every
    complete sample, for plotting.
POST /api/v1/diagnoses → diagnoses samples sent in the body, touching no table: one JSON object
    gives one verdict; a JSON array (or `text/csv` with a header row) gives an array of verdicts
    in the same order. Fields: the gases in ppm (`h2` … `co2`, optional `o2`, `n2`), optional
    `sampled_at`, `age_years` and `oil_preservation`. Every invalid field of every sample is
    reported at once (400, by index); more than `SEDA_MAX_BATCH_ROWS` samples is 413. It changes
    nothing, so it needs an API key only when reads do.
Tables: EQUIPMENT, DGA_SAMPLE. The engine is `shared/dga.py`.

A sample is complete when all seven dissolved gases are present (O2/N2 may be missing: the
engine then falls back on the unit's oil preservation). Age at a sample counts from the middle
of the year of manufacture.
"""

import asyncio
import datetime

import functions_framework.aio
import numpy as np

from shared import auth, bodies, db, dga, http, validation
from shared.errors import NotFoundError
from shared.jsonio import json_response

HISTORY_DEPTH = 6  # earlier samples the engine needs at most: 1 for Table 3 deltas, 5 more for Table 4 rates
_UNIT_COLUMNS = "e.id, e.substation_id, e.name, e.kind, e.year_manufactured, e.oil_preservation, e.status"
_SAMPLE_COLUMNS = "s.id, s.equipment_id, s.sampled_at, " + ", ".join(f"s.{f}" for f in dga.SAMPLE_FIELDS)
_COMPLETE = " AND ".join(f"s.{gas} IS NOT NULL" for gas in dga.GASES)

_UNIT_SELECT = f"SELECT {_UNIT_COLUMNS} FROM equipment e WHERE e.id = :id"
_UNIT_SAMPLES = f"SELECT {_SAMPLE_COLUMNS} FROM dga_sample s WHERE s.equipment_id = :id AND {_COMPLETE}"
_FLEET_UNITS = f"SELECT {_UNIT_COLUMNS} FROM equipment e"
# The latest HISTORY_DEPTH + 1 complete samples of every unit, in one pass (window functions
# exist in SQLite ≥ 3.25 and every supported Oracle).
_FLEET_SAMPLES = (
    f"SELECT * FROM (SELECT {_SAMPLE_COLUMNS}, "
    "ROW_NUMBER() OVER (PARTITION BY s.equipment_id ORDER BY s.sampled_at DESC) AS recency "
    f"FROM dga_sample s JOIN equipment e ON e.id = s.equipment_id WHERE {_COMPLETE}{{unit_filter}}) recent "
    f"WHERE recency <= {HISTORY_DEPTH + 1} ORDER BY equipment_id, sampled_at"
)
_UNIT_FILTERS = {"substation_id": "e.substation_id = :p_substation_id"}

_FLEET_QUERY = {
    **validation.PAGING,
    "substation_id": validation.integer(1),
    "status": validation.choice(("1", "2", "3")),
    "fault": validation.choice(tuple(t for t in dga.FAULT_TYPES) + ("none",)),
}
_UNIT_QUERY = {"at": validation.timestamp, "history": validation.choice(("true", "false"))}
_SAMPLE_FIELDS = {
    **{field: bodies.Field("number", maximum=dga.MAX_PPM) for field in dga.SAMPLE_FIELDS},
    "sampled_at": bodies.Field("timestamp"),
    "age_years": bodies.Field("number", maximum=200),
    "oil_preservation": bodies.Field("choice", choices=dga.OIL_PRESERVATIONS[1:]),
}


def _age_years(units, sample_times):
    """Age in years at each sample time, from the middle of the year of manufacture; NaN when unknown."""
    built = np.array(
        [
            datetime.datetime(u["year_manufactured"], 7, 1, tzinfo=datetime.timezone.utc).timestamp()
            if u["year_manufactured"]
            else np.nan
            for u in units
        ],
        float,
    )
    return (sample_times - built) / dga.YEAR_SECONDS


def _epoch(moment):
    """Epoch seconds of a naive-UTC or aware datetime; NaN for none."""
    if moment is None:
        return np.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _column(rows, field):
    """One field of every row as a float array, NaN where it is missing."""
    return np.array([np.nan if row[field] is None else row[field] for row in rows], float)


def _gases(rows):
    """The engine's gas arrays for rows of samples."""
    return {field: _column(rows, field) for field in dga.SAMPLE_FIELDS}


def _diagnose_windows(units, windows):
    """Columnar verdicts for windows of samples (oldest first, the last one is diagnosed) of `units`."""
    n = len(windows)
    current = [window[-1] for window in windows]
    times = np.array([_epoch(s["sampled_at"]) for s in current], float)
    history_times = np.full((n, HISTORY_DEPTH), np.nan)
    history_gases = {gas: np.full((n, HISTORY_DEPTH), np.nan) for gas in dga.GASES}
    for row, window in enumerate(windows):
        earlier = window[:-1][-HISTORY_DEPTH:]
        for col, sample in enumerate(earlier):
            history_times[row, col] = _epoch(sample["sampled_at"])
            for gas in dga.GASES:
                history_gases[gas][row, col] = sample[gas]
    return dga.diagnose_batch(
        _gases(current),
        age_years=_age_years(units, times),
        oil_preservation=[u["oil_preservation"] for u in units],
        sample_times=times,
        history_times=history_times,
        history_gases=history_gases,
        columnar=True,
    )


def _sample_summary(sample):
    """A sample as the API shows it (no engine internals)."""
    return {key: sample[key] for key in ("id", "sampled_at", *dga.SAMPLE_FIELDS)}


def _ranking_entry(unit, sample, verdict):
    """One row of the fleet ranking."""
    entry = {
        "equipment_id": unit["id"],
        "equipment_name": unit["name"],
        "substation_id": unit["substation_id"],
        "kind": unit["kind"],
        "equipment_status": unit["status"],
        "sample_id": None,
        "sampled_at": None,
        "dga_status": None,
        "fault_present": None,
        "fault_type": None,
        "agreement": None,
        "severity": "unknown",
        "health_index": None,
        "rank": -1.0,
        "action": "No complete DGA sample: take one.",
    }
    if verdict is not None:
        entry.update(
            sample_id=sample["id"],
            sampled_at=sample["sampled_at"],
            dga_status=verdict["methods"]["ieee_c57_104_2019"]["status"],
            fault_present=verdict["fault"]["present"],
            fault_type=verdict["fault"]["type"],
            agreement=verdict["fault"]["agreement"],
            severity=verdict["fault"]["severity"],
            health_index=verdict["health_index"]["value"],
            rank=verdict["rank"],
            action=verdict["action"],
        )
    return entry


def _fleet_page(units, samples, values, limit, offset):
    """Rank every unit, filter, and build entries for one page only; runs in a worker thread.

    Ranking and filtering work on the engine's columnar arrays; full verdict dicts are built
    only for the page (building them for a 28,000-unit fleet cost 4 s of the 5 s measured).
    """
    by_unit = {}
    for sample in samples:
        by_unit.setdefault(sample["equipment_id"], []).append(sample)
    sampled = [u for u in units if u["id"] in by_unit]
    unsampled = [u for u in units if u["id"] not in by_unit]
    windows = [by_unit[u["id"]] for u in sampled]
    columns = _diagnose_windows(sampled, windows) if sampled else {}
    padding = np.full(len(unsampled), -1)

    def column(name):
        return np.concatenate([columns.get(name, np.empty(0)), padding])

    ranks = column("rank")  # units without a complete sample rank below every verdict (-1)
    keep = np.ones(len(ranks), bool)
    if "status" in values:
        keep &= column("ieee2019_status") == int(values["status"])
    if values.get("fault") == "none":
        keep &= column("fault_present") == 0
    elif "fault" in values:
        keep &= column("fault_type") == dga.FAULT_TYPES.index(values["fault"])
    ids = np.array([u["id"] for u in sampled + unsampled])
    order = np.lexsort((ids, -ranks))
    page = order[keep[order]][offset : offset + limit + 1]
    in_sampled = page[page < len(sampled)]
    verdicts = dga.verdicts_from_columns({k: v[in_sampled] for k, v in columns.items()}) if len(in_sampled) else []
    verdict_of = dict(zip(in_sampled.tolist(), verdicts))
    return [
        _ranking_entry(sampled[i], windows[i][-1], verdict_of[i])
        if i < len(sampled)
        else _ranking_entry(unsampled[i - len(sampled)], None, None)
        for i in page.tolist()
    ]


async def _fleet(request):
    """The fleet ranking, worst first."""
    values = validation.parse_query(request.query_params, _FLEET_QUERY)
    limit, offset, _ = http.page_values(values)
    clause, binds = db.where(_UNIT_FILTERS, values)
    unit_filter = clause.replace(" WHERE ", " AND ", 1)
    async with db.connect() as conn:
        units = await conn.fetch_all(f"{_FLEET_UNITS}{clause} ORDER BY e.id", binds, large=True)
        samples = await conn.fetch_all(_FLEET_SAMPLES.format(unit_filter=unit_filter), binds, large=True)
    entries = await asyncio.to_thread(_fleet_page, units, samples, values, limit, offset)
    return http.collection_response(request, entries, limit, offset)


def _history_series(samples, columns):
    """The per-sample verdict series of one unit, compact enough to plot."""
    verdicts = dga.verdicts_from_columns(columns)
    return [
        {
            "sample_id": sample["id"],
            "sampled_at": sample["sampled_at"],
            "dga_status": verdict["methods"]["ieee_c57_104_2019"]["status"],
            "fault_type": verdict["fault"]["type"],
            "severity": verdict["fault"]["severity"],
            "health_index": verdict["health_index"]["value"],
            "duval_point": verdict["methods"]["duval_triangle_1"].get("point"),
        }
        for sample, verdict in zip(samples, verdicts)
    ]


def _diagnose_unit(unit, samples, with_history):
    """The verdict on the latest sample and, if asked, on every sample; runs in a worker thread."""
    windows = [samples[max(0, i - HISTORY_DEPTH) : i + 1] for i in range(len(samples))] if with_history else [samples]
    columns = _diagnose_windows([unit] * len(windows), windows)
    body = {"diagnosis": dga.verdicts_from_columns({k: v[-1:] for k, v in columns.items()})[0]}
    if with_history:
        body["history"] = _history_series(samples, columns)
    return body


async def _unit(request, equipment_id):
    """One unit's verdict, optionally as of a past date and with its history."""
    values = validation.parse_query(request.query_params, _UNIT_QUERY)
    with_history = values.get("history") == "true"
    at_clause = " AND s.sampled_at <= :at" if "at" in values else ""
    binds = {"id": equipment_id, **({"at": values["at"]} if "at" in values else {})}
    async with db.connect() as conn:
        unit = await conn.fetch_one(_UNIT_SELECT, {"id": equipment_id})
        if unit is None:
            raise NotFoundError(f"No equipment with id {equipment_id}.")
        if with_history:
            samples = await conn.fetch_all(f"{_UNIT_SAMPLES}{at_clause} ORDER BY s.sampled_at", binds, large=True)
        else:  # the engine needs the latest sample and HISTORY_DEPTH before it, however long the history
            latest_first = await conn.fetch_all(
                f"{_UNIT_SAMPLES}{at_clause} ORDER BY s.sampled_at DESC",
                {**binds, "limit": HISTORY_DEPTH + 1, "offset": 0},
                paged=True,
            )
            samples = latest_first[::-1]
    body = {"equipment": unit, "as_of": values.get("at"), "sample": None, "diagnosis": None}
    if not samples:
        when = f" up to {values['at']:%Y-%m-%dT%H:%M:%SZ}" if "at" in values else ""
        body["message"] = f"Equipment {equipment_id} has no complete DGA sample{when}; nothing to diagnose."
        if with_history:
            body["history"] = []
        return json_response(body)
    body["sample"] = _sample_summary(samples[-1])
    body.update(await asyncio.to_thread(_diagnose_unit, unit, samples, with_history))
    return json_response(body)


def _no_cross_field_rules(index, values):
    """Samples are independent: nothing spans fields or rows."""
    return []


def _diagnose_posted(samples):
    """Verdicts for posted samples in one vectorized pass; runs in a worker thread."""
    columns = dga.diagnose_batch(
        _gases(samples),
        age_years=_column(samples, "age_years"),
        oil_preservation=[s["oil_preservation"] for s in samples],
        sample_times=np.array([_epoch(s["sampled_at"]) for s in samples], float),
        columnar=True,
    )
    return dga.verdicts_from_columns(columns)


@auth.changes_nothing
async def _diagnose_body(request):
    """Diagnose one posted sample object, or an array (or CSV) of samples."""
    validation.parse_query(request.query_params, {})
    body = await bodies.read(request, (bodies.JSON, bodies.CSV))
    if bodies.is_json_object(body):
        sample = bodies.object_values(body, _SAMPLE_FIELDS, "DGA sample")
        return json_response((await asyncio.to_thread(_diagnose_posted, [sample]))[0])
    samples = await asyncio.to_thread(
        bodies.batch_values, body, _SAMPLE_FIELDS, "DGA samples", _no_cross_field_rules, "none was diagnosed"
    )
    return json_response(await asyncio.to_thread(_diagnose_posted, samples))


COLLECTION = {"GET": _fleet, "POST": _diagnose_body}
ITEM = {"GET": _unit}


@functions_framework.aio.http
async def diagnoses(request):
    """HTTP entry point of the `diagnoses` resource."""
    return await http.serve(request, "diagnoses", COLLECTION, ITEM)
