"""Duval Pentagons 1 and 2 (Duval & Lamarre 2014): axes, zones, the point of a sample and its answers.

Published for mineral oil (M. Duval, L. Lamarre, "The Duval Pentagon — a new complementary
tool for the interpretation of dissolved gas analysis in transformers", IEEE Electrical
Insulation Magazine 30(6), 2014, pp. 9–12; repeated in IEEE C57.104-2019 and CIGRE TB 771).
Like Duval Triangle 1 they never answer "normal": the verdict gates them by the 2019 status.

## Geometry

Five axes from the centre of a regular pentagon to its corners, counter-clockwise from the
top: H2 (90°), C2H6 (162°), CH4 (234°), C2H4 (306°), C2H2 (18°) (`DUVAL_PENTAGON_GASES`,
`DUVAL_PENTAGON_AXIS_VERTICES` = the 100 % end of each axis, radius 100). Each gas's share
of the five-gas total, r = 100·gas/(H2 + C2H6 + CH4 + C2H4 + C2H2), is marked on its axis;
the five marks form an irregular pentagon, and the sample's point is the **area centroid of
that pentagon** — not the mean of the five marks. Split from the centre into five triangles
(centre, mark k, mark k+1): triangle k has area ½·r_k·r_{k+1}·sin 72° and centroid
(mark k + mark k+1)/3, so the centroid is Σ r_k·r_{k+1}·(mark k + mark k+1) / (3·Σ r_k·r_{k+1}),
which is the shoelace formula. A centroid never lies further than 100/3 from the centre,
so the published zones stop at radius 40.

**A pentagon without area.** When no two gases on neighbouring axes are both present
(one gas only, or e.g. only H2 and CH4), the five marks span no area and the formula is
0/0. The point is then the limit as every absent gas tends to the same small amount ε,
Σ r_k·mark k / (3·Σ r_k) — e.g. pure H2 → (0, 33.33) — which is what TM computes by giving
absent gases 1e-10 ppm. Where the pentagon has area, the limit is the ordinary centroid,
so one rule covers every sample.

**Near-degenerate samples move.** The centroid is not continuous where the pentagon gains its
first area: with gases only on non-neighbouring axes, a trace on an axis beside one of them
makes that pair's triangle the whole area, and the point jumps to its centroid. H2 500 and
CH4 15 ppm lie in PD; with 0.5 ppm C2H2 besides (C2H2's axis neighbours H2's) the point moves to
the D1 side of the PD/D1 edge. That is the published method, not an artefact of this code
(TM's 1e-10 ppm trick does the same); such a sample's other methods say whether to believe it,
and Triangle 1, before Pentagon 1 in the verdict's order, answers first whenever its gases
are above trace levels.

## Zones (x, y in the same coordinates; `DUVAL_PENTAGON_1_POLYGONS`, `DUVAL_PENTAGON_2_POLYGONS`)

| zone | vertices |
|---|---|
| PD | (0, 33) (−1, 33) (−1, 24.5) (0, 24.5) — both pentagons |
| D1 | (0, 40) (38, 12.4) (32, −6.1) (4, 16) (0, 1.5) — both |
| D2 | (4, 16) (32, −6.1) (24.3, −30) (0, −3) (0, 1.5) — both |
| S  | (0, 1.5) (−35, 3.1) (−38, 12.4) (0, 40) (0, 33) (−1, 33) (−1, 24.5) (0, 24.5) — both |
| T3 | (0, −3) (24.3, −30) (23.5, −32.4) (1, −32.4) (−6, −4) — Pentagon 1 |
| T2 | (−6, −4) (1, −32.4) (−22.5, −32.4) — Pentagon 1 |
| T1 | (−6, −4) (−22.5, −32.4) (−23.5, −32.4) (−35, 3.1) (0, 1.5) (0, −3) — Pentagon 1 |
| T3-H | (0, −3) (24.3, −30) (23.5, −32.4) (2.5, −32.4) (−3.5, −3) — Pentagon 2 |
| C  | (−3.5, −3) (2.5, −32.4) (−21.5, −32.4) (−11, −8) — Pentagon 2 |
| O  | (−3.5, −3) (−11, −8) (−21.5, −32.4) (−23.5, −32.4) (−35, 3.1) (0, 1.5) (0, −3) — Pentagon 2 |

Sources (the standard and the paper are paywalled; each value was read from public code):
- **TM** `ToniMellin/dga-diagtool` @ `10bc042239eb1387aa5e4b98abf809d5bb5c76a7` :
  `diagnostic/duval_pentagon_1.py`, `diagnostic/duval_pentagon_2.py` (cites TB 771 and
  C57.143-2019). Its axes and centroid are as above; its zones are the table's values moved
  onto an exact radius-40 outline (e.g. (38.042, 12.361) for (38, 12.4), (24.204, −30.229)
  for (24.3, −30), (1.09, −32.361) for (1, −32.4), (−35, 3) for (−35, 3.1)); its Pentagon 2
  D2 has a typo, (24.204, −30.299). **Its `calculate_duval_p1_result` passes
  (h2, ch4, c2h6, …) to `calculate_duval_p1_coordinates(h2, c2h6, ch4, …)`**, i.e. it swaps
  CH4 and C2H6 for Pentagon 1 (its Pentagon 2 call is right).
- **AT** `Ash564738/Transformer` @ `efbc88b968efdbf409d5d25889ff37723449d769` :
  `dga/duval_pentagon.py`: every vertex as in the table except D1 (38, 12) and T1 (−35, 3)
  (its S keeps (−35, 3.1)). Its centroid scales the radius-40 corners by the shares, which
  shrinks every point 2.5× (PD unreachable); the axis order is the one above.
- Public files whose repository the index does not name (reopen with `read_file(id=...)`):
  `68957058211` and `55923320786` (Python, both pentagons), `55613508627` (Python,
  Pentagon 1), `40695629190` and `56858293717` (JavaScript, Pentagon 2; the latter draws S
  without the PD notch) give the table's values vertex for vertex; `71267813006` and
  `52596262551` (TypeScript) give T3 (1, −32) and T1 (−35, 3). `68957058211` scales by
  radius 40 like AT.
- **XD** `engineers-tools/xDGA` @ `35a5599dcc912f88270aa4a7e617d61ddf752de4` :
  `xDGA.CORE/Algorithms/DuvalPentagons/DuvalPentagonOneRule.cs`, `DuvalPentagonTwoRule.cs`
  (cites IEEE EI Magazine 30(6) pp. 9–12): same axes, centroid and PD/D1/S, but D2 and T3
  meet at (−1, −2) and (24, −30), T3 has a corner at (−23.3, −32.4) (a sign slip for 23.3)
  and T1/S use (−35, 3). Its zones overlap, so it is listed, not followed.

Choice: the table's values — five public files give them vertex for vertex, and AT, TM and
the TypeScript pair differ from them only in the variants below (as far as public copies
show, they are the values printed in the paper). They tile the pentagon with no gap
and no overlap (the tests check the areas). What the variants would change: AT's and
`71267813006`'s T1 corner (−35, 3) with S at (−35, 3.1) leaves a sliver up to 0.09 high
along the T1/S edge in no zone; TM's (−35, 3) for both moves that sliver from T1 to S; T3
(1, −32) and TM's radius-40 outline tilt the edges that end on the outline (D1/D2, D2/T3,
T1/T2, T2/T3) by a few tenths of a unit where centroids fall. D1's (38, 12) moves only
outline that no centroid reaches.

## Boundaries

Every point belongs to exactly one zone: a point on a boundary belongs to the zone on its
right (larger x), and on a horizontal boundary to the zone above. This is the half-open
crossing rule (an edge counts when y_low ≤ y < y_high and x < the edge's x at y), computed
from each edge's lower end so that two zones sharing an edge compute it identically. It is a
geometric convention: the published pentagons do not say which side owns an edge. Examples:
pure H2 at (0, 33.33) lies on the S/D1 edge and is D1; (−1, 30) on the S/PD edge is PD;
(0, 30) on the PD/D1 edge is D1. A point outside every zone would get rule −1, "no
diagnosis"; no sample gets there: every centroid lies in the pentagon whose corners are the
pure-gas points (100/3 along each axis), and the zones, which reach 40 along each axis, hold it
whole.
"""

