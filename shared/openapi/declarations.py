"""What a handler declares beside itself with `@operation(...)`, and the answers it declares with.

`operation` records an `Operation` on the function: its `Answer` on success (`page`, `item`,
`created`, `changed`, `no_content`, `answer`), its `Body`, its query spec, the errors it raises
itself, whether it uses the database, `If-Match`, links. `declaration_of` reads it back for
the document.
"""

import dataclasses

from shared import bodies, config, csvout
from shared.errors import NotAcceptableError
from shared.jsonio import JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE
from shared.openapi.headers import response_object
from shared.openapi.schemas import object_schema

CSV_MEDIA_TYPE = "text/csv"
TEXT = {"type": "string"}  # the schema of a page or file served as it is (HTML, a script, a stylesheet)


@dataclasses.dataclass(frozen=True)
class Answer:
    """What an operation answers on success: `responses()` by status, the request headers that steer it, the
    errors that come with it, and what a link may take from it."""

    status: int
    description: str
    content: dict = dataclasses.field(default_factory=dict)  # media type -> schema
    headers: dict = dataclasses.field(default_factory=dict)  # header name -> always sent?
    request_headers: dict = dataclasses.field(default_factory=dict)  # header name -> required?
    errors: tuple = ()
    not_modified: bool = False  # 304 for a matching If-None-Match
    gives_item: bool = False  # its body is a row whose ETag changes may send (links to the item operations)

    def responses(self, headers):
        """The response objects of this answer, by status, each also carrying `headers` (name -> always sent)."""
        responses = {str(self.status): response_object(self.description, self.content, {**self.headers, **headers})}
        if self.not_modified:
            responses["304"] = response_object("Not modified: what If-None-Match named is still current.", {},
                                         {"ETag": True, **headers})
        return responses


@dataclasses.dataclass(frozen=True)
class Body:
    """A request body: the fields of the object (or of each row of a batch), and the media types read.

    `json` is "object", "batch" (a JSON array) or "either"; CSV, where accepted, is always a batch.
    """

    fields: dict
    title: str
    media_types: tuple = (bodies.JSON,)
    json: str = "object"
    partial: bool = False  # PATCH: any subset of the fields
    example: object = None  # a valid body (for JSON; CSV shows the same rows as CSV)

    def request_body(self):
        """The OpenAPI requestBody object (its bounds read from the settings in force)."""
        row = object_schema(self.title, self.fields, partial=self.partial)
        batch = {"type": "array", "items": row, "minItems": 1, "maxItems": config.settings().max_batch_rows}
        shapes = {"object": row, "batch": batch, "either": {"oneOf": [row, batch]}}
        content = {media: {"schema": self._csv() if media == bodies.CSV else shapes[self.json]}
                   for media in self.media_types}
        if self.example is not None:
            for media, described in content.items():
                described["example"] = self._csv_example() if media == bodies.CSV else self.example
        return {"required": True, "content": content}

    def _csv_example(self):
        """The example's rows as CSV, as the service itself writes CSV."""
        rows = self.example if isinstance(self.example, list) else [self.example]
        return csvout.dumps_csv(rows, list(rows[0])).decode()

    def _csv(self):
        """CSV as what it is on the wire, text: JSON Schema cannot say how a cell's text becomes a field's value."""
        names = ", ".join(self.fields)
        required = ", ".join(name for name, field in self.fields.items() if field.required) or "none"
        return {"type": "string", "description": (
            f"CSV (RFC 4180; UTF-8 unless the Content-Type names another charset): a header row naming fields of "
            f"{self.title} ({names}; any case and order; required: {required}), then one row per element, at most "
            f"{config.settings().max_batch_rows:,}. Cells are trimmed of spaces and tabs; an empty cell is a missing "
            "value; numbers are written as text (12.5, 1e3); each field accepts what it accepts in JSON."
        )}


@dataclasses.dataclass(frozen=True)
class Operation:
    """What `@operation` records on a handler function."""

    answer: Answer
    query: dict
    body: Body | None
    errors: tuple
    database: bool
    if_match: str | None
    links: dict
    summary: str | None


