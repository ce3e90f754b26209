"""Duval Triangles 1, 3, 4 and 5: both sides of every zone edge, hand-computed points, which
triangle applies after which Triangle 1 zone, zones and polygons that tile each triangle, and the
usual engine properties (scale invariance, finite output, batch == single, schema)."""

import json
import math

import jsonschema
import numpy as np
import pytest

from shared import dga
from shared.dga import typical
from shared.dga.rules import all_matches, first_match

RNG_SEED = 11
TRIANGLE_AREA = 100 * 100 * math.sqrt(3) / 4


def zone_of(rules, gases, percent):
    """The zone a rule table gives to one exact (top, right, left) percentage triple."""
    values = {gas: np.array([float(share)]) for gas, share in zip(gases, percent)}
    return rules[first_match(rules, values, 1)[0]].result


def method(sample, name, **context):
    """One method's answer for a sample."""
    return dga.diagnose(sample, **context)["methods"][name]


# --- Triangle 1: the edge convention "≥ lower, < upper" ---------------------------------

# (%CH4, %C2H4, %C2H2) summing to 100: STANDARDS.md's examples where the public sources'
# conventions differ, each on its edge and just across it. Every other Triangle 1 edge, both
# sides, is in tests/test_dga_engine.py (DUVAL_CASES).
TRIANGLE_1_EDGES = [
    ((80, 20, 0), "T2"), ((80.01, 19.99, 0), "T1"),
    ((76, 20, 4), "DT"), ((76.02, 19.99, 3.99), "T1"),
    ((64, 23, 13), "D2"), ((64.01, 22.99, 13), "D1"),
    ((35, 50, 15), "DT"), ((35.01, 50, 14.99), "T3"),
    ((40, 40, 20), "DT"), ((40.01, 39.99, 20), "D2"),
]


@pytest.mark.parametrize(("percent", "zone"), TRIANGLE_1_EDGES)
def test_triangle_1_zone_on_both_sides_of_each_edge(percent, zone):
    ch4, c2h4, c2h2 = percent
    answer = method({"ch4": ch4, "c2h4": c2h4, "c2h2": c2h2}, "duval_triangle_1")
    assert (answer["applicable"], answer["result"], answer["fault_type"]) == (True, zone, zone)


# --- Triangle 4 (H2 top, CH4 right, C2H6 left) --------------------------------------------

# (%H2, %CH4, %C2H6); on-edge values are whole or half percents, so the shares are exact.
TRIANGLE_4_EDGES = [
    ((97.5, 2, 0.5), "PD"), ((97.51, 1.99, 0.5), "S"),  # CH4 = 2
    ((84.5, 15, 0.5), "S"), ((84.51, 14.99, 0.5), "PD"),  # CH4 = 15
    ((91, 8, 1), "S"), ((91.01, 8, 0.99), "PD"),  # C2H6 = 1 above PD
    ((63.5, 36, 0.5), "C"), ((63.51, 35.99, 0.5), "S"),  # CH4 = 36, C2H6 < 1
    ((54, 36, 10), "C"), ((54.01, 35.99, 10), "S"),  # CH4 = 36
    ((30, 46, 24), "S"), ((30, 46.01, 23.99), "C"),  # C2H6 = 24, H2 ≥ 15
    ((15, 58, 27), "S"), ((14.99, 58.01, 27), "C"),  # H2 = 15
    ((12, 58, 30), "S"), ((12, 58.01, 29.99), "C"),  # C2H6 = 30, 9 ≤ H2 < 15
    ((5, 65, 30), "O"), ((5, 65.01, 29.99), "C"),  # C2H6 = 30, H2 < 9
    ((9, 51, 40), "S"), ((8.99, 51.01, 40), "O"),  # H2 = 9, C2H6 30-46
    ((9, 41, 50), "ND"), ((8.99, 41.01, 50), "O"),  # H2 = 9, C2H6 ≥ 46
    ((20, 34, 46), "ND"), ((20, 34.01, 45.99), "S"),  # C2H6 = 46
    ((100, 0, 0), "S"), ((0, 100, 0), "C"), ((0, 0, 100), "O"),  # the corners
]


