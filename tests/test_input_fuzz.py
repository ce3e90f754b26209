"""Property-based fuzzing of every query parameter, path id and body field of every endpoint.

Values range over the whole of Unicode — control, format, whitespace and private-use
characters, lone surrogates (sent percent-encoded in URLs, as the raw bytes %ED%A0%80),
other scripts' digits, very long values — mixed with valid values and valid values with one
hostile character inserted, so that requests reach every layer and not only the first check.
Bodies are JSON (any JSON value in any field, written with or without escapes) and CSV (any
header and cells, any declared charset).

Every answer must hold: never a 5xx; every answer of 400 or more is the documented error
body (exactly status, error, message, request_id and an optional details; status equal to
the HTTP status; request_id equal to the X-Request-ID header); and a refused write changed
no row of any table. The parameter and field names come from the handlers' own tables, so
a new one is fuzzed as soon as it exists.

Runs in the normal test run (about twenty seconds); derandomized so that CI sees the same
examples each time. `FUZZ_EXPLORE=1` draws fresh random examples, ten times as many.
"""

import csv
import datetime
import io
import json
import os
import string
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import table_snapshot
from contract import error_body
from functions import application, diagnoses, equipment, measurements, substations
from shared import bodies, dga, fleet
from shared.schema import EQUIPMENT_KINDS, EQUIPMENT_STATUSES

_EXPLORE = os.environ.get("FUZZ_EXPLORE") == "1"


def fuzz_settings(examples):
    """Hypothesis settings for a fuzz test of `examples` requests (ten times as many when exploring)."""
    return settings(
        max_examples=examples * (10 if _EXPLORE else 1),
        deadline=None,
        derandomize=not _EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---- hostile text ----------------------------------------------------------------------------

SPECIAL_CHARACTERS = (
    [chr(code_point) for code_point in [*range(0x20), *range(0x7F, 0xA0)]]  # Unicode category Cc
    + list("\u200b\u200d\u2028\u2029\u202e\u2066\ufeff\u00ad")  # format characters, separators
    + list("\u00a0\u1680\u2007\u3000")  # whitespace that is not ASCII
    + list("\ue000\uf8ff\U000f0000\U0010fffd")  # private use
    + list("\ud800\udbff\udc00\udfff")  # lone surrogates
    + list("٣३３²⁵½")  # digits and numbers of other scripts
    + list("+-_.,;:=&#%/\\\"'*?@<>[]{}() \t")
)
HOSTILE_CHARACTER = st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL_CHARACTERS))
HOSTILE_TEXT = st.one_of(
    st.text(HOSTILE_CHARACTER, max_size=30),
    st.builds(lambda piece, times: piece * times, st.text(HOSTILE_CHARACTER, min_size=1, max_size=4),
              st.integers(200, 5000)),  # very long values
)


def near(valid):
    """A valid value, the same with one hostile character inserted, or hostile text."""
    inserted = st.builds(
        lambda text, character, where: text[: where % (len(text) + 1)] + character + text[where % (len(text) + 1):],
        valid, HOSTILE_CHARACTER, st.integers(0, 10_000),
    )
    return st.one_of(valid, inserted, HOSTILE_TEXT)


_OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)
_MOMENTS = st.datetimes(datetime.datetime(1901, 1, 2), datetime.datetime(2099, 12, 30))
# Times inside the accepted years, with and without zones; then the edges and beyond.
VALID_TIMESTAMP_TEXT = st.one_of(
    _MOMENTS.map(lambda moment: moment.date().isoformat()),
    _MOMENTS.map(lambda moment: moment.isoformat() + "Z"),
    st.builds(lambda moment, offset: moment.replace(tzinfo=offset).isoformat(), _MOMENTS, _OFFSETS),
    st.just("2024-05-01T09:30:00 09:00"),  # a "+" that arrived as a space
)
TIMESTAMP_TEXT = st.one_of(
    VALID_TIMESTAMP_TEXT,
    st.sampled_from(["1900-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "2100-12-31T23:30:00-09:00", "2101-01-01",
                     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]),
)
# Values at or past the edges of what parameters accept, for any of them.
QUERY_EDGES = st.one_of(
    st.sampled_from(["0", "-0", "-1", "007", "1000", "1001", "9" * 15, "9" * 18, "9" * 19, "1e3", "true", "TRUE", ""]),
    TIMESTAMP_TEXT,
)

