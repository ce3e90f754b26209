"""`python -m tools.check_oracle`: its expected lists, its comparison on data-dictionary rows, ORACLE_SCHEMA.

No Oracle server runs here. The comparison is a pure function of the rows the script fetches (`check`), so it is
tested on rows shaped as Oracle's views return them; the whole script runs against a real account only when the
ORACLE_TEST_* variables name one (the last test, skipped otherwise with the reason).
"""

import os

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from conftest import run_server_expecting_refusal, run_tool
from shared import config
from shared.db.oracle import schema_version_message
from shared.db.oracle_connect import SESSION_SETUP_SQL, session_setup_statements
from test_oracle_integration import ORACLE_TEST_VARIABLES
from test_oracle_sql import parse_oracle
from tools import check_oracle

GRANTS = check_oracle.expected_grants(check_oracle.GRANTS_SCRIPT.read_text())
INDEXES = check_oracle.expected_indexes(check_oracle.SCHEMA_SCRIPT.read_text())
ORACLE_ENVIRONMENT = {"ORACLE_USER": "seda_app", "ORACLE_PASSWORD": "pw", "ORACLE_DSN": "db:1521/FREEPDB1"}


def _sqlglot_indexes():
    """(TABLE, columns) of every index 02_schema.sql creates, as sqlglot reads it: CREATE INDEX, UNIQUE, PRIMARY KEY."""
    indexes = set()
    for statement in check_oracle.script_statements(check_oracle.SCHEMA_SCRIPT.read_text()):
        tree = parse_oracle(statement)
        if not isinstance(tree, exp.Create):
            continue
        if tree.kind == "INDEX":
            columns = tuple((ordered.this.name.upper(), bool(ordered.args.get("desc")))
                            for ordered in tree.this.args["params"].args["columns"])
            indexes.add((tree.this.args["table"].name.upper(), columns))
            continue
        table = tree.this.this.name.upper()
        for element in tree.this.expressions:
            if isinstance(element, exp.ColumnDef) and element.find(exp.PrimaryKeyColumnConstraint):
                indexes.add((table, ((element.name.upper(), False),)))
            for unique in element.find_all(exp.UniqueColumnConstraint):
                indexes.add((table, tuple((name.name.upper(), False) for name in unique.this.expressions)))
    return indexes


def test_the_expected_indexes_are_those_the_schema_script_creates_as_sqlglot_reads_it():
    assert {(index.table, index.columns) for index in INDEXES} == _sqlglot_indexes()
    assert len(INDEXES) == len({(index.table, index.columns) for index in INDEXES}) == 22
    ranking = next(index for index in INDEXES if index.name == "DGA_DIAGNOSIS_RANKING_IX")
    assert ranking.columns == (("IS_LATEST", False), ("VERDICT_RANK", True), ("EQUIPMENT_ID", False))


def test_every_index_names_a_statement_it_serves():
    # Each CREATE INDEX of 02_schema.sql is preceded by a comment saying which statements read through it.
    text = check_oracle.SCHEMA_SCRIPT.read_text()
    for index in (index for index in INDEXES if index.name.endswith("_IX")):
        above = text[:text.index(f"CREATE INDEX {index.name.lower()} ")].rstrip().split("\n\n")[-1].splitlines()
        assert all(line.startswith("--") for line in above), f"{index.name}: no comment right above it"
        assert any(line.startswith("-- Serves ") for line in above), f"{index.name}: no '-- Serves …' above it"


def test_the_dictionary_queries_parse_as_oracle_and_bind_the_owner():
    queries = (check_oracle.SESSION_QUERY, check_oracle.SYSTEM_PRIVILEGES_QUERY, check_oracle.ROLES_QUERY,
               check_oracle.TABLES_QUERY, check_oracle.TABLE_PRIVILEGES_QUERY, check_oracle.INDEX_COLUMNS_QUERY,
               check_oracle.INDEX_EXPRESSIONS_QUERY)
    for query in queries:
        assert isinstance(parse_oracle(query), exp.Select), query
    assert all(":owner" in query for query in queries[3:])


