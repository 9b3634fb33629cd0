"""Running sweeps: the same results on any executor and worker count; resume; failed runs; query."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.cli.main import app
from simulator.experiment.sweep import run_sweep

# A grid whose second quit-rate value (2.0 > 1) the scenario schema rejects: those runs fail.
FAILING = """\
set: [run.end_year=2000]
parameters:
  quit_rate:
    key: labour.quit_rate_per_month
    type: categorical
    values: [0.006, 2.0]
design:
  kind: grid
seeds:
  per_point: 2
  root: 5
outcomes:
  indicators: [population]
"""


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "250"})


def test_runs_table_has_one_row_per_run_with_parameters_and_outcomes(local_sweep) -> None:
    runs = pq.read_table(local_sweep / "runs.parquet").to_pylist()
    assert [r["run_id"] for r in runs] == [f"p{p}-s{k}" for p in range(4) for k in range(2)]
    assert {r["status"] for r in runs} == {"done"}
    assert {(r["quit_rate"], r["benefit_months"]) for r in runs} == {(0.004, 6), (0.004, 12), (0.008, 6), (0.008, 12)}
    # common random numbers: seed index k has the same seed at every point
    seeds = {(r["seed_index"], r["seed"]) for r in runs}
    assert len(seeds) == 2 and len({s for _, s in seeds}) == 2
    for r in runs:
        part = pq.read_table(local_sweep / "parts" / f"{r['run_id']}.parquet").to_pylist()
        assert [row["year"] for row in part] == [2000]
        assert {row["run_id"] for row in part} == {r["run_id"]}
        assert r["population_2000"] == part[0]["population"]
        assert r["scenario_name"] == "tiny" and r["accounting_ok"] is True
    manifest = json.loads((local_sweep / "manifest.json").read_text())
    assert manifest["format"] == "sim-sweep" and manifest["n_runs"] == 8
    assert manifest["last_sweep"]["done"] == 8


def test_one_worker_gives_the_same_files_as_two(local_sweep, tiny_sweep_spec, sweep_files, tmp_path) -> None:
    run_sweep(tiny_sweep_spec, out=tmp_path / "one", executor="local", workers=1)
    assert sweep_files(tmp_path / "one") == sweep_files(local_sweep)


def test_a_dask_scheduler_started_by_the_test_gives_the_same_files(
    local_sweep, tiny_sweep_spec, sweep_files, tmp_path
) -> None:
    from dask.distributed import LocalCluster

    with LocalCluster(
        host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary = run_sweep(tiny_sweep_spec, out=tmp_path / "sched", executor="dask", scheduler=cluster.scheduler_address)
    assert summary.executor.startswith(f"dask, {cluster.scheduler_address}")
    assert sweep_files(tmp_path / "sched") == sweep_files(local_sweep)


def test_resume_reruns_only_missing_and_unreadable_runs(local_sweep, tiny_sweep_spec, sweep_files, tmp_path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(local_sweep, d)
    (d / "runs.parquet").unlink()
    (d / "parts" / "p1-s0.parquet").unlink()  # done record without its part
    (d / "status" / "p2-s1.json").write_text('{"run_id": "p2-')  # half a record
    (d / "status" / "p3-s0.json").unlink()  # no record at all
    (d / "parts" / ".p0-s0.parquet.tmp-1-abcd").write_bytes(b"half")  # a killed writer's leftover
    ran = []
    summary = run_sweep(tiny_sweep_spec, out=d, workers=1, on_run=lambda info: ran.append(info["run_id"]))
    assert sorted(ran) == ["p1-s0", "p2-s1", "p3-s0"]
    assert (summary.already_done, summary.done) == (5, 8)
    assert not [p for p in (d / "parts").iterdir() if p.name.startswith(".")]
    assert sweep_files(d) == sweep_files(local_sweep)


def test_a_changed_spec_is_refused_and_nothing_is_lost(runner, local_sweep, tiny_sweep_spec, tmp_path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(local_sweep, d)
    before = {p.name: p.stat().st_mtime_ns for p in (d / "parts").iterdir()}
    changed = tmp_path / "tiny_sweep.yaml"
    text = tiny_sweep_spec.read_text().replace("base: tiny.yaml", f"base: {tiny_sweep_spec.parent / 'tiny.yaml'}")
    changed.write_text(text.replace("high: 0.008", "high: 0.009"))
    result = runner.invoke(app, ["sweep", str(changed), "--out", str(d)])
    assert result.exit_code == 2
    assert f"{d} was made from a different sweep spec" in result.output
    assert "Use another --out directory" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in (d / "parts").iterdir()} == before


def test_a_directory_that_is_not_a_sweep_is_refused(runner, tiny_sweep_spec, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["sweep", str(tiny_sweep_spec), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "exists and is not a sweep directory" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_failing_runs_are_recorded_and_do_not_stop_the_sweep(runner, write_spec, tmp_path) -> None:
    spec = write_spec(tmp_path, FAILING)
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"])
    assert result.exit_code == 1, result.output
    assert "2 done, 2 failed, 0 pending of 4 runs" in result.output
    assert "2 run(s) failed; run `sim sweep` again to retry them." in result.output
    runs = {r["run_id"]: r for r in pq.read_table(out / "runs.parquet").to_pylist()}
    for rid in ("p0-s0", "p0-s1"):
        assert runs[rid]["status"] == "done" and runs[rid]["error"] is None
        assert runs[rid]["population_2000"] > 0
    for rid in ("p1-s0", "p1-s1"):
        r = runs[rid]
        assert r["status"] == "failed" and r["quit_rate"] == 2.0 and r["population_2000"] is None
        assert "labour.quit_rate_per_month" in r["error"] and "less than or equal to 1" in r["error"]
        assert not (out / "parts" / f"{rid}.parquet").exists()
    # resuming retries the failed runs only (they fail again: the value is still invalid)
    again = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--quiet"])
    assert again.exit_code == 1
    assert "2 already done, 2 to run" in again.output


def test_query_joins_runs_and_series(runner, local_sweep) -> None:
    sql = (
        "SELECT r.benefit_months, count(*) AS n, min(s.year) AS y FROM series s "
        "JOIN runs r USING (run_id) GROUP BY 1 ORDER BY 1"
    )
    result = runner.invoke(app, ["query", str(local_sweep), sql])
    assert result.exit_code == 0, result.output
    rows = [ln.split("│")[1:-1] for ln in result.output.splitlines() if ln.startswith("│")]
    assert [[c.strip() for c in row] for row in rows] == [["6", "4", "2000"], ["12", "4", "2000"]]
    assert "2 row(s)" in result.output


def test_query_errors_exit_2_with_the_message(runner, local_sweep, tmp_path) -> None:
    bad = runner.invoke(app, ["query", str(local_sweep), "SELECT nope FROM runs"])
    assert bad.exit_code == 2
    assert 'error: SQL: Binder Error: Referenced column "nope" not found' in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(app, ["query", str(tmp_path), "SELECT 1"])
    assert missing.exit_code == 2 and "is not a sweep directory" in missing.output


def test_categorical_values_keep_their_types_through_the_directory(write_spec, tmp_path) -> None:
    from simulator.experiment.sweep import create_sweep_dir, open_sweep_dir
    from simulator.experiment.sweep_spec import build_design, load_sweep_spec

    spec = write_spec(tmp_path, FAILING.replace("values: [0.006, 2.0]", "values: [0.006, 1]"))
    loaded = load_sweep_spec(spec)
    create_sweep_dir(tmp_path / "d", loaded)
    values = open_sweep_dir(tmp_path / "d").design_values
    assert values == build_design(loaded.spec).values
    assert [type(v["quit_rate"]) for v in values] == [float, int]
