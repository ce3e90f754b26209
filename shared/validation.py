"""Strict request validation: every query parameter is known, well-formed and in range.

A handler declares its parameters as `{name: parser}`; `parse_query` rejects unknown and
repeated names, and each parser turns the raw text into a value or raises the matching
error with a message that says what was received and what is accepted. Each parser is a
`Parser`, which also states what it accepts as JSON Schema (`.schema()`) and which error it
raises (`.error`): the OpenAPI document (`shared/openapi/`) is built from them. The integer and
timestamp readers (`parse_integer`, `parse_timestamp`), the text rule (`forbidden_character`)
and the quoting of received values (`shown`) also serve request bodies (`shared/bodies.py`)
and path ids (`shared/http.py`), so each rule is stated once.
"""

import datetime
import functools
import re

from shared import config
from shared.errors import (
    InvalidIntegerFormatError,
    InvalidParametersError,
    InvalidTimestampFormatError,
)

# Strict on purpose: `int()` alone also takes surrounding whitespace, "+", "_" separators and
# every script's digits ("٣", "３"), and `str.strip()` removes characters `int()` refuses
# (U+001C–U+001F), which is how such input once reached a 500. 18 digits exceed every range.
_INTEGER = re.compile(r"-?[0-9]{1,18}")
INTEGER_FORMS = "written with at most 18 ASCII digits 0-9 and an optional leading '-', and nothing else"
_CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"  # Unicode category Cc: C0 and C1 controls, DEL
# Those and the surrogate code points, which no UTF-8 text can hold.
_FORBIDDEN_IN_TEXT = re.compile("[" + _CONTROL_CHARACTERS + r"\ud800-\udfff]")
# The same rule as a JSON Schema (ECMA-262) pattern; JSON text cannot carry a lone surrogate anyway.
TEXT_PATTERN = f"^[^{_CONTROL_CHARACTERS}]*$"
TEXT_FORMS = "with no control characters (Unicode category Cc, such as NUL, tab or line breaks) or lone surrogates"
# Free text of several lines (an inspection's findings): the same, but LF and CR allowed.
_CONTROLS_BUT_LINE_BREAKS = r"\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f"
_FORBIDDEN_IN_LINES = re.compile("[" + _CONTROLS_BUT_LINE_BREAKS + r"\ud800-\udfff]")
LINES_PATTERN = f"^[^{_CONTROLS_BUT_LINE_BREAKS}]*$"
LINES_FORMS = ("with no control characters other than line breaks (LF, CR; Unicode category Cc, such as NUL or "
               "tab) or lone surrogates")
# A "+hh:mm" offset whose "+" arrived as a space because the client did not URL-encode it.
_SPACE_FOR_PLUS_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}(:?[0-9]{2})?)$")
MAX_ID = 2**53 - 1  # largest id a JavaScript client can hold exactly
YEARS = range(1900, 2101)
TIMESTAMP_FORMS = (
    "an ISO 8601 date or date-time between the years 1900 and 2100, such as 2024-05-01, "
    "2024-05-01T09:30:00 (UTC) or 2024-05-01T09:30:00+09:00"
)


class Parser:
    """A query-parameter parser: `parser(name, raw)` gives the value or raises `error`; `schema()` says what it accepts.

    `schema` is JSON Schema for the parameter's value, or a function returning it when it
    depends on settings read at request time.
    """

    def __init__(self, parse, schema, error):
        self._parse = parse
        self._schema = schema
        self.error = error

    def __call__(self, name, raw):
        return self._parse(name, raw)

    def schema(self):
        """What the parser accepts, as JSON Schema."""
        return self._schema() if callable(self._schema) else dict(self._schema)


def shown(raw, limit=40):
    """The received value, quoted and shortened for an error message."""
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")


