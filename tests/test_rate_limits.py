"""Per-client rate limits (429 TooManyRequestsTypeA) through the whole API, in memory storage.

Clients are told apart by the address the test client connects from (`TestClient(client=…)`)
and by their API keys. Every budget here lasts `WINDOW_S` or more, far longer than a test, so
no test meets a window's end. Load limits (type B) and Redis need real servers:
tests/test_rate_limits_servers.py.
"""

import hashlib
import json
import math
import re

import functions_framework
import pytest
from starlette.testclient import TestClient

from conftest import API_KEY, MAIN
from contract import error_body
from shared import config, ratelimit

OTHER_KEY = "second-client-key-0123456789"
SERVICE_LIMIT = re.compile(r'"client";r=(\d+);t=(\d+)')
HEALTHY = {"h2": 10, "ch4": 5, "c2h6": 3, "c2h4": 2, "c2h2": 0, "co": 200, "co2": 1500}


def _limit(settings_env, burst, **extra):
    """Turn the per-client limit on: `burst` units per `burst` minutes (1 unit a minute)."""
    settings_env(SEDA_RATE_LIMIT_PER_MINUTE="1", SEDA_RATE_LIMIT_BURST=str(burst), SEDA_API_KEYS=f"{API_KEY},{OTHER_KEY}",
                 **extra)


def _client_at(address):
    """The whole API as a client at `address` sees it."""
    return TestClient(functions_framework.create_app("api", MAIN), raise_server_exceptions=False, client=(address, 50000))


def _left(response):
    """The units the `RateLimit` header says are left, once it and `RateLimit-Policy` are well formed."""
    match = SERVICE_LIMIT.fullmatch(response.headers["ratelimit"])
    assert match, response.headers["ratelimit"]
    assert re.fullmatch(r'"client";q=\d+;w=\d+', response.headers["ratelimit-policy"])
    return int(match.group(1))


def _bearer(key):
    """Headers presenting `key`."""
    return {"Authorization": f"Bearer {key}"}


def test_an_address_spends_its_burst_then_gets_429_a_with_retry_after_and_the_draft_headers(settings_env):
    _limit(settings_env, 3)
    with _client_at("198.51.100.7") as client, _client_at("198.51.100.8") as neighbour:
        answers = [client.get("/api/v1/substations") for _ in range(3)]
        refused = client.get("/api/v1/substations")
        served_elsewhere = neighbour.get("/api/v1/substations")
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [_left(a) for a in answers] == [2, 1, 0]
    assert answers[0].headers["ratelimit-policy"] == '"client";q=3;w=180'
    body = error_body(refused, 429, "TooManyRequestsTypeA")
    assert "3 units per 180 s" in body["message"] and "Retry-After" in body["message"]
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 180
    assert refused.headers["ratelimit"] == f'"client";r=0;t={retry_after}'
    assert refused.headers["ratelimit-policy"] == '"client";q=3;w=180'
    assert served_elsewhere.status_code == 200 and _left(served_elsewhere) == 2


def test_each_configured_key_has_its_own_budget_and_a_wrong_key_spends_the_address(settings_env):
    _limit(settings_env, 2)
    with _client_at("198.51.100.7") as client:
        first_key = [client.get("/api/v1/equipment", headers=_bearer(API_KEY)).status_code for _ in range(3)]
        second_key = client.get("/api/v1/equipment", headers=_bearer(OTHER_KEY))
        wrong_keys = [client.get("/api/v1/equipment", headers=_bearer(f"guess-{n}-0123456789abcdef")) for n in range(2)]
        keyless = client.get("/api/v1/equipment")
    assert first_key == [200, 200, 429]
    assert second_key.status_code == 200 and _left(second_key) == 1
    assert [w.status_code for w in wrong_keys] == [200, 200]  # made-up keys are the address's, not fresh budgets
    error_body(keyless, 429, "TooManyRequestsTypeA")
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    for response in [second_key, *wrong_keys, keyless]:
        shown = json.dumps(dict(response.headers)) + response.text
        assert API_KEY not in shown and digest[:12] not in shown


def test_a_forged_forwarded_for_changes_nothing_without_a_trusted_proxy(settings_env):
    _limit(settings_env, 1)
    with _client_at("198.51.100.7") as client:
        first = client.get("/api/v1/substations", headers={"X-Forwarded-For": "203.0.113.1"})
        forged = client.get("/api/v1/substations", headers={"X-Forwarded-For": "203.0.113.2"})
    assert first.status_code == 200
    error_body(forged, 429, "TooManyRequestsTypeA")


