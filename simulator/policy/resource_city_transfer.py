"""Resource-exhausted city transfer payments (资源枯竭城市财政转移支付), clause 22.

Clause 22 (促进资源型城市可持续发展) asks to further improve the central
transfer system for resource-exhausted cities (进一步完善对资源枯竭城市财政转移支付制度).
Mechanism: a central-to-city transfer of ``yuan_per_year`` while active. Its
earmarked shares go to the social security fund's reserve (lowering the
city's future top-ups), to ecological works (local construction demand), and
to the successor-industry fund's balance when that lever is active; the rest
is general revenue of the city.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.accounts import CENTRAL, CITY, SSF
from simulator.model.flows import Flow, declare
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "resource_city_transfer"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.resource_city_transfer
    if not cfg.active(model.year):
        return
    gov = model.government
    amount = model.s(cfg.yuan_per_year) / 12.0
    model.pay("resource_city_transfer", amount)
    model.pay("transfer_earmarked_social_security", cfg.earmarks.social_security * amount)
    model.programmes.city_construction += cfg.earmarks.environment * amount
    if model.scenario.levers.new_industry_fund.active(model.year):
        gov.fund.credit(cfg.earmarks.successor_industries * amount)


declare(
    Flow("resource_city_transfer", CENTRAL, CITY, budget="transfers", indicator="resource_city_transfer"),
    Flow("transfer_earmarked_social_security", CITY, SSF, budget="social_security"),
)


LEVER = Lever(
    name=NAME,
    clauses=(22,),
    title_zh="促进资源型城市可持续发展：资源枯竭城市财政转移支付",
    summary="Central transfer payments to resource-exhausted cities, part earmarked for social security, environment and successor industries.",
    mechanism="central-to-city transfer each month; earmarks fund the SSF reserve, ecological works and the successor-industry fund",
    apply=apply,
)
