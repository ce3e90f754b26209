"""Scoped API keys: the `SEDA_API_KEYS` syntax, which scope each operation needs, and 403 when a key lacks it."""

import hashlib
import sys

import pytest

from conftest import make_client, run_server_expecting_refusal, table_snapshot
from shared import auth, config, keys

# Each key holds every scope but one, so each operation can be tried with a key lacking just its scope.
NO_ADMIN = "no-admin-key-0123456789abcdef"
NO_INGEST = "no-ingest-key-0123456789abcde"
NO_READ = "no-read-key-0123456789abcdefg"
SCOPED_KEYS = (
    f"lab-kepco@read+ingest={NO_ADMIN},"
    f"ops@read+admin=sha256:{hashlib.sha256(NO_INGEST.encode()).hexdigest()},"
    f"robot@ingest+admin={NO_READ}"
)
KEY_LACKING = {"admin": NO_ADMIN, "ingest": NO_INGEST, "read": NO_READ}
KEY_ID = {NO_ADMIN: "lab-kepco", NO_INGEST: "ops", NO_READ: "robot"}
HOLDING = {"admin": NO_INGEST, "ingest": NO_ADMIN, "read": NO_ADMIN}
LEGACY_KEY = "legacy-key-0123456789abcdefgh"
LEGACY_DIGEST_KEY = "legacy-digest-key-0123456789ab"

UNIT = {"substation_id": 1, "name": "T-scope", "kind": "shunt_reactor", "oil_preservation": "sealed", "status": "standby"}
SAMPLE = {"equipment_id": 1, "sampled_at": "2031-03-01T00:00:00Z", "h2": 5}
ANY_VERSION = {"If-Match": "*"}

# (method, path, request options, the scope it needs, its route as the 403 names it, its success status)
WRITES = [
    ("POST", "/api/v1/equipment", {"json": UNIT}, "admin", "POST /api/v1/equipment", 201),
    ("PUT", "/api/v1/equipment/1", {"json": UNIT, "headers": ANY_VERSION}, "admin", "PUT /api/v1/equipment/<id>", 200),
    ("PATCH", "/api/v1/equipment/1", {"json": {"status": "retired"}, "headers": ANY_VERSION}, "admin",
     "PATCH /api/v1/equipment/<id>", 200),
    ("DELETE", "/api/v1/equipment/1?cascade=true", {"headers": ANY_VERSION}, "admin", "DELETE /api/v1/equipment/<id>", 204),
    ("POST", "/api/v1/measurements", {"json": [SAMPLE]}, "ingest", "POST /api/v1/measurements", 200),
    ("POST", "/api/v1/measurements", {"content": "equipment_id,sampled_at,h2\n1,2031-03-01,5\n",
                                      "headers": {"Content-Type": "text/csv"}}, "ingest", "POST /api/v1/measurements", 200),
    ("DELETE", "/api/v1/measurements/1", {}, "admin", "DELETE /api/v1/measurements/<id>", 204),
]
WRITE_IDS = ["post-equipment", "put-equipment", "patch-equipment", "delete-equipment", "post-measurements-json",
             "post-measurements-csv", "delete-measurement"]
# Reads when SEDA_REQUIRE_KEYS_FOR_READS=true, and POST /diagnoses, which only computes.
READS = [
    ("GET", "/api/v1/equipment", {}, "GET /api/v1/equipment"),
    ("HEAD", "/api/v1/measurements/1", {}, "HEAD /api/v1/measurements/<id>"),
    ("GET", "/api/v1/diagnoses/1", {}, "GET /api/v1/diagnoses/<id>"),
    ("POST", "/api/v1/diagnoses", {"json": {"h2": 50, "ch4": 10, "c2h6": 5, "c2h4": 2, "c2h2": 0, "co": 300, "co2": 2000}},
     "POST /api/v1/diagnoses"),
]


@pytest.fixture
def keyed(settings_env):
    """Apply settings (the scoped keys by default) and return a client without credentials."""

    def apply(**environment):
        settings_env(**{"SEDA_API_KEYS": SCOPED_KEYS, **environment})
        return make_client("api")

    return apply


def _send(client, method, path, options, key):
    """One request with `key` as its bearer token."""
    headers = {**options.get("headers", {}), "Authorization": f"Bearer {key}"}
    return client.request(method, path, **{**options, "headers": headers})


