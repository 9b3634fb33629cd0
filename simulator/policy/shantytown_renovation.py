"""Shantytown renovation (棚户区改造), clause 20.

Clause 20 (全面实施棚户区、独立工矿区改造等重大民生工程) continues central budget
support for shantytown renovation with policy-bank finance, focused on
resource-exhausted cities and independent mining areas. Mechanism: while
active, ``households_per_year`` shantytown households are rehoused (the
housing mechanism picks them); the cost per household is shared by central
and provincial subsidies, the city, bank loans to the city and the households,
and is spent on local construction. With ``regions``, only shantytown households
of those regions are rehoused. The city's programme spending is cut
first when the budget rule bites, which slows the programme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.regions import region_mask
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "shantytown_renovation"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.shantytown_renovation
    if not cfg.active(model.year):
        return
    prog = model.programmes
    prog.shantytown_households = (
        model.s(cfg.households_per_year) / 12.0 * model.government.factor["programmes"]
    )
    prog.shantytown_cost_per_household = cfg.cost_yuan_per_household
    prog.shantytown_funding = cfg.funding
    prog.shantytown_regions = region_mask(model, cfg.regions)


LEVER = Lever(
    name=NAME,
    clauses=(20,),
    title_zh="全面实施棚户区、独立工矿区改造等重大民生工程：棚户区改造",
    summary="Rehousing shantytown households, with central and provincial subsidies, city funds, bank loans and household contributions.",
    mechanism="households moved per year to new housing; the cost drives construction demand and changes their costs and staying decisions",
    apply=apply,
)
