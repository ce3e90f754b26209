"""Deployment shapes: each resource alone as its own target, the `api` router, and a real server."""

import pytest

from conftest import API_KEY, kill_server, make_client, start_server, wait_for

RESOURCES = ["application", "substations", "equipment", "measurements", "diagnoses", "health"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_resource_is_its_own_target_at_root_and_under_the_api_prefix(demo_db, resource):
    with make_client(resource) as client:
        at_root = client.get("/")
        under_prefix = client.get(f"/api/v1/{resource}")
        assert at_root.status_code == under_prefix.status_code == 200
        assert at_root.json() == under_prefix.json() or resource == "health"
        assert at_root.headers["content-type"] == "application/json"


@pytest.mark.parametrize("resource", ["substations", "equipment", "measurements", "diagnoses"])
def test_standalone_target_serves_items_below_either_root(demo_db, resource):
    with make_client(resource) as client:
        by_root = client.get("/1")
        by_prefix = client.get(f"/api/v1/{resource}/1")
        assert by_root.status_code == 200 and by_root.json() == by_prefix.json()
        assert 1 in (by_root.json().get("id"), by_root.json().get("equipment", {}).get("id"))


def test_standalone_target_does_not_serve_other_resources(demo_db):
    with make_client("equipment") as client:
        response = client.get("/api/v1/substations")
        assert response.status_code == 404
        assert response.json()["error"] == "NotFound"


def test_api_router_reaches_every_handler(client):
    for resource in RESOURCES:
        assert client.get(f"/api/v1/{resource}").status_code == 200, resource
    assert client.get("/api/v2/equipment").status_code == 404
    assert client.get("/api/v1").status_code == 404


def test_main_reexports_every_handler_under_its_target_name():
    import main

    for resource in RESOURCES:
        assert getattr(main, resource).__name__ == resource
        assert main.HANDLERS[resource] is getattr(main, resource)


@pytest.mark.parametrize("target,path", [("api", "/api/v1/application"), ("application", "/")])
def test_real_server_on_loopback(demo_db, free_port, target, path):
    process = start_server(target, demo_db, free_port)
    try:
        status, headers, body = wait_for(f"http://127.0.0.1:{free_port}{path}", process)
        assert status == 200
        assert body == b'[{"hello":"Oracle"}]'
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Request-ID"]
        status, _, body = wait_for(f"http://127.0.0.1:{free_port}/api/v1/equipment/zzz", process)
        assert status in (400, 404)
    finally:
        kill_server(process)


def test_bad_settings_stop_the_app_at_start_up(demo_db, settings_env):
    settings_env(SEDA_MAX_PAGE_SIZE="lots")
    with pytest.raises(RuntimeError, match="SEDA_MAX_PAGE_SIZE must be an integer"):
        make_client("api")


def test_the_diagnose_pending_target_serves_its_path_at_root_and_under_the_api_prefix(demo_db, settings_env):
    import main

    assert main.HANDLERS["diagnose-pending"] is main.diagnose_pending
    settings_env(SEDA_API_KEYS=API_KEY)
    with make_client("diagnose_pending") as client:
        client.headers["Authorization"] = f"Bearer {API_KEY}"
        at_root = client.post("/")
        under_prefix = client.post("/api/v1/diagnose-pending")
        assert at_root.status_code == under_prefix.status_code == 200
        assert at_root.json()["done"] is under_prefix.json()["done"] is True
        assert client.get("/api/v1/diagnose-pending").status_code == 405
        assert client.post("/api/v1/diagnose_pending").status_code == 404
