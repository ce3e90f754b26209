"""The contract: the OpenAPI document says exactly what the service routes and accepts, and the reference page.

The document is read as clients read it, from GET /api/v1/openapi.json, and compared with
what the service does: the paths and methods `api` answers, the query parameters each
handler accepts (from its own error message listing them), the bounds the settings set. How
real answers conform to it, status by status and header by header, is schemathesis's part
(tests/test_openapi_fuzz.py).
"""

import json
import re
import sys

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from conftest import API_KEY, ROOT, make_client
from contract import error_body
from shared import http

_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_ACCEPTED = re.compile(r"Accepted parameters: (.*)\.$")


def _document(client):
    """The served document."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()


def _routed():
    """(path, method) of everything `api` routes, walked from main.HANDLERS and each module's method tables."""
    import main

    routed = set()
    for resource, handler in main.HANDLERS.items():
        module = sys.modules[handler.__module__]
        base = f"{http.API_PREFIX}/{resource}"
        tables = {base: module.COLLECTION, **{f"{base}/{part}": table for part, table in getattr(module, "PARTS",
                                                                                               {}).items()}}
        if getattr(module, "ITEM", None):
            tables[f"{base}/{{id}}"] = module.ITEM
        routed |= {(path, method) for path, table in tables.items() for method in http.allowed_methods(table)}
    return routed


def _operations(document):
    """(path, METHOD, operation) of every documented operation."""
    return [(path, method.upper(), operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in _HTTP_METHODS]


def test_every_routed_operation_is_documented_and_every_documented_one_is_routed(client):
    document = _document(client)
    documented = {(path, method) for path, method, _ in _operations(document)}
    assert documented == _routed()
    # And `api` really answers each documented path with the documented methods.
    for path, item in document["paths"].items():
        response = client.options(path.replace("{id}", "1"))
        assert response.status_code == 204, path
        allowed = set(response.headers["allow"].split(", "))
        assert allowed == {method.upper() for method in item if method in _HTTP_METHODS}, path
    error_body(client.get("/api/v1/docs/unknown.js"), 404, "NotFound")


def test_the_document_is_valid_openapi_3_1(client):
    document = _document(client)
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))


def test_each_operation_documents_exactly_the_query_parameters_its_handler_accepts(writer):
    document = _document(writer)
    for path, method, operation in _operations(document):
        if method in ("OPTIONS", "HEAD"):
            continue  # OPTIONS ignores the query; HEAD is GET's
        documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        response = writer.request(method, f"{path.replace('{id}', '1')}?not_a_parameter=1", content=b"{}",
                                  headers={"Content-Type": "application/json", "If-Match": "*"})
        message = error_body(response, 400, "InvalidParameters")["message"]
        accepted = _ACCEPTED.search(message).group(1)
        assert documented == (set() if accepted == "none" else set(accepted.split(", "))), f"{method} {path}"


def test_bounds_and_keys_follow_the_settings_in_force(settings_env):
    settings_env(SEDA_MAX_PAGE_SIZE="7", SEDA_DEFAULT_PAGE_SIZE="3", SEDA_MAX_BATCH_ROWS="5",
                 SEDA_REQUIRE_KEYS_FOR_READS="true", SEDA_API_KEYS=API_KEY)
    with make_client("api") as client:
        response = client.get("/api/v1/openapi.json")  # the document itself needs no key
        document = response.json()
    listing = document["paths"]["/api/v1/equipment"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 7, 3)
    assert listing["security"] and "401" in listing["responses"]
    batch = document["paths"]["/api/v1/measurements"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch["maxItems"] == 5
    live = document["paths"]["/api/v1/health/live"]["get"]
    assert live["security"] == [] and "401" not in live["responses"]


def test_bodies_and_rows_are_described_by_the_field_tables(client):
    from functions import equipment

    document = _document(client)
    schemas = document["components"]["schemas"]
    new = schemas["NewEquipment"]
    assert set(new["properties"]) == set(equipment.FIELDS)
    assert set(new["required"]) == {name for name, field in equipment.FIELDS.items() if field.required}
    assert new["properties"]["year_manufactured"]["minimum"] == 1900
    assert new["properties"]["kind"]["enum"] == list(equipment.FIELDS["kind"].choices)
    row = client.get("/api/v1/equipment/1").json()
    assert set(schemas["Equipment"]["required"]) == set(row)


def test_the_insulating_liquid_is_documented_where_it_is_read_and_written(client):
    from shared.schema import INSULATING_LIQUIDS

    schemas = _document(client)["components"]["schemas"]
    for title in ("NewEquipment", "EquipmentReplacement", "EquipmentChanges", "Equipment", "DgaSample"):
        liquid = schemas[title]["properties"]["insulating_liquid"]
        assert liquid["enum"] == [*INSULATING_LIQUIDS, None], title
        assert "one of mineral, natural_ester, synthetic_ester, silicone" in liquid["description"].lower(), title
    equipment_liquid = schemas["NewEquipment"]["properties"]["insulating_liquid"]
    assert equipment_liquid["default"] == "mineral" and "null or absent: mineral" in equipment_liquid["description"]
    assert "insulating_liquid" not in schemas["NewEquipment"]["required"]
    assert "insulating_liquid" in schemas["DiagnosedUnit"]["properties"]


def test_every_error_status_is_the_one_error_body_with_the_names_it_can_carry(client):
    document = _document(client)
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            headers = response["headers"]
            assert "X-Request-ID" in headers, f"{method} {path} {status}"
            if method == "HEAD":
                assert "content" not in response
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema["allOf"] == [{"$ref": "#/components/schemas/Error"}]
            assert schema["properties"]["status"] == {"const": int(status)}
            assert schema["properties"]["error"]["enum"], f"{method} {path} {status}"
    unavailable = document["paths"]["/api/v1/equipment"]["get"]["responses"]["503"]
    assert "Retry-After" in unavailable["headers"]
    assert "WWW-Authenticate" in document["paths"]["/api/v1/equipment"]["post"]["responses"]["401"]["headers"]


def test_links_lead_from_created_equipment_and_posted_measurements_to_their_reads(client):
    document = _document(client)
    created = document["paths"]["/api/v1/equipment"]["post"]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in created.values()}
    assert targets == {"equipment_get", "equipment_replace", "equipment_patch", "equipment_delete"}
    assert created["equipment_delete"]["parameters"] == {"path.id": "$response.body#/id",
                                                         "header.If-Match": "$response.header.ETag"}
    written = document["paths"]["/api/v1/measurements"]["post"]["responses"]["200"]["links"]["written"]
    assert written["operationId"] == "measurements_list"


