"""CSV output: RFC 4180 text that a spreadsheet opens without running anything in it.

What the service writes as CSV: a header row naming the columns, then one row per element;
UTF-8, CRLF line ends, a field quoted when it holds a comma, a quote or a line break (quotes
doubled). Values read as the JSON shows them (`shared/jsonio.py`): times in UTC ending in Z,
numbers as numbers, null as an empty cell.

Text that a spreadsheet would take for a formula — starting with =, +, -, @, a tab or a
carriage return (OWASP's CSV injection advice) — is written with a single quote before it,
which Excel, LibreOffice and Google Sheets show as text. Only text cells are neutralised: a
number is never a formula, so -1.5 stays -1.5. Stored data stays as it was sent; the quote
exists only in the export.

A resource that offers CSV calls `negotiate(request, columns)`: JSON unless the request's
`Accept` prefers `text/csv`, 406 NotAcceptable when it allows neither. Its responses carry
`Vary: Accept` (`varied`), so caches keep the two apart.
"""

import csv
import io
import re

from starlette.responses import Response

from shared import validation
from shared.errors import NotAcceptableError
from shared.jsonio import JSON_MEDIA_TYPE, dumps

MEDIA_TYPE = "text/csv"
CONTENT_TYPE = f"{MEDIA_TYPE}; charset=utf-8; header=present"  # `header` is RFC 4180's own parameter
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUALITY = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")  # RFC 9110's qvalue


def negotiate(request, columns):
    """None when the request should get JSON, a CSV renderer of `columns` when its `Accept` prefers CSV; else 406.

    No `Accept` (or an empty one) means JSON; so does a tie, JSON being the API's own form.
    """
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return None
    json_quality, csv_quality = _quality(accept, JSON_MEDIA_TYPE), _quality(accept, MEDIA_TYPE)
    if max(json_quality, csv_quality) == 0:
        raise NotAcceptableError(
            f"This resource answers {JSON_MEDIA_TYPE} or {MEDIA_TYPE}, and Accept {validation.shown(accept)} allows "
            f"neither; send Accept: {JSON_MEDIA_TYPE}, Accept: {MEDIA_TYPE}, or no Accept header."
        )
    if not prefers_csv(accept):
        return None
    return lambda rows, headers: csv_response(rows, columns, headers)


def prefers_csv(accept):
    """True when an `Accept` value prefers CSV to JSON (a tie is JSON's)."""
    return _quality(accept, MEDIA_TYPE) > _quality(accept, JSON_MEDIA_TYPE)


def varied(response):
    """The response, marked as chosen by `Accept` so that caches keep JSON and CSV apart."""
    response.headers.append("Vary", "Accept")
    return response


def csv_response(rows, columns, headers=None):
    """200 with `rows` (mappings) as CSV of `columns`, header row first."""
    return Response(dumps_csv(rows, columns), headers=headers, media_type=CONTENT_TYPE)


def dumps_csv(rows, columns, header=True):
    """`rows` as CSV bytes: the header row (unless `header` is false), then each row's `columns` in order."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    if header:
        writer.writerow(columns)
    writer.writerows([_cell(row[column]) for column in columns] for row in rows)
    return text.getvalue().encode()


def _cell(value):
    """One value as CSV text: text neutralised, anything else as the JSON writes it, null as empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    written = dumps(value).decode()
    return "" if written == "null" else written.strip('"')  # a JSON string here is a time: no quotes inside


def _quality(accept, media_type):
    """The q-value `accept` gives `media_type`: that of its most specific matching range, 0 when none matches."""
    kind = media_type.partition("/")[0]
    specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}
    best, quality = -1, 0.0
    for media_range in accept.split(","):
        name, *parameters = media_range.split(";")
        rank = specificity.get(name.strip().lower(), -1)
        if rank > best:
            best, quality = rank, _q(parameters)
    return quality


def _q(parameters):
    """The `q` among a media range's parameters; 1 when absent or not a valid qvalue."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q" and _QUALITY.fullmatch(value.strip()):
            return float(value)
    return 1.0
