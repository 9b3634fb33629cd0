"""The draws of :mod:`simulator.model.draws` are numpy's, draw for draw."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model.draws import categorical


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=9).filter(lambda w: sum(w) > 0),
    st.integers(0, 200),
    st.integers(0, 2**32 - 1),
)
def test_categorical_draws_as_generator_choice(weights: list[float], size: int, seed: int) -> None:
    w = np.array(weights)
    p = w / w.sum()
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    got = categorical(ours, p, size)
    np.testing.assert_array_equal(got, numpys.choice(len(p), size=size, p=p))
    assert ours.bit_generator.state == numpys.bit_generator.state  # the stream advanced alike


def test_categorical_never_draws_a_category_of_zero_share() -> None:
    rng = np.random.default_rng(7)
    draws = categorical(rng, np.array([0.0, 0.3, 0.0, 0.7, 0.0]), 100_000)
    assert set(np.unique(draws)) == {1, 3}
    assert abs(np.mean(draws == 1) - 0.3) < 0.01  # 0.3 within about 7 standard errors
