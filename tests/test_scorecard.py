"""The inspection scorecard: exact counts on a hand-made set of samples and inspections written through the API."""

import pytest

from contract import error_body
from shared import db, scorecard

HEALTHY = {"h2": 5, "ch4": 2, "c2h6": 2, "c2h4": 1, "c2h2": 0, "co": 100, "co2": 800}
# Triangle 1 T3 (CH4 26 %, C2H4 71 %, C2H2 2 %); Pentagon 2 calls it T3-H, Doernenburg "thermal" (T).
THERMAL = {"h2": 150, "ch4": 330, "c2h6": 90, "c2h4": 900, "c2h2": 30, "co": 100, "co2": 1000}
# Triangle 1 D1; Rogers names no case, Doernenburg is not applicable.
DISCHARGE = {"h2": 500, "ch4": 50, "c2h6": 10, "c2h4": 40, "c2h2": 160, "co": 100, "co2": 1000}
UNIT = {"substation_id": 1, "name": "T-scored", "kind": "power_transformer", "year_manufactured": 2010,
        "oil_preservation": "sealed", "status": "in_service"}
SAMPLES = (
    ("2020-01-01T00:00:00Z", HEALTHY),
    ("2021-01-01T00:00:00Z", THERMAL),
    ("2021-06-01T00:00:00Z", {**THERMAL, "h2": None}),  # incomplete: never scored on
    ("2022-03-01T00:00:00Z", DISCHARGE),
)
# (time, finding), and the sample each is scored on, by what the rules say:
INSPECTIONS = (
    ("2019-01-01T00:00:00Z", "PD"),    # before any sample: no_sample
    ("2020-06-01T00:00:00Z", "none"),  # the healthy sample: no fault, right
    ("2021-01-01T00:00:00Z", "T3"),    # the thermal sample, taken at that very moment
    ("2021-07-01T00:00:00Z", "T"),     # the thermal sample (the incomplete one after it does not count): coarse only
    ("2022-01-01T00:00:00Z", "D2"),    # the thermal sample exactly 365 days before: scored, wrong
    ("2022-01-02T00:00:00Z", "PD"),    # the thermal sample 366 days before: no_sample
    ("2022-03-01T00:00:00Z", "DT"),    # the discharge sample: D1 is not DT, but D is one of DT's families
    ("2022-04-01T00:00:00Z", "none"),  # the discharge sample: a fault was present, wrong
)


@pytest.fixture
def unit(writer):
    """A new unit with SAMPLES and INSPECTIONS written through the API; (unit id, inspection ids, sample ids)."""
    unit_id = writer.post("/api/v1/equipment", json=UNIT).json()["id"]
    samples = [{"equipment_id": unit_id, "sampled_at": at, **gases} for at, gases in SAMPLES]
    assert writer.post("/api/v1/measurements", json=samples).json()["inserted"] == len(SAMPLES)
    inspection_ids = []
    for at, finding in INSPECTIONS:
        response = writer.post("/api/v1/inspections", json={"equipment_id": unit_id, "inspected_at": at,
                                                            "finding": finding})
        assert response.status_code == 201, response.text
        inspection_ids.append(response.json()["id"])
    sample_ids = [row["id"] for row in writer.get(f"/api/v1/measurements?equipment_id={unit_id}").json()]
    return unit_id, inspection_ids, sample_ids


def _card(writer, query):
    """The scorecard for `query`, once it is a 200."""
    response = writer.get(f"/api/v1/inspections/scorecard?{query}")
    assert response.status_code == 200, response.text
    return response.json()


def _unscored(unit_id, inspection_ids, positions_and_reasons):
    """The `unscored` entries of the inspections at `positions_and_reasons` ({position: (reason, message)})."""
    entries = []
    for position, (reason, message) in positions_and_reasons.items():
        at, finding = INSPECTIONS[position]
        entries.append({"inspection_id": inspection_ids[position], "equipment_id": unit_id, "inspected_at": at,
                        "finding": finding, "reason": reason, "message": message})
    return entries


