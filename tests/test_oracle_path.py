"""The Oracle path without an Oracle server: configuration, start-up checks, pool creation and outage answers."""

import contextlib
import sqlite3

import oracledb
import pytest

from conftest import make_client, run_server_expecting_refusal
from shared import config, db

PASSWORD = "s3cret-Pa55"


def _oracle_env(settings_env, **extra):
    """Select Oracle with a password the tests can look for in responses."""
    settings_env(ORACLE_USER="seda", ORACLE_PASSWORD=PASSWORD, ORACLE_POOL_TIMEOUT_S="2", **extra)


def test_oracle_is_chosen_when_a_user_is_configured(settings_env):
    _oracle_env(settings_env, ORACLE_DSN="db.example:1521/FREEPDB1")
    assert config.settings().database == "oracle"
    assert isinstance(db.database(), db.OracleDatabase)
    assert PASSWORD not in repr(config.settings())


def _location(params):
    """Who a ConnectParams logs in as and where it goes (the driver shows no password back)."""
    return params.user, params.host, params.port, params.service_name, params.sid


def test_connect_parameters_from_dsn_or_parts(settings_env):
    _oracle_env(settings_env, ORACLE_DSN="db.example:1521/FREEPDB1")
    assert _location(db.oracle_connect_params(config.settings().oracle)) == (
        "seda", "db.example", 1521, "FREEPDB1", None,
    )
    _oracle_env(settings_env, ORACLE_HOST="db.example", ORACLE_PORT="1522", ORACLE_SERVICE_NAME="SEDA")
    assert _location(db.oracle_connect_params(config.settings().oracle)) == (
        "seda", "db.example", 1522, "SEDA", None,
    )
    _oracle_env(settings_env, ORACLE_HOST="db.example", ORACLE_SID="ORCL")
    assert _location(db.oracle_connect_params(config.settings().oracle)) == (
        "seda", "db.example", 1521, None, "ORCL",
    )


def test_a_dsn_descriptor_keeps_what_it_names_and_the_password_stays_out_of_the_connect_string(settings_env):
    _oracle_env(settings_env, ORACLE_DSN="(DESCRIPTION=(ADDRESS=(PROTOCOL=tcp)(HOST=db.example)(PORT=1523))"
                                         "(CONNECT_DATA=(SERVICE_NAME=SEDA)))")
    params = db.oracle_connect_params(config.settings().oracle)
    assert (params.host, params.port, params.service_name) == ("db.example", 1523, "SEDA")
    assert PASSWORD not in params.get_connect_string()


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


def test_password_never_reaches_the_log(settings_env, capsys):
    _oracle_env(settings_env, ORACLE_DSN="127.0.0.1:1/FREEPDB1")
    with make_client("api") as client:
        client.get("/api/v1/health")
        client.get("/api/v1/equipment")
    output = capsys.readouterr()
    assert '"status":503' in output.out
    assert PASSWORD not in output.out + output.err


# Oracle settings that stop start-up, and the variables the message must name.
BAD_ORACLE_SETTINGS = [
    ({"ORACLE_USER": "seda", "ORACLE_DSN": "db:1521/X"}, ["ORACLE_PASSWORD"]),
    ({"ORACLE_USER": "seda", "ORACLE_PASSWORD": PASSWORD}, ["ORACLE_DSN", "ORACLE_HOST"]),
    ({"ORACLE_USER": "seda", "ORACLE_PASSWORD": PASSWORD, "ORACLE_HOST": "db"}, ["ORACLE_SERVICE_NAME", "ORACLE_SID"]),
    (
        {"ORACLE_USER": "seda", "ORACLE_PASSWORD": PASSWORD, "ORACLE_HOST": "db", "ORACLE_SERVICE_NAME": "S", "ORACLE_SID": "O"},
        ["ORACLE_SERVICE_NAME", "ORACLE_SID"],
    ),
    (
        {"ORACLE_USER": "seda", "ORACLE_PASSWORD": PASSWORD, "ORACLE_DSN": "db:1521/X", "ORACLE_HOST": "db", "ORACLE_SID": "O"},
        ["ORACLE_DSN", "ORACLE_HOST", "ORACLE_SID"],
    ),
    ({"ORACLE_USER": "seda", "ORACLE_PASSWORD": PASSWORD, "ORACLE_DSN": "db:1521/X", "ORACLE_PORT": "1522"}, ["ORACLE_PORT"]),
    ({"ORACLE_PASSWORD": PASSWORD, "ORACLE_DSN": "db:1521/X"}, ["ORACLE_USER", "ORACLE_PASSWORD", "ORACLE_DSN"]),
    ({"ORACLE_USER": "seda", "ORACLE_PASSWORD": PASSWORD, "ORACLE_DSN": "x", "ORACLE_CONNECT_TIMEOUT_S": "0"}, ["ORACLE_CONNECT_TIMEOUT_S"]),
    ({"ORACLE_USER": "seda", "ORACLE_PASSWORD": PASSWORD, "ORACLE_DSN": "x", "ORACLE_EXPIRE_TIME_MIN": "soon"}, ["ORACLE_EXPIRE_TIME_MIN"]),
]


@pytest.mark.parametrize(("environment", "named"), BAD_ORACLE_SETTINGS)
def test_incomplete_or_ambiguous_oracle_settings_stop_start_up(settings_env, environment, named):
    settings_env(**environment)
    with pytest.raises(RuntimeError) as refused:
        config.settings()
    for variable in named:
        assert variable in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_new_oracle_settings_have_their_defaults(settings_env):
    _oracle_env(settings_env, ORACLE_DSN="x")
    oracle = config.settings().oracle
    assert (oracle.connect_timeout_s, oracle.expire_time_min) == (10, 2)


@pytest.mark.parametrize(("environment", "named"), [BAD_ORACLE_SETTINGS[0], BAD_ORACLE_SETTINGS[4]])
def test_the_served_api_refuses_to_start_with_bad_oracle_settings(environment, named):
    server = run_server_expecting_refusal(**environment)
    assert server.returncode != 0
    assert "RuntimeError" in server.stderr
    for variable in named:
        assert variable in server.stderr
    assert PASSWORD not in server.stderr + server.stdout


def test_a_string_longer_than_varchar2_is_bound_as_a_clob(demo_db):
    """Oracle refuses a string bind over 4,000 bytes as VARCHAR2 (ORA-01461): the longest stored verdicts are longer."""
    with contextlib.closing(sqlite3.connect(demo_db)) as connection:
        longest = connection.execute("SELECT verdict FROM dga_diagnosis ORDER BY LENGTH(verdict) DESC LIMIT 1").fetchone()[0]
    assert len(longest.encode()) > 4000
    rows = [{"verdict": "{}", "lab": "x", "h2": None}, {"verdict": longest, "lab": "가" * 1400, "h2": 1.5}]  # 4,200 bytes
    types = db.oracle_bind_types(rows)
    assert types == {"verdict": oracledb.DB_TYPE_CLOB, "lab": oracledb.DB_TYPE_CLOB, "h2": oracledb.DB_TYPE_NUMBER}
    assert db.oracle_bind_types([{"lab": "가" * 1000}]) == {}  # 3,000 bytes: VARCHAR2 holds it
