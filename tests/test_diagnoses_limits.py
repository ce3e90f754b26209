"""Bounded anonymous work in `diagnoses`: the history series is paged, and big POST batches need the summary view."""

import datetime
import re
import sqlite3

import pytest

from conftest import table_snapshot
from contract import error_body
from shared import db, demo_data, dga
from shared.model import serving

FLEET = demo_data.generate()
T3_UNIT = next(unit for unit, (fault, _onset) in FLEET.faults.items() if fault == "T3")
LONG_UNIT = 1
LONG_EXTRA_SAMPLES = 260
NEXT_LINK = re.compile(r'<(http://testserver/api/v1/diagnoses/[0-9]+\?[^>]+)>; rel="next"')
SUMMARY_KEYS = {"dga_status", "fault_present", "fault_type", "severity", "health_index", "rank"}
HEALTHY = {"h2": 10, "ch4": 5, "c2h6": 3, "c2h4": 2, "c2h2": 0, "co": 200, "co2": 1500, "o2": 1500, "n2": 50000}
ARCING = {"h2": 500, "ch4": 120, "c2h6": 30, "c2h4": 80, "c2h2": 40, "co": 300, "co2": 2000}


@pytest.fixture
def long_history(demo_db):
    """Unit LONG_UNIT gets LONG_EXTRA_SAMPLES more monthly samples, a thermal fault growing and easing in turn."""
    connection = sqlite3.connect(demo_db)
    latest = connection.execute("SELECT MAX(sampled_at) FROM dga_sample WHERE equipment_id = ?", (LONG_UNIT,)).fetchone()[0]
    start = datetime.datetime.fromisoformat(latest)
    rows = []
    for week in range(1, LONG_EXTRA_SAMPLES + 1):
        swing = week % 40 if week % 80 < 40 else 40 - week % 40  # rates rise and fall, so Table 4 matters
        rows.append((
            LONG_UNIT, (start + datetime.timedelta(days=30 * week)).isoformat(sep=" "),
            20 + swing, 30 + 4 * swing, 15 + swing, 10 + 6 * swing, 0.5, 300 + week, 2500 + 3 * week, 1200.0, 52000.0,
        ))
    connection.executemany(
        "INSERT INTO dga_sample (equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2, o2, n2) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.commit()
    connection.close()
    return LONG_UNIT


def _reference_series(path, unit):
    """The unpaged history series computed from all of the unit's complete samples, each with every earlier one."""
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    complete = " AND ".join(f"{gas} IS NOT NULL" for gas in dga.GASES)
    samples = [
        {**row, "sampled_at": datetime.datetime.fromisoformat(row["sampled_at"]).replace(tzinfo=datetime.timezone.utc)}
        for row in map(dict, connection.execute(
            f"SELECT * FROM dga_sample WHERE equipment_id = ? AND {complete} ORDER BY sampled_at", (unit,)
        ))
    ]
    year, preservation = connection.execute(
        "SELECT year_manufactured, oil_preservation FROM equipment WHERE id = ?", (unit,)
    ).fetchone()
    connection.close()
    built = datetime.datetime(year, 7, 1, tzinfo=datetime.timezone.utc)
    series = []
    for index, sample in enumerate(samples):
        verdict = dga.diagnose(
            sample, history=samples[:index], oil_preservation=preservation,
            age_years=(sample["sampled_at"] - built).total_seconds() / dga.YEAR_SECONDS,
        )
        series.append({
            "sample_id": sample["id"],
            "sampled_at": sample["sampled_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "dga_status": verdict["methods"]["ieee_c57_104_2019"]["status"],
            "fault_type": verdict["fault"]["type"],
            "severity": verdict["fault"]["severity"],
            "health_index": verdict["health_index"]["value"],
            "duval_point": verdict["methods"]["duval_triangle_1"]["point"],
            "duval_zone": verdict["methods"]["duval_triangle_1"]["result"],
            "pentagon_point": verdict["methods"]["duval_pentagon_1"]["point"],
            "pentagon_zone": verdict["methods"]["duval_pentagon_1"]["result"],
        })
    return series


PROVENANCE = ("engine_version", "diagnosed_at", "stale")


def _plotted(points):
    """History points without their verdicts' provenance (checked to be the running engine's, not stale)."""
    for point in points:
        assert point["engine_version"] == dga.ENGINE_VERSION and point["stale"] is False and point["diagnosed_at"]
    return [{key: value for key, value in point.items() if key not in PROVENANCE} for point in points]


def _walk_history(client, url):
    """Every page of a unit's history, following rel="next": (the series, the pages' bodies)."""
    series, bodies = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        bodies.append(response.json())
        series.extend(_plotted(bodies[-1]["history"]))
        link = response.headers.get("link")
        url = NEXT_LINK.fullmatch(link).group(1) if link else None
        assert len(bodies) < 1000, "the next links never end"
    return series, bodies


@pytest.mark.parametrize("unit_name,limit", [("t3", 1), ("long", 7), ("long", None), ("long", 1000)])
def test_walking_every_history_page_gives_the_unpaged_series(client, demo_db, long_history, unit_name, limit):
    unit = {"t3": T3_UNIT, "long": long_history}[unit_name]
    reference = _reference_series(demo_db, unit)
    url = f"/api/v1/diagnoses/{unit}?history=true" + (f"&limit={limit}" if limit else "")
    series, bodies = _walk_history(client, url)
    assert series == reference
    page_size = limit or 100  # SEDA_DEFAULT_PAGE_SIZE
    assert len(bodies) == max(1, -(-len(reference) // page_size))
    assert all(len(body["history"]) == page_size for body in bodies[:-1])
    assert all(body["diagnosis"] == bodies[0]["diagnosis"] for body in bodies), "every page carries the latest verdict"
    assert bodies[0]["sample"]["id"] == reference[-1]["sample_id"]
    assert bodies[0]["diagnosis"]["health_index"]["value"] == reference[-1]["health_index"]


def test_the_long_series_exercises_the_2019_rates(client, long_history):
    """Guard for the comparison above: the extra samples must make Table 4 rates part of the verdicts."""
    body = client.get(f"/api/v1/diagnoses/{long_history}").json()
    ieee = body["diagnosis"]["methods"]["ieee_c57_104_2019"]
    assert ieee["rates"] is not None and ieee["deltas"] is not None


def test_a_page_anywhere_equals_that_slice_of_the_whole_series(client, demo_db, long_history):
    reference = _reference_series(demo_db, long_history)
    for offset in (0, 3, 6, 7, 150, len(reference) - 5, len(reference) - 2):  # before, at and past HISTORY_DEPTH; the end
        response = client.get(f"/api/v1/diagnoses/{long_history}?history=true&limit=5&offset={offset}")
        assert _plotted(response.json()["history"]) == reference[offset : offset + 5], offset
        has_next = offset + 5 < len(reference)
        assert ("link" in response.headers) == has_next, offset
        if has_next:
            next_url = NEXT_LINK.fullmatch(response.headers["link"]).group(1)
            assert "history=true" in next_url and "limit=5" in next_url and f"offset={offset + 5}" in next_url


def test_an_offset_past_the_end_gives_an_empty_page_and_the_latest_verdict(client):
    body = client.get(f"/api/v1/diagnoses/{T3_UNIT}?history=true&offset=5000").json()
    assert body["history"] == [] and body["diagnosis"] == client.get(f"/api/v1/diagnoses/{T3_UNIT}").json()["diagnosis"]


def test_paging_history_as_of_a_past_date_pages_only_earlier_samples(client, demo_db):
    at = "2022-01-01"
    reference = [p for p in _reference_series(demo_db, T3_UNIT) if p["sampled_at"] <= f"{at}T00:00:00Z"]
    assert reference, "the demo unit has samples before the date"
    series, _ = _walk_history(client, f"/api/v1/diagnoses/{T3_UNIT}?history=true&at={at}&limit=4")
    assert series == reference


def test_the_history_page_reads_only_paged_sample_queries(client, long_history):
    """O(page): no statement of a history request reads the unit's samples without a LIMIT."""
    seen = []
    db.statement_observers.append(lambda sql, paged: seen.append((sql, paged)))
    try:
        assert client.get(f"/api/v1/diagnoses/{long_history}?history=true&limit=3&offset=200").status_code == 200
    finally:
        db.statement_observers.clear()
    sample_reads = [(sql, paged) for sql, paged in seen if "dga_sample" in sql]
    # the latest verdict, the window of that latest sample (pending: written past the API), the page
    assert len(sample_reads) == 3 and all(paged for _sql, paged in sample_reads)


@pytest.mark.parametrize("query", ["limit=5", "offset=10", "limit=5&offset=10", "history=false&limit=5"])
def test_paging_without_history_is_400_saying_it_needs_history(client, query):
    body = error_body(client.get(f"/api/v1/diagnoses/{T3_UNIT}?{query}"), 400, "InvalidParameters")
    assert "need history=true" in body["message"]
    for name in ("limit", "offset"):
        assert (f"'{name}'" in body["message"].split("received")[1]) == (name in query)


@pytest.mark.parametrize("query,error", [("limit=0", "InvalidIntegerFormat"), ("limit=1001", "InvalidIntegerFormat"),
                                         ("offset=-1", "InvalidIntegerFormat"), ("limit=x", "InvalidIntegerFormat")])
def test_bad_history_paging_values_are_400(client, query, error):
    response = client.get(f"/api/v1/diagnoses/{T3_UNIT}?history=true&{query}")
    assert response.status_code == 400 and response.json()["error"] == error


def _demo_samples(path, count):
    """`count` stored samples as POST bodies (with the unit's age and preservation), gaps included."""
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    rows = connection.execute(
        "SELECT s.*, e.oil_preservation, e.year_manufactured FROM dga_sample s JOIN equipment e ON e.id = s.equipment_id "
        "ORDER BY s.id LIMIT ?", (count,)
    ).fetchall()
    connection.close()
    return [
        {
            **{field: row[field] for field in dga.SAMPLE_FIELDS if row[field] is not None},
            "sampled_at": row["sampled_at"].replace(" ", "T") + "Z",
            "age_years": int(row["sampled_at"][:4]) - row["year_manufactured"],
            "oil_preservation": row["oil_preservation"],
        }
        for row in rows
    ]


def _summary_of(verdict):
    """The summary view's fields, read out of a full verdict."""
    return {
        "dga_status": verdict["methods"]["ieee_c57_104_2019"]["status"],
        "fault_present": verdict["fault"]["present"],
        "fault_type": verdict["fault"]["type"],
        "severity": verdict["fault"]["severity"],
        "health_index": verdict["health_index"]["value"],
        "rank": verdict["rank"],
    }


def test_the_summary_view_equals_the_full_verdicts_fields(client, demo_db):
    samples = [HEALTHY, ARCING, {"h2": 10}, {"co": 5000, "co2": 1}] + _demo_samples(demo_db, 900)
    full = client.post("/api/v1/diagnoses", json=samples)
    summary = client.post("/api/v1/diagnoses?view=summary", json=samples)
    assert full.status_code == summary.status_code == 200
    assert summary.json() == [_summary_of(verdict) for verdict in full.json()]
    assert all(set(entry) == SUMMARY_KEYS for entry in summary.json())
    values = {key: {entry[key] for entry in summary.json()} for key in SUMMARY_KEYS}
    assert {None, 1, 3} <= values["dga_status"] and {None, True, False} <= values["fault_present"]
    assert len(values["severity"]) >= 3 and None in values["health_index"], "the batch covers the value kinds"
    assert len(full.content) > 10 * len(summary.content)


def test_view_full_is_the_default_and_a_single_object_stays_one_verdict(client):
    default = client.post("/api/v1/diagnoses", json=ARCING).json()
    assert client.post("/api/v1/diagnoses?view=full", json=ARCING).json() == default
    assert default == dga.diagnose(ARCING, model=serving.current())
    summary = client.post("/api/v1/diagnoses?view=summary", json=ARCING).json()
    assert summary == _summary_of(default)
    assert client.post("/api/v1/diagnoses?view=full", json=[ARCING]).json() == [default]


def test_the_summary_view_takes_csv(client):
    csv = "h2,ch4,c2h6,c2h4,c2h2,co,co2\r\n10,5,3,2,0,200,1500\r\n500,120,30,80,40,300,2000\r\n"
    response = client.post("/api/v1/diagnoses?view=summary", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert [entry["fault_present"] for entry in response.json()] == [False, True]


def test_the_full_view_above_its_cap_is_413_naming_both_limits(client, demo_db):
    before = table_snapshot(demo_db)
    body = error_body(client.post("/api/v1/diagnoses", json=[HEALTHY] * 1001), 413, "PayloadTooLarge")
    assert "at most 1,000 samples with the full view, or up to 10,000 with ?view=summary" in body["message"]
    assert "1,001" in body["message"]
    assert len(client.post("/api/v1/diagnoses", json=[HEALTHY] * 1000).json()) == 1000
    summaries = client.post("/api/v1/diagnoses?view=summary", json=[HEALTHY] * 10_000)
    assert summaries.status_code == 200 and len(summaries.json()) == 10_000
    assert client.post("/api/v1/diagnoses?view=summary", json=[HEALTHY] * 10_001).status_code == 413
    assert table_snapshot(demo_db) == before


def test_the_full_view_cap_is_a_setting_and_counts_csv_rows(client, settings_env):
    settings_env(SEDA_MAX_FULL_VERDICTS="3")
    csv = "h2,ch4,c2h6,c2h4,c2h2,co,co2\r\n" + "10,5,3,2,0,200,1500\r\n" * 4
    response = client.post("/api/v1/diagnoses", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 413
    assert "at most 3 samples with the full view, or up to 10,000 with ?view=summary" in response.json()["message"]
    assert client.post("/api/v1/diagnoses?view=summary", content=csv.encode(), headers={"Content-Type": "text/csv"}).status_code == 200
    assert client.post("/api/v1/diagnoses", json=[HEALTHY] * 3).status_code == 200
    assert client.post("/api/v1/diagnoses", json=HEALTHY).status_code == 200, "one object is always one verdict"


def test_the_full_view_cap_never_exceeds_the_batch_limit(client, settings_env):
    settings_env(SEDA_MAX_BATCH_ROWS="5", SEDA_MAX_FULL_VERDICTS="50")
    assert client.post("/api/v1/diagnoses", json=[HEALTHY] * 5).status_code == 200
    response = client.post("/api/v1/diagnoses", json=[HEALTHY] * 6)
    assert response.status_code == 413 and "5" in response.json()["message"]


def test_a_bad_view_or_cap_setting_is_refused(client, settings_env):
    response = client.post("/api/v1/diagnoses?view=brief", json=HEALTHY)
    assert response.status_code == 400 and response.json()["error"] == "InvalidParameters"
    assert "full, summary" in response.json()["message"]
    settings_env(SEDA_MAX_FULL_VERDICTS="0")
    from shared import config

    with pytest.raises(RuntimeError, match="SEDA_MAX_FULL_VERDICTS must be at least 1"):
        config.settings()
