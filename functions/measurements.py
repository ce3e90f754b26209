"""`measurements` — dissolved-gas-analysis (DGA) samples, gases in ppm.

GET /api/v1/measurements[?equipment_id=&from=&to=&limit=&offset=|cursor=] → array ordered by
equipment and sampling time (`from`/`to` inclusive, ISO 8601, UTC when no zone is given); the
    `Link` next URL carries a `cursor` (keyset paging: any depth costs what the first page does),
    `offset` is accepted up to `SEDA_MAX_OFFSET`, and not together with `cursor`;
GET /api/v1/measurements?format=ndjson|csv[&equipment_id=&from=&to=] → the whole filtered result
    as a streamed download (`shared/exports.py`), unpaged; `format=json` is the paged JSON;
GET /api/v1/measurements/<id> → one object with its `ETag` (304 for a matching If-None-Match) or 404;
    both GETs answer CSV instead (the same columns, a header row, paged alike; no ETag) when
    `Accept` prefers `text/csv`, and 406 when it allows neither JSON nor CSV (`shared/csvout.py`);
POST /api/v1/measurements, a JSON array of samples or CSV (`text/csv`) whose header row names
    the same fields → 200 `{"received", "inserted", "updated"}`. Every row is validated first and
    the batch is written whole or not at all, in one transaction; a sample whose
    (equipment_id, sampled_at) is stored already is replaced, not duplicated. Each sample needs
    at least one gas, and a batch may hold a unit and time only once. 400 lists every bad row
    (index, CSV line, reasons); 409 lists the rows whose unit does not exist; 413 above
    `SEDA_MAX_BATCH_ROWS` rows or `SEDA_MAX_BODY_BYTES`; 415 for another Content-Type;
DELETE /api/v1/measurements/<id> → 204 (a wrong lab row); `If-Match`, when sent, must match (412).
Each write also rewrites, in its transaction, the stored verdicts it changes (`shared/verdict_store.py`):
those of the samples written or deleted and of the later samples whose history window they are in.
POST needs an API key with the `ingest` scope, DELETE one with `admin` (401 without a valid key, 403
without the scope); both are recorded in the audit trail (`shared/audit.py`).
Tables: DGA_SAMPLE; EQUIPMENT (must exist); DGA_DIAGNOSIS, DGA_CHANGE; AUDIT_LOG.
"""

import asyncio

import functions_framework.aio

from shared import audit, auth, bodies, csvout, cursors, db, exports, http, openapi, validation, verdict_refresh
from shared.errors import ConflictError, InvalidParametersError
from shared.jsonio import json_response
from shared.schema import SAMPLE_GASES

_COLUMNS = ("equipment_id", "sampled_at", *SAMPLE_GASES, "lab")
_SHOWN = ("id", *_COLUMNS)
_SELECT = f"SELECT {', '.join(_SHOWN)} FROM dga_sample"
_FILTERS = {
    "equipment_id": "equipment_id = :p_equipment_id",
    "from": "sampled_at >= :p_from",
    "to": "sampled_at <= :p_to",
}
# The collection's order, unique as a whole (DGA_SAMPLE_UK), which the `cursor` of a next-page link follows.
BY_UNIT_AND_TIME = cursors.Keyset(cursors.Column("equipment_id", "integer"), cursors.Column("sampled_at", "timestamp"))
_PAGING = validation.keyset_paging(BY_UNIT_AND_TIME.parser())
_QUERY = {
    **_PAGING,
    "equipment_id": validation.integer(1),
    "from": validation.timestamp,
    "to": validation.timestamp,
    "format": validation.choice(exports.FORMATS),
}
FIELDS = {
    "equipment_id": bodies.Field("integer", required=True, minimum=1),
    "sampled_at": bodies.Field("timestamp", required=True),
    **{gas: bodies.Field("number", maximum=1_000_000) for gas in SAMPLE_GASES},  # ppm: a million is all of it
    "lab": bodies.Field("text"),
}
_ROW = openapi.row_schema("Measurement", FIELDS)
_BODY_TYPES = (bodies.JSON, bodies.CSV)
_INGESTED = {
    "title": "IngestResult",
    "type": "object",
    "properties": {name: {"type": "integer", "minimum": 0, "description": description} for name, description in (
        ("received", "Samples in the body."),
        ("inserted", "Samples that were new."),
        ("updated", "Samples whose unit and time were stored already, now replaced."),
    )},
    "required": ["received", "inserted", "updated"],
    "additionalProperties": False,
}
_GAS_LIST = ", ".join(SAMPLE_GASES)
_UPSERT = db.Upsert("dga_sample", ("equipment_id", "sampled_at"), _COLUMNS)
# One row per stored sample of the unit within the time window, or one row with a null time
# when it has none there; no row at all means the unit does not exist.
_UNIT_SAMPLES = (
    "SELECT e.id, s.sampled_at FROM equipment e LEFT JOIN dga_sample s "
    "ON s.equipment_id = e.id AND s.sampled_at BETWEEN :earliest AND :latest WHERE e.id = :equipment_id"
)
_DELETE = "DELETE FROM dga_sample WHERE id = :id"


