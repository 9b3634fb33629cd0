"""The person-level rules written the ordinary Mesa way: one agent per person row.

This is not the simulator (that is :class:`simulator.model.city.CityModel`). It is a
second, independent implementation of the rules that ``CityModel`` runs with
``mechanisms="person_rules"``: demography, the labour market's transitions and migration,
with the firms frozen as built. It is written as plainly as Mesa allows: agent classes
:class:`Person`, :class:`Household` and :class:`Firm`, each rule a method of one agent,
and the model's month a sequence of ``AgentSet.shuffle_do`` passes (one per stage whose
rule needs the totals of the stage before). Draws come from the Mesa model's generators
(``agent.random`` per agent, ``model.rng`` for Poisson draws).

It serves twice:

* as a **test oracle**: started from the same initial city, its yearly totals
  (:data:`INDICATORS`) must have the same distribution as the vectorised model's
  (``tests/reference/test_agreement.py``);
* as the **speed baseline** of ``benchmarks/run_benchmarks.py``, which runs both on the
  same city in one process and prints the ratio.

A month, in the order of ``CityModel``'s person-rules step:

1. demography (one pass over persons, each on its own): age a month; die with the Gompertz
   probability of the year of age; a woman of 15-49 gives birth with her age's fertility
   rate / 12 (the child joins her household); a child of 6 starts school, a student of the
   skill's leaving age enters the labour force (inactive with
   ``labour_force_entry_inactive_share``, else a job seeker); an active person of the
   statutory age retires (one at work on a farm at ``farm_work_until_age_years``).
2. labour market: each employed person quits with ``quit_rate_per_month``; each firm above
   its whole target (its target's whole part, and one more for the firms chosen by
   ``apportion_targets``: incumbents first, then the largest fractional parts, as many as the
   group's fractional parts add up to) sets a layoff rate (its excess x the ownership's layoff share / its workers),
   and each of its workers is laid off with it (one laid off by a state firm, a mine or a public
   unit within ``early_retirement_years_before_statutory`` of the statutory age retires); each firm posts
   ``max(whole target - workers, 0)`` vacancies; each job seeker picks a sector with
   probability proportional to its fit x the sector's vacancies, the sector's hires follow
   the matching function, each seeker of the sector is hired with probability
   ``hires / sum of fits x own fit``, and the hired take the sector's vacancies in random
   order; the employed earn the (frozen) offer x skill premium; job seekers' spells grow and
   those aged 50+ leave the labour force with the discouraged-exit rate.
3. migration: the expected-income ratio R of two pools (non-farm: the destination wage x (1 -
   its unemployment rate) over the pool's average wage x (1 - its share of job seekers); farm:
   the same with migrant workers' wage), a farm household (a member whose job or last job is in
   agriculture) and its members using the farm pool's; each household
   with a working-age member leaves with its monthly probability (R^e, no earner, young adult,
   high skill, housing); each working-age person not at school and not living alone decides
   to leave alone (R^e, age profile, job seeker, high skill), and then this month's
   university graduates decide to stay away; a chosen person whose whole household is chosen
   takes it along (those in informal work count as job seekers; nobody is in informal work
   in the person rules, whose firms are frozen). A Poisson number of households returns from the out-migrant stock, then a
   Poisson number of in-migrant households arrives (the base flow plus a share of the
   skilled vacancies).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulator.model.city import release_agent_ids
from simulator.model.demography import (
    FERTILE_AGES,
    MAX_AGE_YEARS,
    SCHOOL_START_AGE_YEARS,
    gompertz_level,
)
from simulator.model.labour_market import DISCOURAGED_MIN_AGE_YEARS
from simulator.model.migration import MIN_HOME_INCOME_SHARE, WORKING_AGE_MIN_YEARS
from simulator.model.sectors import (
    AGRI,
    CHILD,
    EMPLOYED,
    INACTIVE,
    INFORMAL,
    N_SECTORS,
    PRIVATE,
    PUBLIC,
    REHOUSED,
    RETIRED,
    SECTOR_NAMES,
    SEEKING,
    SHANTYTOWN,
    SKILL_NAMES,
    STANDARD,
    STUDENT,
    SUBSIDENCE,
    UNEMPLOYED,
)
from simulator.model.series import series_at

if TYPE_CHECKING:
    from simulator.model.city import CityModel
    from simulator.scenario.schema import Scenario

INDICATORS = (
    "population",
    "births",
    "deaths",
    "employment_total",
    "unemployed_persons",
    "in_migrants",
    "out_migrants",
)
"""The yearly totals both models report (names of ``CityModel``'s indicators): persons, and
persons per year for the flows."""

HIGH = SKILL_NAMES.index("high")
ACTIVE = (EMPLOYED, UNEMPLOYED, INACTIVE, INFORMAL)


class Firm(mesa.Agent):
    """A firm row, frozen as built: its target and wage offer stay; its workforce changes."""

    def __init__(self, model: ReferenceModel, *, sector: int, ownership: int, alive: bool,
                 target: float, wage_offer: float) -> None:
        super().__init__(model)
        self.sector = sector
        self.ownership = ownership
        self.alive = alive
        self.target = target
        self.wage_offer = wage_offer
        self.workers = 0  # person rows employed here
        self.workers_after_match = 0  # at the end of last month's matching
        self.layoff_rate = 0.0
        self.vacancies = 0
        self.whole_target = 0  # this month's target in whole worker rows (ReferenceModel.apportion_targets)

    def set_layoff_rate(self) -> None:
        """A share of the excess of workers over the target is laid off this month."""
        lab = self.model.labour
        excess = self.workers - self.whole_target
        if self.workers > 0 and excess > 0:
            share = (
                lab.layoff_share_of_excess_per_month_private
                if self.ownership == PRIVATE
                else lab.layoff_share_of_excess_per_month_soe
            )
            self.layoff_rate = excess * share / self.workers
        else:
            self.layoff_rate = 0.0

    def post_vacancies(self) -> None:
        """Vacancies: the shortfall below the whole target."""
        if self.alive:
            self.vacancies = max(self.whole_target - self.workers, 0)
        else:
            self.vacancies = 0


class Household(mesa.Agent):
    """A household row: its present members and its housing."""

    def __init__(self, model: ReferenceModel, *, housing: int) -> None:
        super().__init__(model)
        self.housing = housing
        self.members: list[Person] = []

    def consider_leaving(self) -> None:
        """The whole household leaves the city with its monthly probability."""
        m = self.model
        working_age = [q for q in self.members if q.is_working_age()]
        if not working_age:
            return
        kind = 0
        if not any(q.status == EMPLOYED for q in self.members):
            kind |= 1
        if any(q.age_m // 12 <= m.migration.young_adult_max_age_years for q in working_age):
            kind |= 2
        if any(q.skill == HIGH for q in working_age):
            kind |= 4
        rate = m.migration.out_base_rate_per_year / 12.0 * m.income_factor[self.is_farm_household()]
        prob = min(rate * m.type_multiplier[kind] * m.housing_multiplier[self.housing], 1.0)
        if self.random.random() < prob:
            self.leave()

    def is_farm_household(self) -> bool:
        """A member works or last worked in agriculture."""
        return any(q.exp_sector == AGRI for q in self.members)

    def leave(self) -> None:
        """Every member leaves the city (out-migrants)."""
        for q in list(self.members):
            q.migrate_out()


class Person(mesa.Agent):
    """A person row (``scale`` persons)."""

    def __init__(self, model: ReferenceModel, *, household: Household, age_m: int, female: bool,
                 skill: int, status: int, exp_sector: int = -1, employer: Firm | None = None,
                 unemp_months: int = 0, pension: float = 0.0) -> None:
        super().__init__(model)
        self.household = household
        self.age_m = age_m
        self.female = female
        self.skill = skill
        self.status = status
        self.exp_sector = exp_sector
        self.employer = employer
        self.unemp_months = unemp_months
        self.pension = pension
        self.wage = 0.0
        self.sector_choice = -1
        self.fit = 0.0
        household.members.append(self)
        if employer is not None:
            employer.workers += 1

    # ------------------------------------------------------------- helpers

    def retirement_age_m(self) -> int:
        return self.model.retirement_age_m[3 * self.female + self.skill]

    def stops_working_age_m(self) -> int:
        """The statutory age, or for a farm worker the age farmers stop."""
        if self.status == EMPLOYED and self.employer.sector == AGRI:
            return 12 * self.model.farm_work_until_age
        return self.retirement_age_m()

    def is_working_age(self) -> bool:
        return WORKING_AGE_MIN_YEARS * 12 <= self.age_m < self.retirement_age_m()

    def leave_city(self) -> None:
        """Death or out-migration: the job ends and an empty household dissolves."""
        if self.employer is not None:
            self.employer.workers -= 1
            self.employer = None
        hh = self.household
        hh.members.remove(self)
        if not hh.members:
            hh.remove()
        self.remove()

    def migrate_out(self) -> None:
        """Out-migration: counted, added to the out-migrant stock if of working age, and gone."""
        m = self.model
        m.counts["out_migrants"] += m.scale
        if self.is_working_age():
            m.out_migrant_stock += m.scale
        self.leave_city()

    def decide_leaving_alone(self) -> None:
        """A working-age person not at school and not living alone may leave alone (decided on
        the households as they stand before anyone leaves alone this month)."""
        m = self.model
        ind = m.migration.individual
        if self.status not in ACTIVE or not self.is_working_age() or len(self.household.members) < 2:
            return
        age_y = min(self.age_m // 12, MAX_AGE_YEARS)
        profile = 0.0
        for age, value in sorted(ind.age_profile.items()):
            if age_y >= age:
                profile = value
        prob = m.alone_rate[self.household.is_farm_household()] * profile
        if self.status in SEEKING:
            prob *= ind.unemployed_multiplier
        if self.skill == HIGH:
            prob *= ind.high_skill_multiplier
        if self.random.random() < min(prob, 1.0):
            m.chosen.append(self)

    def decide_staying_away(self) -> None:
        """A university graduate of this month stays away with the scenario's share."""
        m = self.model
        if (self.skill == HIGH and self.status in ACTIVE
                and self.age_m == 12 * m.school_leaving_age[HIGH]):
            if self.random.random() < m.migration.graduates_staying_away_share:
                m.chosen.append(self)

    def separate(self) -> None:
        self.employer.workers -= 1
        self.employer = None
        self.status = UNEMPLOYED
        self.wage = 0.0
        self.unemp_months = 0

    def retire(self) -> None:
        m = self.model
        ref = self.wage if self.status == EMPLOYED else m.base_wage
        urban = self.exp_sector >= 0 and self.exp_sector != AGRI
        self.pension = m.social_security.pension_replacement_rate * ref if urban else 0.0
        if self.employer is not None:
            self.employer.workers -= 1
            self.employer = None
        self.status = RETIRED
        self.wage = 0.0

    def fit_for(self, sector: int) -> float:
        """How well the person fits a sector: experience and the sector's minimum skill."""
        m = self.model
        if self.skill < m.min_skill[sector]:
            return 0.0
        if self.exp_sector < 0 or self.exp_sector == sector:
            return 1.0
        return 1.0 - m.labour.sector_mismatch_penalty

    # --------------------------------------------------------------- rules

    def live_a_month(self) -> None:
        """Demography: ageing, death, giving birth, school, retirement."""
        m = self.model
        self.age_m += 1
        age_y = min(self.age_m // 12, MAX_AGE_YEARS)
        if self.random.random() < m.death_probability[age_y]:
            m.counts["deaths"] += m.scale
            self.leave_city()
            return
        if self.female and FERTILE_AGES[0] <= age_y <= FERTILE_AGES[1]:
            if self.random.random() < m.birth_probability[age_y]:
                m.add_newborn(self)
        if self.status == CHILD:
            if self.age_m >= 12 * SCHOOL_START_AGE_YEARS:
                self.status = STUDENT
        elif self.status == STUDENT:
            if age_y >= m.school_leaving_age[self.skill]:
                inactive = self.random.random() < m.labour.labour_force_entry_inactive_share
                self.status = INACTIVE if inactive else UNEMPLOYED
                self.unemp_months = 0
        elif self.status in ACTIVE and self.age_m >= self.stops_working_age_m():
            self.retire()

    def maybe_quit(self) -> None:
        if self.status == EMPLOYED and self.random.random() < self.model.labour.quit_rate_per_month:
            self.separate()

    def maybe_laid_off(self) -> None:
        if self.status == EMPLOYED:
            rate = self.employer.layoff_rate
            if rate > 0.0 and self.random.random() < rate:
                state = self.employer.ownership != PRIVATE
                self.separate()
                lab = self.model.labour
                years = lab.early_retirement_years_before_statutory
                if state and years > 0 and self.age_m >= self.retirement_age_m() - round(12 * years):
                    if self.random.random() < lab.early_retirement_take_up_share:
                        self.retire()  # internal or early retirement from a state firm

    def choose_sector(self) -> None:
        """A job seeker directs search at one sector: fit x the sector's vacancies."""
        self.sector_choice = -1
        if self.status not in SEEKING:
            return
        m = self.model
        attract = [self.fit_for(s) * m.sector_vacancies[s] for s in range(N_SECTORS)]
        total = sum(attract)
        if total <= 0.0:
            return
        u = self.random.random() * total
        choice, acc = N_SECTORS - 1, 0.0
        for s, a in enumerate(attract):
            acc += a
            if u < acc:
                choice = s
                break
        self.sector_choice = choice
        # those in informal work search on, with less weight
        weight = m.labour.informal.search_intensity if self.status == INFORMAL else 1.0
        self.fit = self.fit_for(choice) * weight
        m.sector_seekers[choice] += weight
        m.sector_fit[choice] += self.fit

    def maybe_hired(self) -> None:
        s = self.sector_choice
        if s >= 0 and self.random.random() < min(1.0, self.model.hire_factor[s] * self.fit):
            self.model.hired[s].append(self)

    def take_job(self, firm: Firm) -> None:
        self.status = EMPLOYED
        self.employer = firm
        firm.workers += 1
        self.exp_sector = firm.sector
        self.unemp_months = 0

    def end_month_at_work(self) -> None:
        """Wages of the employed; job seekers' spells and discouraged exits."""
        m = self.model
        if self.status == EMPLOYED:
            self.wage = self.employer.wage_offer * m.skill_premium[self.skill]
            m.wage_sum += self.wage
            m.n_employed += 1
        elif self.status == INFORMAL:
            self.unemp_months += 1  # months without a job: informal work is not one
        elif self.status == UNEMPLOYED:
            self.unemp_months += 1
            if self.age_m // 12 >= DISCOURAGED_MIN_AGE_YEARS:
                if self.random.random() < m.labour.discouraged_exit_rate_per_month_age_50_plus:
                    self.status = INACTIVE


class ReferenceModel(mesa.Model):
    """The person-level rules, one Mesa agent per person, household and firm row.

    Args:
        city: a built, not yet stepped :class:`CityModel`; its initial persons, households
            and firms are copied (the two models then run independently).
        rng: seed or generator of the Mesa model's random generators.
    """

    def __init__(self, city: CityModel, *, rng) -> None:
        super().__init__(rng=rng)
        if city.month != 0:
            raise ValueError("the reference starts from a city that has not been stepped")
        sc: Scenario = city.scenario
        self.scenario = sc
        self.demography = sc.demography
        self.labour = sc.labour
        self.migration = sc.migration
        self.social_security = sc.social_security
        self.scale = city.scale
        self.start_year, self.end_year = city.start_year, city.end_year
        self.year, self.month = city.start_year, 0
        self.skill_premium = [sc.labour.skill_wage_premium[s] for s in SKILL_NAMES]
        self.school_leaving_age = [sc.demography.school_leaving_age_years[s] for s in SKILL_NAMES]
        self.min_skill = [SKILL_NAMES.index(sc.sectors[s].min_skill) for s in SECTOR_NAMES]
        mg = sc.migration
        self.type_multiplier = [
            (mg.no_earner_multiplier if t & 1 else 1.0)
            * (mg.young_adult_multiplier if t & 2 else 1.0)
            * (mg.high_skill_multiplier if t & 4 else 1.0)
            for t in range(8)
        ]
        self.housing_multiplier = {STANDARD: 1.0, SHANTYTOWN: mg.shantytown_multiplier,
                                   SUBSIDENCE: mg.subsidence_multiplier, REHOUSED: mg.rehoused_multiplier}
        self.out_migrant_stock = 0.0  # working-age persons who left since the start (persons)
        self.chosen: list[Person] = []
        self.alone_rate: dict[bool, float] = {}
        self.income_factor: dict[bool, float] = {}
        self.relative_wage_agri = sc.sectors["agriculture"].relative_wage
        self.rows: list[dict[str, float]] = []
        self._copy_city(city)
        for firm in self.firms:  # as the city's counts of workers per firm row when built
            firm.workers_after_match = firm.workers
        self._new_year()

    # ------------------------------------------------------------- set-up

    def _copy_city(self, city: CityModel) -> None:
        p, hh, f = city.persons, city.households, city.firms
        self.firms = [
            Firm(self, sector=int(f.sector[i]), ownership=int(f.ownership[i]), alive=bool(f.alive[i]),
                 target=float(f.target[i]), wage_offer=float(f.wage_offer[i]))
            for i in range(f.n)
        ]
        homes = {
            h: Household(self, housing=int(hh.housing[h])) for h in np.flatnonzero(hh.view("present"))
        }
        for i in np.flatnonzero(p.view("present")):
            e = int(p.employer[i])
            person = Person(
                self, household=homes[int(p.household[i])], age_m=int(p.age_m[i]),
                female=bool(p.female[i]), skill=int(p.skill[i]), status=int(p.status[i]),
                exp_sector=int(p.exp_sector[i]), employer=self.firms[e] if e >= 0 else None,
                unemp_months=int(p.unemp_months[i]), pension=float(p.pension[i]),
            )
            person.wage = float(p.wage[i])

    def _new_year(self) -> None:
        """Rates of the year: mortality, fertility, retirement ages, wages of reference."""
        d, y = self.demography, self.year
        slope = d.gompertz_slope_per_year
        level = gompertz_level(series_at(d.life_expectancy_years, y), slope)
        self.death_probability = [
            1.0 if a >= MAX_AGE_YEARS else 1.0 - math.exp(-level * math.exp(slope * a) / 12.0)
            for a in range(MAX_AGE_YEARS + 1)
        ]
        lo, hi = FERTILE_AGES
        dens = [
            math.exp(-0.5 * ((a - d.fertility_mean_age_years) / d.fertility_sd_years) ** 2) if lo <= a <= hi else 0.0
            for a in range(MAX_AGE_YEARS + 1)
        ]
        tfr = series_at(d.total_fertility_rate, y)
        self.birth_probability = [tfr * x / sum(dens) / 12.0 for x in dens]
        men = round(12.0 * series_at(d.retirement_age_men_years, y))
        ww = round(12.0 * series_at(d.retirement_age_women_workers_years, y))
        wc = round(12.0 * series_at(d.retirement_age_women_cadres_years, y))
        self.retirement_age_m = [men, men, men, ww, ww, wc]
        self.farm_work_until_age = d.farm_work_until_age_years
        w = self.scenario.world
        self.base_wage = series_at(w.national_average_wage_yuan_per_year, y) / 12.0 * w.local_wage_ratio_to_national
        self.destination_wage = series_at(self.migration.destination_wage_yuan_per_month, y)
        self.destination_unemployment = series_at(self.migration.destination_unemployment_rate, y)
        self.rural_destination_wage = series_at(self.migration.rural_destination_wage_yuan_per_month, y)
        self.counts = dict.fromkeys(("births", "deaths", "in_migrants", "out_migrants"), 0)

    def add_newborn(self, mother: Person) -> None:
        d = self.demography
        shares = [d.newborn_skill_shares[s] for s in SKILL_NAMES]
        Person(
            self, household=mother.household, age_m=0,
            female=self.random.random() >= d.male_share_at_birth,
            skill=self.random.choices(range(len(SKILL_NAMES)), weights=shares)[0], status=CHILD,
        )
        self.counts["births"] += self.scale

    # --------------------------------------------------------------- step

    def step(self) -> None:
        """One month: demography, labour market, migration."""
        self.month += 1
        if self.month > 12:
            self.month = 1
            self.year += 1
            self._new_year()
        persons = self.agents_by_type[Person]
        firms = self.agents_by_type[Firm]

        persons.shuffle_do("live_a_month")

        self.apportion_targets(firms)
        persons.shuffle_do("maybe_quit")
        firms.do("set_layoff_rate")
        persons.shuffle_do("maybe_laid_off")
        firms.do("post_vacancies")
        self.match(persons)
        for firm in firms:
            firm.workers_after_match = firm.workers
        self.wage_sum, self.n_employed = 0.0, 0
        persons.shuffle_do("end_month_at_work")
        average_wage = self.wage_sum / self.n_employed if self.n_employed else 0.0

        self.migrate(average_wage)
        if self.month == 12:
            self.record_year()

    def apportion_targets(self, firms) -> None:
        """Whole targets: within each group of firms (a sector's firms, its public units apart)
        each alive firm gets the whole part of its target, and the group's rounded sum of the
        fractional parts goes one worker each to the firms that held one more than their whole
        part after last month's matching, then to the largest fractional parts (ties: the firm
        built first)."""
        groups: dict[tuple[int, bool], list[tuple[int, Firm]]] = {}
        for i, firm in enumerate(firms):
            firm.whole_target = math.floor(firm.target) if firm.alive else 0
            if firm.alive:
                groups.setdefault((firm.sector, firm.ownership == PUBLIC), []).append((i, firm))
        for members in groups.values():
            extras = math.floor(sum(f.target - math.floor(f.target) for _, f in members) + 0.5)
            eligible = [(i, f) for i, f in members if f.target > math.floor(f.target)]
            eligible.sort(key=lambda e: (not e[1].workers_after_match > math.floor(e[1].target),
                                         -(e[1].target - math.floor(e[1].target)), e[0]))
            for _, firm in eligible[:extras]:
                firm.whole_target += 1

    def match(self, persons) -> None:
        """Seekers choose sectors, the matching function sets hires, the hired fill vacancies."""
        lab = self.labour
        self.sector_vacancies = [0] * N_SECTORS
        for firm in self.firms:
            self.sector_vacancies[firm.sector] += firm.vacancies
        self.sector_seekers = [0] * N_SECTORS
        self.sector_fit = [0.0] * N_SECTORS
        if sum(self.sector_vacancies) == 0:
            return
        persons.shuffle_do("choose_sector")
        a = lab.matching_elasticity_unemployed
        self.hire_factor = [0.0] * N_SECTORS
        for s in range(N_SECTORS):
            u, v, w = self.sector_seekers[s], self.sector_vacancies[s], self.sector_fit[s]
            hires = min(lab.matching_efficiency_per_month * u**a * v ** (1.0 - a), v, u)
            self.hire_factor[s] = hires / w if w > 0 else 0.0
        self.hired: list[list[Person]] = [[] for _ in range(N_SECTORS)]
        persons.shuffle_do("maybe_hired")
        for s in range(N_SECTORS):
            if not self.hired[s]:
                continue
            slots = [firm for firm in self.firms if firm.sector == s for _ in range(firm.vacancies)]
            self.random.shuffle(slots)
            for person, firm in zip(self.hired[s], slots, strict=False):
                person.take_job(firm)

    def migrate(self, average_wage: float) -> None:
        """Households and persons leave, graduates stay away, migrants return and arrive."""
        mg = self.migration
        skilled = [self.min_skill[s] > 0 for s in range(N_SECTORS)]
        vac_skilled = sum(
            max(f.target - f.workers, 0.0) for f in self.firms if f.alive and skilled[f.sector]
        )  # read before this month's departures
        # expected incomes of the two pools: non-farm (urban) and farm (rural)
        self.income_factor = {}
        for farm, dest_wage in ((False, self.destination_wage), (True, self.rural_destination_wage)):
            pool = [q for q in self.agents_by_type[Person] if (q.exp_sector == AGRI) == farm]
            wages = [q.wage for q in pool if q.status == EMPLOYED]
            seeking = sum(q.status in SEEKING for q in pool)
            u = seeking / (len(wages) + seeking) if wages or seeking else 0.0
            wage = sum(wages) / len(wages) if wages else self.base_wage * (self.relative_wage_agri if farm else 1.0)
            dest = dest_wage * (1.0 - self.destination_unemployment)
            ratio = dest / max(wage * (1.0 - u), MIN_HOME_INCOME_SHARE * dest)
            self.income_factor[farm] = ratio ** mg.income_elasticity
        self.agents_by_type[Household].shuffle_do("consider_leaving")

        persons = self.agents_by_type[Person]
        if mg.individual.base_rate_per_year > 0:
            self.alone_rate = {farm: mg.individual.base_rate_per_year / 12.0 * f for farm, f in self.income_factor.items()}
            self.chosen = []
            persons.shuffle_do("decide_leaving_alone")
            self.leave_alone(self.chosen)
        if mg.graduates_staying_away_share > 0:
            self.chosen = []
            persons.shuffle_do("decide_staying_away")
            self.leave_alone(self.chosen)

        # return migrants from the out-migrant stock
        returning = self.out_migrant_stock * mg.return_rate_per_year / 12.0
        self.out_migrant_stock -= self.out_migrant_stock * mg.return_stock_exit_rate_per_year / 12.0
        if returning > 0:
            for _ in range(int(self.rng.poisson(returning / self.scale / mg.in_household_size_persons))):
                size = self.add_in_migrant_household()
                self.out_migrant_stock = max(self.out_migrant_stock - size * self.scale, 0.0)

        rate = (
            mg.in_base_households_per_year / 12.0 / self.scale
            + mg.in_vacancy_fill_share_per_month * vac_skilled / mg.in_household_size_persons
        )
        for _ in range(int(self.rng.poisson(rate))):
            self.add_in_migrant_household()

    def leave_alone(self, chosen: list[Person]) -> None:
        """The chosen persons leave; a household all of whose members are chosen leaves whole."""
        by_household: dict[Household, list[Person]] = {}
        for q in chosen:
            by_household.setdefault(q.household, []).append(q)
        for home, leaving in by_household.items():
            if len(leaving) >= len(home.members):
                home.leave()
            else:
                for q in leaving:
                    q.migrate_out()

    def add_in_migrant_household(self) -> int:
        """An in-migrant household arrives (adults seeking work, children); returns its size."""
        mg = self.migration
        shares = [mg.in_skill_shares[s] for s in SKILL_NAMES]
        home = Household(self, housing=STANDARD)
        size = 1 + int(self.rng.poisson(mg.in_household_size_persons - 1.0))
        for i in range(size):
            adult = i < 2
            age_y = (
                self.random.randint(mg.in_adult_age_min_years, mg.in_adult_age_max_years)
                if adult
                else self.random.randint(0, mg.in_child_age_max_years)
            )
            Person(
                self, household=home, age_m=12 * age_y, female=self.random.random() < mg.in_female_share,
                skill=self.random.choices(range(len(SKILL_NAMES)), weights=shares)[0],
                status=UNEMPLOYED if adult else CHILD,
            )
        self.counts["in_migrants"] += size * self.scale
        return size

    def record_year(self) -> None:
        persons = self.agents_by_type[Person]
        statuses = [q.status for q in persons]
        self.rows.append(
            {
                "year": self.year,
                "population": len(statuses) * self.scale,
                "employment_total": statuses.count(EMPLOYED) * self.scale,
                "unemployed_persons": statuses.count(UNEMPLOYED) * self.scale,
                **self.counts,
            }
        )

    def run(self) -> None:
        """Every month to the scenario's end year."""
        for _ in range((self.end_year - self.start_year + 1) * 12):
            self.step()
        release_agent_ids(self)  # no agent is made after the run: let the model be freed

    def indicators(self) -> dict[str, np.ndarray]:
        """The yearly :data:`INDICATORS` as arrays."""
        return {k: np.array([float(r[k]) for r in self.rows]) for k in INDICATORS}


_loops_loaded = False  # whether this process has run the person rules once (see run_pair)


def run_pair(scenario: Scenario, *, seed: int) -> dict:
    """One initial city, run by the vectorised model (person rules) and by the reference.

    Returns:
        ``{"vectorised": {indicator: yearly array}, "reference": {...},
        "seconds": {"vectorised": s, "reference": s}, "cpu_seconds": {...}}`` with the wall
        and CPU time of each run (building excluded).
    """
    from simulator.model.city import STREAMS, CityModel

    global _loops_loaded
    if not _loops_loaded:
        # one step of a throwaway city first: the compiled loops (simulator.model.kernels) are
        # loaded once per process, a cost that is not the rules' and stays out of the timing
        CityModel(scenario, levers=(), seed=seed, mechanisms="person_rules").step()
        _loops_loaded = True
    city = CityModel(scenario, levers=(), seed=seed, mechanisms="person_rules")
    # a stream of the run's seed that no mechanism of the city uses
    ref_seed = np.random.SeedSequence(city.seed_value).spawn(len(STREAMS) + 1)[-1]
    reference = ReferenceModel(city, rng=np.random.default_rng(ref_seed))
    t0, c0 = time.perf_counter(), time.process_time()
    city.run()
    t1, c1 = time.perf_counter(), time.process_time()
    reference.run()
    t2, c2 = time.perf_counter(), time.process_time()
    vec = {k: np.array([r[k] for r in city.recorder.rows], dtype=float) for k in INDICATORS}
    return {
        "vectorised": vec,
        "reference": reference.indicators(),
        "seconds": {"vectorised": t1 - t0, "reference": t2 - t1},
        "cpu_seconds": {"vectorised": c1 - c0, "reference": c2 - c1},
    }