NO_SAMPLE = ("no_sample", scorecard.REASONS["no_sample"])


def _tally(scored, correct):
    return {"scored": scored, "correct": correct, "accuracy": None if not scored else round(correct / scored, 4)}


def _recall(scored, correct):
    return {"scored": scored, "correct": correct, "recall": round(correct / scored, 4)}


def test_the_combined_verdict_is_scored_exactly(writer, unit):
    unit_id, inspection_ids, _ = unit
    card = _card(writer, f"equipment_id={unit_id}")

    assert card["window_days"] == 365
    assert card["inspections"] == {"considered": 8, "with_sample": 6, "without_sample": 2, "verdict_unknown": 0,
                                   "by_finding": {"PD": 2, "D2": 1, "DT": 1, "T3": 1, "T": 1, "none": 2}}
    assert card["verdicts"] == {"stored": 3, "computed": 0}
    assert card["methods"]["combined_verdict"] == {
        "scored": 6,
        "presence": _tally(2, 1),
        "fine": _tally(3, 1),  # T3 right; D2 and DT wrong
        "coarse": _tally(4, 3),  # T3, T and DT (as D) right; D2 wrong
        "recall": {"D2": _recall(1, 0), "DT": _recall(1, 0), "T3": _recall(1, 1), "T": _recall(1, 1),
                   "none": _recall(2, 1)},
        "confusion": {"D2": {"T3": 1}, "DT": {"D1": 1}, "T3": {"T3": 1}, "T": {"T3": 1}, "none": {"D1": 1, "none": 1}},
        "unscored": _unscored(unit_id, inspection_ids, {0: NO_SAMPLE, 5: NO_SAMPLE}),
    }


def test_every_method_with_a_fault_type_is_scored_and_one_never_applicable_scores_presence_only(writer, unit):
    unit_id, inspection_ids, _ = unit
    methods = _card(writer, f"equipment_id={unit_id}")["methods"]

    assert list(methods) == ["combined_verdict", "duval_triangle_1", "duval_triangle_3", "duval_triangle_4",
                             "duval_triangle_5", "duval_pentagon_1", "duval_pentagon_2", "iec_60599_ratios", "rogers",
                             "doernenburg", "ai_model"]  # the shipped model is served by default, and scored with the rest
    assert methods["ai_model"]["scored"] == methods["duval_triangle_1"]["scored"]
    assert methods["duval_triangle_1"] == methods["combined_verdict"], "the verdict's type is Triangle 1's zone here"
    # Triangle 4 applies after Triangle 1's PD, T1 or T2 only: the `none` findings are all it scores.
    never = methods["duval_triangle_4"]
    assert (never["scored"], never["presence"], never["fine"], never["coarse"]) == (2, _tally(2, 1), _tally(0, 0),
                                                                                    _tally(0, 0))
    assert never["confusion"] == {"none": {"no answer": 1, "none": 1}} and never["recall"] == {"none": _recall(2, 1)}
    assert [(entry["inspection_id"], entry["reason"]) for entry in never["unscored"]] == [
        (inspection_ids[0], "no_sample"), (inspection_ids[2], "not_applicable"), (inspection_ids[3], "not_applicable"),
        (inspection_ids[4], "not_applicable"), (inspection_ids[5], "no_sample"), (inspection_ids[6], "not_applicable")]
    assert never["unscored"][1]["message"] == "applies only when Triangle 1 is in PD, T1 or T2; Triangle 1 is in T3"
    # Pentagon 2's T3-H is T3 in oil only: the fine class T3.
    assert methods["duval_pentagon_2"]["confusion"]["T3"] == {"T3-H": 1}
    assert methods["duval_pentagon_2"]["fine"] == _tally(3, 1)
    # Doernenburg's coarse "thermal" is right for T and wrong for T3 and D2; it does not apply to the discharge sample.
    doernenburg = methods["doernenburg"]
    assert (doernenburg["fine"], doernenburg["coarse"]) == (_tally(2, 0), _tally(3, 2))
    assert doernenburg["confusion"] == {"D2": {"T": 1}, "T3": {"T": 1}, "T": {"T": 1}, "none": {"no answer": 1,
                                                                                                  "none": 1}}
    assert {entry["inspection_id"]: entry["reason"] for entry in doernenburg["unscored"]}[inspection_ids[6]] == (
        "not_applicable")
    # Rogers applies to the discharge sample but names no case: "no answer", scored and wrong.
    assert methods["rogers"]["confusion"]["DT"] == {"no answer": 1}


