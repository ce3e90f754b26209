"""Load limits (429 TooManyRequestsTypeB) and budgets shared through Redis, on real servers.

Requests are held in flight for real: raw sockets that send a request's headers and keep its
body back, which the server awaits; database sessions are held by a write that waits on the
SQLite write lock another process holds. Redis is a real `redis-server` on a free loopback port,
started and stopped here; those tests skip, saying why, only where it cannot be started.
"""

import contextlib
import json
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import pytest
import redis

from conftest import API_KEY, RedisUnavailable, kill_server, make_client, start_redis, start_server, write_lock_held
from contract import error_body

GUARD_S = 30  # against hangs only
SAMPLE = {"h2": 10, "ch4": 5, "c2h6": 3, "c2h4": 2, "c2h2": 0, "co": 200, "co2": 1500}


def _free_port():
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Answer:
    """A response read with urllib: status, headers (any case) and the JSON body, as `error_body` reads them."""

    def __init__(self, status, headers, body):
        self.status_code = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.text = body.decode()

    def json(self):
        return json.loads(self.text)


def _call(port, path, method="GET", data=None, **headers):
    """One request to the server on `port`."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=GUARD_S) as response:
            return _Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return _Answer(error.code, error.headers, error.read())


def _until(condition, what):
    """Poll `condition()` until it returns something true; fail after GUARD_S (a hang guard, not a timing)."""
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
    raise AssertionError(f"never saw {what} within {GUARD_S} s")


def _assert_instance_busy(answer, message_part):
    """A 429 TooManyRequestsTypeB with `Retry-After: 1` and the instance's service limit."""
    body = error_body(answer, 429, "TooManyRequestsTypeB")
    assert message_part in body["message"]
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["ratelimit"] == '"instance";r=0;t=1'


@contextlib.contextmanager
def _server(database, **settings):
    """The whole API on a free port with `settings`; yields the port."""
    port = _free_port()
    process = start_server("api", database, port, **settings)
    try:
        yield port
    finally:
        kill_server(process)


def _held_body(port, body):
    """A connection that sent a POST /diagnoses announcing `body` and sent all of it but its last byte."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=GUARD_S)
    head = (
        "POST /api/v1/diagnoses HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    connection.sendall(head.encode() + body[:-1])
    return connection


def _finish(connection, body):
    """Send the held last byte; the status of the answer, read until the server closes."""
    connection.sendall(body[-1:])
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    connection.close()
    return int(data.split(b" ", 2)[1])


def test_more_requests_in_flight_than_allowed_are_429_b_at_once_but_probes_are_served(demo_db):
    body = json.dumps(SAMPLE).encode()
    with _server(demo_db, SEDA_MAX_IN_FLIGHT="2") as port:
        held = [_held_body(port, body) for _ in range(2)]
        refused = _until(
            lambda: (answer := _call(port, "/api/v1/substations")).status_code == 429 and answer,
            "a 429 while two bodies are held back",
        )
        live = _call(port, "/api/v1/health/live")
        preflight = _call(port, "/api/v1/substations", method="OPTIONS")
        statuses = [_finish(connection, body) for connection in held]
        after = _call(port, "/api/v1/substations")
    _assert_instance_busy(refused, "SEDA_MAX_IN_FLIGHT")
    assert "ratelimit-policy" not in refused.headers  # the per-client limit is off here: no client policy
    assert live.status_code == 200 and preflight.status_code == 204
    assert statuses == [200, 200]
    assert after.status_code == 200


def _sample_count(database):
    """Rows in DGA_SAMPLE."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return connection.execute("SELECT COUNT(*) FROM dga_sample").fetchone()[0]


def test_no_free_database_session_within_the_wait_is_429_b_and_the_waiting_write_goes_through(demo_db):
    sample = json.dumps([{"equipment_id": 1, "sampled_at": "2041-01-01T00:00:00Z", "h2": 1.0}]).encode()
    before = _sample_count(demo_db)
    with _server(demo_db, SEDA_SQLITE_MAX_SESSIONS="1", SEDA_SQLITE_SESSION_WAIT_MS="100",
                 SEDA_SQLITE_BUSY_TIMEOUT_MS="60000", SEDA_API_KEYS=API_KEY) as port:
        with write_lock_held(demo_db):
            written = []
            writer = threading.Thread(target=lambda: written.append(_call(
                port, "/api/v1/measurements", "POST", sample,
                **{"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"},
            )))
            writer.start()  # takes the only session, then waits for the lock
            refused = _until(
                lambda: (answer := _call(port, "/api/v1/substations")).status_code == 429 and answer,
                "a 429 while the only session waits for the write lock",
            )
            assert writer.is_alive() and _sample_count(demo_db) == before
        writer.join(timeout=GUARD_S)
        after = _call(port, "/api/v1/substations")
    _assert_instance_busy(refused, "SEDA_SQLITE_SESSION_WAIT_MS")
    assert written[0].status_code == 200 and _sample_count(demo_db) == before + 1
    assert after.status_code == 200


