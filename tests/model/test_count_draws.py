"""The count draws (:mod:`simulator.model.draws`) have exactly the distribution of the per-person
draws they replaced: one Bernoulli trial per person, independent, with the person's probability.

These are the strong guard of the change: the model's indicators respond too little to a small
bias in a rare-event rate for a test over seeds to see it (``tests/model/test_count_agreement.py``
shows what that test can see), but the draws themselves can be repeated millions of times in a
second. Each check below is run on the sampler and, to show that it can fail, on a sampler whose
probabilities are 2% too high: the check rejects that one.

Every check is a z or chi-square test at a false-alarm rate below 1e-6 (|z| < 5), on fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.model import demography, draws, kernels, migration
from simulator.model.draws import bernoulli_positions, thinned_positions

Z = 5.0  # |z| beyond this is a failure: two-sided false-alarm rate 6e-7 per check


def _z_chi2(stat: float, df: int) -> float:
    """A chi-square statistic as a one-sided z (Wilson-Hilferty)."""
    return float(stats.norm.isf(stats.chi2.sf(stat, df))) if stat > 0 else -np.inf


def bernoulli_failures(sample, n: int, p: float, reps: int) -> list[str]:
    """Where ``reps`` samples of ``sample()`` (sorted positions in range(n)) depart from ``n``
    independent trials of probability ``p``: the number of successes (mean and variance), where
    they fall (50 equal bins) and how often two neighbours both succeed."""
    counts = np.empty(reps)
    bins = np.zeros(50)
    pairs = 0
    for r in range(reps):
        pos = sample()
        assert np.all(np.diff(pos) > 0) and (len(pos) == 0 or (pos[0] >= 0 and pos[-1] < n))
        counts[r] = len(pos)
        bins += np.bincount(pos * 50 // n, minlength=50)
        pairs += int(np.count_nonzero(np.diff(pos) == 1))
    out = []
    mean, var = n * p, n * p * (1 - p)
    z = (counts.sum() - reps * mean) / np.sqrt(reps * var)
    if abs(z) > Z:
        out.append(f"successes: {counts.mean():.4g} a sample against {mean:.4g} (z={z:.1f})")
    z = _z_chi2(float(((counts - mean) ** 2).sum() / var), reps)
    if abs(z) > Z:
        out.append(f"variance of the successes: {counts.var():.4g} against {var:.4g} (z={z:.1f})")
    expected_bin = counts.sum() / 50
    z = _z_chi2(float(((bins - expected_bin) ** 2 / expected_bin).sum()), 49)
    if z > Z:
        out.append(f"positions not uniform (z={z:.1f})")
    e_pairs = reps * (n - 1) * p * p
    z = (pairs - e_pairs) / np.sqrt(e_pairs)
    if abs(z) > Z:
        out.append(f"neighbours both succeeding: {pairs} against {e_pairs:.4g} (z={z:.1f})")
    return out


@pytest.mark.parametrize(
    ("n", "p", "round_size"),
    [(5000, 0.004, None), (5000, 0.004, 3), (400, 0.05, None), (300, 0.3, None)],
    ids=["rare", "rare-small-rounds", "common", "dense"],
)
def test_bernoulli_positions_are_independent_trials(n: int, p: float, round_size) -> None:
    rng = np.random.default_rng(20)
    reps = int(100_000 / (n * p)) + 1  # about 100,000 successes in all: a 2% bias is 6 standard errors
    bad = bernoulli_failures(lambda: bernoulli_positions(rng, n, p, round_size=round_size), n, p, reps)
    assert not bad, bad


def test_the_bernoulli_check_detects_a_two_percent_bias() -> None:
    rng = np.random.default_rng(21)
    n, p = 5000, 0.004
    biased = lambda: np.flatnonzero(rng.random(n) < 1.02 * p)  # noqa: E731
    bad = bernoulli_failures(biased, n, p, int(100_000 / (n * p)) + 1)
    assert any(b.startswith("successes") for b in bad), bad


def test_bernoulli_positions_at_the_edges() -> None:
    rng = np.random.default_rng(22)
    assert len(bernoulli_positions(rng, 0, 0.5)) == 0
    assert len(bernoulli_positions(rng, 1000, 0.0)) == 0
    np.testing.assert_array_equal(bernoulli_positions(rng, 7, 1.0), np.arange(7))
    assert len(bernoulli_positions(rng, 10**6, 1e-20)) == 0  # gaps past the end: no overflow
    got = bernoulli_positions(rng, 10, 0.999999)  # dense: one draw each
    np.testing.assert_array_equal(got, np.arange(10))
    assert bernoulli_positions(rng, 5, 0.1).dtype == np.int64


def thinning_failures(sample, prob: np.ndarray, reps: int) -> list[str]:
    """Where ``reps`` samples of ``sample()`` depart from independent trials of probabilities
    ``prob``: how often each position succeeds (a chi-square over the positions), and in all."""
    hits = np.zeros(len(prob))
    for _ in range(reps):
        pos = sample()
        assert np.all(np.diff(pos) > 0)
        hits[pos] += 1
    out = []
    if hits[prob == 0].any():
        out.append("a position of probability 0 succeeded")
    live = prob > 0
    e, v = reps * prob[live], reps * prob[live] * (1 - prob[live])
    z = (hits[live].sum() - e.sum()) / np.sqrt(v.sum())
    if abs(z) > Z:
        out.append(f"successes: {hits.sum():.0f} against {e.sum():.0f} (z={z:.1f})")
    z = _z_chi2(float(((hits[live] - e) ** 2 / v).sum()), int(live.sum()))
    if z > Z:
        out.append(f"successes by position (z={z:.1f})")
    return out


def _probabilities() -> np.ndarray:
    rng = np.random.default_rng(23)
    prob = rng.uniform(0.0, 0.02, 300) * (rng.random(300) < 0.9)  # a tenth of them never succeed
    prob[17] = 0.05  # one far above the rest: the bound
    return prob


def test_thinned_positions_are_trials_of_their_probabilities() -> None:
    rng = np.random.default_rng(24)
    prob = _probabilities()
    reps = 40_000  # about 100,000 successes
    assert not thinning_failures(lambda: thinned_positions(rng, prob), prob, reps)
    assert not thinning_failures(lambda: thinned_positions(rng, prob, bound=0.2), prob, 10_000)  # any bound above


def test_the_thinning_check_detects_a_two_percent_bias_and_a_bound_too_low() -> None:
    rng = np.random.default_rng(25)
    prob = _probabilities()
    biased = lambda: np.flatnonzero(rng.random(len(prob)) < 1.02 * prob)  # noqa: E731
    assert any(b.startswith("successes:") for b in thinning_failures(biased, prob, 40_000))
    too_low = lambda: thinned_positions(rng, prob, bound=0.03)  # caps the probability of row 17  # noqa: E731
    assert any(b.startswith("successes by position") for b in thinning_failures(too_low, prob, 40_000))


# ------------------------------------------------------------------- deaths


def _population(life_expectancy: float = 50.0, n: int = 200_000):
    """Persons of every age, and the death tables at ``life_expectancy`` (50 years: about 7,000
    deaths a month among them, so that 40 months hold a 2% bias ten standard errors away)."""
    rng = np.random.default_rng(26)
    age_m = rng.integers(0, 100 * 12, n).astype(np.int16)
    age_m[:300] = rng.integers(100 * 12, 115 * 12, 300)  # some beyond the closed table
    present = rng.random(n) < 0.9
    level = demography.gompertz_level(life_expectancy, 0.09)
    return present, age_m, demography.death_table(level, 0.09), demography.death_table_by_month(level, 0.09)


def deaths_failures(draw, present, age_m, table_by_month, reps: int) -> list[str]:
    """Where ``reps`` draws of ``draw()`` (rows who die) depart from a trial per present person
    with the probability of their age: in all, and by decade of age."""
    p = np.where(present, table_by_month[age_m], 0.0)
    decade = np.minimum(age_m // 120, 11)
    e = reps * np.bincount(decade, weights=p, minlength=12)
    v = reps * np.bincount(decade, weights=p * (1 - p), minlength=12)
    got = np.zeros(12)
    for _ in range(reps):
        dead = draw()
        assert present[dead].all() and np.all(np.diff(dead) > 0)
        got += np.bincount(decade[dead], minlength=12)
    out = []
    z = (got.sum() - e.sum()) / np.sqrt(v.sum())
    if abs(z) > Z:
        out.append(f"deaths: {got.sum():.0f} against {e.sum():.0f} (z={z:.1f})")
    sure = v == 0  # the ages beyond the table: certain death
    if not np.array_equal(got[sure], e[sure]):
        out.append("not everyone beyond the table's last age died")
    z = _z_chi2(float(((got - e)[~sure] ** 2 / v[~sure]).sum()), int((~sure).sum()))
    if z > Z:
        out.append(f"deaths by decade of age (z={z:.1f}): {got.astype(int).tolist()} against {np.rint(e).astype(int).tolist()}")
    return out


@pytest.mark.parametrize("life_expectancy", [50.0, 76.0])
@pytest.mark.parametrize("legacy", [False, True], ids=["count-draws", "per-person"])
def test_deaths_are_a_trial_per_present_person(legacy: bool, life_expectancy: float, monkeypatch) -> None:
    if legacy:
        monkeypatch.setattr(draws, "LEGACY_DRAWS", frozenset({"deaths"}))
    present, age_m, table, by_month = _population(life_expectancy)
    rng = np.random.default_rng(27)
    draw = lambda: demography.draw_deaths(rng, present, age_m, table, by_month)  # noqa: E731
    assert not deaths_failures(draw, present, age_m, by_month, 40)  # about 100,000 deaths


def test_the_deaths_check_detects_a_two_percent_bias() -> None:
    present, age_m, table, by_month = _population()
    rng = np.random.default_rng(28)
    high = np.minimum(by_month * 1.02, 1.0)
    draw = lambda: demography.draw_deaths(rng, present, age_m, table * 1.02, high)  # noqa: E731
    assert any(b.startswith("deaths:") for b in deaths_failures(draw, present, age_m, by_month, 40))


def test_few_deaths_need_a_draw_each() -> None:
    """The point of the change: with Fuxin's mortality, draws for a few percent of the present
    persons a month (here ages spread evenly to 100), not all of them."""
    present, age_m, table, by_month = _population(76.0)  # Fuxin's mortality
    bound = float(table[demography.DEATH_DRAW_BOUND_AGE_YEARS])
    n, n_rest = kernels.count_present_above(present, age_m, by_month, bound)
    assert n == present.sum() and n_rest == np.count_nonzero(present & (age_m >= 12 * (demography.DEATH_DRAW_BOUND_AGE_YEARS + 1)))
    assert 2 * n * bound + n_rest < 0.3 * n


# ------------------------------------------------------------------- births


class _Persons:
    """The person rows :func:`demography.draw_mothers` reads."""

    def __init__(self, n: int = 100_000):
        rng = np.random.default_rng(30)
        self.n = n
        self.age_m = rng.integers(0, 80 * 12, n).astype(np.int16)
        self.female = rng.random(n) < 0.5
        self.present = rng.random(n) < 0.9

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.n]


def _fertility(tfr: float = 1.3) -> np.ndarray:
    return np.repeat(demography.fertility_schedule(tfr, 27.0, 5.0) / 12.0, 12)


@pytest.mark.parametrize("legacy", [False, True], ids=["count-draws", "per-person"])
def test_births_are_a_trial_per_present_woman_of_fertile_age(legacy: bool, monkeypatch) -> None:
    if legacy:
        monkeypatch.setattr(draws, "LEGACY_DRAWS", frozenset({"births"}))
    p, rate = _Persons(), _fertility()
    prob = np.where(p.present & p.female, rate[p.age_m], 0.0)
    rng = np.random.default_rng(31)
    reps = int(100_000 / prob.sum()) + 1
    bad = thinning_failures(lambda: demography.draw_mothers(rng, p, rate), prob, reps)
    assert not bad, bad


def test_the_births_check_detects_a_two_percent_bias() -> None:
    p, rate = _Persons(), _fertility()
    prob = np.where(p.present & p.female, rate[p.age_m], 0.0)
    rng = np.random.default_rng(32)
    biased = lambda: demography.draw_mothers(rng, p, rate * 1.02)  # noqa: E731
    assert any(b.startswith("successes:") for b in thinning_failures(biased, prob, int(100_000 / prob.sum()) + 1))


# --------------------------------------------------------- leaving the city alone


def _state(load_tiny, build_model, *overrides: str):
    m = build_model(load_tiny("migration.individual.base_rate_per_year=0.6", *overrides, seed=5))
    for _ in range(3):
        m.step()
    rural = migration.rural_households(m)
    return m, migration.expected_income_ratios(m), rural


@pytest.mark.parametrize(
    "overrides",
    [(), ("migration.individual.unemployed_multiplier=0.5", "migration.individual.high_skill_multiplier=0.3")],
    ids=["fuxin-multipliers", "multipliers-below-one"],
)
@pytest.mark.parametrize("talent_factor", [1.0, 0.4, 1.5])
def test_the_bound_of_leaving_alone_is_above_every_probability(load_tiny, build_model, overrides, talent_factor) -> None:
    m, ratios, rural = _state(load_tiny, build_model, *overrides)
    m.programmes.skilled_leaving_factor = talent_factor
    prob = migration.individual_leave_probability(m, ratios, rural)
    bound = migration.individual_leave_bound(m, ratios)
    assert prob.max() > 0 and bound >= prob.max()
    rows = np.flatnonzero(prob > 0)[::7]
    np.testing.assert_array_equal(migration.individual_leave_probability(m, ratios, rural, rows=rows), prob[rows])


def test_persons_leave_alone_with_their_probability(load_tiny, build_model, monkeypatch) -> None:
    """The count draws of :func:`migration.individual_leavers`, repeated on one month's city,
    pick each person as often as their probability says (the draws change nothing)."""
    monkeypatch.setattr(draws, "COUNT_DRAWS", frozenset({"persons_leaving"}))
    m, ratios, rural = _state(load_tiny, build_model)
    prob = migration.individual_leave_probability(m, ratios, rural)
    rng = np.random.default_rng(29)
    reps = int(100_000 / prob.sum()) + 1
    bad = thinning_failures(lambda: migration.individual_leavers(m, rng, ratios, rural), prob, reps)
    assert not bad, bad
