"""Random draws the mechanisms make often on small arrays, without numpy's argument checks.

``Generator.choice(n, size=k, p=p)`` checks ``p`` (signs, a compensated sum) on every call, which
costs more than the draw itself when ``k`` is small, as it is for the regions of a month's few
entrant firms or in-migrant households. :func:`categorical` makes the same draws, from the
same stream, without the checks; ``tests/model/test_draws.py`` checks that the two agree draw for
draw and leave the stream in the same state.
"""

from __future__ import annotations

import numpy as np


def categorical(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """``size`` category indices drawn with probabilities ``p`` (non-negative, summing to 1):
    ``rng.choice(len(p), size=size, p=p)``, draw for draw (one uniform per draw, looked up in
    the cumulative shares)."""
    cdf = np.cumsum(p, dtype=np.float64)
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right")
