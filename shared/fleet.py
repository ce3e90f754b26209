"""The fleet ranking from stored verdicts: every unit's latest verdict, worst first, one page at a time.

The ranking reads DGA_DIAGNOSIS rows marked `is_latest` through `dga_diagnosis_ranking_ix`
(is_latest, verdict_rank DESC, equipment_id), so a page costs one index range scan of its own
length whatever the fleet's size. Only `agreement` and `action` are not summary columns: they
are read from the verdict documents once (`page_entries`) and kept per (sample id,
diagnosed_at) — a stored verdict is rewritten only with a new diagnosed_at, so what is kept
never outlives its verdict (parsing 100 documents of ~4.7 kB was most of a page's time). Units
without a latest verdict come after every ranked unit, by id, with rank -1.

Paging: `cursor` (`BY_RANK`: the last entry's rank and equipment id; -1 for the units without a
verdict) or `offset` (up to SEDA_MAX_OFFSET). An offset that passes every ranked unit counts
them once (the ranking index alone) to know where the tail starts.

Other orders (`sort`, `SORTS`: an entry field ascending, or descending with a leading `-`; the
default `-rank` is the ranking above). Each reads every unit the filters select as one query —
EQUIPMENT LEFT JOIN its latest verdict, so units without one take their place in the order —
sorted by the field, then by equipment id ascending, with the units whose field is null after
all others in either direction. Its cursor is a `Keyset` tagged with the sort (the null marker,
the field's value, the id), so a cursor given with another sort is 400 naming the sort it came
from. No index holds these orders: each page sorts the units the filters select in the database
(O(units log units)), reading each unit's latest verdict in one seek of the covering index
`dga_diagnosis_latest_ix` (migration 7); ~12 ms a page on 28,096 units (README "Fleet scale").
`q` keeps the units whose name holds it, ignoring case (LIKE with its wildcards escaped).

Pending verdicts. Samples written straight into the database (the utility's loaders) or present
before migration 4 have no stored verdict until `python -m tools.rediagnose` writes them. Before
each page `catch_up()` looks for complete samples without a verdict among the sample ids above
the highest this process has checked: ids only grow (migration 2), so every sample inserted by
any path since the last look is above that mark, and the look costs what arrived since (the first
look of a process starts above the highest sample id that has a stored verdict, both found in
the primary keys, so a cold instance pays nothing for it; a store emptied by a migration starts at
0). Up to `SEDA_MAX_INLINE_DIAGNOSES` of them are
diagnosed and written through `verdict_store.refresh` in a short transaction of their own, so the
page ranks them where they belong and every later request finds them stored; when more are
pending, the rest wait for later requests (the response says `X-Verdicts-Pending: true`, and a
log line points at `tools.rediagnose`). What this cannot see, `tools.rediagnose` (or the
`diagnose_pending` target) repairs: a sample whose gases a loader changed in place; a sample a
loader wrote below the starting point (before a later API write, unseen by a process started
after both); on Oracle, an id that committed after a higher one had been checked (identity
values of concurrent transactions commit out of order). While a unit's newest complete sample is
pending, the unit ranks by what is stored: a unit with no stored verdict at all ranks last, as
units without a verdict, its `action` saying "Diagnosis pending"; a unit with a stored verdict
on an earlier sample keeps that verdict's rank and entry, unflagged (`stale` speaks of the
engine only), its `sample_id` and `sampled_at` naming the earlier sample. A catch-up the
database cannot take now (busy, full, read-only, lock wait) is skipped with a warning and the
page answers `X-Verdicts-Pending: true` (`catch_up`).
"""

import asyncio
import dataclasses
import datetime
import weakref

from shared import config, context, cursors, db, dga, exports, jsonio, verdict_store
from shared.errors import ApiError, DatabaseUnavailableError, InvalidParametersError, from_database_error

