"""Train the fault-type model behind `methods.ai_model`, and write it as ONNX with its model card.

    python -m tools.train_model [--data DIR] [--inspected] [--database [--only-database] [--window-days 365]]
                                [--seed 0] [--output models/dga_type.onnx]

Reads every `DIR/*.csv` (default `../shared/dga`): the literature compilations, and with
`--inspected` also the files with a `case_id` column (`inspected_cases.csv`: labels from
inspection and repair records). `--database` adds the configured database's inspections (the
service's settings: `SEDA_SQLITE_PATH`, or `SEDA_DATABASE=oracle` and the `ORACLE_*` ones), each
with the sample the scorecard judges it by — the unit's last complete sample within
`--window-days` before it (`shared/scorecard.py`) — and a fine finding (PD, D1, D2, T1, T2, T3) as
its label; `none`, coarse (D, T) and DT findings, and inspections without such a sample, are
counted and left out. `--only-database` trains on those alone: a utility's own model.

What it does, and prints:
1. **Rows**: a row without all five gases (`card.MODEL_GASES`) is dropped, and so is every
   `N` row: the model names which fault, never whether there is one (presence is the IEEE
   C57.104-2019 status). 0.0001 is the compilations' placeholder for zero and is read as 0.
2. **De-duplication**: files are read largest (most rows) first (so a copy is dropped from the smaller
   file: `dataport_untraced.csv` repeats the other two); a row is dropped when an earlier kept
   row has the same five gases (exact copy) or the same proportions, every gas's share within
   5 % of the other's (rescaled copy). Copies whose labels differ are counted apart.
3. **Grouped cross-validation**: folds by group, the source file of a compilation row, the
   `case_id` of an inspected one or the unit of a database inspection, so that near-copies of one source or one unit never sit on
   both sides (with the compilations alone: one fold per file). Per-class recall, the confusion
   matrix, coarse (PD / D / T) accuracy, the Brier score and a reliability table of the
   out-of-fold probabilities. No label here is ground truth (`../shared/dga/README.md`): the
   figures say how well the model reproduces the files' conventions on a source it did not see.
4. **The model**: a random forest (`MODEL_PARAMETERS`, fixed, not tuned to any held-out set; a
   fixed seed), fitted on every kept row, converted to ONNX (`skl2onnx`) and checked: the
   onnxruntime probabilities must equal scikit-learn's `predict_proba` on the training rows.
5. **Writes** `<output>.onnx`, `<output>.reference.npz` (the standardised training features,
   labels, sources and rows: the nearest cases an answer names) and `<output>.card.json`
   (training files and their SHA-256, row counts, features and definitions, classes, metrics,
   the out-of-distribution threshold = the 99th percentile of the leave-one-out
   nearest-neighbour distances in the standardised feature space, date, versions, seed).
The same data and seed give byte-identical `.onnx` and `.npz` files.
"""

import argparse
import asyncio
import csv
import datetime
import hashlib
import io
import json
import pathlib
import platform
import sys
import zipfile
from importlib import metadata

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from anywhere
from shared import db, scorecard  # noqa: E402
from shared.errors import ApiError  # noqa: E402
from shared.model.card import (CARD_FORMAT, DEFAULT_MODEL_PATH, FEATURES, MODEL_CLASSES, MODEL_GASES,  # noqa: E402
                               card_path, sha256_of)
from shared.model.features import features  # noqa: E402
from shared.schema import NO_FAULT  # noqa: E402

# ../shared/dga beside the checkout (/work/main → /work/shared), or two levels up for a worktree.
DEFAULT_DATA = next((path for path in (REPO_ROOT.parent / "shared" / "dga", REPO_ROOT.parent.parent / "shared" / "dga")
                     if path.is_dir()), REPO_ROOT.parent / "shared" / "dga")
