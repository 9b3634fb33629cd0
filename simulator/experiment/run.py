"""One run of a scenario, and its results directory.

A run directory ``<out>/<scenario name>/<run id>/`` holds (the folder of the scenario
name is its slug, :func:`simulator.experiment.paths.path_slug`: an ordinary name as it
is, any other made a single safe folder name, always inside ``<out>``):

* ``indicators.parquet``: one row per year, one column per indicator
  (units in :data:`simulator.model.indicators.INDICATOR_UNITS` and in the
  Parquet schema metadata);
* ``regions.parquet``: the regional table, long format: one row per region, year
  and indicator (columns ``region, year, indicator, value``; units in
  :data:`simulator.model.regions.REGION_INDICATOR_UNITS` and in the schema
  metadata). A city without regions has one region, the city; the regions'
  population, employment, output and money sum to the city's indicators;
* ``manifest.json``: package version, git commit, seed, scale, the resolved
  scenario's sha256, Python and library versions, wall time, the
  accounting checks' results, and the run's ``status``: ``"ok"``, or ``"failed"``
  with a one-line ``failure`` when a check was violated (such a run is kept for
  inspection; comparisons, sweeps and calibration never use it);
* ``scenario.resolved.yaml``: the scenario exactly as run (after ``extends:``
  and ``--set``);
* ``overview.png``: a panel of the key indicators.

Everything is written to a hidden temporary directory next to the target and
renamed into place only when complete, so a run directory is either whole or
absent. An existing run directory is never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from simulator import __version__
from simulator.experiment.overview import OverviewDrawer, draw_overview
from simulator.experiment.paths import child_dir
from simulator.model.city import CityModel
from simulator.model.indicators import INDICATOR_UNITS
from simulator.model.regions import REGION_INDICATOR_UNITS
from simulator.policy.registry import LEVERS
from simulator.scenario.loader import dump_resolved, scenario_sha256
from simulator.scenario.schema import Scenario

LIBRARIES = ("numpy", "numba", "scipy", "pandas", "mesa", "pydantic", "pyarrow", "matplotlib", "typer", "pyyaml")


@dataclass
class RunResult:
    """What a finished run hands back."""

    model: CityModel
    indicators: dict[str, np.ndarray]
    manifest: dict
    directory: Path | None
    regions: dict[str, np.ndarray] | None = None


def git_commit() -> str | None:
    """The git commit of the package's source tree, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    return versions


def indicator_columns(model: CityModel) -> dict[str, np.ndarray]:
    """The recorder's yearly rows as columns."""
    rows = model.recorder.rows
    if not rows:
        return {}
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def build_model(scenario: Scenario, **kwargs) -> CityModel:
    """The city of a scenario with the policy levers (:data:`simulator.policy.registry.LEVERS`);
    ``kwargs`` go to :class:`CityModel` (seed, scale, strict, mechanisms, timings)."""
    return CityModel(scenario, levers=LEVERS, **kwargs)


def simulate(scenario: Scenario, *, progress=None, strict: bool | None = None) -> tuple[CityModel, float]:
    """Build and run the model; returns it and the wall time of the run in seconds."""
    t0 = time.perf_counter()
    model = build_model(scenario, strict=strict)
    model.run(progress=progress)
    return model, time.perf_counter() - t0


