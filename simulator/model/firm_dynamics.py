"""Firm dynamics: investment, entry, exit, depletion and mine closure (monthly).

``plan`` (start of the month, before the labour market):
    capital depreciates; firms with a profit invest ``investment_share_of_profit``
    of it; entrants arrive in each sector at a rate that rises with the
    sector's profit margin and in proportion to demand over capacity (fewer
    entrants while a sector's capacity exceeds its demand; at most
    ``entry_pressure_cap`` times the rate), and, in the
    fund's target sectors, with the successor-industry fund's co-finance. The
    rate is inversely proportional to what an investor must put in per yuan of
    capital, ``1 + entry cost - co-finance share``, relative to the baseline
    ``1 + firms.entry_cost_share_of_capital`` (the entry cost is non-monetary:
    approvals, waiting, barriers; the private-economy and approvals levers
    lower it). Entrants decided now start operating ``firms.entry_delay_months``
    later (shortened by the approvals lever). An entrant's capital is financed
    by outside investors (and the fund) and spent on investment goods when it
    starts; the land part of investment spending is paid to the city as
    land-sale revenue. (The buildings and infrastructure financed from outside
    the city are demand in :func:`simulator.model.production.outside_investment`.)

``exit_and_close`` (end of the month):
    a mine closes when its reserves fall below the workable minimum or after
    sustained losses (state-owned mines later: soft budget constraint); an
    ordinary firm exits after ``exit_after_loss_months_private`` (or ``_soe``)
    months of losses or of no sales. Its workers are laid off, its cash repays
    its debt, unpaid debt is written off by banks, and cash left goes to its
    owners. Under the SOE reform's hard budget constraint, state firms and
    mines exit after ``hard_budget_loss_months`` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model import kernels, regions
from simulator.model.accounts import BANKS, FIRMS
from simulator.model.labour_market import resettle, retire_early, separate
from simulator.model.production import distribute_to_savers
from simulator.model.sectors import EMPLOYED, N_SECTORS, PRIVATE, PUBLIC, SOE

if TYPE_CHECKING:
    from simulator.model.city import CityModel


def capital_pressure(model: CityModel) -> np.ndarray:
    """Per sector: last month's demand over what the ordinary rows' capital could supply fully
    staffed (1 where there is no such capacity, and in the first month)."""
    cap = model.sector_capital_capacity
    return np.divide(model.sector_demand, cap, out=np.ones(N_SECTORS), where=cap > 0)


def plan(model: CityModel) -> None:
    """Depreciation, investment and entry; sets this month's investment spending."""
    sc = model.scenario
    f, gov, prog = model.firms, model.government, model.programmes
    rng = model.streams["firms"]
    nf = f.n
    # capital depreciates; investment out of profit (in the first month, with no profit record
    # yet, firms replace depreciated capital), at most the cash at hand (kernels.own_investment)
    ordinary, own = kernels.own_investment(
        f.capital[:nf], f.age_m[:nf], f.alive[:nf], f.is_mine[:nf], f.ownership[:nf], PUBLIC, f.profit[:nf],
        f.cash[:nf], 1.0 - sc.firms.depreciation_rate_per_year / 12.0, model.export_base is None,
        sc.firms.depreciation_rate_per_year / 12.0, float(sc.firms.investment_share_of_profit),
    )
    # topped up by the fund in target sectors
    cof = prog.fund_co_finance_share
    topup = np.zeros(nf)
    if cof > 0 and gov.fund.balance > 0:
        wanted = np.where(prog.fund_target[f.sector[:nf]], own * cof / (1.0 - cof), 0.0)
        topup = wanted * min(1.0, gov.fund.balance / max(wanted.sum(), 1e-9))
        pay_fund(model, float(topup.sum()), "fund_co_finance_expansion")
    invest = kernels.invest(f.cash[:nf], f.capital[:nf], own, topup)  # cash -= own; capital += own + topup
    spending = float(invest.sum())

    # entry
    # by sector, over the ordinary firm rows: sales, profit and rows (one pass)
    sales_s, profit_s, n_rows = kernels.ordinary_sector_sums(f.sector[:nf], ordinary, f.sales[:nf], f.profit[:nf], N_SECTORS)
    margin = np.divide(profit_s, sales_s, out=np.zeros(N_SECTORS), where=sales_s > 0)
    model.sector_margin[:] = margin
    # demand over what the sector's capital could supply fully staffed: firms staff for their
    # capital's share of demand, so idle capital (not idle workers) is the sign of too many firms
    pressure = capital_pressure(model)
    base_cost = sc.firms.entry_cost_share_of_capital
    cost = base_cost * prog.entry_cost_factor
    delay = int(sc.firms.entry_delay_months * prog.entry_delay_factor + 0.5)  # nearest month, halves up
    now = (model.year - model.start_year) * 12 + model.month
    due = [e for e in model.entry_queue if e[0] <= now]
    if due:
        model.entry_queue = [e for e in model.entry_queue if e[0] > now]
        for _, s, k, fund_share in due:
            spending += add_entrants(model, s, k, fund_share, rng)
    for s, cfg in enumerate(model.sector_cfg):
        if cfg.entry_rate_per_firm_per_month == 0 or cfg.entry_capital_yuan == 0:
            continue
        fund_share = 0.0
        if prog.fund_target[s] and cof > 0:
            # the boost is the co-finance the fund can actually pay for one entrant row
            row_cofin = cof * cfg.entry_capital_yuan * model.firm_weight[s]
            fund_share = cof * min(1.0, gov.fund.balance / max(row_cofin, 1e-9))
        lam = (
            cfg.entry_rate_per_firm_per_month
            * max(n_rows[s], 1.0)
            * np.exp(cfg.entry_profit_elasticity * margin[s])
            * min(pressure[s], sc.firms.entry_pressure_cap)
            * ((1.0 + base_cost) / (1.0 + cost - fund_share))
        )
        k = int(rng.poisson(lam))
        if k and delay == 0:
            spending += add_entrants(model, s, k, fund_share, rng)
        elif k:
            model.entry_queue.append((now + delay, s, k, fund_share))

    land = sc.public_finance.land_revenue_share_of_construction * spending
    model.pay("land_sales", land)  # (the investing firms' cash paid it with the investment)
    model.pending_investment = spending - land
    model.month_flows["firm_investment"] += spending



