"""Secrets never leave the process: not in any response (body or header) nor in any line a server writes.

A real server is configured with an Oracle password and API keys (plain and as a `sha256:`
digest, unnamed and named with scopes) and driven through every endpoint: successes on SQLite
(the Oracle settings present all the same), client errors, 403s for missing scopes, and Oracle
outages and timeouts against dead loopback peers. Then its whole stdout and stderr, every
response and every stored row (the audit trail's included) are searched for the password,
every key (and a wrong key a client presented), and each one's SHA-256 digest in hex and
base64; the key ids, which are meant to be seen, are found where they belong.
"""

import base64
import concurrent.futures
import dataclasses
import hashlib
import http.client
import json

import pytest

from conftest import kill_server, start_server, table_snapshot

PASSWORD = "Oracle-pw-7f3a9c1e-only-in-the-environment"
KEY = "writer-key-4b1d8e2f0a9c7b6d5e"
SPARE_KEY = "spare-key-9e8d7c6b5a49382716"
DIGEST_KEY = "digest-key-1a2b3c4d5e6f7a8b9c"  # configured only as its digest
WRONG_KEY = "wrong-key-0000111122223333444"
LAB_KEY = "lab-key-5c6d7e8f9a0b1c2d3e4f"  # named, ingest only, configured as its digest
ADMIN_KEY = "admin-key-6d7e8f9a0b1c2d3e4f5a"  # named, admin and read
SECRETS = (PASSWORD, KEY, SPARE_KEY, DIGEST_KEY, WRONG_KEY, LAB_KEY, ADMIN_KEY)
# The ids of the keys the successes use: key-<position> for unnamed entries, the given name otherwise.
KEY_IDS = ("key-1", "key-3", "lab-kepco")

UNIT = {
    "substation_id": 2, "name": "T-secret-test", "kind": "power_transformer", "manufacturer": "Hyosung",
    "rated_mva": 100.0, "voltage_kv": 154, "year_manufactured": 2020, "oil_preservation": "sealed",
    "status": "in_service",
}
GASES = {"h2": 500, "ch4": 120, "c2h6": 30, "c2h4": 80, "c2h2": 40, "co": 300, "co2": 2000}
SAMPLE = {"equipment_id": 1, "sampled_at": "2031-06-01T00:00:00Z", **GASES}


def _digest(secret):
    """The SHA-256 digest of a secret."""
    return hashlib.sha256(secret.encode()).digest()


def _environment(**overrides):
    """The secrets configured as a deployment would, plus the scenario's settings."""
    return {
        "ORACLE_USER": "seda",
        "ORACLE_PASSWORD": PASSWORD,
        "SEDA_API_KEYS": f"{KEY},{SPARE_KEY},sha256:{_digest(DIGEST_KEY).hex()},"
                         f"lab-kepco@ingest=sha256:{_digest(LAB_KEY).hex()},ops@admin+read={ADMIN_KEY}",
        "ORACLE_POOL_TIMEOUT_S": "1",
        "SEDA_STATEMENT_TIMEOUT_S": "1",
        "SEDA_BODY_TIMEOUT_S": "1",
        **overrides,
    }


def _leaks(text):
    """Every form of a secret found in `text`: itself or its digest's hex (any case), its digest in base64."""
    found = [s for s in SECRETS if s.lower() in text.lower()]
    for secret in SECRETS:
        digest = _digest(secret)
        if digest.hex() in text.lower():
            found.append(f"hex sha256 of {secret}")
        for encoded in (base64.b64encode(digest), base64.urlsafe_b64encode(digest)):
            if encoded.decode().rstrip("=") in text:
                found.append(f"base64 sha256 of {secret}")
    return found


@dataclasses.dataclass
class _Response:
    """What a server answered, whole."""

    status: int
    headers: list
    body: bytes

    def header(self, name):
        """One header's value."""
        return next(value for key, value in self.headers if key.lower() == name.lower())

    def json(self):
        """The body as JSON."""
        return json.loads(self.body)

    def text(self):
        """Headers and body, for searching."""
        return "\n".join(f"{key}: {value}" for key, value in self.headers) + "\n" + self.body.decode(errors="replace")


