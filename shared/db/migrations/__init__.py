"""Schema versions: which version a database holds, and the migrations that bring it to the current one.

Version 1 is the schema of the first release, which had no SCHEMA_VERSION table. Every later
version is one module here, `m<NNNN>_<what>.py`, holding its `VERSION`, a `DESCRIPTION`, what
it does to a SQLite database (`upgrade_sqlite(connection)`, run inside the one transaction of
`tools.migrate`) and the DDL it needs on Oracle (`ORACLE_STATEMENTS`, for the schema's owner
account). A new database is created at `CURRENT_VERSION` directly, with a SCHEMA_VERSION row
for every version. The service refuses to start on any other version than `CURRENT_VERSION`
(`require_current`), naming the command that fixes it.
"""

import datetime

from shared.db.migrations import (m0002_ids_never_reused, m0003_audit_log, m0004_stored_verdicts,
                                  m0005_insulating_liquid, m0006_inspections, m0007_fleet_view_index,
                                  m0008_audit_lookups)

INITIAL_DESCRIPTION = "initial schema: substations, equipment, DGA samples"
MIGRATIONS = (m0002_ids_never_reused, m0003_audit_log, m0004_stored_verdicts, m0005_insulating_liquid,
              m0006_inspections, m0007_fleet_view_index, m0008_audit_lookups)
CURRENT_VERSION = MIGRATIONS[-1].VERSION
VERSION_QUERY = "SELECT MAX(version) AS version FROM schema_version"
RECORD_VERSION = (
    "INSERT INTO schema_version (version, description, applied_at) VALUES (:version, :description, :applied_at)"
)
MIGRATE_COMMAND = "python -m tools.migrate"


class SchemaVersionError(RuntimeError):
    """The database holds another schema version than this release of the service serves."""


def history():
    """(version, description) of every version up to the current one, oldest first."""
    return [(1, INITIAL_DESCRIPTION)] + [(migration.VERSION, migration.DESCRIPTION) for migration in MIGRATIONS]


def version_records(versions):
    """Binds of RECORD_VERSION for the given (version, description) pairs, applied now."""
    applied_at = datetime.datetime.now(datetime.timezone.utc)
    return [{"version": version, "description": text, "applied_at": applied_at} for version, text in versions]


def pending(version):
    """The migrations a database at `version` still needs, in order."""
    return [migration for migration in MIGRATIONS if migration.VERSION > version]


def sqlite_version(connection):
    """The schema version of a SQLite database: None when it holds no tables yet, 1 before versions were kept.

    A database holding tables but none of ours is someone else's: SchemaVersionError.
    """
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" in tables:
        return connection.execute(VERSION_QUERY).fetchone()[0]
    if "dga_sample" in tables:
        return 1
    if tables:
        raise SchemaVersionError(
            f"The SQLite database holds tables ({', '.join(sorted(tables)[:5])}) but none of the SEDA schema; "
            "point SEDA_SQLITE_PATH at the SEDA database."
        )
    return None


def require_current(version, database):
    """Raise SchemaVersionError unless `version` is the one this release serves; the message says what to do."""
    if version == CURRENT_VERSION:
        return
    if version is None:
        raise SchemaVersionError(
            f"The {database} database holds no SEDA tables. Start the service on an absent file (it creates one "
            "with demo data), or point it at the SEDA database."
        )
    if version < CURRENT_VERSION:
        raise SchemaVersionError(
            f"The {database} database has schema version {version}; this release needs version {CURRENT_VERSION}. "
            f"Upgrade it with `{MIGRATE_COMMAND}` (SQLite: it backs the file up first), then start the service again."
        )
    raise SchemaVersionError(
        f"The {database} database has schema version {version}, newer than version {CURRENT_VERSION} that this "
        "release serves; it was upgraded by a newer release. Run that release (or restore the backup that "
        f"`{MIGRATE_COMMAND}` made before upgrading)."
    )
