"""Duval Pentagons 1 and 2: the centroid by hand, both sides of every edge, one zone per point, properties."""

import math

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import dga
from shared.dga import duval_pentagons
from test_dga_engine import assert_json_ready

GASES5 = dga.DUVAL_PENTAGON_GASES
PENTAGONS = {"pentagon1": dga.DUVAL_PENTAGON_1_POLYGONS, "pentagon2": dga.DUVAL_PENTAGON_2_POLYGONS}
METHOD = {"pentagon1": "duval_pentagon_1", "pentagon2": "duval_pentagon_2"}
SIN72, COS72 = math.sin(math.radians(72)), math.cos(math.radians(72))
SIN36, COS36 = math.sin(math.radians(36)), math.cos(math.radians(36))
FAST = settings(max_examples=150, deadline=None, database=None)


# Samples of the geometry tests, times a power of two (exact in floating point, so every share and
# centroid is unchanged) that lifts them above the trace levels at which the methods are gated.
ABOVE_TRACE = 1024.0


def answers(sample):
    """Both pentagons' answers for one sample (gases not given are 0), lifted above trace levels."""
    methods = dga.diagnose({gas: 0.0 for gas in GASES5} | {gas: ABOVE_TRACE * value for gas, value in sample.items()})
    methods = methods["methods"]
    return methods["duval_pentagon_1"], methods["duval_pentagon_2"]


def zones(x, y, prefix):
    """Zone name of each point in pentagon `prefix`, None for no zone."""
    names = list(PENTAGONS[prefix])
    return [names[index] if index >= 0 else None
            for index in duval_pentagons.zone_index(np.atleast_1d(x), np.atleast_1d(y), prefix)]


def shoelace_centroid(points):
    """Area centroid of a simple polygon by the textbook shoelace formula (independent of the module's fan form)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        cross = x1 * y2 - x2 * y1
        area += cross / 2
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * area), cy / (6 * area)


def polygon_area(points):
    """Signed shoelace area (positive = counter-clockwise)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1])) / 2


# --- the centroid, by hand ----------------------------------------------------------------------

def test_axis_vertices_are_a_regular_pentagon_in_the_published_order():
    # H2 at the top, then counter-clockwise C2H6, CH4, C2H4, C2H2, 72° apart, 100 % at radius 100.
    assert GASES5 == ("h2", "c2h6", "ch4", "c2h4", "c2h2")
    vertices = dga.DUVAL_PENTAGON_AXIS_VERTICES
    assert vertices["h2"] == (0.0, 100.0)
    expected = {"c2h6": (-100 * SIN72, 100 * COS72), "ch4": (-100 * SIN36, -100 * COS36),
                "c2h4": (100 * SIN36, -100 * COS36), "c2h2": (100 * SIN72, 100 * COS72)}
    for gas, (x, y) in expected.items():
        assert vertices[gas] == pytest.approx((x, y), abs=1e-9)


@pytest.mark.parametrize("gas", GASES5)
def test_a_pure_gas_lies_a_third_of_the_way_along_its_axis(gas):
    # One gas at 100 %: the five marks span no area; the limit as the other four tend to the same
    # ε is the triangle (centre, ε-mark, 100 %-mark) pair's centroid → mark/3. E.g. pure H2 →
    # (0, 100/3) = (0, 33.333); pure C2H6 → (100/3)(−sin 72°, cos 72°) = (−31.702, 10.301).
    x, y = dga.DUVAL_PENTAGON_AXIS_VERTICES[gas]
    first, second = answers({gas: 7.0})
    assert first["point"] == second["point"] == {"x": round(x / 3, 3), "y": round(y / 3, 3)}
    assert first["percent"] == {other: (100.0 if other == gas else 0.0) for other in GASES5}


def test_pure_gas_points_by_hand():
    assert answers({"h2": 1.0})[0]["point"] == {"x": 0.0, "y": 33.333}
    assert answers({"c2h6": 1.0})[0]["point"] == {"x": -31.702, "y": 10.301}
    assert answers({"ch4": 1.0})[0]["point"] == {"x": -19.593, "y": -26.967}


