"""`dashboard` — the operators' page the utility's portal embeds: GET /api/v1/dashboard.

One HTML page (`?lang=ko|en`, default from `Accept-Language`; `?embed=1` drops its own header
for an iframe) whose scripts draw the fleet, unit and scorecard views from the JSON API; which
view and filters are shown lives in the URL fragment, which never reaches the server. Every
file the page loads is served below /api/v1/dashboard/: the ES modules and stylesheets in
`functions/static/dashboard/` (the folder is listed once per process: a file added there is
served and declared in the OpenAPI document), and `zones.json`, the Duval zone outlines built
from the engine's own constants (`shared/dga/zones.py`). Nothing comes from the internet.

The page's Content-Security-Policy allows scripts and styles from this service only (no inline
code at all), data from this service and from `SEDA_DASHBOARD_API_URL`, and framing by
`SEDA_FRAME_ANCESTORS`. Needs no API key and no database: when reads need a key, the page asks
the operator for one.
"""

import functools
import html
import pathlib
import re

import functions_framework.aio

from shared import auth, config, http, jsonio, openapi, static_files, validation

_STATIC = pathlib.Path(__file__).resolve().parent / "static" / "dashboard"
_BASE = f"{http.API_PREFIX}/dashboard"
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json"}
_ZONES = "zones.json"
LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "en"  # when Accept-Language names neither
_TITLES = {"ko": "SEDA 변압기 유중가스 진단", "en": "SEDA transformer gas diagnosis"}
_NO_SCRIPT = {"ko": "이 페이지는 JavaScript가 필요합니다. 브라우저에서 JavaScript를 켜 주십시오.",
              "en": "This page needs JavaScript; please turn it on in your browser."}
_QUERY = {
    "lang": validation.choice(LANGUAGES, "The page's language; without it, the best of Accept-Language."),
    "embed": validation.choice(("0", "1"), "1: inside the portal's iframe, without the page's own header."),
}
_GRAPHICAL_METHODS = ("duval_triangle_1", "duval_triangle_4", "duval_triangle_5", "duval_pentagon_1", "duval_pentagon_2")
_POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
_POLYGON = {"type": "array", "items": _POINT, "minItems": 3}
_OUTLINE = {
    "type": "object",
    "properties": {
        "gases": {"type": "array", "items": {"type": "string"}},
        "corners": {"type": "object", "additionalProperties": _POINT},
        "zones": {"type": "object", "additionalProperties": {"type": "array", "items": _POLYGON, "minItems": 1}},
    },
    "required": ["gases", "corners", "zones"],
}
_ZONES_SCHEMA = {
    "title": "DuvalZones",
    "type": "object",
    "description": "Each graphical method's zones (every zone a list of areas, each a polygon of [x, y]) in the "
                   "coordinates of its `point` in a verdict, and its gases' corners.",
    "properties": {"engine_version": {"type": "string"},
                   **{method: _OUTLINE for method in _GRAPHICAL_METHODS}},
    "required": ["engine_version", *_GRAPHICAL_METHODS],
}


def _files():
    """The folder's servable files: name → (path, media type)."""
    return {path.name: (path, _MEDIA_TYPES[path.suffix]) for path in sorted(_STATIC.iterdir())
            if path.suffix in _MEDIA_TYPES and path.name != _ZONES}


def content_security_policy():
    """The page's policy: own scripts and styles only, data from here and the API, framing by SEDA_FRAME_ANCESTORS."""
    dashboard = config.settings().dashboard
    connect = f"'self' {dashboard.api_origin}" if dashboard.api_origin else "'self'"
    return (f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src {connect}; "
            f"base-uri 'none'; form-action 'none'; frame-ancestors {' '.join(dashboard.frame_ancestors)}")


# RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals; parameter names ignore case.
_WEIGHT = re.compile(r"^q=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$", re.IGNORECASE)


def negotiated_language(accept_language):
    """The page language `Accept-Language` prefers (RFC 9110 §12.5.4: highest q, then order), else the default."""
    best, best_weight = DEFAULT_LANGUAGE, 0.0
    for entry in (accept_language or "").split(","):
        tag, *parameters = [part.strip() for part in entry.split(";")]
        given = [parameter for parameter in parameters if parameter[:2].lower() == "q="]
        matches = [_WEIGHT.match(parameter) for parameter in given]
        if not all(matches):
            continue  # a weight that is no weight: the entry says nothing usable
        weight = float(matches[0].group(1)) if matches else 1.0
        language = tag.lower().split("-")[0]
        if language in LANGUAGES and weight > best_weight:
            best, best_weight = language, weight
    return best