class _Client:
    """Talks HTTP to the server on `port` and keeps every response."""

    def __init__(self, port):
        self.port = port
        self.responses = []

    def send(self, method, path, body=None, key=KEY, **headers):
        """Send one request (a `body` that is not bytes goes as JSON; `key=None` sends none)."""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if body is not None and not isinstance(body, bytes):
            body, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, f"/api/v1/{path}", body=body, headers=headers)
            answer = connection.getresponse()
            response = _Response(answer.status, answer.getheaders(), answer.read())
        finally:
            connection.close()
        self.responses.append(response)
        return response

    def expect(self, status, method, path, body=None, **headers):
        """Send one request and check its status."""
        response = self.send(method, path, body, **headers)
        assert response.status == status, (method, path, response.status, response.body[:300])
        return response


def _serve(demo_db, port, tmp_path, drive, **environment):
    """Run `drive(client)` against a real server with the secrets configured; every response and line written."""
    output = tmp_path / "stdout.log"
    with output.open("w") as stdout:
        server = start_server("api", demo_db, port, stdout=stdout, **_environment(**environment))
    client = _Client(port)
    try:
        drive(client)
    finally:
        kill_server(server)
    return client.responses, output.read_text() + server.stderr.read().decode(errors="replace")


def _assert_nothing_leaked(responses, written):
    """No secret in any response or any line the server wrote."""
    assert written.strip(), "the server wrote no log lines at all: nothing was checked"
    for response in responses:
        assert not _leaks(response.text()), (response.status, _leaks(response.text()))
    assert not _leaks(written), _leaks(written)


def _successes_and_client_errors(client):
    """Every endpoint and method once as it should be used, then the client errors around them."""
    for path in ("application", "substations", "substations/1", "equipment", "equipment/1", "measurements?limit=2",
                 "diagnoses?limit=2", "diagnoses/1", "health"):
        client.expect(200, "GET", path)
    client.expect(204, "OPTIONS", "equipment", key=None, Origin="https://example.org")
    created = client.expect(201, "POST", "equipment", UNIT).json()
    unit = f"equipment/{created['id']}"
    etag = client.expect(200, "GET", unit).header("ETag")
    etag = client.expect(200, "PUT", unit, {**UNIT, "status": "standby"}, **{"If-Match": etag}).header("ETag")
    etag = client.expect(200, "PATCH", unit, {"status": "retired"}, **{"If-Match": etag}).header("ETag")
    client.expect(412, "PUT", unit, UNIT, **{"If-Match": '"stale"'})
    client.expect(428, "PATCH", unit, {"status": "standby"})
    client.expect(204, "DELETE", unit, **{"If-Match": etag})
    client.expect(200, "POST", "measurements", [SAMPLE], key=DIGEST_KEY)
    stored = client.expect(200, "GET", "measurements?equipment_id=1&from=2031-06-01&to=2031-06-01").json()
    client.expect(200, "GET", f"measurements/{stored[0]['id']}")
    client.expect(204, "DELETE", f"measurements/{stored[0]['id']}")
    client.expect(200, "POST", "diagnoses", GASES)
    client.expect(200, "POST", "measurements", [{**SAMPLE, "sampled_at": "2031-07-01"}], key=LAB_KEY)
    client.expect(403, "DELETE", "measurements/1", key=LAB_KEY)
    client.expect(403, "GET", "audit", key=LAB_KEY)
    client.expect(401, "GET", "audit", key=None)
    trail = client.expect(200, "GET", "audit", key=ADMIN_KEY).body.decode()
    assert all(f'"key_id":"{key_id}"' in trail for key_id in KEY_IDS), trail
    client.expect(200, "GET", "audit/1", key=ADMIN_KEY)
    client.expect(200, "GET", "audit?key_id=lab-kepco", key=ADMIN_KEY)
    client.expect(401, "POST", "equipment", UNIT, key=WRONG_KEY)
    client.expect(401, "DELETE", "measurements/1", key=None, **{"X-API-Key": WRONG_KEY})
    client.expect(401, "PATCH", "equipment/1", {"status": "standby"}, key=None)
    for path in ("equipment?limit=many", "equipment/one", "measurements?from=yesterday"):
        client.expect(400, "GET", path)
    client.expect(400, "POST", "measurements", [{"equipment_id": "one"}])
    client.expect(400, "POST", "equipment", b"{not json", **{"Content-Type": "application/json"})
    client.expect(400, "POST", "diagnoses", {"h2": -1})
    for path in ("equipment/999999", "substations/999999", "measurements/999999", "nothing-here"):
        client.expect(404, "GET", path)
    client.expect(405, "DELETE", "application")