# ---- query parameters -------------------------------------------------------------------------

# Valid values of every query parameter any handler declares, by name (test_every_parameter_is_fuzzed keeps it whole).
QUERY_VALUES = {
    "limit": st.integers(1, 150).map(str),
    "offset": st.integers(0, 200).map(str),
    "substation_id": st.integers(1, 9).map(str),
    "equipment_id": st.integers(1, 125).map(str),
    "region": st.sampled_from(["Seoul", "Gyeonggi", "Busan", "서울"]),
    "kind": st.sampled_from(EQUIPMENT_KINDS),
    "status": st.sampled_from(EQUIPMENT_STATUSES + ("1", "2", "3")),
    "fault": st.sampled_from(dga.FAULT_TYPES + ("none",)),
    "history": st.sampled_from(["true", "false"]),
    "cascade": st.sampled_from(["true", "false"]),
    "view": st.sampled_from(["full", "summary"]),
    "from": VALID_TIMESTAMP_TEXT,
    "to": VALID_TIMESTAMP_TEXT,
    "at": VALID_TIMESTAMP_TEXT,
    "format": st.sampled_from(["json", "ndjson", "csv"]),
    "sort": st.sampled_from(fleet.SORTS),
    "q": st.sampled_from(["T1", "t", "%", "_", "\\", "50%_", "변압기", "-new"]),
    # The cursor of a real page end: a unit and a time (measurements' keyset).
    "cursor": st.builds(lambda unit, at: measurements.BY_UNIT_AND_TIME.encode({"equipment_id": unit, "sampled_at": at}),
                        st.integers(1, 125), st.datetimes(datetime.datetime(2010, 1, 1), datetime.datetime(2030, 1, 1))),
}
# Every GET, with the parameters its handler declares.
READS = {
    "/api/v1/application": application._QUERY,
    "/api/v1/substations": substations._QUERY,
    "/api/v1/substations/1": {},
    "/api/v1/equipment": equipment._QUERY,
    "/api/v1/equipment/1": {},
    "/api/v1/measurements": measurements._QUERY,
    "/api/v1/measurements/1": {},
    "/api/v1/diagnoses": diagnoses._FLEET_QUERY,
    "/api/v1/diagnoses/1": diagnoses._UNIT_QUERY,
    "/api/v1/diagnoses/summary": diagnoses._FLEET_FILTERS,
    "/api/v1/health": {},
    "/api/v1/health/live": {},
    "/api/v1/health/ready": {},
}
ITEM_RESOURCES = ("substations", "equipment", "measurements", "diagnoses")
_MAX_URL_CHARACTERS = 65_536  # the client's limit (httpx); servers allow far less, and must still not fail


def _encoded(text):
    """Percent-encoded UTF-8 of any text; a lone surrogate becomes its raw three bytes (%ED%A0%80)."""
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


def rarely(draw, one_in=5):
    """True once in about `one_in` draws: for the odd repeated or unknown name, which refuses the whole request."""
    # Hypothesis starts from, and shrinks towards, the simplest choice (0 here), so that is "no".
    return draw(st.integers(0, 999)) >= 1000 - 1000 // one_in


@st.composite
def some_of(draw, names):
    """Half the time none of `names` (the simplest choice, False, is "none"), else one or two of them."""
    if not names or not draw(st.booleans()):
        return []
    return draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))


@st.composite
def queries(draw, declared):
    """A raw query string: valid values of some declared parameters, half the time one or two of them made
    hostile, rarely a repeated or an unknown parameter."""
    names = draw(st.lists(st.sampled_from(sorted(declared)), unique=True)) if declared else []
    values = {name: draw(QUERY_VALUES[name]) for name in names}
    for name in draw(some_of(names)):
        values[name] = draw(near(QUERY_VALUES[name]) | QUERY_EDGES)
    pairs = list(values.items())
    if pairs and rarely(draw):
        pairs.append(draw(st.sampled_from(pairs)))
    if rarely(draw):
        pairs.append((draw(HOSTILE_TEXT), draw(HOSTILE_TEXT)))
    draw(st.randoms()).shuffle(pairs)
    encoded = [f"{_encoded(name)}={_encoded(value)}" for name, value in pairs]
    while len("&".join(encoded)) > _MAX_URL_CHARACTERS // 2 - 100:  # the other half is the path's (`_segment`)
        encoded.pop()
    return "&".join(encoded)


