"""The dashboard's fleet view and shell in Debian's Chromium, against a real server: every figure and row
it draws is compared with the API's own answer to the same question.

Covers the summary strip, filters, search (and what typing one costs), sorting, paging, opening a unit
(link and keyboard), the URL keeping the state across a reload, the language switch (strings and
formats, from the responses already read), the API key flow (and forgetting the key), the error states
(database unavailable with the request id, rate limited with when to retry), the height the embedded
page reports to its parent and embed.js's frame-ancestors matching.
"""

import os
import re
import sqlite3
import urllib.parse

import pytest

from browser_support import (
    READY, api_call, dashboard_url, new_watched_page, open_page, open_view, record_of, save_screenshot,
    wait_until_ready,
)

PAGE_SIZE = 50  # fleet.js's PAGE_SIZE: the view asks for pages of this many units
READER_KEY = "reader-key-for-the-dashboard-0123"
# Chromium logs every response with an error status; the tests that cause them expect those lines.
_FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


def api_ids(server, query):
    """The unit ids of the API's fleet page for `query` (a dict), in its order."""
    status, _, rows = api_call(server.url, "GET", "/api/v1/diagnoses?" + urllib.parse.urlencode({"limit": PAGE_SIZE, **query}))
    assert status == 200
    return [row["equipment_id"] for row in rows]


def row_ids(page):
    """The unit ids of the table's rows, in their order."""
    return [int(value) for value in page.eval_on_selector_all(
        '[data-testid="fleet-table"] tbody tr', "rows => rows.map(row => row.dataset.unitId)")]


def fragment_query(page):
    """The fleet state in the page's URL fragment, as a dict."""
    fragment = urllib.parse.urlsplit(page.url).fragment
    return dict(urllib.parse.parse_qsl(fragment.partition("?")[2]))


def assert_only_failed_responses(page, statuses):
    """The page misbehaved in no way but Chromium's log lines for responses with `statuses`."""
    record = record_of(page)
    unexpected = [line for line in record.console_errors
                  if not ((match := _FAILED_RESOURCE.search(line)) and int(match.group(1)) in statuses)]
    assert not unexpected and not record.page_errors and not record.csp_violations and not record.external_requests, \
        record.problems()


def assert_summary_shown(page, summary):
    """The summary strip shows the API's `summary`: total, units per status and fault type, histogram bands."""
    strip = page.locator('[data-testid="fleet-summary"]')
    assert strip.locator("[data-total]").get_attribute("data-total") == str(summary["total"])
    for status, units in summary["dga_status"].items():
        assert strip.locator(f'[data-status-count="{status}"]').inner_text().replace(",", "") == str(units)
    shown_faults = dict(page.eval_on_selector_all(
        "[data-fault-count]", "spans => spans.map(span => [span.dataset.faultCount, span.textContent.replace(',', '')])"))
    assert shown_faults == {fault: str(units) for fault, units in summary["fault_type"].items() if units}
    bands = page.eval_on_selector_all('svg[data-chart="health-index-distribution"] rect[data-band-from]',
                                      "rects => rects.map(rect => [+rect.dataset.bandFrom, +rect.dataset.units])")
    assert bands == [[band["from"], band["units"]] for band in summary["health_index"]["bands"]]


def test_the_summary_strip_and_the_first_page_are_the_apis(dashboard, live_server):
    open_view(dashboard, "#/fleet")

    _, _, summary = api_call(live_server.url, "GET", "/api/v1/diagnoses/summary")
    assert_summary_shown(dashboard, summary)

    _, _, entries = api_call(live_server.url, "GET", f"/api/v1/diagnoses?limit={PAGE_SIZE}")
    rows = dashboard.eval_on_selector_all('[data-testid="fleet-table"] tbody tr', """rows => rows.map(row =>
        [+row.dataset.unitId, row.dataset.status, row.dataset.fault, row.querySelector("a").getAttribute("href")])""")
    assert rows == [[entry["equipment_id"], str(entry["dga_status"]),
                     entry["fault_type"] or ("none" if entry["fault_present"] is False else "unknown"),
                     f"#/unit/{entry['equipment_id']}"] for entry in entries]
    assert dashboard.locator('[data-testid="page-header"] select[name="lang"]').count() == 1
    assert dashboard.locator('[data-testid="fleet-table"] caption').inner_text().startswith("Units, worst first")


