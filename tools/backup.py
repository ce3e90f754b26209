"""Back up the embedded SQLite database, safely while the service runs: `python -m tools.backup DEST`.

In WAL mode the latest commits can live in `<file>-wal` for a while, so a copy of the main
file alone can miss them (a copy of a fresh database can even be empty). This uses SQLite's
online backup API, which copies a consistent snapshot of file and WAL together while other
connections keep reading and writing, then checks the copy with `PRAGMA quick_check`.
The source is `SEDA_SQLITE_PATH` (or `--source`); DEST must not exist. To restore, stop the
service, put the backup in place of the file (removing any `-wal` and `-shm` beside it) and
start it again.
"""

import argparse
import contextlib
import os
import sqlite3
import sys

from shared import config
from shared.db.sqlite_files import backup


def main(argv=None):
    """Copy the database to DEST and check the copy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", help="the backup file to create")
    parser.add_argument("--source", default=None, help="database file (default: SEDA_SQLITE_PATH)")
    args = parser.parse_args(argv)
    source = os.path.abspath(args.source or config.settings().sqlite_path)
    if not os.path.exists(source):
        parser.error(f"no database at {source}")
    try:
        pages = backup(source, args.destination)
    except (FileExistsError, sqlite3.Error) as exc:
        parser.error(str(exc))
    with contextlib.closing(sqlite3.connect(args.destination)) as copy:
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
    print(f"backed up {source} to {args.destination}: {pages} pages, {os.path.getsize(args.destination):,} bytes, "
          f"quick_check {check}")
    return 0 if check == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