def _account(username="SEDA_APP", owner="SEDA"):
    """The dictionary rows of a runtime account set up exactly as sql/oracle/ says, as Oracle's views return them."""
    index_columns, expressions = [], []
    for number, index in enumerate(INDEXES):
        name = index.name if index.name.endswith(("_IX", "_UK")) else f"SYS_C00{number:04d}"
        for position, (column, descending) in enumerate(index.columns, start=1):
            hidden = f"SYS_NC000{position:02d}$"
            index_columns.append({"index_name": name, "table_name": index.table, "column_name": hidden if descending
                                  else column, "column_position": position, "descend": "DESC" if descending else "ASC",
                                  "status": "VALID"})
            if descending:
                expressions.append({"index_name": name, "column_position": position,
                                    "column_expression": f'"{column}"'})
    return check_oracle.Facts(
        username=username,
        owner=owner,
        system_privileges=[{"privilege": "CREATE SESSION"}],
        roles=[],
        tables=[{"table_name": table} for table in GRANTS],
        table_privileges=[{"grantee": username, "table_name": table, "privilege": privilege, "grantable": "NO"}
                          for table, privileges in GRANTS.items() for privilege in privileges],
        index_columns=index_columns,
        index_expressions=expressions,
    )


def _with(facts, **changes):
    """`facts` with some fields replaced."""
    return check_oracle.Facts(**{**facts.__dict__, **changes})


def test_an_account_set_up_as_the_scripts_say_passes():
    report = check_oracle.check(GRANTS, INDEXES, _account())
    assert report.ok, report
    assert check_oracle.render(report, _account())[-1] == "OK"


def test_a_missing_grant_a_hidden_table_and_a_missing_index_are_reported():
    facts = _account()
    privileges = [row for row in facts.table_privileges
                  if (row["table_name"], row["privilege"]) not in {("AUDIT_LOG", "INSERT"), ("EQUIPMENT", "SELECT")}]
    tables = [row for row in facts.tables if row["table_name"] != "INSPECTION"]
    columns = [row for row in facts.index_columns if row["index_name"] != "DGA_CHANGE_RECENT_IX"]
    report = check_oracle.check(GRANTS, INDEXES, _with(facts, table_privileges=privileges, tables=tables,
                                                         index_columns=columns))
    assert report.missing_grants == [
        "table SEDA.INSPECTION not visible to SEDA_APP (does it exist? is ORACLE_SCHEMA the owner? nothing granted "
        "on it?)",
        "INSERT on AUDIT_LOG", "SELECT on EQUIPMENT"]
    assert report.missing_indexes == ["DGA_CHANGE_RECENT_IX on DGA_CHANGE (CHANGED_AT, ID)"]
    assert not report.excess_privileges


def test_excess_privileges_are_reported():
    facts = _account()
    extra = [{"grantee": "SEDA_APP", "table_name": "AUDIT_LOG", "privilege": "DELETE", "grantable": "NO"},
             {"grantee": "PUBLIC", "table_name": "DGA_CHANGE", "privilege": "UPDATE", "grantable": "NO"},
             {"grantee": "APP_ROLE", "table_name": "SUBSTATION", "privilege": "SELECT", "grantable": "NO"},
             {"grantee": "SEDA_APP", "table_name": "EQUIPMENT", "privilege": "ALTER", "grantable": "NO"},
             {"grantee": "SEDA_APP", "table_name": "INSPECTION", "privilege": "DELETE", "grantable": "YES"},
             {"grantee": "OTHER_APP", "table_name": "AUDIT_LOG", "privilege": "UPDATE", "grantable": "NO"}]
    report = check_oracle.check(GRANTS, INDEXES, _with(
        facts, table_privileges=facts.table_privileges + extra, roles=[{"role": "APP_ROLE"}],
        system_privileges=[*facts.system_privileges, {"privilege": "SELECT ANY TABLE"}, {"privilege": "CREATE TABLE"}]))
    assert report.excess_privileges == [
        "system privilege CREATE TABLE", "system privilege SELECT ANY TABLE",
        "DELETE on AUDIT_LOG", "UPDATE on DGA_CHANGE", "ALTER on EQUIPMENT", "DELETE on INSPECTION WITH GRANT OPTION",
        "SELECT on SUBSTATION (READ suffices: SELECT can also lock rows)"]
    assert not report.missing_grants and not report.missing_indexes


