"""What per-client rate limiting costs per request: requests/s with limits off, in memory and in Redis, in one run.

    python bench/rate_limit.py [--seconds 5] [--rounds 3] [--connections 16] [--path /api/v1/substations?limit=10]

Three servers run on loopback under uvicorn (1 worker), as bench/api_throughput.py runs the
service, and differ only in `SEDA_RATE_LIMIT_*`: `off` (`SEDA_RATE_LIMIT_PER_MINUTE=0`),
`memory`, and `redis` (a redis-server on loopback, started here; left out when it cannot be).
The budget is so large that wrk, one client, is never refused: every request pays for its hit
and the window's state, the cost of a request admitted under the limit. wrk loads them one
after the other, round after round (interleaved, so a drift in the machine touches all alike);
the table gives each round, the median, and the median's ratio to `off` in the same run.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import warnings

from api_throughput import ROOT, serve, wrk

sys.path.insert(0, str(ROOT / "tests"))
with warnings.catch_warnings():  # conftest's test-client import warns; the benchmark does not use it
    warnings.simplefilter("ignore")
    from conftest import RedisUnavailable, start_redis  # noqa: E402 - the test suite's redis-server starter, reused

# Never refused: ten million units per 10 s.
_HUGE_BUDGET = {"SEDA_RATE_LIMIT_PER_MINUTE": "60000000", "SEDA_RATE_LIMIT_BURST": "10000000"}


def _configurations(redis_url):
    """The settings of each server, by name; `redis` only with a Redis to use."""
    configurations = {"off": {"SEDA_RATE_LIMIT_PER_MINUTE": "0"}, "memory": {**_HUGE_BUDGET, "SEDA_RATE_LIMIT_STORAGE": "memory"}}
    if redis_url:
        configurations["redis"] = {**_HUGE_BUDGET, "SEDA_RATE_LIMIT_STORAGE": redis_url}
    return configurations


def _table(path, args, rates, note):
    """The rounds, medians and ratios against `off`, as printed lines."""
    medians = {name: statistics.median(values) for name, values in rates.items()}
    rounds = "".join(f"{f'round {n}':>10}" for n in range(1, args.rounds + 1))
    lines = [
        f"{path}: wrk, {args.connections} connections, {args.rounds} interleaved rounds of {args.seconds} s (req/s)",
        f"{'limits':<8}{rounds}{'median':>10}{'vs off':>8}",
    ]
    for name, values in rates.items():
        shown = "".join(f"{value:>10,.0f}" for value in values)
        lines.append(f"{name:<8}{shown}{medians[name]:>10,.0f}{medians[name] / medians['off']:>8.2f}")
    return lines + ([note] if note else [])


def main():
    """Start the servers (and Redis), load them in interleaved rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", default="/api/v1/substations?limit=10")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    scratch = tempfile.mkdtemp()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SEDA_", "ORACLE_"))}
    environment["SEDA_SQLITE_PATH"] = os.path.join(scratch, "seda.sqlite3")
    redis_process, redis_url, note = None, None, ""
    try:
        redis_process, redis_url = start_redis(scratch)
    except RedisUnavailable as unavailable:
        note = f"redis: left out ({unavailable})"
    servers = {}
    try:
        # The first server creates the demo database; the others find it there.
        for name, settings in _configurations(redis_url).items():
            servers[name] = serve("service_app", {**environment, **settings})
        rates = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, (_, url) in servers.items():
                rates[name].append(wrk(url + args.path, args.seconds, args.connections))
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait()
        if redis_process is not None:
            redis_process.kill()
            redis_process.wait()
    print("\n".join(_table(args.path, args, rates, note)))


if __name__ == "__main__":
    main()
