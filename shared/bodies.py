"""Request bodies: size and media-type checks, JSON and CSV parsing, and validation against field specs.

A resource declares its body fields as `{name: Field(...)}` and gets every problem at once,
never just the first: an object's problems are the 400's `details`, each
`{"field", "message"}`; a batch's are one entry per bad row, `{"index", "errors"}` (plus
`"line"` for CSV), and a batch with any bad row is refused whole.

- size: more than `SEDA_MAX_BODY_BYTES` (by Content-Length, or counted while reading) is 413
  before anything is parsed; more rows than `SEDA_MAX_BATCH_ROWS` is 413 naming the limit.
- time: a body that has not arrived in full within `SEDA_BODY_TIMEOUT_S` is 408 (and the
  connection is closed), so a client that announces a body and stalls cannot hold a
  connection for ever; other requests are served meanwhile. A client that hangs up
  mid-body is logged as 400 IncompleteBody.
- media type: each resource lists what it accepts; anything else is 415 naming them.
- charset: JSON and CSV bodies alike are read in the Content-Type's `charset`, one of
  CHARSETS (`shared/charsets.py` says how labels are read and what is refused).
- JSON: malformed JSON is 400 SchemaValidation with the line, column and character where it breaks.
- CSV (`text/csv`): a header row of field names (any case, surrounding spaces ignored), then
  one row per record; CRLF or LF; quoted fields may hold commas and quotes (and line breaks,
  which no text field accepts); an empty cell is a missing value; surrounding spaces and tabs
  are trimmed (nothing else is).
- values: integers (`validation.parse_integer`'s strict form in CSV text) and numbers within
  their range (CSV text is read as a number for numeric fields, JSON strings are not), text of
  1 to `max_bytes` bytes in UTF-8 (Oracle's VARCHAR2 counts bytes, and a Korean character
  takes three) without control characters (`validation.TEXT_FORMS`; a field with
  `line_breaks` may hold LF and CR, `validation.LINES_FORMS`), one of the listed
  choices, or an ISO 8601 timestamp by the same parser as query parameters (converted to UTC);
  null or absent means missing, which only optional fields may be (an optional field with a
  `default` takes it instead; a PATCH leaves an absent field as it is). Text is stored as sent:
  a cell that looks like a spreadsheet formula is neutralised only when the service writes
  CSV (`shared/csvout.py`).
"""

import asyncio
import codecs
import csv
import dataclasses
import io
import json
import re

from starlette.requests import ClientDisconnect

from shared import charsets, config, validation
from shared.charsets import CHARSETS, UTF_8  # noqa: F401 - CHARSETS re-exported: the charsets bodies accept
from shared.errors import (
    IncompleteBodyError,
    PayloadTooLargeError,
    RequestTimeoutError,
    SchemaValidationError,
    UnsupportedMediaTypeError,
)
from shared.jsonio import dumps, loads

JSON = "application/json"
CSV = "text/csv"
_CONTENT_LENGTH = re.compile(r"[0-9]+")
# What CSV cells lose at either end. Only spaces and tabs: `str.strip()` would also drop line
# breaks, NUL and U+001C–U+001F there, silently, which the field rules must see and refuse.
_CSV_TRIMMED = " \t"
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclasses.dataclass(frozen=True)
class Field:
    """What one body field accepts: its type, whether it must be given, and the range of its values."""

    type: str  # "integer", "number", "text", "choice" or "timestamp"
    required: bool = False
    minimum: float = 0
    maximum: float = validation.MAX_ID
    choices: tuple[str, ...] = ()
    max_bytes: int = 100
    decimals: int | None = None  # the column's scale: more decimals would be rounded away by Oracle
    default: str | None = None  # what null or absence means for an optional field (None: no value)
    line_breaks: bool = False  # text only: whether it may hold several lines

    def schema(self):
        """The JSON values this field accepts as JSON Schema (null too unless required), for the OpenAPI document.

        Rows read back hold the same values, so responses are described by it as well. The
        UTF-8 byte count of text and the decimals of numbers are beyond JSON Schema: the
        description carries them (the character count bounds the byte count from above).
        """
        json_type = "string" if self.type in ("text", "choice", "timestamp") else self.type
        value = {"type": json_type if self.required else [json_type, "null"]}
        if self.type in ("integer", "number"):
            value.update(minimum=self.minimum, maximum=self.maximum)
        elif self.type == "text":
            pattern = validation.LINES_PATTERN if self.line_breaks else validation.TEXT_PATTERN
            value.update(minLength=1, maxLength=self.max_bytes, pattern=pattern)
        elif self.type == "choice":
            value["enum"] = [*self.choices] if self.required else [*self.choices, None]
        else:
            value["examples"] = validation.TIMESTAMP_SCHEMA["examples"]
        accepted = _accepted(self, from_text=False)
        if self.default is not None:
            value["default"] = self.default
            accepted += f"; null or absent: {self.default}"
        return {**value, "description": f"{accepted[0].upper()}{accepted[1:]}."}