@pytest.mark.parametrize(("percent", "zone"), TRIANGLE_4_EDGES)
def test_triangle_4_zone_on_both_sides_of_each_edge(percent, zone):
    assert zone_of(dga.DUVAL_TRIANGLE_4_RULES, dga.DUVAL_TRIANGLE_4_GASES, percent) == zone


# Percentages as ppm, times a power of two (exact in floating point, so every percentage is unchanged)
# that lifts them above the trace levels at which the methods are gated (IEEE C57.104-2019 Table 1).
ABOVE_TRACE = 64.0


@pytest.mark.parametrize(("percent", "zone"), [case for case in TRIANGLE_4_EDGES if case[0][1] > 0])
def test_triangle_4_edges_through_the_engine_after_triangle_1_pd(percent, zone):
    h2, ch4, c2h6 = (ABOVE_TRACE * value for value in percent)  # no C2H4 or C2H2: Triangle 1 is PD (100 % CH4)
    methods = dga.diagnose({"h2": h2, "ch4": ch4, "c2h6": c2h6, "c2h4": 0, "c2h2": 0})["methods"]
    assert methods["duval_triangle_1"]["result"] == "PD"
    answer = methods["duval_triangle_4"]
    assert (answer["applicable"], answer["result"]) == (True, zone)
    assert answer["fault_type"] == (None if zone == "ND" else zone)


# --- Triangle 5 (CH4 top, C2H4 right, C2H6 left) ------------------------------------------

# (%CH4, %C2H4, %C2H6)
TRIANGLE_5_EDGES = [
    ((91, 1, 8), "O"), ((91.01, 0.99, 8), "PD"),  # C2H4 = 1 beside PD
    ((97.5, 0.5, 2), "PD"), ((97.51, 0.5, 1.99), "O"),  # C2H6 = 2
    ((85.5, 0.5, 14), "S"), ((85.51, 0.5, 13.99), "PD"),  # C2H6 = 14 (15 in TM and XD)
    ((81, 5, 14), "S"), ((81.01, 5, 13.99), "O"),  # C2H6 = 14
    ((41, 5, 54), "O"), ((41.01, 5, 53.99), "S"),  # C2H6 = 54
    ((95, 4, 1), "O"),  # the sliver MCM, TK and TM's rule leave in no zone
    ((85, 10, 5), "T2"), ((85.01, 9.99, 5), "O"),  # C2H4 = 10, C2H6 < 12
    ((77, 10, 13), "C"), ((77.01, 9.99, 13), "O"),  # C2H4 = 10, C2H6 12-14
    ((70, 10, 20), "C"), ((70.01, 9.99, 20), "S"),  # C2H4 = 10, C2H6 14-30
    ((50, 10, 40), "ND"), ((50.01, 9.99, 40), "S"),  # C2H4 = 10, C2H6 30-54
    ((20, 10, 70), "ND"), ((20.01, 9.99, 70), "O"),  # C2H4 = 10, C2H6 ≥ 54
    ((60, 35, 5), "T3"), ((60.01, 34.99, 5), "T2"),  # C2H4 = 35, C2H6 < 12
    ((63, 25, 12), "C"), ((63.01, 25, 11.99), "T2"),  # C2H6 = 12 above T2
    ((48, 40, 12), "C"), ((48.01, 40, 11.99), "T3"),  # C2H6 = 12 above T3
    ((37, 50, 13), "T3"), ((37.01, 49.99, 13), "C"),  # C2H4 = 50 (49 in XD)
    ((26, 60, 14), "C"), ((26.01, 60, 13.99), "T3"),  # C2H6 = 14, C2H4 50-70
    ((10, 70, 20), "T3"), ((10.01, 69.99, 20), "C"),  # C2H4 = 70
    ((50, 20, 30), "ND"), ((50.01, 20, 29.99), "C"),  # C2H6 = 30, C2H4 10-35
    ((30, 40, 30), "T3"), ((30.01, 40, 29.99), "C"),  # C2H6 = 30, C2H4 35-70
    ((25, 35, 40), "T3"), ((25.01, 34.99, 40), "ND"),  # C2H4 = 35, C2H6 ≥ 30
    ((100, 0, 0), "O"), ((0, 100, 0), "T3"), ((0, 0, 100), "O"),  # the corners
]


