"""Each compiled loop of ``simulator.model.kernels`` returns exactly what its numpy expression
returns (the expressions the mechanisms used before the loops, written out here), on random
small states drawn by hypothesis: same rows in the same order, same floats to the last bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model import kernels

EMPLOYED = 2
HIGH = 2


@st.composite
def persons(draw, max_rows: int = 60):
    """A random small population: row attributes, a household per row, and a seed for draws."""
    n = draw(st.integers(0, max_rows))
    n_households = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return {
        "n_households": n_households,
        "household": rng.integers(0, n_households, n).astype(np.int32),
        "present": rng.random(n) < 0.85,
        "age_m": rng.integers(0, 110 * 12, n).astype(np.int16),
        "female": rng.random(n) < 0.5,
        "skill": rng.integers(0, 3, n).astype(np.int8),
        "status": rng.integers(0, 6, n).astype(np.int8),
        "key": rng.integers(-1, 7, n).astype(np.int8),
        "rng": rng,
    }


def _flags(households: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, bool)
    out[households] = True
    return out


@settings(max_examples=150, deadline=None)
@given(persons())
def test_household_types_equal_the_numpy_flags(pp) -> None:
    h, nh = pp["household"], pp["n_households"]
    ret = np.array([720, 720, 720, 600, 600, 660], np.int16)  # months, by 3 x female + skill
    young_end = 35 * 12
    types = kernels.household_types(
        h, pp["present"], pp["age_m"], pp["female"], pp["skill"], pp["status"], ret, nh, 16 * 12, young_end, HIGH, EMPLOYED
    )
    age = pp["age_m"]
    wa = pp["present"] & (age >= 16 * 12) & (age < ret[3 * pp["female"].astype(np.int8) + pp["skill"]])
    expected = (
        _flags(h[wa], nh) * kernels.HAS_WORKING_AGE
        + _flags(h[wa & (age < young_end)], nh) * kernels.HAS_YOUNG_ADULT
        + _flags(h[wa & (pp["skill"] == HIGH)], nh) * kernels.HAS_HIGH_SKILL
        + _flags(h[pp["status"] == EMPLOYED], nh) * kernels.HAS_EARNER
    )
    np.testing.assert_array_equal(types, expected)

    # the leaving probability from the types, against the multipliers looked up in numpy
    rng = pp["rng"]
    housing = rng.integers(0, 4, nh).astype(np.int8)
    present_hh = rng.random(nh) < 0.9
    by_type, by_housing = 1.0 + rng.random(8) * 3, 1.0 + rng.random(4)
    rate = float(rng.random()) * 0.5
    prob, has_wa = kernels.leave_probability(types, housing, present_hh, rate, by_type, by_housing)
    earner, young, high = (types & kernels.HAS_EARNER) > 0, (types & kernels.HAS_YOUNG_ADULT) > 0, (types & kernels.HAS_HIGH_SKILL) > 0
    kind = ~earner + 2 * young + 4 * high
    expected_prob = np.minimum(rate * (by_type[kind] * by_housing[housing]), 1.0)
    expected_has_wa = (types & kernels.HAS_WORKING_AGE) > 0
    expected_prob[~expected_has_wa | ~present_hh] = 0.0
    np.testing.assert_array_equal(prob, expected_prob)
    np.testing.assert_array_equal(has_wa, expected_has_wa)


@settings(max_examples=150, deadline=None)
@given(persons())
def test_selections_equal_numpy(pp) -> None:
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    n = len(h)
    chosen = rng.random(nh) < 0.3
    np.testing.assert_array_equal(
        kernels.members_of(h, pp["present"], chosen), np.flatnonzero(pp["present"] & chosen[h])
    )
    # deaths: the j-th present person's draw against the table at their whole years (capped)
    table = np.sort(rng.random(111)) * 0.2
    u = rng.random(int(pp["present"].sum()))
    idx = np.flatnonzero(pp["present"])
    expected = idx[u < table[np.minimum(pp["age_m"][idx] // 12, 110)]]
    np.testing.assert_array_equal(kernels.deaths(pp["present"], pp["age_m"], u, table, 110), expected)
    # layoffs: a draw below the employer's rate (some rates zero)
    n_firms = 7
    employer = rng.integers(0, n_firms, n).astype(np.int32)
    rate = np.where(rng.random(n_firms) < 0.4, 0.0, rng.random(n_firms))
    u = rng.random(n)
    np.testing.assert_array_equal(
        kernels.draw_below_firm_rate(employer, rate, u), np.flatnonzero(u < rate[employer])
    )


@settings(max_examples=150, deadline=None)
@given(persons())
def test_household_sums_and_flags_equal_numpy(pp) -> None:
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    n = len(h)
    rows = np.flatnonzero(rng.random(n) < 0.6)
    w = rng.normal(size=len(rows)) * 1e3
    np.testing.assert_array_equal(
        kernels.household_sum(h, rows, w, nh), np.bincount(h[rows], weights=w, minlength=nh)
    )
    np.testing.assert_array_equal(kernels.household_count(h, rows, nh), np.bincount(h[rows], minlength=nh))
    # net wages: a factor per employer row times a float32 wage, summed by household
    n_firms = 5
    employer = rng.integers(0, n_firms, len(rows)).astype(np.int32)
    factor = 1.0 - rng.random(n_firms) * 0.3
    wage = (rng.random(len(rows)) * 5000).astype(np.float32)
    np.testing.assert_array_equal(
        kernels.household_net_wages(h, rows, employer, factor, wage, nh),
        np.bincount(h[rows], weights=np.take(factor, employer) * wage.astype(np.float64), minlength=nh),
    )
    key = pp["key"]
    np.testing.assert_array_equal(
        kernels.households_where(h, rows, key, np.int8(3), nh), _flags(h[rows[key[rows] == 3]], nh)
    )
    np.testing.assert_array_equal(kernels.households_with(h, key, np.int8(3), nh), _flags(h[key == 3], nh))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_per_firm_sums_equal_numpy(n_classes: int, n_firms: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    count = rng.integers(0, 50, (n_classes, n_firms))
    by_class = rng.random((n_classes, n_firms)) * 1e4
    expected = count[0] * by_class[0]
    for k in range(1, n_classes):
        expected += count[k] * by_class[k]
    np.testing.assert_array_equal(kernels.per_firm(count, by_class), expected)
