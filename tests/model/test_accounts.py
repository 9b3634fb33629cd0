"""The accounting checks catch unrecorded payments and population errors, in strict and record mode."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import housing, migration
from simulator.model.accounts import (
    ACCOUNT_NAMES,
    CENTRAL,
    CITY,
    FIRMS,
    HH,
    ROW,
    AccountingError,
    Earmark,
    Ledger,
    NonFiniteError,
    check_earmark,
    check_population,
    check_stock_flow,
    net_worth,
)

TOL = 1e-9


def test_a_recorded_payment_passes(tiny_model) -> None:
    m = tiny_model
    before = net_worth(m)
    m.households.savings[0] += 100.0 / m.scale
    m.row.balance -= 100.0
    m.ledger.pay("migrants_savings_in", ROW, HH, 100.0)
    err, msg = check_stock_flow(before, net_worth(m), m.ledger, TOL)
    assert msg is None and err < TOL


def test_an_unrecorded_payment_is_detected(tiny_model) -> None:
    m = tiny_model
    before = net_worth(m)
    m.households.savings[0] += 100.0 / m.scale  # money from nowhere
    err, msg = check_stock_flow(before, net_worth(m), m.ledger, TOL)
    assert msg is not None and "households" in msg and err > TOL


def test_a_payment_moved_between_sectors_without_a_record_is_detected(tiny_model) -> None:
    m = tiny_model
    before = net_worth(m)
    m.government.cash -= 250.0
    m.households.savings[3] += 250.0 / m.scale  # total wealth unchanged, but no record
    err, msg = check_stock_flow(before, net_worth(m), m.ledger, TOL)
    assert msg is not None and err > TOL
    assert any(name in msg for name in ("households", "city_government"))


def test_a_recorded_payment_that_was_not_made_is_detected(tiny_model) -> None:
    m = tiny_model
    before = net_worth(m)
    m.ledger.pay("dibao", CITY, HH, 1000.0)
    err, msg = check_stock_flow(before, net_worth(m), m.ledger, TOL)
    assert msg is not None


def test_a_flow_kind_keeps_its_parties() -> None:
    led = Ledger()
    led.pay("x", HH, ROW, 1.0)
    led.pay("x", HH, ROW, 2.0)
    assert led.get("x") == 3.0
    with pytest.raises(AccountingError, match="two different parties"):
        led.pay("x", ROW, HH, 1.0)
    net = led.net_lending()
    assert net.sum() == 0.0 and net[HH] == -3.0 and net[ROW] == 3.0
    assert len(net) == len(ACCOUNT_NAMES)


@pytest.mark.parametrize(
    ("before", "after", "births", "deaths", "inflow", "outflow", "ok"),
    [
        (100, 100, 0, 0, 0, 0, True),
        (100, 103, 5, 1, 2, 3, True),
        (100, 101, 0, 0, 0, 0, False),
        (100, 99, 0, 0, 0, 0, False),
        (100, 104, 5, 1, 2, 3, False),  # off by one
        (100, 102, 5, 1, 2, 3, False),
    ],
)
def test_population_identity(before, after, births, deaths, inflow, outflow, ok) -> None:
    msg = check_population(before, after, births, deaths, inflow, outflow)
    assert (msg is None) == ok
    if not ok:
        assert "population identity" in msg


# ------------------------------------------------------- whole model, strict mode


def _leak(model) -> None:
    model.government.cash += 1000.0  # unrecorded


def _lose_a_person(model) -> None:
    p = model.persons
    p.present[np.flatnonzero(p.view("present"))[0]] = False  # uncounted


def test_strict_model_raises_on_an_unrecorded_payment(tiny_model, monkeypatch) -> None:
    monkeypatch.setattr(housing, "step", _leak)
    with pytest.raises(AccountingError, match="stock-flow"):
        tiny_model.step()


def test_strict_model_raises_on_a_population_error(tiny_model, monkeypatch) -> None:
    monkeypatch.setattr(migration, "step", _lose_a_person)
    with pytest.raises(AccountingError, match="population identity"):
        tiny_model.step()


def test_recording_model_logs_violations_and_reports_them(
    tiny_scenario, build_model, monkeypatch
) -> None:
    monkeypatch.setattr(housing, "step", _leak)
    m = build_model(tiny_scenario, strict=False)
    m.step()
    m.step()
    summary = m.accounting_summary()
    assert summary["stock_flow_ok"] is False
    assert summary["population_identity_ok"] is True
    assert summary["n_violations"] == 2
    assert summary["violations"][0].startswith("2000-01: stock-flow")
    assert summary["stock_flow_max_relative_error"] > TOL


def test_a_clean_month_keeps_every_account_consistent(tiny_model) -> None:
    m = tiny_model
    m.step()
    summary = m.accounting_summary()
    assert summary["stock_flow_ok"] and summary["population_identity_ok"]
    assert summary["n_violations"] == 0
    assert m.ledger.gross() > 0


# ------------------------------------------------------------------ earmarks


def _fund(opening: float) -> Earmark:
    fund = Earmark("successor-industry fund", ("fund_pays",))
    fund.balance = opening
    fund.begin_month()
    return fund


def test_an_earmark_that_pays_within_its_balance_holds() -> None:
    fund, ledger = _fund(100.0), Ledger()
    fund.credit(50.0)
    ledger.pay("fund_pays", CITY, FIRMS, 150.0)
    fund.balance -= 150.0
    assert check_earmark(fund, ledger, 1e-9) is None


def test_an_earmark_whose_balance_is_not_lowered_as_it_pays_trips() -> None:
    fund, ledger = _fund(100.0), Ledger()
    ledger.pay("fund_pays", CITY, FIRMS, 40.0)
    msg = check_earmark(fund, ledger, 1e-9)
    assert msg is not None and "earmark broken" in msg and "should be 60" in msg


def test_an_earmark_credited_without_a_credit_trips() -> None:
    fund, ledger = _fund(100.0), Ledger()
    fund.balance += 30.0  # set aside without being recorded as a credit
    assert "earmark broken" in check_earmark(fund, ledger, 1e-9)


def test_spending_beyond_the_earmarked_balance_trips() -> None:
    fund, ledger = _fund(100.0), Ledger()
    fund.credit(20.0)
    ledger.pay("fund_pays", CITY, FIRMS, 180.0)
    fund.balance -= 180.0
    msg = check_earmark(fund, ledger, 1e-9)
    assert msg is not None and "earmark overspent" in msg and "60 yuan more than its balance of 120" in msg


def test_a_non_finite_payment_is_refused_by_the_ledger() -> None:
    with pytest.raises(NonFiniteError, match="flow 'x'"):
        Ledger().pay("x", CITY, FIRMS, float("nan"))


def test_an_undeclared_flow_or_other_parties_stop_the_run(tiny_model) -> None:
    with pytest.raises(AccountingError, match="undeclared flow 'dibao_paymnets'"):
        tiny_model.ledger.pay("dibao_paymnets", CITY, HH, 10.0)
    with pytest.raises(AccountingError, match="flow 'dibao' paid by central_government to households, but it is declared from city_government"):
        tiny_model.ledger.pay("dibao", CENTRAL, HH, 10.0)


def test_every_flow_a_run_books_is_declared_and_every_declared_flow_is_booked_by_some_code() -> None:
    """The declarations match the code: each declared name appears in the source (literally or as
    a works prefix's flow), so the list holds no stale entries."""
    from pathlib import Path

    from simulator.experiment.run import LEVERS  # noqa: F401  (the levers declare their flows)
    from simulator.model.flows import FLOWS

    root = Path(__file__).resolve().parents[2] / "simulator"
    text = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py") if p.name != "flows.py")
    works = ("_central_subsidy", "_provincial_subsidy", "_mining_firms", "_household_contributions")
    generated = ("purchases_local_", "purchases_imported_", "fund_co_finance_")
    stale = [
        name for name in FLOWS
        if f'"{name}"' not in text and not name.endswith(works) and not name.startswith(generated)
        and not (name.endswith("_central") and f'"{name[: -len("_central")]}"' in text)
    ]
    assert not stale, f"declared flows no code books: {stale}"


def test_rounding_residue_of_a_spent_earmark_is_not_a_violation() -> None:
    """A fund paid down to zero may keep a residue of -1e-8 yuan from rounding; in a month whose
    flows are in the billions that is no overspending (a real run tripped on it)."""
    fund, ledger = _fund(-7.45e-9), Ledger()
    ledger.pay("taxes", FIRMS, CITY, 2.0e9)
    assert check_earmark(fund, ledger, 1e-9) is None
    ledger.pay("fund_pays", CITY, FIRMS, 5.0)  # five yuan paid from an empty fund: overspent
    fund.balance -= 5.0
    assert "earmark overspent" in check_earmark(fund, ledger, 1e-9)
