"""The initial city: persons, statuses, employment by sector, mines and housing from the scenario."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model.demography import SCHOOL_START_AGE_YEARS
from simulator.model.labour_market import employees
from simulator.model.sectors import (
    AGRI,
    CHILD,
    COAL,
    EMPLOYED,
    N_SECTORS,
    PUBLIC,
    RETIRED,
    SECTOR_NAMES,
    SEEKING,
    SHANTYTOWN,
    SKILL_NAMES,
    STUDENT,
    SUBSIDENCE,
)


def test_population_and_households(tiny_model) -> None:
    m = tiny_model
    sc = m.scenario
    p, hh = m.persons, m.households
    assert m.population == sc.population.persons  # scale 1: one row per person
    assert np.all(p.view("present")) and np.all(hh.view("present"))
    size = p.n / hh.n
    assert size == pytest.approx(sc.population.household_size_mean_persons, rel=0.05)
    adults = p.view("age_m") >= 18 * 12
    assert np.all(
        np.bincount(p.view("household")[adults], minlength=hh.n) > 0
    )  # an adult in every household
    female = p.view("female").mean()
    assert female == pytest.approx(sc.population.female_share, abs=0.03)


def test_statuses_follow_age(tiny_model) -> None:
    m = tiny_model
    p = m.persons
    age_y = p.view("age_m") // 12
    status = p.view("status")
    assert np.all(status[age_y < SCHOOL_START_AGE_YEARS] == CHILD)
    leave = m.school_leaving_age[p.view("skill")]
    assert np.all(status[(age_y >= SCHOOL_START_AGE_YEARS) & (age_y < leave)] == STUDENT)
    retired = p.view("age_m") >= m.retirement_age_months(p.view("female"), p.view("skill"))
    assert np.all(status[retired] == RETIRED)
    assert np.all(
        p.view("pension")[retired] == m.scenario.population.initial_pension_yuan_per_month
    )
    assert not np.any(retired & (status == EMPLOYED))


def test_employment_by_sector_and_mines_follow_the_scenario(tiny_model) -> None:
    m = tiny_model
    sc = m.scenario
    p, f = m.persons, m.firms
    emp = p.view("status") == EMPLOYED
    by_sector = np.bincount(f.sector[p.view("employer")[emp]], minlength=N_SECTORS)
    for s, name in enumerate(SECTOR_NAMES):
        assert by_sector[s] == sc.sectors[name].initial_employment_persons, name
    assert np.all(p.view("exp_sector")[emp] == f.sector[p.view("employer")[emp]])
    assert np.isin(p.view("status"), SEEKING).sum() == sc.population.unemployed_persons  # informal work included
    # public units: per 1000 residents, in services
    public = f.ownership[: f.n] == PUBLIC
    assert np.all(f.sector[: f.n][public] == SECTOR_NAMES.index("services"))
    n_public = employees(m)[public].sum()
    assert n_public == pytest.approx(
        sc.labour.public_employment_per_1000_residents * sc.population.persons / 1000, abs=1
    )
    # one row per mine, with its workers, reserves and capacity
    mines = np.flatnonzero(f.is_mine[: f.n])
    assert len(mines) == len(sc.coal.mines)
    L = employees(m)
    for row, mine in zip(mines, sc.coal.mines, strict=True):
        assert f.sector[row] == COAL
        assert L[row] == mine.workers_persons
        assert f.reserves[row] == f.reserves0[row] == mine.reserves_tonnes
        assert f.capacity_t[row] == mine.capacity_tonnes_per_year
    # minimum skill of the sector
    min_skill = np.array([SKILL_NAMES.index(c.min_skill) for c in m.sector_cfg])
    assert np.all(p.view("skill")[emp] >= min_skill[f.sector[p.view("employer")[emp]]])
    # farm workers live in rural households first
    farm_hh = p.view("household")[emp & (p.view("exp_sector") == AGRI)]
    assert m.rural_household[farm_hh].mean() > 0.9


def test_housing_follows_the_scenario(tiny_model) -> None:
    m = tiny_model
    sc = m.scenario
    housing = m.households.view("housing")
    assert (housing == SHANTYTOWN).sum() == sc.population.shantytown_households
    assert (housing == SUBSIDENCE).sum() == sc.population.subsidence_households
    assert not np.any(m.rural_household[: m.households.n][housing == SHANTYTOWN])


def test_initial_money(tiny_model) -> None:
    m = tiny_model
    p, f = m.persons, m.firms
    emp = p.view("status") == EMPLOYED
    assert np.all(p.view("wage")[emp] > 0) and np.all(p.view("wage")[~emp] == 0)
    assert np.all(f.view("cash") >= 0) and np.all(f.view("debt") == 0)
    assert m.government.cash == 0 and m.government.debt == 0
    assert np.all(m.households.view("savings") >= 0)


def test_subsidence_households_may_be_rural_and_are_all_placed(load_tiny, build_model) -> None:
    m = build_model(load_tiny("population.subsidence_households=400"))
    housing = m.households.view("housing")
    assert (housing == SUBSIDENCE).sum() == 400
    assert (housing == SHANTYTOWN).sum() == m.scenario.population.shantytown_households
    assert m.rural_household[: m.households.n][housing == SUBSIDENCE].any()


def test_more_shantytown_than_urban_households_is_refused(load_tiny, build_model) -> None:
    with pytest.raises(ValueError, match="shantytown_households"):
        build_model(load_tiny("population.shantytown_households=1000"))
