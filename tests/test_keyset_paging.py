"""Keyset paging of GET /measurements: the next link's cursor, its checks, and walks under concurrent inserts."""

import base64
import json
import re

import pytest

from conftest import follow_pages
from functions import measurements
from shared import cursors, db
from shared.schema import SAMPLE_GASES
from test_oracle_sql import parse_oracle

KEY_ORDER = "SELECT id FROM dga_sample ORDER BY equipment_id, sampled_at"


def next_link(response):
    """The rel="next" URL of a response, or None."""
    link = response.headers.get("link")
    return link and re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1)


def test_a_cursor_walk_visits_every_row_once_in_order(client, sql):
    rows, pages = follow_pages(client, "/api/v1/measurements?limit=97")
    assert [row["id"] for row in rows] == [row[0] for row in sql(KEY_ORDER)]
    assert pages == len(rows) // 97 + 1


def test_the_next_link_carries_a_cursor_and_no_offset_and_keeps_the_filters(client):
    first = client.get("/api/v1/measurements?equipment_id=3&from=2016-01-01&limit=5&offset=2")
    link = next_link(first)
    assert "cursor=" in link and "offset=" not in link
    assert "equipment_id=3" in link and "from=2016-01-01" in link and "limit=5" in link
    later, _ = follow_pages(client, link)
    every = client.get("/api/v1/measurements?equipment_id=3&from=2016-01-01&limit=1000").json()
    assert first.json() + later == every[2:]


@pytest.mark.parametrize("query", ["equipment_id=7", "from=2019-01-01&to=2020-06-30", "equipment_id=9&to=2021-01-01"])
def test_filters_keep_working_with_the_cursor(client, sql, query):
    rows, _ = follow_pages(client, f"/api/v1/measurements?{query}&limit=7")
    paged_once = client.get(f"/api/v1/measurements?{query}&limit=1000").json()
    assert rows == paged_once and rows


def test_csv_pages_carry_the_cursor_link_too(client, sql):
    url, lines = "/api/v1/measurements?limit=400", []
    while url:
        page = client.get(url, headers={"Accept": "text/csv"})
        assert page.headers["content-type"].startswith("text/csv")
        header, *rows = page.text.splitlines()
        lines += rows
        url = next_link(page)
        assert url is None or "cursor=" in url
    assert [int(line.split(",")[0]) for line in lines] == [row[0] for row in sql(KEY_ORDER)]


def _sample(unit, at):
    return {"equipment_id": unit, "sampled_at": at, **dict.fromkeys(SAMPLE_GASES, 1.0), "lab": "walk"}


def test_a_walk_under_concurrent_inserts_misses_no_row_and_repeats_none(writer, sql):
    before = [row[0] for row in sql(KEY_ORDER)]
    units = [row[0] for row in sql("SELECT id FROM equipment ORDER BY id")]
    seen, behind, url, page_number = [], set(), "/api/v1/measurements?limit=250", 0
    while url:
        page = writer.get(url)
        assert page.status_code == 200
        seen += [row["id"] for row in page.json()]
        last = page.json()[-1]
        page_number += 1
        # One sample behind the cursor (the first unit, before every sample), one ahead of it (the last unit).
        written = writer.post("/api/v1/measurements", json=[
            _sample(units[0], f"2001-01-{page_number:02d}T00:00:00Z"),
            _sample(units[-1], f"2099-01-{page_number:02d}T00:00:00Z"),
        ])
        assert written.json()["inserted"] == 2, written.text
        behind |= {row[0] for row in sql("SELECT id FROM dga_sample WHERE equipment_id = ? AND lab = 'walk'", (units[0],))}
        assert last["equipment_id"] > units[0]  # the first page already passed the first unit
        url = next_link(page)
    assert len(seen) == len(set(seen)), "a row was served twice"
    assert set(before) <= set(seen), "a row that existed before the walk was missed"
    assert not behind & set(seen), "a row inserted behind the cursor was served"
    assert page_number > 10


