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

**Keyed draws** (the default for the rare events of :data:`COUNT_DRAWN`): each person's (or
household's) uniform for a mechanism in a month is a hash of the run's key for that mechanism,
the month and the person's lasting id (``Persons.uid``, ``Households.uid``), not the next number
of a stream (:func:`keyed_uniforms`, :func:`keyed_candidates`; SplitMix64 rounds compiled in
:mod:`simulator.model.kernels`). So two runs with the same seed (a scenario and its variant,
paired as in ``sim compare`` and ``sim diagnose``) give the same person the same draw wherever
their probabilities are the same, however the two runs' person arrays differ (a death or a
departure in one run shifts every later row, and with stream or count draws every later
person's draw): common random numbers person by person, so that paired differences measure the
policy, not the divergence of the draws. One hash per person and month (about 2 ns): more work
than the count draws at full scale, little at the default scale. Ids are kept for life: the
first population is numbered in order, a newborn's id is a hash of its mother's id and the
month, an in-migrant's a hash of the month and its place among the month's arrivals
(:func:`derived_uids`). The keyed and the count draws have the same distribution, so the change
is guarded like the count draws (``tests/model/test_draw_agreement.py``).
"""

from __future__ import annotations

import zlib

import numpy as np

from simulator.model import kernels

LEGACY_DRAWS: frozenset[str] = frozenset()
"""Mechanisms that draw one uniform per person, as before the count draws: any of
:data:`COUNT_DRAWN`; and ``"person_order"`` (persons kept in the order they came, not in household
order: ``Persons.compact``) and ``"hiring_queue"`` (the month's hires take vacancies in row order,
not in a keyed random order: ``labour_market.step``). Empty in every run; the agreement tests set
it (``monkeypatch``) to run the code before a change of draws against the code after it."""

KEYED_ONLY = ("arrivals",)
"""Mechanisms with keyed draws that were never count draws: the arrivals of in-migrants and return
migrants (their number and attributes) come from a stream made for the month
(``CityModel.month_stream``) instead of the run's stream, so that a difference in one month's
arrivals between two paired runs does not shift every later month's (:data:`COUNT_DRAWS` or
:data:`LEGACY_DRAWS` with ``"arrivals"``: the run's stream, as before)."""

COUNT_DRAWN = ("quits", "layoffs", "deaths", "households_leaving", "persons_leaving", "births")
"""The mechanisms whose rare events are drawn by :func:`bernoulli_positions` or
:func:`thinned_positions` (names for :data:`LEGACY_DRAWS`)."""

DENSE_PROBABILITY = 0.25
"""From this probability on, one uniform per trial is cheaper than geometric gaps (most trials
succeed): :func:`bernoulli_positions` draws those instead (the same distribution)."""


COUNT_DRAWS: frozenset[str] = frozenset()
"""Mechanisms drawn as counts from their stream (:func:`bernoulli_positions`,
:func:`thinned_positions`), as before the keyed draws: any of :data:`COUNT_DRAWN`. Empty in every
run; the agreement tests set it to run the code before the keyed draws."""


def counted(mechanism: str) -> bool:
    """Whether ``mechanism`` draws counts from its stream (:data:`COUNT_DRAWS`, tests only)."""
    return mechanism in COUNT_DRAWS


def keyed(mechanism: str) -> bool:
    """Whether ``mechanism`` makes keyed draws (the default; see the module's docstring)."""
    return mechanism not in LEGACY_DRAWS and mechanism not in COUNT_DRAWS


def draw_key(seed: int, name: str) -> np.uint64:
    """The run's key for the keyed draws of ``name`` (a mechanism, or the ids of newcomers): 64
    bits of ``SeedSequence(seed)`` spawned on a hash of the name, independent of every stream."""
    key = (KEYED_GROUP, zlib.crc32(name.encode("utf-8")))
    return np.random.SeedSequence(seed, spawn_key=key).generate_state(1, np.uint64)[0]


KEYED_GROUP = 0x6B6579  # "key": the spawn key's first word for the keyed draws (streams use small numbers)


def keyed_uniforms(key: np.uint64, month: int, uids: np.ndarray) -> np.ndarray:
    """One uniform in [0, 1) for each id of ``uids``, a function of (``key``, ``month``, id) only."""
    return kernels.keyed_candidates(key, month, uids, 2.0)[1]


def keyed_candidates(key: np.uint64, month: int, uids: np.ndarray, bound: float) -> tuple[np.ndarray, np.ndarray]:
    """The positions in ``uids`` whose keyed uniform (:func:`keyed_uniforms`) is below ``bound``,
    in order, with their uniforms: the candidates of a thinning at ``bound`` (each then kept if its
    uniform is below its own probability, which is at most ``bound``)."""
    if len(uids) == 0 or bound <= 0.0:
        return np.zeros(0, np.int64), np.zeros(0)
    return kernels.keyed_candidates(key, month, uids, float(bound))


def keyed_candidates_of_rows(key: np.uint64, month: int, uid: np.ndarray, rows: np.ndarray, bound: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`keyed_candidates` of the ids ``uid[rows]``, without gathering them first (the same
    positions in ``rows`` and uniforms)."""
    if len(rows) == 0 or bound <= 0.0:
        return np.zeros(0, np.int64), np.zeros(0)
    return kernels.keyed_candidates_of_rows(key, month, uid, rows, float(bound))


def derived_uids(key: np.uint64, month: int, parents: np.ndarray) -> np.ndarray:
    """Lasting ids for newcomers (int64, non-negative): a hash of (``key``, ``month``, each of
    ``parents``: a mother's id, or an arrival's place among the month's arrivals)."""
    return (kernels.keyed_hashes(key, month, parents.astype(np.int64)) >> np.uint64(1)).astype(np.int64)


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


def categorical_of(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The category of each uniform ``u`` under probabilities ``p``, as :func:`categorical` does
    with its stream's uniforms (for keyed uniforms)."""
    cdf = np.cumsum(p, dtype=np.float64)
    cdf /= cdf[-1]
    return cdf.searchsorted(u, side="right")


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
