"""Rules that say nothing when the gases say nothing: 0/0 ratios, trace levels, the IEC D1/D2 overlap,
the assumed 2019 O2/N2 column, Table 3 falls and the CO2/CO indicator (issue 11)."""

import datetime as dt

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import dga
from shared.dga import co2_co, duval_triangles, typical
from shared.dga.rules import all_matches
from test_dga_engine import ALL_ZERO, assert_json_ready, method, three_ratios, with_history

RATIO_METHODS = ("iec_60599_ratios", "rogers", "doernenburg")
INTERPRETATIONS = ("duval_triangle_1", *RATIO_METHODS)
# The verdict's method key -> its column prefix, for the methods the trace gate covers.
GATED_PREFIXES = {"duval_triangle_1": "duval", "duval_pentagon_1": "pentagon1", "duval_pentagon_2": "pentagon2",
                  "iec_60599_ratios": "iec", "rogers": "rogers", "doernenburg": "doernenburg"}


def assert_conforms(verdict):
    """The verdict is JSON-ready and valid against the OpenAPI document's Verdict schema."""
    assert_json_ready(verdict)
    jsonschema.validate(verdict, dga.VERDICT_SCHEMA)


# --- 0/0 ratios -------------------------------------------------------------------------

ONLY_ETHANE = {**ALL_ZERO, "c2h6": 50.0}
ONLY_ACETYLENE = {**ALL_ZERO, "c2h2": 5.0}


@pytest.mark.parametrize(("sample", "reason"), [
    (ONLY_ETHANE, "C2H2/C2H4 and CH4/H2 are 0/0 (both gases zero): the ratios are undefined"),
    (ONLY_ACETYLENE, "CH4/H2 and C2H4/C2H6 are 0/0 (both gases zero): the ratios are undefined"),
])
def test_a_sample_of_one_gas_gets_no_fault_name_from_the_ratio_methods(sample, reason):
    verdict = dga.diagnose(sample)
    assert_conforms(verdict)
    for name in RATIO_METHODS:
        assert verdict["methods"][name]["fault_type"] is None and verdict["methods"][name]["result"] is None
    for name in ("iec_60599_ratios", "rogers"):
        answer = verdict["methods"][name]
        assert not answer["applicable"] and answer["reason"] == reason
        assert all(answer["ratios"][ratio] is None for ratio in answer["undefined_ratios"])
    assert verdict["methods"]["ieee_c57_104_2019"]["status"] >= 2  # a fault is present ...
    assert verdict["fault"]["type"] != "PD"  # ... but the ratio tables no longer call it PD


def test_only_ethane_gets_no_type_from_a_ratio_and_stray_gassing_from_the_pentagon():
    # No ratio method names a fault (every ratio it needs is 0/0) and Triangle 1's gases are all zero;
    # Duval Pentagon 1 places pure ethane (the limit of its centroid, see duval_pentagons) in S.
    verdict = dga.diagnose(ONLY_ETHANE)
    assert verdict["fault"]["present"] and verdict["fault"]["type"] == "S"
    assert verdict["fault"]["agreement"] == {"methods": 1, "of": 1, "supporting": ["duval_pentagon_1"],
                                             "dissenting": [], "basis": "duval_pentagon_1"}


def test_only_acetylene_is_named_by_the_graphical_methods_alone():
    # 100 % C2H2 is inside Duval Triangle 1's and Pentagon 1's D1 zones; the ratio tables add nothing any more.
    verdict = dga.diagnose(ONLY_ACETYLENE)
    assert verdict["fault"]["type"] == "D1"
    assert verdict["fault"]["agreement"]["supporting"] == ["duval_triangle_1", "duval_pentagon_1"]


def test_x_over_zero_is_still_unbounded_and_matches_open_upper_bands():
    answer = method({"h2": 100.0, "ch4": 40.0, "c2h6": 0.0, "c2h4": 50.0, "c2h2": 50.0}, "iec_60599_ratios")
    assert answer["ratios"]["c2h4_c2h6"] is None and answer["undefined_ratios"] == []
    assert answer["result"] == "D2"


