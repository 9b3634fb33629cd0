"""Producer services: ordinary firms buy ``firms.producer_services_local_share`` x
``services_input_share`` of last month's sales from the city's services firms, a part of their
intermediate inputs (the rest bought outside); mines and public units buy none. The tiny city,
paired runs from one seed."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import production
from simulator.model.sectors import MANUF, PUBLIC, SERV

SIGMA = "sectors.manufacturing.services_input_share"
LOCAL = "firms.producer_services_local_share"


def _spy(monkeypatch) -> list[dict]:
    seen: list[dict] = []
    original = production.step

    def spy(model) -> None:
        f = model.firms
        nf = f.n
        last = f.sales[:nf].copy()
        ordinary = f.alive[:nf] & ~f.is_mine[:nf] & (f.ownership[:nf] != PUBLIC)
        investment = model.pending_investment
        original(model)
        seen.append({
            "last_manuf_sales": float(last[ordinary & (f.sector[:nf] == MANUF)].sum()),
            "investment": investment,
            "demand": model.sector_demand.copy(),
            "capacity": model.sector_capacity.copy(),
            "ledger": dict(model.ledger.amounts),
        })

    monkeypatch.setattr(production, "step", spy)
    return seen


NO_SOCIAL = "firms.soe_social_functions_cost_share_of_wage_bill=0"
# services capacity below the city's demand at the start, so that no services are sold outside
# (the start-year external demand is the capacity the city does not buy) and the local demand shows
SERVICES_SHORT = "sectors.services.intermediate_import_share=0.3"
NONE_ELSE = tuple(
    f"sectors.{s}.services_input_share=0" for s in ("coal_dependent_industry", "agriculture", "construction", "services", "new_industry")
)


def test_firms_order_their_share_of_last_months_sales_from_local_services(load_tiny, build_model, monkeypatch) -> None:
    """Half of manufacturing's 20% services inputs are bought in the city (no other sector buys
    services). In the first month
    (no sales before it: the city starts in balance) firms order on their capacity, so services
    demand is higher by 10% of manufacturing's capacity and every other sector's demand is the
    same; from the second month they order on last month's sales: the firms' purchases (local and
    imported) are their investment and 10% of manufacturing's sales of the month before. (Their
    intermediates stay intermediate_import_share of sales: the services are a part of them, and
    the strict runs check that the books balance.)"""
    seen = _spy(monkeypatch)
    runs = {}
    for sigma in (0.0, 0.1):
        seen.clear()
        m = build_model(load_tiny(f"{SIGMA}={2 * sigma}", f"{LOCAL}=0.5", NO_SOCIAL, SERVICES_SHORT, *NONE_ELSE))
        for _ in range(3):
            m.step()
        runs[sigma] = [dict(s) for s in seen]
    none, some = runs[0.0], runs[0.1]
    first = 0.1 * some[0]["capacity"][MANUF]
    assert first > 0
    assert some[0]["demand"][SERV] - none[0]["demand"][SERV] == pytest.approx(first, rel=1e-9)
    others = [s for s in range(len(some[0]["demand"])) if s != SERV]
    np.testing.assert_allclose(some[0]["demand"][others], none[0]["demand"][others], rtol=1e-12)
    for run, sigma in ((none, 0.0), (some, 0.1)):
        for month in run[1:]:
            led = month["ledger"]
            bought = led.get("purchases_local_firms", 0.0) + led.get("purchases_imported_firms", 0.0)
            assert bought == pytest.approx(month["investment"] + sigma * month["last_manuf_sales"], rel=1e-9)
            assert month["last_manuf_sales"] > 0


def test_more_producer_services_raise_services_output_and_jobs(load_tiny, build_model) -> None:
    """Over 2000-2002, paired on two seeds: firms buying 80% of their services inputs (Fuxin's
    shares by sector) in the city raise services value added and services jobs against buying
    none there; the books balance (strict runs)."""
    for seed in (1, 2):
        rows = {}
        for sigma in (0.0, 0.8):
            m = build_model(load_tiny(f"{LOCAL}={sigma}", seed=seed))
            m.run()
            rows[sigma] = m.recorder.rows
        total = {k: {name: sum(r[name] for r in v) for name in ("gdp_services", "employment_services")} for k, v in rows.items()}
        assert total[0.8]["gdp_services"] > total[0.0]["gdp_services"]
        assert total[0.8]["employment_services"] > total[0.0]["employment_services"]


def test_local_services_inputs_are_a_part_of_the_intermediate_inputs(load_tiny) -> None:
    from simulator.scenario.loader import ScenarioError

    with pytest.raises(ScenarioError, match="exceeds intermediate_import_share"):
        load_tiny("sectors.manufacturing.intermediate_import_share=0.1", f"{SIGMA}=0.2")
