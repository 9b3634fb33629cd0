"""CityModel options: the person-rules mode (firms frozen) and the per-mechanism timing hook."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model.city import CityModel
from simulator.model.sectors import EMPLOYED

FROZEN_FIRM_FIELDS = ("target", "wage_offer", "wage_prem", "capital", "cash", "debt", "sales", "alive")


def test_person_rules_mode_moves_persons_and_leaves_the_firms_as_built(load_tiny, build_model) -> None:
    m = build_model(load_tiny(), mechanisms="person_rules")
    f = m.firms
    before = {k: f.view(k).copy() for k in FROZEN_FIRM_FIELDS}
    gov_cash, n_firms = m.government.cash, f.n
    flows = {"births": 0, "deaths": 0, "in": 0, "out": 0}
    hires = 0
    for _ in range(11):  # not December: no compaction, firm rows keep their numbers
        m.step()  # strict: the population identity and the stock-flow check hold every month
        for k in flows:
            flows[k] += m.counts[k]
        hires += m.hires
    assert f.n == n_firms
    for k, v in before.items():
        assert np.array_equal(f.view(k), v), k
    assert m.government.cash == gov_cash
    assert all(v > 0 for v in flows.values()), flows
    assert hires > 0
    # no production or public finance: no sales, taxes, pensions or wages paid
    for kind in ("net_wages", "pensions", "vat_local", "general_transfer"):
        assert m.ledger.get(kind) == 0.0
    # wages are the frozen offers times the skill premium
    p = m.persons
    emp = np.flatnonzero(p.view("status") == EMPLOYED)
    expected = (f.wage_offer[p.employer[emp]] * m.skill_premium[p.skill[emp]]).astype(np.float32)
    assert np.array_equal(p.wage[emp], expected)


def test_person_rules_mode_runs_whole_years(load_tiny, build_model) -> None:
    m = build_model(load_tiny("run.end_year=2001"), mechanisms="person_rules")
    m.run()
    assert len(m.recorder.rows) == 2
    assert m.accounting_summary()["n_violations"] == 0


def test_unknown_mechanisms_are_refused(tiny_scenario) -> None:
    with pytest.raises(ValueError, match="person_rules"):
        CityModel(tiny_scenario, levers=(), mechanisms="persons")


def test_timings_are_off_by_default_and_cover_every_mechanism_when_on(load_tiny, build_model) -> None:
    assert build_model(load_tiny()).timings is None
    m = build_model(load_tiny(), timings=True)
    for _ in range(12):
        m.step()
    expected = {
        "levers",
        "demography",
        "housing",
        "firm_dynamics.plan",
        "labour_market",
        "labour_market.informal",
        "production",
        "public_finance",
        "migration",
        "registration",
        "firm_dynamics.exit_and_close",
        "public_finance.close_month",
        "checks",
        "indicators",
        "compaction",
    }
    assert set(m.timings) == expected
    assert all(v >= 0.0 for v in m.timings.values())
    assert m.timings["labour_market"] > 0.0


def test_timings_do_not_change_results(load_tiny, run_columns) -> None:
    a = run_columns(load_tiny("run.end_year=2000"))
    b = run_columns(load_tiny("run.end_year=2000"), timings=True)
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def test_no_attribute_of_the_model_is_created_outside_its_constructor(load_tiny) -> None:
    """Every attribute a run leaves on the model is assigned in ``CityModel.__init__`` (or is
    Mesa's own): mechanisms may change the model's state, never add to it unseen."""
    import ast
    import inspect
    import textwrap

    import mesa

    from simulator.experiment.run import build_model as build_city
    from simulator.model.city import CityModel

    tree = ast.parse(textwrap.dedent(inspect.getsource(CityModel.__init__)))
    declared = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        for t in targets:
            for e in t.elts if isinstance(t, ast.Tuple) else [t]:
                if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "self":
                    declared.add(e.attr)
    mesa_own = set(vars(mesa.Model(rng=0)))
    model = build_city(load_tiny("run.end_year=2001", "levers.shantytown_renovation.start_year=2000"))
    model.run()
    undeclared = set(vars(model)) - declared - mesa_own
    assert not undeclared, f"attributes created outside CityModel.__init__: {sorted(undeclared)}"


def test_a_model_is_freed_when_dropped(load_tiny, build_model) -> None:
    """Mesa 3.3 keeps a counter of agent ids per model in a class-level dictionary keyed by the
    model, which would keep every model of a worker process alive (calibration workers grew to
    2 GB); the city drops its entry once its agent is made."""
    import gc
    import weakref

    m = build_model(load_tiny("run.end_year=2000"))
    m.step()
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
