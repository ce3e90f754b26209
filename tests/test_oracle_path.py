"""The Oracle path without an Oracle server: configuration, pool creation and outage answers."""

import socket
import threading

import pytest

from conftest import make_client
from shared import config, db

PASSWORD = "s3cret-Pa55"


def _oracle_env(settings_env, **extra):
    """Select Oracle with a password the tests can look for in responses."""
    settings_env(ORACLE_USER="seda", ORACLE_PASSWORD=PASSWORD, ORACLE_POOL_TIMEOUT_S="2", **extra)


@pytest.fixture
def closing_listener():
    """A loopback TCP server that accepts connections and closes them at once (a dying listener)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_oracle_is_chosen_when_a_user_is_configured(settings_env):
    _oracle_env(settings_env, ORACLE_DSN="db.example:1521/FREEPDB1")
    assert config.settings().database == "oracle"
    assert isinstance(db.database(), db.OracleDatabase)
    assert PASSWORD not in repr(config.settings())


def test_connect_parameters_from_dsn_or_parts(settings_env):
    _oracle_env(settings_env, ORACLE_DSN="db.example:1521/FREEPDB1", ORACLE_HOST="ignored")
    assert db.oracle_connect_params(config.settings().oracle) == {
        "user": "seda", "password": PASSWORD, "dsn": "db.example:1521/FREEPDB1",
    }
    _oracle_env(settings_env, ORACLE_HOST="db.example", ORACLE_PORT="1522", ORACLE_SERVICE_NAME="SEDA")
    assert db.oracle_connect_params(config.settings().oracle) == {
        "user": "seda", "password": PASSWORD, "host": "db.example", "port": 1522, "service_name": "SEDA",
    }
    _oracle_env(settings_env, ORACLE_HOST="db.example", ORACLE_SID="ORCL")
    assert db.oracle_connect_params(config.settings().oracle)["sid"] == "ORCL"


def test_pool_is_fixed_size_by_default(settings_env):
    _oracle_env(settings_env, ORACLE_DSN="x")
    oracle = config.settings().oracle
    assert oracle.pool_min == oracle.pool_max == 2


def test_bad_settings_fail_at_start_with_a_clear_message(settings_env):
    settings_env(SEDA_MAX_PAGE_SIZE="lots")
    with pytest.raises(RuntimeError, match="SEDA_MAX_PAGE_SIZE must be an integer"):
        config.settings()
    settings_env(SEDA_DATABASE="oracle")
    with pytest.raises(RuntimeError, match="needs ORACLE_USER"):
        config.settings()


@pytest.mark.parametrize("resource", ["application", "equipment", "measurements/1", "health"])
def test_refused_connection_is_503_without_details(settings_env, resource):
    _oracle_env(settings_env, ORACLE_DSN="127.0.0.1:1/FREEPDB1")
    with make_client("api") as client:
        response = client.get(f"/api/v1/{resource}")
    assert response.status_code == 503
    assert response.json()["error"] == "DatabaseUnavailable"
    for secret in (PASSWORD, "127.0.0.1", "FREEPDB1", "DPY-", "ORA-"):
        assert secret not in response.text


def test_listener_that_drops_connections_is_503(settings_env, closing_listener):
    _oracle_env(settings_env, ORACLE_DSN=f"127.0.0.1:{closing_listener}/FREEPDB1")
    with make_client("api") as client:
        responses = [client.get("/api/v1/equipment") for _ in range(2)]
    assert [r.status_code for r in responses] == [503, 503]
    assert all(PASSWORD not in r.text for r in responses)


def test_password_never_reaches_the_log(settings_env, capsys):
    _oracle_env(settings_env, ORACLE_DSN="127.0.0.1:1/FREEPDB1")
    with make_client("api") as client:
        client.get("/api/v1/health")
        client.get("/api/v1/equipment")
    output = capsys.readouterr()
    assert '"status":503' in output.out
    assert PASSWORD not in output.out + output.err