@openapi.operation(openapi.page(_ROW, csv=True, exports=True), query=_QUERY, errors=(InvalidParametersError,))
async def _list(request):
    """DGA samples of one unit or the fleet, within an optional time range: a page as JSON or CSV, or an export."""
    values = validation.parse_query(request.query_params, _QUERY)
    validation.check_range(values)
    chosen = values.pop("format", None)
    if chosen in exports.ENCODINGS:
        return csvout.varied(await _export(values, chosen))
    # An explicit format=json is JSON whatever Accept says; without `format`, Accept chooses JSON or CSV.
    render = csvout.negotiate(request, _SHOWN) if chosen is None else None
    response = await http.keyset_page(request, _SELECT, _FILTERS, values, BY_UNIT_AND_TIME, render)
    return csvout.varied(response)


async def _export(values, chosen):
    """Every sample the filters select, streamed as NDJSON or CSV (`shared/exports.py`), unpaged."""
    exports.check_unpaged(values, _PAGING, chosen)
    clause, binds = db.where(_FILTERS, values)
    sql = f"{_SELECT}{clause} ORDER BY {BY_UNIT_AND_TIME.order_by()}"
    return await exports.response(sql, binds, exports.ENCODINGS[chosen], _SHOWN, "measurements")


@openapi.operation(openapi.item(_ROW, csv=True))
async def _get(request, sample_id):
    """One DGA sample by id, as JSON or CSV."""
    render = csvout.negotiate(request, _SHOWN)
    return csvout.varied(await http.get_one(request, _SELECT, sample_id, "measurement", render))


@auth.requires("ingest")
@openapi.operation(
    openapi.answer(_INGESTED, "The batch was written whole: how many samples were new and how many replaced."),
    body=openapi.Body(FIELDS, "NewMeasurement", _BODY_TYPES, json="batch", example=[
        {"equipment_id": 1, "sampled_at": "2024-05-01T09:30:00+09:00", "h2": 12.0, "ch4": 3.5, "c2h6": 1.2,
         "c2h4": 0.8, "c2h2": 0.0, "co": 250.0, "co2": 2100.0, "o2": 15000.0, "n2": 50000.0, "lab": "Daejeon"},
    ]),
    errors=(ConflictError,),
    # The samples just written, read back by the first one's unit and time.
    links={"written": (_list, {"query.equipment_id": "$request.body#/0/equipment_id",
                               "query.from": "$request.body#/0/sampled_at"})},
)
async def _ingest(request):
    """Insert or update a batch of samples, all or nothing, and say how many of each."""
    validation.parse_query(request.query_params, {})
    body = await bodies.read(request, _BODY_TYPES)
    # 10,000 rows take ~0.1 s of CPU to check: a thread lets the loop go on serving reads meanwhile.
    samples = await asyncio.to_thread(bodies.batch_values, body, FIELDS, "samples", _batch_rules())
    async with db.transaction() as tx:
        counts = await write_samples(tx, samples)
        units = list({sample["equipment_id"] for sample in samples})
        await audit.record(tx, request, "measurements", {"equipment_id": units}, **counts)
    return json_response({"received": len(samples), **counts})


