"""Unit tests of shared.dga: both sides of every zone and table boundary, bad input, verdict."""

import datetime as dt
import decimal
import json
import math

import numpy as np
import pytest

from shared import dga

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 6, 1, tzinfo=UTC)
ALL_ZERO = dict.fromkeys(dga.GASES, 0.0)


def method(sample, name, **context):
    """One method's answer for a sample."""
    return dga.diagnose(sample, **context)["methods"][name]


def three_ratios(c2h2_c2h4, ch4_h2, c2h4_c2h6):
    """Five gases whose three IEC/Rogers ratios are exactly the given values."""
    sample = {"h2": 100.0, "ch4": ch4_h2 * 100, "c2h6": 100.0, "c2h4": c2h4_c2h6 * 100}
    sample["c2h2"] = c2h2_c2h4 * sample["c2h4"]
    assert (sample["c2h2"] / sample["c2h4"], sample["ch4"] / sample["h2"], sample["c2h4"] / sample["c2h6"]) == (
        c2h2_c2h4, ch4_h2, c2h4_c2h6)
    return sample


# --- Duval Triangle 1 -------------------------------------------------------------------

# (%CH4, %C2H4, %C2H2) summing to 100, so the percentages are exact; each boundary on both sides.
DUVAL_CASES = [
    ((98, 2, 0), "PD"), ((97.99, 2.01, 0), "T1"),
    ((98, 0, 2), "PD"), ((97.99, 0, 2.01), "T1"),
    ((80, 20, 0), "T2"), ((80.01, 19.99, 0), "T1"),
    ((86, 10, 4), "DT"), ((86.01, 10, 3.99), "T1"),
    ((66, 30, 4), "DT"), ((66.01, 30, 3.99), "T2"),
    ((50, 50, 0), "T3"), ((50.01, 49.99, 0), "T2"),
    ((40, 50, 10), "T3"), ((40.01, 49.99, 10), "DT"),
    ((25, 60, 15), "DT"), ((25.01, 60, 14.99), "T3"),
    ((77, 10, 13), "D1"), ((77.01, 10, 12.99), "DT"),
    ((27, 23, 50), "D2"), ((27.01, 22.99, 50), "D1"),
    ((57, 30, 13), "D2"), ((57.01, 30, 12.99), "DT"),
    ((40, 40, 20), "DT"), ((40.01, 39.99, 20), "D2"),
    ((26, 45, 29), "D2"), ((26.01, 45, 28.99), "DT"),
    ((21, 50, 29), "D2"), ((21.01, 50, 28.99), "DT"),
    ((0, 100, 0), "T3"), ((0, 0, 100), "D1"), ((100, 0, 0), "PD"),
]


@pytest.mark.parametrize(("percent", "zone"), DUVAL_CASES)
def test_duval_zone_on_both_sides_of_each_boundary(percent, zone):
    ch4, c2h4, c2h2 = percent
    answer = method({"ch4": ch4, "c2h4": c2h4, "c2h2": c2h2}, "duval_triangle_1")
    assert answer["applicable"] and answer["result"] == zone and answer["fault_type"] == zone
    assert answer["percent"] == {"ch4": round(ch4, 2), "c2h4": round(c2h4, 2), "c2h2": round(c2h2, 2)}


def test_duval_percentages_and_cartesian_point():
    answer = method({"ch4": 20, "c2h4": 50, "c2h2": 30}, "duval_triangle_1")
    assert answer["percent"] == {"ch4": 20.0, "c2h4": 50.0, "c2h2": 30.0}
    assert answer["point"] == {"x": 60.0, "y": round(20 * math.sqrt(3) / 2, 3)}


def test_duval_polygon_corners_are_the_triangle_apexes():
    apexes = {point for polygon in dga.DUVAL_TRIANGLE_1_POLYGONS.values() for point in polygon}
    assert {(0.0, 0.0), (100.0, 0.0)} <= apexes
    assert any(math.isclose(x, 50) and math.isclose(y, 50 * math.sqrt(3)) for x, y in apexes)
    assert all(sum(vertex) == 100 for vertices in dga.DUVAL_TRIANGLE_1_VERTICES_PERCENT.values()
               for vertex in vertices)


