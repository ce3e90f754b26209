"""The typed Oracle seam, checked by pyright in the normal test run.

python-oracledb's connect() and create_pool_async() take `**kwargs` as far as a type checker knows,
so the seam builds ConnectParams and PoolParams, whose keywords are spelt out (shared/db/oracle_connect.py).
mypy cannot check those either: the driver wraps both constructors in an unannotated decorator,
which mypy takes as Any; pyright reads through it. One pyright run checks the files of
pyrightconfig.json (no error allowed) and a fixture of misspelt keywords (each must be reported).
"""

import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT

CONFIG = ROOT / "pyrightconfig.json"
WRONG_KEYWORDS = ROOT / "tests" / "fixtures" / "typecheck" / "wrong_oracle_keyword.py"
# pyright's first run reads python-oracledb and typeshed (~2 s here); this only guards against a hang.
PYRIGHT_LIMIT_S = 120


def _seam_files():
    """The files pyrightconfig.json holds to its rules."""
    return [ROOT / path for path in json.loads(CONFIG.read_text())["include"]]


@pytest.fixture(scope="module")
def diagnostics():
    """pyright's diagnostics over the seam and the fixture, by file (one run: it is the slow part)."""
    files = [*_seam_files(), WRONG_KEYWORDS]
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--project", str(CONFIG), "--pythonpath", sys.executable,
         *map(str, files)],
        capture_output=True, text=True, cwd=ROOT, timeout=PYRIGHT_LIMIT_S, check=False,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["filesAnalyzed"] >= len(files), report["summary"]
    found = {str(path): [] for path in files}
    for diagnostic in report["generalDiagnostics"]:
        found.setdefault(diagnostic["file"], []).append(diagnostic)
    assert set(found) == {str(path) for path in files}, "pyright named the checked files by other paths"
    return found


def _described(diagnostic):
    """One diagnostic as `line: message (rule)`, for a readable failure."""
    return f"{diagnostic['range']['start']['line'] + 1}: {diagnostic['message']} ({diagnostic.get('rule', '')})"


def test_the_oracle_seam_has_no_type_error(diagnostics):
    for path in _seam_files():
        assert [_described(d) for d in diagnostics[str(path)]] == [], path


def test_every_misspelt_driver_keyword_is_a_type_error(diagnostics):
    lines = WRONG_KEYWORDS.read_text().splitlines()
    marks = {number: re.search(r"# rejected: (\w+)$", line) for number, line in enumerate(lines, start=1)}
    expected = {number: mark.group(1) for number, mark in marks.items() if mark}
    reported = {
        diagnostic["range"]["start"]["line"] + 1: diagnostic["message"]
        for diagnostic in diagnostics[str(WRONG_KEYWORDS)]
        if diagnostic["severity"] == "error"
    }
    assert len(expected) == 3
    assert reported == {number: f'No parameter named "{keyword}"' for number, keyword in expected.items()}
