"""Check the Oracle account the service connects as: `python -m tools.check_oracle`.

Run it with the service's settings (`ORACLE_USER`, `ORACLE_PASSWORD`, where the database is, and
`ORACLE_SCHEMA`, the owner of the tables). It connects as the service does (the same session setup,
`ALTER SESSION SET CURRENT_SCHEMA` included), reads the data dictionary with binds, and prints:

- missing grants: a privilege `sql/oracle/03_runtime_grants.sql` gives on a table that the account
  does not hold (directly, through an enabled role or PUBLIC), and tables it cannot see at all;
- excess privileges: any system privilege beyond CREATE SESSION (DDL, the ANY privileges), a table
  privilege that file does not give (a write where only reads are needed, ALTER, INDEX...), a grant
  WITH GRANT OPTION, and connecting as the owner itself, who may change or drop every table;
- missing indexes: an index of `sql/oracle/02_schema.sql` (CREATE INDEX, UNIQUE and PRIMARY KEY
  constraints) with no valid index of the same columns in the same order on the owner's table.

The expected grants and indexes are read from those two SQL files, the ones the DBA runs: there is no other copy
(only the one system privilege, CREATE SESSION, is named here as well as in 01_tablespace_user.sql).
What is compared is a pure function of the fetched rows (`check`), so it is tested without a server.
The views read (SESSION_PRIVS, SESSION_ROLES, ALL_TABLES, ALL_TAB_PRIVS, ALL_INDEXES, ALL_IND_COLUMNS,
ALL_IND_EXPRESSIONS) are readable by every account and show what concerns it, so the check needs no
privilege of its own. Exit status: 0 when nothing is missing or in excess, 1 when something is,
2 when it cannot run (no Oracle settings, no connection: the message says which).
"""

import argparse
import dataclasses
import pathlib
import re
import sys

from shared.db.interface import dict_rows

SQL_DIRECTORY = pathlib.Path(__file__).resolve().parent.parent / "sql" / "oracle"
SCHEMA_SCRIPT = SQL_DIRECTORY / "02_schema.sql"
GRANTS_SCRIPT = SQL_DIRECTORY / "03_runtime_grants.sql"
# The runtime account's only system privilege (sql/oracle/01_tablespace_user.sql).
SYSTEM_PRIVILEGES = frozenset({"CREATE SESSION"})
# A grant for a read only (READ) is also met by SELECT, which can lock rows too: reported as excess.
_MET_BY = {"READ": ("READ", "SELECT")}

