"""A bound on the database sessions one process holds at once, with a short wait for a free one.

SQLite has no pool to run dry: without a bound, a burst of writers each takes a thread and a
connection and queues on the write lock, and large reads queue for the worker threads, until
clients time out. `SessionSlots.held()` lets `SEDA_SQLITE_MAX_SESSIONS` sessions and write
transactions run at once and refuses the next one that cannot start within
`SEDA_SQLITE_SESSION_WAIT_MS`: 429 TooManyRequestsTypeB, at once, before it touched the
database (`shared/ratelimit.py`). Oracle's pool is its own bound (`ORACLE_POOL_*`).
"""

import asyncio
import contextlib

from shared import ratelimit


class SessionSlots:
    """At most `size` sessions at once; a request that cannot get one within `wait_ms` is refused."""

    def __init__(self, size, wait_ms):
        self.size = size
        self._wait_s = wait_ms / 1000
        self._semaphore = None
        self._loop = None  # a semaphore belongs to the loop that waits on it
        self.held_now = 0  # slots held, on every loop (the metrics path reads it)

    @contextlib.asynccontextmanager
    async def held(self):
        """Hold a slot for the block; 429 TooManyRequestsTypeB when none comes free in time."""
        semaphore = self._for_running_loop()
        if semaphore.locked():
            try:
                async with asyncio.timeout(self._wait_s):
                    await semaphore.acquire()
            except TimeoutError:
                raise ratelimit.instance_busy(
                    f"No database session came free within {round(self._wait_s * 1000)} ms in this instance "
                    f"(SEDA_SQLITE_SESSION_WAIT_MS): it is saturated, and nothing was done. Retry in "
                    f"{ratelimit.INSTANCE_RETRY_AFTER_S} s (Retry-After).",
                    "sqlite_sessions",
                ) from None
        else:
            await semaphore.acquire()  # free: returns at once, without a timer
        self.held_now += 1
        try:
            yield
        finally:
            self.held_now -= 1
            semaphore.release()

    def _for_running_loop(self):
        """The semaphore of the running loop (a test client's new loop gets a new one)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._semaphore, self._loop = asyncio.Semaphore(self.size), loop
        return self._semaphore
