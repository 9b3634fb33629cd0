"""The panel's hindcast: every city of a panel from its 2010 census to 2020, predictions only.

``sim hindcast PANEL_SPEC --from 2010 --to 2020`` runs each city of a panel spec (a YAML file
naming each city's baseline scenario, e.g. ``calibration/panel.yaml``) from the census year to
``--to`` on N seeds, through the project's executors (local processes or Dask,
:func:`simulator.experiment.executors.make_executor`), and tabulates per city:

* the predicted population in the last year and its change from the census (%), the share aged
  60+: the median across seeds with a 90% interval from the seeds (5% and 95% quantiles);
* beside them the naive forecasts from the censuses alone: persistence (the 2010 census value)
  and, where the 2000 census gives the city's population, the 2000-2010 trend carried forward
  (linear: the same number of persons a year; compound: the same rate a year);
* the urban share of the 2010 census as its persistence forecast: the model has no urban share
  of its own (see the guide, ``docs/guide/hindcast.md``);
* the 2010 hukou gap ((residents - registered) / residents) and the mining share of the
  employed, against which the figure plots the predicted change.

The out-of-sample rule: nothing dated after 2010 about any city of the panel goes in (the city
files are built from the 2010 census and from Fuxin's fit to 2010); the table holds no observed
value after the census year.

By default the interval is from seeds only: the runs of a city differ by their random draws, not
by their parameters. With ``--parameter-draws N`` and a ``parameter_uncertainty`` block in the
panel spec (a ``sim calibrate`` result and the parameters to draw), :class:`FitDraws` draws ``N``
parameter sets from the fit's near-optimal candidates (objective within the fit's noise of the
best), each run on every seed and pooled with the seeds in the intervals. A draw sets in a city only
the values its file takes unchanged from the fit (:func:`fitted_keys`); the other parameters keep
the file's values. The near-optimal set measures how flat the objective is at the fit's noise, not
a posterior.

Everything the command writes goes to a hidden temporary directory first and is moved into
place only when every file is complete (:func:`write_outputs`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.cities import CITY_LIST
from simulator.cities.data import (
    CityDataError,
    city_title,
    find_data_file,
    load_city,
    read_city_list,
    shown_path,
)
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import (
    OVERRIDE_FILE,
    load_raw,
    load_scenario,
    location,
    validate_located,
)
from simulator.scenario.schema import Scenario
from simulator.scenario.suggest import closest
from simulator.scenario.yaml_source import Locations

__all__ = [
    "CENSUS_YEAR",
    "CityFacts",
    "FitDraws",
    "HindcastError",
    "HindcastRow",
    "Panel",
    "PanelCity",
    "RunTask",
    "hindcast_rows",
    "load_panel",
    "naive_population",
    "plan_runs",
    "read_fit_draws",
    "run_panel",
    "run_task",
    "write_outputs",
]

CENSUS_YEAR = 2010
"""The census the panel starts from: the only year with whole census rows for every city
(``calibration/data/census2010_coal_panel.csv``), so the only ``--from`` of a hindcast."""

EARLIER_CENSUS_YEAR = 2000
"""The census whose populations give the 2000-2010 trend (``census2000_population.csv``)."""

INDICATORS = ("population", "share_aged_60_plus")
"""The model's indicators a hindcast run returns (yearly, December)."""

QUANTILES = (0.05, 0.5, 0.95)
"""Lower bound, median and upper bound of the interval across runs."""

DEFAULT_SEEDS = 10

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

OUT_CSV = "hindcast.csv"
OUT_JSON = "hindcast.json"
OUT_MD = "hindcast.md"
OUT_RUNS = "runs.csv"
OUT_FIGURE = "population_change.png"


class HindcastError(Exception):
    """A hindcast that cannot go on: a run failed (its accounts broke, or an error).

    ``accounts_broke``: every failed run broke its accounts (or met a non-finite value), as
    opposed to an error in the code or the data.
    """

    def __init__(self, message: str, *, accounts_broke: bool = False) -> None:
        super().__init__(message)
        self.accounts_broke = accounts_broke


# ---------------------------------------------------------------- the spec


class ParameterUncertainty(BaseModel):
    """Where a hindcast's parameter draws come from: a ``sim calibrate`` result and the fitted
    parameters to draw (those each city file takes unchanged from that fit)."""

    model_config = ConfigDict(extra="forbid")

    fit: str
    parameters: list[str] = Field(min_length=1)


