"""The served model: start-up checks, `methods.ai_model` in every verdict, its gates, OOD, and SEDA_VERDICT_USES_MODEL."""

import json
import shutil
import sqlite3
import subprocess
import sys

import numpy as np
import orjson
import pytest

from conftest import API_KEY, MAIN, ROOT, run_server_expecting_refusal, service_free_environment, table_snapshot
from shared import dga, verdict_store
from shared.model import card, serving
from tools import train_model

ARCING = {"h2": 500, "ch4": 120, "c2h6": 30, "c2h4": 80, "c2h2": 40, "co": 300, "co2": 2000}
HOT = {"h2": 100, "ch4": 200, "c2h6": 50, "c2h4": 300, "c2h2": 2, "co": 300, "co2": 3000}
TRACES = {"h2": 5, "ch4": 2, "c2h6": 1, "c2h4": 1, "c2h2": 0, "co": 50, "co2": 500}


def _copy_model(directory):
    """A copy of the shipped model's three files in `directory`; the .onnx path."""
    for suffix in (".onnx", ".card.json", ".reference.npz"):
        shutil.copy(card.DEFAULT_MODEL_PATH.with_name("dga_type" + suffix), directory / ("dga_type" + suffix))
    return directory / "dga_type.onnx"


def _edit_card(model, change):
    """Rewrite the card of `model` after `change(card dict)`."""
    path = card.card_path(model)
    content = json.loads(path.read_text())
    change(content)
    path.write_text(json.dumps(content))


