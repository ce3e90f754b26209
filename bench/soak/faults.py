"""The faults the soak makes for real while the clients run: a held write lock, a moved file, a killed server."""

import os
import subprocess
import sys
import time

FAULTS = ("lock", "move", "kill")
FAULT_CYCLE_S = 60  # the faults strike once per minute of the run
FAULT_AT = {"lock": 0.15, "move": 0.40, "kill": 0.65}  # when, as a fraction of the cycle
LOCK_SCRIPT = (
    "import sqlite3, sys, time\n"
    "connection = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)\n"
    "connection.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "connection.execute('ROLLBACK')\n"
)


def fault_schedule(seconds, faults):
    """(seconds after the start, fault) for every fault of every cycle of the run, in order."""
    cycle = min(FAULT_CYCLE_S, seconds)
    return sorted(
        (start + FAULT_AT[fault] * cycle, fault)
        for start in range(0, int(seconds - cycle) + 1, FAULT_CYCLE_S)
        for fault in faults
    )


def inject(fault, server, seconds):
    """Make the fault happen for real; a sentence saying what was done."""
    hold = max(1.0, min(6.0, seconds * 0.08))
    if fault == "lock":
        locker = subprocess.Popen([sys.executable, "-c", LOCK_SCRIPT, server.database, str(hold)],
                                  stdout=subprocess.PIPE, text=True)
        asked = time.monotonic()
        locker.stdout.readline()
        waited = time.monotonic() - asked
        locker.wait(timeout=hold + 70)
        return f"write lock held by another process for {hold:.1f} s (after waiting {waited:.1f} s for it)"
    if fault == "move":
        away = max(1.0, min(3.0, seconds * 0.05))
        moved = f"{server.database}.moved"
        os.rename(server.database, moved)
        time.sleep(away)
        os.rename(moved, server.database)
        return f"database file moved away for {away:.1f} s, then back"
    started = time.monotonic()
    server.kill()
    server.start()
    return f"server killed (SIGKILL of its process group) and restarted, down {time.monotonic() - started:.1f} s"