def test_undefined_ratios_in_the_columnar_form_are_nan_and_the_rule_is_none():
    columns = dga.diagnose_batch({gas: np.array([value]) for gas, value in ONLY_ETHANE.items()}, columnar=True)
    assert np.isnan(columns["ratio_ch4_h2"][0]) and columns["ratio_c2h4_c2h6"][0] == 0.0
    assert columns["iec_rule"][0] == -1 and columns["iec_reason"][0] == dga.rules.UNDEFINED_RATIO


# --- trace levels -----------------------------------------------------------------------

TRACES = {**ALL_ZERO, "h2": 1.0, "ch4": 1.0, "c2h6": 1.0}


def test_traces_give_no_fault_name_and_say_below_typical_values():
    verdict = dga.diagnose(TRACES)
    assert_conforms(verdict)
    duval = verdict["methods"]["duval_triangle_1"]
    # No zone, but the point stays: it is where the sample lies, for plotting a unit's history.
    assert duval == {"applicable": False, "result": None, "fault_type": None, "description": None,
                     "percent": {"ch4": 100.0, "c2h4": 0.0, "c2h2": 0.0}, "point": {"x": 50.0, "y": 86.603}, "reason": (
                         "below typical values (IEEE C57.104-2019 Table 1, O2/N2 > 0.2, age unknown): "
                         "CH4 1 ≤ 20, C2H4 0 ≤ 50, C2H2 0 ≤ 2")}
    for name in RATIO_METHODS:
        answer = verdict["methods"][name]
        assert not answer["applicable"] and answer["fault_type"] is None
        assert answer["reason"] == ("below typical values (IEEE C57.104-2019 Table 1, O2/N2 > 0.2, age unknown): "
                                    "H2 1 ≤ 40, CH4 1 ≤ 20, C2H6 1 ≤ 15, C2H4 0 ≤ 50, C2H2 0 ≤ 2")
    assert verdict["fault"]["present"] is False and verdict["fault"]["type"] is None


def test_the_sentence_names_the_column_and_age_band_used():
    answer = method(TRACES, "duval_triangle_1", oil_preservation="sealed", age_years=20.0)
    assert answer["reason"] == ("below typical values (IEEE C57.104-2019 Table 1, O2/N2 ≤ 0.2, age 10-30 years): "
                                "CH4 1 ≤ 90, C2H4 0 ≤ 50, C2H2 0 ≤ 1")


# Every gas a small nonzero amount below every Table 1 limit, so each method has proportions to read.
SMALL = {**ALL_ZERO, "h2": 1.0, "ch4": 1.0, "c2h6": 1.0, "c2h4": 1.0, "c2h2": 0.5}
AGES = {0: None, 1: 5.0, 2: 20.0, 3: 40.0}
PRESERVATION = {0: "sealed", 1: "free_breathing"}


@pytest.mark.parametrize("gas", dga.RATIO_METHOD_GASES)
@pytest.mark.parametrize("column", [0, 1])
@pytest.mark.parametrize("band", [0, 1, 2, 3])
def test_the_gate_and_the_2019_status_agree_on_both_sides_of_each_table_1_limit(gas, column, band):
    limit = dga.IEEE_2019_TABLE_1[gas][column][band]
    context = {"age_years": AGES[band], "oil_preservation": PRESERVATION[column]}
    for value, within in ((limit - 0.01, True), (limit, True), (limit + 0.01, False)):
        verdict = dga.diagnose({**SMALL, gas: value}, **context)
        assert verdict["methods"]["ieee_c57_104_2019"]["status"] == (1 if within else 2), value
        for name, prefix in GATED_PREFIXES.items():
            if gas not in typical.GATED_GASES[prefix]:
                continue
            reason = verdict["methods"][name]["reason"] or ""
            assert reason.startswith("below typical values") is within, (name, value, reason)