NO_VERDICT_RANK = -1.0
PENDING_HEADER = "X-Verdicts-Pending"
# The ranking's order, unique as a whole; the tail (no verdict) continues it with rank -1.
BY_RANK = cursors.Keyset(cursors.Column("d.verdict_rank", "number", descending=True),
                         cursors.Column("d.equipment_id", "integer"))
ENTRY_FIELDS = (
    "equipment_id", "equipment_name", "substation_id", "kind", "equipment_status", "sample_id", "sampled_at",
    "dga_status", "fault_present", "fault_type", "agreement", "severity", "health_index", "rank", "action",
    "engine_version", "diagnosed_at", "stale",
)
_UNIT_COLUMNS = ("e.id AS equipment_id, e.name AS equipment_name, e.substation_id, e.kind, "
                 "e.status AS equipment_status")
_VERDICT_COLUMNS = ("d.sample_id, d.sampled_at, d.dga_status, d.fault_present, d.fault_type, d.severity, "
                    "d.health_index, d.verdict_rank, d.engine_version, d.fingerprint, d.diagnosed_at")
_FROM_LATEST = "FROM dga_diagnosis d JOIN equipment e ON e.id = d.equipment_id WHERE d.is_latest = 1"
# A page reads the summary columns only; `agreement` and `action` come from the verdict documents (`parts_of`).
_RANKED = f"SELECT {_UNIT_COLUMNS}, {_VERDICT_COLUMNS} {_FROM_LATEST}"
_EXPORTED = f"SELECT {_UNIT_COLUMNS}, {_VERDICT_COLUMNS}, d.verdict {_FROM_LATEST}"
_DOCUMENT_IDS = db.FixedInList("s", 100)
_DOCUMENTS = f"SELECT sample_id, diagnosed_at, verdict FROM dga_diagnosis WHERE sample_id IN ({_DOCUMENT_IDS.sql})"
# What a page takes from the verdict documents, kept per (sample id, diagnosed_at): a stored verdict is
# rewritten only with a new diagnosed_at, so an entry never goes out of date; the oldest go first.
PARTS_CACHED = 50_000
PAGE_READS = 3  # a page read again when verdicts change under it; a writer overtaking each read is a 503
_RANKED_COUNT = f"SELECT COUNT(*) AS ranked {_FROM_LATEST}"
_HAS_COMPLETE_SAMPLE = (f"EXISTS (SELECT 1 FROM dga_sample s WHERE s.equipment_id = e.id AND "
                        f"{verdict_store.COMPLETE})")
# Units without a latest verdict; `sampled` tells a pending unit from one without a complete sample.
_TAIL = (
    f"SELECT {_UNIT_COLUMNS}, CASE WHEN {_HAS_COMPLETE_SAMPLE} THEN 1 ELSE 0 END AS sampled FROM equipment e "
    "WHERE e.id NOT IN (SELECT d.equipment_id FROM dga_diagnosis d WHERE d.is_latest = 1)"
)
# Every unit with its latest verdict, if any (d.* null without one): what the other sorts and the summary read.
UNITS = "FROM equipment e LEFT JOIN dga_diagnosis d ON d.equipment_id = e.id AND d.is_latest = 1"
_SORTED = (f"SELECT {_UNIT_COLUMNS}, {_VERDICT_COLUMNS}, CASE WHEN d.sample_id IS NULL AND {_HAS_COMPLETE_SAMPLE} "
           "THEN 1 ELSE 0 END AS sampled")
_BY_SUBSTATION = "e.substation_id = :p_substation_id"
# `q`: a case-insensitive substring of the name; LOWER on both sides, so each database folds case its own way.
_LIKE_ESCAPE = "\\"
_BY_NAME = f"LOWER(e.name) LIKE LOWER(:p_q) ESCAPE '{_LIKE_ESCAPE}'"
_TOP_SAMPLE = "SELECT MAX(id) AS top FROM dga_sample"
_TOP_VERDICT = "SELECT MAX(sample_id) AS top FROM dga_diagnosis"
_PENDING = (
    "SELECT s.id, s.equipment_id, s.sampled_at FROM dga_sample s WHERE s.id > :checked AND s.id <= :top "
    f"AND {verdict_store.COMPLETE} AND NOT EXISTS (SELECT 1 FROM dga_diagnosis d WHERE d.sample_id = s.id) ORDER BY s.id"
)
# The statuses of a failed catch-up that leave the page to be served without it: the database cannot write now.
_CATCH_UP_CAN_WAIT = frozenset({429, 503, 504})
NO_SAMPLE_ACTION = "No complete DGA sample: take one."
PENDING_ACTION = "Diagnosis pending: the unit's latest complete sample has no stored verdict yet."


