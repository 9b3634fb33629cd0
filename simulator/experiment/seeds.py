"""Seeds for many runs, derived reproducibly from one root seed.

A root seed is split with :class:`numpy.random.SeedSequence` into independent
children by purpose: one for the random numbers of the runs, one for the
sampling of a design. Run seed *k* is the *k*-th child of the runs' child, so
it depends only on the root seed and *k*: every design point of a sweep gets
the same seeds (common random numbers across points), and asking for more
seeds keeps the first ones.
"""

from __future__ import annotations

import numpy as np

_RUNS, _DESIGN = 0, 1  # child indices of the root SeedSequence, by purpose
_N_PURPOSES = 2


def _child(root_seed: int, purpose: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(root_seed).spawn(_N_PURPOSES)[purpose]


def _as_int(ss: np.random.SeedSequence) -> int:
    # one 32-bit word: a valid ``run.seed`` (non-negative) and plenty for SeedSequence
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def run_seeds(root_seed: int, n: int) -> list[int]:
    """The seeds of runs 0..n-1 under a root seed.

    Args:
        root_seed: The root seed (non-negative).
        n: How many seeds.

    Returns:
        ``n`` non-negative integers below 2**32; the first ``m`` are the same for any ``n >= m``.
    """
    return [_as_int(child) for child in _child(root_seed, _RUNS).spawn(n)]


def design_seed(root_seed: int) -> int:
    """The seed for sampling a design (Latin hypercube, Sobol, Morris) under a root seed."""
    return _as_int(_child(root_seed, _DESIGN))
