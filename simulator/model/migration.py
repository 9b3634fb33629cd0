"""Migration: persons and households leave the city, and others arrive (monthly).

Leaving follows **expected income**: the destinations' wage times the chance of a job there
against the wage at home times the chance of a job here,

    R = w_dest (1 - u_dest) / (w_home (1 - u_home)),

for two pools: the non-farm pool (those whose job or last job is outside agriculture: their mean
wage and share of job seekers, against the national average wage) and the farm pool (those whose
job or last job is in agriculture, against migrant workers' average income). ``u_dest`` is the
destinations' urban unemployment rate. A farm household (a member in the farm pool) and its
members leave by the farm pool's R, everyone else by the non-farm pool's. A logit of leaving against staying with utility linear
in log expected income gives a leaving rate proportional to ``R^income_elasticity`` while
leaving is rare. So job losses at home raise leaving twice over: through ``u_city`` for
everyone, and through the multipliers of those without work.

* **Households** with a working-age member (16 to the statutory retirement age) leave
  together with monthly probability ``out_base_rate_per_year / 12 x R^e x multipliers``:
  no earner in the household, a young adult, a high-skill member, and the housing
  (shantytown, subsidence area, rehoused). They take their savings with them.
* **Persons alone** (``migration.individual``): a working-age person who is not at school
  and does not live alone leaves the household, which stays, with probability
  ``base_rate_per_year / 12 x R^e x age_profile(age) x (unemployed_multiplier if seeking
  work) x (high_skill_multiplier if high skill)``. The age profile carries the young-adult
  peak of migration; the parents stay behind, so the city ages. A person whose household
  would be left empty leaves with it (by the household rule's accounting).
* **University graduates**: at the school-leaving age of the high-skilled, a share
  ``graduates_staying_away_share`` leaves the city (they studied elsewhere and stay where
  they studied or found work). The four years of study away are not modelled: students
  count as residents until they graduate.
* **Return**: of the working-age persons who left since the start (the out-migrant stock),
  ``return_rate_per_year`` come back each year as in-migrant households; the stock also
  shrinks by ``return_stock_exit_rate_per_year`` (those who settle for good elsewhere or
  pass working age).

In-migration: a base flow of households per year, moved by the city's expected income against
the destinations' (``(R / R_start)^-in_income_elasticity``: fewer arrive as the city falls
behind), the returns, and a share of the vacancies unfilled in sectors that require more than
low skill (the new industries draw workers from outside). In-migrants are young adults (and children at the scenario's household size),
arrive as job seekers with savings, and live in standard housing.

Households of county regions also move to the city's districts
(:func:`simulator.model.regions.move_households`); in-migrants settle in the
regions where the jobs are.

Levers act here through the programme plan: the innovation and talent lever's allowance
multiplies the high-skilled's leaving (households, employed persons alone, and the odds of
graduates staying away) by ``(1 + a / w)^-e`` and draws extra high-skill households from
outside (:mod:`simulator.policy.innovation_talent`); every arriving household with a
high-skill adult gets the settling-in grant while the lever is active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model import draws, kernels, labour_market, regions, registration
from simulator.model.demography import MAX_AGE_YEARS, remove_persons
from simulator.model.draws import categorical
from simulator.model.sectors import (
    AGRI,
    CHILD,
    EMPLOYED,
    INACTIVE,
    INFORMAL,
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
URBAN, RURAL = 0, 1  # the two pools of expected income (non-farm and farm)
START_MONTHS = 12  # structural: the reference of arrivals' pull is the expected-income ratio of the run's first year
MIN_HOME_INCOME_SHARE = 1e-6  # numerical floor of the city's expected income against the destinations' (no work at all)


def looking_for_work(status: np.ndarray) -> np.ndarray:
    """Job seekers, those in informal work among them: for migration, informal work is a stopgap
    and counts as being without a job (its earnings are low and insecure)."""
    return (status == UNEMPLOYED) | (status == INFORMAL)


def labour_force_unemployment_rate(model: CityModel) -> float:
    """Share of the labour force (the employed and job seekers present) without work."""
    status = model.persons.view("status")  # only present persons are employed or seeking work
    employed = np.count_nonzero(status == EMPLOYED)
    seeking = np.count_nonzero(looking_for_work(status))
    return seeking / (employed + seeking) if employed + seeking else 0.0


def pool_wage_and_unemployment(model: CityModel, farm: bool) -> tuple[float, float]:
    """Mean wage of the employed (yuan/month) and unemployment rate of the farm pool (persons whose
    job or last job is in agriculture) or the non-farm pool (everyone else in the labour force)."""
    return pools_wage_and_unemployment(model)[int(farm)]


def pools_wage_and_unemployment(model: CityModel) -> list[tuple[float, float]]:
    """:func:`pool_wage_and_unemployment` of the non-farm and the farm pool, in one pass over the
    persons (``kernels.pool_wages``)."""
    p = model.persons
    n = p.n
    # only present persons are employed or seeking work
    n_emp, n_seek, wages = kernels.pool_wages(p.status[:n], p.exp_sector[:n], p.wage[:n], AGRI, EMPLOYED, UNEMPLOYED, INFORMAL)
    out = []
    for farm in (0, 1):
        e, k = int(n_emp[farm]), int(n_seek[farm])
        if e:
            wage = float(wages[farm, :e].mean())
        else:  # nobody at work: the pool's reference wage
            wage = model.base_wage() * (float(model.sector_par["relative_wage"][AGRI]) if farm else 1.0)
        out.append((wage, k / (e + k) if e + k else 0.0))
    return out


def expected_income_ratios(model: CityModel) -> np.ndarray:
    """The destinations' expected income over the city's, ``R = w_dest (1 - u_dest) / (w_home (1 -
    u_home))``, for the two pools: ``[urban, rural]``. Urban: the destination wage against the
    non-farm pool's; rural: migrant workers' wage against the farm pool's."""
    mg = model.scenario.migration
    keep = 1.0 - model.s(mg.destination_unemployment_rate)
    out = np.empty(2)
    pools = pools_wage_and_unemployment(model)
    for i, dest_wage in enumerate((mg.destination_wage_yuan_per_month, mg.rural_destination_wage_yuan_per_month)):
        wage, u = pools[i]
        dest = model.s(dest_wage) * keep
        out[i] = dest / max(wage * (1.0 - u), MIN_HOME_INCOME_SHARE * dest)
    return out


