"""``sim optimise``: robust many-objective search through the project's executors, resumable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.cli.main import app
from simulator.experiment.optimise import run_optimisation
from simulator.experiment.optimise_spec import load_optimise_spec
from simulator.scenario.errors import ScenarioError

pytest.importorskip("pymoo", reason="the explore extra is not installed")

DTLZ2 = """\
evaluate: simulator.experiment.benchmarks:dtlz2
levers:
  x1: {type: real, low: 0.0, high: 1.0}
  x2: {type: real, low: 0.0, high: 1.0}
  x3: {type: real, low: 0.0, high: 1.0}
uncertainties:
  shift: {type: real, low: 0.0, high: 0.2}
scenarios: {samples: 2, seeds: 1, root: 5}
objectives:
  f1: {indicator: f1, year: 2000, direction: min}
  f2: {indicator: f2, year: 2000, direction: min}
robustness: {measure: mean}
algorithm: {kind: nsga2, population: 16, generations: 12}
"""


def result_files(d: Path) -> dict[str, bytes]:
    """What must not depend on how the search was run: its runs, generations and Pareto set."""
    out = {name: (d / name).read_bytes() for name in ("pareto.csv", "pareto.json")}
    for sub in ("evals", "generations"):
        for f in sorted((d / sub).iterdir()):
            out[f"{sub}/{f.name}"] = f.read_bytes()
    return out


@pytest.fixture(scope="module")
def dtlz2_spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "dtlz2.yaml"
    path.write_text(DTLZ2, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def uninterrupted(dtlz2_spec: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("full") / "opt"
    return out, run_optimisation(dtlz2_spec, out=out, executor="local", workers=2)


def test_the_search_finds_the_known_front(uninterrupted) -> None:
    out, summary = uninterrupted
    shifts = [s["values"]["shift"] for s in json.loads((out / "manifest.json").read_text())["scenarios"]]
    radius = 1.0 + float(np.mean(shifts))  # the front of the mean: a quarter circle of this radius
    f = np.array([[p.objectives["f1"], p.objectives["f2"]] for p in summary.pareto])
    assert len(f) >= 8
    distance = np.hypot(f[:, 0], f[:, 1]) / radius
    assert np.all(distance >= 1.0 - 1e-9)  # nothing beyond the true front
    assert np.median(distance) < 1.01 and np.max(distance) < 1.05
    assert f[:, 0].min() < 0.2 * radius and f[:, 1].min() < 0.2 * radius  # spread along it
    assert summary.ran == len(list((out / "evals").iterdir())) and summary.reused == 0


def test_resumed_search_equals_uninterrupted(dtlz2_spec: Path, uninterrupted, tmp_path: Path) -> None:
    full_dir, full = uninterrupted
    out = tmp_path / "opt"
    seen = []

    def stop_after(rec) -> None:
        seen.append(rec["eval_id"])
        if len(seen) == 150:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_optimisation(dtlz2_spec, out=out, executor="local", workers=2, on_eval=stop_after)
    assert not (out / "pareto.csv").exists()
    recorded = len(list((out / "evals").glob("*.json")))  # not a temporary file a stopped worker left
    assert 150 <= recorded < full.ran
    resumed = run_optimisation(dtlz2_spec, out=out, executor="local", workers=2)
    assert result_files(out) == result_files(full_dir)
    # nothing lost or run twice: every run of the uninterrupted search was read back or run once
    assert resumed.reused == recorded and resumed.reused + resumed.ran == full.ran
    again = run_optimisation(dtlz2_spec, out=out, executor="local", workers=2)
    assert again.ran == 0 and result_files(out) == result_files(full_dir)


def test_dask_executor_gives_the_same_search(dtlz2_spec: Path, uninterrupted, tmp_path: Path) -> None:
    full_dir, _ = uninterrupted
    out = tmp_path / "opt"
    run_optimisation(dtlz2_spec, out=out, executor="dask", workers=2)
    assert result_files(out) == result_files(full_dir)


TINY_SPEC = """\
name: tiny_package
base: {base}
set: [run.end_year=2000]
levers:
  benefit_yuan_per_month: {{key: labour.unemployment_benefit_yuan_per_month, type: real, low: 100.0, high: 600.0}}
  benefit_max_months: {{key: labour.unemployment_benefit_max_months, type: integer, low: 3, high: 12}}