def test_filters_and_search_select_what_the_api_selects_and_write_the_url(dashboard, live_server):
    open_view(dashboard, "#/fleet")

    dashboard.select_option('select[name="status"]', "3")
    wait_until_ready(dashboard, "fleet")
    assert fragment_query(dashboard) == {"status": "3"}
    assert row_ids(dashboard) == api_ids(live_server, {"status": 3})
    assert set(dashboard.eval_on_selector_all("tbody tr", "rows => rows.map(row => row.dataset.status)")) == {"3"}

    dashboard.select_option('select[name="substation_id"]', "2")
    wait_until_ready(dashboard, "fleet")
    assert fragment_query(dashboard) == {"status": "3", "substation_id": "2"}
    assert row_ids(dashboard) == api_ids(live_server, {"status": 3, "substation_id": 2})
    _, _, summary = api_call(live_server.url, "GET", "/api/v1/diagnoses/summary?status=3&substation_id=2")
    assert dashboard.locator('[data-status-count="3"]').inner_text() == str(summary["dga_status"]["3"])

    dashboard.click('[data-action="clear-filters"]')
    wait_until_ready(dashboard, "fleet")
    dashboard.fill('input[name="q"]', "SR")  # typing: the view follows after a pause, without Enter
    dashboard.wait_for_function("() => location.hash.includes('q=SR')")
    wait_until_ready(dashboard, "fleet")
    expected = api_ids(live_server, {"q": "SR"})
    assert expected and row_ids(dashboard) == expected
    assert all("SR" in name.upper() for name in dashboard.locator("tbody a").all_inner_texts())

    dashboard.fill('input[name="q"]', "no unit is called this")
    dashboard.press('input[name="q"]', "Enter")
    wait_until_ready(dashboard, "fleet")
    empty = dashboard.locator('[data-state="empty"]')
    assert empty.is_visible() and "No unit matches" in empty.inner_text()
    assert dashboard.locator('[data-status-count="1"]').inner_text() == "0"


def test_typing_a_search_reads_the_ranking_as_it_goes_and_the_summary_once_it_settles(browser, start_live_server):
    """Each pause in typing costs a ranking page (2 units); the summary (5) is read once the query settles.

    On a server with a budget of 40 units (not refilled during the test), which the old way overspent
    (8 for the first view, then 7 a pause: 43), a name is typed letter by letter, slower than the
    ranking's pause (300 ms) and faster than the summary's (1 s), while the page's requests are recorded.
    """
    server = start_live_server(SEDA_RATE_LIMIT_PER_MINUTE="1", SEDA_RATE_LIMIT_BURST="40")
    connection = sqlite3.connect(server.database)
    with connection:
        connection.execute("UPDATE equipment SET name = 'Boryeong T8' WHERE id = 11")
    connection.close()
    page = new_watched_page(browser, server.url)
    query = "borye"
    requests = []
    page.on("request", lambda request: "/api/v1/diagnoses" in request.url and requests.append(urllib.parse.urlsplit(request.url)))
    try:
        open_view(page, "#/fleet")
        requests.clear()
        page.click('input[name="q"]')
        page.keyboard.type(query, delay=450)
        page.wait_for_function("""(query) => document.querySelector('#app[data-ready="true"] [data-state="error"]')
            || (new URLSearchParams(location.hash.split("?")[1]).get("q") === query
                && document.querySelector('#app[data-ready="true"] [data-testid="fleet-summary"]:not([aria-busy])'))""",
                               arg=query)
        assert page.locator('[data-state="error"]').count() == 0, page.locator('[data-state="error"]').inner_text()

        summaries = [dict(urllib.parse.parse_qsl(url.query)) for url in requests if url.path.endswith("/summary")]
        rankings = [dict(urllib.parse.parse_qsl(url.query)) for url in requests if url.path.endswith("/diagnoses")]
        assert summaries == [{"q": query}], "one summary, for the query typed, none for the letters on the way"
        assert {"q": query, "limit": str(PAGE_SIZE)} in rankings and len(rankings) <= len(query)
        _, _, summary = api_call(server.url, "GET", f"/api/v1/diagnoses/summary?q={query}")
        assert summary["total"] == 1
        assert_summary_shown(page, summary)
        assert row_ids(page) == [11]
        assert page.locator(".page-position").inner_text() == "Units 1–1 of 1"

        page.press('input[name="q"]', "Enter")  # settled already: Enter reads nothing again
        page.click('button[data-sort="name"]')  # leaves the field (blur), and reads a ranking page only
        wait_until_ready(page, "fleet")
        assert sum(url.path.endswith("/summary") for url in requests) == 1, "never the same filters' summary twice"
        assert record_of(page).problems() == {}
    finally:
        page.context.close()