def test_a_write_lock_held_past_the_busy_timeout_is_still_503_not_429(settings_env, demo_db):
    settings_env(SEDA_API_KEYS=API_KEY, SEDA_SQLITE_BUSY_TIMEOUT_MS="100", SEDA_SQLITE_MAX_SESSIONS="1")
    sample = [{"equipment_id": 1, "sampled_at": "2041-01-01T00:00:00Z", "h2": 1.0}]
    with make_client("api") as client, write_lock_held(demo_db):
        answer = client.post("/api/v1/measurements", json=sample, headers={"Authorization": f"Bearer {API_KEY}"})
        read = client.get("/api/v1/substations")  # the session was given back
    error_body(answer, 503, "DatabaseUnavailable")
    assert read.status_code == 200


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free loopback port; yields its URL, a client and the process."""
    try:
        process, url = start_redis(tmp_path)
    except RedisUnavailable as unavailable:
        pytest.skip(str(unavailable))
    client = redis.Redis.from_url(url, socket_timeout=GUARD_S)
    try:
        yield url, client, process
    finally:
        client.close()
        process.kill()
        process.wait(timeout=GUARD_S)


def _left(answer):
    """What the `RateLimit` header says is left of the client's budget."""
    return int(answer.headers["ratelimit"].split(";r=")[1].split(";")[0])


def _two_servers(database, storage):
    """Two instances of the API, on their own ports, sharing nothing but `storage`."""
    limits = {"SEDA_RATE_LIMIT_PER_MINUTE": "1", "SEDA_RATE_LIMIT_BURST": "4", "SEDA_RATE_LIMIT_STORAGE": storage}
    stack = contextlib.ExitStack()
    return stack, [stack.enter_context(_server(database, **limits)) for _ in range(2)]


def test_with_redis_two_instances_share_one_budget_per_client(demo_db, redis_server):
    url, client, _ = redis_server
    stack, (first, second) = _two_servers(demo_db, url)
    with stack:
        answers = [_call(port, "/api/v1/substations") for port in (first, second, first, second)]
        refused = [_call(port, "/api/v1/substations") for port in (first, second)]
    assert [a.status_code for a in answers] == [200] * 4
    assert [_left(a) for a in answers] == [3, 2, 1, 0]
    for answer in refused:
        error_body(answer, 429, "TooManyRequestsTypeA")
    keys = [key.decode() for key in client.keys("*")]
    assert keys and all(key.startswith("seda:") for key in keys), keys  # kept in Redis, under the service's prefix


def test_a_forged_forwarded_for_buys_no_fresh_budget_on_the_real_server(demo_db):
    limits = {"SEDA_RATE_LIMIT_PER_MINUTE": "1", "SEDA_RATE_LIMIT_BURST": "3"}
    with _server(demo_db, **limits) as port:
        answers = [
            _call(port, "/api/v1/substations?limit=1", **{"X-Forwarded-For": f"203.0.113.{n}", "X-Forwarded-Proto": "https"})
            for n in range(5)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[0].headers["link"].startswith("<http://127.0.0.1:")  # the forged scheme was not believed either


def test_in_memory_each_instance_counts_alone(demo_db):
    stack, (first, second) = _two_servers(demo_db, "memory")
    with stack:
        on_first = [_call(first, "/api/v1/substations") for _ in range(5)]
        on_second = _call(second, "/api/v1/substations")
    assert [a.status_code for a in on_first] == [200] * 4 + [429]
    assert on_second.status_code == 200 and _left(on_second) == 3


def test_while_redis_is_down_each_instance_limits_alone_and_says_so_once(settings_env, redis_server, capsys):
    url, _, process = redis_server
    settings_env(SEDA_RATE_LIMIT_PER_MINUTE="1", SEDA_RATE_LIMIT_BURST="3", SEDA_RATE_LIMIT_STORAGE=url)
    with make_client("api") as client:
        shared = client.get("/api/v1/substations")
        process.kill()
        process.wait(timeout=GUARD_S)
        alone = [client.get("/api/v1/substations") for _ in range(4)]
    assert shared.status_code == 200 and _left(shared) == 2
    assert [a.status_code for a in alone] == [200, 200, 200, 429]  # a fresh budget in memory, still limited
    assert [_left(a) for a in alone[:3]] == [2, 1, 0]
    log = capsys.readouterr().out
    assert log.count("rate-limit storage unreachable") == 1
    assert "127.0.0.1" not in [line for line in log.splitlines() if "unreachable" in line][0]