def parse_integer(raw):
    """A base-10 integer in the strict form of INTEGER_FORMS (no spaces, no "+"); else ValueError.

    A leading "-" is part of the form so that a negative number gets the range message.
    """
    if not _INTEGER.fullmatch(raw):
        raise ValueError(raw)
    return int(raw)


def forbidden_character(raw, line_breaks=False):
    """The first character that TEXT_FORMS (LINES_FORMS, with `line_breaks`) rules out, or None when the text is clean."""
    found = (_FORBIDDEN_IN_LINES if line_breaks else _FORBIDDEN_IN_TEXT).search(raw)
    return found and found.group()


def integer(minimum=0, maximum=MAX_ID):
    """A parser for a base-10 integer within [minimum, maximum] (see `parse_integer`)."""

    def parse(name, raw):
        try:
            value = parse_integer(raw)
        except ValueError:
            raise InvalidIntegerFormatError(
                f"Parameter '{name}' must be a base-10 integer between {minimum} and {maximum}, "
                f"{INTEGER_FORMS}; received {shown(raw)}."
            ) from None
        if not minimum <= value <= maximum:
            raise InvalidIntegerFormatError(
                f"Parameter '{name}' must be between {minimum} and {maximum}; received {value}."
            )
        return value

    schema = {
        "type": "integer", "minimum": minimum, "maximum": maximum, "description": f"A base-10 integer {INTEGER_FORMS}.",
    }
    return Parser(parse, schema, InvalidIntegerFormatError)


def parse_timestamp(raw):
    """ISO 8601 text (date-only, or date-time with or without zone; no zone means UTC) as aware UTC; else ValueError.

    Instants outside YEARS (in UTC, after the offset is applied, because that is what is
    stored and what later queries compare) are refused: no DGA sample predates oil-filled
    transformers. The extremes of `datetime` overflow when an offset moves them across year
    1 or 9999, which is refused the same way.
    """
    text = _SPACE_FOR_PLUS_OFFSET.sub(r"\1+\2", raw.strip())
    if len(text) < 10:
        raise ValueError(raw)
    value = datetime.datetime.fromisoformat(text)
    try:
        instant = value.replace(tzinfo=value.tzinfo or datetime.timezone.utc).astimezone(datetime.timezone.utc)
    except OverflowError:
        raise ValueError(raw) from None
    if instant.year not in YEARS:
        raise ValueError(raw)
    return instant


def _timestamp(name, raw):
    """An ISO 8601 timestamp parameter (see `parse_timestamp`)."""
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise InvalidTimestampFormatError(
            f"Parameter '{name}' must be {TIMESTAMP_FORMS}; received {shown(raw)}."
        ) from None


# ISO 8601 says more than JSON Schema's formats: the description and examples carry the rest.
TIMESTAMP_SCHEMA = {
    "type": "string",
    "description": f"Written as {TIMESTAMP_FORMS}; no zone means UTC.",
    "examples": ["2024-05-01", "2024-05-01T09:30:00Z", "2024-05-01T09:30:00+09:00"],
}
timestamp = Parser(_timestamp, TIMESTAMP_SCHEMA, InvalidTimestampFormatError)


def choice(allowed, meaning=None):
    """A parser that accepts exactly one of the allowed values; `meaning` (a sentence) says what they mean, in the
    error message and the schema."""
    told = f" {meaning}" if meaning else ""

    def parse(name, raw):
        if raw not in allowed:
            raise InvalidParametersError(
                f"Parameter '{name}' must be one of {', '.join(allowed)}; received {shown(raw)}.{told}"
            )
        return raw

    schema = {"type": "string", "enum": list(allowed), **({"description": meaning} if meaning else {})}
    return Parser(parse, schema, InvalidParametersError)