def test_two_neighbouring_gases_give_the_centroid_of_one_triangle_not_the_mean_of_the_marks():
    # CH4 = C2H6 = 50 %: marks m1 = 50(−sin 72°, cos 72°) = (−47.553, 15.451) and
    # m2 = 50(−sin 36°, −cos 36°) = (−29.389, −40.451); the only triangle with area is
    # (0, m1, m2), centroid (m1 + m2)/3 = (−25.647, −8.333). The mean of the five marks,
    # (m1 + m2)/5 = (−15.388, −5.0), is what the method is NOT.
    first, second = answers({"ch4": 3.0, "c2h6": 3.0})
    assert first["point"] == {"x": -25.647, "y": -8.333}
    assert (first["result"], second["result"]) == ("T1", "O")


def test_three_gases_weight_two_triangles_by_their_areas():
    # H2 50 %, C2H6 25 %, CH4 25 %: m0 = (0, 50), m1 = 25(−0.951057, 0.309017) = (−23.776, 7.725),
    # m2 = 25(−0.587785, −0.809017) = (−14.695, −20.225). Triangle (0, m0, m1) has area ∝ 50·25 =
    # 1250, (0, m1, m2) ∝ 25·25 = 625, the other three 0. Centroid
    # = [1250(m0 + m1) + 625(m1 + m2)] / (3·1875)
    # = [1250(−23.776, 57.725) + 625(−38.471, −12.500)] / 5625
    # = (−29720.3 − 24044.6, 72156.9 − 7812.6) / 5625 = (−9.558, 11.439).
    first, _ = answers({"h2": 2.0, "c2h6": 1.0, "ch4": 1.0})
    assert first["point"]["x"] == pytest.approx(-9.558, abs=1e-3)
    assert first["point"]["y"] == pytest.approx(11.439, abs=1e-3)
    assert first["result"] == "S"


def test_gases_on_opposite_axes_take_the_limit_of_equal_traces_elsewhere():
    # H2 75 %, CH4 25 % share no triangle: 0/0. The limit Σ r·mark/(3·Σ r) is
    # (75·(0, 75) + 25·25·(−sin 36°, −cos 36°)) / 300 = ((0, 5625) + (−367.37, −505.64)) / 300
    # = (−1.225, 17.065); a trace of the three other gases lands on it.
    exact, _ = answers({"h2": 3.0, "ch4": 1.0})
    assert exact["point"] == {"x": -1.225, "y": 17.065}
    traced, _ = answers({"h2": 3.0, "ch4": 1.0, "c2h6": 1e-9, "c2h4": 1e-9, "c2h2": 1e-9})
    assert traced["point"] == exact["point"] and traced["result"] == exact["result"] == "S"


def test_the_centroid_is_the_shoelace_centroid_of_the_five_marks():
    rng = np.random.default_rng(11)
    shares = rng.dirichlet(np.ones(5), size=500) * 100
    columns = dga.diagnose_batch(dict(zip(GASES5, shares.T)), columnar=True)
    for share, x, y in zip(shares, columns["pentagon_x"], columns["pentagon_y"]):
        marks = [(r * vx / 100, r * vy / 100) for r, (vx, vy) in zip(share, dga.DUVAL_PENTAGON_AXIS_VERTICES.values())]
        assert (x, y) == pytest.approx(shoelace_centroid(marks), abs=1e-9)


# --- axis order: the CH4/C2H6 swap of one public implementation ---------------------------------

