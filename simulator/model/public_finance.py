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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.accounts import BANKS, CENTRAL, CITY, HH, SSF
from simulator.model.sectors import AGRI, EMPLOYED, RETIRED, UNEMPLOYED

if TYPE_CHECKING:
    from simulator.model.city import CityModel


def step(model: CityModel) -> None:
    """Pensions, benefits, SSF settlement, dibao, general transfers, interest."""
    sc = model.scenario
    p, hh, gov = model.persons, model.households, model.government
    led = model.ledger
    S = model.scale
    n = p.n
    status = p.status[:n]

    # pensions (urban enterprise pension or rural basic pension) and benefits;
    # urban pensions are indexed each January
    ret = np.flatnonzero(status == RETIRED)
    if model.month == 1:
        p.pension[ret] *= np.float32(1.0 + model.s(sc.social_security.pension_indexation_per_year))
    rural = model.s(sc.social_security.rural_pension_yuan_per_month)
    pens = np.where(p.pension[ret] > 0, p.pension[ret].astype(np.float64), rural)
    un = np.flatnonzero(status == UNEMPLOYED)
    lab = sc.labour
    eligible = un[p.unemp_months[un] <= lab.unemployment_benefit_max_months]
    benefit = np.full(len(eligible), lab.unemployment_benefit_yuan_per_month)
    model.hh_income[: hh.n] += np.bincount(p.household[ret], weights=pens, minlength=hh.n)
    model.hh_income[: hh.n] += np.bincount(p.household[eligible], weights=benefit, minlength=hh.n)
    pension_total = float(pens.sum()) * S
    benefit_total = float(benefit.sum()) * S
    led.pay("pensions", SSF, HH, pension_total)
    led.pay("unemployment_benefits", SSF, HH, benefit_total)
    model.ssf.balance -= pension_total + benefit_total
    model.month_flows["pension_spending"] += pension_total

    if model.ssf.balance < 0:
        gap = -model.ssf.balance
        central = sc.social_security.central_subsidy_share_of_deficit * gap
        city = gap - central
        led.pay("ssf_central_subsidy", CENTRAL, SSF, central)
        led.pay("ssf_city_topup", CITY, SSF, city)
        model.central.balance -= central
        gov.cash -= city
        model.ssf.balance = 0.0
        model.month_flows["ssf_central_subsidy"] += central
        model.month_spending["social_security"] += city

    # dibao top-up to the line (income so far this month, per person); farming
    # households are held to the rural line
    members = hh.members[: hh.n]
    farming = np.zeros(hh.n, bool)  # households with a member employed in farming
    farming[p.household[np.flatnonzero((status == EMPLOYED) & (p.exp_sector[:n] == AGRI))]] = True
    pfc = sc.public_finance
    line = np.where(
        farming,
        model.s(pfc.dibao_rural_line_yuan_per_person_month),
        model.s(pfc.dibao_line_yuan_per_person_month),
    )
    need = np.maximum(line * members - model.hh_income[: hh.n], 0.0)
    need[~hh.present[: hh.n]] = 0.0
    model.hh_income[: hh.n] += need
    dibao = float(need.sum()) * S
    central_dibao = sc.public_finance.dibao_central_share * dibao
    led.pay("dibao", CITY, HH, dibao)
    led.pay("dibao_central_reimbursement", CENTRAL, CITY, central_dibao)
    gov.cash += central_dibao - dibao
    model.central.balance -= central_dibao
    model.month_spending["dibao"] += dibao
    model.month_flows["dibao_recipients"] += float((need > 0).sum()) * S
    model.month_revenue["transfers"] += central_dibao

    # central general transfers
    general = model.s(sc.public_finance.general_transfer_yuan_per_resident_per_year) / 12.0 * model.population
    led.pay("general_transfer", CENTRAL, CITY, general)
    model.central.balance -= general
    gov.cash += general
    model.month_revenue["transfers"] += general

    # interest on city debt
    interest = gov.debt * sc.public_finance.interest_rate_per_year / 12.0
    led.pay("city_debt_interest", CITY, BANKS, interest)
    gov.cash -= interest
    model.banks.balance += interest
    model.month_spending["interest"] += interest


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
    gov.record_month(revenue, spending)
    gov.apply_budget_rule()
