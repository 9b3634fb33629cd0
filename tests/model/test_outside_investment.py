"""Fixed investment financed from outside the city: the offer from the world input, its net land
revenue paid to the city, its demand for investment goods split by sector and served by the
city's firms up to their capacity (the rest bought outside), the indicators that add it up, and
the direction of its effects."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import production

SHARE = "world.outside_financed_share_of_fixed_investment"
# construction at half value added per yuan of works (the input-output table's is 0.23): its
# capacity stays short of the city's demand at the start, so a part of the works is bought outside
# (with a surplus, the start-year external demand, the capacity the city does not buy, would take
# up the works)
CONSTRUCTION_SHORT = "sectors.construction.intermediate_import_share=0.5"


@pytest.fixture
def spied(load_tiny, build_model, monkeypatch):
    """The tiny city with half of its reported investment financed from outside, net land
    revenue 5% of it, every work offered to the city's firms (unless overridden), and a spy on production that keeps each month's outside investment, its
    demand by sector, the sectors' demand and capacity and the month's ledger."""

    def make(*overrides: str):
        m = build_model(load_tiny(
            f"{SHARE}=0.5", "public_finance.land_revenue_share_of_outside_investment=0.05",
            "world.outside_built_share_of_outside_investment=0", *overrides,
        ))
        seen: list[dict] = []
        original = production.step

        def spy(model) -> None:
            original(model)
            seen.append(
                {
                    "outside": model.outside_investment,
                    "residents": model.population,  # as when firm dynamics ran (demography before, migration after)
                    "demand_out": model.outside_demand.copy(),
                    "demand": model.sector_demand.copy(),
                    "capacity": model.sector_capacity.copy(),
                    "ledger": dict(model.ledger.amounts),
                }
            )

        monkeypatch.setattr(production, "step", spy)
        return m, seen

    return make


def test_the_offer_is_the_series_per_resident_in_constant_yuan(spied) -> None:
    # the series is in yuan of the money base year: a price index other than 1 must not enter
    for cpi in ("1.0", "2.0"):
        m, seen = spied(f"world.cpi_index.2000={cpi}")
        m.step()
        w = m.scenario.world
        expected = m.s(w.fixed_investment_yuan_per_resident_per_year) * 0.5 / 12.0 * seen[0]["residents"]
        assert expected > 0
        assert seen[0]["outside"] == pytest.approx(expected, rel=1e-12)


def test_land_is_paid_to_the_city_and_the_rest_buys_investment_goods_here_or_outside(spied) -> None:
    m, seen = spied(CONSTRUCTION_SHORT)
    for _ in range(3):
        m.step()
    inv_share = m.sector_par["investment_goods_share"]
    assert inv_share.sum() == pytest.approx(1.0)
    for month in seen:
        spent, led = month["outside"], month["ledger"]
        assert spent > 0
        assert led["outside_investment_land"] == pytest.approx(0.05 * spent, rel=1e-9)
        # by sector: the investment-goods shares of what is left after land
        np.testing.assert_allclose(month["demand_out"], 0.95 * spent * inv_share, rtol=1e-12)
        # the city's firms serve each sector's demand up to their capacity, in proportion for every payer
        served = np.divide(
            np.minimum(month["capacity"], month["demand"]), month["demand"],
            out=np.zeros_like(month["demand"]), where=month["demand"] > 0,
        )
        assert led["purchases_local_outside"] == pytest.approx(float((served * month["demand_out"]).sum()), rel=1e-9)
        assert led["purchases_imported_outside"] == pytest.approx(float(((1 - served) * month["demand_out"]).sum()), rel=1e-9)
        assert led["purchases_imported_outside"] > 0  # construction capacity is short


def test_the_outside_built_share_is_bought_outside_whatever_the_capacity(spied) -> None:
    """With 40% of the works built by outside firms, only 60% is offered to the city's firms (and
    served up to their capacity); the outside-built part is a purchase outside on top of what the
    city's firms cannot supply."""
    m, seen = spied("world.outside_built_share_of_outside_investment=0.4")
    for _ in range(3):
        m.step()
    inv_share = m.sector_par["investment_goods_share"]
    for month in seen:
        spent, led = month["outside"], month["ledger"]
        works = 0.95 * spent * inv_share
        np.testing.assert_allclose(month["demand_out"], 0.6 * works, rtol=1e-12)
        served = np.divide(
            np.minimum(month["capacity"], month["demand"]), month["demand"],
            out=np.zeros_like(month["demand"]), where=month["demand"] > 0,
        )
        assert led["purchases_local_outside"] == pytest.approx(float((served * 0.6 * works).sum()), rel=1e-9)
        assert led["purchases_imported_outside"] == pytest.approx(
            float(((1 - served) * 0.6 * works).sum()) + float(0.4 * works.sum()), rel=1e-9
        )
        # every yuan of the offer is paid somewhere: land, local or imported
        assert led["outside_investment_land"] + led["purchases_local_outside"] + led["purchases_imported_outside"] == pytest.approx(spent, rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_outside_built_works_leave_fewer_construction_jobs(load_tiny, build_model, seed) -> None:
    """Paired on one seed over 2000-2002: with all the works built by outside firms the city has
    fewer construction jobs and less output than when its firms are offered them; the land
    revenue is the same (it does not depend on who builds); construction's capacity short at the
    start (CONSTRUCTION_SHORT)."""

    def run(built: float) -> list[dict]:
        m = build_model(load_tiny(
            f"{SHARE}=0.3", "public_finance.land_revenue_share_of_outside_investment=0.05",
            CONSTRUCTION_SHORT,
            f"world.outside_built_share_of_outside_investment={built}", seed=seed,
        ))
        m.run()
        return m.recorder.rows

    local, outside = run(0.0), run(1.0)

    def total(rows, k):
        return sum(r[k] for r in rows)

    assert total(outside, "employment_construction") < total(local, "employment_construction")
    assert total(outside, "gdp_total") < total(local, "gdp_total")
    assert total(outside, "outside_investment") == pytest.approx(total(local, "outside_investment"), rel=0.02)


SEEDS = range(1, 7)


def test_more_outside_investment_raises_land_revenue_output_and_construction(load_tiny, build_model) -> None:
    """The tiny city over 2000-2002 at three outside shares, paired on each of six seeds: land
    revenue rises with the share on every seed; against none, output and construction jobs are
    higher summed over the seeds (the tiny city's construction sector is a few rows, so one seed's
    hires or layoffs can go either way). Between 0.3 and 0.6 the city's construction capacity is
    short, so the extra demand is bought outside: land revenue still rises, output hardly moves."""

    def run(share: float, seed: int) -> list[dict]:
        m = build_model(
            load_tiny(f"{SHARE}={share}", "public_finance.land_revenue_share_of_outside_investment=0.05", seed=seed)
        )
        m.run()
        return m.recorder.rows

    def total(rows, k):
        return sum(r[k] for r in rows)

    sums = {share: {k: 0.0 for k in ("gdp_total", "employment_construction")} for share in (0.0, 0.3, 0.6)}
    for seed in SEEDS:
        none, some, more = run(0.0, seed), run(0.3, seed), run(0.6, seed)
        assert total(none, "outside_investment") == 0 < total(some, "outside_investment") < total(more, "outside_investment")
        assert total(none, "land_revenue") < total(some, "land_revenue") < total(more, "land_revenue")
        for share, rows in ((0.0, none), (0.3, some), (0.6, more)):
            for k in sums[share]:
                sums[share][k] += total(rows, k)
    assert sums[0.0]["gdp_total"] < sums[0.3]["gdp_total"]
    assert sums[0.0]["employment_construction"] < sums[0.3]["employment_construction"]
    assert sums[0.6]["gdp_total"] == pytest.approx(sums[0.3]["gdp_total"], rel=0.02)


def test_fixed_investment_adds_up_every_payer(load_tiny, build_model) -> None:
    for share in (0.6, 0.0):
        m = build_model(load_tiny("run.end_year=2000", f"{SHARE}={share}"))
        m.run()
        row = m.recorder.rows[-1]
        assert (row["outside_investment"] > 0) == (share > 0)
        assert row["fixed_investment"] == pytest.approx(
            row["firm_investment"] + row["city_investment"] + row["outside_investment"], rel=1e-12
        )