@dataclasses.dataclass(frozen=True)
class Body:
    """A request body that passed the media-type and size checks."""

    media_type: str
    charset: str  # Python's codec name, from charsets.codec
    data: bytes

    def text(self):
        """The body as text in its charset (a UTF-8 BOM is dropped); 400 at the first byte that is not."""
        return charsets.decoded(self.data, self.charset)


@dataclasses.dataclass(frozen=True)
class _Row:
    """One element of a batch as received, where it stood, and what was wrong with its shape."""

    item: object
    index: int
    line: int | None = None
    from_text: bool = False
    problems: tuple = ()


async def read(request, accepted):
    """The body, once its media type is one of `accepted` (else 415), its size is within the limit (else 413)
    and all of it has arrived within the time limit (else 408)."""
    media_type, charset = _content_type(request.headers.get("content-type", ""))
    if media_type not in accepted:
        received = validation.shown(media_type) if media_type else "none"
        raise UnsupportedMediaTypeError(f"Content-Type must be {' or '.join(accepted)}; received {received}.")
    settings = config.settings()
    declared = declared_length(request)
    if declared is not None and declared > settings.max_body_bytes:
        raise _too_large(settings.max_body_bytes)
    try:
        # One deadline for the whole body, however it is cut into chunks: a client that
        # trickles a byte at a time must not reset it.
        async with asyncio.timeout(settings.body_timeout_s):
            data = await _streamed(request, settings.max_body_bytes)
    except TimeoutError:
        raise RequestTimeoutError(
            f"The request body did not arrive in full within {settings.body_timeout_s} s, the most the service "
            "waits for one; send it again without pausing."
        ) from None
    except ClientDisconnect:
        # The client's fault, not the service's: a 4xx in the access log rather than an unhandled 500.
        raise IncompleteBodyError("The connection closed before the request body arrived in full.") from None
    return Body(media_type, charset, data)


def declared_length(request):
    """The body size its `Content-Length` announces, or None when it announces none (or nonsense)."""
    declared = request.headers.get("content-length", "")
    return int(declared) if _CONTENT_LENGTH.fullmatch(declared) else None


async def _streamed(request, limit):
    """The body's bytes as they arrive; 413 as soon as they exceed `limit`."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def problem(field, message):
    """One entry of a 400's `details`: the field at fault (None for the whole row) and what to fix."""
    return {"field": field, "message": message}


async def item_values(request, item_id, media_types, fields, noun, *, partial):
    """The validated fields of a PUT (`partial` False) or PATCH body of the item `item_id`, without its `id`.

    A body may carry the `id` a GET returned, so a read row can be sent back as it is; another id
    is refused, since an id cannot change.
    """
    validation.parse_query(request.query_params, {})
    values = object_values(await read(request, media_types), fields, noun, partial=partial)
    body_id = values.pop("id", None)
    if body_id not in (None, item_id):
        raise SchemaValidationError(
            f"The body's id ({body_id}) differs from the path's ({item_id}); an id cannot change, so drop "
            "it or send the same one."
        )
    return values


def object_values(body, fields, noun, *, partial=False):
    """The values of a JSON object body (absent optional fields as None unless `partial`); 400 listing all problems."""
    item = json_value(body)
    if not isinstance(item, dict):
        raise SchemaValidationError(f"The body must be a JSON object describing {noun}; received {_received(item)}.")
    values, problems = _validated(item, fields, partial=partial, from_text=False)
    if problems:
        raise _invalid(f"The {noun} in the body is not valid", problems)
    return values


