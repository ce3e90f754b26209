"""Streamed exports of GET /measurements?format=ndjson|csv: content, headers, refusals, and interrupted downloads."""

import csv
import io
import json
import os
import socket
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

from conftest import PEER_GUARD_S, follow_pages, kill_server, start_server
from shared import exports
from shared.schema import SAMPLE_GASES
from tools import load

EXPORT_GUARD_S = 60  # against a hang only


def ndjson_rows(response):
    """The objects of an NDJSON body, one per line."""
    assert response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.mark.parametrize("query", ["", "&equipment_id=4", "&from=2019-01-01&to=2020-06-30", "&equipment_id=11&to=2021-01-01"])
def test_an_ndjson_export_equals_the_paged_reads(client, query):
    export = client.get(f"/api/v1/measurements?format=ndjson{query}")
    assert export.status_code == 200
    paged, _ = follow_pages(client, f"/api/v1/measurements?limit=1000{query}")
    assert ndjson_rows(export) == paged and paged


def test_a_csv_export_equals_the_csv_pages_with_one_header_row(client):
    export = client.get("/api/v1/measurements?format=csv")
    assert export.status_code == 200
    pages, url = [], "/api/v1/measurements?limit=1000"
    while url:
        page = client.get(url, headers={"Accept": "text/csv"})
        header, *rows = page.text.splitlines()
        pages += rows
        url = page.links.get("next", {}).get("url")
    lines = export.text.splitlines()
    assert lines[0] == header == "id,equipment_id,sampled_at," + ",".join(SAMPLE_GASES) + ",lab"
    assert lines[1:] == pages and len(pages) > 4000


def test_exports_say_what_they_are_and_name_a_file(client):
    ndjson = client.get("/api/v1/measurements?format=ndjson&equipment_id=1")
    assert ndjson.headers["content-type"] == "application/x-ndjson"
    assert ndjson.headers["content-disposition"] == 'attachment; filename="measurements.ndjson"'
    assert "link" not in ndjson.headers
    exported = client.get("/api/v1/measurements?format=csv&equipment_id=1")
    assert exported.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert exported.headers["content-disposition"] == 'attachment; filename="measurements.csv"'


def test_an_export_of_nothing_is_empty_ndjson_and_a_lone_csv_header(client):
    assert client.get("/api/v1/measurements?format=ndjson&from=2099-01-01").text == ""
    assert client.get("/api/v1/measurements?format=csv&from=2099-01-01").text.splitlines() == [
        "id,equipment_id,sampled_at," + ",".join(SAMPLE_GASES) + ",lab"
    ]


def test_a_format_json_page_is_json_whatever_accept_prefers(client):
    page = client.get("/api/v1/measurements?format=json&limit=3", headers={"Accept": "text/csv"})
    assert page.headers["content-type"] == "application/json" and len(page.json()) == 3
    assert "cursor=" in page.headers["link"] and "format=json" in page.headers["link"]


def test_formula_like_text_is_neutralised_in_a_csv_export_and_numbers_are_not(writer):
    labs = ["=HYPERLINK(\"http://x\")", "+1", "-1.5", "@SUM(A1)", "plain"]
    samples = [{"equipment_id": 2, "sampled_at": f"2031-01-0{day}T00:00:00Z", "h2": 0.5, "lab": lab}
               for day, lab in enumerate(labs, start=1)]
    assert writer.post("/api/v1/measurements", json=samples).status_code == 200
    exported = writer.get("/api/v1/measurements?format=csv&equipment_id=2&from=2031-01-01")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["lab"] for row in rows] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-1.5", "'@SUM(A1)", "plain"]
    assert {row["h2"] for row in rows} == {"0.5"}
    # The NDJSON export carries the text as stored: the quote exists only for spreadsheets.
    ndjson = writer.get("/api/v1/measurements?format=ndjson&equipment_id=2&from=2031-01-01")
    assert [row["lab"] for row in ndjson_rows(ndjson)] == labs


def test_a_negative_number_is_a_number_and_negative_looking_text_is_text():
    # No stored gas can be negative (DGA_SAMPLE_GAS_CK), so the rule is shown on the CSV writer exports use.
    written = exports.CSV.head(["reading", "note"]) + exports.CSV.rows([{"reading": -1.5, "note": "-1.5"}],
                                                                       ["reading", "note"])
    assert written == b"reading,note\r\n-1.5,'-1.5\r\n"