import math

import numpy as np

from shared.dga.duval_triangles import DUVAL_POINT_SCHEMA
from shared.dga.output import nullable, numbers_of, object_of, rounded
from shared.dga.rules import ALL_ZERO, RULE_METHOD_SCHEMA, all_of, applicability, fault_rule, plotted, rule_method

DUVAL_PENTAGON_GASES = ("h2", "c2h6", "ch4", "c2h4", "c2h2")  # counter-clockwise from the top axis


def _axis(steps: int) -> tuple[float, float]:
    """Unit vector of the axis `steps` × 72° counter-clockwise from the top (exact for the top axis)."""
    angle = math.radians(72.0 * steps)
    return -math.sin(angle), math.cos(angle)


_AXES = np.array([_axis(steps) for steps in range(len(DUVAL_PENTAGON_GASES))])  # (5, 2)
DUVAL_PENTAGON_AXIS_VERTICES = {gas: (100.0 * ux, 100.0 * uy) for gas, (ux, uy) in zip(DUVAL_PENTAGON_GASES, _AXES)}

_SHARED_ZONES = {
    "PD": ((0.0, 33.0), (-1.0, 33.0), (-1.0, 24.5), (0.0, 24.5)),
    "D1": ((0.0, 40.0), (38.0, 12.4), (32.0, -6.1), (4.0, 16.0), (0.0, 1.5)),
    "D2": ((4.0, 16.0), (32.0, -6.1), (24.3, -30.0), (0.0, -3.0), (0.0, 1.5)),
}
_STRAY_GASSING = ((0.0, 1.5), (-35.0, 3.1), (-38.0, 12.4), (0.0, 40.0), (0.0, 33.0), (-1.0, 33.0), (-1.0, 24.5),
                  (0.0, 24.5))