def batch_values(body, fields, noun, rules, refused="nothing was written"):
    """The values of every row of a JSON array or CSV body; 413 above the row limit; 400 listing every bad row.

    `rules(index, values)` returns the problems of a row whose fields are each valid, for rules
    that span fields or rows; `refused` tells the client what a bad row cost the whole batch.
    """
    rows = _csv_rows(body, fields, noun) if body.media_type == CSV else _json_rows(body, noun)
    if not rows:
        raise SchemaValidationError(f"The body holds no {noun}; send at least one.")
    values, bad = [], []
    for row in rows:
        checked, problems = row_values(row, fields, noun)
        problems = problems or rules(row.index, checked)
        if problems:
            bad.append({"index": row.index, **({"line": row.line} if row.line else {}), "errors": problems})
        values.append(checked)
    if bad:
        first = bad[0]
        raise SchemaValidationError(
            f"Invalid {noun}: {len(bad)} of {len(rows)}, so {refused}; `details` lists every bad "
            f"row by index (from 0{', with its CSV line' if first.get('line') else ''}). First: row {first['index']}: "
            f"{first['errors'][0]['message']}",
            details=bad,
        )
    return values


def json_value(body):
    """The parsed JSON body; 400 saying where it stops being JSON."""
    try:
        return loads(_json_source(body))
    except json.JSONDecodeError as exc:
        body.text()  # a byte that is not UTF-8 deserves that message, not orjson's about surrogates
        raise SchemaValidationError(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} (character {exc.pos})."
        ) from None


def is_json_object(body):
    """True when the body is JSON whose first character (after any space) opens an object."""
    return body.media_type != CSV and _json_source(body).lstrip()[:1] in (b"{", "{")


def _json_source(body):
    """What the JSON parser reads: UTF-8 bytes as they came (the fast path), else the text decoded from its charset."""
    if body.charset == UTF_8:
        return body.data.removeprefix(codecs.BOM_UTF8)
    return body.text()


def _content_type(header):
    """The media type and charset (Python's codec) of a Content-Type header; 415 for a charset not accepted."""
    media_type, *parameters = header.split(";")
    charset = UTF_8
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = charsets.codec(value.strip().strip('"'))
    return media_type.strip().lower(), charset


def _invalid(summary, problems):
    """400 with every problem in the message and in `details`."""
    return SchemaValidationError(f"{summary}: {' '.join(p['message'] for p in problems)}", details=problems)


def _too_large(limit):
    """413 naming the body size limit."""
    return PayloadTooLargeError(f"The body is larger than {limit:,} bytes, the most one request may carry; send less.")


def _too_many_rows(limit, noun):
    """413 naming the row limit."""
    return PayloadTooLargeError(
        f"The body holds more than {limit:,} {noun}, the most one request may carry; split it into batches of "
        f"at most {limit:,}."
    )


def _json_rows(body, noun):
    """The elements of a JSON array body."""
    items = json_value(body)
    if not isinstance(items, list):
        raise SchemaValidationError(f"The body must be a JSON array of {noun}; received {_received(items)}.")
    limit = config.settings().max_batch_rows
    if len(items) > limit:
        raise _too_many_rows(limit, noun)
    return [_Row(item, index) for index, item in enumerate(items)]


def _csv_rows(body, fields, noun):
    """The data rows of a CSV body; 413 beyond the row limit."""
    limit = config.settings().max_batch_rows
    rows = []
    for row in csv_rows(body.text(), fields):
        if len(rows) == limit:
            raise _too_many_rows(limit, noun)
        rows.append(row)
    return rows


def csv_rows(text, fields):
    """Each data row of CSV `text` as `{column: text or None}` with its line, after a header that names known fields.

    A generator (`tools.load` reads files of millions of rows through it); 400 for a header that
    names unknown, repeated or too few columns, or text the CSV reader cannot read.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        columns = _csv_columns(next(reader, []), fields)
        line, index = reader.line_num + 1, 0
        for record in reader:
            if any(cell.strip(_CSV_TRIMMED) for cell in record):
                yield _csv_row(columns, record, index, line)
                index += 1
            line = reader.line_num + 1
    except csv.Error as exc:
        raise SchemaValidationError(f"The CSV body cannot be read at line {reader.line_num}: {exc}.") from None


def _csv_columns(header, fields):
    """The header's column names; 400 when one is unknown or repeated, or a required field has no column."""
    columns = [name.strip(_CSV_TRIMMED).lower() for name in header]
    problems = _unknown(columns, fields)
    problems += [
        problem(name, f"Column '{name}' appears more than once.") for name in fields if columns.count(name) > 1
    ]
    problems += [
        problem(name, f"Column '{name}' is required.")
        for name, field in fields.items()
        if field.required and name not in columns
    ]
    if problems:
        raise _invalid("The CSV header row must name the columns", problems)
    return columns