def test_a_none_finding_scores_presence_only(writer, unit):
    unit_id, _, _ = unit
    writer.post("/api/v1/inspections", json={"equipment_id": unit_id, "inspected_at": "2021-02-01", "finding": "none"})
    card = _card(writer, f"equipment_id={unit_id}")
    for method in card["methods"].values():  # the thermal sample: a fault present, so wrong for every method
        assert method["presence"] == _tally(3, 1)
    combined = card["methods"]["combined_verdict"]
    assert (combined["fine"], combined["coarse"]) == (_tally(3, 1), _tally(4, 3)), "fine and coarse unchanged"
    assert combined["confusion"]["none"] == {"D1": 1, "T3": 1, "none": 1}


def test_the_window_includes_a_sample_exactly_window_days_before_and_not_one_day_more(writer, unit):
    unit_id, inspection_ids, _ = unit
    at_365 = _card(writer, f"equipment_id={unit_id}")["methods"]["combined_verdict"]
    assert at_365["confusion"]["D2"] == {"T3": 1}  # 2022-01-01: the sample of 2021-01-01 counts
    assert inspection_ids[5] in [entry["inspection_id"] for entry in at_365["unscored"]]  # 2022-01-02: it does not
    wider = _card(writer, f"equipment_id={unit_id}&window_days=366")
    assert wider["window_days"] == 366 and wider["inspections"]["with_sample"] == 7
    assert wider["methods"]["combined_verdict"]["confusion"]["PD"] == {"T3": 1}
    narrow = _card(writer, f"equipment_id={unit_id}&window_days=1")
    assert narrow["inspections"]["with_sample"] == 2  # only the two inspections at a sample's very moment
    assert narrow["methods"]["combined_verdict"]["confusion"] == {"DT": {"D1": 1}, "T3": {"T3": 1}}


def test_missing_and_stale_verdicts_are_computed_and_give_the_same_scores(writer, unit, demo_db):
    import sqlite3

    unit_id, _, sample_ids = unit
    stored = _card(writer, f"equipment_id={unit_id}")
    connection = sqlite3.connect(demo_db)
    with connection:
        connection.execute("UPDATE dga_diagnosis SET fingerprint = 'an older engine' WHERE sample_id = ?", (sample_ids[1],))
        connection.execute("DELETE FROM dga_diagnosis WHERE sample_id = ?", (sample_ids[3],))
    connection.close()

    computed = _card(writer, f"equipment_id={unit_id}")

    assert computed["verdicts"] == {"stored": 1, "computed": 2}
    assert computed["methods"] == stored["methods"] and computed["inspections"] == stored["inspections"]


def test_a_unit_whose_verdict_leaves_presence_unknown_is_not_scored(writer):
    unit_id = writer.post("/api/v1/equipment", json={**UNIT, "name": "T-ester", "insulating_liquid": "natural_ester"}
                          ).json()["id"]
    writer.post("/api/v1/measurements", json=[{"equipment_id": unit_id, "sampled_at": "2021-01-01", **THERMAL}])
    inspection = writer.post("/api/v1/inspections", json={"equipment_id": unit_id, "inspected_at": "2021-03-01",
                                                          "finding": "T3"}).json()
    card = _card(writer, f"equipment_id={unit_id}")
    assert card["inspections"] == {"considered": 1, "with_sample": 1, "without_sample": 0, "verdict_unknown": 1,
                                   "by_finding": {"T3": 1}}
    for method in card["methods"].values():
        assert method["scored"] == 0 and method["confusion"] == {} and method["recall"] == {}
        assert method["unscored"] == [{"inspection_id": inspection["id"], "equipment_id": unit_id,
                                       "inspected_at": "2021-03-01T00:00:00Z", "finding": "T3",
                                       "reason": "verdict_unknown", "message": scorecard.REASONS["verdict_unknown"]}]


