"""Seeds for many runs, and several seeds of several scenarios run in parallel.

``sim compare`` and ``sim report`` run plain scenario files with ``--seeds N``:
every scenario gets the same N seeds, derived reproducibly from one root seed
(:func:`derive_seeds`), so that run *i* of the package and run *i* of the
baseline share their random draws (common random numbers) and their paired
difference shows the policy effect rather than noise.

:func:`run_seeds` is the one place that launches such runs: local processes
(:class:`concurrent.futures.ProcessPoolExecutor`), each writing an ordinary run
directory (worker processes are spawned, not forked). A run already present under the output root with the same resolved
scenario (same sha256, which covers the seed and scale) is reused, not rerun; every run
made keeps its ``regions.parquet`` (the regional table).

A caller that must be able to stop the runs (``sim dashboard``'s cancel button) passes
``stop``: the runs then always go to worker processes of
:class:`simulator.experiment.executors.LocalExecutor`, ``stop()`` is polled while they run,
and when it returns true the workers are terminated at once and :class:`RunsCancelled`
is raised. A run is written to a hidden temporary directory and renamed into place when
complete, so a stopped run leaves no run directory; its temporary directory is removed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_SEED = 2**32 - 1
STOP_POLL_SECONDS = 0.2
"""How often :func:`run_seeds` asks its ``stop`` callable whether to stop."""


class RunsCancelled(Exception):
    """:func:`run_seeds` was stopped by its caller; runs finished before are kept (``finished``)."""

    def __init__(self, finished: int, total: int) -> None:
        super().__init__(f"stopped after {finished} of {total} runs")
        self.finished = finished
        self.total = total
RUN_FILES = ("indicators.parquet", "regions.parquet")  # what a reusable run directory holds besides its manifest


def derive_seeds(root: int, n: int) -> list[int]:
    """``n`` run seeds from one root seed: the first 32-bit word of each spawned child sequence.

    The same root and ``n`` always give the same seeds, and the first ``k`` seeds
    of ``derive_seeds(root, n)`` are those of ``derive_seeds(root, k)``. Sweeps
    use the same seeds (seed index *k* of a sweep with root *R* is seed *k* of
    ``sim compare --seeds`` with root *R*), so their runs pair with such runs.
    """
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


DESIGN_STREAM_TAG = 0x5EED_DE51
"""Mixed into the root seed's entropy for sampling a sweep's design: a stream
independent of the run seeds (the root's spawned children)."""


def design_seed(root: int) -> int:
    """The seed for sampling a sweep's design (Latin hypercube, Sobol, Morris) under a root seed."""
    ss = np.random.SeedSequence([DESIGN_STREAM_TAG, root])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class SeedJob:
    """One run to make: a scenario file with its overrides, at one seed."""

    scenario_file: str
    seed: int
    overrides: tuple[str, ...] = ()
    scale: int | None = None


def _failed(manifest: dict) -> bool:
    """A run marked failed, or (older manifests) one whose accounting recorded a violation."""
    if str(manifest.get("status") or "").lower() == "failed":
        return True
    acc = manifest.get("accounting")
    return isinstance(acc, dict) and (acc.get("n_violations") or 0) > 0


def _existing_runs(out_root: Path, name: str) -> dict[str, Path]:
    """Run directories under ``out_root/name`` by their scenario sha256.

    Only whole runs of the current format count: a run made before the regional
    table existed (no ``regions.parquet``) is made again, so that ``--regions``
    and the report's Regions section can read every run; a failed run is made again too.
    """
    from simulator.experiment.paths import child_dir

    found: dict[str, Path] = {}
    parent = child_dir(out_root, name)  # where run_scenario writes this scenario's runs
    if not parent.is_dir():
        return found
    for manifest in sorted(parent.glob("*/manifest.json")):
        if not all((manifest.parent / f).is_file() for f in RUN_FILES):
            continue
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or _failed(data):
            continue  # a failed run is kept for inspection, never reused: the run is made again
        sha = data.get("scenario_sha256")
        if sha:
            found.setdefault(sha, manifest.parent)
    return found


def _run_one(job: SeedJob, out_root: str) -> str:
    """Worker: load, run and write one run directory; returns its path."""
    from simulator.experiment.run import run_scenario
    from simulator.scenario.loader import load_scenario

    scenario = load_scenario(job.scenario_file, overrides=job.overrides, seed=job.seed, scale=job.scale)
    result = run_scenario(scenario, out_root=out_root, source=job.scenario_file, overrides=job.overrides, overview=False)
    return str(result.directory)


def _run_job(payload: tuple[SeedJob, str]) -> str:
    """Worker task of the stoppable path: ``(job, out_root)`` -> the run directory."""
    job, out_root = payload
    return _run_one(job, out_root)


def _remove_partial_runs(out_root: Path, pids: list[int]) -> None:
    """Remove the temporary run directories that terminated workers leave (``.tmp-<run id>-<pid>``)."""
    for pid in pids:
        for tmp in out_root.glob(f"*/.tmp-*-{pid}"):
            shutil.rmtree(tmp, ignore_errors=True)


def run_seeds(
    jobs: list[SeedJob],
    *,
    out_root: Path,
    workers: int | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Path]:
    """Run every job (reusing finished identical runs) and return their run directories, in job order.

    Args:
        jobs: the runs to make.
        out_root: results root; each run goes to ``out_root/<scenario name>/<run id>/``.
        workers: processes to use (default: the machine's cores, at most one per run to make);
            1 runs everything in this process.
        progress: optional ``progress(done, total, reused)`` after each run.
        stop: optional; polled while the runs go on (every run then goes to a worker process,
            also with ``workers=1``): when it returns true, the workers are terminated and
            :class:`RunsCancelled` is raised.

    Raises:
        RunsCancelled: ``stop()`` returned true.
        ScenarioError: a scenario file or override does not validate.
        InconsistentScenarioError: a scenario cannot build its initial city.
    """
    from simulator.scenario.loader import load_scenario, scenario_sha256

    out_root = Path(out_root)
    result: list[Path | None] = [None] * len(jobs)
    todo: list[int] = []
    existing: dict[str, dict[str, Path]] = {}
    loaded: dict[tuple, object] = {}
    for i, job in enumerate(jobs):
        # validate in the parent (once per file), so that a bad file fails before any process starts
        key = (job.scenario_file, job.overrides, job.scale)
        if key not in loaded:
            loaded[key] = load_scenario(job.scenario_file, overrides=job.overrides, scale=job.scale)
        base = loaded[key]
        scenario = base.model_copy(update={"run": base.run.model_copy(update={"seed": job.seed})})
        if scenario.name not in existing:
            existing[scenario.name] = _existing_runs(out_root, scenario.name)
        found = existing[scenario.name].get(scenario_sha256(scenario))
        if found is not None:
            result[i] = found
        else:
            todo.append(i)
    reused = len(jobs) - len(todo)
    done = reused
    if progress:
        progress(done, len(jobs), reused)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    if stop is not None:
        _run_stoppable(jobs, todo, result, out_root, n_workers, stop, progress, reused)
    elif n_workers == 1:
        for i in todo:
            result[i] = Path(_run_one(jobs[i], str(out_root)))
            done += 1
            if progress:
                progress(done, len(jobs), reused)
    else:
        # fresh interpreters ("spawn"): forking a process that already runs pyarrow's threads is unsafe
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_run_one, jobs[i], str(out_root)): i for i in todo}
            for future in as_completed(futures):
                result[futures[future]] = Path(future.result())
                done += 1
                if progress:
                    progress(done, len(jobs), reused)
    return [p for p in result if p is not None]


def _run_stoppable(jobs, todo, result, out_root: Path, n_workers: int, stop, progress, reused: int) -> None:
    """The runs of ``todo`` on a :class:`LocalExecutor`'s processes, polling ``stop``."""
    from simulator.experiment.executors import LocalExecutor

    done = reused
    if stop():
        raise RunsCancelled(done, len(jobs))
    with LocalExecutor(n_workers) as executor:  # leaving by an exception terminates the workers
        pending = {executor.submit(_run_job, (jobs[i], str(out_root))): i for i in todo}
        while pending:
            if stop():
                _remove_partial_runs(out_root, executor.terminate())
                raise RunsCancelled(done, len(jobs))
            finished, _ = wait(pending, timeout=STOP_POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                i = pending.pop(future)
                result[i] = Path(future.result())
                done += 1
                if progress:
                    progress(done, len(jobs), reused)