@settings(max_examples=200, deadline=None, database=None)
@given(st.fixed_dictionaries({gas: st.one_of(st.just(0.0), st.floats(0.01, 120.0), st.sampled_from([1.0, 2.0, 15.0,
                                                                                                 20.0, 40.0, 50.0]))
                              for gas in dga.GASES}),
       st.sampled_from([None, "sealed", "free_breathing"]), st.sampled_from([None, 5.0, 20.0, 40.0]))
def test_a_method_is_gated_exactly_when_none_of_its_gases_exceeds_table_1(sample, preservation, age):
    verdict = dga.diagnose(sample, oil_preservation=preservation, age_years=age)
    exceeding = {reason["gas"] for reason in verdict["methods"]["ieee_c57_104_2019"]["reasons"]
                 if reason["kind"] == "concentration"}
    for name, prefix in GATED_PREFIXES.items():
        answer = verdict["methods"][name]
        gated = (answer["reason"] or "").startswith("below typical values")
        quiet = not exceeding & set(typical.GATED_GASES[prefix])
        all_zero = (answer["reason"] or "").endswith("are all zero")
        assert gated == (quiet and not all_zero), (name, sample)
        if gated:
            assert answer["fault_type"] is None


@settings(max_examples=200, deadline=None, database=None)
@given(st.fixed_dictionaries({gas: st.one_of(st.just(0.0), st.floats(0.01, 60.0), st.sampled_from([1.0, 10.0, 20.0]))
                              for gas in dga.GASES}),
       st.lists(st.fixed_dictionaries({gas: st.one_of(st.just(0.0), st.floats(0.01, 60.0)) for gas in dga.GASES}),
                min_size=1, max_size=5),
       st.sampled_from([None, "sealed", "free_breathing"]))
def test_a_gas_that_moves_the_status_by_its_delta_or_rate_lets_its_methods_answer(sample, history, preservation):
    # Traces that rise faster than Table 3 or 4 allow raise the status although every level is typical;
    # the gate must then let every method that reads the rising gas answer.
    month = dga.MONTH_SECONDS
    now = 1.7e9
    past = [{**entry, "sampled_at": now - (len(history) - index) * 2 * month} for index, entry in enumerate(history)]
    verdict = dga.diagnose({**sample, "sampled_at": now}, history=past, oil_preservation=preservation)
    moving = {reason["gas"] for reason in verdict["methods"]["ieee_c57_104_2019"]["reasons"]}
    for name, prefix in {**GATED_PREFIXES, "duval_triangle_4": "duval4", "duval_triangle_5": "duval5"}.items():
        gated = (verdict["methods"][name]["reason"] or "").startswith("below typical values")
        assert not (gated and moving & set(typical.GATED_GASES[prefix])), (name, moving)


def test_traces_rising_past_table_3_raise_the_status_and_the_methods_that_read_them_answer():
    now = 1.7e9
    verdict = dga.diagnose({"h2": 30, "ch4": 10, "c2h6": 10, "c2h4": 5, "c2h2": 0, "co": 100, "co2": 1000,
                            "sampled_at": now},
                           history=[{"h2": 1, "ch4": 1, "c2h6": 1, "c2h4": 1, "c2h2": 0, "co": 100, "co2": 1000,
                                     "sampled_at": now - 30 * dga.DAY_SECONDS}])
    status = verdict["methods"]["ieee_c57_104_2019"]
    assert status["status"] == 2 and {reason["kind"] for reason in status["reasons"]} == {"delta"}
    methods = verdict["methods"]
    # H2 and C2H6 rose: the pentagons read them and answer; Triangle 1 reads neither and stays quiet.
    assert methods["duval_triangle_1"]["reason"].startswith("below typical values")
    assert methods["duval_pentagon_1"]["applicable"] and verdict["fault"]["type"] == methods["duval_pentagon_1"]["fault_type"]


