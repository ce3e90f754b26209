"""Intervals of a ratio, percentage or concentration, the building blocks of every rule table."""

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np


class Band(NamedTuple):
    """An interval of a ratio or percentage; a None bound is open-ended, `*_closed` includes the bound."""

    low: float | None
    high: float | None
    low_closed: bool
    high_closed: bool

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Element-wise membership; NaN is never inside."""
        inside = ~np.isnan(values)
        if self.low is not None:
            inside &= (values >= self.low) if self.low_closed else (values > self.low)
        if self.high is not None:
            inside &= (values <= self.high) if self.high_closed else (values < self.high)
        return inside


def below(limit: float) -> Band:
    """x < limit."""
    return Band(None, limit, False, False)


def above(limit: float) -> Band:
    """x > limit."""
    return Band(limit, None, False, False)


def at_least(limit: float) -> Band:
    """x ≥ limit."""
    return Band(limit, None, True, False)


def between(low: float, high: float) -> Band:
    """low ≤ x ≤ high, a ratio-table range written "low – high"."""
    return Band(low, high, True, True)


def from_up_to(low: float, high: float) -> Band:
    """low ≤ x < high, a Duval zone edge."""
    return Band(low, high, True, False)


def strictly_between(low: float, high: float) -> Band:
    """low < x < high."""
    return Band(low, high, False, False)


def count_above(values: np.ndarray, limits: Sequence[Any]) -> np.ndarray:
    """How many of the ascending limits each value exceeds (NaN exceeds none)."""
    count = np.zeros(values.shape, np.int8)
    for limit in limits:
        count += values > limit
    return count
