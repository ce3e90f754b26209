"""What the dashboard's fleet view reads (issue 13): `sort` and `q` on the fleet ranking, paged by cursor in every
order, and the fleet summary that counts what the ranking's filters select."""

import datetime
import re

import orjson
import pytest

from conftest import follow_pages, make_client
from shared import db, dga, fleet, fleet_summary
from test_oracle_sql import UNIT, parse_oracle
from test_stored_reads import _execute

LINK = re.compile(r'<http://testserver(/api/v1/[^>]+)>; rel="next"')
# The entry field each sort orders by, as a Python sort key of the entry (None: the entry has no value).
FIELD_VALUES = {
    "rank": lambda entry: entry["rank"],
    "name": lambda entry: entry["equipment_name"],
    "substation": lambda entry: SUBSTATION_NAMES[entry["substation_id"]],
    "kind": lambda entry: entry["kind"],
    "status": lambda entry: entry["dga_status"],
    "fault_type": lambda entry: entry["fault_type"],
    "severity": lambda entry: dga.SEVERITIES.index(entry["severity"]),
    "health_index": lambda entry: entry["health_index"],
    "sampled_at": lambda entry: entry["sampled_at"] and datetime.datetime.fromisoformat(entry["sampled_at"]),
}
NO_VERDICT_UNITS = ("Zz-new", "aa-new")  # units without a sample: they take their place in every order
SUBSTATION_NAMES = {}  # id → name, read by `fleet_client`: sort=substation orders by the name


@pytest.fixture
def fleet_client(writer):
    """The API on the demo database plus units without a verdict, whose fields are null or stand-ins."""
    SUBSTATION_NAMES.update({row["id"]: row["name"] for row in follow_pages(writer, "/api/v1/substations")[0]})
    for name in NO_VERDICT_UNITS:
        assert writer.post("/api/v1/equipment", json={**UNIT, "name": name}).status_code == 201
    return writer


def expected_order(entries, sort):
    """The entries in the order `sort` promises: by the field (descending with '-'), ties by equipment id, entries
    without a value last in either direction — a plain Python sort of everything."""
    value = FIELD_VALUES[sort.lstrip("-")]
    by_id = sorted(entries, key=lambda entry: entry["equipment_id"])
    with_value = [entry for entry in by_id if value(entry) is not None]
    without = [entry for entry in by_id if value(entry) is None]
    return sorted(with_value, key=value, reverse=sort.startswith("-")) + without  # sorted() is stable


def _all_entries(client):
    """Every entry of the default ranking, followed page by page."""
    return follow_pages(client, "/api/v1/diagnoses?limit=1000")[0]


def test_the_sorts_are_the_fields_both_ways():
    assert set(fleet.SORTS) == {f"{direction}{field}" for field in FIELD_VALUES for direction in ("", "-")}
    assert fleet.DEFAULT_SORT == "-rank"