def pay_fund(model: CityModel, amount: float, kind: str) -> None:
    """The fund (part of city cash) pays co-finance to firms."""
    gov = model.government
    model.pay(kind, amount)  # out of the city's cash, as programme spending
    gov.fund.balance -= amount  # ... and out of the fund earmarked in it


def add_entrants(model: CityModel, sector: int, k: int, fund_share: float, rng: np.random.Generator) -> float:
    """Append ``k`` entrant rows in ``sector``; returns their capital spending (yuan).

    A row stands for ``model.firm_weight[sector]`` entrants, each with
    ``entry_capital_yuan`` of capital.
    """
    sc = model.scenario
    f, gov = model.firms, model.government
    cfg = model.sector_cfg[sector]
    capital = cfg.entry_capital_yuan * model.firm_weight[sector]
    cofin = np.zeros(k)
    if fund_share > 0:
        cofin = np.full(k, fund_share * capital)
        cofin *= min(1.0, gov.fund.balance / max(cofin.sum(), 1e-9))
    equity = capital - cofin
    idx = f.append(
        sector=np.full(k, sector, np.intp),
        ownership=np.full(k, PRIVATE, np.int8),
        alive=np.ones(k, bool),
        productivity=np.exp(rng.normal(0.0, sc.firms.productivity_dispersion_sd, size=k)),
        capital=np.full(k, capital),
        # staffed like the incumbents: the capital's share of the sector's demand
        target=np.full(k, capital / (cfg.capital_per_worker_yuan * model.scale) * min(float(capital_pressure(model)[sector]), 1.0)),
    )
    pay_fund(model, float(cofin.sum()), "fund_co_finance_entry")
    model.pay("entrant_equity", float(equity.sum()))
    # received and spent at once on investment goods: cash unchanged
    f.region[idx] = regions.place_entrants(model, sector, k)
    model.month_flows["entrants"] += k * model.firm_weight[sector]
    return float(k * capital)


def exit_and_close(model: CityModel) -> None:
    """Close exhausted or loss-making mines; exit of firms with sustained losses."""
    sc = model.scenario
    f = model.firms
    nf = f.n
    coal = sc.coal
    hard = model.programmes.soe_exit_loss_months  # SOE reform: hard budget constraint
    soe_mine_limit = coal.close_after_loss_months_soe if hard is None else hard
    soe_limit = model.sector_par["exit_after_loss_months_soe"] if hard is None else np.full(N_SECTORS, float(hard))
    # mines exhausted or losing for their limit; ordinary firms losing for their sector's limit
    # (one pass, kernels.firm_exits)
    gone, exiting, mines_closing = kernels.firm_exits(
        f.alive[:nf], f.is_mine[:nf], f.ownership[:nf], f.sector[:nf], f.loss_months[:nf], f.reserves[:nf],
        float(coal.min_workable_reserves_tonnes), SOE, PUBLIC, float(soe_mine_limit),
        float(coal.close_after_loss_months_private), soe_limit, model.sector_par["exit_after_loss_months_private"],
    )
    if len(gone) == 0:
        return
    model.month_flows["mines_closed"] += float(mines_closing)
    model.month_flows["firm_exits"] += float(model.firm_weight[f.sector[exiting]].sum())
    p = model.persons
    dead = np.zeros(nf, bool)
    dead[gone] = True
    # the workers of the rows gone: the employed are among those the labour market recorded (nobody
    # is hired between it and the exits; those who left since are no longer employed)
    laid = kernels.employed_by(model.employment.rows, p.status, p.employer, EMPLOYED, dead)
    resettle(model, laid[f.is_mine[p.employer[laid]]])
    state = laid[f.ownership[p.employer[laid]] != PRIVATE]  # laid off by state firms and mines
    separate(model, laid)
    retire_early(model, state)
    model.month_flows["laid_off_by_closures"] += len(laid) * model.scale

    led = model.ledger
    repay = np.minimum(f.cash[gone], f.debt[gone])
    f.cash[gone] -= repay
    f.debt[gone] -= repay
    model.banks.balance += float(repay.sum())
    writeoff = float(f.debt[gone].sum())
    led.pay("debt_writeoff", BANKS, FIRMS, writeoff)  # the banks' loss is in their loans (not model.pay)
    f.debt[gone] = 0.0
    left = f.cash[gone]
    soe_gone = f.ownership[gone] == SOE
    to_state = float(left[soe_gone].sum())
    private_left = float(left[~soe_gone].sum())
    local = sc.firms.dividend_local_share * private_left
    model.pay("liquidation_to_state", to_state)
    model.pay("liquidation_local", local)
    model.pay("liquidation_outside", private_left - local)
    distribute_to_savers(model, local)
    f.cash[gone] = 0.0
    f.alive[gone] = False
    f.target[gone] = 0.0
    f.capital[gone] = 0.0