def _assert_forbidden(response, scope, operation, key):
    """403 Forbidden naming the scope and the operation, and no key but the caller's own id."""
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == "Forbidden" and body["status"] == 403 and body["request_id"]
    assert f"'{scope}'" in body["message"] and operation in body["message"]
    assert f"'{KEY_ID[key]}'" in body["message"]
    for other in set(KEY_ID) - {key}:
        assert f"'{KEY_ID[other]}'" not in body["message"]
    for secret in (NO_ADMIN, NO_INGEST, NO_READ, hashlib.sha256(NO_INGEST.encode()).hexdigest()):
        assert secret not in response.text
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize("method, path, options, scope, operation, success", WRITES, ids=WRITE_IDS)
def test_a_write_with_a_key_lacking_its_scope_is_403_and_writes_nothing(
    keyed, demo_db, method, path, options, scope, operation, success
):
    before = table_snapshot(demo_db)
    with keyed() as client:
        _assert_forbidden(_send(client, method, path, options, KEY_LACKING[scope]), scope, operation, KEY_LACKING[scope])
        assert table_snapshot(demo_db) == before
        assert _send(client, method, path, options, HOLDING[scope]).status_code == success
    assert table_snapshot(demo_db) != before


@pytest.mark.parametrize("method, path, options, operation", READS, ids=[r[3] for r in READS])
def test_reads_need_the_read_scope_only_when_reads_need_keys(keyed, method, path, options, operation):
    with keyed(SEDA_REQUIRE_KEYS_FOR_READS="true") as client:
        forbidden = _send(client, method, path, options, NO_READ)
        assert forbidden.status_code == 403
        if method != "HEAD":
            _assert_forbidden(forbidden, "read", operation, NO_READ)
        assert _send(client, method, path, options, NO_ADMIN).status_code == 200
        assert client.request(method, path, **options).status_code == 401
    with keyed() as client:
        assert _send(client, method, path, options, NO_READ).status_code == 200
        assert client.request(method, path, **options).status_code == 200


def test_health_probes_and_preflights_need_no_key_whatever_the_scopes(keyed):
    with keyed(SEDA_REQUIRE_KEYS_FOR_READS="true") as client:
        assert client.get("/api/v1/health/live").status_code == 200
        assert client.get("/api/v1/health", headers={"Authorization": f"Bearer {NO_READ}"}).status_code == 200
        assert client.options("/api/v1/audit", headers={"Access-Control-Request-Method": "GET"}).status_code == 204


def test_a_wrong_key_is_still_401_before_any_scope_is_considered(keyed):
    with keyed() as client:
        response = _send(client, "DELETE", "/api/v1/measurements/1", {}, NO_ADMIN + "x")
    assert response.status_code == 401 and response.json()["error"] == "Unauthorized"


@pytest.mark.parametrize("entry", [LEGACY_KEY, f"sha256:{hashlib.sha256(LEGACY_KEY.encode()).hexdigest()}"],
                         ids=["plain", "digest"])
def test_entries_in_the_format_before_scopes_keep_every_right(keyed, entry):
    with keyed(SEDA_API_KEYS=f"{SCOPED_KEYS},{entry}", SEDA_REQUIRE_KEYS_FOR_READS="true") as client:
        for method, path, options, _ in READS:
            assert _send(client, method, path, options, LEGACY_KEY).status_code == 200, (method, path)
        for method, path, options, _, _, success in (WRITES[index] for index in (1, 2, 4, 5, 6, 3, 0)):
            assert _send(client, method, path, options, LEGACY_KEY).status_code == success, (method, path)
        trail = _send(client, "GET", "/api/v1/audit", {}, LEGACY_KEY)
    assert trail.status_code == 200
    assert {entry["key_id"] for entry in trail.json()} == {"key-4"}


def test_legacy_entries_get_their_position_as_key_id_and_every_scope(settings_env):
    digest = hashlib.sha256(LEGACY_DIGEST_KEY.encode()).hexdigest()
    settings_env(SEDA_API_KEYS=f" {LEGACY_KEY} ,,lab@ingest={NO_ADMIN},sha256:{digest.upper()}")
    configured = config.settings().api_keys
    assert [(k.key_id, k.scopes) for k in configured] == [
        ("key-1", frozenset(keys.SCOPES)), ("lab", {"ingest"}), ("key-3", frozenset(keys.SCOPES)),
    ]
    assert configured[2].digest == hashlib.sha256(LEGACY_DIGEST_KEY.encode()).digest()
    assert LEGACY_KEY not in repr(configured) and digest not in repr(configured).upper()