def in_migration_pull(model: CityModel) -> float:
    """The factor on the base flow of arrivals: ``(R / R_start)^-in_income_elasticity``, with ``R``
    this month's expected-income ratio of the non-farm pool (destinations over the city) and
    ``R_start`` its mean over the run's first :data:`START_MONTHS` months (the first months'
    ratio moves as the initial city settles). A city whose jobs and wages fall behind the
    destinations' draws fewer newcomers, by the same logit in log expected income as leaving (1
    during the first year, or with an elasticity of 0)."""
    e = model.scenario.migration.in_income_elasticity
    r0 = model.expected_income_ratio_start
    if e == 0.0 or r0 is None or r0 <= 0.0 or model.expected_income_ratio <= 0.0:
        return 1.0
    return (model.expected_income_ratio / r0) ** (-e)


def expected_income_ratio(model: CityModel) -> float:
    """The urban pool's ratio (see :func:`expected_income_ratios`)."""
    return float(expected_income_ratios(model)[URBAN])


def rural_households(model: CityModel) -> np.ndarray:
    """Bool per household row: a present member works or last worked in agriculture (a farm household)."""
    return (household_type_codes(model) & kernels.HAS_FARM) != 0


def household_type_codes(model: CityModel) -> np.ndarray:
    """The type code of each household row (``kernels.household_types``): which have a working-age
    member, a young working-age adult, a high-skill working-age member, an earner, a member who
    works or last worked in agriculture; one pass over the persons."""
    mg = model.scenario.migration
    p, hh = model.persons, model.households
    n = p.n
    return kernels.household_types(
        p.household[:n], p.present[:n], p.age_m[:n], p.female[:n], p.skill[:n], p.status[:n],
        model.retirement_ages(), hh.n, 12 * WORKING_AGE_MIN_YEARS, 12 * (mg.young_adult_max_age_years + 1),
        SKILL_NAMES.index("high"), EMPLOYED, p.exp_sector[:n], AGRI,
    )


def income_factor(model: CityModel, ratio):
    """How expected incomes scale the leaving rates: ``ratio^income_elasticity`` (a number or an array)."""
    return ratio ** model.scenario.migration.income_elasticity


