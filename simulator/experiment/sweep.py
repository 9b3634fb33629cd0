"""Parameter sweeps: many runs of one base scenario, crash-safe and resumable.

SWEEP_FORMAT (version 1): a sweep directory holds

``spec.yaml``
    The sweep spec exactly as given (bytes); ``--set`` changes to it are in
    the manifest (``spec_overrides``).
``base.resolved.yaml``
    The base scenario after ``extends:`` and the spec's ``set:`` overrides;
    every run starts from it and adds its parameter values and seed.
``manifest.json``
    ``kind`` (``"sweep"``), ``format`` (``"sim-sweep"``), ``format_version``, ``name``,
    ``spec_sha256`` and ``base_scenario_sha256`` (what a resume checks),
    ``scenario_name``, ``parameters`` (name, type, keys, range), ``design``
    (kind, options, ``n_points``), ``seeds`` (``root``, ``per_point``,
    ``values``: seed of each seed index), ``n_runs``, ``outcome_columns``,
    ``indicator_units``, versions, and ``last_sweep`` (counts, executor,
    wall time of the latest ``sim sweep`` on the directory).
``design.parquet``
    One row per design point: ``point_id``, one column per parameter (the
    value as applied) and ``raw__<name>`` (the sampler's value before
    integer/categorical rounding, as SALib's analyzers need it).
``status/<run_id>.json``
    One record per run: ``run_id``, ``point_id``, ``seed_index``, ``seed``,
    ``status`` (``pending`` / ``done`` / ``failed``), ``error`` (one line, or
    null), ``scenario_name``, ``accounting_ok``, ``outcomes`` (column ->
    value), ``wall_seconds`` and ``cpu_seconds`` (the worker's time for the
    run; wall above CPU means the run waited for a core).
``parts/<run_id>.parquet``
    The yearly indicators of one finished run: ``run_id``, ``year`` and the
    same indicator columns as a single run's ``indicators.parquet``.
``runs.parquet``
    One row per run, sorted by ``run_id``: ``run_id``, ``point_id``,
    ``seed_index``, ``seed``, ``scenario_name``, ``status``, ``error``,
    ``accounting_ok``, one column per parameter, and the scalar outcomes
    ``<indicator>_<year>`` (null unless done). Rebuilt from the status
    records at the end of every ``sim sweep`` (also after Ctrl-C).

``run_id`` is ``p<point>-s<seed index>`` with zero-padded numbers, so that
text order is plan order. ``scenario_name`` + ``point_id`` identify a
variant (a design point); ``seed_index`` identifies common random numbers:
seed index *k* has the same seed at every point (and in every sweep with the
same root seed), so differences between points at equal ``seed_index`` are
paired comparisons.

Crash safety: every file is written to a hidden temporary name in its folder
and renamed into place, so a file is either whole or absent; a run's part is
renamed before its ``done`` record, so a ``done`` record always has its part.
The directory itself is created complete (built under a temporary name, then
renamed). ``sim sweep`` on an existing directory resumes: it checks that the
spec and the base scenario are unchanged (their fingerprints), skips runs
recorded ``done`` (with their part), and runs the pending and failed ones. A
lock file keeps two sweeps off one directory. Killing the driver at any
moment loses at most the runs in progress, which run again on resume; as a
run depends only on its scenario and seed, the final ``runs.parquet`` and
parts are the same as an uninterrupted sweep's.

Workers write their parts and records themselves (the driver receives only a
few fields per run): with a Dask cluster on several machines, the sweep
directory must be on a file system shared by all of them, at the same path.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator.experiment.executors import ExecutorKind, error_text, make_executor
from simulator.experiment.files import (
    exclusive_lock,
    read_json,
    remove_stale_temporaries,
    tmp_name,
    write_json,
    write_parquet,
)
from simulator.experiment.paths import child_dir
from simulator.experiment.sweep_spec import (
    Design,
    LoadedSpec,
    build_design,
    load_sweep_spec,
    override_value,
    seeds_of,
)

FORMAT = "sim-sweep"
FORMAT_VERSION = 1
SPEC_FILE = "spec.yaml"
BASE_FILE = "base.resolved.yaml"
MANIFEST_FILE = "manifest.json"
DESIGN_FILE = "design.parquet"
RUNS_FILE = "runs.parquet"
STATUS_DIR = "status"
PARTS_DIR = "parts"
LOCK_FILE = "sweep.lock"
RAW_PREFIX = "raw__"

PENDING, DONE, FAILED = "pending", "done", "failed"
RUN_COLUMNS = ("run_id", "point_id", "seed_index", "seed", "scenario_name", "status", "error", "accounting_ok")
"""The fixed leading columns of ``runs.parquet``."""

DEFAULT_SWEEPS_ROOT = Path("results") / "sweeps"


class SweepError(Exception):
    """A sweep cannot start or go on (directory from another spec, locked, unreadable)."""


# -------------------------------------------------------------- small files


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class PlannedRun:
    """One run of the plan: a design point and a seed."""

    run_id: str
    point_id: int
    seed_index: int
    seed: int


def run_id(point_id: int, seed_index: int, n_points: int, n_seeds: int) -> str:
    """``p<point>-s<seed index>``, zero-padded to the widths of the counts."""
    wp = max(1, len(str(n_points - 1)))
    ws = max(1, len(str(n_seeds - 1)))
    return f"p{point_id:0{wp}d}-s{seed_index:0{ws}d}"


def plan_runs(n_points: int, seeds: list[int]) -> list[PlannedRun]:
    """Every (point, seed) pair in plan order: point by point, seeds in order."""
    return [
        PlannedRun(run_id(p, k, n_points, len(seeds)), p, k, s)
        for p in range(n_points)
        for k, s in enumerate(seeds)
    ]


# ------------------------------------------------------------- the worker side


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run (small and picklable).

    Attributes:
        sweep_dir: The sweep directory (absolute; shared by all workers).
        run: The planned run.
        overrides: ``--set`` overrides of the run's parameter values.
        outcomes: ``(column, indicator, year)`` of each scalar outcome.
        base_name: The base scenario's name (reported if the run cannot load).
    """

    sweep_dir: str
    run: PlannedRun
    overrides: tuple[str, ...]
    outcomes: tuple[tuple[str, str, int], ...]
    base_name: str