def _csv_row(columns, record, index, line):
    """One CSV record as a row: trimmed cells by column, empty ones missing; a problem if the count is off."""
    if len(record) != len(columns):
        shape = problem(None, f"The row has {len(record)} cells but the header names {len(columns)} columns.")
        return _Row({}, index, line, True, (shape,))
    return _Row({name: cell.strip(_CSV_TRIMMED) or None for name, cell in zip(columns, record)}, index, line, True)


def row_values(row, fields, noun):
    """The values and problems of one batch row (`{"field", "message"}` each)."""
    if row.problems:
        return {}, list(row.problems)
    if not isinstance(row.item, dict):
        return {}, [problem(None, f"Each of the {noun} must be a JSON object; received {_received(row.item)}.")]
    return _validated(row.item, fields, partial=False, from_text=row.from_text)


def _validated(item, fields, *, partial, from_text):
    """(values, problems) of one object: every field checked, every problem kept."""
    problems = _unknown(item, fields)
    values = {}
    for name, field in fields.items():
        raw = item.get(name)
        if raw is None and partial and name not in item:
            continue
        if raw is None and field.required:
            problems.append(problem(name, f"'{name}' is required: give {_accepted(field, from_text)}."))
        elif raw is None:
            values[name] = field.default
        else:
            try:
                values[name] = _CHECKS[field.type](field, _from_text(field, raw) if from_text else raw)
            except (ValueError, TypeError):
                accepted = _accepted(field, from_text)
                problems.append(problem(name, f"'{name}' must be {accepted}; received {_received(raw)}."))
    return values, problems


def _unknown(names, fields):
    """A problem for each name that is not a field, listing those that are."""
    return [
        problem(name, f"{validation.shown(name)} is not a field; accepted fields: {', '.join(fields)}.")
        for name in names
        if name not in fields
    ]


def _from_text(field, text):
    """CSV text as a number for numeric fields (left as text when it is not one, to fail the check)."""
    if field.type == "integer":
        try:
            return validation.parse_integer(text)
        except ValueError:
            return text
    if field.type == "number" and _NUMBER_TEXT.fullmatch(text):
        return float(text)
    return text


def _integer(field, value):
    """An int (not a bool) within range."""
    if isinstance(value, bool) or not isinstance(value, int) or not field.minimum <= value <= field.maximum:
        raise ValueError(value)
    return value


def _number(field, value):
    """An int or float (not a bool) within range, with no more decimals than the field keeps."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not field.minimum <= value <= field.maximum:
        raise ValueError(value)
    if field.decimals is not None and round(value, field.decimals) != value:
        raise ValueError(value)
    return value


def _text(field, value):
    """A string of 1 to max_bytes bytes in UTF-8, without the characters `validation.TEXT_FORMS` (or, for a field
    with `line_breaks`, `validation.LINES_FORMS`) rules out."""
    if not isinstance(value, str) or validation.forbidden_character(value, field.line_breaks):
        raise ValueError(value)
    if not 1 <= len(value.encode()) <= field.max_bytes:
        raise ValueError(value)
    return value


def _choice(field, value):
    """One of the listed strings."""
    if not isinstance(value, str) or value not in field.choices:
        raise ValueError(value)
    return value


def _timestamp(field, value):
    """An ISO 8601 string, as an aware UTC datetime."""
    if not isinstance(value, str):
        raise ValueError(value)
    return validation.parse_timestamp(value)


_CHECKS = {"integer": _integer, "number": _number, "text": _text, "choice": _choice, "timestamp": _timestamp}


def _accepted(field, from_text):
    """What a field accepts, for messages (CSV text also learns how to write an integer)."""
    return {
        "integer": f"an integer from {field.minimum:,} to {field.maximum:,}"
        + (f", {validation.INTEGER_FORMS}" if from_text else ""),
        "number": f"a number from {field.minimum:,} to {field.maximum:,}"
        + (f" with at most {field.decimals} decimals" if field.decimals is not None else ""),
        "text": f"text of 1 to {field.max_bytes} bytes in UTF-8 "
                f"{validation.LINES_FORMS if field.line_breaks else validation.TEXT_FORMS}",
        "choice": f"one of {', '.join(field.choices)}",
        "timestamp": validation.TIMESTAMP_FORMS,
    }[field.type]


def _received(value):
    """How a message shows a received JSON value: strings quoted and shortened, objects and arrays named."""
    if isinstance(value, str):
        return validation.shown(value)
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    return dumps(value).decode()