@dataclasses.dataclass(frozen=True)
class SortField:
    """An entry field `sort` may name: the SQL of its value (as the entry shows it), its cursor kind, and whether it
    can be null (the units without a value then follow all others, in either direction)."""

    value: str
    kind: str
    nullable: bool = False

    def keyset(self, sort, descending):
        """The order of `sort` as a keyset tagged with it: [null marker,] value, equipment id (ascending)."""
        if not self.nullable:
            return cursors.Keyset(cursors.Column(self.value, self.kind, descending), _BY_ID, tag=sort)
        return cursors.Keyset(cursors.Column(f"CASE WHEN {self.value} IS NULL THEN 1 ELSE 0 END", "integer"),
                              cursors.Column(f"COALESCE({self.value}, {_NULL_STANDS_IN[self.kind]})", self.kind,
                                             descending), _BY_ID, tag=sort)


_BY_ID = cursors.Column("e.id", "integer")
# What a null value compares as in the key (never its order: the null marker before it decides); Oracle reads '' as
# NULL, and a timestamp stands in as a bind, which each dialect writes its own way.
_NULL_STANDS_IN = {"number": "0", "integer": "0", "text": "'-'", "timestamp": ":p_no_time"}
_NO_TIME = {"p_no_time": datetime.datetime(1900, 1, 1, tzinfo=datetime.timezone.utc)}
_SEVERITY_ORDER = ("CASE COALESCE(d.severity, 'unknown') "
                   + " ".join(f"WHEN '{severity}' THEN {position}" for position, severity in enumerate(dga.SEVERITIES))
                   + " END")
SORT_FIELDS = {
    "rank": SortField(f"COALESCE(d.verdict_rank, {NO_VERDICT_RANK})", "number"),
    "name": SortField("e.name", "text"),
    # By the substation's name, as an operator reads it (its id orders nothing a person sees); a seek per unit.
    "substation": SortField("(SELECT st.name FROM substation st WHERE st.id = e.substation_id)", "text"),
    "kind": SortField("e.kind", "text"),
    "status": SortField("d.dga_status", "integer", nullable=True),
    "fault_type": SortField("d.fault_type", "text", nullable=True),
    "severity": SortField(_SEVERITY_ORDER, "integer"),  # in the order of dga.SEVERITIES; `unknown` without a verdict
    "health_index": SortField("d.health_index", "number", nullable=True),
    "sampled_at": SortField("d.sampled_at", "timestamp", nullable=True),
}
DEFAULT_SORT = "-rank"  # the ranking, worst first, read through its index
SORT_MEANING = (f"An entry field, ascending, or descending with a leading '-' (default {DEFAULT_SORT}: worst first); "
                "ties go by equipment id, and units without a value come last either way.")
SORTS = tuple(f"{direction}{field}" for field in SORT_FIELDS for direction in ("", "-"))
_KEYSETS = {sort: SORT_FIELDS[sort.lstrip("-")].keyset(sort, sort.startswith("-")) for sort in SORTS}
_KEYSETS[DEFAULT_SORT] = BY_RANK  # read in two parts, the ranked units then the rest (module docstring)


def sort_of(values):
    """The `sort` asked for, or the default."""
    return values.get("sort", DEFAULT_SORT)