DUVAL_PENTAGON_1_POLYGONS = {
    **_SHARED_ZONES,
    "T3": ((0.0, -3.0), (24.3, -30.0), (23.5, -32.4), (1.0, -32.4), (-6.0, -4.0)),
    "T2": ((-6.0, -4.0), (1.0, -32.4), (-22.5, -32.4)),
    "T1": ((-6.0, -4.0), (-22.5, -32.4), (-23.5, -32.4), (-35.0, 3.1), (0.0, 1.5), (0.0, -3.0)),
    "S": _STRAY_GASSING,
}
DUVAL_PENTAGON_2_POLYGONS = {
    **_SHARED_ZONES,
    "T3-H": ((0.0, -3.0), (24.3, -30.0), (23.5, -32.4), (2.5, -32.4), (-3.5, -3.0)),
    "C": ((-3.5, -3.0), (2.5, -32.4), (-21.5, -32.4), (-11.0, -8.0)),
    "O": ((-3.5, -3.0), (-11.0, -8.0), (-21.5, -32.4), (-23.5, -32.4), (-35.0, 3.1), (0.0, 1.5), (0.0, -3.0)),
    "S": _STRAY_GASSING,
}
# One rule per zone, in polygon order: `<prefix>_rule` is the zone's index.
DUVAL_PENTAGON_1_RULES = tuple(fault_rule(zone) for zone in DUVAL_PENTAGON_1_POLYGONS)
DUVAL_PENTAGON_2_RULES = tuple(fault_rule(zone) for zone in DUVAL_PENTAGON_2_POLYGONS)
# Column prefix → (rules, polygons).
DUVAL_PENTAGONS = {
    "pentagon1": (DUVAL_PENTAGON_1_RULES, DUVAL_PENTAGON_1_POLYGONS),
    "pentagon2": (DUVAL_PENTAGON_2_RULES, DUVAL_PENTAGON_2_POLYGONS),
}


def _edges(polygon) -> np.ndarray:
    """(x_low, y_low, y_high, dx/dy) of each non-horizontal edge, from its lower end.

    Starting from the lower end makes an edge's numbers the same in both zones that share
    it, so both compute the same crossing and a point on it lands in exactly one of them.
    """
    rows = []
    for start, end in zip(polygon, polygon[1:] + polygon[:1]):
        (x_low, y_low), (x_high, y_high) = sorted((start, end), key=lambda point: (point[1], point[0]))
        if y_low < y_high:  # a horizontal edge never straddles a half-open y range
            rows.append((x_low, y_low, y_high, (x_high - x_low) / (y_high - y_low)))
    return np.array(rows)


