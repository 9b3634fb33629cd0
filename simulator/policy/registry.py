"""The policy levers, in the order they are applied each month.

A lever never edits an outcome: each month it turns its scenario block
(on/off, years, sizes, funding) into money flows between governments and into
the programme plan (:class:`simulator.model.programmes.Programmes`), which the
mechanisms (housing, labour market, production, firm dynamics, public finance,
migration) carry out. A lever's random draws come from its own stream, keyed by
its name (``CityModel.lever_streams[name]``). The model does not import this
module: whoever builds a model hands it the levers
(:func:`simulator.experiment.run.build_model` hands it :data:`LEVERS`).
"""

from __future__ import annotations

from simulator.policy import (
    ecology_overcapacity,
    infrastructure,
    innovation_talent,
    modern_agriculture,
    new_industry_fund,
    pensions,
    private_economy,
    reemployment,
    resource_city_transfer,
    shantytown_renovation,
    soe_reform,
    streamlined_approvals,
    subsidence_relocation,
)
from simulator.policy.base import Lever

LEVERS: list[Lever] = [
    resource_city_transfer.LEVER,
    new_industry_fund.LEVER,
    shantytown_renovation.LEVER,
    subsidence_relocation.LEVER,
    pensions.LEVER,
    reemployment.LEVER,
    soe_reform.LEVER,
    private_economy.LEVER,
    streamlined_approvals.LEVER,
    modern_agriculture.LEVER,
    infrastructure.LEVER,
    innovation_talent.LEVER,
    ecology_overcapacity.LEVER,
]
"""Levers in the order they are applied each month (:func:`register` appends)."""


def register(lever: Lever) -> Lever:
    """Add a lever from its own module: its scenario block joins the schema (``levers.<name>``),
    its flows and indicators are declared, and it applies each month after the levers before it.
    Nothing else needs editing. Registering the same lever twice is harmless."""
    from simulator.model.flows import declare
    from simulator.model.indicators import declare_indicator
    from simulator.scenario.schema import register_lever_config

    known = next((lv for lv in LEVERS if lv.name == lever.name), None)
    if known is not None:
        if known is lever:
            return lever
        raise ValueError(f"a lever named {lever.name!r} is already registered")
    if lever.block is not None:
        register_lever_config(lever.name, lever.block)
    declare(*lever.flows)
    for indicator, compute in lever.indicators:
        declare_indicator(indicator, compute)
    LEVERS.append(lever)
    return lever


def lever_by_name(name: str) -> Lever:
    for lever in LEVERS:
        if lever.name == name:
            return lever
    raise KeyError(name)