# The two statement shapes of the scripts this reads; tests/test_check_oracle.py holds them to sqlglot's reading.
_GRANT = re.compile(r"^GRANT\s+(?P<privileges>[A-Z, ]+?)\s+ON\s+(?P<table>\w+)\s+TO\s+\w+$", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^CREATE TABLE (?P<table>\w+) \((?P<body>.*)\)$", re.IGNORECASE | re.DOTALL)
_CREATE_INDEX = re.compile(r"^CREATE (?:UNIQUE )?INDEX (?P<name>\w+) ON (?P<table>\w+) \((?P<columns>[^)]*)\)$",
                           re.IGNORECASE)
_UNIQUE = re.compile(r"CONSTRAINT (?P<name>\w+) UNIQUE \((?P<columns>[^)]*)\)", re.IGNORECASE)
_PRIMARY_KEY = re.compile(r"^\s*(?P<column>\w+)\s[^,]*\bPRIMARY KEY\b", re.IGNORECASE | re.MULTILINE)

SESSION_QUERY = "SELECT USER AS username, SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AS current_schema FROM DUAL"
SYSTEM_PRIVILEGES_QUERY = "SELECT privilege FROM session_privs"
ROLES_QUERY = "SELECT role FROM session_roles"
TABLES_QUERY = "SELECT table_name FROM all_tables WHERE owner = :owner"
TABLE_PRIVILEGES_QUERY = (
    "SELECT grantee, table_name, privilege, grantable FROM all_tab_privs WHERE table_schema = :owner"
)
INDEX_COLUMNS_QUERY = (
    "SELECT c.index_name, c.table_name, c.column_name, c.column_position, c.descend, i.status "
    "FROM all_ind_columns c JOIN all_indexes i ON i.owner = c.index_owner AND i.index_name = c.index_name "
    "WHERE c.table_owner = :owner"
)
# A DESC column is indexed as an expression (a hidden SYS_NC…$ column); its text is the quoted column name.
INDEX_EXPRESSIONS_QUERY = (
    "SELECT index_name, column_position, column_expression FROM all_ind_expressions WHERE table_owner = :owner"
)


@dataclasses.dataclass(frozen=True)
class ExpectedIndex:
    """An index the schema script creates: its name, its table and its columns in order, as (NAME, descending)."""

    name: str
    table: str
    columns: tuple[tuple[str, bool], ...]

    def describe(self):
        """`NAME on TABLE (A, B DESC)`."""
        columns = ", ".join(f"{column} DESC" if descending else column for column, descending in self.columns)
        return f"{self.name} on {self.table} ({columns})"


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the data dictionary says about the connected account, as rows with lowercase keys."""

    username: str
    owner: str  # the session's current schema: ORACLE_SCHEMA, or the account itself
    system_privileges: list[dict]
    roles: list[dict]
    tables: list[dict]
    table_privileges: list[dict]
    index_columns: list[dict]
    index_expressions: list[dict]


@dataclasses.dataclass(frozen=True)
class Report:
    """What is missing and what is in excess, each a list of lines to print."""

    missing_grants: list[str]
    excess_privileges: list[str]
    missing_indexes: list[str]

    @property
    def ok(self):
        """True when nothing is missing and nothing is in excess."""
        return not (self.missing_grants or self.excess_privileges or self.missing_indexes)


def script_statements(text):
    """The statements of an SQL*Plus script, without comment lines, whitespace collapsed."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("--")]
    return [" ".join(statement.split()) for statement in "\n".join(lines).split(";") if statement.strip()]


def expected_grants(text):
    """{TABLE: privileges} of the GRANT … ON statements of the grants script, in upper case."""
    grants = {}
    for statement in script_statements(text):
        match = _GRANT.match(statement)
        if match:
            privileges = {privilege.strip().upper() for privilege in match["privileges"].split(",")}
            grants.setdefault(match["table"].upper(), set()).update(privileges)
    return {table: frozenset(privileges) for table, privileges in grants.items()}


def _columns(text):
    """`a, b DESC` as ((A, False), (B, True))."""
    columns = []
    for part in text.split(","):
        name, *order = part.split()
        columns.append((name.upper(), [word.upper() for word in order] == ["DESC"]))
    return tuple(columns)


def expected_indexes(text):
    """Every index the schema script creates: CREATE INDEX, and the indexes of UNIQUE and PRIMARY KEY constraints."""
    indexes = []
    for statement in script_statements(text):
        if match := _CREATE_INDEX.match(statement):
            indexes.append(ExpectedIndex(match["name"].upper(), match["table"].upper(), _columns(match["columns"])))
        elif match := _CREATE_TABLE.match(statement):
            table = match["table"].upper()
            body = match["body"].replace(", ", ",\n")  # one column or constraint a line, for _PRIMARY_KEY
            indexes += [ExpectedIndex(f"{table} primary key", table, ((key["column"].upper(), False),))
                        for key in _PRIMARY_KEY.finditer(body)]
            indexes += [ExpectedIndex(unique["name"].upper(), table, _columns(unique["columns"]))
                        for unique in _UNIQUE.finditer(body)]
    return indexes


def _held_table_privileges(facts):
    """{(TABLE, PRIVILEGE): grantable} the account holds on the owner's tables: its own, its roles' and PUBLIC's."""
    grantees = {facts.username, "PUBLIC", *(row["role"] for row in facts.roles)}
    held = {}
    for row in facts.table_privileges:
        if row["grantee"] in grantees:
            key = (row["table_name"], row["privilege"])
            held[key] = held.get(key, False) or row["grantable"] == "YES"
    return held


def _grant_problems(grants, facts):
    """(missing, excess) lines about the owner's tables."""
    if facts.username == facts.owner:
        return [], [f"connected as {facts.owner}, the owner of the tables, who may alter and drop them: connect as the "
                    f"runtime account (sql/oracle/01_tablespace_user.sql) with ORACLE_SCHEMA={facts.owner}"]
    visible = {row["table_name"] for row in facts.tables}
    held = _held_table_privileges(facts)
    missing = [f"table {facts.owner}.{table} not visible to {facts.username} (does it exist? is ORACLE_SCHEMA the "
               "owner? nothing granted on it?)" for table in sorted(set(grants) - visible)]
    for table, privileges in sorted(grants.items()):
        if table not in visible:
            continue
        missing += [f"{privilege} on {table}" for privilege in sorted(privileges)
                    if not any((table, met_by) in held for met_by in _MET_BY.get(privilege, (privilege,)))]
    excess = []
    for (table, privilege), grantable in sorted(held.items()):
        wanted = grants.get(table, frozenset())
        if privilege not in wanted:
            reason = " (READ suffices: SELECT can also lock rows)" if "READ" in wanted and privilege == "SELECT" else ""
            excess.append(f"{privilege} on {table}{reason}")
        elif grantable:
            excess.append(f"{privilege} on {table} WITH GRANT OPTION")
    return missing, excess


def _found_indexes(facts):
    """{(TABLE, columns)} of every valid index on the owner's tables, DESC columns named by their expression."""
    expressions = {(row["index_name"], int(row["column_position"])): row["column_expression"]
                   for row in facts.index_expressions}
    by_index = {}
    for row in facts.index_columns:
        if row["status"] not in ("VALID", "N/A"):  # N/A: a partitioned index, valid per partition
            continue
        position = int(row["column_position"])
        descending = row["descend"] == "DESC"
        name = row["column_name"]
        if descending:
            name = expressions.get((row["index_name"], position), name).strip('"').upper()
        by_index.setdefault((row["index_name"], row["table_name"]), {})[position] = (name, descending)
    return {(table, tuple(columns[position] for position in sorted(columns)))
            for (_, table), columns in by_index.items()}


def check(grants, indexes, facts):
    """The Report of comparing the expected grants and indexes with the fetched `facts` (no database here)."""
    missing_grants, excess = _grant_problems(grants, facts)
    system_privileges = sorted(row["privilege"] for row in facts.system_privileges)
    excess = [f"system privilege {name}" for name in system_privileges if name not in SYSTEM_PRIVILEGES] + excess
    found = _found_indexes(facts)
    missing_indexes = [index.describe() for index in indexes if (index.table, index.columns) not in found]
    return Report(missing_grants, excess, missing_indexes)


def render(report, facts):
    """The report as the lines printed."""
    lines = [f"Oracle account {facts.username}, tables of {facts.owner}"]
    for title, entries in (("missing grants", report.missing_grants), ("excess privileges", report.excess_privileges),
                           ("missing indexes", report.missing_indexes)):
        lines.append(f"{title}: {'none' if not entries else len(entries)}")
        lines += [f"  {entry}" for entry in entries]
    lines.append("OK" if report.ok else "NOT OK: see above; sql/oracle/ holds the statements that fix it")
    return lines


def fetch_facts(cursor):
    """Read the data dictionary on a session set up as the service's (`cursor` of a python-oracledb connection)."""

    def rows(sql, binds=None):
        cursor.execute(sql, binds or {})
        return dict_rows(cursor.description, cursor.fetchall())

    (session,) = rows(SESSION_QUERY)
    owner = {"owner": session["current_schema"]}
    return Facts(
        username=session["username"],
        owner=session["current_schema"],
        system_privileges=rows(SYSTEM_PRIVILEGES_QUERY),
        roles=rows(ROLES_QUERY),
        tables=rows(TABLES_QUERY, owner),
        table_privileges=rows(TABLE_PRIVILEGES_QUERY, owner),
        index_columns=rows(INDEX_COLUMNS_QUERY, owner),
        index_expressions=rows(INDEX_EXPRESSIONS_QUERY, owner),
    )


def _connect_and_fetch(oracle):
    """Connect with the service's settings, set the session up as the pool does, and read the dictionary."""
    import oracledb  # noqa: PLC0415 - only this path needs the driver

    from shared.db.oracle_connect import oracle_connect_params, session_setup_statements  # noqa: PLC0415

    oracledb.defaults.fetch_lobs = False
    with oracledb.connect(params=oracle_connect_params(oracle)) as connection, connection.cursor() as cursor:
        for statement in session_setup_statements(oracle):
            cursor.execute(statement)
        return fetch_facts(cursor)


def main(argv=None):
    """Check the configured account; print the report; 0 when all is well, 1 when not, 2 when it cannot check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    from shared import config  # noqa: PLC0415 - settings are read only when run

    try:
        oracle = config.settings().oracle
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    if oracle is None:
        print("set ORACLE_USER, ORACLE_PASSWORD, ORACLE_DSN (or ORACLE_HOST and a service name) and ORACLE_SCHEMA "
              "as for the service", file=sys.stderr)
        return 2
    try:
        facts = _connect_and_fetch(oracle)
    except Exception as exc:  # noqa: BLE001 - any driver error: say it and stop
        print(f"could not read the data dictionary as {oracle.user}: {exc}", file=sys.stderr)
        return 2
    grants = expected_grants(GRANTS_SCRIPT.read_text())
    indexes = expected_indexes(SCHEMA_SCRIPT.read_text())
    report = check(grants, indexes, facts)
    print("\n".join(render(report, facts)))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
