"""Production: demand split among firms, imports beyond capacity, mines' depletion, tax splits."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import production
from simulator.model.accounts import CENTRAL, CITY, FIRMS, ROW
from simulator.model.production import mine_output, mine_technology
from simulator.model.sectors import N_SECTORS, PUBLIC

LOCAL = ("purchases_local_households", "purchases_local_city", "purchases_local_firms", "purchases_local_outside")
IMPORTED = ("purchases_imported_households", "purchases_imported_city", "purchases_imported_firms", "purchases_imported_outside")


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch):
    """Record the firms' state and the ledger right after each month's production step."""
    seen: list[dict] = []
    original = production.step

    def step(model) -> None:
        original(model)
        f = model.firms
        seen.append(
            {
                "sales": f.sales[: f.n].copy(),
                "ordinary": f.alive[: f.n] & ~f.is_mine[: f.n] & (f.ownership[: f.n] != PUBLIC),
                "mine": f.is_mine[: f.n] & f.alive[: f.n],
                "public": f.ownership[: f.n] == PUBLIC,
                "sector": f.sector[: f.n].copy(),
                "demand": model.sector_demand.copy(),
                "capacity": model.sector_capacity.copy(),
                "ledger": dict(model.ledger.amounts),
                "export_base": model.export_base.copy(),
            }
        )

    monkeypatch.setattr(production, "step", step)
    return seen


def test_firms_sell_the_served_demand_and_the_ledger_agrees(tiny_model, spy) -> None:
    m = tiny_model
    for _ in range(3):
        m.step()
    for month in spy:
        ordinary, sector = month["ordinary"], month["sector"]
        sales_s = np.bincount(
            sector[ordinary], weights=month["sales"][ordinary], minlength=N_SECTORS
        )
        served = np.minimum(month["demand"], month["capacity"])
        np.testing.assert_allclose(sales_s, served, rtol=1e-9, atol=1e-6)
        led = month["ledger"]
        paid = sum(led.get(k, 0.0) for k in LOCAL) + led.get("exports", 0.0)
        assert paid == pytest.approx(float(month["sales"][ordinary].sum()), rel=1e-9)
        mine_sales = float(month["sales"][month["mine"]].sum())
        assert led.get("coal_sales", 0.0) == pytest.approx(mine_sales, rel=1e-9)
        public_sales = float(month["sales"][month["public"]].sum())
        assert (
            led.get("public_payroll", 0.0) == pytest.approx(public_sales, rel=1e-9)
            and public_sales > 0
        )
    # some sector meets more demand than it can supply (new industry in the tiny city)
    assert any((mo["demand"] > mo["capacity"]).any() for mo in spy)


def test_demand_beyond_capacity_is_imported(tiny_model, spy) -> None:
    m = tiny_model
    m.step()
    # no outside demand from now on, so every unserved yuan is local demand bought outside
    m.export_base[:] = 0.0
    m.step()
    month = spy[-1]
    excess = np.maximum(month["demand"] - month["capacity"], 0.0)
    assert excess.sum() > 0
    imported = sum(month["ledger"].get(k, 0.0) for k in IMPORTED)
    # besides, the outside-financed works built by outside firms are bought outside whatever the capacity
    built = m.scenario.world.outside_built_share_of_outside_investment
    assert 0 < built < 1
    built_outside = built / (1.0 - built) * float(m.outside_demand.sum())
    assert imported == pytest.approx(float(excess.sum()) + built_outside, rel=1e-9)
    assert month["ledger"].get("exports", 0.0) == 0.0


def test_start_year_exports_fill_the_initial_capacity(tiny_model, spy) -> None:
    m = tiny_model
    m.step()
    base = spy[0]["export_base"]
    assert np.all(base >= 0)
    assert base.sum() > 0


def test_mine_output_falls_as_reserves_deplete(tiny_model) -> None:
    m = tiny_model
    f = m.firms
    nf = f.n
    mines = np.flatnonzero(f.is_mine[:nf])
    assert len(mines) > 0
    e = m.scenario.coal.depletion_cost_elasticity
    assert e > 0
    tpw1, cost1 = mine_technology(m)
    workers = np.ones(nf)  # one worker per mine: output limited by labour, not capacity
    q1 = mine_output(m, workers, mine_technology(m)[0])
    for r in (0.5, 0.25):
        f.reserves[mines] = r * f.reserves0[mines]
        tpw, cost = mine_technology(m)
        np.testing.assert_allclose(tpw[mines] / tpw1[mines], r**e)
        np.testing.assert_allclose(cost[mines] / cost1[mines], r ** (-e))
        q = mine_output(m, workers, mine_technology(m)[0])
        np.testing.assert_allclose(q[mines] / q1[mines], r**e)
    # never more than the reserves left; nothing from non-mines
    f.reserves[mines] = 10.0
    q = mine_output(m, np.full(nf, 1000.0), mine_technology(m)[0])
    assert np.all(q[mines] <= 10.0) and np.all(q[mines] > 0)
    assert np.all(q[~f.is_mine[:nf]] == 0.0)


def test_mine_output_is_capped_by_capacity(tiny_model) -> None:
    m = tiny_model
    f = m.firms
    mines = f.is_mine[: f.n]
    q = mine_output(m, np.full(f.n, 1e6), mine_technology(m)[0])
    np.testing.assert_allclose(q[mines], f.capacity_t[: f.n][mines] / 12.0)


@pytest.mark.parametrize(
    ("year", "overrides", "vat_local", "income_local"),
    [
        (
            2000,
            (),
            0.25,
            1.0,
        ),  # the baseline's series: VAT 25% local; income taxes all local before 2002
        (2003, (), 0.25, 0.4),  # income-tax sharing reform: 40% local from 2003
        (2001, ("public_finance.vat_local_share={2000: 0.6}",), 0.6, 1.0),
    ],
)
def test_tax_splits_follow_the_series(
    load_tiny, build_model, spy, year, overrides, vat_local, income_local
) -> None:
    sc = load_tiny(f"run.start_year={year}", f"run.end_year={year}", *overrides)
    m = build_model(sc)
    m.step()
    led = spy[0]["ledger"]
    parties = m.ledger.parties
    for local, central, share in (
        ("vat_local", "vat_central", vat_local),
        ("eit_local", "eit_central", income_local),
        ("pit_local", "pit_central", income_local),
    ):
        total = led.get(local, 0.0) + led.get(central, 0.0)
        assert total > 0, local
        assert led.get(local, 0.0) / total == pytest.approx(share, rel=1e-12)
        if share < 1:
            assert parties[local] == (FIRMS, CITY) and parties[central] == (FIRMS, CENTRAL)
    assert parties["exports"] == (ROW, FIRMS)


# ------------------------------------------------------------------ Engel shares


def test_engel_shares_by_hand(load_tiny, build_model) -> None:
    from simulator.model.sectors import AGRI, SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    MANU = SECTOR_NAMES.index("manufacturing")
    m = build_model(load_tiny())
    base = m.sector_par["local_consumption_share"].copy()
    eta = m.sector_par["consumption_income_elasticity"]
    pop = m.population
    first = production.engel_shares(m, 1000.0 * pop)  # the first month sets the reference
    np.testing.assert_allclose(first, base)
    richer = production.engel_shares(m, 2000.0 * pop)  # consumption per resident doubles
    w = base * 2.0 ** (eta - 1.0)
    np.testing.assert_allclose(richer, w * base.sum() / w.sum())
    assert richer.sum() == pytest.approx(base.sum())
    assert richer[SERV] > base[SERV] and richer[AGRI] < base[AGRI]  # Engel: services gain, food loses
    # with elasticities 1.104 (services), 1.0 (goods), 0.75 (food): shares 0.6, 0.15, 0.25 become
    assert eta[[SERV, MANU, AGRI]] == pytest.approx([1.104, 1.0, 0.75])
    raw = np.array([0.6 * 2**0.104, 0.15, 0.25 * 2**-0.25])
    np.testing.assert_allclose(richer[[SERV, MANU, AGRI]], raw / raw.sum(), rtol=1e-12)
    # adding-up: the share-weighted elasticities sum to 1, so the rescaling keeps them (to first order)
    assert float(base @ eta) / float(base.sum()) == pytest.approx(1.0, abs=1e-3)


def test_homothetic_shares_do_not_move(load_tiny, build_model) -> None:
    m = build_model(load_tiny(*[f"sectors.{s}.consumption_income_elasticity=1.0" for s in ("services", "agriculture", "manufacturing")]))
    base = m.sector_par["local_consumption_share"]
    production.engel_shares(m, 1000.0 * m.population)
    np.testing.assert_allclose(production.engel_shares(m, 5000.0 * m.population), base)


@pytest.mark.parametrize("sigma", [0.0, 0.5, 1.0, 2.0])
def test_consumption_shares_move_with_the_services_price(load_tiny, build_model, sigma) -> None:
    """CES across sectors: a sector's share moves with its price as price^(1 - sigma), and
    consumption per resident is deflated by the local prices at the base shares before the Engel
    term, all rescaled to the base sum. Below sigma = 1 a dearer sector takes more of the yuan
    spent than at sigma = 1 (Baumol), above it less."""
    from simulator.model.sectors import SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    m = build_model(load_tiny(f"households.consumption_substitution_elasticity={sigma}"))
    base = m.sector_par["local_consumption_share"].copy()
    eta = m.sector_par["consumption_income_elasticity"]
    pop = m.population
    np.testing.assert_allclose(production.engel_shares(m, 1000.0 * pop), base)  # prices at 1
    m.sector_price[SERV] = 1.21
    moved = production.engel_shares(m, 1000.0 * pop)  # the same nominal consumption per resident
    x = 1.0 / (float(base @ m.sector_price) / float(base.sum()))  # real consumption fell
    price_term = m.sector_price ** (1.0 - sigma)

    def rescaled(w):
        return w * base.sum() / w.sum()

    np.testing.assert_allclose(moved, rescaled(base * x ** (eta - 1.0) * price_term), rtol=1e-12)
    assert moved.sum() == pytest.approx(base.sum())
    unit = rescaled(base * x ** (eta - 1.0))  # sigma = 1: the price itself does not move the shares
    if sigma < 1.0:
        assert moved[SERV] > unit[SERV]
    elif sigma > 1.0:
        assert moved[SERV] < unit[SERV]
    else:
        np.testing.assert_allclose(moved, unit)


def test_services_sold_outside_follow_their_index(load_tiny, build_model) -> None:
    """Outside demand for a sector is its start-year export base (the part of the first month's
    capacity the city does not buy itself) times its external demand index: in the first month,
    the same in both runs up to the index, an index of 2 adds exactly the base to services demand."""
    from simulator.model.sectors import SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    VA_SURPLUS = "sectors.services.value_added_per_worker_yuan_per_month=3000"  # capacity above the city's demand: a base to sell outside
    runs = {}
    for index in (1.0, 2.0):
        m = build_model(load_tiny(f"sectors.services.external_demand_index={{2000: {index}}}", VA_SURPLUS))
        m.step()
        runs[index] = float(m.sector_demand[SERV]), float(m.export_base[SERV])
    (d1, b1), (d2, b2) = runs[1.0], runs[2.0]
    assert b1 > 0 and b2 == pytest.approx(b1, rel=1e-12)
    assert d2 - d1 == pytest.approx(b1, rel=1e-9)


# ------------------------------------------------------------------ farms: the land sets the jobs


def test_farm_targets_follow_the_land_not_demand(load_tiny, build_model) -> None:
    """Farms never want more workers than their land's path, which falls at the release rate; a
    sector without the rule follows demand."""
    from simulator.model.sectors import AGRI

    m = build_model(load_tiny("sectors.agriculture.land_labour_release_rate_per_year={2000: 0.12}",
                              "sectors.agriculture.external_demand_index={2000: 1.0, 2001: 50.0}"))
    f = m.firms
    farms = np.flatnonzero((f.sector[: f.n] == AGRI) & f.alive[: f.n])
    assert m.land_bound_sectors[AGRI] and m.land_bound_sectors.sum() == 1
    path = f.target[farms].copy()
    m.step()  # January 2000: demand as built
    np.testing.assert_array_less(f.target[farms], path * (1.0 - 0.01) + 1e-9)  # at most 1% a month lower path
    m.year, m.month = 2000, 12
    m.step()  # January 2001: outside demand for farm goods x50: farms still do not grow
    after = f.target[farms].copy()
    m.step()
    assert np.all(f.target[farms] <= after * (1.0 - 0.01) + 1e-9)


def test_without_the_rule_farms_follow_demand(load_tiny, build_model) -> None:
    from simulator.model.sectors import AGRI

    m = build_model(load_tiny("sectors.agriculture.land_labour_release_rate_per_year=null",
                              "sectors.agriculture.external_demand_index={2000: 50.0}"))
    f = m.firms
    farms = np.flatnonzero((f.sector[: f.n] == AGRI) & f.alive[: f.n])
    before = f.target[farms].sum()
    m.step()
    assert not m.land_bound_sectors.any()
    assert f.target[farms].sum() > before  # demand far beyond capacity: they want more workers


# ------------------------------------------------------------------ local prices


def test_local_price_moves_by_the_demand_ratio_to_the_power_kappa(load_tiny, build_model) -> None:
    from simulator.model.sectors import SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    m = build_model(load_tiny("sectors.services.price_adjustment_per_month=0.5",
                              "sectors.services.price_cost_pass_through_per_month=0"))
    assert m.sector_par["price_adjustment_per_month"].sum() == 0.5  # only services have a local price
    np.testing.assert_array_equal(m.sector_price, np.ones(N_SECTORS))
    production.update_local_prices(m)  # no demand record yet (first month): no change
    np.testing.assert_array_equal(m.sector_price, np.ones(N_SECTORS))
    phi = m.sector_par["intermediate_import_share"][SERV]
    sigma = m.scenario.firms.producer_services_local_share * m.sector_par["services_input_share"][SERV]

    def price(v: float) -> float:  # the output price at a price of value added v
        return (phi - sigma + (1 - phi) * v) / (1 - sigma)

    m.sector_demand[:] = 64.0
    m.sector_capacity[:] = 100.0
    production.update_local_prices(m)
    # the price of value added moves by 0.64 ** 0.5; the sectors with kappa 0 keep their price
    expected_v = np.ones(N_SECTORS)
    expected_v[SERV] = 0.8
    np.testing.assert_allclose(m.sector_va_price, expected_v, rtol=1e-12)
    expected = np.ones(N_SECTORS)
    expected[SERV] = price(0.8)
    np.testing.assert_allclose(m.sector_price, expected, rtol=1e-12)
    assert 0.8 < m.sector_price[SERV] < 1.0  # the inputs' cost does not fall with demand
    m.sector_demand[SERV] = 1e6  # a jump far above capacity moves the price of value added by at most 2 ** kappa
    production.update_local_prices(m)
    assert m.sector_price[SERV] == pytest.approx(price(0.8 * 2.0**0.5))
    # however long demand stays at the clip's floor, the margin over the inputs stays positive
    m.sector_demand[SERV] = 1.0
    for _ in range(20):
        production.update_local_prices(m)
    assert m.sector_va_price[SERV] < 0.01
    assert m.sector_price[SERV] > (phi - sigma) / (1 - sigma)
    assert (production.value_added_per_worker(m)[m.firms.sector[: m.firms.n] == SERV] > 0).all()
    m.sector_demand[SERV] = 100.0
    m.sector_capacity[SERV] = 0.0  # no capacity: no signal, no move
    before = m.sector_price.copy()
    production.update_local_prices(m)
    np.testing.assert_array_equal(m.sector_price, before)


def test_value_added_per_worker_is_at_the_current_price(load_tiny, build_model) -> None:
    """Gross output per worker moves with the price; the inputs, fixed quantities bought at
    outside prices but for the local producer services (a yuan share of sales), do not: value
    added per worker at price P is gross x (P (1 - sigma) - (phi - sigma)) / P."""
    from simulator.model.sectors import SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    m = build_model(load_tiny("sectors.services.price_adjustment_per_month=0.1"))  # a local price (set by hand below)
    f = m.firms
    serv = (f.sector[: f.n] == SERV) & ~f.is_mine[: f.n]
    phi = m.sector_par["intermediate_import_share"][SERV]
    sigma = m.scenario.firms.producer_services_local_share * m.sector_par["services_input_share"][SERV]
    assert 0 < sigma < phi < 1
    gross = production.gross_output_per_worker(m)
    before = production.value_added_per_worker(m)
    np.testing.assert_allclose(production.input_cost_share(m)[serv], phi, rtol=1e-12)  # at P = 1: the table's share
    np.testing.assert_allclose(before[serv], (1 - phi) * gross[serv], rtol=1e-12)
    m.sector_price[SERV] = 1.25
    np.testing.assert_allclose(production.gross_output_per_worker(m)[serv], 1.25 * gross[serv], rtol=1e-12)
    np.testing.assert_allclose(production.input_cost_share(m)[serv], sigma + (phi - sigma) / 1.25, rtol=1e-12)
    after = production.value_added_per_worker(m)
    np.testing.assert_allclose(after[serv], gross[serv] * (1.25 * (1 - sigma) - (phi - sigma)), rtol=1e-12)
    assert (after[serv] / before[serv] > 1.25).all()  # value added rises more than the price: the inputs do not
    np.testing.assert_array_equal(after[~serv], before[~serv])


def test_gdp_real_deflates_value_added_by_the_local_price(load_tiny, build_model) -> None:
    """gdp_real sums the months' value added at start-year prices: equal to gdp_total while every
    price stays put (no local price, a flat coal price); with a moving services price the two
    differ, and the year's figures are the sums of the months' (strict accounts hold)."""
    from simulator.model.sectors import SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    flat = build_model(load_tiny("run.end_year=2000", "sectors.services.price_adjustment_per_month=0",
                                 "world.coal_price_yuan_per_tonne={2000: 200}"))
    flat.run()
    row = flat.recorder.rows[-1]
    assert row["gdp_real"] == pytest.approx(row["gdp_total"], rel=1e-12)
    assert row["services_price_index"] == 1.0

    m = build_model(load_tiny("run.end_year=2000", "sectors.services.price_adjustment_per_month=0.3"))
    prices, real, va = [], [], []
    original = m.recorder.record_month

    def record(model) -> None:
        prices.append(model.sector_price[SERV])
        real.append(model.month_va_real.copy())
        va.append(model.month_va.sum())
        original(model)

    m.recorder.record_month = record
    m.run()
    row = m.recorder.rows[-1]
    assert not np.allclose(prices, 1.0)  # the services price moved
    by_sector = np.sum(real, axis=0)
    assert row["gdp_real"] == pytest.approx(by_sector.sum(), rel=1e-12)
    assert row["gdp_total"] == pytest.approx(sum(va), rel=1e-9)
    assert row["gdp_real"] != pytest.approx(row["gdp_total"], rel=1e-6)
    assert row["services_price_index"] == pytest.approx(prices[-1])
    # the statistics' three sectors: agriculture, services (with public units and informal
    # work), the rest; they add up to gdp_real, and only the tertiary is deflated by a local price
    AGRI = SECTOR_NAMES.index("agriculture")
    assert row["gdp_real_primary"] == pytest.approx(by_sector[AGRI], rel=1e-12)
    assert row["gdp_real_tertiary"] == pytest.approx(by_sector[SERV], rel=1e-12)
    assert row["gdp_real_primary"] + row["gdp_real_secondary"] + row["gdp_real_tertiary"] == pytest.approx(row["gdp_real"], rel=1e-12)
    assert row["gdp_real_primary"] == pytest.approx(row["gdp_agriculture"], rel=1e-9)  # farm goods at outside prices
    assert row["gdp_real_tertiary"] != pytest.approx(row["gdp_services"], rel=1e-6)
    secondary = sum(row[f"employment_{s}"] for s in ("coal_mining", "coal_dependent_industry", "manufacturing", "construction", "new_industry"))
    assert row["employment_secondary"] == secondary > 0


def test_real_value_added_by_hand(load_tiny, build_model) -> None:
    """Ordinary rows: (1 - phi) x sales over their sector's price (double deflation at fixed
    coefficients); public units: value added over the price of services' value added; mines:
    over the coal price against the first month's."""
    from simulator.model.sectors import SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    m = build_model(load_tiny())
    f = m.firms
    nf = f.n
    va = np.ones(nf)
    sales = np.full(nf, 4.0)
    ordinary = f.alive[:nf] & ~f.is_mine[:nf] & (f.ownership[:nf] != PUBLIC)
    mines = f.is_mine[:nf] & f.alive[:nf]
    public = f.ownership[:nf] == PUBLIC
    assert mines.any() and public.any() and (ordinary & (f.sector[:nf] == SERV)).any()
    phi = m.sector_par["intermediate_import_share"][f.sector[:nf]]
    m.sector_price[SERV] = 2.0
    m.sector_va_price[SERV] = 2.5
    serv_rows = f.sector[:nf] == SERV
    plain = ~mines & ~public
    want_rows = np.where(plain, (1 - phi) * 4.0 / np.where(serv_rows, 2.0, 1.0), 0.0)
    want_rows = np.where(public, 1.0 / 2.5, want_rows)
    got = production.real_value_added(m, va, sales, mines, public, 100.0)
    assert got.sum() == pytest.approx(float(want_rows.sum() + mines.sum()))  # the first call sets the coal price of reference: mines at 1
    assert m.coal_price_start == 100.0
    got = production.real_value_added(m, va, sales, mines, public, 250.0)  # coal 2.5 times dearer
    assert got.sum() == pytest.approx(float(want_rows.sum() + mines.sum() / 2.5))
    assert (public & serv_rows).any()
    assert got[SERV] == pytest.approx(float(want_rows[serv_rows].sum()))


