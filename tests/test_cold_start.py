"""Cold start: a target imports only what it serves — NumPy for the diagnoses, python-oracledb for Oracle,
onnxruntime only when a diagnosis runs the model (`tests/test_model.py` checks that one), Mangum only on AWS
Lambda (`lambda_function.py`; `tests/test_lambda.py` checks what a Lambda process loads), prometheus_client with
the first metrics scrape, OpenTelemetry only when its variables configure tracing.

Each case is a fresh interpreter (the test process itself has imported everything long ago)
that builds the target's app the way the functions-framework CLI does, optionally answers a
few requests through it, and reports which heavy libraries it holds.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import MAIN, ROOT, SERVICE_VARIABLES

HEAVY = ("numpy", "oracledb", "onnxruntime", "mangum", "prometheus_client", "opentelemetry")
_REPORT = '{"statuses"'  # the probe's report line (an exporter may print spans after it, at exit)
# Builds the app of target argv[1], GETs each path after it, and prints the heavy modules loaded.
_PROBE = f"""
import json, sys
import functions_framework
from starlette.testclient import TestClient

app = functions_framework.create_app(sys.argv[1], {MAIN!r})
statuses = [TestClient(app).get(path).status_code for path in sys.argv[2:]]
print(json.dumps({{"statuses": statuses, "loaded": sorted(name for name in {HEAVY!r} if name in sys.modules)}}))
"""


def _started(target, *paths, **environment):
    """(statuses of GET `paths`, heavy modules loaded) in a fresh process serving `target`."""
    report, _ = _probed(target, *paths, **environment)
    return report["statuses"], report["loaded"]


def _probed(target, *paths, **environment):
    """The probe's report and everything it printed after it, from a fresh process serving `target`."""
    settings = {name: value for name, value in os.environ.items() if not name.startswith(SERVICE_VARIABLES)}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, target, *paths], cwd=ROOT, env={**settings, **environment},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    after = result.stdout[result.stdout.index(_REPORT):]
    return json.loads(after.splitlines()[0]), after


@pytest.mark.parametrize("target", ["equipment", "health", "measurements", "substations", "application", "inspections",
                                    "api"])
def test_a_target_on_sqlite_imports_neither_numpy_nor_oracledb(demo_db, target):
    statuses, loaded = _started(target, "/", SEDA_DATABASE="sqlite", SEDA_SQLITE_PATH=str(demo_db))
    assert loaded == []
    assert statuses == [404 if target == "api" else 200]


def test_the_inspections_target_imports_numpy_with_the_first_scorecard_only(demo_db):
    statuses, loaded = _started("inspections", "/", "/1", "/scorecard", SEDA_SQLITE_PATH=str(demo_db))
    assert statuses == [200, 200, 200] and loaded == ["numpy"]
    statuses, loaded = _started("inspections", "/", "/1", SEDA_SQLITE_PATH=str(demo_db))
    assert statuses == [200, 200] and loaded == []


def test_the_dashboard_serves_its_page_and_files_without_numpy_and_loads_it_for_zones_json_only(demo_db):
    page = "/api/v1/dashboard"
    statuses, loaded = _started("dashboard", page, f"{page}/dom.js", SEDA_SQLITE_PATH=str(demo_db))
    assert statuses == [200, 200] and loaded == []
    statuses, loaded = _started("dashboard", f"{page}/zones.json", SEDA_SQLITE_PATH=str(demo_db))
    assert statuses == [200] and loaded == ["numpy"]


def test_the_diagnoses_target_imports_numpy_and_not_oracledb(demo_db):
    statuses, loaded = _started("diagnoses", "/", SEDA_DATABASE="sqlite", SEDA_SQLITE_PATH=str(demo_db))
    assert statuses == [200]
    assert loaded == ["numpy"]


def test_the_api_imports_numpy_with_the_first_diagnosis_request(demo_db):
    environment = {"SEDA_DATABASE": "sqlite", "SEDA_SQLITE_PATH": str(demo_db)}
    statuses, loaded = _started("api", "/api/v1/equipment", "/api/v1/health", **environment)
    assert statuses == [200, 200] and loaded == []
    statuses, loaded = _started("api", "/api/v1/equipment", "/api/v1/diagnoses", **environment)
    assert statuses == [200, 200] and loaded == ["numpy"]


def test_oracle_configured_imports_oracledb_at_start():
    statuses, loaded = _started(
        "equipment", SEDA_DATABASE="oracle", ORACLE_USER="seda", ORACLE_PASSWORD="s3cret-Pa55",
        ORACLE_DSN="db.invalid:1521/FREEPDB1",
    )
    assert statuses == []
    assert loaded == ["oracledb"]


def test_a_bad_setting_still_stops_a_lazily_loaded_target_at_start(demo_db):
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, "equipment"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        check=False,
        env={**os.environ, "SEDA_SQLITE_PATH": str(demo_db), "SEDA_MAX_PAGE_SIZE": "lots"},
    )
    assert result.returncode != 0
    assert "SEDA_MAX_PAGE_SIZE must be an integer" in result.stderr


def test_the_metrics_path_loads_prometheus_client_with_the_first_scrape_only(demo_db):
    environment = {"SEDA_SQLITE_PATH": str(demo_db), "SEDA_METRICS_PUBLIC": "true", "SEDA_METRICS_BACKLOG_TTL_S": "0"}
    statuses, loaded = _started("api", "/api/v1/equipment", "/api/v1/health", **environment)
    assert statuses == [200, 200] and loaded == []
    statuses, loaded = _started("api", "/api/v1/equipment", "/api/v1/metrics", **environment)
    assert statuses == [200, 200] and loaded == ["prometheus_client"]


def test_opentelemetry_configured_by_its_variables_alone_traces_and_exports_the_requests(demo_db):
    report, exported = _probed("equipment", "/", "/1", SEDA_SQLITE_PATH=str(demo_db), OTEL_TRACES_EXPORTER="console",
                               OTEL_SERVICE_NAME="seda-t")
    assert report == {"statuses": [200, 200], "loaded": ["opentelemetry"]}
    # The console exporter, found by its entry point, printed both server spans when the process ended.
    assert '"name": "GET /api/v1/equipment"' in exported and '"name": "GET /api/v1/equipment/<id>"' in exported
    assert '"service.name": "seda-t"' in exported
