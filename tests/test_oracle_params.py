"""From the ORACLE_* settings to python-oracledb's ConnectParams/PoolParams and its real async pool, without a server.

The pool is built by the driver itself, inside a running event loop, against a loopback socket
that records every connection: creating it opens none (ORACLE_POOL_MIN=0), asking it for a
session reaches exactly that socket, and closing it closes it. A keyword the driver does not know
is a TypeError before any connection (pyright reports it earlier still: tests/test_typecheck.py).
"""

import asyncio
import socket

import oracledb
import pytest

from shared import config, db
from shared.db.oracle_connect import oracle_pool_params

PASSWORD = "s3cret-Pa55"
# Only a guard against a hang: the driver gives up on the hung-up peer at once.
HANG_GUARD_S = 60


class RecordingPeer:
    """A loopback listener that notes each connection and hangs up on it (a database that is not there)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._server = None

    async def start(self):
        """Accept on the running loop."""
        self._server = await asyncio.start_server(self._hang_up, sock=self.listener)

    def _hang_up(self, reader, writer):
        self.connections += 1
        writer.close()

    async def stop(self):
        """Stop accepting and close the listener."""
        self._server.close()
        await self._server.wait_closed()


def _oracle_at(settings_env, port, **extra):
    """Select Oracle at 127.0.0.1:`port` with the given ORACLE_* settings."""
    settings_env(ORACLE_USER="seda", ORACLE_PASSWORD=PASSWORD, ORACLE_DSN=f"127.0.0.1:{port}/FREEPDB1", **extra)


def _run(scenario):
    """Run a coroutine on a new event loop, failing instead of hanging."""
    return asyncio.run(asyncio.wait_for(scenario, HANG_GUARD_S))


async def _session_callback(connection, requested_tag):
    """A stand-in the params must carry to the pool unchanged."""


def test_pool_params_carry_every_setting(settings_env):
    _oracle_at(settings_env, 1521, ORACLE_POOL_MIN="1", ORACLE_POOL_MAX="4", ORACLE_POOL_TIMEOUT_S="3",
               ORACLE_CONNECT_TIMEOUT_S="7", ORACLE_EXPIRE_TIME_MIN="5")
    params = oracle_pool_params(config.settings().oracle, _session_callback)
    assert (params.min, params.max, params.increment, params.getmode) == (1, 4, 1, oracledb.POOL_GETMODE_TIMEDWAIT)
    assert (params.wait_timeout, params.ping_interval, params.session_callback) == (3000, 60, _session_callback)
    assert (params.expire_time, params.tcp_connect_timeout) == (5, 7)
    assert (params.user, params.host, params.port, params.service_name) == ("seda", "127.0.0.1", 1521, "FREEPDB1")


def test_the_real_pool_is_built_in_a_running_loop_and_connects_only_when_asked(settings_env):
    peer = RecordingPeer()
    _oracle_at(settings_env, peer.port, ORACLE_POOL_MIN="0", ORACLE_POOL_MAX="3", ORACLE_POOL_TIMEOUT_S="4",
               ORACLE_CONNECT_TIMEOUT_S="7", ORACLE_EXPIRE_TIME_MIN="3")

    async def build_ask_and_close():
        await peer.start()
        database = db.database()
        pool = database._get_pool()
        await asyncio.sleep(0)  # a turn of the loop for anything the pool would start by itself
        created = {"opened": pool.opened, "connections": peer.connections, "min": pool.min, "max": pool.max,
                   "getmode": pool.getmode, "wait_timeout": pool.wait_timeout, "dsn": pool.dsn,
                   "callback": pool.session_callback == database._init_session}
        with pytest.raises(oracledb.Error, match="DPY-"):
            await pool.acquire()
        asked = peer.connections
        await database.close()
        with pytest.raises(oracledb.InterfaceError, match="DPY-1002"):  # pool is not open
            pool.opened
        await peer.stop()
        return created, asked

    created, asked = _run(build_ask_and_close())
    assert created["opened"] == created["connections"] == 0, "ORACLE_POOL_MIN=0: creating the pool connects nowhere"
    assert (created["min"], created["max"], created["getmode"]) == (0, 3, oracledb.POOL_GETMODE_TIMEDWAIT)
    assert created["wait_timeout"] == 4000 and created["callback"]
    assert f"(HOST=127.0.0.1)(PORT={peer.port})" in created["dsn"] and "(SERVICE_NAME=FREEPDB1)" in created["dsn"]
    assert "(EXPIRE_TIME=3)" in created["dsn"] and "(TRANSPORT_CONNECT_TIMEOUT=7)" in created["dsn"]
    assert PASSWORD not in created["dsn"]
    assert asked == 1, "asking for a session reached the configured address once"


def test_the_driver_rejects_an_unknown_keyword_without_connecting(settings_env):
    peer = RecordingPeer()
    _oracle_at(settings_env, peer.port)  # the default ORACLE_POOL_MIN=2: a pool that existed would connect

    async def misspell():
        await peer.start()
        params = oracle_pool_params(config.settings().oracle, _session_callback)
        rejected = []
        for misspelt in (
            lambda: oracledb.PoolParams(min=0, wait_timout=5000),
            lambda: oracledb.create_pool_async(params=params, wait_timout=5000),
            lambda: oracledb.ConnectParams(service="FREEPDB1"),
            lambda: oracledb.connect_async(params=db.oracle_connect_params(config.settings().oracle), service="X"),
        ):
            with pytest.raises(TypeError, match="unexpected keyword argument") as raised:
                misspelt()
            rejected.append(str(raised.value).rsplit(" ", 1)[-1])
        await asyncio.sleep(0)
        await peer.stop()
        return rejected

    assert _run(misspell()) == ["'wait_timout'", "'wait_timout'", "'service'", "'service'"]
    assert peer.connections == 0
