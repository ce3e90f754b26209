"""Print, in Markdown, how each DGA method's answer lines up with the labels of the shared CSV compilations.

    python tools/method_agreement.py [DIRECTORY]    # default: ../shared/dga from the repo root

Reads every DIRECTORY/*.csv (header h2,ch4,c2h6,c2h4,c2h2,co,co2,label,...). An empty cell
means "not given", and 0.0001 is the compilations' placeholder for zero, so it is read as
0. The labels are not ground truth (see the folder's README). The tables are for
information only, and the engine's rules are never tuned to them.
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

DEFAULT_DIRECTORY = REPO_ROOT.parent / "shared" / "dga"
ZERO_PLACEHOLDER = 0.0001
LABELS = ("PD", "D1", "D2", "T1", "T2", "T3", "N")
NOT_APPLICABLE = "not applicable"
# Answer columns per method, in display order.
METHOD_COLUMNS = {
    "duval_triangle_1": ("PD", "T1", "T2", "T3", "D1", "D2", "DT", NOT_APPLICABLE),
    "iec_60599_ratios": ("PD", "D1", "D2", "T1", "T2", "T3", dga.NO_DIAGNOSIS, NOT_APPLICABLE),
    "rogers": ("normal", "PD", "D2", "T1", "T2", "T3", dga.NO_DIAGNOSIS, NOT_APPLICABLE),
    "doernenburg": ("corona", "arcing", "thermal", dga.NO_DIAGNOSIS, "no fault (step 1)",
                    "not significant (step 2)", NOT_APPLICABLE),
    "combined_verdict": ("no fault", "PD", "D1", "D2", "DT", "T1", "T2", "T3", "T", "D", "fault, type unknown",
                         "status unknown"),
}
# Answers that agree with a label besides the label itself.
ALSO_AGREES = {
    "N": {"normal", "no fault", "no fault (step 1)"},
    "PD": {"corona"},
    "D1": {"arcing"},
    "D2": {"arcing"},
    "T1": {"thermal"},
    "T2": {"thermal"},
    "T3": {"thermal"},
}
# Answers that say nothing about the sample, left out of "agreement where answered".
NON_ANSWERS = {NOT_APPLICABLE, dga.NO_DIAGNOSIS, "not significant (step 2)", "fault, type unknown", "status unknown"}


def read_rows(directory: pathlib.Path) -> list[tuple[str, dict, str]]:
    """(file name, gases, label) for every row of every CSV in the directory."""
    rows = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                gases = {gas: parse_ppm(record.get(gas, "")) for gas in dga.GASES}
                rows.append((path.name, gases, record["label"].strip().upper()))
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
    if method == "combined_verdict":
        fault = verdict["fault"]
        if fault["present"] is None:
            return "status unknown"
        if not fault["present"]:
            return "no fault"
        return fault["type"] or "fault, type unknown"
    result = verdict["methods"][method]
    if result["applicable"]:
        return result["result"]
    validity = result.get("validity") or {}
    if validity.get("fault_levels") is False:
        return "no fault (step 1)"
    if validity.get("ratios_significant") is False:
        return "not significant (step 2)"
    return NOT_APPLICABLE


def agrees(label: str, given: str) -> bool:
    """Whether an answer is consistent with a label."""
    return given == label or given in ALSO_AGREES.get(label, set())


def confusion_table(method: str, pairs: list[tuple[str, str]]) -> list[str]:
    """Markdown lines of the label × answer count table of one method."""
    counts = collections.Counter(pairs)
    columns = METHOD_COLUMNS[method]
    lines = ["| label \\ answer | " + " | ".join(columns) + " | rows | agree |",
             "|---|" + "---:|" * (len(columns) + 2)]
    for label in LABELS:
        row = [counts[label, column] for column in columns]
        total = sum(row)
        if total:
            agreeing = sum(count for column, count in zip(columns, row) if agrees(label, column))
            lines.append(f"| {label} | " + " | ".join(map(str, row)) + f" | {total} | {percent(agreeing, total)} |")
    return lines


def percent(part: int, whole: int) -> str:
    """part/whole as a percentage, or a dash when whole is 0."""
    return f"{100 * part / whole:.1f} %" if whole else "–"


def agreement(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """(agreement over all rows, agreement over the rows the method answered)."""
    answered = [(label, given) for label, given in pairs if given not in NON_ANSWERS]
    return (percent(sum(agrees(*pair) for pair in pairs), len(pairs)),
            percent(sum(agrees(*pair) for pair in answered), len(answered)))


def main() -> None:
    """Diagnose every row and print the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", type=pathlib.Path, default=DEFAULT_DIRECTORY)
    directory = parser.parse_args().directory
    rows = read_rows(directory)
    if not rows:
        sys.exit(f"no CSV rows found in {directory}")
    columns = {gas: [gases[gas] for _, gases, _ in rows] for gas in dga.GASES}
    verdicts = dga.diagnose_batch(columns)
    answers = {method: [(label, answer(verdict, method)) for (_, _, label), verdict in zip(rows, verdicts)]
               for method in METHOD_COLUMNS}
    files = sorted({name for name, _, _ in rows})

    print(f"# DGA method agreement with the compilation labels ({len(rows)} rows)\n")
    print("Labels are not ground truth: how the compilations labelled their rows is unknown. 0.0001 is read as 0 "
          "and an empty cell as not given. No row has CO or CO2, so the IEEE C57.104-2019 status is known only "
          "when a given gas exceeds a limit (Status 1 needs all seven gases); no O2/N2, oil preservation or age is "
          "given, so the default O2/N2 > 0.2 columns and the 'unknown age' column apply. 'agree' counts an answer "
          "as agreeing when it names the label, or is Doernenburg's coarse class of it (thermal ⇔ T1-T3, "
          "arcing ⇔ D1/D2, corona ⇔ PD), or says normal/no fault for N.\n")
    print("Rows per file: " + ", ".join(f"`{name}` {sum(row[0] == name for row in rows)}" for name in files) + "\n")
    for method in METHOD_COLUMNS:
        overall, answered = agreement(answers[method])
        print(f"## {method}\n")
        print("\n".join(confusion_table(method, answers[method])))
        print(f"\nAgreement: {overall} of all rows; {answered} of the rows the method answered.\n")
    print("## Agreement per file (all rows / answered rows)\n")
    print("| method | " + " | ".join(f"`{name}`" for name in files) + " | all files |")
    print("|---|" + "---:|" * (len(files) + 1))
    for method, pairs in answers.items():
        per_file = [agreement([pair for pair, row in zip(pairs, rows) if row[0] == name]) for name in files]
        cells = [f"{whole} / {answered}" for whole, answered in per_file + [agreement(pairs)]]
        print(f"| {method} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
