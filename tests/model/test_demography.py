"""Demography: the life table, fertility schedule, ageing, retirement, school leaving, removals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from simulator.model import demography
from simulator.model.accounts import HH, ROW
from simulator.model.demography import (
    FERTILE_AGES,
    MAX_AGE_YEARS,
    SCHOOL_START_AGE_YEARS,
    fertility_schedule,
    gompertz_level,
    monthly_death_probability,
)
from simulator.model.sectors import (
    AGRI,
    CHILD,
    EMPLOYED,
    INACTIVE,
    INFORMAL,
    MANUF,
    RETIRED,
    STUDENT,
    UNEMPLOYED,
)

# ------------------------------------------------------------------ life table


@pytest.mark.parametrize(("e0", "slope"), [(73.34, 0.10), (80.5, 0.10), (60.0, 0.08), (45.0, 0.05)])
def test_gompertz_level_gives_the_life_expectancy(e0: float, slope: float) -> None:
    level = gompertz_level(e0, slope)
    assert level > 0
    # life expectancy at birth = integral of survival S(a) = exp(-A/b (e^(ba) - 1)), closed at 110
    got, _ = quad(lambda a: np.exp(-level / slope * np.expm1(slope * a)), 0.0, MAX_AGE_YEARS)
    assert got == pytest.approx(e0, abs=1e-3)


def test_gompertz_level_falls_as_life_expectancy_rises() -> None:
    levels = [gompertz_level(e, 0.1) for e in (60.0, 70.0, 80.0, 90.0)]
    assert all(a > b for a, b in zip(levels, levels[1:], strict=False))


def test_monthly_death_probability_rises_with_age_and_is_one_at_max_age() -> None:
    ages = np.arange(0, MAX_AGE_YEARS + 5, dtype=float)
    p = monthly_death_probability(ages.copy(), gompertz_level(75.0, 0.1), 0.1)
    assert np.all((p >= 0) & (p <= 1))
    below = ages < MAX_AGE_YEARS
    assert np.all(np.diff(p[below]) > 0)
    assert np.all(p[~below] == 1.0)
    # a month's probability from the Gompertz hazard: 1 - exp(-mu(a)/12)
    level = gompertz_level(75.0, 0.1)
    assert p[40] == pytest.approx(1 - np.exp(-level * np.exp(0.1 * 40) / 12), rel=1e-12)


@pytest.mark.parametrize(
    ("tfr", "mean", "sd"), [(0.98, 27.0, 5.0), (1.8, 29.0, 6.0), (0.0, 27.0, 5.0)]
)
def test_fertility_schedule_sums_to_tfr_within_fertile_ages(
    tfr: float, mean: float, sd: float
) -> None:
    sched = fertility_schedule(tfr, mean, sd)
    ages = np.arange(len(sched))
    assert len(sched) == MAX_AGE_YEARS + 1
    assert sched.sum() == pytest.approx(tfr, rel=1e-12, abs=1e-15)
    outside = (ages < FERTILE_AGES[0]) | (ages > FERTILE_AGES[1])
    assert np.all(sched[outside] == 0.0)
    assert np.all(sched >= 0.0)
    if tfr > 0:
        assert int(np.argmax(sched)) == round(mean)


# ------------------------------------------------------------- on a built city


@pytest.fixture
def immortal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody dies (isolates the other demographic rules from the random deaths)."""
    monkeypatch.setattr(
        demography, "monthly_death_probability", lambda ages, level, slope: np.zeros_like(ages)
    )


def test_a_month_ages_every_survivor_by_one_month(tiny_model) -> None:
    m = tiny_model
    p = m.persons
    n0 = p.n
    age0 = p.view("age_m").copy()
    present0 = p.view("present").copy()
    m.step()  # January: no compaction, rows keep their index
    stay = present0 & p.present[:n0]
    assert stay.sum() > 0.9 * present0.sum()
    assert np.array_equal(p.age_m[:n0][stay], age0[stay] + 1)


