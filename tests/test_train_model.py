"""`python -m tools.train_model` on a small fixture: what it drops and says, determinism, and ONNX == scikit-learn.

The fixture (`tests/fixtures/train_model/`) holds rows of the two compilations (`alpha.csv` with
three N rows and one row without C2H2, `beta.csv`), `copies.csv` (three exact copies of alpha
rows and two tenfold copies of beta rows, one relabelled) and `inspected.csv` (six units of the
inspected cases, read only with --inspected).
"""

import json

import numpy as np
import pytest

from conftest import ROOT, run_tool
from shared.model import card, serving
from shared.model.features import features
from tools import train_model

FIXTURE = ROOT / "tests" / "fixtures" / "train_model"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The tool's output on the fixture, run as an operator runs it: (finished process, model path)."""
    output = tmp_path_factory.mktemp("model") / "fixture.onnx"
    finished = run_tool("tools.train_model", "--data", str(FIXTURE), "--output", str(output), "--seed", "7")
    assert finished.returncode == 0, finished.stderr
    return finished, output


def _rows(inspected=False):
    """The fixture's rows as the tool keeps them (largest file first, de-duplicated)."""
    read = [(path, *train_model.read_file(path)) for path in train_model.training_files(FIXTURE, inspected)]
    rows = [row for _, file_rows, counts in sorted(read, key=lambda entry: (-entry[2]["rows"], entry[0].name))
            for row in file_rows]
    return train_model.deduplicate(rows)


def test_the_report_says_what_was_dropped_and_measured(trained):
    finished, _ = trained
    report = finished.stdout
    assert "alpha.csv: 76 rows, 3 N dropped (the model never says 'no fault'), 1 without all five gases dropped" in report
    assert "copies.csv: 3 exact and 1 rescaled copies of earlier rows dropped (1 of them labelled differently)" in report
    assert "grouped cross-validation over 3 folds" in report
    for part in ("recall: PD", "confusion (rows = label, columns = prediction)", "Brier score", "reliability"):
        assert part in report


def test_the_tenfold_copy_of_a_placeholder_is_no_copy(trained):
    kept, dropped = _rows()
    # The relabelled tenfold copy is dropped; the other turned beta's 0.0001 placeholders (read as
    # zero) into 0.001 ppm, which is a value: its proportions are not the original's, so it stays.
    assert dropped["copies.csv"] == {"exact": 3, "rescaled": 1, "label_differs": 1}
    [survivor] = [row for row in kept if row["source"] == "copies.csv"]
    assert survivor["gases"]["c2h4"] == 0.001


def test_the_card_describes_the_data_features_classes_and_threshold(trained):
    _, output = trained
    model_card = json.loads(card.card_path(output).read_text())
    assert model_card["classes"] == list(card.MODEL_CLASSES)
    assert [feature["name"] for feature in model_card["features"]] == list(card.FEATURE_NAMES)
    files = {entry["file"]: entry for entry in model_card["training_data"]["files"]}
    assert set(files) == {"alpha.csv", "beta.csv", "copies.csv"}  # inspected.csv only with --inspected
    assert files["alpha.csv"]["sha256"] == card.sha256_of(FIXTURE / "alpha.csv")
    assert model_card["model_sha256"] == card.sha256_of(output) and model_card["seed"] == 7
    assert model_card["training_data"]["rows"] == len(_rows()[0])
    assert model_card["out_of_distribution"]["threshold"] > 0
    assert set(model_card["cross_validation"]["recall"]) == set(card.MODEL_CLASSES)
    assert model_card["versions"]["scikit-learn"] and model_card["versions"]["onnxruntime"]
    assert card.load_checked(output).sha256 == model_card["model_sha256"]  # the service accepts it


def test_training_is_deterministic_for_a_seed(trained, tmp_path):
    _, output = trained
    again = tmp_path / "again.onnx"
    train_model.main(["--data", str(FIXTURE), "--output", str(again), "--seed", "7"])
    assert again.read_bytes() == output.read_bytes()
    reference = output.with_name("fixture.reference.npz")
    assert (tmp_path / "again.reference.npz").read_bytes() == reference.read_bytes()
    first, second = (json.loads(card.card_path(path).read_text()) for path in (output, again))
    for varying in ("created", "model_file", "reference_file"):
        first.pop(varying), second.pop(varying)
    assert first == second
    other_seed = tmp_path / "other.onnx"
    train_model.main(["--data", str(FIXTURE), "--output", str(other_seed), "--seed", "8"])
    assert other_seed.read_bytes() != output.read_bytes()