@pytest.mark.parametrize(("percent", "zone"), TRIANGLE_5_EDGES)
def test_triangle_5_zone_on_both_sides_of_each_edge(percent, zone):
    assert zone_of(dga.DUVAL_TRIANGLE_5_RULES, dga.DUVAL_TRIANGLE_5_GASES, percent) == zone


@pytest.mark.parametrize(("percent", "zone"), [
    case for case in TRIANGLE_5_EDGES if case[0][1] > 0 and case[0][1] >= case[0][0] / 4])
def test_triangle_5_edges_through_the_engine_after_triangle_1_t2_or_t3(percent, zone):
    ch4, c2h4, c2h6 = (ABOVE_TRACE * value for value in percent)  # no C2H2, C2H4 ≥ CH4 / 4: Triangle 1 is T2 or T3
    methods = dga.diagnose({"ch4": ch4, "c2h4": c2h4, "c2h6": c2h6, "c2h2": 0, "h2": 1})["methods"]
    assert methods["duval_triangle_1"]["result"] in ("T2", "T3")
    answer = methods["duval_triangle_5"]
    assert (answer["applicable"], answer["result"]) == (True, zone)


# --- Hand-computed points ---------------------------------------------------------------

def test_triangle_4_point_computed_by_hand():
    # H2 30, CH4 60, C2H6 10 → 30/60/10 %; Triangle 1: CH4 60 / 65 = 92.3 %, C2H4 7.7 % → T1.
    methods = dga.diagnose({"h2": 30, "ch4": 60, "c2h6": 10, "c2h4": 5, "c2h2": 0})["methods"]
    assert methods["duval_triangle_1"]["result"] == "T1"
    assert methods["duval_triangle_4"] == {
        "applicable": True, "reason": None, "result": "C", "fault_type": "C",
        "description": dga.FAULT_DESCRIPTIONS["C"], "percent": {"h2": 30.0, "ch4": 60.0, "c2h6": 10.0},
        # x = %CH4 + %H2 / 2, y = %H2 · √3 / 2
        "point": {"x": 75.0, "y": round(30 * math.sqrt(3) / 2, 3)},
    }


def test_triangle_5_point_computed_by_hand():
    # CH4 10, C2H4 60, C2H6 30 → 10/60/30 %; Triangle 1: C2H4 60 / 70 = 85.7 % → T3.
    methods = dga.diagnose({"ch4": 10, "c2h4": 60, "c2h6": 30, "c2h2": 0, "h2": 5})["methods"]
    assert methods["duval_triangle_1"]["result"] == "T3"
    answer = methods["duval_triangle_5"]
    assert (answer["result"], answer["fault_type"]) == ("T3", "T3")
    assert answer["percent"] == {"ch4": 10.0, "c2h4": 60.0, "c2h6": 30.0}
    # x = %C2H4 + %CH4 / 2, y = %CH4 · √3 / 2
    assert answer["point"] == {"x": 65.0, "y": round(10 * math.sqrt(3) / 2, 3)}


def test_triangle_1_t2_refined_by_both_triangles():
    # Triangle 1: C2H4 20 / 60 = 33 % → T2. Triangle 4: 10/40/10 → 16.7/66.7/16.7 % → C.
    # Triangle 5: 40/20/10 → 57.1/28.6/14.3 % → C.
    methods = dga.diagnose({"h2": 10, "ch4": 40, "c2h6": 10, "c2h4": 20, "c2h2": 0})["methods"]
    assert methods["duval_triangle_1"]["result"] == "T2"
    assert methods["duval_triangle_4"]["percent"] == {"h2": 16.67, "ch4": 66.67, "c2h6": 16.67}
    assert methods["duval_triangle_5"]["percent"] == {"ch4": 57.14, "c2h4": 28.57, "c2h6": 14.29}
    assert (methods["duval_triangle_4"]["result"], methods["duval_triangle_5"]["result"]) == ("C", "C")


