"""Duval triangles: Triangle 1 (IEC 60599 Annex B), Triangles 4 and 5 (mineral oil, low-temperature
faults) and Triangle 3 (non-mineral liquids, not implemented): zones, polygons, points, answers.

Each triangle takes the relative percentages of its three gases (100·gas / sum of the three),
finds the zone whose rule holds (`first_match` over `<prefix>_rule`) and places the point in a
Cartesian plane for plotting. The triangles never answer "normal": the verdict gates them by
the 2019 status.

## Sources (key → repository @ commit : path; the keys of /work/shared/dga/STANDARDS.md)

- TM: `ToniMellin/dga-diagtool` @ 10bc042239eb1387aa5e4b98abf809d5bb5c76a7 :
  `diagnostic/duval_triangle_1.py`, `duval_triangle_4.py`, `duval_triangle_5.py`,
  `duval_triangle_3_soybean.py`, `duval_triangle_3_sunflower.py`, `duval_triangle_3_synthetic.py`.
- MCM: `insatiablycivil/C57104wMCM` @ 651b428b4ea1a291c1fa63e0f100378210354b2d :
  `R/diagnosis_logic_DTn.R` (transcribes IEEE C57.104-2019 Table 6, Table D.3 and Table D.4 as
  "lower limit / upper limit" columns) and `R/diagnosis.R` (which triangle follows which zone).
- XD: `engineers-tools/xDGA` @ 35a5599dcc912f88270aa4a7e617d61ddf752de4 :
  `xDGA.CORE/Algorithms/DuvalTriangles/DuvalTriangleOneRule.cs`, `DuvalTriangleFourRule.cs`,
  `DuvalTriangleFiveRule.cs`.
- TK: a Python desktop app citing IEEE C57.104-2019 (find_string id `69284417025`; the index did
  not name its repository): functions `duval_triangle_4`, `duval_triangle_5`.

## Edge convention: "≥ lower, < upper" on every triangle

A point exactly on a zone limit belongs to the zone whose *lower* bound it meets; e.g. Triangle 1
80/20/0 (%CH4/%C2H4/%C2H2) is T2, 76/20/4 is DT, 64/23/13 is D2, 35/50/15 is DT, 40/40/20 is DT.
The public sources do not agree (an earlier version of this docstring said they did; it was
wrong): MCM and TK, which both transcribe the IEEE C57.104-2019 tables (Table 6 for Triangle 1,
D.3 and D.4 for Triangles 4 and 5), use "≥ lower, < upper" throughout; XD uses it for Triangles
4 and 5 but puts the upper edge in the lower zone ("≤") in Triangle 1; TM uses "≤" on upper
edges in Triangle 1 and mixes both in Triangles 4 and 5. IEC 60599 Annex B and Duval's papers,
as far as public descriptions show, give only the limit values (e.g. "T1: 4 % C2H2, 20 % C2H4"),
not which side an edge belongs to. The choice follows the IEEE tables as two independent
transcriptions give them, and is the same on all triangles. ⚠ To be checked against the printed
IEEE C57.104-2019 Table 6 / D.3 / D.4.

## Triangle 1 (CH4, C2H4, C2H2): zones PD, T1, T2, T3, D1, D2, DT

Limits as in STANDARDS.md §1 (TM, MCM and XD agree on every value). The D2/DT corner is at 40 %
C2H4 (all three sources).

## Triangle 4 (H2, CH4, C2H6): zones PD, S, C, O, ND — only after Triangle 1 PD, T1 or T2

| zone | condition (%) | sources |
|---|---|---|
| PD | 2 ≤ CH4 < 15 and C2H6 < 1 | TM, MCM, XD, TK |
| S | (H2 ≥ 9, 30 ≤ C2H6 < 46) or (H2 ≥ 15, 24 ≤ C2H6 < 30) or (CH4 < 36, 1 ≤ C2H6 < 24) or (15 ≤ CH4 < 36, C2H6 < 1) or (CH4 < 2, C2H6 < 1) | TM, MCM, XD, TK |
| C | (CH4 ≥ 36, C2H6 < 24) or (H2 < 15, 24 ≤ C2H6 < 30) | TM, MCM, XD; see below |
| O | H2 < 9 and C2H6 ≥ 30 | TM, MCM, XD, TK |
| ND | H2 ≥ 9 and C2H6 ≥ 46 ("not determined") | TM, MCM, XD, TK |

Disagreement: TK writes C as "CH4 ≥ 36 and C2H6 ≥ 24", which MCM says is how IEEE Table D.3
prints it and calls an error (it would leave CH4 ≥ 36, C2H6 < 24 in no zone and overlap O/S).
TM's polygon and XD put that area in C; so do we.

## Triangle 5 (CH4, C2H4, C2H6): zones PD, O, S, T2, T3, C, ND — only after Triangle 1 T2 or T3

| zone | condition (%) | sources |
|---|---|---|
| PD | C2H4 < 1 and 2 ≤ C2H6 < 14 | MCM, TK (14); TM, XD use 15 |
| O | (1 ≤ C2H4 < 10, C2H6 < 14) or (C2H4 < 1, C2H6 < 2) or (C2H4 < 10, C2H6 ≥ 54) | see below |
| S | C2H4 < 10 and 14 ≤ C2H6 < 54 | MCM, TK (14); TM, XD use 15 |
| T2 | 10 ≤ C2H4 < 35 and C2H6 < 12 | TM, MCM, XD, TK |
| T3 | (C2H4 ≥ 35, C2H6 < 12) or (C2H4 ≥ 50, 12 ≤ C2H6 < 14) or (C2H4 ≥ 70, C2H6 ≥ 14) or (C2H4 ≥ 35, C2H6 ≥ 30) | TM, MCM, TK (50); XD uses 49 |
| C | (10 ≤ C2H4 < 50, 12 ≤ C2H6 < 14) or (10 ≤ C2H4 < 70, 14 ≤ C2H6 < 30) | TM, MCM, TK (50); XD uses 49 |
| ND | 10 ≤ C2H4 < 35 and C2H6 ≥ 30 | TM, MCM, XD, TK |

Disagreements and choices:
- The PD/O/S limit on C2H6 is 14 in MCM and TK (both transcribing IEEE Table D.4) and 15 in TM
  and XD. We take 14, the standard's table as two transcriptions give it. ⚠ Check the print.
- The C/T3 limit on C2H4 (for 12 ≤ C2H6 < 14) is 50 in TM, MCM and TK, 49 in XD: we take 50.
- O near the CH4 apex: MCM, TK and TM's rule write it as "1 ≤ C2H4 < 10 and 2 ≤ C2H6 < 14(15)",
  which leaves 1 ≤ C2H4 < 10, C2H6 < 2 in no zone; TM's own polygon and XD put that sliver in
  O, and so do we.
- TM labels the two thermal zones "T2-H" and "T3-H"; MCM, XD and TK call them T2 and T3, as
  we do (fault types T2 and T3).

## Which triangle applies

Triangle 4 only when Triangle 1 is in PD, T1 or T2; Triangle 5 only when it is in T2 or T3
(XD `IsApplicable`, MCM `R/diagnosis.R` "DT1 = T3 → DT5, T2 → DT4 & DT5, T1 | PD → DT4", TK).
Otherwise `<prefix>_reason` is `TRIANGLE_1_ELSEWHERE` with a sentence naming Triangle 1's zone.
Both are published for mineral oil; the gate "not applicable to <liquid>" is applied centrally.

## Triangle 3 (non-mineral liquids): not implemented

Duval's Triangle 3 variants move Triangle 1's limits per liquid. The only public source found
with their vertices is TM (soybean, sunflower and synthetic-ester variants; none for silicone).
No second independent source could be found, and `natural_ester` would have to choose between
TM's soybean and sunflower variants, which differ (T1/T2 at 43 vs 52 % C2H4). So `duval3` is
never applicable: for mineral oil the reason points to Triangle 1 (`MINERAL_OIL`); for the other
liquids it says no variant is confirmed by two independent public sources (`UNCONFIRMED`).

## Geometry

Every triangle is an equilateral triangle of side 100 with its first gas at the top (50, 86.603),
its second at the bottom right (100, 0) and its third at the bottom left (0, 0). A point with
percentages (top, right, left) lies at x = right + top / 2, y = top · √3 / 2. Corners:
Triangle 1 CH4 top, C2H4 right, C2H2 left; Triangle 4 H2 top, CH4 right, C2H6 left; Triangle 5
CH4 top, C2H4 right, C2H6 left (as Duval draws them, and TM and TK plot them).
`DUVAL_TRIANGLE_<n>_VERTICES_PERCENT` gives each zone's outline as (top, right, left) percent
triples, worked out from the limits above; `DUVAL_TRIANGLE_<n>_POLYGONS` the same as (x, y).
Triangle 1 maps a zone to one polygon; Triangles 4 and 5 map a zone to a tuple of polygons,
because Triangle 5's O and T3 are each two separate areas.
"""