ZERO_PLACEHOLDER = 0.0001
NORMAL = "N"
RESCALED_TOLERANCE = 0.05  # a rescaled copy: every gas's share within 5 % of the other row's
MAX_FOLDS = 5
OOD_PERCENTILE = 99.0
MODEL_PARAMETERS = {"n_estimators": 50, "max_depth": 10, "min_samples_leaf": 3, "max_features": "sqrt",
                    "n_jobs": 1}  # one job: the same trees whatever the machine
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
COARSE = {"PD": "PD", "D1": "D", "D2": "D", "T1": "T", "T2": "T", "T3": "T"}
RELIABILITY_BINS = (0.0, 0.4, 0.6, 0.8, 0.9, 1.0)
VERSIONED = ("numpy", "scikit-learn", "skl2onnx", "onnx", "onnxruntime")


def read_file(path: pathlib.Path) -> tuple[list[dict], dict]:
    """(usable rows, counts) of one CSV: each row {gases, label, group, source, row}."""
    rows, counts = [], {"rows": 0, "normal_dropped": 0, "incomplete_dropped": 0}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):  # line 1 is the header
            counts["rows"] += 1
            if record["label"] == NORMAL:
                counts["normal_dropped"] += 1
                continue
            try:
                gases = {gas: float(record[gas]) for gas in MODEL_GASES}
            except ValueError:  # an empty cell: the gas was not given
                counts["incomplete_dropped"] += 1
                continue
            gases = {gas: 0.0 if value <= ZERO_PLACEHOLDER else value for gas, value in gases.items()}
            group = f"{path.name}:{record['case_id']}" if record.get("case_id") else path.name
            rows.append({"gases": gases, "label": record["label"], "group": group, "source": path.name, "row": line})
    return rows, counts


DATABASE_SOURCE = "database"


def read_database(window_days: int) -> tuple[list[dict], dict]:
    """(usable rows, counts) of the configured database's inspections, each with the sample it is judged by."""

    async def read():
        try:
            return await scorecard.inspections_with_samples(window_days)
        finally:
            await db.reset()

    try:
        db.require_existing()
        pairs = asyncio.run(read())
    except RuntimeError as error:
        raise SystemExit(f"--database: {error}") from None
    except ApiError as error:
        raise SystemExit(f"--database: {error.message}") from None
    rows, counts = [], {"rows": len(pairs), "normal_dropped": 0, "incomplete_dropped": 0, "coarse_dropped": 0}
    for inspection, sample in pairs:
        finding = inspection["finding"]
        if finding not in MODEL_CLASSES:
            counts["normal_dropped" if finding == NO_FAULT else "coarse_dropped"] += 1
        elif sample is None:
            counts["incomplete_dropped"] += 1  # no complete sample within the window: nothing to learn from
        else:
            rows.append({"gases": {gas: float(sample[gas]) for gas in MODEL_GASES}, "label": finding,
                         "group": f"{DATABASE_SOURCE}:unit {inspection['equipment_id']}", "source": DATABASE_SOURCE,
                         "row": inspection["id"]})
    return rows, counts


def database_sha256(rows: list[dict]) -> str:
    """A hash of the database rows trained on (their labels, gases and inspection ids), for the model card."""
    described = [[row["row"], row["label"], [row["gases"][gas] for gas in MODEL_GASES]] for row in rows]
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()


def training_files(directory: pathlib.Path, inspected: bool) -> list[pathlib.Path]:
    """The CSV files to read: the compilations, and with `inspected` the files with a case_id column."""
    chosen = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            is_inspected = "case_id" in next(csv.reader(handle))
        if inspected or not is_inspected:
            chosen.append(path)
    return chosen


def deduplicate(rows: list[dict]) -> tuple[list[dict], dict]:
    """The rows without exact or rescaled copies of an earlier row, and what was dropped per file."""
    matrix = np.array([[row["gases"][gas] for gas in MODEL_GASES] for row in rows], float)
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    kept, dropped = [], {}
    for index, row in enumerate(rows):
        if kept:
            exact = (matrix[kept] == matrix[index]).all(axis=1)
            larger = np.maximum(shares[kept], shares[index])
            rescaled = (np.abs(shares[kept] - shares[index]) <= RESCALED_TOLERANCE * larger).all(axis=1)
            copies = np.flatnonzero(exact | rescaled)
            if copies.size:
                original = rows[kept[copies[0]]]
                kind = "exact" if exact[copies[0]] else "rescaled"
                counts = dropped.setdefault(row["source"], {"exact": 0, "rescaled": 0, "label_differs": 0})
                counts[kind] += 1
                counts["label_differs"] += original["label"] != row["label"]
                continue
        kept.append(index)
    return [rows[index] for index in kept], dropped


