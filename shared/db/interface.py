"""The verbs every session and transaction offers, and what both drivers share around them."""

import contextlib
import dataclasses
import functools
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar, cast

from shared import context, tracing
from shared.db.dialects import Statement

# A row as handlers get it (lowercase column names), and the named binds of a statement.
Row = dict[str, Any]
Binds = Mapping[str, object]

# Observers see every statement as handlers wrote it, before the dialect renders it; the
# test suite uses this to parse each one with an Oracle SQL parser.
statement_observers: list[Callable[[Statement, bool], None]] = []


@dataclasses.dataclass(frozen=True)
class SessionUse:
    """A database's sessions now, for the metrics path: held by requests, the most it holds, and open (a pool's)."""

    in_use: int
    limit: int
    open: int | None = None  # None where sessions are not pooled (SQLite)


Verb = TypeVar("Verb", bound=Callable[..., Awaitable[Any]])


def observed(verb: Verb) -> Verb:
    """A verb (`fetch_all`, `execute`, `execute_many`) whose time counts toward the request's `db_ms` in the access
    log and which is a child span of the request's when tracing is on (`shared/tracing.py`)."""

    @functools.wraps(verb)
    async def run(self: Any, sql: Statement, *arguments: Any, **keywords: Any) -> Any:
        started = time.perf_counter()
        try:
            with tracing.statement_span(sql, self.dialect):
                return await verb(self, sql, *arguments, **keywords)
        finally:
            context.add_db_time(time.perf_counter() - started)

    return cast(Verb, run)


def notify(sql: Statement, paged: bool) -> None:
    """Tell the statement observers about a statement."""
    for observer in statement_observers:
        observer(sql, paged)


def dict_rows(description: Iterable[Any], rows: Iterable[Sequence[Any]]) -> list[Row]:
    """Rows as dicts keyed by lowercase column names."""
    names = [d[0].lower() for d in description]
    return [dict(zip(names, row)) for row in rows]


def where(conditions: Mapping[str, str], values: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    """A WHERE clause of the allow-listed `conditions[name]` for each name in `values`, and its binds.

    Each condition binds its value as `:p_<name>`; the prefix keeps parameter names such as
    `from` from colliding with words Oracle reserves.
    """
    chosen = [name for name in conditions if name in values]
    clause = f" WHERE {' AND '.join(conditions[name] for name in chosen)}" if chosen else ""
    return clause, {f"p_{name}": values[name] for name in chosen}


class FixedInList:
    """An IN-list of always `size` binds named `<prefix>0` … (the last value repeated to fill it).

    A statement with one fixed text for any number of values up to `size` is parsed once by the
    database (and Oracle's limit of 1,000 IN-list entries is never reached); more values are read
    `size` at a time.
    """

    def __init__(self, prefix: str, size: int) -> None:
        self.prefix = prefix
        self.size = size
        self.sql = ", ".join(f":{prefix}{position}" for position in range(size))

    def chunks(self, values: Sequence[object]) -> Iterator[dict[str, object]]:
        """The binds of every `size` of `values`, in the order given."""
        for start in range(0, len(values), self.size):
            chunk = list(values[start : start + self.size])
            padded = chunk + [chunk[-1]] * (self.size - len(chunk))
            yield {f"{self.prefix}{position}": value for position, value in enumerate(padded)}


class Verbs:
    """What every session and transaction offers on top of its own `fetch_all`."""

    async def fetch_all(
        self, sql: Statement, binds: Binds | None = None, *, paged: bool = False, large: bool = False
    ) -> list[Row]:
        """All rows of a query."""
        raise NotImplementedError

    async def fetch_one(self, sql: Statement, binds: Binds | None = None) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch_all(sql, binds)
        return rows[0] if rows else None


class Transactional(Protocol):
    """What `committed` drives: a transaction of either database."""

    async def begin(self) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...


_Transaction = TypeVar("_Transaction", bound=Transactional)


@contextlib.asynccontextmanager
async def committed(transaction: _Transaction) -> AsyncGenerator[_Transaction, None]:
    """Begin; commit when the block ends, roll back and re-raise when it raises; close either way."""
    try:
        await transaction.begin()
        yield transaction
        await transaction.commit()
    except BaseException:
        await transaction.rollback()
        raise
    finally:
        await transaction.close()
