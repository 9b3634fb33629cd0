"""Labour market: separations, layoffs, search and matching, wages (monthly).

1. Quits: each employed person quits with ``labour.quit_rate_per_month``.
2. Layoffs: a firm with more workers than its target lays off a share of the
   excess each month (``layoff_share_of_excess_per_month_private`` / ``_soe``:
   state-owned firms and public units shed labour more slowly): each of its workers
   is laid off with the rate ``excess x share / workers``.

Quits and layoffs are independent trials per worker, drawn as counts (the gaps between the
events, :mod:`simulator.model.draws`) rather than one uniform per worker.
3. Matching: each job seeker directs search at one sector, chosen with
   probability proportional to the sector's vacancies times a fit weight: 1
   for a seeker with experience in that sector (or none), ``1 -
   sector_mismatch_penalty`` otherwise, and 0 below the sector's minimum
   skill. Hires per sector follow a Cobb-Douglas matching function
   ``m = efficiency * U^a * V^(1-a)`` (capped by seekers and vacancies);
   among a sector's seekers the chance of being hired is proportional to the
   fit weight. Hires fill the sector's firms' vacancies in random order.
4. Wages: a firm's low-skill wage offer is its sector's norm (relative wage x
   the city reference wage) times (1 + its premium), capped at the
   ``max_labour_share_of_value_added`` of its value added per worker; the
   premium rises while vacancies stay unfilled and falls while the firm makes
   losses. A worker earns the offer times the skill premium.
5. Unemployed persons aged 50+ leave the labour force at
   ``discouraged_exit_rate_per_month_age_50_plus``.

Institutions of the Chinese labour market: workers laid off by state firms, mines and public
units within ``early_retirement_years_before_statutory`` of their statutory age retire
(internal retirement, :func:`retire_early`); job seekers take up informal work and leave it
(:func:`informal_work`, a step of its own), search on while in it (``informal.search_intensity``)
and are paid out of the households' services demand (:func:`informal_earnings`).

Levers act here through the programme plan (:class:`simulator.policy.registry.Programmes`):
the SOE reform's layoff rate for state firms; re-employment training (trainees
chosen before matching, with a smaller mismatch penalty); public-welfare jobs
(one seeker per household with no earner hired by a public unit after
matching, at the welfare wage); resettlement payments to workers laid off by
mines while the overcapacity lever is active.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.model import draws, kernels, regions
from simulator.model.demography import retire
from simulator.model.funding import central_to_city
from simulator.model.sectors import (
    EMPLOYED,
    INACTIVE,
    INFORMAL,
    N_SECTORS,
    PRIVATE,
    PUBLIC,
    SERV,
    SKILL_NAMES,
    SOE,
    UNEMPLOYED,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel

N_SKILLS = len(SKILL_NAMES)
N_PAY_CLASSES = 2 * N_SKILLS  # a worker's skill, in an ordinary or a public-welfare job
DISCOURAGED_MIN_AGE_YEARS = 50  # structural: the age band of discouraged_exit_rate_per_month_age_50_plus


def employees(model: CityModel) -> np.ndarray:
    """Workers (person rows) per firm row."""
    p = model.persons
    emp = p.view("employer")
    return np.bincount(emp[emp >= 0], minlength=model.firms.n).astype(np.float64)


@dataclass
class Employment:
    """Who works where after this month's hiring, for the mechanisms that follow it.

    Set by :func:`record_employment` (at the end of the labour market, and when the
    model is built); it describes the employed until the next change of jobs (the
    firms' exits and the migration later in the month), and production and public finance read it.
    Nobody is hired before the next labour market, so the firms' exits find every worker still
    employed among its rows (those who left since are no longer employed).

    A worker's pay class is its skill, plus ``N_SKILLS`` in a public-welfare job (paid the
    welfare wage): all workers of one firm row and class earn the same wage.

    Attributes:
        rows: person rows of the employed, in row order.
        employer: the employer row of each.
        cell: ``pay class x firm rows + employer row`` of each employed row (int64): its
            (class, firm) cell in the tables below.
        count: employed person rows per pay class and firm row (int32), shape
            (N_PAY_CLASSES, firm rows), or (N_SKILLS, firm rows) while nobody holds a
            welfare job.
        wage: the wage of each employed row (float32 yuan/month), set by :func:`set_wages`.
        wage_table: the wage per (pay class, firm row) it was read from (:func:`wage_table`,
            the rows in use), set by :func:`set_wages`.
    """

    rows: np.ndarray
    employer: np.ndarray
    cell: np.ndarray
    count: np.ndarray
    wage: np.ndarray | None = None
    wage_table: np.ndarray | None = None

    def per_firm(self, by_class: np.ndarray) -> np.ndarray:
        """Sum over each firm row's workers of a value given by pay class, shape
        (N_PAY_CLASSES,), or by class and firm row, shape (N_PAY_CLASSES, firm rows). With
        whole counts and float32 values the sum is exact, so it equals the sum over the
        persons in any order."""
        c = self.count  # the welfare classes are left out while nobody holds a welfare job
        by_class = np.asarray(by_class)[: len(c)]
        if by_class.ndim == 1:
            by_class = np.broadcast_to(by_class[:, None], c.shape)
        return kernels.per_firm(c, by_class)  # c[0] * by_class[0] + c[1] * by_class[1] + ...

    def workers(self) -> np.ndarray:
        """Employed person rows per firm row."""
        return self.per_firm(np.ones(N_PAY_CLASSES))


def record_employment(model: CityModel) -> None:
    """Record who works where (:class:`Employment`)."""
    p, nf = model.persons, model.firms.n
    rows = np.flatnonzero(p.view("status") == EMPLOYED)
    # the welfare classes only while someone holds a welfare job
    n_classes = N_PAY_CLASSES if p.welfare_job[rows].any() else N_SKILLS
    employer, cell, count = kernels.employment_cells(rows, p.employer, p.skill, p.welfare_job, nf, n_classes, N_SKILLS)
    model.employment = Employment(rows=rows, employer=employer, cell=cell, count=count)


def separate(model: CityModel, rows: np.ndarray) -> None:
    """Employed persons lose their job and become job seekers.

    ``kernels.quits`` and ``kernels.layoffs`` make the same changes to the rows they separate
    (in their loops): a change here must be made there too
    (``test_compiled_quits_and_layoffs_separate_as_separate_does`` fails until it is).
    """
    p = model.persons
    p.status[rows] = UNEMPLOYED
    p.employer[rows] = -1
    p.wage[rows] = 0.0
    p.unemp_months[rows] = 0
    p.welfare_job[rows] = False


def resettle(model: CityModel, rows: np.ndarray) -> None:
    """Central resettlement payment to persons ``rows`` just laid off by mines (overcapacity lever)."""
    amount = model.programmes.resettlement_per_laid_off
    if amount <= 0.0 or len(rows) == 0:
        return
    p = model.persons
    kernels.add_per_person(model.hh_income[: model.households.n], p.household, rows, float(amount))
    total = len(rows) * model.scale * amount
    model.pay("resettlement_payments", total)


def retire_early(model: CityModel, rows: np.ndarray) -> None:
    """Laid-off workers of state firms and mines (``rows``, just separated) within
    ``labour.early_retirement_years_before_statutory`` years of their statutory retirement age
    retire at once with probability ``early_retirement_take_up_share`` (internal and early
    retirement of the state sector: they leave the labour force on a pension rather than look
    for work). Their pension is computed on the city's reference wage, as for anyone who
    retires from job search."""
    lab = model.scenario.labour
    years = lab.early_retirement_years_before_statutory
    if years <= 0.0 or lab.early_retirement_take_up_share <= 0.0 or len(rows) == 0:
        return
    p = model.persons
    ret_age = model.retirement_age_months(p.female[rows], p.skill[rows])
    eligible = rows[p.age_m[rows] >= ret_age - np.rint(12.0 * years)]
    draw = model.streams["labour_early_retirement"].random(len(eligible))
    early = eligible[draw < lab.early_retirement_take_up_share]
    if len(early):
        retire(model, early)
        model.month_flows["early_retirements"] += len(early) * model.scale


def informal_work(model: CityModel) -> None:
    """Job seekers start informal work, and informal work ends (after the month's matching).

    Informal work is own-account services (street trade, repairs, transport, domestic work,
    day labour): the census counts it as employment in services (``employment_census``), the
    registered unemployment rate leaves it out, and for migration it counts as being without a
    job (:func:`simulator.model.migration.looking_for_work`). It runs only with every mechanism
    (not in ``person_rules``, whose firms are frozen and which has no informal workers).

    Each job seeker (``UNEMPLOYED``) starts informal, own-account work (status ``INFORMAL``) with
    ``labour.informal.entry_rate_per_month``; each informal worker goes back to plain job seeking
    with ``exit_rate_per_month``; their spell (``unemp_months``, the months since their last job)
    runs on through informal work, so leaving it opens no new benefit entitlement. Informal
    workers keep searching for a job (:func:`step`, with ``search_intensity``); they are paid by
    :func:`informal_earnings`.
    """
    inf = model.scenario.labour.informal
    if inf.entry_rate_per_month <= 0.0 and inf.exit_rate_per_month <= 0.0:
        return
    rng = model.streams["labour_informal"]
    p = model.persons
    status = p.view("status")
    _, informal, seekers = kernels.rows_of_two(status, INFORMAL, UNEMPLOYED, False)
    start = seekers[rng.random(len(seekers)) < inf.entry_rate_per_month]
    stop = informal[rng.random(len(informal)) < inf.exit_rate_per_month]
    p.status[start] = INFORMAL
    p.status[stop] = UNEMPLOYED  # the spell goes on: months without a job (no new benefit entitlement)


def informal_earnings(model: CityModel, services_demand: float) -> tuple[float, np.ndarray]:
    """What informal workers earn this month, out of the households' local services demand.

    Each informal worker would earn ``earnings_share_of_services_wage`` x the services sector's
    low-skill wage norm (``relative_wage`` x the reference wage); the total is at most
    ``max_share_of_household_services_demand`` x ``services_demand`` (yuan/month, all rows), and
    shared equally when that binds. Returns the total (yuan/month) and the informal rows.
    """
    p = model.persons
    rows = np.flatnonzero(p.view("status") == INFORMAL)
    if len(rows) == 0:
        return 0.0, rows
    inf = model.scenario.labour.informal
    norm = model.sector_par["relative_wage"][SERV] * model.base_wage()
    want = len(rows) * model.scale * inf.earnings_share_of_services_wage * norm
    return min(want, inf.max_share_of_household_services_demand * max(services_demand, 0.0)), rows


def fit_weights(
    model: CityModel, exp_sector: np.ndarray, skill: np.ndarray, trained: np.ndarray | None = None
) -> np.ndarray:
    """Seekers x sectors matrix of fit: experience match and minimum skill.

    Trained seekers (``trained``) suffer the mismatch penalty cut by the
    re-employment lever's ``mismatch_reduction_share``.
    """
    lab = model.scenario.labour
    w = np.full((len(exp_sector), N_SECTORS), 1.0 - lab.sector_mismatch_penalty)
    cut = model.programmes.mismatch_reduction
    if trained is not None and cut > 0.0 and trained.any():
        w[trained] = 1.0 - lab.sector_mismatch_penalty * (1.0 - cut)
    has_exp = exp_sector >= 0
    w[np.flatnonzero(has_exp), exp_sector[has_exp]] = 1.0
    w[~has_exp, :] = 1.0
    min_skill = model.sector_par["min_skill"]
    w[skill[:, None] < min_skill[None, :]] = 0.0
    return w


def whole_targets(model: CityModel) -> np.ndarray:
    """Each firm row's staffing target in whole worker rows, apportioned within its group (its
    sector; public units apart) so that the group's whole targets add up to its targets' sum,
    rounded:

    every row gets the whole part of its target, ``floor(target)``, and the group's
    ``round(sum of the fractional parts)`` extra workers go first to the rows that already hold
    one (last month's workers above the whole part: incumbents keep their worker), then to the
    rows with the largest fractional parts (ties: the earlier row). Rows whose target is whole get
    no extra; dead rows none.

    A fresh rounding each month made the rows of one or two workers lay off and hire back month
    after month (about 40% of jobs a year changed hands); a rounding drawn once per row and kept
    was right only on the day it was drawn (rows rounded down lost their sales and exited, the
    others kept a worker too many). Here a group's staff is its demand to within a worker row, and
    a row loses its extra worker only when the group's demand no longer carries it.
    """
    f = model.firms
    nf = f.n
    held = np.zeros(0) if model.workers is None else model.workers[:nf]
    return kernels.apportion_whole(
        f.target[:nf], f.alive[:nf], f.sector[:nf], f.ownership[:nf], PUBLIC, N_SECTORS, held
    )


def whole_targets_in(model: CityModel, sectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The live firm rows of some sectors (``sectors``: bool per sector), in row order, and their
    whole targets: ``whole_targets(model)[rows]``. The groups are sectors, so the rows of whole
    sectors are apportioned on their own (in a pass over them alone, not over every firm row)."""
    f = model.firms
    nf = f.n
    rows = np.flatnonzero(f.alive[:nf] & sectors[f.sector[:nf]])
    workers = np.zeros(0) if model.workers is None else model.workers
    held = workers[rows[: np.searchsorted(rows, len(workers))]]  # the rows after the workers' hold none
    whole = kernels.apportion_whole(
        f.target[rows], np.ones(len(rows), bool), f.sector[rows], f.ownership[rows], PUBLIC, N_SECTORS, held
    )
    return rows, whole


def step(model: CityModel, *, set_offers: bool = True) -> None:
    """Quits, layoffs, matching and wages for one month.

    Args:
        model: the city.
        set_offers: firms update their wage offers (False: the offers stay as they
            are, as when the firms are frozen, see ``CityModel(mechanisms="person_rules")``).
    """
    p, f = model.persons, model.firms
    lab = model.scenario.labour
    rng = model.streams["labour"]
    n = p.n
    status = p.status[:n]

    # 1. quits: the employed whose draw falls below the quit rate become job seekers
    # 2. layoffs toward target; public-welfare jobs are outside firms' targets: the workers who
    # stay in ordinary jobs (rows, employers) and the workers per firm row of each kind
    nf = f.n
    target = whole_targets(model)
    emp_rows = np.flatnonzero(status == EMPLOYED)
    keys, month, uid = model.draw_keys, model.month_key, p.uid
    if draws.legacy("quits"):  # tests only: one uniform per employed person
        quit_pos = np.flatnonzero(rng.random(len(emp_rows)) < lab.quit_rate_per_month)
    elif draws.keyed("quits"):  # each worker's keyed uniform (simulator.model.draws)
        quit_pos = draws.keyed_candidates_of_rows(keys["quits"], month, uid, emp_rows, lab.quit_rate_per_month)[0]
    else:  # the same trials, drawn as the gaps between quits
        quit_pos = draws.bernoulli_positions(rng, len(emp_rows), lab.quit_rate_per_month)
    emp_rows, employer, L, welfare_held = kernels.quits(
        emp_rows, quit_pos, p.welfare_job, p.employer, p.status, p.wage, p.unemp_months, UNEMPLOYED, nf,
    )
    # the rate: a share of the workers above the target (state-owned firms and public units: their
    # own share; the state-owned firms that of the programme, where one is in force)
    prog = model.programmes
    layoff_rate = kernels.layoff_rates(
        L, target, f.ownership[:nf], PRIVATE, SOE, lab.layoff_share_of_excess_per_month_private,
        lab.layoff_share_of_excess_per_month_soe, prog.soe_layoff_share is not None,
        0.0 if prog.soe_layoff_share is None else prog.soe_layoff_share,
    )
    # each worker is laid off with the firm's rate (separated, and taken off the firm's count):
    # candidates drawn at the highest rate, each kept with its firm's rate over it
    if draws.legacy("layoffs"):  # tests only: one uniform per worker, the j-th against the j-th
        cand, bound = np.arange(len(emp_rows)), 1.0
        u = rng.random(len(cand))
    elif draws.keyed("layoffs"):  # each worker's keyed uniform (below the highest rate), compared with their firm's rate
        cand, u = draws.keyed_candidates_of_rows(keys["layoffs"], month, uid, emp_rows, float(layoff_rate.max()) if nf else 0.0)
        bound = 1.0
    else:
        bound = float(layoff_rate.max()) if nf else 0.0
        cand = draws.bernoulli_positions(rng, len(emp_rows), bound)
        u = rng.random(len(cand))
    laid, laid_employer = kernels.layoffs(
        emp_rows, employer, layoff_rate, cand, u, bound, L,
        p.status, p.employer, p.wage, p.unemp_months, p.welfare_job, UNEMPLOYED,
    )
    model.month_flows["quits"] += len(quit_pos) * model.scale
    model.month_flows["layoffs"] += len(laid) * model.scale
    resettle(model, laid[f.is_mine[laid_employer]])
    retire_early(model, laid[f.ownership[laid_employer] != PRIVATE])

    # 2b. re-employment training (lever): seekers start training before they search
    # the job seekers: the unemployed and those in informal work, who search on (training
    # changes no status); the unemployed among them, in row order
    seekers, unemployed, informal_rows = kernels.rows_of_two(status, UNEMPLOYED, INFORMAL, True)
    if prog.trainees > 0:  # (training changes no status)
        train(model, model.lever_streams["reemployment"], unemployed)

    # 3. matching
    alive = f.alive[:nf]
    vac, vac_s = kernels.vacancies(target, L, alive, f.sector[:nf], N_SECTORS)
    hired_total = from_informal = first_job = 0
    if len(seekers) and vac_s.sum() > 0:
        # seekers differ only by experience (none or one of the sectors), skill and training:
        # the fit weights and sector choice probabilities are computed once per type
        exp_t = np.repeat(np.arange(-1, N_SECTORS, dtype=np.int8), 2 * N_SKILLS)
        skill_t = np.tile(np.repeat(np.arange(N_SKILLS, dtype=np.int8), 2), N_SECTORS + 1)
        trained_t = np.tile(np.array([False, True]), (N_SECTORS + 1) * N_SKILLS)
        w_t = fit_weights(model, exp_t, skill_t, trained_t)
        attract_t = w_t * vac_s[None, :]
        tot_t = attract_t.sum(axis=1)
        # the seekers' types (experience, skill, training); those whose type finds no vacancy do not search
        ok = tot_t > 0
        seekers, kind = kernels.seeker_types(seekers, p.exp_sector, p.skill, p.trained, N_SKILLS, ok)
        cum_t = np.ones_like(attract_t)  # types that do not search are never looked up
        cum_t[ok] = np.cumsum(attract_t[ok] / tot_t[ok, None], axis=1)
        # each seeker's sector (the first whose cumulative share exceeds the draw) and fit; informal
        # workers search less hard: they count for less in U_s and W_s
        choice, fit, U_s, W_s = kernels.seeker_choices(
            cum_t, kind, rng.random(len(seekers)), w_t, seekers, p.status, INFORMAL, lab.informal.search_intensity
        )
        a = lab.matching_elasticity_unemployed
        m_s = lab.matching_efficiency_per_month * U_s**a * vac_s ** (1.0 - a)
        m_s = np.minimum(np.minimum(m_s, vac_s), U_s)
        # each seeker is hired with minimum(1, m_s / W_s x fit)
        h_rows, h_sec = kernels.hires(
            seekers, choice, fit, np.divide(m_s, W_s, out=np.zeros(N_SECTORS), where=W_s > 0), rng.random(len(seekers))
        )
        open_rows = np.flatnonzero(vac > 0)
        open_sector = f.sector[open_rows]
        filled = []
        for s in range(N_SECTORS):
            rows = h_rows[h_sec == s]
            if len(rows) == 0:
                continue
            if not draws.legacy("hiring_queue"):  # the hires queue for the vacancies in a keyed random order, not in row order
                rows = rows[np.argsort(draws.keyed_uniforms(keys["hiring_queue"], month, uid[rows]), kind="stable")]
            fs = open_rows[open_sector == s]
            slots = np.repeat(fs, vac[fs].astype(np.int64))
            rng.shuffle(slots)
            if model.regions.n > 1:  # a vacancy in the hire's own region (or commuting zone)
                hi, si = regions.match_local_first(
                    regions.of_persons(model, rows), f.region[slots], model.regions.urban
                )
                rows, slots = rows[hi], slots[si]
            k = min(len(rows), len(slots))
            rows = rows[:k]
            from_informal += int(np.count_nonzero(p.status[rows] == INFORMAL))
            first_job += int(np.count_nonzero(p.exp_sector[rows] < 0))
            p.status[rows] = EMPLOYED
            p.employer[rows] = slots[:k]
            p.exp_sector[rows] = s
            p.unemp_months[rows] = 0
            filled.append(slots[:k])
            hired_total += k
        if filled:  # whole counts: adding them sector by sector or at once gives the same floats
            L += np.bincount(np.concatenate(filled), minlength=nf)
    model.hires = hired_total
    model.month_flows["hires"] += hired_total * model.scale
    model.month_flows["hires_from_informal"] += from_informal * model.scale
    model.month_flows["hires_first_job"] += first_job * model.scale

    # 3b. public-welfare jobs (lever) for households with no employed member
    welfare_rng = model.lever_streams["reemployment"]
    if prog.welfare_jobs_max > 0:
        # the job seekers now: those before the matching still without a job; the welfare jobs
        # held: those counted before the layoffs (layoffs and hires leave them alone)
        seekers_now = unemployed[status[unemployed] == UNEMPLOYED]
        welfare_held += welfare_jobs(model, welfare_rng, seekers_now, int(welfare_held.sum()))
    L += welfare_held  # every worker counts, welfare jobs released this month included
    if welfare_held.any():
        welfare_held = welfare_held - release_welfare_jobs(model, welfare_rng)
    model.welfare_workers = welfare_held  # per firm row: outside the staffing norm

    # 4. wages
    model.workers = L  # workers per firm row after this month's separations and hires
    record_employment(model)
    # the wage curve's slack: as a labour-force survey counts, informal work is work
    still = status[seekers]
    n_informal = int(np.count_nonzero(still == INFORMAL))
    update_slack(model, len(model.employment.rows) + n_informal, int(np.count_nonzero(still == UNEMPLOYED)))
    # unfilled vacancies after this month's hiring (the firms' signal for their wage offers),
    # reported as the indicator ``vacancies`` (monthly average)
    unfilled = kernels.vacancies(target, model.workers, alive, f.sector[:nf], N_SECTORS)[0]
    model.month_flows["vacancies"] += float(unfilled.sum()) * model.scale
    if set_offers:
        set_wage_offers(model, unfilled)
    set_wages(model)

    # 5. unemployment spells, discouraged older seekers (nobody became a job seeker since
    # the matching: the job seekers now are those of then still without a job)
    un = unemployed[status[unemployed] == UNEMPLOYED]
    p.unemp_months[un] += 1
    p.unemp_months[informal_rows[status[informal_rows] == INFORMAL]] += 1  # without a job (informal work is not one)
    old = un[(p.age_m[un] // 12) >= DISCOURAGED_MIN_AGE_YEARS]
    leave = old[rng.random(len(old)) < lab.discouraged_exit_rate_per_month_age_50_plus]
    p.status[leave] = INACTIVE


def train(model: CityModel, rng: np.random.Generator, unemployed: np.ndarray) -> None:
    """This month's trainees: untrained job seekers (among ``unemployed``, the job seekers'
    rows in row order), those whose last job was in a priority sector first, then the
    longest unemployed; the city buys the training."""
    prog = model.programmes
    p = model.persons
    k = model.stochastic_round(prog.trainees / model.scale, rng)
    seekers = unemployed[~p.trained[unemployed]]
    k = min(k, len(seekers))
    if k == 0:
        return
    exp = p.exp_sector[seekers]
    priority = (exp >= 0) & prog.training_priority[np.maximum(exp, 0)]
    tie = rng.random(len(seekers))
    chosen = seekers[_first_k(priority, p.unemp_months[seekers], tie, k)]
    p.trained[chosen] = True
    cost = k * model.scale * prog.training_cost
    central_to_city(model, prog.training_central_share * cost, "training_central")
    prog.city_services += cost
    model.month_flows["trainees"] += k * model.scale
    model.month_flows["training_spending"] += cost


def _first_k(priority: np.ndarray, spell: np.ndarray, tie: np.ndarray, k: int) -> np.ndarray:
    """Positions of the first ``k`` in the order: ``priority`` first, then the longest ``spell``,
    then the smallest ``tie``, then position (the first ``k`` of
    ``np.lexsort((tie, -spell, ~priority))``, found without sorting everyone)."""
    chosen = []
    for group in (np.flatnonzero(priority), np.flatnonzero(~priority)):
        if k == 0:
            break
        if len(group) <= k:
            chosen.append(group)
            k -= len(group)
            continue
        s = spell[group]
        kth = np.partition(s, len(s) - k)[len(s) - k]  # the k-th longest spell of the group
        above, at = group[s > kth], group[s == kth]
        chosen += [above, at[np.argsort(tie[at], kind="stable")[: k - len(above)]]]
        k = 0
    return np.concatenate(chosen) if chosen else np.zeros(0, np.intp)


def welfare_jobs(model: CityModel, rng: np.random.Generator, seekers: np.ndarray, held: int) -> np.ndarray:
    """Hire one job seeker of each household with no employed member into a public unit,
    up to the programme's cap; returns the hires per firm row.

    Args:
        model: the city.
        rng: the lever's random stream.
        seekers: the job seekers' rows, in row order.
        held: welfare jobs (person rows) held now.
    """
    prog = model.programmes
    p, f, hh = model.persons, model.firms, model.households
    nf = f.n
    hired = np.zeros(nf)
    status = p.view("status")
    room = int(prog.welfare_jobs_max / model.scale) - held
    units = np.flatnonzero((f.ownership[:nf] == PUBLIC) & f.alive[:nf])
    if room <= 0 or len(units) == 0:
        return hired
    household = p.view("household")
    has_earner = kernels.households_with(household, status, EMPLOYED, hh.n)
    seekers = seekers[~has_earner[household[seekers]]]
    if len(seekers) == 0:
        return hired
    # one seeker per household, in random order
    seekers = seekers[rng.permutation(len(seekers))]
    chosen = seekers[kernels.first_of_each_household(household[seekers], hh.n)][:room]
    unit = units[rng.integers(0, len(units), size=len(chosen))]
    p.status[chosen] = EMPLOYED
    p.employer[chosen] = unit
    p.exp_sector[chosen] = f.sector[unit]
    p.unemp_months[chosen] = 0
    p.welfare_job[chosen] = True
    hired += np.bincount(unit, minlength=nf)
    model.month_flows["welfare_job_hires"] += len(chosen) * model.scale
    return hired


def release_welfare_jobs(model: CityModel, rng: np.random.Generator) -> np.ndarray:
    """Welfare jobs above the programme's cap (zero once the lever has ended) become
    ordinary public jobs, inside the staffing norm (the budget rule and layoffs then
    apply to them); returns the released jobs per firm row."""
    p, f = model.persons, model.firms
    held = np.flatnonzero(p.view("welfare_job") & (p.view("status") == EMPLOYED))
    extra = len(held) - int(model.programmes.welfare_jobs_max / model.scale)
    if extra <= 0:
        return np.zeros(f.n)
    released = rng.choice(held, size=extra, replace=False)
    p.welfare_job[released] = False
    return np.bincount(p.employer[released], minlength=f.n).astype(np.float64)


def wage_table(model: CityModel) -> np.ndarray:
    """Wage (float32 yuan/month) per pay class and firm row: the offer x the skill premium,
    or the welfare wage in a public-welfare job."""
    nf = model.firms.n
    table = np.empty((N_PAY_CLASSES, nf), np.float32)
    table[:N_SKILLS] = model.skill_premium[:, None] * model.firms.wage_offer[None, :nf]
    table[N_SKILLS:] = np.float32(model.programmes.welfare_wage)
    return table


def set_wages(model: CityModel) -> None:
    """Every employed person earns the employer's offer x the skill premium (a public-welfare
    job the welfare wage); records the mean wage of the employed (``model.average_wage``,
    yuan/month)."""
    emp = model.employment
    emp.wage_table = wage_table(model)[: len(emp.count)]
    emp.wage = kernels.take_and_set(emp.wage_table.ravel(), emp.cell, emp.rows, model.persons.wage)
    model.average_wage = float(emp.wage.astype(np.float64).mean()) if len(emp.rows) else 0.0


def update_slack(model: CityModel, employed: int, seeking: int) -> None:
    """The wage curve's measure of slack: this month's job seekers not in informal work over the
    labour force (``employed + seeking``, informal workers among the employed, as a labour-force
    survey counts them), averaged exponentially over
    ``labour.wage_curve_smoothing_months`` (wages are set about once a year); the first month's
    rate is the reference (:meth:`CityModel.wage_curve_factor`)."""
    force = employed + seeking
    if force == 0:
        return
    u = seeking / force
    if model.slack_start is None:
        model.slack_start = model.slack = u
        return
    model.slack += (u - model.slack) / model.scenario.labour.wage_curve_smoothing_months


def set_wage_offers(model: CityModel, vacancies: np.ndarray) -> None:
    """Update firms' wage premia and offers (yuan/month for a low-skill worker).

    Reads ``model.workers`` and ``model.employment`` (set by the labour market).
    """
    f = model.firms
    nf = f.n
    fc = model.scenario.firms
    adj = model.scenario.labour.wage_adjustment_per_month
    from simulator.model.production import value_added_per_worker

    # the cap is on labour cost per worker: offer x mean skill premium x (1 + employer contributions);
    # the sum of the premia is exact (whole counts times float32 premia)
    prem = model.skill_premium.astype(np.float64)
    prem_sum = model.employment.per_firm(np.concatenate([prem, prem]))
    ec = model.s(model.scenario.social_security.pension_contribution_employer_share)
    base = model.base_wage()
    # premia: up while a row stays unfilled (a person row still wanted after this month's hiring),
    # down while the firm makes losses, within the bound; the offer: the sector's norm x (1 +
    # premium), capped; public units pay the public wage
    kernels.wage_offers(
        f.wage_prem[:nf], f.wage_offer[:nf], vacancies, f.profit[:nf], adj, fc.wage_premium_bound,
        model.sector_par["relative_wage"] * base, f.sector[:nf], prem_sum, model.workers,
        fc.max_labour_share_of_value_added, value_added_per_worker(model), ec,
        model.sector_par["pension_coverage_share"], f.ownership[:nf], PUBLIC,
        model.scenario.public_finance.public_wage_relative_to_average * base,
    )
