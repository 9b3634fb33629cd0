"""Migration: households leave the city and new households arrive (monthly).

Out-migration is a household decision. A household with at least one
working-age member (16 to the statutory retirement age) leaves in a month with
probability

    base/12 x (wage gap now / wage gap at the start)^elasticity x multipliers,

where the wage gap is the destination wage over the city's average wage, and
the multipliers apply to households with no earner, with a young adult, with
a high-skill member, and by housing (shantytown, subsidence area, rehoused).
Leaving households take their savings with them.

In-migration: a base flow of households per year plus a share of the
vacancies unfilled in sectors that require more than low skill (the new industries
draw workers from outside). In-migrants are young adults (and children at
the scenario's household size), arrive as job seekers with savings, and live
in standard housing.

Households of county regions also move to the city's districts
(:func:`simulator.model.regions.move_households`); in-migrants settle in the
regions where the jobs are.

Levers act here through the programme plan: the innovation and talent lever
cuts high-skill households' extra propensity to leave and recruits high-skill
households from outside, each paid a recruitment subsidy by the city.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model import kernels, regions
from simulator.model.demography import remove_persons
from simulator.model.draws import categorical
from simulator.model.sectors import (
    CHILD,
    EMPLOYED,
    N_SECTORS,
    REHOUSED,
    SHANTYTOWN,
    SKILL_NAMES,
    SUBSIDENCE,
    UNEMPLOYED,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel

WORKING_AGE_MIN_YEARS = 16  # structural: legal minimum working age (Labour Law art. 15)


def wage_gap(model: CityModel) -> float:
    """Destination wage over the city's average wage of the employed (this month's)."""
    avg = model.average_wage if model.average_wage > 0 else model.base_wage()
    return model.s(model.scenario.migration.destination_wage_yuan_per_month) / avg


def leave_probability(model: CityModel) -> np.ndarray:
    """Monthly probability that each household row leaves the city."""
    return _leave_probability_and_working_age(model)[0]


def _leave_probability_and_working_age(model: CityModel) -> tuple[np.ndarray, np.ndarray]:
    """The leaving probability of each household row, and whether it has a working-age member."""
    mg = model.scenario.migration
    p, hh = model.persons, model.households
    n = p.n
    nh = hh.n
    # which households have a working-age member, a young working-age adult, a high-skill
    # working-age member, an earner: one pass over the persons (kernels.household_types)
    types = kernels.household_types(
        p.household[:n], p.present[:n], p.age_m[:n], p.female[:n], p.skill[:n], p.status[:n],
        model.retirement_ages(), nh, 12 * WORKING_AGE_MIN_YEARS, 12 * (mg.young_adult_max_age_years + 1),
        SKILL_NAMES.index("high"), EMPLOYED,
    )

    gap = wage_gap(model)
    if model.initial_wage_gap is None:
        model.initial_wage_gap = gap
    rate = mg.out_base_rate_per_year / 12.0 * (gap / model.initial_wage_gap) ** mg.wage_gap_elasticity
    # multipliers by household type, looked up: bit 1 no earner, bit 2 young adult, bit 4 high skill
    by_type = np.ones(8)
    high_mult = mg.high_skill_multiplier
    if model.programmes.skilled_leaving_factor != 1.0:  # talent lever: smaller extra propensity to leave
        high_mult = 1.0 + (high_mult - 1.0) * model.programmes.skilled_leaving_factor
    for bit, factor in ((1, mg.no_earner_multiplier), (2, mg.young_adult_multiplier), (4, high_mult)):
        by_type[[t for t in range(8) if t & bit]] *= factor
    by_housing = np.ones(4)
    by_housing[[SHANTYTOWN, SUBSIDENCE, REHOUSED]] = (mg.shantytown_multiplier, mg.subsidence_multiplier, mg.rehoused_multiplier)
    return kernels.leave_probability(types, hh.housing[:nh], hh.present[:nh], rate, by_type, by_housing)


def step(model: CityModel) -> None:
    """Out-migration of households, then arrival of in-migrant households."""
    mg = model.scenario.migration
    rng = model.streams["migration"]
    p, hh = model.persons, model.households
    S = model.scale

    # out
    prob, has_wa = _leave_probability_and_working_age(model)
    leaving = np.flatnonzero(rng.random(len(prob)) < prob)
    if len(leaving):
        mask = np.zeros(hh.n, bool)
        mask[leaving] = True
        rows = kernels.members_of(p.household[: p.n], p.present[: p.n], mask)
        amount = float(hh.savings[leaving].sum() + model.hh_income[leaving].sum()) * S
        model.pay("migrants_savings_out", amount)
        hh.savings[leaving] = 0.0
        model.hh_income[leaving] = 0.0
        model.month_flows["out_migrants_high_skill"] += float((p.skill[rows] == SKILL_NAMES.index("high")).sum()) * S
        regions.tally(model, "out_migrants", rows)
        remove_persons(model, rows)
        hh.present[leaving] = False
        model.counts["out"] += len(rows) * S

    # moves between the city's regions (households that stayed)
    regions.move_households(model, has_wa & hh.present[: hh.n])

    # recruited high-skill households (talent lever)
    prog = model.programmes
    if prog.talent_households > 0:
        talent_rng = model.lever_streams["innovation_talent"]
        k = int(talent_rng.poisson(prog.talent_households / S))
        if k:
            h_idx = add_in_migrants(model, k, talent_rng, high_skill=True)
            subsidy = prog.recruitment_subsidy
            hh.savings[h_idx] += subsidy
            model.pay("recruitment_subsidy", subsidy * k * S)
            model.month_flows["talent_households_recruited"] += k * S

    # in
    f = model.firms
    nf = f.n
    L = model.workers  # before this month's departures: the pull is read at the start of the month
    min_skill = model.sector_par["min_skill"]
    skilled_sector = np.zeros(N_SECTORS, bool)
    skilled_sector[min_skill > SKILL_NAMES.index("low")] = True
    vac = np.maximum(f.target[:nf] - L, 0.0)
    vac_skilled = float(vac[f.alive[:nf] & skilled_sector[f.sector[:nf]]].sum())  # person rows
    hh_rows = (
        mg.in_base_households_per_year / 12.0 / S
        + mg.in_vacancy_fill_share_per_month * vac_skilled / mg.in_household_size_persons
    )
    k = int(rng.poisson(hh_rows))
    if k == 0:
        return
    add_in_migrants(model, k, rng)


def add_in_migrants(model: CityModel, k: int, rng: np.random.Generator, high_skill: bool = False) -> np.ndarray:
    """Append ``k`` household rows of in-migrants (adults job-seeking, children); returns
    the household rows. ``high_skill``: the adults are high-skill (recruited talent)."""
    mg = model.scenario.migration
    p, hh = model.persons, model.households
    S = model.scale
    size = 1 + rng.poisson(mg.in_household_size_persons - 1.0, size=k)
    h_idx = hh.append(
        savings=np.full(k, mg.in_savings_yuan_per_household),
        present=np.ones(k, bool),
        members=size.astype(np.int32),
        region=regions.arrival_regions(model, k, rng if high_skill else None),  # recruits: their lever's stream
    )
    model.ensure_income_capacity()
    amount = mg.in_savings_yuan_per_household * k * S
    model.pay("migrants_savings_in", amount)
    m = int(size.sum())
    household = np.repeat(h_idx, size).astype(np.int32)
    first = np.r_[True, household[1:] != household[:-1]]
    second = np.r_[False, first[:-1]] & ~first
    adult = first | second  # up to two adults per household, the rest children
    lo, hi = mg.in_adult_age_min_years, mg.in_adult_age_max_years
    age_y = np.where(adult, rng.integers(lo, hi + 1, size=m), rng.integers(0, mg.in_child_age_max_years + 1, size=m))
    skill_p = np.array([mg.in_skill_shares[s] for s in SKILL_NAMES])
    skill = categorical(rng, skill_p, m).astype(np.int8)
    if high_skill:
        skill[adult] = SKILL_NAMES.index("high")
    status = np.where(adult, UNEMPLOYED, CHILD).astype(np.int8)
    p.append(
        age_m=(age_y * 12).astype(np.int16),
        female=rng.random(m) < mg.in_female_share,
        skill=skill,
        exp_sector=np.full(m, -1, np.int8),
        status=status,
        employer=np.full(m, -1, np.int32),
        household=household,
        present=np.ones(m, bool),
    )
    model.counts["in"] += m * S
    regions.tally(model, "in_migrants", np.arange(p.n - m, p.n))
    return h_idx
