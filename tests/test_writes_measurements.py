"""Measurement ingestion: JSON and CSV batches, validated whole, upserted by (equipment_id, sampled_at)."""

import json

import pytest

from conftest import table_snapshot
from shared.schema import SAMPLE_GASES

GASES = {"h2": 12.5, "ch4": 3.0, "c2h6": 1.25, "c2h4": 0.5, "c2h2": 0.0, "co": 310.0, "co2": 1500.0, "o2": 18000.0, "n2": 52000.0}
KOREAN_LAB = "한전 전력연구원"
CSV_HEADER = "equipment_id,sampled_at," + ",".join(SAMPLE_GASES) + ",lab"


def _sample(equipment_id=1, sampled_at="2030-01-01T00:00:00Z", **changes):
    """A valid sample body."""
    return {"equipment_id": equipment_id, "sampled_at": sampled_at, **GASES, "lab": "KERI Changwon", **changes}


def _post_csv(writer, text, content_type="text/csv", encoding="utf-8"):
    """POST CSV text."""
    return writer.post("/api/v1/measurements", content=text.encode(encoding), headers={"Content-Type": content_type})


def _stored(writer, equipment_id, start, end):
    """The samples of a unit between two times, as the API reads them back."""
    response = writer.get("/api/v1/measurements", params={"equipment_id": equipment_id, "from": start, "to": end})
    assert response.status_code == 200
    return response.json()


def test_a_json_batch_reads_back_identical_with_times_in_utc(writer):
    batch = [
        _sample(1, "2024-05-01T09:30:00+09:00", lab=KOREAN_LAB),
        _sample(1, "2024-05-02T00:00:00.250000Z", h2=None, o2=None, n2=None),
        _sample(2, "2024-05-03"),
    ]
    response = writer.post("/api/v1/measurements", json=batch)
    assert response.status_code == 200
    assert response.json() == {"received": 3, "inserted": 3, "updated": 0}
    first, second = _stored(writer, 1, "2024-05-01", "2024-05-02T23:59:59")
    assert first["sampled_at"] == "2024-05-01T00:30:00Z" and first["lab"] == KOREAN_LAB
    assert second["sampled_at"] == "2024-05-02T00:00:00.250000Z"
    expected = [{**b, "sampled_at": s} for b, s in zip(batch, ["2024-05-01T00:30:00Z", "2024-05-02T00:00:00.250000Z"])]
    assert [{k: v for k, v in row.items() if k != "id"} for row in (first, second)] == expected
    assert _stored(writer, 2, "2024-05-03", "2024-05-03")[0]["sampled_at"] == "2024-05-03T00:00:00Z"
    assert writer.get(f"/api/v1/measurements/{first['id']}").json() == first


def test_reposting_a_sample_updates_it_instead_of_duplicating_it(writer, sql):
    count = sql("SELECT COUNT(*) FROM dga_sample")[0][0]
    writer.post("/api/v1/measurements", json=[_sample(3, "2030-02-01T00:00:00Z", h2=1.0)])
    same_time_in_seoul = "2030-02-01T09:00:00+09:00"
    response = writer.post("/api/v1/measurements", json=[_sample(3, same_time_in_seoul, h2=99.0), _sample(3, "2030-03-01")])
    assert response.json() == {"received": 2, "inserted": 1, "updated": 1}
    assert sql("SELECT COUNT(*) FROM dga_sample")[0][0] == count + 2
    assert [r["h2"] for r in _stored(writer, 3, "2030-01-01", "2031-01-01")] == [99.0, 12.5]


def test_reposting_a_stored_demo_sample_counts_as_an_update(writer):
    stored = writer.get("/api/v1/measurements/5").json()
    resent = {k: v for k, v in stored.items() if k != "id"} | {"lab": "corrected"}
    assert writer.post("/api/v1/measurements", json=[resent]).json() == {"received": 1, "inserted": 0, "updated": 1}
    assert writer.get("/api/v1/measurements/5").json() == {**stored, "lab": "corrected"}