def cursor_position(values):
    """`values["cursor"]` decoded for the request's sort; 400 naming the sort it was made for when it is another's."""
    sort, raw = sort_of(values), values["cursor"]
    try:
        return _KEYSETS[sort].decode(raw)
    except InvalidParametersError:
        made_for = next((other for other, keyset in _KEYSETS.items() if other != sort and _decodes(keyset, raw)), None)
        if made_for is None:
            raise
        raise InvalidParametersError(
            f"Parameter 'cursor' continues the order sort={made_for}, but this request asks for sort={sort}. Follow "
            f"the Link rel=\"next\" URL of a page with sort={sort}, or start again without 'cursor'."
        ) from None


def _decodes(keyset, raw):
    """True when `raw` is a cursor of `keyset`."""
    try:
        keyset.decode(raw)
    except InvalidParametersError:
        return False
    return True


def _sort_keys(keyset):
    """The keyset's columns as SELECT items `sort_key_<n>`, so a row gives the cursor after it."""
    return ", ".join(f"{column.name} AS sort_key_{position}" for position, column in enumerate(keyset.columns))


def _cursor_after(keyset, row):
    """The cursor after a row of a sorted query."""
    return keyset.encode({column.name: row[f"sort_key_{position}"] for position, column in enumerate(keyset.columns)})


def _sorted_query(values, keyset, extra_columns=""):
    """The SQL and binds of every unit the filters select in the order of `keyset`, after `values["cursor"]`."""
    conditions, binds = ranking_filters(values)
    if "cursor" in values:
        condition, key_binds = keyset.after(values["cursor"])
        conditions.append(condition)
        binds.update(key_binds)
    if ":p_no_time" in keyset.order_by():
        binds.update(_NO_TIME)
    sql = f"{_SORTED}{extra_columns}, {_sort_keys(keyset)} {UNITS}{where(conditions)} ORDER BY {keyset.order_by()}"
    return sql, binds


# Per database (tests switch them): the highest sample id this process has looked for pending verdicts up to,
# and the parts of verdict documents read (sample id, diagnosed_at) -> (agreement, action).
_checked_through = weakref.WeakKeyDictionary()
_parts_read = weakref.WeakKeyDictionary()


def _unit_filters(values):
    """The conditions and binds of the filters on the unit itself (its substation, its name)."""
    conditions, binds = [], {}
    if "substation_id" in values:
        conditions.append(_BY_SUBSTATION)
        binds["p_substation_id"] = values["substation_id"]
    if "q" in values:
        conditions.append(_BY_NAME)
        binds["p_q"] = f"%{like_escaped(values['q'])}%"
    return conditions, binds


def like_escaped(text):
    """`text` matching only itself in a LIKE pattern with ESCAPE '\\': its `\\`, `%` and `_` escaped."""
    for special in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, _LIKE_ESCAPE + special)
    return text


def ranking_filters(values):
    """The conditions (after `d.is_latest = 1`, or on `UNITS`) and binds of the ranking's filters in `values`."""
    conditions, binds = _unit_filters(values)
    if "status" in values:
        conditions.append("d.dga_status = :p_status")
        binds["p_status"] = int(values["status"])
    if values.get("fault") == "none":
        conditions.append("d.fault_present = 0")
    elif "fault" in values:
        conditions.append("d.fault_type = :p_fault")
        binds["p_fault"] = values["fault"]
    return conditions, binds


def _and(conditions):
    """`conditions` as ` AND …` to follow a WHERE clause."""
    return "".join(f" AND {condition}" for condition in conditions)


def where(conditions):
    """`conditions` as a WHERE clause; nothing when there are none."""
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def ranking_entry(row, parts=None, pending=False):
    """One entry of the ranking: a row of `_RANKED` with the (agreement, action) of its verdict document, or of
    `_TAIL` (no verdict; `pending` when the unit has a complete sample)."""
    entry = {
        **{name: row[name] for name in ENTRY_FIELDS[:5]},
        "sample_id": None, "sampled_at": None, "dga_status": None, "fault_present": None, "fault_type": None,
        "agreement": None, "severity": "unknown", "health_index": None, "rank": NO_VERDICT_RANK,
        "action": PENDING_ACTION if pending else NO_SAMPLE_ACTION,
        "engine_version": None, "diagnosed_at": None, "stale": False,
    }
    if parts is None:
        return entry
    present = row["fault_present"]
    entry.update(
        sample_id=row["sample_id"], sampled_at=row["sampled_at"], dga_status=row["dga_status"],
        fault_present=None if present is None else bool(present), fault_type=row["fault_type"],
        agreement=parts[0], severity=row["severity"], health_index=row["health_index"], rank=row["verdict_rank"],
        action=parts[1], **provenance(row),
    )
    return entry


