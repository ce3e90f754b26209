"""Dead and hung Oracle peers, without a server: real loopback sockets that refuse, hang up, babble or never answer.

Every case answers 503 DatabaseUnavailable through the `api` target, and the next request is
answered as promptly and cleanly: one hung connect never wedges the process. A statement that
outlives `SEDA_STATEMENT_TIMEOUT_S` needs a database that answers at first; that case runs in
tests/test_oracle_integration.py when ORACLE_TEST_* are set.
"""

import contextlib
import signal

import oracledb
import pytest
from oracledb import errors as driver_errors

from conftest import API_KEY, make_client
from contract import error_body
from shared import errors

PASSWORD = "s3cret-Pa55"
HANG_GUARD_S = 60
POOL_WAIT_TIMED_OUT = "(ORACLE_POOL_TIMEOUT_S)"
CONNECT_TIMED_OUT = "(ORACLE_CONNECT_TIMEOUT_S)"
UNAVAILABLE = "The database is unavailable; retry later."


@contextlib.contextmanager
def hang_guard(seconds=HANG_GUARD_S):
    """Fail the test instead of hanging the run if the block takes more than `seconds`."""

    def fail(signum, frame):
        raise AssertionError(f"no answer within {seconds} s: the Oracle path hung")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _oracle_at(settings_env, port, **extra):
    """Select Oracle at 127.0.0.1:`port`, with a password and API key the tests look for in answers."""
    settings_env(
        ORACLE_USER="seda", ORACLE_PASSWORD=PASSWORD, ORACLE_DSN=f"127.0.0.1:{port}/FREEPDB1",
        SEDA_API_KEYS=API_KEY, **{"ORACLE_POOL_TIMEOUT_S": "1", **extra},
    )


def assert_unavailable(response, message_part):
    """A 503 DatabaseUnavailable error body whose message contains `message_part` and nothing secret."""
    assert message_part in error_body(response, 503, "DatabaseUnavailable")["message"]
    assert response.headers["retry-after"]
    for secret in (PASSWORD, API_KEY, "127.0.0.1", "FREEPDB1", "DPY-", "ORA-", "Traceback"):
        assert secret not in response.text


def _get_and_post(client):
    """A read and a write (a transaction) through the whole API."""
    unit = {"substation_id": 1, "name": "T-fault", "kind": "shunt_reactor", "oil_preservation": "sealed", "status": "standby"}
    return [
        client.get("/api/v1/equipment"),
        client.post("/api/v1/equipment", json=unit, headers={"Authorization": f"Bearer {API_KEY}"}),
    ]


@pytest.mark.parametrize(
    ("behaviour", "message_part"),
    [("refuse", UNAVAILABLE), ("hangup", UNAVAILABLE), ("not_tns", UNAVAILABLE), ("hang", POOL_WAIT_TIMED_OUT)],
)
def test_every_broken_peer_is_503_and_the_next_request_too(
    settings_env, misbehaving_listener, behaviour, message_part
):
    listener = misbehaving_listener(behaviour)
    _oracle_at(settings_env, listener.port)
    with hang_guard(), make_client("api") as client:
        responses = _get_and_post(client) + _get_and_post(client)
    for response in responses:
        assert_unavailable(response, message_part)


def test_a_pool_wedged_by_a_hung_connect_is_replaced(settings_env, misbehaving_listener):
    listener = misbehaving_listener("hang")
    _oracle_at(settings_env, listener.port)
    with hang_guard(), make_client("api") as client:
        assert_unavailable(client.get("/api/v1/equipment"), POOL_WAIT_TIMED_OUT)
        first_attempts = listener.accepted
        assert_unavailable(client.get("/api/v1/equipment"), POOL_WAIT_TIMED_OUT)
        assert listener.accepted > first_attempts, "the wedged pool was kept: no new connect was tried"
        listener.refuse()
        # Only a new pool tries again and meets the refusal; the wedged one would still time out.
        assert_unavailable(client.get("/api/v1/equipment"), UNAVAILABLE)


def test_an_acquire_longer_than_the_connect_timeout_is_503_naming_it(settings_env, misbehaving_listener):
    listener = misbehaving_listener("hang")
    _oracle_at(settings_env, listener.port, ORACLE_POOL_TIMEOUT_S="300", ORACLE_CONNECT_TIMEOUT_S="1")
    with hang_guard(), make_client("api") as client:
        response = client.get("/api/v1/equipment")
        assert_unavailable(response, CONNECT_TIMED_OUT)
        assert "1 s" in response.json()["message"]
        listener.refuse()
        assert_unavailable(client.get("/api/v1/equipment"), UNAVAILABLE)


def _driver_error(number, **arguments):
    """The exception python-oracledb itself raises for one of its DPY- errors."""
    return driver_errors._create_exception(number, **arguments)


def test_call_timeout_is_504_naming_the_statement_limit(settings_env):
    settings_env(ORACLE_USER="seda", ORACLE_PASSWORD=PASSWORD, ORACLE_DSN="db:1521/X", SEDA_STATEMENT_TIMEOUT_S="7")
    mapped = errors.from_database_error(_driver_error(driver_errors.ERR_CALL_TIMEOUT_EXCEEDED, timeout=7000))
    assert isinstance(mapped, errors.DatabaseTimeoutError) and mapped.status == 504
    assert mapped.message == (
        "The database did not answer within 7 s (SEDA_STATEMENT_TIMEOUT_S); retry later or narrow the request."
    )


def test_a_session_the_driver_marks_dead_is_503(settings_env):
    settings_env(ORACLE_USER="seda", ORACLE_PASSWORD=PASSWORD, ORACLE_DSN="db:1521/X")
    lost = oracledb.DatabaseError(driver_errors._Error("ORA-03113: end-of-file on communication channel", code=3113))
    assert lost.args[0].is_session_dead
    assert isinstance(errors.from_database_error(lost), errors.DatabaseUnavailableError)
    pool_closed = _driver_error(driver_errors.ERR_POOL_NOT_OPEN)
    assert isinstance(errors.from_database_error(pool_closed), errors.DatabaseUnavailableError)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, [b"(EXPIRE_TIME=2)", b"(TRANSPORT_CONNECT_TIMEOUT=10)"]),
        (
            {"ORACLE_EXPIRE_TIME_MIN": "7", "ORACLE_CONNECT_TIMEOUT_S": "3"},
            [b"(EXPIRE_TIME=7)", b"(TRANSPORT_CONNECT_TIMEOUT=3)"],
        ),
    ],
)
def test_keepalive_and_connect_limits_reach_the_listener(settings_env, misbehaving_listener, environment, expected):
    listener = misbehaving_listener("hangup")
    _oracle_at(settings_env, listener.port, **environment)
    with hang_guard(), make_client("api") as client:
        assert_unavailable(client.get("/api/v1/equipment"), UNAVAILABLE)
    for setting in expected:
        assert setting in listener.connect_packets[0]


def test_expire_time_zero_sends_no_keepalive_setting(settings_env, misbehaving_listener):
    listener = misbehaving_listener("hangup")
    _oracle_at(settings_env, listener.port, ORACLE_EXPIRE_TIME_MIN="0")
    with hang_guard(), make_client("api") as client:
        assert_unavailable(client.get("/api/v1/equipment"), UNAVAILABLE)
    assert b"(DESCRIPTION=" in listener.connect_packets[0] and b"EXPIRE_TIME" not in listener.connect_packets[0]
