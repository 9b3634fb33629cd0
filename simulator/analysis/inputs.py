"""What ``sim compare`` / ``sim report`` are given: scenario files to run, or results to read.

A scenario file (``.yaml``/``.yml``) is run with N seeds derived from one root
seed, the same seeds for every file (common random numbers), by
:func:`simulator.experiment.seeds.run_seeds`; anything else must be a run or
sweep directory (or hold some), read by :func:`simulator.analysis.load.read_results`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from simulator.analysis.compare import baseline_from_counterfactuals, unknown_baseline
from simulator.analysis.load import (
    Results,
    ResultsError,
    check_indicators,
    find_result_dirs,
    read_results,
)
from simulator.experiment.seeds import SeedJob, derive_seeds, run_seeds
from simulator.model.indicators import INDICATOR_UNITS

SCENARIO_SUFFIXES = (".yaml", ".yml")


def split_inputs(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """(scenario files, result directories) in the order given.

    Raises:
        ResultsError: a path does not exist, or is a file that is not a scenario, or a
            directory that is not (and holds no) run or sweep.
    """
    files, dirs = [], []
    for p in paths:
        p = Path(p)
        if p.is_file():
            if p.suffix.lower() not in SCENARIO_SUFFIXES:
                raise ResultsError(f"{p}: not a scenario file (.yaml) nor a run or sweep directory")
            files.append(p)
        else:
            find_result_dirs(p)  # raises with a clear message if it is neither
            dirs.append(p)
    return files, dirs


def seed_jobs(
    files: list[Path], *, seeds: int, root_seed: int | None = None, scale: int | None = None
) -> tuple[list[SeedJob], list[tuple[str, str | None]]]:
    """The runs to make for scenario files: every file at the same ``seeds`` seeds.

    The seeds come from ``root_seed`` (default: the first file's ``run.seed``).

    Returns:
        The jobs, and the scenario name and counterfactual of each file.

    Raises:
        ScenarioError: a file does not validate.
        ResultsError: the files are scenarios of different cities.
    """
    from simulator.scenario.loader import load_scenario

    if not files:
        return [], []
    scenarios = [load_scenario(f, scale=scale) for f in files]
    cities = {s.city.name for s in scenarios}
    if len(cities) > 1:
        listing = "; ".join(f"{f}: {s.city.name}" for f, s in zip(files, scenarios, strict=True))
        raise ResultsError(f"the scenarios are of different cities ({listing}); compare one city at a time")
    root = scenarios[0].run.seed if root_seed is None else root_seed
    run_seed_list = derive_seeds(root, seeds)
    jobs = [SeedJob(scenario_file=str(f), seed=s, scale=scale) for f in files for s in run_seed_list]
    return jobs, [(s.name, s.counterfactual) for s in scenarios]


def gather(
    paths: list[Path],
    *,
    seeds: int,
    runs_out: Path,
    root_seed: int | None = None,
    scale: int | None = None,
    workers: int | None = None,
    indicators: list[str] | None = None,
    only_available: bool = False,
    baseline: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    before_runs: Callable[[int], None] | None = None,
) -> Results:
    """Run the scenario files among ``paths`` (see :func:`seed_jobs`) and read them with the result
    directories among ``paths``.

    Args:
        paths: scenario files, run directories, sweep directories, directories holding runs.
        seeds: runs per scenario file.
        runs_out: results root for the runs made (existing identical runs there are reused).
        root_seed: root of the derived seeds (default: the first file's ``run.seed``).
        scale: persons per agent for the runs made (default: each scenario's).
        workers: processes (default: the machine's cores).
        indicators: indicators to read (default: all).
        only_available: drop requested indicators the runs lack (for a default set).
        baseline: the baseline's name, checked before any run starts when every input is a
            scenario file (otherwise :func:`~simulator.analysis.compare.build_comparison` checks it);
            without it, scenario files that do not name exactly one of them as their
            counterfactual are refused before any run starts too.
        progress: ``progress(done, total, reused)`` while running.
        before_runs: called with the number of runs to make before they start.
    """
    files, dirs = split_inputs(paths)
    jobs, named = seed_jobs(files, seeds=seeds, root_seed=root_seed, scale=scale)
    if jobs:
        # bad requests fail before minutes of runs, not after
        if indicators is not None and not only_available:
            check_indicators(indicators, list(INDICATOR_UNITS))
        names = list(dict.fromkeys(name for name, _ in named))
        if baseline is not None and not dirs and baseline not in names:
            raise unknown_baseline(baseline, names)
        if baseline is None and not dirs and len(names) > 1:
            baseline_from_counterfactuals([(name, name, cf) for name, cf in dict(named).items()])
    made: list[Path] = []
    if jobs:
        if before_runs:
            before_runs(len(jobs))
        made = run_seeds(jobs, out_root=runs_out, workers=workers, progress=progress)
    # keep the order the inputs were given in: it is the order of the scenarios in every figure
    ordered: list[Path] = []
    for p in paths:
        if Path(p) in files:
            ordered += made[:seeds]
            made = made[seeds:]
        else:
            ordered.append(Path(p))
    return read_results(ordered, indicators, only_available=only_available)