def test_a_grant_through_a_role_or_public_counts_and_select_meets_a_read():
    facts = _account()
    moved = [{**row, "grantee": "APP_ROLE"} if row["table_name"] == "DGA_SAMPLE" else
             {**row, "grantee": "PUBLIC"} if row["table_name"] == "TEST_TABLE" else row
             for row in facts.table_privileges]
    report = check_oracle.check(GRANTS, INDEXES, _with(facts, table_privileges=moved, roles=[{"role": "APP_ROLE"}]))
    assert report.ok, report
    unenabled = check_oracle.check(GRANTS, INDEXES, _with(facts, table_privileges=moved))
    assert "SELECT on DGA_SAMPLE" in unenabled.missing_grants


def test_connecting_as_the_owner_is_excess():
    facts = _with(_account(username="SEDA"), table_privileges=[],
                  system_privileges=[{"privilege": "CREATE SESSION"}, {"privilege": "CREATE TABLE"}])
    report = check_oracle.check(GRANTS, INDEXES, facts)
    assert report.excess_privileges[0] == "system privilege CREATE TABLE"
    assert report.excess_privileges[1].startswith("connected as SEDA, the owner of the tables")
    assert not report.missing_grants


def test_an_unusable_index_or_one_of_other_columns_is_missing():
    facts = _account()
    rows = [{**row, "status": "UNUSABLE"} if row["index_name"] == "AUDIT_LOG_RECORDED_IX" else
            {**row, "column_position": 3 - row["column_position"]} if row["index_name"] == "DGA_CHANGE_UNIT_IX" else row
            for row in facts.index_columns]
    expressions = [{**row, "column_expression": '"SEVERITY"'} for row in facts.index_expressions]
    report = check_oracle.check(GRANTS, INDEXES, _with(facts, index_columns=rows, index_expressions=expressions))
    assert report.missing_indexes == [
        "AUDIT_LOG_RECORDED_IX on AUDIT_LOG (RECORDED_AT)",
        "DGA_DIAGNOSIS_RANKING_IX on DGA_DIAGNOSIS (IS_LATEST, VERDICT_RANK DESC, EQUIPMENT_ID)",
        "DGA_CHANGE_UNIT_IX on DGA_CHANGE (EQUIPMENT_ID, ID)"]


def test_the_report_reads_as_the_readme_shows():
    facts = _account()
    privileges = [row for row in facts.table_privileges if (row["table_name"], row["privilege"]) != ("DGA_CHANGE", "INSERT")]
    facts = _with(facts, table_privileges=privileges, system_privileges=[*facts.system_privileges,
                                                                          {"privilege": "CREATE TABLE"}])
    lines = check_oracle.render(check_oracle.check(GRANTS, INDEXES, facts), facts)
    assert lines == [
        "Oracle account SEDA_APP, tables of SEDA",
        "missing grants: 1", "  INSERT on DGA_CHANGE",
        "excess privileges: 1", "  system privilege CREATE TABLE",
        "missing indexes: none",
        "NOT OK: see above; sql/oracle/ holds the statements that fix it",
    ]


@pytest.mark.parametrize(("raw", "schema"), [("seda", "SEDA"), (" Seda_Owner ", "SEDA_OWNER"), ("A$#1", "A$#1"),
                                             ("", None)])
def test_oracle_schema_is_read_upper_cased(settings_env, raw, schema):
    settings_env(**ORACLE_ENVIRONMENT, ORACLE_SCHEMA=raw)
    oracle = config.settings().oracle
    assert oracle.schema == schema
    assert session_setup_statements(oracle) == (
        (SESSION_SETUP_SQL,) if schema is None else (SESSION_SETUP_SQL, f'ALTER SESSION SET CURRENT_SCHEMA = "{schema}"'))


@pytest.mark.parametrize("raw", ['SEDA" SQL_TRACE = TRUE', "seda.x", "1seda", "se da", "seda;", "x" * 129, "sédá"])
def test_a_bad_oracle_schema_stops_start_up_with_a_message(settings_env, raw):
    settings_env(**ORACLE_ENVIRONMENT, ORACLE_SCHEMA=raw)
    with pytest.raises(RuntimeError, match="ORACLE_SCHEMA must name the account that owns the tables"):
        config.settings()


def test_oracle_schema_without_oracle_user_is_refused(settings_env):
    settings_env(ORACLE_SCHEMA="SEDA")
    with pytest.raises(RuntimeError, match="ORACLE_SCHEMA set without ORACLE_USER"):
        config.settings()


def test_the_service_refuses_to_start_with_a_bad_oracle_schema():
    finished = run_server_expecting_refusal(**ORACLE_ENVIRONMENT, ORACLE_SCHEMA="seda; drop")
    assert finished.returncode != 0
    assert "ORACLE_SCHEMA must name the account that owns the tables" in finished.stderr