@pytest.mark.parametrize("sort", fleet.SORTS)
def test_every_sort_walked_by_cursor_gives_every_unit_once_in_the_promised_order(fleet_client, sort):
    everything = _all_entries(fleet_client)
    assert len(everything) == len({entry["equipment_id"] for entry in everything}) > 100
    walked, pages = follow_pages(fleet_client, f"/api/v1/diagnoses?sort={sort}&limit=17")
    assert pages == -(-len(everything) // 17)
    assert [entry["equipment_id"] for entry in walked] == [entry["equipment_id"] for entry in
                                                           expected_order(everything, sort)]
    by_id = {entry["equipment_id"]: entry for entry in everything}
    assert all(entry == by_id[entry["equipment_id"]] for entry in walked), "the same entries as the ranking"


def test_the_default_order_is_the_ranking_and_sort_rank_reverses_it(fleet_client):
    everything = _all_entries(fleet_client)
    assert follow_pages(fleet_client, "/api/v1/diagnoses?sort=-rank&limit=50")[0] == everything
    assert everything[-1]["rank"] == -1 and everything[0]["rank"] > everything[-1]["rank"]
    ascending = follow_pages(fleet_client, "/api/v1/diagnoses?sort=rank&limit=50")[0]
    assert {entry["equipment_name"] for entry in ascending[:2]} == set(NO_VERDICT_UNITS), "rank -1 comes first"


@pytest.mark.parametrize("sort", ["name", "-health_index", "sampled_at", "-severity"])
def test_offset_pages_and_the_export_follow_the_same_order_as_the_cursor(fleet_client, sort):
    walked = follow_pages(fleet_client, f"/api/v1/diagnoses?sort={sort}&limit=23")[0]
    by_offset = []
    for offset in range(0, len(walked), 23):
        by_offset.extend(fleet_client.get(f"/api/v1/diagnoses?sort={sort}&limit=23&offset={offset}").json())
    assert by_offset == walked
    exported = fleet_client.get(f"/api/v1/diagnoses?sort={sort}&format=ndjson")
    assert exported.status_code == 200
    assert [orjson.loads(line) for line in exported.text.splitlines()] == walked


def test_filters_combine_with_a_sort(fleet_client):
    everything = _all_entries(fleet_client)
    walked = follow_pages(fleet_client, "/api/v1/diagnoses?sort=-sampled_at&substation_id=1&fault=none&limit=4")[0]
    chosen = [entry for entry in everything if entry["substation_id"] == 1 and entry["fault_present"] is False]
    assert walked and [entry["equipment_id"] for entry in walked] == \
        [entry["equipment_id"] for entry in expected_order(chosen, "-sampled_at")]


def test_a_cursor_of_another_sort_is_400_naming_both(fleet_client):
    by_name = fleet_client.get("/api/v1/diagnoses?sort=name&limit=3")
    cursor = re.search(r"cursor=([A-Za-z0-9_-]+)", by_name.headers["link"]).group(1)
    for other in ("-name", "health_index", "-rank"):
        response = fleet_client.get(f"/api/v1/diagnoses?sort={other}&cursor={cursor}")
        body = response.json()
        assert response.status_code == 400 and body["error"] == "InvalidParameters", other
        assert "sort=name" in body["message"] and f"sort={other}" in body["message"] and body["request_id"]
    ranking = fleet_client.get("/api/v1/diagnoses?limit=3").headers["link"]
    rank_cursor = re.search(r"cursor=([A-Za-z0-9_-]+)", ranking).group(1)
    response = fleet_client.get(f"/api/v1/diagnoses?sort=name&cursor={rank_cursor}")
    assert response.status_code == 400 and "sort=-rank" in response.json()["message"]


@pytest.mark.parametrize("query,named", [
    ("sort=worst", "received 'worst'. An entry field"), ("sort=name;DROP TABLE equipment", "sort"), ("sort=+name", "sort"),
    ("sort=name&sort=-name", "'sort' was given 2 times"), ("q=", "1 to 100 characters"), ("q=" + "x" * 101, "q"),
    ("q=a%0Ab", "U+000A"),
])
def test_bad_sort_and_q_are_400_saying_what_is_accepted(fleet_client, sql, query, named):
    before = sql("SELECT COUNT(*) FROM equipment")
    response = fleet_client.get(f"/api/v1/diagnoses?{query}")
    body = response.json()
    assert response.status_code == 400 and body["error"] == "InvalidParameters" and body["request_id"]
    assert named in body["message"]
    if query.startswith("sort=") and "&" not in query:
        assert "-health_index" in body["message"] and "sampled_at" in body["message"], "lists what is accepted"
    assert sql("SELECT COUNT(*) FROM equipment") == before


def test_q_is_a_case_insensitive_part_of_the_name(fleet_client):
    everything = _all_entries(fleet_client)
    for q in ("T1", "t1", "-NEW"):
        found = follow_pages(fleet_client, f"/api/v1/diagnoses?q={q}&limit=5")[0]
        assert found and [entry["equipment_id"] for entry in found] == \
            [entry["equipment_id"] for entry in everything if q.lower() in entry["equipment_name"].lower()]
    assert {"T1", "T12"} <= {entry["equipment_name"] for entry in
                             fleet_client.get("/api/v1/diagnoses?q=T1&limit=1000").json()}


def test_like_wildcards_in_q_match_only_themselves(fleet_client):
    for name in ("50%_off", "50x_off", "50%yoff", "back\\slash", "backxslash"):
        assert fleet_client.post("/api/v1/equipment", json={**UNIT, "name": name}).status_code == 201
    for q, names in (("%", {"50%_off", "50%yoff"}), ("%_", {"50%_off"}), ("0_", set()),
                     ("x_", {"50x_off"}), ("\\", {"back\\slash"}), ("_off", {"50%_off", "50x_off"})):
        found = fleet_client.get("/api/v1/diagnoses", params={"q": q, "sort": "name", "limit": 1000}).json()
        assert {entry["equipment_name"] for entry in found} == names, q


def test_q_combines_with_filters_and_every_sort(fleet_client):
    everything = _all_entries(fleet_client)
    chosen = [entry for entry in everything if "t" in entry["equipment_name"].lower() and entry["substation_id"] == 1]
    assert chosen
    for sort in fleet.SORTS:
        walked = follow_pages(fleet_client, f"/api/v1/diagnoses?q=t&substation_id=1&sort={sort}&limit=6")[0]
        assert [entry["equipment_id"] for entry in walked] == \
            [entry["equipment_id"] for entry in expected_order(chosen, sort)], sort
    status = follow_pages(fleet_client, "/api/v1/diagnoses?q=T&status=1&sort=-health_index&limit=9")[0]
    assert status and all(entry["dga_status"] == 1 and "t" in entry["equipment_name"].lower() for entry in status)


def counted(entries):
    """The summary computed in Python from ranking entries."""
    def status(entry):
        if entry["sample_id"] is None:
            return "no_verdict"
        return "unknown" if entry["dga_status"] is None else str(entry["dga_status"])

    def fault(entry):
        if entry["sample_id"] is None:
            return "no_verdict"
        if entry["fault_type"] is not None:
            return entry["fault_type"]
        return "none" if entry["fault_present"] is False else "unknown"

    def tally(keys, key_of):
        counts = dict.fromkeys(keys, 0)
        for entry in entries:
            counts[key_of(entry)] += 1
        return counts

    indices = [entry["health_index"] for entry in entries]
    bands = [{"from": low, "to": low + 10, "units": sum(1 for index in indices if index is not None and
                                                          (low <= index < low + 10 or low == 90 and index == 100))}
             for low in range(0, 100, 10)]
    return {
        "total": len(entries), "stale": sum(entry["stale"] for entry in entries),
        "dga_status": tally(("1", "2", "3", "unknown", "no_verdict"), status),
        "fault_type": tally(("none", *dga.FAULT_TYPES, "unknown", "no_verdict"), fault),
        "severity": tally(dga.SEVERITIES, lambda entry: entry["severity"]),
        "health_index": {"bands": bands, "none": indices.count(None)},
    }


@pytest.mark.parametrize("filters", ["", "substation_id=1", "status=1", "status=3", "fault=none", "fault=D2",
                                     "q=t1", "substation_id=3&status=3&q=T"])
def test_the_summary_counts_what_the_ranking_lists_with_the_same_filters(fleet_client, demo_db, filters):
    _execute(demo_db, "UPDATE dga_diagnosis SET fingerprint = 'older' WHERE equipment_id IN (3, 4)")
    entries = follow_pages(fleet_client, f"/api/v1/diagnoses?{filters}&limit=1000")[0]
    response = fleet_client.get(f"/api/v1/diagnoses/summary?{filters}")
    assert response.status_code == 200
    summary = response.json()
    assert summary == counted(entries)
    assert summary["total"] == len(entries) > 0


def test_the_whole_fleet_summary_counts_every_kind_of_unit(fleet_client, demo_db, sql):
    _execute(demo_db, "UPDATE dga_diagnosis SET fingerprint = 'older' WHERE equipment_id IN (3, 4)")
    summary = fleet_client.get("/api/v1/diagnoses/summary").json()
    assert summary["total"] == sql("SELECT COUNT(*) FROM equipment")[0][0]
    assert summary["stale"] == 2
    assert summary["dga_status"]["no_verdict"] == summary["fault_type"]["no_verdict"] == len(NO_VERDICT_UNITS)
    assert sum(summary["dga_status"].values()) == sum(summary["fault_type"].values()) == summary["total"]
    assert sum(band["units"] for band in summary["health_index"]["bands"]) + summary["health_index"]["none"] == \
        summary["total"]
    assert [band["from"] for band in summary["health_index"]["bands"]] == list(range(0, 100, 10))
    assert min(summary["dga_status"][status] for status in ("1", "2", "3")) > 0, "the demo fleet has every status"


def test_the_summary_carries_an_etag_and_answers_304_until_a_verdict_changes(fleet_client, demo_db):
    first = fleet_client.get("/api/v1/diagnoses/summary?substation_id=1")
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-store"  # a keyed read, as every keyed read
    again = fleet_client.get("/api/v1/diagnoses/summary?substation_id=1", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag and not again.content
    public = make_client("api").get("/api/v1/diagnoses/summary?substation_id=1")
    assert public.headers["etag"] == tag and public.headers["cache-control"] == "no-cache"
    _execute(demo_db, "UPDATE dga_diagnosis SET fingerprint = 'older' WHERE equipment_id = 1")
    changed = fleet_client.get("/api/v1/diagnoses/summary?substation_id=1", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag and changed.json()["stale"] == 1


@pytest.mark.parametrize("query,error", [
    ("status=4", "InvalidParameters"), ("fault=XX", "InvalidParameters"), ("substation_id=0", "InvalidIntegerFormat"),
    ("sort=name", "InvalidParameters"), ("limit=5", "InvalidParameters"), ("q=", "InvalidParameters"),
])
def test_bad_summary_parameters_are_400_with_the_error_body(fleet_client, query, error):
    response = fleet_client.get(f"/api/v1/diagnoses/summary?{query}")
    body = response.json()
    assert response.status_code == 400 and body["error"] == error and body["request_id"]
    assert query.partition("=")[0] in body["message"]


def test_the_summary_costs_five_units_of_the_budget(settings_env):
    settings_env(SEDA_RATE_LIMIT_PER_MINUTE="1", SEDA_RATE_LIMIT_BURST="100")
    with make_client("api") as client:
        first = client.get("/api/v1/diagnoses/summary")
        second = client.get("/api/v1/diagnoses/summary")
    left = [int(re.search(r";r=(\d+);", response.headers["ratelimit"]).group(1)) for response in (first, second)]
    assert left[0] - left[1] == 5


def test_the_new_statements_parse_as_oracle_19c(fleet_client):
    seen = []
    db.statement_observers.append(lambda sql, paged: seen.append(db.ORACLE.render(sql, paged)))
    try:
        for sort in fleet.SORTS:
            first = fleet_client.get(f"/api/v1/diagnoses?sort={sort}&q=T_%25&limit=2&substation_id=1")
            assert first.status_code == 200
            cursor_path = LINK.fullmatch(fleet_client.get(f"/api/v1/diagnoses?sort={sort}&limit=2").headers["link"])
            assert fleet_client.get(cursor_path.group(1)).status_code == 200
        for path in ("/api/v1/diagnoses?sort=sampled_at&format=csv&q=t", "/api/v1/diagnoses?q=t&offset=3",
                     "/api/v1/diagnoses/summary", "/api/v1/diagnoses/summary?substation_id=1&status=2&fault=none&q=%25"):
            assert fleet_client.get(path).status_code == 200, path
    finally:
        db.statement_observers.clear()
    for statement in set(seen):
        parse_oracle(statement)
    joined = " ".join(seen)
    for fragment in ("LEFT JOIN dga_diagnosis d ON d.equipment_id = e.id AND d.is_latest = 1", "ESCAPE '\\'",
                     "GROUP BY", "COALESCE(d.sampled_at, :p_no_time)", "OFFSET :offset ROWS FETCH NEXT :limit ROWS ONLY",
                     "CASE WHEN d.health_index IS NULL THEN 1 ELSE 0 END >= :k_0"):
        assert fragment in joined, fragment
    assert fleet_summary.query({})[0].count("SELECT") == 1, "the summary is one statement"
