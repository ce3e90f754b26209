"""Deterministic demo data: substations, oil-filled equipment and ten years of DGA samples.

`generate()` builds the default demo fleet (8 substations, 120 units, about 4,300 samples)
that the service loads into its embedded database on first start; `generate(samples=N)`
scales the same model to about N samples for benchmarks. Every value derives from the seed
and from the fixed `HISTORY_END`, never from the wall clock: one seed, one set of rows.

Gas model (ppm, µl/l), after the team's DGA notes (dga/STANDARDS.md §1 and §6):
- healthy units age normally and stay mostly within the IEEE C57.104-2019 Table 1
  90th-percentile levels of their oil preservation: CO and CO2 rise with age, H2, CH4 and
  C2H6 are small, C2H2 is about zero;
- a few units develop one IEC 60599 fault (PD, D1, D2, T1, T2, T3) from an onset date; its
  gases grow over one to three years in that fault's proportions, so late samples fall in
  the fault's Duval triangle 1 zone and cross Table 1. `Fleet.faults` says which unit got
  which fault; it is not a database column;
- sealed units have O2/N2 <= 0.2, free-breathing ones > 0.2;
- about 0.5 % of samples are incomplete lab reports (some gases None).

Inspections (`Fleet.inspections`): every faulty unit is opened 1.5 to 3.5 years after its fault's
onset, once the fault's gases are well developed, and the inspection finds that fault (its fine
class, or for about a quarter of them only its family, D or T); about a tenth of the healthy units
that are not retired get a routine internal inspection that finds nothing (`none`). They come from
a generator of their own, seeded with the seed, so adding them changed no other row.

Samples stream in batches (`Fleet.sample_batches`). Each unit's samples come from a numpy
generator seeded with (seed, equipment id), so rows do not depend on the batch size, and a
million samples never sit in memory at once.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import numpy as np

from shared.schema import EQUIPMENT_KINDS, NO_FAULT, OIL_PRESERVATIONS, SAMPLE_GASES

SUBSTATION_COLUMNS = ("id", "name", "region", "voltage_kv", "latitude", "longitude", "commissioned_year")
EQUIPMENT_COLUMNS = (
    "id", "substation_id", "name", "kind", "manufacturer", "rated_mva", "voltage_kv",
    "year_manufactured", "oil_preservation", "status",
)  # fmt: skip
SAMPLE_COLUMNS = ("id", "equipment_id", "sampled_at", *SAMPLE_GASES, "lab")
INSPECTION_COLUMNS = ("id", "equipment_id", "inspected_at", "finding", "description", "reference")

DEFAULT_SEED = 20261031
HISTORY_END = datetime(2026, 10, 31, tzinfo=timezone.utc)
HISTORY_YEARS = 10
HISTORY_START = HISTORY_END.replace(year=HISTORY_END.year - HISTORY_YEARS)
FAULT_TYPES = ("PD", "D1", "D2", "T1", "T2", "T3")
LABS = ("한전 전력연구원", "KEPCO KPS Oil Laboratory", "KERI Changwon", "Hyosung Transformer Service Lab")

DEFAULT_EQUIPMENT_COUNT = 120
EQUIPMENT_PER_SUBSTATION = 15
FAULTY_SHARE_PER_TYPE = 1 / 60  # two units per fault type in the default fleet
RETIRED_SHARE = STANDBY_SHARE = 0.05

SAMPLING_INTERVAL_DAYS = 91  # quarterly
SAMPLING_DELAY_DAYS = 14  # a sample is drawn up to two weeks after it falls due, never before
INCOMPLETE_REPORT_SHARE = 0.005
CROSS_CHECK_LAB_SHARE = 0.1  # samples sent to another lab than the substation's usual one

_DAY_S = 86_400
_YEAR_S = 365.25 * _DAY_S
_END_DAY = int(HISTORY_END.timestamp()) // _DAY_S
_START_DAY = int(HISTORY_START.timestamp()) // _DAY_S
_WORKDAY_UTC_S = (0, 8 * 3600)  # 09:00-17:00 KST

# name, region, kV, latitude, longitude, commissioned year: the default fleet's substations.
_NAMED_SUBSTATIONS = (
    ("Sin-Gapyeong", "Gyeonggi", 765, 37.802, 127.527, 2002),
    ("Dong-Seoul", "Seoul", 345, 37.566, 127.163, 1988),
    ("Sin-Seosan", "Chungnam", 765, 36.870, 126.545, 2001),
    ("Cheongju", "Chungbuk", 154, 36.628, 127.457, 1985),
    ("Buk-Busan", "Busan", 345, 35.240, 129.012, 1993),
    ("Gwangyang", "Jeonnam", 154, 34.940, 127.696, 1987),
    ("Sin-Gangneung", "Gangwon", 154, 37.752, 128.876, 1996),
    ("Sin-Changwon", "Gyeongnam", 345, 35.228, 128.681, 1998),
)
# Region -> (latitude, longitude, places); scaled fleets name their extra substations after these.
_REGIONS = {
    "Seoul": (37.55, 126.99, ("Yeongdeungpo", "Seongdong", "Mapo", "Gangnam", "Dobong")),
    "Gyeonggi": (37.30, 127.20, ("Suwon", "Yongin", "Pyeongtaek", "Icheon", "Paju", "Hwaseong")),
    "Incheon": (37.46, 126.70, ("Bupyeong", "Namdong", "Yeongjong", "Songdo")),
    "Gangwon": (37.75, 128.30, ("Chuncheon", "Wonju", "Gangneung", "Donghae", "Taebaek")),
    "Chungbuk": (36.80, 127.70, ("Cheongju", "Chungju", "Jecheon", "Eumseong")),
    "Chungnam": (36.55, 126.85, ("Dangjin", "Seosan", "Asan", "Cheonan", "Boryeong")),
    "Daejeon": (36.35, 127.38, ("Yuseong", "Daedeok")),
    "Jeonbuk": (35.75, 127.10, ("Jeonju", "Iksan", "Gunsan", "Namwon")),
    "Jeonnam": (34.90, 126.90, ("Mokpo", "Yeosu", "Suncheon", "Gwangyang", "Naju")),
    "Gwangju": (35.16, 126.85, ("Gwangsan", "Songjeong")),
    "Gyeongbuk": (36.30, 128.75, ("Pohang", "Gumi", "Andong", "Gyeongju", "Uljin")),
    "Daegu": (35.87, 128.60, ("Dalseo", "Suseong")),
    "Gyeongnam": (35.30, 128.30, ("Changwon", "Gimhae", "Jinju", "Geoje", "Miryang")),
    "Busan": (35.18, 129.07, ("Haeundae", "Saha", "Gijang", "Sasang")),
    "Ulsan": (35.54, 129.31, ("Onsan", "Ulju", "Mipo")),
    "Jeju": (33.40, 126.55, ("Jeju", "Seogwipo", "Hallim")),
}
_NAME_PREFIXES = ("", "Sin-", "Dong-", "Seo-", "Nam-", "Buk-")
_VOLTAGE_CLASS_WEIGHTS = {154: 60, 345: 30, 765: 10}

_KIND_WEIGHTS = {
    "power_transformer": 64,
    "auto_transformer": 12,
    "shunt_reactor": 10,
    "station_service_transformer": 11,
    "grounding_transformer": 3,
}
_NAME_PREFIX_BY_KIND = {
    "power_transformer": "T",
    "auto_transformer": "AT",
    "shunt_reactor": "SR",
    "station_service_transformer": "SST",
    "grounding_transformer": "GT",
}
# (kind, substation kV) -> (equipment kV, rated MVA choices). 154-kV substations have no
# autotransformers, so a missing key means "build a power transformer instead".
_RATINGS = {
    ("power_transformer", 154): (154.0, (30.0, 45.0, 60.0)),
    ("power_transformer", 345): (345.0, (250.0, 400.0, 500.0)),
    ("power_transformer", 765): (345.0, (500.0, 600.0)),
    ("auto_transformer", 345): (345.0, (300.0, 500.0)),
    ("auto_transformer", 765): (765.0, (1000.0, 2000.0)),
    ("shunt_reactor", 154): (154.0, (20.0, 30.0)),
    ("shunt_reactor", 345): (345.0, (50.0, 100.0)),
    ("shunt_reactor", 765): (765.0, (200.0, 400.0)),
    ("station_service_transformer", 154): (22.9, (2.5, 5.0, 10.0)),
    ("station_service_transformer", 345): (22.9, (5.0, 10.0)),
    ("station_service_transformer", 765): (22.9, (10.0, 20.0)),
    ("grounding_transformer", 154): (22.9, (1.0, 2.0)),
    ("grounding_transformer", 345): (22.9, (1.0, 2.0)),
    ("grounding_transformer", 765): (22.9, (2.0,)),
}
_MANUFACTURER_WEIGHTS = {
    "Hyosung Heavy Industries": 30,
    "HD Hyundai Electric": 28,
    "Iljin Electric": 12,
    "LS Electric": 8,
    "ABB": 8,
    "Siemens Energy": 6,
    "Toshiba": 4,
    "Mitsubishi Electric": 4,
}
_OIL_PRESERVATION_WEIGHTS = {"sealed": 70, "free_breathing": 30}

# Combustible gases and carbon oxides, the columns of the gas matrix below.
_GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2")
_CARBON_OXIDES = np.array([gas in ("co", "co2") for gas in _GASES])
# Median healthy level at 20 years in service: about a third of Table 1 (10-30 y), C2H4 lower
# still, so that a PD unit's triangle can reach %CH4 >= 98.
_HEALTHY_PPM_AT_20_YEARS = {
    "sealed": np.array([30.0, 25.0, 30.0, 2.0, 0.0, 350.0, 3500.0]),
    "free_breathing": np.array([12.0, 6.0, 5.0, 3.0, 0.0, 180.0, 2000.0]),
}
_UNIT_SPREAD_SIGMA = 0.35  # unit-to-unit spread (lognormal) of the healthy levels
_LAB_NOISE_SIGMA = 0.08
_TRACE_C2H2_SHARE = 0.03  # healthy samples where the lab reports a trace of C2H2 (0.1-0.5 ppm)
# Atmospheric gases, ppm: (O2 range, N2 range) per preservation; uniform per unit, then
# +-10 % (O2) and +-5 % (N2) per sample, which keeps sealed <= 0.11 and free-breathing >= 0.26.
_ATMOSPHERIC_PPM = {
    "sealed": ((800.0, 4000.0), (45000.0, 65000.0)),
    "free_breathing": ((18000.0, 27000.0), (45000.0, 58000.0)),
}
# Fault gases: shares of H2..C2H2 (summing to 1) and of CO and CO2 per ppm of fault gas, and
# the range of fault gas (ppm) once fully developed. The triangle points of the shares:
# PD 100 % CH4; D1 CH4 19, C2H4 14, C2H2 67; D2 21/35/44; T1 87/13/0; T2 64/35/1; T3 26/71/2.
_FAULT_GAS_SHARES = {
    "PD": np.array([0.87, 0.07, 0.06, 0.0, 0.0, 0.0, 0.0]),
    "D1": np.array([0.55, 0.08, 0.02, 0.06, 0.29, 0.02, 0.1]),
    "D2": np.array([0.40, 0.12, 0.03, 0.20, 0.25, 0.05, 0.2]),
    "T1": np.array([0.10, 0.45, 0.38, 0.07, 0.0, 0.4, 2.5]),
    "T2": np.array([0.195, 0.42, 0.15, 0.23, 0.005, 0.2, 1.5]),
    "T3": np.array([0.10, 0.22, 0.06, 0.60, 0.02, 0.0, 0.0]),
}
_FAULT_PPM = {
    "PD": (8000, 15000),
    "D1": (400, 1200),
    "D2": (1000, 3000),
    "T1": (300, 900),
    "T2": (600, 1800),
    "T3": (1500, 4500),
}
_FAULT_GROWTH_YEARS = (1.0, 3.0)
# Faults start a year into a unit's history at the earliest and four years before its end at
# the latest, so every faulty unit has healthy samples first and fully developed ones last.
_FAULT_EARLIEST_YEARS = 1
_FAULT_LATEST_YEARS_BEFORE_END = 4
_WHOLE_PPM_GASES = ("co2", "o2", "n2")  # labs report these large values to whole ppm, the others to 0.1 ppm
# Gases a lab report may lack: atmospheric gases not analysed, H2 lost from the syringe, ...
_MISSING_GAS_SETS = (("o2", "n2"), ("h2",), ("co2",), ("c2h6",), ("co", "co2", "o2", "n2"))
# Inspections: when a faulty unit is opened (years after the onset), the share recorded by family only,
# the share of healthy units inspected, and what the engineers wrote.
_INSPECTION_AFTER_ONSET_YEARS = (1.5, 3.5)
_COARSE_FINDING_SHARE = 0.25
_HEALTHY_INSPECTED_SHARE = 0.1
_FAMILY = {"D1": "D", "D2": "D", "T1": "T", "T2": "T", "T3": "T"}
_FINDING_DESCRIPTIONS = {
    "PD": "Partial discharge: X-wax and tracking marks at the HV lead exit",
    "D1": "Low-energy discharge: carbonised tracking on a tap-changer barrier board",
    "D2": "High-energy arcing: flashover marks between the LV winding and a core clamp",
    "T1": "Overheating below 300 °C: discoloured paper on the LV winding",
    "T2": "Overheating of 300 to 700 °C: a heated bolted joint of a lead connection",
    "T3": "Overheating above 700 °C: circulating current in the core, melted core-clamp insulation",
    "D": "Discharge marks found; their energy not determined",
    "T": "Overheated parts found; the temperature range not determined",
    NO_FAULT: "Routine internal inspection: nothing abnormal found",
}


@dataclass(frozen=True)
class _UnitPlan:
    """What `Fleet.sample_batches` needs to draw one unit's samples."""

    equipment_id: int
    oil_preservation: str
    energised_s: int
    first_due_day: int
    sample_count: int
    lab: str
    fault: str | None = None
    fault_onset_s: int | None = None


