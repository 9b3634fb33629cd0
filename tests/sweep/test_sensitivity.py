"""Sensitivity indices from a sweep directory, checked on an additive function with a known answer.

The sweeps here are planned like real ones (same spec, design, seeds and
directory) but their runs' results are written by the test: the outcome is
y = 2 x1 + x2 (+ seed noise that cancels in the mean over a point's two
seeds). With x1, x2 uniform on [0, 1], Var y = 4/12 + 1/12, so the Sobol
indices are S1 = ST = (0.8, 0.2); the Morris elementary effects are exactly
the coefficients, mu* = (2, 1) and sigma = 0.
"""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.analysis.sensitivity import SensitivityError, analyse
from simulator.cli.main import app
from simulator.experiment.files import write_json as _write_json
from simulator.experiment.files import write_parquet as _write_parquet
from simulator.experiment.sweep import (
    DONE,
    STATUS_DIR,
    _part_table,
    create_sweep_dir,
)
from simulator.experiment.sweep_spec import load_sweep_spec

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PARAMETERS = """\
parameters:
  x1:
    key: labour.quit_rate_per_month
    type: real
    low: 0.0
    high: 1.0
  x2:
    key: labour.sector_mismatch_penalty
    type: real
    low: 0.0
    high: 1.0
seeds:
  per_point: 2
  root: 11
"""
SALTELLI = PARAMETERS + "design:\n  kind: saltelli\n  base_samples: 64\n"
MORRIS = PARAMETERS + "design:\n  kind: morris\n  trajectories: 10\n"
NOISE = 0.3  # added for seed index 0, subtracted for seed index 1


def fake_sweep(folder, write_spec, body: str, *, skip_points: frozenset[int] = frozenset()):
    """Create a sweep directory and record every run (but those of *skip_points*) as done."""
    loaded = load_sweep_spec(write_spec(folder, body))
    sd = create_sweep_dir(folder / "sweep", loaded)
    for r in sd.plan:
        if r.point_id in skip_points:
            continue
        v = sd.design_values[r.point_id]
        noise = NOISE * np.sin(r.point_id) * (1 if r.seed_index == 0 else -1)
        y = 2.0 * v["x1"] + v["x2"] + noise
        _write_parquet(sd.part_path(r.run_id), _part_table(r.run_id, {"year": np.array([2000]), "population": np.array([y])}))
        record = {
            "run_id": r.run_id, "point_id": r.point_id, "seed_index": r.seed_index, "seed": r.seed,
            "scenario_name": "tiny", "status": DONE, "error": None, "accounting_ok": True,
            "outcomes": {}, "wall_seconds": 0.0,
        }
        _write_json(sd.path / STATUS_DIR / f"{r.run_id}.json", record)
    return sd.path


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def saltelli_sweep(tmp_path_factory, write_spec):
    """A saltelli sweep of the additive function (256 points x 2 seeds)."""
    return fake_sweep(tmp_path_factory.mktemp("saltelli"), write_spec, SALTELLI)


def test_sobol_indices_of_an_additive_function(saltelli_sweep) -> None:
    res = analyse(saltelli_sweep, "population", 2000)
    assert res.method == "sobol" and res.names == ["x1", "x2"]
    assert res.n_points == 64 * 4 and res.seeds_per_point == 2
    # seed noise: +-a at a point has sample variance 2 a^2, a^2 in a mean of two seeds
    points = np.arange(res.n_points)
    noise_var = np.mean((NOISE * np.sin(points)) ** 2)
    means = pq.read_table(saltelli_sweep / "design.parquet").to_pandas().eval("2 * x1 + x2").to_numpy()
    assert res.seed_noise_share == pytest.approx(noise_var / np.var(means, ddof=1), rel=1e-9)
    truth = np.array([0.8, 0.2])
    for key in ("S1", "ST"):
        np.testing.assert_allclose(res.indices[key], truth, atol=0.05)
        assert np.all(np.abs(res.indices[key] - truth) <= res.indices[f"{key}_conf"])


def test_morris_effects_of_an_additive_function_through_the_cli(runner, tmp_path, write_spec) -> None:
    sweep = fake_sweep(tmp_path, write_spec, MORRIS)
    chart = tmp_path / "chart.png"
    result = runner.invoke(app, ["sensitivity", str(sweep), "--outcome", "population", "--year", "2000", "--out", str(chart)])
    assert result.exit_code == 0, result.output
    rows = {ln.split("│")[1].strip(): [c.strip() for c in ln.split("│")[2:-1]] for ln in result.output.splitlines() if ln.startswith("│")}
    assert rows["x1"][0] == "2" and rows["x2"][0] == "1"  # mu*
    assert float(rows["x1"][2]) == pytest.approx(0, abs=1e-9) and float(rows["x2"][2]) == pytest.approx(0, abs=1e-9)
    assert "each point's population is the mean over its seeds" in result.output
    assert chart.read_bytes().startswith(PNG_MAGIC)


