"""Graceful shutdown on a real server: SIGTERM lets the request in flight finish, then the database closes."""

import contextlib
import datetime
import json
import signal
import socket
import sqlite3
import time

import pytest

from conftest import API_KEY, json_log_lines, kill_server, start_server, wait_for

BATCH_ROWS = 2_000
GASES = {"h2": 40.0, "ch4": 12.0, "c2h6": 6.0, "c2h4": 3.0, "c2h2": 0.0, "co": 300.0, "co2": 2500.0}
FIRST_SAMPLE = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
BODY_CHUNKS = 8


def _batch():
    """A large measurements body: BATCH_ROWS new hourly samples of unit 1."""
    hours = (FIRST_SAMPLE + datetime.timedelta(hours=n) for n in range(BATCH_ROWS))
    return [{"equipment_id": 1, "sampled_at": at.isoformat(), **GASES} for at in hours]


def _request_head(port, body):
    """The request line and headers of POST /api/v1/measurements with `body`."""
    return (
        f"POST /api/v1/measurements HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {API_KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()


def _wait_for_log_line(path, message, process, seconds=30):
    """The first JSON line of the server's output with `message`, once it has been written."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [line for line in json_log_lines(path) if line.get("message") == message]
        if found:
            return found[0]
        assert process.poll() is None, f"server exited with {process.returncode} before logging {message!r}"
        time.sleep(0.05)
    raise AssertionError(f"no {message!r} line within {seconds}s")


def _read_response(connection):
    """Read until the server closes the connection: (status, body) of the one response on it."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].decode()
    return int(status_line.split()[1]), body


def _samples_stored(sql):
    """How many samples lie in the batch's year (the demo fleet's samples are all older)."""
    return sql("SELECT COUNT(*) FROM dga_sample WHERE sampled_at >= ?", (f"{FIRST_SAMPLE:%Y-%m-%d %H:%M:%S}",))[0][0]


@pytest.mark.parametrize(
    "options, exit_code",
    [
        pytest.param((), 0, id="gunicorn-uvicorn-worker"),
        # uvicorn.run re-raises SIGTERM under the default handler once it has drained: death by SIGTERM.
        pytest.param(("--debug",), -signal.SIGTERM, id="plain-uvicorn"),
    ],
)
def test_sigterm_lets_the_request_in_flight_finish_then_closes_the_database(
    demo_db, free_port, tmp_path, sql, options, exit_code
):
    body = json.dumps(_batch()).encode()
    output = tmp_path / "stdout.log"
    assert _samples_stored(sql) == 0
    with output.open("w") as stdout:
        server = start_server("api", demo_db, free_port, options=options, stdout=stdout, SEDA_API_KEYS=API_KEY)
    try:
        with socket.create_connection(("127.0.0.1", free_port), timeout=30) as connection:
            chunk = len(body) // BODY_CHUNKS + 1
            connection.sendall(_request_head(free_port, body) + body[:chunk])
            # One worker serves both connections in arrival order, so once a request sent after
            # the POST's head has been answered, the POST's handler is running and waiting for its body.
            wait_for(f"http://127.0.0.1:{free_port}/api/v1/health", server)
            server.send_signal(signal.SIGTERM)
            shutdown = _wait_for_log_line(output, "shutdown requested", server)
            assert shutdown["requests_in_flight"] == 1
            for start in range(chunk, len(body), chunk):
                connection.sendall(body[start : start + chunk])
                time.sleep(0.05)  # a slow client: the rest of the body trickles in after SIGTERM
            status, response_body = _read_response(connection)
        assert (status, json.loads(response_body)) == (
            200, {"received": BATCH_ROWS, "inserted": BATCH_ROWS, "updated": 0}
        )
        assert server.wait(timeout=60) == exit_code
    finally:
        kill_server(server)
    lines = json_log_lines(output)
    messages = [line.get("message") for line in lines]
    assert "POST /api/v1/measurements 200" in messages and "database closed on shutdown" in messages
    closed = messages.index("database closed on shutdown")
    assert messages.index("POST /api/v1/measurements 200") < closed
    assert "request_id" not in shutdown and "request_id" not in lines[closed], "shutdown is no request's doing"
    assert _samples_stored(sql) == BATCH_ROWS


def test_sigterm_lets_a_download_in_flight_finish_before_the_database_closes(demo_db, free_port, tmp_path, sql):
    hours = (FIRST_SAMPLE + datetime.timedelta(hours=n) for n in range(100_000))
    sql_rows = [(1, f"{at:%Y-%m-%d %H:%M:%S}.000000", 40.0) for at in hours]
    with contextlib.closing(sqlite3.connect(demo_db)) as connection, connection:
        connection.executemany("INSERT INTO dga_sample (equipment_id, sampled_at, h2) VALUES (?, ?, ?)", sql_rows)
    expected = sql("SELECT COUNT(*) FROM dga_sample")[0][0]
    output = tmp_path / "stdout.log"
    with output.open("w") as stdout:
        server = start_server("api", demo_db, free_port, stdout=stdout)
    try:
        with socket.socket() as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader: the server must wait
            connection.settimeout(30)
            connection.connect(("127.0.0.1", free_port))
            connection.sendall(f"GET /api/v1/measurements?format=ndjson HTTP/1.1\r\nHost: x\r\nConnection: close"
                               f"\r\n\r\n".encode())
            received = connection.recv(4096)
            assert received.startswith(b"HTTP/1.1 200")  # the handler has returned: the response has begun
            server.send_signal(signal.SIGTERM)
            shutdown = _wait_for_log_line(output, "shutdown requested", server)
            assert shutdown["requests_in_flight"] == 1  # the download, though its handler has returned
            while chunk := connection.recv(65536):
                received += chunk
        assert server.wait(timeout=60) == 0
    finally:
        kill_server(server)
    assert received.endswith(b"0\r\n\r\n"), "the chunked body ended with its last chunk"
    assert received.count(b'"equipment_id"') == expected
    messages = [line.get("message") for line in json_log_lines(output)]
    assert "database closed on shutdown" in messages
    # The download's access line is written once its body has ended, so after the shutdown began.
    assert messages.index("shutdown requested") < messages.index("GET /api/v1/measurements 200")
