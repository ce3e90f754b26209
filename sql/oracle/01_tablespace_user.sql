-- Run once as a DBA (SYSTEM or a user with CREATE TABLESPACE / CREATE USER), e.g.
--   sqlplus system@//dbhost:1521/FREEPDB1 @sql/oracle/01_tablespace_user.sql
-- SQL*Plus asks for the two passwords (substitution variables seda_password and seda_app_password).
-- Two accounts (README, "Oracle accounts"):
--   SEDA      owns the tables, in their own tablespace; used only to create and change them: 02_schema.sql,
--             03_runtime_grants.sql, `python -m tools.migrate` and the loaders. The service never connects as it.
--   SEDA_APP  the service's runtime account: CREATE SESSION and nothing else, no quota, so it can create nothing;
--             03_runtime_grants.sql gives it what it reads and writes of SEDA's tables. The service connects
--             with ORACLE_USER=seda_app and ORACLE_SCHEMA=seda; `python -m tools.check_oracle` checks the result.

CREATE TABLESPACE seda_data
  DATAFILE 'seda_data01.dbf' SIZE 256M
  AUTOEXTEND ON NEXT 64M MAXSIZE 8G;

CREATE USER seda IDENTIFIED BY "&seda_password"
  DEFAULT TABLESPACE seda_data
  QUOTA UNLIMITED ON seda_data;

-- CREATE SEQUENCE because every identity column is backed by a sequence created with its table.
GRANT CREATE SESSION, CREATE TABLE, CREATE SEQUENCE TO seda;

CREATE USER seda_app IDENTIFIED BY "&seda_app_password";

GRANT CREATE SESSION TO seda_app;
