"""Demography: ageing, deaths, births, school leaving and retirement (monthly).

Mortality follows a Gompertz hazard ``mu(a) = A(t) exp(b a)`` whose slope ``b``
is ``demography.gompertz_slope_per_year`` and whose level ``A(t)`` is solved
each year so that period life expectancy at birth equals
``demography.life_expectancy_years``. Fertility is the total fertility rate
spread over ages 15-49 by a normal schedule (mean and sd from the scenario).
School leavers enter the labour force as job seekers (a share stays inactive);
persons reaching the statutory retirement age retire with a pension.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from simulator.model import draws, kernels, regions, registration
from simulator.model.draws import categorical
from simulator.model.sectors import (
    AGRI,
    CHILD,
    EMPLOYED,
    INACTIVE,
    INFORMAL,
    RETIRED,
    SKILL_NAMES,
    STUDENT,
    UNEMPLOYED,
)
from simulator.scenario.schema import (
    GOMPERTZ_LOG_LEVEL_RANGE,
    GOMPERTZ_MAX_AGE_YEARS,
    gompertz_life_expectancy,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel

MAX_AGE_YEARS = GOMPERTZ_MAX_AGE_YEARS  # structural: life table closed at 110
FERTILE_AGES = (15, 49)  # structural: demographic convention for fertility rates
SCHOOL_START_AGE_YEARS = 6  # structural: compulsory schooling starts at 6 (Compulsory Education Law)


@lru_cache(maxsize=512)
def gompertz_level(life_expectancy: float, slope: float) -> float:
    """Gompertz level ``A`` giving the stated life expectancy at birth."""
    # imported here: solved once per value, and scipy.optimize is slow to import
    from scipy.optimize import brentq

    def e0(log_a: float) -> float:
        return gompertz_life_expectancy(log_a, slope) - life_expectancy

    return float(np.exp(brentq(e0, *GOMPERTZ_LOG_LEVEL_RANGE)))


def monthly_death_probability(age_years: np.ndarray, level: float, slope: float) -> np.ndarray:
    """Probability of dying within a month at the given ages."""
    hazard = level * np.exp(slope * age_years) / 12.0
    p = 1.0 - np.exp(-hazard)
    p[age_years >= MAX_AGE_YEARS] = 1.0
    return p


@lru_cache(maxsize=512)
def death_table(level: float, slope: float) -> np.ndarray:
    """Monthly death probability at each whole year of age 0..MAX_AGE (read-only)."""
    table = monthly_death_probability(np.arange(MAX_AGE_YEARS + 1, dtype=float), level, slope)
    if np.any(np.diff(table) < 0):  # a Gompertz hazard rises with age: a falling table is a bad slope
        raise ValueError("the monthly death probability must not fall with age")
    table.flags.writeable = False
    return table


@lru_cache(maxsize=512)
def death_table_by_month(level: float, slope: float) -> np.ndarray:
    """:func:`death_table` by age in months (each year's value twelve times, the last age
    band extended to the oldest age an int16 holds): read by age without a division."""
    table = death_table(level, slope)
    by_month = np.full(np.iinfo(np.int16).max + 1, table[-1])
    by_month[: 12 * len(table)] = np.repeat(table, 12)
    by_month.flags.writeable = False
    return by_month


ACTIVE_STATUSES = np.array([EMPLOYED, UNEMPLOYED, INACTIVE, INFORMAL], np.int8)
"""The statuses from which a person retires at the statutory age."""

DEATH_DRAW_BOUND_AGE_YEARS = 75
"""Deaths are drawn as candidates at the death probability of this age (geometric gaps, about one
draw per 300 persons a month at Fuxin's mortality) and the older, whose probability is higher,
with a draw each (:func:`draw_deaths`). Any age gives the same distribution; this one makes
about the fewest draws for an ageing Chinese city."""


def draw_deaths(rng: np.random.Generator, present: np.ndarray, age_m: np.ndarray, table: np.ndarray,
                table_by_month: np.ndarray, keyed: tuple | None = None) -> np.ndarray:
    """Rows of the present persons who die this month, in row order: each independently with
    ``table_by_month[age_m]`` (``table``: the same by year of age, rising with age).

    Those up to :data:`DEATH_DRAW_BOUND_AGE_YEARS` are drawn by thinning: candidates at the
    probability of that age (:func:`~simulator.model.draws.bernoulli_positions` over the present
    persons in row order), each kept with its own probability over it; the older each get a
    uniform draw (``kernels.deaths``). Under ``draws.LEGACY_DRAWS`` (tests only): one uniform per
    present person, the ``j``-th present person dying if the ``j``-th draw falls below their
    probability. With ``keyed`` = (key, month, ids of every row) and ``draws.keyed("deaths")``: each
    present person's keyed uniform (:mod:`simulator.model.draws`) against their probability."""
    if keyed is not None and draws.keyed("deaths"):
        key, month, uid = keyed
        return kernels.keyed_deaths(key, month, uid, present, age_m, table_by_month)
    if draws.legacy("deaths"):
        u = rng.random(int(np.count_nonzero(present)))
        return kernels.deaths(present, age_m, table_by_month, -1.0, np.zeros(0, np.int64), np.zeros(0), u)
    bound = float(table[min(DEATH_DRAW_BOUND_AGE_YEARS, len(table) - 1)])
    n, n_rest = kernels.count_present_above(present, age_m, table_by_month, bound)
    cand = draws.bernoulli_positions(rng, n, bound)
    u_cand = rng.random(len(cand))
    u_rest = rng.random(n_rest)
    return kernels.deaths(present, age_m, table_by_month, bound, cand, u_cand, u_rest)


def draw_mothers(rng: np.random.Generator, p, rate_by_month: np.ndarray, keyed: tuple | None = None) -> np.ndarray:
    """Rows of the present women who give birth this month, in row order: each independently with
    ``rate_by_month`` at her age in months (zero outside the fertile ages).

    Candidates are drawn among all person rows at the highest rate
    (:func:`~simulator.model.draws.bernoulli_positions`) and each present woman of fertile age
    among them is kept with her rate over it, so that no pass over every person is made. Under
    ``draws.LEGACY_DRAWS`` (tests only): one uniform per present woman of fertile age. With
    ``keyed`` = (key, month) and ``draws.keyed("births")``: each present woman of fertile age's keyed
    uniform (:mod:`simulator.model.draws`) against her rate."""
    lo, hi = 12 * FERTILE_AGES[0], 12 * (FERTILE_AGES[1] + 1)
    if draws.legacy("births") or (keyed is not None and draws.keyed("births")):
        age_m = p.view("age_m")
        women = np.flatnonzero(p.view("present") & p.view("female") & (age_m >= lo) & (age_m < hi))
        if keyed is None or not draws.keyed("births"):
            return women[rng.random(len(women)) < rate_by_month[age_m[women]]]
        key, month = keyed
        cand, u = draws.keyed_candidates(key, month, p.uid[women], float(rate_by_month[lo:hi].max()))
        cand = women[cand]
        return cand[u < rate_by_month[age_m[cand]]]
    bound = float(rate_by_month[lo:hi].max())
    cand = draws.bernoulli_positions(rng, p.n, bound)
    age = p.age_m[cand]
    cand = cand[p.present[cand] & p.female[cand] & (age >= lo) & (age < hi)]
    return cand[rng.random(len(cand)) * bound < rate_by_month[p.age_m[cand]]]


def fertility_schedule(tfr: float, mean_age: float, sd: float) -> np.ndarray:
    """Births per woman per year at ages 0..MAX_AGE (zero outside 15-49), summing to ``tfr``."""
    ages = np.arange(MAX_AGE_YEARS + 1, dtype=float)
    dens = np.exp(-0.5 * ((ages - mean_age) / sd) ** 2)
    dens[(ages < FERTILE_AGES[0]) | (ages > FERTILE_AGES[1])] = 0.0
    return tfr * dens / dens.sum()


def step(model: CityModel) -> None:
    """Age everyone by a month; deaths; births; school leaving; retirement."""
    p = model.persons
    d = model.scenario.demography
    rng = model.streams["demography"]
    S = model.scale
    present = p.view("present")
    p.view("age_m")[:] += present  # everyone present ages by a month
    # deaths: each present person dies with the death probability of their year of age
    level = gompertz_level(model.s(d.life_expectancy_years), d.gompertz_slope_per_year)
    keys, month = model.draw_keys, model.month_key
    dead = draw_deaths(rng, present, p.view("age_m"), death_table(level, d.gompertz_slope_per_year),
                       death_table_by_month(level, d.gompertz_slope_per_year),
                       keyed=(keys["deaths"], month, p.view("uid")))
    registration.died(model, dead)
    remove_persons(model, dead)
    model.counts["deaths"] += len(dead) * S
    regions.tally(model, "deaths", dead)

    # births (to women alive at the start of the month and still present), in row order
    sched = fertility_schedule(model.s(d.total_fertility_rate), d.fertility_mean_age_years, d.fertility_sd_years)
    mothers = draw_mothers(rng, p, np.repeat(sched / 12.0, 12), keyed=(keys["births"], month))  # monthly rate by age in months
    k = len(mothers)
    if k:
        skill_p = np.array([d.newborn_skill_shares[s] for s in SKILL_NAMES])
        if draws.keyed("births"):  # the newborn's id from its mother's, its sex and skill keyed by it
            uid = draws.derived_uids(keys["newborn_id"], month, p.uid[mothers])
            female = draws.keyed_uniforms(keys["newborn_sex"], month, uid) >= d.male_share_at_birth
            skill = draws.categorical_of(draws.keyed_uniforms(keys["newborn_skill"], month, uid), skill_p)
        else:
            uid = draws.derived_uids(keys["newborn_id"], month, p.uid[mothers])
            female = rng.random(k) >= d.male_share_at_birth
            skill = categorical(rng, skill_p, k)
        p.append(
            age_m=np.zeros(k, np.int16),
            female=female,
            skill=skill.astype(np.int8),
            exp_sector=np.full(k, -1, np.int8),
            status=np.full(k, CHILD, np.int8),
            employer=np.full(k, -1, np.int32),
            household=p.household[mothers],
            present=np.ones(k, bool),
            uid=uid,
            hukou_elsewhere=p.hukou_elsewhere[mothers],  # the mother's registration
        )
        registration.born(model, np.arange(p.n - k, p.n), mothers)
        np.add.at(model.households.members, p.household[mothers], 1)
        regions.tally(model, "births", mothers)  # the newborn lives in the mother's household
    model.counts["births"] += k * S

    # statuses as they stand after births (only present persons hold these statuses:
    # those who died or left are INACTIVE and not present)
    # retirement candidates: active persons at least as old as the lowest retirement age;
    # school: children start school, students leave at their skill's leaving age (one pass)
    min_ret_age = int(model.retirement_ages().min())
    old, starting, students = kernels.demography_rows(
        p.view("present"), p.view("status"), p.view("age_m"), min_ret_age, 12 * SCHOOL_START_AGE_YEARS,
        ACTIVE_STATUSES, CHILD, STUDENT,
    )
    leaving = students[p.age_m[students] // 12 >= model.school_leaving_age[p.skill[students]]]
    p.status[starting] = STUDENT
    inactive = rng.random(len(leaving)) < model.scenario.labour.labour_force_entry_inactive_share
    p.status[leaving] = np.where(inactive, INACTIVE, UNEMPLOYED).astype(np.int8)
    p.unemp_months[leaving] = 0

    # retirement at the statutory age
    # (those at work on farms have no statutory age: they stop farming at farm_work_until_age_years)
    ret_age = model.retirement_age_months(p.female[old], p.skill[old])
    farming = (p.status[old] == EMPLOYED) & (model.firms.sector[np.maximum(p.employer[old], 0)] == AGRI)
    ret_age = np.where(farming, 12 * model.scenario.demography.farm_work_until_age_years, ret_age)
    retire(model, old[p.age_m[old] >= ret_age])


def retire(model: CityModel, rows: np.ndarray) -> None:
    """Retire persons: urban workers get a pension of their wage (or the reference
    wage) x the replacement rate; those whose last job was in farming (or who never
    had a job) get the rural basic pension (paid each month by the social security mechanism)."""
    if len(rows) == 0:
        return
    p = model.persons
    ss = model.scenario.social_security
    was_employed = p.status[rows] == EMPLOYED
    ref = np.where(was_employed, p.wage[rows], model.base_wage())
    urban = (p.exp_sector[rows] >= 0) & (p.exp_sector[rows] != AGRI)
    p.pension[rows] = np.where(urban, ss.pension_replacement_rate * ref, 0.0).astype(np.float32)
    p.status[rows] = RETIRED
    p.employer[rows] = -1
    p.wage[rows] = 0.0
    p.welfare_job[rows] = False


def remove_persons(model: CityModel, rows: np.ndarray) -> None:
    """Persons leave the population (death or out-migration): jobs and pensions end.

    Households left with no member dissolve; their savings are handed to the
    rest of the world (heirs outside the city) by :func:`dissolve_empty_households`.
    """
    if len(rows) == 0:
        return
    p = model.persons
    p.present[rows] = False
    p.employer[rows] = -1
    p.status[rows] = INACTIVE
    p.wage[rows] = 0.0
    p.pension[rows] = 0.0
    p.welfare_job[rows] = False
    np.subtract.at(model.households.members, p.household[rows], 1)
    dissolve_empty_households(model, np.unique(p.household[rows]))


def dissolve_empty_households(model: CityModel, candidates: np.ndarray) -> None:
    """Households among ``candidates`` with no present member leave the books."""

    hh = model.households
    empty = candidates[(hh.members[candidates] == 0) & hh.present[candidates]]
    if len(empty) == 0:
        return
    amount = float(hh.savings[empty].sum() + model.hh_income[empty].sum()) * model.scale
    model.pay("estates_to_heirs_outside", amount)
    hh.savings[empty] = 0.0
    model.hh_income[empty] = 0.0
    hh.present[empty] = False
