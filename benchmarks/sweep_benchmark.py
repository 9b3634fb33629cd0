"""Sweep throughput: runs per second with 1 and 2 local workers, and the Dask executor's overhead.

Runs a Latin-hypercube sweep of ``scenarios/fuxin.yaml`` at its default scale
(one uncertain parameter varied slightly, one seed per point, so every run
is a full 2000-2035 run of the default city) into temporary directories:

* local executor with 1 worker, then with 2 workers (goal: at least 1.8x the
  runs per second of 1 worker);
* the Dask executor on a LocalCluster with 2 workers (goal: time per run
  within 10% of the local executor with 2 workers).

Times are those of the run phase (from the first task submitted to the last
result; pool or cluster start-up is reported apart). Usage::

    python benchmarks/sweep_benchmark.py                 # 200 runs each (long)
    python benchmarks/sweep_benchmark.py --runs 40       # a quicker look
    python benchmarks/sweep_benchmark.py --runs 40 --start-method spawn

Results are printed and written to ``benchmarks/sweep_results.json`` (not committed); the
figures against their goals, with the date, commit and machine, go to the ``sweep`` section of
``benchmarks/last_run.json`` (committed), from which ``python -m simulator.docs_gen`` writes the
documentation's Benchmarks page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from record import load_average, write_section

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "fuxin.yaml"
RESULTS = Path(__file__).resolve().parent / "sweep_results.json"
SCALING_GOAL = 1.8
DASK_OVERHEAD_GOAL = 0.10

SPEC = """\
name: benchmark
base: {base}
parameters:
  income_elasticity:   # varied slightly so that runs differ; cost does not depend on it
    key: migration.income_elasticity
    type: real
    low: 1.45
    high: 1.55
design:
  kind: latin
  samples: {runs}
seeds:
  root: 1
