"""Read run directories and sweep directories into one tidy table.

Inputs (any mix; a directory that holds such directories is searched two levels deep):

* a **run directory** written by ``sim run`` (or :func:`simulator.experiment.seeds.run_seeds`):
  ``indicators.parquet`` + ``manifest.json`` (+ ``scenario.resolved.yaml``);
* a **sweep directory** written by ``sim sweep``: ``runs.parquet`` (one row per
  run: ``run_id``, ``point_id``, ``seed_index``, ``seed``, ``scenario_name``,
  ``status``, ``error``, one column per varied parameter, scalar outcomes) and
  ``parts/<run_id>.parquet`` (each run's yearly series: ``run_id``, ``year`` and
  the indicator columns of ``indicators.parquet``), with a ``manifest.json``
  whose ``kind`` is ``"sweep"`` (or a ``parts/`` folder). Only runs whose status
  is ``done`` are read. The base scenario, if the sweep stores it, is read from
  ``scenario.resolved.yaml`` (or ``base.resolved.yaml`` / ``spec.yaml``'s resolved copy).

Runs that failed their checks are **left out**: a run directory whose manifest has
``"status": "failed"`` (with its one-line ``failure``), or, in a manifest written before
runs had a status, whose ``accounting`` records violations (``n_violations > 0``, or
``ok``, ``stock_flow_ok``, ``population_identity_ok`` or ``earmarks_ok`` false); in a
sweep, runs whose status is not ``done`` and ``done`` runs whose accounting columns say
the same. Each is listed in :attr:`Results.excluded`; a scenario left without any run is
an error.

A **variant** is what a comparison shows as one scenario: for run directories,
the runs of one scenario name with the same ``--set`` overrides and scale; for
a sweep, one design point (``scenario_name``, ``point_id``). Its runs differ
only in their seed.

The result, :class:`Results`, holds the tidy long table (one row per variant,
run, year and indicator) and, per variant and run, what the report needs:
description, levers, city, manifest (provenance, accounting checks).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

RUN_FILES = ("indicators.parquet", "manifest.json")
SWEEP_TABLE = "runs.parquet"
SWEEP_PARTS = "parts"
SWEEP_SCENARIO_FILES = ("scenario.resolved.yaml", "base.resolved.yaml", "base_scenario.resolved.yaml")
SWEEP_RUN_COLUMNS = ("run_id", "point_id", "seed_index", "seed", "scenario_name", "status", "error")
NOT_INDICATORS = ("year", "run_id")
SEARCH_DEPTH = 2

LONG_COLUMNS = ("scenario", "run_id", "seed", "seed_index", "year", "indicator", "value")
"""Columns of the tidy table: variant label, run, its seed (and index in a sweep), year, indicator, value."""


class ResultsError(ValueError):
    """An input is not a run or sweep directory, or the inputs cannot be compared."""


@dataclass
class RunInfo:
    """One run: where it came from and its provenance."""

    run_id: str
    variant: str
    seed: int
    seed_index: int | None
    path: Path
    manifest: dict
    accounting: dict | None


@dataclass
class Variant:
    """One scenario as a comparison shows it (all its seeds).

    Attributes:
        label: unique name in the comparison (the scenario name, made unique if needed).
        scenario_name: the scenario's ``name``.
        kind: ``"runs"`` (run directories) or ``"sweep"``.
        source: the sweep directory (for a sweep variant) or None.
        point_id: the sweep design point, or None.
        parameters: the sweep's varied parameters at this point.
        overrides: the ``--set`` overrides of the runs.
        scale: persons per agent.
        scenario: the resolved scenario as plain data (None if not stored).
    """

    label: str
    scenario_name: str
    kind: str
    source: Path | None = None
    point_id: str | None = None
    parameters: dict = field(default_factory=dict)
    overrides: tuple[str, ...] = ()
    scale: int | None = None
    scenario: dict | None = None
    runs: list[RunInfo] = field(default_factory=list)

    @property
    def city(self) -> str | None:
        return (self.scenario or {}).get("city", {}).get("name")

    @property
    def city_zh(self) -> str:
        return (self.scenario or {}).get("city", {}).get("name_zh", "") or ""

    @property
    def description(self) -> str:
        return ((self.scenario or {}).get("description") or "").strip()

    @property
    def counterfactual(self) -> str | None:
        """The scenario this one names as its counterfactual (its ``counterfactual:`` key), if any."""
        name = (self.scenario or {}).get("counterfactual")
        return str(name) if name else None

    @property
    def money_base_year(self) -> int | None:
        return (self.scenario or {}).get("city", {}).get("money_base_year")

    @property
    def levers(self) -> dict[str, dict]:
        return (self.scenario or {}).get("levers", {}) or {}

    @property
    def seeds(self) -> list[int]:
        return sorted(r.seed for r in self.runs)


@dataclass
class Results:
    """Runs of one city read from run and sweep directories.

    Attributes:
        table: the tidy long table, columns :data:`LONG_COLUMNS`.
        variants: the variants in input order, by label.
        units: indicator -> unit.
        available: every indicator the inputs hold (for checking requests).
        excluded: the runs left out because they failed their checks: (which run, why), one
            line each (see :func:`run_failure`).
    """

    table: pd.DataFrame
    variants: dict[str, Variant]
    units: dict[str, str]
    available: list[str]
    excluded: list[tuple[str, str]] = field(default_factory=list)

    @property
    def city(self) -> str | None:
        return next((v.city for v in self.variants.values() if v.city), None)

    @property
    def city_zh(self) -> str:
        return next((v.city_zh for v in self.variants.values() if v.city_zh), "")

    @property
    def money_base_year(self) -> int | None:
        return next((v.money_base_year for v in self.variants.values() if v.money_base_year), None)

    @property
    def years(self) -> tuple[int, int]:
        return int(self.table["year"].min()), int(self.table["year"].max())


# ---------------------------------------------------------------- finding inputs


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and all((path / f).is_file() for f in RUN_FILES)


def is_sweep_dir(path: Path) -> bool:
    if not (path.is_dir() and (path / SWEEP_TABLE).is_file()):
        return False
    if (path / SWEEP_PARTS).is_dir():
        return True
    try:
        return json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("kind") == "sweep"
    except (OSError, ValueError):
        return False


def find_result_dirs(path: Path) -> list[tuple[str, Path]]:
    """The run and sweep directories ``path`` is or holds: ``[("run" | "sweep", dir), ...]``.

    Raises:
        ResultsError: ``path`` does not exist, or is neither and holds none.
    """
    if not path.exists():
        raise ResultsError(f"{path}: no such file or directory")
    if is_sweep_dir(path):
        return [("sweep", path)]
    if is_run_dir(path):
        return [("run", path)]
    found: list[tuple[str, Path]] = []
    if path.is_dir():
        level = [path]
        for _ in range(SEARCH_DEPTH):
            nxt = []
            for d in level:
                for child in sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")):
                    if is_sweep_dir(child):
                        found.append(("sweep", child))
                    elif is_run_dir(child):
                        found.append(("run", child))
                    else:
                        nxt.append(child)
            level = nxt
    if not found:
        raise ResultsError(
            f"{path}: not a run directory (indicators.parquet + manifest.json), a sweep directory "
            f"(runs.parquet + parts/) or a scenario file, and holds none"
        )
    return found


# ---------------------------------------------------------------- reading


def _yaml(path: Path) -> dict | None:
    import yaml

    if not path.is_file():
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise ResultsError(f"{path}: not readable YAML ({e})") from None
    return data if isinstance(data, dict) else None


def _manifest(path: Path) -> dict:
    try:
        return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ResultsError(f"{path / 'manifest.json'}: not readable JSON ({e})") from None


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path).names
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise ResultsError(f"{path}: not a readable Parquet file ({e})") from None


def _read_parquet(path: Path, columns: list[str]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except Exception as e:
        raise ResultsError(f"{path}: not a readable Parquet file ({e})") from None


def _units_from_schema(path: Path) -> dict[str, str]:
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"units")
    return json.loads(raw) if raw else {}


# ---------------------------------------------------------------- failed runs

ACCOUNTING_FLAGS = (
    ("stock_flow_ok", "stock-flow consistency"),
    ("population_identity_ok", "population identity"),
    ("earmarks_ok", "earmarks"),
    ("accounting_ok", "accounting"),
    ("ok", "accounting"),
)
"""Flags of a manifest's ``accounting`` (or a sweep's run table) that are false when a check failed."""
MAX_EXCLUDED_IN_MESSAGE = 3


def _is_false(value) -> bool:
    """A flag recorded as false (numpy and pandas booleans too); missing or NaN is not false."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return False
    return not bool(value)


