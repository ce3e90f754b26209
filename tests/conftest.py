"""Shared fixtures: a real SQLite demo database built once per run, and apps made by the framework."""

import asyncio
import contextlib
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import functions_framework
import pytest
from starlette.testclient import TestClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "main.py")
sys.path.insert(0, str(ROOT))

from shared import db  # noqa: E402 - needs the repository on sys.path


def use_database(path, **environment):
    """Point the service at the SQLite file `path` (plus extra settings) for the next request."""
    for name in list(os.environ):
        if name.startswith(("SEDA_", "ORACLE_")) and not name.startswith("ORACLE_TEST_"):
            del os.environ[name]
    os.environ["SEDA_SQLITE_PATH"] = str(path)
    os.environ.update(environment)
    asyncio.run(db.reset())


def service_free_environment(**settings):
    """This process's environment without any service setting, plus `settings`: for commands the tests start."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SEDA_", "ORACLE_"))}
    return {**inherited, **settings}


def run_tool(module, *arguments, **settings):
    """`python -m <module> arguments` from the repository with only `settings` configured, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT, env=service_free_environment(**settings), capture_output=True, text=True, timeout=180,
    )


def run_server_expecting_refusal(**settings):
    """Start `functions-framework --target=api` with only `settings`; the finished process of a start that fails."""
    return subprocess.run(
        [which_functions_framework(), "--target=api", "--host=127.0.0.1", "--port=0"],
        cwd=ROOT, env=service_free_environment(**settings), capture_output=True, text=True, timeout=60,
    )


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory):
    """A demo database file created by the service's own first-start path, once per run."""
    path = tmp_path_factory.mktemp("template") / "seda.sqlite3"
    use_database(path)
    db.open_at_start()
    asyncio.run(db.reset())
    return path


@pytest.fixture
def demo_db(demo_db_template, tmp_path):
    """A private copy of the demo database for one test, selected as the service's database."""
    path = tmp_path / "seda.sqlite3"
    source = sqlite3.connect(demo_db_template)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    use_database(path)
    yield path
    asyncio.run(db.reset())


@pytest.fixture
def settings_env(demo_db):
    """Change settings for one test: call with environment variables, e.g. SEDA_MAX_PAGE_SIZE="5"."""

    def apply(**environment):
        use_database(demo_db, **environment)

    return apply


def make_client(target):
    """A test client for the app that `functions_framework.create_app(target, "main.py")` returns."""
    return TestClient(functions_framework.create_app(target, MAIN), raise_server_exceptions=False)


@pytest.fixture
def client(demo_db):
    """The whole API (target `api`) on a private demo database."""
    with make_client("api") as test_client:
        yield test_client


@pytest.fixture
def sql(demo_db):
    """Run a query directly against the test's SQLite file (to check what the API said or did)."""

    def run(statement, binds=()):
        connection = sqlite3.connect(demo_db)
        try:
            return connection.execute(statement, binds).fetchall()
        finally:
            connection.close()

    return run


def follow_pages(client, url):
    """Every element of a paged collection, following rel="next" links; also the number of pages."""
    elements, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        elements.extend(response.json())
        pages += 1
        link = response.headers.get("link")
        if link:
            absolute_next = re.fullmatch(r'<(http://testserver/api/v1/[^>]+)>; rel="next"', link)
            assert absolute_next, f"not an RFC 8288 next link with an absolute URL: {link}"
        url = absolute_next.group(1) if link else None
    return elements, pages


def table_snapshot(path):
    """Every row of every table, to prove a request changed nothing."""
    connection = sqlite3.connect(path)
    try:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: connection.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in sorted(tables)}
    finally:
        connection.close()


@pytest.fixture
def free_port():
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def loopback_listener(behaviour):
    """A dead database peer on loopback; yields its port.

    `refuse`: the port is bound but not listening, so every connect is refused; `close`: each
    connection is accepted and closed at once; `hang`: each is accepted and never answered.
    """
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    held = []

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return  # the listener was shut down
            if behaviour == "hang":
                held.append(connection)
            else:
                connection.close()

    thread = None
    if behaviour != "refuse":
        server.listen()
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        if thread is not None:
            server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            thread.join(timeout=10)
        server.close()
        for connection in held:
            connection.close()


def start_server(target, database, port, *, options=(), stdout=subprocess.DEVNULL, **environment):
    """functions-framework serving `target` on loopback, in a process group of its own (it forks a worker).

    `options` are extra CLI options (`--debug` serves with plain uvicorn instead of gunicorn);
    `stdout` receives the service's log lines (a file opened for writing; discarded by default).
    Returns the process once `/api/v1/health/live` answers; fails early with the server's stderr if it dies.
    """
    command = [which_functions_framework(), f"--target={target}", "--host=127.0.0.1", f"--port={port}", *options]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "SEDA_SQLITE_PATH": str(database), **environment},
        stdout=stdout, stderr=subprocess.PIPE, start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{port}/api/v1/health/live", process)
    return process


def json_log_lines(path):
    """The JSON objects among the lines of a server's captured output (servers also write plain text)."""
    lines = []
    for line in pathlib.Path(path).read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            lines.append(entry)
    return lines


def wait_for(url, process, seconds=60):
    """GET `url` until the server answers: (status, headers, body)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()
        except OSError:
            time.sleep(0.2)
    kill_server(process)
    raise AssertionError(f"server did not answer {url} within {seconds}s")


def kill_server(process):
    """Kill the server's whole process group and reap it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def which_functions_framework():
    """The functions-framework CLI installed beside this Python."""
    candidate = pathlib.Path(sys.executable).parent / "functions-framework"
    return str(candidate) if candidate.exists() else shutil.which("functions-framework")


API_KEY = "test-write-key-0123456789"


@pytest.fixture
def writer(settings_env):
    """The whole API with `API_KEY` configured, on a private demo database; every request carries the key."""
    settings_env(SEDA_API_KEYS=API_KEY)
    with make_client("api") as test_client:
        test_client.headers["Authorization"] = f"Bearer {API_KEY}"
        yield test_client


_END_OF_RUN_LINES = []  # what tests report for the terminal summary (`report_at_end`)


def report_at_end(line):
    """Show `line` in the terminal summary at the end of the run (measured figures, such as fuzzing counts)."""
    _END_OF_RUN_LINES.append(line)


def pytest_terminal_summary(terminalreporter):
    """Print the lines tests reported with `report_at_end`."""
    for line in _END_OF_RUN_LINES:
        terminalreporter.write_line(line)
