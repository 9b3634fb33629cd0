"""Calibration specs: free parameters, targets, seeds and the optimiser's budget.

A calibration spec is a YAML file (``calibration/*.yaml``) read with the scenario
machinery (safe YAML, ``file:line`` errors, did-you-mean)::

    name: fuxin                           # result directory name (default: the file name)
    base: ../scenarios/fuxin_baseline.yaml  # the scenario the parameters are fitted in
    set: [run.end_year=2015]              # --set style overrides for every run
    observed: data/fuxin_observed.csv     # observed figures (targets may name their ids); or a list of files
    parameters:
      matching_efficiency:
        key: labour.matching_efficiency_per_month   # a dotted scenario key, or a list
        low: 0.15
        high: 0.9
        why: >- why the value is not known from a source
      demand_growth:
        key: [sectors.manufacturing.external_demand_index.*]   # * = every key there
        years: [2001, 2100]               # where * stands for a year: only these years
        apply: multiply                   # the value multiplies each key's base value
        space: log                        # searched on a log scale
        low: 0.5
        high: 3.0
        why: ...
    targets:
      - {observed: gdp_2004, weight: 0.5}            # a row of the observed file, by id
      - {indicator: population, year: 2010, value: 1819339, weight: 1}   # or given here
    seeds: {per_evaluation: 2, root: 20011214}
    optimiser: {budget: 256, global_method: sobol, global_samples: 128, local_method: nelder-mead,
                polish_budget: 36, polish_step: 0.05}
    report: {seeds: 10, profile_points: 6, profile_step: 0.05}

Parameters (``type`` real or integer, ``apply`` set or multiply, ``space`` linear
or log) are searched between ``low`` and ``high``. A target compares a model
indicator with an observed value: ``kind`` is ``level`` (the indicator in that
year), ``ratio_to:<indicator>`` or ``avg_growth_since:<year>`` (as in
:mod:`simulator.analysis.fit`); ``weight`` 0 shows a figure without fitting it.
Every key, indicator, year and id is checked before anything runs.

A **panel** calibration (pooled across cities) gives ``panel:`` instead of ``base:``: a
mapping of city names to their base scenarios, or a panel file (``calibration/panel.yaml``,
the one ``sim hindcast`` reads) whose ``cities:`` is that mapping. Every free parameter is
common to all cities: one value, set in every city's scenario (a multiplier multiplies each
city's own base value), so each key must exist in every city's scenario. A target names its
city, or stands for several::

    panel: {fuxin: ../scenarios/cities/fuxin_2000.yaml, fushun: ../scenarios/cities/fushun_2000.yaml}
    targets:
      - {city: fuxin, observed: fuxin_population_2010}
      - {cities: all, observed: "{city}_population_2010", weight: 1}   # one target per city
      - {cities: [fuxin, fushun], observed: "{city}_registered_2005", if_missing: skip}

With ``cities:`` the ``observed`` id (or the ``indicator``) may hold ``{city}``, replaced by
each city's name; ``if_missing: skip`` leaves out the cities whose figure the observed file
lacks (the report counts them), otherwise a missing figure is an error. The objective pools
every city's targets (weights as given): the parameters are those that best fit the panel as
a whole. Runs of a candidate are one per city and seed.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.calibration.observed import ObservedFigure, ObservedFileError, read_observed
from simulator.experiment.seeds import derive_seeds
from simulator.experiment.sweep_spec import ParameterSpec, check_key, relocate_set, spec_error
from simulator.model.indicators import INDICATOR_UNITS
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import (
    apply_overrides,
    dump_resolved,
    load_raw,
    scenario_sha256,
    schema_type_at,
    validate_located,
)
from simulator.scenario.schema import Scenario
from simulator.scenario.yaml_source import Locations

__all__ = [
    "CalibrationSpec",
    "CityBase",
    "FreeParameter",
    "LoadedCalibration",
    "Target",
    "load_calibration_spec",
]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_DIR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
KINDS = ("level", "ratio_to:<indicator>", "avg_growth_since:<year>")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParameterCfg(_Strict):
    """One free parameter as written in the spec."""

    key: str | list[str]
    low: float
    high: float
    type: Literal["real", "integer"] = "real"
    apply: Literal["set", "multiply"] = "set"
    space: Literal["linear", "log"] = "linear"
    years: Annotated[list[Annotated[int, Field(ge=1900, le=2200)]], Field(min_length=2, max_length=2)] | None = None
    why: Annotated[str, Field(min_length=1)]

    @property
    def keys(self) -> list[str]:
        return [self.key] if isinstance(self.key, str) else list(self.key)


class TargetCfg(_Strict):
    """One target as written: an observed id, or indicator/year/value given here (in a panel:
    of the city named by ``city``, or of each city of ``cities``)."""

    city: str | None = None
    cities: Literal["all"] | list[str] | None = None
    if_missing: Literal["error", "skip"] = "error"
    observed: str | None = None
    indicator: str | None = None
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    kind: str | None = None
    value: float | None = None
    weight: Annotated[float, Field(ge=0.0)] = 1.0
    note: str = ""


class SeedsCfg(_Strict):
    """Seeds run for every candidate (common random numbers), from one root."""

    per_evaluation: Annotated[int, Field(ge=1, le=100)] = 2
    root: Annotated[int, Field(ge=0)]


class OptimiserCfg(_Strict):
    """The search: a global stage, then a local one, within a budget of candidates."""

    budget: Annotated[int, Field(ge=1, le=100_000)]
    global_method: Literal["sobol", "latin"] = "sobol"
    global_samples: Annotated[int, Field(ge=2, le=100_000)]
    local_method: Literal["nelder-mead", "none"] = "nelder-mead"
    local_step: Annotated[float, Field(gt=0.0, le=0.5)] = 0.1
    polish_budget: Annotated[int, Field(ge=0)] = 0
    polish_step: Annotated[float, Field(gt=0.0, le=0.5)] = 0.05
    # warm starts: candidates evaluated after the base values, before the global design (each
    # names some free parameters' values, the others take their base values), e.g. a previous
    # fit's values, so that a refit after a change to the model starts where the last fit ended;
    # the local search starts from the best candidate of all
    starts: list[dict[str, float]] = Field(default_factory=list)


class ReportCfg(_Strict):
    """What the report adds after the search.

    The profile of a parameter moves it away from its fitted position *u* (0..1 in its
    search range) by ``profile_step * 2**k``, k = 0, 1, ..., on either side (half of
    ``profile_points`` each, clipped to the bounds), the others held at their fitted values.
    """

    seeds: Annotated[int, Field(ge=2, le=200)] = 10
    profile_points: Annotated[int, Field(ge=0, le=40)] = 6
    profile_step: Annotated[float, Field(gt=0.0, le=0.5)] = 0.05


class CalibrationSpec(_Strict):
    """A whole calibration spec file."""

    name: str | None = None
    description: str = ""
    base: str | None = None
    panel: str | dict[str, str] | None = None
    set: list[str] = Field(default_factory=list)
    observed: str | list[str] | None = None
    parameters: dict[str, ParameterCfg]
    targets: list[TargetCfg]
    seeds: SeedsCfg
    optimiser: OptimiserCfg
    report: ReportCfg = ReportCfg()

    @field_validator("parameters")
    @classmethod
    def _some_parameters(cls, v: dict[str, ParameterCfg]) -> dict[str, ParameterCfg]:
        if not v:
            raise ValueError("a calibration needs at least one free parameter")
        return v

    @field_validator("targets")
    @classmethod
    def _some_targets(cls, v: list[TargetCfg]) -> list[TargetCfg]:
        if not v:
            raise ValueError("a calibration needs at least one target")
        return v


# ------------------------------------------------------------------ resolved


@dataclass(frozen=True)
class FreeParameter:
    """A free parameter with its scenario keys resolved against the base scenario.

    Attributes:
        name: The spec's name for it.
        keys: Concrete dotted scenario keys (wildcards expanded).
        base_values: Each key's value in the base scenario.
        low, high: Search bounds (of the value, or of the multiplier).
        type: ``real`` or ``integer``.
        apply: ``set`` (each key takes the value) or ``multiply`` (each key
            takes its base value times the value).
        space: ``linear`` or ``log``: the scale the search moves on.
        why: Why the value is not known from a source.
        by_city: In a panel: ``(city, keys, base_values)`` of every city, in the panel's
            order (``keys`` and ``base_values`` are the first city's); empty for one base.
    """

    name: str
    keys: tuple[str, ...]
    base_values: tuple[float, ...]
    low: float
    high: float
    type: str
    apply: str
    space: str
    why: str
    by_city: tuple[tuple[str, tuple[str, ...], tuple[float, ...]], ...] = ()

    def from_unit(self, u: float) -> float | int:
        """The parameter value at position *u* (0..1) of the search range."""
        u = min(1.0, max(0.0, float(u)))
        if self.space == "log":
            v = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + u * (self.high - self.low)
        if self.type == "integer":
            return int(min(self.high, max(self.low, round(v))))
        return min(self.high, max(self.low, v))

    def to_unit(self, value: float) -> float:
        """The position (0..1) of *value* in the search range."""
        if self.space == "log":
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    @property
    def base_value(self) -> float | None:
        """The base scenario's value of the parameter (1 for a multiplier), or
        None if its keys hold different values (in a panel: in any city)."""
        if self.apply == "multiply":
            return 1.0
        values = {v for _, _, bv in self.by_city for v in bv} if self.by_city else set(self.base_values)
        return next(iter(values)) if len(values) == 1 else None

    def city_keys(self, city: str = "") -> tuple[tuple[str, ...], tuple[float, ...]]:
        """The keys and base values in a city's scenario (``""``: the one base)."""
        if not self.by_city:
            return self.keys, self.base_values
        for name, keys, base_values in self.by_city:
            if name == city:
                return keys, base_values
        raise KeyError(f"{city!r} is not a city of the panel")

    def key_values(self, value: float | int, city: str = "") -> list[tuple[str, float | int]]:
        """The value each scenario key takes (in a panel: in that city's scenario)."""
        keys, base_values = self.city_keys(city)
        if self.apply == "multiply":
            return [(k, b * value) for k, b in zip(keys, base_values, strict=True)]
        return [(k, value) for k in keys]


@dataclass(frozen=True)
class Target:
    """A target with its observed value resolved.

    Attributes:
        id: The observed figure's id (or ``<indicator>_<year>`` for a value given in the spec).
        indicator, year, kind: What is simulated (see :mod:`simulator.analysis.fit`).
        observed: The observed value in the model's units.
        weight: Its weight in the objective (0: shown, not fitted).
        quality, source, note: From the observed file or the spec.
        city: The panel's city it belongs to (``""`` for a calibration of one base).
    """

    id: str
    indicator: str
    year: int
    kind: str
    observed: float
    weight: float
    quality: str = ""
    source: str = ""
    note: str = ""
    city: str = ""

    @property
    def fitted(self) -> bool:
        return self.weight > 0


@dataclass(frozen=True)
class CityBase:
    """One base scenario of a calibration (the only one, named ``""``, or a city of a panel).

    Attributes:
        name: The city's name in the panel (``""`` for a calibration of one base).
        path: The scenario file (normalised).
        scenario: The scenario after the spec's ``set``.
        text: Its resolved YAML (what every run of the city starts from).
        sha256: Its fingerprint.
    """

    name: str
    path: Path
    scenario: Scenario
    text: str
    sha256: str


@dataclass
class LoadedCalibration:
    """A validated spec with everything needed to run it.

    Attributes:
        spec: The validated spec.
        path: The spec file as given.
        text: Its bytes (copied into the result directory).
        name: The calibration's name (``spec.name`` or the file name).
        base_path: The base scenario file (relative to the spec, normalised).
        base: The base scenario after the spec's ``set``.
        base_text: Its resolved YAML (what every run starts from).
        parameters: Free parameters with resolved keys, in spec order.
        targets: Targets with resolved observed values, in spec order.
        seeds: The seeds of every evaluation (common random numbers).
        report_seeds: Further seeds for the report's bands (disjoint from ``seeds``).
        observed: The observed file's figures (empty if the spec names none).
        observed_paths: The observed files (normalised), in the spec's order.
        fingerprint: SHA-256 of what decides a run's result (base scenario, moments,
            seeds): a checkpoint's runs serve any spec with the same fingerprint.
        base_sha256: Fingerprint of the base scenario.
        cities: Every base scenario by city: one, named ``""``, unless the spec is a panel
            (then ``base_path``, ``base``, ``base_text`` and ``base_sha256`` are the first
            city's).
        skipped_targets: ``(city, observed id)`` of the targets left out for want of the
            figure (``if_missing: skip``).
    """

    spec: CalibrationSpec
    path: Path
    text: bytes
    name: str
    base_path: Path
    base: Scenario
    base_text: str
    parameters: list[FreeParameter]
    targets: list[Target]
    seeds: list[int]
    report_seeds: list[int]
    observed: dict[str, ObservedFigure] = field(default_factory=dict)
    observed_paths: list[Path] = field(default_factory=list)
    fingerprint: str = ""
    base_sha256: str = ""
    cities: dict[str, CityBase] = field(default_factory=dict)
    skipped_targets: list[tuple[str, str]] = field(default_factory=list)

    @property
    def budget(self) -> int:
        return self.spec.optimiser.budget

    @property
    def is_panel(self) -> bool:
        """True for a calibration pooled across a panel of cities (``panel:``)."""
        return self.spec.panel is not None

    def city_targets(self, city: str) -> list[Target]:
        """The targets of a city (in spec order)."""
        return [t for t in self.targets if t.city == city]

    def with_targets(self, targets: list[Target]) -> LoadedCalibration:
        """A copy with other targets (e.g. synthetic observed values), fingerprint updated."""
        out = copy.copy(self)
        out.targets = list(targets)
        out.fingerprint = _fingerprint(out)
        return out


# ------------------------------------------------------------------ loading


def load_calibration_spec(path: str | os.PathLike[str], *, budget: int | None = None) -> LoadedCalibration:
    """Read and check a calibration spec, its base scenario, keys, targets and observed file.

    Args:
        path: The spec file, as the user named it.
        budget: If given, replaces ``optimiser.budget``.

    Returns:
        The loaded calibration.

    Raises:
        ScenarioError: One line naming file, line and key, what was expected and,
            for a misspelt name, the name probably meant.
    """
    path = Path(path)
    data, locs = load_raw(path)
    spec = validate_located(CalibrationSpec, data, locs)
    if budget is not None:
        if budget < 1:
            raise ScenarioError(f"expected a budget of at least 1 candidate, got {budget}", file="--budget")
        spec.optimiser.budget = budget
    _check_spec(spec, locs)

    bases: dict[str, CityBase] = {}
    per_city: dict[str, list[FreeParameter]] = {}
    for city, base_path, where, here in _base_files(spec, path, locs):
        if not base_path.is_file():
            raise spec_error(where, here, f"no scenario file {os.fspath(base_path)!r}")
        raw, raw_locs = load_raw(base_path)
        try:
            apply_overrides(raw, raw_locs, spec.set)
        except ScenarioError as exc:
            raise relocate_set(exc, spec, locs) from None
        try:
            scenario = validate_located(Scenario, raw, raw_locs)
        except ScenarioError as exc:
            raise relocate_set(exc, spec, locs) from None
        fps = [_resolve_parameter(name, p, raw, raw_locs, locs) for name, p in spec.parameters.items()]
        _check_shared_keys(fps, locs)
        for fp in fps:
            _check_corners(fp, fps, raw, raw_locs, locs, city)
        per_city[city] = fps
        bases[city] = CityBase(city, base_path, scenario, dump_resolved(scenario), scenario_sha256(scenario))
    first = next(iter(bases.values()))
    parameters = per_city[first.name]
    if spec.panel is not None:  # one parameter, its keys and base values in every city
        parameters = [
            dataclasses.replace(fp, by_city=tuple((c, per_city[c][j].keys, per_city[c][j].base_values) for c in bases))
            for j, fp in enumerate(parameters)
        ]
    _check_starts(spec, parameters, locs)

    observed: dict[str, ObservedFigure] = {}
    observed_paths: list[Path] = []
    files = [spec.observed] if isinstance(spec.observed, str) else list(spec.observed or [])
    for j, name in enumerate(files):  # several files: their figures together, each id once
        here = ("observed",) if isinstance(spec.observed, str) else ("observed", j)
        where = locs.get(here, locs.get(("observed",), (os.fspath(path), None)))
        file = Path(os.path.normpath(Path(where[0]).parent / name))
        observed_paths.append(file)
        try:
            figures = read_observed(file)
        except ObservedFileError as exc:
            raise ScenarioError(str(exc), file=where[0], line=where[1], key=".".join(map(str, here))) from None
        twice = next((k for k in figures if k in observed), None)
        if twice is not None:
            raise spec_error(locs, here, f"the observed figure {twice!r} is also in an earlier observed file")
        observed.update(figures)
    targets: list[Target] = []
    skipped: list[tuple[str, str]] = []
    origins: list[int] = []  # the spec's target each one comes from
    for i, t in enumerate(spec.targets):
        for city, tc in _target_cities(i, t, spec, list(bases), locs):
            if tc.observed is not None and tc.observed not in observed and t.if_missing == "skip" and observed:
                skipped.append((city, tc.observed))
                continue
            target = _resolve_target(i, tc, observed, bases[city].scenario, locs)
            ident = target.id if tc.observed is not None or not city else f"{city}_{target.id}"
            targets.append(dataclasses.replace(target, city=city, id=ident))
            origins.append(i)
    if not targets:
        raise spec_error(locs, ("targets",), "every target was skipped (if_missing: skip): the observed file has none of them")
    if not any(t.fitted for t in targets):
        raise spec_error(locs, ("targets",), "every target has weight 0: at least one must be fitted")
    _check_duplicate_targets(targets, origins, locs)

    n_seeds = spec.seeds.per_evaluation
    all_seeds = derive_seeds(spec.seeds.root, n_seeds + spec.report.seeds)
    loaded = LoadedCalibration(
        spec=spec,
        path=path,
        text=path.read_bytes(),
        name=spec.name or path.stem,
        base_path=first.path,
        base=first.scenario,
        base_text=first.text,
        parameters=parameters,
        targets=targets,
        seeds=all_seeds[:n_seeds],
        report_seeds=all_seeds[n_seeds:],
        observed=observed,
        observed_paths=observed_paths,
        base_sha256=first.sha256,
        cities=bases,
        skipped_targets=skipped,
    )
    loaded.fingerprint = _fingerprint(loaded)
    return loaded


def _base_files(
    spec: CalibrationSpec, path: Path, locs: Locations
) -> list[tuple[str, Path, Locations, tuple[Any, ...]]]:
    """``(city, base scenario file, locations and key path where it is named)`` of the one base
    (city ``""``) or of every city of the panel (in the spec or its panel file), in order."""
    if spec.base is not None:
        base_file = locs.get(("base",), (os.fspath(path), None))[0]
        return [("", Path(os.path.normpath(Path(base_file).parent / spec.base)), locs, ("base",))]
    assert spec.panel is not None
    where_file = locs.get(("panel",), (os.fspath(path), None))[0]
    if isinstance(spec.panel, dict):
        mapping, mlocs, prefix = spec.panel, locs, ("panel",)
    else:  # a panel file: its cities
        panel_path = Path(os.path.normpath(Path(where_file).parent / spec.panel))
        if not panel_path.is_file():
            raise spec_error(locs, ("panel",), f"no panel file {os.fspath(panel_path)!r} (a mapping of cities to scenario files, or a file with one under 'cities:')")
        pdata, mlocs = load_raw(panel_path)
        mapping, prefix = pdata.get("cities"), ("cities",)
        if not isinstance(mapping, dict) or not mapping:
            raise spec_error(mlocs, (), f"expected 'cities:', a mapping of city names to scenario files, in the panel file {os.fspath(panel_path)}")
        where_file = os.fspath(panel_path)
    if not mapping:
        raise spec_error(locs, ("panel",), "a panel needs at least one city (name: scenario file)")
    out = []
    for city, file in mapping.items():
        here = prefix + (city,)
        if not isinstance(city, str) or not _NAME.match(city):
            raise spec_error(mlocs, here, f"a city's name is lower case letters, digits and _, got {city!r}")
        if not isinstance(file, str) or not file.strip():
            raise spec_error(mlocs, here, f"expected the path of a scenario file for {city}, got {file!r}")
        file_dir = Path(mlocs.get(here, (where_file, None))[0]).parent
        out.append((city, Path(os.path.normpath(file_dir / file)), mlocs, here))
    return out


def _target_cities(
    i: int, t: TargetCfg, spec: CalibrationSpec, cities: list[str], locs: Locations
) -> list[tuple[str, TargetCfg]]:
    """The cities a target stands for, each with its own copy (``{city}`` replaced)."""
    here = ("targets", i)
    if spec.panel is None:
        for fld in ("city", "cities"):
            if getattr(t, fld) is not None:
                raise spec_error(locs, here + (fld,), f"'{fld}' names cities of a panel; this spec has one base scenario ('base:')")
        return [("", t)]
    if (t.city is None) == (t.cities is None):
        raise spec_error(locs, here, "in a panel, a target names its city ('city: <name>') or the cities it stands for ('cities: all' or a list), not both")
    names = [t.city] if t.city is not None else (cities if t.cities == "all" else list(t.cities or []))
    if not names:
        raise spec_error(locs, here + ("cities",), "expected 'all' or at least one city")
    out = []
    for j, name in enumerate(names):
        if name not in cities:
            match = difflib.get_close_matches(name, cities, n=1, cutoff=0.6)
            where = here + (("city",) if t.city is not None else ("cities", j))
            raise spec_error(locs, where, f"{name!r} is not a city of the panel", match[0] if match else None)
        update = {f: getattr(t, f).replace("{city}", name) for f in ("observed", "indicator") if getattr(t, f) is not None}
        out.append((name, t.model_copy(update={**update, "city": None, "cities": None})))
    return out


def _check_starts(spec: CalibrationSpec, parameters: list[FreeParameter], locs: Locations) -> None:
    """Every warm start names free parameters only, with values within their bounds, and the
    parameters it leaves out have a base value within theirs."""
    by_name = {fp.name: fp for fp in parameters}
    for i, start in enumerate(spec.optimiser.starts):
        for name, value in start.items():
            here = ("optimiser", "starts", i, name)
            fp = by_name.get(name)
            if fp is None:
                match = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.6)
                raise spec_error(locs, here, f"expected the name of a free parameter, got {name!r}", match[0] if match else None)
            if not (math.isfinite(value) and fp.low <= value <= fp.high):
                raise spec_error(locs, here, f"expected a value within the bounds of {name}, {fp.low:g} to {fp.high:g}, got {value:g}")
        for fp in parameters:
            if fp.name not in start and (fp.base_value is None or not fp.low <= fp.base_value <= fp.high):
                raise spec_error(
                    locs, ("optimiser", "starts", i),
                    f"the start leaves out {fp.name}, whose base value is not within its bounds: give its value",
                )


