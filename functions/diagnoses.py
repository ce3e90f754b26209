"""`diagnoses` — what each unit's dissolved gases say: fault, severity, health index, action.

GET /api/v1/diagnoses[?substation_id=&status=&fault=&limit=&offset=] → the fleet ranking:
    every unit's verdict on its latest complete sample, worst first (by the engine's `rank`,
    then equipment id); `status` is the IEEE C57.104-2019 DGA status (1, 2, 3), `fault` a
    fault type or `none`. Units without a complete sample come last. One query and one
    vectorized engine pass serve the whole fleet.
GET /api/v1/diagnoses/<equipment_id>[?at=&history=true&limit=&offset=] → the verdict on the
    unit's latest complete sample (as of `at`), using its earlier samples for the 2019 deltas
    and rates and its age and oil preservation for the tables; `history=true` adds `history`,
    one page of the verdict series of every complete sample, oldest first, for plotting:
    `limit` (default `SEDA_DEFAULT_PAGE_SIZE`) and `offset` page it, and `Link: <…>; rel="next"`
    names the next page, as on collections. `limit`/`offset` without `history=true` is 400.
POST /api/v1/diagnoses[?view=full|summary] → diagnoses samples sent in the body, touching no
    table: one JSON object gives one verdict; a JSON array (or `text/csv` with a header row)
    gives an array of verdicts in the same order. Fields: the gases in ppm (`h2` … `co2`,
    optional `o2`, `n2`), optional `sampled_at`, `age_years` and `oil_preservation`. Every
    invalid field of every sample is reported at once (400, by index). `view=full` (the
    default) gives the whole verdict, ~3 kB each, for at most `SEDA_MAX_FULL_VERDICTS` samples;
    `view=summary` gives per sample only `dga_status`, `fault_present`, `fault_type`,
    `severity`, `health_index` and `rank` (the same values as the full verdict), for up to
    `SEDA_MAX_BATCH_ROWS` samples. More than the view's limit is 413. It changes nothing, so
    it needs an API key only when reads do.
Tables: EQUIPMENT, DGA_SAMPLE. The engine is `shared/dga.py`.

A sample is complete when all seven dissolved gases are present (O2/N2 may be missing: the
engine then falls back on the unit's oil preservation). Age at a sample counts from the middle
of the year of manufacture.
"""

import asyncio

import functions_framework.aio
import numpy as np

from functions import equipment
from shared import auth, bodies, config, db, dga, http, openapi, validation
from shared.dga_rows import HISTORY_DEPTH, column, diagnose_windows, epoch, gases, summaries
from shared.errors import InvalidParametersError, NotFoundError, PayloadTooLargeError
from shared.jsonio import json_response

_UNIT_FIELDS = ("substation_id", "name", "kind", "year_manufactured", "oil_preservation", "status")
_UNIT_COLUMNS = ", ".join(f"e.{name}" for name in ("id", *_UNIT_FIELDS))
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
_UNIT_QUERY = {
    **validation.PAGING,  # pages the history series
    "at": validation.timestamp,
    "history": validation.choice(("true", "false")),
}
_POST_QUERY = {"view": validation.choice(("full", "summary"))}
_SAMPLE_FIELDS = {
    **{field: bodies.Field("number", maximum=dga.MAX_PPM) for field in dga.SAMPLE_FIELDS},
    "sampled_at": bodies.Field("timestamp"),
    "age_years": bodies.Field("number", maximum=200),
    "oil_preservation": bodies.Field("choice", choices=dga.OIL_PRESERVATIONS[1:]),
}
_BODY_TYPES = (bodies.JSON, bodies.CSV)


def _sample_summary(sample):
    """A sample as the API shows it (no engine internals)."""
    return {key: sample[key] for key in ("id", "sampled_at", *dga.SAMPLE_FIELDS)}


_STATUS = {"enum": [1, 2, 3, None], "description": "The IEEE C57.104-2019 DGA status; null when unknown."}
_FAULT_TYPE = {"enum": [*dga.FAULT_TYPES, None]}
_HEALTH_INDEX = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
# What the fleet ranking and the summary view both say of a verdict, under the same names.
_VERDICT_SUMMARY = {
    "dga_status": _STATUS,
    "fault_present": {"type": ["boolean", "null"]},
    "fault_type": _FAULT_TYPE,
    "severity": {"enum": list(dga.SEVERITIES)},
    "health_index": _HEALTH_INDEX,
}
_RANKING_ENTRY = openapi.output("RankingEntry", {
    "equipment_id": http.ITEM_ID.schema(),
    "equipment_name": equipment.FIELDS["name"].schema(),
    "substation_id": equipment.FIELDS["substation_id"].schema(),
    "kind": equipment.FIELDS["kind"].schema(),
    "equipment_status": equipment.FIELDS["status"].schema(),
    "sample_id": {"type": ["integer", "null"]},
    "sampled_at": {"type": ["string", "null"]},
    **_VERDICT_SUMMARY,
    "agreement": {"anyOf": [dga.AGREEMENT_SCHEMA, {"type": "null"}]},
    "rank": {"type": "number", "description": "Worst first; -1 for a unit without a complete sample."},
    "action": {"type": "string"},
})


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
    columns = diagnose_windows(sampled, windows) if sampled else {}
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