uncertainties:
  quit_rate: {{key: labour.quit_rate_per_month, type: real, low: 0.004, high: 0.008}}
scenarios: {{samples: 2, seeds: 1, root: 11}}
objectives:
  employment: {{indicator: employment_total, year: 2000, direction: max}}
  spending: {{indicator: [city_spending], years: [2000, 2000], aggregate: sum, direction: min}}
robustness: {{measure: percentile, q: 25}}
budget: {{indicator: city_spending, year: 2000, max: 1.0e12}}
algorithm: {{kind: nsga2, population: 4, generations: 2}}
"""


@pytest.fixture(scope="module")
def tiny_spec(tiny_path: Path, tmp_path_factory) -> Path:
    spec = tmp_path_factory.mktemp("tiny") / "tiny_package.yaml"
    spec.write_text(TINY_SPEC.format(base=tiny_path), encoding="utf-8")
    return spec


@pytest.fixture(scope="module")
def tiny_optimised(tiny_spec: Path, tmp_path_factory):
    """The tiny city's search run once through the command line (do not modify)."""
    out = tmp_path_factory.mktemp("tiny_opt") / "opt"
    res = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["optimise", str(tiny_spec), "--out", str(out), "--workers", "2", "--quiet"])
    return out, res


def test_end_to_end_on_the_tiny_city(tiny_optimised, tmp_path: Path) -> None:
    out, res = tiny_optimised
    assert res.exit_code == 0, res.output
    assert "Pareto set" in res.output and all(len(line) <= 80 for line in res.output.splitlines())
    assert (out / "pareto_parallel.png").read_bytes()[:4] == b"\x89PNG"
    packages = sorted((out / "packages").glob("*.yaml"))
    pareto = json.loads((out / "pareto.json").read_text())["packages"]
    assert len(packages) == len(pareto) >= 1
    # `sim run` on a package's scenario file reproduces the package's first run exactly
    record = json.loads((out / "evals" / f"{pareto[0]['runs'][0]}.json").read_text())
    runs = tmp_path / "runs"
    res = CliRunner().invoke(app, ["run", str(packages[0]), "--out", str(runs), "--quiet"])
    assert res.exit_code == 0, res.output
    (run_dir,) = (runs / pareto[0]["name"]).iterdir()
    table = pq.read_table(run_dir / "indicators.parquet")
    years = table.column("year").to_pylist()
    assert table.column("employment_total").to_pylist()[years.index(2000)] == record["values"]["employment"]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="kill -9 of a process tree: Linux")
def test_kill_9_then_resume_gives_the_uninterrupted_search(tiny_spec: Path, tiny_optimised, tmp_path: Path) -> None:
    full_dir, _ = tiny_optimised
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli.main", "optimise", str(tiny_spec), "--out", str(killed), "--workers", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    evals = killed / "evals"
    while not (evals.is_dir() and len(list(evals.glob("*.json"))) >= 3):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the search did not get going"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    recorded = len(list(evals.glob("*.json")))
    total = len(list((full_dir / "evals").iterdir()))
    assert 3 <= recorded < total and not (killed / "pareto.csv").exists()
    time.sleep(1.0)  # its worker notices that the driver is gone and exits (PARENT_POLL_SECONDS)
    recorded = len(list(evals.glob("*.json")))
    resumed = run_optimisation(tiny_spec, out=killed, workers=2)
    assert resumed.reused == recorded and resumed.reused + resumed.ran == total
    files = result_files(killed)
    assert files == result_files(full_dir)
    assert not [p for p in killed.rglob(".*") if p.is_file()]  # no temporary file left


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("algorithm:", "algoritm:", "did you mean 'algorithm'"),
        ("{measure: percentile, q: 25}", "{measure: percentile}", "needs 'q'"),
        ("{indicator: city_spending, year", "{indicator: city_spendin, year", "did you mean 'city_spending'"),
        ("population: 4,", "population: many,", "population"),
    ],
)
def test_a_bad_spec_is_one_line_with_file_line_and_key(tiny_path: Path, tmp_path: Path, old: str, new: str, message: str) -> None:
    text = TINY_SPEC.format(base=tiny_path)
    assert old in text
    text = text.replace(old, new)
    spec = tmp_path / "bad.yaml"
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_optimise_spec(spec)
    assert message in str(err.value) and f"{spec}:" in str(err.value)
    res = CliRunner().invoke(app, ["optimise", str(spec), "--out", str(tmp_path / "never")])
    assert res.exit_code == 2 and res.output.count("error:") == 1 and message in res.output
    assert not (tmp_path / "never").exists()


