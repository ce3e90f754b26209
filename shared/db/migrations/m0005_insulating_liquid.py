"""Version 5: every unit says its insulating liquid (EQUIPMENT.INSULATING_LIQUID), mineral oil unless told otherwise.

One new column, NOT NULL with the default 'mineral' and a check against `dga.INSULATING_LIQUIDS`,
so every existing unit is mineral after the upgrade and every INSERT that does not name the
column (the utility's own loaders, older tools) keeps working. Both databases add it without
rewriting the table: SQLite's ADD COLUMN only edits the schema, and Oracle (11g and newer) keeps
a NOT NULL column's default in the dictionary.

No NEXT_STEP: a stored verdict depends on the liquid, but a mineral unit's verdict is exactly
what it was before the column existed (`shared/dga/liquids.py` touches only other liquids), and
every unit is mineral right after the upgrade, so every stored verdict stays current. A unit
changed to another liquid through the API has its verdicts rewritten in that transaction.

The DDL is this version's, frozen here; `shared/schema.py` and `sql/oracle/02_schema.sql` create
the same column (last in the table, where ADD COLUMN puts it) in a new database.
"""

VERSION = 5
DESCRIPTION = "every unit records its insulating liquid, mineral oil by default"
# Frozen as this version made them: a later list of liquids ships as a migration of its own.
_LIQUIDS = "'mineral', 'natural_ester', 'synthetic_ester', 'silicone'"

SQLITE_STATEMENTS = (
    "ALTER TABLE equipment ADD COLUMN insulating_liquid TEXT NOT NULL DEFAULT 'mineral' "
    f"CONSTRAINT equipment_liquid_ck CHECK (insulating_liquid IN ({_LIQUIDS}))",
)

ORACLE_STATEMENTS = (
    "ALTER TABLE equipment ADD (insulating_liquid VARCHAR2(20) DEFAULT 'mineral' NOT NULL "
    f"CONSTRAINT equipment_liquid_ck CHECK (insulating_liquid IN ({_LIQUIDS})))",
)


def upgrade_sqlite(connection):
    """Add EQUIPMENT.INSULATING_LIQUID (inside the caller's transaction)."""
    for statement in SQLITE_STATEMENTS:
        connection.execute(statement)
