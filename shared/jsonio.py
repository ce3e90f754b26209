"""The one JSON path of the API: serialize with orjson, build JSON responses.

orjson is used because it is several times faster than the stdlib encoder on our row
lists (bench/serializer.py) and natively writes datetimes as ISO 8601 and NaN/inf as null.
Conventions: datetimes are written as UTC ending in "Z": naive ones are UTC by our storage
convention, and the service converts every parsed or computed datetime to UTC before it gets
here (orjson keeps any other offset as given; converting in a `default` hook instead measured
3x slower on a 1,000-row page); Decimal becomes a JSON number; bytes become base64 text; NumPy scalars and arrays are
numbers and lists; NaN and infinities become null.
"""

import base64
import decimal

import orjson
from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json"
NDJSON_MEDIA_TYPE = "application/x-ndjson"  # one JSON value per line (exports, `shared/exports.py`)
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_SERIALIZE_NUMPY


def _encode_other(value):
    """Encode the types orjson does not know natively."""
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(value):
    """Serialize a value to JSON bytes using the API's conventions."""
    return orjson.dumps(value, default=_encode_other, option=_OPTIONS)


def loads(data):
    """Parse JSON bytes or text."""
    return orjson.loads(data)


def json_response(body, status=200, headers=None):
    """A JSON response with the given body, status and extra headers."""
    return Response(dumps(body), status_code=status, headers=headers, media_type=JSON_MEDIA_TYPE)
