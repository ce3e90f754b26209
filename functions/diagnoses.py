"""`diagnoses` — what each unit's dissolved gases say: fault, severity, health index, action.

GET /api/v1/diagnoses[?substation_id=&status=&fault=&q=&sort=&limit=&offset=|cursor=&format=] → the fleet
    ranking: every unit's stored verdict on its latest complete sample, worst first (by the
    engine's `rank`, then equipment id), read through the ranking index (`shared/fleet.py`);
    `status` is the IEEE C57.104-2019 DGA status (1, 2, 3), `fault` a fault type or `none`, `q`
    a case-insensitive part of the unit's name. Units without a verdict come last (rank -1).
    `sort` orders by another entry field (`fleet.SORTS`: `name`, `-health_index`, …; ties by
    equipment id, nulls last), each page then sorting the selected units. The `Link` next URL carries a `cursor` (of that sort only); `offset` is
    accepted up to `SEDA_MAX_OFFSET`. Each entry says its verdict's `engine_version`,
    `diagnosed_at` and `stale` (written by another engine fingerprint). Samples without a stored
    verdict are diagnosed and stored first, up to `SEDA_MAX_INLINE_DIAGNOSES` per request
    (`X-Verdicts-Pending: true` when more wait). `format=ndjson|csv` streams the whole ranking.
GET /api/v1/diagnoses/<equipment_id>[?at=&history=true&limit=&offset=&format=] → the stored verdict
    on the unit's latest complete sample (as of `at`), with `engine_version`, `diagnosed_at` and
    `stale` beside it; a sample without a stored verdict is diagnosed on the fly from its earlier
    samples and the unit's age, oil preservation and insulating liquid (`shared/unit_verdicts.py`). `history=true`
    adds `history`, one page of the verdict series of every complete sample, oldest first:
    `limit` (default `SEDA_DEFAULT_PAGE_SIZE`) and `offset` page it, and `Link: <…>; rel="next"`
    names the next page, as on collections; with `format=ndjson|csv` the whole series is streamed
    instead. `limit`/`offset`/`format` without `history=true` is 400.
GET /api/v1/diagnoses/summary[?substation_id=&status=&fault=&q=] → the units those filters select, counted
    per DGA status, fault type, severity and health-index band, and how many verdicts are stale
    (`shared/fleet_summary.py`: one GROUP BY in the database); with an ETag (304 for If-None-Match).
GET /api/v1/diagnoses/changes[?since=&limit=&substation_id=&worsened=true] → the change feed
    (`shared/change_feed.py`): every change of a unit's latest status, fault type or severity
    after the change id `since`, oldest first; `Link` always names the next poll (`since` = the
    last id served, or the same when nothing is new). Changes younger than
    `SEDA_CHANGE_FEED_DELAY_S` wait (on Oracle, ids of concurrent transactions can commit out of
    order). `worsened=true` keeps the changes to a worse severity.
POST /api/v1/diagnoses[?view=full|summary] → diagnoses samples sent in the body, touching no
    table: one JSON object gives one verdict; a JSON array (or `text/csv` with a header row)
    gives an array of verdicts in the same order. Fields: the gases in ppm (`h2` … `co2`,
    optional `o2`, `n2`), optional `sampled_at`, `age_years`, `oil_preservation` and
    `insulating_liquid` (mineral oil when absent). Every
    invalid field of every sample is reported at once (400, by index). `view=full` (the
    default) gives the whole verdict, ~3 kB each, for at most `SEDA_MAX_FULL_VERDICTS` samples;
    `view=summary` gives per sample only `dga_status`, `fault_present`, `fault_type`,
    `severity`, `health_index` and `rank` (the same values as the full verdict), for up to
    `SEDA_MAX_BATCH_ROWS` samples. More than the view's limit is 413. It changes nothing, so
    it needs an API key only when reads do.
Tables: EQUIPMENT, DGA_SAMPLE, DGA_DIAGNOSIS, DGA_CHANGE. The engine is the `shared/dga/` package.

A sample is complete when all seven dissolved gases are present (O2/N2 may be missing: the
engine then falls back on the unit's oil preservation). Age at a sample counts from the middle
of the year of manufacture.
"""

import asyncio
import dataclasses

import functions_framework.aio

from functions import equipment
from shared import (auth, bodies, change_feed, config, cursors, db, dga, exports, fleet, fleet_summary, http, openapi,
                    validation)