def test_zone_nd_names_no_fault():
    # Triangle 1: 20 / 60 → T2; Triangle 5: 40/20/40 % → ND.
    answer = method({"ch4": 40, "c2h4": 20, "c2h6": 40, "c2h2": 0}, "duval_triangle_5")
    assert (answer["applicable"], answer["result"], answer["fault_type"]) == (True, "ND", None)
    assert "not determined" in answer["description"]


# --- Which triangle applies ---------------------------------------------------------------

@pytest.mark.parametrize(("sample", "name", "reason"), [
    ({"h2": 10, "ch4": 10, "c2h6": 10, "c2h4": 10, "c2h2": 10}, "duval_triangle_4",
     "applies only when Triangle 1 is in PD, T1 or T2; Triangle 1 is in D2"),
    ({"h2": 10, "ch4": 10, "c2h6": 10, "c2h4": 10, "c2h2": 10}, "duval_triangle_5",
     "applies only when Triangle 1 is in T2 or T3; Triangle 1 is in D2"),
    ({"h2": 10, "ch4": 10, "c2h6": 10, "c2h4": 80, "c2h2": 0}, "duval_triangle_4",
     "applies only when Triangle 1 is in PD, T1 or T2; Triangle 1 is in T3"),
    ({"h2": 10, "ch4": 100, "c2h6": 10, "c2h4": 0, "c2h2": 0}, "duval_triangle_5",
     "applies only when Triangle 1 is in T2 or T3; Triangle 1 is in PD"),
    # CH4 at a trace level: Triangle 1 names no zone ("below typical values"), so 4 and 5 follow nothing
    ({"h2": 10, "ch4": 10, "c2h6": 10, "c2h4": 0, "c2h2": 0}, "duval_triangle_5",
     "applies only when Triangle 1 is in T2 or T3; Triangle 1 is not applicable"),
    ({"h2": 10, "ch4": 10, "c2h6": 10}, "duval_triangle_4",
     "applies only when Triangle 1 is in PD, T1 or T2; Triangle 1 is not applicable"),
    ({"ch4": 10, "c2h4": 10, "c2h2": 0}, "duval_triangle_4", "needs H2, CH4, C2H6; missing or invalid: H2, C2H6"),
    # its own gases all zero is said before Triangle 1's zone (T3 here)
    ({"h2": 0, "ch4": 0, "c2h6": 0, "c2h4": 5, "c2h2": 0}, "duval_triangle_4", "H2, CH4, C2H6 are all zero"),
])
def test_not_applicable_reasons(sample, name, reason):
    answer = method(sample, name)
    assert answer == {"applicable": False, "reason": reason, "result": None, "fault_type": None,
                      "description": None, "percent": None, "point": None}


def random_samples(rng, size):
    """Gas arrays of `size` samples spread over every zone, some gases exactly zero, all ≤ 900 ppm
    (so that 1024 times them is still a valid value)."""
    return {gas: np.minimum(rng.lognormal(3, 2, size), 900.0) * (rng.random(size) > 0.15) for gas in dga.GASES}


def test_applicability_follows_triangle_1_zone_on_random_samples():
    rng = np.random.default_rng(RNG_SEED)
    columns = dga.diagnose_batch(random_samples(rng, 5000), columnar=True)
    zone = np.array([dga.DUVAL_TRIANGLE_1_RULES[rule].result if rule >= 0 else None for rule in columns["duval_rule"]])
    for prefix, gases, zones in (("duval4", dga.DUVAL_TRIANGLE_4_GASES, ("PD", "T1", "T2")),
                                 ("duval5", dga.DUVAL_TRIANGLE_5_GASES, ("T2", "T3"))):
        positive = sum(columns[f"ppm_{gas}"] for gas in gases) > 0
        traces = typical.within_table_1(columns, gases)  # its own gases too low to say anything
        expected = np.isin(zone, zones) & positive & ~traces
        assert np.array_equal(columns[f"{prefix}_applicable"], expected)
        assert (columns[f"{prefix}_rule"][expected] >= 0).all()  # an applicable triangle always names a zone
        assert (columns[f"{prefix}_rule"][~expected] == -1).all()
        assert 100 < expected.sum() < len(expected) - 100  # both outcomes were exercised