def test_births_and_deaths_are_counted(tiny_model) -> None:
    m = tiny_model
    p = m.persons
    n0 = p.n
    present0 = p.view("present").copy()
    for _ in range(3):  # a few months so that births and deaths occur
        m.counts.update(dict.fromkeys(m.counts, 0))
        n_before = p.n
        present_before = p.view("present").copy()
        demography.step(m)
        new = np.arange(n_before, p.n)
        assert m.counts["births"] == len(new) * m.scale
        assert (
            np.all(p.age_m[new] == 0) and np.all(p.status[new] == CHILD) and np.all(p.present[new])
        )
        died = present_before & ~p.present[:n_before]
        assert m.counts["deaths"] == int(died.sum()) * m.scale
        # a newborn lives in the household of a woman of fertile age
        age_y = p.age_m[:n_before] // 12
        fertile = (
            p.present[:n_before]
            & p.female[:n_before]
            & (age_y >= FERTILE_AGES[0])
            & (age_y <= FERTILE_AGES[1])
        )
        mothers_hh = set(p.household[:n_before][fertile])
        assert set(p.household[new]) <= mothers_hh
    assert p.n > n0 and (present0 & ~p.present[:n0]).any()


def _urban_workers(m, k: int) -> np.ndarray:
    p = m.persons
    rows = np.flatnonzero((p.view("status") == EMPLOYED) & (p.view("exp_sector") == MANUF))
    if len(rows) < k:
        rows = np.flatnonzero((p.view("status") == EMPLOYED) & (p.view("exp_sector") != AGRI))
    assert len(rows) >= k
    return rows[:k]


@pytest.mark.usefixtures("immortal")
def test_retirement_at_the_statutory_ages(tiny_model) -> None:
    m = tiny_model
    assert m.year == 2000  # statutory ages in 2000: men 60, women workers 50, women cadres 55
    p = m.persons
    rows = _urban_workers(m, 7)
    # (female, skill, age in months at the start of the month, retires this month?)
    cases = [
        (False, 0, 60 * 12 - 1, True),  # man turning 60
        (False, 2, 60 * 12 - 2, False),  # man a month short of 60
        (False, 1, 55 * 12 - 1, False),  # man turning 55
        (True, 0, 50 * 12 - 1, True),  # woman worker (low skill) turning 50
        (True, 1, 50 * 12 - 1, True),  # woman worker (medium skill) turning 50
        (True, 2, 50 * 12 - 1, False),  # woman cadre (high skill) turning 50: not yet
        (True, 2, 55 * 12 - 1, True),  # woman cadre turning 55
    ]
    for r, (female, skill, age, _) in zip(rows, cases, strict=True):
        p.female[r], p.skill[r], p.age_m[r] = female, skill, age
    wage0 = p.wage[rows].copy()
    demography.step(m)
    rate = m.scenario.social_security.pension_replacement_rate
    for r, w, (female, skill, _, retires) in zip(rows, wage0, cases, strict=True):
        assert p.present[r]
        if retires:
            assert p.status[r] == RETIRED, (female, skill)
            assert p.employer[r] == -1 and p.wage[r] == 0.0
            assert p.pension[r] == pytest.approx(rate * w, rel=1e-6)
        else:
            assert p.status[r] == EMPLOYED, (female, skill)


@pytest.mark.usefixtures("immortal")
def test_farmers_retire_without_an_urban_pension(tiny_model) -> None:
    m = tiny_model
    p = m.persons
    farmers = np.flatnonzero((p.view("status") == EMPLOYED) & (p.view("exp_sector") == AGRI))[:3]
    assert len(farmers) == 3
    p.female[farmers] = False
    until = m.scenario.demography.farm_work_until_age_years
    assert until > 60
    p.age_m[farmers] = 60 * 12 - 1  # past the statutory age: farmers farm on
    demography.step(m)
    assert np.all(p.status[farmers] == EMPLOYED)
    p.age_m[farmers] = until * 12 - 1
    demography.step(m)
    assert np.all(p.status[farmers] == RETIRED)
    assert np.all(p.pension[farmers] == 0.0)  # the rural basic pension is paid by public finance


@pytest.mark.usefixtures("immortal")
def test_a_farmer_out_of_work_retires_at_the_statutory_age(tiny_model) -> None:
    m = tiny_model
    p = m.persons
    farmers = np.flatnonzero((p.view("status") == EMPLOYED) & (p.view("exp_sector") == AGRI))[:2]
    p.female[farmers] = False
    p.age_m[farmers] = 60 * 12 - 1
    p.status[farmers] = UNEMPLOYED  # (the firm count is not read by demography)
    p.employer[farmers] = -1
    demography.step(m)
    assert np.all(p.status[farmers] == RETIRED)