def test_the_trusted_proxy_header_names_the_client_by_the_entry_its_proxy_wrote(settings_env):
    _limit(settings_env, 1, SEDA_TRUSTED_PROXY_HEADER="X-Forwarded-For")
    with _client_at("10.0.0.1") as proxy:

        def status(forwarded_for):
            return proxy.get("/api/v1/substations", headers={"X-Forwarded-For": forwarded_for}).status_code

        assert status("203.0.113.1") == 200
        assert status("203.0.113.2") == 200  # another client behind the same proxy
        assert status("203.0.113.1") == 429
        # What the client wrote itself comes before what the proxy appended: it is never read.
        assert status("192.0.2.50, 203.0.113.1") == 429
        assert status("not-an-address") == 200  # the proxy wrote nonsense: the peer (the proxy) is the client
        assert status("") == 429


def test_with_two_trusted_proxies_the_second_entry_from_the_right_is_the_client(settings_env):
    _limit(settings_env, 1, SEDA_TRUSTED_PROXY_HEADER="X-Forwarded-For", SEDA_TRUSTED_PROXY_HOPS="2")
    with _client_at("10.0.0.1") as proxy:

        def status(forwarded_for):
            return proxy.get("/api/v1/substations", headers={"X-Forwarded-For": forwarded_for}).status_code

        assert status("192.0.2.9, 203.0.113.1, 10.0.0.2") == 200
        assert status("198.51.100.99, 203.0.113.1, 10.0.0.3") == 429  # same client, other first hop and forgery
        assert status("203.0.113.2, 10.0.0.2") == 200
        assert status("10.0.0.2") == 200  # passed one proxy only: the peer is the client
        assert status("10.0.0.3") == 429


def test_an_ipv6_client_is_its_slash_64(settings_env):
    _limit(settings_env, 1)
    statuses = []
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:3::1"):
        with _client_at(address) as client:
            statuses.append(client.get("/api/v1/substations").status_code)
    assert statuses == [200, 429, 200]


def test_rankings_exports_and_batches_cost_more_than_a_page(settings_env):
    _limit(settings_env, 500)
    batch = json.dumps([HEALTHY] * 1000).encode()  # 79 kB: two started blocks of 64 KiB
    csv_rows = "equipment_id,sampled_at,h2\r\n1,2040-01-01T00:00:00Z,3\r\n"
    with _client_at("198.51.100.7") as client:
        client.headers.update(_bearer(API_KEY))  # one budget, the key's, for the writes and the reads
        spent = []

        def spend(method, path, **arguments):
            before = _left(client.get("/api/v1/substations"))  # what is left before `method path`
            response = client.request(method, path, **arguments)
            assert response.status_code == 200, response.text
            spent.append(before - _left(response))

        spend("GET", "/api/v1/measurements?limit=5")
        spend("GET", "/api/v1/measurements?limit=5", headers={"Accept": "text/csv"})
        spend("GET", "/api/v1/measurements/1", headers={"Accept": "text/csv"})
        spend("GET", "/api/v1/diagnoses?limit=5")
        spend("GET", "/api/v1/diagnoses/1")
        spend("POST", "/api/v1/diagnoses?view=summary", content=batch, headers={"Content-Type": "application/json"})
        spend("POST", "/api/v1/measurements", content=csv_rows, headers={"Content-Type": "text/csv"})
        spend("GET", "/api/v1/measurements?format=ndjson&equipment_id=1")
        spend("GET", "/api/v1/measurements?format=csv&equipment_id=1")
        spend("GET", "/api/v1/measurements?format=json&limit=5")
    blocks = math.ceil(len(batch) / ratelimit.BODY_BLOCK_BYTES)
    assert blocks == 2
    assert spent == [1, 5, 1, 10, 1, 5 + blocks, 5 + 1, 50, 50, 1]