@pytest.mark.parametrize(
    "entries, message",
    [
        (f"{LEGACY_KEY},-lab@read={NO_ADMIN}", "entry 2 has a malformed key id"),
        (f"@read={NO_ADMIN}", "entry 1 has a malformed key id"),
        (f"lab kepco@read={NO_ADMIN}", "entry 1 has a malformed key id"),
        (f"{'x' * 65}@read={NO_ADMIN}", "entry 1 has a malformed key id"),
        (f"{LEGACY_KEY},{NO_INGEST},key-7@read={NO_ADMIN}", "entry 3 has a key id of the form key-<number>"),
        (f"lab@reader={NO_ADMIN}", "entry 1 names an unknown or empty scope"),
        (f"lab@read+={NO_ADMIN}", "entry 1 names an unknown or empty scope"),
        (f"lab@={NO_ADMIN}", "entry 1 names an unknown or empty scope"),
        (f"lab@READ={NO_ADMIN}", "entry 1 names an unknown or empty scope"),
        (f"lab@@read={NO_ADMIN}", "entry 1 names an unknown or empty scope"),
        (f"{LEGACY_KEY},lab@read=short-key", "entry 2 is shorter than 16 characters"),
        ("lab@read=sha256:abc", "entry 1 must be sha256: followed by 64 hex digits"),
        (f"lab@read={NO_ADMIN},lab@admin={NO_INGEST}", "entries 1 and 2 have the same key id"),
        (f"{LEGACY_KEY},lab@read={NO_ADMIN},ops@admin={NO_ADMIN}", "entries 2 and 3 hold the same key"),
        (f"{LEGACY_KEY},lab@read=sha256:{hashlib.sha256(LEGACY_KEY.encode()).hexdigest()}",
         "entries 1 and 2 hold the same key"),
    ],
)
def test_a_malformed_entry_stops_start_up_naming_its_position_not_its_text(settings_env, entries, message):
    settings_env(SEDA_API_KEYS=entries)
    with pytest.raises(RuntimeError, match=message) as failure:
        config.settings()
    for secret in (NO_ADMIN, NO_INGEST, LEGACY_KEY, "short-key", "lab kepco", "reader"):
        assert secret not in str(failure.value)


def test_the_served_api_refuses_to_start_on_a_malformed_entry(demo_db):
    process = run_server_expecting_refusal(SEDA_SQLITE_PATH=str(demo_db), SEDA_API_KEYS=f"{LEGACY_KEY},lab@rread={NO_ADMIN}")
    assert process.returncode != 0
    assert "SEDA_API_KEYS entry 2 names an unknown or empty scope" in process.stderr
    assert NO_ADMIN not in process.stderr and "rread" not in process.stderr


def _operations():
    """Every (resource, method, handler) the API routes."""
    import main

    for resource, entry_point in main.HANDLERS.items():
        module = sys.modules[entry_point.__module__]  # a path segment is not always a module name (openapi.json)
        tables = [getattr(module, "COLLECTION", {}), getattr(module, "ITEM", {}), *getattr(module, "PARTS", {}).values()]
        for table in tables:
            for method, handler in table.items():
                yield resource, method, handler


def test_every_operation_declares_its_scope_where_it_is_defined():
    needs = {(resource, method, auth.required_scope(method, handler)) for resource, method, handler in _operations()}
    writes = {(resource, method, scope) for resource, method, scope in needs
              if scope[1] and resource not in ("audit", "metrics")}
    assert writes == {
        ("equipment", "POST", ("admin", True)), ("equipment", "PUT", ("admin", True)),
        ("equipment", "PATCH", ("admin", True)), ("equipment", "DELETE", ("admin", True)),
        ("measurements", "POST", ("ingest", True)), ("measurements", "DELETE", ("admin", True)),
        ("diagnose-pending", "POST", ("admin", True)),
        ("inspections", "POST", ("ingest", True)), ("inspections", "PUT", ("ingest", True)),
        ("inspections", "PATCH", ("ingest", True)), ("inspections", "DELETE", ("admin", True)),
    }
    assert {scope for resource, _, scope in needs if resource == "audit"} == {("admin", True)}
    assert {scope for resource, _, scope in needs if resource == "metrics"} == {("metrics", True)}
    assert {scope for resource, _, scope in needs if resource == "health"} == {(None, False)}
    assert ("diagnoses", "POST", ("read", False)) in needs
    for resource, method, handler in _operations():
        if method not in ("GET", "HEAD") and not getattr(handler, "changes_nothing", False):
            assert hasattr(handler, "scope"), f"{method} {resource} declares no scope with @auth.requires"


def test_an_undeclared_write_fails_closed_and_unknown_scopes_are_refused():
    async def undeclared(request):
        """A write handler that forgot its declaration."""

    assert auth.required_scope("POST", undeclared) == ("admin", True)
    with pytest.raises(ValueError, match="unknown scope 'write'"):
        auth.requires("write")
