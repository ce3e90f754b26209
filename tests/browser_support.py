"""Real-browser tests: Debian's Chromium driven by Playwright for Python, on pages of a real server on loopback.

Playwright is only the driver: it launches `/usr/bin/chromium` (Debian's package), never a
browser of its own download. Each launch gets a fresh profile (Playwright passes a new
`--user-data-dir` and removes it on close). Fixtures in `tests/conftest.py` build on these
helpers: `browser` (one per run), `live_server`, `start_live_server` and `dashboard` (a page
whose every request off loopback is aborted and recorded, with its console errors and CSP
violations collected).

Playwright's sync API keeps its event loop running in the test thread while a browser is
open, where `asyncio.run` then refuses to start: browser tests talk to the service over HTTP
only (`api_call`), never through the in-process `client`/`writer` fixtures, and conftest
runs them after every other test.
"""

import functools
import http.server
import json
import os
import pathlib
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = pathlib.Path("/usr/bin/chromium")
# Flags that work on these machines: no sandbox (root), no GPU, and nothing the browser would fetch on its own.
LAUNCH_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)
DASHBOARD = "/api/v1/dashboard"
PORTAL_FRAME = {"width": 1280, "height": 800}  # the utility's portal frame
CONTROL_ROOM = {"width": 1920, "height": 1080}  # a control-room screen
READY = '#app[data-ready="true"]'
GUARD_MS = 30_000  # against hangs only: a view that is not ready by then is broken
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"  # see VERSION beside it
BLOCKING_IMPACTS = ("serious", "critical")  # axe-core's impacts a page must not have
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ARTIFACTS = pathlib.Path(os.environ.get("SEDA_TEST_ARTIFACTS") or ROOT / "test-artifacts")

# Runs in every frame before the page's own scripts (the driver injects it; the page's CSP does not apply).
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.sedaReportCspViolation({directive: event.violatedDirective, blocked: event.blockedURI,
                                 source: event.sourceFile, line: event.lineNumber});
});
"""


class BrowserUnavailable(Exception):
    """No browser can be started here; the message says why and how to get one."""


@dataclass
class BrowserSession:
    """A running Playwright driver and the Chromium it launched."""

    playwright: object
    browser: object

    def stop(self):
        """Close the browser, then the driver."""
        self.browser.close()
        self.playwright.stop()


def start_browser():
    """Debian's Chromium under Playwright; BrowserUnavailable when it is not installed or does not start."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise BrowserUnavailable("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    if not CHROMIUM.exists():
        raise BrowserUnavailable(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(LAUNCH_ARGS))
    except Error as error:
        playwright.stop()
        raise BrowserUnavailable(f"{CHROMIUM} did not start: {str(error).splitlines()[0]}")
    return BrowserSession(playwright, browser)


@dataclass
class PageRecord:
    """What the pages of one browser context did that a test forbids: each list empty when all went well."""

    external_requests: list = field(default_factory=list)  # URLs off loopback (aborted)
    console_errors: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)  # uncaught exceptions
    csp_violations: list = field(default_factory=list)

    def problems(self):
        """The non-empty lists by name."""
        return {name: entries for name, entries in vars(self).items() if entries}


_RECORDS = weakref.WeakKeyDictionary()  # browser context → its PageRecord


