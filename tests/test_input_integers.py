"""Integers: one strict form for query parameters, path ids and CSV cells; anything else is a clear 400.

The form is ASCII digits with an optional leading '-' (so a negative id gets the range
message). No whitespace, no '+', no other script's digits; CSV cells alone lose surrounding
spaces and tabs first, as every CSV cell does.
"""

import pytest

from conftest import table_snapshot
from contract import error_body
from shared import validation

# What `int()` or `str.strip()` would have taken that the strict form does not: the four
# separators U+001C–U+001F (stripped by str.strip, refused by int: once a 500), whitespace,
# signs, separators and digits of other scripts.
NOT_INTEGERS = [
    "\x1c5", "5\x1f", "\x1d", " 5", "5 ", "\t5", "5\n", "\u00a05", "5\u3000", "+5", "٥", "５", "²", "5_000",
    "0x5", "5.0", "1e3", "", "-", "--5", "5-", "1" * 19,
]


@pytest.mark.parametrize("neighbour", ["before", "after"])
def test_every_code_point_beside_a_digit_is_refused_unless_it_is_an_ascii_digit(neighbour):
    accepted = {}
    for code_point in range(0x110000):
        text = chr(code_point) + "5" if neighbour == "before" else "5" + chr(code_point)
        try:
            accepted[chr(code_point)] = validation.parse_integer(text)
        except ValueError:
            pass
    assert set(accepted) == set("0123456789") | ({"-"} if neighbour == "before" else set())
    assert all(value == int(character + "5" if neighbour == "before" else "5" + character)
               for character, value in accepted.items())


@pytest.mark.parametrize("raw", NOT_INTEGERS, ids=[repr(raw) for raw in NOT_INTEGERS])
def test_a_query_parameter_that_is_not_strictly_an_integer_is_400_saying_what_is_accepted(client, raw):
    response = client.get("/api/v1/equipment", params={"substation_id": raw})
    body = error_body(response, 400, "InvalidIntegerFormat")
    assert "'substation_id'" in body["message"]
    assert f"received {validation.shown(raw)}" in body["message"]
    assert "ASCII digits 0-9 and an optional leading '-'" in body["message"]


@pytest.mark.parametrize("raw", [r for r in NOT_INTEGERS if r and "/" not in r], ids=repr)
def test_a_path_id_that_is_not_strictly_an_integer_is_400(client, raw):
    response = client.get("/api/v1/equipment/" + "".join(f"%{byte:02X}" for byte in raw.encode()))
    body = error_body(response, 400, "InvalidIntegerFormat")
    assert "ASCII digits" in body["message"]


def test_negative_numbers_get_the_range_message_and_leading_zeros_are_read(client):
    assert "between 1 and" in error_body(client.get("/api/v1/equipment/-5"), 400)["message"]
    assert "received -5" in error_body(client.get("/api/v1/equipment?substation_id=-5"), 400)["message"]
    assert client.get("/api/v1/equipment/007").json()["id"] == 7
    assert client.get("/api/v1/equipment?substation_id=0002").json()[0]["substation_id"] == 2


@pytest.mark.parametrize("raw", ["+5", "٥", "５", "5_0", "\x1c5", "5\x1f", "0x5", "5.0", "\u00a05"], ids=repr)
def test_a_csv_integer_cell_follows_the_same_form(writer, demo_db, raw):
    before = table_snapshot(demo_db)
    response = writer.post(
        "/api/v1/measurements",
        content=f"equipment_id,sampled_at,h2\n{raw},2030-01-01,1\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    body = error_body(response, 400, "SchemaValidation")
    (error,) = body["details"][0]["errors"]
    assert error["field"] == "equipment_id"
    assert "ASCII digits 0-9 and an optional leading '-'" in error["message"]
    assert table_snapshot(demo_db) == before


def test_csv_integer_cells_lose_surrounding_spaces_and_tabs_only(writer):
    response = writer.post(
        "/api/v1/measurements",
        content=b"equipment_id,sampled_at,h2\n 5\t,2030-01-01,1\n",
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    stored = writer.get("/api/v1/measurements", params={"equipment_id": 5, "from": "2030-01-01", "to": "2030-01-01"})
    assert [row["h2"] for row in stored.json()] == [1.0]
