-- Run once as a DBA (SYSTEM or a user with CREATE TABLESPACE / CREATE USER), e.g.
--   sqlplus system@//dbhost:1521/FREEPDB1 @sql/oracle/01_tablespace_user.sql
-- SQL*Plus asks for the application password (substitution variable seda_password).
-- The service connects as SEDA; its objects live in their own tablespace.

CREATE TABLESPACE seda_data
  DATAFILE 'seda_data01.dbf' SIZE 256M
  AUTOEXTEND ON NEXT 64M MAXSIZE 8G;

CREATE USER seda IDENTIFIED BY "&seda_password"
  DEFAULT TABLESPACE seda_data
  QUOTA UNLIMITED ON seda_data;

GRANT CREATE SESSION, CREATE TABLE, CREATE SEQUENCE, CREATE VIEW, CREATE TRIGGER TO seda;