def execute_run(task: RunTask) -> dict[str, Any]:
    """Run one sweep run in a worker; write its part and status record.

    A problem with the run (a parameter value the scenario rejects, a city
    that cannot be built, an error in the model) is recorded as ``failed``
    with its message, not raised.

    Returns:
        ``{"run_id", "status", "error"}``: all the driver needs.

    Raises:
        SweepError: If the sweep directory is not visible here (a Dask worker
            on a machine without the shared file system).
    """
    from simulator.experiment.run import indicator_columns, simulate
    from simulator.model.accounts import AccountingError
    from simulator.scenario.loader import load_scenario

    t0, cpu0 = time.perf_counter(), time.process_time()
    d = Path(task.sweep_dir)
    if not (d / MANIFEST_FILE).is_file():
        raise SweepError(
            f"the sweep directory {task.sweep_dir} is not visible on this worker "
            "(workers on other machines need it on a shared file system at the same path)"
        )
    r = task.run
    part = d / PARTS_DIR / f"{r.run_id}.parquet"
    record: dict[str, Any] = {
        "run_id": r.run_id,
        "point_id": r.point_id,
        "seed_index": r.seed_index,
        "seed": r.seed,
        "scenario_name": task.base_name,
        "accounting_ok": None,
        "outcomes": {},
    }
    try:
        scenario = load_scenario(d / BASE_FILE, overrides=task.overrides, seed=r.seed)
        record["scenario_name"] = scenario.name
        model, _ = simulate(scenario)
        failure = model.failure()
        if failure is not None:  # a run that broke its accounts is failed: no sweep table uses it
            record["accounting_ok"] = False
            raise AccountingError(failure)
        columns = indicator_columns(model)
        write_parquet(part, _part_table(r.run_id, columns))
        years = [int(y) for y in columns["year"]]
        outcomes = {}
        for column, indicator, year in task.outcomes:
            outcomes[column] = float(columns[indicator][years.index(year)]) if year in years else None
        record.update(
            status=DONE,
            error=None,
            accounting_ok=True,
            outcomes=outcomes,
        )
    except Exception as exc:  # a failed run is a result, not a crash of the sweep
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        record.update(status=FAILED, error=error_text(exc))
    record["wall_seconds"] = round(time.perf_counter() - t0, 3)
    record["cpu_seconds"] = round(time.process_time() - cpu0, 3)
    write_json(d / STATUS_DIR / f"{r.run_id}.json", record)
    return {"run_id": r.run_id, "status": record["status"], "error": record["error"]}


