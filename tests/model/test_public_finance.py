"""Public finance: the social security fund's deficit, dibao, and the city's budget rule."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import public_finance
from simulator.model.accounts import CENTRAL, CITY, HH, SSF
from simulator.model.sectors import AGRI, EMPLOYED, INACTIVE, RETIRED, UNEMPLOYED


@pytest.mark.parametrize("central_share", [0.3, 0.85, 1.0])
def test_ssf_deficit_is_split_between_central_and_city(
    load_tiny, build_model, central_share
) -> None:
    m = build_model(load_tiny(f"social_security.central_subsidy_share_of_deficit={central_share}"))
    assert m.ssf.balance == 0.0
    cash0, central0 = m.government.cash, m.central.balance
    public_finance.step(m)
    led = m.ledger
    paid = led.get("pensions") + led.get("unemployment_benefits")
    assert led.get("pensions") > 0
    central, city = led.get("ssf_central_subsidy"), led.get("ssf_city_topup")
    assert central + city == pytest.approx(paid, rel=1e-12)
    assert central == pytest.approx(central_share * paid, rel=1e-12)
    assert m.ssf.balance == 0.0
    assert led.parties["ssf_central_subsidy"] == (CENTRAL, SSF)
    if city > 0:
        assert led.parties["ssf_city_topup"] == (CITY, SSF)
    assert m.month_spending["social_security"] == pytest.approx(city)
    # the city's cash pays its top-up (and the rest of the month's public flows)
    net_city = sum(
        a * (1 if led.parties[k][1] == CITY else -1)
        for k, a in led.amounts.items()
        if CITY in led.parties[k]
    )
    assert m.government.cash - cash0 == pytest.approx(net_city, rel=1e-9)
    assert m.central.balance < central0


def test_ssf_surplus_absorbs_the_payments(tiny_model) -> None:
    m = tiny_model
    m.ssf.balance = 1e12
    public_finance.step(m)
    paid = m.ledger.get("pensions") + m.ledger.get("unemployment_benefits")
    assert m.ssf.balance == pytest.approx(1e12 - paid)
    assert m.ledger.get("ssf_central_subsidy") == 0.0 and m.ledger.get("ssf_city_topup") == 0.0


def test_pensions_and_benefits_reach_households(tiny_model) -> None:
    m = tiny_model
    p = m.persons
    m.month = 2  # not January: no indexation
    rural = m.s(m.scenario.social_security.rural_pension_yuan_per_month)
    lab = m.scenario.labour
    ret = np.flatnonzero(p.view("status") == RETIRED)
    un = np.flatnonzero(p.view("status") == UNEMPLOYED)
    eligible = un[p.unemp_months[un] <= lab.unemployment_benefit_max_months]
    expected = float(np.where(p.pension[ret] > 0, p.pension[ret], rural).sum())
    expected += lab.unemployment_benefit_yuan_per_month * len(eligible)
    public_finance.step(m)
    paid = m.ledger.get("pensions") + m.ledger.get("unemployment_benefits")
    assert paid == pytest.approx(expected * m.scale, rel=1e-6)
    dibao = m.ledger.get("dibao")
    assert float(m.hh_income.sum()) * m.scale == pytest.approx(paid + dibao, rel=1e-9)
    assert m.ledger.parties["pensions"] == (SSF, HH)


def test_dibao_tops_households_up_to_the_urban_or_rural_line(load_tiny, build_model) -> None:
    sc = load_tiny(
        "public_finance.dibao_line_yuan_per_person_month={2000: 300}",
        "public_finance.dibao_rural_line_yuan_per_person_month={2000: 100}",
    )
    m = build_model(sc)
    p, hh = m.persons, m.households
    n = p.n
    # hand-set: no pensions or benefits this month, so the only income is the one set below
    st = p.view("status")
    st[(st == RETIRED) | (st == UNEMPLOYED)] = INACTIVE
    p.view("pension")[:] = 0.0
    rng = np.random.default_rng(0)
    income0 = rng.choice([0.0, 50.0, 250.0, 2000.0], size=hh.n)
    m.hh_income[: hh.n] = income0
    members = np.bincount(p.household[:n][p.present[:n]], minlength=hh.n)
    farm = (
        np.bincount(p.household[:n][(st == EMPLOYED) & (p.exp_sector[:n] == AGRI)], minlength=hh.n)
        > 0
    )
    assert farm.any() and (~farm & (members > 0)).any()

    public_finance.step(m)

    line = np.where(farm, 100.0, 300.0) * members
    expected = np.maximum(income0, line)
    np.testing.assert_allclose(m.hh_income[: hh.n], expected)
    topped = expected > income0
    assert topped[farm].any() and topped[~farm].any()
    # farming households are held to the rural line only
    assert np.all(
        m.hh_income[: hh.n][farm & topped] == pytest.approx(100.0 * members[farm & topped])
    )
    dibao = float((expected - income0).sum()) * m.scale
    assert m.ledger.get("dibao") == pytest.approx(dibao)
    share = m.scenario.public_finance.dibao_central_share
    assert m.ledger.get("dibao_central_reimbursement") == pytest.approx(share * dibao)
    assert m.month_flows["dibao_recipients"] == float(topped.sum()) * m.scale


# ----------------------------------------------------------------- budget rule


@pytest.fixture
def gov(tiny_model):
    """The tiny city's government with a year of revenue 100/month recorded."""
    g = tiny_model.government
    g.cash, g.debt, g.programme_debt = 0.0, 0.0, 0.0
    for _ in range(12):
        g.record_month(100.0, 100.0, 50.0)
    return g


