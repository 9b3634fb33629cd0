"""Speed and memory benchmarks of the simulator, printed against the project's goals.

Usage (from the project root, with the project installed)::

    python benchmarks/run_benchmarks.py           # everything, scale 1 included (a few minutes)
    python benchmarks/run_benchmarks.py --quick   # the same without scale 1 (under a minute)

What it measures (not tests: nothing here asserts; the figures are printed with their goal
and written to ``benchmarks/results.json``, not committed; the figures against their goals, with
the date, commit and machine, go to ``benchmarks/last_run.json``, committed, from which
``python -m simulator.docs_gen`` writes the documentation's Benchmarks page):

(a) ``sim run scenarios/fuxin.yaml`` at its default scale as a whole process (median of
    ``--repeats`` runs), and the time to import the CLI on its own;
(b) the model alone at scale 1 (every resident), 2000-2035 monthly: wall time (and the CPU
    time within it, a guide when the machine is shared) and peak memory (maximum resident set
    size of a fresh subprocess, which counts numpy's buffers);
(c) the model at scales 1, 10 and 100: the cost per agent-row-step (agent rows = person,
    household and firm rows, summed over the steps), a least-squares line
    ``time = fixed + per_row_step x row_steps`` (how far each point is from it, as a share
    of the point), and the slopes between consecutive scales (equal slopes: the points lie
    on one line);
(d) the time of each mechanism per step (``CityModel(timings=True)``) at the smallest
    scale run;
(e) the vectorised person rules against the per-agent Mesa reference
    (:mod:`simulator.reference`) on the same initial city, in one process: the speed ratio.

Each model measurement runs in its own subprocess so that its peak memory is its own. The
machine may be shared: the script prints its load average next to the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from record import load_average, write_section

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "fuxin.yaml"

GOALS = {
    "sim_run_whole_process_s": 3.5,  # issue 20: median of the whole process at the default scale
    "full_scale_wall_s": 60.0,
    "full_scale_peak_mb": 1024.0,  # issue 20: 1 GB
    "linearity_max_deviation": 0.20,
    "reference_speed_ratio": 50.0,
}

_MODEL = """
import json, resource, time
from simulator.experiment.run import build_model
from simulator.scenario.loader import load_scenario
sc = load_scenario({scenario!r}, scale={scale})
t0 = time.perf_counter()
m = build_model(sc, timings=True)
t1 = time.perf_counter()
c1 = time.process_time()
row_steps = 0
for _ in range(m.n_steps):
    row_steps += m.persons.n + m.households.n + m.firms.n
    m.step()
t2 = time.perf_counter()
c2 = time.process_time()
acc = m.accounting_summary()
print(json.dumps({{
    "scale": {scale}, "steps": m.n_steps, "build_s": t1 - t0, "run_s": t2 - t1, "run_cpu_s": c2 - c1,
    "person_rows_start": int(round(sc.population.persons / {scale})), "row_steps": row_steps,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    "accounting_ok": acc["stock_flow_ok"] and acc["population_identity_ok"],
    "timings_s": dict(m.timings), "cpu_timings_s": dict(m.cpu_timings),
}}))
"""

_REFERENCE = """
import json
import numpy as np
from simulator.reference import run_pair
from simulator.scenario.loader import load_scenario
sc = load_scenario({scenario!r}, scale={scale}, overrides=["run.end_year={end_year}"])
r = run_pair(sc, seed=sc.run.seed)
print(json.dumps({{"scale": {scale}, "years": [sc.run.start_year, {end_year}],
    "person_rows_start": int(round(sc.population.persons / {scale})),
    "seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"],
    "population_end": {{k: float(v[-1]) for k, v in (("vectorised", r["vectorised"]["population"]),
                                                     ("reference", r["reference"]["population"]))}}}}))
"""


def python_json(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def whole_process(repeats: int) -> dict:
    """Wall time of ``sim run scenarios/fuxin.yaml`` (default scale) as a whole process."""
    times, cpu, model_s = [], [], []
    out_root = ROOT / "results" / "benchmark"
    for _ in range(repeats):
        t = time.perf_counter()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(
            [sys.executable, "-m", "simulator.cli.main", "run", str(SCENARIO), "--quiet", "--out", str(out_root)],
            capture_output=True, text=True, cwd=ROOT,
        )
        times.append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        manifests = sorted((out_root / "fuxin").glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
        model_s.append(json.loads(manifests[-1].read_text())["wall_time_seconds"])
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs_s": times,
            "cpu_median_s": statistics.median(cpu), "model_median_s": statistics.median(model_s)}


def import_time(repeats: int) -> dict:
    """Time to import the CLI (paid by every ``sim`` command), and the bare interpreter's start."""
    def timed(code: str) -> list[float]:
        ts = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            ts.append(time.perf_counter() - t)
        return ts
    cli, bare = timed("import simulator.cli.main"), timed("pass")
    return {"median_s": statistics.median(cli), "python_start_median_s": statistics.median(bare), "runs_s": cli}


