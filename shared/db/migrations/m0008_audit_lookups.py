"""Version 8: the audit trail found by request and by key without reading all of it.

`GET /audit?request_id=` (which writes one request made: the id in its log lines and its
`X-Request-Id`) and `?key_id=` (what one API key did) were answered by reading the audit log in
id order and keeping the matching entries: the whole log when the request or key is rare, and
the log only grows (an entry per write, never deleted). Measured in SQL alone on SQLite with
1,000,000 entries (`GET /audit`'s page statement, best of 5): a request id 55 ms, a key with
10 entries 55 ms; with these indexes 0.01 ms and 0.02 ms. `(key_id, id)` also holds the page's
order, so a key with many entries is read in order and the read stops at the page's end.
`resource_name` (five values) and `from`/`to` (`audit_log_recorded_ix`) need nothing more.

The same indexes on both databases; nothing else changes: no row is touched, every stored
verdict stays current (no NEXT_STEP). The DDL is this version's, frozen here;
`shared/schema.py` and `sql/oracle/02_schema.sql` create the same indexes in a new database.
"""

VERSION = 8
DESCRIPTION = "audit entries found by request id and by key without reading the whole audit log"

_STATEMENTS = (
    "CREATE INDEX audit_log_request_ix ON audit_log (request_id)",
    "CREATE INDEX audit_log_key_ix ON audit_log (key_id, id)",
)
SQLITE_STATEMENTS = _STATEMENTS
ORACLE_STATEMENTS = _STATEMENTS


def upgrade_sqlite(connection):
    """Create the indexes (inside the caller's transaction)."""
    for statement in SQLITE_STATEMENTS:
        connection.execute(statement)
