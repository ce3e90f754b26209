"""The four kinds of CSV file `tools.load --csv` reads: their columns (the API's own fields), natural keys,
parents, and how a batch of each is written through the service's own write paths."""

import dataclasses

from functions import equipment, inspections, measurements, substations
from shared import db, verdict_refresh


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of CSV file: its columns, its natural key, its parent and how a batch of it is written."""

    name: str  # the file is NAME.csv, the option --NAME-csv; the noun of messages
    fields: dict  # column -> bodies.Field
    key: tuple  # the columns of the natural key, unique within a file and in the table
    once: str  # what a second row with the same key repeats, for the message
    parent: str | None  # the kind this one's rows name, or None
    parent_key: tuple  # the columns naming the parent (its natural key, in this file's names)
    parent_id: str | None  # the column the parent's id is stored in
    columns: tuple  # what is written to the table
    resource: str  # the audit trail's resource_name
    write: object  # async write(tx, rows) -> ({"inserted", "updated"}, ids for the audit entry)
    row_problems: object = None  # problems(values) of a row whose fields are each valid, or None

    @property
    def file_name(self):
        """The file's name in a --csv directory."""
        return f"{self.name}.csv"


def _without(fields, name):
    """`fields` without the one named `name` (a parent's id, named by natural key in files instead)."""
    return {field: spec for field, spec in fields.items() if field != name}


_SUBSTATION_BY_NAME = "SELECT id FROM substation WHERE name = :name"
_SUBSTATION_NAME = {"substation_name": substations.FIELDS["name"]}
_UNIT_NAME = {**_SUBSTATION_NAME, "equipment_name": equipment.FIELDS["name"]}
_SUBSTATION_COLUMNS = tuple(substations.FIELDS)
_SUBSTATION_UPSERT = db.Upsert("substation", ("name",), _SUBSTATION_COLUMNS)
_EQUIPMENT_UPSERT = db.Upsert("equipment", ("substation_id", "name"), equipment.COLUMNS)
_INSPECTION_UPSERT = db.Upsert("inspection", ("equipment_id", "inspected_at"), inspections.COLUMNS)


async def _write_substations(tx, rows):
    """Upsert substations by name; their ids."""
    stored = [await tx.fetch_one(_SUBSTATION_BY_NAME, {"name": row["name"]}) for row in rows]
    await tx.execute_many(_SUBSTATION_UPSERT, rows)
    ids = [before["id"] if before else (await tx.fetch_one(_SUBSTATION_BY_NAME, {"name": row["name"]}))["id"]
           for before, row in zip(stored, rows)]
    return _counts(stored), {"id": ids}


async def _write_equipment(tx, rows):
    """Upsert units by (substation, name); rewrite the verdicts of units whose verdict inputs changed, as PUT does."""
    stored = [await tx.fetch_one(equipment.BY_NAME, equipment.name_key(row)) for row in rows]
    await tx.execute_many(_EQUIPMENT_UPSERT, rows)
    changed = {
        before["id"]: verdict_refresh.ALL
        for before, row in zip(stored, rows)
        if before is not None and any(before[field] != row[field] for field in equipment.VERDICT_INPUTS)
    }
    await verdict_refresh.refresh(tx, changed)
    ids = [before["id"] if before else (await tx.fetch_one(equipment.BY_NAME, equipment.name_key(row)))["id"]
           for before, row in zip(stored, rows)]
    return _counts(stored), {"id": ids}


async def _write_samples(tx, rows):
    """Upsert samples and rewrite the verdicts they change: POST /measurements' own write."""
    counts = await measurements.write_samples(tx, rows)
    return counts, {"equipment_id": list({row["equipment_id"] for row in rows})}


async def _write_inspections(tx, rows):
    """Upsert inspections by (unit, time)."""
    stored = [await tx.fetch_one(inspections.BY_KEY, inspections.key(row)) for row in rows]
    await tx.execute_many(_INSPECTION_UPSERT, rows)
    return _counts(stored), {"equipment_id": list({row["equipment_id"] for row in rows})}


def _counts(stored):
    """Inserted and updated, from the rows found stored (or None) before an upsert."""
    updated = sum(row is not None for row in stored)
    return {"inserted": len(stored) - updated, "updated": updated}


# In load order: parents first.
KINDS = (
    Kind("substations", substations.FIELDS, ("name",), "a substation of this name",
         None, (), None, _SUBSTATION_COLUMNS, "substations", _write_substations),
    Kind("equipment", {**_SUBSTATION_NAME, **_without(equipment.FIELDS, "substation_id")},
         ("substation_name", "name"), "a unit of this name in this substation",
         "substations", ("substation_name",), "substation_id", equipment.COLUMNS, "equipment", _write_equipment),
    Kind("samples", {**_UNIT_NAME, **_without(measurements.FIELDS, "equipment_id")},
         ("substation_name", "equipment_name", "sampled_at"), "a sample of this unit at this time",
         "equipment", ("substation_name", "equipment_name"), "equipment_id",
         tuple(measurements.FIELDS), "measurements", _write_samples, measurements.sample_problems),
    Kind("inspections", {**_UNIT_NAME, **_without(inspections.FIELDS, "equipment_id")},
         ("substation_name", "equipment_name", "inspected_at"), "an inspection of this unit at this time",
         "equipment", ("substation_name", "equipment_name"), "equipment_id",
         inspections.COLUMNS, "inspections", _write_inspections),
)
BY_NAME = {kind.name: kind for kind in KINDS}
