"""A client that announces a body and stalls gets 408 and loses its connection; others are served meanwhile.

On a real server (functions-framework on loopback) with raw sockets, since only a real
connection can stall; and a client that hangs up mid-body, at the ASGI interface.
"""

import asyncio
import json
import select
import socket
import threading
import time
import urllib.request

import functions_framework
import pytest

from conftest import API_KEY, MAIN, kill_server, start_server
from contract import ERROR_KEYS

BODY_TIMEOUT_S = 2
GUARD_S = 30  # against a hang only: a 408 is due after BODY_TIMEOUT_S
# Longer than GUARD_S: a GET kept waiting behind the stalled bodies fails on its own timeout
# before any 408 is due, so no race between the GET and the 408s decides the outcome.
PATIENT_BODY_TIMEOUT_S = 2 * GUARD_S


def _serving(demo_db, port, body_timeout_s):
    """Start the whole API on `port` with the given body timeout; yields the port, then kills the server."""
    process = start_server("api", demo_db, port, SEDA_BODY_TIMEOUT_S=str(body_timeout_s), SEDA_API_KEYS=API_KEY)
    yield port
    kill_server(process)


@pytest.fixture
def server(demo_db, free_port):
    """The whole API with a short body timeout; yields its port."""
    yield from _serving(demo_db, free_port, BODY_TIMEOUT_S)


@pytest.fixture
def patient_server(demo_db, free_port):
    """The whole API with a body timeout longer than any wait the tests allow; yields its port."""
    yield from _serving(demo_db, free_port, PATIENT_BODY_TIMEOUT_S)


def _announce(port, path, declared=1000, sent=b"", key=False):
    """A connection that sent the headers of a POST announcing `declared` body bytes, then `sent` of them.

    It asks the server to close after answering, so that reading until the end reads one response.
    """
    connection = socket.create_connection(("127.0.0.1", port), timeout=GUARD_S)
    headers = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n"
    )
    if key:
        headers += f"Authorization: Bearer {API_KEY}\r\n"
    connection.sendall(headers.encode() + b"\r\n" + sent)
    return connection


def _answer(connection):
    """(status, headers, JSON body) of the response, read until the server closes the connection."""
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    connection.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def _has_answered(connection):
    """True when the server has sent something (or closed) on the connection already."""
    return bool(select.select([connection], [], [], 0)[0])


def _stalled_bodies(port):
    """Two connections that stall: one halfway through a body, one before its first byte."""
    return [
        _announce(port, "/api/v1/diagnoses", sent=b'[{"h2": 1' + b" " * 490),
        _announce(port, "/api/v1/measurements", key=True),
    ]


def test_stalled_bodies_get_408_and_a_closed_connection(server):
    for connection in _stalled_bodies(server):
        status, headers, body = _answer(connection)
        assert status == 408 and headers["connection"] == "close"
        assert set(body) == ERROR_KEYS and body["error"] == "RequestTimeout" and body["status"] == 408
        assert f"within {BODY_TIMEOUT_S} s" in body["message"]
        assert body["request_id"] == headers["x-request-id"]


def test_other_requests_are_served_while_bodies_stall(patient_server):
    stalled = _stalled_bodies(patient_server)
    with urllib.request.urlopen(f"http://127.0.0.1:{patient_server}/api/v1/health", timeout=GUARD_S) as response:
        assert response.status == 200 and json.load(response)["status"] == "ok"
    assert not any(_has_answered(connection) for connection in stalled), "the stalled requests were answered first"
    for connection in stalled:
        connection.close()


def test_a_trickling_body_cannot_reset_the_deadline(server):
    connection = _announce(server, "/api/v1/diagnoses")
    stop = threading.Event()

    def trickle():
        """One byte every tenth of a second: each chunk is quick, the whole body never arrives."""
        deadline = time.monotonic() + GUARD_S
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                connection.sendall(b" ")
            except OSError:
                return
            time.sleep(0.1)

    sender = threading.Thread(target=trickle)
    sender.start()
    try:
        status, _, body = _answer(connection)
    finally:
        stop.set()
        sender.join()
    assert status == 408 and body["error"] == "RequestTimeout"


def test_a_body_sent_in_time_in_pieces_is_read_whole(server):
    body = b'{"h2": 100, "ch4": 120, "c2h6": 65, "c2h4": 50, "c2h2": 1, "co": 400, "co2": 3000}'
    connection = _announce(server, "/api/v1/diagnoses", declared=len(body), sent=body[:10])
    time.sleep(BODY_TIMEOUT_S / 4)  # a pause well within the limit
    connection.sendall(body[10:])
    status, _, verdict = _answer(connection)
    assert status == 200 and "fault" in verdict



def test_a_client_that_hangs_up_mid_body_is_a_client_error_not_a_500(demo_db):
    app = functions_framework.create_app("api", MAIN)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/v1/diagnoses", "raw_path": b"/api/v1/diagnoses", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    arrivals = iter([{"type": "http.request", "body": b'{"h2": ', "more_body": True}, {"type": "http.disconnect"}])
    sent = []

    async def receive():
        return next(arrivals)

    async def send(message):
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), GUARD_S))
    start, body = sent[0], b"".join(message.get("body", b"") for message in sent[1:])
    assert start["status"] == 400 and json.loads(body)["error"] == "IncompleteBody"
