"""Producer services: ordinary firms buy ``local_services_input_share`` of last month's sales from
the city's services firms, a part of their intermediate inputs (the rest bought outside); mines and
public units buy none. The tiny city, paired runs from one seed."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import production
from simulator.model.sectors import MANUF, PUBLIC, SERV

SIGMA = "sectors.manufacturing.local_services_input_share"


def _spy(monkeypatch) -> list[dict]:
    seen: list[dict] = []
    original = production.step

    def spy(model) -> None:
        f = model.firms
        nf = f.n
        last = f.sales[:nf].copy()
        ordinary = f.alive[:nf] & ~f.is_mine[:nf] & (f.ownership[:nf] != PUBLIC)
        original(model)
        seen.append({
            "last_manuf_sales": float(last[ordinary & (f.sector[:nf] == MANUF)].sum()),
            "demand": model.sector_demand.copy(),
            "ledger": dict(model.ledger.amounts),
        })

    monkeypatch.setattr(production, "step", spy)
    return seen


def test_firms_order_their_share_of_last_months_sales_from_local_services(load_tiny, build_model, monkeypatch) -> None:
    """Month 1 has no sales before it, so both runs are alike; in month 2 the services demand is
    higher by exactly 10% of manufacturing's month-1 sales, every other sector's demand is the
    same, and the firms' purchases (local and imported) are higher by that amount. (Their
    intermediates stay intermediate_import_share of sales: the services are a part of them, and the
    strict runs check that the books balance.)"""
    seen = _spy(monkeypatch)
    runs = {}
    for sigma in (0.0, 0.1):
        seen.clear()
        m = build_model(load_tiny(f"{SIGMA}={sigma}"))
        m.step()
        m.step()
        runs[sigma] = [dict(s) for s in seen]
    none, some = runs[0.0], runs[0.1]
    np.testing.assert_allclose(some[0]["demand"], none[0]["demand"], rtol=1e-12)
    bought = 0.1 * some[1]["last_manuf_sales"]
    assert bought > 0
    assert some[1]["demand"][SERV] - none[1]["demand"][SERV] == pytest.approx(bought, rel=1e-9)
    others = [s for s in range(len(some[1]["demand"])) if s != SERV]
    np.testing.assert_allclose(some[1]["demand"][others], none[1]["demand"][others], rtol=1e-12)
    led_some, led_none = some[1]["ledger"], none[1]["ledger"]
    firms_bought = led_some["purchases_local_firms"] + led_some.get("purchases_imported_firms", 0.0)
    firms_bought_none = led_none["purchases_local_firms"] + led_none.get("purchases_imported_firms", 0.0)
    assert firms_bought - firms_bought_none == pytest.approx(bought, rel=1e-9)


def test_more_producer_services_raise_services_output_and_jobs(load_tiny, build_model) -> None:
    """Over 2000-2002, paired on two seeds: firms buying services locally raise services value
    added and services jobs against none; the books balance (strict runs)."""
    for seed in (1, 2):
        rows = {}
        for sigma in (0.0, 0.2):
            m = build_model(load_tiny(*(f"sectors.{s}.local_services_input_share={sigma}" for s in ("manufacturing", "construction", "services")), seed=seed))
            m.run()
            rows[sigma] = m.recorder.rows
        total = {k: {name: sum(r[name] for r in v) for name in ("gdp_services", "employment_services")} for k, v in rows.items()}
        assert total[0.2]["gdp_services"] > total[0.0]["gdp_services"]
        assert total[0.2]["employment_services"] > total[0.0]["employment_services"]


def test_local_services_inputs_are_a_part_of_the_intermediate_inputs(load_tiny) -> None:
    from simulator.scenario.loader import ScenarioError

    with pytest.raises(ScenarioError, match="exceeds intermediate_import_share"):
        load_tiny("sectors.manufacturing.intermediate_import_share=0.1", f"{SIGMA}=0.2")
