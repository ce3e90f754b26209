"""The zone outlines of the graphical methods, for drawing: what `GET /api/v1/dashboard/zones.json` serves.

Each method's outline is in the coordinates of its `point` in a verdict ({x, y}, y up):
triangles in percent units with the top gas's corner at (50, 86.6), the right gas's at
(100, 0) and the left gas's at the origin (`duval_triangles.duval_point`); pentagons centred
on the origin with the first gas's axis straight up. Every zone is a list of areas (Triangle
5's O and T3 are two each), so a drawing needs no special case. The outlines are the modules'
own constants, which their tests check against the zone rules the engine decides by.
"""

from shared.dga.duval_pentagons import (DUVAL_PENTAGON_1_POLYGONS, DUVAL_PENTAGON_2_POLYGONS,
                                        DUVAL_PENTAGON_AXIS_VERTICES, DUVAL_PENTAGON_GASES)
from shared.dga.duval_triangles import (DUVAL_TRIANGLE_1_POLYGONS, DUVAL_TRIANGLE_4_POLYGONS,
                                        DUVAL_TRIANGLE_5_POLYGONS, TRIANGLE_1, TRIANGLE_4, TRIANGLE_5, duval_point)
from shared.dga.output import rounded

_DIGITS = 3  # a thousandth of a percent: finer than any screen draws


def _vertex(x, y):
    """A vertex as [x, y], rounded for the wire."""
    return [rounded(x, _DIGITS), rounded(y, _DIGITS)]


def _triangle(gases, areas_by_zone):
    """A triangle's gases, corners and zones (each a list of areas)."""
    top, right, left = gases
    corners = {top: duval_point(100.0, 0.0), right: duval_point(0.0, 100.0), left: duval_point(0.0, 0.0)}
    return {
        "gases": list(gases),
        "corners": {gas: _vertex(*corner) for gas, corner in corners.items()},
        "zones": {zone: [[_vertex(*vertex) for vertex in area] for area in areas]
                  for zone, areas in areas_by_zone.items()},
    }


def _pentagon(polygons):
    """A pentagon's gases, axis ends and zones (one area each)."""
    return {
        "gases": list(DUVAL_PENTAGON_GASES),
        "corners": {gas: _vertex(*vertex) for gas, vertex in DUVAL_PENTAGON_AXIS_VERTICES.items()},
        "zones": {zone: [[_vertex(*vertex) for vertex in polygon]] for zone, polygon in polygons.items()},
    }


def outlines():
    """Every graphical method's outline, by the method's key in a verdict."""
    return {
        "duval_triangle_1": _triangle(TRIANGLE_1.gases, {zone: (polygon,) for zone, polygon in
                                                         DUVAL_TRIANGLE_1_POLYGONS.items()}),
        "duval_triangle_4": _triangle(TRIANGLE_4.gases, DUVAL_TRIANGLE_4_POLYGONS),
        "duval_triangle_5": _triangle(TRIANGLE_5.gases, DUVAL_TRIANGLE_5_POLYGONS),
        "duval_pentagon_1": _pentagon(DUVAL_PENTAGON_1_POLYGONS),
        "duval_pentagon_2": _pentagon(DUVAL_PENTAGON_2_POLYGONS),
    }
