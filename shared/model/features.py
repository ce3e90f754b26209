"""The model's features: one function for training (`tools/train_model.py`) and serving (`serving`).

`features(ppm)` takes the five gases of `card.MODEL_GASES` as float arrays (ppm, ≥ 0, finite:
callers pass only samples the model applies to) and returns an (n, len(FEATURES)) float32
matrix, columns in `card.FEATURES` order, with their definitions there. Logarithms of ppm + 1
keep traces near 0 and tame the compilations' range (0.0001 to 10⁵ ppm); the +1 in the ratios
keeps a zero gas finite. The Duval coordinates come from the engine's own geometry
(`duval_triangles.duval_point`, `duval_pentagons.pentagon_point`), so the model sees the same
points the published methods plot.
"""

from collections.abc import Mapping

import numpy as np

from shared.dga.duval_pentagons import DUVAL_PENTAGON_GASES, pentagon_point
from shared.dga.duval_triangles import DUVAL_GASES, duval_point
from shared.model.card import FEATURE_NAMES


def _log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """log10((numerator + 1) / (denominator + 1))."""
    return np.log10(numerator + 1.0) - np.log10(denominator + 1.0)


def _shares(ppm: Mapping[str, np.ndarray], gases) -> np.ndarray:
    """(len(gases), n) percentages of each gas in their sum; 0 where the sum is 0."""
    stacked = np.stack([np.asarray(ppm[gas], float) for gas in gases])
    total = stacked.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * stacked / total, 0.0)


def features(ppm: Mapping[str, np.ndarray]) -> np.ndarray:
    """(n, features) float32 matrix of the samples' features, in `card.FEATURE_NAMES` order."""
    h2, ch4, c2h6, c2h4, c2h2 = (np.asarray(ppm[gas], float) for gas in ("h2", "ch4", "c2h6", "c2h4", "c2h2"))
    triangle = _shares(ppm, DUVAL_GASES)  # CH4, C2H4, C2H2
    triangle_x, triangle_y = duval_point(triangle[0], triangle[1])
    pentagon = _shares(ppm, DUVAL_PENTAGON_GASES)
    pentagon_x, pentagon_y = pentagon_point(pentagon)
    present = pentagon.sum(axis=0) > 0
    columns = {
        "log_h2": np.log10(h2 + 1.0), "log_ch4": np.log10(ch4 + 1.0), "log_c2h6": np.log10(c2h6 + 1.0),
        "log_c2h4": np.log10(c2h4 + 1.0), "log_c2h2": np.log10(c2h2 + 1.0),
        "log_ratio_c2h2_c2h4": _log_ratio(c2h2, c2h4), "log_ratio_ch4_h2": _log_ratio(ch4, h2),
        "log_ratio_c2h4_c2h6": _log_ratio(c2h4, c2h6),
        "triangle1_pct_ch4": triangle[0], "triangle1_pct_c2h4": triangle[1], "triangle1_pct_c2h2": triangle[2],
        "triangle1_x": np.where(triangle.sum(axis=0) > 0, triangle_x, 0.0),
        "triangle1_y": np.where(triangle.sum(axis=0) > 0, triangle_y, 0.0),
        "pentagon_x": np.where(present, pentagon_x, 0.0), "pentagon_y": np.where(present, pentagon_y, 0.0),
    }
    return np.stack([columns[name] for name in FEATURE_NAMES], axis=1).astype(np.float32)