def test_every_bad_row_is_listed_and_nothing_is_written(writer, demo_db):
    before = table_snapshot(demo_db)
    batch = [
        _sample(1, "2030-01-01"),
        _sample(1, "yesterday", h2=-1),
        "not an object",
        _sample(1, "2030-01-02", colour="red"),
        _sample(1, "2030-01-01T09:00:00+09:00"),
        {"equipment_id": 1, "sampled_at": "2030-01-03"},
        _sample(None),
    ]
    response = writer.post("/api/v1/measurements", json=batch)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "SchemaValidation" and "nothing was written" in body["message"]
    assert "6 of 7" in body["message"]
    errors = {d["index"]: {e["field"] for e in d["errors"]} for d in body["details"]}
    assert errors == {1: {"sampled_at", "h2"}, 2: {None}, 3: {"colour"}, 4: {"sampled_at"}, 5: {None}, 6: {"equipment_id"}}
    messages = {d["index"]: " ".join(e["message"] for e in d["errors"]) for d in body["details"]}
    assert "ISO 8601" in messages[1] and "from 0 to 1,000,000; received -1" in messages[1]
    assert "must be a JSON object" in messages[2]
    assert "Row 0 already holds a sample of equipment 1 at this time" in messages[4]
    assert "no gas value" in messages[5]
    assert table_snapshot(demo_db) == before


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"equipment_id": 1}, "must be a JSON array of samples; received an object"),
        ([], "holds no samples"),
        ("null", "received null"),
    ],
)
def test_the_body_must_be_a_non_empty_array(writer, body, fragment):
    content = body if isinstance(body, str) else json.dumps(body)
    response = writer.post("/api/v1/measurements", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and fragment in response.json()["message"]


def test_unknown_equipment_is_409_listing_the_rows(writer, demo_db):
    before = table_snapshot(demo_db)
    response = writer.post("/api/v1/measurements", json=[_sample(1), _sample(88888), _sample(99999), _sample(88888, "2030-02-01")])
    assert response.status_code == 409
    body = response.json()
    assert "88888, 99999" in body["message"] and "nothing was written" in body["message"]
    assert [d["index"] for d in body["details"]] == [1, 2, 3]
    assert table_snapshot(demo_db) == before


def test_csv_edge_cases(writer):
    text = (
        "\ufeff" + CSV_HEADER.upper().replace(",", " , ") + "\r\n"
        f'1,2031-01-01T09:00:00+09:00,1,2,3,4,0,5,6,,,"{KOREAN_LAB}"\r\n'
        '1,2031-01-02 00:00:00,1.5e1,,,,,,,,,"Lab ""A"", Changwon"\r\n'
        "\r\n"
        "2,2031-01-03, 7 ,,,,,,,,,\r\n"
    )
    response = _post_csv(writer, text, "text/csv; charset=utf-8")
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 3, "inserted": 3, "updated": 0}
    first, second = _stored(writer, 1, "2031-01-01", "2031-01-02")
    assert first["sampled_at"] == "2031-01-01T00:00:00Z" and first["lab"] == KOREAN_LAB
    assert (first["h2"], first["co2"], first["o2"], first["n2"]) == (1.0, 6.0, None, None)
    assert second["h2"] == 15.0 and second["ch4"] is None
    assert second["lab"] == 'Lab "A", Changwon'
    assert _stored(writer, 2, "2031-01-03", "2031-01-03")[0]["h2"] == 7.0


def test_csv_may_omit_optional_columns_and_name_another_charset(writer):
    response = _post_csv(writer, f"sampled_at,equipment_id,h2,lab\n2031-02-01,4,3.5,{KOREAN_LAB}\n", "text/csv; charset=euc-kr", "euc-kr")
    assert response.json() == {"received": 1, "inserted": 1, "updated": 0}
    (row,) = _stored(writer, 4, "2031-02-01", "2031-02-01")
    assert row["lab"] == KOREAN_LAB and row["h2"] == 3.5 and row["co"] is None


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "Column 'equipment_id' is required"),
        ("equipment_id,h2,colour\n1,2,red\n", "'colour' is not a field; accepted fields: equipment_id, sampled_at"),
        ("equipment_id,sampled_at,h2,h2\n", "Column 'h2' appears more than once"),
        ("equipment_id,sampled_at,h2\n", "holds no samples"),
        ('equipment_id,sampled_at,h2\n1,"2030-01-01,3\n', "cannot be read at line 2"),
    ],
)
def test_csv_shape_errors(writer, text, fragment):
    response = _post_csv(writer, text)
    assert response.status_code == 400 and fragment in response.json()["message"]


def test_csv_rows_with_extra_or_missing_cells_and_bad_values_are_listed_with_their_lines(writer, demo_db):
    before = table_snapshot(demo_db)
    text = "equipment_id,sampled_at,h2,lab\n1,2030-01-01,1,x\n1,2030-01-02,1,x,extra\n1,2030-01-03\n1,2030-01-04,lots,x\nx,2030-01-05,1.0.0,y\n"
    body = _post_csv(writer, text).json()
    assert [(d["index"], d["line"]) for d in body["details"]] == [(1, 3), (2, 4), (3, 5), (4, 6)]
    assert "has 5 cells but the header names 4 columns" in body["details"][0]["errors"][0]["message"]
    assert "has 2 cells" in body["details"][1]["errors"][0]["message"]
    assert "'h2' must be a number from 0 to 1,000,000; received 'lots'." == body["details"][2]["errors"][0]["message"]
    assert {e["field"] for e in body["details"][3]["errors"]} == {"equipment_id", "h2"}
    assert table_snapshot(demo_db) == before