def grouped_folds(groups: np.ndarray) -> list[np.ndarray]:
    """Test indices of each fold: whole groups, balanced by size (GroupKFold), at most MAX_FOLDS folds."""
    from sklearn.model_selection import GroupKFold

    folds = min(MAX_FOLDS, len(np.unique(groups)))
    if folds < 2:
        raise SystemExit("cross-validation needs at least two groups (source files or units)")
    return [test for _, test in GroupKFold(n_splits=folds).split(groups, groups=groups)]


def new_model(seed: int):
    """The (unfitted) classifier: MODEL_PARAMETERS and the seed."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**MODEL_PARAMETERS, random_state=seed)


def cross_validate(matrix, labels, groups, seed) -> dict:
    """Out-of-fold metrics of the model over grouped folds."""
    probabilities = np.zeros((len(labels), len(MODEL_CLASSES)))
    fold_accuracy = []
    for test in grouped_folds(groups):
        train = np.setdiff1d(np.arange(len(labels)), test)
        model = new_model(seed).fit(matrix[train], labels[train])
        fold = np.zeros((len(test), len(MODEL_CLASSES)))
        fold[:, model.classes_] = model.predict_proba(matrix[test])  # a class absent from a fold's training: p = 0
        probabilities[test] = fold
        fold_accuracy.append({"groups": sorted(set(groups[test].tolist()))[:5], "rows": int(len(test)),
                              "accuracy": round(float((fold.argmax(axis=1) == labels[test]).mean()), 3)})
    return metrics(labels, probabilities) | {"folds": fold_accuracy}


def metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, coarse accuracy, per-class recall, confusion matrix, Brier score, reliability table."""
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((len(MODEL_CLASSES), len(MODEL_CLASSES)), int)
    np.add.at(confusion, (labels, predicted), 1)
    coarse = np.array([COARSE[name] for name in MODEL_CLASSES])
    onehot = np.eye(len(MODEL_CLASSES))[labels]
    confidence = probabilities.max(axis=1)
    reliability = []
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            reliability.append({"confidence": f"{low:.1f}–{high:.1f}", "rows": int(inside.sum()),
                                "mean_confidence": round(float(confidence[inside].mean()), 3),
                                "accuracy": round(float((predicted[inside] == labels[inside]).mean()), 3)})
    return {
        "rows": int(len(labels)),
        "accuracy": round(float((predicted == labels).mean()), 3),
        "coarse_accuracy": round(float((coarse[predicted] == coarse[labels]).mean()), 3),
        "recall": {name: round(float(confusion[row, row] / confusion[row].sum()), 3) if confusion[row].sum() else None
                   for row, name in enumerate(MODEL_CLASSES)},
        "confusion": {"rows_are": "label", "columns_are": "prediction", "classes": list(MODEL_CLASSES),
                      "matrix": confusion.tolist()},
        "brier_score": round(float(((probabilities - onehot) ** 2).sum(axis=1).mean()), 4),
        "reliability": reliability,
    }


