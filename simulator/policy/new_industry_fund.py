"""Successor / new-industry investment fund (接续替代产业投资基金), clauses 12, 22, 25.

Clause 22 encourages local successor-industry investment funds (鼓励地方设立资源型城市
接续替代产业投资基金); clause 25 sets up the Northeast revitalisation industry
investment fund (设立东北振兴产业投资基金); clause 12 fosters new industries
(积极培育新产业新业态). Mechanism: the city sets aside part of its cash (its
share cut first by the budget rule) and the central government transfers its
share; both are earmarked as the fund balance (a memo inside city cash); while the balance
lasts, the fund co-finances ``co_finance_share_of_capital`` of the capital of
entrants and of the investment of firms in the target sectors. Co-finance
lowers the private capital an investor must put in, which raises the entry
rate in the target sectors (firm dynamics) and the investment of their firms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.accounts import CENTRAL, CITY
from simulator.model.flows import Flow, declare
from simulator.model.sectors import SECTOR_NAMES
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "new_industry_fund"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.new_industry_fund
    if not cfg.active(model.year):
        return
    gov = model.government
    city = model.s(cfg.city_yuan_per_year) / 12.0 * gov.factor["programmes"]
    central = model.s(cfg.central_yuan_per_year) / 12.0
    model.pay("new_industry_fund_central", central)
    gov.fund.credit(city + central)
    prog = model.programmes
    for s in cfg.target_sectors:
        prog.fund_target[SECTOR_NAMES.index(s)] = True
    prog.fund_co_finance_share = cfg.co_finance_share_of_capital


declare(Flow("new_industry_fund_central", CENTRAL, CITY, budget="transfers"))


LEVER = Lever(
    name=NAME,
    clauses=(12, 22, 25),
    title_zh="接续替代产业投资基金 / 东北振兴产业投资基金；积极培育新产业新业态",
    summary="A fund co-financing entrants and expansions in successor and new industries.",
    mechanism="city and central contributions to a fund that pays a share of target-sector firms' capital, raising entry and investment there",
    apply=apply,
)
