"""Ecology and overcapacity (生态, 化解过剩产能), clauses 11 and 23.

Clause 11 controls the scale of heavy and chemical industry and cuts
overcapacity (控制重化工业规模, 积极稳妥化解过剩产能); clause 23 strictly controls
energy-intensive, polluting and overcapacity industries (严格控制高耗能、高排放和产能
过剩产业发展), pollution control and compensation for ecological functions
(完善对重点生态功能区的补偿机制). Mechanism: (1) the mines' capacity is cut by
``mine_capacity_cut_share``, phased in over ``capacity_cut_phase_in_years``
(mines staff down; the cut stays after the lever ends); workers laid off
by a mine (when it closes or sheds staff) while the lever is active receive
``resettlement_yuan_per_laid_off_worker`` from the
central government (the special fund for resettling workers of closed
capacity); (2) coal mining and coal-dependent industry pay an environmental
tax of ``heavy_industry_environmental_cost_share_of_sales`` of their sales to
the city; (3) the central government pays the city
``ecological_transfer_yuan_per_year`` for ecological works (mine pits, waste
heaps, afforestation), spent on local construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.accounts import CENTRAL, CITY
from simulator.model.flows import Flow, declare
from simulator.model.funding import central_to_city
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "ecology_overcapacity"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.ecology_overcapacity
    if not cfg.enabled or model.year < cfg.start_year:
        return
    prog = model.programmes
    if model.year > cfg.end_year:
        return  # the capacity cut reached stays (persistent)
    months = (model.year - cfg.start_year) * 12 + model.month
    phase = min(1.0, months / (12.0 * cfg.capacity_cut_phase_in_years))
    prog.mine_capacity_factor = 1.0 - cfg.mine_capacity_cut_share * phase
    prog.resettlement_per_laid_off = cfg.resettlement_yuan_per_laid_off_worker
    prog.heavy_environmental_cost_share = cfg.heavy_industry_environmental_cost_share_of_sales
    eco = model.s(cfg.ecological_transfer_yuan_per_year) / 12.0
    central_to_city(model, eco, "ecological_transfer")
    prog.city_construction += eco


declare(Flow("ecological_transfer", CENTRAL, CITY, budget="transfers", indicator="ecological_transfer"))


LEVER = Lever(
    name=NAME,
    clauses=(11, 23),
    title_zh="促进装备制造等优势产业提质增效：化解过剩产能；打造北方生态屏障和山青水绿的宜居家园",
    summary="Cutting coal capacity with resettlement money for laid-off workers, an environmental levy on heavy industry, and ecological transfers.",
    mechanism="mines' capacity factor falls; central resettlement payment per worker laid off by closures; environmental tax on heavy-industry sales; central ecological transfer spent on local works",
    apply=apply,
)
