"""The demo-data generator: deterministic, realistic DGA values, and loadable into the real schema."""

import collections
import sqlite3
from datetime import timedelta, timezone

import pytest

from shared import demo_data
from shared.demo_data import HISTORY_END, HISTORY_START, generate
from shared.schema import EQUIPMENT_KINDS, EQUIPMENT_STATUSES, OIL_PRESERVATIONS, SAMPLE_GASES, SQLITE_DDL

# Duval triangle 1 zones, transcribed from STANDARDS.md §1 (m, e, a = %CH4, %C2H4, %C2H2);
# a point in none of them is DT.
DUVAL_TRIANGLE_1 = (
    ("PD", lambda m, e, a: m >= 98),
    ("T1", lambda m, e, a: m < 98 and e < 20 and a < 4),
    ("T2", lambda m, e, a: 20 <= e < 50 and a < 4),
    ("T3", lambda m, e, a: e >= 50 and a < 15),
    ("D1", lambda m, e, a: e < 23 and a >= 13),
    ("D2", lambda m, e, a: (23 <= e < 40 and a >= 13) or (e >= 40 and a >= 29)),
)
# IEEE C57.104-2019 Table 1, 90th percentile (ppm), from STANDARDS.md §6: per O2/N2 class and age band.
_TABLE_1_GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2")
TABLE_1 = {
    "sealed": {
        "1-9": (75, 45, 30, 20, 1, 900, 5000),
        "10-30": (75, 90, 90, 50, 1, 900, 10000),
        ">30": (100, 110, 150, 90, 1, 900, 10000),
    },
    "free_breathing": {
        "1-9": (40, 20, 15, 25, 2, 500, 3500),
        "10-30": (40, 20, 15, 60, 2, 500, 5500),
        ">30": (40, 20, 15, 60, 2, 500, 5500),
    },
}
YEAR = timedelta(days=365.25)


def duval_zone(sample):
    """The Duval triangle 1 zone of a sample's CH4, C2H4 and C2H2."""
    total = sample["ch4"] + sample["c2h4"] + sample["c2h2"]
    m, e, a = (100 * sample[gas] / total for gas in ("ch4", "c2h4", "c2h2"))
    return next((zone for zone, inside in DUVAL_TRIANGLE_1 if inside(m, e, a)), "DT")


def table_1_exceeded(sample, unit):
    """The gases of a sample above the Table 1 level for the unit's preservation and age."""
    age = sample["sampled_at"].year - unit["year_manufactured"]
    band = "1-9" if age < 10 else "10-30" if age <= 30 else ">30"
    limits = TABLE_1[unit["oil_preservation"]][band]
    return [gas for gas, limit in zip(_TABLE_1_GASES, limits) if sample[gas] is not None and sample[gas] > limit]


@pytest.fixture(scope="module")
def fleet():
    return generate()


@pytest.fixture(scope="module")
def samples(fleet):
    return [row for batch in fleet.sample_batches() for row in batch]


@pytest.fixture(scope="module")
def history(samples):
    """Samples per equipment id, in time order."""
    by_unit = collections.defaultdict(list)
    for row in samples:
        by_unit[row["equipment_id"]].append(row)
    return by_unit


def test_same_seed_gives_identical_rows_whatever_the_batch_size(fleet, samples):
    again = generate()
    assert again == fleet
    assert [row for batch in again.sample_batches(batch_size=7) for row in batch] == samples


def test_different_seed_gives_different_rows(fleet, samples):
    other = generate(seed=demo_data.DEFAULT_SEED + 1)
    assert other.equipment != fleet.equipment
    assert next(other.sample_batches(100)) != samples[:100]


def test_default_fleet_size(fleet, samples):
    assert 7 <= len(fleet.substations) <= 10
    assert len(fleet.equipment) >= 100
    assert fleet.sample_count == len(samples)
    assert [row["id"] for row in samples] == list(range(1, len(samples) + 1))
    assert [row["id"] for row in fleet.equipment] == list(range(1, len(fleet.equipment) + 1))


def test_batches_are_full_except_the_last(fleet):
    sizes = [len(batch) for batch in fleet.sample_batches(batch_size=1000)]
    assert sizes[:-1] == [1000] * (len(sizes) - 1) and 0 < sizes[-1] <= 1000


def test_rows_have_exactly_the_table_columns(fleet, samples):
    assert all(tuple(row) == demo_data.SUBSTATION_COLUMNS for row in fleet.substations)
    assert all(tuple(row) == demo_data.EQUIPMENT_COLUMNS for row in fleet.equipment)
    assert all(tuple(row) == demo_data.SAMPLE_COLUMNS for row in samples)