# Samples and expected zones from xDGA's tests (xDGA.TEST/DuvalPentagonsTests.cs; gases H2, CH4,
# C2H6, C2H4, C2H2 in ppm), an implementation independent of the vertex table chosen here.
XDGA_CASES = [
    ((32.0, 0.1, 0.5, 0.1, 0.1), "PD", "PD"), ((32.0, 0.1, 10.0, 0.1, 0.1), "S", "S"),
    ((0.1, 100.0, 100.0, 0.1, 0.1), "T1", "O"), ((0.1, 100.0, 0.1, 10.0, 0.1), "T2", "C"),
    ((0.1, 10.0, 0.1, 100.0, 0.1), "T3", "T3-H"), ((0.1, 0.1, 0.1, 100.0, 100.0), "D2", "D2"),
    ((100.0, 0.1, 0.1, 0.1, 100.0), "D1", "D1"),
    ((32.0, 0.0, 0.5, 0.0, 0.0), "PD", "PD"), ((32.0, 0.0, 10.0, 0.0, 0.0), "S", "S"),
    ((0.0, 100.0, 100.0, 0.0, 0.0), "T1", "O"), ((0.0, 100.0, 0.0, 10.0, 0.0), "T2", "C"),
    ((0.0, 10.0, 0.0, 100.0, 0.0), "T3", "T3-H"), ((0.0, 0.0, 0.0, 100.0, 100.0), "D2", "D2"),
    ((100.0, 0.0, 0.0, 0.0, 100.0), "D1", "D1"),
]


@pytest.mark.parametrize(("gases", "zone_1", "zone_2"), XDGA_CASES)
def test_published_examples_land_in_their_zones(gases, zone_1, zone_2):
    sample = dict(zip(("h2", "ch4", "c2h6", "c2h4", "c2h2"), gases))
    first, second = answers(sample)
    assert (first["result"], second["result"]) == (zone_1, zone_2)
    assert (first["fault_type"], second["fault_type"]) == (zone_1, zone_2)


def test_swapping_ch4_and_c2h6_would_move_a_thermal_sample_to_stray_gassing():
    # CH4 with some C2H4 is a thermal fault (T2; C in Pentagon 2). With the two axes swapped
    # — TM's Pentagon 1 call — the same gases plot as C2H6 + C2H4 and land in S.
    assert [answer["result"] for answer in answers({"ch4": 100.0, "c2h4": 10.0})] == ["T2", "C"]
    assert [answer["result"] for answer in answers({"c2h6": 100.0, "c2h4": 10.0})] == ["S", "S"]


# --- edges and the one-zone property ----------------------------------------------------------

def _edges(polygons):
    """(zone, start, end) of every polygon edge."""
    for zone, polygon in polygons.items():
        for start, end in zip(polygon, polygon[1:] + polygon[:1]):
            yield zone, np.array(start), np.array(end)


def _neighbour(polygons, zone, point):
    """The other zone whose boundary passes through `point` (None: the pentagon's outline)."""
    for other, start, end in _edges(polygons):
        if other == zone:
            continue
        along, across = end - start, point - start
        t = along @ across / (along @ along)
        if 0 < t < 1 and abs(along[0] * across[1] - along[1] * across[0]) / np.linalg.norm(along) < 1e-9:
            return other
    return None


@pytest.mark.parametrize("prefix", PENTAGONS)
def test_both_sides_of_every_zone_edge(prefix):
    polygons = PENTAGONS[prefix]
    checked = 0
    for zone, start, end in _edges(polygons):
        along = end - start
        inward = np.array([-along[1], along[0]]) / np.linalg.norm(along)
        if polygon_area(list(polygons[zone])) < 0:  # clockwise: the interior is on the right
            inward = -inward
        for t in (0.25, 0.5, 0.75):
            point = start + t * along
            neighbour = _neighbour(polygons, zone, point)
            inside, outside = point + 1e-6 * inward, point - 1e-6 * inward
            assert zones(*inside, prefix) == [zone], (zone, tuple(point))
            assert zones(*outside, prefix) == [neighbour], (zone, tuple(point))
            checked += 1
    assert checked == 3 * sum(len(polygon) for polygon in polygons.values())