from shared.dga.rows import HISTORY_DEPTH, diagnose_samples, summaries
from shared.errors import InvalidParametersError, NotFoundError, PayloadTooLargeError
from shared.jsonio import json_response
from shared.unit_verdicts import (
    POINT_FIELDS,
    SAMPLES_WITH_VERDICTS,
    SeriesShaper,
    latest_verdict,
    sample_summary,
    series,
)

_UNIT_FIELDS = ("substation_id", "name", "kind", "year_manufactured", "oil_preservation", "insulating_liquid", "status")
_UNIT_SELECT = f"SELECT {', '.join(('id', *_UNIT_FIELDS))} FROM equipment WHERE id = :id"

# The filters the ranking and its summary share, so the summary counts what the table lists.
_FLEET_FILTERS = {
    "substation_id": validation.integer(1),
    "status": validation.choice(("1", "2", "3")),
    "fault": validation.choice(tuple(t for t in dga.FAULT_TYPES) + ("none",)),
    "q": validation.text(100, "Units whose name holds this text, ignoring case (`%`, `_` and `\\` match only "
                              "themselves)."),
}
_FLEET_QUERY = {
    **validation.keyset_paging(cursors.opaque_parser()),  # decoded with the keyset of `sort` (fleet.cursor_position)
    **_FLEET_FILTERS,
    "sort": validation.choice(fleet.SORTS, fleet.SORT_MEANING),
    "format": validation.choice(exports.FORMATS),
}
_UNIT_QUERY = {
    **validation.PAGING,  # pages the history series
    "at": validation.timestamp,
    "history": validation.choice(("true", "false")),
    "format": validation.choice(exports.FORMATS),  # exports the history series
}
_CHANGES_QUERY = {
    "since": validation.integer(0),
    "limit": validation.PAGING["limit"],
    "substation_id": validation.integer(1),
    "worsened": validation.choice(("true", "false")),
}
_POST_QUERY = {"view": validation.choice(("full", "summary"))}
_SAMPLE_FIELDS = {
    **{field: bodies.Field("number", maximum=dga.MAX_PPM) for field in dga.SAMPLE_FIELDS},
    "sampled_at": bodies.Field("timestamp"),
    "age_years": bodies.Field("number", maximum=200),
    "oil_preservation": bodies.Field("choice", choices=dga.OIL_PRESERVATIONS[1:]),
    "insulating_liquid": bodies.Field("choice", choices=dga.INSULATING_LIQUIDS),  # none: mineral oil
}
_BODY_TYPES = (bodies.JSON, bodies.CSV)

_STATUS = {"enum": [1, 2, 3, None], "description": "The IEEE C57.104-2019 DGA status; null when unknown."}
_FAULT_TYPE = {"enum": [*dga.FAULT_TYPES, None]}
_SEVERITY = {"enum": list(dga.SEVERITIES)}
_HEALTH_INDEX = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
# What the fleet ranking and the summary view both say of a verdict, under the same names.
_VERDICT_SUMMARY = {
    "dga_status": _STATUS,
    "fault_present": {"type": ["boolean", "null"]},
    "fault_type": _FAULT_TYPE,
    "severity": _SEVERITY,
    "health_index": _HEALTH_INDEX,
}
# What every served verdict says of itself, beside it (the engine's verdict schema admits nothing more).
_PROVENANCE = {
    "engine_version": {"type": ["string", "null"], "description": "The engine that wrote the verdict; null without "
                       "one."},
    "diagnosed_at": {"type": ["string", "null"], "description": "When the verdict was computed; null without one."},
    "stale": {"type": "boolean", "description": "True when the verdict was stored by another engine version, model "
              "or verdict settings; it stays served until `python -m tools.rediagnose` rewrites it."},
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
    "rank": {"type": "number", "description": "Worst first; -1 for a unit without a stored verdict."},
    "action": {"type": "string"},
    **_PROVENANCE,
})
# The fleet's answers (pages and exports) may say that verdicts are pending.
_FLEET_ANSWER = openapi.page(_RANKING_ENTRY, exports=True)
_FLEET_ANSWER = dataclasses.replace(_FLEET_ANSWER, headers={**_FLEET_ANSWER.headers, fleet.PENDING_HEADER: False})


def _paging(values):
    """400 for `cursor` together with `offset`; the page size."""
    if "cursor" in values and "offset" in values:
        raise InvalidParametersError("Give either 'cursor' or 'offset', not both: the cursor already says where the "
                                     "page starts.")
    return http.page_values(values)[0]


