"""Housing: shantytown renovation moves households into new housing (monthly).

The shantytown-renovation lever (:mod:`simulator.policy.shantytown_renovation`)
sets how many households the programme rehouses this month. This mechanism
picks that many shantytown households at random, moves them to new housing
(``REHOUSED``: they then pay ``housing.rehoused_extra_cost_yuan_per_month``
and their out-migration multiplier changes), and finances the works by the
lever's funding shares: central and provincial subsidies, the city budget,
bank loans to the city, and the households' own contributions (from their
savings; what they cannot pay is borrowed by the city). Bank loans are
long-term programme debt of the city (rolled over; interest paid; outside the
budget rule's borrowing limit). The whole cost is spent on local
construction this month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.accounts import CENTRAL, CITY, HH
from simulator.model.sectors import REHOUSED, SHANTYTOWN

if TYPE_CHECKING:
    from simulator.model.city import CityModel


def step(model: CityModel) -> None:
    """Rehouse this month's shantytown households and pay for the works."""
    prog = model.programmes
    if prog.shantytown_households <= 0:
        return
    hh, gov = model.households, model.government
    S = model.scale
    rng = model.streams["housing"]
    rows = model.stochastic_round(prog.shantytown_households / S, "housing")
    cand = np.flatnonzero(hh.present[: hh.n] & (hh.housing[: hh.n] == SHANTYTOWN))
    rows = min(rows, len(cand))
    if rows == 0:
        return
    moved = rng.choice(cand, size=rows, replace=False)
    hh.housing[moved] = REHOUSED
    cost_per_hh = prog.shantytown_cost_per_household
    total = rows * S * cost_per_hh
    fund = prog.shantytown_funding
    led = model.ledger

    central = fund.central * total
    province = fund.province * total
    led.pay("shantytown_central_subsidy", CENTRAL, CITY, central)
    led.pay("shantytown_provincial_subsidy", CENTRAL, CITY, province)
    model.central.balance -= central + province
    due = fund.households * cost_per_hh
    paid = np.minimum(hh.savings[moved], due)
    hh.savings[moved] -= paid
    hh_paid = float(paid.sum()) * S
    led.pay("shantytown_household_contributions", HH, CITY, hh_paid)
    loans = fund.bank_loans * total + (due * rows * S - hh_paid)
    gov.debt += loans
    gov.programme_debt += loans
    model.banks.balance -= loans
    gov.cash += central + province + hh_paid + loans
    model.month_revenue["transfers"] += central + province
    model.month_flows["shantytown_rehoused_households"] += rows * S
    model.month_flows["shantytown_spending"] += total
    prog.city_construction += total
