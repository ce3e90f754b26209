"""Catch up pending and stale stored verdicts: `python -m tools.rediagnose [--batch-units N] [--partition k/n] [--dry-run]`.

Writes the verdicts of complete samples that have none (a database upgraded from schema
version 3, samples a loader wrote straight into the database) and rewrites those of another
engine (`verdict_store.fingerprint()`), unit by unit, in batches of `--batch-units` units, each
one transaction (`shared/pending.py`). Run it with the service's settings (`SEDA_SQLITE_PATH`,
or `SEDA_DATABASE=oracle` and the `ORACLE_*` variables); the service may keep running.

- Resumable: SIGINT, SIGTERM or kill -9 lose at most the batch in progress (rolled back);
  running it again carries on where the last commit left off. There is no progress file: the
  pending query itself is the state.
- `--partition k/n` takes only the units with `MOD(equipment_id, n) = k - 1`: n instances
  share a backlog without overlapping (in parallel on Oracle; on SQLite their writes take turns).
- `--dry-run` counts what is pending and stale, and writes nothing.
- Progress on stderr: units and verdicts done of the total, rate and ETA; redrawn in place on
  a terminal, one plain line every `PLAIN_LINE_EVERY_S` otherwise (logs, CI).
Exit status: 0 when nothing is left pending or stale in the partition, 1 on a database or
settings error (the message says which), 2 for bad arguments, 130 when interrupted.

`run(...)` does the same from Python (`tools.load` calls it once the benchmark database is loaded).
"""

import argparse
import asyncio
import signal
import sqlite3
import sys
import time

import oracledb

from shared import config, db, pending
from shared.db import migrations
from shared.errors import ApiError, from_database_error

DEFAULT_BATCH_UNITS = 50  # ~1,800 demo verdicts: about half a second of the write lock per batch
PLAIN_LINE_EVERY_S = 10
INTERRUPTED = 130


class ProgressReport:
    """Units and verdicts done of the total, rate and ETA, written to `stream`."""

    def __init__(self, backlog, stream):
        self._backlog = backlog
        self._stream = stream
        self._redraw = stream.isatty()
        self._started = time.monotonic()
        self._last_line = -PLAIN_LINE_EVERY_S

    def update(self, progress):
        """Show `progress`: always on a terminal, at most every PLAIN_LINE_EVERY_S elsewhere."""
        now = time.monotonic()
        if self._redraw:
            self._stream.write(f"\r{self._line(progress, now)}\x1b[K")
        elif now - self._last_line >= PLAIN_LINE_EVERY_S or progress.done:
            self._stream.write(self._line(progress, now) + "\n")
            self._last_line = now
        self._stream.flush()

    def finish(self):
        """End the redrawn line."""
        if self._redraw:
            self._stream.write("\n")
            self._stream.flush()

    def _line(self, progress, now):
        """`units 40/120 (33%) | verdicts 1,400/4,270 | 2,900 verdicts/s | ETA 1s`."""
        elapsed = max(now - self._started, 1e-9)
        rate = progress.samples / elapsed
        total = self._backlog
        left = max(total.to_write - progress.samples, 0)
        eta = _duration(left / rate) if rate else "?"
        share = 100 * progress.units / total.units if total.units else 100
        return (f"units {progress.units:,}/{total.units:,} ({share:.0f}%) | verdicts {progress.samples:,}/"
                f"{total.to_write:,} | {rate:,.0f} verdicts/s | ETA {eta}")


def _duration(seconds):
    """`1h02m`, `3m05s` or `12s`."""
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


async def _catch_up(partition, batch_units, stream):
    """Count the backlog, then catch it up with a progress report on `stream`; the Progress."""
    backlog = await pending.backlog(partition)
    report = ProgressReport(backlog, stream)
    try:
        return await pending.catch_up(partition, batch_units=batch_units, on_batch=report.update)
    finally:
        report.finish()
        await db.reset()


async def interruptible(coroutine):
    """Run `coroutine`, cancelled by SIGINT or SIGTERM (its transaction then rolls back)."""
    task = asyncio.ensure_future(coroutine)
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, task.cancel)
    return await task


def run(partition=pending.WHOLE, batch_units=DEFAULT_BATCH_UNITS, stream=sys.stderr):
    """Catch up the configured database's pending and stale verdicts in `partition`; the Progress.

    Reads the service's settings, so point `SEDA_SQLITE_PATH` (or the Oracle settings) at the
    database first. Raises what the database raises.
    """
    return asyncio.run(interruptible(_catch_up(partition, batch_units, stream)))


async def _dry_run(partition):
    """Count the backlog only."""
    try:
        return await pending.backlog(partition)
    finally:
        await db.reset()


def failure_message(exc):
    """What went wrong, for the operator (this is a command line: the driver's own words help)."""
    if isinstance(exc, (sqlite3.Error, oracledb.Error)):
        return f"{from_database_error(exc).message} ({type(exc).__name__}: {exc})"
    return getattr(exc, "message", None) or str(exc)


def _partition(text):
    """argparse type for `--partition`."""
    try:
        return pending.parse_partition(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text):
    """argparse type for a count of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; received {text!r}")
    return int(text)


def _parser():
    """The command's arguments."""
    parser = argparse.ArgumentParser(prog="python -m tools.rediagnose", description=__doc__.splitlines()[0])
    parser.add_argument("--batch-units", type=_positive, default=DEFAULT_BATCH_UNITS,
                        help=f"units per batch, each one transaction (default {DEFAULT_BATCH_UNITS})")
    parser.add_argument("--partition", type=_partition, default=pending.WHOLE,
                        help=f"this instance's share of the units: {pending.PARTITION_FORMS}; default 1/1, all of them")
    parser.add_argument("--dry-run", action="store_true", help="count pending and stale verdicts; write nothing")
    return parser


def main(argv=None):
    """Catch up (or count, with --dry-run) and say what was done; the exit status."""
    args = _parser().parse_args(argv)
    started = time.monotonic()
    try:
        db.require_existing()
        if args.dry_run:
            backlog = asyncio.run(_dry_run(args.partition))
            print(f"partition {args.partition}: {backlog.units:,} units with pending or stale verdicts; "
                  f"{backlog.pending:,} pending samples, {backlog.stale:,} stale verdicts; "
                  f"catching up writes {backlog.to_write:,} verdicts")
            return 0
        progress = run(args.partition, args.batch_units)
    except asyncio.CancelledError:
        print("interrupted: the batch in progress was rolled back; run the command again to carry on", file=sys.stderr)
        return INTERRUPTED
    except (ApiError, migrations.SchemaVersionError, RuntimeError, sqlite3.Error, oracledb.Error) as exc:
        print(f"tools.rediagnose: {failure_message(exc)}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"partition {args.partition}: caught up {progress.units:,} units, {progress.samples:,} verdicts in "
          f"{progress.batches:,} batches, {elapsed:.1f} s ({progress.samples / max(elapsed, 1e-9):,.0f} verdicts/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
