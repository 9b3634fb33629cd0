"""Random draws the mechanisms make often, without numpy's argument checks or one draw per person.

``Generator.choice(n, size=k, p=p)`` checks ``p`` (signs, a compensated sum) on every call, which
costs more than the draw itself when ``k`` is small, as it is for the regions of a month's few
entrant firms or in-migrant households. :func:`categorical` makes the same draws, from the
same stream, without the checks; ``tests/model/test_draws.py`` checks that the two agree draw for
draw and leave the stream in the same state.

Rare events among many persons (a quit, a layoff, a death, a birth, leaving the city) were drawn with one
uniform per person per month, millions a month at full scale. :func:`bernoulli_positions` draws
the same independent trials as the gaps between successes (geometric skips), and
:func:`thinned_positions` the trials of unequal probabilities below a bound (candidates at the
bound, each kept with its probability over the bound): the same distribution, with draws in
proportion to the events rather than to the persons. Which person gets which draw changes, so
these are guarded by statistical tests (``tests/model/test_count_draws.py``: the exact
distribution of the draws, and the model's indicators over seeds against the per-person draws).
"""

from __future__ import annotations

import numpy as np

LEGACY_DRAWS: frozenset[str] = frozenset()
"""Mechanisms that draw one uniform per person, as before the count draws: any of
:data:`COUNT_DRAWN`. Empty in every run; the agreement tests set it (``monkeypatch``) to run the
code before a change of draws against the code after it."""

COUNT_DRAWN = ("quits", "layoffs", "deaths", "households_leaving", "persons_leaving", "births")
"""The mechanisms whose rare events are drawn by :func:`bernoulli_positions` or
:func:`thinned_positions` (names for :data:`LEGACY_DRAWS`)."""

DENSE_PROBABILITY = 0.25
"""From this probability on, one uniform per trial is cheaper than geometric gaps (most trials
succeed): :func:`bernoulli_positions` draws those instead (the same distribution)."""


def legacy(mechanism: str) -> bool:
    """Whether ``mechanism`` draws one uniform per person (:data:`LEGACY_DRAWS`, tests only)."""
    return mechanism in LEGACY_DRAWS


def categorical(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """``size`` category indices drawn with probabilities ``p`` (non-negative, summing to 1):
    ``rng.choice(len(p), size=size, p=p)``, draw for draw (one uniform per draw, looked up in
    the cumulative shares)."""
    cdf = np.cumsum(p, dtype=np.float64)
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right")


def bernoulli_positions(rng: np.random.Generator, n: int, p: float, *, round_size: int | None = None) -> np.ndarray:
    """The successes of ``n`` independent trials of probability ``p``, as sorted positions in
    ``range(n)`` (int64): the distribution of ``np.flatnonzero(rng.random(n) < p)``, drawn as the
    geometric gaps between successes (about ``n * p`` draws instead of ``n``). The gaps are drawn
    in rounds of the expected number plus four standard deviations (``round_size``: a fixed
    number, for the tests), again until past the end."""
    if n <= 0 or p <= 0.0:
        return np.zeros(0, np.int64)
    if p >= DENSE_PROBABILITY:
        return np.flatnonzero(rng.random(n) < p).astype(np.int64, copy=False)
    parts = []
    start = 0  # the first trial not yet drawn
    while start < n:
        expected = (n - start) * p
        size = int(expected + 4.0 * np.sqrt(expected) + 8.0) if round_size is None else round_size  # usually one round
        gaps = rng.geometric(p, size)  # trials up to and including the next success
        np.minimum(gaps, n + 1, out=gaps)  # a gap past the end is past the end (no overflow in the sum)
        pos = np.cumsum(gaps)
        pos += start - 1
        if pos[-1] >= n:
            parts.append(pos[: np.searchsorted(pos, n)])
            break
        parts.append(pos)
        start = int(pos[-1]) + 1
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def thinned_positions(rng: np.random.Generator, prob: np.ndarray, bound: float | None = None) -> np.ndarray:
    """The successes of independent trials of probabilities ``prob`` (in [0, 1]), as sorted
    positions: the distribution of ``np.flatnonzero(rng.random(len(prob)) < prob)``. Candidates
    are drawn at ``bound`` (at least every probability; by default the largest) by
    :func:`bernoulli_positions`, and each is kept with probability ``prob / bound``."""
    if bound is None:
        bound = float(prob.max()) if len(prob) else 0.0
    bound = min(bound, 1.0)  # no probability is above 1
    cand = bernoulli_positions(rng, len(prob), bound)
    return cand[rng.random(len(cand)) * bound < prob[cand]]