# --- Triangle 3 --------------------------------------------------------------------------

@pytest.mark.parametrize(("liquid", "reason"), [
    (None, "applies to non-mineral liquids; for mineral oil see Triangle 1"),
    ("mineral", "applies to non-mineral liquids; for mineral oil see Triangle 1"),
    ("natural_ester", "no Duval Triangle 3 variant for natural ester is confirmed by two independent public sources"),
    ("synthetic_ester",
     "no Duval Triangle 3 variant for synthetic ester is confirmed by two independent public sources"),
    ("silicone", "no Duval Triangle 3 variant for silicone is confirmed by two independent public sources"),
])
def test_triangle_3_is_not_applicable_and_says_why(liquid, reason):
    sample = {"h2": 10, "ch4": 30, "c2h6": 10, "c2h4": 20, "c2h2": 1}
    answer = method(sample, "duval_triangle_3", insulating_liquid=liquid)
    assert answer == {"applicable": False, "reason": reason, "result": None, "fault_type": None,
                      "description": None, "percent": None, "point": None}
    batch = dga.diagnose_batch({gas: np.array([value]) for gas, value in sample.items()}, insulating_liquid=[liquid])
    assert batch[0]["methods"]["duval_triangle_3"] == answer


# --- Zones and polygons tile each triangle ---------------------------------------------

TRIANGLES = {
    "1": (dga.DUVAL_TRIANGLE_1_RULES, dga.DUVAL_GASES,
          {zone: (polygon,) for zone, polygon in dga.DUVAL_TRIANGLE_1_POLYGONS.items()},
          {zone: (vertices,) for zone, vertices in dga.DUVAL_TRIANGLE_1_VERTICES_PERCENT.items()}),
    "4": (dga.DUVAL_TRIANGLE_4_RULES, dga.DUVAL_TRIANGLE_4_GASES, dga.DUVAL_TRIANGLE_4_POLYGONS,
          dga.DUVAL_TRIANGLE_4_VERTICES_PERCENT),
    "5": (dga.DUVAL_TRIANGLE_5_RULES, dga.DUVAL_TRIANGLE_5_GASES, dga.DUVAL_TRIANGLE_5_POLYGONS,
          dga.DUVAL_TRIANGLE_5_VERTICES_PERCENT),
}


def _holding_rules(rules, values, size):
    """How many rules hold for each element, each tested on its own (not first-match)."""
    listed = [rule for rule in rules if rule.when and rule.when[0]]  # not Triangle 1's DT: "every other point"
    return np.array([bin(mask).count("1") for mask in all_matches(listed, values, size).tolist()])


@pytest.mark.parametrize("triangle", ["1", "4", "5"])
def test_every_point_is_in_exactly_one_zone(triangle):
    rules, gases, _, _ = TRIANGLES[triangle]
    rng = np.random.default_rng(RNG_SEED)
    shares = rng.dirichlet([0.4, 0.4, 0.4], size=20000) * 100
    values = {gas: shares[:, index] for index, gas in enumerate(gases)}
    count = _holding_rules(rules, values, len(shares))
    if triangle == "1":
        assert count.max() == 1  # DT takes the points no other zone holds
    else:
        assert (count == 1).all()


