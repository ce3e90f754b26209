"""Print, in Markdown, how each DGA method's answer lines up with the labels of the shared CSV files.

    python tools/method_agreement.py [DIRECTORY]    # default: ../shared/dga from the repo root

Reads every DIRECTORY/*.csv (header h2,ch4,c2h6,c2h4,c2h2,co,co2,label,...). An empty cell
means "not given", and 0.0001 is the compilations' placeholder for zero, so it is read as
0. Files with a `case_id` column hold inspected cases (labels from inspection and repair
records, in their sources' own fine-class conventions) and are reported apart from the
literature compilations, with a coarse agreement (PD / D / T) beside the fine one. No label
is ground truth (see the folder's README). The tables are for information only, and the
engine's rules are never tuned to them.
"""

import argparse
import collections
import csv
import math
import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from anywhere
from shared import dga  # noqa: E402
from shared.dga.verdict import REFINEMENTS  # noqa: E402

DEFAULT_DIRECTORY = REPO_ROOT.parent / "shared" / "dga"
ZERO_PLACEHOLDER = 0.0001
LABELS = ("PD", "D1", "D2", "T1", "T2", "T3", "N")
COMBINED = "combined_verdict"
# Answers that are not a method's own result, from the reason it gives.
NOT_APPLICABLE, BELOW_TYPICAL, UNDEFINED, TRIANGLE_1_ELSEWHERE = (
    "not applicable", "below typical", "ratio 0/0", "after another Triangle 1 zone")
STEP_1, STEP_2 = "no fault (step 1)", "not significant (step 2)"
NO_FAULT, TYPE_UNKNOWN, STATUS_UNKNOWN = "no fault", "fault, type unknown", "status unknown"
NON_ANSWERS = {NOT_APPLICABLE, BELOW_TYPICAL, UNDEFINED, TRIANGLE_1_ELSEWHERE, STEP_2, dga.NO_DIAGNOSIS,
               TYPE_UNKNOWN, STATUS_UNKNOWN}
# Column order: fault classes first, then the methods' own words, then what says nothing.
COLUMN_ORDER = (*dga.FAULT_TYPES, "ND", "normal", "corona", "arcing", "thermal", NO_FAULT, STEP_1, dga.NO_DIAGNOSIS,
                UNDEFINED, BELOW_TYPICAL, STEP_2, TRIANGLE_1_ELSEWHERE, NOT_APPLICABLE, TYPE_UNKNOWN, STATUS_UNKNOWN)
# Answers that agree with a label besides the label itself: Doernenburg's coarse classes, the
# classes the verdict counts as inside an IEC zone (`verdict.REFINEMENTS`: S inside PD; S, O, C
# inside T1 and T2; C, T3-H inside T3), and what says "no fault" (Rogers' normal) for N.
ALSO_AGREES = {
    "N": {"normal", NO_FAULT, STEP_1},
    "PD": {"corona", *REFINEMENTS["PD"]},
    "D1": {"arcing", "D"},
    "D2": {"arcing", "D"},
    **{label: {"thermal", "T", *REFINEMENTS[label]} for label in ("T1", "T2", "T3")},
}
# Coarse classes, for the inspected cases: what the sources' fine conventions can still be compared on.
COARSE = {"PD": "PD", "corona": "PD", "D1": "D", "D2": "D", "D": "D", "arcing": "D", "T1": "T", "T2": "T", "T3": "T",
          "T": "T", "thermal": "T", "O": "T", "C": "T", "T3-H": "T", "N": "N", "normal": "N", NO_FAULT: "N",
          STEP_1: "N"}


def read_rows(directory: pathlib.Path) -> list[tuple[str, bool, dict, str]]:
    """(file name, inspected?, gases, label) for every row of every CSV in the directory."""
    rows = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            inspected = "case_id" in (reader.fieldnames or ())
            for record in reader:
                gases = {gas: parse_ppm(record.get(gas, "")) for gas in dga.GASES}
                rows.append((path.name, inspected, gases, record["label"].strip().upper()))
    return rows


def parse_ppm(cell: str | None) -> float:
    """A ppm cell: empty = NaN (not given), the zero placeholder = 0."""
    text = (cell or "").strip()
    if not text:
        return math.nan
    value = float(text)
    return 0.0 if value == ZERO_PLACEHOLDER else value


def answer(verdict: dict, method: str) -> str:
    """The method's answer as one column label."""
    if method == COMBINED:
        fault = verdict["fault"]
        if fault["present"] is None:
            return STATUS_UNKNOWN
        if not fault["present"]:
            return NO_FAULT
        return fault["type"] or TYPE_UNKNOWN
    result = verdict["methods"][method]
    if result["applicable"]:
        return result["result"]
    validity = result.get("validity") or {}
    reason = result["reason"] or ""
    if validity.get("fault_levels") is False:
        return STEP_1
    if validity.get("ratios_significant") is False:
        return STEP_2
    if reason.startswith("below typical values"):
        return BELOW_TYPICAL
    if "0/0" in reason:
        return UNDEFINED
    if reason.startswith("applies only when Triangle 1 is in"):
        return TRIANGLE_1_ELSEWHERE
    return NOT_APPLICABLE


def agrees(label: str, given: str) -> bool:
    """Whether an answer is consistent with a label."""
    return given == label or given in ALSO_AGREES.get(label, set())


