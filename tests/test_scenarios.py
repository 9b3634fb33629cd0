"""Every scenario shipped in scenarios/ validates, builds and runs briefly with the accounts holding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.experiment.run import build_model, indicator_columns
from simulator.scenario.loader import (
    dump_resolved,
    load_resolved_text,
    load_scenario,
    scenario_sha256,
)

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
FAST_SCALE = 400  # persons per row: about 4700 rows for Fuxin


def test_there_are_scenarios() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {"fuxin", "fuxin_baseline", "fuxin_calibrated"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_validates_and_round_trips(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.name == path.stem
    assert sc.run.start_year <= sc.run.end_year
    again = load_resolved_text(dump_resolved(sc))
    assert again == sc and scenario_sha256(again) == scenario_sha256(sc)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_runs_briefly_with_the_accounts_holding(path: Path) -> None:
    start = load_scenario(path).run.start_year
    sc = load_scenario(path, overrides=[f"run.end_year={start + 1}"], scale=FAST_SCALE)
    m = build_model(sc, strict=True)  # raises on any stock-flow or population-identity violation
    pop0 = m.population
    assert pop0 == pytest.approx(sc.population.persons, rel=0.01)
    m.run()
    cols = indicator_columns(m)
    assert list(cols["year"]) == [start, start + 1]
    for k, v in cols.items():
        assert np.all(np.isfinite(v)), k
    assert np.all(cols["population"] > 0.9 * pop0)
    assert np.all(cols["employment_total"] > 0) and np.all(cols["gdp_total"] > 0)
    summary = m.accounting_summary()
    assert summary["stock_flow_ok"] and summary["population_identity_ok"]


def test_variants_differ_from_the_baseline_only_where_they_say() -> None:
    by_name = {p.stem: load_scenario(p) for p in SCENARIOS}
    # fuxin.yaml's counterfactual is fuxin_calibrated.yaml (fuxin_baseline.yaml keeps the hand values)
    base, package = by_name["fuxin_calibrated"], by_name["fuxin"]
    assert package.levers.new_industry_fund.enabled and not base.levers.new_industry_fund.enabled
    for field in ("population", "demography", "labour", "sectors", "coal", "firms", "world"):
        assert getattr(package, field) == getattr(base, field), field


def test_every_package_names_its_counterfactual_and_no_baseline_inherits_one() -> None:
    by_name = {p.stem: load_scenario(p) for p in SCENARIOS}
    for name in ("fuxin", "fuxin_package_lite", "fuxin_double_shantytown"):
        assert by_name[name].counterfactual == "fuxin_calibrated", name
    for name in ("fuxin_baseline", "fuxin_calibrated"):
        assert by_name[name].counterfactual is None, name


@pytest.mark.parametrize("name", ["fuxin_baseline", "fuxin_calibrated"])
def test_the_baseline_builds_for_any_seed(name: str) -> None:
    sc = load_scenario(SCENARIOS[[p.stem for p in SCENARIOS].index(name)])
    for seed in range(10):
        build_model(sc.model_copy(deep=True), seed=seed)
