"""The dashboard target's server side: the page, its files, zones.json, its CSP and settings (HTTP only).

What the page does in a browser is tested in tests/test_dashboard_*browser*.py and siblings.
"""

import html.parser
import json
import pathlib
import re

import functions_framework
import pytest
from starlette.testclient import TestClient

from functions import dashboard
from shared import config, dga
from shared.dga import zones
from conftest import MAIN
from test_dga_engine import _inside

PAGE = "/api/v1/dashboard"
STATIC = pathlib.Path(__file__).resolve().parent.parent / "functions" / "static" / "dashboard"


class _Hooks(html.parser.HTMLParser):
    """The attributes of the page's <html>, <body>, stylesheets and scripts."""

    def __init__(self):
        super().__init__()
        self.tags = {}
        self.stylesheets, self.scripts, self.preloads = [], [], []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        self.tags.setdefault(tag, attributes)
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])
        if tag == "link" and attributes.get("rel") == "modulepreload":
            self.preloads.append(attributes["href"])
        if tag == "script":
            self.scripts.append(attributes)


def _hooks(response):
    parser = _Hooks()
    parser.feed(response.text)
    return parser


def _policy(response):
    """The CSP as {directive: [sources]}."""
    directives = [part.split() for part in response.headers["content-security-policy"].split(";")]
    return {words[0]: words[1:] for words in directives if words}


def test_the_page_loads_only_its_own_files_under_a_policy_without_inline_code(client):
    response = client.get(PAGE)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    hooks = _hooks(response)
    assert hooks.scripts == [{"type": "module", "src": f"{PAGE}/app.js"}], "one module script, no inline one"
    assert all(href.startswith(f"{PAGE}/") for href in hooks.stylesheets)
    assert "<style" not in response.text and " style=" not in response.text
    policy = _policy(response)
    assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"], "no 'unsafe-inline' for styles either"
    assert policy["connect-src"] == ["'self'"] and policy["frame-ancestors"] == ["'self'"]
    assert policy["img-src"] == ["'self'"], "the icon; no data: URL is used"
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    first_view = dashboard.static_imports()
    assert hooks.preloads == [f"{PAGE}/{name}" for name in first_view], "app.js's modules fetched at once"
    assert {"fleet.js", "i18n.js", "dom.js"} <= set(first_view) and "unit.js" not in first_view, (
        "the unit view's modules load when it is opened, not with every page")
    assert hooks.tags["link"] == {"rel": "icon", "href": f"{PAGE}/icon.svg", "type": "image/svg+xml"}
    for path in (f"{PAGE}/app.js", *hooks.stylesheets):
        if (STATIC / path.rsplit("/", 1)[1]).exists():
            assert client.get(path).status_code == 200


