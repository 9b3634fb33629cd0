"""The keyed draws (:mod:`simulator.model.draws`): each person's uniform for a mechanism in a month
is a hash of the run's key, the month and the person's lasting id.

What they must do, and what is checked here:

- be uniform and independent, across ids, months and mechanisms (z and chi-square tests at a
  false-alarm rate below 1e-6, on fixed keys; each check shown to reject a 2% bias);
- give each person the probability of their mechanism when used by the model's samplers (deaths,
  births, leaving alone, households leaving), repeated over many months;
- depend on nothing but (key, month, id): a person keeps their draw when other persons are added,
  removed or reordered (the common random numbers that paired runs rely on), which the count
  draws do not;
- give newcomers distinct lasting ids.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model import demography, draws, migration
from tests.model.test_count_draws import (
    Z,
    _fertility,
    _Persons,
    _population,
    _state,
    _z_chi2,
    deaths_failures,
    thinning_failures,
)

KEY = draws.draw_key(7, "test")


def uniformity_failures(u: np.ndarray, bins: int = 100) -> list[str]:
    """Where ``u`` departs from independent uniforms on [0, 1): its mean, its spread over
    ``bins`` equal bins, and the correlation of neighbours."""
    out = []
    n = len(u)
    if np.any((u < 0) | (u >= 1)):
        out.append("a uniform outside [0, 1)")
    z = (u.mean() - 0.5) / np.sqrt(1 / 12 / n)
    if abs(z) > Z:
        out.append(f"mean {u.mean():.5f} (z={z:.1f})")
    counts = np.bincount(np.minimum((u * bins).astype(int), bins - 1), minlength=bins)
    e = n / bins
    z = _z_chi2(float(((counts - e) ** 2 / e).sum()), bins - 1)
    if z > Z:
        out.append(f"not uniform over {bins} bins (z={z:.1f})")
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    z = r * np.sqrt(n)
    if abs(z) > Z:
        out.append(f"neighbours correlated: r={r:.4f} (z={z:.1f})")
    return out


def test_keyed_uniforms_are_uniform_over_ids_months_and_keys() -> None:
    ids = np.arange(1_000_000, dtype=np.int64)
    assert not uniformity_failures(draws.keyed_uniforms(KEY, 24_000, ids))
    # one id over many months, and one id and month over many keys
    months = np.arange(24_000, 24_000 + 200_000, dtype=np.int64)
    assert not uniformity_failures(np.array([draws.keyed_uniforms(KEY, int(m), ids[:1])[0] for m in months[:20_000]]))
    keys = [draws.draw_key(s, "test") for s in range(20_000)]
    assert not uniformity_failures(np.array([draws.keyed_uniforms(k, 24_000, ids[:1])[0] for k in keys]))


def test_keyed_uniforms_of_neighbouring_months_and_mechanisms_are_independent() -> None:
    """The same persons' draws in consecutive months, and for two mechanisms in one month, are
    uncorrelated (a person who drew low this month is not more likely to draw low the next)."""
    ids = np.arange(500_000, dtype=np.int64)
    a = draws.keyed_uniforms(KEY, 24_000, ids)
    for other in (draws.keyed_uniforms(KEY, 24_001, ids), draws.keyed_uniforms(draws.draw_key(7, "other"), 24_000, ids),
                  draws.keyed_uniforms(draws.draw_key(8, "test"), 24_000, ids)):
        r = np.corrcoef(a, other)[0, 1]
        assert abs(r * np.sqrt(len(ids))) < Z, r
        both_low = np.count_nonzero((a < 0.01) & (other < 0.01))
        e = len(ids) * 1e-4
        assert abs(both_low - e) / np.sqrt(e) < Z, both_low


def test_the_uniformity_check_detects_a_two_percent_bias() -> None:
    u = draws.keyed_uniforms(KEY, 24_000, np.arange(1_000_000, dtype=np.int64))
    assert uniformity_failures(np.minimum(u * 1.02, 0.999999))


def test_keyed_candidates_are_the_uniforms_below_the_bound() -> None:
    ids = np.random.default_rng(3).integers(0, 2**62, 50_000)
    u = draws.keyed_uniforms(KEY, 24_500, ids)
    pos, cu = draws.keyed_candidates(KEY, 24_500, ids, 0.03)
    np.testing.assert_array_equal(pos, np.flatnonzero(u < 0.03))
    np.testing.assert_array_equal(cu, u[pos])
    assert len(draws.keyed_candidates(KEY, 24_500, ids, 0.0)[0]) == 0
    assert len(draws.keyed_candidates(KEY, 24_500, ids[:0], 0.5)[0]) == 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**62), min_size=1, max_size=200, unique=True), st.integers(0, 10**6), st.randoms())
def test_a_persons_draw_depends_on_their_id_alone(ids, month, shuffle) -> None:
    """Common random numbers: reordering the persons, or adding and removing others, leaves each
    person's draw unchanged."""
    ids = np.array(ids, np.int64)
    u = dict(zip(ids.tolist(), draws.keyed_uniforms(KEY, month, ids).tolist(), strict=True))
    other = ids[::2].tolist() + [int(x) + 1 for x in ids[::3]]
    shuffle.shuffle(other)
    other = np.array(other, np.int64)
    for i, x in zip(other.tolist(), draws.keyed_uniforms(KEY, month, other).tolist(), strict=True):
        if i in u:
            assert x == u[i]


