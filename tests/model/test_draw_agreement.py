"""The count draws agree with the per-person draws they replaced, on Fuxin over seeds, and what
such a test over seeds can see.

Quits, layoffs, deaths, births and leaving the city were drawn with one uniform per person a month; they
are now drawn as counts (:mod:`simulator.model.draws`), which changes which draw each person gets
but not the distribution. Each change is compared here with the code before it
(``draws.LEGACY_DRAWS``, which restores the per-person draws bit for bit) by
``assert_statistically_equal``: Fuxin (``scenarios/fuxin.yaml``) at its default scale (150
persons a row), 2000-:data:`END_YEAR`, :data:`N_SEEDS` seeds a side (different seeds on the two
sides), the main indicators and those of the mechanism, each year, Welch and KS at a family-wise
false-alarm rate of 0.001.

What it can see (``test_the_agreement_test_detects_a_large_bias_in_the_quit_rate``): the
indicators hardly respond to the quit rate, since a quit is a vacancy filled again within months
and firms staff to their share of demand whatever their current workers. Measured with the
staffing of whole targets (firms keep their rounding of a target for life): a 50% bias (0.006 to
0.009 a month) moved no indicator beyond the threshold on these seeds; a doubling is rejected,
through the job seekers (frictional unemployment: more people between jobs at any time) and farm
employment. Earlier measurements with month-by-month rounding (40 seeds a side): a 2% bias moves
no indicator by more than a few hundredths of a percent and would need thousands of seeds. A
small bias in the draws themselves is therefore caught by ``tests/model/test_count_draws.py``,
which checks the exact distribution of each sampler and rejects a 2% bias; this test guards
against mistakes that change behaviour as a whole (wrong persons, wrong mechanism, a rate applied
twice or not at all).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator.model import draws
from simulator.model.sectors import SECTOR_NAMES
from simulator.scenario.loader import load_scenario

FUXIN = Path(__file__).resolve().parents[2] / "scenarios" / "fuxin.yaml"
END_YEAR = 2005
N_SEEDS = 20
SEEDS_BEFORE = range(1, 1 + N_SEEDS)
SEEDS_AFTER = range(101, 101 + N_SEEDS)
MAIN = ("population", *(f"employment_{s}" for s in SECTOR_NAMES), "unemployed_persons", "gdp_total", "city_spending")
"""The main indicators: population, employment by sector, job seekers, GDP and city spending."""
BY_MECHANISM = {
    "quits_layoffs": ("informal_workers", "employment_public_units", "dibao_recipients"),
    "deaths": ("deaths", "working_age_population", "share_aged_60_plus"),
    "leaving": ("out_migrants", "individual_out_migrants", "out_migrants_high_skill"),
    "births": ("births", "working_age_population", "share_aged_60_plus"),
}
ALL = (*MAIN, *(k for keys in BY_MECHANISM.values() for k in keys))


@pytest.fixture(scope="module")
def fuxin_sample(seed_sample):
    """``fuxin_sample(legacy, overrides, seeds)``: Fuxin's indicators (:data:`ALL`) over seeds, with
    the mechanisms ``legacy`` drawing per person; samples are kept for the module."""
    kept: dict = {}

    def sample(legacy=(), overrides=(), seeds=SEEDS_AFTER, counted=()):
        key = (frozenset(legacy), tuple(overrides), tuple(seeds), frozenset(counted))
        if key not in kept:
            scenario = load_scenario(FUXIN, overrides=[f"run.end_year={END_YEAR}", *overrides])
            saved = draws.LEGACY_DRAWS, draws.COUNT_DRAWS
            draws.LEGACY_DRAWS, draws.COUNT_DRAWS = frozenset(legacy), frozenset(counted)
            try:
                kept[key] = seed_sample(scenario, seeds, ALL)
            finally:
                draws.LEGACY_DRAWS, draws.COUNT_DRAWS = saved
        return kept[key]

    return sample


@pytest.mark.parametrize(
    ("mechanism", "legacy"),
    [
        ("quits_layoffs", {"quits", "layoffs"}),
        ("deaths", {"deaths"}),
        ("leaving", {"households_leaving", "persons_leaving"}),
        ("births", {"births"}),
    ],
)
def test_count_draws_agree_with_the_per_person_draws(fuxin_sample, disagreements, mechanism, legacy) -> None:
    before = fuxin_sample(legacy=legacy, seeds=SEEDS_BEFORE)
    after = fuxin_sample()
    keys = (*MAIN, *BY_MECHANISM[mechanism])
    bad = disagreements({k: before[k] for k in keys}, {k: after[k] for k in keys})
    assert not bad, f"{mechanism}: the count draws disagree with the per-person draws: " + "; ".join(bad)


def test_keyed_draws_agree_with_the_count_draws(fuxin_sample, disagreements) -> None:
    """Every keyed draw at once (and the arrivals' monthly streams) against the count draws and
    the run's streams they replaced: the same distributions of the main indicators and of every
    mechanism's own."""
    before = fuxin_sample(counted=(*draws.COUNT_DRAWN, *draws.KEYED_ONLY), seeds=SEEDS_BEFORE)
    after = fuxin_sample()
    bad = disagreements(before, after)
    assert not bad, "the keyed draws disagree with the count draws: " + "; ".join(bad)


def test_household_order_agrees_with_the_order_persons_came_in(fuxin_sample, disagreements) -> None:
    """Persons kept in household order (``Persons.compact``), and each month's hires queued for the
    vacancies in a keyed random order, against the order persons came in and the hires queued in
    that order (``LEGACY_DRAWS`` with ``"person_order"`` and ``"hiring_queue"``): the order changes
    which stream draw each person gets (the matching's), not the distributions."""
    before = fuxin_sample(legacy={"person_order", "hiring_queue"}, seeds=SEEDS_BEFORE)
    after = fuxin_sample()
    bad = disagreements(before, after)
    assert not bad, "the household order disagrees with the former order: " + "; ".join(bad)


def test_the_count_draws_are_the_code_before(load_tiny, run_columns, monkeypatch) -> None:
    """``COUNT_DRAWS`` really is the other side of the comparison above: the keyed draws change
    the results."""
    import numpy as np

    sc = load_tiny("run.end_year=2000", seed=3)
    now = run_columns(sc)
    monkeypatch.setattr(draws, "COUNT_DRAWS", frozenset((*draws.COUNT_DRAWN, *draws.KEYED_ONLY)))
    before = run_columns(sc)
    assert not np.array_equal(now["population"], before["population"]) or not np.array_equal(
        now["unemployed_persons"], before["unemployed_persons"]
    )


def test_the_legacy_draws_are_the_code_before(load_tiny, run_columns, monkeypatch) -> None:
    """``LEGACY_DRAWS`` really is the other side: every mechanism draws per person, and the
    count draws change the results (so the comparisons above compare two different codes)."""
    import numpy as np

    sc = load_tiny("run.end_year=2000", seed=3)
    now = run_columns(sc)
    monkeypatch.setattr(draws, "LEGACY_DRAWS", frozenset(draws.COUNT_DRAWN))
    before = run_columns(sc)
    assert not np.array_equal(now["population"], before["population"]) or not np.array_equal(
        now["unemployed_persons"], before["unemployed_persons"]
    )


def test_the_agreement_test_detects_a_large_bias_in_the_quit_rate(fuxin_sample, disagreements) -> None:
    """The power of the comparison above: quits twice as frequent (0.006 to 0.012 a month) are
    rejected, through the job seekers (see the module's docstring for smaller biases)."""
    after = fuxin_sample()
    biased = fuxin_sample(overrides=("labour.quit_rate_per_month=0.012",), seeds=SEEDS_BEFORE)
    bad = disagreements({k: after[k] for k in MAIN}, {k: biased[k] for k in MAIN})
    assert any(b.startswith("unemployed_persons") for b in bad), bad


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("SIM_SCALE10_AGREEMENT"),
    reason="opt-in (about 2 minutes on 2 cores): SIM_SCALE10_AGREEMENT=1; run it before regenerating the regression values for a change of draws",
)
def test_keyed_draws_agree_with_the_per_person_and_count_draws_at_scale_10(seed_sample, disagreements) -> None:
    """Every count draw at once against every per-person draw, at scale 10 (189,000 person rows),
    20 seeds a side, 2000-2005: the indicators' spread from seed to seed is about four times
    smaller than at the default scale."""
    scenario = load_scenario(FUXIN, overrides=[f"run.end_year={END_YEAR}"], scale=10)
    saved = draws.LEGACY_DRAWS, draws.COUNT_DRAWS
    after = seed_sample(scenario, SEEDS_AFTER, ALL)
    try:
        draws.LEGACY_DRAWS = frozenset((*draws.COUNT_DRAWN, *draws.KEYED_ONLY))
        before = seed_sample(scenario, SEEDS_BEFORE, ALL)
        draws.LEGACY_DRAWS, draws.COUNT_DRAWS = frozenset(), frozenset((*draws.COUNT_DRAWN, *draws.KEYED_ONLY))
        counted = seed_sample(scenario, SEEDS_BEFORE, ALL)
    finally:
        draws.LEGACY_DRAWS, draws.COUNT_DRAWS = saved
    bad = disagreements(before, after)
    assert not bad, "the keyed draws disagree with the per-person draws at scale 10: " + "; ".join(bad)
    bad = disagreements(counted, after)
    assert not bad, "the keyed draws disagree with the count draws at scale 10: " + "; ".join(bad)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("SIM_SCALE10_AGREEMENT"),
    reason="opt-in (about 2 minutes on 2 cores): SIM_SCALE10_AGREEMENT=1",
)
def test_household_order_agrees_with_the_former_order_at_scale_10(seed_sample, disagreements) -> None:
    """At scale 10, 20 seeds a side, 2000-2005: persons in household order, the hires queued in a
    keyed random order, against the order persons came in and the hires queued in row order."""
    scenario = load_scenario(FUXIN, overrides=[f"run.end_year={END_YEAR}"], scale=10)
    saved = draws.LEGACY_DRAWS
    after = seed_sample(scenario, SEEDS_AFTER, ALL)
    try:
        draws.LEGACY_DRAWS = frozenset({"person_order", "hiring_queue"})
        before = seed_sample(scenario, SEEDS_BEFORE, ALL)
    finally:
        draws.LEGACY_DRAWS = saved
    bad = disagreements(before, after)
    assert not bad, "the household order disagrees with the former order at scale 10: " + "; ".join(bad)
