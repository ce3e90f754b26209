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
from dataclasses import dataclass

import functions_framework
import pytest
from starlette.testclient import TestClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "main.py")
sys.path.insert(0, str(ROOT))

import browser_support  # noqa: E402 - beside this file
from shared import db  # noqa: E402 - needs the repository on sys.path


# The suite's clients send thousands of requests from one address: the per-client rate limit is
# off unless a test turns it on (tests/test_rate_limits.py).
TEST_DEFAULTS = {"SEDA_RATE_LIMIT_PER_MINUTE": "0"}
# The variables the service reads start with these (the OpenTelemetry and Google ones too, shared/config/observability.py):
# a test sets them itself, none leaks from one test to the next or from this process to a server it starts.
SERVICE_VARIABLES = ("SEDA_", "ORACLE_", "OTEL_", "GOOGLE_CLOUD_PROJECT")


def use_database(path, **environment):
    """Point the service at the SQLite file `path` (plus `TEST_DEFAULTS` and extra settings) for the next request."""
    for name in list(os.environ):
        if name.startswith(SERVICE_VARIABLES) and not name.startswith("ORACLE_TEST_"):
            del os.environ[name]
    os.environ["SEDA_SQLITE_PATH"] = str(path)
    os.environ.update({**TEST_DEFAULTS, **environment})
    asyncio.run(db.reset())


def service_free_environment(**settings):
    """This process's environment without any service setting, plus `settings`: for commands the tests start."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_VARIABLES)}
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


def copy_database(source_path, target_path):
    """Copy the SQLite database at `source_path` to `target_path` (SQLite's online backup)."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    source.backup(target)
    source.close()
    target.close()


@pytest.fixture
def demo_db(demo_db_template, tmp_path):
    """A private copy of the demo database for one test, selected as the service's database."""
    path = tmp_path / "seda.sqlite3"
    copy_database(demo_db_template, path)
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


# What a web server on the wrong port says to an Oracle connect packet: bytes that are not TNS.
NOT_TNS = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
PEER_GUARD_S = 60  # how long a peer waits for a connect packet: against a hang only


class MisbehavingListener:
    """A dead or broken database peer on loopback, listening at `port`; tests get them from `misbehaving_listener`.

    Behaviours: `refuse` binds the port but never listens, so every connect is refused;
    `close` accepts each connection and closes it at once; `hangup` reads the connect packet,
    then closes; `not_tns` answers the connect packet with NOT_TNS, then closes; `hang` accepts
    and never answers. `refuse()` stops listening at run time: later connects are refused while
    the hung ones stay open and unanswered until the listener is closed. `accepted` counts the
    connections accepted and `connect_packets` keeps the packets read.
    """

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.accepted = 0
        self.connect_packets = []
        self._unanswered = []
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = None
        if behaviour != "refuse":
            self._server.listen()
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()

    def _serve(self):
        """Accept until the listening socket is shut down."""
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # refuse() or close() shut the listener down
            self.accepted += 1
            self._misbehave(connection)

    def _misbehave(self, connection):
        """Keep the connection unanswered, close it, or read the connect packet and close (after NOT_TNS)."""
        if self.behaviour == "hang":
            self._unanswered.append(connection)
            return
        if self.behaviour in ("hangup", "not_tns"):
            connection.settimeout(PEER_GUARD_S)
            with contextlib.suppress(OSError):
                self.connect_packets.append(_read_connect_packet(connection))
                if self.behaviour == "not_tns":
                    connection.sendall(NOT_TNS)
        connection.close()

    def refuse(self):
        """Stop listening: connects are refused from now on."""
        if self._thread is not None:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            self._thread.join(timeout=PEER_GUARD_S)
            self._thread = None
        self._server.close()

    def close(self):
        """Stop listening and close the hung connections."""
        self.refuse()
        for connection in self._unanswered:
            connection.close()


@pytest.fixture
def misbehaving_listener():
    """Make `MisbehavingListener(behaviour)`s, each closed when the test ends."""
    with contextlib.ExitStack() as listeners:

        def make(behaviour):
            listener = MisbehavingListener(behaviour)
            listeners.callback(listener.close)
            return listener

        yield make


def _read_connect_packet(connection):
    """The bytes of a TNS connect packet, up to the end of its connect descriptor (sent as a second segment)."""
    received = b""
    while b"(DESCRIPTION=" not in received or received.count(b"(") != received.count(b")"):
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


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


@contextlib.contextmanager
def transaction_held(database, *statements, seconds=30):
    """Another process that ran `statements` on `database` (a transaction it keeps open) until the block ends.

    `BEGIN IMMEDIATE` holds SQLite's write lock; `BEGIN` and a SELECT, a read that keeps the WAL from being emptied.
    """
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "for statement in sys.argv[2:]: c.execute(statement).fetchall()\n"
            "print('holding', flush=True); sys.stdin.read()"
        ), str(database), *statements],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=seconds)