@openapi.operation(_FLEET_ANSWER, query=_FLEET_QUERY, errors=(InvalidParametersError,))
async def _fleet(request):
    """The fleet ranking, worst first, from the stored latest verdicts."""
    values = validation.parse_query(request.query_params, _FLEET_QUERY)
    chosen = values.pop("format", None)
    limit = _paging(values)
    exporting = chosen in exports.ENCODINGS
    if exporting:
        exports.check_unpaged(values, ("limit", "offset", "cursor"), chosen)
    if "cursor" in values:
        values["cursor"] = fleet.cursor_position(values)
    headers = {fleet.PENDING_HEADER: "true"} if await fleet.catch_up() else {}
    if exporting:
        response = await fleet.export(values, exports.ENCODINGS[chosen])
        response.headers.update(headers)
        return response
    entries, cursor = await fleet.page(values, limit)
    if cursor is not None:
        next_url = http.with_query(request, removed=("offset",), limit=limit, cursor=cursor)
        headers["Link"] = f'<{next_url}>; rel="next"'
    return json_response(entries, headers=headers)


@openapi.operation(openapi.answer(fleet_summary.SCHEMA, "The units the filters select, counted; with its ETag.",
                                  headers={"ETag": True, fleet.PENDING_HEADER: False}, not_modified=True),
                   query=_FLEET_FILTERS)
async def _summary(request):
    """The fleet summary: units per status, fault type, severity and health-index band, for the ranking's filters."""
    values = validation.parse_query(request.query_params, _FLEET_FILTERS)
    headers = {fleet.PENDING_HEADER: "true"} if await fleet.catch_up() else {}
    return http.tagged_response(request, await fleet_summary.summary(values), headers)


_HISTORY_POINT = openapi.output("HistoryPoint", {
    "sample_id": {"type": "integer"},
    "sampled_at": {"type": "string"},
    "dga_status": _STATUS,
    "fault_type": _FAULT_TYPE,
    "severity": _SEVERITY,
    "health_index": _HEALTH_INDEX,
    "duval_point": {"anyOf": [dga.DUVAL_POINT_SCHEMA, {"type": "null"}]},
    **_PROVENANCE,
    "duval_zone": {"type": ["string", "null"], "description": "Duval Triangle 1's zone (its `result`); null when it "
                   "names none (not applicable, or below typical values although the point is drawn)."},
    "pentagon_point": {"anyOf": [dga.DUVAL_POINT_SCHEMA, {"type": "null"}], "description": "Duval Pentagon 1's point."},
    "pentagon_zone": {"type": ["string", "null"], "description": "Duval Pentagon 1's zone (its `result`)."},
})


def _history_checks(values, with_history):
    """400 when `limit`, `offset` or an export come without `history=true`: they page or export the series only."""
    given = [name for name in (*validation.PAGING, "format") if name in values]
    if given and not with_history:
        raise InvalidParametersError(
            f"Parameters 'limit', 'offset' and 'format' page or export the history series, so they need history=true; "
            f"received {' and '.join(repr(name) for name in given)} without it."
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
        **_PROVENANCE,
        "message": {"type": "string", "description": "Why there is no diagnosis, when there is none."},
        "history": {"type": "array", "items": _HISTORY_POINT, "description": "With history=true: one page of the "
                    "series, oldest first."},
    },
    "required": ["equipment", "as_of", "sample", "diagnosis", *_PROVENANCE],
    "additionalProperties": False,
}


async def _unit_row(conn, equipment_id):
    """The unit's EQUIPMENT row; 404 when there is none."""
    unit = await conn.fetch_one(_UNIT_SELECT, {"id": equipment_id})
    if unit is None:
        raise NotFoundError(f"No equipment with id {equipment_id}.")
    return unit


async def _history_export(equipment_id, at_clause, binds, chosen):
    """The unit's whole verdict series as a download; its stream opens once the unit's session is left (one slot)."""
    async with db.connect() as conn:
        unit = await _unit_row(conn, equipment_id)
    sql = f"{SAMPLES_WITH_VERDICTS}{at_clause} ORDER BY s.sampled_at"
    encoding = fleet.shaped(exports.ENCODINGS[chosen], SeriesShaper(unit))
    return await exports.response(sql, binds, encoding, POINT_FIELDS, f"diagnoses-{equipment_id}")


@openapi.operation(openapi.answer(_UNIT_ANSWER, "The unit's verdict; with history=true, a page of its series "
                                  "(or, with format=ndjson|csv, the whole series as a download).",
                                  headers={"Link": False}, exports=_HISTORY_POINT), query=_UNIT_QUERY, errors=(InvalidParametersError,))
