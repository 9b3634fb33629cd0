"""The panel's hindcast as a whole: ``sim hindcast calibration/panel.yaml`` timed against its goal.

Runs the whole command as a process (26 cities at each file's default scale, 10 seeds each,
2010-2020, 2 local workers: 260 runs), and prints its wall time against the goal of 10 minutes,
with the time of the runs alone and the wall time per run and worker. Usage::

    python benchmarks/hindcast_benchmark.py                       # the whole panel (about 10 minutes)
    python benchmarks/hindcast_benchmark.py --out results/hindcast/benchmark   # keep the table and figure

The command's own output (the predictions table) is printed as it comes. The figures against
their goal, with the date, commit and machine, go to the ``hindcast`` section of
``benchmarks/last_run.json`` (committed), from which ``python -m simulator.docs_gen`` writes the
documentation's Benchmarks page.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import load_average, write_section

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "calibration" / "panel.yaml"
GOAL_SECONDS = 600.0  # issue 18: the whole panel, 10 seeds, 2 workers, within 10 minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per city (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--out", type=Path, default=None, help="keep the hindcast's files here (default: a temporary directory)")
    args = parser.parse_args()

    load_start = load_average()
    with tempfile.TemporaryDirectory(prefix="hindcast-bench-") as tmp:
        out = args.out if args.out is not None else Path(tmp) / "out"
        cmd = [sys.executable, "-m", "simulator.cli.main", "hindcast", str(PANEL), "--from", "2010", "--to", "2020",
               "--seeds", str(args.seeds), "--workers", str(args.workers), "--out", str(out), "--quiet"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"sim hindcast failed (exit {proc.returncode})")
        record = json.loads((out / "hindcast.json").read_text(encoding="utf-8"))
    n_cities = len(record["cities"])
    runs = n_cities * record["seeds_per_city"]
    met = wall < GOAL_SECONDS
    print(f"\nsim hindcast {PANEL.relative_to(ROOT)}: {n_cities} cities x {record['seeds_per_city']} seeds = {runs} runs, "
          f"2010-2020, {args.workers} workers")
    print(f"  whole command: {wall:.0f} s wall ({wall / 60:.1f} min; goal under {GOAL_SECONDS / 60:.0f} min: "
          f"{'met' if met else 'NOT met'}); runs alone {record['wall_seconds']:.0f} s")
    per_run = record["wall_seconds"] * args.workers / runs  # the workers' processes are not this one's children
    print(f"  a run: {per_run:.2f} s of a worker's wall time")
    print(f"  load average: {load_start} at the start, {load_average()} at the end "
          "(other work on the machine slows every figure)")
    figures = [
        {"measure": f"sim hindcast, {n_cities} cities x {record['seeds_per_city']} seeds, 2010-2020, "
                    f"{args.workers} workers, whole command (s)",
         "value": f"{wall:.0f}", "goal": f"< {GOAL_SECONDS:.0f}", "met": met},
        {"measure": "  of which the runs (s)", "value": f"{record['wall_seconds']:.0f}", "goal": "", "met": None},
        {"measure": "  a run: wall time of a worker (s)", "value": f"{per_run:.2f}", "goal": "", "met": None},
    ]
    write_section("hindcast", figures, load=f"{load_start} at the start, {load_average()} at the end",
                  notes=[f"{runs} runs of the panel's cities at each file's default scale ({record['executor']})"])


if __name__ == "__main__":
    main()