import math
from typing import NamedTuple

import numpy as np

from shared.dga.bands import at_least, below, from_up_to
from shared.dga.gases import INSULATING_LIQUIDS, MINERAL
from shared.dga.output import nullable, numbers_of, object_of, rounded
from shared.dga.rules import (ALL_ZERO, FIRST_OWN_REASON, RULE_METHOD_SCHEMA, SAYS_MORE, Rule, all_of, applicability,
                              fault_rule, first_match, plotted, rule_method)

# Triangle 4 and 5: Triangle 1 is in a zone the triangle does not refine, or not applicable.
TRIANGLE_1_ELSEWHERE = FIRST_OWN_REASON
# Triangle 3: mineral oil has Triangle 1; no other liquid's variant is confirmed.
MINERAL_OIL, UNCONFIRMED = FIRST_OWN_REASON, FIRST_OWN_REASON + 1

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


def _not_determined(triangle: str, when) -> Rule:
    """The ND zone of Triangle 4 or 5: the triangle names no fault there."""
    return Rule("ND", None, f"not determined (zone ND of Duval Triangle {triangle})", (when,))


DUVAL_TRIANGLE_4_GASES = ("h2", "ch4", "c2h6")
DUVAL_TRIANGLE_4_RULES = (
    fault_rule("PD", {"ch4": from_up_to(2, 15), "c2h6": below(1)}),
    fault_rule("S", {"h2": at_least(9), "c2h6": from_up_to(30, 46)},
               {"h2": at_least(15), "c2h6": from_up_to(24, 30)},
               {"ch4": below(36), "c2h6": from_up_to(1, 24)},
               {"ch4": from_up_to(15, 36), "c2h6": below(1)},
               {"ch4": below(2), "c2h6": below(1)}),
    fault_rule("C", {"ch4": at_least(36), "c2h6": below(24)},
               {"h2": below(15), "c2h6": from_up_to(24, 30)}),
    fault_rule("O", {"h2": below(9), "c2h6": at_least(30)}),
    _not_determined("4", {"h2": at_least(9), "c2h6": at_least(46)}),
)
# Zone outlines as (%H2, %CH4, %C2H6), corners of the limits above.
DUVAL_TRIANGLE_4_VERTICES_PERCENT = {
    "PD": (((98, 2, 0), (85, 15, 0), (84, 15, 1), (97, 2, 1)),),
    "S": (((100, 0, 0), (98, 2, 0), (97, 2, 1), (84, 15, 1), (85, 15, 0), (64, 36, 0), (40, 36, 24),
           (15, 61, 24), (15, 55, 30), (9, 61, 30), (9, 45, 46), (54, 0, 46)),),
    "C": (((0, 100, 0), (0, 70, 30), (15, 55, 30), (15, 61, 24), (40, 36, 24), (64, 36, 0)),),
    "O": (((0, 70, 30), (0, 0, 100), (9, 0, 91), (9, 61, 30)),),
    "ND": (((54, 0, 46), (9, 45, 46), (9, 0, 91)),),
}