def test_the_standalone_openapi_target_serves_the_same_document(client, demo_db):
    with make_client("openapi") as alone:
        response = alone.get("/")
    assert response.status_code == 200
    assert response.json() == _document(client)


def test_the_reference_page_loads_only_files_the_service_serves(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    html = page.text
    assert "http://" not in html and "https://" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="' in attributes for attributes in scripts)  # no inline script
    assert re.search(r'data-openapi-url="/api/v1/openapi.json"', html)
    vendored = ROOT / "functions" / "static" / "swagger-ui"
    files = re.findall(r'(?:src|href)="(/api/v1/docs/[^"]+)"', html)
    assert sorted(files) == ["/api/v1/docs/initializer.js", "/api/v1/docs/swagger-ui-bundle.js",
                             "/api/v1/docs/swagger-ui.css"]
    for url in files:
        response = client.get(url)
        assert response.status_code == 200, url
        name = url.rsplit("/", 1)[1]
        source = vendored / name if name.startswith("swagger-ui") else ROOT / "functions" / "static" / name
        assert response.content == source.read_bytes()
        assert response.headers["content-type"].split(";")[0] == ("text/css" if name.endswith(".css")
                                                                 else "text/javascript")
    assert "validatorUrl: null" in client.get("/api/v1/docs/initializer.js").text  # no outside validator
    package = json.loads((vendored / "package.json").read_text())
    assert package["name"] == "swagger-ui-dist" and (vendored / "LICENSE").exists()


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json", "/api/v1/docs/swagger-ui.css"])
def test_the_contract_needs_no_key_even_when_reads_do(settings_env, path):
    settings_env(SEDA_REQUIRE_KEYS_FOR_READS="true", SEDA_API_KEYS=API_KEY)
    with make_client("api") as client:
        assert client.get(path).status_code == 200


def test_every_body_example_is_a_request_the_service_accepts(writer):
    document = _document(writer)
    created = {}  # collection path -> the id its example created, for the item operations' examples
    for path, method, operation in _operations(document):
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            if "example" not in content:
                continue
            example = content["example"]
            body = example.encode() if isinstance(example, str) else json.dumps(example).encode()
            url = path.replace("{id}", str(created.get(path.removesuffix("/{id}"), 1)))
            response = writer.request(method, url, content=body, headers={"Content-Type": media_type, "If-Match": "*"})
            assert response.status_code < 300, f"{method} {path} {media_type}: {response.text}"
            if response.status_code == 201:
                created[path] = response.json()["id"]
    assert created, "the POST /equipment example created a unit"


def test_operations_exempt_from_limits_document_no_429(client):
    document = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/health", "/api/v1/health/live", "/api/v1/health/ready"):
        assert "429" not in document["paths"][path]["get"]["responses"], path
    assert "429" in document["paths"]["/api/v1/equipment"]["get"]["responses"]


@pytest.mark.parametrize("path,url", [
    ("/api/v1/diagnoses", "/api/v1/diagnoses?format={format}"),
    ("/api/v1/diagnoses/{id}", "/api/v1/diagnoses/3?history=true&format={format}"),
    ("/api/v1/measurements", "/api/v1/measurements?format={format}&equipment_id=3"),
])
def test_every_export_is_served_as_a_media_type_its_answer_declares_with_its_download_header(client, path, url):
    declared = _document(client)["paths"][path]["get"]["responses"]["200"]
    assert "Content-Disposition" in declared["headers"]
    for chosen in ("ndjson", "csv"):
        response = client.get(url.format(format=chosen))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] in declared["content"], chosen
        assert response.headers["content-disposition"].startswith("attachment")