def write_lock_held(database):
    """Another process holding SQLite's write lock on `database` until the block ends."""
    return transaction_held(database, "BEGIN IMMEDIATE")


class RedisUnavailable(Exception):
    """redis-server is not installed here or did not start; the message says which."""


def start_redis(directory, seconds=30):
    """A real redis-server on a free loopback port, persisting nothing (files, if any, in `directory`).

    Returns (process, URL) once it answers PING; RedisUnavailable when it is not installed or does not start.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("redis-server is not installed (Debian: apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=seconds) as connection:
            connection.sendall(b"PING\r\n")
            if connection.recv(64).startswith(b"+PONG"):
                return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    process.kill()
    raise RedisUnavailable(f"redis-server did not start: {process.communicate()[1].decode()[-500:]}")


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


# Real-browser tests (tests/browser_support.py): one Chromium and one server per run. Playwright's
# event loop runs in the test thread while the browser is open, where asyncio.run (use_database,
# the `client` fixtures) cannot start: the tests that use the browser run after all the others.


def pytest_collection_modifyitems(items):
    """Move the tests that use the browser to the end of the run, keeping both groups' order."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def browser(demo_db_template):
    """Debian's Chromium driven by Playwright, one per run; skips only when no browser can be started here.

    The demo database is built first: building it runs asyncio.run, which cannot once the browser is open.
    """
    try:
        session = browser_support.start_browser()
    except browser_support.BrowserUnavailable as reason:
        pytest.skip(f"no browser: {reason}")
    yield session.browser
    session.stop()


@dataclass
class LiveServer:
    """A real server (target `api`) on loopback: its base URL, its database file and its process."""

    url: str
    database: pathlib.Path
    process: subprocess.Popen


@pytest.fixture(scope="session")
def start_live_server(demo_db_template, tmp_path_factory):
    """Start a real server on its own copy of the demo database with only TEST_DEFAULTS and `settings`.

    Call it with settings (`SEDA_FRAME_ANCESTORS="..."`) and, when another setting must name it
    beforehand, the `port` to listen on; the same settings (and port) give the same server for the rest of
    the run, so tests share it. Every server is killed at the end of the run.
    """
    servers = {}

    def start(port=None, **settings):
        key = (port, tuple(sorted(settings.items())))
        if key not in servers:
            database = tmp_path_factory.mktemp("live") / "seda.sqlite3"
            copy_database(demo_db_template, database)
            port = port or browser_support.unused_port()
            with pytest.MonkeyPatch.context() as patch:  # none of this process's settings reach the server
                for name in [name for name in os.environ if name.startswith(SERVICE_VARIABLES)]:
                    patch.delenv(name)
                process = start_server("api", database, port, **{**TEST_DEFAULTS, **settings})
            servers[key] = LiveServer(f"http://127.0.0.1:{port}", database, process)
        return servers[key]

    yield start
    for server in servers.values():
        kill_server(server.process)


@pytest.fixture(scope="session")
def live_server(start_live_server):
    """The real server with the default settings, shared by the browser tests."""
    return start_live_server()


@pytest.fixture
def dashboard(browser, live_server, request):
    """A page at 1280×800 on `live_server` (relative URLs work), watched by browser_support.watch.

    Teardown saves a screenshot as a test artifact and fails the test if the page made a request
    off loopback, logged a console error, threw, or broke its Content-Security-Policy.
    """
    page = browser_support.new_watched_page(browser, live_server.url)
    yield page
    browser_support.save_screenshot(page, request.node.nodeid.removeprefix("tests/"))
    record = browser_support.record_of(page)
    page.context.close()
    assert not record.problems(), f"the page misbehaved: {record.problems()}"