def _inside(point, polygon):
    """Ray-casting point-in-polygon test."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_duval_polygons_agree_with_the_zone_rules():
    rng = np.random.default_rng(7)
    shares = rng.dirichlet([0.5, 0.5, 0.5], size=3000) * 100
    columns = dga.diagnose_batch({"ch4": shares[:, 0], "c2h4": shares[:, 1], "c2h2": shares[:, 2]}, columnar=True)
    bounds = sorted({b for rule in dga.DUVAL_TRIANGLE_1_RULES for bands in rule.when for band in bands.values()
                     for b in (band.low, band.high) if b is not None})
    checked = 0
    for share, x, y, rule in zip(shares, columns["duval_x"], columns["duval_y"], columns["duval_rule"]):
        if min(abs(share[:, None] - np.array(bounds)).min(axis=1)) < 0.05:
            continue  # too close to an edge for the polygon test to be exact
        zones = [zone for zone, polygon in dga.DUVAL_TRIANGLE_1_POLYGONS.items() if _inside((x, y), list(polygon))]
        assert zones == [dga.DUVAL_TRIANGLE_1_RULES[rule].result]
        checked += 1
    assert checked > 2000


@pytest.mark.parametrize(("sample", "reason"), [
    ({"ch4": 0, "c2h4": 0, "c2h2": 0}, "CH4, C2H4, C2H2 are all zero"),
    ({"ch4": 5, "c2h4": 3}, "needs CH4, C2H4, C2H2; missing or invalid: C2H2"),
    ({"ch4": 5, "c2h4": -3, "c2h2": 1}, "needs CH4, C2H4, C2H2; missing or invalid: C2H4"),
])
def test_duval_not_applicable(sample, reason):
    answer = method(sample, "duval_triangle_1")
    assert answer == {"applicable": False, "reason": reason, "result": None, "fault_type": None,
                      "description": None, "percent": None, "point": None}


# --- IEC 60599 ratios -------------------------------------------------------------------

IEC_CASES = [
    ((0.5, 0.09, 0.1), "PD"), ((0.5, 0.1, 0.1), "no diagnosis"), ((0.5, 0.09, 0.2), "no diagnosis"),
    ((5.0, 0.05, 0.1), "PD"),  # C2H2/C2H4 is "not significant" for PD
    ((1.5, 0.3, 1.5), "D1"), ((1.0, 0.3, 1.5), "no diagnosis"), ((1.01, 0.3, 1.5), "D1"),
    ((1.5, 0.1, 1.5), "D1"), ((1.5, 0.09, 1.5), "no diagnosis"),
    ((1.5, 0.5, 1.5), "D1"), ((1.5, 0.51, 1.5), "no diagnosis"),
    ((1.5, 0.3, 1.0), "no diagnosis"), ((1.5, 0.3, 1.01), "D1"),
    ((0.6, 0.7, 3.0), "D2"), ((0.59, 0.7, 3.0), "no diagnosis"),
    ((2.5, 0.7, 3.0), "D2"), ((2.51, 0.7, 3.0), "no diagnosis"),
    ((1.0, 1.0, 3.0), "D2"), ((1.0, 1.01, 3.0), "no diagnosis"),
    ((1.0, 0.1, 3.0), "D2"), ((1.0, 0.09, 3.0), "no diagnosis"),
    ((1.0, 0.7, 2.0), "no diagnosis"), ((1.0, 0.7, 2.01), "D2"),
    ((2.0, 0.3, 3.0), "D1"),  # fits D1 and D2: the first rule wins
    ((0.5, 1.01, 0.5), "T1"), ((0.5, 1.0, 0.5), "no diagnosis"),
    ((0.05, 2.0, 0.99), "T1"), ((0.05, 2.0, 1.0), "T2"),
    ((0.09, 2.0, 2.0), "T2"), ((0.1, 2.0, 2.0), "no diagnosis"),
    ((0.05, 1.0, 2.0), "no diagnosis"), ((0.05, 1.01, 2.0), "T2"),
    ((0.05, 2.0, 4.0), "T2"), ((0.05, 2.0, 4.01), "T3"),
    ((0.19, 2.0, 5.0), "T3"), ((0.2, 2.0, 5.0), "no diagnosis"),
    ((0.1, 1.0, 5.0), "no diagnosis"), ((0.1, 1.01, 5.0), "T3"),
]


@pytest.mark.parametrize(("ratios", "expected"), IEC_CASES)
def test_iec_ratio_code_on_both_sides_of_each_boundary(ratios, expected):
    answer = method(three_ratios(*ratios), "iec_60599_ratios")
    assert answer["applicable"] and answer["result"] == expected
    assert answer["fault_type"] == (None if expected == dga.NO_DIAGNOSIS else expected)


ROGERS_CASES = [
    ((0.05, 0.5, 0.5), 0), ((0.1, 0.5, 0.5), None),
    ((0.05, 0.1, 0.5), 0), ((0.05, 0.09, 0.5), 1),
    ((0.05, 1.0, 0.5), 0), ((0.05, 1.01, 0.5), None),
    ((0.05, 0.5, 0.99), 0), ((0.05, 0.5, 1.0), 3),
    ((0.05, 0.05, 0.99), 1), ((0.05, 0.05, 1.0), None),
    ((0.09, 0.05, 0.5), 1), ((0.1, 0.05, 0.5), None),
    ((0.1, 0.5, 3.01), 2), ((0.09, 0.5, 3.01), None),
    ((3.0, 0.5, 4.0), 2), ((3.01, 0.5, 4.0), None),
    ((1.0, 0.1, 4.0), 2), ((1.0, 0.09, 4.0), None),
    ((1.0, 1.0, 4.0), 2), ((1.0, 1.01, 4.0), None),
    ((1.0, 0.5, 3.0), None),
    ((0.05, 0.5, 3.0), 3), ((0.05, 0.5, 3.01), None),
    ((0.05, 1.0, 2.0), 3), ((0.05, 1.01, 2.0), 4),
    ((0.05, 1.01, 1.0), 4), ((0.05, 1.01, 0.99), None),
    ((0.05, 2.0, 3.0), 4), ((0.05, 2.0, 3.01), 5),
    ((0.09, 2.0, 3.01), 5), ((0.1, 2.0, 3.01), None),
]


@pytest.mark.parametrize(("ratios", "case"), ROGERS_CASES)
def test_rogers_case_on_both_sides_of_each_boundary(ratios, case):
    answer = method(three_ratios(*ratios), "rogers")
    assert answer["applicable"] and answer["case"] == case
    expected = dga.ROGERS_RULES[case].result if case is not None else dga.NO_DIAGNOSIS
    assert answer["result"] == expected


def test_ratio_with_zero_denominator_is_unbounded_and_zero_over_zero_is_undefined():
    sample = {"h2": 500.0, "ch4": 20.0, "c2h6": 10.0, "c2h4": 0.0, "c2h2": 0.0}
    iec = method(sample, "iec_60599_ratios")
    # IEC's PD row does not read C2H2/C2H4 ("not significant"), so the undefined 0/0 does not stop it
    assert iec["ratios"] == {"c2h2_c2h4": None, "ch4_h2": 0.04, "c2h4_c2h6": 0.0} and iec["result"] == "PD"
    assert iec["undefined_ratios"] == ["c2h2_c2h4"]
    # Rogers' PD case needs C2H2/C2H4 < 0.1, which 0/0 is not: no answer rather than a guess
    rogers = method(sample, "rogers")
    assert not rogers["applicable"] and rogers["result"] is None and rogers["case"] is None
    assert rogers["reason"] == "C2H2/C2H4 is 0/0 (both gases zero): the ratio is undefined"
    arcing = method({"h2": 100.0, "ch4": 40.0, "c2h6": 0.0, "c2h4": 50.0, "c2h2": 50.0}, "iec_60599_ratios")
    assert arcing["ratios"]["c2h4_c2h6"] is None and arcing["result"] == "D2"


@pytest.mark.parametrize("name", ["iec_60599_ratios", "rogers", "doernenburg"])
def test_ratio_methods_not_applicable(name):
    zero = method(dict(ALL_ZERO), name)
    assert not zero["applicable"] and zero["result"] is None
    missing = method({"h2": 10, "ch4": 10, "c2h6": 10, "c2h4": 10}, name)
    assert missing["reason"] == "needs H2, CH4, C2H6, C2H4, C2H2; missing or invalid: C2H2"


# --- Doernenburg ------------------------------------------------------------------------

THERMAL = {"h2": 250.0, "ch4": 500.0, "c2h6": 100.0, "c2h4": 200.0, "c2h2": 5.0, "co": 0.0}
CORONA = {"h2": 1000.0, "ch4": 99.0, "c2h6": 70.0, "c2h4": 10.0, "c2h2": 2.0}
ARCING = {"h2": 500.0, "ch4": 250.0, "c2h6": 30.0, "c2h4": 100.0, "c2h2": 100.0, "co": 400.0}
DOERNENBURG_CASES = [
    (THERMAL, "thermal"),
    ({**THERMAL, "h2": 500.0}, "no diagnosis"), ({**THERMAL, "h2": 500.0, "ch4": 501.0}, "thermal"),
    ({**THERMAL, "ch4": 1000.0, "c2h2": 150.0}, "no diagnosis"), ({**THERMAL, "ch4": 1000.0, "c2h2": 149.0}, "thermal"),
    ({**THERMAL, "h2": 60.0, "ch4": 200.0, "c2h2": 60.0}, "no diagnosis"),
    ({**THERMAL, "h2": 60.0, "ch4": 200.0, "c2h2": 59.9}, "thermal"),
    ({**THERMAL, "c2h6": 2.0, "co": 400.0}, "no diagnosis"), ({**THERMAL, "c2h6": 2.01, "co": 400.0}, "thermal"),
    (CORONA, "corona"), ({**CORONA, "ch4": 100.0}, "no diagnosis"),
    (ARCING, "arcing"),
    ({**ARCING, "ch4": 50.0}, "no diagnosis"), ({**ARCING, "ch4": 50.5}, "arcing"),
    ({**ARCING, "c2h2": 200.0, "c2h4": 200.0, "ch4": 500.0}, "no diagnosis"),
    ({**ARCING, "c2h2": 200.0, "c2h4": 200.0, "ch4": 499.0}, "arcing"),
    ({**ARCING, "ch4": 200.0, "c2h2": 75.0, "c2h6": 20.0}, "no diagnosis"),
    ({**ARCING, "ch4": 200.0, "c2h2": 75.5, "c2h6": 20.0}, "arcing"),
    ({**ARCING, "c2h4": 50.0, "c2h2": 75.0, "c2h6": 20.0}, "no diagnosis"),
    ({**ARCING, "c2h4": 50.0, "c2h2": 75.5, "c2h6": 20.0}, "arcing"),
    ({**ARCING, "c2h6": 40.0}, "no diagnosis"), ({**ARCING, "c2h6": 39.9}, "arcing"),
]


@pytest.mark.parametrize(("sample", "expected"), DOERNENBURG_CASES)
def test_doernenburg_ratio_table_on_both_sides_of_each_boundary(sample, expected):
    answer = method(sample, "doernenburg")
    assert answer["validity"] == {"fault_levels": True, "ratios_significant": True}
    assert answer["applicable"] and answer["result"] == expected


LOW_KEYS = {"h2": 10.0, "ch4": 10.0, "c2h4": 10.0, "c2h2": 0.5, "c2h6": 70.0, "co": 0.0}


@pytest.mark.parametrize("gas", dga.DOERNENBURG_KEY_GASES)
@pytest.mark.parametrize(("excess", "fault_levels"), [(0.0, False), (0.01, True)])
def test_doernenburg_step_1_key_gas_above_twice_l1(gas, excess, fault_levels):
    sample = {**LOW_KEYS, gas: 2 * dga.DOERNENBURG_L1[gas] + excess}
    assert method(sample, "doernenburg")["validity"]["fault_levels"] is fault_levels


@pytest.mark.parametrize(("others", "fault_levels"), [
    ({"c2h6": 65.0, "co": 0.0}, False), ({"c2h6": 65.01, "co": 0.0}, True),
    ({"c2h6": 10.0, "co": 350.0}, False), ({"c2h6": 10.0, "co": 350.01}, True),
    ({"c2h6": 10.0, "co": None}, False),  # missing CO counts as not above L1
])
def test_doernenburg_step_1_other_gas_above_l1(others, fault_levels):
    answer = method({**LOW_KEYS, "h2": 300.0, **others}, "doernenburg")
    assert answer["validity"]["fault_levels"] is fault_levels
    if not fault_levels:
        assert not answer["applicable"] and answer["reason"].startswith("step 1 not met")


@pytest.mark.parametrize(("changes", "weak_ratio"), [
    ({"c2h2": 1.0, "c2h4": 50.0}, "c2h2_c2h4"),
    ({"ch4": 120.0, "h2": 100.0}, "ch4_h2"),
    ({"c2h6": 65.0, "c2h2": 1.0, "co": 400.0}, "c2h6_c2h2"),
])
def test_doernenburg_step_2_each_ratio_needs_a_gas_above_l1(changes, weak_ratio):
    answer = method({**THERMAL, **changes}, "doernenburg")
    assert answer["validity"] == {"fault_levels": True, "ratios_significant": False}
    assert not answer["applicable"] and weak_ratio in answer["reason"]
    numerator = dga.RATIOS[weak_ratio][0]
    nudged = method({**THERMAL, **changes, numerator: changes[numerator] + 0.01}, "doernenburg")
    assert nudged["validity"]["ratios_significant"] is True


# --- IEEE C57.104-2008 ------------------------------------------------------------------

@pytest.mark.parametrize("gas", dga.GASES)
@pytest.mark.parametrize("step", [0, 1, 2])
def test_ieee_2008_condition_per_gas_on_both_sides(gas, step):
    bound = dga.IEEE_2008_CONDITION_LIMITS[gas][step]
    assert method({gas: bound}, "ieee_c57_104_2008")["gases"][gas] == step + 1
    assert method({gas: bound + 0.01}, "ieee_c57_104_2008")["gases"][gas] == step + 2


@pytest.mark.parametrize("step", [0, 1, 2])
def test_ieee_2008_tdcg_condition_on_both_sides(step):
    bound = dga.IEEE_2008_CONDITION_LIMITS["tdcg"][step]
    for value, condition in ((bound, step + 1), (bound + 0.01, step + 2)):
        answer = method({**ALL_ZERO, "co": value}, "ieee_c57_104_2008")
        assert answer["tdcg"] == {"ppm": round(value, 2), "condition": condition}


def test_ieee_2008_worst_condition_and_completeness():
    answer = method({**ALL_ZERO, "c2h2": 36.0}, "ieee_c57_104_2008")
    assert answer["condition"] == 4 and answer["complete"]
    partial = method({"h2": 150.0}, "ieee_c57_104_2008")
    assert partial["condition"] == 2 and not partial["complete"] and partial["tdcg"] is None


# --- IEEE C57.104-2019 tables 1 and 2 ---------------------------------------------------

AGES = {0: None, 1: 5.0, 2: 20.0, 3: 40.0}
PRESERVATION = {0: "sealed", 1: "free_breathing"}


@pytest.mark.parametrize("gas", dga.GASES)
@pytest.mark.parametrize("column", [0, 1])
@pytest.mark.parametrize("band", [0, 1, 2, 3])
def test_ieee_2019_tables_1_and_2_on_both_sides(gas, column, band):
    context = {"age_years": AGES[band], "oil_preservation": PRESERVATION[column]}
    for table, status in ((dga.IEEE_2019_TABLE_1, 2), (dga.IEEE_2019_TABLE_2, 3)):
        limit = table[gas][column][band]
        at_limit = method({**ALL_ZERO, gas: limit}, "ieee_c57_104_2019", **context)
        above = method({**ALL_ZERO, gas: limit + 0.01}, "ieee_c57_104_2019", **context)
        assert at_limit["status"] == status - 1
        assert above["status"] == status
        assert above["reasons"][0] == {
            "gas": gas, "table": status - 1, "kind": "concentration", "value": round(limit + 0.01, 2),
            "limit": float(limit), "status": status, "text": above["reasons"][0]["text"]}
        assert above["age_band"] == dga.AGE_BANDS[band]
        assert above["o2_n2"]["column"] == dga.O2_N2_COLUMNS[column]


@pytest.mark.parametrize(("age", "band"), [
    (None, "unknown"), (float("nan"), "unknown"), (float("inf"), "unknown"), (-1.0, "unknown"), (0.0, "unknown"),
    ("old", "unknown"), (0.01, "1-9"), (9.99, "1-9"), (10.0, "10-30"), (30.0, "10-30"), (30.01, ">30"),
])
def test_ieee_2019_age_band_edges(age, band):
    assert method(dict(ALL_ZERO), "ieee_c57_104_2019", age_years=age)["age_band"] == band


@pytest.mark.parametrize(("sample", "preservation", "basis", "column"), [
    ({"o2": 10000.0, "n2": 50000.0}, "free_breathing", "sample", "<= 0.2"),
    ({"o2": 10001.0, "n2": 50000.0}, "sealed", "sample", "> 0.2"),
    ({"o2": 0.0, "n2": 50000.0}, None, "sample", "<= 0.2"),
    ({"o2": 1000.0, "n2": 0.0}, "sealed", "oil_preservation", "<= 0.2"),
    ({"o2": 1000.0}, "free_breathing", "oil_preservation", "> 0.2"),
    ({"o2": -5.0, "n2": 50000.0}, "sealed", "oil_preservation", "<= 0.2"),
    ({}, None, "default", "> 0.2"),
    ({}, "conservator", "default", "> 0.2"),
])
def test_ieee_2019_o2_n2_column(sample, preservation, basis, column):
    answer = method({**ALL_ZERO, **sample}, "ieee_c57_104_2019", oil_preservation=preservation)
    assert answer["o2_n2"]["basis"] == basis and answer["o2_n2"]["column"] == column


def test_ieee_2019_status_1_needs_all_seven_gases():
    complete = method(dict(ALL_ZERO), "ieee_c57_104_2019")
    assert complete["status"] == 1 and complete["applicable"]
    partial = method({gas: 0.0 for gas in dga.GASES[:5]}, "ieee_c57_104_2019")
    assert partial["status"] is None and partial["reason"].startswith("insufficient data")
    high_partial = method({"c2h2": 50.0}, "ieee_c57_104_2019")
    assert high_partial["status"] == 3


# --- IEEE C57.104-2019 table 3 (deltas) -------------------------------------------------

def with_history(current, past, days_before=30):
    """Diagnose `current` with one earlier sample `past`."""
    history = [{**past, "sampled_at": NOW - dt.timedelta(days=days_before)}]
    return {**current, "sampled_at": NOW}, history


@pytest.mark.parametrize("gas", [gas for gas in dga.GASES if gas not in dga.INCREASE_ONLY_GASES])
@pytest.mark.parametrize("column", [0, 1])
def test_ieee_2019_table_3_absolute_delta_on_both_sides(gas, column):
    limit = dga.IEEE_2019_TABLE_3[gas][column]
    context = {"oil_preservation": PRESERVATION[column]}
    cases = [(limit, 0.0, 1), (limit + 0.01, 0.0, 2), (0.0, limit, 1), (0.0, limit + 0.01, 2)]
    for now_value, past_value, status in cases:
        sample, history = with_history({**ALL_ZERO, gas: now_value}, {**ALL_ZERO, gas: past_value})
        answer = method(sample, "ieee_c57_104_2019", history=history, **context)
        assert answer["status"] == status, (now_value, past_value)
        assert answer["deltas"][gas] == round(now_value - past_value, 2)
        if status == 2:
            assert answer["reasons"][0]["table"] == 3 and answer["reasons"][0]["limit"] == limit


@pytest.mark.parametrize(("now_value", "past_value", "status"), [
    (0.5, 0.5, 1), (0.51, 0.5, 2), (0.0, 0.9, 1), (0.01, 0.0, 2),
])
def test_ieee_2019_table_3_acetylene_any_increase(now_value, past_value, status):
    sample, history = with_history({**ALL_ZERO, "c2h2": now_value}, {**ALL_ZERO, "c2h2": past_value})
    assert method(sample, "ieee_c57_104_2019", history=history)["status"] == status


def test_ieee_2019_table_3_uses_the_latest_earlier_sample_in_time_order():
    current = {**ALL_ZERO, "h2": 30.0, "sampled_at": NOW}
    history = [
        {**ALL_ZERO, "h2": 30.0, "sampled_at": NOW - dt.timedelta(days=10)},
        {**ALL_ZERO, "h2": 0.0, "sampled_at": NOW - dt.timedelta(days=100)},  # older, though listed later
        {**ALL_ZERO, "h2": 0.0, "sampled_at": NOW + dt.timedelta(days=1)},  # not earlier: ignored
        {**ALL_ZERO, "h2": 0.0},  # no time: ignored
    ]
    answer = method(current, "ieee_c57_104_2019", history=history)
    assert answer["deltas"]["h2"] == 0.0 and answer["previous_sample_days"] == 10.0


# --- IEEE C57.104-2019 table 4 (rates) --------------------------------------------------

def series(gas, values, years_before, base=None):
    """Current sample and history with `gas` taking `values` (oldest first) at `years_before` the current one."""
    samples = [{**(base or ALL_ZERO), gas: value,
                "sampled_at": NOW - dt.timedelta(seconds=years * dga.YEAR_SECONDS)}
               for value, years in zip(values, years_before)]
    return samples[-1], samples[:-1]


@pytest.mark.parametrize("gas", [gas for gas in dga.GASES if gas not in dga.INCREASE_ONLY_GASES])
@pytest.mark.parametrize("column", [0, 1])
@pytest.mark.parametrize(("row", "years"), [(0, (0.5, 0.25, 0.0)), (1, (1.0, 0.5, 0.0))])
def test_ieee_2019_table_4_rate_on_both_sides(gas, column, row, years):
    limit = dga.IEEE_2019_TABLE_4[gas][column][row]
    for slope, status in ((limit, 1), (limit + 0.02, 3)):
        span = years[0]
        values = [slope * (span - y) for y in years]  # 0 at the oldest, rising at `slope` ppm/year
        current, history = series(gas, values, years)
        answer = method(current, "ieee_c57_104_2019", history=history, oil_preservation=PRESERVATION[column])
        assert answer["rate_window"]["row"] == dga.RATE_ROWS[row]
        assert answer["status"] == status, slope
        if status == 3:
            assert answer["reasons"][0]["kind"] == "rate" and answer["reasons"][0]["limit"] == limit


@pytest.mark.parametrize(("values", "status"), [((0.5, 0.5, 0.5), 1), ((0.5, 0.6, 0.4), 1), ((0.4, 0.4, 0.41), 3)])
def test_ieee_2019_table_4_acetylene_any_increasing_rate(values, status):
    current, history = series("c2h2", values, (1.0, 0.5, 0.0))
    assert method(current, "ieee_c57_104_2019", history=history)["status"] == status


MONTH_YEARS = 1 / 12


@pytest.mark.parametrize(("months_before", "samples", "row"), [
    ((4, 2, 0), 3, "4-9 months"),
    ((4 - 1e-6, 2, 0), None, None),
    ((9, 5, 0), 3, "4-9 months"),
    ((9 + 1e-6, 5, 0), 3, "10-24 months"),
    ((24, 12, 0), 3, "10-24 months"),
    ((24 + 1e-6, 12, 0), None, None),
    ((30, 12, 6, 0), 3, "10-24 months"),  # the oldest sample falls outside 24 months
    ((8, 7, 6, 5, 4, 3, 2, 0), 6, "4-9 months"),  # at most 6 samples
    ((1, 0.5, 0), None, None),  # too short a span
])
def test_ieee_2019_table_4_window(months_before, samples, row):
    current, history = series("h2", [1.0] * len(months_before), [m * MONTH_YEARS for m in months_before])
    window = method(current, "ieee_c57_104_2019", history=history)["rate_window"]
    assert (window and window["samples"], window and window["row"]) == (samples, row)


def test_ieee_2019_table_4_needs_three_values_of_a_gas():
    current, history = series("h2", [1.0, 2.0, 3.0], (1.0, 0.5, 0.0))
    history[0]["co"] = None
    answer = method(current, "ieee_c57_104_2019", history=history)
    assert answer["rates"]["co"] is None and answer["rates"]["h2"] == 2.0
    assert "Table 4 not assessed for CO: fewer than 3 values in the window" in answer["limitations"]


def test_ieee_2019_table_4_needs_the_current_sample_time():
    current, history = series("h2", [1.0, 2.0, 3.0], (1.0, 0.5, 0.0))
    del current["sampled_at"]
    answer = method(current, "ieee_c57_104_2019", history=history)
    assert answer["rate_window"] is None and answer["deltas"]["h2"] == 1.0
    assert any("no sampled_at" in note for note in answer["limitations"])


# --- bad input --------------------------------------------------------------------------

BAD_VALUES = [None, "12", "abc", float("nan"), float("inf"), -float("inf"), -1.0, True, [1], {"a": 1}, 10**400,
              -(10**400), 2e6, decimal.Decimal("NaN"), decimal.Decimal("sNaN"), object()]


def walk(value):
    """Yield every leaf of a nested dict/list."""
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    else:
        yield value


def assert_json_ready(verdict):
    """Only JSON types and finite floats anywhere in the verdict."""
    for leaf in walk(verdict):
        assert leaf is None or type(leaf) in (str, int, float, bool), type(leaf)
        assert not isinstance(leaf, float) or math.isfinite(leaf)
    json.dumps(verdict, allow_nan=False)


@pytest.mark.parametrize("bad", BAD_VALUES, ids=repr)
def test_bad_values_never_raise_and_are_reported(bad):
    verdict = dga.diagnose({**ALL_ZERO, "c2h2": bad, "o2": bad, "sampled_at": bad},
                           history=[{"sampled_at": bad, "h2": bad}, bad], age_years=bad, oil_preservation=bad)
    assert_json_ready(verdict)
    assert not verdict["methods"]["duval_triangle_1"]["applicable"]
    assert {"field": "c2h2", "problem": verdict["input"]["issues"][0]["problem"]} == verdict["input"]["issues"][0]


@pytest.mark.parametrize("sample", [None, {}, "text", 42, dict(ALL_ZERO), {"h2": 1e6, "ch4": 1e6, "c2h2": 1e6}])
@pytest.mark.parametrize("history", [None, 5, "text", [None, 3, {"sampled_at": "x"}]])
def test_degenerate_samples_and_histories(sample, history):
    assert_json_ready(dga.diagnose(sample, history=history, oil_preservation=np.array(["sealed"])))


@pytest.mark.parametrize(("value", "problem"), [
    (None, "missing"), (float("nan"), "missing"), ("5", "not a number"), (True, "not a number"),
    (float("inf"), "not finite"), (-0.1, "negative"), (1e6 + 1, "above 1,000,000 ppm"),
])
def test_input_problem_names(value, problem):
    issues = dga.diagnose({**ALL_ZERO, "h2": value})["input"]["issues"]
    assert issues == [{"field": "h2", "problem": problem}]


def test_accepted_number_types():
    sample = {"h2": decimal.Decimal("10.5"), "ch4": np.float32(3), "c2h6": np.int64(2), "c2h4": 1, "c2h2": 0.0,
              "co": 10, "co2": 100}
    verdict = dga.diagnose(sample)
    assert verdict["input"]["issues"] == [] and verdict["methods"]["ieee_c57_104_2019"]["status"] == 1


def test_naive_datetimes_are_utc():
    past = {**ALL_ZERO, "h2": 0.0}
    aware = dga.diagnose({**ALL_ZERO, "sampled_at": NOW},
                         history=[{**past, "sampled_at": NOW - dt.timedelta(days=3)}])
    naive = dga.diagnose({**ALL_ZERO, "sampled_at": NOW.replace(tzinfo=None)},
                         history=[{**past, "sampled_at": (NOW - dt.timedelta(days=3)).replace(tzinfo=None)}])
    assert aware == naive and aware["methods"]["ieee_c57_104_2019"]["previous_sample_days"] == 3.0


def test_batch_shape_errors_are_value_errors():
    with pytest.raises(ValueError):
        dga.diagnose_batch({"h2": np.zeros(3), "ch4": np.zeros(4)})
    with pytest.raises(ValueError):
        dga.diagnose_batch({"h2": np.zeros(3)}, history_times=np.zeros((2, 1)))
    with pytest.raises(ValueError):
        dga.diagnose_batch({"h2": np.zeros(3)}, oil_preservation=["sealed"])


def test_empty_batch():
    assert dga.diagnose_batch({gas: np.zeros(0) for gas in dga.GASES}) == []


# --- combined verdict -------------------------------------------------------------------

NORMAL = {"h2": 20.0, "ch4": 10.0, "c2h6": 8.0, "c2h4": 5.0, "c2h2": 0.0, "co": 200.0, "co2": 2000.0}
THERMAL_FAULT = {"h2": 300.0, "ch4": 900.0, "c2h6": 250.0, "c2h4": 1200.0, "c2h2": 5.0, "co": 500.0,
                 "co2": 4000.0}


def test_normal_sample():
    verdict = dga.diagnose(NORMAL)
    assert verdict["fault"]["present"] is False and verdict["fault"]["type"] is None
    assert verdict["fault"]["severity"] == "none" and verdict["action"] == "Normal sampling interval."
    assert verdict["health_index"] == {"value": 100.0, "factors": []} and verdict["rank"] == 0.0
    # the triangle's gases are within typical values, so it names no zone (it used to say T2)
    duval = verdict["methods"]["duval_triangle_1"]
    assert not duval["applicable"] and duval["result"] is None and duval["fault_type"] is None
    assert duval["reason"] == ("below typical values (IEEE C57.104-2019 Table 1, O2/N2 > 0.2, age unknown): "
                               "CH4 10 ≤ 20, C2H4 5 ≤ 50, C2H2 0 ≤ 2")


def test_thermal_fault_with_full_agreement():
    verdict = dga.diagnose(THERMAL_FAULT)
    fault = verdict["fault"]
    assert fault["present"] and fault["type"] == "T3" and fault["severity"] == "critical"
    assert fault["agreement"] == {"methods": 5, "of": 5, "supporting": [
        "duval_triangle_1", "duval_pentagon_1", "iec_60599_ratios", "rogers", "doernenburg"], "dissenting": [],
        "basis": "duval_triangle_1"}
    assert verdict["methods"]["doernenburg"]["result"] == "thermal"
    factors = {factor["factor"]: factor["penalty"] for factor in verdict["health_index"]["factors"]}
    assert factors == {"ieee_c57_104_2019_status": 40.0, "gas_level": 20.0, "fault_type": 15.0,
                       "ieee_c57_104_2008_condition": 20.0}
    assert verdict["health_index"]["value"] == 5.0 and verdict["rank"] == 595.0
    assert verdict["action"] == "Investigate now; consider removing from service."


def test_triangle_1_gives_the_type_and_a_ratio_method_that_names_another_dissents():
    sample = {"h2": 250.0, "ch4": 60.0, "c2h6": 20.0, "c2h4": 80.0, "c2h2": 15.0, "co": 300.0, "co2": 2500.0}
    verdict = dga.diagnose(sample)
    methods = verdict["methods"]
    assert (methods["duval_triangle_1"]["result"], methods["rogers"]["result"]) == ("T3", "D2")
    assert verdict["fault"]["type"] == "T3"
    assert verdict["fault"]["agreement"] == {"methods": 1, "of": 4, "supporting": ["duval_triangle_1"],
                                             "dissenting": ["duval_pentagon_1", "rogers"], "basis": "duval_triangle_1"}


def _columns_with(answers, status=3):
    """A columnar result of one sample whose methods gave `answers` (prefix → rule index, -1 none), for verdict.evaluate."""
    from shared.dga import verdict

    columns = {"ieee2019_status": np.array([status])}
    for _, prefix, *_ in verdict.AGREEMENT_METHODS + verdict.REFINING_METHODS:
        rule = answers.get(prefix, -1)
        columns[f"{prefix}_rule"] = np.array([rule], np.int8)
        columns[f"{prefix}_applicable"] = np.array([rule >= 0])
    return columns


def _rule_index(rules, result):
    return [rule.result for rule in rules].index(result)


@pytest.mark.parametrize("triangle", ["T1", "T2", "T3"])
def test_a_coarse_thermal_answer_never_overrides_the_triangle_even_when_ratio_tables_side_with_it(triangle):
    # The flat vote let Doernenburg's "thermal" (support for T1, T2 and T3 at once) side with two
    # ratio tables against the triangle; the basis is now the triangle whatever the others say.
    from shared.dga import verdict

    other = {"T1": "T2", "T2": "T3", "T3": "T2"}[triangle]
    columns = _columns_with({"duval": _rule_index(dga.DUVAL_TRIANGLE_1_RULES, triangle),
                             "iec": _rule_index(dga.IEC_60599_RATIO_RULES, other),
                             "rogers": _rule_index(dga.ROGERS_RULES, other),
                             "doernenburg": _rule_index(dga.DOERNENBURG_RULES, "thermal")})
    verdict.evaluate_type(columns, 1)
    assert dga.FAULT_TYPES[columns["fault_type"][0]] == triangle
    assert columns["fault_basis"][0] == 0 and columns["fault_agreement"][0] == 2  # the triangle and Doernenburg


def test_without_the_triangle_the_finest_method_that_names_a_type_is_the_basis():
    from shared.dga import verdict

    columns = _columns_with({"rogers": _rule_index(dga.ROGERS_RULES, "T2"),
                             "doernenburg": _rule_index(dga.DOERNENBURG_RULES, "thermal")})
    verdict.evaluate_type(columns, 1)
    assert dga.FAULT_TYPES[columns["fault_type"][0]] == "T2"
    assert dga.AGREEMENT_METHODS[columns["fault_basis"][0]][0] == "rogers"
    only_coarse = _columns_with({"doernenburg": _rule_index(dga.DOERNENBURG_RULES, "arcing")})
    verdict.evaluate_type(only_coarse, 1)
    assert dga.FAULT_TYPES[only_coarse["fault_type"][0]] == "D"
    normal = _columns_with({"duval": _rule_index(dga.DUVAL_TRIANGLE_1_RULES, "T3")}, status=1)
    verdict.evaluate_type(normal, 1)
    assert normal["fault_type"][0] == -1 and normal["fault_basis"][0] == -1  # presence comes from the status alone


def test_unknown_status_sorts_between_healthy_and_faulty():
    unknown = dga.diagnose({gas: NORMAL[gas] for gas in dga.GASES[:5]})
    assert unknown["fault"]["present"] is None and unknown["fault"]["severity"] == "unknown"
    assert unknown["health_index"]["value"] is None and unknown["rank"] == 100.0
    ranks = [dga.diagnose(sample)["rank"] for sample in (NORMAL, {gas: NORMAL[gas] for gas in dga.GASES[:5]},
                                                          {**NORMAL, "h2": 85.0}, THERMAL_FAULT)]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4


@pytest.mark.parametrize(("status", "health", "severity"), [
    (0, float("nan"), "unknown"), (1, 90.0, "none"),
    (2, 70.0, "low"), (2, 69.9, "medium"), (3, 30.0, "high"), (3, 29.9, "critical"),
])
def test_severity_boundaries(status, health, severity):
    level = dga._severity(np.array([status]), np.array([health]))[0]
    assert dga.SEVERITIES[level] == severity


def test_status_2_sample_is_low_severity():
    verdict = dga.diagnose({**NORMAL, "h2": 85.0}, oil_preservation="sealed")
    assert verdict["methods"]["ieee_c57_104_2019"]["status"] == 2
    assert verdict["fault"]["present"] and verdict["fault"]["severity"] == "low"
    assert verdict["action"] == "Resample within 3 months and watch the trend."


# --- insulating liquids -------------------------------------------------------------------

MINERAL_ONLY = ("duval_triangle_1", "duval_triangle_4", "duval_triangle_5", "duval_pentagon_1", "duval_pentagon_2",
                "iec_60599_ratios", "rogers", "doernenburg", "ieee_c57_104_2008", "co2_co")
OTHER_LIQUIDS = [liquid for liquid in dga.INSULATING_LIQUIDS if liquid != "mineral"]


@pytest.mark.parametrize("liquid", OTHER_LIQUIDS)
def test_mineral_oil_methods_say_not_applicable_to_another_liquid(liquid):
    mineral = dga.diagnose(THERMAL_FAULT, oil_preservation="sealed")
    assert mineral["fault"]["present"] and mineral["methods"]["duval_triangle_1"]["fault_type"]  # a fault in oil

    verdict = dga.diagnose(THERMAL_FAULT, oil_preservation="sealed", insulating_liquid=liquid)

    label = {"natural_ester": "natural ester", "synthetic_ester": "synthetic ester", "silicone": "silicone liquid"}
    expected = f"published for mineral oil only; not applicable to {label[liquid]}"
    for name in MINERAL_ONLY:
        answer = verdict["methods"][name]
        assert (answer["applicable"], answer["reason"]) == (False, expected), name
        assert answer.get("fault_type") is None and answer.get("condition") is None, name
    status_2019 = verdict["methods"]["ieee_c57_104_2019"]
    assert status_2019["applicable"] is False and status_2019["status"] is None and status_2019["reasons"] == []
    assert status_2019["reason"].startswith(expected) and "unknown" in status_2019["reason"]
    assert verdict["fault"] == {"present": None, "type": None, "description": None, "severity": "unknown",
                                "refinement": None,
                                "agreement": {"methods": 0, "of": 0, "supporting": [], "dissenting": [], "basis": None}}
    assert verdict["health_index"] == {"value": None, "factors": []} and verdict["rank"] == 100.0
    assert verdict["action"] == dga.NOT_FOR_LIQUID_ACTION != dga.ACTIONS[1]


def test_mineral_oil_is_the_default_liquid():
    plain = dga.diagnose(THERMAL_FAULT, oil_preservation="sealed")
    assert dga.diagnose(THERMAL_FAULT, oil_preservation="sealed", insulating_liquid="mineral") == plain
    assert dga.diagnose(THERMAL_FAULT, oil_preservation="sealed", insulating_liquid="transformer juice") == plain
    unknown = dga.diagnose({gas: NORMAL[gas] for gas in dga.GASES[:5]})  # unknown for missing data, not the liquid
    assert unknown["action"] == dga.ACTIONS[1]


def test_a_batch_of_mixed_liquids_equals_the_single_verdicts():
    liquids = ["mineral", "natural_ester", None, "silicone", "synthetic_ester", "mineral"]
    samples = [THERMAL_FAULT, NORMAL, THERMAL_FAULT, THERMAL_FAULT, {**NORMAL, "h2": 85.0}, NORMAL]
    gases = {gas: np.array([sample[gas] for sample in samples], float) for gas in dga.GASES}

    batch = dga.diagnose_batch(gases, insulating_liquid=liquids)

    assert batch == [dga.diagnose(sample, insulating_liquid=liquid) for sample, liquid in zip(samples, liquids)]
    assert [verdict["fault"]["severity"] == "unknown" for verdict in batch] == [False, True, False, True, True, False]