def percent(part: int, whole: int) -> str:
    """part/whole as a percentage, or a dash when whole is 0."""
    return f"{100 * part / whole:.1f} %" if whole else "–"


def agreement(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """(agreement over all rows, agreement over the rows the method answered)."""
    answered = [(label, given) for label, given in pairs if given not in NON_ANSWERS]
    return (percent(sum(agrees(*pair) for pair in pairs), len(pairs)),
            percent(sum(agrees(*pair) for pair in answered), len(answered)))


def coarse_agreement(pairs: list[tuple[str, str]]) -> str:
    """Agreement on the coarse class (PD / D / T / N) over the rows the method answered with a class."""
    classed = [(label, given) for label, given in pairs if given in COARSE]
    return percent(sum(COARSE[label] == COARSE[given] for label, given in classed), len(classed))


def confusion_table(pairs: list[tuple[str, str]], coarse: bool) -> list[str]:
    """Markdown lines of the label × answer count table of one method."""
    counts = collections.Counter(pairs)
    seen = {given for _, given in pairs}
    columns = [column for column in COLUMN_ORDER if column in seen] + sorted(seen - set(COLUMN_ORDER))
    extra = " coarse |" if coarse else ""
    lines = ["| label \\ answer | " + " | ".join(columns) + f" | rows | agree |{extra}",
             "|---|" + "---:|" * (len(columns) + 2 + coarse)]
    for label in LABELS:
        row = [counts[label, column] for column in columns]
        total = sum(row)
        if total:
            agreeing = sum(count for column, count in zip(columns, row) if agrees(label, column))
            cells = " | ".join(map(str, row)) + f" | {total} | {percent(agreeing, total)} |"
            if coarse:
                cells += f" {coarse_agreement([pair for pair in pairs if pair[0] == label])} |"
            lines.append(f"| {label} | {cells}")
    return lines


def report(title: str, rows: list, verdicts: list, coarse: bool) -> None:
    """Print one set of files: every method's table, then agreement per file."""
    methods = [name for name, result in verdicts[0]["methods"].items() if "result" in result] + [COMBINED]
    answers = {method: [(row[3], answer(verdict, method)) for row, verdict in zip(rows, verdicts)] for method in methods}
    answers = {method: pairs for method, pairs in answers.items()
               if any(given not in (NOT_APPLICABLE,) for _, given in pairs)}  # a method that never applies says nothing
    files = sorted({row[0] for row in rows})
    print(f"##### {title} ({len(rows)} rows)\n")
    print("Rows per file: " + ", ".join(f"`{name}` {sum(row[0] == name for row in rows)}" for name in files) + "\n")
    for method, pairs in answers.items():
        overall, answered = agreement(pairs)
        print(f"###### {method}\n")
        print("\n".join(confusion_table(pairs, coarse)))
        coarse_text = f"; coarse class (PD / D / T / N) {coarse_agreement(pairs)} of the rows it classed" if coarse else ""
        print(f"\nAgreement: {overall} of all rows; {answered} of the rows the method answered{coarse_text}.\n")
    print("###### Agreement per file (all rows / answered rows)\n")
    print("| method | " + " | ".join(f"`{name}`" for name in files) + " | all files |")
    print("|---|" + "---:|" * (len(files) + 1))
    for method, pairs in answers.items():
        per_file = [agreement([pair for pair, row in zip(pairs, rows) if row[0] == name]) for name in files]
        cells = [f"{whole} / {answered}" for whole, answered in per_file + [agreement(pairs)]]
        print(f"| {method} | " + " | ".join(cells) + " |")
    print()


def main() -> None:
    """Diagnose every row and print the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", type=pathlib.Path, default=DEFAULT_DIRECTORY)
    directory = parser.parse_args().directory
    rows = read_rows(directory)
    if not rows:
        sys.exit(f"no CSV rows found in {directory}")
    verdicts = dga.diagnose_batch({gas: [row[2][gas] for row in rows] for gas in dga.GASES})
    print(f"#### DGA method agreement with the labels of `../shared/dga` (engine {dga.ENGINE_VERSION})\n")
    print("Labels are not ground truth: how the compilations labelled their rows is unknown, and the inspected "
          "cases follow their sources' own fine classes. 0.0001 is read as 0 and an empty cell as not given. No "
          "O2/N2, oil preservation or age is given, so the default O2/N2 > 0.2 columns and the 'unknown age' "
          "column apply (the 2019 status needs all seven gases for Status 1; the compilations have no CO or CO2). "
          "'agree' counts an answer as agreeing when it names the label, or a class inside it or containing it "
          "(Doernenburg's thermal/arcing/corona; the classes the verdict refines a zone into: S inside PD; "
          "S, O, C inside T1 and T2; C, T3-H inside T3), or says normal/no fault for N. 'below typical' = every "
          "gas the method reads is within its 2019 Table 1 limit (no row has a history).\n")
    for title, inspected in (("Literature compilations", False), ("Inspected cases", True)):
        chosen = [index for index, row in enumerate(rows) if row[1] == inspected]
        if chosen:
            report(title, [rows[index] for index in chosen], [verdicts[index] for index in chosen], inspected)


if __name__ == "__main__":
    main()
