"""Duval Triangle 1 (IEC 60599 Annex B): zones, polygons, the point of a sample and its answer.

Zone PD, T1, T2, T3, D1, D2 or DT from %CH4 = 100·CH4/(CH4 + C2H4 + C2H2), and the same for
C2H4 and C2H2. The triangle never answers "normal": the verdict gates it by the 2019 status.

Choice where the sources disagree: a point on a zone boundary belongs to the zone whose lower
bound it meets ("≥ lower, < upper"; TM, MCM and XD agree). The D2/DT corner is at 40 % C2H4.

## Geometry

An equilateral triangle with side 100: 100 % C2H2 at (0, 0), 100 % C2H4 at (100, 0) and
100 % CH4 at the top (50, 86.603). A point with relative percentages (%CH4, %C2H4, %C2H2)
lies at x = %C2H4 + %CH4 / 2, y = %CH4 · √3 / 2. `DUVAL_TRIANGLE_1_POLYGONS` gives each
zone as (x, y) vertices in the same coordinates (from the TM vertices), so a client can
draw the triangle. `DUVAL_TRIANGLE_1_VERTICES_PERCENT` gives the same zones as
(%CH4, %C2H4, %C2H2) triples.
"""

import math

import numpy as np

from shared.dga.bands import at_least, below, from_up_to
from shared.dga.output import nullable, numbers_of, object_of, rounded
from shared.dga.rules import ALL_ZERO, RULE_METHOD_SCHEMA, all_of, applicability, fault_rule, first_match, rule_method

DUVAL_GASES = ("ch4", "c2h4", "c2h2")
DUVAL_TRIANGLE_1_RULES = (
    fault_rule("PD", {"ch4": at_least(98)}),
    fault_rule("T1", {"ch4": below(98), "c2h4": below(20), "c2h2": below(4)}),
    fault_rule("T2", {"c2h4": from_up_to(20, 50), "c2h2": below(4)}),
    fault_rule("T3", {"c2h4": at_least(50), "c2h2": below(15)}),
    fault_rule("D1", {"c2h4": below(23), "c2h2": at_least(13)}),
    fault_rule("D2", {"c2h4": from_up_to(23, 40), "c2h2": at_least(13)},
               {"c2h4": at_least(40), "c2h2": at_least(29)}),
    fault_rule("DT", {}),  # every point the other zones leave
)
# Zone outlines as (%CH4, %C2H4, %C2H2), the TM vertices.
DUVAL_TRIANGLE_1_VERTICES_PERCENT = {
    "PD": ((100, 0, 0), (98, 0, 2), (98, 2, 0)),
    "T1": ((96, 0, 4), (76, 20, 4), (80, 20, 0), (98, 2, 0), (98, 0, 2)),
    "T2": ((80, 20, 0), (76, 20, 4), (46, 50, 4), (50, 50, 0)),
    "T3": ((50, 50, 0), (35, 50, 15), (0, 85, 15), (0, 100, 0)),
    "DT": ((87, 0, 13), (47, 40, 13), (31, 40, 29), (0, 71, 29), (0, 85, 15), (35, 50, 15),
           (46, 50, 4), (96, 0, 4)),
    "D1": ((0, 0, 100), (0, 23, 77), (64, 23, 13), (87, 0, 13)),
    "D2": ((64, 23, 13), (0, 23, 77), (0, 71, 29), (31, 40, 29), (47, 40, 13)),
}
_HALF_SQRT3 = math.sqrt(3.0) / 2.0


def duval_point(pct_ch4: float, pct_c2h4: float) -> tuple[float, float]:
    """Cartesian (x, y) of a Duval Triangle 1 point; %C2H2 adds nothing because its apex is the origin."""
    return pct_c2h4 + 0.5 * pct_ch4, _HALF_SQRT3 * pct_ch4


DUVAL_TRIANGLE_1_POLYGONS = {
    zone: tuple(duval_point(ch4, c2h4) for ch4, c2h4, _ in vertices)
    for zone, vertices in DUVAL_TRIANGLE_1_VERTICES_PERCENT.items()
}


def evaluate(col, ppm, valid, n) -> None:
    """Duval Triangle 1 zone, relative percentages and Cartesian point."""
    total = ppm["ch4"] + ppm["c2h4"] + ppm["c2h2"]
    applicable = applicability(col, "duval", all_of(valid[gas] for gas in DUVAL_GASES), [(total > 0, ALL_ZERO)])
    percent = {gas: np.where(applicable, 100.0 * ppm[gas] / total, np.nan) for gas in DUVAL_GASES}
    for gas in DUVAL_GASES:
        col[f"duval_pct_{gas}"] = percent[gas]
    col["duval_x"] = percent["c2h4"] + 0.5 * percent["ch4"]
    col["duval_y"] = _HALF_SQRT3 * percent["ch4"]
    col["duval_rule"] = np.where(applicable, first_match(DUVAL_TRIANGLE_1_RULES, percent, n), -1).astype(np.int8)


def as_dict(c, i) -> dict:
    """Duval Triangle 1 answer."""
    answer = rule_method(c, i, "duval", DUVAL_TRIANGLE_1_RULES, DUVAL_GASES)
    applicable = answer["applicable"]
    answer["percent"] = {gas: rounded(c[f"duval_pct_{gas}"][i], 2) for gas in DUVAL_GASES} if applicable else None
    answer["point"] = {"x": rounded(c["duval_x"][i], 3), "y": rounded(c["duval_y"][i], 3)} if applicable else None
    return answer


DUVAL_POINT_SCHEMA = numbers_of(("x", "y"))
SCHEMA = object_of({**RULE_METHOD_SCHEMA, "percent": nullable(numbers_of(DUVAL_GASES)),
                    "point": nullable(DUVAL_POINT_SCHEMA)})