@openapi.operation(openapi.page(_RANKING_ENTRY), query=_FLEET_QUERY)
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


_HISTORY_POINT = openapi.output("HistoryPoint", {
    "sample_id": {"type": "integer"},
    "sampled_at": {"type": "string"},
    "dga_status": _STATUS,
    "fault_type": _FAULT_TYPE,
    "severity": {"enum": list(dga.SEVERITIES)},
    "health_index": _HEALTH_INDEX,
    "duval_point": {"anyOf": [dga.DUVAL_POINT_SCHEMA, {"type": "null"}]},
})


def _history_series(samples, verdicts):
    """The per-sample verdict series of one unit, compact enough to plot."""
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


def _diagnose_unit(unit, latest, earlier, page):
    """The verdict on the latest sample and the series of a history page; runs in a worker thread.

    `latest` is the latest sample with the HISTORY_DEPTH before it, and `earlier` the (up to)
    HISTORY_DEPTH samples before the page's first: each page verdict then sees the same history
    as when the whole series is diagnosed. All samples are oldest first.
    """
    samples = earlier + page
    page_windows = [samples[max(0, index - HISTORY_DEPTH) : index + 1] for index in range(len(earlier), len(samples))]
    windows = [latest] + page_windows
    verdicts = dga.verdicts_from_columns(diagnose_windows([unit] * len(windows), windows))
    return verdicts[0], _history_series(page, verdicts[1:])


def _paging_needs_history(values, with_history):
    """400 when `limit` or `offset` come without `history=true`: they page the history series only."""
    given = [name for name in validation.PAGING if name in values]
    if given and not with_history:
        raise InvalidParametersError(
            f"Parameters 'limit' and 'offset' page the history series, so they need history=true; received "
            f"{' and '.join(repr(name) for name in given)} without it."
        )


_DIAGNOSED_SAMPLE = openapi.row_schema("DiagnosedSample", {
    field: _SAMPLE_FIELDS[field] for field in ("sampled_at", *dga.SAMPLE_FIELDS)
})
_UNIT_ANSWER = {
    "title": "UnitDiagnosis",
    "type": "object",
    "properties": {
        "equipment": openapi.row_schema("DiagnosedUnit", {field: equipment.FIELDS[field] for field in _UNIT_FIELDS}),
        "as_of": {"type": ["string", "null"], "description": "`at`, when given."},
        "sample": {"anyOf": [_DIAGNOSED_SAMPLE, {"type": "null"}], "description": "The latest complete sample."},
        "diagnosis": {"anyOf": [dga.VERDICT_SCHEMA, {"type": "null"}]},
        "message": {"type": "string", "description": "Why there is no diagnosis, when there is none."},
        "history": {"type": "array", "items": _HISTORY_POINT, "description": "With history=true: one page of the "
                    "series, oldest first."},
    },
    "required": ["equipment", "as_of", "sample", "diagnosis"],
    "additionalProperties": False,
}


@openapi.operation(openapi.answer(_UNIT_ANSWER, "The unit's verdict; with history=true, a page of its series.",
                                  headers={"Link": False}), query=_UNIT_QUERY)
