"""The committed record of the benchmarks' last run: ``benchmarks/last_run.json``.

Each benchmark script writes its own section (``model``: ``run_benchmarks.py``; ``sweep``:
``sweep_benchmark.py``; ``hindcast``: ``hindcast_benchmark.py``) and keeps the others: the date, the commit, the machine, the command
and every figure with its goal, as the script printed them. The documentation's Benchmarks
page is generated from this file (``python -m simulator.docs_gen``). The full measurements
stay in the scripts' own, uncommitted, results files.

The record holds no path and no host name of the machine.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAST_RUN = ROOT / "benchmarks" / "last_run.json"


def cpu_model() -> str:
    """The processor's name (Linux: ``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown processor"


def machine() -> str:
    """The machine in a line: processor, cores, system, Python (no host name)."""
    return (f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}")


def commit() -> str:
    """The short commit of the code measured, with ``+changes`` when the work tree differs."""
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
        return out.stdout.strip() if out.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def write_section(section: str, figures: list[dict], *, tables: list[dict] | None = None,
                  load: str = "", notes: list[str] | None = None) -> None:
    """Record this run as ``section`` of ``benchmarks/last_run.json``, keeping the other sections.

    ``figures``: rows ``{"measure", "value", "goal", "met"}`` (strings; ``met`` true, false or
    null); ``tables``: further tables ``{"title", "columns", "rows"}``.
    """
    record = json.loads(LAST_RUN.read_text(encoding="utf-8")) if LAST_RUN.is_file() else {}
    record[section] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "machine": machine(),
        "load_average": load,
        "command": " ".join(["python", Path(sys.argv[0]).resolve().relative_to(ROOT).as_posix(), *sys.argv[1:]]),
        "recorded_by_script": True,
        "notes": notes or [],
        "figures": figures,
        "tables": tables or [],
    }
    LAST_RUN.write_text(json.dumps(dict(sorted(record.items())), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print("written benchmarks/last_run.json (commit it, then run python -m simulator.docs_gen)")