@pytest.mark.parametrize(("accept_language", "expected"), [
    (None, "en"),
    ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
    ("en-US,en;q=0.9,ko;q=0.8", "en"),
    ("fr-FR,fr;q=0.9,ko;q=0.5", "ko"),  # the best of the two it offers, not the first tag
    ("ko;q=0.2, en;q=0.3", "en"),
    ("ko;q=0, de", "en"),  # q=0 means "not this one"
    ("de, fr", "en"),
    ("garbage;;;q=x,,", "en"),
    ("ko;q=high, en;q=0.1", "en"),  # a malformed weight drops its entry, not the header
    ("ko;Q=0.9, en;q=0.8", "ko"),  # parameter names ignore case
    ("en;q=1.5, ko;q=0.9", "ko"),  # no weight is above 1: the entry says nothing usable
])
def test_the_language_follows_accept_language_when_none_is_asked_for(client, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get(PAGE, headers=headers)
    hooks = _hooks(response)
    assert hooks.tags["html"]["lang"] == expected == hooks.tags["body"]["data-lang"]
    assert response.headers["vary"] == "Accept-Language"


def test_lang_and_embed_in_the_query_win_and_say_so_on_the_body(client):
    hooks = _hooks(client.get(f"{PAGE}?lang=ko&embed=1", headers={"Accept-Language": "en"}))
    assert hooks.tags["html"]["lang"] == "ko" and hooks.tags["title"] is not None
    assert hooks.tags["body"]["data-embed"] == "true"
    assert _hooks(client.get(f"{PAGE}?embed=0")).tags["body"]["data-embed"] == "false"


@pytest.mark.parametrize(("query", "named"), [("lang=fr", "'lang'"), ("embed=yes", "'embed'"), ("view=unit", "view")])
def test_a_bad_query_is_a_json_400_naming_what_is_accepted(client, query, named):
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "InvalidParameters" and named in body["message"] and body["request_id"]


def test_every_module_imports_only_modules_that_are_served():
    for name in (name for name in dashboard.FILES if name.endswith(".js")):
        missing = set(dashboard.static_imports(name)) - set(dashboard.FILES)
        assert not missing, f"{name} imports {missing}, which the dashboard does not serve"


def test_every_file_in_the_folder_is_served_with_its_media_type_and_revalidates_by_etag(client):
    media_types = {".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml"}
    served = [path for path in sorted(STATIC.iterdir()) if path.suffix in media_types]
    assert served, "the dashboard's modules are in functions/static/dashboard/"
    for path in served:
        response = client.get(f"{PAGE}/{path.name}")
        assert response.status_code == 200, path.name
        assert response.headers["content-type"].startswith(media_types[path.suffix])
        assert response.content == path.read_bytes()
        assert response.headers["cache-control"] == "no-cache"
        again = client.get(f"{PAGE}/{path.name}", headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert client.get(f"{PAGE}/missing.js").status_code == 404
    assert client.get(f"{PAGE}/..%2Fdashboard.py").status_code == 404, "only the listed files, never a path"


def test_the_page_itself_revalidates_by_etag_and_changes_with_its_language(client):
    first = client.get(f"{PAGE}?lang=en")
    assert client.get(f"{PAGE}?lang=en", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert client.get(f"{PAGE}?lang=ko").headers["etag"] != first.headers["etag"]


def test_zones_json_is_the_engines_outlines_in_the_coordinates_of_its_points(client):
    response = client.get(f"{PAGE}/zones.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {"engine_version": dga.ENGINE_VERSION, **json.loads(json.dumps(zones.outlines()))}
    declared = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["DuvalZones"]
    assert set(declared["properties"]) == set(body), "the document names every method the file holds"
    triangle = body["duval_triangle_1"]
    assert triangle["corners"] == {"ch4": [50.0, 86.603], "c2h4": [100.0, 0.0], "c2h2": [0.0, 0.0]}
    assert set(triangle["zones"]) == {"PD", "T1", "T2", "T3", "DT", "D1", "D2"}
    assert len(body["duval_triangle_5"]["zones"]["O"]) == 2, "Triangle 5's O is two areas"
    assert set(body["duval_pentagon_1"]["zones"]) == set(dga.DUVAL_PENTAGON_1_POLYGONS)
    # A sample's point lies inside the outline of the zone the engine put it in.
    verdict = dga.diagnose({"h2": 10, "ch4": 30, "c2h6": 5, "c2h4": 60, "c2h2": 1, "co": 300, "co2": 3000,
                            "o2": 2000, "n2": 50000})
    method = verdict["methods"]["duval_triangle_1"]
    (area,) = triangle["zones"][method["result"]]
    assert _inside((method["point"]["x"], method["point"]["y"]), area)


def test_frame_ancestors_and_the_api_url_shape_the_policy_and_the_pages_hooks(client, settings_env):
    settings_env(SEDA_FRAME_ANCESTORS="https://portal.kepco.example https://*.kepco.example 'self'",
                 SEDA_DASHBOARD_API_URL="https://seda-api.kepco.example:8443/seda/")
    response = client.get(PAGE)
    policy = _policy(response)
    assert policy["frame-ancestors"] == ["https://portal.kepco.example", "https://*.kepco.example", "'self'"]
    assert policy["connect-src"] == ["'self'", "https://seda-api.kepco.example:8443"]
    body = _hooks(response).tags["body"]
    assert body["data-api-base"] == "https://seda-api.kepco.example:8443/seda"
    assert body["data-frame-ancestors"] == "https://portal.kepco.example https://*.kepco.example 'self'"
    settings_env(SEDA_FRAME_ANCESTORS="'none'")
    assert _policy(client.get(PAGE))["frame-ancestors"] == ["'none'"]
    settings_env(SEDA_FRAME_ANCESTORS="http://portal https://*.kepco.co.kr:8443")  # an intranet host; subdomains on a port
    assert _policy(client.get(PAGE))["frame-ancestors"] == ["http://portal", "https://*.kepco.co.kr:8443"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SEDA_FRAME_ANCESTORS", "*", "SEDA_FRAME_ANCESTORS takes"),
    ("SEDA_FRAME_ANCESTORS", "'self' 'none'", "SEDA_FRAME_ANCESTORS takes"),
    ("SEDA_FRAME_ANCESTORS", "https://portal.example; script-src *", "SEDA_FRAME_ANCESTORS takes"),
    ("SEDA_FRAME_ANCESTORS", "javascript:alert(1)", "SEDA_FRAME_ANCESTORS takes"),
    ("SEDA_FRAME_ANCESTORS", "https://*.com", "SEDA_FRAME_ANCESTORS takes"),  # every .com site could frame it
    ("SEDA_FRAME_ANCESTORS", "https:", "SEDA_FRAME_ANCESTORS takes"),
    ("SEDA_DASHBOARD_API_URL", "https://seda-api.example/api/v1", "the URL before /api/v1"),
    ("SEDA_DASHBOARD_API_URL", "seda-api.example", "SEDA_DASHBOARD_API_URL must look like"),
    ("SEDA_DASHBOARD_API_URL", "https://seda-api.example/?x=1", "SEDA_DASHBOARD_API_URL must look like"),
    ("SEDA_DASHBOARD_API_URL", "https://user:pw@seda-api.example", "SEDA_DASHBOARD_API_URL must look like"),
])
def test_a_setting_that_would_break_the_policy_stops_start_up(settings_env, name, value, message):
    settings_env(**{name: value})
    with pytest.raises(RuntimeError, match=message):
        config.settings()


def test_the_dashboard_is_a_target_of_its_own_and_public_when_reads_need_a_key(settings_env):
    settings_env(SEDA_REQUIRE_KEYS_FOR_READS="true", SEDA_API_KEYS="reader@read=" + "r" * 32)
    with TestClient(functions_framework.create_app("dashboard", MAIN), raise_server_exceptions=False) as alone:
        assert alone.get(PAGE).status_code == 200, "the page asks the operator for the key itself"
        assert alone.get(f"{PAGE}/zones.json").status_code == 200
        assert alone.get(f"{PAGE}/dom.js").headers["cache-control"] == "no-cache", "its files hold no secret"
        assert alone.get("/api/v1/diagnoses").status_code == 404, "the target serves the dashboard only"


def test_the_pages_files_spend_no_rate_limit_budget_while_the_page_and_data_do(client, settings_env):
    declared = client.get("/api/v1/openapi.json").json()["paths"]
    assert "never limited" in json.dumps(declared[f"{PAGE}/dom.js"]["get"])
    assert "never limited" not in json.dumps(declared[PAGE]["get"])
    settings_env(SEDA_RATE_LIMIT_BURST="3", SEDA_RATE_LIMIT_PER_MINUTE="18")
    for _ in range(10):
        for name in ("dom.js", "zones.json"):
            response = client.get(f"{PAGE}/{name}")
            assert response.status_code == 200 and "ratelimit" not in response.headers
    assert client.get("/api/v1/docs/initializer.js").status_code == 200, "the reference page's files neither"
    assert [client.get(PAGE).status_code for _ in range(4)] == [200, 200, 200, 429], "the page itself counts"


def test_the_unit_views_copy_of_the_engines_actions_is_the_engines():
    """The page translates an action only when it is one of the engine's texts; a drifted copy would fall back to
    English unnoticed."""
    source = (STATIC / "unit_strings.js").read_text()
    block = source[source.index("export const ACTIONS_IN_ENGLISH = {"):]
    block = block[: block.index("};")]
    copied = dict(re.findall(r'^\s*(\w+): "((?:[^"\\]|\\.)*)",$', block, re.M))
    assert copied == dict(zip(dga.SEVERITIES, dga.ACTIONS))
