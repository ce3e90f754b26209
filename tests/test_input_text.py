"""Text: control characters (category Cc) and lone surrogates are refused, naming the field; the rest is kept."""

import json
import unicodedata

import pytest

from conftest import table_snapshot
from contract import error_body
from shared import validation

CONTROLS = [chr(code_point) for code_point in range(0x110000) if unicodedata.category(chr(code_point)) == "Cc"]
# Kept as sent: format characters, private use, non-ASCII spaces, emoji, formula-looking text.
KEPT = ["T\u200d1", "\ue000 lab", "Lab\u00a0A", "Lab\u3000B", "변압기 🔥", "=1+2", "\u202eRTL", "-5"]
UNIT = {
    "substation_id": 1, "name": "T-new", "kind": "power_transformer", "oil_preservation": "sealed",
    "status": "in_service",
}


def test_the_refused_characters_are_exactly_category_cc_and_surrogates():
    refused = [chr(c) for c in range(0x110000) if validation.forbidden_character("ok" + chr(c) + "ok")]
    surrogates = [chr(c) for c in range(0xD800, 0xE000)]
    assert refused == CONTROLS + surrogates and len(CONTROLS) == 65


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_control_character_in_a_body_text_field_is_400_naming_the_field(writer, demo_db, control):
    before = table_snapshot(demo_db)
    where = ["start", "middle", "end"][ord(control) % 3]
    text = {"start": control + "T9", "middle": "T" + control + "9", "end": "T9" + control}[where]
    response = writer.post("/api/v1/equipment", content=json.dumps({**UNIT, "manufacturer": text}),
                           headers={"Content-Type": "application/json"})
    body = error_body(response, 400, "SchemaValidation")
    assert [problem["field"] for problem in body["details"]] == ["manufacturer"]
    assert "no control characters (Unicode category Cc" in body["message"]
    assert table_snapshot(demo_db) == before


@pytest.mark.parametrize("field", ["name", "manufacturer"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_every_text_field_of_every_equipment_write_refuses_nul(writer, demo_db, method, field):
    before = table_snapshot(demo_db)
    path = "/api/v1/equipment" + ("" if method == "POST" else "/1")
    body = {**UNIT, field: "T\x00"} if method != "PATCH" else {field: "T\x00"}
    response = writer.request(method, path, json=body, headers={"If-Match": "*"})
    problems = error_body(response, 400, "SchemaValidation")["details"]
    assert [problem["field"] for problem in problems] == [field]
    assert table_snapshot(demo_db) == before


@pytest.mark.parametrize("media_type", ["application/json", "text/csv"])
def test_a_sample_lab_with_a_line_break_or_nul_is_refused_with_its_row_and_line(writer, demo_db, media_type):
    before = table_snapshot(demo_db)
    labs = ["fine", "two\r\nlines", "nul\x00", "C1 \x85 control"]
    if media_type == "text/csv":
        rows = "".join(f'3,2030-01-0{day},1,"{lab}"\n' for day, lab in enumerate(labs, 1))
        content = "equipment_id,sampled_at,h2,lab\n" + rows
    else:
        samples = [
            {"equipment_id": 3, "sampled_at": f"2030-01-0{day}", "h2": 1, "lab": lab} for day, lab in enumerate(labs, 1)
        ]
        content = json.dumps(samples)
    response = writer.post("/api/v1/measurements", content=content.encode(), headers={"Content-Type": media_type})
    details = error_body(response, 400, "SchemaValidation")["details"]
    assert [(row["index"], row["errors"][0]["field"]) for row in details] == [(1, "lab"), (2, "lab"), (3, "lab")]
    if media_type == "text/csv":
        assert [row["line"] for row in details] == [3, 5, 6], "a quoted line break still counts as a line"
    assert table_snapshot(demo_db) == before


def test_a_lone_surrogate_escape_in_json_is_400(writer, demo_db):
    before = table_snapshot(demo_db)
    response = writer.post("/api/v1/equipment", content=json.dumps({**UNIT, "name": "T\ud800"}),
                           headers={"Content-Type": "application/json"})
    assert "not valid JSON" in error_body(response, 400, "SchemaValidation")["message"]
    assert table_snapshot(demo_db) == before


@pytest.mark.parametrize("text", KEPT)
def test_other_text_is_stored_and_read_back_exactly_as_sent(writer, text):
    response = writer.post("/api/v1/equipment", json={**UNIT, "name": text, "manufacturer": text})
    assert response.status_code == 201, response.text
    stored = writer.get(response.headers["location"]).json()
    assert (stored["name"], stored["manufacturer"]) == (text, text)


@pytest.mark.parametrize("encoded", ["%00", "x%0A", "%7F", "%C2%85", "x%09y", "%1Bx"])
def test_a_control_character_in_a_text_query_parameter_is_400_naming_it(client, encoded):
    body = error_body(client.get(f"/api/v1/substations?region={encoded}"), 400, "InvalidParameters")
    assert "'region'" in body["message"] and "no control characters" in body["message"]


def test_a_percent_encoded_surrogate_in_a_query_reads_as_replacement_characters(client):
    response = client.get("/api/v1/substations?region=%ED%A0%80")
    assert response.status_code == 200 and response.json() == []
