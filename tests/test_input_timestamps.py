"""Timestamps: the accepted years 1900–2100 bound the UTC instant, whatever offset the text carries."""

import pytest

from conftest import table_snapshot
from contract import error_body

# Both sides of both edges, with offsets that move the local year across them.
INSIDE = {
    "1900-01-01T00:00:00Z": "1900-01-01T00:00:00Z",
    "1900-01-01T09:00:00+09:00": "1900-01-01T00:00:00Z",
    "1899-12-31T20:00:00-05:00": "1900-01-01T01:00:00Z",  # local year 1899, UTC year 1900
    "2100-12-31T23:59:59.999999Z": "2100-12-31T23:59:59.999999Z",
    "2100-12-31T14:59:59-09:00": "2100-12-31T23:59:59Z",
    "2101-01-01T08:30:00+09:00": "2100-12-31T23:30:00Z",  # local year 2101, UTC year 2100
}
OUTSIDE = [
    "1899-12-31T23:59:59.999999Z",
    "1900-01-01T08:59:59+09:00",  # local year 1900, UTC year 1899
    "2101-01-01T00:00:00Z",
    "2100-12-31T23:30:00-09:00",  # local year 2100, UTC year 2101
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC: datetime cannot even hold it
    "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
]


@pytest.mark.parametrize("sent,stored", INSIDE.items())
def test_an_instant_inside_the_years_is_stored_and_found_again_by_a_query(writer, sent, stored):
    response = writer.post("/api/v1/measurements", json=[{"equipment_id": 6, "sampled_at": sent, "h2": 2.5}])
    assert response.json() == {"received": 1, "inserted": 1, "updated": 0}
    found = writer.get("/api/v1/measurements", params={"equipment_id": 6, "from": sent, "to": sent})
    assert [sample["sampled_at"] for sample in found.json()] == [stored]


@pytest.mark.parametrize("sent", OUTSIDE)
def test_an_instant_outside_the_years_is_refused_in_bodies_and_queries(writer, demo_db, sent):
    before = table_snapshot(demo_db)
    response = writer.post("/api/v1/measurements", json=[{"equipment_id": 6, "sampled_at": sent, "h2": 2.5}])
    (row,) = error_body(response, 400, "SchemaValidation")["details"]
    (error,) = row["errors"]
    assert error["field"] == "sampled_at" and "between the years 1900 and 2100" in error["message"]
    body = error_body(writer.get("/api/v1/measurements", params={"from": sent}), 400, "InvalidTimestampFormat")
    assert "between the years 1900 and 2100" in body["message"]
    assert table_snapshot(demo_db) == before