@pytest.mark.parametrize("column", ["health_index", "substation"])
def test_a_column_sorts_both_ways_in_the_apis_order(dashboard, live_server, column):
    open_view(dashboard, "#/fleet?status=3")
    header = dashboard.locator(f'th:has(button[data-sort="{column}"])')

    dashboard.click(f'button[data-sort="{column}"]')
    wait_until_ready(dashboard, "fleet")
    assert header.get_attribute("aria-sort") == "ascending"
    assert fragment_query(dashboard) == {"status": "3", "sort": column}
    assert row_ids(dashboard) == api_ids(live_server, {"status": 3, "sort": column})

    dashboard.click(f'button[data-sort="{column}"]')
    wait_until_ready(dashboard, "fleet")
    assert header.get_attribute("aria-sort") == "descending"
    assert row_ids(dashboard) == api_ids(live_server, {"status": 3, "sort": f"-{column}"})
    assert dashboard.locator('th[aria-sort="ascending"], th[aria-sort="descending"]').count() == 1


def test_paging_follows_the_link_cursor_forward_and_back_and_survives_a_reload(dashboard, live_server):
    open_view(dashboard, "#/fleet?sort=name")
    summary_requests = []
    dashboard.on("request", lambda request: "/diagnoses/summary" in request.url and summary_requests.append(request.url))
    _, headers, _ = api_call(live_server.url, "GET", f"/api/v1/diagnoses?sort=name&limit={PAGE_SIZE}")
    second_page = urllib.parse.urlsplit(re.match(r"<([^>]+)>", headers["Link"]).group(1))
    cursor = dict(urllib.parse.parse_qsl(second_page.query))["cursor"]

    dashboard.click('button[data-page="next"]')
    wait_until_ready(dashboard, "fleet")
    assert fragment_query(dashboard) == {"sort": "name", "cursor": cursor}
    assert row_ids(dashboard) == api_ids(live_server, {"sort": "name", "cursor": cursor})
    assert dashboard.locator(".page-position").inner_text() == "Units 51–100 of 120"
    assert summary_requests == [], "paging does not change the summary, so it is not asked for again"

    dashboard.reload()
    wait_until_ready(dashboard, "fleet")
    assert row_ids(dashboard) == api_ids(live_server, {"sort": "name", "cursor": cursor})
    assert dashboard.locator('th:has(button[data-sort="name"])').get_attribute("aria-sort") == "ascending"
    assert dashboard.locator('button[data-page="previous"]').inner_text() == "Previous page"

    dashboard.click('button[data-page="previous"]')
    wait_until_ready(dashboard, "fleet")
    assert fragment_query(dashboard) == {"sort": "name"}
    assert row_ids(dashboard) == api_ids(live_server, {"sort": "name"})
    assert dashboard.locator('button[data-page="previous"]').is_disabled()


def test_a_shared_link_opens_the_same_state(dashboard, live_server):
    open_view(dashboard, "#/fleet?substation_id=1&fault=none&sort=-sampled_at")

    assert dashboard.locator('select[name="substation_id"]').input_value() == "1"
    assert dashboard.locator('select[name="fault"]').input_value() == "none"
    assert dashboard.locator('th:has(button[data-sort="sampled_at"])').get_attribute("aria-sort") == "descending"
    assert row_ids(dashboard) == api_ids(live_server, {"substation_id": 1, "fault": "none", "sort": "-sampled_at"})
    assert set(dashboard.eval_on_selector_all("tbody tr", "rows => rows.map(row => row.dataset.fault)")) == {"none"}


