"""A calibration pooled across a panel of cities (``panel:`` instead of ``base:``).

Two tiny cities (the tiny city, and one with fewer unemployed whose services are more productive) share
the free parameters: the spec's targets expand over the cities; a multiplier multiplies each
city's own base value; the runs of a candidate are one per city and seed; the search recovers
the pooled parameters from data the model simulated in both cities; a fitted fragment is
written for each city; bad panel specs are clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.calibration.driver import (
    Evaluator,
    RunCache,
    candidate_from_values,
    parse_truth,
    run_calibration,
    run_key,
    synthetic_targets,
)
from simulator.calibration.spec import load_calibration_spec
from simulator.cli.main import app
from simulator.experiment.executors import make_executor
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario

DATA = Path(__file__).resolve().parents[1] / "data"
TINY_SERVICES = 700.0
"""The tiny city's services value added per worker (tests/data/tiny.yaml, from Fuxin)."""
SMALL_SERVICES = 900.0
TRUTH = {"services_multiplier": 1.25, "farm_productivity": 220.0}
TRUTH_ARGS = [f"{k}={v}" for k, v in TRUTH.items()]
TOLERANCE = 0.1
"""Largest recovery error accepted, as a share of each parameter's search range."""

SPEC_TEXT = """\
name: tiny_panel
description: Two tiny cities, two pooled parameters, identification check.
panel: {panel}
set: [run.end_year=2001]
parameters:
  services_multiplier:
    key: sectors.services.value_added_per_worker_yuan_per_month
    apply: multiply
    low: 0.7
    high: 1.6
    why: services productivity relative to each city's own (test parameter)
  farm_productivity:
    key: sectors.agriculture.value_added_per_worker_yuan_per_month
    low: 150
    high: 450
    why: farm value added per worker (test parameter)
targets:
  - {{cities: all, indicator: gdp_services, year: 2001, value: 3.9e6}}
  - {{cities: all, indicator: gdp_agriculture, year: 2001, value: 4.0e6}}
  - {{cities: all, indicator: employment_total, year: 2001, value: 1725, weight: 0.5}}
  - {{city: small, indicator: unemployed_persons, year: 2001, value: 150}}
seeds: {{per_evaluation: 2, root: 7}}
optimiser: {{budget: 24, global_method: sobol, global_samples: 16, local_method: nelder-mead, local_step: 0.15, polish_budget: 4, polish_step: 0.05}}
report: {{seeds: 4, profile_points: 2, profile_step: 0.1}}
"""


def write_panel(tmp: Path, panel: str | None = None, **edits: str) -> Path:
    """A panel spec in *tmp* over the tiny city and another one (the panel inline unless
    *panel* is given); *edits* replace text of the spec."""
    tiny = (DATA / "tiny.yaml").resolve()
    (tmp / "small.yaml").write_text(
        f"extends: {tiny}\nname: small\n"
        f"population: {{unemployed_persons: 200}}\n"
        f"sectors: {{services: {{value_added_per_worker_yuan_per_month: {SMALL_SERVICES}}}}}\n",
        encoding="utf-8",
    )
    text = SPEC_TEXT.format(panel=panel or f"{{tiny: {tiny}, small: small.yaml}}")
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    spec = tmp / "panel_spec.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_targets_expand_over_the_cities_and_multipliers_use_each_citys_base(tmp_path) -> None:
    loaded = load_calibration_spec(write_panel(tmp_path))
    assert loaded.is_panel and list(loaded.cities) == ["tiny", "small"]
    assert [(t.city, t.indicator) for t in loaded.targets] == [
        ("tiny", "gdp_services"), ("small", "gdp_services"),
        ("tiny", "gdp_agriculture"), ("small", "gdp_agriculture"),
        ("tiny", "employment_total"), ("small", "employment_total"),
        ("small", "unemployed_persons"),
    ]
    assert len({t.id for t in loaded.targets}) == len(loaded.targets)  # ids name the city
    assert loaded.cities["tiny"].scenario.sectors["services"].value_added_per_worker_yuan_per_month == TINY_SERVICES
    c = candidate_from_values(loaded.parameters, {"services_multiplier": 2.0, "farm_productivity": 300.0})
    key = "sectors.services.value_added_per_worker_yuan_per_month"
    assert f"{key}={2 * TINY_SERVICES}" in c.overrides_in("tiny")
    assert f"{key}={2 * SMALL_SERVICES}" in c.overrides_in("small")
    assert "sectors.agriculture.value_added_per_worker_yuan_per_month=300.0" in c.overrides_in("small")
    assert run_key(c, "tiny") != run_key(c, "small")
    # the services multiplier's base is 1; the farm productivity is the same in both cities
    assert [fp.base_value for fp in loaded.parameters] == [1.0, 280.0]