def provenance(stored):
    """What a stored verdict says of itself: `engine_version`, `diagnosed_at`, and `stale` (another fingerprint)."""
    return {"engine_version": stored["engine_version"], "diagnosed_at": stored["diagnosed_at"],
            "stale": stored["fingerprint"] != verdict_store.fingerprint()}


def parts_of(document):
    """What the ranking shows of a verdict document besides its summary columns: (agreement, action)."""
    verdict = jsonio.loads(document)
    return verdict["fault"]["agreement"], verdict["action"]


def _is_ranked(row):
    """True for a row with a verdict (of `_RANKED`, or of `_SORTED` with one), False for one of `_TAIL` or
    `_SORTED` without."""
    return row.get("verdict_rank") is not None


def _entry(row, parts):
    """The entry of a row of `_RANKED` (with its document's parts) or of `_TAIL`."""
    return ranking_entry(row, parts) if _is_ranked(row) else ranking_entry(row, pending=bool(row["sampled"]))


def entries_of(rows):
    """Ranking entries of rows of `_EXPORTED` or `_TAIL` (runs in a worker thread: it parses verdict documents)."""
    return [_entry(row, parts_of(row["verdict"]) if _is_ranked(row) else None) for row in rows]


async def page_entries(rows):
    """Ranking entries of rows of `_RANKED` or `_TAIL`, reading the verdict documents not read before; None when a
    row's verdict was rewritten or deleted after the ranking was read (its document is not the row's any more)."""
    cache = _parts_read.setdefault(db.database(), {})
    keys = {(row["sample_id"], row["diagnosed_at"]) for row in rows if _is_ranked(row)}
    parts = {key: cache[key] for key in keys if key in cache}
    missing = sorted({sample_id for sample_id, _ in keys - parts.keys()})
    if missing:
        read = await _read_parts(missing)
        parts.update((key, value) for key, value in read.items() if key in keys)
        cache.update(read)
        while len(cache) > PARTS_CACHED:
            del cache[next(iter(cache))]  # dicts keep insertion order: the oldest first (this page's are in `parts`)
    if keys - parts.keys():
        return None
    return [_entry(row, parts[(row["sample_id"], row["diagnosed_at"])] if _is_ranked(row) else None) for row in rows]


async def _read_parts(sample_ids):
    """(sample id, diagnosed_at) -> (agreement, action) of the stored verdicts of `sample_ids`, read now."""
    documents = []
    async with db.connect() as conn:
        for binds in _DOCUMENT_IDS.chunks(sample_ids):
            documents.extend(await conn.fetch_all(_DOCUMENTS, binds))
    parsed = await asyncio.to_thread(lambda: [parts_of(document["verdict"]) for document in documents])
    return {(document["sample_id"], document["diagnosed_at"]): parts for document, parts in zip(documents, parsed)}


async def page(values, limit):
    """One page of the ranking in the order `sort` asks for: (its entries, the cursor of the next page or None).

    `values["cursor"]`, when given, is decoded (`cursor_position`). A verdict rewritten or
    deleted between the ranking's read and its document's makes the page read again (its rows
    then show the verdicts as they are now); a unit is never shown as without a verdict because
    of that race.
    """
    keyset = _KEYSETS[sort_of(values)]
    for _ in range(PAGE_READS):
        rows = await (page_rows(values, limit) if keyset is BY_RANK else _sorted_rows(values, keyset, limit))
        entries = await page_entries(rows[:limit])  # a row more only says that a next page follows
        if entries is None:
            continue
        if len(rows) <= limit:
            return entries, None
        return entries, next_cursor(entries[-1]) if keyset is BY_RANK else _cursor_after(keyset, rows[limit - 1])
    raise DatabaseUnavailableError(
        "The ranking's verdicts were rewritten while the page was read, again and again; retry in a moment."
    )