def test_the_verdict_names_no_type_when_every_method_is_gated_though_a_fault_is_present():
    verdict = dga.diagnose({**TRACES, "c2h4": 2.0, "c2h2": 0.5, "co": 1000.0, "co2": 3000.0})
    assert verdict["methods"]["ieee_c57_104_2019"]["status"] == 3  # from CO alone
    assert all(not verdict["methods"][name]["applicable"] for name in INTERPRETATIONS)
    assert verdict["fault"]["present"] and verdict["fault"]["type"] is None
    assert verdict["fault"]["agreement"] == {"methods": 0, "of": 0, "supporting": [], "dissenting": [], "basis": None}


@pytest.mark.parametrize(("sample", "reason"), [
    ({**ALL_ZERO}, "CH4, C2H4, C2H2 are all zero"),
    ({**TRACES, "c2h2": None}, "needs CH4, C2H4, C2H2; missing or invalid: C2H2"),
])
def test_a_more_telling_reason_is_kept(sample, reason):
    assert method(sample, "duval_triangle_1")["reason"] == reason


def test_gated_columns_carry_no_rule_and_no_matches():
    columns = dga.diagnose_batch({gas: np.array([value]) for gas, value in TRACES.items()}, columnar=True)
    refiners = {"duval4", "duval5"}  # they follow Triangle 1, which names no zone: that is their reason
    for prefix in typical.GATED_GASES:
        assert columns[f"{prefix}_rule"][0] == -1 and not columns[f"{prefix}_applicable"][0]
        expected = duval_triangles.TRIANGLE_1_ELSEWHERE if prefix in refiners else dga.rules.BELOW_TYPICAL
        assert columns[f"{prefix}_reason"][0] == expected
    assert columns["iec_matches"][0] == 0
    assert columns["ieee2019_table1_ch4"][0] == 20.0


# --- IEC 60599: the D1/D2 overlap -------------------------------------------------------

@pytest.mark.parametrize(("ratios", "matches"), [
    ((2.0, 0.3, 3.0), ["D1", "D2"]),
    ((1.0, 0.3, 3.0), ["D2"]), ((1.01, 0.3, 3.0), ["D1", "D2"]),  # C2H2/C2H4: D1 needs > 1
    ((2.5, 0.3, 3.0), ["D1", "D2"]), ((2.51, 0.3, 3.0), ["D1"]),  # ... D2 needs ≤ 2.5
    ((2.0, 0.1, 3.0), ["D1", "D2"]), ((2.0, 0.09, 3.0), []),  # CH4/H2: both need ≥ 0.1
    ((2.0, 0.5, 3.0), ["D1", "D2"]), ((2.0, 0.51, 3.0), ["D2"]),  # ... D1 needs ≤ 0.5
    ((2.0, 0.3, 2.0), ["D1"]), ((2.0, 0.3, 2.01), ["D1", "D2"]),  # C2H4/C2H6: D2 needs > 2
])
def test_iec_reports_every_row_that_holds_on_both_sides_of_the_overlap_edges(ratios, matches):
    answer = method(three_ratios(*ratios), "iec_60599_ratios")
    assert answer["matches"] == matches
    # `result` keeps its meaning: the first row that holds, in table order
    assert answer["result"] == (matches[0] if matches else dga.NO_DIAGNOSIS)


def test_iec_matches_is_empty_when_not_applicable_and_one_row_elsewhere():
    assert method(dict(ALL_ZERO), "iec_60599_ratios")["matches"] == []
    assert method(three_ratios(0.05, 2.0, 5.0), "iec_60599_ratios")["matches"] == ["T3"]


def test_only_iec_d1_and_d2_can_hold_together():
    rng = np.random.default_rng(11)
    edges = np.array(sorted({0.0, 0.01, 0.09, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0}))
    size = 20_000
    values = {name: np.where(rng.random(size) < 0.5, rng.choice(edges, size), rng.lognormal(0.0, 1.5, size))
              for name in dga.RATIOS}
    both = 1 << [rule.result for rule in dga.IEC_60599_RATIO_RULES].index("D1") | \
        1 << [rule.result for rule in dga.IEC_60599_RATIO_RULES].index("D2")
    for rules in (dga.IEC_60599_RATIO_RULES, dga.ROGERS_RULES, dga.DOERNENBURG_RULES):
        masks = all_matches(rules, values, size)
        several = masks & (masks - 1) != 0  # more than one bit set
        expected = both if rules is dga.IEC_60599_RATIO_RULES else -1
        assert set(masks[several].tolist()) <= {expected}
    assert (all_matches(dga.IEC_60599_RATIO_RULES, values, size) == both).any()