def test_a_panel_file_names_the_cities(tmp_path) -> None:
    write_panel(tmp_path)
    (tmp_path / "cities.yaml").write_text(
        f"name: two\ncities:\n  tiny: {(DATA / 'tiny.yaml').resolve()}\n  small: small.yaml\n", encoding="utf-8"
    )
    loaded = load_calibration_spec(write_panel(tmp_path, panel="cities.yaml"))
    assert list(loaded.cities) == ["tiny", "small"]
    assert loaded.cities["small"].scenario.population.unemployed_persons == 200


def test_the_fingerprint_changes_with_any_citys_scenario(tmp_path) -> None:
    a = load_calibration_spec(write_panel(tmp_path)).fingerprint
    (tmp_path / "b").mkdir()
    spec = write_panel(tmp_path / "b")
    (tmp_path / "b" / "small.yaml").write_text(
        (tmp_path / "b" / "small.yaml").read_text(encoding="utf-8").replace("200", "210"), encoding="utf-8"
    )
    assert load_calibration_spec(spec).fingerprint != a


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"{cities: all, indicator: gdp_services": "{indicator: gdp_services"}, "names its city"),
        ({"{city: small,": "{city: smal,"}, "'smal' is not a city of the panel"),
        ({"{city: small,": "{city: small, cities: all,"}, "not both"),
        ({"set: [run": "base: x.yaml\nset: [run"}, "not both"),
        ({"small: small.yaml": "small: missing.yaml"}, "no scenario file"),
        ({"low: 0.7": "low: -1.0"}, "the scenario of tiny is not valid"),
    ],
)
def test_bad_panel_specs_are_clear_errors(tmp_path, edits, message) -> None:
    with pytest.raises(ScenarioError) as exc:
        load_calibration_spec(write_panel(tmp_path, **edits))
    assert message in str(exc.value)
    assert "panel_spec.yaml" in str(exc.value) or "missing" in message or message == "no scenario file"


def test_a_city_without_a_figure_is_skipped_only_when_asked(tmp_path) -> None:
    header = "id,indicator,year,value,unit,quality,source,note,model_indicator,kind,model_value,derivation\n"
    (tmp_path / "obs.csv").write_text(
        header + "tiny_pop_2001,population,2001,3500,persons,test,test,,population,level,3500,\n", encoding="utf-8"
    )
    target = '  - {cities: all, observed: "{city}_pop_2001"'
    edits = {"targets:\n": f"observed: obs.csv\ntargets:\n{target}}}\n"}
    with pytest.raises(ScenarioError, match="no observed figure with id 'small_pop_2001'"):
        load_calibration_spec(write_panel(tmp_path, **edits))
    edits = {"targets:\n": f"observed: obs.csv\ntargets:\n{target}, if_missing: skip}}\n"}
    loaded = load_calibration_spec(write_panel(tmp_path, **edits))
    assert loaded.skipped_targets == [("small", "small_pop_2001")]
    assert [t.id for t in loaded.targets if t.indicator == "population"] == ["tiny_pop_2001"]


