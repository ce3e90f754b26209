"""The dashboard's scorecard view in Debian's Chromium against a real server: its table and its confusion-matrix
heat maps say what GET /api/v1/inspections/scorecard says, in either language."""

from browser_support import api_call, open_view, wait_until_ready


def _scorecard(server):
    status, _, body = api_call(server.url, "GET", "/api/v1/inspections/scorecard")
    assert status == 200 and body["inspections"]["considered"] > 0, "the demo data hold inspections"
    return body


def test_the_table_has_a_row_per_method_with_the_apis_figures(dashboard, live_server):
    open_view(dashboard, "#/scorecard")
    methods = _scorecard(live_server)["methods"]

    table = dashboard.locator('[data-testid="scorecard"]')
    assert table.locator("tbody tr").evaluate_all("rows => rows.map(row => row.dataset.method)") == list(methods)
    for method, result in methods.items():
        row = table.locator(f'tr[data-method="{method}"]')
        assert row.locator('[data-score="scored"]').inner_text() == str(result["scored"])
        presence = result["presence"]
        assert row.locator('[data-score="presence"]').inner_text() == (
            f"{round(presence['accuracy'] * 100)}% ({presence['correct']} of {presence['scored']})")
    assert table.locator("caption").inner_text()
    assert dashboard.locator('[data-testid="page-header"] [data-nav="scorecard"]').get_attribute("aria-current") == "page"


def test_each_method_has_a_heat_map_whose_cells_are_its_confusion_matrix(dashboard, live_server):
    open_view(dashboard, "#/scorecard")
    methods = _scorecard(live_server)["methods"]

    maps = dashboard.locator('svg[data-chart="confusion"]')
    assert maps.evaluate_all("maps => maps.map(map => map.dataset.method)") == [
        method for method, result in methods.items() if result["confusion"]]
    for method, result in methods.items():
        cells = dashboard.eval_on_selector_all(
            f'svg[data-chart="confusion"][data-method="{method}"] rect[data-actual]',
            "cells => cells.map(cell => [cell.dataset.actual, cell.dataset.predicted, +cell.dataset.count])")
        expected = [[actual, predicted, count] for actual, row in result["confusion"].items()
                    for predicted, count in row.items() if count]
        assert sorted(cells) == sorted(expected), method


def test_the_scorecard_switches_language_with_its_number_formats(dashboard, live_server):
    open_view(dashboard, "#/scorecard", lang="en")
    combined = _scorecard(live_server)["methods"]["combined_verdict"]["presence"]

    dashboard.select_option('select[name="lang"]', "ko")
    wait_until_ready(dashboard, "scorecard")

    assert dashboard.locator("h1").inner_text() == "점검 결과 대비 성적표"
    cell = dashboard.locator('tr[data-method="combined_verdict"] [data-score="presence"]')
    percent = dashboard.evaluate(f"new Intl.NumberFormat('ko-KR', {{style: 'percent'}}).format({combined['accuracy']})")
    assert cell.inner_text() == f"{percent} ({combined['scored']}건 중 {combined['correct']}건)"
    assert dashboard.locator('tr[data-method="duval_triangle_1"] th').inner_text() == "듀발 삼각형 1"