def test_a_row_opens_its_unit_by_its_link_and_by_the_keyboard(dashboard, live_server):
    open_view(dashboard, "#/fleet")
    first, second = row_ids(dashboard)[:2]

    dashboard.click(f'tr[data-unit-id="{first}"] a')
    wait_until_ready(dashboard, "unit")
    assert dashboard.locator(f'[data-testid="unit"][data-unit-id="{first}"]').count() == 1
    dashboard.go_back()
    wait_until_ready(dashboard, "fleet")
    assert dashboard.evaluate("document.activeElement.getAttribute('href')") == f"#/unit/{first}", "focus is back on its row"

    dashboard.focus('button[data-sort="sampled_at"]')  # the last header: Tab goes on to the first row
    dashboard.keyboard.press("Tab")
    assert dashboard.evaluate("document.activeElement.getAttribute('href')") == f"#/unit/{first}"
    dashboard.keyboard.press("ArrowDown")
    assert dashboard.evaluate("document.activeElement.getAttribute('href')") == f"#/unit/{second}"
    assert dashboard.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none", "focus is visible"
    dashboard.keyboard.press("Enter")
    wait_until_ready(dashboard, "unit")
    assert dashboard.locator(f'[data-testid="unit"][data-unit-id="{second}"]').count() == 1
    assert urllib.parse.urlsplit(dashboard.url).fragment == f"/unit/{second}"


def test_the_language_switch_changes_strings_and_formats_from_what_was_read(dashboard, live_server):
    open_view(dashboard, "#/fleet?sort=name", lang="en")
    first_id = row_ids(dashboard)[0]
    _, _, [entry] = api_call(live_server.url, "GET", "/api/v1/diagnoses?sort=name&limit=1")
    year, month, day = (int(part) for part in entry["sampled_at"][:10].split("-"))
    date_cell = dashboard.locator(f'tr[data-unit-id="{first_id}"] td').last
    assert date_cell.inner_text() == dashboard.evaluate(
        f"new Intl.DateTimeFormat('en-GB', {{dateStyle: 'medium', timeZone: 'UTC'}}).format(Date.UTC({year}, {month - 1}, {day}))")
    api_requests = []
    dashboard.on("request", lambda request: "/api/v1/" in request.url and "/dashboard" not in request.url
                 and api_requests.append(request.url))

    dashboard.select_option('select[name="lang"]', "ko")
    wait_until_ready(dashboard, "fleet")

    assert dashboard.evaluate("document.documentElement.lang") == "ko"
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(dashboard.url).query)["lang"] == ["ko"]
    assert dashboard.locator("h1").inner_text() == "설비 목록"
    assert dashboard.locator('button[data-sort="health_index"]').inner_text().strip() == "건전도 지수"
    assert date_cell.inner_text() == f"{year}. {month}. {day}."
    assert row_ids(dashboard) == api_ids(live_server, {"sort": "name"})
    assert api_requests == [], "a language switch redraws the responses already read"
    assert fragment_query(dashboard) == {"sort": "name"}


def test_without_a_key_the_page_asks_for_one_and_retries_with_it(browser, start_live_server):
    server = start_live_server(SEDA_API_KEYS=f"reader@read={READER_KEY}", SEDA_REQUIRE_KEYS_FOR_READS="true")
    page = new_watched_page(browser, server.url)
    try:
        open_page(page, dashboard_url("#/fleet?status=3"), f'{READY} [data-state="auth"]')
        prompt = page.locator('[data-state="auth"]')
        assert "API key needed" in prompt.inner_text()

        page.fill('input[type="password"][name="api-key"]', "not-the-key-at-all-0000")
        page.click('[data-state="auth"] button[type="submit"]')
        page.wait_for_selector(f'{READY} [data-state="auth"]')
        assert "refused this key" in page.locator('[data-state="auth"]').inner_text()

        page.fill('input[name="api-key"]', READER_KEY)
        page.click('[data-state="auth"] button[type="submit"]')
        wait_until_ready(page, "fleet")
        assert page.locator('[data-state="auth"]').count() == 0
        assert row_ids(page) == api_ids_with_key(server, {"status": 3})
        assert page.evaluate("sessionStorage.getItem('seda-api-key')") == READER_KEY
        assert page.evaluate("localStorage.length") == 0 and page.context.cookies() == []

        page.reload()  # the same tab keeps the key for its session
        wait_until_ready(page, "fleet")
        assert page.locator('[data-state="auth"]').count() == 0
        assert_only_failed_responses(page, {401})
    finally:
        page.context.close()


