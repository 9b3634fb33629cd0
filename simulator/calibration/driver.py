"""The calibration driver: search, checkpoints and the result directory.

``run_calibration`` fits the spec's free parameters in four stages:

1. **base**: the base scenario's own values (the hand calibration), if they lie
   within the bounds, so the search can only improve on them;
2. **global**: a space-filling design over the bounds (scrambled Sobol points or
   a Latin hypercube, :mod:`scipy.stats.qmc`; positions in ``[0, 1]`` per
   parameter, mapped to the bounds on a linear or log scale);
3. **local**: Nelder-Mead (:func:`scipy.optimize.minimize`, adaptive, bounded to
   the unit cube) from the best candidate so far, until the budget is spent (less
   the polish budget);
3b. **polish** (if ``optimiser.polish_budget``): a compass search from the best
   candidate: all ``+-polish_step`` moves along each parameter are run in parallel,
   the best improving one is taken, else the step is halved. Nelder-Mead stalls on
   the slightly rough objective of a stochastic model; the compass search ends at
   a point no single-parameter move improves;
4. **report**: the base scenario and the best candidate on further seeds (the
   report's bands), and a one-dimensional profile of the objective along each
   parameter through the best candidate.

The budget counts distinct candidates of stages 1-3; each candidate is run on
every seed of ``seeds.per_evaluation`` (the same seeds for every candidate:
common random numbers). Runs go to the shared executors
(:func:`simulator.experiment.executors.make_executor`): all runs of the global
stage at once, the seeds of one candidate at a time in the local stage.

CALIBRATION_DIR: a result directory ``<spec folder>/results/<name>/`` holds

``spec.yaml``
    The spec exactly as given (bytes).
``manifest.json``
    ``format`` (``"sim-calibration"``), ``format_version``, the spec's
    ``fingerprint`` (what a resume checks), names, seeds, parameters (keys,
    bounds, fitted value), targets, versions and ``status``
    (``running`` / ``complete``) with counts and wall time.
``state.json``
    The checkpoint: every finished run's moments (or error), by candidate
    and seed. Rewritten atomically after every run.
``fitted.yaml``, ``history.csv``, ``fit.csv``, ``parameters.csv``,
``profiles.csv``, ``profiles.png``, ``report.md``
    The outputs (see :mod:`simulator.calibration.report`), written when the
    search and report are complete.

Checkpoints and resume: the search is deterministic given the spec (the design
is seeded, Nelder-Mead is deterministic and every run depends only on its
candidate and seed), so a resumed calibration replays the search from the
start, taking every run already in ``state.json`` from there and running only
the missing ones: after an interruption (Ctrl-C, a killed process) the same
command finishes with exactly the results of an uninterrupted calibration. A
larger ``--budget`` on a finished calibration continues its search the same
way, and a spec with other weights, bounds, optimiser or report settings
re-runs its search reusing every run that applies. A changed base scenario,
other targets (indicator, year, kind) or other seeds make runs incomparable
(another fingerprint): that directory is refused.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulator.calibration.objective import (
    FAILED_OBJECTIVE,
    RunPayload,
    deviations,
    mean_moments,
    moment_spec,
    objective,
    run_moments,
)
from simulator.calibration.spec import (
    FreeParameter,
    LoadedCalibration,
    Target,
    load_calibration_spec,
)
from simulator.experiment.executors import ExecutorKind, make_executor
from simulator.experiment.files import (
    exclusive_lock,
    read_json,
    remove_stale_temporaries,
    tmp_name,
    write_atomic,
    write_json,
)
from simulator.experiment.seeds import design_seed
from simulator.experiment.sweep_spec import override_value

FORMAT = "sim-calibration"
FORMAT_VERSION = 1
SPEC_FILE = "spec.yaml"
MANIFEST_FILE = "manifest.json"
STATE_FILE = "state.json"
LOCK_FILE = "calibration.lock"
WORKER_DIED = "worker process died"

Event = dict[str, Any]


class CalibrationError(Exception):
    """A calibration cannot start or go on (another spec's directory, locked, a lost worker)."""


# ------------------------------------------------------------------ files


# ------------------------------------------------------------------ the checkpoint


class RunCache:
    """Finished runs by candidate and seed, saved atomically to ``state.json``.

    A record is ``{"m": [moment per target], "ok": accounting held}`` or
    ``{"error": "Type: message"}`` (a run that failed: the same inputs fail again).
    """

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.runs: dict[str, dict[str, dict[str, Any]]] = {}

    @classmethod
    def open(cls, path: Path, fingerprint: str) -> RunCache:
        cache = cls(path, fingerprint)
        state = read_json(path)
        if isinstance(state, dict) and state.get("fingerprint") == fingerprint:
            cache.runs = state.get("runs", {})
        elif state is not None and path.exists():
            raise CalibrationError(
                f"{path} belongs to another calibration spec (fingerprint {str(state.get('fingerprint'))[:12]}); "
                "use another --out directory, or delete this one to start again"
            )
        return cache

    def get(self, key: str, seed: int) -> dict[str, Any] | None:
        return self.runs.get(key, {}).get(str(seed))

    def put(self, key: str, seed: int, record: dict[str, Any]) -> None:
        self.runs.setdefault(key, {})[str(seed)] = record

    @property
    def n_runs(self) -> int:
        return sum(len(v) for v in self.runs.values())

    def save(self) -> None:
        state = {"format": FORMAT + "-state", "format_version": FORMAT_VERSION, "fingerprint": self.fingerprint, "runs": self.runs}
        write_atomic(self.path, json.dumps(state, separators=(",", ":"), sort_keys=True).encode())


# ------------------------------------------------------------------ candidates


@dataclass(frozen=True)
class Candidate:
    """Values of the free parameters, and the overrides that apply them.

    ``overrides`` apply them to the one base scenario (in a panel: the first city's);
    ``city_overrides`` holds a panel's ``(city, overrides)`` of every city (a multiplier
    multiplies each city's own base values), empty for one base.
    """

    values: dict[str, float | int]
    unit: tuple[float, ...]
    overrides: tuple[str, ...]
    city_overrides: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def key(self) -> str:
        return "\n".join(self.overrides)

    def overrides_in(self, city: str) -> tuple[str, ...]:
        """The overrides in a city's scenario (``""``: the one base)."""
        for name, overrides in self.city_overrides:
            if name == city:
                return overrides
        return self.overrides


def _overrides(params: Sequence[FreeParameter], values: dict[str, float | int], city: str) -> tuple[str, ...]:
    return tuple(f"{k}={override_value(v)}" for fp in params for k, v in fp.key_values(values[fp.name], city))


def candidate_from_values(params: Sequence[FreeParameter], values: dict[str, float | int]) -> Candidate:
    cities = [c for c, _, _ in params[0].by_city] if params and params[0].by_city else []
    city_overrides = tuple((c, _overrides(params, values, c)) for c in cities)
    overrides = city_overrides[0][1] if city_overrides else _overrides(params, values, "")
    unit = tuple(float(np.clip(fp.to_unit(values[fp.name]), 0.0, 1.0)) for fp in params)
    return Candidate(dict(values), unit, overrides, city_overrides)


def candidate_from_unit(params: Sequence[FreeParameter], u: Sequence[float]) -> Candidate:
    values = {fp.name: fp.from_unit(x) for fp, x in zip(params, u, strict=True)}
    c = candidate_from_values(params, values)
    return Candidate(c.values, tuple(float(min(1.0, max(0.0, x))) for x in u), c.overrides, c.city_overrides)


BASE_CANDIDATE = Candidate({}, (), ())
"""The base scenario unchanged (the report's "before"; in a panel: every city's)."""


def run_key(c: Candidate, city: str) -> str:
    """A run's key in the checkpoint: the candidate's overrides in the city's scenario, after the
    city's name in a panel (one base: the candidate's key, as before panels existed)."""
    text = "\n".join(c.overrides_in(city))
    return f"{city}\n{text}" if city else text


@dataclass
class Evaluation:
    """A candidate run on a set of seeds.

    Attributes:
        candidate: The candidate.
        seeds: The seeds it was run on.
        per_seed: One row of moments per seed (empty if a run failed).
        error: The first run error, if any.
        simulated: Mean moments over the seeds.
        devs: Deviation per target.
        objective: The objective (``FAILED_OBJECTIVE`` if a run failed).
        accounting_ok: True if every run's accounting checks held.
    """

    candidate: Candidate
    seeds: list[int]
    per_seed: list[list[float]]
    error: str | None
    simulated: list[float]
    devs: list[float]
    objective: float
    accounting_ok: bool

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class HistoryRow:
    """One candidate of the search (or of a profile), in the order it was asked for."""

    index: int
    stage: str
    evaluation: Evaluation


class Evaluator:
    """Runs candidates on seeds through an executor, through the checkpoint cache."""

    def __init__(
        self,
        loaded: LoadedCalibration,
        cache: RunCache,
        executor,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.loaded = loaded
        self.cache = cache
        self.executor = executor
        self.on_event = on_event or (lambda e: None)
        self.ran = 0
        self.set_targets()

    def set_targets(self) -> None:
        """Take the moments every run computes from the calibration's targets (per city)."""
        self.moments = {city: moment_spec(self.loaded.city_targets(city)) for city in self.loaded.cities}
        # where each target's moment is: (city, position among the city's moments)
        seen: dict[str, int] = {}
        self.where: list[tuple[str, int]] = []
        for t in self.loaded.targets:
            self.where.append((t.city, seen.get(t.city, 0)))
            seen[t.city] = seen.get(t.city, 0) + 1

    def evaluate(self, candidates: Sequence[Candidate], seeds: Sequence[int]) -> list[Evaluation]:
        """Run every candidate on every seed, in every city of a panel (runs in the cache are not
        run again)."""
        todo: dict[tuple[str, int], RunPayload] = {}
        for c in candidates:
            for city, base in self.loaded.cities.items():
                if not self.moments[city]:
                    continue  # a city without targets (all skipped) need not run
                key = run_key(c, city)
                for s in seeds:
                    if self.cache.get(key, s) is None and (key, s) not in todo:
                        todo[(key, s)] = RunPayload(base.text, c.overrides_in(city), s, self.moments[city])
        if todo:
            for outcome in self.executor.map_unordered(run_moments, list(todo.items())):
                key, seed = outcome.key
                if outcome.ok:
                    record = {"m": outcome.result["m"], "ok": outcome.result["accounting_ok"]}
                elif outcome.error and outcome.error.startswith(WORKER_DIED):
                    raise CalibrationError(
                        f"a worker process died ({outcome.error}); run the same command again to resume"
                    )
                else:
                    record = {"error": outcome.error}
                self.cache.put(key, seed, record)
                self.cache.save()
                self.ran += 1
                self.on_event({"event": "run", "ok": "error" not in record})
        return [self._collect(c, seeds) for c in candidates]

    def _collect(self, c: Candidate, seeds: Sequence[int]) -> Evaluation:
        targets = self.loaded.targets
        cities = [city for city in self.loaded.cities if self.moments[city]]
        records = {(city, s): self.cache.get(run_key(c, city), s) for city in cities for s in seeds}
        error = None
        for (city, _), r in records.items():
            if r is not None and "error" in r:
                error = f"{city}: {r['error']}" if city else r["error"]
                break
        if error is None and any(r is not None and r.get("ok") is False for r in records.values()):
            # a run cached before accounting failures became errors: it failed all the same
            error = "AccountingError: the run broke its accounting checks"
        if error is not None:
            nan = [float("nan")] * len(targets)
            return Evaluation(c, list(seeds), [], error, nan, nan, FAILED_OBJECTIVE, False)
        per_seed = [[float(records[(city, s)]["m"][k]) for city, k in self.where] for s in seeds]  # type: ignore[index]
        sim = mean_moments(per_seed).tolist()
        devs = deviations(targets, sim)
        return Evaluation(
            c, list(seeds), per_seed, None, sim, devs, objective(targets, devs), all(r["ok"] for r in records.values())  # type: ignore[index]
        )


# ------------------------------------------------------------------ the search


class _BudgetSpent(Exception):
    pass


@dataclass
class SearchResult:
    """What the search stages found."""

    history: list[HistoryRow] = field(default_factory=list)
    best: HistoryRow | None = None
    local_message: str = ""


def global_design(loaded: LoadedCalibration, n: int) -> np.ndarray:
    """The first *n* points of the global stage's design in the unit cube."""
    from scipy.stats import qmc

    d = len(loaded.parameters)
    o = loaded.spec.optimiser
    rng = np.random.default_rng(design_seed(loaded.spec.seeds.root))
    if n <= 0:
        return np.zeros((0, d))
    if o.global_method == "sobol":
        m = int(math.log2(o.global_samples))
        return qmc.Sobol(d, scramble=True, rng=rng).random_base2(m)[:n]
    return qmc.LatinHypercube(d, rng=rng).random(o.global_samples)[:n]


def base_candidate(params: Sequence[FreeParameter]) -> Candidate | None:
    """The base scenario's values as a candidate, if every one lies within its bounds."""
    values: dict[str, float | int] = {}
    for fp in params:
        v = fp.base_value
        if v is None or not fp.low <= v <= fp.high:
            return None
        values[fp.name] = int(v) if fp.type == "integer" else v
    return candidate_from_values(params, values)


def start_candidate(params: Sequence[FreeParameter], start: dict[str, float]) -> Candidate:
    """A warm start (``optimiser.starts``) as a candidate: its values, the base values for the
    parameters it leaves out (checked within bounds when the spec was loaded)."""
    values: dict[str, float | int] = {}
    for fp in params:
        v = start.get(fp.name, fp.base_value)
        values[fp.name] = int(round(v)) if fp.type == "integer" else float(v)
    return candidate_from_values(params, values)


def search(loaded: LoadedCalibration, ev: Evaluator, on_event: Callable[[Event], None]) -> SearchResult:
    """Stages 1-3: base values and warm starts, global design, Nelder-Mead, compass polish; within
    the budget."""
    params = loaded.parameters
    seeds = loaded.seeds
    budget = loaded.budget
    result = SearchResult()
    seen: dict[str, HistoryRow] = {}

    def record(stage: str, evaluations: Sequence[Evaluation]) -> None:
        for e in evaluations:
            row = HistoryRow(len(result.history), stage, e)
            result.history.append(row)
            seen.setdefault(e.candidate.key, row)
            # only a candidate whose runs all finished with their accounts intact can be the best
            if e.ok and (result.best is None or e.objective < result.best.evaluation.objective):
                result.best = row
            best = None if result.best is None else result.best.evaluation.objective
            on_event({"event": "candidate", "stage": stage, "objective": e.objective, "best": best})

    first = base_candidate(params)
    if first is not None:
        on_event({"event": "stage", "stage": "base", "candidates": 1})
        record("base", ev.evaluate([first], seeds))
    starts = [start_candidate(params, s) for s in loaded.spec.optimiser.starts][: max(0, budget - len(result.history))]
    if starts:
        on_event({"event": "stage", "stage": "start", "candidates": len(starts)})
        record("start", ev.evaluate(starts, seeds))
    n_global = min(loaded.spec.optimiser.global_samples, budget - len(result.history))
    if n_global > 0:
        on_event({"event": "stage", "stage": "global", "candidates": n_global})
        cands = [candidate_from_unit(params, u) for u in global_design(loaded, n_global)]
        record("global", ev.evaluate(cands, seeds))
    polish = min(loaded.spec.optimiser.polish_budget, max(0, budget - len(result.history)))
    n_local = budget - len(result.history) - polish
    if loaded.spec.optimiser.local_method == "nelder-mead" and n_local > 0 and result.best is not None:
        on_event({"event": "stage", "stage": "local", "candidates": n_local})
        result.local_message = _nelder_mead(loaded, ev, result, seen, record, n_local)
    n_polish = budget - len(result.history)
    if polish > 0 and n_polish > 0 and result.best is not None:
        on_event({"event": "stage", "stage": "polish", "candidates": n_polish})
        result.local_message += "; " + _pattern_search(loaded, ev, result, seen, record, n_polish)
    return result


def _pattern_search(loaded, ev, result: SearchResult, seen, record, n: int) -> str:
    """Compass search from the best candidate: poll +-step along each parameter (all polls of a
    round run in parallel), move to the best poll if it improves, else halve the step."""
    params = loaded.parameters
    step = loaded.spec.optimiser.polish_step
    spent = 0
    rounds = 0
    while spent < n and step >= 1e-3:
        x = result.best.evaluation.candidate.unit
        polls: list[Candidate] = []
        for i in range(len(params)):
            for sign in (-1.0, 1.0):
                u = list(x)
                u[i] = min(1.0, max(0.0, u[i] + sign * step))
                c = candidate_from_unit(params, u)
                if c.key not in seen and all(c.key != p.key for p in polls):
                    polls.append(c)
        polls = polls[: n - spent]
        before = result.best.evaluation.objective
        if polls:
            record("polish", ev.evaluate(polls, loaded.seeds))
            spent += len(polls)
            rounds += 1
        if result.best.evaluation.objective >= before:
            step /= 2
    return f"compass search: {rounds} round(s), {spent} candidates, final step {step:g}"


def _nelder_mead(loaded, ev, result: SearchResult, seen, record, n_local: int) -> str:
    from scipy.optimize import minimize

    params = loaded.parameters
    d = len(params)
    x0 = np.array(result.best.evaluation.candidate.unit, dtype=float)
    step = loaded.spec.optimiser.local_step
    simplex = [x0]
    for i in range(d):
        x = x0.copy()
        x[i] = x[i] + step if x[i] + step <= 1.0 else x[i] - step
        simplex.append(x)
    spent = {"n": 0}

    def f(x: np.ndarray) -> float:
        c = candidate_from_unit(params, x)
        if c.key in seen:
            return seen[c.key].evaluation.objective
        if spent["n"] >= n_local:
            raise _BudgetSpent
        spent["n"] += 1
        (e,) = ev.evaluate([c], loaded.seeds)
        record("local", [e])
        return e.objective

    try:
        res = minimize(
            f,
            x0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * d,
            options={
                "initial_simplex": np.array(simplex),
                "maxfev": 10 * n_local + 10 * (d + 1),  # the budget is enforced by f
                "maxiter": 10 * n_local + 10 * (d + 1),
                "xatol": 1e-4,
                "fatol": 1e-10,
                "adaptive": d > 2,
            },
        )
        return f"Nelder-Mead stopped: {res.message}"
    except _BudgetSpent:
        return f"Nelder-Mead stopped: budget of {n_local} local candidates spent"


# ------------------------------------------------------------------ the report stage


@dataclass
class ReportRuns:
    """Evaluations made for the report."""

    before: Evaluation
    after: Evaluation
    noise_groups: list[float]
    profiles: dict[str, list[HistoryRow]]


def profile_positions(u: float, points: int, step: float) -> list[float]:
    """Positions of a profile around *u*: ``u -/+ step * 2**k`` for k = 0, 1, ... (half of
    *points* on each side, the extra one below), clipped to [0, 1], sorted, without repeats."""
    below, above = (points + 1) // 2, points // 2
    xs = [u - step * 2**k for k in range(below)] + [u + step * 2**k for k in range(above)]
    out: list[float] = []
    for x in sorted(min(1.0, max(0.0, x)) for x in xs):
        if x != u and x not in out:
            out.append(x)
    return out


def report_stage(loaded: LoadedCalibration, ev: Evaluator, best: HistoryRow, on_event) -> ReportRuns:
    params = loaded.parameters
    rs = loaded.report_seeds
    prof_cands: dict[str, list[Candidate]] = {}
    for j, fp in enumerate(params):
        pts: list[Candidate] = []
        for x in profile_positions(best.evaluation.candidate.unit[j], loaded.spec.report.profile_points, loaded.spec.report.profile_step):
            u = list(best.evaluation.candidate.unit)
            u[j] = x
            c = candidate_from_unit(params, u)
            if c.key != best.evaluation.candidate.key and all(c.key != o.key for o in pts):
                pts.append(c)
        prof_cands[fp.name] = pts
    n_runs = 2 * len(rs) + sum(len(v) for v in prof_cands.values()) * len(loaded.seeds)
    on_event({"event": "stage", "stage": "report", "runs": n_runs})
    before, after = ev.evaluate([BASE_CANDIDATE, best.evaluation.candidate], rs)
    groups = []
    k = len(loaded.seeds)
    if after.ok:
        for g in range(len(rs) // k):
            rows = after.per_seed[g * k : (g + 1) * k]
            sim = mean_moments(rows).tolist()
            groups.append(objective(loaded.targets, deviations(loaded.targets, sim)))
    flat = [c for v in prof_cands.values() for c in v]
    evals = iter(ev.evaluate(flat, loaded.seeds))
    profiles = {name: [HistoryRow(i, "profile", next(evals)) for i, _ in enumerate(v)] for name, v in prof_cands.items()}
    return ReportRuns(before, after, groups, profiles)


# ------------------------------------------------------------------ the directory


def default_out(loaded: LoadedCalibration, synthetic: bool = False) -> Path:
    """``<spec folder>/results/<name>`` (``<name>-synthetic`` for an identification check)."""
    from simulator.experiment.paths import child_dir

    return child_dir(loaded.path.parent / "results", loaded.name + ("-synthetic" if synthetic else ""))  # a slug, inside results/


def _manifest(loaded: LoadedCalibration, truth: dict[str, float] | None, path: Path) -> dict[str, Any]:
    """The manifest of a new result directory at *path* (file paths relative to it)."""
    from simulator import __version__
    from simulator.experiment.run import git_commit, library_versions

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": loaded.name,
        "description": loaded.spec.description,
        "fingerprint": loaded.fingerprint,
        "spec_source": os.fspath(loaded.path),
        "base_scenario": None if loaded.is_panel else os.path.relpath(os.path.abspath(loaded.base_path), os.path.abspath(path)),
        "base_scenario_overrides": list(loaded.spec.set),
        "base_scenario_sha256": None if loaded.is_panel else loaded.base_sha256,
        "scenario_name": None if loaded.is_panel else loaded.base.name,
        "panel": (
            {
                c: {"scenario": os.path.relpath(os.path.abspath(b.path), os.path.abspath(path)), "sha256": b.sha256, "name": b.scenario.name}
                for c, b in loaded.cities.items()
            }
            if loaded.is_panel
            else None
        ),
        "skipped_targets": [list(x) for x in loaded.skipped_targets],
        "observed_files": [os.path.relpath(os.path.abspath(f), os.path.abspath(path)) for f in loaded.observed_paths],
        "observed_file": (  # the first (what --validate reads)
            os.path.relpath(os.path.abspath(loaded.observed_paths[0]), os.path.abspath(path)) if loaded.observed_paths else None
        ),
        "seeds": {"root": loaded.spec.seeds.root, "per_evaluation": loaded.seeds, "report": loaded.report_seeds},
        "optimiser": loaded.spec.optimiser.model_dump(),
        "truth": truth,
        "package": "resource-city-sim",
        "version": __version__,
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": {**library_versions(), "SALib": None, "scipy": _version("scipy")},
        "status": "running",
    }


def _version(lib: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return None


def open_result_dir(path: Path, loaded: LoadedCalibration, truth: dict[str, float] | None) -> tuple[dict[str, Any], bool]:
    """Create the result directory (complete, then renamed) or open an existing one of the same spec."""
    manifest = read_json(path / MANIFEST_FILE)
    if path.exists():
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
            else:
                raise CalibrationError(f"{path} exists and is not a calibration directory; choose another --out")
        elif manifest.get("fingerprint") != loaded.fingerprint:
            raise CalibrationError(
                f"{path} was made from a different calibration spec (its base scenario, targets or seeds differ) "
                f"(fingerprint {str(manifest.get('fingerprint'))[:12]} there, {loaded.fingerprint[:12]} now); "
                f"its spec is {path / SPEC_FILE}. Use another --out directory, or delete this one to start again"
            )
        else:
            return manifest, True
    manifest = _manifest(loaded, truth, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(path)
    tmp.mkdir()
    try:
        (tmp / SPEC_FILE).write_bytes(loaded.text)
        write_json(tmp / MANIFEST_FILE, manifest)
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest, False


# ------------------------------------------------------------------ the whole calibration


@dataclass
class CalibrationSummary:
    """What ``sim calibrate`` did."""

    directory: Path
    resumed: bool
    executor: str
    runs_reused: int
    runs_ran: int
    candidates: int
    best_objective: float
    base_objective: float | None
    best_values: dict[str, float | int]
    wall_seconds: float
    local_message: str
    truth: dict[str, float] | None


def parse_truth(loaded: LoadedCalibration, items: Sequence[str]) -> dict[str, float | int]:
    """``name=value`` items to parameter values; unnamed parameters take their base value.

    Raises:
        CalibrationError: For an unknown name, a bad number, a value outside the
            bounds, or a parameter without a single base value left unnamed.
    """
    import difflib

    by_name = {fp.name: fp for fp in loaded.parameters}
    values: dict[str, float | int] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise CalibrationError(f"--truth {item!r}: expected NAME=VALUE")
        if name not in by_name:
            match = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.6)
            hint = f"; did you mean '{match[0]}'?" if match else ""
            raise CalibrationError(f"--truth {item!r}: unknown parameter {name!r}{hint}")
        try:
            v = float(text)
        except ValueError:
            raise CalibrationError(f"--truth {item!r}: expected a number, got {text.strip()!r}") from None
        fp = by_name[name]
        if not fp.low <= v <= fp.high:
            raise CalibrationError(f"--truth {item!r}: outside the bounds {fp.low:g} to {fp.high:g}")
        values[name] = int(round(v)) if fp.type == "integer" else v
    for fp in loaded.parameters:
        if fp.name not in values:
            if fp.base_value is None or not fp.low <= fp.base_value <= fp.high:
                raise CalibrationError(f"--truth: give a value for {fp.name!r} (it has no single base value within its bounds)")
            values[fp.name] = int(fp.base_value) if fp.type == "integer" else fp.base_value
    return values


def synthetic_targets(loaded: LoadedCalibration, ev: Evaluator, truth: dict[str, float | int]) -> list[Target]:
    """The targets with observed values replaced by the model's own moments at *truth*
    (mean over the calibration's seeds)."""
    (e,) = ev.evaluate([candidate_from_values(loaded.parameters, truth)], loaded.seeds)
    if not e.ok:
        raise CalibrationError(f"the model cannot run at the true values: {e.error}")
    out = []
    for t, v in zip(loaded.targets, e.simulated, strict=True):
        if not (math.isfinite(v) and (v > 0 or t.kind.startswith("avg_growth_since:"))):
            raise CalibrationError(f"target {t.id}: the model's value at the true values is {v}, not usable as an observed value")
        out.append(dataclasses.replace(t, observed=v, quality="synthetic", source="simulated at the true values"))
    return out


def run_calibration(
    spec_path: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    budget: int | None = None,
    executor: ExecutorKind = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    start_method: str | None = None,
    truth: Sequence[str] | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> CalibrationSummary:
    """Run (or resume) a calibration and write its result directory.

    Args:
        spec_path: The calibration spec file.
        out: The result directory (default ``<spec folder>/results/<name>``).
        budget: Candidates to evaluate in the search (default: the spec's).
        executor: ``"local"`` or ``"dask"``.
        workers: Worker processes (default: the CPUs available).
        scheduler: Address of a running Dask scheduler.
        start_method: Local executor's start method (default forkserver).
        truth: ``name=value`` items: calibrate against data simulated by the
            model at these values (an identification check) instead of the
            observed values; parameters not named take their base value.
        on_event: Called with progress events (``{"event": "start" | "stage" |
            "candidate" | "run", ...}``).

    Returns:
        A :class:`CalibrationSummary`.

    Raises:
        ScenarioError: For a bad spec, base scenario or observed file.
        CalibrationError: For a directory of another spec, a locked directory, bad
            ``--truth`` values or a lost worker.
        ExecutorError: For bad executor options or an unreachable scheduler.
    """
    from simulator.calibration.report import write_outputs

    emit = on_event or (lambda e: None)
    loaded = load_calibration_spec(spec_path, budget=budget)
    truth_values = None
    if truth:
        truth_values = parse_truth(loaded, truth)
        loaded.fingerprint = _combined(loaded.fingerprint, truth_values)
    path = Path(out) if out is not None else default_out(loaded, synthetic=truth_values is not None)
    manifest, resumed = open_result_dir(path, loaded, truth_values)
    t0 = time.perf_counter()
    with exclusive_lock(path / LOCK_FILE, lambda: CalibrationError(f"another sim calibrate is running on {path}")):
        remove_stale_temporaries((path,))
        if resumed:  # the same runs apply; weights, bounds, budget, optimiser or report may differ
            write_atomic(path / SPEC_FILE, loaded.text)
        cache = RunCache.open(path / STATE_FILE, loaded.fingerprint)
        reused = cache.n_runs
        with make_executor(executor, workers, scheduler, start_method=start_method) as ex:
            emit({"event": "start", "directory": path, "resumed": resumed, "cached_runs": reused, "executor": ex.describe(), "budget": loaded.budget})
            ev = Evaluator(loaded, cache, ex, emit)
            if truth_values is not None:
                loaded.targets = synthetic_targets(loaded, ev, truth_values)
                ev.set_targets()
            found = search(loaded, ev, emit)
            if found.best is None:
                first = next((row.evaluation.error for row in found.history if row.evaluation.error), "no candidate was run")
                raise CalibrationError(
                    f"every candidate failed (the first: {first}); nothing to report in {path}"
                )
            report = report_stage(loaded, ev, found.best, emit)
            description = ex.describe()
        wall = time.perf_counter() - t0
        session = {
            "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "executor": description,
            "budget": loaded.budget,
            "runs_ran": ev.ran,
            "runs_reused": reused,
            "wall_seconds": round(wall, 1),
        }
        sessions = manifest.get("sessions") or ([manifest["last_run"]] if manifest.get("last_run") else [])
        manifest.update(
            status="complete",
            finished_utc=session["finished_utc"],
            optimiser={**loaded.spec.optimiser.model_dump()},
            last_run=session,
            sessions=sessions + ([session] if ev.ran else []),  # a session that only rewrote the outputs is not counted
            wall_seconds_total=round(sum(x.get("wall_seconds", 0.0) for x in sessions + ([session] if ev.ran else [])), 1),
        )
        write_outputs(path, loaded, found, report, manifest, truth_values)
        write_json(path / MANIFEST_FILE, manifest)
    base_row = next((r for r in found.history if r.stage == "base"), None)
    return CalibrationSummary(
        directory=path,
        resumed=resumed,
        executor=description,
        runs_reused=reused,
        runs_ran=ev.ran,
        candidates=len({r.evaluation.candidate.key for r in found.history}),
        best_objective=found.best.evaluation.objective,
        base_objective=base_row.evaluation.objective if base_row else None,
        best_values=dict(found.best.evaluation.candidate.values),
        wall_seconds=wall,
        local_message=found.local_message,
        truth=truth_values,
    )


def _combined(fingerprint: str, truth: dict[str, float | int]) -> str:
    import hashlib

    text = fingerprint + json.dumps(truth, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
