"""Many-objective robust search over lever sizes and timings (pymoo NSGA-II / NSGA-III).

A spec (:mod:`simulator.experiment.optimise_spec`) names the levers to choose (decision
variables), the uncertain parameters, the objectives and how a candidate is judged across a
sample of scenarios. Every candidate package the algorithm asks for is run at every scenario
(a point of the uncertain parameters and a seed: the same scenarios for every candidate, so
candidates are compared under common random numbers) through the project's executors, local
processes or Dask, exactly as sweeps run. Its value for each objective is a robustness
measure of the values over the scenarios:

* ``mean``: the mean;
* ``percentile`` (``q``): the value the candidate does at least as well as in all but q% of
  the scenarios (the q-th percentile of an objective to raise, the (100 - q)-th of one to
  lower: ``q: 10`` is a cautious choice, ``q: 50`` the median);
* ``regret``: the largest shortfall, over the scenarios, from the best value any candidate
  evaluated so far reached in that scenario (minimax regret, always lowered; measured when the
  candidate's generation is judged).

An optional budget is a constraint: the mean over the scenarios of the budget measure must
not exceed its ``max``. A candidate with a failed run (a scenario the model rejects, broken
accounts) is infeasible.

OPTIMISE_FORMAT (version 1), the result directory:

``spec.yaml``, ``base.resolved.yaml``
    The spec as given and the base scenario after ``extends:`` and ``set:`` (as sweeps).
``manifest.json``
    ``format`` (``"sim-optimise"``), version, name, spec and base fingerprints (what a resume
    checks), the scenarios (values and seeds), and the last ``sim optimise``'s counts.
``evals/<candidate>-c<scenario>.json``
    One record per run: the candidate's lever values, the scenario's index, uncertain values
    and seed, ``status`` (``done`` / ``failed``), ``error`` and the measures' values. The
    candidate part of the name is a fingerprint of its lever values.
``generations/gen_<n>.json``
    The candidates of generation n with their robust values and feasibility.
``pareto.csv``, ``pareto.json``
    The Pareto set at the end: one row per package, its levers and robust objective values.
``packages/<name>_pareto_<k>.yaml``
    Each Pareto package as a complete scenario (uncertain parameters and seed of the first
    scenario): ``sim run`` on it reproduces that run.

Resume: the search is replayed from its seed. Each generation asks for the same candidates as
before (pymoo is deterministic in its seed and in the values it is told), whose runs are read
from ``evals/`` instead of being run again; runs not recorded (lost to an interruption) or
recorded failed are run. So after Ctrl-C or ``kill -9`` at any moment, running the same
command again gives exactly the files of an uninterrupted search: no run lost, none run twice
once recorded. Every file is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulator.experiment.executors import ExecutorKind, error_text, make_executor
from simulator.experiment.files import (
    exclusive_lock,
    read_json,
    remove_stale_temporaries,
    tmp_name,
    write_atomic,
    write_json,
)
from simulator.experiment.optimise_spec import (
    MODEL,
    LoadedOptimiseSpec,
    Measure,
    OptimiseSpec,
    ScenarioPoint,
    decode,
    load_optimise_spec,
    overrides_of,
)
from simulator.experiment.paths import child_dir

FORMAT = "sim-optimise"
FORMAT_VERSION = 1
SPEC_FILE = "spec.yaml"
BASE_FILE = "base.resolved.yaml"
MANIFEST_FILE = "manifest.json"
EVALS_DIR = "evals"
GENERATIONS_DIR = "generations"
PACKAGES_DIR = "packages"
PARETO_CSV = "pareto.csv"
PARETO_JSON = "pareto.json"
LOCK_FILE = "optimise.lock"
BUDGET = "@budget"
"""Key of the budget measure in a run's values (no objective name can take it)."""
DONE, FAILED = "done", "failed"
INFEASIBLE = 1e6
"""Constraint value of a candidate with a failed run (any budget excess is far smaller)."""
WORST = 1e300
"""Objective value (to minimise) of a candidate with a failed run."""

DEFAULT_ROOT = Path("results") / "optimise"


class OptimiseError(Exception):
    """A search cannot start or go on (directory from another spec, locked, unreadable)."""


# ------------------------------------------------------------------ the worker side