def test_the_objective_is_zero_at_the_true_values_in_every_city(tmp_path) -> None:
    loaded = load_calibration_spec(write_panel(tmp_path))
    truth = parse_truth(loaded, TRUTH_ARGS)
    with make_executor("local", workers=1) as ex:
        ev = Evaluator(loaded, RunCache(tmp_path / "a.json", "x"), ex)
        loaded.targets = synthetic_targets(loaded, ev, truth)
        ev.set_targets()
        # each city's moments come from its own runs: the two cities differ
        by = {(t.city, t.indicator): t.observed for t in loaded.targets}
        assert by[("tiny", "gdp_services")] != by[("small", "gdp_services")]
        ev2 = Evaluator(loaded, RunCache(tmp_path / "b.json", "x"), ex)
        at_truth, off = ev2.evaluate(
            [candidate_from_values(loaded.parameters, truth), candidate_from_values(loaded.parameters, {**truth, "services_multiplier": 1.1})],
            loaded.seeds,
        )
    assert at_truth.objective == 0.0 and off.objective > 0.0
    assert ev2.ran == 2 * 2 * len(loaded.seeds)  # two candidates, two cities, each seed


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("panel")
    spec = write_panel(tmp)
    out = tmp / "out"
    return spec, out, run_calibration(spec, out=out, workers=2, truth=TRUTH_ARGS)


def test_the_pooled_search_recovers_the_parameters_that_made_both_cities_data(recovered) -> None:
    spec, out, s = recovered
    loaded = load_calibration_spec(spec)
    for fp in loaded.parameters:
        err = abs(fp.to_unit(s.best_values[fp.name]) - fp.to_unit(TRUTH[fp.name]))
        assert err <= TOLERANCE, (fp.name, s.best_values[fp.name], TRUTH[fp.name], err)
    assert s.best_objective < s.base_objective / 10
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "a panel of 2 cities (tiny, small)" in report and "By city" in report
    assert "| small | 4 |" in report  # small's four fitted targets
    fit = read_csv(out / "fit.csv")
    assert [r["city"] for r in fit] == [t.city for t in loaded.targets]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["panel"]) == {"tiny", "small"} and manifest["base_scenario"] is None


def test_each_city_gets_a_fitted_fragment_of_its_own_scenario(recovered) -> None:
    spec, out, s = recovered
    tiny = load_scenario(out / "fitted" / "tiny.yaml")
    small = load_scenario(out / "fitted" / "small.yaml")
    m = s.best_values["services_multiplier"]
    assert tiny.name == "tiny_panel_tiny_fitted" and small.population.unemployed_persons == 200
    assert tiny.sectors["services"].value_added_per_worker_yuan_per_month == pytest.approx(TINY_SERVICES * m)
    assert small.sectors["services"].value_added_per_worker_yuan_per_month == pytest.approx(SMALL_SERVICES * m)
    for sc in (tiny, small):
        assert sc.sectors["agriculture"].value_added_per_worker_yuan_per_month == s.best_values["farm_productivity"]
        assert sc.run.end_year == load_scenario(DATA / "tiny.yaml").run.end_year  # `set` is not part of it
    assert not (out / "fitted.yaml").exists()


def test_validate_points_a_panel_to_its_cities(recovered) -> None:
    _, out, _ = recovered
    result = CliRunner().invoke(app, ["calibrate", "--validate", str(out)])
    assert result.exit_code == 2
    assert "panel calibration" in result.output and "Traceback" not in result.output


def test_figures_may_come_from_several_observed_files_each_id_once(tmp_path) -> None:
    header = "id,indicator,year,value,unit,quality,source,note,model_indicator,kind,model_value,derivation\n"
    (tmp_path / "a.csv").write_text(header + "tiny_pop_2001,population,2001,3500,persons,test,test,,population,level,3500,\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(header + "small_pop_2001,population,2001,3400,persons,test,test,,population,level,3400,\n", encoding="utf-8")
    target = '  - {cities: all, observed: "{city}_pop_2001"}\n'
    loaded = load_calibration_spec(write_panel(tmp_path, **{"targets:\n": f"observed: [a.csv, b.csv]\ntargets:\n{target}"}))
    assert {t.id: t.observed for t in loaded.targets if t.indicator == "population"} == {"tiny_pop_2001": 3500, "small_pop_2001": 3400}
    with pytest.raises(ScenarioError, match="'tiny_pop_2001' is also in an earlier observed file"):
        load_calibration_spec(write_panel(tmp_path, **{"targets:\n": f"observed: [a.csv, a.csv]\ntargets:\n{target}"}))