DUVAL_TRIANGLE_5_GASES = ("ch4", "c2h4", "c2h6")
DUVAL_TRIANGLE_5_RULES = (
    fault_rule("PD", {"c2h4": below(1), "c2h6": from_up_to(2, 14)}),
    fault_rule("O", {"c2h4": from_up_to(1, 10), "c2h6": below(14)},
               {"c2h4": below(1), "c2h6": below(2)},
               {"c2h4": below(10), "c2h6": at_least(54)}),
    fault_rule("S", {"c2h4": below(10), "c2h6": from_up_to(14, 54)}),
    fault_rule("T2", {"c2h4": from_up_to(10, 35), "c2h6": below(12)}),
    fault_rule("T3", {"c2h4": at_least(35), "c2h6": below(12)},
               {"c2h4": at_least(50), "c2h6": from_up_to(12, 14)},
               {"c2h4": at_least(70), "c2h6": at_least(14)},
               {"c2h4": at_least(35), "c2h6": at_least(30)}),
    fault_rule("C", {"c2h4": from_up_to(10, 50), "c2h6": from_up_to(12, 14)},
               {"c2h4": from_up_to(10, 70), "c2h6": from_up_to(14, 30)}),
    _not_determined("5", {"c2h4": from_up_to(10, 35), "c2h6": at_least(30)}),
)
# Zone outlines as (%CH4, %C2H4, %C2H6), corners of the limits above.
DUVAL_TRIANGLE_5_VERTICES_PERCENT = {
    "PD": (((98, 0, 2), (97, 1, 2), (85, 1, 14), (86, 0, 14)),),
    "O": (((100, 0, 0), (90, 10, 0), (76, 10, 14), (85, 1, 14), (97, 1, 2), (98, 0, 2)),
          ((46, 0, 54), (36, 10, 54), (0, 10, 90), (0, 0, 100))),
    "S": (((86, 0, 14), (76, 10, 14), (36, 10, 54), (46, 0, 54)),),
    "T2": (((90, 10, 0), (65, 35, 0), (53, 35, 12), (78, 10, 12)),),
    "T3": (((65, 35, 0), (0, 100, 0), (0, 70, 30), (16, 70, 14), (36, 50, 14), (38, 50, 12), (53, 35, 12)),
           ((35, 35, 30), (0, 70, 30), (0, 35, 65))),
    "C": (((78, 10, 12), (38, 50, 12), (36, 50, 14), (16, 70, 14), (0, 70, 30), (60, 10, 30)),),
    "ND": (((60, 10, 30), (35, 35, 30), (0, 35, 65), (0, 10, 90)),),
}

