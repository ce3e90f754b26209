"""Version 4: a stored verdict per complete sample (DGA_DIAGNOSIS) and the log of verdict changes (DGA_CHANGE).

DGA_DIAGNOSIS holds, for each complete DGA sample, the engine's verdict as the samples, the
unit and the engine stood when it was written (`shared/verdict_store.py`): the summary columns
the fleet ranking sorts and filters on, the whole verdict document, the engine version and a
fingerprint of everything besides the data that shapes a verdict (engine version, model, verdict
settings), so verdicts of another engine are recognisably stale (an index on sample id and
fingerprint lets `tools.rediagnose` find them without reading the documents). `is_latest` marks each unit's
latest complete sample; the ranking index serves "worst first" without reading every unit.
A row goes with its sample (ON DELETE CASCADE), whichever path deletes the sample.

DGA_CHANGE records every change of a unit's latest status, fault type or severity, oldest
first, for the change feed. It keeps no foreign key: a change outlives the unit it names.

Only new tables and indexes: existing rows are not touched, and the verdicts of the samples a
database holds already are *pending* after the upgrade until `python -m tools.rediagnose`
writes them (the service diagnoses pending units on the fly meanwhile). The DDL is this
version's, frozen here; `shared/schema.py` and `sql/oracle/02_schema.sql` create the same
tables in a new database.
"""

VERSION = 4
DESCRIPTION = "a stored verdict per complete DGA sample, and the log of verdict changes"
# What the operator does next (tools.migrate prints it after this version is applied).
NEXT_STEP = (
    "Every sample's stored verdict is pending: run `python -m tools.rediagnose` to write them (meanwhile the service "
    "diagnoses pending units on the fly, up to SEDA_MAX_INLINE_DIAGNOSES per fleet request)."
)

SQLITE_STATEMENTS = (
    """CREATE TABLE dga_diagnosis (
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
)""",
    # A unit's verdicts in time order, holding what a write reads of them to plan a refresh, so that
    # read never touches the ~2.5 kB rows (half its CPU on 100k samples, measured).
    "CREATE INDEX dga_diagnosis_unit_ix ON dga_diagnosis "
    "(equipment_id, sampled_at, sample_id, is_latest, fingerprint, dga_status, fault_type, severity)",
    "CREATE INDEX dga_diagnosis_ranking_ix ON dga_diagnosis (is_latest, verdict_rank DESC, equipment_id)",
    # Covers the catch-up's "which samples lack a current verdict" without reading the ~2.5 kB rows.
    "CREATE INDEX dga_diagnosis_fingerprint_ix ON dga_diagnosis (sample_id, fingerprint)",
    """CREATE TABLE dga_change (
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
)""",
    "CREATE INDEX dga_change_unit_ix ON dga_change (equipment_id, id)",
    # The feed's "first change not settled yet" reads only the last few seconds' changes.
    "CREATE INDEX dga_change_recent_ix ON dga_change (changed_at, id)",
)

ORACLE_STATEMENTS = (
    """CREATE TABLE dga_diagnosis (
  sample_id      NUMBER(12)   PRIMARY KEY REFERENCES dga_sample (id) ON DELETE CASCADE,
  equipment_id   NUMBER(10)   NOT NULL REFERENCES equipment (id),
  sampled_at     TIMESTAMP    NOT NULL,
  is_latest      NUMBER(1)    NOT NULL,
  engine_version VARCHAR2(20) NOT NULL,
  fingerprint    VARCHAR2(64) NOT NULL,
  dga_status     NUMBER(1),
  fault_present  NUMBER(1),
  fault_type     VARCHAR2(4),
  severity       VARCHAR2(10) NOT NULL,
  health_index   NUMBER(4,1),
  verdict_rank   NUMBER(6,1)  NOT NULL,
  diagnosed_at   TIMESTAMP    NOT NULL,
  verdict        CLOB         NOT NULL,
  CONSTRAINT dga_diagnosis_latest_ck CHECK (is_latest IN (0, 1)),
  CONSTRAINT dga_diagnosis_verdict_ck CHECK (verdict IS JSON)
)""",
    # A unit's verdicts in time order, holding what a write reads of them to plan a refresh, so that
    # read never touches the ~2.5 kB rows (half its CPU on 100k samples, measured).
    "CREATE INDEX dga_diagnosis_unit_ix ON dga_diagnosis "
    "(equipment_id, sampled_at, sample_id, is_latest, fingerprint, dga_status, fault_type, severity)",
    "CREATE INDEX dga_diagnosis_ranking_ix ON dga_diagnosis (is_latest, verdict_rank DESC, equipment_id)",
    # Covers the catch-up's "which samples lack a current verdict" without reading the ~2.5 kB rows.
    "CREATE INDEX dga_diagnosis_fingerprint_ix ON dga_diagnosis (sample_id, fingerprint)",
    """CREATE TABLE dga_change (
  id                  NUMBER(12) GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  equipment_id        NUMBER(10)   NOT NULL,
  changed_at          TIMESTAMP    NOT NULL,
  sample_id           NUMBER(12),
  sampled_at          TIMESTAMP,
  engine_version      VARCHAR2(20) NOT NULL,
  previous_status     NUMBER(1),
  previous_fault_type VARCHAR2(4),
  previous_severity   VARCHAR2(10),
  dga_status          NUMBER(1),
  fault_type          VARCHAR2(4),
  severity            VARCHAR2(10) NOT NULL
)""",
    "CREATE INDEX dga_change_unit_ix ON dga_change (equipment_id, id)",
    # The feed's "first change not settled yet" reads only the last few seconds' changes.
    "CREATE INDEX dga_change_recent_ix ON dga_change (changed_at, id)",
)


def upgrade_sqlite(connection):
    """Create DGA_DIAGNOSIS, DGA_CHANGE and their indexes (inside the caller's transaction)."""
    for statement in SQLITE_STATEMENTS:
        connection.execute(statement)