def test_local_price_moves_towards_unit_cost(load_tiny, build_model) -> None:
    """With demand equal to capacity the price closes lambda of the log gap to the unit cost at
    fixed input coefficients each month: the unit labour cost index (wages over productivity
    against the first month's) on the value-added share, outside prices (1) on the inputs, the
    price itself on the local producer services."""
    from simulator.model.sectors import SECTOR_NAMES

    SERV = SECTOR_NAMES.index("services")
    m = build_model(load_tiny("sectors.services.price_adjustment_per_month=0.1",
                              "sectors.services.price_cost_pass_through_per_month=0.25"))
    index = production.unit_labour_cost_index(m)  # the first call sets the reference
    np.testing.assert_allclose(index, 1.0)
    phi = m.sector_par["intermediate_import_share"][SERV]
    sigma = m.scenario.firms.producer_services_local_share * m.sector_par["services_input_share"][SERV]

    def unit_cost(ulc: float) -> float:  # the output price at a price of value added ulc
        return (phi - sigma + (1 - phi) * ulc) / (1 - sigma)

    assert unit_cost(1.0) == pytest.approx(1.0)
    m.sector_demand[:] = 100.0
    m.sector_capacity[:] = 100.0
    # wages double against productivity: the labour cost index doubles, the unit cost less
    m.unit_labour_cost_start = m.unit_labour_cost_start / 2.0
    production.update_local_prices(m)
    assert 1.0 < m.sector_price[SERV] < m.sector_va_price[SERV]  # the inputs' cost does not rise with wages
    assert m.sector_va_price[SERV] == pytest.approx(2.0**0.25)
    assert m.sector_price[SERV] == pytest.approx(unit_cost(2.0**0.25))
    production.update_local_prices(m)
    assert m.sector_price[SERV] == pytest.approx(unit_cost(2.0 ** (0.25 + 0.75 * 0.25)))
    for _ in range(200):
        production.update_local_prices(m)
    assert m.sector_price[SERV] == pytest.approx(unit_cost(2.0))  # at rest: the unit cost
    others = np.arange(N_SECTORS) != SERV
    np.testing.assert_array_equal(m.sector_price[others], 1.0)  # no local price: no cost anchor
    # a faster productivity path lowers the cost index: the price follows it down
    m.sector_va_price[SERV] = 1.0
    m.unit_labour_cost_start = m.unit_labour_cost_start * 4.0  # cost index now 0.5
    production.update_local_prices(m)
    assert m.sector_price[SERV] == pytest.approx(unit_cost(0.5**0.25))
    # with no inputs the unit cost is the unit labour cost
    bare = build_model(load_tiny("sectors.services.price_adjustment_per_month=0.1",
                                 "sectors.services.price_cost_pass_through_per_month=0.5",
                                 "sectors.services.intermediate_import_share=0",
                                 "sectors.services.services_input_share=0"))
    production.unit_labour_cost_index(bare)
    bare.sector_demand[:] = 100.0
    bare.sector_capacity[:] = 100.0
    bare.unit_labour_cost_start = bare.unit_labour_cost_start / 2.0
    production.update_local_prices(bare)
    assert bare.sector_price[SERV] == pytest.approx(2.0**0.5)


