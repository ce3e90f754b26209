"""Running one SQLite statement: the connection class whose statements stop at a deadline or a step budget,
the time limit, and rows as dicts; every statement passes `notify` (the statement observers) first.

Used by the sessions, transactions and streams of `sqlite.py` and by the new-file code of
`sqlite_files.py`. TIMESTAMP columns read back as naive UTC datetimes (our storage convention).
"""

import contextlib
import datetime
import math
import sqlite3
import time

from shared import config
from shared.db.dialects import SQLITE, prepared_binds
from shared.db.interface import dict_rows, notify
from shared.errors import statement_timeout_error

# The progress handler runs every this many SQLite VM steps (well under a millisecond apart).
PROGRESS_STEPS = 1000


def _parse_timestamp(raw):
    """Read a TIMESTAMP column back as a naive UTC datetime (our storage convention)."""
    return datetime.datetime.fromisoformat(raw.decode())


sqlite3.register_converter("TIMESTAMP", _parse_timestamp)


class TimedConnection(sqlite3.Connection):
    """A sqlite3 connection whose statements stop at their deadline (`time_limit`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = math.inf
        self.steps_left = math.inf  # an inline read's budget (`_inline_rows`)
        self.set_progress_handler(self._should_stop, PROGRESS_STEPS)

    def _should_stop(self):
        """Non-zero makes SQLite interrupt the running statement: past its deadline or out of inline steps."""
        self.steps_left -= PROGRESS_STEPS
        return self.steps_left < 0 or time.monotonic() > self.deadline


@contextlib.contextmanager
def time_limit(connection):
    """Run one statement under SEDA_STATEMENT_TIMEOUT_S; 504 naming the limit when it is cut off."""
    connection.deadline = time.monotonic() + config.settings().statement_timeout_s
    try:
        yield
    except sqlite3.OperationalError as exc:
        if str(exc) != "interrupted" or time.monotonic() <= connection.deadline:
            raise
        raise statement_timeout_error() from None
    finally:
        connection.deadline = math.inf


def rows(connection, sql, binds=None, paged=False):
    """Execute and fetch all rows as dicts, synchronously."""
    notify(sql, paged)
    with time_limit(connection), contextlib.closing(
        connection.execute(SQLITE.render(sql, paged), prepared_binds(SQLITE, binds))
    ) as cursor:
        if cursor.description is None:
            return []
        return dict_rows(cursor.description, cursor.fetchall())


def changes(connection, sql, binds=None):
    """Execute a statement that returns no rows; the number of rows it changed."""
    notify(sql, False)
    with time_limit(connection), contextlib.closing(
        connection.execute(SQLITE.render(sql), prepared_binds(SQLITE, binds))
    ) as cursor:
        return cursor.rowcount


def execute_many(connection, sql, rows):
    """Execute a statement once per row of binds, synchronously."""
    notify(sql, False)
    with time_limit(connection):
        connection.executemany(SQLITE.render(sql), [prepared_binds(SQLITE, row) for row in rows]).close()