@auth.requires("admin")
@openapi.operation(openapi.no_content("Deleted."), if_match="optional")
async def _delete(request, sample_id):
    """Remove one sample."""
    validation.parse_query(request.query_params, {})
    async with db.transaction() as tx:
        row = await http.locked_row(tx, request, _SELECT, sample_id, "measurement", if_match_required=False)
        await tx.execute(_DELETE, {"id": sample_id})
        await verdict_refresh.refresh(tx, {row["equipment_id"]: {row["sampled_at"]}})
        ids = {"id": [sample_id], "equipment_id": [row["equipment_id"]]}
        await audit.record(tx, request, "measurements", ids, deleted=1)
    return http.no_content()


async def write_samples(tx, samples):
    """Insert or update `samples` (valid rows) inside `tx`, and rewrite the stored verdicts they change;
    `{"inserted", "updated"}`, 409 for units that do not exist. `tools.load` writes CSV files' samples by it too."""
    # 10,000 samples take milliseconds of CPU to group: done in a thread, so the loop goes on serving.
    changed_times = await asyncio.to_thread(_times_by_unit, samples)
    stored = await _stored_count(tx, samples, changed_times)
    await tx.execute_many(_UPSERT, samples)
    await verdict_refresh.refresh(tx, changed_times)
    return {"inserted": len(samples) - stored, "updated": stored}


def _batch_rules():
    """The rules beyond single fields: a sample gives a gas, and a batch holds a unit and time once."""
    first_row = {}

    def problems(index, sample):
        found = sample_problems(sample)
        key = (sample["equipment_id"], sample["sampled_at"])
        if first_row.setdefault(key, index) != index:
            found.append(
                bodies.problem(
                    "sampled_at",
                    f"Row {first_row[key]} already holds a sample of equipment {key[0]} at this time; send each once.",
                )
            )
        return found

    return problems


def sample_problems(sample):
    """What is wrong with a sample whose fields are each valid (`tools.load` checks CSV files by it too)."""
    if all(sample[gas] is None for gas in SAMPLE_GASES):
        return [bodies.problem(None, f"The sample has no gas value; give one or more of {_GAS_LIST}.")]
    return []


def _times_by_unit(samples):
    """The sampling times of each unit among `samples`, as naive UTC (stored times read back that way)."""
    times_by_unit = {}
    for sample in samples:
        times_by_unit.setdefault(sample["equipment_id"], set()).add(sample["sampled_at"].replace(tzinfo=None))
    return times_by_unit


async def _stored_count(tx, samples, times_by_unit):
    """How many of the samples (`times_by_unit`: their times by unit) are stored already, inside the writing
    transaction; 409 for units that do not exist."""
    stored, unknown = 0, set()
    for unit, times in times_by_unit.items():
        rows = await tx.fetch_all(_UNIT_SAMPLES, {"equipment_id": unit, "earliest": min(times), "latest": max(times)})
        if not rows:
            unknown.add(unit)
        stored += len(times & {row["sampled_at"] for row in rows})
    if unknown:
        raise _unknown_units(samples, unknown)
    return stored


def _unknown_units(samples, unknown):
    """409 naming the units that do not exist and listing the rows that name them."""
    details = [
        {"index": index, "errors": [bodies.problem("equipment_id", f"No equipment has the id {unit}.")]}
        for index, unit in enumerate(sample["equipment_id"] for sample in samples)
        if unit in unknown
    ]
    return ConflictError(
        f"No equipment has the id {', '.join(map(str, sorted(unknown)))}, so nothing was written; correct the "
        "equipment_id of the rows listed in `details`, or create the equipment first.",
        details=details,
    )


COLLECTION = {"GET": _list, "POST": _ingest}
ITEM = {"GET": _get, "DELETE": _delete}


@functions_framework.aio.http
async def measurements(request):
    """HTTP entry point of the `measurements` resource."""
    return await http.serve(request, "measurements", COLLECTION, ITEM)
