"""Subsidence-area relocation and independent mining-area renovation (采煤沉陷区, 独立工矿区), clause 20.

Clause 20 asks to speed up the relocation of residents of coal-mining
subsidence areas (加快采煤沉陷区居民避险安置) and the relocation and renovation of
independent mining areas (独立工矿区搬迁改造), with central budget investment.
Mechanism: while active, ``households_per_year`` households living in
subsidence areas move to new housing (the housing mechanism picks them); the
cost per household is shared by central and provincial subsidies, the city,
bank loans, the mining firms and the households (Shanxi's 2005 projects shared
it 8.8 / 3.2 / 2.2 / 6.2 / 1.1, policy_inputs.csv). The mining-area works
(roads, utilities, public services of the mining areas) are financed by the
same shares, the households' share falling to the city. All of it is spent on local construction. The city's own share of
both is cut first by the budget rule (the programme slows down).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.flows import declare, works_flows
from simulator.model.funding import finance_works
from simulator.model.regions import region_mask
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "subsidence_relocation"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.subsidence_relocation
    if not cfg.active(model.year):
        return
    factor = model.government.factor["programmes"]
    prog = model.programmes
    prog.subsidence_households = model.s(cfg.households_per_year) / 12.0 * factor
    prog.subsidence_cost_per_household = cfg.cost_yuan_per_household
    prog.subsidence_funding = cfg.funding
    prog.subsidence_regions = region_mask(model, cfg.regions)
    works = model.s(cfg.mining_area_works_yuan_per_year) / 12.0 * factor
    if works > 0:
        # no household is moved by the works: the households' share falls to the city
        fund = cfg.funding
        works_funding = fund.model_copy(update={"city": fund.city + fund.households, "households": 0.0})
        finance_works(model, works, works_funding, "mining_area_works")


declare(*works_flows("mining_area_works"))


LEVER = Lever(
    name=NAME,
    clauses=(20,),
    title_zh="全面实施棚户区、独立工矿区改造等重大民生工程：采煤沉陷区居民避险安置、独立工矿区搬迁改造",
    summary="Relocating households out of coal-mining subsidence areas and renovating independent mining areas, with shared funding.",
    mechanism="households moved per year from subsidence areas to new housing, plus mining-area works; costs shared by central, province, city, banks, mining firms and residents; spent on local construction",
    apply=apply,
)