@dataclass(frozen=True)
class Fleet:
    """A generated fleet: substation and equipment rows, the faults given, and DGA samples on demand."""

    substations: list[dict]
    equipment: list[dict]
    faults: dict[int, tuple[str, datetime]]
    sample_count: int
    seed: int
    plans: tuple[_UnitPlan, ...] = field(repr=False)  # per unit, what sample_batches draws from
    inspections: list[dict] = field(default_factory=list)  # rows of INSPECTION_COLUMNS, by unit and time

    def sample_batches(self, batch_size: int = 5000) -> Iterator[list[dict]]:
        """DGA sample rows (keys SAMPLE_COLUMNS) in lists of `batch_size`, ids 1..sample_count in order."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        batch, next_id = [], 1
        for plan in self.plans:
            rows = _unit_samples(self.seed, plan, next_id)
            next_id += len(rows)
            batch.extend(rows)
            while len(batch) >= batch_size:
                yield batch[:batch_size]
                batch = batch[batch_size:]
        if batch:
            yield batch


def generate(seed: int = DEFAULT_SEED, samples: int | None = None) -> Fleet:
    """The default demo fleet, or with `samples` a fleet scaled to about that many samples (within a few %)."""
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")  # numpy seeds refuse negative ones
    if samples is not None and samples < 1:
        raise ValueError("samples must be at least 1")
    fleet = _build_fleet(seed, DEFAULT_EQUIPMENT_COUNT)
    if samples is None:
        return fleet
    # The default fleet measures how many samples a unit gets on average; more units, same mix.
    samples_per_unit = fleet.sample_count / len(fleet.equipment)
    return _build_fleet(seed, max(1, round(samples / samples_per_unit)))


def insert_statements() -> dict[str, str]:
    """INSERT statements with named binds for substation, equipment, dga_sample, inspection — plain SQL for SQLite and
    Oracle."""
    tables = {"substation": SUBSTATION_COLUMNS, "equipment": EQUIPMENT_COLUMNS, "dga_sample": SAMPLE_COLUMNS,
              "inspection": INSPECTION_COLUMNS}
    return {
        table: f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
        for table, columns in tables.items()
    }


def load(
    executemany: Callable[[str, list[dict]], None],
    fleet: Fleet,
    *,
    bind_timestamp: Callable[[datetime], Any] = lambda t: t,
    batch_size: int = 5000,
    with_inspections: bool = True,
) -> int:
    """Insert the fleet via `executemany(sql, rows)` in batches, parents first; return the sample count. No commit.

    `with_inspections=False` leaves out the inspections, for a schema older than version 6 (tests of upgrades).
    """
    statements = insert_statements()
    for table, rows in (("substation", fleet.substations), ("equipment", fleet.equipment)):
        for start in range(0, len(rows), batch_size):
            executemany(statements[table], rows[start : start + batch_size])
    inserted = 0
    for batch in fleet.sample_batches(batch_size):
        for row in batch:  # the batch is freshly generated, so rebinding in place is safe
            row["sampled_at"] = bind_timestamp(row["sampled_at"])
        executemany(statements["dga_sample"], batch)
        inserted += len(batch)
    inspections = [{**row, "inspected_at": bind_timestamp(row["inspected_at"])} for row in fleet.inspections]
    for start in range(0, len(inspections) if with_inspections else 0, batch_size):
        executemany(statements["inspection"], inspections[start : start + batch_size])
    return inserted


def _build_fleet(seed: int, equipment_count: int) -> Fleet:
    """Substations, equipment, statuses, faults and sampling plans for `equipment_count` units."""
    rng = random.Random(seed)
    substations = _substations(rng, max(1, round(equipment_count / EQUIPMENT_PER_SUBSTATION)))
    equipment, energised = _equipment(rng, substations, equipment_count)
    history_start_day = {row["id"]: max(_START_DAY, energised[row["id"]] // _DAY_S) for row in equipment}

    # A faulty unit needs room for healthy samples before the onset and developed ones after it.
    latest_history_start_day = _END_DAY - (_FAULT_EARLIEST_YEARS + _FAULT_LATEST_YEARS_BEFORE_END) * 365
    fault_candidates = [row for row in equipment if history_start_day[row["id"]] <= latest_history_start_day]
    per_type = max(1, round(equipment_count * FAULTY_SHARE_PER_TYPE))
    faulty = rng.sample(fault_candidates, min(len(fault_candidates), per_type * len(FAULT_TYPES)))
    latest_onset = (_END_DAY - _FAULT_LATEST_YEARS_BEFORE_END * 365) * _DAY_S
    faults = {}
    for index, row in enumerate(faulty):
        earliest_onset = (history_start_day[row["id"]] + _FAULT_EARLIEST_YEARS * 365) * _DAY_S
        onset = datetime.fromtimestamp(rng.randrange(earliest_onset, latest_onset + 1), timezone.utc)
        faults[row["id"]] = (FAULT_TYPES[index % len(FAULT_TYPES)], onset)

    # Retired units keep at least two years of samples and stop at least a year before the end.
    healthy = [row for row in equipment if row["id"] not in faults]
    retirable = [row for row in healthy if history_start_day[row["id"]] <= _END_DAY - 3 * 365]
    retired = rng.sample(retirable, min(len(retirable), max(1, round(equipment_count * RETIRED_SHARE))))
    stop_day = {row["id"]: rng.randint(history_start_day[row["id"]] + 2 * 365, _END_DAY - 365) for row in retired}
    for row in retired:
        row["status"] = "retired"
    not_retired = [row for row in healthy if row["status"] != "retired"]
    for row in rng.sample(not_retired, min(len(not_retired), max(1, round(equipment_count * STANDBY_SHARE)))):
        row["status"] = "standby"

    lab_by_substation = {row["id"]: rng.choice(LABS) for row in substations}
    plans = []
    for row in equipment:
        unit = row["id"]
        # A random phase within the quarter, so that the fleet is not sampled on a single day.
        first_due = history_start_day[unit] + rng.randrange(SAMPLING_INTERVAL_DAYS)
        last_due = stop_day.get(unit, _END_DAY) - SAMPLING_DELAY_DAYS
        fault, onset = faults.get(unit, (None, None))
        plans.append(
            _UnitPlan(
                equipment_id=unit,
                oil_preservation=row["oil_preservation"],
                energised_s=energised[unit],
                first_due_day=first_due,
                sample_count=max(0, (last_due - first_due) // SAMPLING_INTERVAL_DAYS + 1),
                lab=lab_by_substation[row["substation_id"]],
                fault=fault,
                fault_onset_s=None if onset is None else int(onset.timestamp()),
            )
        )
    return Fleet(
        substations=substations,
        equipment=equipment,
        faults=faults,
        sample_count=sum(plan.sample_count for plan in plans),
        seed=seed,
        plans=tuple(plans),
        inspections=_inspections(seed, faults, [row for row in not_retired if row["id"] not in faults], history_start_day),
    )


def _inspections(seed: int, faults: dict, healthy: list[dict], history_start_day: dict) -> list[dict]:
    """Inspection rows: each faulty unit opened after its onset, and some healthy units found sound.

    A generator of its own (seeded with the seed), so the other rows do not change with these.
    """
    rng = random.Random(f"inspections-{seed}")
    found = []  # (unit, time, finding)
    for unit, (fault, onset) in sorted(faults.items()):
        after_s = rng.uniform(*_INSPECTION_AFTER_ONSET_YEARS) * _YEAR_S
        finding = _FAMILY.get(fault, fault) if rng.random() < _COARSE_FINDING_SHARE else fault
        found.append((unit, _workday_time(rng, (int(onset.timestamp()) + int(after_s)) // _DAY_S), finding))
    inspected = rng.sample(healthy, min(len(healthy), round(len(healthy) * _HEALTHY_INSPECTED_SHARE)))
    for row in sorted(inspected, key=lambda unit: unit["id"]):
        # A year of samples at least before it, so a sample lies within the scorecard's window.
        day = rng.randint(history_start_day[row["id"]] + 365, _END_DAY - SAMPLING_DELAY_DAYS)
        found.append((row["id"], _workday_time(rng, day), NO_FAULT))
    return [
        dict(zip(INSPECTION_COLUMNS, (index, unit, time, finding, _FINDING_DESCRIPTIONS[finding],
                                      f"WO-{time.year}-{unit:04d}")))
        for index, (unit, time, finding) in enumerate(sorted(found), start=1)
    ]


def _workday_time(rng: random.Random, day: int) -> datetime:
    """A time of working hours (Korea) on `day` (days since the epoch), in UTC."""
    return datetime.fromtimestamp(day * _DAY_S + rng.randrange(*_WORKDAY_UTC_S), timezone.utc)


def _substations(rng: random.Random, count: int) -> list[dict]:
    """The named substations first, then generated ones with unique Korean place names."""
    rows = [
        dict(zip(SUBSTATION_COLUMNS, (index, name, region, float(kv), latitude, longitude, year)))
        for index, (name, region, kv, latitude, longitude, year) in enumerate(_NAMED_SUBSTATIONS[:count], start=1)
    ]
    taken = {name for name, *_ in _NAMED_SUBSTATIONS}
    sites = [
        (prefix + place, region)
        for region, (*_, places) in _REGIONS.items()
        for place in places
        for prefix in _NAME_PREFIXES
        if prefix + place not in taken
    ]
    rng.shuffle(sites)
    voltages, voltage_weights = zip(*_VOLTAGE_CLASS_WEIGHTS.items())
    for index in range(len(rows) + 1, count + 1):
        position = index - len(_NAMED_SUBSTATIONS) - 1
        name, region = sites[position % len(sites)]
        round_number = position // len(sites) + 1
        latitude, longitude, _ = _REGIONS[region]
        rows.append(
            dict(
                zip(
                    SUBSTATION_COLUMNS,
                    (
                        index,
                        name if round_number == 1 else f"{name} {round_number}",
                        region,
                        float(rng.choices(voltages, voltage_weights)[0]),
                        round(latitude + rng.uniform(-0.15, 0.15), 6),
                        round(longitude + rng.uniform(-0.15, 0.15), 6),
                        rng.randint(1975, 2015),
                    ),
                )
            )
        )
    return rows


def _equipment(rng: random.Random, substations: list[dict], count: int) -> tuple[list[dict], dict[int, int]]:
    """`count` units spread unevenly over the substations, and each unit's energisation time (epoch s)."""
    weights = [rng.uniform(0.7, 1.3) for _ in substations]
    total, cumulative, bounds = sum(weights), 0.0, [0]
    for weight in weights:
        cumulative += weight
        bounds.append(round(count * cumulative / total))
    kind_weights = [_KIND_WEIGHTS[kind] for kind in EQUIPMENT_KINDS]
    oil_weights = [_OIL_PRESERVATION_WEIGHTS[oil] for oil in OIL_PRESERVATIONS]
    makers, maker_weights = zip(*_MANUFACTURER_WEIGHTS.items())
    rows, energised = [], {}
    for substation, start, stop in zip(substations, bounds, bounds[1:]):
        substation_kv = int(substation["voltage_kv"])
        per_kind = dict.fromkeys(_NAME_PREFIX_BY_KIND, 0)
        for unit in range(start + 1, stop + 1):
            kind = rng.choices(EQUIPMENT_KINDS, kind_weights)[0]
            if (kind, substation_kv) not in _RATINGS:
                kind = "power_transformer"
            per_kind[kind] += 1
            voltage_kv, ratings = _RATINGS[kind, substation_kv]
            year = rng.randint(max(1985, substation["commissioned_year"] - 1), 2022)
            # Delivered and energised six to eighteen months after the year it was built.
            new_year = datetime(year, 1, 1, tzinfo=timezone.utc).timestamp()
            energised[unit] = int(new_year + rng.uniform(0.5, 1.5) * _YEAR_S)
            rows.append(
                dict(
                    zip(
                        EQUIPMENT_COLUMNS,
                        (
                            unit,
                            substation["id"],
                            f"{_NAME_PREFIX_BY_KIND[kind]}{per_kind[kind]}",
                            kind,
                            rng.choices(makers, maker_weights)[0],
                            rng.choice(ratings),
                            voltage_kv,
                            year,
                            rng.choices(OIL_PRESERVATIONS, oil_weights)[0],
                            "in_service",
                        ),
                    )
                )
            )
    return rows, energised