async def _unit(request, equipment_id):
    """One unit's verdict, optionally as of a past date and with one page of its history."""
    values = validation.parse_query(request.query_params, _UNIT_QUERY)
    with_history = values.get("history") == "true"
    _paging_needs_history(values, with_history)
    limit, offset, _ = http.page_values(values)
    first = max(0, offset - HISTORY_DEPTH)  # the page's first sample needs the HISTORY_DEPTH before it
    at_clause = " AND s.sampled_at <= :at" if "at" in values else ""
    binds = {"id": equipment_id, **({"at": values["at"]} if "at" in values else {})}
    async with db.connect() as conn:
        unit = await conn.fetch_one(_UNIT_SELECT, {"id": equipment_id})
        if unit is None:
            raise NotFoundError(f"No equipment with id {equipment_id}.")
        # However long the history, only these rows are read: the latest sample with the
        # HISTORY_DEPTH before it, and the page with the HISTORY_DEPTH before its first sample
        # (plus one row telling whether another page follows).
        latest_first = await conn.fetch_all(
            f"{_UNIT_SAMPLES}{at_clause} ORDER BY s.sampled_at DESC",
            {**binds, "limit": HISTORY_DEPTH + 1, "offset": 0},
            paged=True,
        )
        window = []
        if with_history and latest_first:
            window = await conn.fetch_all(
                f"{_UNIT_SAMPLES}{at_clause} ORDER BY s.sampled_at",
                {**binds, "limit": offset - first + limit + 1, "offset": first},
                paged=True,
            )
    body = {"equipment": unit, "as_of": values.get("at"), "sample": None, "diagnosis": None}
    if not latest_first:
        when = f" up to {values['at']:%Y-%m-%dT%H:%M:%SZ}" if "at" in values else ""
        body["message"] = f"Equipment {equipment_id} has no complete DGA sample{when}; nothing to diagnose."
        if with_history:
            body["history"] = []
        return json_response(body)
    page, headers = http.next_page(request, window[offset - first :], limit, offset)
    body["sample"] = _sample_summary(latest_first[0])
    body["diagnosis"], series = await asyncio.to_thread(
        _diagnose_unit, unit, latest_first[::-1], window[: offset - first], page
    )
    if with_history:
        body["history"] = series
    return json_response(body, headers=headers)


def _no_cross_field_rules(index, values):
    """Samples are independent: nothing spans fields or rows."""
    return []


_SUMMARY = openapi.output("VerdictSummary", {**_VERDICT_SUMMARY, "rank": {"type": ["number", "null"]}})


def _diagnose_posted(samples, summary):
    """Verdicts (or their summaries) for posted samples in one vectorized pass; runs in a worker thread."""
    columns = dga.diagnose_batch(
        gases(samples),
        age_years=column(samples, "age_years"),
        oil_preservation=[s["oil_preservation"] for s in samples],
        sample_times=np.array([epoch(s["sampled_at"]) for s in samples], float),
        columnar=True,
    )
    return summaries(columns) if summary else dga.verdicts_from_columns(columns)


def _check_full_view_size(count):
    """413 when more samples came than the full view answers (its verdicts are ~3 kB each)."""
    settings = config.settings()
    if count > settings.max_full_verdicts:
        raise PayloadTooLargeError(
            f"The body holds {count:,} DGA samples; POST /diagnoses answers at most {settings.max_full_verdicts:,} "
            f"samples with the full view, or up to {settings.max_batch_rows:,} with ?view=summary. Send fewer "
            "samples per request, or ask for ?view=summary."
        )


_VERDICTS = {
    "oneOf": [
        dga.VERDICT_SCHEMA,
        {"type": "array", "items": dga.VERDICT_SCHEMA},
        _SUMMARY,
        {"type": "array", "items": _SUMMARY},
    ],
    "description": "A verdict for an object, an array of them in the same order for an array or CSV; "
                   "the summaries instead with view=summary.",
}


@auth.changes_nothing
@openapi.operation(openapi.answer(_VERDICTS, "The verdicts, in the order of the samples."), query=_POST_QUERY,
                   body=openapi.Body(_SAMPLE_FIELDS, "DgaSample", _BODY_TYPES, json="either", example={
                       "h2": 120.0, "ch4": 60.0, "c2h6": 30.0, "c2h4": 45.0, "c2h2": 2.0, "co": 400.0, "co2": 3000.0,
                       "sampled_at": "2024-05-01", "age_years": 18, "oil_preservation": "sealed"}),
                   database=False)
async def _diagnose_body(request):
    """Diagnose one posted sample object, or an array (or CSV) of samples, in the full or summary view."""
    summary = validation.parse_query(request.query_params, _POST_QUERY).get("view") == "summary"
    body = await bodies.read(request, _BODY_TYPES)
    if bodies.is_json_object(body):
        sample = bodies.object_values(body, _SAMPLE_FIELDS, "DGA sample")
        return json_response((await asyncio.to_thread(_diagnose_posted, [sample], summary))[0])
    samples = await asyncio.to_thread(
        bodies.batch_values, body, _SAMPLE_FIELDS, "DGA samples", _no_cross_field_rules, "none was diagnosed"
    )
    if not summary:
        _check_full_view_size(len(samples))
    return json_response(await asyncio.to_thread(_diagnose_posted, samples, summary))


COLLECTION = {"GET": _fleet, "POST": _diagnose_body}
ITEM = {"GET": _unit}


@functions_framework.aio.http
async def diagnoses(request):
    """HTTP entry point of the `diagnoses` resource."""
    return await http.serve(request, "diagnoses", COLLECTION, ITEM)