def standardised(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(standardised features, mean, scale); a constant feature gets scale 1."""
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    return ((matrix - mean) / scale).astype(np.float32), mean.astype(np.float32), scale.astype(np.float32)


def ood_threshold(scaled: np.ndarray) -> float:
    """The 99th percentile of each training case's distance to its nearest other case."""
    squared = (scaled.astype(np.float64) ** 2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2.0 * scaled.astype(np.float64) @ scaled.T.astype(np.float64)
    np.fill_diagonal(distances, np.inf)
    nearest = np.sqrt(np.maximum(distances.min(axis=1), 0.0))
    return round(float(np.percentile(nearest, OOD_PERCENTILE)), 4)


def to_onnx(model, matrix) -> bytes:
    """The fitted forest as ONNX: input `features` float32 (n, features), outputs `label` and `probabilities`."""
    from skl2onnx import to_onnx as convert

    onnx_model = convert(model, matrix[:1], target_opset=TARGET_OPSET, options={id(model): {"zipmap": False}},
                         final_types=None)
    onnx_model.graph.input[0].name = "features"
    for node in onnx_model.graph.node:
        node.input[:] = ["features" if name == "X" else name for name in node.input]
    onnx_model.graph.output[1].name = "probabilities"
    for node in onnx_model.graph.node:
        node.output[:] = ["probabilities" if name == "probabilities" or name == "output_probability" else name
                          for name in node.output]
    return onnx_model.SerializeToString()


def check_served_equals_trained(onnx_bytes: bytes, model, matrix) -> float:
    """The largest difference between onnxruntime's probabilities and scikit-learn's; refuses more than 1e-5."""
    import onnxruntime

    session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    served = session.run(["probabilities"], {"features": matrix})[0]
    difference = float(np.abs(served - model.predict_proba(matrix)).max())
    if difference > 1e-5:
        raise SystemExit(f"onnxruntime's probabilities differ from scikit-learn's by {difference}")
    return difference


def npz_bytes(arrays: dict) -> bytes:
    """An .npz (what np.load reads) with fixed timestamps, so the same arrays give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def versions() -> dict:
    """Python and library versions used to train."""
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def print_report(files, dropped, kept, cv) -> None:
    """What was read, dropped and measured."""
    print("training files:")
    for entry in files:
        if entry["file"] == DATABASE_SOURCE:
            print(f"  the database's inspections: {entry['rows']}, {entry['normal_dropped']} 'none' findings dropped "
                  f"(the model never says 'no fault'), {entry['coarse_dropped']} coarse or DT findings dropped (the "
                  f"model names fine classes), {entry['incomplete_dropped']} without a complete sample within "
                  "the window dropped")
            continue
        print(f"  {entry['file']}: {entry['rows']} rows, {entry['normal_dropped']} N dropped (the model never says "
              f"'no fault'), {entry['incomplete_dropped']} without all five gases dropped")
    for source, counts in dropped.items():
        print(f"  de-duplication, {source}: {counts['exact']} exact and {counts['rescaled']} rescaled copies of "
              f"earlier rows dropped ({counts['label_differs']} of them labelled differently)")
    print(f"kept {len(kept)} rows; grouped cross-validation over {len(cv['folds'])} folds (labels are the files' "
          "conventions, not ground truth):")
    for fold in cv["folds"]:
        print(f"  fold of {fold['rows']} rows ({', '.join(fold['groups'])}{' …' if fold['rows'] > 5 else ''}): "
              f"accuracy {fold['accuracy']}")
    print(f"  accuracy {cv['accuracy']}, coarse (PD/D/T) {cv['coarse_accuracy']}, Brier score {cv['brier_score']}")
    print("  recall: " + ", ".join(f"{name} {value}" for name, value in cv["recall"].items()))
    print("  confusion (rows = label, columns = prediction):")
    print("        " + " ".join(f"{name:>5}" for name in MODEL_CLASSES))
    for name, row in zip(MODEL_CLASSES, cv["confusion"]["matrix"]):
        print(f"    {name:>3} " + " ".join(f"{count:>5}" for count in row))
    print("  reliability (top-class probability → accuracy):")
    for entry in cv["reliability"]:
        print(f"    {entry['confidence']}: {entry['rows']} rows, mean confidence {entry['mean_confidence']}, "
              f"accuracy {entry['accuracy']}")


def train(data: pathlib.Path | None, output: pathlib.Path, seed: int, inspected: bool,
          database_window_days: int | None = None) -> dict:
    """Read, de-duplicate, cross-validate, fit and write the model; return its card.

    `data` None reads no CSV file; `database_window_days` (not None) adds the database's inspections.
    """
    files, rows = [], []
    if database_window_days is not None:  # a utility's own inspections first: a file's copy of one is dropped
        database_rows, counts = read_database(database_window_days)
        files.append({"file": DATABASE_SOURCE, "sha256": database_sha256(database_rows), **counts,
                      "usable": len(database_rows), "window_days": database_window_days})
        rows.extend(database_rows)
    read = [(path, *read_file(path)) for path in (training_files(data, inspected) if data is not None else ())]
    for path, file_rows, counts in sorted(read, key=lambda entry: (-entry[2]["rows"], entry[0].name)):
        # Largest file first: a copy is dropped from the smaller file (dataport_untraced.csv repeats the others).
        files.append({"file": path.name, "sha256": sha256_of(path), **counts, "usable": len(file_rows)})
        rows.extend(file_rows)
    if not rows:
        raise SystemExit("no labelled rows to train on")
    kept, dropped = deduplicate(rows)
    matrix = features({gas: np.array([row["gases"][gas] for row in kept]) for gas in MODEL_GASES})
    labels = np.array([MODEL_CLASSES.index(row["label"]) for row in kept])
    groups = np.array([row["group"] for row in kept])
    cv = cross_validate(matrix, labels, groups, seed)
    print_report(files, dropped, kept, cv)

    model = new_model(seed).fit(matrix, labels)
    onnx_bytes = to_onnx(model, matrix)
    difference = check_served_equals_trained(onnx_bytes, model, matrix)
    scaled, mean, scale = standardised(matrix)
    sources = sorted({row["source"] for row in kept})
    reference = npz_bytes({
        "features": scaled, "mean": mean, "scale": scale, "label": labels.astype(np.int8),
        "source": np.array([sources.index(row["source"]) for row in kept], np.int8),
        "row": np.array([row["row"] for row in kept], np.int32),
    })
    threshold = ood_threshold(scaled)
    reference_path = output.with_name(output.stem + ".reference.npz")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(onnx_bytes)
    reference_path.write_bytes(reference)
    card = {
        "format": CARD_FORMAT,
        "model_file": output.name, "model_sha256": sha256_of(output),
        "reference_file": reference_path.name, "reference_sha256": sha256_of(reference_path),
        "reference_sources": sources,
        "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "command": "python -m tools.train_model" + (" --inspected" if inspected else "")
                   + ("" if database_window_days is None else f" --database --window-days {database_window_days}")
                   + (" --only-database" if data is None else "") + f" --seed {seed}",
        "seed": seed,
        "versions": versions(),
        "classes": list(MODEL_CLASSES),
        "gases": list(MODEL_GASES),
        "features": [{"name": name, "definition": definition} for name, definition in FEATURES],
        "model": {"family": "random forest (scikit-learn RandomForestClassifier)", "parameters": MODEL_PARAMETERS,
                  "onnx_opset": TARGET_OPSET, "onnx_max_probability_difference": difference},
        "training_data": {"files": files, "deduplication": dropped, "rows": len(kept),
                          "rows_by_class": {name: int((labels == code).sum()) for code, name in enumerate(MODEL_CLASSES)},
                          "labels": "the files' own labels, of unknown basis for the compilations; not ground truth"},
        "cross_validation": {"grouping": "source file (compilations), case_id (inspected cases) or unit (the "
                                         "database's inspections)", **cv},
        "out_of_distribution": {
            "threshold": threshold,
            "definition": "Euclidean distance, in the features standardised by the training mean and standard "
                          "deviation, to the nearest training case; above the 99th percentile of the training cases' "
                          "leave-one-out nearest distances the sample is out of distribution"},
    }
    card_path(output).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {output} ({output.stat().st_size:,} bytes), {reference_path.name}, {card_path(output).name}; "
          f"out-of-distribution threshold {threshold}")
    return card


def main(argv=None) -> None:
    """Parse the arguments and train."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="folder of labelled CSV files")
    parser.add_argument("--inspected", action="store_true", help="also train on the files with a case_id column")
    parser.add_argument("--database", action="store_true",
                        help="also train on the configured database's inspections (the service's settings)")
    parser.add_argument("--only-database", action="store_true", help="with --database: read no CSV file")
    parser.add_argument("--window-days", type=int, default=365,
                        help="an inspection is learnt from the unit's last complete sample this many days before it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=pathlib.Path, default=DEFAULT_MODEL_PATH)
    options = parser.parse_args(argv)
    if options.only_database and not options.database:
        parser.error("--only-database needs --database")
    if not 1 <= options.window_days <= 3650:
        parser.error("--window-days must be 1 to 3650")
    train(None if options.only_database else options.data, options.output, options.seed, options.inspected,
          options.window_days if options.database else None)


if __name__ == "__main__":
    main()