HEADER_TEXT = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=40)
ACCEPTS = st.one_of(st.sampled_from(["text/csv", "application/json", "*/*", "text/*;q=0.5, application/json;q=0.4",
                                     "text/html", "text/csv;q=0"]), HEADER_TEXT)
DECLARED_CHARSETS = ["utf-8", "utf-16", "euc-kr", "cp949", "latin1", "us-ascii", "windows-1252", "utf-7", "idna", "hex"]


def _headers(**values):
    """Request headers from text values (latin-1, as HTTP carries them); None leaves a header out."""
    return {name.replace("_", "-"): value.encode("latin-1") for name, value in values.items() if value is not None}


# ---- checking answers --------------------------------------------------------------------------


def check_answer(response, conditional=False):
    """No 5xx; an answer of 400 or more is the documented error body; 304 only for a conditional GET."""
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error_body(response)
    elif response.status_code == 304:
        assert conditional
    elif response.status_code != 204 and response.headers["content-type"] == "application/json":
        response.json()


class Store:
    """The database as the last successful write left it, to prove each refused write changed nothing."""

    def __init__(self, path):
        self.path = path
        self.rows = table_snapshot(path)

    def check(self, response):
        """Check the answer to a write, and that the tables are as before unless it succeeded."""
        check_answer(response)
        now = table_snapshot(self.path)
        if not 200 <= response.status_code < 300:
            assert now == self.rows, f"a refused write ({response.status_code}) changed the database"
        self.rows = now


@pytest.fixture
def store(writer, demo_db):
    """The tables of the fuzzed database, as of now."""
    return Store(demo_db)


# ---- body values ------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.integers(-5, 200), HOSTILE_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT, children, max_size=3),
    max_leaves=6,
)


# Valid values where the field's type alone does not say which ones exist in the demo data.
EXISTING = {"substation_id": st.integers(1, 8), "equipment_id": st.integers(1, 120)}
VALID_TEXT = st.characters(exclude_categories=("Cc", "Cs"))


