"""Migration: the leave probability's multipliers, out-migration, in-migrant households."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import migration
from simulator.model.accounts import HH, ROW
from simulator.model.migration import add_in_migrants, leave_probability
from simulator.model.sectors import (
    CHILD,
    EMPLOYED,
    REHOUSED,
    SHANTYTOWN,
    STANDARD,
    SUBSIDENCE,
    UNEMPLOYED,
)


def _plain_household(m) -> int:
    """A standard-housing household with one working-age earner and no young or high-skill adult."""
    p, hh = m.persons, m.households
    n = p.n
    mg = m.scenario.migration
    age_y = p.age_m[:n] // 12
    young_or_high = (age_y >= 16) & (age_y <= mg.young_adult_max_age_years) | (p.skill[:n] == 2)
    bad = np.bincount(p.household[:n][young_or_high], minlength=hh.n) > 0
    earners = np.bincount(p.household[:n][p.status[:n] == EMPLOYED], minlength=hh.n)
    ok = np.flatnonzero(~bad & (earners == 1) & (hh.housing[: hh.n] == STANDARD))
    assert len(ok) > 0
    return int(ok[0])


def test_leave_probability_multipliers(load_tiny, build_model) -> None:
    sc = load_tiny(
        "migration.wage_gap_elasticity=0",  # the wage gap moves when someone loses a job: keep it out
        "migration.shantytown_multiplier=0.5",
        "migration.subsidence_multiplier=2.0",
        "migration.rehoused_multiplier=0.25",
        "migration.no_earner_multiplier=3.0",
    )
    m = build_model(sc)
    p, hh = m.persons, m.households
    h = _plain_household(m)
    base = leave_probability(m)[h]
    assert base == pytest.approx(m.scenario.migration.out_base_rate_per_year / 12.0)
    for housing, mult in ((SHANTYTOWN, 0.5), (SUBSIDENCE, 2.0), (REHOUSED, 0.25)):
        hh.housing[h] = housing
        assert leave_probability(m)[h] == pytest.approx(base * mult)
    hh.housing[h] = STANDARD
    earner = np.flatnonzero((p.view("household") == h) & (p.view("status") == EMPLOYED))
    p.status[earner] = UNEMPLOYED
    p.employer[earner] = -1
    assert leave_probability(m)[h] == pytest.approx(base * 3.0)


def test_leave_probability_directions_in_the_fuxin_data(tiny_model) -> None:
    """The baseline's multipliers: no earner and subsidence push out; shantytown and new housing hold."""
    m = tiny_model
    mg = m.scenario.migration
    hh = m.households
    h = _plain_household(m)
    probs = {}
    for housing in (STANDARD, SHANTYTOWN, SUBSIDENCE, REHOUSED):
        hh.housing[h] = housing
        probs[housing] = leave_probability(m)[h]
    assert probs[SHANTYTOWN] < probs[STANDARD] and mg.shantytown_multiplier < 1
    assert probs[REHOUSED] < probs[STANDARD] and mg.rehoused_multiplier < 1
    assert probs[SUBSIDENCE] > probs[STANDARD]
    assert mg.no_earner_multiplier > 1 and mg.young_adult_multiplier > 1


def test_households_without_working_age_members_and_absent_households_do_not_leave(
    tiny_model,
) -> None:
    m = tiny_model
    p, hh = m.persons, m.households
    h = _plain_household(m)
    members = np.flatnonzero(p.view("household") == h)
    p.age_m[members] = 70 * 12
    assert leave_probability(m)[h] == 0.0
    h2 = _plain_household(m)
    hh.present[h2] = False
    assert leave_probability(m)[h2] == 0.0


def test_out_migrants_leave_with_their_savings_and_are_counted(load_tiny, build_model) -> None:
    m = build_model(
        load_tiny("migration.out_base_rate_per_year=1", "migration.in_base_households_per_year=0")
    )
    p, hh = m.persons, m.households
    n0, nh0 = p.n, hh.n
    present0 = p.view("present").copy()
    hh_present0 = hh.view("present").copy()
    savings0 = hh.view("savings").copy()
    m.counts.update(dict.fromkeys(m.counts, 0))
    row0 = m.row.balance
    migration.step(m)
    left_hh = hh_present0 & ~hh.present[:nh0]
    left_p = present0 & ~p.present[:n0]
    assert left_hh.sum() > 0
    # whole households leave: every person who left belongs to a household that left, and back
    assert np.array_equal(np.unique(p.household[:n0][left_p]), np.flatnonzero(left_hh))
    assert m.counts["out"] == int(left_p.sum()) * m.scale
    assert np.all(hh.savings[:nh0][left_hh] == 0.0)
    taken = float(savings0[left_hh].sum()) * m.scale
    assert m.ledger.get("migrants_savings_out") == pytest.approx(taken)
    assert m.ledger.parties["migrants_savings_out"] == (HH, ROW)
    # in-migrants (vacancy-driven) are the only other change to the rest of the world
    arrived = m.ledger.get("migrants_savings_in")
    assert m.row.balance - row0 == pytest.approx(taken - arrived)


def test_in_migrants_are_appended_and_counted(tiny_model) -> None:
    m = tiny_model
    p, hh = m.persons, m.households
    n0, nh0 = p.n, hh.n
    m.counts.update(dict.fromkeys(m.counts, 0))
    k = 40
    add_in_migrants(m, k, np.random.default_rng(1))
    mg = m.scenario.migration
    assert hh.n == nh0 + k
    new_hh = np.arange(nh0, nh0 + k)
    assert np.all(hh.present[new_hh]) and np.all(hh.housing[new_hh] == STANDARD)
    np.testing.assert_allclose(hh.savings[new_hh], mg.in_savings_yuan_per_household)
    new = np.arange(n0, p.n)
    assert m.counts["in"] == len(new) * m.scale
    assert set(p.household[new]) == set(new_hh)  # every new household has members, only new ones
    assert np.all(p.present[new]) and np.all(p.employer[new] == -1)
    adults = p.status[new] == UNEMPLOYED
    assert np.all(adults | (p.status[new] == CHILD))
    age_y = p.age_m[new] // 12
    lo, hi = mg.in_adult_age_min_years, mg.in_adult_age_max_years
    assert np.all((age_y[adults] >= lo) & (age_y[adults] <= hi))
    per_hh = np.bincount(p.household[new][adults] - nh0, minlength=k)
    assert np.all((per_hh >= 1) & (per_hh <= 2))
    amount = mg.in_savings_yuan_per_household * k * m.scale
    assert m.ledger.get("migrants_savings_in") == pytest.approx(amount)
    assert m.ledger.parties["migrants_savings_in"] == (ROW, HH)
    assert len(m.hh_income) >= hh.n
