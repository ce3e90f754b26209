"""Version 7: an index that holds every column the fleet view's sorts and summary read of a unit's latest verdict.

The ranking's own order reads `dga_diagnosis_ranking_ix`; every other order of the fleet view
(`sort`), and the fleet summary, read EQUIPMENT LEFT JOIN the unit's latest verdict, one unit
after the other. Without this index that join found the latest verdict among all of the unit's
rows (`dga_diagnosis_unit_ix`) and then read the row from the table, whose rows also hold the
verdict documents. Measured in SQL alone on 28,096 units and 991,647 verdicts: the summary
172 ms, a sorted page ~100-150 ms; with this index 30 ms and ~9 ms (README "Fleet scale").

On SQLite it is a partial index of the latest verdicts only (`WHERE is_latest = 1`): 28,096
entries, 4.4 MB, one seek per unit that holds everything read (covering; `is_latest` is a column
too, so the join's ON term is answered from the index). Two shapes were measured and refused:
led by `is_latest` it drew the ranking's own query away from `dga_diagnosis_ranking_ix` (a
covering scan plus a sort: the first fleet page through the API 3.2 → 8.8 ms); led by
`equipment_id` over every verdict (155 MB) each unit's entry sat on a page of its own (a sorted
page through the API 16 → 35 ms). Oracle has no partial indexes: there it is the same columns
over every verdict, which its optimizer weighs with statistics (not measured here: no Oracle
server runs in CI).

Nothing else changes: no row is touched, every stored verdict stays current (no NEXT_STEP).
The DDL is this version's, frozen here; `shared/schema.py` and `sql/oracle/02_schema.sql`
create the same index in a new database.
"""

VERSION = 7
DESCRIPTION = "an index holding what the fleet view sorts and counts of the latest verdicts"

_COLUMNS = ("equipment_id, is_latest, dga_status, fault_present, fault_type, severity, health_index, sampled_at, "
            "fingerprint, verdict_rank, engine_version, diagnosed_at, sample_id")
SQLITE_STATEMENTS = (f"CREATE INDEX dga_diagnosis_latest_ix ON dga_diagnosis ({_COLUMNS}) WHERE is_latest = 1",)
ORACLE_STATEMENTS = (f"CREATE INDEX dga_diagnosis_latest_ix ON dga_diagnosis ({_COLUMNS})",)


def upgrade_sqlite(connection):
    """Create the index (inside the caller's transaction)."""
    for statement in SQLITE_STATEMENTS:
        connection.execute(statement)
