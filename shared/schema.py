"""SQLite DDL of the SEDA tables at the current schema version, column for column equal to sql/oracle/02_schema.sql.

Tables: TEST_TABLE, SUBSTATION, EQUIPMENT, DGA_SAMPLE, SCHEMA_VERSION, AUDIT_LOG (`shared/audit.py`), DGA_DIAGNOSIS and
DGA_CHANGE (`shared/verdict_store.py`), INSPECTION (`functions/inspections.py`). Enumerations are
defined once here and used by the DDL, the demo-data generator and request validation.
Ids are AUTOINCREMENT so that SQLite never hands out the id of a deleted row again (Oracle's
identity columns never do); databases made before that are rebuilt by
`shared/db/migrations/m0002_ids_never_reused.py`. Every change to this DDL ships as a
migration in `shared/db/migrations/` (`insulating_liquid` is the last column of EQUIPMENT because
version 5 added it with ADD COLUMN).
"""

EQUIPMENT_KINDS = (
    "power_transformer",
    "auto_transformer",
    "shunt_reactor",
    "station_service_transformer",
    "grounding_transformer",
)
OIL_PRESERVATIONS = ("sealed", "free_breathing")
EQUIPMENT_STATUSES = ("in_service", "standby", "retired")
# The DGA engine reads the same list (`shared/dga/gases.py`); the first is the default.
INSULATING_LIQUIDS = ("mineral", "natural_ester", "synthetic_ester", "silicone")
SAMPLE_GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2", "o2", "n2")
# What an inspection found: an IEC 60599 fault class, a coarse class (PD is both fine and coarse), or nothing.
FINE_FINDINGS = ("PD", "D1", "D2", "DT", "T1", "T2", "T3")
COARSE_FINDINGS = ("D", "T")
NO_FAULT = "none"
INSPECTION_FINDINGS = (*FINE_FINDINGS, *COARSE_FINDINGS, NO_FAULT)


def _sql_list(values):
    """Render a tuple of constant enum values as an SQL IN-list (constants only, never user input)."""
    return ", ".join(f"'{value}'" for value in values)


