"""`tools/method_agreement.py`: the README's agreement tables, from labelled CSV files in a directory."""

import subprocess
import sys

from conftest import ROOT

HEADER = "h2,ch4,c2h6,c2h4,c2h2,co,co2,label"


def _run(directory):
    """The tool's Markdown report on `directory`."""
    result = subprocess.run([sys.executable, "tools/method_agreement.py", str(directory)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_compilations_and_inspected_cases_are_reported_apart_with_every_method(tmp_path):
    (tmp_path / "compilation.csv").write_text(
        f"{HEADER},source_note\n"
        "300,900,250,1200,5,,,T3,a thermal fault\n"  # Triangle 1: T3
        "0.0001,1,1,0.0001,0.0001,,,N,traces only\n"  # every method below typical values
    )
    (tmp_path / "inspected.csv").write_text(
        f"{HEADER},source,case_id,sample_date,label_basis,source_note\n"
        "810,168,12.2,198.4,257.3,690,4280,D2,NCEPR,NC-C001,2005.07.19,inspection,arc\n"
    )
    report = _run(tmp_path)
    compilations, inspected = report.split("##### Inspected cases (1 rows)")
    assert "##### Literature compilations (2 rows)" in compilations
    for method in ("duval_triangle_1", "duval_triangle_4", "duval_pentagon_1", "duval_pentagon_2", "iec_60599_ratios",
                   "rogers", "doernenburg", "combined_verdict"):
        assert f"###### {method}\n" in compilations
    assert "###### duval_triangle_3" not in report  # never applicable: no table
    duval = compilations.split("###### duval_triangle_1\n")[1].split("######")[0]
    assert "| T3 | 1 | 0 | 1 | 100.0 % |" in duval  # columns T3, below typical; the T3 row agrees
    assert "| N | 0 | 1 | 1 | 0.0 % |" in duval and "50.0 % of all rows; 100.0 % of the rows the method answered" in duval
    assert "coarse" in inspected and "coarse" not in compilations.split("###### combined_verdict")[1]