def test_a_shared_tab_can_forget_its_key_and_take_another(browser, start_live_server):
    """The "Forget API key" control (shown only while a key is held) drops it from sessionStorage and asks again."""
    server = start_live_server(SEDA_API_KEYS=f"reader@read={READER_KEY}", SEDA_REQUIRE_KEYS_FOR_READS="true")
    page = new_watched_page(browser, server.url)
    forget = page.locator('[data-testid="page-header"] button[data-action="forget-key"]')
    try:
        open_page(page, dashboard_url("#/fleet"), f'{READY} [data-state="auth"]')
        assert forget.count() == 0, "no key held, nothing to forget"
        page.fill('input[name="api-key"]', READER_KEY)
        page.click('[data-state="auth"] button[type="submit"]')
        wait_until_ready(page, "fleet")
        assert forget.is_visible() and forget.inner_text() == "Forget API key"

        forget.click()
        page.wait_for_selector(f'{READY}[data-view="fleet"] [data-state="auth"]')
        assert "forgotten in this tab" in page.locator('[data-state="auth"]').inner_text()
        assert page.evaluate("sessionStorage.getItem('seda-api-key')") is None
        assert page.locator('[data-testid="fleet-table"]').count() == 0, "the last operator's view is off the screen"
        assert forget.count() == 0
        assert page.evaluate("document.activeElement.name") == "api-key"

        page.reload()  # forgotten for good: the API asks again
        page.wait_for_selector(f'{READY} [data-state="auth"]')
        assert "API key needed" in page.locator('[data-state="auth"]').inner_text()

        page.fill('input[name="api-key"]', READER_KEY)  # the next operator's key
        page.click('[data-state="auth"] button[type="submit"]')
        wait_until_ready(page, "fleet")
        assert len(row_ids(page)) == PAGE_SIZE

        open_view(page, "#/fleet", embed="1")  # embedded, the control is in the bar inside #app
        assert page.locator('#app .embed-bar button[data-action="forget-key"]').is_visible()
        assert_only_failed_responses(page, {401})
    finally:
        page.context.close()


def api_ids_with_key(server, query):
    """As api_ids, with the reader's key."""
    status, _, rows = api_call(server.url, "GET", "/api/v1/diagnoses?" + urllib.parse.urlencode({"limit": PAGE_SIZE, **query}),
                               key=READER_KEY)
    assert status == 200
    return [row["equipment_id"] for row in rows]


def test_a_database_that_is_gone_is_said_with_the_request_id_and_retry_reads_again(browser, start_live_server):
    server = start_live_server(SEDA_SQLITE_BUSY_TIMEOUT_MS="200")  # a server of this test's own
    page = new_watched_page(browser, server.url)
    failures = []
    page.on("response", lambda response: response.status == 503 and failures.append(response))
    aside = server.database.with_name("aside.sqlite3")
    os.rename(server.database, aside)
    try:
        open_page(page, dashboard_url("#/fleet"), f'{READY} [data-state="error"]')
        state = page.locator('[data-state="error"]')
        assert "Database unavailable" in state.inner_text()
        assert state.locator("[data-request-id]").inner_text() in [failure.json()["request_id"] for failure in failures]
    finally:
        os.rename(aside, server.database)
    try:
        page.click('[data-state="error"] button')
        wait_until_ready(page, "fleet")
        assert page.locator('[data-state="error"]').count() == 0 and len(row_ids(page)) == PAGE_SIZE
        save_screenshot(page, "dashboard-fleet-after-database-came-back")
        assert_only_failed_responses(page, {503})
    finally:
        page.context.close()


def test_a_rate_limited_page_says_when_to_retry(browser, start_live_server):
    # One window of 30 minutes: the budget spent below does not come back during the test.
    server = start_live_server(SEDA_RATE_LIMIT_PER_MINUTE="1", SEDA_RATE_LIMIT_BURST="30")
    page = new_watched_page(browser, server.url)
    try:
        open_page(page, dashboard_url("#/no-such-view"), f'{READY} [data-state="error"]')  # the page, no API call
        for _ in range(10):  # another tab of the same client spends the rest of the budget
            if api_call(server.url, "GET", "/api/v1/diagnoses/summary")[0] == 429:
                break
        page.evaluate("() => { location.hash = '#/fleet'; }")
        page.wait_for_selector(f'{READY}[data-view="fleet"] [data-state="error"]')
        text = page.locator('[data-state="error"]').inner_text()
        assert "Too many requests" in text
        assert re.search(r"Try again in \d+ s \(at \d\d:\d\d:\d\d\)", text), text
        assert page.locator('[data-state="error"] [data-request-id]').count() == 1
        assert_only_failed_responses(page, {429})
    finally:
        page.context.close()


