"""The real-browser harness itself: Debian's Chromium loads the service's pages, and what it watches for is caught.

If the watch missed a request off loopback or a CSP violation, the dashboard tests that rely
on it (tests/test_dashboard_browser.py) would pass for a page that breaks the rules.
"""

from browser_support import accessibility_violations, new_watched_page, open_page, record_of


def test_a_page_of_the_service_loads_in_chromium(dashboard):
    """The API reference page draws the OpenAPI document's title in the browser, with its CSP, cleanly."""
    response = open_page(dashboard, "/api/v1/docs", "#swagger-ui .info .title")

    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "SEDA" in dashboard.locator("#swagger-ui .info .title").inner_text()
    assert dashboard.evaluate("navigator.userAgent").find("Chrome/") > 0


def test_requests_off_loopback_are_aborted_and_recorded(browser, live_server):
    """A fetch to another host fails in the page and is listed; one to the server goes through."""
    page = new_watched_page(browser, live_server.url)
    try:
        page.goto("/api/v1/health/live")
        outcome = page.evaluate("""async () => {
            const local = await fetch("/api/v1/health/live");
            const remote = await fetch("http://192.0.2.1/x.js").then(() => "loaded", () => "failed");
            return [local.status, remote];
        }""")

        assert outcome == [200, "failed"]
        assert record_of(page).external_requests == ["http://192.0.2.1/x.js"]
    finally:
        page.context.close()


def test_csp_violations_are_recorded(browser, live_server):
    """A fetch the page's connect-src forbids (another loopback origin) is reported with its directive."""
    page = new_watched_page(browser, live_server.url)
    try:
        open_page(page, "/api/v1/docs", "#swagger-ui .info .title")
        other_origin = live_server.url.replace("127.0.0.1", "localhost")
        page.evaluate(f"fetch({other_origin + '/api/v1/health/live'!r}).catch(() => null)")
        page.wait_for_function("() => true")  # one more round trip to the page: the report has arrived

        violations = record_of(page).csp_violations
        assert [violation["directive"] for violation in violations] == ["connect-src"]
        assert violations[0]["blocked"].startswith(other_origin)
        assert record_of(page).external_requests == []
    finally:
        page.context.close()


def test_the_accessibility_scan_reports_serious_and_critical_violations(browser, live_server):
    """A form field without a label is a critical violation axe-core names; minor findings are left out."""
    page = new_watched_page(browser, live_server.url, bypass_csp=True)
    try:
        page.set_content('<html lang="en"><head><title>t</title></head><body><main><input type="text"></main></body></html>')

        assert [(violation["id"], violation["impact"]) for violation in accessibility_violations(page)] == [
            ("label", "critical")]
    finally:
        page.context.close()