def _part_table(rid: str, columns: dict):
    import pyarrow as pa

    from simulator.model.indicators import INDICATOR_UNITS

    n = len(columns["year"])
    table = pa.table({"run_id": pa.array([rid] * n, pa.string()), **columns})
    return table.replace_schema_metadata({b"units": json.dumps(INDICATOR_UNITS).encode()})


# ------------------------------------------------------------ the directory


@dataclass
class SweepDir:
    """An open sweep directory: its manifest, design and plan."""

    path: Path
    manifest: dict[str, Any]
    design_values: list[dict[str, Any]]
    plan: list[PlannedRun]

    @property
    def parameter_names(self) -> list[str]:
        return [p["name"] for p in self.manifest["parameters"]]

    def status_path(self, rid: str) -> Path:
        return self.path / STATUS_DIR / f"{rid}.json"

    def part_path(self, rid: str) -> Path:
        return self.path / PARTS_DIR / f"{rid}.parquet"

    def read_status(self, r: PlannedRun) -> dict[str, Any]:
        """The run's record; ``pending`` if missing, unreadable, or ``done`` without its part."""
        rec = read_json(self.status_path(r.run_id))
        if not isinstance(rec, dict) or rec.get("run_id") != r.run_id or rec.get("status") not in (DONE, FAILED, PENDING):
            return _pending_record(r, self.manifest["scenario_name"])
        if rec["status"] == DONE and not self.part_path(r.run_id).is_file():
            return _pending_record(r, self.manifest["scenario_name"])
        return rec


def _pending_record(r: PlannedRun, scenario_name: str) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "point_id": r.point_id,
        "seed_index": r.seed_index,
        "seed": r.seed,
        "scenario_name": scenario_name,
        "status": PENDING,
        "error": None,
        "accounting_ok": None,
        "outcomes": {},
        "wall_seconds": None,
        "cpu_seconds": None,
    }


def _manifest(loaded: LoadedSpec, design: Design, seeds: list[int]) -> dict[str, Any]:
    from simulator import __version__
    from simulator.experiment.run import git_commit, library_versions
    from simulator.model.indicators import INDICATOR_UNITS
    from simulator.scenario.loader import scenario_sha256

    spec = loaded.spec
    params = []
    for name, p in spec.parameters.items():
        entry: dict[str, Any] = {"name": name, "type": p.type, "keys": p.keys}
        if p.type == "categorical":
            entry["values"] = p.values
        else:
            entry["low"], entry["high"] = p.low, p.high
        if p.description:
            entry["description"] = p.description
        params.append(entry)
    design_opts = {k: v for k, v in spec.design.model_dump().items() if v is not None}
    libs = library_versions()
    for lib in ("SALib", "dask", "distributed", "duckdb"):
        libs[lib] = _version(lib)
    return {
        "kind": "sweep",
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": loaded.name,
        "description": spec.description,
        "spec_source": os.fspath(loaded.path),
        "spec_overrides": loaded.overrides,
        "spec_sha256": loaded.spec_sha256,
        "base_scenario_source": os.fspath(loaded.base_path),
        "base_scenario_overrides": loaded.base_overrides,
        "base_scenario_sha256": scenario_sha256(loaded.base),
        "scenario_name": loaded.base.name,
        "parameters": params,
        "design": {**design_opts, "n_points": len(design)},
        "seeds": {"root": spec.seeds.root, "per_point": spec.seeds.per_point, "values": seeds},
        "n_runs": len(design) * len(seeds),
        "outcome_columns": [
            {"column": f"{ind}_{y}", "indicator": ind, "year": y}
            for ind in spec.outcomes.indicators
            for y in loaded.outcome_years
        ],
        "indicator_units": INDICATOR_UNITS,
        "package": "resource-city-sim",
        "version": __version__,
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": libs,
        "last_sweep": None,
    }


