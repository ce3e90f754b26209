"""The dashboard in Debian's Chromium, across its views: accessibility, offline, CSP and framing, another API, screens.

Every page here runs on a real server (tests/conftest.py: `live_server`, `start_live_server`)
in a context that aborts and records each request off loopback (tests/browser_support.py);
the views' own behaviour (filters, plots, language) is tested beside their modules.
"""

import re
import sqlite3

import pytest

from browser_support import (
    CONTROL_ROOM, DASHBOARD, PORTAL_FRAME, PortalSite, accessibility_violations, api_call, new_watched_page,
    open_view, record_of, save_screenshot, unused_port,
)

PAGE_HEADER = '[data-testid="page-header"]'


@pytest.fixture(scope="module")
def worst_unit(live_server):
    """The id of the unit the fleet ranks first (worst): a unit with samples and every method's verdict."""
    status, _, ranking = api_call(live_server.url, "GET", "/api/v1/diagnoses?limit=1")
    assert status == 200, ranking
    return ranking[0]["equipment_id"]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """A portal page on another loopback origin than the service's, which frames a URL and keeps its messages."""
    site = PortalSite(tmp_path_factory.mktemp("portal"))
    yield site
    site.close()


def view_fragments(unit_id):
    """Each view's fragment: {view: fragment}."""
    return {"fleet": "#/fleet", "unit": f"#/unit/{unit_id}", "scorecard": "#/scorecard"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_no_view_has_serious_or_critical_accessibility_violations(browser, live_server, worst_unit, lang):
    """axe-core finds nothing serious or critical on the fleet, unit and scorecard views; screenshots of each."""
    page = new_watched_page(browser, live_server.url, bypass_csp=True)  # axe is an extra script
    try:
        found = {}
        for view, fragment in view_fragments(worst_unit).items():
            open_view(page, fragment, lang=lang)
            assert page.evaluate("document.documentElement.lang") == lang
            found[view] = accessibility_violations(page)
            save_screenshot(page, f"dashboard-{view}-{lang}")

        assert found == {"fleet": [], "unit": [], "scorecard": []}
        assert record_of(page).problems() == {}
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_title_is_the_servers_with_the_view_and_the_units_name(dashboard, live_server, worst_unit, lang):
    """Once drawn, document.title names the view (a unit by its name, as its heading does) and then the
    application in the server's own words (its <title>)."""
    _, _, unit = api_call(live_server.url, "GET", f"/api/v1/equipment/{worst_unit}")
    response = open_view(dashboard, "#/fleet", lang=lang)
    served = re.search(r"<title>([^<]+)</title>", response.text()).group(1)
    assert dashboard.title() == f"{dashboard.locator('h1').inner_text()} · {served}"

    open_view(dashboard, f"#/unit/{worst_unit}", lang=lang)
    heading = dashboard.locator("#app h1").inner_text()
    assert unit["name"] in heading
    assert dashboard.title() == f"{heading} · {served}"


def test_every_view_loads_from_the_service_alone(dashboard, worst_unit):
    """With every request off loopback aborted, each view draws its data, and every file it used is the service's own."""
    for view, fragment in view_fragments(worst_unit).items():
        open_view(dashboard, fragment)
        sources = dashboard.evaluate("""() => [
            location.href,
            ...performance.getEntriesByType("resource").map((entry) => entry.name),
            ...[...document.querySelectorAll("[src], link[href]")].map((node) => node.src || node.href),
        ]""")
        foreign = [url for url in sources if not url.startswith(f"{dashboard.evaluate('location.origin')}/")]

        assert foreign == [], view
        assert any(url.endswith(f"{DASHBOARD}/app.js") for url in sources)
        assert record_of(dashboard).external_requests == []


def test_the_page_says_what_it_allows_in_its_csp(browser, start_live_server, portal):
    """The document's CSP names SEDA_FRAME_ANCESTORS as frame-ancestors and the configured API in connect-src."""
    api_origin = "http://127.0.0.1:9"  # named only; nothing is fetched from it here
    server = start_live_server(SEDA_FRAME_ANCESTORS=f"'self' {portal.origin}", SEDA_DASHBOARD_API_URL=api_origin)
    page = new_watched_page(browser, server.url)
    try:
        response = page.goto(DASHBOARD)
        directives = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
        body = page.locator("body")

        assert directives["frame-ancestors"] == f"'self' {portal.origin}"
        assert directives["connect-src"] == f"'self' {api_origin}"
        assert directives["script-src"] == directives["style-src"] == "'self'"
        assert body.get_attribute("data-frame-ancestors") == f"'self' {portal.origin}"
        assert body.get_attribute("data-api-base") == api_origin
    finally:
        page.context.close()


# In a framed document: stand in for window.parent with a wrapper that records the targetOrigin of
# every postMessage before passing it on (`parent` is [Replaceable], and the real one may be
# cross-origin, whose own postMessage cannot be replaced).
_RECORD_POST_TARGETS = """(() => {
    if (window.parent === window) return;
    const parent = window.parent;
    const targets = [];
    Object.defineProperty(window, "sedaPostTargets", { value: targets });
    const recorder = {
        postMessage(message, options, transfer) {
            targets.push(options !== null && typeof options === "object" ? String(options.targetOrigin ?? "/") : String(options));
            return parent.postMessage(message, options, transfer);
        },
    };
    Object.defineProperty(window, "parent", { configurable: true, get: () => recorder });
})();"""


def portal_messages(page):
    """The messages the portal page has received, as {origin, data}."""
    return page.evaluate("window.sedaMessages")


def test_a_portal_named_in_frame_ancestors_frames_the_dashboard_and_learns_its_height(browser, start_live_server,
                                                                                      portal, worst_unit):
    """Framed by an allowed origin, the embedded view draws without the page header, posts its height, follows links.

    Every postMessage the frame makes is addressed to the portal's origin (the receiver's event.origin
    would only name the sender), never "*".
    """
    server = start_live_server(SEDA_FRAME_ANCESTORS=f"'self' {portal.origin}")
    page = new_watched_page(browser, portal.origin)
    page.context.add_init_script(_RECORD_POST_TARGETS)
    try:
        page.goto(portal.framing(f"{server.url}{DASHBOARD}?embed=1#/unit/{worst_unit}"))
        frame = page.frame_locator("iframe")
        frame.locator('#app[data-ready="true"][data-view="unit"]').wait_for(state="attached")
        page.wait_for_function("window.sedaMessages.some((message) => message.data.type === 'height')")

        heights = [message for message in portal_messages(page) if message["data"].get("type") == "height"]
        assert {message["origin"] for message in heights} == {server.url}
        assert heights[-1]["data"]["source"] == "seda-dashboard"
        assert heights[-1]["data"]["view"] == "unit"
        assert isinstance(heights[-1]["data"]["height"], int) and heights[-1]["data"]["height"] > 0
        assert frame.locator(PAGE_HEADER).count() == 0
        assert frame.locator(f'[data-testid="unit"][data-unit-id="{worst_unit}"]').count() == 1

        frame.locator('#app a[href="#/scorecard"]').first.click()  # the compact bar inside #app
        frame.locator('#app[data-ready="true"][data-view="scorecard"]').wait_for(state="attached")
        page.wait_for_function("window.sedaMessages.some((message) => message.data.view === 'scorecard')")
        [dashboard_frame] = [frame for frame in page.frames if frame.url.startswith(server.url)]
        targets = dashboard_frame.evaluate("window.sedaPostTargets")
        assert targets and "*" not in targets
        assert set(targets) == {portal.origin}, "every height is addressed to the portal's origin alone"
        assert record_of(page).problems() == {}
    finally:
        page.context.close()


def test_a_portal_not_named_in_frame_ancestors_is_refused_and_told_nothing(browser, live_server, portal):
    """With the default frame-ancestors 'self', another origin's frame shows Chromium's error page; no message comes."""
    page = new_watched_page(browser, portal.origin)
    try:
        page.goto(portal.framing(f"{live_server.url}{DASHBOARD}?embed=1#/fleet"), wait_until="load")
        page.wait_for_function("document.querySelector('iframe').contentWindow !== null")
        framed = page.frames[1]

        assert framed.url.startswith("chrome-error://")
        assert [error for error in record_of(page).console_errors if "frame-ancestors 'self'" in error]
        assert portal_messages(page) == []
    finally:
        page.context.close()


def test_embed_drops_the_page_header_but_keeps_the_views_reachable(dashboard):
    """Unframed, the page has its header; with ?embed=1 the header is gone and #app still links every view."""
    open_view(dashboard, "#/fleet")
    assert dashboard.locator(PAGE_HEADER).count() == 1

    open_view(dashboard, "#/fleet", embed="1")
    assert dashboard.locator(PAGE_HEADER).count() == 0
    for view in ("fleet", "scorecard"):
        assert dashboard.locator(f'#app a[href="#/{view}"]').count() >= 1


def test_with_a_separate_api_the_page_reads_its_data_there(browser, start_live_server):
    """SEDA_DASHBOARD_API_URL sends every API call to the other server (CORS), whose data the fleet shows."""
    page_port = unused_port()
    api = start_live_server(SEDA_CORS_ORIGINS=f"http://127.0.0.1:{page_port}")
    renamed = "T8 served by the other API"
    connection = sqlite3.connect(api.database)
    with connection:
        connection.execute("UPDATE equipment SET name = ? WHERE id = 11", (renamed,))
    connection.close()
    server = start_live_server(port=page_port, SEDA_DASHBOARD_API_URL=api.url)
    page = new_watched_page(browser, server.url)
    api_calls = []
    page.on("request", lambda request: "/api/v1/" in request.url and DASHBOARD not in request.url
            and api_calls.append(request.url))
    try:
        open_view(page, "#/fleet?q=served")
        row = page.locator('[data-testid="fleet-table"] tr[data-unit-id="11"]')

        assert renamed in row.inner_text()
        assert api_calls and all(url.startswith(f"{api.url}/api/v1/") for url in api_calls)
        assert record_of(page).problems() == {}
    finally:
        page.context.close()


@pytest.mark.parametrize("screen", [PORTAL_FRAME, CONTROL_ROOM], ids=["1280x800", "1920x1080"])
def test_the_fleet_view_fits_the_screen_without_scrolling_sideways(dashboard, screen):
    """In the portal's 1280×800 frame and on a 1920×1080 screen the fleet table needs no horizontal scrollbar."""
    dashboard.set_viewport_size(screen)
    open_view(dashboard, "#/fleet")
    widths = dashboard.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")

    assert widths[0] <= widths[1]
    assert dashboard.locator('[data-testid="fleet-table"] tbody tr').count() > 0
    save_screenshot(dashboard, f"dashboard-fleet-{screen['width']}x{screen['height']}")