def test_no_inspection_gives_empty_counts(writer):
    unit_id = writer.post("/api/v1/equipment", json={**UNIT, "name": "T-never-opened"}).json()["id"]
    assert _card(writer, f"equipment_id={unit_id}") == {
        "window_days": 365, "verdicts": {"stored": 0, "computed": 0}, "methods": {},
        "inspections": {"considered": 0, "with_sample": 0, "without_sample": 0, "verdict_unknown": 0, "by_finding": {}}}


def test_the_demo_fleet_scorecard_and_its_filters(writer, sql):
    card = _card(writer, "")
    assert card["inspections"]["considered"] == sql("SELECT COUNT(*) FROM inspection")[0][0] == 22
    assert card["inspections"]["by_finding"]["none"] == 10 and card["verdicts"]["computed"] == 0
    substation = sql("SELECT substation_id FROM equipment WHERE id = (SELECT MIN(equipment_id) FROM inspection)")[0][0]
    in_substation = sql("SELECT COUNT(*) FROM inspection i JOIN equipment e ON e.id = i.equipment_id "
                        "WHERE e.substation_id = ?", (substation,))[0][0]
    assert _card(writer, f"substation_id={substation}")["inspections"]["considered"] == in_substation
    for query, error in (("window_days=0", "InvalidIntegerFormat"), ("window_days=3651", "InvalidIntegerFormat"),
                         ("substation_id=x", "InvalidIntegerFormat"), ("finding=T1", "InvalidParameters")):
        error_body(writer.get(f"/api/v1/inspections/scorecard?{query}"), 400, error)


def test_the_scorecard_reads_in_batches_not_once_per_inspection(writer, unit, demo_db):
    """The number of statements does not grow with the inspections: three reads when every verdict is stored."""
    import sqlite3

    def statements(query):
        seen = []
        db.statement_observers.append(lambda sql, paged: seen.append(sql))
        try:
            _card(writer, query)
        finally:
            db.statement_observers.clear()
        return seen

    unit_id, _, _ = unit
    assert len(statements(f"equipment_id={unit_id}")) == len(statements("")) == 3  # 8 inspections, and 30
    connection = sqlite3.connect(demo_db)
    with connection:
        connection.execute("UPDATE dga_diagnosis SET fingerprint = 'an older engine'")
    connection.close()
    assert len(statements("")) == 3 + 4, "and the units and samples of the verdicts to compute, once"


def test_a_fault_missed_at_trace_levels_counts_against_the_verdict_not_against_each_method(writer):
    unit_id = writer.post("/api/v1/equipment", json={**UNIT, "name": "T-missed"}).json()["id"]
    assert writer.post("/api/v1/measurements", json=[
        {"equipment_id": unit_id, "sampled_at": "2024-01-01T00:00:00Z", **HEALTHY}]).json()["inserted"] == 1
    found = writer.post("/api/v1/inspections", json={"equipment_id": unit_id, "inspected_at": "2024-02-01T00:00:00Z",
                                                     "finding": "T2"}).json()["id"]
    methods = _card(writer, f"equipment_id={unit_id}")["methods"]
    # The verdict said no fault (Status 1): a miss for it, fine and coarse.
    combined = methods["combined_verdict"]
    assert (combined["fine"], combined["coarse"]) == (_tally(1, 0), _tally(1, 0))
    assert combined["confusion"] == {"T2": {"none": 1}}
    # Every method reading only trace gases said "below typical values": judged on nothing, so not scored.
    for name in ("duval_triangle_1", "duval_pentagon_1", "iec_60599_ratios", "rogers", "ai_model"):
        assert methods[name]["scored"] == 0, name
        (entry,) = methods[name]["unscored"]
        assert (entry["inspection_id"], entry["reason"]) == (found, "not_applicable")
        assert entry["message"].startswith("below typical values"), (name, entry["message"])
