"""The dashboard's unit view in Debian's Chromium: what it draws is what the API says.

A unit with ten years of quarterly samples is built through the API (equipment, one batch of
40 samples with a thermal fault growing in the second half, two inspections), so the plots
hold points in several zones and Triangle 5 applies to the latest sample. Each check compares
the page with the API's own answer, read over HTTP beside the browser.
"""

import datetime
import re

import pytest

from browser_support import CONTROL_ROOM, PORTAL_FRAME, api_call, open_view
from conftest import API_KEY

QUARTERS = 40
GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2")
GAP_GAS, GAP_QUARTER = "c2h2", 7  # one sample without C2H2: its trend has one point fewer
DUVAL_CHARTS = {"duval_triangle_1": ("duval_point", "duval_zone"), "duval_pentagon_1": ("pentagon_point", "pentagon_zone")}
SMALLEST_TEXT_PX = 9.5  # chart text at least this tall on screen
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")  # a page object, not the page tree

# Every sample point of `chart` with its zone, and whether a polygon of that zone in the same <g> holds it,
# its outline included (no C2H2 puts a point on Triangle 1's right edge, the outline of T3).
_POINTS_IN_ZONES = """chart => [...document.querySelectorAll(`svg[data-chart="${chart}"] circle[data-point]`)].map(point => {
    const zones = [...point.parentNode.querySelectorAll(`polygon[data-zone="${point.dataset.zone}"]`)];
    const centre = new DOMPoint(point.cx.baseVal.value, point.cy.baseVal.value);
    return {sample: Number(point.dataset.sampleId), zone: point.dataset.zone, latest: point.dataset.latest,
            inside: zones.some(zone => zone.isPointInFill(centre) || zone.isPointInStroke(centre))};
})"""


# Session-scoped: the browser tests run at the end of the run, apart from this module's other test,
# and a unit is built once (its name is unique in its substation).
@pytest.fixture(scope="session")
def live_server(start_live_server):
    """The real server with a write key (overrides conftest's for this module: `dashboard` opens pages on it)."""
    return start_live_server(SEDA_API_KEYS=API_KEY)


def write(server, path, body):
    """POST `body` with the key; the answer's JSON."""
    status, _, answer = api_call(server.url, "POST", path, body, key=API_KEY)
    assert status in (200, 201), answer
    return answer


def read(server, path):
    """GET `path`; the answer's JSON."""
    status, _, answer = api_call(server.url, "GET", path)
    assert status == 200, answer
    return answer


