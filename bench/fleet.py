"""The diagnoses reads on a big database: fleet page, unit diagnosis, history page and change feed vs an equipment page.

    python bench/fleet.py --sqlite /tmp/fleet1m.sqlite3 [--samples 1000000] [--rounds 15] [--before REV]

Builds the database first when PATH does not exist (`python -m tools.load`: the project's
generator and every stored verdict; a few minutes for 1M samples). Each request runs in process through the framework's app (`functions_framework.
create_app("api", "main.py")`, the whole stack but the socket), in interleaved rounds (one of
each kind per round, so drift hits them alike); the table gives each kind's median, p50 and p99
in ms and its median relative to the 100-row equipment page (goal for the fleet page: within 3×).
`--before REV` also times the fleet page as commit REV's `functions/diagnoses.py` computed it
(every unit diagnosed per request), on the same database.
"""

import argparse
import logging
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNIT = 7  # a unit of the generated fleet with a long history


def build(path, samples):
    """A new database of `samples` generated samples with every verdict stored (`python -m tools.load`)."""
    subprocess.run([sys.executable, "-m", "tools.load", "--samples", str(samples), "--sqlite", str(path)],
                   cwd=ROOT, check=True)


def before_app(revision):
    """An app serving `functions/diagnoses.py` as it was at `revision`."""
    import functions_framework

    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:functions/diagnoses.py"],
                            capture_output=True, text=True, check=True).stdout
    directory = tempfile.mkdtemp(prefix="fleet-before-")
    path = pathlib.Path(directory, "diagnoses_before.py")
    path.write_text(source)
    return functions_framework.create_app("diagnoses", str(path))


def percentile(values, fraction):
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", required=True, metavar="PATH")
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--before", metavar="REV", help="also time the fleet page of this commit")
    arguments = parser.parse_args(argv)
    if not os.path.exists(arguments.sqlite):
        build(arguments.sqlite, arguments.samples)
    os.environ.update(SEDA_SQLITE_PATH=arguments.sqlite, SEDA_RATE_LIMIT_PER_MINUTE="0", SEDA_CHANGE_FEED_DELAY_S="0")
    import functions_framework
    from starlette.testclient import TestClient

    logging.disable(logging.INFO)  # no access log lines around the table
    client = TestClient(functions_framework.create_app("api", str(ROOT / "main.py")))
    kinds = {
        "equipment page (100 rows)": (client, "/api/v1/equipment?limit=100"),
        "fleet page (100 entries)": (client, "/api/v1/diagnoses?limit=100"),
        "fleet page, deep cursor": (client, None),
        "fleet page, status=3": (client, "/api/v1/diagnoses?status=3&limit=100"),
        # The fleet view's other orders, search and summary strip (issue 13): each sorts the units it selects.
        "fleet page, sort=name": (client, "/api/v1/diagnoses?sort=name&limit=100"),
        "fleet page, sort=-health_index": (client, "/api/v1/diagnoses?sort=-health_index&limit=100"),
        "fleet page, sort=sampled_at": (client, "/api/v1/diagnoses?sort=sampled_at&limit=100"),
        "fleet page, sort=rank (best first)": (client, "/api/v1/diagnoses?sort=rank&limit=100"),
        "fleet page, sort=name, deep cursor": (client, None),
        "fleet page, q=T1": (client, "/api/v1/diagnoses?q=T1&limit=100"),
        "fleet page, q=T1&sort=-sampled_at": (client, "/api/v1/diagnoses?q=T1&sort=-sampled_at&limit=100"),
        "fleet summary": (client, "/api/v1/diagnoses/summary"),
        "fleet summary, substation_id=1": (client, "/api/v1/diagnoses/summary?substation_id=1"),
        "unit diagnosis": (client, f"/api/v1/diagnoses/{UNIT}"),
        "history page (100 points)": (client, f"/api/v1/diagnoses/{UNIT}?history=true&limit=100"),
        "change feed page (100)": (client, "/api/v1/diagnoses/changes?limit=100"),
    }
    deep = client.get("/api/v1/diagnoses?limit=100&offset=10000").headers["link"]  # also the first, pending check
    kinds["fleet page, deep cursor"] = (client, deep[1 : deep.index(">")].replace("http://testserver", ""))
    deep = client.get("/api/v1/diagnoses?sort=name&limit=100&offset=10000").headers["link"]
    kinds["fleet page, sort=name, deep cursor"] = (client, deep[1 : deep.index(">")].replace("http://testserver", ""))
    if arguments.before:
        kinds["fleet page, before (computed)"] = (TestClient(before_app(arguments.before)), "/api/v1/diagnoses?limit=100")
    timings = {kind: [] for kind in kinds}
    for _ in range(arguments.rounds):
        for kind, (app_client, path) in kinds.items():
            started = time.perf_counter()
            response = app_client.get(path)
            timings[kind].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (kind, response.text[:200])
    baseline = statistics.median(timings["equipment page (100 rows)"])
    print(f"{'request':38} {'median ms':>10} {'p50 ms':>8} {'p99 ms':>8} {'× equipment':>12}")
    for kind, values in timings.items():
        median = statistics.median(values)
        print(f"{kind:38} {median:10.2f} {percentile(values, 0.5):8.2f} {percentile(values, 0.99):8.2f} "
              f"{median / baseline:12.2f}")
    print(f"({arguments.rounds} interleaved rounds on {arguments.sqlite})")


if __name__ == "__main__":
    main()