def test_successes_and_client_errors_reveal_no_secret(demo_db, free_port, tmp_path, misbehaving_listener):
    oracle = misbehaving_listener("refuse")
    responses, written = _serve(
        demo_db, free_port, tmp_path, _successes_and_client_errors,
        SEDA_DATABASE="sqlite", ORACLE_DSN=f"127.0.0.1:{oracle.port}/FREEPDB1",
    )
    _assert_nothing_leaked(responses, written)
    stored = table_snapshot(demo_db)
    assert not _leaks(repr(stored)), _leaks(repr(stored))
    assert all(f"'{key_id}'" in repr(stored["audit_log"]) for key_id in KEY_IDS)


# Every endpoint and method, as a client with a valid key would send it; all but POST /diagnoses need the database.
EVERY_ENDPOINT = [
    ("GET", "application", None), ("GET", "substations", None), ("GET", "substations/1", None),
    ("GET", "equipment", None), ("GET", "equipment/1", None), ("POST", "equipment", UNIT),
    ("PUT", "equipment/1", UNIT), ("PATCH", "equipment/1", {"status": "standby"}), ("DELETE", "equipment/1", None),
    ("GET", "measurements", None), ("GET", "measurements/1", None), ("POST", "measurements", [SAMPLE]),
    ("DELETE", "measurements/1", None), ("GET", "diagnoses", None), ("GET", "diagnoses/1", None),
    ("GET", "health", None), ("GET", "audit", None), ("GET", "audit/1", None),
]


@pytest.mark.parametrize(
    "peer, statuses",
    [
        pytest.param("refuse", {503}, id="refused-port"),
        pytest.param("close", {503}, id="listener-closing-connections"),
        pytest.param("hang", {503, 504}, id="listener-never-answering"),
    ],
)
def test_oracle_outages_and_timeouts_reveal_no_secret(
    demo_db, free_port, tmp_path, misbehaving_listener, peer, statuses
):
    def every_endpoint_at_once(client):
        """Every endpoint concurrently (each waits out the short timeouts), plus a wrong key and a stateless POST."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(EVERY_ENDPOINT)) as pool:
            answers = list(pool.map(lambda spec: client.send(*spec, **{"If-Match": "*"}), EVERY_ENDPOINT))
        unexpected = [
            (method, path, answer.status)
            for (method, path, _), answer in zip(EVERY_ENDPOINT, answers)
            if answer.status not in statuses
        ]
        assert not unexpected
        assert all(answer.json()["error"] in ("DatabaseUnavailable", "DatabaseTimeout") for answer in answers)
        client.expect(401, "POST", "measurements", [SAMPLE], key=WRONG_KEY)
        client.expect(200, "POST", "diagnoses", GASES)

    oracle = misbehaving_listener(peer)
    responses, written = _serve(
        demo_db, free_port, tmp_path, every_endpoint_at_once,
        SEDA_DATABASE="oracle", ORACLE_DSN=f"127.0.0.1:{oracle.port}/FREEPDB1",
    )
    _assert_nothing_leaked(responses, written)
