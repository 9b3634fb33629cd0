"""Infrastructure (基础设施), clause 15.

Clause 15 upgrades railways, highways, airports, water works, energy and
information networks (不断提升基础设施水平). Mechanism: while active,
``investment_yuan_per_year`` of public works is financed by the ``funding``
shares (central and provincial subsidies, the city, bank loans or special
bonds as programme debt) and bought from local construction. Works are
completed ``lag_years`` after they are paid for and then add to a stock of
public capital that depreciates at ``depreciation_rate_per_year`` (also after
the lever ends). With ``k`` that stock over ``reference_public_capital_yuan``
(the city's existing public capital), every sector's productivity is
multiplied by ``(1 + k)^output_elasticity`` and outside demand for the city's
goods by ``(1 + k)^market_access_elasticity`` (market access).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.flows import declare, works_flows
from simulator.model.funding import finance_works
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "infrastructure"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.infrastructure
    if not cfg.enabled or model.year < cfg.start_year:
        return
    prog = model.programmes
    spend = 0.0
    if model.year <= cfg.end_year:
        spend = model.s(cfg.investment_yuan_per_year) / 12.0 * model.government.factor["programmes"]
        finance_works(model, spend, cfg.funding, "infrastructure")
    lag = round(12 * cfg.lag_years)
    pipeline = prog.infrastructure_pipeline
    pipeline.append(spend)
    completed = pipeline.pop(0) if len(pipeline) > lag else 0.0
    prog.infrastructure_stock = prog.infrastructure_stock * (1.0 - cfg.depreciation_rate_per_year / 12.0) + completed
    k = prog.infrastructure_stock / cfg.reference_public_capital_yuan
    prog.infrastructure_productivity = (1.0 + k) ** cfg.output_elasticity
    prog.market_access_factor = (1.0 + k) ** cfg.market_access_elasticity


declare(*works_flows("infrastructure"))


LEVER = Lever(
    name=NAME,
    clauses=(15,),
    title_zh="不断提升基础设施水平",
    summary="Public investment in transport, water, energy and networks, raising productivity and market access after a lag.",
    mechanism="works financed by shared funding and bought from local construction; completed capital raises all sectors' productivity and outside demand",
    apply=apply,
)
