"""Charsets: JSON and CSV bodies are read in the declared charset if it is accepted, else 415 listing them."""

import codecs
import encodings
import json

import pytest

from conftest import table_snapshot
from contract import error_body
from shared import bodies

KOREAN = "한전 전력연구원"
# (charset label as a client sends it, a lab name that the charset can encode)
HONOURED = [
    ("utf-8", KOREAN + " ✓"),
    ("UTF8", KOREAN),
    ("utf-16", KOREAN),
    ("utf-16le", KOREAN),
    ("UTF-16BE", KOREAN),
    ("us-ascii", "KERI Changwon"),
    ("iso-8859-1", "Laboratoire Électrique, Zürich"),
    ("latin1", "Københavns Lab"),
    ("windows-1252", "Lab € – “quoted”"),
    ("euc-kr", KOREAN),
    ("ks_c_5601-1987", KOREAN),
    ("cp949", KOREAN + " 똠방각하"),  # 똠 exists in CP949 only, not in EUC-KR
]
# Python codecs that raise something else than UnicodeDecodeError, or are not text encodings,
# or are text encodings nobody needs here; and names that are no codec at all.
REFUSED = ["idna", "punycode", "utf-7", "rot13", "hex", "base64", "zlib", "uu", "utf-32", "utf-8-sig", "mbcs",
           "unicode_escape", "raw_unicode_escape", "undefined", "klingon", "", "aliases", "../utf-8", "x" * 500]


def _sample_json(lab, sampled_at="2030-06-01T00:00:00Z"):
    """A one-sample measurements batch as JSON text."""
    return json.dumps([{"equipment_id": 2, "sampled_at": sampled_at, "h2": 1.0, "lab": lab}], ensure_ascii=False)


def _stored_lab(writer, sampled_at="2030-06-01"):
    """The lab of equipment 2's sample at `sampled_at`."""
    query = {"equipment_id": 2, "from": sampled_at, "to": sampled_at}
    (sample,) = writer.get("/api/v1/measurements", params=query).json()
    return sample["lab"]


@pytest.mark.parametrize("label,lab", HONOURED)
def test_a_json_body_is_read_in_its_declared_charset(writer, label, lab):
    content = _sample_json(lab).encode(codecs.lookup(label).name)
    headers = {"Content-Type": f"application/json; charset={label}"}
    response = writer.post("/api/v1/measurements", content=content, headers=headers)
    assert response.status_code == 200, response.text
    assert _stored_lab(writer) == lab


@pytest.mark.parametrize("label,lab", HONOURED)
def test_a_csv_body_is_read_in_its_declared_charset(writer, label, lab):
    content = f'equipment_id,sampled_at,h2,lab\r\n2,2030-06-01,1,"{lab}"\r\n'.encode(codecs.lookup(label).name)
    headers = {"Content-Type": f'text/csv; charset="{label}"'}
    response = writer.post("/api/v1/measurements", content=content, headers=headers)
    assert response.status_code == 200, response.text
    assert _stored_lab(writer) == lab


def test_cp949_text_labelled_euc_kr_is_read_as_cp949_like_browsers_do(writer):
    lab = KOREAN + " 똠방각하"  # 똠 is CP949 only: strict EUC-KR cannot decode it
    headers = {"Content-Type": "application/json; charset=euc-kr"}
    response = writer.post("/api/v1/measurements", content=_sample_json(lab).encode("cp949"), headers=headers)
    assert response.status_code == 200, response.text
    assert _stored_lab(writer) == lab


def test_a_utf8_json_body_may_start_with_a_byte_order_mark(writer):
    response = writer.post("/api/v1/measurements", content=codecs.BOM_UTF8 + _sample_json(KOREAN).encode(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert _stored_lab(writer) == KOREAN


@pytest.mark.parametrize("label", REFUSED)
@pytest.mark.parametrize("path,media_type", [
    ("/api/v1/measurements", "application/json"), ("/api/v1/measurements", "text/csv"),
    ("/api/v1/diagnoses", "application/json"), ("/api/v1/equipment", "application/json"),
    ("/api/v1/equipment/1", "application/merge-patch+json"),
])
def test_a_charset_outside_the_list_is_415_listing_the_accepted(writer, demo_db, label, path, media_type):
    before = table_snapshot(demo_db)
    method = "PATCH" if path.endswith("/1") else "POST"
    headers = {"Content-Type": f"{media_type}; charset={label}", "If-Match": "*"}
    response = writer.request(method, path, content=b"[]", headers=headers)
    body = error_body(response, 415, "UnsupportedMediaType")
    assert bodies.CHARSETS in body["message"]
    assert "utf-8, utf-16" in body["message"] and "euc-kr, cp949" in body["message"]
    assert table_snapshot(demo_db) == before


def test_invented_charset_names_leave_no_trace_in_the_codec_cache(writer):
    before = len(encodings._cache)
    for number in range(200):
        content_type = f"application/json; charset=no-such-{number}"
        writer.post("/api/v1/diagnoses", content=b"{}", headers={"Content-Type": content_type})
    assert len(encodings._cache) == before


@pytest.mark.parametrize(
    "content,charset,position",
    [
        (b'[{"lab": "caf\xe9"}]', None, 13),  # latin-1 sent as UTF-8
        (b'[{"lab": "\xed\xa0\x80"}]', "utf-8", 10),  # an encoded surrogate is not UTF-8
        ('[{"lab": "한"}]'.encode("utf-8"), "euc-kr", 10),
        (b"[\x80]", "us-ascii", 1),
        (b"[1]\x81", "windows-1252", 3),
        ("[1]".encode("utf-16-le") + b"\x00\xd8", "utf-16le", 6),  # a lone surrogate in UTF-16
    ],
)
@pytest.mark.parametrize("media_type", ["application/json", "text/csv"])
def test_bytes_the_charset_cannot_decode_are_400_naming_it_and_the_position(
    writer, demo_db, content, charset, position, media_type
):
    before = table_snapshot(demo_db)
    content_type = media_type + (f"; charset={charset}" if charset else "")
    response = writer.post("/api/v1/measurements", content=content, headers={"Content-Type": content_type})
    body = error_body(response, 400, "SchemaValidation")
    assert f"not valid {charset or 'utf-8'}: the byte at position {position}" in body["message"]
    assert "surrogates not allowed" not in body["message"]
    assert table_snapshot(demo_db) == before


def test_a_posted_diagnosis_object_in_utf16_gets_one_verdict(client):
    sample = {"h2": 100, "ch4": 120, "c2h6": 65, "c2h4": 50, "c2h2": 1, "co": 400, "co2": 3000}
    response = client.post("/api/v1/diagnoses", content=json.dumps(sample).encode("utf-16"),
                           headers={"Content-Type": "application/json; charset=utf-16"})
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), dict) and "fault" in response.json()
