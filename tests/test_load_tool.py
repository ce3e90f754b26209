"""`python -m tools.load`: the benchmark database, built whole by the project's own generator, with progress."""

import sqlite3

from conftest import run_tool
from shared.db import migrations


def test_load_builds_a_current_database_with_progress_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "bench.sqlite3"
    built = run_tool("tools.load", "--samples", "3000", "--sqlite", str(path))
    assert built.returncode == 0, built.stderr
    assert "samples [" in built.stderr and "100%" in built.stderr
    with sqlite3.connect(path) as connection:
        assert migrations.sqlite_version(connection) == migrations.history()[-1][0]
        samples = connection.execute("SELECT COUNT(*) FROM dga_sample").fetchone()[0]
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert 2700 <= samples <= 3300
    assert not (tmp_path / "bench.sqlite3.partial").exists()
    refused = run_tool("tools.load", "--samples", "3000", "--sqlite", str(path))
    assert refused.returncode == 2 and "--replace" in refused.stderr
    assert run_tool("tools.load", "--samples", "1000", "--sqlite", str(path), "--replace").returncode == 0
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM dga_sample").fetchone()[0] < samples


def test_load_needs_a_target(tmp_path):
    refused = run_tool("tools.load", "--samples", "10")
    assert refused.returncode == 2 and "--sqlite" in refused.stderr and "--oracle" in refused.stderr


def test_load_hands_oracle_to_the_oracle_loader_which_names_what_is_missing():
    refused = run_tool("tools.load", "--oracle", "--samples", "10")
    assert refused.returncode == 2 and "ORACLE_USER" in refused.stderr
