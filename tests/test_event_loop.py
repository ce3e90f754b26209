"""The event loop never waits on a big read: a read starts inline and, once it proves big, finishes in a worker
thread with the same rows, while the loop goes on serving (in-process and on a real server with a deep page)."""

import asyncio
import sys
import threading
from http.client import HTTPConnection

import pytest
from starlette.requests import Request

from conftest import kill_server, start_server
from shared import csvout, db, demo_data, headers, http, validation
from shared.errors import DatabaseTimeoutError
from tools import load

PAGE = "SELECT id FROM equipment ORDER BY id"
# Tens of thousands of rows that take far more VM steps than an inline read may run.
COUNTING = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :last) SELECT i FROM n"


@pytest.fixture
def threads_seen():
    """The thread each statement ran in, in order: (statement, thread name)."""
    seen = []

    def observe(sql, _paged):
        seen.append((sql, threading.current_thread().name))

    db.statement_observers.append(observe)
    yield seen
    db.statement_observers.remove(observe)


def test_a_page_is_read_on_the_loop_and_a_big_read_gives_way_to_a_thread_with_the_same_rows(demo_db, threads_seen):
    async def run():
        async with db.connect() as conn:
            page = await conn.fetch_all(PAGE, {"limit": 100, "offset": 0}, paged=True)
            counted = await conn.fetch_all(COUNTING, {"last": 60_000})
        return page, counted

    page, counted = asyncio.run(run())
    assert [row["id"] for row in page] == list(range(1, 101))
    assert [row["i"] for row in counted] == list(range(1, 60_001))
    loop_thread = threading.current_thread().name
    assert threads_seen[0] == (PAGE, loop_thread)  # the page: once, inline
    # The big read: tried inline, interrupted, run again (whole) in a worker thread.
    assert [sql for sql, _ in threads_seen[1:]] == [COUNTING, COUNTING]
    assert threads_seen[1][1] == loop_thread and threads_seen[2][1] != loop_thread


def test_while_a_big_read_runs_the_loop_serves_other_coroutines(demo_db):
    """Causality, not timing: a coroutine started after the big read finishes before it."""
    finished = []

    async def big_read(conn):
        await conn.fetch_all(COUNTING, {"last": 300_000})
        finished.append("big read")

    async def small_read(conn):
        await conn.fetch_all(PAGE, {"limit": 10, "offset": 0}, paged=True)
        finished.append("small read")

    async def run():
        async with db.connect() as big, db.connect() as small:
            await asyncio.gather(big_read(big), small_read(small))

    asyncio.run(run())
    assert finished == ["small read", "big read"]


def test_a_read_that_gives_way_is_still_cut_off_at_the_statement_time_limit(settings_env, threads_seen):
    settings_env(SEDA_STATEMENT_TIMEOUT_S="1")
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) AS c FROM n"

    async def run():
        async with db.connect() as conn:
            with pytest.raises(DatabaseTimeoutError):
                await conn.fetch_all(endless)
            return await conn.fetch_all(PAGE, {"limit": 3, "offset": 0}, paged=True)  # the session still works

    assert [row["id"] for row in asyncio.run(run())] == [1, 2, 3]
    assert threads_seen[1][0] == endless and threads_seen[1][1] != threading.current_thread().name


@pytest.fixture(scope="module")
def large_db(tmp_path_factory):
    """A database of about 400,000 samples (`tools.load` without stored verdicts, which a
    deep page of samples never reads and which would take most of the build)."""
    path = tmp_path_factory.mktemp("large") / "seda.sqlite3"
    load.build_sqlite(str(path), demo_data.generate(samples=400_000), verdicts=False)
    return path


def test_a_liveness_probe_is_answered_while_a_deep_page_is_read(large_db, free_port):
    """A probe sent after the deep page was requested is answered before it; inline, it would wait behind it."""
    # Deep offsets are refused past SEDA_MAX_OFFSET (cursors make them unnecessary); here one is wanted.
    process = start_server("api", large_db, free_port, SEDA_RATE_LIMIT_PER_MINUTE="0", SEDA_MAX_OFFSET="1000000")
    events, requested = [], threading.Event()

    def deep_page():
        connection = HTTPConnection("127.0.0.1", free_port, timeout=60)
        connection.request("GET", "/api/v1/measurements?limit=1000&offset=390000")
        requested.set()
        response = connection.getresponse()
        events.append(("deep page", response.status, len(response.read())))
        connection.close()

    try:
        probe = HTTPConnection("127.0.0.1", free_port, timeout=60)
        probe.request("GET", "/api/v1/health/live")  # a warm keep-alive connection, so probes cost one round trip
        probe.getresponse().read()
        reader = threading.Thread(target=deep_page)
        reader.start()
        requested.wait(timeout=60)
        while reader.is_alive():
            probe.request("GET", "/api/v1/health/live")
            response = probe.getresponse()
            response.read()
            events.append(("probe", response.status, None))
        reader.join(timeout=60)
        probe.close()
    finally:
        kill_server(process)
    deep = next(index for index, event in enumerate(events) if event[0] == "deep page")
    assert events[deep][1] == 200 and events[deep][2] > 100_000
    answered_meanwhile = [event for event in events[:deep] if event[0] == "probe"]
    # One probe may have overtaken the deep page on its way in; inline, no other could.
    assert len(answered_meanwhile) >= 3 and all(status == 200 for _, status, _ in answered_meanwhile)


def test_a_big_page_in_another_representation_is_written_in_a_thread(demo_db):
    written_in = []

    def render(rows, headers):
        written_in.append((len(rows), threading.current_thread().name))
        return csvout.csv_response(rows, ["id"], headers)

    async def page(limit):
        request = Request({
            "type": "http", "method": "GET", "scheme": "http", "server": ("testserver", 80), "root_path": "",
            "path": "/api/v1/measurements", "query_string": f"limit={limit}".encode(), "headers": [],
        })
        return await http.list_page(request, "SELECT id FROM dga_sample", {}, validation.PAGING, "id", render)

    small, big = asyncio.run(page(100)), asyncio.run(page(1000))
    loop_thread = threading.current_thread().name
    assert written_in[0] == (100, loop_thread)
    assert written_in[1][0] == 1000 and written_in[1][1] != loop_thread
    assert big.body.decode().split("\r\n")[:3] == ["id", "1", "2"] and len(big.body.decode().split("\r\n")) == 1002
    assert "offset=1000" in big.headers["link"] and "offset=100" in small.headers["link"]


def test_the_next_link_keeps_the_other_parameters_as_sent_and_replaces_the_page(client):
    answer = client.get("/api/v1/equipment?kind=power_transformer&lim%69t=2&offset=0")
    assert answer.status_code == 200, answer.text
    assert answer.headers["link"] == '<http://testserver/api/v1/equipment?kind=power_transformer&limit=2&offset=2>; rel="next"'
    by_cursor = client.get("/api/v1/measurements?from=2016-01-01T00%3A00%3A00%2B09%3A00&lim%69t=2&offset=2")
    link = by_cursor.headers["link"]
    assert link.startswith('<http://testserver/api/v1/measurements?from=2016-01-01T00%3A00%3A00%2B09%3A00&limit=2&cursor=')
    assert "offset" not in link


def test_the_worker_hands_the_gil_to_the_loop_within_a_millisecond(client):
    assert sys.getswitchinterval() == pytest.approx(headers.GIL_SWITCH_INTERVAL_S) and headers.GIL_SWITCH_INTERVAL_S <= 0.001
