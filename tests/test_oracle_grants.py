"""The runtime account's grants (sql/oracle/03_runtime_grants.sql) are exactly what the service's statements need.

The statements are captured as in test_oracle_sql.py, while the handlers serve every resource on SQLite (reads
with their filters and paging, every write, the audit trail, the fleet view with an inline diagnosis, its
summary and change feed, the catch-up, inspections and the scorecard), plus the two the Oracle path alone sends.
Each is rendered for Oracle and parsed with sqlglot, and each table it names is sorted into the privilege that
use needs (`privileges_needed`). A new statement that writes a table, or locks rows of one, without its grant
fails here; so does a grant that no statement needs any more.
"""

import sqlite3

import sqlglot
from sqlglot import exp

from shared import db
from shared.db import migrations
from shared.schema import SAMPLE_GASES
from test_oracle_sql import EXERCISE, _exercise_writes, _observing, parse_oracle
from tools import check_oracle

# The statements only the Oracle path sends (shared/db/oracle.py): the first session's version check, the ping.
ORACLE_ONLY_STATEMENTS = (migrations.VERSION_QUERY, db.ORACLE.ping_sql)
FLEET_READS = (
    "/api/v1/diagnoses", "/api/v1/diagnoses?sort=substation&limit=5", "/api/v1/diagnoses?format=ndjson",
    "/api/v1/diagnoses/summary", "/api/v1/diagnoses/changes", "/api/v1/diagnoses/1?history=true",
    "/api/v1/diagnoses/2?at=2022-01-01",
)
INSPECTION = {"equipment_id": 1, "inspected_at": "2031-01-01T09:00:00+09:00", "finding": "T1", "reference": "WO-1"}


def _target(tree):
    """The table an INSERT, UPDATE, DELETE or MERGE writes (an INSERT's column list wraps it in a Schema)."""
    target = tree.this
    return target.this if isinstance(target, exp.Schema) else target


def _names_columns(*nodes):
    """Whether any of `nodes` refers to a column (outside nothing: subqueries' columns count too, conservatively)."""
    return any(node is not None and (isinstance(node, exp.Column) or node.find(exp.Column)) for node in nodes)


def _write_privileges(tree):
    """The privileges on its target that a write statement needs.

    SQL92_SECURITY (true by default) asks SELECT, not READ, of a table whose columns an UPDATE or DELETE names in
    its WHERE clause or on the right of a SET, and of a MERGE's target with a DELETE clause or a WHEN MATCHED WHERE.
    """
    if isinstance(tree, exp.Insert):
        return {"INSERT"}
    if isinstance(tree, exp.Delete):
        return {"DELETE", "SELECT"} if tree.args.get("where") else {"DELETE"}
    if isinstance(tree, exp.Update):
        assigned = [assignment.expression for assignment in tree.expressions]
        return {"UPDATE", "SELECT"} if _names_columns(tree.args.get("where"), *assigned) else {"UPDATE"}
    needed = set()
    for when in tree.args["whens"].expressions:
        action = when.args["then"]
        needed.add("INSERT" if isinstance(action, exp.Insert) else "UPDATE" if isinstance(action, exp.Update) else "DELETE")
        if when.args.get("condition") is not None or not isinstance(action, (exp.Insert, exp.Update)):
            needed.add("SELECT")
    return needed


def _locked_tables(tree):
    """The tables of a SELECT … FOR UPDATE's own FROM and JOINs, whose rows it locks (SELECT, not READ)."""
    if not isinstance(tree, exp.Select) or not tree.args.get("locks"):
        return set()
    sources = [tree.args["from_"].this, *(join.this for join in tree.args.get("joins") or ())]
    return {id(source) for source in sources if isinstance(source, exp.Table)}


def privileges_needed(tree):
    """{(TABLE, PRIVILEGE)} that one parsed statement needs; every table it only reads needs READ."""
    needed = set()
    written = None
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        written = _target(tree)
        needed |= {(written.name.upper(), privilege) for privilege in _write_privileges(tree)}
    locked = _locked_tables(tree)
    for table in tree.find_all(exp.Table):
        if table is written or table.name.upper() == "DUAL":
            continue
        needed.add((table.name.upper(), "SELECT" if id(table) in locked else "READ"))
    return needed


def grants_needed(statements):
    """{TABLE: privileges} for Oracle statements, READ dropped where SELECT (which includes it) is needed anyway."""
    grants = {}
    for statement in statements:
        for table, privilege in privileges_needed(parse_oracle(statement)):
            grants.setdefault(table, set()).add(privilege)
    return {table: frozenset(privileges - {"READ"} if "SELECT" in privileges else privileges)
            for table, privileges in grants.items()}