def _version(lib: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return None


def _arrow_type(values: list[Any]):
    """Arrow type of a parameter's values: bool, int64, float64 or string."""
    import pyarrow as pa

    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


def _as_arrow_values(values: list[Any], typ) -> list[Any]:
    import pyarrow as pa

    if typ == pa.string():
        return [v if isinstance(v, str) or v is None else json.dumps(v) for v in values]
    if typ == pa.float64():
        return [None if v is None else float(v) for v in values]
    return values


def _design_table(design: Design):
    import pyarrow as pa

    cols: dict[str, Any] = {"point_id": pa.array(range(len(design)), pa.int64())}
    for name in design.names:
        vals = [v[name] for v in design.values]
        typ = _arrow_type(vals)
        cols[name] = pa.array(_as_arrow_values(vals, typ), typ)
    for j, name in enumerate(design.names):
        cols[RAW_PREFIX + name] = pa.array(design.raw[:, j].tolist(), pa.float64())
    return pa.table(cols)


def create_sweep_dir(path: Path, loaded: LoadedSpec) -> SweepDir:
    """Create a complete sweep directory (built under a temporary name, then renamed).

    Raises:
        SweepError: If *path* exists and is not an empty directory.
    """
    from simulator.scenario.loader import dump_resolved

    design = build_design(loaded.spec)
    seeds = seeds_of(loaded.spec)
    manifest = _manifest(loaded, design, seeds)
    plan = plan_runs(len(design), seeds)  # for the pending records
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(path)
    tmp.mkdir()
    try:
        (tmp / STATUS_DIR).mkdir()
        (tmp / PARTS_DIR).mkdir()
        (tmp / SPEC_FILE).write_bytes(loaded.text)
        (tmp / BASE_FILE).write_text(dump_resolved(loaded.base), encoding="utf-8")
        write_parquet(tmp / DESIGN_FILE, _design_table(design))
        for r in plan:
            (tmp / STATUS_DIR / f"{r.run_id}.json").write_text(
                json.dumps(_pending_record(r, loaded.base.name), indent=1, sort_keys=True) + "\n",
                encoding="utf-8",
            )
        write_json(tmp / MANIFEST_FILE, manifest)
        try:
            os.rename(tmp, path)  # replaces an empty directory, fails on a non-empty one
        except OSError:
            raise SweepError(f"{path} exists and is not a sweep directory; choose another --out") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return open_sweep_dir(path)  # the same reading as on resume


def open_sweep_dir(path: Path) -> SweepDir:
    """Open an existing sweep directory (for resuming, querying or analysis).

    Raises:
        SweepError: If it is not a readable sweep directory of this format.
    """
    import pyarrow.parquet as pq

    manifest = read_json(path / MANIFEST_FILE)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SweepError(f"{path} is not a sweep directory (no readable {MANIFEST_FILE})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise SweepError(
            f"{path} has sweep format version {manifest.get('format_version')}, "
            f"this program reads version {FORMAT_VERSION}"
        )
    try:
        table = pq.read_table(path / DESIGN_FILE)
    except (OSError, ValueError) as exc:
        raise SweepError(f"{path}: cannot read {DESIGN_FILE} ({error_text(exc)})") from None
    names = [p["name"] for p in manifest["parameters"]]
    rows = table.select(names).to_pylist()
    for p in manifest["parameters"]:
        if p["type"] == "categorical":  # back to the spec's own values (types as written)
            typ = _arrow_type(p["values"])
            original = dict(zip(_as_arrow_values(p["values"], typ), p["values"], strict=True))
            for row in rows:
                row[p["name"]] = original[row[p["name"]]]
    seeds = manifest["seeds"]["values"]
    return SweepDir(path, manifest, rows, plan_runs(len(rows), seeds))


def check_same_spec(sd: SweepDir, loaded: LoadedSpec) -> None:
    """Refuse to resume a directory made from another spec or another base scenario."""
    from simulator.scenario.loader import scenario_sha256

    m = sd.manifest
    if m["spec_sha256"] != loaded.spec_sha256:
        raise SweepError(
            f"{sd.path} was made from a different sweep spec (fingerprint {m['spec_sha256'][:12]} there, "
            f"{loaded.spec_sha256[:12]} for {loaded.path}{_with_set(loaded.overrides)}); its spec is "
            f"{sd.path / SPEC_FILE}{_with_set(m.get('spec_overrides', []))}. "
            "Use another --out directory, or delete this one to start again"
        )
    base = scenario_sha256(loaded.base)
    if m["base_scenario_sha256"] != base:
        raise SweepError(
            f"{sd.path} was made from a different base scenario (the file {loaded.base_path} or what it "
            "extends has changed since); its runs started from "
            f"{sd.path / BASE_FILE}. Use another --out directory, or delete this one to start again"
        )


def _with_set(overrides: list[str]) -> str:
    return "".join(f" --set {o}" for o in overrides)


# ---------------------------------------------------------------- runs.parquet


def runs_table(sd: SweepDir):
    """Build the ``runs.parquet`` table from the plan, design and status records."""
    import pyarrow as pa

    records = [sd.read_status(r) for r in sd.plan]
    cols: dict[str, Any] = {
        "run_id": pa.array([r.run_id for r in sd.plan], pa.string()),
        "point_id": pa.array([r.point_id for r in sd.plan], pa.int64()),
        "seed_index": pa.array([r.seed_index for r in sd.plan], pa.int64()),
        "seed": pa.array([r.seed for r in sd.plan], pa.int64()),
        "scenario_name": pa.array([rec["scenario_name"] for rec in records], pa.string()),
        "status": pa.array([rec["status"] for rec in records], pa.string()),
        "error": pa.array([rec["error"] for rec in records], pa.string()),
        "accounting_ok": pa.array([rec["accounting_ok"] for rec in records], pa.bool_()),
    }
    for name in sd.parameter_names:
        point_vals = [v[name] for v in sd.design_values]
        typ = _arrow_type(point_vals)
        vals = _as_arrow_values([sd.design_values[r.point_id][name] for r in sd.plan], typ)
        cols[name] = pa.array(vals, typ)
    for oc in sd.manifest["outcome_columns"]:
        c = oc["column"]
        cols[c] = pa.array([rec["outcomes"].get(c) if rec["status"] == DONE else None for rec in records], pa.float64())
    return pa.table(cols)


def write_runs_table(sd: SweepDir) -> dict[str, int]:
    """Rebuild ``runs.parquet`` atomically; returns the counts by status."""
    table = runs_table(sd)
    write_parquet(sd.path / RUNS_FILE, table)
    status = table.column("status").to_pylist()
    return {s: status.count(s) for s in (DONE, FAILED, PENDING)}


# ---------------------------------------------------------------- the driver


@dataclass
class SweepSummary:
    """What a ``sim sweep`` did.

    Attributes:
        directory: The sweep directory.
        n_runs: Runs in the plan.
        already_done: Runs found done when it started (skipped).
        ran: Runs executed this time.
        done, failed, pending: Counts by status at the end.
        executor: Description of the executor used.
        wall_seconds: Time spent running (excluding set-up).
        resumed: True if the directory existed.
    """

    directory: Path
    n_runs: int
    already_done: int
    ran: int
    done: int
    failed: int
    pending: int
    executor: str
    wall_seconds: float
    resumed: bool


@dataclass(frozen=True)
class SweepStart:
    """Passed to ``on_start`` once the executor is ready."""

    directory: Path
    n_runs: int
    already_done: int
    to_run: int
    executor: str
    resumed: bool


def run_sweep(
    spec_path: str | os.PathLike[str],
    *,
    overrides: Iterable[str] = (),
    out: str | os.PathLike[str] | None = None,
    executor: ExecutorKind = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    start_method: str | None = None,
    on_start: Callable[[SweepStart], None] | None = None,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> SweepSummary:
    """Run (or resume) a sweep.

    Args:
        spec_path: The sweep spec file.
        overrides: ``key=value`` changes to the spec (see :func:`load_sweep_spec`).
        out: The sweep directory (default ``results/sweeps/<spec name>``).
        executor: ``"local"`` or ``"dask"``, see :func:`make_executor`.
        workers: Worker processes (default: the CPUs available).
        scheduler: Address of a running Dask scheduler.
        start_method: Local executor's start method (default forkserver).
        on_start: Called once with a :class:`SweepStart` before the first run.
        on_run: Called with ``{"run_id", "status", "error"}`` after each run.

    Returns:
        A :class:`SweepSummary`.

    Raises:
        ScenarioError: For a bad spec or base scenario.
        SweepError: For a directory from another spec, a locked or unreadable directory.
        ExecutorError: For bad executor options or an unreachable scheduler.
    """
    loaded = load_sweep_spec(spec_path, overrides)
    path = Path(out) if out is not None else child_dir(DEFAULT_SWEEPS_ROOT, loaded.name)  # a slug, inside results/sweeps
    existing = path.is_dir() and (path / MANIFEST_FILE).exists()
    if existing:
        sd = open_sweep_dir(path)
        check_same_spec(sd, loaded)
    elif path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise SweepError(f"{path} exists and is not a sweep directory; choose another --out")

    with make_executor(executor, workers, scheduler, start_method=start_method) as ex:
        if not existing:
            sd = create_sweep_dir(path, loaded)
        with exclusive_lock(path / LOCK_FILE, lambda: SweepError(f"another sim sweep is running on {path}")):
            remove_stale_temporaries((path, path / STATUS_DIR, path / PARTS_DIR))
            records = {r.run_id: sd.read_status(r) for r in sd.plan}
            todo = [r for r in sd.plan if records[r.run_id]["status"] != DONE]
            already = len(sd.plan) - len(todo)
            description = ex.describe()
            if on_start is not None:
                on_start(SweepStart(path, len(sd.plan), already, len(todo), description, existing))
            t0 = time.perf_counter()
            ran = 0
            by_id = {r.run_id: r for r in todo}
            try:
                for outcome in ex.map_unordered(execute_run, _tasks(sd, todo)):
                    ran += 1
                    if outcome.ok:
                        info = outcome.result
                    else:
                        info = _record_lost(sd, by_id[outcome.key], outcome.error)
                    if on_run is not None:
                        on_run(info)
            finally:  # also on Ctrl-C: runs.parquet shows where the sweep got to
                wall = time.perf_counter() - t0
                counts = write_runs_table(sd)
                sd.manifest["last_sweep"] = {
                    "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                    "executor": description,
                    "ran": ran,
                    "wall_seconds": round(wall, 3),
                    **counts,
                }
                write_json(path / MANIFEST_FILE, sd.manifest)
    return SweepSummary(
        directory=path,
        n_runs=len(sd.plan),
        already_done=already,
        ran=ran,
        done=counts[DONE],
        failed=counts[FAILED],
        pending=counts[PENDING],
        executor=description,
        wall_seconds=wall,
        resumed=existing,
    )


def _tasks(sd: SweepDir, todo: list[PlannedRun]) -> Iterator[tuple[str, RunTask]]:
    sweep_dir = os.fspath(sd.path.resolve())
    outcomes = tuple((oc["column"], oc["indicator"], oc["year"]) for oc in sd.manifest["outcome_columns"])
    params = {p["name"]: p["keys"] for p in sd.manifest["parameters"]}
    for r in todo:
        values = sd.design_values[r.point_id]
        overrides = tuple(f"{key}={override_value(values[name])}" for name, keys in params.items() for key in keys)
        yield r.run_id, RunTask(sweep_dir, r, overrides, outcomes, sd.manifest["scenario_name"])


def _record_lost(sd: SweepDir, r: PlannedRun, error: str | None) -> dict[str, Any]:
    """Record a run whose worker never reported (it died, or the task could not start)."""
    rec = sd.read_status(r)
    if rec["status"] == DONE:  # it finished before its worker was lost: keep it
        return {"run_id": r.run_id, "status": DONE, "error": None}
    rec = _pending_record(r, sd.manifest["scenario_name"])
    rec.update(status=FAILED, error=error)
    write_json(sd.status_path(r.run_id), rec)
    return {"run_id": r.run_id, "status": FAILED, "error": error}
