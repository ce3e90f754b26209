"""The soak's server: `functions-framework --target=api` started and killed the way the test suite does it."""

import pathlib
import socket
import sys
import threading
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

with warnings.catch_warnings():  # conftest's test-client import warns; the soak does not use it
    warnings.simplefilter("ignore")
    from conftest import kill_server, start_server  # noqa: E402 - the test suite's server starter, reused

API_KEY = "soak-write-key-0123456789"
BUSY_TIMEOUT_MS = "2000"  # shorter than the lock fault, so that fault meets 503s and not only slow writes


class Server:
    """The service under test: one functions-framework process group on a fixed loopback port."""

    def __init__(self, database, log):
        self.database = database
        self.port = _free_port()
        self._log = log
        self._process = None

    def start(self):
        """Start the server and wait until it answers; its stderr goes to the log file."""
        # Every client comes from one loopback address: the per-client rate limit would refuse most of them.
        self._process = start_server("api", self.database, self.port, SEDA_API_KEYS=API_KEY,
                                     SEDA_SQLITE_BUSY_TIMEOUT_MS=BUSY_TIMEOUT_MS, SEDA_RATE_LIMIT_PER_MINUTE="0")
        threading.Thread(target=_copy_lines, args=(self._process.stderr, self._log), daemon=True).start()

    def kill(self):
        """SIGKILL the server's process group."""
        kill_server(self._process)


def _copy_lines(source, target):
    """Copy a server's stderr into the log file, so the pipe never fills and blocks the server."""
    for line in source:
        target.write(line.decode(errors="replace"))
        target.flush()


def _free_port():
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
