-- Run as SEDA, the owner, after 02_schema.sql (and again after an upgrade that adds a table; GRANT is idempotent):
--   sqlplus seda@//dbhost:1521/FREEPDB1 @sql/oracle/03_runtime_grants.sql
-- What the runtime account SEDA_APP may do with SEDA's tables, and nothing more. The privileges are those the
-- service's statements need (tests/test_oracle_grants.py derives them from every statement and fails when this
-- file grants more or less); `python -m tools.check_oracle` compares a live account with this file.
-- READ where the service only queries a table: unlike SELECT, READ cannot lock rows (SELECT … FOR UPDATE,
-- LOCK TABLE). SELECT where it locks the rows it reads, or names the table's columns in the WHERE clause of an
-- UPDATE or DELETE (SQL92_SECURITY, true by default). INSERT fills the identity columns without any grant on
-- their sequences. Another runtime account name: replace seda_app below.

-- The schema version every new session checks first (migrations.VERSION_QUERY); written only by tools.migrate.
GRANT READ ON schema_version TO seda_app;

-- GET /application.
GRANT READ ON test_table TO seda_app;

-- GET /substations, and an equipment write checking its substation; written only by the loaders.
GRANT READ ON substation TO seda_app;

-- Equipment writes lock the unit (ForUpdate in shared/http.py, inspections, the verdict store), update and delete it.
GRANT SELECT, INSERT, UPDATE, DELETE ON equipment TO seda_app;

-- Measurement writes (MERGE by unit and time), DELETE /measurements/<id>, the equipment cascade.
GRANT SELECT, INSERT, UPDATE, DELETE ON dga_sample TO seda_app;

-- Every write appends its entry (shared/audit.py); GET /audit reads them. Entries are never changed or deleted.
GRANT READ, INSERT ON audit_log TO seda_app;

-- Stored verdicts (shared/verdict_store.py): MERGE, the latest flag updated, a deleted sample's verdict deleted.
GRANT SELECT, INSERT, UPDATE, DELETE ON dga_diagnosis TO seda_app;

-- The change feed: appended by the verdict store, read by GET /diagnoses/changes; never changed or deleted.
GRANT READ, INSERT ON dga_change TO seda_app;

-- Inspection writes and the equipment cascade; GET /inspections and the scorecard read them.
GRANT SELECT, INSERT, UPDATE, DELETE ON inspection TO seda_app;
