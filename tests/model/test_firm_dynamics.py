"""Firm dynamics: exit after losses (state firms later), mine closure, liquidation and write-offs."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model.accounts import BANKS, CENTRAL, FIRMS, HH, check_stock_flow, net_worth
from simulator.model.firm_dynamics import exit_and_close, plan
from simulator.model.labour_market import employees
from simulator.model.sectors import EMPLOYED, PRIVATE, PUBLIC, RETIRED, SERV, SOE, UNEMPLOYED


def _start(m):
    """Clear the month's flows; returns the sectors' net worth before the rule under test."""
    m.ledger.clear()
    m.hh_income[:] = 0.0
    return net_worth(m)


def _consistent(m, before) -> None:
    """Every stock changed by its recorded flows (households' income of the month counted)."""
    after = net_worth(m)
    after[HH] += float(m.hh_income.sum()) * m.scale
    err, msg = check_stock_flow(before, after, m.ledger, 1e-9)
    assert msg is None, msg


def _two_service_firms(m) -> tuple[int, int]:
    """Two ordinary service firms with workers, made one private and one state-owned."""
    f = m.firms
    L = employees(m)
    cand = np.flatnonzero(
        (f.sector[: f.n] == SERV)
        & f.alive[: f.n]
        & ~f.is_mine[: f.n]
        & (f.ownership[: f.n] != PUBLIC)
        & (L > 0)
    )
    assert len(cand) >= 2
    priv, soe = int(cand[0]), int(cand[1])
    f.ownership[priv], f.ownership[soe] = PRIVATE, SOE
    return priv, soe


def test_firms_exit_after_sustained_losses_state_firms_later(tiny_model) -> None:
    m = tiny_model
    f, p = m.firms, m.persons
    cfg = m.sector_cfg[SERV]
    assert cfg.exit_after_loss_months_private < cfg.exit_after_loss_months_soe
    priv, soe = _two_service_firms(m)
    workers_priv = np.flatnonzero(p.view("employer") == priv)
    f.loss_months[priv] = f.loss_months[soe] = cfg.exit_after_loss_months_private
    f.loss_months[priv] -= 1
    exit_and_close(m)
    assert f.alive[priv] and f.alive[soe]  # a month short: both stay

    f.loss_months[priv] += 1
    before = _start(m)
    exit_and_close(m)
    assert not f.alive[priv] and f.alive[soe]
    assert np.all(p.status[workers_priv] == UNEMPLOYED) and np.all(p.employer[workers_priv] == -1)
    assert f.capital[priv] == 0.0 and f.target[priv] == 0.0
    assert m.month_flows["laid_off_by_closures"] == len(workers_priv) * m.scale
    _consistent(m, before)

    f.loss_months[soe] = cfg.exit_after_loss_months_soe
    exit_and_close(m)
    assert not f.alive[soe]


def test_exit_repays_debt_from_cash_and_banks_write_off_the_rest(tiny_model) -> None:
    m = tiny_model
    f = m.firms
    priv, soe = _two_service_firms(m)
    f.cash[priv], f.debt[priv] = 100.0, 1000.0  # insolvent private firm
    f.cash[soe], f.debt[soe] = 500.0, 200.0  # state firm with cash left over
    f.loss_months[priv] = m.sector_cfg[SERV].exit_after_loss_months_private
    f.loss_months[soe] = m.sector_cfg[SERV].exit_after_loss_months_soe
    banks0, central0 = m.banks.balance, m.central.balance
    before = _start(m)
    exit_and_close(m)
    led = m.ledger
    assert led.get("debt_writeoff") == pytest.approx(900.0)
    assert led.parties["debt_writeoff"] == (BANKS, FIRMS)
    assert m.banks.balance - banks0 == pytest.approx(100.0 + 200.0)  # repaid from cash
    assert led.get("liquidation_to_state") == pytest.approx(300.0)
    assert led.parties["liquidation_to_state"] == (FIRMS, CENTRAL)
    assert m.central.balance - central0 == pytest.approx(300.0)
    for r in (priv, soe):
        assert f.cash[r] == 0.0 and f.debt[r] == 0.0 and not f.alive[r]
    _consistent(m, before)


def test_private_liquidation_cash_goes_to_owners_in_and_outside_the_city(tiny_model) -> None:
    m = tiny_model
    f = m.firms
    priv, _ = _two_service_firms(m)
    f.cash[priv], f.debt[priv] = 1000.0, 0.0
    f.loss_months[priv] = m.sector_cfg[SERV].exit_after_loss_months_private
    before = _start(m)
    exit_and_close(m)
    local = m.scenario.firms.dividend_local_share * 1000.0
    assert m.ledger.get("liquidation_local") == pytest.approx(local)
    assert m.ledger.get("liquidation_outside") == pytest.approx(1000.0 - local)
    assert float(m.hh_income.sum()) * m.scale == pytest.approx(local)  # income this month
    _consistent(m, before)


def test_mine_closes_below_workable_reserves_and_lays_off_everyone(load_tiny, build_model) -> None:
    m = build_model(load_tiny("labour.early_retirement_take_up_share=1"))
    f, p = m.firms, m.persons
    mines = np.flatnonzero(f.is_mine[: f.n] & f.alive[: f.n])
    L = employees(m)
    mine = int(mines[np.argmax(L[mines])])
    workers = np.flatnonzero(p.view("employer") == mine)
    assert len(workers) > 0
    min_res = m.scenario.coal.min_workable_reserves_tonnes
    f.reserves[mine] = min_res * 1.01
    exit_and_close(m)
    assert f.alive[mine]
    f.reserves[mine] = min_res * 0.99
    exit_and_close(m)
    assert not f.alive[mine]
    # state mines: those within the early-retirement years of their statutory age retire
    years = m.scenario.labour.early_retirement_years_before_statutory
    near = p.age_m[workers] >= m.retirement_age_months(p.female[workers], p.skill[workers]) - round(12 * years)
    assert f.ownership[mine] != PRIVATE and near.any() and not near.all()
    assert np.all(p.status[workers[near]] == RETIRED) and np.all(p.status[workers[~near]] == UNEMPLOYED)
    assert np.all(p.employer[workers] == -1)
    assert m.month_flows["early_retirements"] == near.sum() * m.scale
    assert m.month_flows["mines_closed"] == 1.0
    assert m.month_flows["laid_off_by_closures"] == len(workers) * m.scale
    others = mines[mines != mine]
    assert np.all(f.alive[others])
    assert np.all(p.view("status")[p.view("employer") >= 0] == EMPLOYED)


def test_loss_making_mines_close_state_mines_later(tiny_model) -> None:
    m = tiny_model
    f = m.firms
    coal = m.scenario.coal
    assert coal.close_after_loss_months_private < coal.close_after_loss_months_soe
    mines = np.flatnonzero(f.is_mine[: f.n])
    priv = int(mines[f.ownership[mines] == PRIVATE][0])
    soe = int(mines[f.ownership[mines] == SOE][0])
    f.loss_months[[priv, soe]] = coal.close_after_loss_months_private
    exit_and_close(m)
    assert not f.alive[priv] and f.alive[soe]
    f.loss_months[soe] = coal.close_after_loss_months_soe
    exit_and_close(m)
    assert not f.alive[soe]


def test_entry_adds_private_firms_with_capital_and_records_equity(load_tiny, build_model) -> None:
    # a high entry rate in services so that entrants appear in the first month
    m = build_model(load_tiny("sectors.services.entry_rate_per_firm_per_month=0.5", "firms.entry_delay_months=0"))
    f = m.firms
    n0 = f.n
    m.month, m.year = 1, 2000
    plan(m)
    new = np.arange(n0, f.n)
    assert len(new) > 0
    assert np.all(f.alive[new]) and np.all(f.ownership[new] == PRIVATE) and not f.is_mine[new].any()
    cap = (
        np.array([m.sector_cfg[s].entry_capital_yuan for s in f.sector[new]])
        * m.firm_weight[f.sector[new]]
    )
    np.testing.assert_allclose(f.capital[new], cap)
    assert m.ledger.get("entrant_equity") == pytest.approx(float(cap.sum()))  # no fund: all equity
    assert m.month_flows["entrants"] == pytest.approx(float(m.firm_weight[f.sector[new]].sum()))


def test_yearly_compaction_drops_exited_firms_and_keeps_employers(load_tiny, build_model, monkeypatch) -> None:
    from simulator.model import firm_dynamics
    from simulator.model.labour_market import employees
    from simulator.model.sectors import EMPLOYED

    m = build_model(load_tiny())
    for _ in range(11):
        m.step()
    workers_by_sector = np.bincount(
        m.firms.sector[m.persons.view("employer")[m.persons.view("status") == EMPLOYED]], minlength=7
    )
    # half of the private services firms have lost money for years: they exit this month (their
    # losses set after this month's accounts, which would otherwise reset them for a firm in profit)
    f = m.firms
    rows = np.flatnonzero((f.sector[: f.n] == 5) & (f.ownership[: f.n] == 0) & f.alive[: f.n])[::2]
    exit_and_close = firm_dynamics.exit_and_close

    def losing(model) -> None:
        f.loss_months[rows] = 999
        exit_and_close(model)

    monkeypatch.setattr(firm_dynamics, "exit_and_close", losing)
    m.step()  # December: exits, then compaction after the month
    exited = len(rows)
    p = m.persons
    assert exited > 0 and f.alive[: f.n].all()
    assert m.recorder.rows[-1]["firm_exits"] > 0 and m.recorder.rows[-1]["laid_off_by_closures"] > 0
    emp = p.view("status") == EMPLOYED
    assert (p.view("employer")[emp] >= 0).all() and (p.view("employer")[~emp] == -1).all()
    assert employees(m).sum() == emp.sum()
    # every worker's sector is unchanged by the renumbering (up to this month's job changes)
    after = np.bincount(f.sector[p.view("employer")[emp]], minlength=7)
    assert np.abs(after - workers_by_sector).sum() <= 0.2 * workers_by_sector.sum()
    year = m.recorder.rows[-1]
    assert year["firm_exits"] > 0 and year["laid_off_by_closures"] > 0  # the exited firms' workers were laid off


def test_the_employed_at_the_exits_are_those_the_labour_market_recorded(load_tiny, build_model, monkeypatch) -> None:
    """The exits find the workers of the rows gone among the employed the labour market recorded
    this month: nobody is hired between the two, and those who left since are no longer employed.
    Checked every month of two years, with firms made to exit."""
    from simulator.model import firm_dynamics
    from simulator.model.sectors import EMPLOYED

    m = build_model(load_tiny())
    exit_and_close = firm_dynamics.exit_and_close
    checked = []

    def checking(model) -> None:
        p, f = model.persons, model.firms
        employed = np.flatnonzero(p.view("status") == EMPLOYED)
        recorded = model.employment.rows
        assert np.isin(employed, recorded).all()
        np.testing.assert_array_equal(p.employer[employed], model.employment.employer[np.searchsorted(recorded, employed)])
        losing = np.flatnonzero(f.alive[: f.n] & (f.sector[: f.n] == SERV))[:: 7]
        f.loss_months[losing] = 999
        exit_and_close(model)
        checked.append(len(employed))

    monkeypatch.setattr(firm_dynamics, "exit_and_close", checking)
    for _ in range(24):
        m.step()
    assert len(checked) == 24 and min(checked) > 0
    assert sum(r["laid_off_by_closures"] for r in m.recorder.rows) > 0