# --- IEEE C57.104-2019: the assumed O2/N2 column ----------------------------------------

@pytest.mark.parametrize(("gas", "value", "status", "other"), [
    ("ch4", 50.0, 2, 1),  # the free-breathing guess flags a unit that sealed tables call normal
    ("c2h2", 1.5, 1, 2),  # ... and hides an acetylene level that sealed tables flag
])
def test_an_assumed_column_says_what_the_other_column_would_give(gas, value, status, other):
    answer = method({**ALL_ZERO, gas: value}, "ieee_c57_104_2019")
    assert answer["status"] == status and answer["o2_n2"]["basis"] == "default"
    assert answer["alternative"] == {"column": "<= 0.2", "status": other}
    assert (f"under the O2/N2 ≤ 0.2 tables the status would be {other} instead of {status}: give the O2 and N2 "
            "values or the oil preservation") in answer["limitations"]


def test_an_assumed_column_with_the_same_status_adds_no_sentence():
    answer = method(dict(ALL_ZERO), "ieee_c57_104_2019")
    assert answer["alternative"] == {"column": "<= 0.2", "status": 1}
    assert not any(note.startswith("under the") for note in answer["limitations"])


def test_the_other_column_status_is_unknown_where_the_status_is():
    answer = method({"ch4": 10.0}, "ieee_c57_104_2019")
    assert answer["status"] is None and answer["alternative"] == {"column": "<= 0.2", "status": None}


@pytest.mark.parametrize(("sample", "context"), [
    ({**ALL_ZERO, "ch4": 50.0}, {"oil_preservation": "sealed"}),
    ({**ALL_ZERO, "ch4": 50.0, "o2": 1000.0, "n2": 50000.0}, {}),
])
def test_a_known_column_has_no_alternative(sample, context):
    answer = method(sample, "ieee_c57_104_2019", **context)
    assert answer["alternative"] is None and not any(note.startswith("under the") for note in answer["limitations"])


def test_the_other_column_status_in_the_columnar_form():
    gases = {gas: np.array([0.0, 0.0]) for gas in dga.GASES}
    gases["ch4"] = np.array([50.0, 50.0])
    columns = dga.diagnose_batch(gases, oil_preservation=[None, "free_breathing"], columnar=True)
    assert columns["ieee2019_status"].tolist() == [2, 2]
    assert columns["ieee2019_other_column_status"].tolist() == [1, 0]


# --- IEEE C57.104-2019 Table 3: a fall counts like a rise, and says so -------------------

@pytest.mark.parametrize(("now_value", "past_value", "status", "text"), [
    (30.0, 0.0, 2, "H2 rose 30 ppm since the previous sample > Table 3 limit 25 ppm"),
    (0.0, 30.0, 2, "H2 fell 30 ppm since the previous sample > Table 3 limit 25 ppm (Table 3 limits the change "
                   "either way; a fall this large suggests oil processing such as degassing, or a sampling or "
                   "laboratory error: after oil processing, start the history again)"),
    (25.0, 0.0, 1, None), (0.0, 25.0, 1, None),
])
def test_table_3_rise_and_fall_of_the_same_size(now_value, past_value, status, text):
    sample, history = with_history({**ALL_ZERO, "h2": now_value}, {**ALL_ZERO, "h2": past_value})
    answer = method(sample, "ieee_c57_104_2019", history=history, oil_preservation="free_breathing")
    assert answer["status"] == status
    deltas = [reason for reason in answer["reasons"] if reason["kind"] == "delta"]
    assert [reason["text"] for reason in deltas] == ([text] if text else [])
    if text:
        assert deltas[0]["value"] == now_value - past_value


