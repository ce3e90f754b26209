"""The AWS Lambda adapter (`lambda_function.py`) with real event payloads: API Gateway REST (v1), HTTP API
(v2) and a Lambda Function URL, each from `tests/fixtures/lambda/` (where each came from is in the file).

Each request is put into its payload the way that service fills it — the path the client called, the
stage taken off or kept, repeated headers and query parameters in multi-value maps or joined with
commas, a binary body base64-encoded — and answered by Mangum around the app functions-framework builds,
on the test's SQLite database. The links the answers carry are followed by putting them back into an event.
"""

import asyncio
import base64
import json
import re
import subprocess
import sys
import types
import urllib.parse

import pytest

import lambda_function
from conftest import API_KEY, ROOT, service_free_environment, table_snapshot
from test_writes_equipment import UNIT

FIXTURES = ROOT / "tests" / "fixtures" / "lambda"
# The payload kinds: (fixture, the prefix a client's URL has before /api/v1 — the REST stage, the HTTP API's named stage).
KINDS = {"rest_v1": "/Prod", "http_v2": "/dev", "function_url": ""}
CONTEXT = types.SimpleNamespace(function_name="seda-api", aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
KOREAN_LAB = "한전 전력연구원"


def _payload(kind):
    """The fixture event of `kind`, without its note on where it came from."""
    event = json.loads((FIXTURES / f"{kind}.json").read_text(encoding="utf-8"))
    event.pop("_source")
    return event


def event(kind, method, url, headers=(), body=b"", base64_encoded=False):
    """The `kind` event of a request for `url` (the path the client called, with its query), as the service fills it.

    `headers` is a list of (name, value) pairs; a name may repeat.
    """
    event = _payload(kind)
    called = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(called.query, keep_blank_values=True)
    body_text = base64.b64encode(body).decode() if base64_encoded else body.decode()
    if kind == "rest_v1":
        _fill_rest(event, method, called.path, query, headers)
    else:
        _fill_v2(event, method, called.path, called.query, query, headers)
    event.update(body=body_text, isBase64Encoded=base64_encoded)
    return event


def _fill_rest(event, method, path, query, headers):
    """A REST API event: the stage off `path` and kept in requestContext.path; multi-value headers and query."""
    stage = f"/{event['requestContext']['stage']}"
    event.update(httpMethod=method, path=path.removeprefix(stage))
    event["requestContext"].update(httpMethod=method, path=path)
    for name, value in headers:
        event["multiValueHeaders"].setdefault(name, []).append(value)
        event["headers"][name] = value  # the single-value map holds the last one
    multi = {}
    for name, value in query:
        multi.setdefault(name, []).append(value)
    event["multiValueQueryStringParameters"] = multi or None
    event["queryStringParameters"] = {name: values[-1] for name, values in multi.items()} or None


def _fill_v2(event, method, path, raw_query, query, headers):
    """A payload 2.0 event: the path as called, the raw query, repeated headers and parameters joined with commas."""
    event.update(rawPath=path, rawQueryString=raw_query)
    event["requestContext"]["http"].update(method=method, path=path)
    for name, value in headers:
        known = event["headers"].get(name.lower())
        event["headers"][name.lower()] = value if known is None else f"{known},{value}"
    joined = {}
    for name, value in query:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    event["queryStringParameters"] = joined


def answer(response):
    """(status, {lowercase header: value}, body bytes) of a Lambda response (multi-value headers joined)."""
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    body = response.get("body", "")
    content = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    return response["statusCode"], headers, content


def _host(kind):
    """The host the fixture's client called."""
    return {name.lower(): value for name, value in _payload(kind)["headers"].items()}["host"]


@pytest.fixture
def invoke(settings_env):
    """Send an event to a fresh adapter of a target (`api` unless named) on the test's database: its answer."""
    settings_env(SEDA_API_KEYS=API_KEY)
    loop = asyncio.new_event_loop()  # the one Mangum runs every event on, as on a Lambda instance
    asyncio.set_event_loop(loop)
    adapters = {}

    def send(lambda_event, target="api"):
        if target not in adapters:
            adapters[target] = lambda_function.build(target)
        return answer(adapters[target](lambda_event, CONTEXT))

    yield send
    asyncio.set_event_loop(None)
    loop.close()


def _called(url, kind):
    """The path and query of an absolute URL a response gave, checked to be on the fixture's host."""
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", _host(kind)), url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.mark.parametrize("kind", KINDS)
def test_a_get_with_query_and_multi_value_headers_pages_through_links_that_keep_the_stage(invoke, kind):
    prefix = KINDS[kind]
    # Two Accept lines: joined, they prefer CSV (the first alone would answer JSON).
    accept = [("Accept", "application/json;q=0.5"), ("Accept", "text/csv")]
    status, headers, body = invoke(event(kind, "GET", f"{prefix}/api/v1/measurements?equipment_id=1&limit=2", accept))
    assert status == 200, body
    assert headers["content-type"].startswith("text/csv")
    lines = body.decode().splitlines()
    assert lines[0].startswith("id,equipment_id,sampled_at,h2") and len(lines) == 3
    link = headers["link"]
    next_url = link.removeprefix("<").removesuffix('>; rel="next"')
    assert next_url.startswith(f"https://{_host(kind)}{prefix}/api/v1/measurements?equipment_id=1&limit=2&cursor="), link
    status, _, second = invoke(event(kind, "GET", _called(next_url, kind), accept))
    assert status == 200
    second_lines = second.decode().splitlines()
    assert second_lines[0] == lines[0] and len(second_lines) == 3
    assert not set(second_lines[1:]) & set(lines[1:]), "the next page goes on where the first ended"


@pytest.mark.parametrize("kind", KINDS)
def test_a_post_json_with_an_api_key_answers_a_location_that_routes(invoke, kind, sql):
    prefix = KINDS[kind]
    unit = {**UNIT, "name": f"T-{kind}"}
    headers = [("Content-Type", "application/json"), ("Authorization", f"Bearer {API_KEY}")]
    status, answered, body = invoke(event(kind, "POST", f"{prefix}/api/v1/equipment", headers, json.dumps(unit).encode()))
    assert status == 201, body
    created = json.loads(body)
    assert answered["location"] == f"https://{_host(kind)}{prefix}/api/v1/equipment/{created['id']}"
    assert sql("SELECT name, substation_id FROM equipment WHERE id = ?", (created["id"],)) == [(f"T-{kind}", 2)]
    status, again, read = invoke(event(kind, "GET", _called(answered["location"], kind)))
    assert status == 200 and json.loads(read) == created and again["etag"] == answered["etag"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_base64_encoded_csv_upload_with_korean_text_is_stored(invoke, kind, sql):
    text = f"equipment_id,sampled_at,h2,c2h2,lab\n3,2031-05-01T09:00:00+09:00,12.5,0.4,{KOREAN_LAB}\n3,2031-05-02,13,,{KOREAN_LAB}\n"
    headers = [("Content-Type", "text/csv; charset=utf-8"), ("X-API-Key", API_KEY)]
    request = event(kind, "POST", f"{KINDS[kind]}/api/v1/measurements", headers, text.encode(), base64_encoded=True)
    status, _, body = invoke(request)
    assert status == 200, body
    assert json.loads(body) == {"received": 2, "inserted": 2, "updated": 0}
    stored = sql("SELECT sampled_at, h2, c2h2, lab FROM dga_sample WHERE equipment_id = 3 AND sampled_at >= '2031-05-01' "
                 "ORDER BY sampled_at")
    assert [(row[1], row[2], row[3]) for row in stored] == [(12.5, 0.4, KOREAN_LAB), (13.0, None, KOREAN_LAB)]
    assert stored[0][0].startswith("2031-05-01 00:00:00")  # 09:00 in Korea is midnight UTC


def _error(status_headers_body, status, name):
    """The JSON error body of an answer, checked: status, error name, message and the request id of its header."""
    answered_status, headers, body = status_headers_body
    assert answered_status == status, body
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)
    assert (error["status"], error["error"]) == (status, name)
    assert error["request_id"] == headers["x-request-id"] and error["message"]
    return error, headers


@pytest.mark.parametrize("kind", KINDS)
def test_401_404_and_405_are_the_json_error_body_with_the_request_id(invoke, kind, demo_db):
    prefix = KINDS[kind]
    before = table_snapshot(demo_db)
    body = json.dumps({**UNIT, "name": "T-unauthorized"}).encode()
    wrong_key = [("Content-Type", "application/json"), ("X-API-Key", "not-the-key-0123456789")]
    error, headers = _error(invoke(event(kind, "POST", f"{prefix}/api/v1/equipment", wrong_key, body)), 401, "Unauthorized")
    assert "www-authenticate" in headers
    error, _ = _error(invoke(event(kind, "GET", f"{prefix}/api/v1/transformers")), 404, "NotFound")
    assert error["message"].startswith("No resource at /api/v1/transformers;")
    error, headers = _error(invoke(event(kind, "PUT", f"{prefix}/api/v1/measurements", wrong_key, b"[]")), 405,
                            "MethodNotAllowed")
    assert headers["allow"] == "GET, POST, HEAD, OPTIONS" and "PUT" in error["message"]
    assert table_snapshot(demo_db) == before


def test_a_request_id_sent_by_the_client_is_kept(invoke):
    _, headers, _ = invoke(event("http_v2", "GET", "/dev/api/v1/health/live", [("X-Request-ID", "lambda-test-42")]))
    assert headers["x-request-id"] == "lambda-test-42"


def test_a_standalone_target_serves_its_resource_behind_the_stage(invoke):
    status, headers, body = invoke(event("rest_v1", "GET", "/Prod/api/v1/equipment?limit=1"), target="equipment")
    assert status == 200 and len(json.loads(body)) == 1
    assert headers["link"].startswith('<https://70ixmpl4fl.execute-api.us-east-2.amazonaws.com/Prod/api/v1/equipment?')


def test_the_openapi_document_names_the_stage_as_its_server(invoke):
    for kind, prefix in KINDS.items():
        status, _, body = invoke(event(kind, "GET", f"{prefix}/api/v1/openapi.json"))
        assert status == 200
        assert json.loads(body)["servers"] == [{"url": prefix or "/"}]


@pytest.mark.parametrize("kind", KINDS)
def test_the_pages_load_their_files_and_call_the_api_through_the_stage(invoke, kind):
    prefix = KINDS[kind]
    status, _, page = invoke(event(kind, "GET", f"{prefix}/api/v1/dashboard?lang=en"))
    assert status == 200
    page = page.decode()
    files = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert files and all(path.startswith(f"{prefix}/api/v1/dashboard/") for path in files), files
    assert f'data-api-base="{prefix}"' in page and f'data-asset-base="{prefix}/api/v1/dashboard"' in page
    for path in files:  # each one routes back to the service through the stage
        assert invoke(event(kind, "GET", path))[0] == 200, path
    status, _, docs = invoke(event(kind, "GET", f"{prefix}/api/v1/docs"))
    assert status == 200
    assert f'data-openapi-url="{prefix}/api/v1/openapi.json"' in docs.decode()
    assert all(path.startswith(f"{prefix}/api/v1/docs/") for path in re.findall(r'(?:href|src)="([^"]+)"',
                                                                                docs.decode()))


def test_public_url_with_a_prefix_routes_a_custom_domains_base_path(invoke, settings_env):
    settings_env(SEDA_API_KEYS=API_KEY, SEDA_PUBLIC_URL="https://api.kepco.example/seda/")
    # Through a custom domain whose base path `seda` maps to the stage: the REST API keeps the base path in both paths.
    request = event("rest_v1", "GET", "/seda/api/v1/equipment?limit=1")
    request["path"] = request["requestContext"]["path"]
    status, headers, _ = invoke(request)
    assert status == 200
    assert headers["link"] == '<https://api.kepco.example/seda/api/v1/equipment?limit=1&offset=1>; rel="next"'
    # The same function through its execute-api URL: the links still name the public URL.
    status, headers, body = invoke(event("rest_v1", "GET", "/Prod/api/v1/openapi.json"))
    assert json.loads(body)["servers"] == [{"url": "https://api.kepco.example/seda"}]


def test_public_url_with_a_prefix_also_prefixes_links_under_any_server(client, writer, settings_env):
    settings_env(SEDA_API_KEYS=API_KEY, SEDA_PUBLIC_URL="https://gw.kepco.example/seda")
    response = client.get("/api/v1/equipment?limit=1")
    assert response.headers["link"] == '<https://gw.kepco.example/seda/api/v1/equipment?limit=1&offset=1>; rel="next"'
    created = writer.post("/api/v1/equipment", json={**UNIT, "name": "T-prefixed"})
    assert created.headers["location"] == f"https://gw.kepco.example/seda/api/v1/equipment/{created.json()['id']}"


@pytest.mark.parametrize("value,fragment", [
    ("https://seda.example/api/v1", "the URL before /api/v1"),
    ("https://seda.example/base/api/v1/", "the URL before /api/v1"),
    ("https://seda.example/two words", "must look like https://seda.example.com[:port][/prefix]"),
    ("https://seda.example//double", "must look like"),
    ("https://seda.example/prefix?query=1", "must look like"),
])
def test_a_public_url_prefix_is_checked_at_start(settings_env, value, fragment):
    from shared import config

    settings_env(SEDA_PUBLIC_URL=value)
    with pytest.raises(RuntimeError, match="SEDA_PUBLIC_URL") as refused:
        config.settings()
    assert fragment in str(refused.value)


@pytest.mark.parametrize("called,stage,routed,prefix", [
    ("/Prod/api/v1/equipment", "Prod", "/api/v1/equipment", "/Prod"),  # REST API, execute-api host
    ("/api/v1/equipment", "Prod", "/api/v1/equipment", ""),  # REST API, custom domain mapped at its root
    ("/api/v1/equipment", "api", "/api/v1/equipment", ""),  # a stage named like the API's first segment
])
def test_a_rest_api_stage_is_taken_from_the_called_path(demo_db, called, stage, routed, prefix):
    rest = {"resource": "/{proxy+}", "path": routed, "requestContext": {"path": called, "stage": stage}}
    assert lambda_function.split_prefix(rest, routed) == (routed, prefix)


@pytest.mark.parametrize("raw_path,stage,routed,prefix", [
    ("/dev/api/v1/equipment/5", "dev", "/api/v1/equipment/5", "/dev"),
    ("/api/v1/equipment", "$default", "/api/v1/equipment", ""),
    ("/api/api/v1/equipment", "api", "/api/v1/equipment", "/api"),  # the stage segment, not the API's own
    ("/api/v1/equipment", "api", "/api/v1/equipment", ""),  # a custom domain mapped to stage `api`
])
def test_an_http_api_named_stage_is_taken_off_the_path(demo_db, raw_path, stage, routed, prefix):
    http_api = {"version": "2.0", "rawPath": raw_path, "requestContext": {"stage": stage}}
    assert lambda_function.split_prefix(http_api, raw_path) == (routed, prefix)


# Answers two REST API events (the fixture, for argv[1]'s path) in one fresh process through `lambda_handler`, as the
# Lambda runtime calls it, and reports what the second found of what the first left: the loop, the database, the
# SQLite session slots' loop, the adapter, and which heavy modules the process holds.
_WARM = f"""
import asyncio, json, sys
import lambda_function
from shared import db, lifecycle

event = json.load(open({str(FIXTURES / "rest_v1.json")!r}))
event.update(path=sys.argv[1])
event["requestContext"]["path"] = "/Prod" + sys.argv[1]
seen = []
for _ in range(2):
    response = lambda_function.lambda_handler(event, None)
    loop = asyncio.get_event_loop()
    seen.append({{"status": response["statusCode"], "loop": id(loop), "loop_closed": loop.is_closed(),
                  "database": id(db.database()), "slots_loop": id(db.database()._slots._loop),
                  "adapter": id(lambda_function._adapter("api" if len(sys.argv) < 3 else sys.argv[2])),
                  "in_flight": lifecycle.requests_in_flight()}})
heavy = ("numpy", "oracledb", "onnxruntime", "mangum")
print(json.dumps({{"seen": seen, "loaded": sorted(name for name in heavy if name in sys.modules)}}))
"""


def _warm_process(path, target=None, **settings):
    """The report of `_WARM` for `path`, run under FUNCTION_TARGET=`target` (unset: the default) with `settings`."""
    environment = service_free_environment(**settings)
    environment.pop("FUNCTION_TARGET", None)
    if target:
        environment["FUNCTION_TARGET"] = target
    result = subprocess.run([sys.executable, "-c", _WARM, path, *([target] if target else [])], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_warm_invocations_reuse_the_loop_the_database_and_the_adapter(demo_db):
    report = _warm_process("/api/v1/equipment/1", SEDA_SQLITE_PATH=str(demo_db), SEDA_RATE_LIMIT_PER_MINUTE="600")
    first, second = report["seen"]
    assert first["status"] == second["status"] == 200
    assert not second["loop_closed"] and second["loop"] == first["loop"] == first["slots_loop"] == second["slots_loop"]
    assert second["database"] == first["database"] and second["adapter"] == first["adapter"]
    assert first["in_flight"] == second["in_flight"] == 0
    assert report["loaded"] == ["mangum"], "the equipment route loads neither NumPy nor the Oracle driver"


def test_function_target_chooses_a_standalone_target(demo_db):
    report = _warm_process("/api/v1/equipment/1", "equipment", SEDA_SQLITE_PATH=str(demo_db))
    assert [seen["status"] for seen in report["seen"]] == [200, 200]
    report = _warm_process("/api/v1/equipment/1", "health", SEDA_SQLITE_PATH=str(demo_db))
    assert [seen["status"] for seen in report["seen"]] == [404, 404], "the health target does not serve equipment"



@pytest.mark.parametrize("url", ["/Prod/api/v1/measurements?equipment_id=1&format=ndjson",
                                 "/Prod/api/v1/dashboard/icon.svg", "/Prod/api/v1/equipment?limit=1"])
def test_text_answers_travel_as_text_not_base64(invoke, url):
    raw = lambda_function.build("api")(event("rest_v1", "GET", url), CONTEXT)
    assert raw["statusCode"] == 200, raw
    assert raw["isBase64Encoded"] is False
