"""Public finance: social security, minimum living guarantee, transfers, debt (monthly).

Taxes are collected where they arise (in :mod:`simulator.model.production`).
This mechanism pays the rest of the public flows:

* the social security fund (SSF) pays urban pensions, rural basic pensions and
  unemployment benefits; its reserve absorbs surpluses, and a deficit is
  covered by the central government (``central_subsidy_share_of_deficit``)
  and the city (the rest: the city's social-security top-up);
* the minimum living guarantee (dibao): households whose income per person is
  below the line get the difference, the central government reimbursing the
  city ``dibao_central_share`` of it;
* central general transfers per resident;
* interest on city debt;
* at the close of the month households' income reaches their savings and the
  government applies its budget rule (borrowing limit, cuts in order).

Levers act here through the programme plan: the pensions lever (a larger
central share of the fund's deficit, extra indexation, enrolment of retirees
without an urban pension with back contributions), the central share of
public-welfare job wages (re-employment lever) and the talent allowance
(innovation and talent lever).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model import kernels
from simulator.model.funding import central_to_city
from simulator.model.sectors import AGRI, RETIRED, SKILL_NAMES, UNEMPLOYED

if TYPE_CHECKING:
    from simulator.model.city import CityModel


def step(model: CityModel) -> None:
    """Pensions, benefits, SSF settlement, dibao, general transfers, interest."""
    sc = model.scenario
    p, hh, gov = model.persons, model.households, model.government
    S = model.scale
    n = p.n
    status = p.status[:n]

    # pensions (urban enterprise pension or rural basic pension) and benefits;
    # urban pensions are indexed each January
    prog = model.programmes
    _, ret, un = kernels.rows_of_two(status, RETIRED, UNEMPLOYED, False)  # (collective enrolment changes no status)
    if prog.collective_enrolment > 0:
        enrol_collective_retirees(model, ret)
    if model.month == 1:
        indexation = model.s(sc.social_security.pension_indexation_per_year) + prog.pension_extra_indexation
        p.pension[ret] *= np.float32(1.0 + indexation)
    rural = model.s(sc.social_security.rural_pension_yuan_per_month)
    pens = kernels.pensions_paid(p.pension, ret, rural)  # where(pension > 0, pension, rural) of the retired
    lab = sc.labour
    hc = sc.households
    eligible = un[p.unemp_months[un] <= lab.unemployment_benefit_max_months]
    benefit = np.full(len(eligible), lab.unemployment_benefit_yuan_per_month)
    model.hh_income[: hh.n] += kernels.household_sum(p.household, ret, pens, hh.n)
    model.hh_income[: hh.n] += kernels.household_sum(p.household, eligible, benefit, hh.n)
    # income from outside the city (a world input), per present member
    outside = model.s(hc.outside_income_yuan_per_resident_per_month)
    if outside > 0.0:
        paid = np.where(hh.present[: hh.n], outside * hh.members[: hh.n], 0.0)
        model.hh_income[: hh.n] += paid
        model.pay("outside_household_income", float(paid.sum()) * S)
    pension_total = float(pens.sum()) * S
    benefit_total = float(benefit.sum()) * S
    model.pay("pensions", pension_total)
    model.pay("unemployment_benefits", benefit_total)

    if model.ssf.balance < 0:
        gap = -model.ssf.balance
        central_share = min(1.0, sc.social_security.central_subsidy_share_of_deficit + prog.ssf_extra_central_share)
        central = central_share * gap
        city = gap - central
        model.pay("ssf_central_subsidy", central)
        model.pay("ssf_city_topup", city)
        model.ssf.balance = 0.0  # (the two payments bring it to zero, up to rounding)

    # dibao top-up to the line (income so far this month, per person); farming
    # households are held to the rural line
    members = hh.members[: hh.n]
    # households with a member employed in farming; the employed are those the labour market
    # recorded (no job has changed since this month's hiring)
    employed = model.employment.rows
    farming = kernels.households_where(p.household, employed, p.exp_sector, AGRI, hh.n)
    pfc = sc.public_finance
    need, recipients = kernels.dibao_top_up(  # (added to the households' income)
        farming, float(model.s(pfc.dibao_rural_line_yuan_per_person_month)),
        float(model.s(pfc.dibao_line_yuan_per_person_month)),
        members, model.hh_income[: hh.n], hh.present[: hh.n],
    )
    dibao = float(need.sum()) * S
    central_dibao = sc.public_finance.dibao_central_share * dibao
    model.pay("dibao", dibao)
    model.pay("dibao_central_reimbursement", central_dibao)
    model.month_flows["dibao_recipients"] += float(recipients) * S

    # central general transfers
    model.pay("general_transfer", general_transfer(model))

    # levers: central share of public-welfare wages; talent allowance to skilled workers
    if prog.welfare_jobs_max > 0 and prog.welfare_central_share > 0:
        emp = employed[p.welfare_job[employed]]
        central_to_city(model, prog.welfare_central_share * float(p.wage[emp].astype(np.float64).sum()) * S,
                        "welfare_jobs_central")
    if prog.talent_allowance > 0:
        skilled = kernels.household_count_where(p.household, employed, p.skill, SKILL_NAMES.index("high"), hh.n)
        model.hh_income[: hh.n] += skilled * prog.talent_allowance
        allowance = int(skilled.sum()) * S * prog.talent_allowance
        model.pay("talent_allowance", allowance)

    # interest on city debt
    interest = gov.debt * sc.public_finance.interest_rate_per_year / 12.0
    model.pay("city_debt_interest", interest)


def fiscal_gap(model: CityModel, year: int | None = None) -> float:
    """The city's fiscal gap this month (yuan): standard expenditure per resident (of ``year``,
    default this year) x residents less own tax revenue (the last 12 months' average)."""
    eq = model.scenario.public_finance.equalisation_transfer
    per_resident = model.series(eq.standard_expenditure_yuan_per_resident_per_year, model.year if year is None else year)
    return per_resident / 12.0 * model.population - model.government.monthly_taxes


def general_transfer(model: CityModel) -> float:
    """This month's general transfer (yuan): the scenario's amount per resident, or from
    ``equalisation_transfer.from_year`` the coefficient x the fiscal gap (nothing while there is
    none). An ``anchored`` coefficient is set at the first month of the formula with a gap: the
    per-resident amount of the year before ``from_year`` over the gap at that year's standard
    expenditure, so that the transfer continues (0 if the city had no gap at that standard)."""
    pf = model.scenario.public_finance
    eq = pf.equalisation_transfer
    if eq is None or model.year < eq.from_year:
        return model.s(pf.general_transfer_yuan_per_resident_per_year) / 12.0 * model.population
    gap = fiscal_gap(model)
    if gap <= 0.0:
        return 0.0
    gov = model.government
    if gov.equalisation_coefficient is None:
        if eq.coefficient == "anchored":
            # the year before's transfer per resident over the gap at the year before's standard
            # (so that a change of the standard from from_year on is not absorbed by the anchor)
            anchor_gap = fiscal_gap(model, eq.from_year - 1)
            before = model.series(pf.general_transfer_yuan_per_resident_per_year, eq.from_year - 1)
            gov.equalisation_coefficient = before / 12.0 * model.population / anchor_gap if anchor_gap > 0 else 0.0
        else:
            gov.equalisation_coefficient = float(eq.coefficient)
    return gov.equalisation_coefficient * gap


def enrol_collective_retirees(model: CityModel, retirees: np.ndarray) -> None:
    """Pensions lever: enrol this month's retirees without an urban pension (not from
    farming) into the urban scheme; central government and city pay the back contributions."""
    prog = model.programmes
    p = model.persons
    eligible = retirees[(p.pension[retirees] == 0) & (p.exp_sector[retirees] != AGRI)]
    rng = model.lever_streams["pensions"]
    k = min(model.stochastic_round(prog.collective_enrolment / model.scale, rng), len(eligible))
    if k == 0:
        return
    chosen = rng.choice(eligible, size=k, replace=False)
    p.pension[chosen] = np.float32(prog.collective_pension)
    cost = k * model.scale * prog.collective_cost
    central = prog.collective_central_share * cost
    model.pay("collective_back_contributions_central", central)
    model.pay("collective_back_contributions_city", cost - central)
    model.month_flows["collective_enrolled"] += k * model.scale


def close_month(model: CityModel) -> None:
    """Income reaches households' savings; the government applies its budget rule."""
    hh, gov = model.households, model.government
    n = hh.n
    inc = model.hh_income[:n]
    inc[~hh.present[:n]] = 0.0
    hh.savings[:n] += inc
    hh.income_prev[:n] = inc
    revenue = model.month_revenue["taxes"] + model.month_revenue["land"] + model.month_revenue["transfers"]
    spending = sum(model.month_spending.values())
    gov.record_month(revenue, spending, model.month_revenue["taxes"], model.month_spending["other_spending"])
    gov.apply_budget_rule()
