"""Housing: shantytown households rehoused, and the works financed by the funding shares."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import housing
from simulator.model.accounts import check_stock_flow, net_worth
from simulator.model.sectors import REHOUSED, SHANTYTOWN
from simulator.scenario.schema import FundingShares

FUNDING = FundingShares(central=0.12, province=0.05, city=0.13, bank_loans=0.4, households=0.3)
COST = 90_000.0


def _plan(m, households: float) -> None:
    prog = m.programmes
    prog.shantytown_households = households
    prog.shantytown_cost_per_household = COST
    prog.shantytown_funding = FUNDING


@pytest.mark.parametrize("savings", [1e6, 0.0])
def test_rehousing_moves_households_and_shares_the_cost(tiny_model, savings: float) -> None:
    m = tiny_model
    hh, gov = m.households, m.government
    shanty0 = hh.view("housing") == SHANTYTOWN
    assert shanty0.sum() > 12
    hh.view("savings")[shanty0] = savings
    _plan(m, 12.0)
    debt0, pdebt0, cash0 = gov.debt, gov.programme_debt, gov.cash
    before = net_worth(m)
    housing.step(m)
    moved = shanty0 & (hh.view("housing") == REHOUSED)
    assert moved.sum() * m.scale == 12
    assert np.all(hh.view("housing")[~shanty0] != REHOUSED)  # only shantytown households move
    total = 12 * COST
    led = m.ledger
    assert led.get("shantytown_central_subsidy") == pytest.approx(FUNDING.central * total)
    assert led.get("shantytown_provincial_subsidy") == pytest.approx(FUNDING.province * total)
    paid = led.get("shantytown_household_contributions")
    assert paid == pytest.approx(FUNDING.households * total if savings > 0 else 0.0)
    loans = FUNDING.bank_loans * total + (
        FUNDING.households * total - paid
    )  # loans cover what households cannot pay
    assert gov.debt - debt0 == pytest.approx(loans)
    assert gov.programme_debt - pdebt0 == pytest.approx(loans)
    # the city now holds everything but its own share, which it pays when the works are bought
    assert gov.cash - cash0 == pytest.approx(total - FUNDING.city * total)
    assert m.programmes.city_construction == pytest.approx(total)
    assert m.month_flows["shantytown_rehoused_households"] == 12 * m.scale
    err, msg = check_stock_flow(before, net_worth(m), led, 1e-9)
    assert msg is None, msg


def test_rehousing_stops_when_no_shantytown_households_are_left(tiny_model) -> None:
    m = tiny_model
    hh = m.households
    left = int((hh.view("housing") == SHANTYTOWN).sum())
    _plan(m, left + 50.0)
    housing.step(m)
    assert not (hh.view("housing") == SHANTYTOWN).any()
    assert m.month_flows["shantytown_rehoused_households"] == left * m.scale
    assert m.programmes.city_construction == pytest.approx(left * m.scale * COST)
    m.ledger.clear()
    housing.step(m)
    assert m.ledger.gross() == 0.0