def is_loopback(url):
    """True for a URL the browser may fetch in tests: loopback hosts, data: and about: documents."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("data", "about", "blob") or parts.hostname in LOOPBACK_HOSTS


def watch(context):
    """Abort and record every request of `context` off loopback; collect console errors, exceptions, CSP violations."""
    record = PageRecord()
    _RECORDS[context] = record

    def route(route):
        if is_loopback(route.request.url):
            route.continue_()
        else:
            record.external_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def on_page(page):
        page.on("console", lambda message: message.type == "error" and record.console_errors.append(
            f"{message.text} ({message.location.get('url')})"))
        page.on("pageerror", lambda error: record.page_errors.append(str(error)))

    context.route("**/*", route)
    context.expose_binding("sedaReportCspViolation",
                           lambda source, violation: record.csp_violations.append({**violation, "frame": source["frame"].url}))
    context.add_init_script(_REPORT_CSP_VIOLATIONS)
    context.on("page", on_page)
    return record


def record_of(page):
    """The PageRecord of the watched context `page` belongs to."""
    return _RECORDS[page.context]


def new_watched_page(browser, base_url, *, viewport=PORTAL_FRAME, **options):
    """A page in a fresh, watched context whose relative URLs resolve against `base_url`; options go to new_context."""
    context = browser.new_context(base_url=base_url, viewport=viewport, **options)
    watch(context)
    return context.new_page()


def dashboard_url(fragment="", lang=None, embed=None):
    """The dashboard's path with `?lang=`/`?embed=` and the view's `#fragment` (with or without its `#`)."""
    query = urllib.parse.urlencode({name: value for name, value in (("lang", lang), ("embed", embed)) if value is not None})
    fragment = fragment.lstrip("#")
    return DASHBOARD + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def view_of(fragment):
    """The view a fragment opens: `#/unit/11` → unit; the empty fragment → fleet."""
    return re.split(r"[/?]", fragment.lstrip("#/"), maxsplit=1)[0] or "fleet"


def open_page(page, url, ready_selector):
    """Load `url` as a new document (never a same-document fragment change) and wait for `ready_selector`.

    Returns the document's response (its status and headers, the CSP among them).
    """
    if urllib.parse.urljoin(page.url, url).split("#")[0] == page.url.split("#")[0]:
        page.goto("about:blank")  # a new document, so the old one's ready state cannot answer the wait
    response = page.goto(url, timeout=GUARD_MS)
    page.wait_for_selector(ready_selector, state="attached", timeout=GUARD_MS)
    return response


def open_view(page, fragment="", lang=None, embed=None):
    """Open a dashboard view (`#/fleet?…`, `#/unit/11`, `#/scorecard`) and wait until its data are drawn."""
    view = view_of(fragment)
    return open_page(page, dashboard_url(fragment, lang, embed), f'{READY}[data-view="{view}"]')


def wait_until_ready(page, view):
    """After a click or a fragment change: wait until `view` has drawn its data again."""
    page.wait_for_selector(f'{READY}[data-view="{view}"]', state="attached", timeout=GUARD_MS)


def artifact_name(text):
    """A file name made of `text` (a test's node id, a view's name)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def save_screenshot(page, name):
    """Save the whole page as `<ARTIFACTS>/<name>.png`; its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{artifact_name(name)}.png"
    page.screenshot(path=str(path), full_page=True, timeout=GUARD_MS)
    return path


def unused_port():
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api_call(base_url, method, path, body=None, key=None):
    """One request to the real server: (status, headers, decoded JSON body or None)."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=GUARD_MS / 1000) as response:
            status, answer_headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, payload = error.code, error.headers, error.read()
    return status, answer_headers, json.loads(payload) if payload else None


def accessibility_violations(page):
    """axe-core's serious and critical violations of the page as it is drawn now: [{id, impact, help, targets}].

    axe is added as a script element, which the page's CSP refuses: the page's context must be made
    with `bypass_csp=True` (that context only, so every other test runs under the real policy).
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": violation["id"], "impact": violation["impact"], "help": violation["help"],
             "targets": [node["target"] for node in violation["nodes"]]}
            for violation in results["violations"] if violation["impact"] in BLOCKING_IMPACTS]


# A portal page that frames the URL in its fragment and keeps every message it receives.
_PORTAL_FILES = {
    "portal.html": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Portal</title></head>
<body><iframe title="SEDA dashboard" width="1200" height="600"></iframe><script src="portal.js"></script></body></html>
""",
    "portal.js": """window.sedaMessages = [];
window.addEventListener("message", (event) => window.sedaMessages.push({origin: event.origin, data: event.data}));
document.querySelector("iframe").src = decodeURIComponent(location.hash.slice(1));
""",
}


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without logging each request to stderr."""

    def log_message(self, format, *args):
        pass


class PortalSite:
    """A second web server on loopback (another origin than the service's) serving `portal.html`, in a thread."""

    def __init__(self, directory):
        for name, text in _PORTAL_FILES.items():
            pathlib.Path(directory, name).write_text(text)
        handler = functools.partial(_QuietFiles, directory=str(directory))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def framing(self, url):
        """The portal page's URL framing `url` (absolute)."""
        return f"{self.origin}/portal.html#{urllib.parse.quote(url, safe='')}"

    def close(self):
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
