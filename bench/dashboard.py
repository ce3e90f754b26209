"""The dashboard's first render in Debian's Chromium: fleet view, a 10-year unit view, the scorecard, vs the health JSON.

    python bench/dashboard.py [--rounds 15]

Starts a real server (target `api`) on a new demo database in a temporary folder, adds one
unit with 10 years of quarterly samples through the API (`POST /equipment`, `POST
/measurements`), then loads each view in a fresh browser context (empty cache: an operator's
first visit) and reads the Performance API: the time from navigation start to
`performance.mark("seda:ready")` (the view's data drawn). Rounds are interleaved (one load of
each kind per round, so drift hits them alike); the baseline is the bare `/api/v1/health` JSON
opened in the same browser in the same rounds (its navigation's duration). Also reported: the
bytes each view transferred for the page's own files (the document and everything below
/api/v1/dashboard/) and for its API data. Targets (reported, not asserted): fleet < 1 s, unit
< 500 ms. The per-client rate limit is off, as in the tests: the rounds would spend its budget.
"""

import argparse
import datetime
import pathlib
import statistics
import sys
import tempfile
import warnings

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import (  # noqa: E402 - the tests' helpers, beside conftest
    DASHBOARD, GUARD_MS, PORTAL_FRAME, READY, api_call, start_browser, unused_port,
)
with warnings.catch_warnings():  # conftest's test client import warns about httpx; nothing here uses it
    warnings.simplefilter("ignore")
    from conftest import kill_server, start_server  # noqa: E402

KEY = "bench-dashboard-key-0123456789"
YEARS = 10
TARGETS_MS = {"fleet": 1000, "unit": 500}
# What a view's first load transferred, from the Performance API: own files vs API data, in bytes.
_TRANSFERRED = """() => {
  const own = `${location.origin}${document.body.dataset.assetBase}/`;
  const navigation = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const files = resources.filter((entry) => entry.name.startsWith(own));
  const data = resources.filter((entry) => !entry.name.startsWith(own));
  const total = (entries, size) => entries.reduce((sum, entry) => sum + entry[size], 0);
  return {files: files.length + 1,
          transferred: navigation.transferSize + total(files, "transferSize"),
          encoded: navigation.encodedBodySize + total(files, "encodedBodySize"),
          decoded: navigation.decodedBodySize + total(files, "decodedBodySize"),
          requests: data.length, data: total(data, "transferSize"),
          h2Points: document.querySelectorAll('[data-chart="trend"][data-gas="h2"] [data-point]').length};
}"""
_READY_MS = "performance.getEntriesByName('seda:ready').at(-1).startTime"
_NAVIGATION_MS = "performance.getEntriesByType('navigation')[0].duration"