def test_the_session_setup_statements_tokenize_as_oracle_alter_session(settings_env):
    # sqlglot has no grammar for ALTER SESSION (it passes it through as a command), so its Oracle tokenizer
    # checks the shape: ALTER SESSION SET, then NAME = 'text' or NAME = "identifier" pairs, nothing else.
    settings_env(**ORACLE_ENVIRONMENT, ORACLE_SCHEMA="seda")
    assigned = {}
    for statement in session_setup_statements(config.settings().oracle):
        tree = sqlglot.parse_one(statement, read="oracle", error_level=sqlglot.ErrorLevel.IGNORE)
        assert isinstance(tree, exp.Command) and tree.this == "ALTER", statement
        tokens = sqlglot.Dialect.get_or_raise("oracle").tokenize(statement)
        assert [token.text.upper() for token in tokens[:3]] == ["ALTER", "SESSION", "SET"]
        pairs = tokens[3:]
        assert len(pairs) % 3 == 0 and pairs, statement
        for name, equals, value in zip(pairs[::3], pairs[1::3], pairs[2::3], strict=True):
            assert equals.token_type == TokenType.EQ and value.token_type in (TokenType.STRING, TokenType.IDENTIFIER)
            assigned[name.text.upper()] = (value.token_type, value.text)
    assert assigned == {
        "TIME_ZONE": (TokenType.STRING, "UTC"),
        "NLS_DATE_FORMAT": (TokenType.STRING, 'YYYY-MM-DD"T"HH24:MI:SS'),
        "NLS_TIMESTAMP_FORMAT": (TokenType.STRING, 'YYYY-MM-DD"T"HH24:MI:SS.FF6'),
        "CURRENT_SCHEMA": (TokenType.IDENTIFIER, "SEDA"),
    }


def test_without_oracle_settings_the_check_says_what_to_set():
    finished = run_tool("tools.check_oracle")
    assert finished.returncode == 2
    assert "set ORACLE_USER, ORACLE_PASSWORD" in finished.stderr and "ORACLE_SCHEMA" in finished.stderr


def test_migrate_refuses_the_runtime_account_before_connecting():
    finished = run_tool("tools.migrate", SEDA_DATABASE="oracle", **{**ORACLE_ENVIRONMENT, "ORACLE_DSN": "127.0.0.1:9/x"},
                        ORACLE_SCHEMA="seda")
    assert finished.returncode == 2
    assert "set ORACLE_USER to SEDA (ORACLE_SCHEMA names it)" in finished.stderr and "DPY-" not in finished.stderr


def test_a_schema_version_not_found_points_at_the_runtime_account_settings():
    found_none = schema_version_message("The Oracle database has schema version 1.", 1)
    assert found_none.startswith("The Oracle database has schema version 1. Or the tables are out of the connected")
    assert "ORACLE_SCHEMA" in found_none and "tools.check_oracle" in found_none
    assert schema_version_message("The Oracle database has schema version 7.", 7).endswith("version 7.")


@pytest.mark.oracle
@pytest.mark.skipif(not all(os.environ.get(name) for name in ORACLE_TEST_VARIABLES),
                    reason="no Oracle database here: set ORACLE_TEST_USER, ORACLE_TEST_PASSWORD and ORACLE_TEST_DSN "
                           "(and ORACLE_TEST_SCHEMA for a runtime account) to run the check against it")
def test_the_check_runs_against_a_real_account():
    finished = run_tool("tools.check_oracle", ORACLE_USER=os.environ["ORACLE_TEST_USER"],
                        ORACLE_PASSWORD=os.environ["ORACLE_TEST_PASSWORD"], ORACLE_DSN=os.environ["ORACLE_TEST_DSN"],
                        ORACLE_SCHEMA=os.environ.get("ORACLE_TEST_SCHEMA", ""))
    assert finished.returncode in (0, 1), finished.stderr
    assert finished.stdout.startswith(f"Oracle account {os.environ['ORACLE_TEST_USER'].upper()}, tables of ")
    assert "missing indexes: none" in finished.stdout, finished.stdout
    if os.environ.get("ORACLE_TEST_SCHEMA"):  # a runtime account set up by sql/oracle/01 and 03 passes
        assert finished.returncode == 0, finished.stdout