def run_scenario(
    scenario: Scenario,
    *,
    out_root: Path | str | None = "results",
    source: str | None = None,
    overrides: tuple[str, ...] = (),
    progress=None,
    strict: bool | None = None,
    overview: bool = True,
) -> RunResult:
    """Run a validated scenario and (unless ``out_root`` is None) write its run directory.

    Args:
        scenario: the scenario (seed and scale already applied).
        out_root: results root; the run goes to ``out_root/<name>/<run id>``.
        source: the scenario file the run came from (recorded in the manifest).
        overrides: the ``--set`` overrides applied (recorded in the manifest).
        progress: optional callable ``progress(done, total)`` per month.
        strict: raise on accounting violations (default: the scenario's setting).
        overview: also draw ``overview.png``.
    """
    # the overview's helper process starts now, so that it imports matplotlib and makes the
    # blank panel while the model runs
    drawer = OverviewDrawer(scenario) if overview and out_root is not None else None
    with drawer or contextlib.nullcontext():
        model, wall = simulate(scenario, progress=progress, strict=strict)
        columns = indicator_columns(model)
        regions = model.recorder.regional.columns()
        sha = scenario_sha256(scenario)
        manifest = {
            "package": "resource-city-sim",
            "version": __version__,
            "git_commit": git_commit(),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "scenario_name": scenario.name,
            "scenario_file": source,
            "overrides": list(overrides),
            "scenario_sha256": sha,
            "seed": scenario.run.seed,
            "scale": scenario.run.scale,
            "years": [scenario.run.start_year, scenario.run.end_year],
            "money": f"constant yuan of {scenario.city.money_base_year}",
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "libraries": library_versions(),
            "wall_time_seconds": round(wall, 3),
            "status": "ok" if model.failure() is None else "failed",
            "failure": model.failure(),
            "accounting": model.accounting_summary(),
            "indicator_units": INDICATOR_UNITS,
            "regions": [
                {"name": name, "name_zh": zh, "kind": "district" if urban else "county"}
                for name, zh, urban in zip(model.regions.names, model.regions.names_zh, model.regions.urban, strict=True)
            ],
            "region_indicator_units": REGION_INDICATOR_UNITS,
        }
        directory = None
        if out_root is not None:
            directory = write_run_directory(
                Path(out_root), scenario, columns, manifest, overview=overview, regions=regions, drawer=drawer
            )
    return RunResult(model=model, indicators=columns, manifest=manifest, directory=directory, regions=regions)


def new_run_id(seed: int) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-seed{seed}"


def write_run_directory(
    out_root: Path,
    scenario: Scenario,
    columns: dict[str, np.ndarray],
    manifest: dict,
    *,
    overview: bool,
    regions: dict[str, np.ndarray] | None = None,
    drawer: OverviewDrawer | None = None,
) -> Path:
    """Write the run's files into a temporary directory, then rename it into place.

    ``regions`` (the regional table's columns) is written to ``regions.parquet`` when given.
    ``overview``: draw ``overview.png``, with ``drawer``'s helper process if given (it draws
    while the other files are written), else in this process.

    The run goes to ``out_root/<slug of the scenario name>/<run id>``, checked to lie inside
    ``out_root`` whatever the name (see :func:`simulator.experiment.paths.child_dir`).

    Raises:
        UnsafePathError: the folder would lie outside ``out_root`` (a symbolic link there).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    parent = child_dir(out_root, scenario.name)  # a slug of the name, checked to stay inside out_root
    parent.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id(scenario.run.seed)
    final = parent / run_id
    while final.exists():  # never overwrite: a second run in the same microsecond gets a suffix
        run_id += "-1"
        final = parent / run_id
    manifest["run_id"] = run_id
    tmp = parent / f".tmp-{run_id}-{os.getpid()}"
    tmp.mkdir()
    try:
        if overview and drawer is not None:
            drawer.draw(columns, scenario, tmp / "overview.png")
        table = pa.table(columns)
        meta = {b"units": json.dumps(INDICATOR_UNITS).encode(), b"scenario_sha256": manifest["scenario_sha256"].encode()}
        table = table.replace_schema_metadata(meta)
        pq.write_table(table, tmp / "indicators.parquet")
        if regions is not None:
            rtable = pa.table(regions).replace_schema_metadata(
                {b"units": json.dumps(REGION_INDICATOR_UNITS).encode(), b"scenario_sha256": meta[b"scenario_sha256"]}
            )
            pq.write_table(rtable, tmp / "regions.parquet")
        (tmp / "scenario.resolved.yaml").write_text(dump_resolved(scenario), encoding="utf-8")
        if overview and drawer is not None:
            drawer.wait()
        elif overview:
            draw_overview(columns, scenario, tmp / "overview.png")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