def quarterly_samples(equipment_id, years=YEARS):
    """`years` of quarterly samples of a unit whose thermal fault slowly develops (deterministic)."""
    start = datetime.date(2016, 1, 15)
    samples = []
    for quarter in range(4 * years):
        growth = 1 + quarter / 8
        sampled = start.replace(year=start.year + quarter // 4, month=1 + 3 * (quarter % 4))
        samples.append({
            "equipment_id": equipment_id, "sampled_at": f"{sampled.isoformat()}T09:00:00Z",
            "h2": round(12 * growth, 1), "ch4": round(9 * growth ** 1.4, 1), "c2h6": round(6 * growth, 1),
            "c2h4": round(3 * growth ** 1.7, 1), "c2h2": 0.0 if quarter < 30 else 0.6,
            "co": round(210 + 9 * quarter, 1), "co2": round(1600 + 70 * quarter, 1),
        })
    return samples


def add_long_history_unit(base_url):
    """A new unit with YEARS of quarterly samples, through the API; its id."""
    unit = {"substation_id": 1, "name": "BENCH-10Y", "kind": "power_transformer", "oil_preservation": "sealed",
            "status": "in_service"}
    status, _, created = api_call(base_url, "POST", "/api/v1/equipment", unit, key=KEY)
    assert status == 201, created
    status, _, answer = api_call(base_url, "POST", "/api/v1/measurements", quarterly_samples(created["id"]), key=KEY)
    assert status in (200, 201), answer
    return created["id"]


def first_load(browser, url, ready):
    """Open `url` in a fresh context (empty cache); (ms to `ready`'s measure, what it transferred or None)."""
    context = browser.new_context(viewport=PORTAL_FRAME)
    try:
        page = context.new_page()
        page.goto(url, timeout=GUARD_MS)
        if ready is None:
            return page.evaluate(_NAVIGATION_MS), None
        page.wait_for_selector(ready, state="attached", timeout=GUARD_MS)
        return page.evaluate(_READY_MS), page.evaluate(_TRANSFERRED)
    finally:
        context.close()


def percentile(values, fraction):
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(browser, base_url, unit_id, rounds):
    """Interleaved rounds of first loads: {kind: [ms, ...]} and {kind: transferred} (from the first round)."""
    loads = {
        "fleet": (f"{base_url}{DASHBOARD}#/fleet", f'{READY}[data-view="fleet"]'),
        "unit": (f"{base_url}{DASHBOARD}#/unit/{unit_id}", f'{READY}[data-view="unit"]'),
        "scorecard": (f"{base_url}{DASHBOARD}#/scorecard", f'{READY}[data-view="scorecard"]'),
        "health": (f"{base_url}/api/v1/health", None),
    }
    for url, ready in loads.values():  # warm the server: each handler's module imported, each query planned
        first_load(browser, url, ready)
    times, transferred = {kind: [] for kind in loads}, {}
    for _ in range(rounds):
        for kind, (url, ready) in loads.items():
            milliseconds, sizes = first_load(browser, url, ready)
            times[kind].append(milliseconds)
            transferred.setdefault(kind, sizes)
    return times, transferred


def print_tables(times, transferred, samples):
    """The timing table (median, p90, ratio to health, target) and the bytes table."""
    health = statistics.median(times["health"])
    drawn = transferred["unit"]["h2Points"]
    labels = {"fleet": "fleet view (120 demo units)", "unit": f"unit view ({samples} samples, {drawn} drawn)",
              "scorecard": "scorecard view", "health": "baseline: GET /api/v1/health JSON"}
    print(f"{'first render (navigation start -> seda:ready)':48} {'median ms':>10} {'p90 ms':>8} {'x health':>9}  target")
    for kind, values in times.items():
        median = statistics.median(values)
        target = f"< {TARGETS_MS[kind]} ms {'met' if median < TARGETS_MS[kind] else 'MISSED'}" if kind in TARGETS_MS else ""
        print(f"{labels[kind]:48} {median:10.0f} {percentile(values, 0.9):8.0f} {median / health:9.1f}  {target}")
    print()
    print(f"{'bytes of a first load':28} {'own files':>9} {'transferred kB':>15} {'encoded kB':>11} "
          f"{'decoded kB':>11} {'API calls':>10} {'API kB':>8}")
    for kind, sizes in transferred.items():
        if sizes:
            print(f"{kind:28} {sizes['files']:9d} {sizes['transferred'] / 1024:15.1f} {sizes['encoded'] / 1024:11.1f} "
                  f"{sizes['decoded'] / 1024:11.1f} {sizes['requests']:10d} {sizes['data'] / 1024:8.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args(argv)
    session = start_browser()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as directory:
        port = unused_port()
        server = start_server("api", pathlib.Path(directory, "seda.sqlite3"), port,
                              SEDA_API_KEYS=KEY, SEDA_RATE_LIMIT_PER_MINUTE="0")
        try:
            base_url = f"http://127.0.0.1:{port}"
            unit_id = add_long_history_unit(base_url)
            times, transferred = measure(session.browser, base_url, unit_id, arguments.rounds)
        finally:
            kill_server(server)
            session.stop()
    print(f"{arguments.rounds} interleaved rounds, each load in a fresh context (empty cache), Chromium "
          f"{session.browser.version}, viewport {PORTAL_FRAME['width']}x{PORTAL_FRAME['height']}")
    print_tables(times, transferred, 4 * YEARS)


if __name__ == "__main__":
    main()
