"""schemathesis against a real server: every operation of the OpenAPI document, writes included, alone and in sequences.

The service (`functions-framework --target=api`) runs on a free loopback port with a private
copy of the demo database and an API key that every request carries. `schemathesis run` reads
the service's own /api/v1/openapi.json twice:
1. the stateless phases: the document's examples, coverage (every parameter and field at and
   past its bounds, each required part missing, undeclared methods) and fuzzing;
2. the stateful phase: sequences through the document's links — POST /equipment, then
   GET/PUT/PATCH/DELETE of the new unit with its id and ETag; POST /measurements, then GET them.
Every schemathesis check runs, with tests/schemathesis_hooks.py's (no undocumented response
header), except positive_data_acceptance (tests/schemathesis.toml says why). Required: both
runs exit 0 — no 5xx, no answer whose status, headers, content type or body the document does
not give for the operation — and every operation answered 2xx or 304 at least once. Seeded
and bounded by examples per operation, so CI sees the same run in about half a minute.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import urllib.request

from conftest import API_KEY, ROOT, kill_server, report_at_end, start_server

HERE = pathlib.Path(__file__).resolve().parent
RUNS = {  # name: (phases, examples per operation, or scenarios for the stateful phase)
    "stateless": ("examples,coverage,fuzzing", 100),
    "stateful": ("stateful", 100),
}
SEED = "20260901"
# A per-client budget no run spends (so answers are not 429s), still on so the RateLimit headers are checked.
_UNLIMITED = {"SEDA_RATE_LIMIT_PER_MINUTE": "60000000", "SEDA_RATE_LIMIT_BURST": "1000000"}
CHECKS = ("--checks", "all", "--exclude-checks", "positive_data_acceptance")


def _schemathesis():
    """The schemathesis CLI installed beside this Python."""
    candidate = pathlib.Path(sys.executable).parent / "schemathesis"
    return str(candidate) if candidate.exists() else shutil.which("schemathesis")


def _run(name, phases, examples, url, workdir):
    """One `schemathesis run`: (exit status, its output, its JSON report, what the hooks saw)."""
    report, outcomes = workdir / f"{name}-report.json", workdir / f"{name}-outcomes.json"
    # One worker: with two, hypothesis's lambda descriptions (ast.parse in threads) hit CPython 3.11's
    # "AST constructor recursion depth mismatch" SystemError now and then, a failure of the tool, not the service.
    command = [
        _schemathesis(), "--config-file", str(HERE / "schemathesis.toml"), "run", url, *CHECKS,
        "--phases", phases, "--max-examples", str(examples), "--seed", SEED, "--workers", "1", "--no-color",
        "--header", f"Authorization: Bearer {API_KEY}", "--request-timeout", "30",
        "--report", "json", "--report-json-path", str(report),
    ]
    environment = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "FUZZ_OUTCOMES_FILE": str(outcomes),
                   "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    finished = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=400)
    seen = json.loads(outcomes.read_text()) if outcomes.exists() else {"tested": [], "succeeded": [], "responses": 0}
    return finished.returncode, finished.stdout + finished.stderr, json.loads(report.read_text()), seen


def _labels(url):
    """"METHOD path" of every operation the served document has, as schemathesis names them."""
    with urllib.request.urlopen(url, timeout=30) as response:
        paths = json.loads(response.read())["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item if method != "parameters"}


def test_every_operation_conforms_to_the_document_under_schemathesis(demo_db, free_port, tmp_path):
    process = start_server("api", demo_db, free_port, SEDA_API_KEYS=API_KEY, **_UNLIMITED)
    try:
        url = f"http://127.0.0.1:{free_port}/api/v1/openapi.json"
        documented = _labels(url)
        results = {name: _run(name, phases, examples, url, tmp_path) for name, (phases, examples) in RUNS.items()}
    finally:
        kill_server(process)
    tested, succeeded, summary = set(), set(), []
    for name, (status, output, report, outcomes) in results.items():
        failures = output[output.find("FAILURES"):] if "FAILURES" in output else output[-4000:]
        assert status == 0, f"schemathesis {name} run failed:\n{failures[:20000]}"
        tested |= set(outcomes["tested"])
        succeeded |= set(outcomes["succeeded"])
        summary.append(f"{name} {report['test_cases']['generated']} test cases, {outcomes['responses']} responses")
    # schemathesis leaves out the operation that serves the document it reads (tests/test_openapi.py checks it).
    assert tested == documented - {"GET /api/v1/openapi.json"}
    assert tested - succeeded == set(), "never answered 2xx or 304"
    report_at_end(f"schemathesis: {len(tested)} operations, " + "; ".join(summary) + ", 0 failures")