def text(max_length=100, meaning=None):
    """A parser for free text of bounded length, TEXT_FORMS (bound as a value, never spliced into SQL); `meaning` (a
    sentence) says what it selects, in the schema."""

    def parse(name, raw):
        if not 1 <= len(raw) <= max_length:
            raise InvalidParametersError(
                f"Parameter '{name}' must be 1 to {max_length} characters; received {len(raw)}."
            )
        forbidden = forbidden_character(raw)
        if forbidden:
            raise InvalidParametersError(
                f"Parameter '{name}' must be text {TEXT_FORMS}; received {shown(raw)}, which holds "
                f"U+{ord(forbidden):04X}."
            )
        return raw

    schema = {
        "type": "string", "minLength": 1, "maxLength": max_length, "pattern": TEXT_PATTERN,
        "description": f"{meaning + ' ' if meaning else ''}1 to {max_length} characters {TEXT_FORMS}.",
    }
    return Parser(parse, schema, InvalidParametersError)


def _page_sizes():
    """The parser of page sizes from 1 to the configured maximum (read at request time)."""
    return _sizes_up_to(config.settings().max_page_size)


@functools.lru_cache(maxsize=8)
def _sizes_up_to(maximum):
    """The parser of integers from 1 to `maximum`, built once per maximum rather than on every request."""
    return integer(1, maximum)


def _limit(name, raw):
    """A page size between 1 and the configured maximum."""
    return _page_sizes()(name, raw)


def _limit_schema():
    """`limit` as JSON Schema: the configured maximum, and the default when none is given."""
    return {**_page_sizes().schema(), "default": config.settings().default_page_size}


PAGING = {
    "limit": Parser(_limit, _limit_schema, InvalidIntegerFormatError),
    "offset": integer(0, 10**12),
}



def _offset(name, raw):
    """An offset up to SEDA_MAX_OFFSET, for collections that page by cursor beyond it."""
    maximum = config.settings().max_offset
    value = integer(0, 10**12)(name, raw)
    if value > maximum:
        raise InvalidIntegerFormatError(
            f"Parameter '{name}' must be between 0 and {maximum} (SEDA_MAX_OFFSET); received {value}. To read "
            "further, follow the Link rel=\"next\" URL: its `cursor` parameter reaches any depth at the cost of the "
            "first page."
        )
    return value


def _offset_schema():
    """`offset` as JSON Schema, up to the configured maximum."""
    return {**integer(0, config.settings().max_offset).schema(),
            "description": "Rows to skip, up to SEDA_MAX_OFFSET; deeper, follow the `Link` next URL (`cursor`)."}


def keyset_paging(cursor_parser):
    """The paging parameters of a collection that pages by cursor: `limit`, `offset` (bounded) and `cursor`."""
    return {"limit": PAGING["limit"], "offset": Parser(_offset, _offset_schema, InvalidIntegerFormatError),
            "cursor": cursor_parser}


def parse_query(query_params, spec):
    """Validate query parameters against `{name: parser}`; returns `{name: value}` for those given."""
    unknown = sorted({name for name in query_params.keys() if name not in spec})
    if unknown:
        accepted = ", ".join(sorted(spec)) or "none"
        raise InvalidParametersError(
            f"Unknown query parameter(s): {', '.join(shown(n) for n in unknown)}. "
            f"Accepted parameters: {accepted}."
        )
    values = {}
    for name, raw_values in _grouped(query_params).items():
        if len(raw_values) > 1:
            raise InvalidParametersError(f"Parameter '{name}' was given {len(raw_values)} times; give it once.")
        values[name] = spec[name](name, raw_values[0])
    return values


def _grouped(query_params):
    """Query parameters as `{name: [values]}`, keeping repeats visible."""
    grouped = {}
    for name, value in query_params.multi_items():
        grouped.setdefault(name, []).append(value)
    return grouped


def check_range(values, start="from", end="to"):
    """Reject a time range whose start lies after its end."""
    if start in values and end in values and values[start] > values[end]:
        raise InvalidParametersError(
            f"Parameter '{start}' ({values[start].isoformat()}) must not be later than "
            f"'{end}' ({values[end].isoformat()})."
        )