_HALF_SQRT3 = math.sqrt(3.0) / 2.0


def duval_point(pct_top: float, pct_right: float) -> tuple[float, float]:
    """Cartesian (x, y) of a triangle point; the bottom-left gas adds nothing because its corner is the origin."""
    return pct_right + 0.5 * pct_top, _HALF_SQRT3 * pct_top


DUVAL_TRIANGLE_1_POLYGONS = {
    zone: tuple(duval_point(top, right) for top, right, _ in vertices)
    for zone, vertices in DUVAL_TRIANGLE_1_VERTICES_PERCENT.items()
}
DUVAL_TRIANGLE_4_POLYGONS, DUVAL_TRIANGLE_5_POLYGONS = (
    {zone: tuple(tuple(duval_point(top, right) for top, right, _ in area) for area in areas)
     for zone, areas in vertices_percent.items()}
    for vertices_percent in (DUVAL_TRIANGLE_4_VERTICES_PERCENT, DUVAL_TRIANGLE_5_VERTICES_PERCENT)
)


class Triangle(NamedTuple):
    """One Duval triangle: its column prefix, gases (top, right, left corner) and zone rules."""

    prefix: str
    gases: tuple[str, str, str]
    rules: tuple[Rule, ...]


TRIANGLE_1 = Triangle("duval", DUVAL_GASES, DUVAL_TRIANGLE_1_RULES)
TRIANGLE_3 = Triangle("duval3", DUVAL_GASES, ())
TRIANGLE_4 = Triangle("duval4", DUVAL_TRIANGLE_4_GASES, DUVAL_TRIANGLE_4_RULES)
TRIANGLE_5 = Triangle("duval5", DUVAL_TRIANGLE_5_GASES, DUVAL_TRIANGLE_5_RULES)
# The Triangle 1 zones each refining triangle applies to.
REFINES = {"duval4": ("PD", "T1", "T2"), "duval5": ("T2", "T3")}


def _place(col, triangle: Triangle, ppm, applicable, n) -> None:
    """Store the percentages, Cartesian point and zone rule of every applicable sample (NaN / -1 elsewhere)."""
    top, right, _ = triangle.gases
    total = sum(ppm[gas] for gas in triangle.gases)
    percent = {gas: np.where(applicable, 100.0 * ppm[gas] / total, np.nan) for gas in triangle.gases}
    for gas in triangle.gases:
        col[f"{triangle.prefix}_pct_{gas}"] = percent[gas]
    col[f"{triangle.prefix}_x"] = percent[right] + 0.5 * percent[top]
    col[f"{triangle.prefix}_y"] = _HALF_SQRT3 * percent[top]
    matched = first_match(triangle.rules, percent, n) if triangle.rules else np.full(n, -1)
    col[f"{triangle.prefix}_rule"] = np.where(applicable, matched, -1).astype(np.int8)


def _evaluate_triangle(col, triangle: Triangle, ppm, valid, n, other_checks=()) -> None:
    """Applicability (gases valid, not all zero, then `other_checks`) and placement of one triangle."""
    total = sum(ppm[gas] for gas in triangle.gases)
    has_gases = all_of(valid[gas] for gas in triangle.gases)
    applicable = applicability(col, triangle.prefix, has_gases, [(total > 0, ALL_ZERO), *other_checks])
    _place(col, triangle, ppm, applicable, n)


def _triangle_1_in(col, zones) -> np.ndarray:
    """Whether each sample's Triangle 1 zone is one of `zones`."""
    codes = [index for index, rule in enumerate(DUVAL_TRIANGLE_1_RULES) if rule.result in zones]
    return np.isin(col["duval_rule"], codes)