def accounting_failure(acc: dict | None) -> str | None:
    """Why a run's accounting checks failed (one line), or None if they held or were not recorded."""
    if not isinstance(acc, dict):
        return None
    try:
        n = int(acc.get("n_violations") or 0)
    except (TypeError, ValueError):
        n = 0
    if n > 0:
        violations = acc.get("violations") or []
        first = f": {violations[0]}" if isinstance(violations, list) and violations else ""
        more = f" (and {n - 1} more violation{'s' if n > 2 else ''})" if n > 1 and first else f" ({n} violations)" if n > 1 else ""
        return f"accounting check failed{first}{more}"
    failed = list(dict.fromkeys(what for key, what in ACCOUNTING_FLAGS if _is_false(acc.get(key))))
    if failed:
        return f"accounting check failed: {', '.join(failed)}"
    return None


def run_failure(manifest: dict) -> str | None:
    """Why a run directory must not be compared (one line), or None if it may be.

    A run marked ``"status": "failed"`` (its ``failure`` says why), or, for manifests written
    before runs had a status, one whose ``accounting`` records a violation."""
    if str(manifest.get("status") or "").lower() == "failed":
        return " ".join(str(manifest.get("failure") or "marked failed in its manifest").split())
    return accounting_failure(manifest.get("accounting"))