def test_invalid_utf8_in_csv_is_400_with_the_byte_position(writer):
    response = writer.post("/api/v1/measurements", content=b"equipment_id,sampled_at,h2\n1,2030-01-01,\xff\n", headers={"Content-Type": "text/csv"})
    assert response.status_code == 400 and "byte at position 40" in response.json()["message"]


def test_more_rows_than_the_limit_is_413_naming_it(writer, settings_env, demo_db):
    settings_env(SEDA_API_KEYS=writer.headers["authorization"].removeprefix("Bearer "), SEDA_MAX_BATCH_ROWS="3")
    before = table_snapshot(demo_db)
    batch = [_sample(1, f"2030-01-0{day}") for day in range(1, 5)]
    response = writer.post("/api/v1/measurements", json=batch)
    assert response.status_code == 413 and "more than 3 samples" in response.json()["message"]
    csv_text = CSV_HEADER + "\n" + "".join(f"1,2030-01-0{day},1,,,,,,,,,\n" for day in range(1, 5))
    response = _post_csv(writer, csv_text)
    assert response.status_code == 413 and "more than 3 samples" in response.json()["message"]
    assert writer.post("/api/v1/measurements", json=batch[:3]).status_code == 200
    assert table_snapshot(demo_db) != before


def test_the_default_limit_is_10000_rows(writer):
    response = writer.post("/api/v1/measurements", json=[_sample(1, "2030-01-01")] * 10_001)
    assert response.status_code == 413 and "more than 10,000 samples" in response.json()["message"]


def test_body_size_cap_content_type_and_malformed_json(writer, settings_env):
    response = writer.post("/api/v1/measurements", content=b"<samples/>", headers={"Content-Type": "application/xml"})
    assert response.status_code == 415 and "application/json or text/csv" in response.json()["message"]
    response = writer.post("/api/v1/measurements", content=b"x", headers={"Content-Type": "text/csv; charset=klingon"})
    assert response.status_code == 415 and "charset 'klingon'" in response.json()["message"]
    response = writer.post("/api/v1/measurements", content=b'[{"equipment_id": 1,', headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "at line 1, column 21 (character 20)" in response.json()["message"]
    settings_env(SEDA_API_KEYS=writer.headers["authorization"].removeprefix("Bearer "), SEDA_MAX_BODY_BYTES="1000")
    response = writer.post("/api/v1/measurements", json=[_sample(1, f"2030-01-{day:02}") for day in range(1, 20)])
    assert response.status_code == 413 and "1,000 bytes" in response.json()["message"]


def test_delete_removes_one_sample_and_honours_if_match(writer, sql):
    etag = writer.get("/api/v1/measurements/11").headers["etag"]
    assert writer.delete("/api/v1/measurements/11", headers={"If-Match": '"stale"'}).status_code == 412
    assert writer.delete("/api/v1/measurements/11", headers={"If-Match": etag}).status_code == 204
    assert writer.get("/api/v1/measurements/11").status_code == 404
    assert writer.delete("/api/v1/measurements/11").status_code == 404
    assert writer.delete("/api/v1/measurements/12").status_code == 204, "If-Match is optional here"
    assert sql("SELECT COUNT(*) FROM dga_sample WHERE id IN (11, 12)") == [(0,)]


def test_unknown_query_parameters_on_writes_are_400(writer):
    assert writer.post("/api/v1/measurements?dry_run=true", json=[_sample()]).status_code == 400
    assert writer.delete("/api/v1/measurements/1?force=1").status_code == 400


@pytest.mark.parametrize("charset", ["rot13", "hex", "zlib", "no-such-charset"])
def test_a_charset_that_is_not_a_text_encoding_is_415(writer, charset):
    response = writer.post(
        "/api/v1/measurements", content=b"equipment_id,sampled_at,h2\n1,2030-01-01,1\n",
        headers={"Content-Type": f"text/csv; charset={charset}"},
    )
    assert response.status_code == 415 and response.json()["error"] == "UnsupportedMediaType"


@pytest.mark.parametrize("sampled_at", ["0999-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "2101-01-01"])
def test_sample_times_outside_1900_to_2100_are_refused(writer, demo_db, sampled_at):
    before = table_snapshot(demo_db)
    response = writer.post("/api/v1/measurements", json=[{"equipment_id": 3, "sampled_at": sampled_at, "h2": 1}])
    assert response.status_code == 400 and response.json()["details"][0]["errors"][0]["field"] == "sampled_at"
    assert table_snapshot(demo_db) == before