"""


def one_sweep(spec: Path, out: Path, *, executor: str, workers: int, start_method: str | None) -> dict:
    """Run one sweep and time its set-up and run phases, and the CPU time of driver and runs."""
    from simulator.experiment.sweep import STATUS_DIR, run_sweep

    marks: dict[str, float] = {}
    driver_cpu0 = time.process_time()
    t0 = time.perf_counter()
    summary = run_sweep(
        spec,
        out=out,
        executor=executor,
        workers=workers,
        start_method=start_method if executor == "local" else None,
        on_start=lambda s: marks.setdefault("start", time.perf_counter()),
    )
    total = time.perf_counter() - t0
    driver_cpu = time.process_time() - driver_cpu0
    assert summary.failed == 0 and summary.done == summary.n_runs, summary
    records = [json.loads(p.read_text()) for p in (out / STATUS_DIR).glob("*.json")]
    run_wall = sum(r["wall_seconds"] for r in records) / len(records)
    run_cpu = sum(r["cpu_seconds"] for r in records) / len(records)
    return {
        "executor": summary.executor,
        "workers": workers,
        "runs": summary.ran,
        "setup_seconds": round(marks["start"] - t0, 2),
        "run_seconds": round(summary.wall_seconds, 2),
        "total_seconds": round(total, 2),
        "runs_per_second": round(summary.ran / summary.wall_seconds, 3),
        "seconds_per_run_per_worker": round(summary.wall_seconds * workers / summary.ran, 3),
        # inside the worker: wall time of a run and the CPU time it got (wall > CPU: waiting for a core)
        "run_wall_seconds_mean": round(run_wall, 3),
        "run_cpu_seconds_mean": round(run_cpu, 3),
        # the driver process's CPU per run (submitting, receiving; for Dask also the scheduler)
        "driver_cpu_ms_per_run": round(driver_cpu / summary.ran * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per sweep (default 200)")
    parser.add_argument("--start-method", choices=["forkserver", "spawn", "fork"], default=None,
                        help="local executor's start method (default: forkserver)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask measurement")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        tmp = Path(tmp)
        spec = tmp / "benchmark.yaml"
        spec.write_text(SPEC.format(base=SCENARIO, runs=args.runs), encoding="utf-8")
        rows = []
        for workers in (1, 2):
            rows.append(one_sweep(spec, tmp / f"local{workers}", executor="local", workers=workers, start_method=args.start_method))
            print(json.dumps(rows[-1]), flush=True)
        if not args.no_dask:
            rows.append(one_sweep(spec, tmp / "dask2", executor="dask", workers=2, start_method=None))
            print(json.dumps(rows[-1]), flush=True)

    local1, local2 = rows[0], rows[1]
    speedup = local2["runs_per_second"] / local1["runs_per_second"]
    report = {
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "runs": args.runs,
        "start_method": args.start_method or "forkserver",
        "measurements": rows,
        "speedup_2_workers": round(speedup, 2),
        "speedup_goal": SCALING_GOAL,
    }
    print(f"\n{args.runs} runs of {SCENARIO.name} at default scale")
    for r in rows:
        print(f"  {r['executor']:<52} {r['runs_per_second']:.3f} runs/s  "
              f"({r['seconds_per_run_per_worker']:.2f} s per run per worker; set-up {r['setup_seconds']:.1f} s)")
        print(f"  {'':<52} a run: {r['run_wall_seconds_mean']:.2f} s wall, {r['run_cpu_seconds_mean']:.2f} s CPU; "
              f"driver {r['driver_cpu_ms_per_run']:.0f} ms CPU per run")
    print(f"  speed-up with 2 local workers: {speedup:.2f}x (goal at least {SCALING_GOAL}x)")
    if not args.no_dask:
        dask2 = rows[2]
        overhead = dask2["run_seconds"] / local2["run_seconds"] - 1.0
        per_run_ms = (dask2["run_seconds"] - local2["run_seconds"]) * 2 / args.runs * 1000
        report.update(dask_overhead=round(overhead, 3), dask_overhead_ms_per_run=round(per_run_ms, 1), dask_overhead_goal=DASK_OVERHEAD_GOAL)
        print(f"  Dask overhead vs local processes (2 workers): {overhead:+.1%} "
              f"({per_run_ms:+.0f} ms per run; goal under {DASK_OVERHEAD_GOAL:.0%})")
    print(f"  load average at the end: {report['load_average_at_end']} (other work on the machine slows every figure)")
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {RESULTS.relative_to(ROOT)}")
    record_figures(rows, speedup, report, args.runs)


def record_figures(rows: list[dict], speedup: float, report: dict, runs: int) -> None:
    """The figures against their goals, in ``benchmarks/last_run.json`` (section ``sweep``)."""
    figures = []
    for r in rows:
        figures.append({"measure": f"{r['executor']}: runs per second ({runs} runs)", "value": f"{r['runs_per_second']:.3f}",
                        "goal": "", "met": None})
        figures.append({"measure": "  a run: wall / CPU time in the worker (s); driver CPU per run (ms)",
                        "value": f"{r['run_wall_seconds_mean']:.2f} / {r['run_cpu_seconds_mean']:.2f}; "
                                 f"{r['driver_cpu_ms_per_run']:.0f}", "goal": "", "met": None})
    figures.append({"measure": "speed-up with 2 local workers against 1", "value": f"{speedup:.2f}x",
                    "goal": f"at least {SCALING_GOAL}x", "met": speedup >= SCALING_GOAL})
    if "dask_overhead" in report:
        figures.append({"measure": "Dask run phase against local processes (2 workers)",
                        "value": f"{report['dask_overhead']:+.1%} ({report['dask_overhead_ms_per_run']:+.0f} ms per run)",
                        "goal": f"under {DASK_OVERHEAD_GOAL:.0%}", "met": report["dask_overhead"] < DASK_OVERHEAD_GOAL})
    write_section("sweep", figures, load=f"{load_average()} at the end",
                  notes=[f"{runs} runs per sweep of scenarios/fuxin.yaml at its default scale; local workers "
                         f"started with {report['start_method']}"])


if __name__ == "__main__":
    main()
