"""Kill -9 of a running ``sim sweep`` process, then resume: the same files as an uninterrupted sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.experiment.sweep import run_sweep

N_RUNS = 8  # the tiny test sweep: 8 runs of the tiny city for one year
KILL_AFTER_PARTS = 2
TIMEOUT_SECONDS = 120  # generous: the machine may be busy


def _descendants(pid: int) -> set[int]:
    """Process ids below *pid* (Linux /proc), e.g. the forkserver and the workers."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc to find the worker processes")
def test_kill_9_part_way_then_resume_gives_the_uninterrupted_results(
    tiny_sweep_spec, local_sweep, sweep_files, tmp_path
) -> None:
    spec = tiny_sweep_spec

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli.main", "sweep", str(spec), "--out", str(killed), "--workers", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + TIMEOUT_SECONDS
    parts = killed / "parts"
    while not (parts.is_dir() and len(list(parts.glob("*.parquet"))) >= KILL_AFTER_PARTS):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sweep did not get going"
        time.sleep(0.005)
    helpers = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # its workers notice that the driver is gone and exit by themselves
    while any(_alive(p) for p in helpers):
        assert time.monotonic() < deadline, "worker processes outlived the killed sweep"
        time.sleep(0.05)
    done_before = len(list(parts.glob("*.parquet")))
    assert KILL_AFTER_PARTS <= done_before < N_RUNS
    assert not (killed / "runs.parquet").exists()

    summary = run_sweep(spec, out=killed, workers=2)
    assert summary.resumed and summary.already_done >= done_before - 1  # a part may lack its record
    assert (summary.done, summary.failed, summary.pending) == (N_RUNS, 0, 0)
    assert summary.already_done + summary.ran == N_RUNS
    assert sweep_files(killed) == sweep_files(local_sweep)
    assert not [p for p in killed.rglob(".*") if p.is_file()]  # no temporary file left
