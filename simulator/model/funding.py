"""How programmes are paid for: the money moves every lever shares.

Each function moves money between the accounting sectors through the ledger,
so the stock-flow check sees every yuan a programme costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.scenario.schema import FundingShares

if TYPE_CHECKING:
    from simulator.model.city import CityModel


def central_to_city(model: CityModel, amount: float, kind: str) -> None:
    """A central (or provincial) grant to the city: revenue of the city, counted as transfers."""
    model.pay(kind, amount)  # declared from the central government to the city, as transfers


def city_pays_firms(model: CityModel, rows: np.ndarray, amounts: np.ndarray, kind: str, central_share: float) -> float:
    """The city pays ``amounts`` (yuan, all rows) to firm ``rows``; the central government
    reimburses ``central_share`` of it. Returns the total paid."""
    total = float(amounts.sum())
    if total == 0.0:
        return 0.0
    central_to_city(model, central_share * total, f"{kind}_central")
    model.pay(kind, total)  # declared with its budget category and indicator
    model.firms.cash[rows] += amounts
    return total


def mining_firms_pay(model: CityModel, amount: float, kind: str) -> float:
    """Open mines pay ``amount`` to the city in proportion to their capacity; returns what
    they paid (zero when no mine is open: the city then carries that share)."""
    f = model.firms
    nf = f.n
    open_mines = np.flatnonzero(f.is_mine[:nf] & f.alive[:nf])
    if amount == 0.0 or len(open_mines) == 0:
        return 0.0
    cap = f.capacity_t[open_mines]
    share = cap / cap.sum() if cap.sum() > 0 else np.full(len(open_mines), 1.0 / len(open_mines))
    f.cash[open_mines] -= amount * share
    model.pay(kind, amount)
    return amount


def finance_works(model: CityModel, total: float, funding: FundingShares, prefix: str, households_paid: float = 0.0) -> None:
    """Finance ``total`` yuan of public works by ``funding`` and order them from local construction.

    Central and provincial subsidies are grants to the city; bank loans are programme
    debt of the city (outside the borrowing limit); the mining firms pay their share
    (the city when none is open); ``households_paid`` is what the households served
    already paid the city (the caller collects it); the part of the households' share
    they could not pay is lent to the city by the banks. The city's own share comes
    out of its cash. The whole ``total`` becomes construction demand this month.
    """
    if total <= 0.0:
        return
    gov = model.government
    central_to_city(model, funding.central * total, f"{prefix}_central_subsidy")
    central_to_city(model, funding.province * total, f"{prefix}_provincial_subsidy")
    mining_firms_pay(model, funding.firms * total, f"{prefix}_mining_firms")
    loans = funding.bank_loans * total + max(funding.households * total - households_paid, 0.0)
    if loans > 0.0:
        gov.debt += loans
        gov.programme_debt += loans
        model.banks.balance -= loans
        gov.cash += loans
    model.month_flows[f"{prefix}_spending"] += total
    model.programmes.city_construction += total