def test_derived_ids_are_distinct_and_non_negative() -> None:
    parents = np.arange(2_000_000, dtype=np.int64)
    a = draws.derived_uids(draws.draw_key(1, "newborn_id"), 24_000, parents)
    b = draws.derived_uids(draws.draw_key(1, "newborn_id"), 24_001, parents)
    both = np.concatenate([a, b, parents])
    assert (both >= 0).all() and len(np.unique(both)) == len(both)


def test_every_person_and_household_of_a_run_has_its_own_id() -> None:
    """In-migrants, return migrants and recruits arriving in one month, newborns and the first
    population: no two persons (nor households) ever present in a run share a lasting id, so no
    two share a keyed draw. (Return migrants once took the in-migrants' keys and, arriving in the
    same month, their ids: 2% of the persons present in 2030.)"""
    from pathlib import Path

    from simulator.experiment.run import build_model
    from simulator.scenario.loader import load_scenario

    repo = Path(__file__).resolve().parents[2]
    scenario = load_scenario(repo / "scenarios" / "fuxin.yaml", ["run.end_year=2018"], scale=600)
    model = build_model(scenario)
    returned = 0
    for _ in range(model.n_steps):
        model.step()
        p, hh = model.persons, model.households
        assert len(np.unique(p.uid[: p.n])) == p.n
        assert len(np.unique(hh.uid[: hh.n])) == hh.n
        if model.month == 12:
            returned += model.recorder.rows[-1]["return_migrants"]
    assert returned > 0 and model.recorder.rows[-1]["in_migrants"] > 0  # both kinds arrived


# ------------------------------------------------------------------- the model's samplers


class _Months:
    """A new month's key at every call: the keyed draws repeated as the months pass."""

    def __init__(self) -> None:
        self.month = 24_000

    def __call__(self) -> int:
        self.month += 1
        return self.month


@pytest.mark.parametrize("life_expectancy", [50.0, 76.0])
def test_keyed_deaths_are_a_trial_per_present_person(life_expectancy: float) -> None:
    present, age_m, table, by_month = _population(life_expectancy)
    uid = np.arange(len(present), dtype=np.int64) * 3 + 11
    month = _Months()
    draw = lambda: demography.draw_deaths(None, present, age_m, table, by_month, keyed=(KEY, month(), uid))  # noqa: E731
    assert not deaths_failures(draw, present, age_m, by_month, 40)


def test_the_keyed_deaths_check_detects_a_two_percent_bias() -> None:
    present, age_m, table, by_month = _population()
    uid = np.arange(len(present), dtype=np.int64)
    month = _Months()
    high = np.minimum(by_month * 1.02, 1.0)
    draw = lambda: demography.draw_deaths(None, present, age_m, table * 1.02, high, keyed=(KEY, month(), uid))  # noqa: E731
    assert any(b.startswith("deaths:") for b in deaths_failures(draw, present, age_m, by_month, 40))


def test_keyed_births_are_a_trial_per_present_woman_of_fertile_age() -> None:
    p, rate = _Persons(), _fertility()
    p.uid = np.arange(p.n, dtype=np.int64)
    prob = np.where(p.present & p.female, rate[p.age_m], 0.0)
    month = _Months()
    reps = int(100_000 / prob.sum()) + 1
    assert not thinning_failures(lambda: demography.draw_mothers(None, p, rate, keyed=(KEY, month())), prob, reps)
    biased = lambda: demography.draw_mothers(None, p, rate * 1.02, keyed=(KEY, month()))  # noqa: E731
    assert any(b.startswith("successes:") for b in thinning_failures(biased, prob, reps))


