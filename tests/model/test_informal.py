"""Labour-market institutions: informal work, early retirement of laid-off state workers."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import labour_market, migration, production
from simulator.model.labour_market import employees, informal_earnings, informal_work
from simulator.model.sectors import (
    EMPLOYED,
    INFORMAL,
    PRIVATE,
    RETIRED,
    SERV,
    UNEMPLOYED,
)

QUIET = (  # no quits, no discouraged exits: only the rule under test moves people
    "labour.quit_rate_per_month=0",
    "labour.discouraged_exit_rate_per_month_age_50_plus=0",
)


def _seekers(m) -> np.ndarray:
    """The job seekers, after sending those the build put in informal work back to plain search."""
    status = m.persons.view("status")
    status[status == INFORMAL] = UNEMPLOYED
    return np.flatnonzero(status == UNEMPLOYED)


@pytest.mark.parametrize(("entry", "exit_"), [(0.03, 0.02), (0.01, 0.04)])
def test_the_initial_city_has_the_steady_state_share_in_informal_work(load_tiny, build_model, entry, exit_) -> None:
    m = build_model(load_tiny(f"labour.informal.entry_rate_per_month={entry}", f"labour.informal.exit_rate_per_month={exit_}"))
    status = m.persons.view("status")
    n_inf, n_seek = np.count_nonzero(status == INFORMAL), np.count_nonzero(status == UNEMPLOYED)
    share = entry / (entry + exit_)
    n = n_inf + n_seek
    assert abs(n_inf - share * n) <= 4 * np.sqrt(n * share * (1 - share)) + 1
    m0 = build_model(load_tiny("labour.informal.entry_rate_per_month=0"))
    assert not np.any(m0.persons.view("status") == INFORMAL)
    assert np.count_nonzero(m0.persons.view("status") == UNEMPLOYED) == n  # the same job seekers in all


def test_every_job_seeker_starts_informal_work_at_rate_one_and_stops_at_exit_rate_one(load_tiny, build_model) -> None:
    m = build_model(load_tiny("labour.informal.entry_rate_per_month=0.9999999", "labour.informal.exit_rate_per_month=0"))
    seekers = _seekers(m)
    assert len(seekers) > 10
    informal_work(m)
    assert np.all(m.persons.status[seekers] == INFORMAL)
    assert not np.any(m.persons.view("status") == UNEMPLOYED)
    m.scenario.labour.informal.entry_rate_per_month = 0.0
    m.scenario.labour.informal.exit_rate_per_month = 0.9999999
    m.persons.unemp_months[seekers] = 7
    informal_work(m)
    assert np.all(m.persons.status[seekers] == UNEMPLOYED)
    assert np.all(m.persons.unemp_months[seekers] == 7)  # the spell goes on: no new benefit entitlement


def test_the_spell_runs_on_in_informal_work(load_tiny, build_model) -> None:
    m = build_model(load_tiny(*QUIET, "labour.matching_efficiency_per_month=1e-12"))
    rows = _seekers(m)[:10]
    m.persons.status[rows] = INFORMAL
    m.persons.unemp_months[rows] = 3
    labour_market.step(m)
    assert np.all(m.persons.status[rows] == INFORMAL)
    assert np.all(m.persons.unemp_months[rows] == 4)


def test_nobody_moves_with_both_rates_zero(load_tiny, build_model) -> None:
    m = build_model(load_tiny("labour.informal.entry_rate_per_month=0", "labour.informal.exit_rate_per_month=0"))
    before = m.persons.view("status").copy()
    informal_work(m)
    assert np.array_equal(before, m.persons.view("status"))


@pytest.mark.parametrize("rate", [0.1, 0.4])
def test_share_starting_informal_work_is_the_entry_rate(load_tiny, build_model, rate) -> None:
    m = build_model(load_tiny(f"labour.informal.entry_rate_per_month={rate}", "labour.informal.exit_rate_per_month=0"))
    seekers = _seekers(m)
    informal_work(m)
    k = int(np.count_nonzero(m.persons.status[seekers] == INFORMAL))
    n = len(seekers)
    assert abs(k - rate * n) <= 4 * np.sqrt(n * rate * (1 - rate)) + 1


def test_informal_earnings_are_the_share_of_the_services_wage_up_to_the_ceiling(load_tiny, build_model) -> None:
    m = build_model(load_tiny("labour.informal.earnings_share_of_services_wage=0.5"))
    rows = _seekers(m)[:20]
    m.persons.status[rows] = INFORMAL
    norm = m.sector_par["relative_wage"][SERV] * m.base_wage()
    want = len(rows) * m.scale * 0.5 * norm
    total, got_rows = informal_earnings(m, services_demand=1e15)
    assert np.array_equal(got_rows, rows)
    assert total == pytest.approx(want)
    cap = m.scenario.labour.informal.max_share_of_household_services_demand
    total, _ = informal_earnings(m, services_demand=want / cap / 4)  # the ceiling binds
    assert total == pytest.approx(want / 4)
    m.persons.status[rows] = UNEMPLOYED
    assert informal_earnings(m, services_demand=1e15)[0] == 0.0


def test_informal_earnings_reach_the_households_and_services_value_added(load_tiny, build_model) -> None:
    m = build_model(load_tiny())
    m.step()  # a month with every mechanism (strict: the accounting checks hold)
    labour_market.step(m)
    m.persons.status[np.flatnonzero(m.persons.view("status") == UNEMPLOYED)[:30]] = INFORMAL
    rows = np.flatnonzero(m.persons.view("status") == INFORMAL)  # these and those of the first month
    m.hh_income[:] = 0.0
    m.month_va[:] = 0.0
    m.month_va_region[:] = 0.0
    m.ledger.clear()
    m.month_flows["informal_earnings"] = 0.0
    production.step(m)
    pay = m.ledger.get("informal_earnings")
    assert pay > 0
    assert m.month_flows["informal_earnings"] == pytest.approx(pay)
    each = pay / (len(rows) * m.scale)
    hh = m.persons.household[rows]
    counts = np.bincount(hh, minlength=m.households.n)
    assert np.all(m.hh_income[hh] >= counts[hh] * each * (1 - 1e-9))
    assert m.month_va[SERV] >= pay
    assert m.month_va_region.sum() == pytest.approx(m.month_va.sum())


def test_the_accounts_hold_with_informal_work(load_tiny, build_model) -> None:
    """Strict models stop on any stock-flow violation: a year with many informal workers."""
    m = build_model(load_tiny("labour.informal.entry_rate_per_month=0.5"))
    for _ in range(12):
        m.step()
    assert m.failure() is None
    row = m.recorder.rows[-1]
    assert row["informal_workers"] > 0
    assert row["employment_census"] == row["employment_total"] + row["informal_workers"]
    assert row["job_seekers"] == row["unemployed_persons"] + row["informal_workers"]
    assert row["employment_services_census"] == row["employment_services"] + row["informal_workers"]
    assert row["informal_earnings"] > 0


def test_informal_workers_search_with_their_intensity(load_tiny, build_model) -> None:
    sc = load_tiny(*QUIET, "labour.informal.search_intensity=0", "labour.matching_efficiency_per_month=1")
    m = build_model(sc)
    seekers = _seekers(m)
    informal = seekers[::2]
    m.persons.status[informal] = INFORMAL
    m.firms.target[: m.firms.n] = np.where(m.firms.alive[: m.firms.n], employees(m) + 50, 0)  # plenty of vacancies
    labour_market.step(m)
    assert m.hires > 0
    assert np.all(m.persons.status[informal] == INFORMAL)  # intensity 0: never hired


def test_informal_workers_are_hired_at_full_intensity(load_tiny, build_model) -> None:
    sc = load_tiny(*QUIET, "labour.informal.search_intensity=1", "labour.matching_efficiency_per_month=1")
    m = build_model(sc)
    informal = _seekers(m)[::2]
    m.persons.status[informal] = INFORMAL
    m.firms.target[: m.firms.n] = np.where(m.firms.alive[: m.firms.n], employees(m) + 50, 0)
    labour_market.step(m)
    assert np.any(m.persons.status[informal] == EMPLOYED)


def test_migration_counts_informal_workers_as_without_a_job(tiny_model) -> None:
    m = tiny_model
    before = [migration.pool_wage_and_unemployment(m, farm) for farm in (False, True)]
    rate = migration.labour_force_unemployment_rate(m)
    m.persons.status[_seekers(m)[::2]] = INFORMAL
    assert [migration.pool_wage_and_unemployment(m, farm) for farm in (False, True)] == before
    assert migration.labour_force_unemployment_rate(m) == rate


@pytest.mark.parametrize("years", [0.0, 5.0])
def test_laid_off_state_workers_near_their_statutory_age_retire(load_tiny, build_model, years) -> None:
    sc = load_tiny(
        *QUIET,
        "labour.layoff_share_of_excess_per_month_private=1",
        "labour.layoff_share_of_excess_per_month_soe=1",
        "labour.matching_efficiency_per_month=1e-12",  # nobody is hired back
        f"labour.early_retirement_years_before_statutory={years}",
        "labour.early_retirement_take_up_share=1",
    )
    m = build_model(sc)
    p, f = m.persons, m.firms
    emp = np.flatnonzero(p.view("status") == EMPLOYED)
    employer = p.employer[emp].copy()
    ret_age = m.retirement_age_months(p.female[emp], p.skill[emp])
    near = p.age_m[emp] >= ret_age - 60  # within five years
    state = f.ownership[employer] != PRIVATE
    f.target[: f.n] = 0.0  # every worker is laid off
    labour_market.step(m)
    laid = p.status[emp] != EMPLOYED
    assert np.all(laid | (p.welfare_job[emp]))
    early = laid & near & state
    assert early.any() and (laid & near & ~state).any()
    if years:
        assert np.all(p.status[emp[early]] == RETIRED)
        assert np.all(p.status[emp[laid & near & ~state]] == UNEMPLOYED)  # private firms: no early retirement
        assert m.month_flows["early_retirements"] == early.sum() * m.scale
    else:
        assert not np.any(p.status[emp[laid]] == RETIRED)
    assert np.all(np.isin(p.status[emp[laid & ~near]], [UNEMPLOYED, INFORMAL]))


def test_a_share_of_those_eligible_take_up_early_retirement(load_tiny, build_model) -> None:
    sc = load_tiny(
        *QUIET,
        "labour.layoff_share_of_excess_per_month_soe=1",
        "labour.matching_efficiency_per_month=1e-12",
        "labour.early_retirement_years_before_statutory=10",
        "labour.early_retirement_take_up_share=0.5",
    )
    m = build_model(sc)
    p, f = m.persons, m.firms
    emp = np.flatnonzero(p.view("status") == EMPLOYED)
    ret_age = m.retirement_age_months(p.female[emp], p.skill[emp])
    eligible = emp[(p.age_m[emp] >= ret_age - 120) & (f.ownership[p.employer[emp]] != PRIVATE) & ~p.welfare_job[emp]]
    f.target[: f.n] = 0.0
    labour_market.step(m)
    n, k = len(eligible), int(np.count_nonzero(p.status[eligible] == RETIRED))
    assert n > 30
    assert abs(k - 0.5 * n) <= 4 * np.sqrt(n * 0.25) + 1
