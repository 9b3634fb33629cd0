"""Sweep specs: clear file:line errors for bad specs, designs within bounds, reproducible seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from simulator.cli.main import app
from simulator.experiment.seeds import derive_seeds, design_seed
from simulator.experiment.sweep_spec import (
    ParameterSpec,
    SweepSpec,
    build_design,
    design_size,
    load_sweep_spec,
    point_overrides,
)
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario

GOOD = """\
set: [run.end_year=2000]
parameters:
  quit_rate:
    key: labour.quit_rate_per_month
    type: real
    low: 0.004
    high: 0.008
design:
  kind: latin
  samples: 4
seeds:
  root: 1
"""


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "250"})


def sweep_error(runner: CliRunner, spec, *options: str) -> str:
    """Run ``sim sweep`` on a bad spec; check exit 2 and one error line; return it."""
    result = runner.invoke(app, ["sweep", str(spec), "--out", str(spec.parent / "out"), *options])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert not (spec.parent / "out").exists()  # nothing written for a bad spec
    return lines[0]


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        # a misspelt scenario key: did-you-mean from the scenario's schema
        ("labour.quit_rate_per_month", "labour.quit_rate_per_mont", 5,
         "key 'parameters.quit_rate.key': 'labour.quit_rate_per_mont' is not a key of the base scenario: unknown key; did you mean 'quit_rate_per_month'?"),
        # bounds reversed: pointed at 'high'
        ("high: 0.008", "high: 0.001", 8, "expected high above low, got low 0.004 and high 0.001"),
        # a design SALib cannot build well: Sobol needs a power of 2
        ("kind: latin\n  samples: 4", "kind: saltelli\n  base_samples: 48", 11,
         "Sobol sampling needs a power of 2 (its balance properties), got 48; try 32 or 64"),
        # an unknown design
        ("kind: latin", "kind: sobolx", 10, "Input should be 'grid', 'latin', 'saltelli' or 'morris', got 'sobolx'"),
        # a misspelt spec field: did-you-mean from the spec's schema
        ("    low: 0.004", "    lowe: 0.004", 7, "unknown key; did you mean 'low'?"),
        # a field that the design does not use
        ("samples: 4", "samples: 4\n  base_samples: 8", 12, "not used by a 'latin' design (it takes samples)"),
        # a whole series cannot take one number
        ("labour.quit_rate_per_month", "levers.resource_city_transfer.yuan_per_year", 5,
         "holds a mapping (e.g. a year series), a real parameter needs a number; to vary one year of a series, add the year"),
        # a whole number field needs an integer parameter
        ("labour.quit_rate_per_month", "labour.unemployment_benefit_max_months", 5, "holds a whole number: use 'type: integer'"),
        # the seed is the sweep's, not a parameter
        ("labour.quit_rate_per_month", "run.seed", 5, "run.seed is set by the sweep's seeds"),
        # one key set by two parameters
        ("labour.quit_rate_per_month", "[labour.quit_rate_per_month, labour.quit_rate_per_month]", 5,
         "'labour.quit_rate_per_month' is already set by parameter 'quit_rate'"),
        # a bad --set style override for every run, pointed at its line in the spec
        ("set: [run.end_year=2000]", "set: [run.end_yeer=2000]", 2, "unknown key (in set: 'run.end_yeer=2000'); did you mean 'end_year'?"),
    ],
)
def test_bad_specs_exit_2_with_file_and_line(runner, tmp_path, write_spec, old, new, line, expected) -> None:
    assert old in GOOD
    spec = write_spec(tmp_path, GOOD.replace(old, new))
    message = sweep_error(runner, spec)
    assert f"{spec}:{line}:" in message
    assert expected in message


def test_unknown_outcome_indicator_suggests_one(runner, tmp_path, write_spec) -> None:
    spec = write_spec(tmp_path, GOOD + "outcomes:\n  indicators: [populaton]\n")
    message = sweep_error(runner, spec)
    assert f"{spec}:15:" in message and "unknown indicator 'populaton'; did you mean 'population'?" in message


def test_missing_base_scenario_is_reported(runner, tmp_path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("base: nowhere.yaml\n" + GOOD, encoding="utf-8")
    message = sweep_error(runner, spec)
    assert "nowhere.yaml" in message and "file not found" in message


def test_the_shipped_spec_loads_and_plans_saltelli_points() -> None:
    loaded = load_sweep_spec("scenarios/sweeps/fuxin_levers.yaml")
    spec = loaded.spec
    assert spec.design.kind == "saltelli"
    assert set(spec.parameters) >= {"transfer_yuan_per_year", "fund_central_yuan_per_year", "shantytown_households_per_year"}
    assert design_size(spec) == spec.design.base_samples * (len(spec.parameters) + 2)


def test_the_shipped_pareto_futures_spec_sets_the_package_and_plans_200_futures() -> None:
    loaded = load_sweep_spec("scenarios/sweeps/fuxin_pareto_futures.yaml")
    assert loaded.spec.design.kind == "latin" and design_size(loaded.spec) == 200
    lev = loaded.base.levers
    assert lev.new_industry_fund.start_year == 2019
    assert lev.new_industry_fund.central_yuan_per_year[2016] == 8.0e7
    assert lev.resource_city_transfer.yuan_per_year[2020] == lev.resource_city_transfer.yuan_per_year[2035] == 1.25e8
    assert lev.shantytown_renovation.households_per_year[2016] == 11100


def test_a_point_sets_every_key_of_its_parameters(tmp_path, write_spec, tiny_path) -> None:
    spec = write_spec(
        tmp_path,
        GOOD.replace("key: labour.quit_rate_per_month", "key: [labour.quit_rate_per_month, labour.sector_mismatch_penalty]"),
    )
    loaded = load_sweep_spec(spec)
    design = build_design(loaded.spec)
    sc = load_scenario(tiny_path, overrides=point_overrides(loaded.spec, design.values[2]))
    assert sc.labour.quit_rate_per_month == sc.labour.sector_mismatch_penalty == design.values[2]["quit_rate"]
    assert sc.run.end_year == 2000


def _spec(params: dict[str, ParameterSpec], kind: str, **design) -> SweepSpec:
    return SweepSpec(base="x.yaml", parameters=params, design={"kind": kind, **design}, seeds={"root": 3})


@settings(max_examples=25, deadline=None)
@given(
    low=st.floats(-1e9, 1e9, allow_nan=False),
    width=st.floats(1e-6, 1e9, allow_nan=False),
    ilow=st.integers(-50, 50),
    iwidth=st.integers(0, 20),
    kind=st.sampled_from(["latin", "saltelli", "morris", "grid"]),
)
def test_design_values_stay_in_their_ranges(low, width, ilow, iwidth, kind) -> None:
    params = {
        "r": ParameterSpec(key="a.b", type="real", low=low, high=low + width),
        "i": ParameterSpec(key="a.c", type="integer", low=ilow, high=ilow + iwidth),
        "c": ParameterSpec(key="a.d", type="categorical", values=["x", "y", "z"]),
    }
    options = {"latin": {"samples": 8}, "saltelli": {"base_samples": 8}, "morris": {"trajectories": 3}, "grid": {"levels": 3}}[kind]
    spec = _spec(params, kind, **options)
    design = build_design(spec)
    assert len(design) == design_size(spec) == design.raw.shape[0]
    for v in design.values:
        assert low <= v["r"] <= low + width or math.isclose(v["r"], low + width)
        assert isinstance(v["i"], int) and ilow <= v["i"] <= ilow + iwidth
        assert v["c"] in ("x", "y", "z")
    assert build_design(spec).values == design.values  # same spec, same design


@settings(max_examples=25, deadline=None)
@given(root=st.integers(0, 2**63), n=st.integers(1, 20))
def test_design_seed_is_reproducible_and_apart_from_the_run_seeds(root, n) -> None:
    assert design_seed(root) == design_seed(root)
    assert 0 <= design_seed(root) < 2**32
    assert design_seed(root) not in derive_seeds(root, n)


def test_a_sweep_runs_the_seeds_of_sim_compare_with_the_same_root(tmp_path, write_spec) -> None:
    from simulator.experiment.sweep_spec import seeds_of

    spec = load_sweep_spec(write_spec(tmp_path, GOOD.replace("root: 1", "root: 77\n  per_point: 3"))).spec
    assert seeds_of(spec) == derive_seeds(77, 3)
    runs_child = np.random.SeedSequence(77).spawn(3)
    assert seeds_of(spec) == [int(c.generate_state(1, dtype=np.uint32)[0]) for c in runs_child]


def test_loading_the_spec_twice_gives_the_same_fingerprint(tmp_path, write_spec) -> None:
    spec = write_spec(tmp_path, GOOD)
    a = load_sweep_spec(spec)
    spec.write_text(spec.read_text() + "# a comment does not change the sweep\n")
    b = load_sweep_spec(spec)
    assert a.spec_sha256 == b.spec_sha256
    spec.write_text(spec.read_text().replace("high: 0.008", "high: 0.009"))
    assert load_sweep_spec(spec).spec_sha256 != a.spec_sha256
    with pytest.raises(ScenarioError, match="file not found"):
        load_sweep_spec(tmp_path / "missing.yaml")


def test_set_changes_the_spec_and_its_fingerprint(tmp_path, write_spec) -> None:
    spec = write_spec(tmp_path, GOOD)
    plain = load_sweep_spec(spec)
    changed = load_sweep_spec(spec, ["design.samples=6", "seeds.per_point=3"])
    assert (changed.spec.design.samples, changed.spec.seeds.per_point) == (6, 3)
    assert changed.spec_sha256 != plain.spec_sha256 and changed.overrides == ["design.samples=6", "seeds.per_point=3"]


def test_a_misspelt_set_on_the_spec_exits_2_with_a_suggestion(runner, tmp_path, write_spec) -> None:
    spec = write_spec(tmp_path, GOOD)
    result = runner.invoke(app, ["sweep", str(spec), "--set", "seeds.per_pont=3", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--set: key 'seeds.per_pont': unknown key (in --set 'seeds.per_pont=3'); did you mean 'per_point'?" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_exits_2_and_writes_nothing(runner, tmp_path, write_spec) -> None:
    import socket

    spec = write_spec(tmp_path, GOOD)
    with socket.socket() as s:  # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
        message = sweep_error(runner, spec, "--executor", "dask", "--scheduler", address)
    assert f"cannot reach the Dask scheduler at '{address}'" in message
