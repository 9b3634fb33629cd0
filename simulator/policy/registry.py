"""The policy levers and the programme plan they hand to the mechanisms.

A lever never edits an outcome: each month it turns its scenario block
(on/off, years, sizes, funding) into money flows between governments and into
the :class:`Programmes` plan, which the mechanisms (housing, production,
firm dynamics, public finance) carry out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.model.sectors import N_SECTORS
from simulator.policy import new_industry_fund, resource_city_transfer, shantytown_renovation
from simulator.policy.base import Lever
from simulator.scenario.schema import FundingShares


@dataclass
class Programmes:
    """What the levers ask the mechanisms to do this month."""

    city_construction: float = 0.0  # yuan the city spends on construction works this month
    shantytown_households: float = 0.0  # real households to rehouse this month
    shantytown_cost_per_household: float = 0.0
    shantytown_funding: FundingShares = field(default_factory=lambda: FundingShares(city=1.0))
    fund_target: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS, bool))
    fund_co_finance_share: float = 0.0

    def reset(self) -> None:
        self.city_construction = 0.0
        self.shantytown_households = 0.0
        self.fund_co_finance_share = 0.0
        self.fund_target[:] = False


LEVERS: tuple[Lever, ...] = (
    resource_city_transfer.LEVER,
    new_industry_fund.LEVER,
    shantytown_renovation.LEVER,
)
"""Levers in the order they are applied each month."""


def lever_by_name(name: str) -> Lever:
    for lever in LEVERS:
        if lever.name == name:
            return lever
    raise KeyError(name)