def operation(answer, *, query=None, body=None, errors=(), database=True, if_match=None, links=None, summary=None):
    """Declare a handler's contract beside it (see the module docstring); the function is returned unchanged.

    `query`: the spec the handler validates its query with; `body`: a `Body`; `errors`: the
    error classes it raises itself; `database=False` for handlers that never touch it;
    `if_match`: "required" or "optional" when changes check it; `links`: `{name: (function,
    {parameter: expression})}` to operations a client calls next with what this one answered.
    """

    def declare(function):
        function.operation = Operation(answer, query or {}, body, tuple(errors), database, if_match, links or {},
                                       summary)
        return function

    return declare


def declaration_of(function):
    """The function's `@operation`; a handler routed without one is a programming error."""
    declared = getattr(function, "operation", None)
    if declared is None:
        raise TypeError(f"{function.__module__}.{function.__name__} is routed but has no @openapi.operation")
    return declared


def _csv_content(row):
    """The CSV representation of rows: a header row of the row's properties, then one line per row."""
    columns = ", ".join(row["properties"])
    return {"type": "string", "description": f"RFC 4180 CSV, UTF-8: a header row ({columns}) then one row per "
            "element; text that a spreadsheet would run as a formula is prefixed with a single quote."}


def page(row, csv=False, exports=False):
    """One page of a collection (`http.collection_response`); CSV too when `Accept` prefers it (`shared/csvout.py`);
    with `exports`, the whole result as NDJSON or CSV when `format` asks for it (`shared/exports.py`)."""
    content = {JSON_MEDIA_TYPE: {"type": "array", "items": row}}
    headers = {"Link": False}
    description = "One page, in order; `Link` names the next page when there is one."
    if csv:
        content[CSV_MEDIA_TYPE] = _csv_content(row)
        headers["Vary"] = True
    if exports:
        _declare_exports(content, headers, row)
        description += (" With format=ndjson or format=csv, the whole filtered result instead, unpaged, streamed as a "
                        "download (Content-Disposition).")
    return Answer(200, description, content, headers, errors=(NotAcceptableError,) if csv else ())


def _declare_exports(content, headers, row):
    """Add what an export of rows like `row` is served as (`shared/exports.py`): NDJSON, CSV, Content-Disposition."""
    content[NDJSON_MEDIA_TYPE] = {"type": "string", "description": (
        "With format=ndjson: every row selected, one JSON object (as in the JSON answer) per line, streamed; a body "
        "that ends without its last chunk was cut short by a failure.")}
    content.setdefault(CSV_MEDIA_TYPE, _csv_content(row))  # a CSV page, where offered, has the export's shape
    headers["Content-Disposition"] = False


def item(row, csv=False):
    """One row with its ETag, 304 for a matching If-None-Match (`http.get_one`); CSV as above (no ETag then)."""
    content = {JSON_MEDIA_TYPE: row}
    headers = {"ETag": not csv}
    if csv:
        content[CSV_MEDIA_TYPE] = _csv_content(row)
        headers["Vary"] = True
    return Answer(200, "The row, with its ETag.", content, headers, {"If-None-Match": False},
                  errors=(NotAcceptableError,) if csv else (), not_modified=True, gives_item=True)


def created(row):
    """201 with the new row, its ETag and its URL (`http.created`)."""
    return Answer(201, "Created: the new row, its ETag and its URL.", {JSON_MEDIA_TYPE: row},
                  {"ETag": True, "Location": True}, gives_item=True)


def changed(row):
    """200 with the changed row and its new ETag (`http.item_response`)."""
    return Answer(200, "The row as it is now, with its new ETag.", {JSON_MEDIA_TYPE: row}, {"ETag": True},
                  gives_item=True)


def no_content(description="Done; nothing to say."):
    """204 without a body (`http.no_content`)."""
    return Answer(204, description)


def answer(schema, description, *, media_type=JSON_MEDIA_TYPE, headers=None, exports=None, not_modified=False):
    """200 with a body of `schema` in `media_type` (headers: name -> always sent); with `exports` (a row schema),
    also rows like it streamed as NDJSON or CSV when `format` asks for them (`shared/exports.py`); with
    `not_modified`, 304 for an If-None-Match naming its ETag (`http.tagged_response`)."""
    content, headers = {media_type: schema}, dict(headers or {})
    if exports is not None:
        _declare_exports(content, headers, exports)
    request_headers = {"If-None-Match": False} if not_modified else {}
    return Answer(200, description, content, headers, request_headers, not_modified=not_modified)


