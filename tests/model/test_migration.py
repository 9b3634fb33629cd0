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
    INACTIVE,
    REHOUSED,
    RETIRED,
    SEEKING,
    SHANTYTOWN,
    STANDARD,
    STUDENT,
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
        "migration.income_elasticity=0",  # expected incomes move when someone loses a job: keep them out
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
    assert mg.no_earner_multiplier > 1
    assert mg.young_adult_multiplier == 1  # the young leave alone (individual rule): not counted twice


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
        load_tiny("migration.out_base_rate_per_year=1", "migration.in_base_households_per_year=0",
                  "migration.individual.base_rate_per_year=0", "migration.graduates_staying_away_share=0")
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


# ------------------------------------------------------------ expected income


def _set_labour_force(m, employed: int, seeking: int, farm: tuple[int, int] = (0, 0)) -> None:
    """Make exactly ``employed`` and ``seeking`` present persons of the non-farm pool hold those
    statuses, and ``farm`` (employed, seeking) of the farm pool (wages 500 and 200; the rest inactive)."""
    from simulator.model.sectors import AGRI

    p = m.persons
    active = np.flatnonzero(p.view("present") & np.isin(p.view("status"), (EMPLOYED, UNEMPLOYED, INACTIVE)))
    assert len(active) >= employed + seeking + sum(farm)
    p.status[active] = INACTIVE
    p.exp_sector[active] = 5  # services
    p.status[active[:employed]] = EMPLOYED
    p.wage[active[:employed]] = 500.0
    p.status[active[employed : employed + seeking]] = UNEMPLOYED
    k = employed + seeking
    p.exp_sector[active[k : k + sum(farm)]] = AGRI
    p.status[active[k : k + farm[0]]] = EMPLOYED
    p.wage[active[k : k + farm[0]]] = 200.0
    p.status[active[k + farm[0] : k + sum(farm)]] = UNEMPLOYED


def test_expected_income_ratios_by_hand(load_tiny, build_model) -> None:
    m = build_model(load_tiny("migration.destination_wage_yuan_per_month={2000: 1000}",
                              "migration.rural_destination_wage_yuan_per_month={2000: 600}",
                              "migration.destination_unemployment_rate={2000: 0.1}",
                              "labour.informal.entry_rate_per_month=0"))  # (nobody in informal work)
    _set_labour_force(m, employed=75, seeking=25, farm=(40, 10))
    assert migration.pool_wage_and_unemployment(m, farm=False) == pytest.approx((500.0, 0.25))
    assert migration.pool_wage_and_unemployment(m, farm=True) == pytest.approx((200.0, 0.2))
    # urban (1000 x 0.9) / (500 x 0.75); rural (600 x 0.9) / (200 x 0.8)
    np.testing.assert_allclose(migration.expected_income_ratios(m), [900.0 / 375.0, 540.0 / 160.0])
    _set_labour_force(m, employed=50, seeking=50, farm=(40, 10))  # job losses at home raise the ratio
    assert migration.expected_income_ratio(m) == pytest.approx(900.0 / 250.0)
    _set_labour_force(m, employed=0, seeking=10)  # no work at all: a finite ratio, leaving certain
    assert np.all(np.isfinite(migration.expected_income_ratios(m)))


def test_farm_households_leave_by_the_rural_ratio(load_tiny, build_model) -> None:
    from simulator.model.sectors import AGRI

    m = build_model(load_tiny("migration.income_elasticity=1.0"))
    p = m.persons
    rural = migration.rural_households(m)
    farm_hh = np.unique(p.household[: p.n][p.present[: p.n] & (p.exp_sector[: p.n] == AGRI)])
    assert set(np.flatnonzero(rural)) == set(farm_hh) and 0 < rural.sum() < m.households.n
    both_1 = migration._leave_probability_and_working_age(m, np.array([1.0, 1.0]), rural)[0]
    rural_3 = migration._leave_probability_and_working_age(m, np.array([1.0, 3.0]), rural)[0]
    np.testing.assert_allclose(rural_3[~rural[: len(both_1)]], both_1[~rural[: len(both_1)]])
    np.testing.assert_allclose(rural_3[rural[: len(both_1)]], np.minimum(3.0 * both_1[rural[: len(both_1)]], 1.0))


def test_household_leaving_scales_with_expected_income_to_the_elasticity(load_tiny, build_model) -> None:
    m = build_model(load_tiny("migration.income_elasticity=1.5"))
    h = _plain_household(m)
    mg = m.scenario.migration
    rural = migration.rural_households(m)
    low = migration._leave_probability_and_working_age(m, np.array([1.0, 1.0]), rural)[0][h]
    high = migration._leave_probability_and_working_age(m, np.array([2.0, 2.0]), rural)[0][h]
    assert low == pytest.approx(mg.out_base_rate_per_year / 12.0)  # equal incomes: the base rate
    assert high / low == pytest.approx(2.0**1.5)