async def _sorted_rows(values, keyset, limit):
    """Up to limit+1 rows of `_SORTED` in the order of `keyset`, after the cursor or from the offset."""
    sql, binds = _sorted_query(values, keyset)
    async with db.connect() as conn:
        return await conn.fetch_all(sql, {**binds, "limit": limit + 1, "offset": values.get("offset", 0)}, paged=True)


def next_cursor(entry):
    """The `cursor` after an entry of the ranking (BY_RANK)."""
    return BY_RANK.encode({"d.verdict_rank": entry["rank"], "d.equipment_id": entry["equipment_id"]})


def has_tail(values):
    """Units without a verdict match no status or fault filter: only the whole ranking (or a substation's) lists them."""
    return "status" not in values and "fault" not in values


async def page_rows(values, limit):
    """Up to limit+1 rows of `_RANKED` then `_TAIL`, from `values["cursor"]` or `values["offset"]`."""
    cursor, offset = values.get("cursor"), values.get("offset", 0)
    in_ranking = cursor is None or cursor[0] > NO_VERDICT_RANK
    async with db.connect() as conn:
        rows = await _ranked_rows(conn, values, cursor, offset, limit + 1) if in_ranking else []
        if len(rows) > limit or not has_tail(values):
            return rows
        tail_offset = 0
        if cursor is None and offset and not rows:  # the offset lies past every ranked unit
            conditions, binds = ranking_filters(values)
            ranked = (await conn.fetch_one(f"{_RANKED_COUNT}{_and(conditions)}", binds))["ranked"]
            tail_offset = offset - ranked
        after_id = None if in_ranking else cursor[1]
        return rows + await _tail_rows(conn, values, after_id, tail_offset, limit + 1 - len(rows))


async def _ranked_rows(conn, values, cursor, offset, count):
    """`count` ranked rows after `cursor` (decoded) or from `offset`.

    After a cursor the rows tied with it on rank are read first, then the lower ranks: two index
    seeks (`cursors.Keyset.steps`), so a page deep among thousands of equal ranks costs a page.
    """
    conditions, binds = ranking_filters(values)
    if cursor is None:
        return await _ranked_query(conn, conditions, binds, offset, count)
    steps, key_binds = BY_RANK.steps(cursor)
    rows = []
    for step in steps:
        rows += await _ranked_query(conn, [*conditions, step], {**binds, **key_binds}, 0, count - len(rows))
        if len(rows) == count:
            break
    return rows


async def _ranked_query(conn, conditions, binds, offset, count):
    """`count` ranked rows meeting `conditions`, from `offset`, worst first."""
    return await conn.fetch_all(f"{_RANKED}{_and(conditions)} ORDER BY {BY_RANK.order_by()}",
                                {**binds, "limit": count, "offset": offset}, paged=True)


async def _tail_rows(conn, values, after_id, offset, count):
    """`count` units without a verdict, by id, after `after_id` or from `offset`."""
    conditions, binds = _unit_filters(values)
    if after_id is not None:
        conditions.append("e.id > :after_id")
        binds["after_id"] = after_id
    return await conn.fetch_all(f"{_TAIL}{_and(conditions)} ORDER BY e.id",
                                {**binds, "limit": count, "offset": offset}, paged=True)


def export_query(values):
    """The SQL and binds of every ranked unit the filters select, worst first (the export; the tail follows)."""
    conditions, binds = ranking_filters(values)
    return f"{_EXPORTED}{_and(conditions)} ORDER BY {BY_RANK.order_by()}", binds


