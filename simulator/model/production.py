"""Production and goods demand: demand by sector, sales, value added, wages,
taxes, profits (monthly).

Demand for each sector's goods comes from four payers:

* households: ``propensity_to_consume`` x last month's disposable income plus
  ``consumption_from_savings_per_month`` x savings; ``import_leakage_share``
  of it is bought outside the city, the rest split by the sectors'
  ``local_consumption_share``; rehoused households also pay their extra
  housing costs to local services;
* the city government: other (non-payroll) spending per resident, of which
  ``investment_share_of_other_spending`` is investment goods, and the
  programmes' construction works;
* firms: investment and entrants' start-up capital (decided by
  :func:`simulator.model.firm_dynamics.plan`), split by ``investment_goods_share``;
* outside investors: fixed investment financed from outside the city, per resident
  (``world.fixed_investment_yuan_per_resident_per_year`` x
  ``world.outside_financed_share_of_fixed_investment``); its net land revenue
  (``land_revenue_share_of_outside_investment``) is paid to the city, the rest is split by
  ``investment_goods_share``; ``world.outside_built_share_of_outside_investment`` of it is built
  and equipped by firms from outside the city (bought outside whatever the city's capacity), the
  rest is offered to the city's firms;
* the rest of the world: the sector's start-year external demand x its
  ``external_demand_index``. Start-year external demand is not a free
  parameter: it is the part of the sector's initial capacity that local
  payers do not buy in the first month, so that the city starts in balance
  (an index above 1 in the start year means unmet outside demand). Coal is
  sold outside at the coal price.

A sector's demand is split among its firms in proportion to capacity
(value added per worker x workers); demand beyond capacity is bought outside
(import leakage). Public units are paid their labour cost by the government.
Firms pay intermediate imports, wages (less employee contributions and
income tax), employer contributions, VAT or business tax, resource tax,
interest, and enterprise income tax on profit; private firms pay out a share
of profit as dividends, locally in proportion to savings. A firm short of
cash borrows from banks. Public units are staffed at
``public_employment_per_1000_residents``, times the budget rule's payroll factor
(public-welfare jobs come on top: the labour market keeps them out of the
staffing norm). State firms pay for the social
functions they run (``firms.soe_social_functions_cost_share_of_wage_bill`` of
their wage bill, bought from local services).

Levers act here through the programme plan: productivity factors by sector
(modern agriculture, innovation), for all sectors (infrastructure) and for
state firms (SOE reform); outside demand (infrastructure's market access); the
mines' capacity (overcapacity cuts); the share of social-function costs the
city takes over (SOE reform); the private firms' loan rate (private economy);
subsidies to farms (modern agriculture); the environmental tax on heavy
industry (ecology); the city's purchases of training (re-employment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model import kernels, regions
from simulator.model.funding import central_to_city
from simulator.model.labour_market import (
    informal_earnings,
    record_employment,
    set_wage_offers,
    set_wages,
)
from simulator.model.sectors import (
    AGRI,
    COAL,
    CONSTR,
    HEAVY_SECTORS,
    N_SECTORS,
    PRIVATE,
    PUBLIC,
    REHOUSED,
    SECTOR_NAMES,
    SERV,
    SOE,
    sector_flags,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel


MAX_PRICE_MOVE_RATIO = 2.0
"""Structural: the demand / capacity ratio that moves a local price is clipped to [1/2, 2] (a
month's move at most 2^kappa)."""


# ---------------------------------------------------------------- productivity


def productivity_table(model: CityModel) -> np.ndarray:
    """Frontier value added per worker (yuan/month) by year (rows) and sector (columns).

    Row ``i`` is the level at the start of year ``start_year + i``: the start
    value compounded by each earlier year's ``productivity_growth_per_year``.
    """
    years = np.arange(model.start_year, model.end_year + 2)
    table = np.empty((len(years), len(model.sector_cfg)))
    for s, c in enumerate(model.sector_cfg):
        g = np.array([model.series(c.productivity_growth_per_year, int(y)) for y in years[:-1]])
        table[:, s] = c.value_added_per_worker_yuan_per_month * np.r_[1.0, np.cumprod(1.0 + g)]
    return table


def sector_productivity(model: CityModel) -> np.ndarray:
    """Frontier value added per worker (yuan/month) by sector in the current month."""
    if model.productivity_levels is None:
        model.productivity_levels = productivity_table(model)
    i = model.year - model.start_year
    lo, hi = model.productivity_levels[i], model.productivity_levels[i + 1]
    frac = (max(model.month, 1) - 1) / 12.0
    return lo * (hi / lo) ** frac


def policy_productivity(model: CityModel) -> np.ndarray:
    """Productivity factor by sector from the levers (1 in the baseline)."""
    prog = model.programmes
    return prog.productivity_factor * prog.infrastructure_productivity


def soe_factor(model: CityModel, rows: np.ndarray | slice) -> np.ndarray:
    """Productivity factor of firm ``rows`` from the SOE reform (1 for other firms)."""
    return np.where(model.firms.ownership[rows] == SOE, model.programmes.soe_productivity_factor, 1.0)


def mine_technology(model: CityModel) -> tuple[np.ndarray, np.ndarray]:
    """Tonnes per worker-year and non-labour cost per tonne of every firm row (zero for non-mines).

    Both worsen as reserves deplete: with ``r`` the share of the mine's initial
    reserves left and ``e`` the ``depletion_cost_elasticity``, tonnes per worker
    fall as ``r^e`` and non-labour cost per tonne rises as ``r^-e``. Tonnes per
    worker also grow with the coal sector's ``productivity_growth_per_year``
    (mechanisation); the sector's ``value_added_per_worker_yuan_per_month`` is
    only the base of that index for mines.
    """
    f = model.firms
    nf = f.n
    coal = model.scenario.coal
    mines = np.flatnonzero(f.is_mine[:nf])  # a handful of rows: compute there only
    r0 = f.reserves0[mines]
    r = np.clip(np.divide(f.reserves[mines], r0, out=np.ones(len(mines)), where=r0 > 0), 1e-3, 1.0)
    # labour productivity of mining grows with the coal sector's productivity index
    growth = sector_productivity(model)[COAL] / model.sector_cfg[COAL].value_added_per_worker_yuan_per_month
    growth = growth * policy_productivity(model)[COAL]
    tpw = np.zeros(nf)
    cost = np.zeros(nf)
    tpw[mines] = f.tpw0[mines] * growth * r**coal.depletion_cost_elasticity * soe_factor(model, mines)
    cost[mines] = coal.nonlabour_cost_yuan_per_tonne * r ** (-coal.depletion_cost_elasticity)
    return tpw, cost


def output_value_per_worker(model: CityModel) -> np.ndarray:
    """By sector: frontier value added per worker at start-year prices x the levers' productivity
    factor x the sector's price (yuan/month), the part of :func:`gross_output_per_worker` common to
    a sector's rows."""
    return sector_productivity(model) * policy_productivity(model) * model.sector_price


def gross_output_per_worker(model: CityModel) -> np.ndarray:
    """Gross output per worker (yuan/month) of every firm row at full use of capacity, at the
    sector's current price (local, :func:`update_local_prices`, or outside,
    :func:`update_outside_prices`; 1 for goods sold at the CPI's prices):
    frontier value added per worker at start-year prices x the row's productivity x the price,
    over ``1 - intermediate_import_share`` (not meaningful for mines, whose output is tonnes)."""
    return _per_worker_less_inputs(model, np.zeros(N_SECTORS))  # with no inputs: x (1 - 0), exact


def _per_worker_less_inputs(model: CityModel, input_share_by_sector: np.ndarray) -> np.ndarray:
    """:func:`gross_output_per_worker` x (1 - ``input_share_by_sector`` of the row's sector), every
    firm row, in one compiled pass (``kernels.firm_value_added_per_worker``)."""
    f = model.firms
    nf = f.n
    return kernels.firm_value_added_per_worker(
        f.sector[:nf], f.productivity[:nf], f.ownership[:nf], SOE, float(model.programmes.soe_productivity_factor),
        output_value_per_worker(model), 1.0 - model.sector_par["intermediate_import_share"], input_share_by_sector,
    )


def input_cost_share(model: CityModel) -> np.ndarray:
    """Intermediate inputs per yuan of sales of every firm row (not mines, not public units):
    its sector's :func:`input_cost_share_by_sector`."""
    return input_cost_share_by_sector(model)[model.firms.sector[: model.firms.n]]


def input_cost_share_by_sector(model: CityModel) -> np.ndarray:
    """Intermediate inputs per yuan of sales by sector (of the sector's rows but mines and public
    units).

    A sector's inputs are fixed quantities per unit of output (the input-output table's
    coefficients, ``intermediate_import_share`` of gross output at start-year prices). A sector
    with a local price (:func:`update_local_prices`) buys them at outside prices, which follow the
    national CPI, except the local producer services (``firms.producer_services_local_share x
    services_input_share``, ``sigma``), yuan shares of sales: at its price ``P`` the share is
    ``sigma + (phi - sigma) / P``, so a sector whose price rises on its labour cost pays no more
    for the goods and outside services it uses. Goods sold at outside prices pay ``phi``: with an
    outside price index (:func:`update_outside_prices`) their inputs' prices are taken to move
    with it (Fuxin's farms: the index of agricultural means of production rose about as fast as
    farm producer prices against the CPI in 2003-2008, 1.32 and 1.37 times)."""
    phi = model.sector_par["intermediate_import_share"]
    sigma = local_services_input_share(model)
    local = model.sector_par["price_adjustment_per_month"] > 0
    return np.where(local, sigma + (phi - sigma) / model.sector_price, phi)


def local_services_input_share(model: CityModel) -> np.ndarray:
    """By sector: producer services bought from the city's services firms per yuan of sales."""
    return model.scenario.firms.producer_services_local_share * model.sector_par["services_input_share"]


def value_added_per_worker(model: CityModel, tech: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Value added per worker (yuan/month) of every firm row at full use of capacity, at the
    sector's current price: gross output per worker (:func:`gross_output_per_worker`) less its
    inputs (:func:`input_cost_share`); for mines, (coal price - non-labour cost per tonne) x
    tonnes per worker.

    ``tech`` is this month's :func:`mine_technology`, if the caller has it already.
    """
    f = model.firms
    nf = f.n
    va = _per_worker_less_inputs(model, input_cost_share_by_sector(model))  # gross_output_per_worker x (1 - input_cost_share)
    mines = f.is_mine[:nf]
    if mines.any():
        tpw, cost = mine_technology(model) if tech is None else tech
        price = model.s(model.scenario.world.coal_price_yuan_per_tonne)
        va[mines] = np.maximum(price - cost[mines], 0.0) * tpw[mines] / 12.0
    return va


def mine_output(model: CityModel, workers: np.ndarray, tpw: np.ndarray) -> np.ndarray:
    """Tonnes extracted this month by each firm row (zero for non-mines)."""
    f = model.firms
    nf = f.n
    mines = np.flatnonzero(f.is_mine[:nf] & f.alive[:nf])  # a handful of rows: compute there only
    q = np.zeros(nf)
    cap = f.capacity_t[mines] * model.programmes.mine_capacity_factor
    q[mines] = np.minimum(np.minimum(cap, workers[mines] * model.scale * tpw[mines]) / 12.0, f.reserves[mines])
    return q


# -------------------------------------------------------------- initial money


def initialise_money(model: CityModel) -> None:
    """Initial wages, firm cash and households' last-month income."""
    p, f = model.persons, model.firms
    record_employment(model)
    model.workers = model.employment.workers()
    model.welfare_workers = np.zeros(f.n)
    set_wage_offers(model, np.zeros(f.n))
    set_wages(model)
    emp = model.employment.rows
    bill = np.bincount(p.employer[emp], weights=p.wage[emp], minlength=f.n) * model.scale
    f.cash[: f.n] = model.scenario.firms.initial_cash_months_of_wage_bill * bill
    inc = np.bincount(
        p.view("household"), weights=(p.view("wage") + p.view("pension")), minlength=model.households.n
    )
    model.households.income_prev[: model.households.n] = inc


# ------------------------------------------------------------------------ step


def household_consumption(model: CityModel) -> np.ndarray:
    """Each household's spending this month (yuan), taken from its savings."""
    hh = model.households
    hc = model.scenario.households
    n = hh.n
    mpc = model.s(hc.propensity_to_consume)
    # c = minimum(where(present, mpc x maximum(income_prev, 0) + share x savings, 0), savings); savings -= c
    return kernels.consumption(hh.income_prev[:n], hh.savings[:n], hh.present[:n], mpc, hc.consumption_from_savings_per_month)


def engel_shares(model: CityModel, consumption: float) -> np.ndarray:
    """Shares of local household consumption by sector at this month's consumption per resident
    and local prices.

    Each sector's base share (``local_consumption_share``) moves with real consumption per
    resident (deflated by the local prices weighted by the base shares) relative to the first
    month's, ``x``, and with the sector's price ``P`` (1 at the start;
    local services move theirs with their cost and demand, farm produce and other goods with their
    ``outside_price_index``), as ``share x x^(elasticity - 1) x P^(1 - sigma)``, then
    the shares are scaled back to their base sum. With income elasticities above 1 (services) a
    sector gains as the city grows richer, below 1 (food) it loses (Engel's law); with an
    elasticity of substitution ``sigma`` (``households.consumption_substitution_elasticity``)
    below 1 the sectors are complements, so a sector whose price rises takes a larger share of
    the yuan spent (Baumol); at ``sigma`` = 1 the yuan shares ignore prices.
    """
    base = model.sector_par["local_consumption_share"]
    eta = model.sector_par["consumption_income_elasticity"]
    sigma = model.scenario.households.consumption_substitution_elasticity
    # real consumption per resident: deflated by the local prices at the base shares (1 at the start)
    price_index = float(base @ model.sector_price) / float(base.sum()) if base.sum() > 0 else 1.0
    per_person = consumption / max(model.population, 1) / price_index
    if model.consumption_per_person_base is None:
        model.consumption_per_person_base = per_person
    x = per_person / model.consumption_per_person_base if model.consumption_per_person_base > 0 else 1.0
    if x <= 0.0:
        return base
    w = base * x ** (eta - 1.0)
    if sigma != 1.0:
        w = w * model.sector_price ** (1.0 - sigma)
    return w * (base.sum() / w.sum()) if w.sum() > 0 else base


def unit_labour_cost_index(model: CityModel) -> np.ndarray:
    """Each sector's unit labour cost against the first month's: the city's base wage (the
    sector's constant relative wage cancels in the ratio) over frontier value added per worker at
    start-year prices, ``(w / A) / (w_0 / A_0)`` (1 in the first month; the references are set
    then)."""
    cost = model.base_wage() / (sector_productivity(model) * policy_productivity(model))
    if model.unit_labour_cost_start is None:
        model.unit_labour_cost_start = cost
    return cost / model.unit_labour_cost_start


def update_outside_prices(model: CityModel) -> None:
    """Set each goods sector's price from its ``outside_price_index`` (relative to the national
    CPI), over the first month's value: the sector sells its output at that price, its inputs
    cost the same share of its sales (:func:`input_cost_share`), and its outside buyers pay it.
    Sectors without an index keep a price of 1."""
    idx = [(s, cfg.outside_price_index) for s, cfg in enumerate(model.sector_cfg) if cfg.outside_price_index is not None]
    if not idx:
        return
    now = np.array([model.s(series) for _, series in idx])
    if model.outside_price_start is None:
        model.outside_price_start = now
    model.sector_price[[s for s, _ in idx]] = now / model.outside_price_start


def update_local_prices(model: CityModel) -> None:
    """Move each local price (sectors with ``price_adjustment_per_month``, ``kappa``, above 0)
    towards its cost and by last month's demand / capacity ratio, through the price of the
    sector's value added ``V`` (1 at the start):

    ``log V <- log V + kappa x log(D / K) + lambda x log(ULC / V)``, ``lambda =
    price_cost_pass_through_per_month``, ``ULC`` the sector's unit labour cost index
    (:func:`unit_labour_cost_index`); the price of its output is then the unit cost at fixed
    input coefficients, ``P = (phi - sigma + (1 - phi) x V) / (1 - sigma)``: ``phi`` its inputs per
    unit of gross output (``intermediate_import_share``), bought at outside prices (which follow
    the national CPI, so 1 here) but for the local producer services ``sigma``
    (:func:`local_services_input_share`), bought at the sector's own price. Value added per unit
    of output is then ``(1 - phi) x V``: always positive, and its real value ``(1 - phi) x Q``.

    Local services are not traded with the rest of the country: firms reset the price of their
    value added to its unit labour cost (full-cost pricing), so where services productivity grows
    more slowly than the wages the city pays, services grow dearer (Baumol's cost disease), by
    ``(1 - phi) / (1 - sigma)`` of the rise in unit labour cost at the start; and when the city's
    demand runs below what its services firms can supply at the going price, their margin and so
    the price fall (they rise when demand exceeds capacity), so that part of the gap is closed by
    the price, the rest by the firms' staffing (the demand ratio of their targets) and by entry and
    exit. With kappa = 0 (goods sold at outside prices) the price stays at 1 or follows the
    sector's outside price index. The ratio is that of the month before, at that month's price (no
    demand record in the first month: no change). Value added is booked at the current price;
    ``gdp_real`` values it at start-year prices.
    """
    kappa = model.sector_par["price_adjustment_per_month"]
    if not kappa.any():
        return
    ulc = unit_labour_cost_index(model)
    if not model.sector_capacity.any():
        return
    ratio = np.divide(
        model.sector_demand, model.sector_capacity, out=np.ones(N_SECTORS), where=model.sector_capacity > 0
    )
    # a month's move is bounded (a sector whose capacity collapses does not jump its price)
    ratio = np.clip(ratio, 1.0 / MAX_PRICE_MOVE_RATIO, MAX_PRICE_MOVE_RATIO)
    local = kappa > 0
    lam = np.where(local, model.sector_par["price_cost_pass_through_per_month"], 0.0)
    v = model.sector_va_price
    v *= ratio**kappa * (ulc / v) ** lam
    phi = model.sector_par["intermediate_import_share"]
    sigma = local_services_input_share(model)
    model.sector_price[local] = ((phi - sigma + (1.0 - phi) * v) / (1.0 - sigma))[local]


def outside_investment(model: CityModel) -> float:
    """Fixed investment financed from outside the city this month (yuan): the world input per
    resident x the outside-financed share x the residents, over 12. It is buildings and
    infrastructure, spent whatever the city's demand; productive capital financed from outside is
    the entrants' capital (:func:`simulator.model.firm_dynamics.plan`)."""
    w = model.scenario.world
    return (
        model.s(w.fixed_investment_yuan_per_resident_per_year) * w.outside_financed_share_of_fixed_investment
        / 12.0 * model.population
    )


def step(model: CityModel) -> None:
    """Demand, sales, costs, taxes and profits of one month."""
    sc = model.scenario
    update_outside_prices(model)
    update_local_prices(model)
    p, f, hh, gov = model.persons, model.firms, model.households, model.government
    S = model.scale
    nf = f.n
    pf = sc.public_finance
    hc = sc.households

    # ---- demand by payer and sector (yuan/month)
    c = household_consumption(model)
    # the rehoused households' extra housing cost, out of savings
    housing_cost = kernels.housing_costs(
        hh.housing[: hh.n], REHOUSED, float(sc.housing.rehoused_extra_cost_yuan_per_month), hh.savings[: hh.n]
    )
    C = float(c.sum()) * S
    cons_share = engel_shares(model, C)
    inv_share = model.sector_par["investment_goods_share"]
    d_hh = (1.0 - hc.import_leakage_share) * C * cons_share
    model.month_flows["household_consumption"] += C
    model.month_flows["household_consumption_services"] += float(d_hh[SERV])
    model.month_flows["household_consumption_food"] += float(d_hh[AGRI])
    d_hh[SERV] += float(housing_cost.sum()) * S
    imports_direct = hc.import_leakage_share * C
    # informal work: the informal workers are paid out of the households' local services demand
    informal_pay, informal_rows = informal_earnings(model, float(d_hh[SERV]))
    d_hh[SERV] -= informal_pay

    # wage bill (wages were set by the labour market; no job changes since)
    jobs = model.employment
    emp = jobs.rows
    public = f.ownership[:nf] == PUBLIC
    # per firm row: whole counts x each pay class's wage (exactly the sum of its persons' wages)
    wage_bill = jobs.per_firm(jobs.wage_table) * S  # (the float32 wages are summed in float64)

    # social functions run by state firms (heating, water, property services), bought
    # locally; the SOE reform moves a share of the bill to the city
    prog = model.programmes
    soe_alive = (f.ownership[:nf] == SOE) & f.alive[:nf]
    social = np.where(soe_alive, sc.firms.soe_social_functions_cost_share_of_wage_bill * wage_bill, 0.0)
    social_city = prog.social_functions_to_city * float(social.sum())
    social_firms = social * (1.0 - prog.social_functions_to_city)

    residents = model.population
    scheduled = model.s(pf.other_spending_yuan_per_resident_per_year) / 12.0 * residents
    other = gov.planned_other_spending(scheduled) * gov.factor["other_spending"]
    other += gov.surplus_spending  # free cash spent down (budget rule), like other spending
    model.month_flows["surplus_spending"] += gov.surplus_spending
    d_gov = other * pf.investment_share_of_other_spending * inv_share
    d_gov[SERV] += other * (1.0 - pf.investment_share_of_other_spending)
    d_gov[CONSTR] += prog.city_construction
    d_gov[SERV] += prog.city_services + social_city
    # (the city pays d_gov through the purchase flows below; its budget categories are the purposes)
    model.month_spending["other_spending"] += other
    model.month_spending["programmes"] += prog.city_construction + prog.city_services + social_city
    model.month_flows["social_functions_paid_by_city"] += social_city

    # capacity (gross output) of ordinary (non-mine, non-public) firms: gross output per worker
    # (gross_output_per_worker) x workers; and, for their staffing below, the capacity of their
    # capital fully staffed. Producer services: ordinary firms buy producer_services_local_share
    # of their services inputs (services_input_share of last month's sales, as they order inputs
    # for this month's work; in the first month, their capacity: the city starts in balance) from
    # the city's services firms, a part of their intermediate inputs (intermediate_import_share of
    # sales in all, the rest imported); what the city's services cannot supply is bought outside.
    # (One pass over the firm rows, kernels.firm_capacity: the formulas.)
    L = model.workers  # set by the labour market this month; no job changes since
    tech = mine_technology(model)  # before this month's depletion
    ordinary, cap_f, cap_s, local_inputs, cap_full_s = kernels.firm_capacity(
        f.alive[:nf], f.is_mine[:nf], f.ownership[:nf], PUBLIC, f.sector[:nf], f.productivity[:nf], SOE,
        float(prog.soe_productivity_factor), output_value_per_worker(model),
        1.0 - model.sector_par["intermediate_import_share"], L, float(S), f.capital[:nf],
        model.sector_par["capital_per_worker_yuan"], local_services_input_share(model), f.sales[:nf],
        model.export_base is None, N_SECTORS,
    )

    d_firm = model.pending_investment * inv_share
    d_firm[SERV] += float(social_firms.sum())
    d_firm[SERV] += float(local_inputs.sum())
    model.month_flows["city_investment"] += other * pf.investment_share_of_other_spending + prog.city_construction

    # fixed investment financed from outside the city (central projects, outside developers,
    # bank-financed platforms: buildings and infrastructure): its net land revenue is paid to the
    # city; a share of the works is built and equipped by outside firms under the investors' own
    # contracts; the rest is offered to the city's firms, and what they cannot supply is built
    # and equipped from outside too
    outside = outside_investment(model)
    model.outside_investment = outside
    land_out = pf.land_revenue_share_of_outside_investment * outside
    model.pay("outside_investment_land", land_out)
    works = (outside - land_out) * inv_share
    built_outside = sc.world.outside_built_share_of_outside_investment * works
    d_out = works - built_outside
    model.outside_demand = d_out
    model.month_flows["outside_investment"] += outside
    d_local = d_hh + d_gov + d_firm + d_out

    # ---- sales of ordinary (non-mine, non-public) firms
    if model.export_base is None:
        # start-year external demand: the part of initial capacity not bought locally
        model.export_base = np.maximum(cap_s - d_local, 0.0)
        model.export_base[COAL] = 0.0
    # (goods sold at an outside price: outside buyers pay it; local services' outside demand is
    # in yuan at the index, whatever the local price)
    outside_priced = np.where(model.sector_par["price_adjustment_per_month"] > 0, 1.0, model.sector_price)
    d_row = model.export_base * np.array([model.s(cfg.external_demand_index) for cfg in model.sector_cfg]) * outside_priced
    d_row = d_row * prog.market_access_factor
    demand = d_local + d_row
    served = np.divide(np.minimum(cap_s, demand), demand, out=np.zeros(N_SECTORS), where=demand > 0)
    model.sector_demand[:] = demand
    model.sector_capacity[:] = cap_s

    for d, tag in ((d_hh, "households"), (d_gov, "city"), (d_firm, "firms"), (d_out, "outside")):
        model.pay(f"purchases_local_{tag}", float((served * d).sum()))
        model.pay(f"purchases_imported_{tag}", float(((1.0 - served) * d).sum()))
    model.pay("purchases_imported_outside", float(built_outside.sum()))  # built by outside firms
    model.pay("consumption_imports", imports_direct)
    model.pay("exports", float((served * d_row).sum()))

    # ---- desired employment next month
    # ordinary rows: their capital's share of the sector's demand, at most what their capital
    # employs (full_ratio: demand over the capacity of the rows' capital fully staffed)
    full_ratio = np.divide(demand, cap_full_s, out=np.ones(N_SECTORS), where=cap_full_s > 0)
    model.sector_capital_capacity[:] = cap_full_s
    # farms (the land-bound sectors): the land sets the jobs; they fall at the release rate
    # (mechanisation) and never rise with demand, and a shortfall of demand cuts them further
    kernels.staffing_targets(
        ordinary, f.sector[:nf], f.capital[:nf], model.sector_par["capital_per_worker_yuan"], float(S), full_ratio,
        f.target[:nf], model.land_bound_sectors, model.land_release_per_month(),
    )

    # public units: staff per resident, cut by the budget rule's payroll factor,
    # shared among the units in proportion to their current staff
    pub = np.flatnonzero((f.ownership[:nf] == PUBLIC) & f.alive[:nf])
    if len(pub):
        want = sc.labour.public_employment_per_1000_residents * residents / 1000.0 / S * gov.factor["public_payroll"]
        staff = L[pub] - model.welfare_workers[pub]  # public-welfare jobs are outside the norm
        weights = staff / staff.sum() if staff.sum() > 0 else np.full(len(pub), 1.0 / len(pub))
        f.target[pub] = want * weights

    # ---- mines
    mines = f.is_mine[:nf] & f.alive[:nf]
    q = mine_output(model, L, tech[0])
    price = model.s(sc.world.coal_price_yuan_per_tonne)
    cost_t = tech[1]
    coal_sales = q * price
    # the ordinary rows' sales: their sector's sales in proportion to capacity (kernels.firm_sales)
    sales = kernels.firm_sales(f.sector[:nf], cap_f, cap_s, served * demand, mines, coal_sales)
    coal_total = float(coal_sales.sum())
    model.pay("coal_sales", coal_total)
    f.reserves[:nf] -= q
    tpw, _ = mine_technology(model)
    # a mine staffs for its capacity; a loss-making mine does not hire
    mr = np.flatnonzero(mines)
    mine_target = f.capacity_t[mr] * prog.mine_capacity_factor / np.maximum(tpw[mr], 1e-9) / S
    f.target[mr] = np.where(f.loss_months[mr] > 0, np.minimum(mine_target, L[mr]), mine_target)
    model.month_flows["coal_output_tonnes"] += float(q.sum())
    mine_inputs = q * cost_t

    # ---- public units: the government pays their labour cost
    ec = model.s(sc.social_security.pension_contribution_employer_share)
    ee = model.s(sc.social_security.pension_contribution_employee_share)
    pit = model.s(pf.personal_income_tax_effective_rate)
    # the wage bill covered by pensions (all of it in public units) and the public units' cost,
    # which is their sales
    covered_bill, public_cost = kernels.covered_and_public_cost(
        public, f.alive[:nf], f.sector[:nf], model.sector_par["pension_coverage_share"], wage_bill, ec, sales
    )
    public_total = float(public_cost.sum())
    model.pay("public_payroll", public_total)

    # ---- firm costs, taxes and profit
    res_tax = np.zeros(nf)
    res_tax[mr] = (
        q[mr] * model.s(pf.coal_resource_tax_yuan_per_tonne)
        + coal_sales[mr] * model.s(pf.coal_resource_tax_ad_valorem_share)
    )
    r_loan = sc.firms.loan_interest_rate_per_year / 12.0
    r_private = r_loan
    if prog.private_loan_rate_cut > 0:
        r_private = max(r_loan - prog.private_loan_rate_cut / 12.0, 0.0)  # a rate does not go below zero
    standard = model.s(pf.vat_rate)
    sector_vat = np.array([standard if c.vat_rate is None else model.s(c.vat_rate) for c in model.sector_cfg])
    eit_std = model.s(pf.enterprise_income_tax_rate)
    sector_eit = np.array([eit_std if c.enterprise_income_tax_rate is None else model.s(c.enterprise_income_tax_rate) for c in model.sector_cfg])
    bt_rate = model.s(pf.business_tax_rate)
    # intermediates, value added, taxes, interest, profit after tax, dividends; the firms'
    # cash, sales, profit and months of loss updated (kernels.firm_accounts: the formulas)
    intermediates, va, business_tax, vat, interest, employer_contrib, env_tax, subsidy, eit, dividends = kernels.firm_accounts(
        sales, mines, mine_inputs, input_cost_share_by_sector(model), public, f.sector[:nf], f.ownership[:nf], PRIVATE, f.alive[:nf], ordinary,
        sector_flags([SECTOR_NAMES.index(s) for s in pf.business_tax_sectors]), bt_rate, sector_vat, sector_eit,
        res_tax, f.debt[:nf], r_loan, r_private, ec, covered_bill, wage_bill, social_firms,
        sector_flags(HEAVY_SECTORS), prog.heavy_environmental_cost_share, AGRI, float(prog.agri_subsidy_per_worker), L, float(S),
        sc.firms.dividend_payout_share_private, f.cash[:nf], f.sales[:nf], f.profit[:nf], f.loss_months[:nf],
    )

    vat_local = model.s(pf.vat_local_share)
    inc_local = model.s(pf.income_tax_local_share)
    # each total once (read several times below)
    t_inter, t_vat, t_bt, t_env, t_sub, t_res, t_eit, t_int = (
        float(a.sum()) for a in (intermediates, vat, business_tax, env_tax, subsidy, res_tax, eit, interest)
    )
    # (the firms' cash was settled per row in firm_accounts; model.pay books each flow, the one-balance
    # sectors' stocks, the city's tax revenue and the indicators)
    model.pay("intermediate_imports", t_inter - float(local_inputs.sum()))  # (the local services were booked with the firms' purchases)
    model.pay("vat_local", vat_local * t_vat)
    model.pay("vat_central", (1 - vat_local) * t_vat)
    model.pay("business_tax", t_bt)
    model.pay("environmental_tax", t_env)
    model.pay("agri_subsidy", t_sub)
    model.pay("resource_tax", t_res)
    model.pay("eit_local", inc_local * t_eit)
    model.pay("eit_central", (1 - inc_local) * t_eit)
    model.pay("loan_interest_firms", t_int)
    W = float(wage_bill.sum())
    Wc = float(covered_bill.sum())
    model.pay("pension_contributions_employer", ec * Wc)
    model.pay("pension_contributions_employee", ee * Wc)
    model.pay("pit_local", inc_local * pit * W)
    model.pay("pit_central", (1 - inc_local) * pit * W)
    model.pay("net_wages", (1 - pit) * W - ee * Wc)
    if prog.agri_subsidy_per_worker > 0:
        central_to_city(model, prog.agri_subsidy_central_share * t_sub, "agri_subsidy_central")

    # wages and dividends reach households
    # the net-of-contributions factor takes one value per sector and one for public units
    cov_class = np.r_[model.sector_par["pension_coverage_share"], 1.0]
    net_factor = (1 - pit - ee * cov_class)[np.where(public, N_SECTORS, f.sector[:nf])]  # per firm row
    # (the wages of the employed were set by the labour market)
    model.hh_income[: hh.n] += kernels.household_net_wages(p.household, emp, jobs.employer, net_factor, jobs.wage, hh.n)
    div_total = float(dividends.sum())
    div_local = sc.firms.dividend_local_share * div_total
    model.pay("dividends_local", div_local)
    model.pay("dividends_outside", div_total - div_local)
    distribute_to_savers(model, div_local)

    # deposit interest from banks
    r_dep = hc.deposit_interest_rate_per_year / 12.0
    dep_int = hh.savings[: hh.n] * r_dep
    model.pay("deposit_interest", float(dep_int.sum()) * S)
    model.hh_income[: hh.n] += dep_int

    # value added by sector (for GDP): wages + taxes + profits = sales - intermediates
    # (by region and sector: the city's figure is the regions' sum)
    R = model.regions.n
    va_rs, va_real = value_added_tables(model, va, sales, mines, public, price)
    model.month_va_region += va_rs.sum(axis=1)
    model.month_va += va_rs.sum(axis=0)
    model.month_va_real += va_real  # by sector
    if informal_pay > 0.0:
        # informal earnings: household income and services value added (no inputs, no taxes)
        model.pay("informal_earnings", informal_pay)
        each = informal_pay / (len(informal_rows) * S)
        kernels.add_per_person(model.hh_income[: hh.n], p.household, informal_rows, each)
        model.month_va[SERV] += informal_pay
        model.month_va_real[SERV] += informal_pay / model.sector_price[SERV]  # bought out of local services demand: at its price
        where = regions.of_persons(model, informal_rows) if R > 1 else np.zeros(len(informal_rows), np.intp)
        model.month_va_region += np.bincount(where, minlength=R)[:R] * (each * S)
    settle_firm_cash(model, wage_bill + employer_contrib)


def real_value_added(
    model: CityModel, va: np.ndarray, sales: np.ndarray, mines: np.ndarray, public: np.ndarray, coal_price: float
) -> np.ndarray:
    """The month's value added of the firm rows at start-year prices by sector (``gdp_real`` and
    its three statistical sectors), as :func:`value_added_tables` values it."""
    return value_added_tables(model, va, sales, mines, public, coal_price)[1]


def value_added_tables(
    model: CityModel, va: np.ndarray, sales: np.ndarray, mines: np.ndarray, public: np.ndarray, coal_price: float
) -> tuple[np.ndarray, np.ndarray]:
    """The month's value added ``va`` of the firm rows by region and sector (a regions x sectors
    table at current prices), and at start-year prices by sector (``gdp_real`` and its three
    statistical sectors):

    - ordinary rows: double deflation at the input-output table's fixed coefficients, output at
      start-year prices less its inputs at start-year prices, ``(1 - phi_s) x sales / P_s``
      (``P_s`` the sector's price, local or outside; 1 for goods at the CPI's);
    - public units, whose value added is their labour cost: over the price of services' value
      added (:func:`update_local_prices`; 1 without a local services price), as the market
      services whose wages they pay;
    - mines: over the coal price relative to the first month's (single deflation by the output
      price: their inputs are a cost per tonne).
    """
    if model.coal_price_start is None:
        model.coal_price_start = coal_price
    f = model.firms
    n = len(va)
    deflated = coal_price > 0 and model.coal_price_start > 0
    return kernels.value_added_sums(  # one pass; the formulas in its docstring
        va, sales, f.sector[:n], f.region[:n], public, mines, model.sector_par["intermediate_import_share"],
        model.sector_price, model.sector_va_price, deflated, coal_price / model.coal_price_start if deflated else 1.0,
        model.regions.n, N_SECTORS,
    )


def distribute_to_savers(model: CityModel, amount: float) -> None:
    """Add ``amount`` yuan (all rows) to household income in proportion to savings."""
    if amount == 0.0:
        return
    hh = model.households
    s = np.where(hh.present[: hh.n], hh.savings[: hh.n], 0.0)
    tot = s.sum()
    if tot <= 0:
        w = hh.present[: hh.n].astype(float)
        tot = w.sum()
        s = w
    kernels.add_shares(model.hh_income[: hh.n], s, tot, amount, float(model.scale))  # income += s / tot * amount / scale


def settle_firm_cash(model: CityModel, labour_cost: np.ndarray) -> None:
    """Firms short of cash borrow from banks; firms with cash above their buffer
    (``initial_cash_months_of_wage_bill`` x this month's labour cost) repay debt."""
    f = model.firms
    nf = f.n
    short, repay = kernels.settle_cash(  # one pass; the formulas in its docstring
        f.cash[:nf], f.debt[:nf], labour_cost, model.scenario.firms.initial_cash_months_of_wage_bill
    )
    model.banks.balance -= float(short.sum())
    model.banks.balance += float(repay.sum())