def _inside(point, polygon):
    """Ray-casting point-in-polygon test."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _area(polygon):
    """Shoelace area of a polygon."""
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1]))) / 2


@pytest.mark.parametrize("triangle", ["1", "4", "5"])
def test_polygons_tile_the_triangle_and_agree_with_the_zone_rules(triangle):
    rules, gases, polygons, vertices_percent = TRIANGLES[triangle]
    assert set(polygons) == {rule.result for rule in rules}
    assert all(sum(vertex) == 100 for areas in vertices_percent.values() for area in areas for vertex in area)
    assert math.isclose(sum(_area(list(area)) for areas in polygons.values() for area in areas), TRIANGLE_AREA)
    rng = np.random.default_rng(RNG_SEED)
    shares = rng.dirichlet([0.5, 0.5, 0.5], size=3000) * 100
    values = {gas: shares[:, index] for index, gas in enumerate(gases)}
    matched = first_match(rules, values, len(shares))
    limits = sorted({bound for rule in rules for bands in rule.when for band in bands.values()
                     for bound in (band.low, band.high) if bound is not None})
    checked = 0
    for share, rule in zip(shares, matched):
        if np.abs(share[:, None] - np.array(limits)).min() < 0.05:
            continue  # too close to an edge for the polygon test to be exact
        point = dga.duval_point(share[0], share[1])
        zones = [zone for zone, areas in polygons.items() for area in areas if _inside(point, list(area))]
        assert zones == [rules[rule].result]
        checked += 1
    assert checked > 1500


# --- Engine properties --------------------------------------------------------------------

NEW_METHODS = ("duval_triangle_3", "duval_triangle_4", "duval_triangle_5")


def test_zones_are_scale_invariant():
    rng = np.random.default_rng(RNG_SEED)
    gases = random_samples(rng, 3000)
    base = dga.diagnose_batch(gases, columnar=True)
    for factor in (0.25, 8.0, 1024.0):  # powers of two: the shares stay exactly the same
        scaled = dga.diagnose_batch({gas: values * factor for gas, values in gases.items()}, columnar=True)
        for prefix in ("duval", "duval4", "duval5"):
            # The trace-level gate reads absolute levels: where it lets both scales answer, they answer alike,
            # and scaling up never silences a triangle.
            both = base[f"{prefix}_applicable"] & scaled[f"{prefix}_applicable"]
            assert np.array_equal(base[f"{prefix}_rule"][both], scaled[f"{prefix}_rule"][both])
            assert np.array_equal(base[f"{prefix}_x"][both], scaled[f"{prefix}_x"][both])
            low, high = (base, scaled) if factor > 1 else (scaled, base)
            assert not (low[f"{prefix}_applicable"] & ~high[f"{prefix}_applicable"]).any()
            assert both.sum() > 100  # exercised


def test_output_is_finite_batch_equals_single_and_matches_the_schema():
    rng = np.random.default_rng(RNG_SEED)
    gases = random_samples(rng, 300)
    gases["c2h4"][:5] = [np.nan, -1.0, np.inf, 2e6, 0.0]  # invalid and zero values too
    # Mostly mineral oil, for which the triangles answer; the others say "not applicable".
    liquids = rng.choice(dga.INSULATING_LIQUIDS, size=300, p=[0.7, 0.1, 0.1, 0.1]).tolist()
    batch = dga.diagnose_batch(gases, insulating_liquid=liquids)
    validator = jsonschema.Draft202012Validator(dga.VERDICT_SCHEMA)
    seen = {name: set() for name in NEW_METHODS}
    for index, verdict in enumerate(batch):
        json.dumps(verdict, allow_nan=False)  # raises on NaN or infinity
        validator.validate(verdict)
        sample = {gas: float(values[index]) for gas, values in gases.items() if not np.isnan(values[index])}
        single = dga.diagnose(sample, insulating_liquid=liquids[index])
        for name in ("duval_triangle_1", *NEW_METHODS):
            assert single["methods"][name] == verdict["methods"][name]
        for name in NEW_METHODS:
            seen[name].add(verdict["methods"][name]["result"])
    assert len(seen["duval_triangle_4"]) >= 4 and len(seen["duval_triangle_5"]) >= 4
    assert seen["duval_triangle_3"] == {None}


def test_new_methods_are_in_the_verdict_schema_and_refine_rather_than_confirm():
    methods = dga.VERDICT_SCHEMA["properties"]["methods"]["properties"]
    assert set(NEW_METHODS) <= set(methods)
    assert methods["duval_triangle_4"]["properties"]["percent"]["anyOf"][0]["required"] == ["h2", "ch4", "c2h6"]
    assert not set(NEW_METHODS) & {name for name, *_ in dga.AGREEMENT_METHODS}