def test_an_unknown_lever_key_gets_a_suggestion(tiny_path: Path, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        TINY_SPEC.format(base=tiny_path).replace("labour.quit_rate_per_month", "labour.quit_rate_per_mont"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_optimise_spec(spec)
    assert err.value.key == "uncertainties.quit_rate.key" and err.value.suggestion == "quit_rate_per_month"
    assert err.value.line == 8  # the line of quit_rate


def test_robustness_measures() -> None:
    from simulator.experiment.optimise import robust_value

    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert robust_value(v, "mean", None, None, "max") == 3.0
    # q% of the scenarios may do worse: the low end of an objective to raise, the high end of one to lower
    assert robust_value(v, "percentile", 25, None, "max") == 2.0
    assert robust_value(v, "percentile", 25, None, "min") == 4.0
    best = np.array([2.0, 2.0, 5.0, 4.0, 9.0])
    assert robust_value(v, "regret", None, best, "max") == 4.0  # 9 - 5 in the last scenario
    assert robust_value(v, "regret", None, np.array([0.0, 2.0, 3.0, 4.0, 5.0]), "min") == 1.0


def test_nsga3_with_regret_and_a_budget(tmp_path: Path) -> None:
    spec = tmp_path / "regret.yaml"
    spec.write_text(
        DTLZ2.replace("robustness: {measure: mean}", "robustness: {measure: regret}\nbudget: {indicator: cost, year: 2000, max: 0.5}")
        .replace("kind: nsga2, population: 16, generations: 12", "kind: nsga3, population: 8, generations: 4"),
        encoding="utf-8",
    )
    summary = run_optimisation(spec, out=tmp_path / "opt", executor="local", workers=2)
    assert summary.pareto and summary.objectives == {"f1": "min", "f2": "min"}
    for p in summary.pareto:
        assert p.budget <= 0.5 and p.levers["x1"] <= 0.5  # the budget is x1 itself
        assert min(p.objectives.values()) >= 0.0  # a regret is a shortfall
    header = (tmp_path / "opt" / "pareto.csv").read_text().splitlines()[0]
    assert header == "package,x1,x2,x3,f1,f2,budget_mean"


def test_failed_runs_make_a_candidate_infeasible(tmp_path: Path) -> None:
    spec = tmp_path / "failing.yaml"
    spec.write_text(DTLZ2.replace("{indicator: f2, year: 2000", "{indicator: f2, year: 2001").replace("generations: 12", "generations: 2"), encoding="utf-8")
    res = CliRunner().invoke(app, ["optimise", str(spec), "--out", str(tmp_path / "opt"), "--workers", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    assert "No feasible package" in res.output
    rec = json.loads(next((tmp_path / "opt" / "evals").iterdir()).read_text())
    assert rec["status"] == "failed" and "no year 2001" in rec["error"]
    assert (tmp_path / "opt" / "pareto.csv").read_text().splitlines() == ["package,x1,x2,x3,f1,f2"]