@pytest.mark.parametrize(("prefix", "point", "zone"), [
    ("pentagon1", (0.0, 30.0), "D1"),  # on the PD/D1 edge: the zone on the right
    ("pentagon1", (-1.0, 30.0), "PD"),  # on the S/PD edge: the zone on the right
    ("pentagon1", (-0.5, 33.0), "S"),  # on PD's top edge: the zone above
    ("pentagon1", (-0.5, 24.5), "PD"),  # on PD's bottom edge: the zone above
    ("pentagon1", (0.0, 10.0), "D1"),  # on the S/D1 edge
    ("pentagon1", (0.0, 0.0), "D2"),  # on the T1/D2 edge
    ("pentagon1", (0.0, 33.0), "D1"),  # the corner of PD, S and D1
    ("pentagon1", (-1.0, 33.0), "S"),  # PD's top left corner
    ("pentagon1", (0.0, 1.5), "D2"),  # the corner of S, D1, D2 and T1
    ("pentagon1", (-6.0, -4.0), "T3"),  # the corner of T1, T2 and T3
])
def test_points_on_edges_follow_the_right_then_above_rule(prefix, point, zone):
    assert zones(*point, prefix) == [zone]


def test_a_horizontal_edge_belongs_to_the_zone_above():
    # Pentagon 2's O/T3-H edge runs along y = −3 from x = −3.5 to 0, O above, T3-H below.
    assert zones(-1.0, -3.0 + 1e-9, "pentagon2") == ["O"]
    assert zones(-1.0, -3.0 - 1e-9, "pentagon2") == ["T3-H"]
    assert zones(-1.0, -3.0, "pentagon2") == ["O"]


def _reachable(points):
    """Points of the regular pentagon of radius 100/3 (the centroids samples can have)."""
    x, y = points[:, 0], points[:, 1]
    apothem = 100 / 3 * COS36
    inside = np.ones(len(points), bool)
    for steps in range(5):  # the edge between axes k and k+1 faces the direction 36° + 72°·k from the top
        angle = math.radians(36 + 72 * steps)
        inside &= -math.sin(angle) * x + math.cos(angle) * y <= apothem + 1e-12
    return inside


@pytest.mark.parametrize("prefix", PENTAGONS)
def test_every_point_a_sample_can_reach_is_in_exactly_one_zone(prefix):
    polygons = PENTAGONS[prefix]
    rng = np.random.default_rng(5)
    corners = np.array(sorted({point for polygon in polygons.values() for point in polygon}))
    corners = corners[_reachable(corners)]
    assert len(corners) == {"pentagon1": 7, "pentagon2": 8}[prefix]  # (−1, 33) is out of reach
    on_edges = np.array([start + t * (end - start) for _, start, end in _edges(polygons)
                         for t in np.linspace(0, 1, 41)])
    on_edges = on_edges[_reachable(on_edges)]
    pure_gases = np.array(list(dga.DUVAL_PENTAGON_AXIS_VERTICES.values())) / 3
    shares = rng.dirichlet(np.full(5, 0.4), size=5000) * 100
    shares[rng.random(shares.shape) < 0.3] = 0.0  # many samples with absent gases
    shares[shares.sum(axis=1) == 0, 0] = 1.0
    x, y = duval_pentagons.pentagon_point(shares.T)
    random_disk = rng.uniform(-100 / 3, 100 / 3, size=(30000, 2))
    points = np.vstack([corners, on_edges, pure_gases, np.column_stack([x, y]),
                        random_disk[_reachable(random_disk)]])
    assert len(points) > 20000
    membership = duval_pentagons.zone_membership(points[:, 0], points[:, 1], prefix)
    assert (membership.sum(axis=1) == 1).all()


def test_every_applicable_sample_gets_a_zone_in_the_batch_path():
    rng = np.random.default_rng(9)
    ppm = np.minimum(rng.lognormal(2, 2, size=(5, 5000)) * ABOVE_TRACE, 1e5)
    ppm[rng.random(ppm.shape) < 0.25] = 0.0
    columns = dga.diagnose_batch(dict(zip(GASES5, ppm)), columnar=True)
    for prefix in PENTAGONS:
        applicable = columns[f"{prefix}_applicable"]
        assert applicable.sum() > 4900
        assert (columns[f"{prefix}_rule"][applicable] >= 0).all()
        assert (columns[f"{prefix}_rule"][~applicable] == -1).all()