@dataclass(frozen=True)
class EvalTask:
    """One run of one candidate at one scenario (small and picklable)."""

    out_dir: str
    eval_id: str
    evaluate: str
    levers: tuple[tuple[str, Any], ...]
    scenario: int
    uncertain: tuple[tuple[str, Any], ...]
    seed: int
    overrides: tuple[str, ...]
    measures: tuple[tuple[str, tuple[str, ...], int | None, tuple[int, int] | None, str], ...]


def measure_value(columns: dict[str, Any], indicators: Iterable[str], year: int | None, years: tuple[int, int] | None, aggregate: str) -> float:
    """One measure of a run from its yearly columns.

    Raises:
        KeyError: For an indicator or a year the run does not have.
    """
    run_years = [int(y) for y in columns["year"]]
    indicators = list(indicators)
    if year is not None:
        if year not in run_years:
            raise KeyError(f"the run has no year {year}")
        i = run_years.index(year)
        return float(sum(float(columns[ind][i]) for ind in indicators))
    rows = [i for i, y in enumerate(run_years) if years[0] <= y <= years[1]]
    if not rows:
        raise KeyError(f"the run has no year in {years[0]}-{years[1]}")
    per_year = [sum(float(columns[ind][i]) for ind in indicators) for i in rows]
    return float(sum(per_year) if aggregate == "sum" else sum(per_year) / len(per_year))


def evaluate_task(task: EvalTask) -> dict[str, Any]:
    """Run one candidate at one scenario in a worker; write its record.

    A problem with the run (a value the scenario rejects, broken accounts, a missing
    indicator) is recorded as ``failed`` with its message, not raised.

    Returns:
        The record (small: the measures' values).
    """
    d = Path(task.out_dir)
    if not (d / MANIFEST_FILE).is_file():
        raise OptimiseError(
            f"the result directory {task.out_dir} is not visible on this worker "
            "(workers on other machines need it on a shared file system at the same path)"
        )
    record: dict[str, Any] = {
        "eval_id": task.eval_id,
        "levers": dict(task.levers),
        "scenario": task.scenario,
        "uncertain": dict(task.uncertain),
        "seed": task.seed,
    }
    try:
        columns = _run_columns(task, d)
        values = {
            name: measure_value(columns, inds, year, years, agg) for name, inds, year, years, agg in task.measures
        }
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise ValueError(f"{bad[0]} is not a finite number")
        record.update(status=DONE, error=None, values=values)
    except Exception as exc:  # a failed run is a result (an infeasible candidate), not a crash
        record.update(status=FAILED, error=error_text(exc), values={})
    write_json(d / EVALS_DIR / f"{task.eval_id}.json", record)
    return record


def _run_columns(task: EvalTask, d: Path) -> dict[str, Any]:
    if task.evaluate == MODEL:
        from simulator.experiment.run import indicator_columns, simulate
        from simulator.model.accounts import AccountingError
        from simulator.scenario.loader import load_scenario

        scenario = load_scenario(d / BASE_FILE, overrides=task.overrides, seed=task.seed)
        model, _ = simulate(scenario)
        failure = model.failure()
        if failure is not None:
            raise AccountingError(failure)
        return indicator_columns(model)
    module, _, name = task.evaluate.partition(":")
    fn = getattr(importlib.import_module(module), name)
    return fn({**dict(task.levers), **dict(task.uncertain)}, task.seed)


# ------------------------------------------------------------------ robustness


def direction_sign(direction: str) -> float:
    """+1 for an objective to lower, -1 for one to raise (pymoo lowers every objective)."""
    return 1.0 if direction == "min" else -1.0


def robust_value(values: np.ndarray, measure: str, q: float | None, best: np.ndarray | None, direction: str) -> float:
    """One objective's robustness over the scenarios (natural sign, regret: a shortfall).

    Args:
        values: The candidate's value in each scenario.
        measure: ``mean``, ``percentile`` or ``regret``.
        q: For ``percentile``: the share (%) of scenarios allowed to do worse.
        best: The best value reached in each scenario, for ``regret``.
        direction: ``min`` or ``max``.
    """
    if measure == "mean":
        return float(np.mean(values))
    if measure == "percentile":  # q% of the scenarios may do worse
        return float(np.percentile(values, q if direction == "max" else 100.0 - q))
    shortfall = (values - best) if direction == "min" else (best - values)
    return float(np.max(shortfall))