def test_an_outside_price_index_prices_the_goods_and_their_inputs(load_tiny, build_model) -> None:
    """A goods sector with ``outside_price_index`` sells at the index over its start value: its
    gross output and value added per worker follow the price (its inputs, the same share of its
    sales, are taken to move with it); its real value added stays (1 - phi) x quantity."""
    from simulator.model.sectors import SECTOR_NAMES

    AGRI = SECTOR_NAMES.index("agriculture")
    m = build_model(load_tiny("sectors.agriculture.outside_price_index={2000: 2.0, 2001: 3.0, 2002: 3.0}"))
    f = m.firms
    farms = (f.sector[: f.n] == AGRI) & ~f.is_mine[: f.n]
    production.update_outside_prices(m)  # the first month: the reference
    assert m.sector_price[AGRI] == 1.0
    gross0 = production.gross_output_per_worker(m)
    va0 = production.value_added_per_worker(m)
    m.outside_price_start = m.outside_price_start / 1.5  # as if the index had risen by half
    production.update_outside_prices(m)
    p = m.sector_price[AGRI]
    assert p == pytest.approx(1.5)
    phi = m.sector_par["intermediate_import_share"][AGRI]
    np.testing.assert_allclose(production.input_cost_share(m)[farms], phi, rtol=1e-12)
    np.testing.assert_allclose(production.gross_output_per_worker(m)[farms], p * gross0[farms], rtol=1e-12)
    va1 = production.value_added_per_worker(m)
    np.testing.assert_allclose(va1[farms], p * va0[farms], rtol=1e-12)
    others = ~farms & ~f.is_mine[: f.n]
    np.testing.assert_array_equal(va1[others], va0[others])
    # real value added of a farm row: its quantity's value added at start-year prices
    sales = np.where(farms, 10.0 * p, 0.0)
    none = np.zeros(f.n, bool)
    got = production.real_value_added(m, np.zeros(f.n), sales, none, none, 100.0)
    assert got[AGRI] == pytest.approx((1 - phi) * 10.0 * farms.sum())


def test_an_outside_price_index_is_rejected_on_a_local_price_sector(load_tiny) -> None:
    from simulator.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match="outside_price_index is for goods sold at outside prices"):
        load_tiny("sectors.services.outside_price_index={2000: 1.0}")
    with pytest.raises(ScenarioError, match="above 0"):
        load_tiny("sectors.agriculture.outside_price_index={2000: 1.0, 2010: 0.0}")

