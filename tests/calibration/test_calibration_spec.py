"""Calibration specs: bad specs give one clear file:line error (exit 2); keys, targets and seeds resolve."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.calibration.spec import FreeParameter, load_calibration_spec
from simulator.cli.main import app
from simulator.experiment.seeds import derive_seeds

REPO = Path(__file__).resolve().parents[2]

# A small valid spec over the tiny city (2000-2001); the cases below break one thing each.
GOOD = """\
set: [run.end_year=2001]
parameters:
  matching:
    key: labour.matching_efficiency_per_month
    low: 0.1
    high: 0.8
    why: test
  farm_demand:
    key: sectors.agriculture.external_demand_index.*
    years: [2001, 2100]
    apply: multiply
    space: log
    low: 0.5
    high: 2.0
    why: test
targets:
  - {indicator: unemployed_persons, year: 2001, value: 200}
  - {indicator: employment_agriculture, year: 2001, kind: ratio_to:employment_total, value: 0.6}
seeds: {per_evaluation: 1, root: 3}
optimiser: {budget: 4, global_samples: 4}
report: {seeds: 2, profile_points: 0}
"""


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "250"})


def write(folder: Path, body: str, tiny_path: Path) -> Path:
    path = folder / "spec.yaml"
    path.write_text(f"base: {tiny_path}\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        # a misspelt scenario key: did-you-mean from the scenario's schema
        ("labour.matching_efficiency_per_month", "labour.matching_eficiency_per_month", 5,
         "key 'parameters.matching.key': 'labour.matching_eficiency_per_month' is not a key of the base scenario: "
         "unknown key; did you mean 'matching_efficiency_per_month'?"),
        # a misspelt part before a wildcard
        ("sectors.agriculture.external", "sectors.agricultur.external", 10,
         "there is no 'sectors.agricultur'; did you mean 'agriculture'?"),
        # bounds reversed: pointed at 'high'
        ("    high: 0.8", "    high: 0.05", 7, "expected high above low, got low 0.1 and high 0.05"),
        # a log scale needs positive bounds
        ("    low: 0.5", "    low: 0", 14, "a log-scale parameter needs low above 0, got 0"),
        # a bound at which the scenario is invalid (a share above 1)
        ("    why: test\n  farm_demand:",
         "    why: test\n  registered:\n    key: labour.registered_share_of_unemployed\n    low: 0.1\n    high: 1.5\n    why: t\n  farm_demand:", 12,
         "the scenario is not valid with this parameter at its high bound (1.5)"),
        # a target indicator that does not exist: did-you-mean from the indicators
        ("indicator: unemployed_persons", "indicator: unemployed_person", 18,
         "unknown indicator 'unemployed_person'; did you mean 'unemployed_persons'?"),
        ("kind: ratio_to:employment_total", "kind: ratio_to:employment_totl", 19,
         "unknown indicator 'employment_totl'; did you mean 'employment_total'?"),
        # a year outside the run (the spec's set ends it in 2001)
        ("year: 2001, value: 200", "year: 2005, value: 200", 18, "year 2005 is outside the base scenario's run 2000-2001"),
        # a kind that does not exist
        ("kind: ratio_to:employment_total", "kind: share_of:employment_total", 19, "unknown kind 'share_of:employment_total'"),
        # a misspelt spec field: did-you-mean from the spec's schema
        ("    why: test\n  farm", "    wy: test\n  farm", 8, "unknown key; did you mean 'why'?"),
        # Sobol sampling needs a power of 2
        ("global_samples: 4", "global_samples: 6", 21, "Sobol sampling needs a power of 2 (its balance properties), got 6; try 4 or 8"),
        # too few report seeds to measure the objective's noise
        ("per_evaluation: 1, root: 3}\noptimiser: {budget: 4, global_samples: 4}\nreport: {seeds: 2",
         "per_evaluation: 2, root: 3}\noptimiser: {budget: 4, global_samples: 4}\nreport: {seeds: 3", 22,
         "the report needs at least two groups of 2 seeds"),
        # a warm start naming a parameter that is not free: did-you-mean from the free ones
        ("optimiser: {budget: 4, global_samples: 4}", "optimiser: {budget: 4, global_samples: 4, starts: [{matchng: 0.3}]}", 21,
         "expected the name of a free parameter, got 'matchng'; did you mean 'matching'?"),
        # a warm start outside the bounds
        ("optimiser: {budget: 4, global_samples: 4}", "optimiser: {budget: 4, global_samples: 4, starts: [{matching: 0.9}]}", 21,
         "expected a value within the bounds of matching, 0.1 to 0.8, got 0.9"),
        # multiplying a year the base scenario does not have
        ("key: sectors.agriculture.external_demand_index.*\n    years: [2001, 2100]", "key: sectors.agriculture.external_demand_index.2012", 10,
         "'sectors.agriculture.external_demand_index.2012' has no value in the base scenario to multiply"),
    ],
)
def test_a_bad_spec_gives_one_located_error_and_exit_2(runner, tmp_path, tiny_path, old, new, line, expected) -> None:
    assert old in GOOD
    spec = write(tmp_path, GOOD.replace(old, new, 1), tiny_path)
    result = runner.invoke(app, ["calibrate", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert f"{spec}:{line}:" in lines[0], lines[0]
    assert expected in lines[0], lines[0]
    assert not (tmp_path / "out").exists()  # nothing written for a bad spec


def test_an_unknown_observed_id_gets_a_did_you_mean(runner, tmp_path, tiny_path) -> None:
    body = GOOD.replace(
        "  - {indicator: unemployed_persons, year: 2001, value: 200}",
        "  - {observed: popultion_2010}",
    ).replace("set: [run.end_year=2001]", f"set: [run.end_year=2001]\nobserved: {REPO / 'calibration/data/fuxin_observed.csv'}")
    spec = write(tmp_path, body, tiny_path)
    result = runner.invoke(app, ["calibrate", str(spec)])
    assert result.exit_code == 2
    assert "no observed figure with id 'popultion_2010'; did you mean 'population_2010'?" in result.output


def test_cli_needs_a_spec_or_validate(runner, tmp_path) -> None:
    for args in (["calibrate"], ["calibrate", "x.yaml", "--validate", str(tmp_path)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "give a calibration spec to run, or --validate RESULT_DIR" in result.output


def test_keys_expand_against_the_base_and_seeds_are_common(tmp_path, tiny_path) -> None:
    loaded = load_calibration_spec(write(tmp_path, GOOD, tiny_path))
    farm = loaded.parameters[1]
    # the tiny city inherits Fuxin's index {2000: 1.0, 2010: 2.6, 2015: 3.6, 2035: 7.0}; 2000 is outside 'years'
    assert farm.keys == tuple(f"sectors.agriculture.external_demand_index.{y}" for y in (2010, 2015, 2035))
    assert farm.base_values == (2.6, 3.6, 7.0)
    assert farm.key_values(1.5) == [(k, b * 1.5) for k, b in zip(farm.keys, farm.base_values, strict=True)]
    assert farm.base_value == 1.0
    assert loaded.seeds == derive_seeds(3, 3)[:1]
    assert loaded.report_seeds == derive_seeds(3, 3)[1:]
    assert [t.fitted for t in loaded.targets] == [True, True]
    # the fingerprint is what decides runs: not the budget, weights or observed values ...
    assert load_calibration_spec(loaded.path, budget=9).fingerprint == loaded.fingerprint
    same = write(tmp_path, GOOD.replace("value: 200}", "value: 210, weight: 2}"), tiny_path)
    assert load_calibration_spec(same).fingerprint == loaded.fingerprint
    # ... but the seeds, the targets' definitions and the base scenario
    for old, new in (("root: 3", "root: 4"), ("year: 2001, value: 200", "year: 2000, value: 200"), ("end_year=2001", "end_year=2002")):
        other = write(tmp_path, GOOD.replace(old, new), tiny_path)
        assert load_calibration_spec(other).fingerprint != loaded.fingerprint, old


def test_the_fuxin_spec_loads_with_every_target_from_the_observed_file() -> None:
    loaded = load_calibration_spec(REPO / "calibration" / "fuxin.yaml")
    assert loaded.base.run.end_year == 2015
    ids = {t.id for t in loaded.targets}
    assert ids <= set(loaded.observed)
    assert all(t.year <= 2015 for t in loaded.targets)
    weights = {t.id: t.weight for t in loaded.targets}
    assert weights["gdp_yearbook_2014"] == 0.0625 and weights["revenue_2014"] == 0  # the inflated 2011-2014 figures
    fitted = [t for t in loaded.targets if t.weight > 0]
    assert 5 <= len(loaded.parameters) < len(fitted)  # fewer free parameters than fitted moments


def _param(space: str, kind: str = "real") -> FreeParameter:
    return FreeParameter("p", ("a.b",), (2.0,), 0.1, 10.0, kind, "set", space, "test")


@pytest.mark.parametrize("space", ["linear", "log"])
def test_unit_positions_map_to_the_bounds_and_back(space) -> None:
    p = _param(space)
    assert p.from_unit(0.0) == pytest.approx(0.1) and p.from_unit(1.0) == pytest.approx(10.0)
    for v in (0.1, 0.5, 3.0, 10.0):
        assert p.from_unit(p.to_unit(v)) == pytest.approx(v)
    mid = p.from_unit(0.5)
    assert mid == pytest.approx(1.0 if space == "log" else 5.05)
    assert _param(space, "integer").from_unit(0.52) == round(mid if space == "linear" else math.exp(0.52 * math.log(100)) * 0.1)