def quarterly_sample(unit_id, quarter):
    """Quarter `quarter` (0-39) from January 2015: normal gases, then a thermal fault growing from quarter 20.

    Every other fault sample has a trace of C2H2 (inside Triangle 1's T3), the others none (on its edge).
    """
    growth = max(0, quarter - 19)
    gases = {"h2": 20 + 3 * growth, "ch4": 10 + 9 * growth, "c2h6": 8 + 3 * growth, "c2h4": 2 + 20 * growth,
             "c2h2": 0.4 * growth if quarter % 2 else 0.0, "co": 200 + 5 * quarter, "co2": 1500 + 40 * quarter}
    if quarter == GAP_QUARTER:
        gases[GAP_GAS] = None
    sampled_at = datetime.datetime(2015 + quarter // 4, 1 + 3 * (quarter % 4), 15, tzinfo=datetime.UTC)
    return {"equipment_id": unit_id, "sampled_at": sampled_at.isoformat(), **gases, "o2": 2000.0, "n2": 55000.0,
            "lab": "Unit view test laboratory"}


def new_unit(server, name):
    """A mineral-oil power transformer of substation 1; its id."""
    unit = write(server, "/api/v1/equipment", {
        "substation_id": 1, "name": name, "kind": "power_transformer", "year_manufactured": 2012,
        "oil_preservation": "sealed", "insulating_liquid": "mineral", "status": "in_service"})
    return unit["id"]


@pytest.fixture(scope="session")
def decade_unit(live_server):
    """The ten-year unit and what the API says about it: {id, verdict, measurements, inspections}."""
    unit_id = new_unit(live_server, "DECADE-1")
    write(live_server, "/api/v1/measurements", [quarterly_sample(unit_id, quarter) for quarter in range(QUARTERS)])
    for when, finding in (("2018-06-01T09:00:00Z", "none"), ("2024-03-01T09:00:00Z", "T3")):
        write(live_server, "/api/v1/inspections", {"equipment_id": unit_id, "inspected_at": when, "finding": finding,
                                                   "description": f"Internal inspection ({finding})", "reference": f"WO-{when[:4]}"})
    return {
        "id": unit_id,
        "verdict": read(live_server, f"/api/v1/diagnoses/{unit_id}?history=true&limit=1000"),
        "measurements": read(live_server, f"/api/v1/measurements?equipment_id={unit_id}&limit=1000"),
        "inspections": read(live_server, f"/api/v1/inspections?equipment_id={unit_id}&limit=1000"),
    }


@pytest.fixture
def decade_page(dashboard, decade_unit):
    """The dashboard showing the ten-year unit."""
    open_view(dashboard, f"#/unit/{decade_unit['id']}", lang="en")
    return dashboard


def test_the_unit_was_built_as_intended(decade_unit):
    """The fixture's premises: 40 verdicts, a fault at the end, Triangle 5 applying to the latest sample."""
    verdict = decade_unit["verdict"]
    assert len(verdict["history"]) == QUARTERS - 1  # the sample without C2H2 is incomplete: no verdict
    assert len(decade_unit["measurements"]) == QUARTERS
    assert verdict["diagnosis"]["methods"]["duval_triangle_5"]["applicable"] is True
    assert {entry["duval_zone"] for entry in verdict["history"]} >= {"T3"}


@pytest.mark.parametrize("chart", sorted(DUVAL_CHARTS))
def test_each_sample_is_one_point_in_its_zone_and_the_latest_is_flagged(decade_page, decade_unit, chart):
    """Triangle 1 and Pentagon 1: one point per sample with a point, its zone the API's, inside that zone's polygon."""
    point_field, zone_field = DUVAL_CHARTS[chart]
    verdict = decade_unit["verdict"]
    expected = {entry["sample_id"]: entry[zone_field] or "none" for entry in verdict["history"] if entry[point_field]}

    points = decade_page.evaluate(_POINTS_IN_ZONES, chart)

    assert {point["sample"]: point["zone"] for point in points} == expected
    assert len(points) == len(expected)
    assert [point for point in points if point["zone"] != "none" and not point["inside"]] == []
    assert [point["sample"] for point in points if point["latest"] == "true"] == [verdict["sample"]["id"]]
    zones = decade_page.locator(f'svg[data-chart="{chart}"] [data-zone-label]').evaluate_all(
        "labels => labels.map(label => label.dataset.zoneLabel)")
    assert {"T1", "T2", "T3", "D1", "D2", "PD"} <= set(zones)


def test_triangle_5_shows_the_latest_sample_in_its_zone_and_triangle_4_is_absent(decade_page, decade_unit):
    """Triangle 5 applies (Triangle 1 in T3): the latest point in its result's polygon; Triangle 4 does not apply."""
    verdict = decade_unit["verdict"]
    triangle_5 = verdict["diagnosis"]["methods"]["duval_triangle_5"]

    points = decade_page.evaluate(_POINTS_IN_ZONES, "duval_triangle_5")

    assert points == [{"sample": verdict["sample"]["id"], "zone": triangle_5["result"], "latest": "true", "inside": True}]
    assert decade_page.locator('svg[data-chart="duval_triangle_4"]').count() == 0


def test_every_trend_has_one_point_per_sample_with_that_gas_and_both_limit_lines(decade_page, decade_unit):
    """One chart per gas; its points are the samples carrying the gas; the 2019 Table 1/2 limits at the verdict's values."""
    limits = decade_unit["verdict"]["diagnosis"]["methods"]["ieee_c57_104_2019"]["limits"]
    for gas in GASES:
        chart = decade_page.locator(f'svg[data-chart="trend"][data-gas="{gas}"]')
        samples = chart.locator("circle[data-point]").evaluate_all("points => points.map(point => Number(point.dataset.sampleId))")
        lines = chart.locator("line[data-limit]").evaluate_all(
            "lines => Object.fromEntries(lines.map(line => [line.dataset.limit, Number(line.dataset.value)]))")

        assert sorted(samples) == sorted(sample["id"] for sample in decade_unit["measurements"] if sample[gas] is not None), gas
        assert lines == {table: limits[table][gas] for table in ("table_1", "table_2")}, gas
    assert decade_page.locator(f'svg[data-gas="{GAP_GAS}"] circle[data-point]').count() == QUARTERS - 1
    assert decade_page.locator('svg[data-chart="trend"]').count() == len(GASES)


def test_inspections_are_marked_on_every_timeline_and_listed(decade_page, decade_unit):
    """Each inspection is a marker on the status history, the health history and each trend, and a table row."""
    inspection_ids = sorted(str(inspection["id"]) for inspection in decade_unit["inspections"])
    assert len(inspection_ids) == 2
    for chart in ('svg[data-chart="status-history"]', 'svg[data-chart="health-history"]', 'svg[data-gas="h2"]'):
        marked = decade_page.locator(f"{chart} [data-inspection-id]").evaluate_all(
            "markers => markers.map(marker => marker.dataset.inspectionId)")
        assert sorted(marked) == inspection_ids, chart
    assert decade_page.locator("[data-inspection-row]").count() == 2


def test_status_and_health_histories_have_one_point_per_verdict(decade_page, decade_unit):
    """The 2019 status history and the health-index history hold every verdict of the history, each with its value."""
    history = decade_unit["verdict"]["history"]
    status = decade_page.locator('svg[data-chart="status-history"] circle[data-point]').evaluate_all(
        "points => points.map(point => [Number(point.dataset.sampleId), point.dataset.status])")
    health = decade_page.locator('svg[data-chart="health-history"] circle[data-point]').evaluate_all(
        "points => points.map(point => [Number(point.dataset.sampleId), Number(point.dataset.value)])")

    assert status == [[entry["sample_id"], str(entry["dga_status"] or "unknown")] for entry in history]
    assert health == [[entry["sample_id"], entry["health_index"]] for entry in history]


def test_every_method_has_a_row_and_the_model_shows_the_apis_probabilities(decade_page, decade_unit):
    """A methods-table row per method of the verdict; the model's probability per class as the API gives it."""
    methods = decade_unit["verdict"]["diagnosis"]["methods"]
    rows = decade_page.locator('[data-testid="methods"] tbody tr').evaluate_all("rows => rows.map(row => row.dataset.method)")
    probabilities = decade_page.locator('[data-testid="model"] [data-probability]').evaluate_all(
        "cells => Object.fromEntries(cells.map(cell => [cell.dataset.probability, Number(cell.dataset.value)]))")
    reasons = decade_page.locator('[data-testid="reasons-2019"] li').count()

    assert rows == list(methods)
    assert probabilities == methods["ai_model"]["probabilities"]
    assert decade_page.locator('[data-testid="nearest-cases"] tbody tr').count() == len(methods["ai_model"]["nearest_cases"])
    assert reasons == len(methods["ieee_c57_104_2019"]["reasons"]) > 0
    action = decade_page.locator('[data-testid="action"]')
    assert action.get_attribute("data-severity") == decade_unit["verdict"]["diagnosis"]["fault"]["severity"]
    assert decade_unit["verdict"]["diagnosis"]["action"] in action.inner_text()


def test_the_log_scale_redraws_the_trends_with_the_same_points(decade_page):
    """The scale button switches every trend to log10 and back, keeping each chart's points."""
    before = decade_page.locator('svg[data-chart="trend"] circle[data-point]').count()
    button = decade_page.locator("button.trend-scale")

    button.click()

    assert button.get_attribute("aria-pressed") == "true"
    assert decade_page.locator('svg[data-chart="trend"][data-scale="log"]').count() == len(GASES)
    assert decade_page.locator('svg[data-chart="trend"] circle[data-point]').count() == before
    button.click()
    assert decade_page.locator('svg[data-chart="trend"][data-scale="linear"]').count() == len(GASES)


# The smallest text of the print report: 7.5 pt = 10 CSS px (the charts' own labels scale with their SVG).
SMALLEST_PRINT_TEXT_PX = 10
PRINTED_WORST_UNITS = 3  # the demo fleet's worst-ranked units, printed beside the ten-year unit
_SMALLEST_HTML_TEXT = """() => Math.min(...[...document.querySelectorAll("#app *")]
    .filter(node => !node.closest("svg") && node.getClientRects().length
                    && [...node.childNodes].some(child => child.nodeType === Node.TEXT_NODE && child.textContent.trim()))
    .map(node => parseFloat(getComputedStyle(node).fontSize)))"""


def printed(page):
    """The page as print media shows it: (the PDF's bytes, what is visible, the smallest text in CSS px)."""
    page.emulate_media(media="print")
    try:
        visible = {name: page.locator(selector).first.is_visible() for name, selector in {
            "page header": '[data-testid="page-header"]', "scale button": "button.trend-scale",
            "triangle 1": 'svg[data-chart="duval_triangle_1"]', "health factors": ".unit-factors li[data-factor]",
            "agreement": ".unit-agreement", "action": '[data-testid="action"]', "methods": '[data-testid="methods"]'}.items()}
        smallest = page.evaluate(_SMALLEST_HTML_TEXT)
        pdf = page.pdf(format="A4")
    finally:
        page.emulate_media(media="screen")
    return pdf, visible, smallest


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_print_report_is_one_a4_page_with_the_health_factors_and_legible_text(dashboard, decade_unit, live_server, lang):
    """@media print, for the ten-year unit and the demo fleet's worst: one A4 page, no page header or tools,
    the health factors and the agreement kept, no text under 7.5 pt."""
    ranking = read(live_server, f"/api/v1/diagnoses?limit={PRINTED_WORST_UNITS + 1}")
    worst = [entry["equipment_id"] for entry in ranking if entry["equipment_id"] != decade_unit["id"]][:PRINTED_WORST_UNITS]
    for unit_id in [decade_unit["id"], *worst]:
        open_view(dashboard, f"#/unit/{unit_id}", lang=lang)

        pdf, visible, smallest = printed(dashboard)

        assert pdf.startswith(b"%PDF")
        assert len(PDF_PAGE.findall(pdf)) == 1, unit_id
        assert visible == {"page header": False, "scale button": False, "triangle 1": True, "health factors": True,
                           "agreement": True, "action": True, "methods": True}, unit_id
        assert smallest >= SMALLEST_PRINT_TEXT_PX, unit_id


@pytest.mark.parametrize("viewport", [PORTAL_FRAME, CONTROL_ROOM], ids=["1280x800", "1920x1080"])
def test_chart_text_is_legible_on_the_portal_frame_and_the_control_room_screen(dashboard, decade_unit, viewport):
    """Every text of every chart is drawn at least SMALLEST_TEXT_PX tall on screen, at both sizes."""
    dashboard.set_viewport_size(viewport)
    open_view(dashboard, f"#/unit/{decade_unit['id']}", lang="en")

    smallest = dashboard.evaluate("""() => Math.min(...[...document.querySelectorAll("svg.chart text")].map(label =>
        parseFloat(getComputedStyle(label).fontSize) * label.getScreenCTM().a))""")

    assert smallest >= SMALLEST_TEXT_PX


def test_the_view_is_drawn_in_korean(dashboard, decade_unit):
    """?lang=ko: headings, facts and chart names come from the Korean dictionary."""
    open_view(dashboard, f"#/unit/{decade_unit['id']}", lang="ko")

    assert dashboard.locator("#unit-title").inner_text().startswith("설비 DECADE-1")
    assert dashboard.locator("#unit-trends-title").inner_text() == "가스 추세"
    assert "영역 위의 시료" in dashboard.locator('svg[data-chart="duval_triangle_1"]').get_attribute("aria-label")


def test_a_unit_without_samples_shows_the_empty_state(dashboard, live_server):
    """No sample: the empty state says so and what to do; no chart is drawn, and the view is ready."""
    unit_id = new_unit(live_server, "EMPTY-1")

    open_view(dashboard, f"#/unit/{unit_id}", lang="en")

    empty = dashboard.locator('[data-testid="unit"] [data-state="empty"]')
    assert (empty.get_attribute("role"), empty.get_attribute("class")) == ("status", "state state-empty")  # states.js's
    assert empty.locator("h2.state-title").inner_text() == "No samples yet"
    assert "POST /api/v1/measurements" in empty.inner_text()
    assert dashboard.locator("svg.chart").count() == 0
    assert dashboard.locator('[data-testid="unit"]').get_attribute("data-unit-id") == str(unit_id)


# ---------------------------------------------------------------- the demo fleet's units

DEMO_UNIT = 11  # T8: Status 3, D2, critical, every health factor; its early samples are below typical values
# The core dictionary's words (i18n.js) the fleet view shows for T8, and the unit view's own templates.
WORDS = {
    "en": {"status_short": "Status {}", "condition": "Condition {}", "gas_level": "{gas} at {multiple}× its Table 2 limit",
           "fault": "Fault {}", "D2": "D2: high-energy discharges", "below_typical": "below typical values — no zone named"},
    "ko": {"status_short": "상태 {}", "condition": "조건 {}", "gas_level": "{gas}: 표 2 한계의 {multiple}배",
           "fault": "고장 {}", "D2": "D2: 고에너지 방전", "below_typical": "통상 수준 미만 — 영역 판정 없음"},
}
GAS_NAMES = {"h2": "H₂", "ch4": "CH₄", "c2h6": "C₂H₆", "c2h4": "C₂H₄", "c2h2": "C₂H₂", "co": "CO", "co2": "CO₂"}
UNZONED_FILL = "#7b8794"


@pytest.fixture(scope="session")
def demo_verdict(live_server):
    """What the API says about the demo unit T8, with its whole history."""
    return read(live_server, f"/api/v1/diagnoses/{DEMO_UNIT}?history=true&limit=1000")


def text_of(page, selector):
    """The visible text of the one element `selector` names."""
    return page.locator(selector).inner_text().strip()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_status_severity_fault_kind_and_method_words_are_the_fleets(dashboard, demo_verdict, lang):
    """The unit view words T8's status, severity, fault, kind and methods exactly as the fleet and scorecard do."""
    open_view(dashboard, "#/fleet", lang=lang)
    row = f'tr[data-unit-id="{DEMO_UNIT}"]'
    fleet = {
        "status": text_of(dashboard, f"{row} .status"),
        "severity": text_of(dashboard, f"{row} .severity"),
        "kind": text_of(dashboard, f"{row} td:nth-of-type(2)"),
        "fault": dashboard.locator(f'select[name="fault"] option[value="{demo_verdict["diagnosis"]["fault"]["type"]}"]').inner_text(),
    }
    open_view(dashboard, "#/scorecard", lang=lang)
    scorecard_methods = dashboard.locator('table[data-testid="scorecard"] tr[data-method]').evaluate_all(
        "rows => Object.fromEntries(rows.map(row => [row.dataset.method, row.querySelector('th').innerText.trim()]))")

    open_view(dashboard, f"#/unit/{DEMO_UNIT}", lang=lang)
    unit = {
        "status": text_of(dashboard, '[data-testid="verdict"] [class*="tile-status"] .tile-value'),
        "severity": text_of(dashboard, '[data-testid="verdict"] [class*="tile-severity"] .tile-value'),
        "kind": dashboard.locator(".unit .facts .fact").nth(1).locator("dd").inner_text(),
        "fault": text_of(dashboard, '[data-testid="verdict"] .tile-fault .tile-value'),
    }
    unit_methods = dashboard.locator('[data-testid="methods"] tbody tr').evaluate_all(
        "rows => Object.fromEntries(rows.map(row => [row.dataset.method, row.querySelector('th').innerText.trim()]))")
    duval_titles = dashboard.locator("figure.duval-figure").evaluate_all(
        "figures => Object.fromEntries(figures.map(figure => [figure.dataset.method, figure.querySelector('figcaption strong').innerText]))")

    assert unit == fleet
    assert fleet["fault"] == WORDS[lang]["D2"]
    shared = set(scorecard_methods) & set(unit_methods)
    assert {"duval_triangle_1", "duval_pentagon_1", "rogers"} <= shared
    assert {method: unit_methods[method] for method in shared} == {method: scorecard_methods[method] for method in shared}
    assert duval_titles == {method: unit_methods[method] for method in duval_titles}
    reasons = demo_verdict["diagnosis"]["methods"]["ieee_c57_104_2019"]["reasons"]
    shown = dashboard.locator('[data-testid="reasons-2019"] li').all_inner_texts()
    assert [line.rsplit(" (", 1)[1] for line in shown] == [WORDS[lang]["status_short"].format(reason["status"]) + ")" for reason in reasons]
    if lang == "ko":
        assert "Status" not in dashboard.locator('[data-testid="unit"]').text_content()


def factor_line(factor, verdict, lang):
    """What the unit view should say for one health-index factor of `verdict`, in `lang`, from its fields."""
    words = WORDS[lang]
    methods = verdict["diagnosis"]["methods"]
    penalty = f" (−{factor['penalty']:,.0f})"
    if factor["factor"] == "ieee_c57_104_2019_status":
        return "IEEE C57.104-2019: " + words["status_short"].format(methods["ieee_c57_104_2019"]["status"]) + penalty
    if factor["factor"] == "ieee_c57_104_2008_condition":
        return "IEEE C57.104-2008: " + words["condition"].format(methods["ieee_c57_104_2008"]["condition"]) + penalty
    if factor["factor"] == "fault_type":
        return words["fault"].format(words[verdict["diagnosis"]["fault"]["type"]]) + penalty
    assert factor["factor"] == "gas_level"
    limits = methods["ieee_c57_104_2019"]["limits"]["table_2"]
    gas, multiple = max(((gas, verdict["sample"][gas] / limits[gas]) for gas in GAS_NAMES), key=lambda pair: pair[1])
    engine_gas, engine_multiple = re.match(r"(\S+) at ([\d.]+)×", factor["detail"]).groups()  # the engine's own figure
    assert (engine_gas.lower(), float(engine_multiple)) == (gas, round(multiple, 2))
    return words["gas_level"].format(gas=GAS_NAMES[gas], multiple=f"{multiple:,.2f}") + penalty


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_health_factors_are_rebuilt_from_the_verdicts_fields(dashboard, demo_verdict, lang):
    """Each factor line is made of the page's words and the verdict's fields, not the API's English detail."""
    factors = demo_verdict["diagnosis"]["health_index"]["factors"]
    assert {factor["factor"] for factor in factors} == {"ieee_c57_104_2019_status", "gas_level", "ieee_c57_104_2008_condition", "fault_type"}

    open_view(dashboard, f"#/unit/{DEMO_UNIT}", lang=lang)
    lines = dashboard.locator(".unit-factors li[data-factor]").evaluate_all(
        "items => items.map(item => [item.dataset.factor, item.innerText.trim()])")

    assert lines == [[factor["factor"], factor_line(factor, demo_verdict, lang)] for factor in factors]


@pytest.mark.parametrize("chart", sorted(DUVAL_CHARTS))
def test_points_below_typical_values_are_grey_and_say_why(dashboard, demo_verdict, chart):
    """A history point whose zone is null (the sample is below typical values) is grey, classed and titled so."""
    point_field, zone_field = DUVAL_CHARTS[chart]
    unzoned = sorted(entry["sample_id"] for entry in demo_verdict["history"]
                     if entry[point_field] and entry[zone_field] is None and entry["sample_id"] != demo_verdict["sample"]["id"])
    assert unzoned  # T8's early samples

    open_view(dashboard, f"#/unit/{DEMO_UNIT}", lang="en")
    points = dashboard.locator(f'svg[data-chart="{chart}"] circle[data-point][data-latest="false"]').evaluate_all(
        """points => points.map(point => ({sample: Number(point.dataset.sampleId), zone: point.dataset.zone,
            unzoned: point.classList.contains("unzoned"), fill: point.getAttribute("fill"),
            title: point.querySelector("title").textContent}))""")

    grey = [point for point in points if point["unzoned"]]
    assert sorted(point["sample"] for point in grey) == unzoned
    assert {(point["zone"], point["fill"]) for point in grey} == {("none", UNZONED_FILL)}
    assert all(point["title"].endswith(WORDS["en"]["below_typical"]) for point in grey)
    assert all(point["fill"] != UNZONED_FILL for point in points if not point["unzoned"])


_RECORD_LOADING_STATES = """new MutationObserver(() => {
    for (const box of document.querySelectorAll('#app [data-state="loading"]')) {
        (window.loadingStates ||= []).push({role: box.getAttribute("role"), className: box.className, text: box.textContent});
    }
}).observe(document, {childList: true, subtree: true});"""


def test_the_loading_state_is_the_shared_one(dashboard):
    """Every loading box the unit view shows on its way is states.js's: role=status and the shared classes."""
    dashboard.add_init_script(_RECORD_LOADING_STATES)

    open_view(dashboard, f"#/unit/{DEMO_UNIT}", lang="en")
    seen = dashboard.evaluate("window.loadingStates || []")

    assert seen
    assert {(box["role"], box["className"]) for box in seen} == {("status", "state state-loading")}