# `import … from "./x.js"` and `import "./x.js"` at the start of a line: a module's static imports (never `import()`).
_STATIC_IMPORT = re.compile(r'^import\s(?:[^;"]*?\sfrom\s)?"\./([\w.-]+\.js)";?$', re.MULTILINE)


def static_imports(entry="app.js"):
    """The modules `entry` needs before it runs (its static imports, transitively), in a stable order; the ones it
    imports on demand (the unit view's) are left for when they are asked for."""
    needed, waiting = [], [entry]
    while waiting:
        name = waiting.pop(0)
        for imported in _STATIC_IMPORT.findall(static_files.read(FILES[name][0]).decode()):
            if imported not in needed and imported != entry:
                needed.append(imported)
                waiting.append(imported)
    return sorted(needed)


@functools.cache
def _module_preloads(base):
    """A modulepreload link per module app.js needs, so the browser fetches them at once, not import after import."""
    return "\n".join(f'<link rel="modulepreload" href="{base}/{name}">' for name in static_imports())


def _page_html(language, embedded, prefix):
    """The page: a mount point, its settings as data attributes (no inline script), the stylesheets and the app.

    `prefix` is the path clients call before /api/v1 (an API Gateway stage such as /Prod, `http.public_prefix`):
    the page's files and, unless SEDA_DASHBOARD_API_URL says otherwise, its API calls go below it too.
    """
    dashboard = config.settings().dashboard
    base = f"{prefix}{_BASE}"
    attributes = {
        "data-api-base": dashboard.api_url or prefix,
        "data-lang": language,
        "data-embed": "true" if embedded else "false",
        "data-frame-ancestors": " ".join(dashboard.frame_ancestors),
        "data-asset-base": base,
    }
    body_attributes = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(_TITLES[language])}</title>
<link rel="icon" href="{base}/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{base}/dashboard.css">
<link rel="stylesheet" href="{base}/unit.css">
<script type="module" src="{base}/app.js"></script>
{_module_preloads(base)}
</head>
<body {body_attributes}>
<div id="app"></div>
<noscript><p>{html.escape(_NO_SCRIPT[language])}</p></noscript>
</body>
</html>
""".encode()


@auth.public
@openapi.operation(
    openapi.answer(openapi.TEXT, "The dashboard page; its views are chosen by the URL fragment (`#/fleet?…`, "
                   "`#/unit/<id>`, `#/scorecard`).", media_type="text/html",
                   headers={"Content-Security-Policy": True, "ETag": True}, not_modified=True),
    query=_QUERY, database=False,
)
async def _page(request):
    """The page in the asked or negotiated language, embedded or not."""
    values = validation.parse_query(request.query_params, _QUERY)
    language = values.get("lang") or negotiated_language(request.headers.get("accept-language"))
    page = _page_html(language, values.get("embed") == "1", http.public_prefix(request))
    return http.tagged_bytes(request, page, "text/html", {"Content-Security-Policy": content_security_policy(),
                                                          "Cache-Control": static_files.CACHE_CONTROL,
                                                          "Vary": "Accept-Language"})


@functools.cache
def _zones_bytes():
    """zones.json, built on first request: the engine (and NumPy) stays out of the page's cold start."""
    from shared import dga
    from shared.dga import zones

    return jsonio.dumps({"engine_version": dga.ENGINE_VERSION, **zones.outlines()})


FILES = _files()
COLLECTION = {"GET": _page}
PARTS = {
    **{name: static_files.methods(name, media_type, functools.partial(static_files.read, path),
                                  summary=f"The dashboard's {name}")
       for name, (path, media_type) in FILES.items()},
    _ZONES: static_files.methods(_ZONES, "application/json", _zones_bytes, summary="The Duval zone outlines",
                                 schema=_ZONES_SCHEMA),
}


@functions_framework.aio.http
async def dashboard(request):
    """HTTP entry point of the dashboard page and its files."""
    return await http.serve(request, "dashboard", COLLECTION, parts=PARTS)