def _unit_samples(seed: int, plan: _UnitPlan, first_id: int) -> list[dict]:
    """One unit's sample rows, drawn from its own generator so they do not depend on the batch size."""
    rng = np.random.default_rng([seed, plan.equipment_id])
    count = plan.sample_count
    due_days = plan.first_due_day + SAMPLING_INTERVAL_DAYS * np.arange(count)
    days = due_days + rng.integers(0, SAMPLING_DELAY_DAYS, count)
    seconds = days * _DAY_S + rng.integers(*_WORKDAY_UTC_S, count)

    years_in_service = np.clip((seconds - plan.energised_s) / _YEAR_S, 0.0, 40.0)
    # Oil and paper ageing: hydrocarbons creep up slowly, CO and CO2 follow paper degradation.
    hydrocarbon_ageing = 0.4 + 0.6 * years_in_service / 20
    paper_ageing = np.maximum(0.15, (years_in_service / 20) ** 0.7)
    ageing = np.where(_CARBON_OXIDES, paper_ageing[:, None], hydrocarbon_ageing[:, None])
    unit_level = _HEALTHY_PPM_AT_20_YEARS[plan.oil_preservation] * rng.lognormal(0.0, _UNIT_SPREAD_SIGMA, len(_GASES))
    gases = unit_level * ageing * rng.lognormal(0.0, _LAB_NOISE_SIGMA, (count, len(_GASES)))
    trace = rng.random(count) < _TRACE_C2H2_SHARE
    gases[:, _GASES.index("c2h2")] = np.where(trace, rng.uniform(0.1, 0.5, count), 0.0)

    if plan.fault is not None:
        fault_ppm = rng.uniform(*_FAULT_PPM[plan.fault])
        growth_s = rng.uniform(*_FAULT_GROWTH_YEARS) * _YEAR_S
        severity = np.clip((seconds - plan.fault_onset_s) / growth_s, 0.0, 1.0)
        shares = _FAULT_GAS_SHARES[plan.fault] * rng.lognormal(0.0, _LAB_NOISE_SIGMA, (count, len(_GASES)))
        gases += fault_ppm * severity[:, None] * shares

    o2_range, n2_range = _ATMOSPHERIC_PPM[plan.oil_preservation]
    o2 = rng.uniform(*o2_range) * rng.uniform(0.9, 1.1, count)
    n2 = rng.uniform(*n2_range) * rng.uniform(0.95, 1.05, count)

    measured = {**{gas: gases[:, index] for index, gas in enumerate(_GASES)}, "o2": o2, "n2": n2}
    columns = {gas: np.round(values, 0 if gas in _WHOLE_PPM_GASES else 1).tolist() for gas, values in measured.items()}

    # A unit's first sample is always complete: it is the baseline every later one is read against.
    incomplete = rng.random(count) < INCOMPLETE_REPORT_SHARE
    incomplete[:1] = False
    missing_sets = rng.integers(0, len(_MISSING_GAS_SETS), count)
    for index in np.flatnonzero(incomplete).tolist():
        for gas in _MISSING_GAS_SETS[missing_sets[index]]:
            columns[gas][index] = None

    cross_checked = rng.random(count) < CROSS_CHECK_LAB_SHARE
    other_labs = rng.integers(0, len(LABS), count)
    labs = [LABS[other] if crossed else plan.lab for crossed, other in zip(cross_checked.tolist(), other_labs.tolist())]

    times = [datetime.fromtimestamp(second, timezone.utc) for second in seconds.tolist()]
    gas_columns = [columns[gas] for gas in SAMPLE_GASES]
    return [
        dict(zip(SAMPLE_COLUMNS, (first_id + index, plan.equipment_id, time, *values, lab)))
        for index, (time, lab, *values) in enumerate(zip(times, labs, *gas_columns))
    ]
