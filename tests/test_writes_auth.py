"""API keys: who may write (and, when switched on, read), and that keys never leak."""

import hashlib
import hmac

import pytest

from conftest import API_KEY, make_client
from shared import config

OTHER_KEY = "lab-sync-key-abcdefghijklmnop"
NEW_UNIT = {"substation_id": 1, "name": "T-auth", "kind": "shunt_reactor", "oil_preservation": "sealed", "status": "standby"}


@pytest.fixture
def keyed(settings_env):
    """Apply settings (API keys by default) and return a client without credentials."""

    def apply(**environment):
        settings_env(**{"SEDA_API_KEYS": f"{API_KEY},sha256:{hashlib.sha256(OTHER_KEY.encode()).hexdigest()}", **environment})
        return make_client("api")

    return apply


def _assert_401(response):
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="seda"'
    body = response.json()
    assert body["error"] == "Unauthorized"
    assert "Authorization: Bearer <key>" in body["message"] and "X-API-Key" in body["message"]
    return body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key-but-long-enough"},
        {"Authorization": f"Basic {API_KEY}"},
        {"Authorization": "Bearer "},
        {"X-API-Key": API_KEY[:-1]},
        {"X-API-Key": ""},
    ],
    ids=["missing", "wrong", "other-scheme", "empty-bearer", "truncated", "empty-header"],
)
def test_writes_without_a_valid_key_get_the_same_401(keyed, headers):
    with keyed() as client:
        messages = {
            _assert_401(client.post("/api/v1/equipment", json=NEW_UNIT, headers=headers))["message"],
            _assert_401(client.patch("/api/v1/equipment/1", json={}, headers=headers))["message"],
            _assert_401(client.delete("/api/v1/measurements/1", headers=headers))["message"],
            _assert_401(client.post("/api/v1/measurements", json=[], headers=headers))["message"],
        }
    assert len(messages) == 1, "the message must not say which part was wrong"


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": f"Bearer {API_KEY}"}, {"authorization": f"bearer  {API_KEY} "}, {"X-API-Key": API_KEY}, {"X-API-Key": OTHER_KEY}],
    ids=["bearer", "bearer-any-case", "x-api-key", "hashed-entry"],
)
def test_a_configured_key_may_write(keyed, headers):
    with keyed() as client:
        assert client.post("/api/v1/equipment", json=NEW_UNIT, headers=headers).status_code == 201


def test_no_configured_keys_refuses_every_write_with_401_and_a_warning(settings_env, capsys):
    settings_env()
    with make_client("api") as client:
        _assert_401(client.post("/api/v1/equipment", json=NEW_UNIT, headers={"Authorization": f"Bearer {API_KEY}"}))
        assert client.get("/api/v1/equipment/1").status_code == 200
    assert "no API keys are configured (set SEDA_API_KEYS)" in capsys.readouterr().out


def test_reads_are_open_unless_switched_on_and_preflights_never_need_a_key(keyed):
    with keyed() as client:
        assert client.get("/api/v1/equipment/1").status_code == 200
        assert client.head("/api/v1/measurements").status_code == 200
    with keyed(SEDA_REQUIRE_KEYS_FOR_READS="true") as client:
        _assert_401(client.get("/api/v1/equipment/1"))
        assert client.head("/api/v1/measurements").status_code == 401
        assert client.get("/api/v1/equipment/1", headers={"X-API-Key": API_KEY}).status_code == 200
        preflight = client.options("/api/v1/equipment", headers={"Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204 and "POST" in preflight.headers["allow"]


def test_unknown_paths_and_methods_answer_before_the_key_is_checked(keyed):
    with keyed() as client:
        assert client.post("/api/v1/substations").status_code == 405
        assert client.delete("/api/v1/equipment").status_code == 405
        assert client.post("/api/v1/nothing").status_code == 404


def test_keys_never_reach_logs_or_bodies(keyed, capsys):
    with keyed() as client:
        responses = [
            client.post("/api/v1/equipment", json=NEW_UNIT, headers={"Authorization": f"Bearer {API_KEY}"}),
            client.post("/api/v1/equipment", json=NEW_UNIT, headers={"X-API-Key": OTHER_KEY + "x"}),
            client.post("/api/v1/equipment", json={"bad": 1}, headers={"X-API-Key": OTHER_KEY}),
        ]
    output = capsys.readouterr()
    for secret in (API_KEY, OTHER_KEY, hashlib.sha256(OTHER_KEY.encode()).hexdigest()):
        assert secret not in output.out + output.err
        assert all(secret not in r.text for r in responses)
        assert secret not in repr(config.settings())


def test_every_configured_digest_is_compared_even_after_a_match(keyed, monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    with keyed() as client:
        assert client.post("/api/v1/equipment", json=NEW_UNIT, headers={"X-API-Key": API_KEY}).status_code == 201
    assert len(calls) == 2, "the first key matched, and the second was compared all the same"


@pytest.mark.parametrize(
    "entry,fragment",
    [
        ("k3y-Zq9", "entry 1 is shorter than 16 characters"),
        (f"{API_KEY},sha256:abc", "entry 2 must be sha256: followed by 64 hex digits"),
        ("sha256:" + "g" * 64, "entry 1 must be sha256:"),
    ],
)
def test_bad_key_configuration_fails_at_start_without_echoing_the_entry(settings_env, entry, fragment):
    settings_env(SEDA_API_KEYS=entry)
    with pytest.raises(RuntimeError, match=fragment) as failure:
        config.settings()
    assert entry.split(",")[-1] not in str(failure.value)


def test_the_read_switch_accepts_only_booleans(settings_env):
    settings_env(SEDA_REQUIRE_KEYS_FOR_READS="sometimes")
    with pytest.raises(RuntimeError, match="SEDA_REQUIRE_KEYS_FOR_READS must be true or false"):
        config.settings()