def test_served_probabilities_equal_scikit_learns(trained):
    _, output = trained
    kept, _ = _rows()
    gases = {gas: np.array([row["gases"][gas] for row in kept]) for gas in card.MODEL_GASES}
    matrix = features(gases)
    labels = np.array([card.MODEL_CLASSES.index(row["label"]) for row in kept])
    forest = train_model.new_model(7).fit(matrix, labels)  # what the tool fitted, refitted the same way
    served = serving.ServedModel(card.load_checked(output), joins_verdict=False)
    rng = np.random.default_rng(3)
    unseen = features({gas: rng.lognormal(3.0, 2.0, 500) * (rng.random(500) > 0.1) for gas in card.MODEL_GASES})
    for inputs in (matrix, unseen):
        assert np.abs(served.predict(inputs) - forest.predict_proba(inputs)).max() < 1e-5


def test_inspected_cases_join_only_when_asked_and_are_grouped_by_unit(tmp_path):
    output = tmp_path / "with_inspected.onnx"
    train_model.main(["--data", str(FIXTURE), "--output", str(output), "--inspected"])
    model_card = json.loads(card.card_path(output).read_text())
    assert "inspected.csv" in {entry["file"] for entry in model_card["training_data"]["files"]}
    groups = {group for fold in model_card["cross_validation"]["folds"] for group in fold["groups"]}
    assert any(group.startswith("inspected.csv:NC-C") for group in groups)  # one group per case_id


def test_the_database_inspections_are_learnt_from_the_samples_the_scorecard_judges_them_by(demo_db, tmp_path):
    output = tmp_path / "utility.onnx"
    finished = run_tool("tools.train_model", "--database", "--only-database", "--output", str(output),
                        SEDA_SQLITE_PATH=str(demo_db))
    assert finished.returncode == 0, finished.stderr
    # The demo fleet's 22 inspections: 10 healthy units found sound, 3 recorded by family only (D, T), 9 fine.
    assert ("the database's inspections: 22, 10 'none' findings dropped (the model never says 'no fault'), "
            "3 coarse or DT findings dropped") in finished.stdout
    model_card = json.loads(card.card_path(output).read_text())
    (source,) = model_card["training_data"]["files"]
    assert (source["file"], source["usable"], source["window_days"]) == ("database", 9, 365)
    assert model_card["training_data"]["rows"] == 9 and model_card["command"].startswith(
        "python -m tools.train_model --database --window-days 365 --only-database")
    groups = {group for fold in model_card["cross_validation"]["folds"] for group in fold["groups"]}
    assert all(group.startswith("database:unit ") for group in groups)  # grouped by unit

    # The same pairs the scorecard scores: each fine finding with its unit's last complete sample within the window.
    import asyncio

    from conftest import use_database
    from shared import db, scorecard

    use_database(demo_db)
    pairs = asyncio.run(scorecard.inspections_with_samples())
    asyncio.run(db.reset())
    fine = [(inspection, sample) for inspection, sample in pairs if inspection["finding"] in card.MODEL_CLASSES]
    assert len(fine) == 9 and all(sample is not None for _, sample in fine)
    reference = np.load(output.with_name("utility.reference.npz"))
    assert sorted(reference["row"].tolist()) == sorted(inspection["id"] for inspection, _ in fine)


def test_only_database_needs_database_and_a_database_without_inspections_is_refused(tmp_path):
    refused = run_tool("tools.train_model", "--only-database")
    assert refused.returncode == 2 and "--only-database needs --database" in refused.stderr
    absent = run_tool("tools.train_model", "--database", "--only-database", "--output", str(tmp_path / "m.onnx"),
                      SEDA_SQLITE_PATH=str(tmp_path / "absent.sqlite3"))
    assert absent.returncode != 0 and "Traceback" not in absent.stderr and "no database at" in absent.stderr
    assert not (tmp_path / "absent.sqlite3").exists()