@pytest.mark.parametrize(("query", "named"), [
    ("format=xml", "json, ndjson, csv"),
    ("format=NDJSON", "json, ndjson, csv"),
    ("format=ndjson&limit=10", "drop limit"),
    ("format=csv&offset=10", "drop offset"),
    ("format=csv&cursor=WzMsIjIwMjAtMDEtMDFUMDA6MDA6MDAiXQ", "drop cursor"),
    ("format=ndjson&equipment_id=x", "equipment_id"),
    ("format=ndjson&from=2021-01-01&to=2020-01-01", "must not be later"),
])
def test_a_bad_export_request_is_an_ordinary_json_400(client, query, named):
    response = client.get(f"/api/v1/measurements?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert named in response.json()["message"] and response.json()["request_id"]


# ---- a real server, a real socket ---------------------------------------------------------------


@pytest.fixture(scope="module")
def export_db_template(tmp_path_factory):
    """A database of ~60,000 samples built by `tools.load` (an NDJSON export of ~9 MB, more than socket buffers)."""
    path = tmp_path_factory.mktemp("exports") / "export.sqlite3"
    load.build_sqlite(str(path), load.demo_data.generate(samples=60_000), verdicts=False)  # exports read samples only
    return path


@pytest.fixture
def export_db(export_db_template, tmp_path):
    """A private copy of the export database."""
    path = tmp_path / "export.sqlite3"
    with sqlite3.connect(export_db_template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


def _start_download(port, path):
    """A raw HTTP/1.1 GET whose client reads the status line and a little of the body, then stops reading."""
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)  # a slow client: the server fills it soon
    connection.settimeout(PEER_GUARD_S)
    connection.connect(("127.0.0.1", port))
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received or len(received) < 50_000:
        received += connection.recv(16_384)
    return connection, received


def _checkpoint(path):
    """(busy, WAL frames, frames checkpointed) of `PRAGMA wal_checkpoint(TRUNCATE)` from another connection."""
    with sqlite3.connect(path, timeout=0.2) as connection:
        return connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


def _write_one_sample(path):
    """A commit from another process's point of view: a new sample, so the WAL holds frames a reader may need."""
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO dga_sample (equipment_id, sampled_at, h2) VALUES (1, '2099-01-01 00:00:00.000000', 1)")


def test_an_interrupted_download_leaves_no_read_transaction_behind(export_db, free_port):
    server = start_server("api", export_db, free_port, SEDA_SQLITE_MAX_SESSIONS="1", SEDA_RATE_LIMIT_PER_MINUTE="0")
    try:
        connection, received = _start_download(free_port, "/api/v1/measurements?format=ndjson")
        assert received.startswith(b"HTTP/1.1 200") and b"application/x-ndjson" in received
        _write_one_sample(export_db)
        busy, _, _ = _checkpoint(export_db)
        assert busy == 1, "the export's read transaction should hold the WAL while the download runs"
        connection.close()  # the client goes away midway
        deadline = time.monotonic() + EXPORT_GUARD_S
        while _checkpoint(export_db)[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _checkpoint(export_db)[0] == 0, "a read transaction is still open after the client left"
        assert os.path.getsize(f"{export_db}-wal") == 0
        # The export's session slot (the only one) is free again: a page is served.
        with socket.create_connection(("127.0.0.1", free_port), timeout=PEER_GUARD_S) as probe:
            probe.sendall(b"GET /api/v1/measurements?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert probe.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        kill_server(server)


def test_a_database_failure_midway_ends_the_body_without_its_last_chunk(export_db, free_port, tmp_path):
    log = open(tmp_path / "server.log", "w")
    server = start_server("api", export_db, free_port, stdout=log, SEDA_RATE_LIMIT_PER_MINUTE="0")
    try:
        connection, received = _start_download(free_port, "/api/v1/measurements?format=ndjson")
        assert b"transfer-encoding: chunked" in received.lower()
        # A real fault: the far end of the file (the last units' samples, not read yet) becomes garbage.
        size = os.path.getsize(export_db)
        with open(export_db, "r+b") as database:
            database.seek(size // 2)
            database.write(b"\xde\xad" * ((size - size // 2) // 2))
        while chunk := connection.recv(1 << 20):
            received += chunk
        connection.close()
        assert not received.endswith(b"\r\n0\r\n\r\n"), "the body looked complete although the export failed"
        body_lines = received.split(b"\r\n\r\n", 1)[1].count(b"\n")
        assert body_lines < 60_000
    finally:
        kill_server(server)
        log.close()
    assert "export stopped midway" in (tmp_path / "server.log").read_text()


def test_downloads_beyond_seda_max_exports_are_429_and_a_slot_comes_back_when_one_ends(export_db, free_port):
    """Each download holds a database session for its whole length: past the cap, the next waits its turn."""
    server = start_server("api", export_db, free_port, SEDA_MAX_EXPORTS="1", SEDA_RATE_LIMIT_PER_MINUTE="0")
    try:
        connection, received = _start_download(free_port, "/api/v1/measurements?format=ndjson")
        assert b" 200 " in received.split(b"\r\n")[0]
        refused = urllib.request.Request(f"http://127.0.0.1:{free_port}/api/v1/measurements?format=csv")
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(refused, timeout=PEER_GUARD_S)
        body = json.loads(raised.value.read())
        assert raised.value.code == 429 and body["error"] == "TooManyRequestsTypeB"
        assert "SEDA_MAX_EXPORTS" in body["message"] and raised.value.headers["Retry-After"]
        page = urllib.request.urlopen(f"http://127.0.0.1:{free_port}/api/v1/measurements?limit=5", timeout=PEER_GUARD_S)
        assert page.status == 200  # pages are not downloads
        connection.close()  # the first download ends: its slot comes back
        deadline = time.monotonic() + PEER_GUARD_S
        while True:
            try:
                with urllib.request.urlopen(refused, timeout=PEER_GUARD_S) as again:
                    assert again.status == 200 and again.read().startswith(b"id,")
                break
            except urllib.error.HTTPError as exc:
                assert exc.code == 429 and time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        kill_server(server)