def valid_value(field, name=None):
    """A value the field accepts (an integer or number a step past its edges now and then)."""
    if name in EXISTING:
        return EXISTING[name]
    if field.type == "integer":
        return st.integers(int(field.minimum) - 1, min(int(field.maximum), int(field.minimum) + 200) + 1)
    if field.type == "number":
        return st.one_of(st.integers(int(field.minimum), 100),
                         st.floats(field.minimum, field.maximum).map(lambda n: round(n, field.decimals or 6)))
    if field.type == "choice":
        return st.sampled_from(field.choices)
    if field.type == "timestamp":
        return VALID_TIMESTAMP_TEXT
    return st.text(VALID_TEXT, min_size=1, max_size=field.max_bytes // 4)


def hostile_value(field, name=None):
    """A valid value's text with a hostile character in it, hostile text, any JSON value at all, or a time at or
    beyond the edges of the accepted years."""
    return st.one_of(near(valid_value(field, name).map(str)), JSON_VALUES, TIMESTAMP_TEXT)


@st.composite
def objects(draw, fields, partial=False):
    """A valid object (required fields, unless `partial`, and some optional ones); half the time one or two fields
    made hostile, rarely an unknown field."""
    names = [name for name, field in fields.items() if field.required and not partial]
    names += draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
    item = {name: draw(valid_value(fields[name], name)) for name in dict.fromkeys(names)}
    for name in draw(some_of(sorted(fields))):
        item[name] = draw(hostile_value(fields[name], name))
    if rarely(draw):
        item[draw(HOSTILE_TEXT)] = draw(JSON_VALUES)
    return item


@st.composite
def charset_parameters(draw):
    """Usually no charset parameter; else an accepted charset, one Python knows but the service refuses, or any text."""
    if not draw(st.booleans()):  # False, the simplest choice, is the usual case
        return None, "utf-8"
    charset = draw(st.sampled_from(DECLARED_CHARSETS) | HEADER_TEXT)
    encoding = charset if charset in bodies.CHARSETS.split(", ") and draw(st.integers(0, 3)) else "utf-8"
    return f"; charset={charset}", encoding


def _encode(text, encoding):
    """Body bytes: surrogates kept as their raw UTF-8 bytes, characters the charset lacks replaced."""
    return text.encode(encoding, "surrogatepass" if encoding == "utf-8" else "replace")


@st.composite
def json_bodies(draw, fields, batch, partial=False):
    """(bytes, Content-Type) of a JSON body: objects as above (an array of them for a batch); rarely any JSON value
    or broken JSON; escaped or not; in an accepted charset, usually the declared one."""
    if rarely(draw, 8):
        value = draw(JSON_VALUES)
    elif batch:
        value = draw(st.lists(objects(fields), min_size=1, max_size=3))
    else:
        value = draw(objects(fields, partial))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    if rarely(draw, 8):
        text = text[: draw(st.integers(0, len(text)))] + draw(HOSTILE_TEXT)
    parameter, encoding = draw(charset_parameters())
    return _encode(text, encoding), "application/json" + (parameter or "")


@st.composite
def csv_bodies(draw, fields):
    """(bytes, Content-Type) of a CSV body: a header of field names (any case, spaces around them, rarely an
    unknown one) and rows of cells from the objects above; maybe a BOM, LF or CRLF."""
    rows = draw(st.lists(objects(fields), min_size=1, max_size=3))
    names = list(dict.fromkeys(name for row in rows for name in row))
    header = [draw(st.sampled_from([name, name.upper(), f" {name} "])) for name in names]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(header)
    writer.writerows([_cell(row.get(name)) for name in names] for row in rows)
    data = ("\ufeff" if draw(st.booleans()) else "") + text.getvalue()
    parameter, encoding = draw(charset_parameters())
    return _encode(data, encoding), "text/csv" + (parameter or "")


def _cell(value):
    """A JSON-ish value as CSV cell text (lists and objects as their JSON)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _segment(text):
    """A path segment for any text but a line feed, percent-encoded, shortened to fit in a URL.

    A path holding a line feed never reaches the service: functions-framework's catch-all
    route (`/{path:path}`, a `.*` pattern) does not match it, and Starlette answers its own
    plain-text 404.
    """
    return _encoded(text.replace("\n", "")[: _MAX_URL_CHARACTERS // 24])  # 12 encoded characters at most each


def _ids():
    """An item id, usually one that exists or one that does not, else one made hostile.

    Valid ids come from a wide range: Hypothesis draws no example twice, so a handful of
    valid ids would soon be used up and leave only hostile ones.
    """
    valid = st.integers(1, 5000).map(str)
    return st.one_of(valid, valid, near(valid)).map(_segment)


def usually(value, otherwise):
    """`value` about two times in three, else a draw from `otherwise`."""
    return st.one_of(st.just(value), st.just(value), otherwise)


# ---- the properties ---------------------------------------------------------------------------


def test_every_parameter_is_fuzzed():
    declared = {name for spec in (*READS.values(), *WRITE_QUERIES.values()) for name in spec}
    assert declared == set(QUERY_VALUES)


@pytest.mark.parametrize("path", sorted(READS))
@fuzz_settings(60)
@given(data=st.data())
def test_reads_answer_every_query_with_data_or_the_error_body(writer, path, data):
    query = data.draw(queries(READS[path]))
    headers = _headers(
        accept=data.draw(st.none() | ACCEPTS),
        if_none_match=data.draw(st.none() | st.just("*") | HEADER_TEXT),
        x_request_id=data.draw(st.none() | HEADER_TEXT),
        origin=data.draw(st.none() | HEADER_TEXT),
    )
    response = writer.get(f"{path}?{query}", headers=headers)
    check_answer(response, conditional="if-none-match" in headers)


@pytest.mark.parametrize("resource", ITEM_RESOURCES)
@fuzz_settings(80)
@given(data=st.data())
def test_item_paths_answer_any_id_with_the_item_or_the_error_body(writer, resource, data):
    response = writer.get(f"/api/v1/{resource}/{data.draw(_ids())}")
    check_answer(response)


@fuzz_settings(150)
@given(data=st.data())
def test_equipment_bodies_are_written_or_refused_changing_nothing(writer, store, data):
    method = data.draw(st.sampled_from(["POST", "PUT", "PATCH"]))
    fields = equipment.FIELDS if method == "POST" else equipment._ITEM_FIELDS
    content, content_type = data.draw(json_bodies(fields, batch=False, partial=method == "PATCH"))
    if method == "PATCH" and data.draw(st.booleans()):
        content_type = content_type.replace(bodies.JSON, "application/merge-patch+json")
    path = "/api/v1/equipment" + ("" if method == "POST" else f"/{data.draw(EXISTING['equipment_id'])}")
    headers = _headers(content_type=content_type, if_match="*")
    store.check(writer.request(method, path, content=content, headers=headers))


# A valid body for each write, so that what decides the answer is the fuzzed path, query and headers.
WRITES = {
    ("POST", "equipment"): b'{"substation_id": 1, "name": "fuzz", "kind": "shunt_reactor", '
    b'"oil_preservation": "sealed", "status": "standby"}',
    ("PUT", "equipment/"): b'{"substation_id": 2, "name": "fuzz", "kind": "shunt_reactor", '
    b'"oil_preservation": "sealed", "status": "standby"}',
    ("PATCH", "equipment/"): b'{"manufacturer": "fuzz"}',
    ("DELETE", "equipment/"): b"",
    ("POST", "measurements"): b'[{"equipment_id": 3, "sampled_at": "2030-01-01", "h2": 1}]',
    ("DELETE", "measurements/"): b"",
    ("POST", "diagnoses"): b'{"h2": 1}',
}


# The query parameters of the writes that declare any.
WRITE_QUERIES = {("DELETE", "equipment/"): equipment._DELETE_QUERY, ("POST", "diagnoses"): diagnoses._POST_QUERY}


@pytest.mark.parametrize("method,path", sorted(WRITES), ids=[" ".join(write) for write in sorted(WRITES)])
@fuzz_settings(40)
@given(data=st.data())
def test_writes_refuse_bad_ids_parameters_and_headers_and_change_nothing(writer, store, method, path, data):
    query = data.draw(queries(WRITE_QUERIES.get((method, path), {})))
    url = f"/api/v1/{path}{data.draw(_ids()) if path.endswith('/') else ''}?{query}"
    content_type = data.draw(usually("application/json", st.sampled_from(["text/csv", "application/merge-patch+json"])
                                     | HEADER_TEXT))
    headers = _headers(content_type=content_type, if_match=data.draw(usually("*", st.none() | HEADER_TEXT)),
                       x_request_id=data.draw(st.none() | HEADER_TEXT))
    store.check(writer.request(method, url, content=WRITES[method, path], headers=headers))


@pytest.mark.parametrize("media_type", ["json", "csv"])
@fuzz_settings(150)
@given(data=st.data())
def test_measurement_batches_are_written_whole_or_refused_changing_nothing(writer, store, media_type, data):
    fields = measurements.FIELDS
    content, content_type = data.draw(json_bodies(fields, batch=True) if media_type == "json" else csv_bodies(fields))
    store.check(writer.post("/api/v1/measurements", content=content, headers=_headers(content_type=content_type)))


@pytest.mark.parametrize("media_type", ["json-object", "json-array", "csv"])
@fuzz_settings(100)
@given(data=st.data())
def test_posted_diagnoses_answer_verdicts_or_the_error_body_and_change_nothing(writer, store, media_type, data):
    fields = diagnoses._SAMPLE_FIELDS
    strategy = csv_bodies(fields) if media_type == "csv" else json_bodies(fields, batch=media_type == "json-array")
    content, content_type = data.draw(strategy)
    view = data.draw(st.sampled_from(["", "?view=summary", "?view=full"]))
    response = writer.post(f"/api/v1/diagnoses{view}", content=content, headers=_headers(content_type=content_type))
    check_answer(response)
    assert table_snapshot(store.path) == store.rows, "diagnosing posted samples writes nothing"


@fuzz_settings(60)
@given(path=st.text(st.sampled_from(string.ascii_letters + "/%.") | HOSTILE_CHARACTER, max_size=40))
def test_any_path_is_answered_with_a_resource_or_the_error_body(writer, path):
    check_answer(writer.get("/api/v1/" + "/".join(_segment(part) for part in path.split("/"))))
