"""The service's own log lines survive functions-framework's logging set-up under LOG_EXECUTION_ID=true."""

import pathlib
import signal
import urllib.error
import urllib.request

from conftest import API_KEY, json_log_lines, kill_server, start_server


def _send(url, request_id, data=None, **headers):
    """Send a request with an `X-Request-ID`; the status it was answered with."""
    request = urllib.request.Request(url, data=data, headers={"X-Request-ID": request_id, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _move_away(database):
    """Move the database file and its WAL companions out from under the running server."""
    for suffix in ("", "-wal", "-shm"):
        path = pathlib.Path(f"{database}{suffix}")
        if path.exists():
            path.rename(path.with_name(f"moved-{path.name}"))


def test_access_error_and_shutdown_lines_reach_stdout_with_log_execution_id(demo_db, free_port, tmp_path):
    output = tmp_path / "stdout.log"
    with output.open("w") as stdout:
        server = start_server("api", demo_db, free_port, stdout=stdout, LOG_EXECUTION_ID="true", SEDA_API_KEYS=API_KEY)
    base = f"http://127.0.0.1:{free_port}/api/v1"
    try:
        ok = _send(f"{base}/equipment?limit=1", "log-ok", **{"Function-Execution-Id": "exec-log-ok"})
        _move_away(demo_db)
        sample = b'[{"equipment_id": 1, "sampled_at": "2031-01-01T00:00:00Z", "h2": 1.0}]'
        failed = _send(
            f"{base}/measurements", "log-fail", data=sample,
            **{"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"},
        )
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    finally:
        kill_server(server)
    assert ok == 200 and failed >= 500
    lines = json_log_lines(output)
    access = [line for line in lines if line.get("request_id") == "log-ok"]
    assert [(line["message"], line["severity"], line["status"]) for line in access] == [
        ("GET /api/v1/equipment 200", "INFO", 200)
    ]
    # The framework's execution-id stream wrapped the line (the variable was in force), adding its label to ours.
    assert access[0]["logging.googleapis.com/labels"] == {"execution_id": "exec-log-ok", "request_id": "log-ok"}
    failure = [line for line in lines if line.get("request_id") == "log-fail"]
    assert {"message": f"POST /api/v1/measurements {failed}", "severity": "ERROR"}.items() <= failure[-1].items()
    explanations = [line for line in failure[:-1] if line["severity"] in ("WARNING", "ERROR")]
    assert explanations, f"no line says why the request failed: {failure}"
    # Lines written outside any request survive too.
    assert "database closed on shutdown" in [line["message"] for line in lines]