@pytest.mark.usefixtures("immortal")
def test_nobody_of_working_status_is_above_the_retirement_age_after_a_month(tiny_model) -> None:
    m = tiny_model
    demography.step(m)
    p = m.persons
    pres = p.view("present")
    status = p.view("status")
    active = pres & np.isin(status, [EMPLOYED, UNEMPLOYED, INACTIVE, INFORMAL])
    ret_age = m.retirement_age_months(p.view("female"), p.view("skill"))
    farming = (status == EMPLOYED) & (m.firms.sector[np.maximum(p.view("employer"), 0)] == AGRI)
    ret_age = np.where(farming, 12 * m.scenario.demography.farm_work_until_age_years, ret_age)
    assert not np.any(active & (p.view("age_m") >= ret_age))
    assert np.any(farming & (p.view("age_m") >= m.retirement_age_months(p.view("female"), p.view("skill"))))


@pytest.mark.usefixtures("immortal")
@pytest.mark.parametrize(("inactive_share", "expected"), [(0.0, UNEMPLOYED), (1.0, INACTIVE)])
def test_school_leavers_enter_the_labour_force(
    load_tiny, build_model, inactive_share, expected
) -> None:
    m = build_model(load_tiny(f"labour.labour_force_entry_inactive_share={inactive_share}"))
    p = m.persons
    students = np.flatnonzero(p.view("status") == STUDENT)[:6]
    children = np.flatnonzero(p.view("status") == CHILD)[:3]
    skills = np.array([0, 1, 2, 0, 1, 2])
    p.skill[students] = skills
    p.age_m[students] = m.school_leaving_age[skills] * 12 - 1
    p.age_m[children] = SCHOOL_START_AGE_YEARS * 12 - 1
    staying = np.flatnonzero(p.view("status") == STUDENT)[6:9]
    p.skill[staying] = 2
    p.age_m[staying] = m.school_leaving_age[2] * 12 - 2  # two months short
    demography.step(m)
    assert np.all(p.status[students] == expected)
    assert np.all(p.unemp_months[students] == 0)
    assert np.all(p.status[children] == STUDENT)
    assert np.all(p.status[staying] == STUDENT)


def test_remove_persons_dissolves_empty_households_and_records_the_estate(tiny_model) -> None:
    m = tiny_model
    p, hh = m.persons, m.households
    members = np.bincount(p.view("household"), minlength=hh.n)
    h = int(np.flatnonzero(members >= 2)[0])
    rows = np.flatnonzero(p.view("household") == h)
    hh.savings[h] = 1000.0
    m.hh_income[h] = 50.0
    row0 = m.row.balance

    demography.remove_persons(m, rows[:1])
    assert not p.present[rows[0]] and p.employer[rows[0]] == -1 and p.pension[rows[0]] == 0
    assert hh.present[h] and hh.savings[h] == 1000.0
    assert m.ledger.get("estates_to_heirs_outside") == 0.0

    demography.remove_persons(m, rows[1:])
    assert not hh.present[h]
    assert hh.savings[h] == 0.0 and m.hh_income[h] == 0.0
    estate = 1050.0 * m.scale
    assert m.ledger.get("estates_to_heirs_outside") == pytest.approx(estate)
    assert m.ledger.parties["estates_to_heirs_outside"] == (HH, ROW)
    assert m.row.balance - row0 == pytest.approx(estate)


@pytest.mark.usefixtures("immortal")
def test_retirement_follows_a_gradually_rising_statutory_age(load_tiny, build_model) -> None:
    m = build_model(load_tiny("run.start_year=2025", "run.end_year=2025"))
    p = m.persons
    statutory = m.retirement_age_months(np.array([False]), np.array([0], np.int8))[0]
    assert 60 * 12 < statutory < 60 * 12 + 6  # 60 years and about 2.4 months
    rows = _urban_workers(m, 2)
    p.female[rows] = False
    p.skill[rows] = 0
    p.age_m[rows[0]] = 60 * 12 + 2  # 60 years 3 months after this month's ageing: above the age
    p.age_m[rows[1]] = 60 * 12 - 1  # exactly 60: below it
    demography.step(m)
    assert p.status[rows[1]] == EMPLOYED
    assert p.status[rows[0]] == RETIRED