def line_fit(points: list[dict]) -> dict:
    """Least-squares line ``run_s = fixed + per_row_step x row_steps`` and each point's deviation."""
    xs = [p["row_steps"] for p in points]
    ys = [p["run_s"] for p in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    fixed = my - slope * mx
    dev = [abs(y - (fixed + slope * x)) / y for x, y in zip(xs, ys, strict=True)]
    # slopes between consecutive points (sorted by size): equal slopes = points on one line
    pts = sorted(zip(xs, ys, strict=True))
    slopes = [(y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False)]
    spread = max(slopes) / min(slopes) - 1.0 if min(slopes) > 0 else float("inf")
    return {"fixed_s": fixed, "per_row_step_ns": slope * 1e9, "max_deviation": max(dev), "deviations": dev,
            "slopes_ns": [x * 1e9 for x in slopes], "slope_spread": spread}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip scale 1 (every resident): under a minute")
    ap.add_argument("--repeats", type=int, default=5, help="runs of the whole process and of the import (median)")
    args = ap.parse_args()

    results: dict = {"python": sys.version.split()[0], "platform": platform.platform(),
                     "cpus": os.cpu_count(), "load_average_start": load_average()}
    print(f"load average at start: {results['load_average_start']} ({os.cpu_count()} cores)", flush=True)
    print("(a) sim run scenarios/fuxin.yaml as a whole process ...", flush=True)
    results["sim_run"] = whole_process(args.repeats)
    results["import"] = import_time(args.repeats)
    scales = [100, 10] + ([] if args.quick else [1])
    results["scales"] = []
    for s in scales:
        print(f"(b, c, d) model alone, scale {s} ...", flush=True)
        results["scales"].append(python_json(_MODEL.format(scenario=str(SCENARIO), scale=s)))
    ref_scale, ref_end = (100, 2000) if args.quick else (20, 2000)
    print(f"(e) vectorised person rules against the Mesa reference, scale {ref_scale}, {ref_end} ...", flush=True)
    results["reference"] = python_json(_REFERENCE.format(scenario=str(SCENARIO), scale=ref_scale, end_year=ref_end))
    results["load_average_end"] = load_average()
    rows, mechanisms = report(results)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_section(
        "model",
        [{"measure": label, "value": value, "goal": goal, "met": None if met == "" else met == "yes"}
         for label, value, goal, met in rows],
        tables=[mechanisms],
        load=f"{results['load_average_start']} at the start, {results['load_average_end']} at the end",
    )


def report(results: dict) -> tuple[list[tuple[str, str, str, str]], dict]:
    """Print every figure against its goal; return the rows and the table of mechanisms."""
    rows: list[tuple[str, str, str, str]] = []

    def add(label: str, value: str, goal: str = "", met: bool | None = None) -> None:
        rows.append((label, value, goal, "" if met is None else ("yes" if met else "NO")))

    sr, imp = results["sim_run"], results["import"]
    add("sim run scenarios/fuxin.yaml, whole process (median s)", f"{sr['median_s']:.2f}",
        f"< {GOALS['sim_run_whole_process_s']:g}", sr["median_s"] < GOALS["sim_run_whole_process_s"])
    add(f"  runs: min / max of {len(sr['runs_s'])} (s)", f"{sr['min_s']:.2f} / {sr['max_s']:.2f}")
    add("  CPU time, the overview's helper process included (median s)", f"{sr['cpu_median_s']:.2f}")
    add("  of which the model, 2000-2035 (median s)", f"{sr['model_median_s']:.2f}")
    add("  import simulator.cli.main (median s)", f"{imp['median_s']:.2f}")
    add("  (bare python start, median s)", f"{imp['python_start_median_s']:.2f}")
    by_scale = {r["scale"]: r for r in results["scales"]}
    for s in sorted(by_scale):
        r = by_scale[s]
        full = s == 1
        label = f"model 2000-2035, scale {s} ({r['person_rows_start']:,} person rows at start)"
        goal_t = f"< {GOALS['full_scale_wall_s']:g}" if full else ""
        add(label + ", run (s)", f"{r['run_s']:.1f}", goal_t, r["run_s"] < GOALS["full_scale_wall_s"] if full else None)
        add("  of which on the CPU (s)", f"{r['run_cpu_s']:.1f}")
        goal_m = f"< {GOALS['full_scale_peak_mb']:g}" if full else ""
        add("  peak memory, max RSS (MB)", f"{r['peak_mb']:.0f}", goal_m,
            r["peak_mb"] < GOALS["full_scale_peak_mb"] if full else None)
        add("  build (s); accounting checks hold", f"{r['build_s']:.1f}; {r['accounting_ok']}")
        add("  cost per agent-row-step, wall / CPU (ns)",
            f"{r['run_s'] / r['row_steps'] * 1e9:.0f} / {r['run_cpu_s'] / r['row_steps'] * 1e9:.0f}")
    if len(by_scale) >= 2:
        fit = line_fit([by_scale[s] for s in sorted(by_scale)])
        results["line_fit"] = fit
        lim = GOALS["linearity_max_deviation"]
        add("linear in agent rows: largest point's deviation from the fitted line", f"{100 * fit['max_deviation']:.1f}%",
            f"< {100 * lim:g}%", fit["max_deviation"] < lim)
        add("  line: fixed (s) + per agent-row-step (ns)", f"{fit['fixed_s']:.2f} + {fit['per_row_step_ns']:.0f}")
        if len(fit["slopes_ns"]) >= 2:
            add("linear in agent rows: slopes between scales (ns per agent-row-step)",
                " / ".join(f"{x:.0f}" for x in fit["slopes_ns"]), "", None)
            add("  their spread (largest / smallest - 1)", f"{100 * fit['slope_spread']:.1f}%", f"< {100 * lim:g}%",
                fit["slope_spread"] < lim)
        # the same in CPU time (less disturbed by other work on a shared machine)
        fit_cpu = line_fit([{**by_scale[s], "run_s": by_scale[s]["run_cpu_s"]} for s in sorted(by_scale)])
        results["line_fit_cpu"] = fit_cpu
        add("  in CPU time: largest deviation; slopes (ns)", f"{100 * fit_cpu['max_deviation']:.1f}%; "
            + " / ".join(f"{x:.0f}" for x in fit_cpu["slopes_ns"]))
    ref = results["reference"]
    ratio = ref["seconds"]["reference"] / ref["seconds"]["vectorised"]
    results["reference_speed_ratio"] = ratio
    add(f"person rules, Mesa reference / vectorised, scale {ref['scale']}, {ref['years'][0]}-{ref['years'][1]} (x)",
        f"{ratio:.0f}", f">= {GOALS['reference_speed_ratio']:g}", ratio >= GOALS["reference_speed_ratio"])
    add("  reference; vectorised (s)", f"{ref['seconds']['reference']:.1f}; {ref['seconds']['vectorised']:.2f}")
    cpu = ref["cpu_seconds"]
    add("  the same ratio in CPU time (x)", f"{cpu['reference'] / cpu['vectorised']:.0f}")

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':{width}s} {'value':>14s} {'goal':>9s} {'met':>4s}")
    for label, value, goal, met in rows:
        print(f"{label:{width}s} {value:>14s} {goal:>9s} {met:>4s}")
    smallest = by_scale[min(by_scale)]
    t = smallest["timings_s"]
    cpu = smallest.get("cpu_timings_s", {})
    total, total_cpu = smallest["run_s"], smallest["run_cpu_s"]
    print(f"\nwhere the time goes at scale {smallest['scale']} ({smallest['steps']} monthly steps, "
          f"{total:.1f} s wall, {total_cpu:.1f} s CPU):")
    print(f"  {'mechanism':30s} {'wall s':>8s} {'CPU s':>8s} {'CPU %':>6s} {'CPU ms/step':>12s}")
    mechanisms = {
        "title": f"Where the time goes at scale {smallest['scale']} ({smallest['steps']} monthly steps, "
                 f"{total:.1f} s wall, {total_cpu:.1f} s CPU; CityModel(timings=True))",
        "columns": ["mechanism", "wall (s)", "CPU (s)", "share of CPU", "CPU ms per month"],
        "rows": [],
    }
    for k, v in sorted(t.items(), key=lambda kv: -cpu.get(kv[0], kv[1])):
        c = cpu.get(k, float("nan"))
        print(f"  {k:30s} {v:8.2f} {c:8.2f} {100 * c / total_cpu:5.1f}% {1000 * c / smallest['steps']:12.2f}")
        mechanisms["rows"].append([k, f"{v:.2f}", f"{c:.2f}", f"{100 * c / total_cpu:.1f}%",
                                   f"{1000 * c / smallest['steps']:.1f}"])
    print(f"\nload average: start {results['load_average_start']}, end {results['load_average_end']} "
          f"({results['cpus']} cores; other work on the machine slows every figure)")
    return rows, mechanisms


if __name__ == "__main__":
    main()