async def _unit(request, equipment_id):
    """One unit's verdict, optionally as of a past date and with one page of its history."""
    values = validation.parse_query(request.query_params, _UNIT_QUERY)
    with_history = values.get("history") == "true"
    _history_checks(values, with_history)
    chosen = values.pop("format", None)
    limit, offset, _ = http.page_values(values)
    at_clause = " AND s.sampled_at <= :at" if "at" in values else ""
    binds = {"id": equipment_id, **({"at": values["at"]} if "at" in values else {})}
    if chosen in exports.ENCODINGS:
        exports.check_unpaged(values, validation.PAGING, chosen)
        return await _history_export(equipment_id, at_clause, binds, chosen)
    async with db.connect() as conn:
        unit = await _unit_row(conn, equipment_id)
        sample, verdict, about = await latest_verdict(conn, unit, at_clause, binds)
        window = []
        first = max(0, offset - HISTORY_DEPTH)  # a pending sample of the page needs the HISTORY_DEPTH before it
        if with_history and sample is not None:
            # However long the history, only the page is read, with the HISTORY_DEPTH samples before its first
            # (plus one row telling whether another page follows).
            window = await conn.fetch_all(f"{SAMPLES_WITH_VERDICTS}{at_clause} ORDER BY s.sampled_at",
                                          {**binds, "limit": offset - first + limit + 1, "offset": first}, paged=True)
    body = {"equipment": unit, "as_of": values.get("at"), "sample": None, "diagnosis": None, **about}
    if sample is None:
        when = f" up to {values['at']:%Y-%m-%dT%H:%M:%SZ}" if "at" in values else ""
        body["message"] = f"Equipment {equipment_id} has no complete DGA sample{when}; nothing to diagnose."
        if with_history:
            body["history"] = []
        return json_response(body)
    page, headers = http.next_page(request, window[offset - first :], limit, offset)
    body["sample"], body["diagnosis"] = sample_summary(sample), verdict
    if with_history:
        body["history"] = await asyncio.to_thread(series, unit, page, window[: offset - first])
    return json_response(body, headers=headers)


_CHANGE_STATE = openapi.output("VerdictState", {"dga_status": _STATUS, "fault_type": _FAULT_TYPE,
                                                "severity": {"enum": [*dga.SEVERITIES, None]}})
_CHANGE = openapi.output("VerdictChange", {
    "id": {"type": "integer", "minimum": 1, "description": "The change's id: the `since` of the next poll."},
    "equipment_id": http.ITEM_ID.schema(),
    "equipment_name": {"type": ["string", "null"], "description": "Null once the unit is deleted."},
    "substation_id": {"type": ["integer", "null"]},
    "changed_at": {"type": "string"},
    "sample_id": {"type": ["integer", "null"], "description": "The sample of the new verdict; null: no verdict any "
                  "more."},
    "sampled_at": {"type": ["string", "null"]},
    "engine_version": {"type": "string"},
    "previous": _CHANGE_STATE,
    "current": _CHANGE_STATE,
})


@openapi.operation(openapi.answer({"type": "array", "items": _CHANGE}, "Changes after `since`, oldest first; `Link` "
                                  "names the next poll.", headers={"Link": True}), query=_CHANGES_QUERY)
async def _changes(request):
    """The change feed: units whose latest status, fault type or severity changed, oldest first."""
    values = validation.parse_query(request.query_params, _CHANGES_QUERY)
    limit = values.get("limit", config.settings().default_page_size)
    sql, binds = change_feed.page_query(values, limit)
    async with db.connect() as conn:
        rows = await conn.fetch_all(sql, binds, paged=True)
    last = rows[-1]["id"] if rows else binds["since"]
    next_url = http.public_url(request).include_query_params(since=last, limit=limit)
    return json_response([change_feed.entry(row) for row in rows], headers={"Link": f'<{next_url}>; rel="next"'})


def _no_cross_field_rules(index, values):
    """Samples are independent: nothing spans fields or rows."""
    return []


_SUMMARY = openapi.output("VerdictSummary", {**_VERDICT_SUMMARY, "rank": {"type": ["number", "null"]}})


def _diagnose_posted(samples, summary):
    """Verdicts (or their summaries) for posted samples in one vectorized pass; runs in a worker thread."""
    columns = diagnose_samples(samples)
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
PARTS = {"changes": {"GET": _changes}, "summary": {"GET": _summary}}


@functions_framework.aio.http
async def diagnoses(request):
    """HTTP entry point of the `diagnoses` resource."""
    return await http.serve(request, "diagnoses", COLLECTION, ITEM, parts=PARTS)