def _two_person_household_member(m, age_years: int, status: int) -> int:
    """A person row of a household of exactly two present members, set to ``age_years`` and ``status``."""
    p, hh = m.persons, m.households
    h = int(np.flatnonzero(hh.view("present") & (hh.view("members") == 2))[0])
    i = int(np.flatnonzero(p.view("present") & (p.view("household") == h))[0])
    p.age_m[i] = 12 * age_years
    p.status[i] = status
    p.skill[i] = 1  # medium
    p.female[i] = False
    return i


def test_individual_leaving_probability_by_hand(load_tiny, build_model) -> None:
    m = build_model(load_tiny(
        "migration.individual.base_rate_per_year=0.12",
        "migration.individual.age_profile={16: 0.5, 20: 1.0, 30: 0.0}",
        "migration.individual.unemployed_multiplier=3.0",
        "migration.individual.high_skill_multiplier=2.0",
        "migration.income_elasticity=1.0",
    ))
    p = m.persons
    i = _two_person_household_member(m, 22, EMPLOYED)
    prob = lambda: migration.individual_leave_probability(m, 2.0)[i]  # noqa: E731
    assert prob() == pytest.approx(0.01 * 2.0)  # 0.12 / 12 x R x profile 1
    p.age_m[i] = 12 * 17
    assert prob() == pytest.approx(0.01 * 2.0 * 0.5)
    p.age_m[i] = 12 * 31  # beyond the profile: stays
    assert prob() == 0.0
    p.age_m[i] = 12 * 22
    p.status[i] = UNEMPLOYED
    assert prob() == pytest.approx(0.01 * 2.0 * 3.0)
    p.skill[i] = 2
    assert prob() == pytest.approx(0.01 * 2.0 * 3.0 * 2.0)
    for status in (STUDENT, RETIRED, CHILD):
        p.status[i] = status
        assert prob() == 0.0
    p.status[i] = EMPLOYED
    p.present[i] = False
    assert prob() == 0.0


def test_a_person_living_alone_does_not_leave_alone(load_tiny, build_model) -> None:
    m = build_model(load_tiny("migration.individual.base_rate_per_year=1"))
    p, hh = m.persons, m.households
    single = np.flatnonzero(hh.view("present") & (hh.view("members") == 1))
    rows = np.flatnonzero(p.view("present") & np.isin(p.view("household"), single))
    p.age_m[rows] = 12 * 20
    p.status[rows] = EMPLOYED
    assert np.all(migration.individual_leave_probability(m, 1.0)[rows] == 0.0)


def test_persons_leaving_alone_leave_their_households_and_savings(load_tiny, build_model) -> None:
    m = build_model(load_tiny())
    p, hh = m.persons, m.households
    i = _two_person_household_member(m, 25, EMPLOYED)
    h = int(p.household[i])
    savings = float(hh.savings[h])
    m.counts.update(dict.fromkeys(m.counts, 0))
    assert migration.persons_leave(m, np.array([i])) == 1
    assert not p.present[i] and hh.present[h] and hh.members[h] == 1
    assert hh.savings[h] == savings  # the household keeps its savings
    assert m.ledger.get("migrants_savings_out") == 0.0
    assert m.counts["out"] == m.scale
    assert m.out_migrant_stock == m.scale  # of working age: may return


def test_when_every_member_leaves_alone_the_household_leaves_with_its_savings(load_tiny, build_model) -> None:
    m = build_model(load_tiny())
    p, hh = m.persons, m.households
    i = _two_person_household_member(m, 25, EMPLOYED)
    h = int(p.household[i])
    both = np.flatnonzero(p.view("present") & (p.view("household") == h))
    savings = float(hh.savings[h]) * m.scale
    assert migration.persons_leave(m, both) == 2
    assert not hh.present[h] and not p.present[both].any()
    assert m.ledger.get("migrants_savings_out") == pytest.approx(savings)
    assert m.ledger.get("estates_to_heirs_outside") == 0.0


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_graduates_stay_away_with_the_scenario_share(load_tiny, build_model, share) -> None:
    m = build_model(load_tiny(f"migration.graduates_staying_away_share={share}",
                              "migration.out_base_rate_per_year=0", "migration.individual.base_rate_per_year=0"))
    p = m.persons
    i = _two_person_household_member(m, 0, UNEMPLOYED)
    p.skill[i] = 2
    p.age_m[i] = 12 * int(m.school_leaving_age[2])
    assert list(migration.graduates(m)) == [i] or i in migration.graduates(m)
    migration.step(m)
    assert p.present[i] == (share == 0.0)