def _net(g) -> tuple[float, float]:
    """City net worth and banks' claims: the budget rule moves money only between the two."""
    return g.cash - g.debt, g.model.banks.balance + g.debt


def test_budget_rule_borrows_when_cash_runs_out(gov) -> None:
    gov.cash = -500.0
    before = _net(gov)
    gov.apply_budget_rule()
    assert gov.cash == 0.0 and gov.debt == 500.0
    assert _net(gov) == pytest.approx(before)


def test_budget_rule_repays_debt_on_schedule_and_spends_free_cash(gov) -> None:
    pf = gov.model.scenario.public_finance
    buffer = pf.cash_buffer_months_of_spending * 100.0
    gov.debt, gov.programme_debt, gov.cash = 1000.0, 400.0, buffer + 10_000.0
    due_p = 400.0 * pf.programme_debt_repayment_share_per_year / 12.0
    due_g = 600.0 * pf.general_debt_repayment_share_per_year / 12.0
    before = _net(gov)
    gov.apply_budget_rule()
    # each kind of debt by its instalment only, never early from free cash (rolled over)
    assert gov.programme_debt == pytest.approx(400.0 - due_p)
    assert gov.debt == pytest.approx(1000.0 - due_p - due_g)
    assert gov.cash == pytest.approx(buffer + 10_000.0 - due_p - due_g)
    assert _net(gov) == pytest.approx(before)
    # the free cash is spent down next month, whatever the debt
    free = gov.cash - gov.fund.balance - buffer
    assert gov.surplus_spending == pytest.approx(pf.surplus_spend_down_share_per_month * free)


def test_budget_rule_cuts_in_order_and_restores_the_last_cut_first(gov) -> None:
    pf = gov.model.scenario.public_finance
    order = list(pf.budget_rule_cut_order)
    assert order[0] == "programmes"
    limit = pf.debt_limit_years_of_revenue * 1200.0
    cut, restore = pf.budget_cut_step_per_month, pf.budget_restore_step_per_month

    gov.debt = limit + 1.0  # over the limit
    months_to_zero = int(np.ceil(1.0 / cut - 1e-9))
    for i in range(months_to_zero):
        gov.apply_budget_rule()
        assert gov.factor[order[0]] == pytest.approx(max(0.0, 1.0 - (i + 1) * cut))
        assert all(gov.factor[c] == 1.0 for c in order[1:])
    assert gov.factor[order[0]] == 0.0
    gov.apply_budget_rule()  # the next category is cut once the first is gone
    assert gov.factor[order[1]] == pytest.approx(1.0 - cut)
    assert gov.over_limit_months == months_to_zero + 1

    gov.debt = 0.0  # back within the limit
    gov.apply_budget_rule()
    assert gov.factor[order[1]] == pytest.approx(1.0 - cut + restore)
    assert gov.factor[order[0]] == 0.0  # the first cut waits until the last is restored
    for _ in range(100):
        if gov.factor[order[1]] == 1.0:
            break
        gov.apply_budget_rule()
        assert gov.factor[order[0]] == 0.0
    assert gov.factor[order[1]] == 1.0
    gov.apply_budget_rule()
    assert gov.factor[order[0]] == pytest.approx(restore)


def test_programme_loans_are_outside_the_borrowing_limit(gov) -> None:
    pf = gov.model.scenario.public_finance
    limit = pf.debt_limit_years_of_revenue * 1200.0
    gov.debt = gov.programme_debt = 10 * limit
    gov.apply_budget_rule()
    assert all(v == 1.0 for v in gov.factor.values())
    gov.debt += 2 * limit  # general debt now over the limit
    gov.apply_budget_rule()
    assert gov.factor["programmes"] < 1.0


# ------------------------------------------------------------ equalisation transfer

