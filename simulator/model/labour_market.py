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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.model.sectors import (
    EMPLOYED,
    INACTIVE,
    N_SECTORS,
    PRIVATE,
    SKILL_NAMES,
    UNEMPLOYED,
)

N_SKILLS = len(SKILL_NAMES)
DISCOURAGED_MIN_AGE_YEARS = 50  # structural: the age band of discouraged_exit_rate_per_month_age_50_plus

if TYPE_CHECKING:
    from simulator.model.city import CityModel


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
    firms' exits and the migration later in the month), and production reads it.

    Attributes:
        rows: person rows of the employed, in row order.
        employer: the employer row of each.
        cell: ``skill x firm rows + employer row`` of each employed row (int64): its
            (skill, firm) cell in the tables below.
        count: employed person rows per skill and firm row (float64), shape (N_SKILLS, firm rows).
        wage: the wage of each employed row (float32 yuan/month), set by :func:`set_wages`.
    """

    rows: np.ndarray
    employer: np.ndarray
    cell: np.ndarray
    count: np.ndarray
    wage: np.ndarray | None = None

    def per_firm(self, by_skill: np.ndarray) -> np.ndarray:
        """Sum over each firm row's workers of a value given by skill, shape (N_SKILLS,), or by
        skill and firm row, shape (N_SKILLS, firm rows). With whole counts and float32 values
        the sum is exact, so it equals the sum over the persons in any order."""
        c = self.count
        out = c[0] * by_skill[0]
        for k in range(1, N_SKILLS):
            out += c[k] * by_skill[k]
        return out


def record_employment(model: CityModel) -> None:
    """Record who works where (:class:`Employment`) and the workers per firm row."""
    p, nf = model.persons, model.firms.n
    rows = np.flatnonzero(p.view("status") == EMPLOYED)
    employer = p.employer[rows]
    cell = p.skill[rows] * np.int64(nf)
    cell += employer
    count = np.bincount(cell, minlength=N_SKILLS * nf).reshape(N_SKILLS, nf).astype(np.float64)
    model.employment = Employment(rows=rows, employer=employer, cell=cell, count=count)
    model.workers = count[0] + count[1]
    for k in range(2, N_SKILLS):
        model.workers += count[k]


def separate(model: CityModel, rows: np.ndarray) -> None:
    """Employed persons lose their job and become job seekers."""
    p = model.persons
    p.status[rows] = UNEMPLOYED
    p.employer[rows] = -1
    p.wage[rows] = 0.0
    p.unemp_months[rows] = 0


def fit_weights(model: CityModel, exp_sector: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Seekers x sectors matrix of fit: experience match and minimum skill."""
    lab = model.scenario.labour
    w = np.full((len(exp_sector), N_SECTORS), 1.0 - lab.sector_mismatch_penalty)
    has_exp = exp_sector >= 0
    w[np.flatnonzero(has_exp), exp_sector[has_exp]] = 1.0
    w[~has_exp, :] = 1.0
    min_skill = model.sector_par["min_skill"]
    w[skill[:, None] < min_skill[None, :]] = 0.0
    return w


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

    # 1. quits
    emp_rows = np.flatnonzero(status == EMPLOYED)
    quit = rng.random(len(emp_rows)) < lab.quit_rate_per_month
    separate(model, emp_rows[quit])
    emp_rows = emp_rows[~quit]

    # 2. layoffs toward target
    employer = p.employer[emp_rows]
    nf = f.n
    L = np.bincount(employer, minlength=nf).astype(np.float64)
    excess = np.maximum(L - f.target[:nf], 0.0)
    share = np.where(
        f.ownership[:nf] != PRIVATE,  # state-owned firms and public units
        lab.layoff_share_of_excess_per_month_soe,
        lab.layoff_share_of_excess_per_month_private,
    )
    layoff_rate = np.divide(excess * share, L, out=np.zeros(nf), where=L > 0)
    u = rng.random(len(emp_rows))
    at_risk = np.flatnonzero((layoff_rate > 0)[employer])  # workers of firms above target
    laid_off = at_risk[u[at_risk] < layoff_rate[employer[at_risk]]]
    L -= np.bincount(employer[laid_off], minlength=nf)
    separate(model, emp_rows[laid_off])

    # 3. matching
    alive = f.alive[:nf]
    vac = np.where(alive, np.floor(np.maximum(f.target[:nf] - L, 0.0) + rng.random(nf)), 0.0)
    vac_s = np.bincount(f.sector[:nf], weights=vac, minlength=N_SECTORS)
    seekers = np.flatnonzero(status == UNEMPLOYED)
    hired_total = 0
    if len(seekers) and vac_s.sum() > 0:
        # seekers differ only by experience (none or one of the sectors) and skill: the
        # fit weights and sector choice probabilities are computed once per type
        exp_t = np.repeat(np.arange(-1, N_SECTORS, dtype=np.int8), N_SKILLS)
        skill_t = np.tile(np.arange(N_SKILLS, dtype=np.int8), N_SECTORS + 1)
        w_t = fit_weights(model, exp_t, skill_t)
        attract_t = w_t * vac_s[None, :]
        tot_t = attract_t.sum(axis=1)
        kind = (p.exp_sector[seekers].astype(np.intp) + 1) * N_SKILLS + p.skill[seekers]
        searching = tot_t[kind] > 0
        seekers, kind = seekers[searching], kind[searching]
        cum_t = np.ones_like(attract_t)  # types that do not search are never looked up
        ok = tot_t > 0
        cum_t[ok] = np.cumsum(attract_t[ok] / tot_t[ok, None], axis=1)
        u = rng.random(len(seekers))
        choice = np.zeros(len(seekers), np.intp)
        for s in range(N_SECTORS):
            choice += u > cum_t[kind, s]
        np.minimum(choice, N_SECTORS - 1, out=choice)
        fit = w_t[kind, choice]
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
            hired_total += k
    model.hires = hired_total

    # 4. wages
    record_employment(model)  # workers per firm row after this month's separations and hires
    if set_offers:
        unfilled = np.where(alive, np.maximum(f.target[:nf] - model.workers, 0.0), 0.0)
        set_wage_offers(model, unfilled)
    set_wages(model)

    # 5. unemployment spells, discouraged older seekers
    un = np.flatnonzero(status == UNEMPLOYED)
    p.unemp_months[un] += 1
    old = un[(p.age_m[un] // 12) >= DISCOURAGED_MIN_AGE_YEARS]
    leave = old[rng.random(len(old)) < lab.discouraged_exit_rate_per_month_age_50_plus]
    p.status[leave] = INACTIVE


def wage_table(model: CityModel) -> np.ndarray:
    """Wage (float32 yuan/month) per skill and firm row: the offer x the skill premium."""
    nf = model.firms.n
    return (model.skill_premium[:, None] * model.firms.wage_offer[None, :nf]).astype(np.float32)


def set_wages(model: CityModel) -> None:
    """Every employed person earns the employer's offer x the skill premium; records the
    mean wage of the employed (``model.average_wage``, yuan/month)."""
    emp = model.employment
    emp.wage = wage_table(model).ravel()[emp.cell]
    model.persons.wage[emp.rows] = emp.wage
    model.average_wage = float(emp.wage.astype(np.float64).mean()) if len(emp.rows) else 0.0


def set_wage_offers(model: CityModel, vacancies: np.ndarray) -> None:
    """Update firms' wage premia and offers (yuan/month for a low-skill worker).

    Reads ``model.workers`` and ``model.employment`` (set by :func:`record_employment`).
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

    # the cap is on labour cost per worker: offer x mean skill premium x (1 + employer contributions);
    # the sum of the premia is exact (whole counts times float32 premia)
    L = model.workers
    prem_sum = model.employment.per_firm(model.skill_premium.astype(np.float64))
    mean_prem = np.divide(prem_sum, L, out=np.ones(nf), where=L > 0)
    coverage = model.sector_par["pension_coverage_share"][f.sector[:nf]]
    ec = model.s(model.scenario.social_security.pension_contribution_employer_share)
    cap = fc.max_labour_share_of_value_added * value_added_per_worker(model) / (mean_prem * (1.0 + ec * coverage))
    offer = np.minimum(norm * (1.0 + f.wage_prem[:nf]), cap)
    public = model.public_mask()
    offer[public] = model.scenario.public_finance.public_wage_relative_to_average * model.base_wage()
    f.wage_offer[:nf] = offer
