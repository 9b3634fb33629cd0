"""Labour market: separations, layoffs, search and matching, wages (monthly).

1. Quits: each employed person quits with ``labour.quit_rate_per_month``.
2. Layoffs: a firm with more workers than its target lays off a share of the
   excess each month (``layoff_share_of_excess_per_month_private`` / ``_soe``:
   state-owned firms and public units shed labour more slowly).
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

Levers act here through the programme plan (:class:`simulator.policy.registry.Programmes`):
the SOE reform's layoff rate for state firms; re-employment training (trainees
chosen before matching, with a smaller mismatch penalty); public-welfare jobs
(one seeker per household with no earner hired by a public unit after
matching, at the welfare wage); resettlement payments to workers laid off by
mines while the overcapacity lever is active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.accounts import CENTRAL, HH
from simulator.model.sectors import (
    EMPLOYED,
    INACTIVE,
    N_SECTORS,
    PRIVATE,
    PUBLIC,
    SOE,
    UNEMPLOYED,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel


def employees(model: CityModel) -> np.ndarray:
    """Workers (person rows) per firm row."""
    p = model.persons
    emp = p.view("employer")
    return np.bincount(emp[emp >= 0], minlength=model.firms.n).astype(np.float64)


def separate(model: CityModel, rows: np.ndarray) -> None:
    """Employed persons lose their job and become job seekers."""
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
    model.hh_income[: model.households.n] += np.bincount(
        p.household[rows], minlength=model.households.n
    ) * amount
    total = len(rows) * model.scale * amount
    model.ledger.pay("resettlement_payments", CENTRAL, HH, total)
    model.central.balance -= total
    model.month_flows["resettlement_payments"] += total


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


def step(model: CityModel) -> None:
    """Quits, layoffs, matching and wages for one month."""
    p, f = model.persons, model.firms
    lab = model.scenario.labour
    rng = model.streams["labour"]
    n = p.n
    status = p.status[:n]

    # 1. quits
    emp_rows = np.flatnonzero(status == EMPLOYED)
    quits = emp_rows[rng.random(len(emp_rows)) < lab.quit_rate_per_month]
    separate(model, quits)

    # 2. layoffs toward target; public-welfare jobs are outside firms' targets
    emp_rows = np.flatnonzero(status == EMPLOYED)
    L = employees(model)
    nf = f.n
    welfare = p.welfare_job[emp_rows]
    welfare_held = np.bincount(p.employer[emp_rows[welfare]], minlength=nf).astype(np.float64)
    emp_rows = emp_rows[~welfare]
    L -= welfare_held
    excess = np.maximum(L - f.target[:nf], 0.0)
    share = np.where(
        f.ownership[:nf] != PRIVATE,  # state-owned firms and public units
        lab.layoff_share_of_excess_per_month_soe,
        lab.layoff_share_of_excess_per_month_private,
    )
    prog = model.programmes
    if prog.soe_layoff_share is not None:
        share = np.where(f.ownership[:nf] == SOE, prog.soe_layoff_share, share)
    layoff_rate = np.divide(excess * share, L, out=np.zeros(nf), where=L > 0)
    laid = emp_rows[rng.random(len(emp_rows)) < layoff_rate[p.employer[emp_rows]]]
    L -= np.bincount(p.employer[laid], minlength=nf)
    resettle(model, laid[f.is_mine[p.employer[laid]]])
    separate(model, laid)

    # 2b. re-employment training (lever): seekers start training before they search
    if prog.trainees > 0:
        train(model, model.lever_streams["reemployment"])

    # 3. matching
    alive = f.alive[:nf]
    vac = np.where(alive, np.floor(np.maximum(f.target[:nf] - L, 0.0) + rng.random(nf)), 0.0)
    vac_s = np.bincount(f.sector[:nf], weights=vac, minlength=N_SECTORS)
    seekers = np.flatnonzero(status == UNEMPLOYED)
    hired_total = 0
    if len(seekers) and vac_s.sum() > 0:
        w = fit_weights(model, p.exp_sector[seekers], p.skill[seekers], p.trained[seekers])
        attract = w * vac_s[None, :]
        tot = attract.sum(axis=1)
        searching = tot > 0
        seekers, attract, w, tot = seekers[searching], attract[searching], w[searching], tot[searching]
        cum = np.cumsum(attract / tot[:, None], axis=1)
        u = rng.random(len(seekers))[:, None]
        choice = np.minimum((u > cum).sum(axis=1), N_SECTORS - 1)
        fit = w[np.arange(len(seekers)), choice]
        U_s = np.bincount(choice, minlength=N_SECTORS).astype(float)
        W_s = np.bincount(choice, weights=fit, minlength=N_SECTORS)
        a = lab.matching_elasticity_unemployed
        m_s = lab.matching_efficiency_per_month * U_s**a * vac_s ** (1.0 - a)
        m_s = np.minimum(np.minimum(m_s, vac_s), U_s)
        p_hire = np.minimum(1.0, np.divide(m_s, W_s, out=np.zeros(N_SECTORS), where=W_s > 0)[choice] * fit)
        hired = rng.random(len(seekers)) < p_hire
        h_rows, h_sec = seekers[hired], choice[hired]
        for s in range(N_SECTORS):
            rows = h_rows[h_sec == s]
            if len(rows) == 0:
                continue
            fs = np.flatnonzero((f.sector[:nf] == s) & (vac > 0))
            slots = np.repeat(fs, vac[fs].astype(np.int64))
            rng.shuffle(slots)
            k = min(len(rows), len(slots))
            rows = rows[:k]
            p.status[rows] = EMPLOYED
            p.employer[rows] = slots[:k]
            p.exp_sector[rows] = s
            p.unemp_months[rows] = 0
            L += np.bincount(slots[:k], minlength=nf)
            hired_total += k
    model.hires = hired_total

    # 3b. public-welfare jobs (lever) for households with no employed member
    welfare_rng = model.lever_streams["reemployment"]
    if prog.welfare_jobs_max > 0:
        welfare_held += welfare_jobs(model, welfare_rng)
    if welfare_held.any():
        welfare_held -= release_welfare_jobs(model, welfare_rng)
    L += welfare_held
    model.welfare_workers = welfare_held  # per firm row: outside the staffing norm

    # 4. wages
    model.workers = L  # workers per firm row after this month's separations and hires
    unfilled = np.where(alive, np.maximum(f.target[:nf] - model.workers, 0.0), 0.0)
    set_wage_offers(model, unfilled)
    emp_rows = np.flatnonzero(status == EMPLOYED)
    p.wage[emp_rows] = (f.wage_offer[p.employer[emp_rows]] * model.skill_premium[p.skill[emp_rows]]).astype(np.float32)
    if prog.welfare_jobs_max > 0:
        welfare = emp_rows[p.welfare_job[emp_rows]]
        p.wage[welfare] = np.float32(prog.welfare_wage)

    # 5. unemployment spells, discouraged older seekers
    un = np.flatnonzero(status == UNEMPLOYED)
    p.unemp_months[un] += 1
    old = un[(p.age_m[un] // 12) >= 50]
    leave = old[rng.random(len(old)) < lab.discouraged_exit_rate_per_month_age_50_plus]
    p.status[leave] = INACTIVE


def train(model: CityModel, rng: np.random.Generator) -> None:
    """This month's trainees: untrained job seekers, those whose last job was in a
    priority sector first, then the longest unemployed; the city buys the training."""
    prog = model.programmes
    p = model.persons
    k = model.stochastic_round(prog.trainees / model.scale, rng)
    seekers = np.flatnonzero((p.view("status") == UNEMPLOYED) & ~p.view("trained"))
    k = min(k, len(seekers))
    if k == 0:
        return
    exp = p.exp_sector[seekers]
    priority = (exp >= 0) & prog.training_priority[np.maximum(exp, 0)]
    tie = rng.random(len(seekers))
    order = np.lexsort((tie, -p.unemp_months[seekers], ~priority))
    chosen = seekers[order[:k]]
    p.trained[chosen] = True
    cost = k * model.scale * prog.training_cost
    from simulator.policy.funding import central_to_city

    central_to_city(model, prog.training_central_share * cost, "training_central")
    prog.city_services += cost
    model.month_flows["trainees"] += k * model.scale
    model.month_flows["training_spending"] += cost


def welfare_jobs(model: CityModel, rng: np.random.Generator) -> np.ndarray:
    """Hire one job seeker of each household with no employed member into a public unit,
    up to the programme's cap; returns the hires per firm row."""
    prog = model.programmes
    p, f, hh = model.persons, model.firms, model.households
    nf = f.n
    hired = np.zeros(nf)
    status = p.view("status")
    held = int((p.view("welfare_job") & (status == EMPLOYED)).sum())
    room = int(prog.welfare_jobs_max / model.scale) - held
    units = np.flatnonzero((f.ownership[:nf] == PUBLIC) & f.alive[:nf])
    if room <= 0 or len(units) == 0:
        return hired
    household = p.view("household")
    earners = np.bincount(household, weights=status == EMPLOYED, minlength=hh.n)
    seekers = np.flatnonzero(status == UNEMPLOYED)
    seekers = seekers[earners[household[seekers]] == 0]
    if len(seekers) == 0:
        return hired
    # one seeker per household, in random order
    seekers = seekers[rng.permutation(len(seekers))]
    _, first = np.unique(household[seekers], return_index=True)
    chosen = seekers[np.sort(first)][:room]
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