def test_a_model_whose_bytes_changed_stops_the_server_at_start(tmp_path, demo_db):
    model = _copy_model(tmp_path)
    content = bytearray(model.read_bytes())
    content[len(content) // 2] ^= 0xFF
    model.write_bytes(bytes(content))
    finished = run_server_expecting_refusal(SEDA_MODEL_PATH=str(model), SEDA_SQLITE_PATH=str(demo_db))
    assert finished.returncode != 0
    assert f"SEDA_MODEL_PATH={model}: the model file dga_type.onnx has SHA-256" in finished.stderr
    assert "the file was changed or corrupted after training" in finished.stderr


@pytest.mark.parametrize("spoil, message", [
    (lambda model: model.unlink(), "no such model file"),
    (lambda model: card.card_path(model).unlink(), "its model card dga_type.card.json is missing"),
    (lambda model: card.card_path(model).write_text("{not json"), "is not readable JSON"),
    (lambda model: _edit_card(model, lambda c: c["features"].pop()), "the card's features"),
    (lambda model: _edit_card(model, lambda c: c.update(classes=["PD", "D", "T"])), "the card's classes ['PD', 'D', 'T']"),
    (lambda model: _edit_card(model, lambda c: c.update(model_sha256="0" * 64)), "but its card says 0000"),
    (lambda model: model.with_name("dga_type.reference.npz").write_bytes(b"PK"), "the reference file dga_type.reference"),
])
def test_a_wrong_or_corrupt_model_is_refused_at_start_with_what_is_wrong(tmp_path, settings_env, spoil, message):
    model = _copy_model(tmp_path)
    spoil(model)
    with pytest.raises(RuntimeError, match="SEDA_MODEL_PATH=") as refused:
        settings_env(SEDA_MODEL_PATH=str(model))
        import shared.config
        shared.config.settings()
    assert message in str(refused.value)


def test_a_model_that_passes_its_card_but_cannot_be_loaded_is_503_changing_nothing(tmp_path, settings_env, writer,
                                                                                   demo_db):
    # A card whose hash matches a file onnxruntime cannot read (or a graph with other input names):
    # start-up's check passes; every request that needs the model is then 503, logged once, never a 500.
    model = _copy_model(tmp_path)
    model.write_bytes(model.read_bytes()[:1000])
    _edit_card(model, lambda content: content.update(model_sha256=card.sha256_of(model)))
    settings_env(SEDA_MODEL_PATH=str(model), SEDA_API_KEYS=API_KEY)
    before = table_snapshot(demo_db)
    for method, path, body in (("POST", "/api/v1/diagnoses", ARCING),
                               ("POST", "/api/v1/measurements", [{"equipment_id": 1, "sampled_at": "2030-01-01",
                                                                  **ARCING}])):
        response = writer.request(method, path, json=body)
        assert response.status_code == 503, response.text
        answer = response.json()
        assert answer["error"] == "ModelUnavailable" and answer["request_id"] == response.headers["X-Request-ID"]
        assert str(tmp_path) not in response.text and response.headers["Retry-After"] == "60"
    assert table_snapshot(demo_db) == before  # the refused write left nothing


def test_the_reference_cases_and_the_threshold_are_part_of_what_makes_verdicts_stale(tmp_path):
    # They shape `nearest_cases` and `out_of_distribution` as the .onnx shapes the class.
    model = _copy_model(tmp_path)
    shipped = card.load_checked(model)
    _edit_card(model, lambda content: content["out_of_distribution"].update(threshold=9.9))
    other_threshold = card.load_checked(model)
    assert other_threshold.sha256 == shipped.sha256 and other_threshold.identity != shipped.identity
    assert len({shipped.identity, other_threshold.identity, card.load_checked(card.DEFAULT_MODEL_PATH).identity}) == 2


def test_verdicts_use_the_model_only_with_a_model(settings_env):
    settings_env(SEDA_MODEL_PATH="none", SEDA_VERDICT_USES_MODEL="true")
    import shared.config
    with pytest.raises(RuntimeError, match="SEDA_VERDICT_USES_MODEL=true needs a model"):
        shared.config.settings()


def _ai_model(verdict):
    """The verdict's learned method, checked for the shape every applicable answer has."""
    answer = verdict["methods"]["ai_model"]
    assert answer["applicable"] is True and answer["reason"] is None
    assert answer["result"] == answer["fault_type"] in card.MODEL_CLASSES
    assert set(answer["probabilities"]) == set(card.MODEL_CLASSES)
    assert abs(sum(answer["probabilities"].values()) - 1) < 1e-3
    assert answer["result"] == max(answer["probabilities"], key=answer["probabilities"].get)
    assert len(answer["nearest_cases"]) == card.NEAREST_CASES
    distances = [case["distance"] for case in answer["nearest_cases"]]
    assert distances == sorted(distances)
    assert "learned model, p = " in answer["description"]
    return answer


def test_single_and_batch_verdicts_carry_the_model_and_agree(client):
    single = client.post("/api/v1/diagnoses", json=HOT).json()
    batch = client.post("/api/v1/diagnoses", json=[ARCING, HOT, TRACES]).json()
    assert _ai_model(single) == _ai_model(batch[1])
    assert _ai_model(batch[0])["result"] in ("D1", "D2")
    assert single["fault"]["agreement"]["basis"] == "duval_triangle_1"  # by default the model does not join
    traces = batch[2]["methods"]["ai_model"]
    assert traces["applicable"] is False and traces["reason"].startswith("below typical values")
    assert traces["probabilities"] is traces["nearest_cases"] is traces["out_of_distribution"] is None


@pytest.mark.parametrize("sample, reason", [
    ({**HOT, "c2h2": None}, "needs H2, C2H6, CH4, C2H4, C2H2; missing or invalid: C2H2"),
    ({**HOT, **{gas: 0 for gas in card.MODEL_GASES}}, "are all zero"),
    ({**HOT, "insulating_liquid": "natural_ester"}, "published for mineral oil only; not applicable to natural ester"),
])
def test_the_model_keeps_the_published_methods_gates(client, sample, reason):
    answer = client.post("/api/v1/diagnoses", json=sample).json()["methods"]["ai_model"]
    assert answer["applicable"] is False and reason in answer["reason"]


def test_fleet_and_stored_verdicts_carry_the_model(client, demo_db):
    connection = sqlite3.connect(demo_db)
    with connection:
        connection.execute("INSERT INTO dga_sample (equipment_id, sampled_at, h2, ch4, c2h6, c2h4, c2h2, co, co2) "
                           "VALUES (7, '2031-01-01 00:00:00.000000', ?, ?, ?, ?, ?, ?, ?)", tuple(HOT.values()))
    sample_id = connection.execute("SELECT MAX(id) FROM dga_sample").fetchone()[0]
    assert client.get("/api/v1/diagnoses?limit=1000").status_code == 200  # the fleet read diagnoses and stores it
    stored = orjson.loads(connection.execute("SELECT verdict FROM dga_diagnosis WHERE sample_id = ?",
                                             (sample_id,)).fetchone()[0])
    connection.close()
    unit = client.get("/api/v1/diagnoses/7").json()
    assert unit["sample"]["id"] == sample_id and unit["stale"] is False
    assert _ai_model(unit["diagnosis"]) == _ai_model(stored)
    assert stored["methods"]["ai_model"] == client.post("/api/v1/diagnoses", json=HOT).json()["methods"]["ai_model"]


def test_a_training_case_is_its_own_nearest_case_and_a_far_sample_is_out_of_distribution(client):
    # china_compilation.csv line 3: 9.25, 96.88, 446.52, 84.25, 0 ppm (H2, CH4, C2H6, C2H4, C2H2), labelled T3.
    known = _ai_model(client.post("/api/v1/diagnoses", json={"h2": 9.25, "ch4": 96.88, "c2h6": 446.52, "c2h4": 84.25,
                                                             "c2h2": 0, "co": 300, "co2": 3000}).json())
    assert known["nearest_cases"][0] == {"label": "T3", "source": "china_compilation.csv", "row": 3, "distance": 0.0}
    found = _ai_model(client.post("/api/v1/diagnoses", json=HOT).json())
    assert found["out_of_distribution"] is False
    far = _ai_model(client.post("/api/v1/diagnoses", json={"h2": 90000, "ch4": 90000, "c2h6": 1, "c2h4": 90000,
                                                           "c2h2": 90000, "co": 300, "co2": 3000}).json())
    assert far["out_of_distribution"] is True
    assert far["nearest_cases"][0]["distance"] > card.load_checked(card.DEFAULT_MODEL_PATH).ood_threshold


def test_with_the_setting_on_the_models_class_is_the_type_and_triangle_1_confirms_or_dissents(client, settings_env):
    rng = np.random.default_rng(5)
    samples = [{gas: round(float(value), 1) for gas, value in zip(dga.GASES, row)}
               for row in rng.choice([1.0, 10.0, 100.0, 1000.0], (200, len(dga.GASES))) * rng.random((200, 7))]
    off = client.post("/api/v1/diagnoses", json=samples).json()
    settings_env(SEDA_VERDICT_USES_MODEL="true")
    on = client.post("/api/v1/diagnoses", json=samples).json()
    changed = 0
    for before, after in zip(off, on):
        assert after["fault"]["present"] == before["fault"]["present"]  # presence is the 2019 status either way
        assert after["methods"] == before["methods"]
        model = after["methods"]["ai_model"]
        if not after["fault"]["present"] or not model["applicable"] or model["out_of_distribution"]:
            assert after["fault"] == before["fault"]  # not the model's to decide: the published hierarchy's
            continue
        agreement = after["fault"]["agreement"]
        assert after["fault"]["type"] == model["result"] and agreement["basis"] == "ai_model"
        assert agreement["supporting"][0] == "ai_model"
        triangle = after["methods"]["duval_triangle_1"]["fault_type"]
        if triangle is not None:
            assert "duval_triangle_1" in agreement["supporting" if triangle == model["result"] else "dissenting"]
        assert "ai_model" not in before["fault"]["agreement"]["supporting"] + before["fault"]["agreement"]["dissenting"]
        changed += after["fault"]["type"] != before["fault"]["type"]
    assert changed > 5  # the setting did change types, where the model and the hierarchy disagree


def test_with_the_setting_on_a_sample_unlike_every_training_case_is_left_to_the_published_methods(settings_env):
    settings_env(SEDA_VERDICT_USES_MODEL="true")
    far = {"h2": 9e4, "ch4": 9e4, "c2h6": 1, "c2h4": 9e4, "c2h2": 9e4, "co": 1, "co2": 1}
    verdict = dga.diagnose(far, model=serving.current())
    assert verdict["methods"]["ai_model"]["out_of_distribution"] is True
    assert verdict["fault"]["agreement"]["basis"] == "duval_triangle_1"
    assert verdict["fault"]["type"] == verdict["methods"]["duval_triangle_1"]["fault_type"]
    near = dga.diagnose(ARCING, model=serving.current())
    assert near["methods"]["ai_model"]["out_of_distribution"] is False and near["fault"]["agreement"]["basis"] == (
        "ai_model")


def test_the_setting_and_the_model_make_stored_verdicts_stale(client, settings_env, tmp_path):
    def stale():
        return client.get("/api/v1/diagnoses/4").json()["stale"]

    assert stale() is False
    settings_env(SEDA_VERDICT_USES_MODEL="true")
    assert stale() is True
    settings_env(SEDA_MODEL_PATH="none")
    assert stale() is True
    settings_env(SEDA_MODEL_PATH=str(_copy_model(tmp_path)))  # the same model elsewhere: the same hash
    assert stale() is False
    retrained = tmp_path / "retrained.onnx"
    train_model.main(["--data", str(ROOT / "tests" / "fixtures" / "train_model"), "--output", str(retrained)])
    settings_env(SEDA_MODEL_PATH=str(retrained))
    assert verdict_store.model_hash() == card.load_checked(retrained).identity != card.load_checked(
        card.DEFAULT_MODEL_PATH).identity
    assert stale() is True


# Builds the app with the environment given, POSTs one sample, prints whether onnxruntime was imported.
_PROBE = f"""
import json, sys
import functions_framework
from starlette.testclient import TestClient

app = functions_framework.create_app("api", {MAIN!r})
client = TestClient(app)
before = "onnxruntime" in sys.modules
verdict = client.post("/api/v1/diagnoses", json={ARCING!r}).json()
print(json.dumps({{"at_start": before, "after": "onnxruntime" in sys.modules, "methods": sorted(verdict["methods"])}}))
"""


@pytest.mark.parametrize("model, imported", [("", True), ("none", False)])
def test_onnxruntime_is_imported_by_the_first_diagnosis_and_only_with_a_model(demo_db, model, imported):
    environment = {"SEDA_SQLITE_PATH": str(demo_db), **({"SEDA_MODEL_PATH": model} if model else {})}
    finished = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=service_free_environment(**environment),
                              capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 0, finished.stderr[-2000:]
    report = json.loads(finished.stdout.splitlines()[-1])
    assert report["at_start"] is False  # start-up checks the card and hashes only
    assert report["after"] is imported
    assert ("ai_model" in report["methods"]) is imported


def test_the_engine_without_a_model_gives_the_verdict_it_gave_before():
    with_model = dga.diagnose(HOT, model=serving.current())
    without = dga.diagnose(HOT)
    assert "ai_model" not in without["methods"]
    assert {name: answer for name, answer in with_model["methods"].items() if name != "ai_model"} == without["methods"]
    assert with_model["fault"] == without["fault"]