# ------------------------------------------------------------------ the directory


def _eval_id(levers: dict[str, Any], scenario: ScenarioPoint, n_scenarios: int) -> str:
    key = hashlib.sha256(json.dumps(levers, sort_keys=True).encode()).hexdigest()[:16]
    width = max(1, len(str(n_scenarios - 1)))
    return f"{key}-c{scenario.index:0{width}d}"


def _manifest(loaded: LoadedOptimiseSpec) -> dict[str, Any]:
    from simulator import __version__
    from simulator.experiment.run import git_commit, library_versions
    from simulator.scenario.loader import scenario_sha256

    libs = library_versions()
    for lib in ("pymoo", "dask", "distributed"):
        libs[lib] = _version(lib)
    return {
        "kind": "optimise",
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": loaded.name,
        "description": loaded.spec.description,
        "spec_source": os.fspath(loaded.path),
        "spec_overrides": loaded.overrides,
        "spec_sha256": loaded.spec_sha256,
        "evaluate": loaded.spec.evaluate,
        "base_scenario_source": None if loaded.base_path is None else os.fspath(loaded.base_path),
        "base_scenario_sha256": None if loaded.base is None else scenario_sha256(loaded.base),
        "scenario_name": None if loaded.base is None else loaded.base.name,
        "scenarios": [
            {"index": s.index, "sample": s.sample, "seed_index": s.seed_index, "seed": s.seed, "values": s.values}
            for s in loaded.scenarios
        ],
        "package": "resource-city-sim",
        "version": __version__,
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": libs,
        "last_optimise": None,
    }