def set_wage_offers(model: CityModel, vacancies: np.ndarray) -> None:
    """Update firms' wage premia and offers (yuan/month for a low-skill worker).

    Reads ``model.workers`` (workers per firm row, set by the labour market).
    """
    f = model.firms
    nf = f.n
    fc = model.scenario.firms
    adj = model.scenario.labour.wage_adjustment_per_month
    unfilled = vacancies >= 1.0  # at least one person row still wanted after this month's hiring
    losing = f.profit[:nf] < 0
    prem = f.wage_prem[:nf] + adj * unfilled - adj * losing
    f.wage_prem[:nf] = np.clip(prem, -fc.wage_premium_bound, fc.wage_premium_bound)
    rel_wage = model.sector_par["relative_wage"]
    norm = rel_wage[f.sector[:nf]] * model.base_wage()
    from simulator.model.production import value_added_per_worker

    # the cap is on labour cost per worker: offer x mean skill premium x (1 + employer contributions)
    p = model.persons
    emp = np.flatnonzero(p.view("status") == EMPLOYED)
    L = model.workers
    prem_sum = np.bincount(p.employer[emp], weights=model.skill_premium[p.skill[emp]], minlength=nf)
    mean_prem = np.divide(prem_sum, L, out=np.ones(nf), where=L > 0)
    coverage = model.sector_par["pension_coverage_share"][f.sector[:nf]]
    ec = model.s(model.scenario.social_security.pension_contribution_employer_share)
    cap = fc.max_labour_share_of_value_added * value_added_per_worker(model) / (mean_prem * (1.0 + ec * coverage))
    offer = np.minimum(norm * (1.0 + f.wage_prem[:nf]), cap)
    public = model.public_mask()
    offer[public] = model.scenario.public_finance.public_wage_relative_to_average * model.base_wage()
    f.wage_offer[:nf] = offer