def test_the_embedded_page_has_no_header_and_tells_its_parent_its_whole_height(browser, live_server):
    """Framed by its own origin ('self'): no page header, the height of the whole page posted. (Where
    each message is addressed, the portal's origin and never "*", is checked with a portal on another
    origin in test_dashboard_browser.py.)"""
    page = new_watched_page(browser, live_server.url)
    portal = f"{live_server.url}/portal-under-test.html"  # the service's own origin: 'self', the default frame-ancestors
    page.route(portal, lambda route: route.fulfill(content_type="text/html", body=(
        "<!DOCTYPE html><title>portal</title><script>window.heights = [];"
        "addEventListener('message', (event) => heights.push({origin: event.origin, data: event.data}));</script>"
        f'<iframe src="{dashboard_url("#/fleet?status=3", embed="1")}" width="1200" height="400"></iframe>')))
    try:
        page.goto(portal)
        page.wait_for_function("() => window.heights.some((message) => message.data.view === 'fleet')")
        frame = page.frame_locator("iframe")
        frame.locator(f'{READY}[data-view="fleet"]').wait_for(state="attached")

        messages = page.evaluate("window.heights")
        assert {message["origin"] for message in messages} == {live_server.url}
        last = messages[-1]["data"]
        assert last["view"] == "fleet" and last["source"] == "seda-dashboard" and last["type"] == "height" and isinstance(last["height"], int)
        content_height = frame.locator("html").evaluate("html => Math.ceil(html.getBoundingClientRect().height)")
        assert content_height > 400
        page.wait_for_function(f"() => window.heights.at(-1).data.height === {content_height}")  # the page's whole height
        assert frame.locator('[data-testid="page-header"]').count() == 0
        assert frame.locator('#app select[name="lang"]').count() == 1
        assert frame.locator('#app nav a[href="#/scorecard"]').count() == 1
    finally:
        page.context.close()


def test_the_height_goes_only_to_origins_the_frame_ancestors_allow(dashboard, live_server):
    """embed.js's origin check, case by case, in the page itself (the module as the browser loads it).

    Only source lists shared/config/urls.py admits: 'self', 'none' alone, http[s]://[*.]host[:port]. The
    answers are CSP's: an http source upgrades to https on the same host (port 80 standing for 443).
    """
    open_view(dashboard, "#/fleet")
    origin = live_server.url
    cases = [
        ("'self'", origin, True), ("'self'", origin.replace("127.0.0.1", "localhost"), False),
        ("'self'", origin.replace("http:", "https:"), True),  # 'self' upgrades like any http source
        ("'none'", origin, False), ("'self'", "null", False),
        ("https://portal.example", "https://portal.example", True),
        ("https://Portal.Example", "https://portal.example", True),
        ("https://portal.example", "http://portal.example", False),  # never downgraded
        ("https://portal.example", "https://portal.example:8443", False),
        ("https://portal.example:8443", "https://portal.example:8443", True),
        ("https://portal.example:443", "https://portal.example", True),
        ("http://portal.example", "http://portal.example", True),
        ("http://portal.example", "https://portal.example", True),
        ("http://portal.example:80", "https://portal.example", True),
        ("http://portal.example:8080", "https://portal.example:8080", True),
        ("http://portal.example", "https://portal.example:8443", False),
        ("http://portal.example", "http://portal.example:8080", False),
        ("https://*.kepco.co.kr", "https://ops.kepco.co.kr", True),
        ("https://*.kepco.co.kr", "https://a.ops.kepco.co.kr", True),
        ("http://*.kepco.co.kr", "https://ops.kepco.co.kr", True),
        ("https://*.kepco.co.kr", "https://kepco.co.kr", False),
        ("https://*.kepco.co.kr", "https://evilkepco.co.kr", False),
        ("'self' https://portal.example", "https://portal.example", True),
        ("'self' https://portal.example", "https://other.example", False),
    ]
    answers = dashboard.evaluate("""async ([cases, self]) => {
        const { allowedOrigin } = await import("/api/v1/dashboard/embed.js");
        return cases.map(([sources, origin]) => allowedOrigin(origin, sources, self) === origin);
    }""", [[[sources, parent] for sources, parent, _ in cases], origin])
    assert dict(zip(cases, answers)) == {case: case[2] for case in cases}