class PanelSpec(BaseModel):
    """A panel spec file: a name and, per city of the city list, its scenario file."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str = ""
    cities: dict[str, str]
    root_seed: int | None = Field(None, ge=0, le=2**32 - 1)
    parameter_uncertainty: ParameterUncertainty | None = None

    @field_validator("cities")
    @classmethod
    def _some(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("a panel needs at least one city (short name: scenario file)")
        return v


@dataclass(frozen=True)
class CityFacts:
    """What the censuses say about a city: the naive forecasts' inputs and the figure's axes.

    Shares are fractions. ``population_2000`` is None where the 2000 census table has no row.
    """

    city: str
    name_zh: str
    province: str
    population_2010: float
    share_aged_60_plus_2010: float
    urban_share_2010: float
    hukou_registered_2010: float
    mining_share_of_employed_2010: float
    population_2000: float | None = None
    source_2010: str = ""
    source_2000: str = ""

    @property
    def hukou_gap_share_2010(self) -> float:
        """(residents - registered residents) / residents: negative where registered people live elsewhere."""
        return (self.population_2010 - self.hukou_registered_2010) / self.population_2010

    @property
    def title(self) -> str:
        return city_title(self.city)


@dataclass
class PanelCity:
    """A city of the panel: its facts and its scenario (end year set to the hindcast's).

    ``drawn_keys``: the scenario keys a parameter draw may set in this city (those its file takes
    unchanged from the fit the draws come from, by the ``fitted: <parameter>`` provenance
    comment); ``None``: every key of a draw.
    """

    city: str
    scenario_file: Path
    scenario: Scenario
    facts: CityFacts
    drawn_keys: frozenset[str] | None = None


@dataclass(frozen=True)
class FitDraws:
    """The near-optimal candidates of a calibration (``sim calibrate``'s ``history.csv`` and
    ``profiles.csv``: finished runs with sound accounts whose objective is within the fit's noise
    ``delta`` of the best, as the report counts them) for
    the parameters the panel draws, with each parameter's scenario key."""

    directory: Path
    keys: dict[str, str]
    candidates: np.ndarray  # one row per candidate, one column per parameter (in keys' order)
    delta: float

    def draws(self, n: int, root_seed: int | None) -> list[tuple[str, ...]]:
        """``n`` parameter sets drawn without replacement from the near-optimal candidates, as
        ``--set`` overrides; the same ``n`` and root seed give the same sets.

        Raises:
            ValueError: Fewer near-optimal candidates than ``n``.
        """
        k = len(self.candidates)
        if n > k:
            raise ValueError(
                f"--parameter-draws {n}: the fit {shown_path(self.directory)} has {k} near-optimal candidate"
                f"{'s' if k != 1 else ''} (objective within {self.delta:.3g} of the best); ask for at most {k}"
            )
        seq = np.random.SeedSequence([0 if root_seed is None else root_seed, PARAMETER_DRAW_KEY])
        pick = np.sort(np.random.default_rng(seq).choice(k, size=n, replace=False))
        names = list(self.keys)
        return [tuple(f"{self.keys[name]}={float(self.candidates[i, j])!r}" for j, name in enumerate(names)) for i in pick]


PARAMETER_DRAW_KEY = 0x64726177
"""Mixed into the root seed for the choice of parameter draws ('draw'), apart from the runs' seeds."""


def read_fit_draws(directory: Path, names: Sequence[str], where: Callable[[str, str | None], ScenarioError]) -> FitDraws:
    """The near-optimal candidates of the fit in ``directory`` for the parameters ``names``.

    ``where(message, suggestion)`` makes the error for the spec's ``parameter_uncertainty``.
    """
    files = {n: directory / n for n in ("parameters.csv", "history.csv", "manifest.json")}
    missing = [n for n, f in files.items() if not f.is_file()]
    if missing:
        raise where(f"{shown_path(directory)} is not a sim calibrate result: no {', '.join(missing)}", None)
    malformed = (KeyError, ValueError, TypeError, AttributeError, UnicodeDecodeError)

    def unreadable(e: Exception) -> ScenarioError:
        return where(f"{shown_path(directory)}: a file of the fit cannot be read ({type(e).__name__}: {e})", None)

    try:
        with open(files["parameters.csv"], encoding="utf-8", newline="") as fh:
            params = {r["name"]: r for r in csv.DictReader(fh)}
        delta = float(json.loads(files["manifest.json"].read_text(encoding="utf-8")).get("result", {}).get("noise_delta") or 0.0)
        with open(files["history.csv"], encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r.get("status") == "done" and r.get("accounting_ok") == "True" and r.get("objective")]
        # the profile points are candidates too (the report's near-optimal set counts them): the
        # fitted values with one parameter moved
        profiles = directory / "profiles.csv"
        if profiles.is_file():
            fitted = {n: r["fitted"] for n, r in params.items()}
            with open(profiles, encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    if r.get("status") == "done" and r.get("objective") and r.get("parameter") in fitted:
                        rows.append({**fitted, r["parameter"]: r["value"], "objective": r["objective"]})
    except malformed as e:
        raise unreadable(e) from None
    keys: dict[str, str] = {}
    for name in names:
        if name not in params:
            raise where(f"unknown parameter {name!r} of the fit {shown_path(directory)}", closest(name, list(params)))
        row = params[name]
        key_list = (row.get("keys") or "").split()
        if row.get("apply") != "set" or len(key_list) != 1:
            raise where(
                f"parameter {name!r} is a multiplier of several values ({row.get('keys')}): a draw can set only a "
                "parameter that is one value of the scenario", None,
            )
        keys[name] = key_list[0]
    if not rows:
        raise where(f"the fit {shown_path(directory)} has no finished candidate", None)
    try:
        objective = np.array([float(r["objective"]) for r in rows])
        near = [r for r, j in zip(rows, objective, strict=True) if j <= objective.min() + delta]
        # one candidate per set of values: the history and the profiles write the same value with
        # different digits (0.000731507 and 0.00073150745), so they are compared to 6 significant digits
        values = np.unique(np.array([[float(f"{float(r[n]):.6g}") for n in names] for r in near]), axis=0)
    except malformed as e:
        raise unreadable(e) from None
    return FitDraws(directory=directory, keys=keys, candidates=values, delta=delta)


def fitted_keys(file: Path, fit: FitDraws) -> frozenset[str]:
    """The keys of ``fit``'s parameters that the scenario file takes unchanged from the fit: those
    whose value carries the provenance comment ``from <city>: fitted: <parameter>`` (written by
    ``sim new-city``); a value the city sets itself, or one transformed from the fit's (``from
    Fuxin, its 2000 level carried ...``), is never replaced by a draw."""
    text = file.read_text(encoding="utf-8")
    return frozenset(key for name, key in fit.keys.items() if re.search(rf"#\s*from [^:,\n]+: fitted: {re.escape(name)}\b", text))


@dataclass
class Panel:
    """A validated panel spec with every city's scenario and census figures."""

    name: str
    path: Path
    description: str
    from_year: int
    to_year: int
    root_seed: int | None
    cities: list[PanelCity]
    scale: int | None = None
    fit: FitDraws | None = None

    def seeds_of(self, pc: PanelCity, n: int) -> list[int]:
        """The seeds of a city: ``n`` derived from the spec's root seed, else from the city's ``run.seed``."""
        from simulator.experiment.seeds import derive_seeds

        return derive_seeds(self.root_seed if self.root_seed is not None else pc.scenario.run.seed, n)


def _error(locs: Locations, path: tuple[Any, ...], message: str, suggestion: str | None = None) -> ScenarioError:
    file, line = location(locs, path)
    shown = ".".join(str(p) for p in path) or None
    return ScenarioError(message, file=file, line=line, key=shown, suggestion=suggestion)


def census_facts(city: str, *, city_list: Path = CITY_LIST) -> CityFacts:
    """A city's 2010 census figures (and its 2000 population where known), from the project's tables.

    Raises:
        CityDataError: The city or its census row is missing or bad.
    """
    data = load_city(city, CENSUS_YEAR, city_list=city_list)
    row = data.census
    if row.full is None:  # a summary table has no registered population
        raise CityDataError("the 2010 census table must hold whole census rows (pop_hukou_registered)", file=row.file)
    return CityFacts(
        city=data.entry.city,
        name_zh=data.entry.name_zh,
        province=data.entry.province,
        population_2010=float(row["population"]),
        share_aged_60_plus_2010=float(row["share60"]),
        urban_share_2010=float(row["urban_share"]),
        hukou_registered_2010=float(row.full["pop_hukou_registered"]),
        mining_share_of_employed_2010=float(row["mining_share_employed"]),
        population_2000=None if data.earlier is None else float(data.earlier["population"]),
        source_2010=f"{row.file}:{row.line}",
        source_2000="" if data.earlier is None else f"{data.earlier.file}:{data.earlier.line}",
    )


def load_panel(
    path: str | os.PathLike[str],
    *,
    from_year: int = CENSUS_YEAR,
    to_year: int = 2020,
    scale: int | None = None,
    city_list: Path = CITY_LIST,
) -> Panel:
    """Read and check a panel spec, every city's scenario file (run to ``to_year``) and census rows.

    Raises:
        ScenarioError: One line naming the file, line and key, what was expected and, for a
            misspelt key or city, the one probably meant (a bad scenario file: its own file and line).
        CityDataError: A census table or the city list cannot be read.
    """
    if from_year != CENSUS_YEAR:
        raise ScenarioError(
            f"the hindcast starts from the {CENSUS_YEAR} census (the panel's information set: the only census "
            f"with whole rows for every city), got {from_year}",
            file="--from",
        )
    if to_year <= from_year:
        raise ScenarioError(f"expected a year after --from {from_year}, got {to_year}", file="--to")
    path = Path(path)
    data, locs = load_raw(path)
    spec = validate_located(PanelSpec, data, locs)
    if spec.name is not None and not _NAME.match(spec.name):
        raise _error(locs, ("name",), f"expected a name usable as a directory name (letters, digits, _ . -), got {spec.name!r}")
    known = read_city_list(find_data_file(city_list))
    fit = None
    if spec.parameter_uncertainty is not None:
        pu = spec.parameter_uncertainty

        def where(message: str, suggestion: str | None) -> ScenarioError:
            return _error(locs, ("parameter_uncertainty",), message, suggestion)

        fit = read_fit_draws(Path(os.path.normpath(path.parent / pu.fit)), pu.parameters, where)
    seen_files: dict[str, str] = {}
    cities: list[PanelCity] = []
    for key, ref in spec.cities.items():
        here = ("cities", key)
        city = str(key).strip().lower()
        if city not in known:
            raise _error(
                locs, here, f"unknown city {key!r}: expected a short name of the city list ({shown_path(city_list)})",
                suggestion=closest(city, list(known)),
            )
        if not isinstance(ref, str) or not ref.strip():
            raise _error(locs, here, f"expected the city's scenario file (relative to {path.name}), got {ref!r}")
        file = Path(os.path.normpath(path.parent / ref.strip()))
        if not file.is_file():
            raise _error(locs, here, f"scenario file not found: {file.as_posix()}")
        real = os.path.realpath(file)
        if real in seen_files:
            raise _error(locs, here, f"{ref!r} is already the file of {seen_files[real]!r}: each city needs its own")
        seen_files[real] = city
        try:
            scenario = load_scenario(file, overrides=[f"run.end_year={to_year}"], scale=scale)
        except ScenarioError as exc:
            if exc.file == OVERRIDE_FILE and exc.key == "run.end_year":  # the override is --to's
                raise ScenarioError(re.sub(r" \(in --set '.*'\)$", "", exc.message), file="--to") from None
            raise
        if scenario.run.start_year != from_year:
            raise _error(
                locs, here,
                f"{file.as_posix()} starts in {scenario.run.start_year} (run.start_year); a hindcast from {from_year} "
                f"needs the city of the {from_year} census (sim new-city {city} --census {from_year})",
            )
        entry = known[city]
        names = {entry.city, entry.name_zh.lower()} - {""}
        if scenario.city.name.strip().lower() not in names and scenario.city.name_zh.strip().lower() not in names:
            raise _error(
                locs, here,
                f"{file.as_posix()} is the city {scenario.city.name!r} ({scenario.city.name_zh}), not {city!r}",
            )
        if scenario.counterfactual is not None:
            raise _error(
                locs, here,
                f"{file.as_posix()} is a package scenario (its counterfactual is {scenario.counterfactual!r}): a "
                f"hindcast runs the cities' baselines, which hold nothing dated after {from_year}",
            )
        drawn = None if fit is None else fitted_keys(file, fit)
        cities.append(PanelCity(city=city, scenario_file=file, scenario=scenario, facts=census_facts(city, city_list=city_list), drawn_keys=drawn))
    return Panel(
        name=spec.name or path.stem,
        path=path,
        description=spec.description,
        from_year=from_year,
        to_year=to_year,
        root_seed=spec.root_seed,
        cities=cities,
        scale=scale,
        fit=fit,
    )


# ---------------------------------------------------------------- the runs


@dataclass(frozen=True)
class RunTask:
    """One run: a city's scenario file at one seed (and one parameter draw), to the hindcast's end."""

    city: str
    draw: int
    seed_index: int
    seed: int
    scenario_file: str
    end_year: int
    scale: int | None = None
    overrides: tuple[str, ...] = ()


def plan_runs(panel: Panel, n_seeds: int, draws: Sequence[tuple[str, ...]] = ((),)) -> list[RunTask]:
    """Every run of a hindcast, city by city, draw by draw, seed by seed.

    ``draws``: sets of ``--set`` overrides (parameter values), each run on the same seeds; the
    default is one draw, the files as written (interval from seeds only). A draw sets in a city only
    the keys of its ``drawn_keys`` (all of them if ``None``).
    """
    if n_seeds < 1:
        raise ValueError("a hindcast needs at least one seed")
    if not draws:
        raise ValueError("a hindcast needs at least one draw (the files as written: ())")
    tasks = []
    for pc in panel.cities:
        seeds = panel.seeds_of(pc, n_seeds)
        for d, overrides in enumerate(draws):
            own = tuple(o for o in overrides if pc.drawn_keys is None or o.split("=", 1)[0].strip() in pc.drawn_keys)
            for i, seed in enumerate(seeds):
                tasks.append(RunTask(pc.city, d, i, seed, os.fspath(pc.scenario_file), panel.to_year, panel.scale, own))
    return tasks


def run_task(task: RunTask) -> dict[str, list[float]]:
    """Worker: run one city at one seed to the end year; its yearly ``year`` and :data:`INDICATORS`.

    Raises:
        AccountingError: The run broke its accounts (it is never used).
    """
    from simulator.experiment.run import indicator_columns, simulate
    from simulator.model.accounts import AccountingError

    overrides = (f"run.end_year={task.end_year}", *task.overrides)
    scenario = load_scenario(task.scenario_file, overrides=overrides, seed=task.seed, scale=task.scale)
    model, _ = simulate(scenario)
    failure = model.failure()
    if failure is not None:
        raise AccountingError(failure)
    cols = indicator_columns(model)
    return {k: [float(x) for x in cols[k]] for k in ("year", *INDICATORS)}


@dataclass
class RunResult:
    task: RunTask
    series: dict[str, list[float]]

    def at(self, indicator: str, year: int) -> float:
        years = [int(y) for y in self.series["year"]]
        return self.series[indicator][years.index(year)]


def run_panel(
    tasks: list[RunTask],
    *,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    on_start: Callable[[int, str], None] | None = None,
    on_run: Callable[[], None] | None = None,
) -> list[RunResult]:
    """Run every task on an executor; the results in task order (whatever the order of completion).

    Raises:
        HindcastError: A run failed (every failed run is named; nothing of the others is used).
        ExecutorError: Bad executor options or an unreachable scheduler.
    """
    from simulator.experiment.executors import make_executor

    by_key: dict[int, dict[str, list[float]]] = {}
    failed: list[str] = []
    errors: list[str] = []
    with make_executor(executor, workers, scheduler) as ex:
        if on_start is not None:
            on_start(len(tasks), ex.describe())
        for outcome in ex.map_unordered(run_task, list(enumerate(tasks))):
            if outcome.ok:
                by_key[outcome.key] = outcome.result
            else:
                t = tasks[outcome.key]
                failed.append(f"{t.city} (seed {t.seed}, {t.scenario_file}): {outcome.error}")
                errors.append(outcome.error or "")
            if on_run is not None:
                on_run()
    if failed:
        more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
        raise HindcastError(
            f"{len(failed)} of {len(tasks)} runs failed, nothing written: " + "; ".join(failed[:3]) + more,
            accounts_broke=all(e.startswith(("AccountingError", "NonFiniteError")) for e in errors),
        )
    return [RunResult(t, by_key[k]) for k, t in enumerate(tasks)]


# ---------------------------------------------------------------- the table


def naive_population(facts: CityFacts, from_year: int, to_year: int) -> dict[str, float | None]:
    """The census-only forecasts of the population in ``to_year``.

    ``persistence``: the census population of ``from_year``; ``linear_trend``: the census change
    of 2000-2010 in persons a year carried on; ``compound_trend``: its rate a year carried on
    (None without a 2000 population).
    """
    p10 = facts.population_2010
    out: dict[str, float | None] = {"persistence": p10, "linear_trend": None, "compound_trend": None}
    p00 = facts.population_2000
    if p00 is not None and p00 > 0:
        span = (to_year - from_year) / (from_year - EARLIER_CENSUS_YEAR)
        out["linear_trend"] = p10 + (p10 - p00) * span
        out["compound_trend"] = p10 * (p10 / p00) ** span
    return out


@dataclass(frozen=True)
class Interval:
    """Median and 90% interval across runs, and how many runs."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Interval:
        a = np.asarray(values, dtype=float)
        lo, med, hi = (float(x) for x in np.quantile(a, QUANTILES))
        return cls(med, lo, hi, len(a))


@dataclass(frozen=True)
class HindcastRow:
    """One city's line of the table."""

    facts: CityFacts
    population: Interval
    population_change: Interval
    """Change from the census population, as a fraction (0.05 = +5%)."""
    share_aged_60_plus: Interval
    naive: dict[str, float | None] = field(default_factory=dict)


def hindcast_rows(
    facts: Sequence[CityFacts], runs: Sequence[tuple[str, dict[str, float]]], to_year: int, from_year: int = CENSUS_YEAR
) -> list[HindcastRow]:
    """The table: one row per city of ``facts`` (in that order) from the runs' values in ``to_year``.

    ``runs``: ``(city, {"population": ..., "share_aged_60_plus": ...})`` for every run (any order).

    Raises:
        ValueError: A city without runs.
    """
    by_city: dict[str, list[dict[str, float]]] = {}
    for city, values in runs:
        by_city.setdefault(city, []).append(values)
    rows = []
    for f in facts:
        vals = by_city.get(f.city)
        if not vals:
            raise ValueError(f"no run of {f.city!r}")
        pop = [v["population"] for v in vals]
        rows.append(
            HindcastRow(
                facts=f,
                population=Interval.of(pop),
                population_change=Interval.of([p / f.population_2010 - 1.0 for p in pop]),
                share_aged_60_plus=Interval.of([v["share_aged_60_plus"] for v in vals]),
                naive=naive_population(f, from_year, to_year),
            )
        )
    return rows


CSV_COLUMNS = (
    "city", "name_zh", "province", "n_runs",
    "population_median", "population_p05", "population_p95",
    "population_persistence", "population_linear_trend", "population_compound_trend",
    "population_change_median", "population_change_p05", "population_change_p95",
    "share_aged_60_plus_median", "share_aged_60_plus_p05", "share_aged_60_plus_p95", "share_aged_60_plus_persistence",
    "urban_share_persistence",
    "population_2010_census", "population_2000_census", "hukou_gap_share_2010", "mining_share_of_employed_2010",
)
"""Columns of ``hindcast.csv``: shares and changes as fractions, populations in persons; an empty
cell where a value does not exist (no 2000 population: no trend)."""


def row_record(r: HindcastRow) -> dict[str, Any]:
    """A row as a flat record (``CSV_COLUMNS``); None where a value does not exist."""
    f = r.facts
    return {
        "city": f.city, "name_zh": f.name_zh, "province": f.province, "n_runs": r.population.n,
        "population_median": r.population.median, "population_p05": r.population.low, "population_p95": r.population.high,
        "population_persistence": r.naive["persistence"], "population_linear_trend": r.naive["linear_trend"],
        "population_compound_trend": r.naive["compound_trend"],
        "population_change_median": r.population_change.median, "population_change_p05": r.population_change.low,
        "population_change_p95": r.population_change.high,
        "share_aged_60_plus_median": r.share_aged_60_plus.median, "share_aged_60_plus_p05": r.share_aged_60_plus.low,
        "share_aged_60_plus_p95": r.share_aged_60_plus.high, "share_aged_60_plus_persistence": f.share_aged_60_plus_2010,
        "urban_share_persistence": f.urban_share_2010,
        "population_2010_census": f.population_2010, "population_2000_census": f.population_2000,
        "hukou_gap_share_2010": f.hukou_gap_share_2010, "mining_share_of_employed_2010": f.mining_share_of_employed_2010,
    }


def _num(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def csv_text(rows: Sequence[HindcastRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        rec = row_record(r)
        w.writerow([rec[c] if isinstance(rec[c], str | int) else _num(rec[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def fmt_persons(x: float | None) -> str:
    """Persons in thousands, as the table shows them (``1,766.0``); an en dash for none."""
    return "–" if x is None else f"{x / 1000:,.1f}"


def fmt_share(x: float | None, signed: bool = False) -> str:
    """A fraction as percent with one decimal (``26.6``, or ``+3.1`` signed)."""
    return "–" if x is None else (f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}")


def text_cells(r: HindcastRow) -> dict[str, str]:
    """The table's cells as text (terminal and Markdown): persons in thousands, shares in percent."""
    p, c, s = r.population, r.population_change, r.share_aged_60_plus
    return {
        "city": f"{r.facts.title} {r.facts.name_zh}".strip(),
        "population": f"{fmt_persons(p.median)} [{fmt_persons(p.low)}, {fmt_persons(p.high)}]",
        "change": f"{fmt_share(c.median, True)} [{fmt_share(c.low, True)}, {fmt_share(c.high, True)}]",
        "persistence": fmt_persons(r.naive["persistence"]),
        "linear": fmt_persons(r.naive["linear_trend"]),
        "compound": fmt_persons(r.naive["compound_trend"]),
        "old": f"{fmt_share(s.median)} [{fmt_share(s.low)}, {fmt_share(s.high)}]",
        "old_persistence": fmt_share(r.facts.share_aged_60_plus_2010),
        "urban_persistence": fmt_share(r.facts.urban_share_2010),
    }


def column_titles(from_year: int, to_year: int) -> dict[str, str]:
    """Header of each text cell (:func:`text_cells`)."""
    return {
        "city": "city",
        "population": f"population {to_year}, thousands: median [90%]",
        "change": f"change {from_year}-{to_year}, %: median [90%]",
        "persistence": f"persistence ({from_year} census)",
        "linear": f"linear trend {EARLIER_CENSUS_YEAR}-{from_year}",
        "compound": f"compound trend {EARLIER_CENSUS_YEAR}-{from_year}",
        "old": f"aged 60+ {to_year}, %: median [90%]",
        "old_persistence": f"aged 60+ persistence ({from_year})",
        "urban_persistence": f"urban share persistence ({from_year}), % (not modelled)",
    }


def markdown_table(rows: Sequence[HindcastRow], from_year: int, to_year: int) -> str:
    titles = column_titles(from_year, to_year)
    keys = list(titles)
    out = ["| " + " | ".join(titles[k] for k in keys) + " |", "|" + "|".join("---" if k == "city" else "---:" for k in keys) + "|"]
    for r in rows:
        cells = text_cells(r)
        out.append("| " + " | ".join(cells[k].replace("|", "\\|") for k in keys) + " |")
    return "\n".join(out) + "\n"


def interval_note(n_seeds: int, n_draws: int = 1) -> str:
    if n_draws == 1:
        return (f"90% interval from {n_seeds} seeds only (5% and 95% quantiles across runs): random draws of the model, "
                "not the uncertainty of its parameters")
    return (f"90% interval from {n_draws} parameter draws (near-optimal candidates of the fit) x {n_seeds} seeds "
            "(5% and 95% quantiles across runs)")


def markdown_text(panel: Panel, rows: Sequence[HindcastRow], n_seeds: int, executor: str, n_draws: int = 1) -> str:
    """``hindcast.md``: the table with what it means."""
    f, t = panel.from_year, panel.to_year
    n_trend = sum(r.naive["linear_trend"] is not None for r in rows)
    return (
        f"# Hindcast `{panel.name}`: {len(rows)} cities, {f}-{t}\n\n"
        f"Predictions only: each city from its {f} census to December {t}, without the 2016 package; nothing dated "
        f"after {f} about any city of the panel was fitted or read, and no observed value after {f} is shown. "
        f"Model: median across runs, {interval_note(n_seeds, n_draws)}. Population in thousands of residents; shares in "
        f"percent. Naive forecasts from the censuses alone: persistence (the {f} census value) and, for the "
        f"{n_trend} cities whose {EARLIER_CENSUS_YEAR} population the project's census table gives, the "
        f"{EARLIER_CENSUS_YEAR}-{f} change carried on (linear: the same persons a year; compound: the same rate). "
        f"The urban share has no model counterpart (the model does not follow where its residents live between "
        f"urban and rural places after the start): its {f} census value is given as its persistence forecast.\n\n"
        f"Panel spec `{shown_path(panel.path)}`; scale: {'each file' + chr(39) + 's run.scale' if panel.scale is None else panel.scale}; "
        f"runs on {executor}.\n\n"
        + markdown_table(rows, f, t)
    )


def json_record(
    panel: Panel, rows: Sequence[HindcastRow], seeds: dict[str, list[int]], draws: Sequence[tuple[str, ...]], executor: str,
    wall_seconds: float,
) -> dict[str, Any]:
    from simulator.experiment.run import git_commit

    n_seeds = len(next(iter(seeds.values()))) if seeds else 0
    n_draws = len(draws)
    return {
        "panel": panel.name,
        "panel_spec": shown_path(panel.path),
        # what made the numbers: the code's commit and each city file's hash (below)
        "git_commit": git_commit(),
        "panel_spec_sha256": hashlib.sha256(panel.path.read_bytes()).hexdigest(),
        "from_year": panel.from_year,
        "to_year": panel.to_year,
        "scale": panel.scale,
        "seeds_per_city": n_seeds,
        "parameter_draws": n_draws,
        "parameter_draw_values": [dict(o.split("=", 1) for o in d) for d in draws if d],
        "parameter_fit": None if panel.fit is None or not any(draws) else shown_path(panel.fit.directory),
        "interval": interval_note(n_seeds, n_draws),
        "quantiles": list(QUANTILES),
        "executor": executor,
        "wall_seconds": round(wall_seconds, 2),
        "units": {"population": "persons", "shares and changes": "fractions"},
        "urban_share": "no model counterpart: the 2010 census value (persistence) only",
        "out_of_sample": f"nothing dated after {panel.from_year} about any city of the panel was fitted or read; no observed value after {panel.from_year}",
        "cities": [
            {
                **{k: v for k, v in row_record(r).items()},
                "scenario_file": shown_path(pc.scenario_file),
                "scenario_sha256": hashlib.sha256(pc.scenario_file.read_bytes()).hexdigest(),
                "scale": pc.scenario.run.scale,
                "seeds": seeds.get(pc.city, []),
                "census_2010_source": r.facts.source_2010,
                "census_2000_source": r.facts.source_2000 or None,
            }
            for pc, r in zip(panel.cities, rows, strict=True)
        ],
    }


def runs_csv_text(results: Sequence[RunResult]) -> str:
    """``runs.csv``: every run's yearly values (city, draw, seed index, seed, year, indicators)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("city", "draw", "seed_index", "seed", "year", *INDICATORS))
    for r in results:
        t = r.task
        for i, y in enumerate(r.series["year"]):
            w.writerow((t.city, t.draw, t.seed_index, t.seed, int(y), *(repr(float(r.series[k][i])) for k in INDICATORS)))
    return buf.getvalue()


def write_outputs(out: Path, files: dict[str, Callable[[Path], None]]) -> list[Path]:
    """Write every file into a hidden temporary directory in ``out``, then move them all into place.

    ``files``: name -> a function writing that file at the path it is given. A failure leaves
    nothing of this call behind (files of an earlier call are kept).
    """
    import shutil
    import tempfile

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-hindcast-", dir=out))
    try:
        for name, write in files.items():
            write(tmp / name)
        final = []
        for name in files:
            os.replace(tmp / name, out / name)
            final.append(out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def write_hindcast(
    out: Path,
    panel: Panel,
    results: Sequence[RunResult],
    *,
    draws: Sequence[tuple[str, ...]] = ((),),
    executor: str = "",
    wall_seconds: float = 0.0,
    cjk: bool = True,
) -> tuple[list[HindcastRow], list[Path]]:
    """The table of the runs and every output file (CSV, JSON, Markdown, the runs, the figure)."""
    from simulator.cities.hindcast_plot import draw_population_change

    runs = [(r.task.city, {k: r.at(k, panel.to_year) for k in INDICATORS}) for r in results]
    rows = hindcast_rows([pc.facts for pc in panel.cities], runs, panel.to_year, panel.from_year)
    seeds: dict[str, list[int]] = {}
    for r in results:
        if r.task.draw == 0:
            seeds.setdefault(r.task.city, []).append(r.task.seed)
    n_seeds = len(next(iter(seeds.values())))
    n_draws = len(draws)
    record = json_record(panel, rows, seeds, draws, executor, wall_seconds)

    def text(s: str) -> Callable[[Path], None]:
        return lambda p: p.write_text(s, encoding="utf-8")

    files = {
        OUT_CSV: text(csv_text(rows)),
        OUT_JSON: text(json.dumps(record, indent=1, ensure_ascii=False, allow_nan=False) + "\n"),
        OUT_MD: text(markdown_text(panel, rows, n_seeds, executor, n_draws)),
        OUT_RUNS: text(runs_csv_text(results)),
        OUT_FIGURE: lambda p: draw_population_change(rows, p, panel.from_year, panel.to_year, interval_note(n_seeds, n_draws), cjk=cjk),
    }
    return rows, write_outputs(out, files)