def test_keyed_leaving_alone_follows_each_persons_probability(load_tiny, build_model) -> None:
    m, ratios, rural = _state(load_tiny, build_model)
    prob = migration.individual_leave_probability(m, ratios, rural)
    reps = int(100_000 / prob.sum()) + 1
    seeds = iter(range(10**6))

    def sample():
        m.draw_keys["persons_leaving"] = draws.draw_key(next(seeds), "persons_leaving")  # a new month's draws
        return migration.individual_leavers(m, None, ratios, rural)

    assert not thinning_failures(sample, prob, reps)


def test_deaths_keep_their_persons_when_others_are_removed() -> None:
    """The point of the keyed draws: remove a tenth of the persons (as a departure in one of two
    paired runs would) and the others who die are the same persons; with the count draws, a
    different set."""
    present, age_m, table, by_month = _population(76.0)
    uid = np.arange(len(present), dtype=np.int64)
    keep = np.random.default_rng(5).random(len(present)) >= 0.1
    both = present & keep

    def dead_ids(mask, rng=None):
        if rng is None:
            return set(uid[demography.draw_deaths(None, mask, age_m, table, by_month, keyed=(KEY, 24_010, uid))].tolist())
        return set(uid[demography.draw_deaths(rng, mask, age_m, table, by_month)].tolist())

    all_dead, kept_dead = dead_ids(present), dead_ids(both)
    assert len(kept_dead) > 100 and kept_dead == {i for i in all_dead if keep[i]}
    # the count draws (same stream state on both sides) do not keep them
    c_all, c_kept = dead_ids(present, np.random.default_rng(9)), dead_ids(both, np.random.default_rng(9))
    assert c_kept != {i for i in c_all if keep[i]}


def test_the_fused_kernels_make_the_same_draws() -> None:
    """The kernels that hash the ids of some rows, or of the present persons, without gathering
    them draw exactly what the plain keyed uniforms draw."""
    from simulator.model import kernels

    rng = np.random.default_rng(8)
    uid = rng.integers(0, 2**62, 20_000)
    rows = np.sort(rng.choice(len(uid), 5_000, replace=False))
    a = draws.keyed_candidates(KEY, 24_100, uid[rows], 0.2)
    b = draws.keyed_candidates_of_rows(KEY, 24_100, uid, rows, 0.2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    present, age_m, _, by_month = _population(50.0, n=len(uid))
    u = draws.keyed_uniforms(KEY, 24_100, uid)
    want = np.flatnonzero(present & (u < by_month[age_m]))
    np.testing.assert_array_equal(kernels.keyed_deaths(KEY, 24_100, uid, present, age_m, by_month), want)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3000), st.integers(0, 2**32 - 1), st.sampled_from(
    ["drawn", "exact", "just above", "just below", "zero", "negative zero", "negative", "one", "below one", "above",
     "infinite", "tiny", "nan"]
))
def test_keyed_candidates_at_edge_bounds_are_the_uniforms_below_them(n: int, seed: int, kind: str) -> None:
    """The compiled candidates (flags compared in integers, then the list) are exactly the positions
    whose uniform is below the bound, with those uniforms, as the kernel over rows computes them
    (the uniforms compared as floats): a bound equal to one of the uniforms (that one is not below
    it) or next to it, zeros, negative, 1 and next to it, above 1, infinite, the smallest positive
    and NaN."""
    from simulator.model import kernels

    rng = np.random.default_rng(seed)
    uid = rng.integers(0, 2**62, n)
    rows = np.arange(n)
    u_all = kernels.keyed_candidates_of_rows(KEY, 24_100, uid, rows, 2.0)[1]  # every uniform, compared as floats
    some = float(u_all[rng.integers(0, n)]) if n else 0.5
    bound = {
        "drawn": rng.random() * 0.2, "exact": some, "just above": np.nextafter(some, 2.0),
        "just below": np.nextafter(some, -1.0), "zero": 0.0, "negative zero": -0.0, "negative": -0.3, "one": 1.0,
        "below one": np.nextafter(1.0, 0.0), "above": 1.5, "infinite": np.inf, "tiny": 5e-324, "nan": np.nan,
    }[kind]
    pos, got_u = kernels.keyed_candidates(KEY, 24_100, uid, float(bound))
    want_pos, want_u = kernels.keyed_candidates_of_rows(KEY, 24_100, uid, rows, float(bound))
    np.testing.assert_array_equal(pos, want_pos)
    np.testing.assert_array_equal(got_u, want_u)
    np.testing.assert_array_equal(pos, np.flatnonzero(u_all < bound))
