"""Keyset paging: opaque cursors and the WHERE fragment that starts a page right after one.

A collection ordered by a key that is unique as a whole (a total order) pages by the key of the
last row it served instead of by an offset, so page 10,000 costs what page 1 costs: the
database seeks the index to the key and reads one page from there. A `Keyset` names the key's
columns in order, each ascending or descending, and the kind of value each holds (to check a
cursor on its way in):

    BY_UNIT_AND_TIME = cursors.Keyset(cursors.Column("equipment_id", "integer"),
                                      cursors.Column("sampled_at", "timestamp"))
    cursor = BY_UNIT_AND_TIME.encode(last_row)            # the `cursor` of the next-page URL
    condition, binds = BY_UNIT_AND_TIME.after(BY_UNIT_AND_TIME.decode(cursor))
    sql = f"SELECT … WHERE {condition} ORDER BY {BY_UNIT_AND_TIME.order_by()}"

The cursor is base64url (no padding) of a JSON array of the row's key values, times as ISO 8601
text; clients treat it as opaque. A cursor that does not decode to values of the right kinds is
400 InvalidParameters; a well-formed cursor someone edited names another position, which is
harmless. Key columns must be NOT NULL (SQL comparisons with NULL are never true). A keyset made
with a `tag` (`Keyset(…, tag="name")`) writes the tag first in its cursors and decodes only
cursors carrying it, so a cursor of one order is never read as a position in another.

No row-value comparison such as `(a, b) > (:a, :b)`: Oracle 19c rejects it. The condition is
expanded, and led by a bound on the first column alone so that both planners seek the index:
`a >= :k_0 AND (a > :k_0 OR (a = :k_0 AND b > :k_1))` (binds `:k_<n>`, one per column).
"""

import base64
import binascii
import dataclasses
import datetime
import json
import math

from shared import validation
from shared.errors import InvalidParametersError

_KINDS = ("integer", "number", "text", "timestamp")
_INTEGER_BOUND = 2**63  # what both databases store in an integer column
_MAX_CURSOR_LENGTH = 400  # far more than any key this service pages by
_CURSOR_FORMS = "the opaque value from a Link rel=\"next\" URL of this collection, unchanged"
_CURSOR_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "minLength": 1, "maxLength": _MAX_CURSOR_LENGTH,
                  "description": f"Where the page starts: {_CURSOR_FORMS}. Not together with `offset`."}


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a keyset: its name, the kind of value it holds, and whether the order descends."""

    name: str
    kind: str
    descending: bool = False

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(_KINDS)}, not {self.kind!r}")

    def ordering(self):
        """The column in an ORDER BY clause."""
        return f"{self.name} {'DESC' if self.descending else 'ASC'}"

    def beyond(self):
        """The comparison that holds for values after the cursor's in this column's direction."""
        return "<" if self.descending else ">"


class Keyset:
    """An ordered key, unique as a whole, that pages a collection (see the module docstring)."""

    def __init__(self, *columns, tag=None):
        if not columns:
            raise ValueError("a keyset needs at least one column")
        self.columns = columns
        self.tag = tag
        self._head = [] if tag is None else [tag]

    def order_by(self):
        """The ORDER BY list that the cursor follows."""
        return ", ".join(column.ordering() for column in self.columns)

    def encode(self, row):
        """The cursor after `row` (a mapping holding every key column)."""
        values = [*self._head, *(_written(row[column.name]) for column in self.columns)]
        text = json.dumps(values, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).rstrip(b"=").decode()

    def decode(self, raw, name="cursor"):
        """The key values a cursor holds, checked against the columns' kinds; else 400 naming parameter `name`."""
        try:
            if len(raw) > _MAX_CURSOR_LENGTH:
                raise ValueError(raw)
            padded = raw + "=" * (-len(raw) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            if not isinstance(values, list) or len(values) != len(self._head) + len(self.columns):
                raise ValueError(raw)
            if values[: len(self._head)] != self._head:
                raise ValueError(raw)
            keys = values[len(self._head) :]
            return [_read(column.kind, value) for column, value in zip(self.columns, keys)]
        except (ValueError, OverflowError, UnicodeError, binascii.Error, TypeError):
            raise InvalidParametersError(
                f"Parameter '{name}' must be {_CURSOR_FORMS}; received {validation.shown(raw)}, which is not such a cursor. "
                "Start again without it to read from the first page."
            ) from None

    def after(self, values):
        """The condition for rows after the key `values` in this order, and its binds (`:k_0`, `:k_1`, …)."""
        alternatives, binds = self.steps(values)
        expanded = " OR ".join(f"({alternative})" for alternative in alternatives[::-1])
        first = self.columns[0]
        # Redundant, but it lets the planner seek the index to the first column's value.
        leading = f"{first.name} {first.beyond()}= :k_0"
        return f"{leading} AND ({expanded})", binds

    def steps(self, values):
        """The rows after the key `values` as conditions that each seek one range, in key order, and their binds.

        `(a = :k_0 AND b > :k_1)` first, then `(a > :k_0)`: read one after the other until the page
        is full, each is a plain index range. `after`'s single OR makes the planner seek to `a`
        and then step over every row tied on `a` before the cursor (4,071 units tied at one rank
        made the fleet's deep page 1.8× its first).
        """
        binds = {f"k_{position}": value for position, value in enumerate(values)}
        conditions = []
        for position, column in enumerate(self.columns):
            equal_before = [f"{earlier.name} = :k_{index}" for index, earlier in enumerate(self.columns[:position])]
            conditions.append(" AND ".join([*equal_before, f"{column.name} {column.beyond()} :k_{position}"]))
        return conditions[::-1], binds

    def parser(self):
        """A query-parameter parser (`shared/validation.py`) for this keyset's cursors."""
        return validation.Parser(lambda name, raw: self.decode(raw, name), _CURSOR_SCHEMA, InvalidParametersError)


def opaque_parser():
    """A parser of `cursor` that keeps the text, for a collection whose keyset depends on other parameters (its
    handler decodes it with the keyset chosen)."""
    return validation.Parser(lambda name, raw: raw, _CURSOR_SCHEMA, InvalidParametersError)


def _written(value):
    """A key value as JSON can carry it: times as ISO 8601 text."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _read(kind, value):
    """A decoded key value of `kind`, or ValueError."""
    if kind == "timestamp" and isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool) and abs(value) < _INTEGER_BOUND:
        return value
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)  # an integer too large for a float raises OverflowError (caught in decode)
        if math.isfinite(number):
            return number  # a float binds on both databases; a 10**25 integer overflows SQLite's binding
    if kind == "text" and isinstance(value, str):
        return value
    raise ValueError(value)