def high_skill_multiplier(model: CityModel, multiplier: float) -> float:
    """A high-skill multiplier after the talent lever (whose allowance makes staying pay more)."""
    return multiplier * model.programmes.skilled_leaving_factor


def leave_probability(model: CityModel) -> np.ndarray:
    """Monthly probability that each household row leaves the city."""
    return _leave_probability_and_working_age(model, expected_income_ratios(model), rural_households(model))[0]


def households_leaving_multiplier(model: CityModel) -> float:
    """The persons leaving with their households this month, per person, over the base rate's
    monthly share (``out_base_rate_per_year / 12``): what expected incomes and the multipliers of
    the households' types and housing make of the base rate in this city now (1 at equal incomes
    with every multiplier 1). Present households only, weighted by their present members."""
    base = model.scenario.migration.out_base_rate_per_year / 12.0
    hh = model.households
    nh = hh.n
    members = hh.members[:nh] * hh.present[:nh]
    persons = float(members.sum())
    if base <= 0.0 or persons <= 0.0:
        raise ValueError("the leaving multiplier needs a positive base rate and present persons")
    return float((leave_probability(model) * members).sum()) / persons / base


def _leave_probability_and_working_age(
    model: CityModel, ratios: np.ndarray, rural: np.ndarray, types: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The leaving probability of each household row, and whether it has a working-age member
    (``ratios`` urban and rural, ``rural`` a flag per household row; ``types``: the households'
    :func:`household_type_codes`, computed if not given)."""
    mg = model.scenario.migration
    hh = model.households
    nh = hh.n
    if types is None:
        types = household_type_codes(model)
    rate = mg.out_base_rate_per_year / 12.0 * income_factor(model, np.asarray(ratios))[rural[:nh].astype(np.intp)]
    # multipliers by household type, looked up: bit 1 no earner, bit 2 young adult, bit 4 high skill
    by_type = np.ones(8)
    high_mult = high_skill_multiplier(model, mg.high_skill_multiplier)
    for bit, factor in ((1, mg.no_earner_multiplier), (2, mg.young_adult_multiplier), (4, high_mult)):
        by_type[[t for t in range(8) if t & bit]] *= factor
    by_housing = np.ones(4)
    by_housing[[SHANTYTOWN, SUBSIDENCE, REHOUSED]] = (mg.shantytown_multiplier, mg.subsidence_multiplier, mg.rehoused_multiplier)
    return kernels.leave_probability(types, hh.housing[:nh], hh.present[:nh], rate, by_type, by_housing)


def odds_scaled(share: float, factor: float) -> float:
    """A share whose odds are multiplied by ``factor`` (a common share, unlike a rare rate, is
    scaled on its odds): ``share x factor / (1 - share + share x factor)``."""
    if factor == 1.0 or share <= 0.0:
        return share
    return share * factor / (1.0 - share + share * factor)


def age_profile_table(profile: dict[int, float]) -> np.ndarray:
    """The age profile by whole year of age 0..MAX_AGE_YEARS: each age's value holds from that
    age on, zero before the first."""
    table = np.zeros(MAX_AGE_YEARS + 1)
    for age, value in sorted(profile.items()):
        table[age:] = value
    return table


def individual_leave_probability(
    model: CityModel, ratios, rural: np.ndarray | None = None, rows: np.ndarray | None = None
) -> np.ndarray:
    """Monthly probability that each person row (or each of ``rows``) leaves the city alone (zero
    for those who may not: absent, at school, retired, outside working age, or living alone).
    ``ratios``: urban and rural (or one number for both); a person of a rural household
    (``rural``, per household row) uses the rural ratio."""
    ind = model.scenario.migration.individual
    p, hh = model.persons, model.households
    sel = slice(0, p.n) if rows is None else rows
    age_m, status, skill, home = p.age_m[sel], p.status[sel], p.skill[sel], p.household[sel]
    own_retirement = model.retirement_ages()[3 * p.female[sel].astype(np.int8) + skill]
    may = (
        p.present[sel]
        & ((status == EMPLOYED) | looking_for_work(status) | (status == INACTIVE))  # present, not at school, not retired
        & (age_m >= 12 * WORKING_AGE_MIN_YEARS) & (age_m < own_retirement)
        & (hh.members[home] >= 2)
    )
    factor = _income_factors(model, ratios)
    if rural is None:
        rural = rural_households(model)
    rate = ind.base_rate_per_year / 12.0 * factor[rural[home].astype(np.intp)]
    table = age_profile_table(ind.age_profile)
    prob = rate * table[np.minimum(age_m // 12, MAX_AGE_YEARS)]
    prob = np.where(looking_for_work(status), prob * ind.unemployed_multiplier, prob)
    high = skill == SKILL_NAMES.index("high")
    prob = np.where(high, prob * ind.high_skill_multiplier, prob)
    prob = np.where(high & (status == EMPLOYED), prob * model.programmes.skilled_leaving_factor, prob)  # the talent allowance is paid to the employed
    return np.where(may, np.minimum(prob, 1.0), 0.0)


def _income_factors(model: CityModel, ratios) -> np.ndarray:
    """:func:`income_factor` of the urban and rural ratios (or of one ratio for both), shape (2,)."""
    return np.broadcast_to(np.asarray(income_factor(model, np.asarray(ratios, float)), float), (2,))


def individual_leave_bound(model: CityModel, ratios) -> float:
    """A probability at least :func:`individual_leave_probability` of every person: the highest
    rate, age profile and multipliers together (at most 1)."""
    ind = model.scenario.migration.individual
    rate = ind.base_rate_per_year / 12.0 * float(_income_factors(model, ratios).max())
    high = ind.high_skill_multiplier * max(1.0, model.programmes.skilled_leaving_factor)
    bound = rate * float(age_profile_table(ind.age_profile).max()) * max(1.0, ind.unemployed_multiplier) * max(1.0, high)
    return min(bound, 1.0)


def individual_leavers(model: CityModel, rng: np.random.Generator, ratios, rural: np.ndarray) -> np.ndarray:
    """The person rows who leave the city alone this month, in row order: each independently with
    :func:`individual_leave_probability`. Candidates are drawn at :func:`individual_leave_bound`
    (geometric gaps over the person rows) and each kept with its probability over the bound, so
    the probability is computed for the few candidates only. Under ``draws.LEGACY_DRAWS`` (tests
    only): one uniform per person row."""
    if draws.legacy("persons_leaving"):
        prob = individual_leave_probability(model, ratios, rural)
        return np.flatnonzero(rng.random(len(prob)) < prob)
    bound = individual_leave_bound(model, ratios)
    if draws.keyed("persons_leaving"):  # each person's keyed uniform (simulator.model.draws)
        cand, u = draws.keyed_candidates(model.draw_keys["persons_leaving"], model.month_key, model.persons.view("uid"), bound)
        return cand[u < individual_leave_probability(model, ratios, rural, rows=cand)]
    cand = draws.bernoulli_positions(rng, model.persons.n, bound)
    prob = individual_leave_probability(model, ratios, rural, rows=cand)
    return cand[rng.random(len(cand)) * bound < prob]


def graduates(model: CityModel) -> np.ndarray:
    """Person rows who graduated from university this month (high skill, just at the school-leaving age)."""
    p = model.persons
    n = p.n
    high = SKILL_NAMES.index("high")
    status = p.status[:n]
    return np.flatnonzero(
        p.present[:n] & (p.skill[:n] == high) & (p.age_m[:n] == 12 * int(model.school_leaving_age[high]))
        & ((status == EMPLOYED) | looking_for_work(status) | (status == INACTIVE))  # some find work in their first month
    )


def households_leave(model: CityModel, leaving: np.ndarray, graduates: bool = False) -> None:
    """Household rows ``leaving`` leave the city with all their present members and their savings
    (``graduates``: they are school-leavers who study elsewhere, for their registration)."""
    if len(leaving) == 0:
        return
    p, hh = model.persons, model.households
    S = model.scale
    mask = np.zeros(hh.n, bool)
    mask[leaving] = True
    rows = p.members_of(mask)
    amount = float(hh.savings[leaving].sum() + model.hh_income[leaving].sum()) * S
    model.pay("migrants_savings_out", amount)
    hh.savings[leaving] = 0.0
    model.hh_income[leaving] = 0.0
    hh.present[leaving] = False
    _persons_leave(model, rows, graduates)


def persons_leave(model: CityModel, rows: np.ndarray, graduates: bool = False) -> int:
    """Person rows leave the city alone; a household whose every present member is among them
    leaves as a whole (with its savings). Returns the number of rows that left. ``graduates``: they
    are school-leavers who study elsewhere (for their registration)."""
    if len(rows) == 0:
        return 0
    hh = model.households
    home = model.persons.household[rows]
    leaving_count = np.bincount(home, minlength=hh.n)
    whole = leaving_count[home] >= hh.members[home]
    households_leave(model, np.unique(home[whole]), graduates)
    _persons_leave(model, rows[~whole], graduates)
    return len(rows)


def _persons_leave(model: CityModel, rows: np.ndarray, graduates: bool = False) -> None:
    """Out-migrants leave the books (their households' savings stay with the households); those
    registered in the city may keep their registration (:func:`simulator.model.registration.left`)."""
    if len(rows) == 0:
        return
    p = model.persons
    S = model.scale
    model.month_flows["out_migrants_high_skill"] += float((p.skill[rows] == SKILL_NAMES.index("high")).sum()) * S
    own_retirement = model.retirement_ages()[3 * p.female[rows].astype(np.int8) + p.skill[rows]]
    working_age = (p.age_m[rows] >= 12 * WORKING_AGE_MIN_YEARS) & (p.age_m[rows] < own_retirement)
    model.out_migrant_stock += float(np.count_nonzero(working_age)) * S
    regions.tally(model, "out_migrants", rows)
    registration.left(model, rows, graduates)
    remove_persons(model, rows)
    model.counts["out"] += len(rows) * S


def step(model: CityModel) -> None:
    """Households and persons leave, graduates stay away, migrants return and arrive."""
    mg = model.scenario.migration
    rng = model.streams["migration"]
    hh = model.households
    S = model.scale
    ratios = expected_income_ratios(model)
    types = household_type_codes(model)  # the households' types, farm households among them
    rural = (types & kernels.HAS_FARM) != 0
    model.expected_income_ratio = float(ratios[URBAN])
    if model.expected_income_ratio_start is None:
        first = model.expected_income_ratio_first_year
        first.append(model.expected_income_ratio)
        if len(first) == START_MONTHS:
            model.expected_income_ratio_start = float(np.mean(first))
    model.month_flows["expected_income_ratio"] += float(ratios[URBAN])
    model.month_flows["expected_income_ratio_rural"] += float(ratios[RURAL])

    # households: each with its probability (candidates at the highest, kept with their own over it)
    prob, has_wa = _leave_probability_and_working_age(model, ratios, rural, types)
    if draws.legacy("households_leaving"):  # tests only: one uniform per household row
        leaving = np.flatnonzero(rng.random(len(prob)) < prob)
    elif draws.keyed("households_leaving"):  # each household's keyed uniform (simulator.model.draws)
        bound = float(prob.max()) if len(prob) else 0.0
        cand, u = draws.keyed_candidates(model.draw_keys["households_leaving"], model.month_key, hh.uid[: len(prob)], bound)
        leaving = cand[u < prob[cand]]
    else:
        leaving = draws.thinned_positions(rng, prob)
    households_leave(model, leaving)

    # persons alone (from the households that stayed)
    if mg.individual.base_rate_per_year > 0:
        # the farm flags of the households that stayed are unchanged (a household leaves whole)
        leavers = individual_leavers(model, model.streams["migration_individual"], ratios, rural)
        k = persons_leave(model, leavers)
        model.month_flows["individual_out_migrants"] += k * S

    # university graduates who stay away
    share = odds_scaled(mg.graduates_staying_away_share, model.programmes.skilled_leaving_factor)  # talent lever
    grads = graduates(model) if share > 0 else np.zeros(0, np.intp)
    if len(grads):
        away = grads[model.streams["migration_graduates"].random(len(grads)) < share]
        model.month_flows["graduates_staying_away"] += persons_leave(model, away, graduates=True) * S

    # moves between the city's regions (households that stayed)
    regions.move_households(model, has_wa & hh.present[: hh.n])

    # high-skill households drawn by the talent lever's allowance and grant
    prog = model.programmes
    if prog.talent_households > 0:
        talent_rng = model.lever_streams["innovation_talent"]
        k = int(talent_rng.poisson(prog.talent_households / S))
        if k:
            h_idx = add_in_migrants(model, k, talent_rng, high_skill=True)
            model.month_flows["talent_households_recruited"] += k * S
            pay_settling_in_grants(model, h_idx)

    # return migrants: a share of the out-migrant stock comes back as households
    returning = model.out_migrant_stock * mg.return_rate_per_year / 12.0
    model.out_migrant_stock -= model.out_migrant_stock * mg.return_stock_exit_rate_per_year / 12.0
    if returning > 0:
        return_rng = model.month_stream("migration_return") if draws.keyed("arrivals") else model.streams["migration_return"]
        k = int(return_rng.poisson(returning / S / mg.in_household_size_persons))
        if k:
            h_idx = add_in_migrants(model, k, return_rng, kind="return_migrant")
            persons = float(hh.members[h_idx].sum()) * S
            model.out_migrant_stock = max(model.out_migrant_stock - persons, 0.0)
            model.month_flows["return_migrants"] += persons

    # in
    L = model.workers  # before this month's departures: the pull is read at the start of the month
    min_skill = model.sector_par["min_skill"]
    skilled_sector = np.zeros(N_SECTORS, bool)
    skilled_sector[min_skill > SKILL_NAMES.index("low")] = True
    rows, whole = labour_market.whole_targets_in(model, skilled_sector)
    vac_skilled = float(np.maximum(whole - L[rows], 0.0).sum())  # person rows
    hh_rows = (
        mg.in_base_households_per_year / 12.0 / S * in_migration_pull(model)
        + mg.in_vacancy_fill_share_per_month * vac_skilled / mg.in_household_size_persons
    )
    if draws.keyed("arrivals"):  # a stream of the month's own (simulator.model.draws)
        rng = model.month_stream("migration")
    k = int(rng.poisson(hh_rows))
    if k == 0:
        return
    pay_settling_in_grants(model, add_in_migrants(model, k, rng))


def pay_settling_in_grants(model: CityModel, h_idx: np.ndarray) -> None:
    """The talent lever's settling-in grant to each of the arriving households ``h_idx`` with a
    high-skill member (while the lever is active)."""
    grant = model.programmes.recruitment_subsidy
    if grant <= 0.0 or len(h_idx) == 0:
        return
    p, hh = model.persons, model.households
    first = int(h_idx.min())  # arrivals are appended: their members are the last rows
    rows = np.flatnonzero(p.household[: p.n] >= first)
    rows = rows[(p.skill[rows] == SKILL_NAMES.index("high")) & p.present[rows] & (p.status[rows] != CHILD)]  # a high-skill adult
    skilled = np.intersect1d(np.unique(p.household[rows]), h_idx)
    if len(skilled) == 0:
        return
    hh.savings[skilled] += grant
    model.pay("recruitment_subsidy", grant * len(skilled) * model.scale)


def add_in_migrants(model: CityModel, k: int, rng: np.random.Generator, high_skill: bool = False, kind: str | None = None) -> np.ndarray:
    """Append ``k`` household rows of in-migrants (adults job-seeking, children); returns
    the household rows. ``high_skill``: the adults are high-skill (recruited talent). Their lasting
    ids (``uid``) are hashes of the month and their place among the month's arrivals of their
    ``kind`` (``in_migrant``, ``recruit`` or ``return_migrant``: each kind has its own keys, so two
    kinds arriving in one month never share an id, nor the draws keyed on it)."""
    mg = model.scenario.migration
    p, hh = model.persons, model.households
    S = model.scale
    if kind is None:
        kind = "recruit" if high_skill else "in_migrant"
    size = 1 + rng.poisson(mg.in_household_size_persons - 1.0, size=k)
    h_idx = hh.append(
        savings=np.full(k, mg.in_savings_yuan_per_household),
        present=np.ones(k, bool),
        members=size.astype(np.int32),
        region=regions.arrival_regions(model, k, rng if high_skill else None),  # recruits: their lever's stream
        uid=draws.derived_uids(model.draw_keys[f"{kind}_household_id"], model.month_key, np.arange(k)),
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
        uid=draws.derived_uids(model.draw_keys[f"{kind}_person_id"], model.month_key, np.arange(m)),
    )
    model.counts["in"] += m * S
    regions.tally(model, "in_migrants", np.arange(p.n - m, p.n))
    registration.arrived(model, np.arange(p.n - m, p.n), kind)
    return h_idx