def _fingerprint(loaded: LoadedCalibration) -> str:
    """What decides the result of a run: the base scenario (after ``set``), the moments
    each run computes (targets' indicator, year and kind, in order) and the seeds. Runs of
    a checkpoint are valid for any spec with the same fingerprint; weights, observed
    values, bounds, the optimiser and the report may change (the search is replayed)."""
    blob: dict[str, Any] = {
        "moments": [[t.indicator, t.year, t.kind] for t in loaded.targets],
        "seeds": loaded.seeds,
        "report_seeds": loaded.report_seeds,
        "base_sha256": loaded.base_sha256,
    }
    if loaded.is_panel:  # every city's scenario, and which city each moment is of
        blob["moments"] = [[t.city, t.indicator, t.year, t.kind] for t in loaded.targets]
        blob["cities"] = {c: b.sha256 for c, b in loaded.cities.items()}
    text = json.dumps(blob, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _check_spec(spec: CalibrationSpec, locs: Locations) -> None:
    if (spec.base is None) == (spec.panel is None):
        raise spec_error(
            locs, ("panel",) if spec.panel is not None else (),
            "expected 'base:' (one base scenario) or 'panel:' (a scenario per city, or a panel file), not both"
            if spec.base is not None else "expected 'base:' (one base scenario) or 'panel:' (a scenario per city, or a panel file)",
        )
    if spec.name is not None and not _DIR_NAME.match(spec.name):
        raise spec_error(locs, ("name",), f"expected a name usable as a directory name (letters, digits, _ . -), got {spec.name!r}")
    for name, p in spec.parameters.items():
        here = ("parameters", name)
        if not _NAME.match(name):
            raise spec_error(locs, here, "a parameter name must be lower case letters, digits and _ (it becomes a column name)")
        for fld in ("low", "high"):
            v = getattr(p, fld)
            if not math.isfinite(v):
                raise spec_error(locs, here + (fld,), f"expected a finite number, got {v}")
            if p.type == "integer" and v != int(v):
                raise spec_error(locs, here + (fld,), f"an integer parameter needs a whole number, got {v:g}")
        if p.high <= p.low:
            raise spec_error(locs, here + ("high",), f"expected high above low, got low {p.low:g} and high {p.high:g}")
        if p.space == "log" and p.low <= 0:
            raise spec_error(locs, here + ("low",), f"a log-scale parameter needs low above 0, got {p.low:g}")
        if p.apply == "multiply" and p.type == "integer":
            raise spec_error(locs, here + ("apply",), "a multiplier is a real parameter ('type: real')")
        if p.years is not None and p.years[1] < p.years[0]:
            raise spec_error(locs, here + ("years",), f"expected [first, last] years, got {p.years}")
        if p.years is not None and not any("*" in k.split(".") for k in p.keys):
            raise spec_error(locs, here + ("years",), "'years' selects the years a '*' stands for; no key has a '*'")
    if spec.optimiser.polish_budget >= spec.optimiser.budget:
        raise spec_error(
            locs,
            ("optimiser", "polish_budget"),
            f"expected a polish budget below the budget ({spec.optimiser.budget}), got {spec.optimiser.polish_budget}",
        )
    if spec.report.seeds < 2 * spec.seeds.per_evaluation:
        raise spec_error(
            locs,
            ("report", "seeds"),
            f"the report needs at least two groups of {spec.seeds.per_evaluation} seeds (seeds.per_evaluation) "
            f"to measure the objective's noise: at least {2 * spec.seeds.per_evaluation}, got {spec.report.seeds}",
        )
    o = spec.optimiser
    if o.global_method == "sobol" and o.global_samples & (o.global_samples - 1):
        lower = 1 << (o.global_samples.bit_length() - 1)
        raise spec_error(
            locs,
            ("optimiser", "global_samples"),
            f"Sobol sampling needs a power of 2 (its balance properties), got {o.global_samples}; "
            f"try {lower} or {lower * 2}",
        )


def _walk_keys(
    raw: Any, parts: list[str], years: list[int] | None, locs: Locations, here: tuple[Any, ...], key: str
) -> list[str]:
    """Expand the ``*`` parts of a dotted key against the base scenario's data.

    Every part of a key with a ``*`` must exist in the base scenario; ``*`` stands
    for every key (or list index) at its place, and where those are years only for
    the years in *years* (if given).
    """
    out: list[str] = []

    def walk(node: Any, i: int, prefix: tuple[Any, ...]) -> None:
        if i == len(parts):
            out.append(".".join(str(p) for p in prefix))
            return
        part = parts[i]
        if part == "*":
            if isinstance(node, dict):
                children = sorted(node, key=lambda k: (not isinstance(k, int), k if isinstance(k, int) else str(k)))
                for k in children:
                    if years is not None and isinstance(k, int) and not years[0] <= k <= years[1]:
                        continue
                    walk(node[k], i + 1, prefix + (k,))
            elif isinstance(node, list):
                for j, item in enumerate(node):
                    walk(item, i + 1, prefix + (j,))
            else:
                shown = ".".join(str(p) for p in prefix)
                raise spec_error(locs, here, f"{key!r}: '{shown}' is a single value, '*' has nothing to stand for")
            return
        found = _find(node, part)
        if found is _MISSING:
            shown = ".".join([str(p) for p in prefix] + [part])
            options = [str(k) for k in node] if isinstance(node, dict) else []
            match = difflib.get_close_matches(part, options, n=1, cutoff=0.6)
            raise spec_error(
                locs,
                here,
                f"{key!r} is not a key of the base scenario: there is no '{shown}'",
                match[0] if match else None,
            )
        walk(node[found], i + 1, prefix + (found,))

    walk(raw, 0, ())
    if not out:
        raise spec_error(locs, here, f"{key!r} matches no key of the base scenario (check 'years')")
    return out


class _Missing:
    pass


_MISSING: Any = _Missing()


def _find(node: Any, part: Any) -> Any:
    if isinstance(node, list):
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            j = int(part)
            return j if 0 <= j < len(node) else _MISSING
        return _MISSING
    if not isinstance(node, dict):
        return _MISSING
    if part in node:
        return part
    if isinstance(part, str) and re.fullmatch(r"-?[0-9]+", part):
        for k in node:
            if type(k) is int and k == int(part):
                return k
    return _MISSING


def _value_at(raw: Any, key: str) -> Any:
    node = raw
    for part in key.split("."):
        found = _find(node, part)
        if found is _MISSING:
            return _MISSING
        node = node[found]
    return node


def _resolve_parameter(
    name: str, p: ParameterCfg, raw: dict[str, Any], raw_locs: Locations, locs: Locations
) -> FreeParameter:
    here_base = ("parameters", name, "key")
    keys: list[str] = []
    for i, key in enumerate(p.keys):
        here = here_base + ((i,) if not isinstance(p.key, str) else ())
        if key.replace(" ", "") == "run.seed":
            raise spec_error(locs, here, "run.seed is set by the calibration's seeds (seeds.root, seeds.per_evaluation), not a parameter")
        parts = key.split(".")
        concrete = _walk_keys(raw, parts, p.years, locs, here, key) if "*" in parts else [key]
        for k in concrete:
            trial = ParameterSpec(key=p.key, type=p.type, low=p.low, high=p.high)
            if p.apply == "multiply":  # the structure check only needs a number of the right kind
                trial = ParameterSpec(key=p.key, type="real", low=1.0, high=2.0)
            check_key(name, trial, i, k, raw, raw_locs, locs)
            keys.append(k)
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise spec_error(locs, here_base, f"the key {dup!r} is given twice")
    base_values = []
    for k in keys:
        v = _value_at(raw, k)
        if p.apply == "multiply":
            if v is _MISSING or isinstance(v, bool) or not isinstance(v, int | float):
                raise spec_error(
                    locs,
                    here_base,
                    f"{k!r} has no value in the base scenario to multiply (add the year to the base scenario, or use 'apply: set')",
                )
            if schema_type_at(k.split(".")) is int:
                raise spec_error(locs, here_base, f"{k!r} holds a whole number, it cannot be multiplied")
        base_values.append(float(v) if isinstance(v, int | float) and not isinstance(v, bool) else float("nan"))
    return FreeParameter(
        name=name,
        keys=tuple(keys),
        base_values=tuple(base_values),
        low=float(p.low),
        high=float(p.high),
        type=p.type,
        apply=p.apply,
        space=p.space,
        why=" ".join(p.why.split()),
    )


def _check_shared_keys(parameters: list[FreeParameter], locs: Locations) -> None:
    owner: dict[str, str] = {}
    for fp in parameters:
        for k in fp.keys:
            if k in owner:
                raise spec_error(
                    locs,
                    ("parameters", fp.name, "key"),
                    f"the key {k!r} is also set by parameter {owner[k]!r}: each key can have one free parameter",
                )
            owner[k] = fp.name


def _check_corners(
    fp: FreeParameter, parameters: list[FreeParameter], raw: dict[str, Any], raw_locs: Locations, locs: Locations,
    city: str = "",
) -> None:
    """The scenario (of a panel: each city's) must be valid with the parameter at either bound."""
    from simulator.experiment.sweep_spec import override_value

    for bound, value in (("low", fp.from_unit(0.0)), ("high", fp.from_unit(1.0))):
        trial = copy.deepcopy(raw)
        trial_locs = dict(raw_locs)
        apply_overrides(trial, trial_locs, [f"{k}={override_value(v)}" for k, v in fp.key_values(value)])
        try:
            validate_located(Scenario, trial, trial_locs)
        except ScenarioError as exc:
            raise spec_error(
                locs,
                ("parameters", fp.name, bound),
                f"the scenario{f' of {city}' if city else ''} is not valid with this parameter at its {bound} bound "
                f"({value:g}): key '{exc.key}': {exc.message}",
            ) from None


def _check_indicator(name: str, locs: Locations, here: tuple[Any, ...]) -> None:
    if name not in INDICATOR_UNITS:
        match = difflib.get_close_matches(name, list(INDICATOR_UNITS), n=1, cutoff=0.6)
        raise spec_error(locs, here, f"unknown indicator {name!r}", match[0] if match else None)


def _check_year(year: int, base: Scenario, locs: Locations, here: tuple[Any, ...], what: str = "year") -> None:
    if not base.run.start_year <= year <= base.run.end_year:
        raise spec_error(
            locs,
            here,
            f"{what} {year} is outside the base scenario's run {base.run.start_year}-{base.run.end_year}",
        )


def _resolve_target(
    i: int, t: TargetCfg, observed: dict[str, ObservedFigure], base: Scenario, locs: Locations
) -> Target:
    here = ("targets", i)
    if t.observed is not None:
        for fld in ("indicator", "year", "kind", "value"):
            if getattr(t, fld) is not None:
                raise spec_error(locs, here + (fld,), f"a target with 'observed' takes {fld} from the observed file; give one or the other")
        if not observed:
            raise spec_error(locs, here + ("observed",), "the spec names no observed file ('observed:' at the top level)")
        fig = observed.get(t.observed)
        if fig is None:
            match = difflib.get_close_matches(t.observed, list(observed), n=1, cutoff=0.6)
            raise spec_error(locs, here + ("observed",), f"no observed figure with id {t.observed!r}", match[0] if match else None)
        if not fig.comparable:
            raise spec_error(locs, here + ("observed",), f"the observed figure {t.observed!r} has no model counterpart ({fig.derivation})")
        indicator, year, kind, value = fig.model_indicator, fig.year, fig.kind, fig.model_value
        ident, quality, source = fig.id, fig.quality, fig.source
        note = t.note or fig.derivation
        where = here + ("observed",)
    else:
        for fld in ("indicator", "year", "value"):
            if getattr(t, fld) is None:
                raise spec_error(locs, here, f"a target needs 'observed' (an id) or 'indicator', 'year' and 'value'; '{fld}' is missing")
        indicator, year, kind, value = t.indicator, t.year, t.kind or "level", t.value
        ident, quality, source, note = f"{indicator}_{year}", "", "", t.note
        where = here
    assert indicator is not None and year is not None and kind is not None and value is not None
    _check_indicator(indicator, locs, where if t.observed else here + ("indicator",))
    _check_year(year, base, locs, where if t.observed else here + ("year",))
    if kind.startswith("ratio_to:"):
        _check_indicator(kind.split(":", 1)[1], locs, where if t.observed else here + ("kind",))
    elif kind.startswith("avg_growth_since:"):
        try:
            y0 = int(kind.split(":", 1)[1])
        except ValueError:
            raise spec_error(locs, where if t.observed else here + ("kind",), f"expected 'avg_growth_since:<year>', got {kind!r}") from None
        if y0 >= year:
            raise spec_error(locs, where if t.observed else here + ("kind",), f"the growth base year {y0} is not before the target year {year}")
        _check_year(y0, base, locs, where if t.observed else here + ("kind",), "growth base year")
    elif kind != "level":
        raise spec_error(locs, where if t.observed else here + ("kind",), f"unknown kind {kind!r}; kinds are {', '.join(KINDS)}")
    if not math.isfinite(value) or (value <= 0 and not kind.startswith("avg_growth_since:")):
        raise spec_error(locs, where if t.observed else here + ("value",), f"expected a positive observed value (the fit compares logarithms), got {value:g}")
    if kind.startswith("avg_growth_since:") and value <= -1:
        raise spec_error(locs, where if t.observed else here + ("value",), f"expected a growth rate above -1, got {value:g}")
    return Target(
        id=ident,
        indicator=indicator,
        year=year,
        kind=kind,
        observed=float(value),
        weight=float(t.weight),
        quality=quality,
        source=source,
        note=" ".join(note.split()),
    )


def _check_duplicate_targets(targets: list[Target], origins: list[int], locs: Locations) -> None:
    seen: dict[tuple[str, str, int, str], int] = {}
    for t, i in zip(targets, origins, strict=True):
        k = (t.city, t.indicator, t.year, t.kind)
        if k in seen:
            of = f"{t.city}: " if t.city else ""
            raise spec_error(locs, ("targets", i), f"the same figure as target {seen[k] + 1} ({of}{t.indicator} {t.year} {t.kind})")
        seen[k] = i