def test_sobol_through_the_cli_writes_the_default_chart(runner, saltelli_sweep) -> None:
    sweep = saltelli_sweep
    result = runner.invoke(app, ["sensitivity", str(sweep), "--outcome", "population", "--year", "2000"])
    assert result.exit_code == 0, result.output
    assert "Sobol indices of population in 2000" in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("│")]
    assert lines[0].split("│")[1].strip() == "x1"  # largest total index first
    assert (sweep / "sensitivity_population_2000.png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--outcome", "populaton", "--year", "2000"], "unknown outcome 'populaton'; did you mean 'population'?"),
        (["--outcome", "population", "--year", "2031"], "no run has the year 2031 (runs cover 2000-2000)"),
    ],
)
def test_bad_outcome_or_year_exit_2(runner, tmp_path, write_spec, args, message) -> None:
    sweep = fake_sweep(tmp_path, write_spec, MORRIS)
    result = runner.invoke(app, ["sensitivity", str(sweep), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_design_points_are_refused(tmp_path, write_spec) -> None:
    sweep = fake_sweep(tmp_path, write_spec, MORRIS, skip_points=frozenset({3, 7}))
    with pytest.raises(SensitivityError, match="2 of 30 design points have no finished run"):
        analyse(sweep, "population", 2000)


def test_a_grid_design_is_refused(runner, local_sweep) -> None:
    result = runner.invoke(app, ["sensitivity", str(local_sweep), "--outcome", "population", "--year", "2000"])
    assert result.exit_code == 2
    assert "sensitivity indices need a 'saltelli' (Sobol) or 'morris' design; this sweep's design is 'grid'" in result.output


def test_intervals_wider_than_the_indices_give_one_warning_line(runner, saltelli_sweep, tmp_path, write_spec) -> None:
    from simulator.analysis.sensitivity import SensitivityResult, wide_intervals

    def result(s1, s1_conf, st=(0.5, 0.5), st_conf=(0.05, 0.05)) -> SensitivityResult:
        indices = {"S1": np.array(s1), "S1_conf": np.array(s1_conf), "ST": np.array(st), "ST_conf": np.array(st_conf)}
        return SensitivityResult("sobol", "population", 2030, ["x1", "x2"], indices, 12, 1.0, "persons")

    assert wide_intervals(result([0.8, 0.2], [0.05, 0.04])) is None  # a good design: intervals narrower than the indices
    assert wide_intervals(result([0.8, 0.001], [0.05, 0.02])) is None  # an unimportant parameter's index near zero is fine
    message = wide_intervals(result([1.495, -0.3], [7.7, 2.1]))
    assert message and "x1: S1 = 1.495 ± 7.7" in message and "design.base_samples" in message and "\n" not in message
    assert wide_intervals(result([0.8, 0.2], [0.05, float("nan")]))  # an interval that is not a number says nothing either
    # a saltelli design of 4 base samples (16 points) with seed noise in one seed: through the command line
    body = PARAMETERS.replace("per_point: 2", "per_point: 1") + "design:\n  kind: saltelli\n  base_samples: 4\n"
    sweep = fake_sweep(tmp_path, write_spec, body)
    assert wide_intervals(analyse(sweep, "population", 2000))
    out = runner.invoke(app, ["sensitivity", str(sweep), "--outcome", "population", "--year", "2000"])
    assert out.exit_code == 0, out.output
    warnings = [ln for ln in out.output.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "confidence intervals are wider than the indices" in warnings[0]
    assert "16 design points" in warnings[0]
    # the additive function's 256-point design gives none
    good = runner.invoke(app, ["sensitivity", str(saltelli_sweep), "--outcome", "population", "--year", "2000"])
    assert good.exit_code == 0 and "warning:" not in good.output


def test_a_run_recorded_done_with_a_violation_is_left_out(local_sweep, tmp_path) -> None:
    """Sweeps written before accounting failures failed their runs recorded such runs as done
    with ``accounting_ok: false``: their outcomes are not used."""
    import json
    import shutil

    from simulator.analysis.sensitivity import outcome_by_point
    from simulator.experiment.sweep import open_sweep_dir

    copy = tmp_path / "sweep"
    shutil.copytree(local_sweep, copy)
    sd = open_sweep_dir(copy)
    _, before, _ = outcome_by_point(sd, "population", 2000)
    status = sd.status_path(sd.plan[0].run_id)
    rec = json.loads(status.read_text(encoding="utf-8"))
    rec["accounting_ok"] = False
    status.write_text(json.dumps(rec), encoding="utf-8")
    _, after, _ = outcome_by_point(open_sweep_dir(copy), "population", 2000)
    assert after.sum() == before.sum() - 1
