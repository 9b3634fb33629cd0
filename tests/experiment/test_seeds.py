"""Seeds for multi-seed comparisons: derived reproducibly, shared across scenarios, runs reused."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq

from simulator.experiment.seeds import MAX_SEED, SeedJob, derive_seeds, run_seeds


def test_derived_seeds_are_reproducible_distinct_and_nested() -> None:
    seeds = derive_seeds(20011214, 10)
    assert seeds == derive_seeds(20011214, 10)
    assert len(set(seeds)) == 10
    assert all(0 <= s <= MAX_SEED for s in seeds)
    assert derive_seeds(20011214, 4) == seeds[:4]  # more seeds later keeps the first ones
    assert derive_seeds(20011215, 10) != seeds


def test_run_seeds_in_two_processes_writes_runs_that_a_second_call_reuses(tmp_path, tiny_path) -> None:
    seeds = derive_seeds(3, 2)
    jobs = [SeedJob(str(tiny_path), s) for s in seeds]
    first = run_seeds(jobs, out_root=tmp_path, workers=2)
    assert len(first) == 2
    manifests = [json.loads((d / "manifest.json").read_text()) for d in first]
    assert [m["seed"] for m in manifests] == seeds  # in job order
    calls = []
    again = run_seeds(jobs, out_root=tmp_path, workers=2, progress=lambda done, total, reused: calls.append((done, total, reused)))
    assert again == first
    assert calls[-1] == (2, 2, 2)
    assert len(list((tmp_path / "tiny").iterdir())) == 2  # nothing new was written
    # a run made in a worker process equals the same run made here
    from simulator.experiment.run import run_scenario
    from simulator.scenario.loader import load_scenario

    here = run_scenario(load_scenario(tiny_path, seed=seeds[0]), out_root=None).indicators
    there = pq.read_table(first[0] / "indicators.parquet")
    for name in ("population", "gdp_total", "employment_total"):
        np.testing.assert_array_equal(there.column(name).to_numpy(), here[name])


def test_a_failed_run_is_never_reused(tmp_path) -> None:
    """A run directory marked failed (kept for inspection) is not taken for a new run of the same
    scenario; a good one is."""
    import json as _json

    from simulator.experiment.seeds import _existing_runs

    for run_id, status in (("a-failed", "failed"), ("b-ok", "ok")):
        d = tmp_path / "tiny" / run_id
        d.mkdir(parents=True)
        for name in ("indicators.parquet", "regions.parquet", "scenario.resolved.yaml"):
            (d / name).write_bytes(b"x")
        sha = "same" if run_id == "a-failed" else "other"
        (d / "manifest.json").write_text(_json.dumps({"status": status, "scenario_sha256": sha}), encoding="utf-8")
    assert _existing_runs(tmp_path, "tiny") == {"other": tmp_path / "tiny" / "b-ok"}


def test_run_seeds_with_stop_runs_on_workers_and_matches_the_plain_path(tmp_path, tiny_path) -> None:
    seeds = derive_seeds(5, 2)
    jobs = [SeedJob(str(tiny_path), s) for s in seeds]
    calls = []
    made = run_seeds(jobs, out_root=tmp_path / "a", workers=1, stop=lambda: False, progress=lambda *a: calls.append(a))
    assert [json.loads((d / "manifest.json").read_text())["seed"] for d in made] == seeds  # in job order
    assert calls[-1] == (2, 2, 0)
    plain = run_seeds(jobs[:1], out_root=tmp_path / "b", workers=1)
    for name in ("population", "gdp_total"):
        np.testing.assert_array_equal(
            pq.read_table(made[0] / "indicators.parquet").column(name).to_numpy(),
            pq.read_table(plain[0] / "indicators.parquet").column(name).to_numpy(),
        )


def test_stopping_run_seeds_terminates_the_workers_and_leaves_no_partial_run(tmp_path, tiny_path) -> None:
    import time

    import pytest

    from simulator.experiment.seeds import RunsCancelled

    # long runs (the tiny city over ten years): stopped while the first ones are still running
    jobs = [SeedJob(str(tiny_path), s, ("run.end_year=2010",)) for s in derive_seeds(9, 4)]
    started = time.monotonic()
    with pytest.raises(RunsCancelled) as caught:
        run_seeds(jobs, out_root=tmp_path, workers=2, stop=lambda: time.monotonic() - started > 1.0)
    assert time.monotonic() - started < 8.0  # stopped at once, not after the runs
    assert caught.value.total == 4 and caught.value.finished < 4
    parent = tmp_path / "tiny"
    left = [p.name for p in parent.iterdir()] if parent.exists() else []
    assert not [n for n in left if n.startswith(".tmp-")], left  # no half-written run left behind
    assert len(left) == caught.value.finished
