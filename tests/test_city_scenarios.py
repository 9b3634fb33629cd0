"""The city scenarios (scenarios/cities/): each validates, builds its census city and runs a
few years with the accounts holding; baselines and packages come in pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.cities.data import load_city
from simulator.experiment.run import build_model, indicator_columns
from simulator.scenario.loader import load_scenario

CITY_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "cities"
FILES = sorted(CITY_DIR.glob("*.yaml"))
PANEL = (
    "fuxin", "fushun", "jixi", "hegang", "shuangyashan", "qitaihe", "liaoyuan", "baishan", "huaibei", "zaozhuang",
    "pingxiang", "shizuishan", "wuhai", "jiaozuo", "tongchuan", "datong", "yangquan", "changzhi", "jincheng",
    "shuozhou", "pingdingshan", "hebi", "liupanshui", "jinzhong", "lvliang", "ordos",
)
"""The 26 coal cities of the panel (issue 18)."""
PACKAGE_CITIES = ("fushun", "jixi", "hegang", "shuangyashan", "qitaihe", "liaoyuan", "baishan")
"""Cities of Liaoning, Jilin and Heilongjiang, where the 2016 package applied (and Fuxin, as fuxin_2010)."""
FAST_ROWS = 1500  # person rows of a fast run


def _stem(city: str) -> str:
    return "fuxin_2010" if city == "fuxin" else city


def test_every_panel_city_has_a_baseline_and_only_the_northeast_a_package() -> None:
    names = {p.stem for p in FILES}
    for city in PANEL:
        assert f"{_stem(city)}_baseline" in names, city
        assert (_stem(city) in names) == (city in (*PACKAGE_CITIES, "fuxin")), city
    assert len(FILES) == len(PANEL) + len(PACKAGE_CITIES) + 1


def test_every_city_file_has_its_regions_and_its_mines_in_them() -> None:
    for city in PANEL:
        sc = load_scenario(CITY_DIR / f"{_stem(city)}_baseline.yaml")
        names = {r.name for r in sc.regions}
        assert len(names) >= 3, city  # every panel city has at least three districts and counties
        assert sum(r.population_persons for r in sc.regions) == sc.population.persons, city
        assert sc.coal.mines and all(m.region in names for m in sc.coal.mines), city


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_city_scenario_validates_and_runs_briefly(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.name == path.stem
    assert sc.run.start_year == 2010 and sc.run.end_year == 2035
    census = load_city(sc.city.name.lower(), 2010).census
    assert sc.population.persons == round(census["population"])
    scale = max(1, sc.population.persons // FAST_ROWS)
    fast = load_scenario(path, overrides=["run.end_year=2012"], scale=scale)
    m = build_model(fast, strict=True)  # raises on any stock-flow or population-identity violation
    assert m.population == pytest.approx(sc.population.persons, rel=0.02)
    m.run()
    cols = indicator_columns(m)
    assert list(cols["year"]) == [2010, 2011, 2012]
    for k, v in cols.items():
        assert np.all(np.isfinite(v)), k
    assert np.all(cols["employment_total"] > 0) and np.all(cols["gdp_total"] > 0)
    assert cols["employment_coal_mining"][0] > 0 and cols["coal_output_tonnes"][0] > 0
    summary = m.accounting_summary()
    assert summary["stock_flow_ok"] and summary["population_identity_ok"]


@pytest.mark.parametrize("city", (*PACKAGE_CITIES, "fuxin_2010"))
def test_the_package_changes_only_levers(city: str) -> None:
    base = load_scenario(CITY_DIR / f"{city}_baseline.yaml")
    package = load_scenario(CITY_DIR / f"{city}.yaml")
    for field in ("run", "city", "population", "demography", "labour", "sectors", "coal", "firms", "households", "migration", "housing", "public_finance", "social_security", "world"):
        assert getattr(package, field) == getattr(base, field), field
    assert not base.levers.new_industry_fund.enabled and package.levers.new_industry_fund.enabled
    assert package.counterfactual == base.name == f"{city}_baseline" and base.counterfactual is None
    transfer = package.levers.resource_city_transfer
    assert transfer.enabled == base.levers.resource_city_transfer.enabled
    assert transfer.start_year == base.levers.resource_city_transfer.start_year