def tail_query(values):
    """The SQL and binds of the units without a verdict that the filters select, by id; None when none can match."""
    if not has_tail(values):
        return None
    conditions, binds = _unit_filters(values)
    return f"{_TAIL}{_and(conditions)} ORDER BY e.id", binds


def shaped(encoding, shape):
    """`encoding` writing `shape(rows)` instead of the rows the query gives."""
    return exports.Encoding(encoding.media_type, encoding.extension,
                            lambda rows, columns: encoding.rows(shape(rows), columns), encoding.head)


async def export(values, encoding):
    """The whole ranking the filters select, streamed: the ranked units, then (unfiltered) those without a verdict.

    The ranked part streams from the database; the units without a verdict (normally the few
    without a complete sample) are read after it in one query.
    """
    keyset = _KEYSETS[sort_of(values)]
    if keyset is not BY_RANK:  # one query, units without a verdict in their place
        sql, binds = _sorted_query(values, keyset, extra_columns=", d.verdict")
        return await exports.response(sql, binds, shaped(encoding, entries_of), ENTRY_FIELDS, "diagnoses")
    sql, binds = export_query(values)
    tail = tail_query(values)

    async def units_without_verdict():
        async with db.connect() as conn:
            return await conn.fetch_all(*tail, large=True)

    response = await exports.response(sql, binds, shaped(encoding, entries_of), ENTRY_FIELDS, "diagnoses")
    if tail is not None:
        response.body_iterator = _followed_by(response.body_iterator, units_without_verdict, encoding)
    return response


async def _followed_by(chunks, read_rows, encoding):
    """`chunks`, then the rows `read_rows()` gives written as entries."""
    async for chunk in chunks:
        yield chunk
    rows = await read_rows()
    if rows:
        yield await asyncio.to_thread(encoding.rows, entries_of(rows), ENTRY_FIELDS)


async def catch_up():
    """Diagnose and store up to SEDA_MAX_INLINE_DIAGNOSES pending samples (module docstring); True when more wait.

    A catch-up the database cannot take now (busy with another writer, full, read-only, a lock
    wait past the statement timeout, no session free) is logged and skipped: the page is served
    from what is stored, saying verdicts are pending, and a later request tries again.
    """
    try:
        return await _store_pending()
    except Exception as exc:
        error = exc if isinstance(exc, ApiError) else from_database_error(exc)
        if error.status not in _CATCH_UP_CAN_WAIT:
            raise
        context.logger.warning(f"pending verdicts not stored now ({error.name()}: {error.message}); the fleet "
                               "ranking is served without them", exc_info=exc)
        return True


async def _store_pending():
    """The catch-up itself (see `catch_up`)."""
    cap = config.settings().max_inline_diagnoses
    if cap == 0:
        return False
    database = db.database()
    async with db.connect() as conn:
        if database not in _checked_through:  # where this process starts looking
            _checked_through[database] = (await conn.fetch_one(_TOP_VERDICT))["top"] or 0
        checked = _checked_through[database]
        top = (await conn.fetch_one(_TOP_SAMPLE))["top"] or 0
        if top <= checked:
            return False
        pending = await conn.fetch_all(
            _PENDING, {"checked": checked, "top": top, "limit": cap + 1, "offset": 0}, paged=True, large=True
        )
    handled, more = pending[:cap], len(pending) > cap
    if handled:
        changes = {}
        for sample in handled:
            changes.setdefault(sample["equipment_id"], set()).add(sample["sampled_at"])
        async with db.transaction() as tx:
            written = await verdict_store.refresh(tx, changes)
        context.logger.info(f"stored {len(written.upserts)} pending verdicts of {len(changes)} units inline")
    if more:
        context.logger.warning(
            f"more than {cap} DGA samples have no stored verdict (SEDA_MAX_INLINE_DIAGNOSES); the fleet ranking "
            "stores that many per request: run python -m tools.rediagnose to catch up at once"
        )
    _checked_through[database] = max(_checked_through.get(database, 0), handled[-1]["id"] if more else top)
    return more