def test_substations_are_in_south_korea_with_valid_voltage_classes(fleet):
    assert len({row["name"] for row in fleet.substations}) == len(fleet.substations)
    for row in fleet.substations:
        assert row["voltage_kv"] in (154.0, 345.0, 765.0)
        assert 33.0 <= row["latitude"] <= 38.7 and 124.5 <= row["longitude"] <= 130.0
        assert row["region"] and 1970 <= row["commissioned_year"] <= 2026


def test_equipment_values_and_names_unique_per_substation(fleet):
    names = collections.Counter((row["substation_id"], row["name"]) for row in fleet.equipment)
    assert max(names.values()) == 1
    kinds = collections.Counter(row["kind"] for row in fleet.equipment)
    assert set(kinds) <= set(EQUIPMENT_KINDS) and kinds.most_common(1)[0][0] == "power_transformer"
    assert {"auto_transformer", "shunt_reactor", "station_service_transformer"} <= set(kinds)
    statuses = collections.Counter(row["status"] for row in fleet.equipment)
    assert set(statuses) == set(EQUIPMENT_STATUSES) and statuses["in_service"] > 0.8 * len(fleet.equipment)
    assert {row["oil_preservation"] for row in fleet.equipment} == set(OIL_PRESERVATIONS)
    years = [row["year_manufactured"] for row in fleet.equipment]
    assert 1985 <= min(years) < 1995 and 2015 < max(years) <= 2022
    assert all(row["rated_mva"] > 0 and row["manufacturer"] for row in fleet.equipment)


def test_samples_cover_ten_years_quarterly_and_retired_units_stop_early(fleet, history):
    every_sample = [row["sampled_at"] for rows in history.values() for row in rows]
    assert all(t.tzinfo is timezone.utc for t in every_sample)
    assert HISTORY_START <= min(every_sample) and max(every_sample) < HISTORY_END
    for unit in fleet.equipment:
        times = [row["sampled_at"] for row in history[unit["id"]]]
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        assert all(timedelta(days=70) < gap < timedelta(days=115) for gap in gaps)
        if unit["status"] == "retired":
            assert times[-1] < HISTORY_END - YEAR
        else:
            assert times[-1] > HISTORY_END - timedelta(days=120)
        if unit["status"] == "in_service" and unit["year_manufactured"] <= HISTORY_START.year - 2:
            assert times[0] < HISTORY_START + timedelta(days=120) and len(times) >= 38


def test_equipment_and_sample_time_are_unique(samples):
    keys = {(row["equipment_id"], row["sampled_at"]) for row in samples}
    assert len(keys) == len(samples)


def test_every_fault_type_is_given_and_late_samples_fall_in_its_duval_zone(fleet, history):
    assert collections.Counter(fault for fault, _ in fleet.faults.values()) == {f: 2 for f in demo_data.FAULT_TYPES}
    for unit, (fault, onset) in fleet.faults.items():
        rows = history[unit]
        assert rows[0]["sampled_at"] < onset < rows[-1]["sampled_at"] - 3 * YEAR
        late = [row for row in rows[-4:] if None not in (row["ch4"], row["c2h4"], row["c2h2"])]
        assert late and {duval_zone(row) for row in late} == {fault}, (unit, fault)


def test_faulty_units_cross_table_1_and_healthy_units_mostly_stay_within(fleet, history):
    units = {row["id"]: row for row in fleet.equipment}
    for unit in fleet.faults:
        assert all(table_1_exceeded(row, units[unit]) for row in history[unit][-4:])
    healthy = [row for unit, rows in history.items() if unit not in fleet.faults for row in rows]
    within = [row for row in healthy if not table_1_exceeded(row, units[row["equipment_id"]])]
    assert len(within) > 0.9 * len(healthy)


def test_oxygen_nitrogen_ratio_follows_oil_preservation(fleet, history):
    for unit in fleet.equipment:
        ratios = [row["o2"] / row["n2"] for row in history[unit["id"]] if None not in (row["o2"], row["n2"])]
        if unit["oil_preservation"] == "sealed":
            assert max(ratios) <= 0.2
        else:
            assert min(ratios) > 0.2


def test_some_lab_reports_are_incomplete_and_no_value_is_negative(samples, history):
    incomplete = [row for row in samples if any(row[gas] is None for gas in SAMPLE_GASES)]
    assert 0.001 * len(samples) < len(incomplete) < 0.02 * len(samples)
    assert all(None not in (rows[0][gas] for gas in SAMPLE_GASES) for rows in history.values())
    values = [row[gas] for row in samples for gas in SAMPLE_GASES if row[gas] is not None]
    assert all(isinstance(value, float) and value >= 0 for value in values)
    assert all(round(value, 1) == value for value in values)