def _without_verdicts(path, units):
    """Make some work for the catch-up and the fleet view's inline diagnosis, straight in the file (as a loader would)."""
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(f"UPDATE dga_diagnosis SET fingerprint = 'older engine' WHERE equipment_id IN ({units})")
        connection.execute(
            f"INSERT INTO dga_sample (equipment_id, sampled_at, {', '.join(SAMPLE_GASES)}) "
            f"VALUES (1, '2031-06-01 00:00:00.000000', {', '.join('1' for _ in SAMPLE_GASES)})"
        )
    connection.close()


def _exercise_everything(writer, demo_db):
    """Every resource: reads, writes, the audit trail, the fleet view, the catch-up, inspections, the scorecard."""
    _without_verdicts(demo_db, "1, 2")
    for path in (*EXERCISE, *FLEET_READS, "/api/v1/health/ready"):
        assert writer.get(path).status_code == 200, path
    _exercise_writes(writer)
    assert writer.post("/api/v1/diagnose-pending").json()["units"] >= 1
    created = writer.post("/api/v1/inspections", json=INSPECTION)
    path = f"/api/v1/inspections/{created.json()['id']}"
    assert writer.get("/api/v1/inspections?finding=T1&from=2020-01-01").status_code == 200
    assert writer.put(path, json=INSPECTION, headers={"If-Match": created.headers["etag"]}).status_code == 200
    assert writer.patch(path, json={"finding": "T2"}, headers={"If-Match": "*"}).status_code == 200
    assert writer.delete(path, headers={"If-Match": "*"}).status_code == 204
    assert writer.get("/api/v1/inspections/scorecard").status_code == 200


def test_the_runtime_grants_are_exactly_what_the_service_statements_need(writer, demo_db):
    observed = _observing(lambda: _exercise_everything(writer, demo_db))
    statements = {db.ORACLE.render(sql, paged) for sql, paged in observed} | set(ORACLE_ONLY_STATEMENTS)
    needed = grants_needed(statements)
    granted = check_oracle.expected_grants(check_oracle.GRANTS_SCRIPT.read_text())
    assert needed == granted
    assert len(statements) > 60, "the exercise reached every resource"


def test_the_derivation_sorts_each_use_into_its_privilege():
    # A statement the service might gain, and what the derivation makes of it: this is what fails the test above.
    assert privileges_needed(parse_oracle("DELETE FROM audit_log WHERE id = :id")) == {
        ("AUDIT_LOG", "DELETE"), ("AUDIT_LOG", "SELECT")}
    assert privileges_needed(parse_oracle("DELETE FROM dga_change")) == {("DGA_CHANGE", "DELETE")}
    assert privileges_needed(parse_oracle(
        "INSERT INTO dga_change (id) SELECT MAX(id) FROM dga_diagnosis")) == {
        ("DGA_CHANGE", "INSERT"), ("DGA_DIAGNOSIS", "READ")}
    assert privileges_needed(parse_oracle("UPDATE substation SET name = :name")) == {("SUBSTATION", "UPDATE")}
    assert privileges_needed(parse_oracle("UPDATE substation SET name = name || :x")) == {
        ("SUBSTATION", "UPDATE"), ("SUBSTATION", "SELECT")}
    assert privileges_needed(parse_oracle(
        "SELECT e.id FROM equipment e JOIN substation s ON s.id = e.substation_id WHERE e.id = :id FOR UPDATE")) == {
        ("EQUIPMENT", "SELECT"), ("SUBSTATION", "SELECT")}
    assert privileges_needed(parse_oracle(
        "SELECT id FROM equipment WHERE id IN (SELECT equipment_id FROM inspection)")) == {
        ("EQUIPMENT", "READ"), ("INSPECTION", "READ")}
    merge = db.ORACLE.render(db.Upsert("dga_sample", ("equipment_id", "sampled_at"), ("equipment_id", "sampled_at", "h2")))
    assert privileges_needed(parse_oracle(merge)) == {("DGA_SAMPLE", "INSERT"), ("DGA_SAMPLE", "UPDATE")}


def test_every_grant_parses_as_oracle_and_the_check_script_reads_it_as_sqlglot_does():
    text = check_oracle.GRANTS_SCRIPT.read_text()
    trees = [sqlglot.parse_one(statement, read="oracle") for statement in check_oracle.script_statements(text)]
    assert trees and all(isinstance(tree, exp.Grant) for tree in trees)
    by_sqlglot = {}
    for tree in trees:
        assert [principal.name for principal in tree.args["principals"]] == ["seda_app"]
        privileges = {privilege.this.name.upper() for privilege in tree.args["privileges"]}
        by_sqlglot.setdefault(tree.args["securable"].name.upper(), set()).update(privileges)
    assert check_oracle.expected_grants(text) == by_sqlglot
