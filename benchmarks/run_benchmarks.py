"""Speed and memory benchmarks of the simulator (not tests: nothing here asserts).

Usage (from the project root, with the project installed)::

    python benchmarks/run_benchmarks.py            # whole-process run, import time, scales 100 and 10, per-mechanism profile
    python benchmarks/run_benchmarks.py --full     # also scale 1 (every resident, ~1.9 million persons), several minutes

Each measurement of the model runs in a fresh subprocess so that its peak
memory (max resident set size) is its own. Results are printed as a table
against the project's goals and written to ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "fuxin.yaml"

GOALS = {
    "sim_run_whole_process_s": 5.0,
    "full_scale_wall_s": 60.0,
    "full_scale_peak_mb": 2048.0,
}

_MODEL_SNIPPET = """
import json, resource, sys, time
from simulator.scenario.loader import load_scenario
from simulator.model.city import CityModel
sc = load_scenario({scenario!r}, scale={scale}, overrides={overrides!r})
t0 = time.perf_counter()
m = CityModel(sc)
t1 = time.perf_counter()
m.run()
t2 = time.perf_counter()
print(json.dumps({{
    "scale": {scale}, "persons_rows_start": int(sc.population.persons / {scale}),
    "persons_rows_end": int(m.persons.n), "firm_rows": int(m.firms.n),
    "build_s": t1 - t0, "run_s": t2 - t1,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    "accounting_ok": m.accounting_summary()["stock_flow_ok"] and m.accounting_summary()["population_identity_ok"],
}}))
"""

_PROFILE_SNIPPET = """
import json, time
from collections import defaultdict
from simulator.scenario.loader import load_scenario
from simulator.model import city as C
sc = load_scenario({scenario!r}, scale={scale})
m = C.CityModel(sc)
T = defaultdict(float)
def timed(mod, fn, key):
    f = getattr(mod, fn)
    def w(*a, **k):
        t = time.perf_counter(); r = f(*a, **k); T[key] += time.perf_counter() - t; return r
    setattr(mod, fn, w)
for name in ("demography", "housing", "labour_market", "production", "public_finance", "migration"):
    timed(getattr(C, name), "step", name)
timed(C.firm_dynamics, "plan", "firm_dynamics.plan")
timed(C.firm_dynamics, "exit_and_close", "firm_dynamics.exit_and_close")
timed(C.public_finance, "close_month", "public_finance.close_month")
t = time.perf_counter(); m.run(); total = time.perf_counter() - t
T["checks_and_recording"] = total - sum(T.values())
print(json.dumps({{"total_s": total, "steps": m.n_steps, "per_mechanism_s": dict(T)}}))
"""


def run_python(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def whole_process(repeats: int) -> dict:
    """Wall time and peak memory of `sim run scenarios/fuxin.yaml` as a whole process."""
    times, peaks = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "simulator.cli.main", "run", str(SCENARIO), "--quiet", "--out", str(ROOT / "results" / "benchmark")],
            capture_output=True, text=True, cwd=ROOT,
        )
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0)
    return {"median_s": statistics.median(times), "min_s": min(times), "runs": times, "peak_mb": max(peaks)}


def import_time(repeats: int) -> dict:
    """Time to import the CLI (what every `sim` command pays before it starts)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import simulator.cli.main"], check=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return {"median_s": statistics.median(times), "runs": times}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also run scale 1 (every resident): several minutes")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    results: dict = {"python": sys.version.split()[0], "platform": platform.platform()}
    print("whole process: sim run scenarios/fuxin.yaml ...", flush=True)
    results["sim_run"] = whole_process(args.repeats)
    results["import"] = import_time(args.repeats)
    scales = [100, 10] + ([1] if args.full else [])
    results["scales"] = []
    for s in scales:
        print(f"model alone, scale {s} ...", flush=True)
        results["scales"].append(run_python(_MODEL_SNIPPET.format(scenario=str(SCENARIO), scale=s, overrides=[])))
    print("per-mechanism profile at scale 10 ...", flush=True)
    results["profile_scale10"] = run_python(_PROFILE_SNIPPET.format(scenario=str(SCENARIO), scale=10))

    sr = results["sim_run"]
    print()
    print(f"{'measure':58s} {'value':>12s} {'goal':>10s}")
    print(f"{'sim run scenarios/fuxin.yaml, whole process (median s)':58s} {sr['median_s']:12.2f} {'<= 5':>10s}")
    print(f"{'  of which importing the CLI (median s)':58s} {results['import']['median_s']:12.2f}")
    print(f"{'  peak memory (MB)':58s} {sr['peak_mb']:12.0f}")
    for r in results["scales"]:
        label = f"model 2000-2035, scale {r['scale']} ({r['persons_rows_start']:,} person rows)"
        goal = "<= 60" if r["scale"] == 1 else ""
        print(f"{label + ' (s)':58s} {r['run_s']:12.2f} {goal:>10s}")
        goal_m = "<= 2048" if r["scale"] == 1 else ""
        print(f"{'  peak memory (MB)':58s} {r['peak_mb']:12.0f} {goal_m:>10s}")
    if len(results["scales"]) >= 2:
        per_row = [r["run_s"] / r["persons_rows_start"] * 1e6 for r in results["scales"]]
        print(f"{'cost per person row and run (microseconds), by scale':58s} {', '.join(f'{x:.0f}' for x in per_row):>12s}")
    prof = results["profile_scale10"]
    print(f"\nwhere the time goes (scale 10, {prof['steps']} monthly steps, {prof['total_s']:.1f} s):")
    for k, v in sorted(prof["per_mechanism_s"].items(), key=lambda kv: -kv[1]):
        print(f"  {k:36s} {v:8.2f} s  {100 * v / prof['total_s']:5.1f}%  {1000 * v / prof['steps']:7.2f} ms/step")
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