def _version(lib: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return None


def _create_dir(path: Path, loaded: LoadedOptimiseSpec) -> None:
    from simulator.scenario.loader import dump_resolved

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(path)
    tmp.mkdir()
    try:
        for sub in (EVALS_DIR, GENERATIONS_DIR):
            (tmp / sub).mkdir()
        (tmp / SPEC_FILE).write_bytes(loaded.text)
        if loaded.base is not None:
            (tmp / BASE_FILE).write_text(dump_resolved(loaded.base), encoding="utf-8")
        write_json(tmp / MANIFEST_FILE, _manifest(loaded))
        try:
            os.rename(tmp, path)  # replaces an empty directory, fails on a non-empty one
        except OSError:
            raise OptimiseError(f"{path} exists and is not an optimisation directory; choose another --out") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_same(path: Path, loaded: LoadedOptimiseSpec) -> dict[str, Any]:
    from simulator.scenario.loader import scenario_sha256

    m = read_json(path / MANIFEST_FILE)
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise OptimiseError(f"{path} is not an optimisation directory (no readable {MANIFEST_FILE}); choose another --out")
    if m.get("format_version") != FORMAT_VERSION:
        raise OptimiseError(f"{path} has format version {m.get('format_version')}, this program reads {FORMAT_VERSION}")
    if m["spec_sha256"] != loaded.spec_sha256:
        given = "".join(f" --set {o}" for o in loaded.overrides)
        raise OptimiseError(
            f"{path} was made from a different optimisation spec (its spec is {path / SPEC_FILE}"
            f"{''.join(f' --set {o}' for o in m.get('spec_overrides', []))}, not {loaded.path}{given}). "
            "Use another --out directory, or delete this one to start again"
        )
    if loaded.base is not None and m["base_scenario_sha256"] != scenario_sha256(loaded.base):
        raise OptimiseError(
            f"{path} was made from a different base scenario (the file {loaded.base_path} or what it extends "
            f"has changed since). Use another --out directory, or delete this one to start again"
        )
    return m


# ------------------------------------------------------------------ the driver


@dataclass(frozen=True)
class OptimiseStart:
    """Passed to ``on_start`` once the executor is ready."""

    directory: Path
    generations: int
    population: int
    scenarios: int
    recorded: int
    executor: str
    resumed: bool


@dataclass
class ParetoPackage:
    """One package of the Pareto set."""

    name: str
    levers: dict[str, Any]
    objectives: dict[str, float]
    budget: float | None
    eval_ids: list[str]


@dataclass
class OptimiseSummary:
    """What a ``sim optimise`` did and found.

    Attributes:
        directory: The result directory.
        ran: Runs executed this time.
        reused: Runs read from earlier records (a resume).
        failed: Runs recorded failed (their candidates are infeasible).
        generations: Generations judged.
        pareto: The Pareto set, ordered by the first objective.
        objectives: Objective name -> direction (``min``/``max``, or ``min`` for regret).
        executor: The executor's description.
        wall_seconds: Time spent searching.
        resumed: True if the directory existed.
        robustness: The robustness measure's description.
    """

    directory: Path
    ran: int
    reused: int
    failed: int
    generations: int
    pareto: list[ParetoPackage]
    objectives: dict[str, str]
    executor: str
    wall_seconds: float
    resumed: bool
    robustness: str
    lever_names: list[str]
    package_files: list[Path]


def run_optimisation(
    spec_path: str | os.PathLike[str],
    *,
    overrides: Iterable[str] = (),
    out: str | os.PathLike[str] | None = None,
    executor: ExecutorKind = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    start_method: str | None = None,
    on_start: Callable[[OptimiseStart], None] | None = None,
    on_eval: Callable[[dict[str, Any]], None] | None = None,
    on_generation: Callable[[int], None] | None = None,
) -> OptimiseSummary:
    """Run (or resume) a robust many-objective search.

    Args:
        spec_path: The optimisation spec.
        overrides: ``key=value`` changes to the spec (``algorithm.generations=4``).
        out: The result directory (default ``results/optimise/<spec name>``).
        executor, workers, scheduler, start_method: As for sweeps (:func:`make_executor`).
        on_start: Called once with an :class:`OptimiseStart` before the first run.
        on_eval: Called with each run's record as it finishes.
        on_generation: Called with the generation's number after it is judged.

    Raises:
        ScenarioError: For a bad spec or base scenario.
        OptimiseError: For a directory from another spec, locked or unreadable.
        ExecutorError: For bad executor options or an unreachable scheduler.
    """
    loaded = load_optimise_spec(spec_path, overrides)
    try:
        importlib.import_module("pymoo")
    except ImportError as exc:
        raise OptimiseError(
            f"sim optimise needs pymoo: pip install -c constraints.txt -e \".[explore]\" ({exc})"
        ) from None
    path = Path(out) if out is not None else child_dir(DEFAULT_ROOT, loaded.name)
    existing = path.is_dir() and (path / MANIFEST_FILE).exists()
    if existing:
        manifest = _check_same(path, loaded)
    elif path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise OptimiseError(f"{path} exists and is not an optimisation directory; choose another --out")
    with make_executor(executor, workers, scheduler, start_method=start_method) as ex:
        if not existing:
            _create_dir(path, loaded)
            manifest = read_json(path / MANIFEST_FILE)
        with exclusive_lock(path / LOCK_FILE, lambda: OptimiseError(f"another sim optimise is running on {path}")):
            remove_stale_temporaries((path, path / EVALS_DIR, path / GENERATIONS_DIR))
            search = _Search(loaded, path, ex, on_eval)
            description = ex.describe()
            if on_start is not None:
                a = loaded.spec.algorithm
                on_start(
                    OptimiseStart(path, a.generations, a.population, len(loaded.scenarios), len(search.recorded), description, existing)
                )
            t0 = time.perf_counter()
            try:
                result = search.run(on_generation)
            finally:
                manifest["last_optimise"] = {
                    "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                    "executor": description,
                    "ran": search.ran,
                    "reused": search.reused,
                    "generations": search.generation,
                    "wall_seconds": round(time.perf_counter() - t0, 3),
                }
                write_json(path / MANIFEST_FILE, manifest)
            files = _write_results(loaded, path, result)
    return OptimiseSummary(
        directory=path,
        ran=search.ran,
        reused=search.reused,
        failed=len(search.failed),
        generations=search.generation,
        pareto=result,
        objectives=_directions(loaded.spec),
        executor=description,
        wall_seconds=time.perf_counter() - t0,
        resumed=existing,
        robustness=_robustness_text(loaded.spec),
        lever_names=list(loaded.spec.levers),
        package_files=files,
    )


def _directions(spec: OptimiseSpec) -> dict[str, str]:
    regret = spec.robustness.measure == "regret"
    return {name: ("min" if regret else o.direction) for name, o in spec.objectives.items()}


def _robustness_text(spec: OptimiseSpec) -> str:
    r = spec.robustness
    if r.measure == "percentile":
        return f"percentile {r.q:g}"
    return "largest regret" if r.measure == "regret" else "mean"


def _measures(spec: OptimiseSpec) -> tuple[tuple[str, tuple[str, ...], int | None, tuple[int, int] | None, str], ...]:
    items: list[tuple[str, Measure]] = list(spec.objectives.items())
    if spec.budget is not None:
        items.append((BUDGET, spec.budget))
    return tuple(
        (name, tuple(m.indicators), m.year, None if m.years is None else (m.years[0], m.years[1]), m.aggregate)
        for name, m in items
    )


class _Search:
    """The ask-and-tell loop, with each run looked up in the records before it is run."""

    def __init__(self, loaded: LoadedOptimiseSpec, path: Path, ex, on_eval) -> None:
        self.loaded = loaded
        self.spec = loaded.spec
        self.path = path
        self.ex = ex
        self.on_eval = on_eval
        self.measures = _measures(self.spec)
        self.recorded: dict[str, dict[str, Any]] = {}
        for f in sorted((path / EVALS_DIR).glob("*.json")):
            rec = read_json(f)
            if isinstance(rec, dict) and rec.get("status") == DONE and rec.get("eval_id") == f.stem:
                self.recorded[f.stem] = rec
        self.from_disk = set(self.recorded)
        self.reused_ids: set[str] = set()
        self.failed: dict[str, dict[str, Any]] = {}
        self.ran = 0
        self.generation = 0
        n_obj = len(self.spec.objectives)
        self.best = np.full((len(loaded.scenarios), n_obj), np.nan)  # for regret, natural sign

    @property
    def reused(self) -> int:
        return len(self.reused_ids)

    def run(self, on_generation) -> list[ParetoPackage]:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pymoo's notes about its optional compiled modules
            from pymoo.core.evaluator import Evaluator
            from pymoo.core.problem import Problem
            from pymoo.problems.static import StaticProblem
            from pymoo.termination import get_termination

        spec = self.spec
        n_var, n_obj = len(spec.levers), len(spec.objectives)
        problem = Problem(n_var=n_var, n_obj=n_obj, n_ieq_constr=1, xl=np.zeros(n_var), xu=np.ones(n_var))
        algorithm = self._algorithm(n_obj)
        algorithm.setup(problem, termination=get_termination("n_gen", spec.algorithm.generations), seed=spec.scenarios.root)
        info: dict[str, dict[str, Any]] = {}
        while algorithm.has_next():
            pop = algorithm.ask()
            X = pop.get("X")
            candidates = [decode(spec, x) for x in X]
            F, G, rows = self._judge(candidates)
            Evaluator().eval(StaticProblem(problem, F=F, G=G), pop)
            algorithm.tell(infills=pop)
            write_json(self.path / GENERATIONS_DIR / f"gen_{self.generation:04d}.json", {"generation": self.generation, "candidates": rows})
            for row in rows:
                info.setdefault(row["candidate"], row)
            self.generation += 1
            if on_generation is not None:
                on_generation(self.generation)
        return self._pareto(algorithm, info)

    def _algorithm(self, n_obj: int):
        a = self.spec.algorithm
        if a.kind == "nsga2":
            from pymoo.algorithms.moo.nsga2 import NSGA2

            return NSGA2(pop_size=a.population)
        from pymoo.algorithms.moo.nsga3 import NSGA3
        from pymoo.util.ref_dirs import get_reference_directions

        partitions = a.partitions or _partitions_for(n_obj, a.population)
        ref_dirs = get_reference_directions("das-dennis", n_obj, n_partitions=partitions)
        return NSGA3(ref_dirs=ref_dirs, pop_size=max(a.population, len(ref_dirs)))

    def _judge(self, candidates: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """Run what is missing of these candidates' runs; their objectives and constraint."""
        scen = self.loaded.scenarios
        ids = [[_eval_id(c, s, len(scen)) for s in scen] for c in candidates]
        todo: dict[str, EvalTask] = {}
        for c, row in zip(candidates, ids, strict=True):
            for s, eid in zip(scen, row, strict=True):
                if eid in self.recorded or eid in self.failed or eid in todo:
                    continue
                todo[eid] = self._task(eid, c, s)
        self.reused_ids.update(eid for row in ids for eid in row if eid in self.from_disk)
        if todo:
            for outcome in self.ex.map_unordered(evaluate_task, list(todo.items())):
                rec = outcome.result if outcome.ok else self._lost(todo[outcome.key], outcome.error)
                self.ran += 1
                if rec["status"] == DONE:
                    self.recorded[rec["eval_id"]] = rec
                else:
                    self.failed[rec["eval_id"]] = rec
                if self.on_eval is not None:
                    self.on_eval(rec)
        names = list(self.spec.objectives)
        values = []
        for row in ids:
            recs = [self.recorded.get(eid) for eid in row]
            values.append(None if any(r is None for r in recs) else np.array([[r["values"][n] for n in names] for r in recs]))
        if self.spec.robustness.measure == "regret":
            for v in values:
                if v is None:
                    continue
                for j, name in enumerate(names):
                    col = v[:, j]
                    cur = self.best[:, j]
                    better = np.minimum if self.spec.objectives[name].direction == "min" else np.maximum
                    self.best[:, j] = np.where(np.isnan(cur), col, better(cur, col))
        F = np.full((len(candidates), len(names)), WORST)
        G = np.full((len(candidates), 1), INFEASIBLE)
        rows = []
        r = self.spec.robustness
        for i, (c, row, v) in enumerate(zip(candidates, ids, values, strict=True)):
            robust = None
            budget = None
            if v is not None:
                robust = {
                    name: robust_value(v[:, j], r.measure, r.q, self.best[:, j], self.spec.objectives[name].direction)
                    for j, name in enumerate(names)
                }
                for j, name in enumerate(names):
                    sign = 1.0 if r.measure == "regret" else direction_sign(self.spec.objectives[name].direction)
                    F[i, j] = sign * robust[name]
                G[i, 0] = -1.0
                if self.spec.budget is not None:
                    budget = float(np.mean([self.recorded[eid]["values"][BUDGET] for eid in row]))
                    cap = self.spec.budget.max
                    G[i, 0] = (budget - cap) / max(abs(cap), 1.0)
            rows.append(
                {
                    "candidate": row[0].split("-c")[0],
                    "levers": c,
                    "objectives": robust,
                    "budget": budget,
                    "feasible": bool(G[i, 0] <= 0),
                    "failed": [eid for eid in row if eid in self.failed],
                }
            )
        return F, G, rows

    def _task(self, eid: str, levers: dict[str, Any], s: ScenarioPoint) -> EvalTask:
        overrides = overrides_of(self.spec, levers, s.values) if self.loaded.uses_model else []
        return EvalTask(
            out_dir=os.fspath(self.path.resolve()),
            eval_id=eid,
            evaluate=self.spec.evaluate,
            levers=tuple(levers.items()),
            scenario=s.index,
            uncertain=tuple(s.values.items()),
            seed=s.seed,
            overrides=tuple(overrides),
            measures=self.measures,
        )

    def _lost(self, task: EvalTask, error: str | None) -> dict[str, Any]:
        """A run whose worker never reported: its record if it wrote one, else failed."""
        rec = read_json(self.path / EVALS_DIR / f"{task.eval_id}.json")
        if isinstance(rec, dict) and rec.get("status") == DONE:
            return rec
        rec = {
            "eval_id": task.eval_id,
            "levers": dict(task.levers),
            "scenario": task.scenario,
            "uncertain": dict(task.uncertain),
            "seed": task.seed,
            "status": FAILED,
            "error": error,
            "values": {},
        }
        write_json(self.path / EVALS_DIR / f"{task.eval_id}.json", rec)
        return rec

    def _pareto(self, algorithm, info: dict[str, dict[str, Any]]) -> list[ParetoPackage]:
        opt = algorithm.opt
        if opt is None or len(opt) == 0:
            return []
        n = len(self.loaded.scenarios)
        seen: dict[str, ParetoPackage] = {}
        for x, cv in zip(opt.get("X"), opt.get("CV")[:, 0], strict=True):
            if cv > 0:
                continue
            levers = decode(self.spec, x)
            key = _eval_id(levers, self.loaded.scenarios[0], n).split("-c")[0]
            if key in seen:
                continue
            row = info[key]
            seen[key] = ParetoPackage(
                name="",
                levers=levers,
                objectives=row["objectives"],
                budget=row["budget"],
                eval_ids=[_eval_id(levers, s, n) for s in self.loaded.scenarios],
            )
        first = next(iter(self.spec.objectives))
        packages = sorted(seen.values(), key=lambda p: (p.objectives[first], json.dumps(p.levers, sort_keys=True)))
        width = max(2, len(str(len(packages))))
        for k, p in enumerate(packages):
            p.name = f"{self.loaded.name}_pareto_{k + 1:0{width}d}"
        return packages


def _partitions_for(n_obj: int, population: int) -> int:
    """The most Das-Dennis partitions whose reference directions do not outnumber the population."""
    p = 1
    while math.comb(p + 1 + n_obj - 1, n_obj - 1) <= population:
        p += 1
    return p


# ------------------------------------------------------------------ results


def _write_results(loaded: LoadedOptimiseSpec, path: Path, pareto: list[ParetoPackage]) -> list[Path]:
    spec = loaded.spec
    levers, objectives = list(spec.levers), list(spec.objectives)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["package", *levers, *objectives, *(["budget_mean"] if spec.budget else [])])
    for p in pareto:
        w.writerow([p.name, *(p.levers[n] for n in levers), *(repr(p.objectives[n]) for n in objectives),
                    *([repr(p.budget)] if spec.budget else [])])
    write_atomic(path / PARETO_CSV, buf.getvalue().encode())
    write_json(
        path / PARETO_JSON,
        {
            "robustness": spec.robustness.model_dump(exclude_none=True),
            "objectives": {n: o.model_dump(exclude_none=True) for n, o in spec.objectives.items()},
            "packages": [
                {"name": p.name, "levers": p.levers, "objectives": p.objectives, "budget_mean": p.budget, "runs": p.eval_ids}
                for p in pareto
            ],
        },
    )
    if not loaded.uses_model:
        return []
    return _write_packages(loaded, path, pareto)


def _write_packages(loaded: LoadedOptimiseSpec, path: Path, pareto: list[ParetoPackage]) -> list[Path]:
    """Each Pareto package as a complete scenario file (all or nothing: a folder renamed into place)."""
    from simulator.scenario.loader import dump_resolved, load_scenario

    first = loaded.scenarios[0]
    folder = path / PACKAGES_DIR
    tmp = tmp_name(folder)
    tmp.mkdir()
    try:
        for p in pareto:
            sets = overrides_of(loaded.spec, p.levers, first.values) + [f"name={p.name}"]
            scenario = load_scenario(path / BASE_FILE, overrides=sets, seed=first.seed)
            shown = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.levers.items())
            uncertain = ", ".join(f"{k}={v!r}" for k, v in first.values.items()) or "none"
            objs = ", ".join(f"{k} {v:.6g}" for k, v in p.objectives.items())
            header = (
                f"# Pareto package {p.name} of sim optimise {loaded.name}: {shown}.\n"
                f"# Robust objectives over {len(loaded.scenarios)} scenarios ({_robustness_text(loaded.spec)}): {objs}.\n"
                f"# Uncertain parameters and seed are those of scenario 0 ({uncertain}; seed {first.seed}):\n"
                f"# `sim run` on this file reproduces that run ({path.name}/{EVALS_DIR}/{p.eval_ids[0]}.json).\n"
            )
            (tmp / f"{p.name}.yaml").write_text(header + dump_resolved(scenario), encoding="utf-8")
        old = None
        if folder.exists():
            old = tmp_name(folder)
            os.rename(folder, old)
        os.rename(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(folder.glob("*.yaml"))


def read_pareto_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a result directory's ``pareto.csv``."""
    return list(csv.DictReader(io.StringIO((path / PARETO_CSV).read_text(encoding="utf-8"))))
