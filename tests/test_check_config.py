"""`python -m tools.check_config`, run as an operator runs it: effective settings, secrets masked, every problem."""

import json

import pytest

from shared import config
from conftest import run_tool

PASSWORD = "Pw-d0-not-print-4471"
API_KEY = "key-d0-not-print-9083-abcdef"
REDIS_PASSWORD = "redis-d0-not-print-2210"


def check(*arguments, **settings):
    """The finished `python -m tools.check_config` with only `settings` configured."""
    return run_tool("tools.check_config", *arguments, **settings)


def test_a_clean_environment_passes_and_shows_the_defaults():
    finished = check("--json")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(finished.stdout)
    assert report["problems"] == []
    shown = {entry["name"]: entry for entry in report["settings"]}
    assert shown["SEDA_MAX_PAGE_SIZE"] == {"name": "SEDA_MAX_PAGE_SIZE", "value": "1000", "source": "default"}
    assert shown["ORACLE_POOL_MAX"]["value"] == "2"
    assert shown["SEDA_RATE_LIMIT_STORAGE"]["value"] == "memory"


def test_the_text_report_says_no_problems():
    finished = check()
    assert finished.returncode == 0
    assert "No problems." in finished.stdout
    assert "SEDA_DEFAULT_PAGE_SIZE" in finished.stdout


def test_three_bad_variables_are_all_reported():
    finished = check(SEDA_MAX_PAGE_SIZE="lots", SEDA_FRAME_ANCESTORS="nowhere", SEDA_REQUIRE_KEYS_FOR_READS="maybe")
    assert finished.returncode == 1
    assert "SEDA_MAX_PAGE_SIZE must be an integer, got 'lots'" in finished.stdout
    assert "SEDA_REQUIRE_KEYS_FOR_READS must be true or false, got 'maybe'" in finished.stdout
    assert "SEDA_FRAME_ANCESTORS takes 'self'" in finished.stdout
    assert "3 problem(s)" in finished.stdout


def test_a_value_from_the_environment_is_shown_as_such():
    report = json.loads(check("--json", SEDA_MAX_PAGE_SIZE="50").stdout)
    shown = {entry["name"]: entry for entry in report["settings"]}
    assert shown["SEDA_MAX_PAGE_SIZE"] == {"name": "SEDA_MAX_PAGE_SIZE", "value": "50", "source": "environment"}


def test_the_messages_are_start_ups_own(settings_env):
    bad = {"SEDA_RATE_LIMIT_PER_MINUTE": "600", "SEDA_RATE_LIMIT_BURST": "5"}
    settings_env(**bad)
    with pytest.raises(RuntimeError) as refusal:
        config.settings()
    report = json.loads(check("--json", **bad).stdout)
    assert report["problems"] == [str(refusal.value)]


@pytest.mark.parametrize("arguments", [(), ("--json",)])
def test_secrets_never_appear(arguments):
    finished = check(
        *arguments,
        ORACLE_USER="seda", ORACLE_PASSWORD=PASSWORD, ORACLE_DSN="db.example.com:1521/SEDA",
        SEDA_API_KEYS=f"ops@read+admin={API_KEY},ingest@ingest=tiny",
        SEDA_RATE_LIMIT_STORAGE=f"redis://:{REDIS_PASSWORD}@cache.example.com:6379/0",
    )
    output = finished.stdout + finished.stderr
    for secret in (PASSWORD, API_KEY, REDIS_PASSWORD):
        assert secret not in output
    assert finished.returncode == 1  # the second key entry is too short
    assert "SEDA_API_KEYS entry 2" in output


def test_api_keys_show_their_ids_and_scopes():
    report = json.loads(check("--json", SEDA_API_KEYS=f"ops@read+admin={API_KEY}").stdout)
    shown = {entry["name"]: entry["value"] for entry in report["settings"]}
    assert shown["SEDA_API_KEYS"] == "ops (admin+read)"
    assert API_KEY not in json.dumps(report)


def test_a_redis_url_keeps_everything_but_its_password():
    storage = f"redis://:{REDIS_PASSWORD}@cache.example.com:6379/0"
    report = json.loads(check("--json", SEDA_RATE_LIMIT_STORAGE=storage).stdout)
    shown = {entry["name"]: entry["value"] for entry in report["settings"]}
    assert shown["SEDA_RATE_LIMIT_STORAGE"] == "redis://:***@cache.example.com:6379/0"
    assert report["problems"] == []


def test_a_misspelt_variable_gets_the_nearest_name():
    finished = check(SEDA_MAX_PAGESIZE="50")
    assert finished.returncode == 1
    assert "SEDA_MAX_PAGESIZE is set but is not a setting the service reads; did you mean SEDA_MAX_PAGE_SIZE?" \
        in finished.stdout


def test_bad_usage_exits_2():
    assert check("--no-such-option").returncode == 2


def test_a_dsn_carrying_an_account_is_refused_and_masked():
    finished = check("--json", ORACLE_USER="seda_app", ORACLE_PASSWORD=PASSWORD,
                     ORACLE_DSN=f"seda/{PASSWORD}@db.example.com:1521/SEDA")
    report = json.loads(finished.stdout)
    assert finished.returncode == 1
    assert PASSWORD not in finished.stdout + finished.stderr
    shown = {entry["name"]: entry["value"] for entry in report["settings"]}
    assert shown["ORACLE_DSN"] == "seda/***@db.example.com:1521/SEDA"
    assert any(problem.startswith("ORACLE_DSN starts with an account (user/password@…)") for problem in report["problems"])


@pytest.mark.parametrize("dsn", ["db.example.com:1521/SEDA", "tcps://db.example.com:2484/SEDA?wallet_location=/w",
                                 "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=S)))"])
def test_a_dsn_without_an_account_passes(dsn):
    report = json.loads(check("--json", ORACLE_USER="seda_app", ORACLE_PASSWORD=PASSWORD, ORACLE_DSN=dsn).stdout)
    assert report["problems"] == []


def test_a_password_in_any_url_is_masked_in_values_and_messages():
    endpoint = f"https://otel:{PASSWORD}@collector.example.com:4318"
    finished = check("--json", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
                     SEDA_PUBLIC_URL=f"https://ops:{PASSWORD}@seda.example.com")
    assert PASSWORD not in finished.stdout + finished.stderr
    report = json.loads(finished.stdout)
    shown = {entry["name"]: entry["value"] for entry in report["settings"]}
    assert shown["OTEL_EXPORTER_OTLP_ENDPOINT"] == "https://otel:***@collector.example.com:4318"
    assert report["problems"] == [
        "SEDA_PUBLIC_URL must look like https://seda.example.com[:port][/prefix], got 'https://ops:***@seda.example.com'"]
