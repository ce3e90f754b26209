"""Request body charsets: which are accepted, a client's label looked up safely, and bytes decoded.

JSON and CSV bodies alike are read in the Content-Type's `charset` (UTF-8 when it names none;
a UTF-8 byte order mark is dropped). Accepted: CHARSETS, by any name Python knows them by
(`utf8`, `latin1`, `ks_c_5601-1987`...); any other is 415 listing them. Bytes that are not
valid in the charset are 400 naming it and the byte's position.
"""

import encodings
import encodings.aliases

from shared import validation
from shared.errors import SchemaValidationError, UnsupportedMediaTypeError

UTF_8 = "utf_8"
# Python's codec for each accepted charset, with the name messages give it. Korean lab systems
# write EUC-KR and its Windows superset CP949. Client text is only looked up in this table and
# Python's alias table, never passed to `codecs.lookup`: that imports a module named after it
# and caches every miss, so a stream of invented names would grow the process without bound.
_CHARSETS = {
    UTF_8: "utf-8",
    "utf_16": "utf-16",
    "utf_16_le": "utf-16le",
    "utf_16_be": "utf-16be",
    "ascii": "us-ascii",
    "latin_1": "iso-8859-1",
    "cp1252": "windows-1252",
    "euc_kr": "euc-kr",
    "cp949": "cp949",
}
CHARSETS = ", ".join(_CHARSETS.values())
# The label euc-kr is read as CP949, its superset, as the WHATWG Encoding Standard (and so every
# browser) does: Windows software labels CP949 text "euc-kr", and every EUC-KR text is valid CP949.
_DECODER = {"euc_kr": "cp949"}


def codec(label):
    """Python's codec for an accepted charset label, by Python's own aliases; 415 listing CHARSETS otherwise."""
    key = encodings.normalize_encoding(label.lower())
    name = encodings.aliases.aliases.get(key, key)
    if name not in _CHARSETS:
        raise UnsupportedMediaTypeError(
            f"The charset {validation.shown(label)} is not accepted; send the body in one of {CHARSETS} and name it "
            "in the Content-Type charset parameter (UTF-8 needs no parameter)."
        )
    return name


_BODY_ADVICE = "Send the body in the charset that the Content-Type names (UTF-8 when it names none)"


def decoded(data, charset, what="body", advice=_BODY_ADVICE):
    """`data` as text in `charset` (a codec from `codec`; a UTF-8 BOM is dropped); 400 at the first byte that is not.

    `what` and `advice` name the text and the remedy in the message (`tools.load` reads files).
    """
    encoding = "utf-8-sig" if charset == UTF_8 else _DECODER.get(charset, charset)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SchemaValidationError(
            f"The {what} is not valid {_CHARSETS[charset]}: the byte at position {exc.start} "
            f"(0x{data[exc.start]:02X}) cannot be decoded. {advice}; accepted: {CHARSETS}."
        ) from None