def test_return_migrants_come_from_the_out_migrant_stock(load_tiny, build_model) -> None:
    m = build_model(load_tiny(
        "migration.return_rate_per_year=0.6", "migration.return_stock_exit_rate_per_year=0.12",
        "migration.out_base_rate_per_year=0", "migration.individual.base_rate_per_year=0",
        "migration.graduates_staying_away_share=0", "migration.in_base_households_per_year=0",
        "migration.in_vacancy_fill_share_per_month=0",
    ))
    stock = 100_000.0 * m.scale
    m.out_migrant_stock = stock
    m.counts.update(dict.fromkeys(m.counts, 0))
    migration.step(m)
    arrived = m.counts["in"]
    assert m.month_flows["return_migrants"] == arrived > 0
    # a month: 5% of the stock returns (in expectation), 1% exits, the arrivals leave the stock
    assert m.out_migrant_stock == pytest.approx(stock * 0.99 - arrived)
    assert arrived == pytest.approx(stock * 0.05, rel=0.1)  # Poisson households of 2.2 persons: sd about 2.3%


def test_job_loss_at_home_drives_people_out(load_tiny, build_model) -> None:
    """Across paired seeds, a labour force with more job seekers loses more people to migration."""
    out = {}
    for label, seeking_share in (("work", 0.05), ("no_work", 0.5)):
        counts = []
        for seed in range(8):
            m = build_model(load_tiny(seed=seed))
            p = m.persons
            lf = np.flatnonzero(p.view("present") & np.isin(p.view("status"), (EMPLOYED, *SEEKING)))
            k = int(seeking_share * len(lf))
            p.status[lf[:k]] = UNEMPLOYED
            p.employer[lf[:k]] = -1
            p.status[lf[k:]] = EMPLOYED
            m.average_wage = 600.0
            m.counts.update(dict.fromkeys(m.counts, 0))
            migration.step(m)
            counts.append(m.counts["out"])
        out[label] = np.array(counts)
    # (the leavers are drawn as counts, so the same seed does not pair the two cases draw by draw:
    # the totals over the seeds are compared, beyond four Poisson standard deviations)
    a, b = out["no_work"].sum(), out["work"].sum()
    assert a - b > 4 * np.sqrt(a + b), (out["no_work"], out["work"])


# ------------------------------------------------------------ arrivals by expected income


@pytest.mark.parametrize("elasticity", [0.0, 1.5])
def test_arrivals_move_with_expected_income_to_the_elasticity(load_tiny, build_model, elasticity) -> None:
    """The base flow of arrivals scales with (R / R_start)^-e: 1 before the first month and at the
    start, lower when the city falls behind the destinations, higher when it catches up."""
    from simulator.model.migration import START_MONTHS, in_migration_pull

    m = build_model(load_tiny(f"migration.in_income_elasticity={elasticity}"))
    assert m.expected_income_ratio_start is None
    assert in_migration_pull(m) == 1.0  # no month yet
    seen = []
    for _ in range(START_MONTHS):
        assert in_migration_pull(m) == 1.0  # the first year: no reference yet
        migration.step(m)
        seen.append(m.expected_income_ratio)
    r0 = m.expected_income_ratio_start
    assert r0 == pytest.approx(np.mean(seen)) and r0 > 0  # the first year's mean
    m.expected_income_ratio = r0
    assert in_migration_pull(m) == pytest.approx(1.0)
    m.expected_income_ratio = 2.0 * r0  # the destinations pay twice as much, relatively, as at the start
    assert in_migration_pull(m) == pytest.approx(2.0**-elasticity)
    m.expected_income_ratio = 0.5 * r0
    assert in_migration_pull(m) == pytest.approx(0.5**-elasticity)


def test_a_city_falling_behind_draws_fewer_arrivals(load_tiny, build_model) -> None:
    """Across seeds, the month's in-migrants fall by the pull's factor when the destinations' wage
    doubles against the start (R doubles: factor 2^-1.5 = 0.35 on the base flow; the tiny city's
    base flow raised to 600 households a year for the counts)."""
    counts = {}
    for label, wage_factor in (("same", 1.0), ("behind", 2.0)):
        total = 0
        for seed in range(12):
            m = build_model(load_tiny("migration.in_income_elasticity=1.5", "migration.in_vacancy_fill_share_per_month=0",
                                      "migration.return_rate_per_year=0", "migration.in_base_households_per_year=600",
                                      seed=seed))
            for _ in range(12):
                migration.step(m)  # the first year sets R_start
            if wage_factor != 1.0:
                m.scenario.migration.destination_wage_yuan_per_month = {
                    y: v * wage_factor for y, v in m.scenario.migration.destination_wage_yuan_per_month.items()
                }
            before = m.counts["in"]
            for _ in range(6):
                migration.step(m)
            total += m.counts["in"] - before
        counts[label] = total
    a, b = counts["same"], counts["behind"]
    assert b < a - 4 * np.sqrt(a + b), counts
    # R doubled (the city's own wages and jobs are as at the start, give or take a month's moves)
    assert b / a == pytest.approx(2.0**-1.5, abs=0.08), counts
