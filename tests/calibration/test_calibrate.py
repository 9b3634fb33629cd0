"""Calibrating: the search recovers known parameters from data the model simulated itself;
the objective is exactly zero at them; an interrupted calibration resumes to the same result;
the fitted fragment runs; validation compares the fit with every figure."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.calibration.driver import (
    CalibrationError,
    Evaluator,
    RunCache,
    candidate_from_values,
    parse_truth,
    run_calibration,
    synthetic_targets,
)
from simulator.calibration.objective import DEVIATION_FLOOR, deviation, objective
from simulator.calibration.spec import Target, load_calibration_spec
from simulator.cli.main import app
from simulator.experiment.executors import make_executor
from simulator.scenario.loader import load_scenario

SPEC = Path(__file__).resolve().parents[1] / "data" / "tiny_calibration.yaml"
TRUTH = {"services_productivity": 800.0, "farm_productivity": 220.0, "unemployed": 300}
TRUTH_ARGS = [f"{k}={v}" for k, v in TRUTH.items()]
TOLERANCE = 0.1
"""Largest recovery error accepted, as a share of each parameter's search range (on its
linear or log scale): with a budget of 40 candidates on two seeds the tiny city's three
parameters come back within about 0.04 (checked for root seeds 7, 8 and 9)."""


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def recovered(tmp_path_factory) -> tuple[Path, object]:
    """The tiny calibration fitted to data simulated at TRUTH, uninterrupted."""
    out = tmp_path_factory.mktemp("cal") / "recovered"
    summary = run_calibration(SPEC, out=out, workers=2, truth=TRUTH_ARGS)
    return out, summary


def test_the_search_recovers_the_parameters_that_made_the_data(recovered) -> None:
    out, s = recovered
    loaded = load_calibration_spec(SPEC)
    for fp in loaded.parameters:
        err = abs(fp.to_unit(s.best_values[fp.name]) - fp.to_unit(TRUTH[fp.name]))
        assert err <= TOLERANCE, (fp.name, s.best_values[fp.name], TRUTH[fp.name], err)
    assert s.best_objective < s.base_objective / 10
    assert s.candidates == loaded.budget
    rows = read_csv(out / "parameters.csv")
    assert [float(r["truth"]) for r in rows] == list(TRUTH.values())
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Identification check" in report


def test_a_warm_start_is_evaluated_after_the_base_values(tmp_path) -> None:
    """A warm start at the true values (the farm productivity left to its base value) is the
    second candidate, its stage 'start', with the parameter it leaves out at its base value; with
    no budget left after it nothing else runs."""
    text = SPEC.read_text(encoding="utf-8").replace("base: tiny.yaml", f"base: {SPEC.parent / 'tiny.yaml'}", 1)
    start = {k: v for k, v in TRUTH.items() if k != "farm_productivity"}
    inline = ", ".join(f"{k}: {v}" for k, v in start.items())
    assert "optimiser: {budget: 40," in text
    spec = tmp_path / "spec.yaml"
    optimiser = f"optimiser: {{starts: [{{{inline}}}], budget: 2, global_samples: 16, local_method: none}}\n"
    spec.write_text("".join(optimiser if ln.startswith("optimiser:") else ln for ln in text.splitlines(keepends=True)), encoding="utf-8")
    loaded = load_calibration_spec(spec)
    assert loaded.spec.optimiser.starts == [start]
    run_calibration(spec, out=tmp_path / "out", workers=1, truth=TRUTH_ARGS)
    rows = read_csv(tmp_path / "out" / "history.csv")
    assert [r["stage"] for r in rows if r["stage"] != "profile"] == ["base", "start"]  # (the report adds its profiles)
    base_farm = next(fp for fp in loaded.parameters if fp.name == "farm_productivity").base_value
    assert float(rows[1]["farm_productivity"]) == pytest.approx(base_farm)
    assert float(rows[1]["services_productivity"]) == pytest.approx(TRUTH["services_productivity"])
    assert int(float(rows[1]["unemployed"])) == TRUTH["unemployed"]
    assert "1 warm start (the spec's optimiser.starts)" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_the_fitted_fragment_extends_the_base_and_sets_every_fitted_key(recovered) -> None:
    out, s = recovered
    fitted = load_scenario(out / "fitted.yaml")
    assert fitted.name == "tiny_calibration_fitted"
    assert fitted.sectors["services"].value_added_per_worker_yuan_per_month == s.best_values["services_productivity"]
    assert fitted.sectors["agriculture"].value_added_per_worker_yuan_per_month == s.best_values["farm_productivity"]
    assert fitted.population.unemployed_persons == s.best_values["unemployed"]
    base = load_scenario(SPEC.parent / "tiny.yaml")
    assert fitted.run.end_year == base.run.end_year  # the spec's `set` (a shorter run) is not part of it
    assert fitted.labour.quit_rate_per_month == base.labour.quit_rate_per_month


def test_history_and_fit_table_cover_every_candidate_and_target(recovered) -> None:
    out, s = recovered
    history = read_csv(out / "history.csv")
    stages = [r["stage"] for r in history]
    assert stages[0] == "base" and stages.count("global") == 16
    assert stages.count("polish") > 0
    assert stages.count("base") + stages.count("global") + stages.count("local") + stages.count("polish") == 40
    assert min(float(r["objective"]) for r in history if r["stage"] != "profile") == pytest.approx(s.best_objective, rel=1e-5)  # history.csv keeps 6 significant digits
    fit = read_csv(out / "fit.csv")
    assert [r["id"] for r in fit] == [t.id for t in load_calibration_spec(SPEC).targets]
    for r in fit:
        assert float(r["after_p05"]) <= float(r["after_median"]) <= float(r["after_p95"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert (out / "profiles.png").stat().st_size > 0


def test_the_objective_is_zero_at_the_true_values_with_the_same_seeds(tmp_path) -> None:
    loaded = load_calibration_spec(SPEC)
    truth = parse_truth(loaded, TRUTH_ARGS)
    with make_executor("local", workers=1) as ex:
        ev = Evaluator(loaded, RunCache(tmp_path / "a.json", "x"), ex)
        loaded.targets = synthetic_targets(loaded, ev, truth)
        # fresh cache: the runs are repeated, not looked up
        ev2 = Evaluator(loaded, RunCache(tmp_path / "b.json", "x"), ex)
        at_truth, near = ev2.evaluate(
            [candidate_from_values(loaded.parameters, truth), candidate_from_values(loaded.parameters, {**truth, "unemployed": 320})],
            loaded.seeds,
        )
    assert at_truth.objective == 0.0
    assert near.objective > 0.0


def test_an_interrupted_calibration_resumes_to_the_same_result(recovered, tmp_path) -> None:
    out_ref, ref = recovered
    out = tmp_path / "interrupted"
    seen = {"candidates": 0}

    def interrupt(event) -> None:
        if event["event"] == "candidate":
            seen["candidates"] += 1
            if seen["candidates"] == 24:  # in the local stage
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_calibration(SPEC, out=out, workers=2, truth=TRUTH_ARGS, on_event=interrupt)
    state = json.loads((out / "state.json").read_text(encoding="utf-8"))
    saved = sum(len(v) for v in state["runs"].values())
    assert saved >= 24 and not (out / "fitted.yaml").exists()

    resumed = run_calibration(SPEC, out=out, workers=2, truth=TRUTH_ARGS)
    assert resumed.resumed and resumed.runs_reused == saved
    assert resumed.runs_ran == ref.runs_ran - saved
    assert resumed.best_values == ref.best_values
    for name in ("history.csv", "fit.csv", "parameters.csv", "profiles.csv"):
        assert (out / name).read_bytes() == (out_ref / name).read_bytes(), name


def test_a_changed_spec_is_refused_on_resume(recovered, tmp_path) -> None:
    out, _ = recovered
    changed = tmp_path / "tiny_calibration.yaml"
    changed.write_text(SPEC.read_text(encoding="utf-8").replace("root: 7", "root: 8").replace("base: tiny.yaml", f"base: {SPEC.parent / 'tiny.yaml'}"), encoding="utf-8")
    with pytest.raises(CalibrationError, match="was made from a different calibration spec"):
        run_calibration(changed, out=out, workers=1, truth=TRUTH_ARGS)


def test_validate_compares_the_fit_with_every_figure(recovered) -> None:
    out, _ = recovered
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["calibrate", "--validate", str(out), "--workers", "1", "-q"])
    assert result.exit_code == 0, result.output
    rows = read_csv(out / "validation.csv")
    targets = load_calibration_spec(SPEC).targets
    assert [r["id"] for r in rows] == [t.id for t in targets]
    assert [r["fitted"] for r in rows] == ["yes" if t.weight > 0 else "no" for t in targets]
    assert (out / "validation.png").stat().st_size > 0
    assert "7 fitted, 1 not" in result.output


def test_bad_truth_values_are_clear_errors() -> None:
    loaded = load_calibration_spec(SPEC)
    with pytest.raises(CalibrationError, match="unknown parameter 'unemploye'; did you mean 'unemployed'"):
        parse_truth(loaded, ["unemploye=300"])
    with pytest.raises(CalibrationError, match="outside the bounds 150 to 400"):
        parse_truth(loaded, ["unemployed=500"])


def _target(kind: str, observed: float, year: int = 2009) -> Target:
    return Target("t", "gdp_total", year, kind, observed, 1.0)


def test_deviations_are_log_errors_and_growth_counts_as_its_level() -> None:
    assert deviation(_target("level", 100.0), 110.0) == pytest.approx(math.log(1.1))
    # 8 years of 10% growth against 15.5%: the log error of the cumulative growth
    assert deviation(_target("avg_growth_since:2001", 0.155), 0.10) == pytest.approx(8 * math.log(1.10 / 1.155))
    assert deviation(_target("level", 100.0), 0.0) == pytest.approx(math.log(DEVIATION_FLOOR))
    assert deviation(_target("level", 100.0), float("nan")) == pytest.approx(math.log(DEVIATION_FLOOR))
    targets = [_target("level", 1.0), Target("u", "population", 2009, "level", 1.0, 0.0), Target("v", "births", 2009, "level", 1.0, 3.0)]
    assert objective(targets, [0.2, 5.0, 0.1]) == pytest.approx((0.04 + 3 * 0.01) / 4)
