"""Time-varying scenario parameters (``year -> value`` mappings)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def series_at(series: Mapping[int, float], year: float) -> float:
    """Value of a series in a (possibly fractional) year.

    Linear interpolation between the years given, constant before the first
    and after the last.

    Args:
        series: mapping of year to value, at least one entry.
        year: the year to evaluate.

    Returns:
        The interpolated value.
    """
    if len(series) == 1:
        return float(next(iter(series.values())))
    years = np.fromiter(sorted(series), dtype=float)
    values = np.array([series[int(y)] for y in years], dtype=float)
    return float(np.interp(year, years, values))


class SeriesCache:
    """Evaluates series once per year: scenario series change at annual resolution.

    The model reads dozens of series each month; caching their yearly values
    keeps that out of the hot path.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], float] = {}

    def __call__(self, series: Mapping[int, float], year: int) -> float:
        key = (id(series), year)
        v = self._cache.get(key)
        if v is None:
            v = series_at(series, year)
            self._cache[key] = v
        return v
