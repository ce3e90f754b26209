"""Version 2: schema versions are recorded, and SQLite never hands out the id of a deleted row again.

SQLite's plain `INTEGER PRIMARY KEY` gives a new row the largest id + 1, so deleting the newest
unit or sample made its id come back: a retried DELETE, or a late write meant for the deleted
row, then hit a different one. `AUTOINCREMENT` keeps the largest id ever used in
SQLITE_SEQUENCE instead. SQLite cannot add it to an existing column, so each table is
rebuilt: created again from its own stored DDL with the keyword added, filled with every row
(ids kept), and renamed over the old one; its indexes are made again from their stored DDL.
The caller runs this with foreign keys off (SQLite ignores that pragma inside a transaction)
and checks them before it commits.

Oracle's identity columns never reuse a value, so Oracle only gains the SCHEMA_VERSION table.
"""

import re

VERSION = 2
DESCRIPTION = "schema versions are recorded, and ids are never handed out again after a delete"
REBUILT_TABLES = ("substation", "equipment", "dga_sample")
_ID_COLUMN = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b(?!\s+AUTOINCREMENT)", re.IGNORECASE)

SQLITE_SCHEMA_VERSION_DDL = """
CREATE TABLE schema_version (
  version     INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at  TIMESTAMP NOT NULL
)"""

ORACLE_STATEMENTS = (
    """CREATE TABLE schema_version (
  version     NUMBER(6) PRIMARY KEY,
  description VARCHAR2(200) NOT NULL,
  applied_at  TIMESTAMP NOT NULL
)""",
)


def upgrade_sqlite(connection):
    """Add SCHEMA_VERSION and rebuild every table whose id could come back (inside the caller's transaction)."""
    connection.execute(SQLITE_SCHEMA_VERSION_DDL)
    for table in REBUILT_TABLES:
        _rebuild_with_autoincrement(connection, table)


def _rebuild_with_autoincrement(connection, table):
    """Recreate `table` with an AUTOINCREMENT id, keeping every row, its id and the table's indexes."""
    (create_sql,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    index_sqls = [
        sql
        for (sql,) in connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
        )
    ]
    rebuilt = f"{table}_v{VERSION}"
    new_sql = _ID_COLUMN.sub(lambda match: f"{match.group(0)} AUTOINCREMENT", create_sql, count=1)
    new_sql = re.sub(rf"^CREATE TABLE {table}\b", f"CREATE TABLE {rebuilt}", new_sql, count=1)
    # Table names come from REBUILT_TABLES, never from input.
    connection.execute(new_sql)
    connection.execute(f"INSERT INTO {rebuilt} SELECT * FROM {table}")
    connection.execute(f"DROP TABLE {table}")
    connection.execute(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for index_sql in index_sqls:
        connection.execute(index_sql)