@pytest.mark.parametrize("cursor", [
    "abc",                                                   # not base64 of JSON
    "!!!!",                                                  # not base64url at all
    base64.urlsafe_b64encode(b'{"equipment_id": 1}').decode(),  # not a list
    base64.urlsafe_b64encode(b"[1]").decode(),               # too few values
    base64.urlsafe_b64encode(b'[1, "2020-01-01", 3]').decode(),  # too many
    base64.urlsafe_b64encode(b'["1", "2020-01-01"]').decode(),   # a unit that is not an integer
    base64.urlsafe_b64encode(b'[true, "2020-01-01"]').decode(),  # a boolean is not an integer
    base64.urlsafe_b64encode(b'[1, "not a time"]').decode(),
    base64.urlsafe_b64encode(b'[1, 20200101]').decode(),     # a time that is not text
    base64.urlsafe_b64encode(b'[99999999999999999999, "2020-01-01"]').decode(),  # beyond any integer column
    base64.urlsafe_b64encode(json.dumps([1, "2020-01-01" + "0" * 400]).encode()).decode(),  # far too long
])
def test_a_garbled_cursor_is_400_saying_what_is_accepted(client, cursor):
    response = client.get("/api/v1/measurements", params={"cursor": cursor})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "InvalidParameters"
    assert "'cursor'" in body["message"] and 'Link rel="next"' in body["message"]


def test_cursor_and_offset_together_are_400(client):
    cursor = measurements.BY_UNIT_AND_TIME.encode({"equipment_id": 3, "sampled_at": "2020-01-01T00:00:00"})
    response = client.get("/api/v1/measurements", params={"cursor": cursor, "offset": "10"})
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidParameters"
    assert "'cursor' or 'offset', not both" in response.json()["message"]


def test_offset_is_accepted_up_to_the_configured_maximum_and_names_the_cursor_beyond(settings_env, client):
    settings_env(SEDA_MAX_OFFSET="50")
    assert client.get("/api/v1/measurements?offset=50&limit=3").status_code == 200
    refused = client.get("/api/v1/measurements?offset=51")
    assert refused.status_code == 400
    assert "SEDA_MAX_OFFSET" in refused.json()["message"] and "cursor" in refused.json()["message"]


def test_the_default_maximum_offset_is_ten_thousand(client):
    assert client.get("/api/v1/measurements?offset=10000").status_code == 200
    assert client.get("/api/v1/measurements?offset=10001").status_code == 400


def test_a_cursor_names_its_position_not_the_filters(client):
    # An edited but well-formed cursor is just another position: pages from there, harmlessly.
    cursor = measurements.BY_UNIT_AND_TIME.encode({"equipment_id": 5, "sampled_at": "1990-01-01T00:00:00"})
    page = client.get("/api/v1/measurements", params={"cursor": cursor, "limit": 3}).json()
    assert [row["equipment_id"] for row in page] == [5, 5, 5]


def test_the_keyset_condition_has_no_row_value_comparison_and_parses_as_oracle():
    ranking = cursors.Keyset(cursors.Column("rank", "number", descending=True), cursors.Column("equipment_id", "integer"))
    condition, binds = ranking.after([0.75, 12])
    assert binds == {"k_0": 0.75, "k_1": 12}
    statement = f"SELECT equipment_id FROM ranking WHERE {condition} ORDER BY {ranking.order_by()}"
    parse_oracle(db.ORACLE.render(statement, paged=True))
    assert ranking.order_by() == "rank DESC, equipment_id ASC"
    assert condition == "rank <= :k_0 AND ((rank < :k_0) OR (rank = :k_0 AND equipment_id > :k_1))"


def test_a_descending_keyset_walks_a_real_table_in_order(sql, demo_db):
    """The generic helper on another order: units by substation descending, id ascending, seven at a time."""
    import sqlite3

    keyset = cursors.Keyset(cursors.Column("substation_id", "integer", descending=True), cursors.Column("id", "integer"))
    connection = sqlite3.connect(demo_db)
    connection.row_factory = sqlite3.Row
    walked, cursor = [], None
    while True:
        condition, binds = keyset.after(keyset.decode(cursor)) if cursor else ("1 = 1", {})
        rows = connection.execute(
            f"SELECT id, substation_id FROM equipment WHERE {condition} ORDER BY {keyset.order_by()} LIMIT 7", binds
        ).fetchall()
        if not rows:
            break
        walked += [row["id"] for row in rows]
        cursor = keyset.encode(dict(rows[-1]))
    connection.close()
    assert walked == [row[0] for row in sql("SELECT id FROM equipment ORDER BY substation_id DESC, id")]


@pytest.mark.parametrize("rank, answered", [(10**25, 200), (10**400, 400), (-(10**25), 200)])
def test_a_fleet_cursor_with_a_huge_rank_is_read_as_a_number_or_refused_never_a_500(client, rank, answered):
    """The fleet's rank is a number: a 10**25 integer reads as the float 1e25 (a position past every rank),
    and a value no float can hold is a garbled cursor."""
    cursor = base64.urlsafe_b64encode(json.dumps([rank, 1]).encode()).decode().rstrip("=")
    response = client.get("/api/v1/diagnoses", params={"cursor": cursor})
    assert response.status_code == answered, response.text