@dataclass
class _Source:
    kind: str
    path: Path


def check_indicators(requested: list[str] | None, available: list[str], *, what: str = "indicator") -> list[str]:
    """The requested indicators, checked against those available (did-you-mean on a typo).

    ``what`` names them in the message (e.g. ``"regional indicator"``)."""
    if requested is None:
        return list(available)
    for name in requested:
        if name not in available:
            close = difflib.get_close_matches(name, available, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ResultsError(f"unknown {what} '{name}'{hint} (the runs have {len(available)} {what}s; see docs/guide/outputs.md)")
    return list(dict.fromkeys(requested))


def read_results(paths: list[Path], indicators: list[str] | None = None, *, only_available: bool = False) -> Results:
    """Read run and sweep directories into :class:`Results`.

    Args:
        paths: run directories, sweep directories, or directories holding them.
        indicators: the indicators to read (default: all); checked with a did-you-mean.
        only_available: leave out requested indicators the runs do not have instead of
            failing (for a default set); all are read if none is left.

    Raises:
        ResultsError: an input is not a run or sweep, an indicator is unknown, the
            inputs are from different cities, or no finished run was found.
    """
    sources: list[_Source] = []
    seen: set[Path] = set()
    for p in paths:
        for kind, d in find_result_dirs(Path(p)):
            key = d.resolve()
            if key not in seen:
                seen.add(key)
                sources.append(_Source(kind, d))

    # the indicators every input has
    available: list[str] | None = None
    units: dict[str, str] = {}
    sweep_tables: dict[Path, pd.DataFrame] = {}
    for s in sources:
        if s.kind == "run":
            cols = _parquet_columns(s.path / "indicators.parquet")
            units.update(_units_from_schema(s.path / "indicators.parquet"))
        else:
            table = _read_sweep_table(s.path)
            sweep_tables[s.path] = table
            done = table[table["status"] == "done"]
            if done.empty:
                continue
            part = s.path / SWEEP_PARTS / f"{done['run_id'].iloc[0]}.parquet"
            cols = _parquet_columns(part)
            units.update(_units_from_schema(part))
        names = [c for c in cols if c not in NOT_INDICATORS]
        available = names if available is None else [c for c in available if c in names]
    if available is None:
        raise ResultsError("no finished runs in the inputs (" + ", ".join(str(s.path) for s in sources) + ")")
    if only_available and indicators is not None:
        indicators = [i for i in indicators if i in available] or None
    chosen = check_indicators(indicators, available)
    if not units:
        from simulator.model.indicators import INDICATOR_UNITS

        units = dict(INDICATOR_UNITS)

    variants: dict[str, Variant] = {}
    frames: list[pd.DataFrame] = []
    keyed: dict[tuple, Variant] = {}
    resolved_cache: dict[str, dict | None] = {}
    excluded: dict[str, list[tuple[str, str]]] = {}  # variant label -> (run, why) left out
    for s in sources:
        if s.kind == "run":
            _read_run(s.path, chosen, variants, keyed, frames, resolved_cache, excluded)
        else:
            _read_sweep(s.path, sweep_tables[s.path], chosen, variants, keyed, frames, excluded)
    _check_none_emptied(variants, excluded)
    if not frames:
        raise ResultsError("no finished runs in the inputs (" + ", ".join(str(s.path) for s in sources) + ")")
    _check_one_city(variants)
    wide = pd.concat(frames, ignore_index=True)
    long = wide.melt(id_vars=["scenario", "run_id", "seed", "seed_index", "year"], value_vars=chosen, var_name="indicator", value_name="value")
    long["year"] = long["year"].astype(int)
    long["seed"] = long["seed"].astype("int64")
    long["seed_index"] = long["seed_index"].astype("Int64")
    long["value"] = long["value"].astype(float)
    return Results(
        table=long[list(LONG_COLUMNS)],
        variants=variants,
        units={k: units.get(k, "") for k in chosen},
        available=available,
        excluded=[item for items in excluded.values() for item in items],
    )


def _check_none_emptied(variants: dict[str, Variant], excluded: dict[str, list[tuple[str, str]]]) -> None:
    """Raise if leaving out failed runs leaves a scenario with none: it would vanish from the comparison."""
    emptied = [label for label, v in variants.items() if not v.runs and excluded.get(label)]
    if not emptied:
        return
    parts = []
    for label in emptied:
        items = excluded[label]
        shown = "; ".join(f"{where}: {why}" for where, why in items[:MAX_EXCLUDED_IN_MESSAGE])
        more = f"; and {len(items) - MAX_EXCLUDED_IN_MESSAGE} more" if len(items) > MAX_EXCLUDED_IN_MESSAGE else ""
        n = len(items)
        parts.append(f"'{label}': {'its run' if n == 1 else f'all its {n} runs'} failed their checks ({shown}{more})")
    raise ResultsError(
        "no run left to compare for " + "; ".join(parts) + ". Failed runs are never compared: fix the scenario "
        "or the model and run it again, or leave it out of the inputs"
    )


def _unique_label(name: str, qualifier: str, variants: dict[str, Variant]) -> str:
    if name not in variants:
        return name
    label = f"{name} ({qualifier})" if qualifier else f"{name} (2)"
    n = 2
    while label in variants:
        n += 1
        label = f"{name} ({qualifier}, {n})" if qualifier else f"{name} ({n})"
    return label


def _read_run(path: Path, chosen: list[str], variants, keyed, frames, resolved_cache, excluded) -> None:
    manifest = _manifest(path)
    name = manifest.get("scenario_name") or path.parent.name
    overrides = tuple(manifest.get("overrides") or ())
    scale = manifest.get("scale")
    key = ("runs", name, overrides, scale)
    variant = keyed.get(key)
    if variant is None:
        qualifier = ", ".join(overrides) if overrides else (f"scale {scale}" if scale is not None else "")
        label = _unique_label(name, qualifier, variants)
        sha = manifest.get("scenario_sha256", "")
        if sha not in resolved_cache:
            resolved_cache[sha] = _yaml(path / "scenario.resolved.yaml")
        variant = Variant(label=label, scenario_name=name, kind="runs", overrides=overrides, scale=scale, scenario=resolved_cache[sha])
        variants[label] = variant
        keyed[key] = variant
    failure = run_failure(manifest)
    if failure is not None:  # kept on disk for inspection, never compared
        excluded.setdefault(variant.label, []).append((str(path), failure))
        return
    seed = int(manifest.get("seed", 0))
    if any(r.seed == seed for r in variant.runs):
        return  # the same scenario and seed again: identical results, counted once
    run_id = manifest.get("run_id") or path.name
    variant.runs.append(RunInfo(run_id=run_id, variant=variant.label, seed=seed, seed_index=None, path=path, manifest=manifest, accounting=manifest.get("accounting")))
    df = _read_parquet(path / "indicators.parquet", ["year", *chosen])
    df.insert(0, "scenario", variant.label)
    df.insert(1, "run_id", run_id)
    df.insert(2, "seed", seed)
    df.insert(3, "seed_index", pd.NA)
    frames.append(df)


def _read_sweep_table(path: Path) -> pd.DataFrame:
    table = _read_parquet(path / SWEEP_TABLE, _parquet_columns(path / SWEEP_TABLE))
    missing = [c for c in ("run_id", "point_id", "seed", "status") if c not in table.columns]
    if missing:
        raise ResultsError(f"{path / SWEEP_TABLE}: not a sweep's run table (no column {', '.join(missing)})")
    return table.reset_index(drop=True)


def _sweep_row_failure(row: pd.Series) -> str | None:
    """Why a row of a sweep's run table is not compared: not done (failed, pending), or done with
    its accounting columns recording a violation (sweeps written before failed runs were marked)."""
    status = str(row.get("status"))
    if status != "done":
        if status != "failed":
            return None  # pending: not a failure, silently not read (a sweep may be under way)
        error = row.get("error")
        return " ".join(str(error).split()) if isinstance(error, str) and error.strip() else "failed"
    return accounting_failure({k: row.get(k) for k in ("n_violations", *(key for key, _ in ACCOUNTING_FLAGS)) if k in row.index})


def _sweep_scenario(path: Path, manifest: dict) -> dict | None:
    for name in SWEEP_SCENARIO_FILES:
        data = _yaml(path / name)
        if data is not None:
            return data
    city = manifest.get("city")
    if isinstance(city, dict):
        return {"city": city}
    if isinstance(city, str):
        return {"city": {"name": city}}
    return None


def _read_sweep(path: Path, table: pd.DataFrame, chosen: list[str], variants, keyed, frames, excluded) -> None:
    manifest = _manifest(path) if (path / "manifest.json").is_file() else {}
    suspect = table["status"] != "done"
    for key in [k for k, _ in ACCOUNTING_FLAGS if k in table.columns]:
        suspect |= table[key].map(_is_false).astype(bool)
    if "n_violations" in table.columns:
        suspect |= pd.to_numeric(table["n_violations"], errors="coerce").fillna(0) > 0
    failures = pd.Series([None] * len(table), index=table.index, dtype=object)
    if suspect.any():
        failures[suspect] = [_sweep_row_failure(row) for _, row in table[suspect].iterrows()]
    table = table.assign(load_failure=failures)
    table = table[(table["status"] == "done") | table["load_failure"].notna()]  # pending runs are not read
    base = _sweep_scenario(path, manifest)
    if "scenario_name" not in table.columns:
        table = table.assign(scenario_name=(base or {}).get("name", path.name))
    if "seed_index" not in table.columns:
        table = table.assign(seed_index=table.groupby("point_id").cumcount())
    # the sweep's manifest names its parameter columns; older or foreign sweeps: dotted column names
    named = [p.get("name") for p in manifest.get("parameters", []) if isinstance(p, dict)]
    parameters = [c for c in named if c in table.columns] or [
        c for c in table.columns if c not in SWEEP_RUN_COLUMNS and "." in c
    ]
    points = table.groupby(["scenario_name", "point_id"], sort=False)
    names_with_several_points = table.groupby("scenario_name")["point_id"].nunique()
    for (name, point), rows in points:
        key = ("sweep", path.resolve(), name, point)
        variant = keyed.get(key)
        if variant is None:
            params = {c: _plain(rows[c].iloc[0]) for c in parameters}
            several = names_with_several_points[name] > 1
            label = _unique_label(f"{name} #{point}" if several else str(name), path.name, variants)
            scenario = dict(base) if base else None
            if scenario is not None:
                scenario["name"] = name
            variant = Variant(label=label, scenario_name=str(name), kind="sweep", source=path, point_id=str(point), parameters=params, scenario=scenario)
            variants[label] = variant
            keyed[key] = variant
        for row in rows.itertuples(index=False):
            run_id = str(row.run_id)
            if row.load_failure is not None and not (isinstance(row.load_failure, float) and np.isnan(row.load_failure)):
                excluded.setdefault(variant.label, []).append((f"{path} run {run_id}", str(row.load_failure)))
                continue
            part = path / SWEEP_PARTS / f"{run_id}.parquet"
            if not part.is_file():
                raise ResultsError(f"{part}: missing (the sweep's runs.parquet says run {run_id} is done)")
            df = _read_parquet(part, ["year", *chosen])
            seed, seed_index = int(row.seed), int(row.seed_index)
            acc = {k: _plain(getattr(row, k)) for k in ("stock_flow_ok", "population_identity_ok", "stock_flow_max_relative_error", "n_violations") if hasattr(row, k)}
            provenance = {k: manifest.get(k) for k in ("version", "git_commit", "created_utc", "scale") if k in manifest}
            for k in ("scenario_sha256", "scale", "wall_time_seconds"):
                if hasattr(row, k):
                    provenance[k] = _plain(getattr(row, k))
            variant.runs.append(RunInfo(run_id=run_id, variant=variant.label, seed=seed, seed_index=seed_index, path=part, manifest=provenance, accounting=acc or None))
            df.insert(0, "scenario", variant.label)
            df.insert(1, "run_id", run_id)
            df.insert(2, "seed", seed)
            df.insert(3, "seed_index", seed_index)
            frames.append(df)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_one_city(variants: dict[str, Variant]) -> None:
    cities: dict[str, list[str]] = {}
    for v in variants.values():
        if v.city:
            cities.setdefault(v.city, []).append(v.label)
    if len(cities) > 1:
        listing = "; ".join(f"{city}: {', '.join(labels)}" for city, labels in cities.items())
        raise ResultsError(f"the inputs are from different cities ({listing}); compare one city at a time")