_ZONE_EDGES = {prefix: [_edges(polygon) for polygon in polygons.values()]
               for prefix, (_, polygons) in DUVAL_PENTAGONS.items()}


def zone_membership(x: np.ndarray, y: np.ndarray, prefix: str) -> np.ndarray:
    """(n, zones) bool: which zones of pentagon `prefix` hold each point (half-open rule; NaN in none)."""
    px, py = np.asarray(x, float)[:, None], np.asarray(y, float)[:, None]
    columns = []
    for x_low, y_low, y_high, run in (edges.T for edges in _ZONE_EDGES[prefix]):
        crossings = (y_low <= py) & (py < y_high) & (px < x_low + (py - y_low) * run)
        columns.append(crossings.sum(axis=1) % 2 == 1)
    return np.stack(columns, axis=1)


def zone_index(x: np.ndarray, y: np.ndarray, prefix: str) -> np.ndarray:
    """Index of the zone (into that pentagon's rules) holding each point, -1 for none."""
    membership = zone_membership(x, y, prefix)
    return np.where(membership.any(axis=1), membership.argmax(axis=1), -1).astype(np.int8)


def pentagon_point(percent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) centroids from (5, n) relative percentages in DUVAL_PENTAGON_GASES order (see the module docstring)."""
    marks = percent[:, :, None] * _AXES[:, None, :]  # (5, n, 2)
    weights = percent * np.roll(percent, -1, axis=0)  # twice each triangle's area / sin 72°
    total_weight = weights.sum(axis=0)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        centroid = (weights[:, :, None] * (marks + np.roll(marks, -1, axis=0))).sum(axis=0) / (3.0 * total_weight)
        flat_limit = (percent[:, :, None] * marks).sum(axis=0) / (3.0 * percent.sum(axis=0)[:, None])
    point = np.where(total_weight > 0, centroid, flat_limit)
    return point[:, 0], point[:, 1]


def evaluate(col, ppm, valid) -> None:
    """Both pentagons' zones, and their shared relative percentages and centroid."""
    total = sum(ppm[gas] for gas in DUVAL_PENTAGON_GASES)
    has_gases = all_of(valid[gas] for gas in DUVAL_PENTAGON_GASES)
    applicable = {prefix: applicability(col, prefix, has_gases, [(total > 0, ALL_ZERO)]) for prefix in DUVAL_PENTAGONS}
    computable = has_gases & (total > 0)
    percent = np.stack([np.where(computable, 100.0 * ppm[gas] / total, np.nan) for gas in DUVAL_PENTAGON_GASES])
    for gas, values in zip(DUVAL_PENTAGON_GASES, percent):
        col[f"pentagon_pct_{gas}"] = values
    col["pentagon_x"], col["pentagon_y"] = pentagon_point(percent)
    for prefix in DUVAL_PENTAGONS:
        zones = zone_index(col["pentagon_x"], col["pentagon_y"], prefix)
        col[f"{prefix}_rule"] = np.where(applicable[prefix], zones, -1).astype(np.int8)


def as_dict(c, i, prefix) -> dict:
    """Pentagon `prefix`'s answer ("pentagon1" or "pentagon2")."""
    rules, _ = DUVAL_PENTAGONS[prefix]
    answer = rule_method(c, i, prefix, rules, DUVAL_PENTAGON_GASES)
    shown = plotted(c, i, prefix)
    answer["percent"] = ({gas: rounded(c[f"pentagon_pct_{gas}"][i], 2) for gas in DUVAL_PENTAGON_GASES}
                         if shown else None)
    answer["point"] = {"x": rounded(c["pentagon_x"][i], 3), "y": rounded(c["pentagon_y"][i], 3)} if shown else None
    return answer


SCHEMA = object_of({**RULE_METHOD_SCHEMA, "percent": nullable(numbers_of(DUVAL_PENTAGON_GASES)),
                    "point": nullable(DUVAL_POINT_SCHEMA)})