def test_healthy_acetylene_is_about_zero_and_carbon_oxides_rise_with_age(fleet, history):
    healthy = [row for unit, rows in history.items() if unit not in fleet.faults for row in rows]
    assert max(row["c2h2"] for row in healthy if row["c2h2"] is not None) < 1
    years = {row["id"]: row["year_manufactured"] for row in fleet.equipment}

    def median_co2(rows):
        values = sorted(row["co2"] for row in rows if row["co2"] is not None)
        return values[len(values) // 2]

    young = [row for row in healthy if row["sampled_at"].year - years[row["equipment_id"]] < 10]
    old = [row for row in healthy if row["sampled_at"].year - years[row["equipment_id"]] > 25]
    assert median_co2(old) > 1.5 * median_co2(young)


def test_labs_include_kepri(samples):
    labs = {row["lab"] for row in samples}
    assert "한전 전력연구원" in labs and len(labs) >= 3


def test_insert_statements_are_plain_sql_with_named_binds():
    statements = demo_data.insert_statements()
    assert set(statements) == {"substation", "equipment", "dga_sample", "inspection"}
    assert statements["dga_sample"].startswith("INSERT INTO dga_sample (id, equipment_id, sampled_at, h2,")
    assert ":sampled_at" in statements["dga_sample"] and ":lab)" in statements["dga_sample"]


def test_load_into_sqlite_schema_in_the_callers_transaction(fleet):
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript(SQLITE_DDL)
    batch_sizes = []

    def executemany(sql, rows):
        batch_sizes.append(len(rows))
        connection.executemany(sql, rows)

    def counts():
        tables = ("substation", "equipment", "dga_sample", "inspection")
        return [connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables]

    inserted = demo_data.load(
        executemany, fleet, bind_timestamp=lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f"), batch_size=1000
    )
    assert inserted == fleet.sample_count and max(batch_sizes) == 1000
    assert counts() == [len(fleet.substations), len(fleet.equipment), fleet.sample_count, len(fleet.inspections)]
    first = connection.execute("SELECT sampled_at FROM dga_sample WHERE id = 1").fetchone()[0]
    assert first == next(fleet.sample_batches(1))[0]["sampled_at"].strftime("%Y-%m-%d %H:%M:%S.%f")
    assert connection.in_transaction
    connection.rollback()
    assert counts() == [0, 0, 0, 0]
    connection.close()


def test_size_option_scales_the_fleet_to_the_target():
    target = 50_000
    scaled = generate(samples=target)
    yielded = sum(len(batch) for batch in scaled.sample_batches())
    assert yielded == scaled.sample_count
    assert abs(scaled.sample_count - target) <= 0.1 * target
    assert len(scaled.substations) > len(generate().substations)
    assert len({row["name"] for row in scaled.substations}) == len(scaled.substations)
    assert len({(row["substation_id"], row["name"]) for row in scaled.equipment}) == len(scaled.equipment)
    assert set(fault for fault, _ in scaled.faults.values()) == set(demo_data.FAULT_TYPES)


def test_faulty_units_are_inspected_after_the_onset_and_some_healthy_ones_are_found_sound(fleet, history):
    by_unit = {row["equipment_id"]: row for row in fleet.inspections}
    assert len(by_unit) == len(fleet.inspections) == 22, "one inspection per inspected unit"
    assert [row["id"] for row in fleet.inspections] == list(range(1, 23))
    families = {"D1": "D", "D2": "D", "T1": "T", "T2": "T", "T3": "T"}
    for unit, (fault, onset) in fleet.faults.items():
        inspection = by_unit[unit]
        assert inspection["finding"] in (fault, families.get(fault, fault))
        assert onset < inspection["inspected_at"] < demo_data.HISTORY_END
    healthy = [row for unit, row in by_unit.items() if unit not in fleet.faults]
    assert len(healthy) == 10 and {row["finding"] for row in healthy} == {"none"}
    statuses = {row["id"]: row["status"] for row in fleet.equipment}
    assert all(statuses[row["equipment_id"]] != "retired" for row in healthy)
    assert {row["finding"] for row in fleet.inspections} >= {"PD", "D", "T", "none"}, "fine, coarse and none findings"
    for row in fleet.inspections:  # a sample lies within a year before each inspection
        times = [sample["sampled_at"] for sample in history[row["equipment_id"]]]
        assert any(0 <= (row["inspected_at"] - time).days <= 365 for time in times)
    assert demo_data.generate().inspections == fleet.inspections
    assert demo_data.generate(seed=1).inspections != fleet.inspections