def test_a_point_outside_every_zone_gets_no_zone():
    # No sample can get there (centroids stay within radius 100/3), but the rule is defined:
    # the top of the outline belongs to no zone, and beyond it there is none either.
    assert zones([0.0, 0.0, 45.0, np.nan], [40.0, 41.0, 0.0, 0.0], "pentagon1") == [None] * 4


def test_pentagon_2_only_refines_the_thermal_zones_of_pentagon_1():
    rng = np.random.default_rng(3)
    shares = rng.dirichlet(np.full(5, 0.5), size=5000) * 100
    columns = dga.diagnose_batch(dict(zip(GASES5, shares.T)), columnar=True)
    first = np.array([dga.DUVAL_PENTAGON_1_RULES[i].result for i in columns["pentagon1_rule"]])
    second = np.array([dga.DUVAL_PENTAGON_2_RULES[i].result for i in columns["pentagon2_rule"]])
    shared = np.isin(first, ["PD", "D1", "D2", "S"])
    assert (first[shared] == second[shared]).all()
    assert set(second[~shared]) <= {"T3-H", "C", "O"}
    assert {"T1", "T2", "T3"} <= set(first) and {"T3-H", "C", "O"} <= set(second)


# --- the zones cover the pentagon -----------------------------------------------------------

@pytest.mark.parametrize("prefix", PENTAGONS)
def test_the_zones_tile_the_pentagon_without_gap_or_overlap(prefix):
    polygons = PENTAGONS[prefix]
    total = sum(abs(polygon_area(list(polygon))) for polygon in polygons.values())
    regular = 2.5 * 40 ** 2 * SIN72  # area of the regular pentagon of radius 40 the zones are drawn in
    assert total == pytest.approx(regular, rel=1e-4)
    # On a grid, no point is in two zones, and the points in one zone add up to the same area.
    step = 0.25
    axis = np.arange(-41, 41, step) + step / 2
    grid_x, grid_y = (values.ravel() for values in np.meshgrid(axis, axis))
    membership = duval_pentagons.zone_membership(grid_x, grid_y, prefix)
    assert membership.sum(axis=1).max() == 1
    assert membership.sum() * step ** 2 == pytest.approx(total, rel=5e-3)
    points = np.column_stack([grid_x, grid_y]) * (100 / 3) / 39  # the regular pentagon of radius 39 …
    within = _reachable(points)  # … scaled onto the reachable one, so `_reachable` can select it
    assert within.sum() > 40000 and (membership[within].sum(axis=1) == 1).all()


# --- properties ----------------------------------------------------------------------------

gas_value = st.one_of(st.just(0.0), st.floats(1e-3, 1e4), st.sampled_from([1.0, 10.0, 100.0, 1000.0]))
pentagon_sample = st.fixed_dictionaries({gas: gas_value for gas in GASES5})


def interpretation(verdict):
    """The scale-free part of both pentagons' answers."""
    return tuple((verdict["methods"][name]["result"], verdict["methods"][name]["percent"],
                  verdict["methods"][name]["point"]) for name in METHOD.values())


@FAST
@given(pentagon_sample, st.integers(-30, 6))
def test_scaling_by_a_power_of_two_never_changes_zone_percent_or_point(sample, exponent):
    # 2**k scaling is exact in binary floating point, so every share and centroid is bit-identical.
    # The trace-level gate reads absolute levels: where it lets both scales answer, they answer alike.
    factor = 2.0 ** exponent
    base, scaled = dga.diagnose(sample), dga.diagnose({gas: value * factor for gas, value in sample.items()})
    answered = [name for name in METHOD.values()
                if base["methods"][name]["applicable"] and scaled["methods"][name]["applicable"]]
    assert [interpretation(base)[list(METHOD.values()).index(name)] for name in answered] == [
        interpretation(scaled)[list(METHOD.values()).index(name)] for name in answered]


