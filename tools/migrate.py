"""Upgrade the database schema to the version this release serves: `python -m tools.migrate`.

SQLite (the default; `SEDA_SQLITE_PATH`): stop the service first. The file is backed up with
SQLite's online backup API (beside it, `<file>.v<old version>.<UTC time>.bak`, or `--backup
PATH`), then every pending migration runs and is recorded in SCHEMA_VERSION in one
transaction, with foreign keys checked before it commits: a failed upgrade leaves the file as
it was.

Oracle (`SEDA_DATABASE=oracle`, the service's `ORACLE_*` settings, connecting as the account
that owns the schema — not the runtime account: with `ORACLE_SCHEMA` naming another account it
refuses, exit status 2): runs each pending migration's DDL and records its version. Oracle
commits every DDL statement on its own, so a failure stops with the versions applied so far
recorded; run the command again after fixing the cause. `--print` writes the DDL for a DBA to
run instead (from `--from-version`, default 1, without connecting).
"""

import argparse
import contextlib
import datetime
import os
import sqlite3
import sys
import urllib.parse

import oracledb

from shared import config
from shared.db import ORACLE, SQLITE, migrations, oracle_connect_params
from shared.db.dialects import prepared_binds
from shared.db.sqlite_files import backup

_ORACLE_HAS_VERSIONS = "SELECT COUNT(*) FROM user_tables WHERE table_name = 'SCHEMA_VERSION'"
_RECORDED_VERSIONS = "SELECT version FROM schema_version"


def main(argv=None):
    """Upgrade the configured database, or print the Oracle DDL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backup", default=None, help="SQLite: where to write the backup taken first")
    parser.add_argument("--print", action="store_true", help="Oracle: print the DDL instead of running it")
    parser.add_argument("--from-version", type=int, default=1, help="with --print: the version the schema has now")
    args = parser.parse_args(argv)
    if args.print:
        print(oracle_script(args.from_version))
        return 0
    settings = config.settings()
    try:
        if settings.database == "oracle":
            return migrate_oracle(settings.oracle)
        return migrate_sqlite(os.path.abspath(settings.sqlite_path), args.backup)
    except migrations.SchemaVersionError as exc:
        print(exc, file=sys.stderr)
        return 2


def _missing_records(recorded):
    """RECORD_VERSION binds for every version of this release's history not recorded yet."""
    return migrations.version_records([entry for entry in migrations.history() if entry[0] not in recorded])


def migrate_sqlite(path, backup_path=None):
    """Back the file up, then upgrade it in one transaction; 0 when it is (or already was) current."""
    if not os.path.exists(path):
        print(f"No database at {path} (SEDA_SQLITE_PATH); the service creates a current one on first start.")
        return 2
    uri = f"file:{urllib.parse.quote(path)}?mode=rw"
    with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as connection:
        version = migrations.sqlite_version(connection)
        if version is None:
            print(f"{path} holds no SEDA tables; nothing to upgrade.")
            return 2
        if version == migrations.CURRENT_VERSION:
            print(f"{path} is at schema version {version} already; nothing to do.")
            return 0
        if version > migrations.CURRENT_VERSION:
            migrations.require_current(version, f"SQLite ({path})")
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        backup_path = backup_path or f"{path}.v{version}.{stamp}.bak"
        backup(path, backup_path)
        print(f"backed up {path} to {backup_path}")
        _upgrade_sqlite(connection, version)
    print(f"upgraded {path} from schema version {version} to {migrations.CURRENT_VERSION}")
    for step in _next_steps(version):
        print(step)
    return 0


def _next_steps(version):
    """What the migrations applied to a database at `version` ask the operator to do next."""
    steps = [getattr(migration, "NEXT_STEP", None) for migration in migrations.pending(version)]  # optional in a migration
    return [step for step in steps if step]


def _upgrade_sqlite(connection, version):
    """Every pending migration and its version records in one transaction; foreign keys checked before COMMIT."""
    connection.execute("PRAGMA foreign_keys = OFF")  # a table rebuild drops tables others reference
    connection.execute("BEGIN IMMEDIATE")
    try:
        if migrations.sqlite_version(connection) != version:
            raise RuntimeError("another process changed the schema meanwhile; run the command again")
        for migration in migrations.pending(version):
            migration.upgrade_sqlite(connection)
        recorded = {row[0] for row in connection.execute(_RECORDED_VERSIONS)}
        connection.executemany(
            migrations.RECORD_VERSION, [prepared_binds(SQLITE, row) for row in _missing_records(recorded)]
        )
        broken = connection.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the upgrade would leave {len(broken)} rows with broken references; nothing changed")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute("PRAGMA foreign_keys = ON")


def _oracle_literal(value):
    """A constant of ours (never user input) as an Oracle SQL literal."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def oracle_script(from_version):
    """The DDL and version inserts that bring an Oracle schema at `from_version` to the current one."""
    lines = [f"-- SEDA schema upgrade from version {from_version} to {migrations.CURRENT_VERSION}; run as the owner."]
    for migration in migrations.pending(from_version):
        lines += [f"-- version {migration.VERSION}: {migration.DESCRIPTION}"]
        lines += [f"{statement};" for statement in migration.ORACLE_STATEMENTS]
    # A version-1 schema has no SCHEMA_VERSION table, so its own row is missing too.
    recorded = set(range(1, from_version + 1)) if from_version > 1 else set()
    for record in _missing_records(recorded):
        values = ", ".join(_oracle_literal(record[name]) for name in ("version", "description"))
        lines.append(
            f"INSERT INTO schema_version (version, description, applied_at) "
            f"VALUES ({values}, SYS_EXTRACT_UTC(SYSTIMESTAMP));"
        )
    lines.append("COMMIT;")
    lines += [f"-- then: {step}" for step in _next_steps(from_version)]
    return "\n".join(lines)


def migrate_oracle(oracle):
    """Run the pending migrations on Oracle, recording each version after its DDL."""
    if oracle.schema and oracle.schema != oracle.user.upper():
        print(f"tools.migrate changes the schema, so it connects as the account that owns the tables: set ORACLE_USER "
              f"to {oracle.schema} (ORACLE_SCHEMA names it) with its password, and unset ORACLE_SCHEMA; the account "
              "in ORACLE_USER is a runtime account, which may change no table.", file=sys.stderr)
        return 2
    with oracledb.connect(params=oracle_connect_params(oracle)) as connection, connection.cursor() as cursor:
        cursor.execute(_ORACLE_HAS_VERSIONS)
        if cursor.fetchone()[0] == 0:
            recorded = {1}
        else:
            cursor.execute(_RECORDED_VERSIONS)
            recorded = {int(row[0]) for row in cursor.fetchall()}
        version = max(recorded)
        if version > migrations.CURRENT_VERSION:
            migrations.require_current(version, "Oracle")
        for migration in migrations.pending(version):
            for statement in migration.ORACLE_STATEMENTS:
                cursor.execute(statement)
            records = [r for r in _missing_records(recorded) if r["version"] <= migration.VERSION]
            cursor.executemany(migrations.RECORD_VERSION, [prepared_binds(ORACLE, r) for r in records])
            connection.commit()
            recorded |= {r["version"] for r in records}
            print(f"applied version {migration.VERSION}: {migration.DESCRIPTION}")
    print(f"Oracle schema is at version {max(recorded)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