def evaluate(col, ppm, valid, n) -> None:
    """Triangle 1, then Triangles 4 and 5 where its zone calls for them, then Triangle 3."""
    _evaluate_triangle(col, TRIANGLE_1, ppm, valid, n)
    for triangle in (TRIANGLE_4, TRIANGLE_5):
        elsewhere = (_triangle_1_in(col, REFINES[triangle.prefix]), TRIANGLE_1_ELSEWHERE)
        _evaluate_triangle(col, triangle, ppm, valid, n, [elsewhere])
    col["duval3_reason"] = np.where(col["liquid"] == MINERAL, MINERAL_OIL, UNCONFIRMED).astype(np.int8)
    col["duval3_applicable"] = np.zeros(n, bool)
    _place(col, TRIANGLE_3, ppm, col["duval3_applicable"], n)


def follow_triangle_1(col) -> None:
    """Triangles 4 and 5 "not applicable: Triangle 1 is …" again where a later gate changed Triangle 1's answer.

    `evaluate` applies them after Triangle 1's zone; the gates that run after every method (trace
    levels, the insulating liquid) can still make Triangle 1 not applicable, and a refinement of
    a zone that is no longer named would refine nothing. Where Triangle 1 names none of their
    zones, that is the reason shown, before their own trace-level one (but after their own gases
    missing or zero, and the liquid).
    """
    for triangle in (TRIANGLE_4, TRIANGLE_5):
        prefix = triangle.prefix
        reason = col[f"{prefix}_reason"]
        left = ~_triangle_1_in(col, REFINES[prefix]) & ~np.isin(reason, SAYS_MORE)
        col[f"{prefix}_reason"] = np.where(left, TRIANGLE_1_ELSEWHERE, col[f"{prefix}_reason"]).astype(np.int8)
        col[f"{prefix}_applicable"] = col[f"{prefix}_applicable"] & ~left
        col[f"{prefix}_rule"] = np.where(left, -1, col[f"{prefix}_rule"]).astype(np.int8)


def _own_reason(c, i, triangle: Triangle) -> str | None:
    """The sentence behind a triangle's own `<prefix>_reason` code."""
    code = c[f"{triangle.prefix}_reason"][i]
    if triangle.prefix in REFINES and code == TRIANGLE_1_ELSEWHERE:
        rule = c["duval_rule"][i]
        where = f"is in {DUVAL_TRIANGLE_1_RULES[rule].result}" if rule >= 0 else "is not applicable"
        return f"applies only when Triangle 1 is in {_listed(REFINES[triangle.prefix])}; Triangle 1 {where}"
    if triangle is TRIANGLE_3 and code == MINERAL_OIL:
        return "applies to non-mineral liquids; for mineral oil see Triangle 1"
    if triangle is TRIANGLE_3 and code == UNCONFIRMED:
        return (f"no Duval Triangle 3 variant for {INSULATING_LIQUIDS[c['liquid'][i]].replace('_', ' ')} "
                "is confirmed by two independent public sources")
    return None


def _listed(zones) -> str:
    """Zones for a sentence: "PD, T1 or T2"."""
    return " or ".join([", ".join(zones[:-1]), zones[-1]]) if len(zones) > 1 else zones[0]


def as_dict(c, i, triangle: Triangle = TRIANGLE_1) -> dict:
    """One triangle's answer (Triangle 1 unless another is given)."""
    answer = rule_method(c, i, triangle.prefix, triangle.rules, triangle.gases)
    answer["reason"] = answer["reason"] or _own_reason(c, i, triangle)
    prefix = triangle.prefix
    shown = plotted(c, i, prefix)
    percent = {gas: rounded(c[f"{prefix}_pct_{gas}"][i], 2) for gas in triangle.gases}
    answer["percent"] = percent if shown else None
    point = {"x": rounded(c[f"{prefix}_x"][i], 3), "y": rounded(c[f"{prefix}_y"][i], 3)}
    answer["point"] = point if shown else None
    return answer


DUVAL_POINT_SCHEMA = numbers_of(("x", "y"))


def schema_of(triangle: Triangle) -> dict:
    """JSON Schema of one triangle's answer."""
    return object_of({**RULE_METHOD_SCHEMA, "percent": nullable(numbers_of(triangle.gases)),
                      "point": nullable(DUVAL_POINT_SCHEMA)})


SCHEMA = schema_of(TRIANGLE_1)
TRIANGLE_3_SCHEMA = schema_of(TRIANGLE_3)
TRIANGLE_4_SCHEMA = schema_of(TRIANGLE_4)
TRIANGLE_5_SCHEMA = schema_of(TRIANGLE_5)
