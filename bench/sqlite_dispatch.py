"""Is a small SQLite read faster inline on the event loop or sent to a worker thread?

    python bench/sqlite_dispatch.py [--rows 100] [--seconds 3]

Reads one page of DGA samples through the service's own SQLite session both ways, in the
same process, and prints requests/s of each and their ratio. The answer decides
`SqliteSession.fetch_all`'s default (see shared/db/sqlite.py).
"""

import argparse
import asyncio
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from shared import db  # noqa: E402

PAGE_SQL = "SELECT id, equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2, o2, n2, lab FROM dga_sample ORDER BY id"


async def _rate(conn, page, large, seconds, concurrency=16):
    """Pages per second with `concurrency` coroutines reading at once."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal done
        while time.perf_counter() < deadline:
            await conn.fetch_all(PAGE_SQL, page, paged=True, large=large)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def main(rows, seconds):
    """Measure both ways, alternating twice to even out machine noise."""
    async with db.connect() as conn:
        page = {"limit": rows, "offset": 0}
        rates = {"inline": [], "thread": []}
        for _ in range(2):
            rates["inline"].append(await _rate(conn, page, False, seconds))
            rates["thread"].append(await _rate(conn, page, True, seconds))
    inline, thread = max(rates["inline"]), max(rates["thread"])
    print(f"{rows}-row page: inline {inline:,.0f} pages/s, worker thread {thread:,.0f} pages/s, "
          f"inline/thread = {inline / thread:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3)
    args = parser.parse_args()
    os.environ.setdefault("SEDA_SQLITE_PATH", os.path.join(tempfile.gettempdir(), "seda-bench.sqlite3"))
    asyncio.run(main(args.rows, args.seconds))