def test_a_body_of_unannounced_size_is_charged_as_the_largest_and_no_request_more_than_a_budget(settings_env):
    _limit(settings_env, 100, SEDA_MAX_BODY_BYTES=str(64 * 1024 * 10))
    with _client_at("198.51.100.7") as client:
        chunked = client.post(
            "/api/v1/diagnoses", content=iter([json.dumps(HEALTHY).encode()]), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 200 and _left(chunked) == 100 - (5 + 10)
    _limit(settings_env, 8)
    with _client_at("198.51.100.7") as client:
        ranking = client.get("/api/v1/diagnoses?limit=1")  # costs 10, more than the whole budget of 8
        refused = client.get("/api/v1/substations")
    assert ranking.status_code == 200 and _left(ranking) == 0
    error_body(refused, 429, "TooManyRequestsTypeA")


def test_options_and_health_probes_are_never_limited_nor_counted(settings_env):
    _limit(settings_env, 1)
    with _client_at("198.51.100.7") as client:
        probes_before = [client.get(path) for path in ("/api/v1/health/live", "/api/v1/health/ready", "/api/v1/health")]
        preflight_before = client.options("/api/v1/substations", headers={"Origin": "https://portal.example"})
        assert client.get("/api/v1/substations").status_code == 200  # the only unit: probes spent none
        refused = client.get("/api/v1/substations")
        probes_after = [client.get(path) for path in ("/api/v1/health/live", "/api/v1/health/ready", "/api/v1/health")]
        preflight_after = client.options("/api/v1/measurements")
    error_body(refused, 429, "TooManyRequestsTypeA")
    assert [p.status_code for p in probes_before + probes_after] == [200] * 6
    assert preflight_before.status_code == preflight_after.status_code == 204
    assert all("ratelimit" not in p.headers for p in probes_after + [preflight_after])


def test_responses_expose_the_rate_limit_headers_to_browsers(settings_env):
    _limit(settings_env, 5)
    with _client_at("198.51.100.7") as client:
        response = client.get("/api/v1/substations", headers={"Origin": "https://portal.example"})
    exposed = {name.strip() for name in response.headers["access-control-expose-headers"].split(",")}
    assert {"RateLimit", "RateLimit-Policy", "Retry-After"} <= exposed


def test_a_rate_of_zero_turns_the_per_client_limit_off(settings_env):
    settings_env(SEDA_RATE_LIMIT_PER_MINUTE="0", SEDA_RATE_LIMIT_BURST="1")
    with _client_at("198.51.100.7") as client:
        answers = [client.get("/api/v1/substations") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert all("ratelimit" not in a.headers and "ratelimit-policy" not in a.headers for a in answers)


def test_the_default_budget_is_100_units_per_10_seconds(settings_env):
    settings_env(SEDA_RATE_LIMIT_PER_MINUTE="", SEDA_RATE_LIMIT_BURST="")
    with _client_at("198.51.100.7") as client:
        response = client.get("/api/v1/substations")
    assert response.headers["ratelimit-policy"] == '"client";q=100;w=10'
    assert _left(response) == 99


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"SEDA_RATE_LIMIT_STORAGE": "memcached://cache:11211"}, "SEDA_RATE_LIMIT_STORAGE must be memory"),
        ({"SEDA_RATE_LIMIT_STORAGE": "redis://:hunter2-secret@"}, "SEDA_RATE_LIMIT_STORAGE must be memory"),
        ({"SEDA_RATE_LIMIT_STORAGE": "redis://:hunter2-secret@cache:port"}, "SEDA_RATE_LIMIT_STORAGE must be memory"),
        ({"SEDA_RATE_LIMIT_PER_MINUTE": "6000", "SEDA_RATE_LIMIT_BURST": "99"}, "one second's worth of the rate"),
        ({"SEDA_RATE_LIMIT_PER_MINUTE": "-1"}, "SEDA_RATE_LIMIT_PER_MINUTE must be at least 0"),
        ({"SEDA_TRUSTED_PROXY_HEADER": "X Forwarded For"}, "SEDA_TRUSTED_PROXY_HEADER must be a header name"),
        ({"SEDA_TRUSTED_PROXY_HOPS": "0"}, "SEDA_TRUSTED_PROXY_HOPS must be at least 1"),
        ({"SEDA_MAX_IN_FLIGHT": "0"}, "SEDA_MAX_IN_FLIGHT must be at least 1"),
        ({"SEDA_SQLITE_MAX_SESSIONS": "none"}, "SEDA_SQLITE_MAX_SESSIONS must be an integer"),
    ],
)
def test_nonsense_limit_settings_stop_start_up_without_repeating_a_password(settings_env, settings, refusal):
    settings_env(**settings)
    with pytest.raises(RuntimeError, match=refusal) as refused:
        config.settings()
    assert "hunter2" not in str(refused.value)


def test_settings_never_show_the_storage_url(settings_env):
    settings_env(SEDA_RATE_LIMIT_STORAGE="redis://:hunter2-secret@cache:6379/0")
    assert "hunter2" not in repr(config.settings())