# --- CO2/CO -----------------------------------------------------------------------------

@pytest.mark.parametrize(("co", "co2", "indicator", "description"), [
    (1000.0, 2990.0, "paper_involvement", "CO2/CO 2.99 < 3 with CO 1000 ppm > 500 ppm: the paper insulation may "
                                          "be involved in a fault (possible carbonization)"),
    (1000.0, 3000.0, "none", "CO2/CO 3 between 3 and 10: no sign of paper involvement"),
    (500.0, 1000.0, "none", "CO2/CO 2 < 3, but CO 500 ppm ≤ 500 ppm: too little CO for the ratio to mean anything"),
    (500.01, 1000.0, "paper_involvement", None),
    (1000.0, 10010.0, "mild_overheating_or_oxidation", "CO2/CO 10.01 > 10 with CO2 10010 ppm > 10000 ppm: mild "
                                                       "overheating of the paper (< about 160 °C) or oil oxidation"),
    (1001.0, 10010.0, "none", "CO2/CO 10 between 3 and 10: no sign of paper involvement"),
    (500.0, 10000.0, "none", "CO2/CO 20 > 10, but CO2 10000 ppm ≤ 10000 ppm: too little CO2 for the ratio to "
                             "mean anything"),
    (500.0, 10000.01, "mild_overheating_or_oxidation", None),
])
def test_co2_co_on_both_sides_of_each_threshold(co, co2, indicator, description):
    verdict = dga.diagnose({**ALL_ZERO, "co": co, "co2": co2})
    assert_conforms(verdict)
    answer = verdict["methods"]["co2_co"]
    assert answer["applicable"] and answer["reason"] is None and answer["indicator"] == indicator
    assert answer["ratio"] == round(co2 / co, 3)
    if description:
        assert answer["description"] == description


@pytest.mark.parametrize(("sample", "reason"), [
    ({**ALL_ZERO, "co2": 500.0}, "CO is 0: the CO2/CO ratio is unbounded or undefined"),
    ({**ALL_ZERO, "co": None}, "needs CO, CO2; missing or invalid: CO"),
])
def test_co2_co_not_applicable(sample, reason):
    assert method(sample, "co2_co") == {"applicable": False, "reason": reason, "ratio": None, "indicator": None,
                                        "description": None}


def test_co2_co_is_reported_and_never_a_fault_type():
    paper = {**ALL_ZERO, "co": 1000.0, "co2": 2000.0}
    assert method(paper, "co2_co")["indicator"] == "paper_involvement"
    assert dga.diagnose(paper)["fault"]["type"] is None
    assert set(co2_co.INDICATORS).isdisjoint(dga.FAULT_TYPES)


# --- batch == single for every new field ---------------------------------------------------

def test_batch_equals_single_on_the_new_cases():
    samples = [ONLY_ETHANE, ONLY_ACETYLENE, TRACES, three_ratios(2.0, 0.3, 3.0),
               {**ALL_ZERO, "co": 1000.0, "co2": 2990.0}]
    gases = {gas: np.array([np.nan if sample.get(gas) is None else sample[gas] for sample in samples])
             for gas in dga.SAMPLE_FIELDS}
    assert dga.diagnose_batch(gases) == [dga.diagnose(sample) for sample in samples]


def test_batch_equals_single_on_a_table_3_fall():
    now = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
    before = now - dt.timedelta(days=9)
    single = dga.diagnose({**ALL_ZERO, "sampled_at": now}, history=[{**ALL_ZERO, "h2": 30.0, "sampled_at": before}])
    batch = dga.diagnose_batch({gas: np.array([0.0]) for gas in dga.GASES}, sample_times=np.array([now.timestamp()]),
                               history_times=np.array([[before.timestamp()]]),
                               history_gases={gas: np.array([[30.0 if gas == "h2" else 0.0]]) for gas in dga.GASES})
    assert batch == [single] and single["methods"]["ieee_c57_104_2019"]["reasons"][0]["text"].startswith("H2 fell 30")