EQ = "public_finance.equalisation_transfer"


def _equalised(load_tiny, build_model, *extra: str):
    return build_model(load_tiny(
        "public_finance.general_transfer_yuan_per_resident_per_year={2000: 1200}",
        f"{EQ}.from_year=2001",
        f"{EQ}.standard_expenditure_yuan_per_resident_per_year={{2000: 6000, 2001: 6000, 2002: 6600}}",
        *extra,
    ))


def _set_taxes(m, monthly: float) -> None:
    g = m.government
    for _ in range(12):
        g.record_month(0.0, 0.0, monthly)


def test_before_the_formula_the_transfer_is_per_resident(load_tiny, build_model) -> None:
    m = _equalised(load_tiny, build_model, f"{EQ}.coefficient=anchored")
    assert m.year == 2000
    assert public_finance.general_transfer(m) == pytest.approx(1200 / 12 * m.population)


def test_a_fixed_coefficient_fills_its_share_of_the_gap(load_tiny, build_model) -> None:
    m = _equalised(load_tiny, build_model, f"{EQ}.coefficient=0.4")
    m.year = 2001
    _set_taxes(m, 1000.0 * m.population / 12 / 10)  # 100 yuan per resident a year in taxes
    gap = (6000 - 100) / 12 * m.population
    assert public_finance.fiscal_gap(m) == pytest.approx(gap)
    assert public_finance.general_transfer(m) == pytest.approx(0.4 * gap)
    # a richer city gets less: each yuan of extra own tax revenue costs 0.4 yuan of transfer
    _set_taxes(m, 2000.0 * m.population / 12 / 10)
    assert public_finance.general_transfer(m) == pytest.approx(0.4 * (6000 - 200) / 12 * m.population)
    # no gap, no transfer
    _set_taxes(m, 7000.0 * m.population / 12)
    assert public_finance.general_transfer(m) == 0.0


def test_an_anchored_coefficient_continues_the_transfer_then_follows_the_gap(load_tiny, build_model) -> None:
    m = _equalised(load_tiny, build_model, f"{EQ}.coefficient=anchored")
    m.year = 2001
    _set_taxes(m, 600.0 * m.population / 12)
    first = public_finance.general_transfer(m)
    assert first == pytest.approx(1200 / 12 * m.population)  # continuity at the switch
    assert m.government.equalisation_coefficient == pytest.approx(1200 / (6000 - 600))
    # the standard rises 10% in 2002: the transfer rises by the coefficient x the rise
    m.year = 2002
    c = m.government.equalisation_coefficient
    assert public_finance.general_transfer(m) == pytest.approx(first + c * 600 / 12 * m.population)


def test_the_equalisation_transfer_runs_and_books_as_a_transfer(load_tiny, build_model) -> None:
    m = _equalised(load_tiny, build_model)
    m.run()
    assert m.government.equalisation_coefficient is not None
    assert 0.0 < m.government.equalisation_coefficient < 1.0
    assert m.ledger.parties["general_transfer"] == (CENTRAL, CITY)


def test_from_the_budget_law_other_spending_follows_resources(load_tiny, build_model) -> None:
    """Before ``balanced_budget.from_year`` the schedule; from it, the last 12 months' resources x (1 +
    the bond allowance) less the rest of the spending; never below 0."""
    m = build_model(load_tiny("public_finance.balanced_budget.from_year=2001",
                              "public_finance.balanced_budget.bond_allowance_share_of_revenue=0.1"))
    g = m.government
    for _ in range(12):
        g.record_month(1000.0, 900.0, 300.0, other=200.0)  # revenue 1000, of spending 900 other 200
    assert m.year == 2000 and g.planned_other_spending(123.0) == 123.0  # the schedule
    m.year = 2001
    assert g.planned_other_spending(123.0) == pytest.approx(1000.0 * 1.1 - 700.0)
    for _ in range(12):
        g.record_month(100.0, 900.0, 30.0, other=200.0)  # resources fall below the committed spending
    assert g.planned_other_spending(123.0) == 0.0


def test_more_transfers_are_spent_under_the_budget_law(load_tiny, build_model) -> None:
    """With spending following resources, a higher transfer raises city spending (paired seeds)."""
    spent = {}
    for label, transfer in (("base", 1200), ("more", 2400)):
        m = build_model(load_tiny(f"public_finance.general_transfer_yuan_per_resident_per_year={{2000: {transfer}}}",
                                  "public_finance.balanced_budget.from_year=2001", seed=4))
        m.run()
        spent[label] = sum(r["city_spending"] for r in m.recorder.rows if r["year"] == 2002)
    assert spent["more"] > spent["base"]
