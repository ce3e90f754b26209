"""Request bodies: size and media-type checks, JSON and CSV parsing, and validation against field specs.

A resource declares its body fields as `{name: Field(...)}` and gets every problem at once,
never just the first: an object's problems are the 400's `details`, each
`{"field", "message"}`; a batch's are one entry per bad row, `{"index", "errors"}` (plus
`"line"` for CSV), and a batch with any bad row is refused whole.

- size: more than `SEDA_MAX_BODY_BYTES` (by Content-Length, or counted while reading) is 413
  before anything is parsed; more rows than `SEDA_MAX_BATCH_ROWS` is 413 naming the limit.
- media type: each resource lists what it accepts; anything else is 415 naming them.
- JSON: malformed JSON is 400 SchemaValidation with the line, column and character where it breaks.
- CSV (`text/csv`): a header row of field names (any case, surrounding spaces ignored), then
  one row per record; CRLF or LF; quoted fields may hold commas, quotes and line breaks; UTF-8
  with or without a BOM, or the encoding named by a `charset` parameter; an empty cell is a
  missing value; surrounding spaces are trimmed.
- values: integers and numbers within their range (CSV text is read as a number for numeric
  fields, JSON strings are not), text of 1 to `max_bytes` bytes in UTF-8 (Oracle's VARCHAR2
  counts bytes, and a Korean character takes three), one of the listed choices, or an ISO 8601
  timestamp by the same parser as query parameters (converted to UTC); null or absent means
  missing, which only optional fields may be.
"""

import codecs
import csv
import dataclasses
import io
import json
import re

from shared import config, validation
from shared.errors import PayloadTooLargeError, SchemaValidationError, UnsupportedMediaTypeError
from shared.jsonio import dumps, loads

JSON = "application/json"
CSV = "text/csv"
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
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


@dataclasses.dataclass(frozen=True)
class Body:
    """A request body that passed the media-type and size checks."""

    media_type: str
    charset: str
    data: bytes


@dataclasses.dataclass(frozen=True)
class _Row:
    """One element of a batch as received, where it stood, and what was wrong with its shape."""

    item: object
    index: int
    line: int | None = None
    from_text: bool = False
    problems: tuple = ()


async def read(request, accepted):
    """The body, once its media type is one of `accepted` (else 415) and its size within the limit (else 413)."""
    media_type, charset = _content_type(request.headers.get("content-type", ""))
    if media_type not in accepted:
        received = validation.shown(media_type) if media_type else "none"
        raise UnsupportedMediaTypeError(f"Content-Type must be {' or '.join(accepted)}; received {received}.")
    limit = config.settings().max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return Body(media_type, charset, b"".join(chunks))


def problem(field, message):
    """One entry of a 400's `details`: the field at fault (None for the whole row) and what to fix."""
    return {"field": field, "message": message}


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
        row_values, problems = _row_values(row, fields, noun)
        problems = problems or rules(row.index, row_values)
        if problems:
            bad.append({"index": row.index, **({"line": row.line} if row.line else {}), "errors": problems})
        values.append(row_values)
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
        return loads(body.data)
    except json.JSONDecodeError as exc:
        raise SchemaValidationError(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} (character {exc.pos})."
        ) from None


def _content_type(header):
    """The media type and charset of a Content-Type header; 415 for a charset that is not a known text encoding."""
    media_type, *parameters = header.split(";")
    charset = "utf-8"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    try:
        # Python also registers bytes-to-bytes codecs (hex, rot13, zlib) under codec names.
        is_text = codecs.lookup(charset)._is_text_encoding
    except LookupError:
        is_text = False
    if not is_text:
        raise UnsupportedMediaTypeError(f"The charset {validation.shown(charset)} is not a known text encoding; send UTF-8.")
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
    """The data rows of a CSV body as `{column: text or None}`, after a header that names known fields."""
    reader = csv.reader(io.StringIO(_decoded(body), newline=""), strict=True)
    limit = config.settings().max_batch_rows
    rows = []
    try:
        columns = _csv_columns(next(reader, []), fields)
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(rows) == limit:
                    raise _too_many_rows(limit, noun)
                rows.append(_csv_row(columns, record, len(rows), line))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise SchemaValidationError(f"The CSV body cannot be read at line {reader.line_num}: {exc}.") from None
    return rows


def _decoded(body):
    """The body as text in its charset (a UTF-8 BOM is dropped); 400 at the first byte that is not."""
    encoding = "utf-8-sig" if codecs.lookup(body.charset).name == "utf-8" else body.charset
    try:
        return body.data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SchemaValidationError(
            f"The body is not valid {body.charset}: the byte at position {exc.start} cannot be decoded. Save it as "
            "UTF-8, or name its encoding in the Content-Type charset parameter."
        ) from None


def _csv_columns(header, fields):
    """The header's column names; 400 when one is unknown or repeated, or a required field has no column."""
    columns = [name.strip().lower() for name in header]
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
    return _Row({name: cell.strip() or None for name, cell in zip(columns, record)}, index, line, True)


def _row_values(row, fields, noun):
    """The values and problems of one batch row."""
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
            problems.append(problem(name, f"'{name}' is required: give {_accepted(field)}."))
        elif raw is None:
            values[name] = None
        else:
            try:
                values[name] = _CHECKS[field.type](field, _from_text(field, raw) if from_text else raw)
            except (ValueError, TypeError):
                problems.append(problem(name, f"'{name}' must be {_accepted(field)}; received {_received(raw)}."))
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
    if field.type == "integer" and _INTEGER_TEXT.fullmatch(text):
        return int(text)
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
    """A string of 1 to max_bytes bytes in UTF-8."""
    if not isinstance(value, str) or not 1 <= len(value.encode()) <= field.max_bytes:
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


def _accepted(field):
    """What a field accepts, for messages."""
    return {
        "integer": f"an integer from {field.minimum:,} to {field.maximum:,}",
        "number": f"a number from {field.minimum:,} to {field.maximum:,}"
        + (f" with at most {field.decimals} decimals" if field.decimals is not None else ""),
        "text": f"text of 1 to {field.max_bytes} bytes in UTF-8",
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
