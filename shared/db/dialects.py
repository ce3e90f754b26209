"""What differs between SQLite and Oracle SQL, in one place: paging, ping, timestamp binds, upsert, row locks.

Statements are plain SQL both databases understand; `Upsert` and `ForUpdate` are statements
each dialect renders its own way.
"""

import dataclasses
import datetime


class Dialect:
    """What differs between the two databases, in one place."""

    name = ""
    ping_sql = ""

    def page(self, sql):
        """Append the paging clause (binds `:limit` and `:offset`) to an ordered query."""
        raise NotImplementedError

    def bind_timestamp(self, value):
        """Turn an aware datetime into what the driver binds to a TIMESTAMP column."""
        raise NotImplementedError

    def render(self, sql, paged=False):
        """The statement as sent to this database: SQL text (paged if asked), or an `Upsert` or `ForUpdate`."""
        if not isinstance(sql, str):
            return sql.render(self)
        return self.page(sql) if paged else sql

    def for_update(self, sql):
        """A query that keeps the rows it read locked against other writers until the transaction ends."""
        raise NotImplementedError

    def upsert(self, table, key_columns, columns):
        """An insert-or-update statement by unique key, with one named bind per column."""
        raise NotImplementedError


class SqliteDialect(Dialect):
    """SQLite: LIMIT/OFFSET, timestamps as sortable UTC text, ON CONFLICT upsert."""

    name = "sqlite"
    ping_sql = "SELECT 1"

    def page(self, sql):
        """Append LIMIT/OFFSET."""
        return f"{sql} LIMIT :limit OFFSET :offset"

    def bind_timestamp(self, value):
        """Fixed-width UTC text (zero-padded year, always microseconds), so text order is time order."""
        return _to_naive_utc(value).isoformat(sep=" ", timespec="microseconds")

    def for_update(self, sql):
        """Unchanged: the transaction's BEGIN IMMEDIATE already holds the database's only write lock."""
        return sql

    def upsert(self, table, key_columns, columns):
        """INSERT … ON CONFLICT (key) DO UPDATE."""
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key_columns)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {updates}"
        )


class OracleDialect(Dialect):
    """Oracle 12c+: OFFSET/FETCH, naive UTC datetimes (session time zone is UTC), MERGE."""

    name = "oracle"
    ping_sql = "SELECT 1 FROM DUAL"

    def page(self, sql):
        """Append OFFSET … FETCH NEXT … ROWS ONLY."""
        return f"{sql} OFFSET :offset ROWS FETCH NEXT :limit ROWS ONLY"

    def bind_timestamp(self, value):
        """A naive UTC datetime for a TIMESTAMP column."""
        return _to_naive_utc(value)

    def for_update(self, sql):
        """SELECT … FOR UPDATE."""
        return f"{sql} FOR UPDATE"

    def upsert(self, table, key_columns, columns):
        """MERGE … USING (SELECT binds FROM DUAL)."""
        source = ", ".join(f":{c} AS {c}" for c in columns)
        on = " AND ".join(f"t.{c} = s.{c}" for c in key_columns)
        updates = ", ".join(f"t.{c} = s.{c}" for c in columns if c not in key_columns)
        return (
            f"MERGE INTO {table} t USING (SELECT {source} FROM DUAL) s ON ({on}) "
            f"WHEN MATCHED THEN UPDATE SET {updates} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) "
            f"VALUES ({', '.join('s.' + c for c in columns)})"
        )


SQLITE = SqliteDialect()
ORACLE = OracleDialect()


@dataclasses.dataclass(frozen=True)
class Upsert:
    """Insert `columns` or, when a row with the same `key_columns` exists, update it (one bind per column)."""

    table: str
    key_columns: tuple[str, ...]
    columns: tuple[str, ...]

    def render(self, dialect):
        """ON CONFLICT for SQLite, MERGE for Oracle."""
        return dialect.upsert(self.table, self.key_columns, self.columns)


@dataclasses.dataclass(frozen=True)
class ForUpdate:
    """A query inside a transaction whose rows no other writer may change until it ends."""

    sql: str

    def render(self, dialect):
        """FOR UPDATE for Oracle; SQLite's transaction already excludes other writers."""
        return dialect.for_update(self.sql)


# What a session executes: SQL text both databases understand, or a statement each dialect renders its own way.
Statement = str | Upsert | ForUpdate


def _to_naive_utc(value):
    """An aware datetime converted to UTC without tzinfo (naive values are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def prepared_binds(dialect, binds):
    """Binds with datetimes converted for the dialect."""
    if not binds:
        return {}
    return {
        k: dialect.bind_timestamp(v) if isinstance(v, datetime.datetime) else v
        for k, v in binds.items()
    }
