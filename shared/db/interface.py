"""The verbs every session and transaction offers, and what both drivers share around them."""

import contextlib

# Observers see every statement as handlers wrote it, before the dialect renders it; the
# test suite uses this to parse each one with an Oracle SQL parser.
statement_observers = []


def notify(sql, paged):
    """Tell the statement observers about a statement."""
    for observer in statement_observers:
        observer(sql, paged)


def dict_rows(description, rows):
    """Rows as dicts keyed by lowercase column names."""
    names = [d[0].lower() for d in description]
    return [dict(zip(names, row)) for row in rows]


def where(conditions, values):
    """A WHERE clause of the allow-listed `conditions[name]` for each name in `values`, and its binds.

    Each condition binds its value as `:p_<name>`; the prefix keeps parameter names such as
    `from` from colliding with words Oracle reserves.
    """
    chosen = [name for name in conditions if name in values]
    clause = f" WHERE {' AND '.join(conditions[name] for name in chosen)}" if chosen else ""
    return clause, {f"p_{name}": values[name] for name in chosen}


class Verbs:
    """What every session and transaction offers on top of its own `fetch_all`."""

    async def fetch_all(self, sql, binds=None, *, paged=False, large=False):
        """All rows of a query."""
        raise NotImplementedError

    async def fetch_one(self, sql, binds=None):
        """The first row of a query, or None."""
        rows = await self.fetch_all(sql, binds)
        return rows[0] if rows else None


@contextlib.asynccontextmanager
async def committed(transaction):
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