SQLITE_DDL = f"""
CREATE TABLE IF NOT EXISTS schema_version (
  version     INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS test_table (
  hello TEXT
);

CREATE TABLE IF NOT EXISTS substation (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  name              TEXT NOT NULL,
  region            TEXT NOT NULL,
  voltage_kv        REAL NOT NULL,
  latitude          REAL,
  longitude         REAL,
  commissioned_year INTEGER,
  CONSTRAINT substation_name_uk UNIQUE (name)
);

CREATE TABLE IF NOT EXISTS equipment (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  substation_id     INTEGER NOT NULL REFERENCES substation (id),
  name              TEXT NOT NULL,
  kind              TEXT NOT NULL,
  manufacturer      TEXT,
  rated_mva         REAL,
  voltage_kv        REAL,
  year_manufactured INTEGER,
  oil_preservation  TEXT NOT NULL,
  status            TEXT NOT NULL,
  insulating_liquid TEXT NOT NULL DEFAULT '{INSULATING_LIQUIDS[0]}',
  CONSTRAINT equipment_name_uk UNIQUE (substation_id, name),
  CONSTRAINT equipment_kind_ck CHECK (kind IN ({_sql_list(EQUIPMENT_KINDS)})),
  CONSTRAINT equipment_oil_ck CHECK (oil_preservation IN ({_sql_list(OIL_PRESERVATIONS)})),
  CONSTRAINT equipment_status_ck CHECK (status IN ({_sql_list(EQUIPMENT_STATUSES)})),
  CONSTRAINT equipment_liquid_ck CHECK (insulating_liquid IN ({_sql_list(INSULATING_LIQUIDS)}))
);

CREATE INDEX IF NOT EXISTS equipment_substation_ix ON equipment (substation_id);

CREATE TABLE IF NOT EXISTS dga_sample (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  equipment_id INTEGER NOT NULL REFERENCES equipment (id),
  sampled_at   TIMESTAMP NOT NULL,
  h2           REAL,
  ch4          REAL,
  c2h6         REAL,
  c2h4         REAL,
  c2h2         REAL,
  co           REAL,
  co2          REAL,
  o2           REAL,
  n2           REAL,
  lab          TEXT,
  CONSTRAINT dga_sample_uk UNIQUE (equipment_id, sampled_at),
  CONSTRAINT dga_sample_gas_ck CHECK (
    MIN(IFNULL(h2, 0), IFNULL(ch4, 0), IFNULL(c2h6, 0), IFNULL(c2h4, 0), IFNULL(c2h2, 0),
        IFNULL(co, 0), IFNULL(co2, 0), IFNULL(o2, 0), IFNULL(n2, 0)) >= 0)
);

CREATE TABLE IF NOT EXISTS audit_log (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_at   TIMESTAMP NOT NULL,
  request_id    TEXT NOT NULL,
  key_id        TEXT NOT NULL,
  operation     TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  ids           TEXT NOT NULL,
  inserted      INTEGER NOT NULL,
  updated       INTEGER NOT NULL,
  deleted       INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS audit_log_recorded_ix ON audit_log (recorded_at);
CREATE INDEX IF NOT EXISTS audit_log_request_ix ON audit_log (request_id);
CREATE INDEX IF NOT EXISTS audit_log_key_ix ON audit_log (key_id, id);

CREATE TABLE IF NOT EXISTS dga_diagnosis (
  sample_id      INTEGER PRIMARY KEY REFERENCES dga_sample (id) ON DELETE CASCADE,
  equipment_id   INTEGER NOT NULL REFERENCES equipment (id),
  sampled_at     TIMESTAMP NOT NULL,
  is_latest      INTEGER NOT NULL,
  engine_version TEXT NOT NULL,
  fingerprint    TEXT NOT NULL,
  dga_status     INTEGER,
  fault_present  INTEGER,
  fault_type     TEXT,
  severity       TEXT NOT NULL,
  health_index   REAL,
  verdict_rank   REAL NOT NULL,
  diagnosed_at   TIMESTAMP NOT NULL,
  verdict        TEXT NOT NULL,
  CONSTRAINT dga_diagnosis_latest_ck CHECK (is_latest IN (0, 1)),
  CONSTRAINT dga_diagnosis_verdict_ck CHECK (json_valid(verdict))
);

CREATE INDEX IF NOT EXISTS dga_diagnosis_unit_ix ON dga_diagnosis (equipment_id, sampled_at, sample_id, is_latest, fingerprint, dga_status, fault_type, severity);
CREATE INDEX IF NOT EXISTS dga_diagnosis_ranking_ix ON dga_diagnosis (is_latest, verdict_rank DESC, equipment_id);
CREATE INDEX IF NOT EXISTS dga_diagnosis_latest_ix ON dga_diagnosis (equipment_id, is_latest, dga_status, fault_present, fault_type, severity, health_index, sampled_at, fingerprint, verdict_rank, engine_version, diagnosed_at, sample_id) WHERE is_latest = 1;
CREATE INDEX IF NOT EXISTS dga_diagnosis_fingerprint_ix ON dga_diagnosis (sample_id, fingerprint);

CREATE TABLE IF NOT EXISTS dga_change (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  equipment_id        INTEGER NOT NULL,
  changed_at          TIMESTAMP NOT NULL,
  sample_id           INTEGER,
  sampled_at          TIMESTAMP,
  engine_version      TEXT NOT NULL,
  previous_status     INTEGER,
  previous_fault_type TEXT,
  previous_severity   TEXT,
  dga_status          INTEGER,
  fault_type          TEXT,
  severity            TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS dga_change_unit_ix ON dga_change (equipment_id, id);
CREATE INDEX IF NOT EXISTS dga_change_recent_ix ON dga_change (changed_at, id);

CREATE TABLE IF NOT EXISTS inspection (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  equipment_id INTEGER NOT NULL REFERENCES equipment (id),
  inspected_at TIMESTAMP NOT NULL,
  finding      TEXT NOT NULL,
  description  TEXT,
  reference    TEXT,
  CONSTRAINT inspection_uk UNIQUE (equipment_id, inspected_at),
  CONSTRAINT inspection_finding_ck CHECK (finding IN ({_sql_list(INSPECTION_FINDINGS)}))
);
"""