def test_scaling_by_any_factor_keeps_the_zone():
    rng = np.random.default_rng(13)
    ppm = np.clip(rng.lognormal(3, 2, size=(5, 3000)), 1e-3, 5000)  # × 1000/7 stays within MAX_PPM
    base = dga.diagnose_batch(dict(zip(GASES5, ppm)), columnar=True)
    for factor in (0.3, 3.7, 1e3 / 7):
        scaled = dga.diagnose_batch(dict(zip(GASES5, ppm * factor)), columnar=True)
        for prefix in PENTAGONS:
            both = base[f"{prefix}_applicable"] & scaled[f"{prefix}_applicable"]  # the gate reads absolute levels
            assert (scaled[f"{prefix}_rule"][both] == base[f"{prefix}_rule"][both]).all() and both.sum() > 100
        assert np.allclose(scaled["pentagon_x"], base["pentagon_x"], atol=1e-9)


@FAST
@given(pentagon_sample)
def test_output_is_json_ready_and_valid_against_the_verdict_schema(sample):
    verdict = dga.diagnose(sample)
    assert_json_ready(verdict)
    jsonschema.validate(verdict, dga.VERDICT_SCHEMA)


@pytest.mark.parametrize("sample", [
    {gas: 0.0 for gas in GASES5}, {"h2": 1e6}, {"c2h2": 5e-324}, {"h2": 1e6, "ch4": 1e-300},
    {gas: 1e6 for gas in GASES5}, {"h2": float("nan")}, {"h2": -1.0, "ch4": 5.0},
])
def test_extreme_samples_give_no_nan_or_infinity(sample):
    verdict = dga.diagnose(sample)
    assert_json_ready(verdict)
    jsonschema.validate(verdict, dga.VERDICT_SCHEMA)


@FAST
@given(st.lists(pentagon_sample, min_size=1, max_size=8))
def test_batch_equals_single(samples):
    batch = dga.diagnose_batch({gas: np.array([sample[gas] for sample in samples]) for gas in GASES5})
    assert [verdict["methods"] for verdict in batch] == [dga.diagnose(sample)["methods"] for sample in samples]


# --- not applicable ------------------------------------------------------------------------

@pytest.mark.parametrize(("sample", "reason"), [
    ({gas: 0.0 for gas in GASES5}, "H2, C2H6, CH4, C2H4, C2H2 are all zero"),
    ({"h2": 5.0, "ch4": 3.0, "c2h6": 1.0, "c2h4": 1.0}, "needs H2, C2H6, CH4, C2H4, C2H2; missing or invalid: C2H2"),
    ({"h2": 5.0, "ch4": -3.0, "c2h6": 1.0, "c2h4": 1.0, "c2h2": 0.0},
     "needs H2, C2H6, CH4, C2H4, C2H2; missing or invalid: CH4"),
])
def test_not_applicable(sample, reason):
    methods = dga.diagnose(sample)["methods"]
    for name in METHOD.values():
        assert methods[name] == {"applicable": False, "reason": reason, "result": None, "fault_type": None,
                                 "description": None, "percent": None, "point": None}


def test_the_answer_names_the_zone_its_fault_type_and_description():
    first, second = answers({"ch4": 100.0, "c2h4": 10.0})
    assert first == {"applicable": True, "reason": None, "result": "T2", "fault_type": "T2",
                     "description": dga.FAULT_DESCRIPTIONS["T2"],
                     "percent": {"h2": 0.0, "c2h6": 0.0, "ch4": 90.91, "c2h4": 9.09, "c2h2": 0.0},
                     "point": {"x": -16.031, "y": -26.967}}
    assert (second["result"], second["description"]) == ("C", dga.FAULT_DESCRIPTIONS["C"])
