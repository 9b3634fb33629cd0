"""Housing: shantytown renovation and subsidence-area relocation move households (monthly).

The shantytown-renovation lever (:mod:`simulator.policy.shantytown_renovation`)
and the subsidence-relocation lever (:mod:`simulator.policy.subsidence_relocation`)
set how many households their programmes move this month. This mechanism picks
that many households of the right housing type at random, moves them to new
housing (``REHOUSED``: they then pay ``housing.rehoused_extra_cost_yuan_per_month``
and their out-migration multiplier changes), and finances the works by the
lever's funding shares (:func:`simulator.model.funding.finance_works`):
central and provincial subsidies, the city budget, bank loans to the city, the
mining firms and the households' own contributions (from their savings; what
they cannot pay is borrowed by the city). Bank loans are long-term programme
debt of the city (rolled over; interest paid; outside the budget rule's
borrowing limit). The whole cost is spent on local construction this month.
A lever that names regions moves households of those regions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.funding import finance_works
from simulator.model.sectors import REHOUSED, SHANTYTOWN, SUBSIDENCE
from simulator.scenario.schema import FundingShares

if TYPE_CHECKING:
    from simulator.model.city import CityModel


def step(model: CityModel) -> None:
    """Move this month's shantytown and subsidence-area households and pay for the works."""
    prog = model.programmes
    if prog.shantytown_households > 0:
        move(model, SHANTYTOWN, prog.shantytown_households, prog.shantytown_cost_per_household,
             prog.shantytown_funding, "shantytown", model.streams["housing"], prog.shantytown_regions)
    if prog.subsidence_households > 0:
        move(model, SUBSIDENCE, prog.subsidence_households, prog.subsidence_cost_per_household,
             prog.subsidence_funding, "subsidence", model.lever_streams["subsidence_relocation"],
             prog.subsidence_regions)


def move(model: CityModel, housing_from: int, households: float, cost_per_hh: float,
         funding: FundingShares, prefix: str, rng: np.random.Generator,
         regions: np.ndarray | None = None) -> None:
    """Move ``households`` real households (at most those left) out of ``housing_from`` into new
    housing, drawing them with ``rng``; with ``regions`` (bool per region), only households of
    those regions."""
    hh = model.households
    S = model.scale
    rows = model.stochastic_round(households / S, rng)
    eligible = hh.present[: hh.n] & (hh.housing[: hh.n] == housing_from)
    if regions is not None:
        eligible &= regions[hh.region[: hh.n]]
    cand = np.flatnonzero(eligible)
    rows = min(rows, len(cand))
    if rows == 0:
        return
    moved = rng.choice(cand, size=rows, replace=False)
    hh.housing[moved] = REHOUSED
    total = rows * S * cost_per_hh
    due = funding.households * cost_per_hh
    paid = np.minimum(hh.savings[moved], due)
    hh.savings[moved] -= paid
    hh_paid = float(paid.sum()) * S
    model.pay(f"{prefix}_household_contributions", hh_paid)
    model.month_flows[f"{prefix}_rehoused_households"] += rows * S
    finance_works(model, total, funding, prefix, households_paid=hh_paid)
