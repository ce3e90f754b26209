"""Safety and caching headers on every response, and no server software named by the real server."""

import urllib.request

import pytest

from conftest import API_KEY, kill_server, make_client, start_server, wait_for

EVERY_KIND = [
    ("GET", "/api/v1/equipment", None),
    ("GET", "/api/v1/equipment/1", None),
    ("GET", "/api/v1/equipment/999999", None),
    ("GET", "/api/v1/nowhere", None),
    ("POST", "/api/v1/equipment", {}),
    ("OPTIONS", "/api/v1/equipment", None),
    ("GET", "/api/v1/health/live", None),
]


@pytest.mark.parametrize("method,path,body", EVERY_KIND)
def test_every_response_says_nosniff_and_no_referrer(client, method, path, body):
    response = client.request(method, path, json=body)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers


def test_public_reads_revalidate_and_items_with_their_etag(client):
    item = client.get("/api/v1/equipment/1")
    assert item.headers["cache-control"] == "no-cache" and item.headers["etag"]
    unchanged = client.get("/api/v1/equipment/1", headers={"If-None-Match": item.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.headers["cache-control"] == "no-cache"
    assert client.get("/api/v1/measurements?limit=2").headers["cache-control"] == "no-cache"


def test_errors_changes_and_probes_are_never_stored(writer):
    assert writer.get("/api/v1/equipment/999999").headers["cache-control"] == "no-store"
    created = writer.post("/api/v1/equipment", json={
        "substation_id": 1, "name": "T-cache", "kind": "power_transformer", "oil_preservation": "sealed",
        "status": "in_service",
    })
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    for path in ("/api/v1/health", "/api/v1/health/live", "/api/v1/health/ready"):
        assert writer.get(path).headers["cache-control"] == "no-store", path


def test_keyed_reads_are_never_stored(settings_env):
    settings_env(SEDA_API_KEYS=API_KEY, SEDA_REQUIRE_KEYS_FOR_READS="true")
    with make_client("api") as client:
        response = client.get("/api/v1/equipment/1", headers={"Authorization": f"Bearer {API_KEY}"})
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"


def test_a_key_sent_on_a_public_read_makes_it_unstored(client):
    response = client.get("/api/v1/equipment/1", headers={"X-API-Key": API_KEY})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"


def test_the_real_server_names_no_server_software(demo_db, free_port):
    process = start_server("api", demo_db, free_port)
    try:
        wait_for(f"http://127.0.0.1:{free_port}/api/v1/health/live", process)
        with urllib.request.urlopen(f"http://127.0.0.1:{free_port}/api/v1/equipment/1", timeout=30) as response:
            assert response.status == 200
            assert response.headers.get("Server") is None
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        kill_server(process)
