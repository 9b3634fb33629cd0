"""Fixed investment financed from outside the city: placement of productive capital where demand
exceeds what a sector's capital supplies, its land part paid to the city, its demand for investment
goods split between the city's firms and outside suppliers, and the indicators that add it up."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import production
from simulator.model.firm_dynamics import _ordinary, outside_investment_offered, place_outside_capital
from simulator.model.sectors import CONSTR, N_SECTORS, SECTOR_NAMES


def _sector_capital(m, rows):
    f = m.firms
    return np.bincount(f.sector[: f.n], weights=np.where(rows, f.capital[: f.n], 0.0), minlength=N_SECTORS)


def _takes(m) -> np.ndarray:
    return np.array([cfg.takes_outside_capital for cfg in m.sector_cfg])


@pytest.fixture
def invested(load_tiny, build_model):
    """The tiny city with half of its reported investment financed from outside, half of that
    productive, after one month (so that firms have their first month's records)."""
    sc = load_tiny(
        "world.outside_financed_share_of_fixed_investment=0.5", "world.productive_share_of_outside_investment=0.5"
    )
    m = build_model(sc)
    m.step()
    return m


def test_the_offer_is_the_series_per_resident_times_the_outside_share(invested) -> None:
    m = invested
    w = m.scenario.world
    expected = m.s(w.fixed_investment_yuan_per_resident_per_year) * 0.5 / 12.0 * m.population
    assert expected > 0
    assert outside_investment_offered(m) == pytest.approx(expected, rel=1e-12)


def test_a_short_offer_is_shared_by_need_and_within_a_sector_by_capital(invested) -> None:
    m = invested
    f = m.firms
    takes = _takes(m)
    assert takes[SECTOR_NAMES.index("manufacturing")] and not takes[CONSTR]
    rows = _ordinary(m) & takes[f.sector[: f.n]]
    k_before = f.capital[: f.n].copy()
    cap_s = _sector_capital(m, rows)
    # demand far above capital in manufacturing and new industries, and in construction (which takes
    # no outside capital); services exactly at capacity
    pressure = np.ones(N_SECTORS)
    man, new = SECTOR_NAMES.index("manufacturing"), SECTOR_NAMES.index("new_industry")
    pressure[man], pressure[new], pressure[CONSTR] = 60.0, 30.0, 60.0
    need = np.zeros(N_SECTORS)
    need[man], need[new] = 59.0 * cap_s[man], 29.0 * cap_s[new]
    offered = outside_investment_offered(m)
    productive = 0.5 * offered
    assert productive < need.sum()  # the offer is short
    spent = place_outside_capital(m, pressure)
    added = f.capital[: f.n] - k_before
    added_s = np.bincount(f.sector[: f.n], weights=added, minlength=N_SECTORS)
    np.testing.assert_allclose(added_s, need * productive / need.sum(), rtol=1e-9, atol=1e-6)
    assert spent == pytest.approx(offered, rel=1e-9)  # all of it invested: buildings plus placed capital
    # within manufacturing, in proportion to the rows' capital; no other row gains
    mr = np.flatnonzero(rows & (f.sector[: f.n] == man))
    np.testing.assert_allclose(added[mr] / k_before[mr], added_s[man] / cap_s[man], rtol=1e-9)
    others = ~(rows & np.isin(f.sector[: f.n], [man, new]))
    assert not added[others].any()
    assert m.month_flows["outside_capital_placed"] == pytest.approx(productive, rel=1e-9)


def test_capital_goes_only_where_it_is_needed_and_the_rest_is_not_invested(invested) -> None:
    m = invested
    f = m.firms
    rows = _ordinary(m) & _takes(m)[f.sector[: f.n]]
    cap_s = _sector_capital(m, rows)
    man = SECTOR_NAMES.index("manufacturing")
    pressure = np.ones(N_SECTORS)
    pressure[man] = 1.001  # a small gap: its capital need is below the offer
    need = 0.001 * cap_s[man]
    offered = outside_investment_offered(m)
    assert need < 0.5 * offered
    k_before = f.capital[: f.n].copy()
    spent = place_outside_capital(m, pressure)
    assert float((f.capital[: f.n] - k_before).sum()) == pytest.approx(need, rel=1e-6)
    assert spent == pytest.approx(offered - 0.5 * offered + need, rel=1e-9)
    # no gap anywhere: only the buildings part is spent
    k_before = f.capital[: f.n].copy()
    assert place_outside_capital(m, np.ones(N_SECTORS)) == pytest.approx(0.5 * offered, rel=1e-9)
    assert np.array_equal(f.capital[: f.n], k_before)


def test_land_is_paid_to_the_city_and_the_rest_buys_investment_goods(invested, monkeypatch) -> None:
    m = invested
    seen = []
    original = production.step

    def spy(model) -> None:
        original(model)
        seen.append((model.outside_investment, dict(model.ledger.amounts)))

    monkeypatch.setattr(production, "step", spy)
    for _ in range(2):
        m.step()
    land_share = m.scenario.public_finance.land_revenue_share_of_construction
    for outside, led in seen:
        assert outside > 0
        assert led["outside_investment_land"] == pytest.approx(land_share * outside, rel=1e-9)
        goods = led.get("purchases_local_outside", 0.0) + led.get("purchases_imported_outside", 0.0)
        assert goods == pytest.approx((1.0 - land_share) * outside, rel=1e-9)
        assert led.get("purchases_imported_outside", 0.0) > 0  # construction capacity is short


def test_fixed_investment_adds_up_every_payer_and_nothing_flows_without_the_input(load_tiny, build_model) -> None:
    m = build_model(load_tiny("run.end_year=2000", "world.outside_financed_share_of_fixed_investment=0.6"))
    m.run()
    row = m.recorder.rows[-1]
    assert row["outside_investment"] > 0
    assert 0 < row["outside_capital_placed"] < row["outside_investment"]
    assert row["fixed_investment"] == pytest.approx(
        row["firm_investment"] + row["city_investment"] + row["outside_investment"], rel=1e-12
    )
    # the share at 0: no outside investment, no placed capital
    m0 = build_model(load_tiny("run.end_year=2000", "world.outside_financed_share_of_fixed_investment=0"))
    m0.run()
    row0 = m0.recorder.rows[-1]
    assert row0["outside_investment"] == 0 and row0["outside_capital_placed"] == 0
    assert row0["fixed_investment"] == pytest.approx(row0["firm_investment"] + row0["city_investment"], rel=1e-12)
