"""Optimisation specs: which lever sizes and timings to search, under which uncertainties,
for which objectives, judged how.

An optimisation spec is a YAML file (``scenarios/optimise/*.yaml``) read with the scenario
machinery (safe YAML, ``file:line`` errors, did-you-mean)::

    name: fuxin_package              # default: the file name; results go to results/optimise/<name>/
    base: ../fuxin.yaml              # the scenario every run starts from (relative to this file)
    set: [run.end_year=2035]         # optional --set style overrides for every run
    levers:                          # the decision variables: sizes and timings (sweep parameter format)
      transfer_yuan_per_year:
        key: [levers.resource_city_transfer.yuan_per_year.2020,
              levers.resource_city_transfer.yuan_per_year.2035]
        type: real                   # real | integer | categorical
        low: 1.2e8
        high: 3.0e8
      shantytown_start_year:
        key: levers.shantytown_renovation.start_year
        type: integer
        low: 2016
        high: 2020
    uncertainties:                   # optional: parameters sampled (Latin hypercube), not chosen
      sector_mismatch_penalty: {key: labour.sector_mismatch_penalty, type: real, low: 0.4, high: 0.8}
    scenarios:
      samples: 4                     # points of the uncertainties every candidate is run at
      seeds: 1                       # seeds at each point
      root: 2016                     # the points, the seeds and the search derive from this number
    objectives:                      # name -> a measure of one run, and whether to raise or lower it
      population_2035: {indicator: population, year: 2035, direction: max}
      total_cost:
        indicator: [resource_city_transfer, fund_co_finance, shantytown_spending]   # summed
        years: [2016, 2035]          # from, to (both included)
        aggregate: sum               # sum | mean over the years
        direction: min
    robustness: {measure: percentile, q: 10}   # mean | percentile (q: % of scenarios that may do worse) | regret
    budget:                          # optional constraint: the mean over the scenarios at most max
      indicator: [resource_city_transfer, fund_co_finance, shantytown_spending]
      years: [2016, 2035]
      max: 6.0e9
    algorithm:
      kind: nsga2                    # nsga2 | nsga3 (many objectives)
      population: 12
      generations: 6

``evaluate`` (default ``model``) may instead name a function ``module:function`` that takes
``(values, seed)`` and returns yearly columns like a run's indicators (``year`` and one list
per indicator): a cheap stand-in for the model, used to check the search on problems whose
answer is known. Such a spec has no ``base`` and its levers and uncertainties no ``key``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.experiment.seeds import derive_seeds, design_seed
from simulator.experiment.sweep_spec import (
    ParameterSpec,
    check_key,
    check_range,
    override_value,
    parameter_from_raw,
    relocate_set,
    spec_error,
)
from simulator.model.indicators import INDICATOR_UNITS
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import apply_overrides, load_raw, validate_located
from simulator.scenario.schema import Scenario
from simulator.scenario.yaml_source import Locations

__all__ = ["MODEL", "LoadedOptimiseSpec", "OptimiseSpec", "load_optimise_spec"]

MODEL = "model"
MAX_EVALUATIONS = 100_000
"""Most runs a spec may plan (population x generations x scenarios): far above what this
machine class runs, it catches a size mistyped by orders of magnitude."""

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_SPEC_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariableSpec(ParameterSpec):
    """A lever or an uncertain parameter: as a sweep parameter, ``key`` optional for a function."""

    key: str | list[str] | None = None


class Measure(_Strict):
    """A number from one run: an indicator (or the sum of several) in one year, or summed or
    averaged over a span of years."""

    indicator: str | list[str]
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    years: Annotated[list[Annotated[int, Field(ge=1900, le=2200)]], Field(min_length=2, max_length=2)] | None = None
    aggregate: Literal["sum", "mean"] = "sum"

    @property
    def indicators(self) -> list[str]:
        return [self.indicator] if isinstance(self.indicator, str) else list(self.indicator)


class ObjectiveSpec(Measure):
    """An objective: a measure and whether to raise or lower it."""

    direction: Literal["min", "max"]


class BudgetSpec(Measure):
    """The budget constraint: the measure's mean over the scenarios at most ``max``."""

    max: float


class RobustnessSpec(_Strict):
    """How a candidate's values over the scenarios make one number per objective."""

    measure: Literal["mean", "percentile", "regret"]
    q: Annotated[float, Field(ge=0, le=100)] | None = None


class ScenariosSpec(_Strict):
    """The sample every candidate is run at: points of the uncertainties, seeds at each."""

    samples: Annotated[int, Field(ge=1, le=1000)] = 1
    seeds: Annotated[int, Field(ge=1, le=1000)] = 1
    root: Annotated[int, Field(ge=0)]


class AlgorithmSpec(_Strict):
    """The search: pymoo's NSGA-II or NSGA-III."""

    kind: Literal["nsga2", "nsga3"] = "nsga2"
    population: Annotated[int, Field(ge=4, le=10_000)]
    generations: Annotated[int, Field(ge=1, le=10_000)]
    partitions: Annotated[int, Field(ge=1)] | None = None


class OptimiseSpec(_Strict):
    """A whole optimisation spec file."""

    name: str | None = None
    description: str = ""
    evaluate: str = MODEL
    base: str | None = None
    set: list[str] = Field(default_factory=list)
    levers: dict[str, VariableSpec]
    uncertainties: dict[str, VariableSpec] = Field(default_factory=dict)
    scenarios: ScenariosSpec
    objectives: dict[str, ObjectiveSpec]
    robustness: RobustnessSpec = RobustnessSpec(measure="mean")
    budget: BudgetSpec | None = None
    algorithm: AlgorithmSpec

    @field_validator("levers")
    @classmethod
    def _some_levers(cls, v: dict[str, VariableSpec]) -> dict[str, VariableSpec]:
        if not v:
            raise ValueError("an optimisation needs at least one lever to choose")
        return v

    @field_validator("objectives")
    @classmethod
    def _some_objectives(cls, v: dict[str, ObjectiveSpec]) -> dict[str, ObjectiveSpec]:
        if len(v) < 2:
            raise ValueError("a multi-objective search needs at least two objectives")
        return v


@dataclass(frozen=True)
class ScenarioPoint:
    """One scenario every candidate is run at: a point of the uncertainties and a seed."""

    index: int
    sample: int
    seed_index: int
    seed: int
    values: dict[str, Any]


@dataclass
class LoadedOptimiseSpec:
    """A validated spec with what the search needs.

    Attributes:
        spec: The validated spec.
        path: The spec file as given.
        text: The spec file's bytes (copied into the result directory).
        name: ``spec.name`` or the file name.
        base_path: The base scenario file (None for a function).
        base: The base scenario after ``set`` (None for a function).
        scenarios: The scenarios every candidate is run at.
        spec_sha256: Fingerprint of the validated spec and the overrides.
        overrides: The command-line changes applied to the spec.
    """

    spec: OptimiseSpec
    path: Path
    text: bytes
    name: str
    base_path: Path | None
    base: Scenario | None
    scenarios: list[ScenarioPoint]
    spec_sha256: str
    overrides: list[str]

    @property
    def uses_model(self) -> bool:
        return self.spec.evaluate == MODEL


def load_optimise_spec(path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> LoadedOptimiseSpec:
    """Read and check an optimisation spec, its base scenario and every key.

    Raises:
        ScenarioError: One line naming file, line, key, what was expected and, for misspelt
            keys, the key probably meant.
    """
    path = Path(path)
    data, locs = load_raw(path)
    apply_overrides(data, locs, list(overrides), root=OptimiseSpec)
    spec = validate_located(OptimiseSpec, data, locs)
    if spec.name is not None and not _SPEC_NAME.match(spec.name):
        raise spec_error(locs, ("name",), f"expected a name usable as a directory name (letters, digits, _ . -), got {spec.name!r}")
    uses_model = spec.evaluate == MODEL
    if not uses_model and not _FUNCTION.match(spec.evaluate):
        raise spec_error(locs, ("evaluate",), f"expected 'model' or a function as 'module:function', got {spec.evaluate!r}")
    groups = (("levers", spec.levers), ("uncertainties", spec.uncertainties))
    seen: dict[str, str] = {}
    for group, variables in groups:
        for name, p in variables.items():
            if not _NAME.match(name):
                raise spec_error(locs, (group, name), "a name must be lower case letters, digits and _ (it becomes a column name)")
            if name in seen:
                raise spec_error(locs, (group, name), f"{name!r} is also one of the {seen[name]}")
            if name in spec.objectives:
                raise spec_error(locs, (group, name), f"{name!r} is also the name of an objective")
            seen[name] = group
            if p.levels is not None:
                raise spec_error(locs, (group, name, "levels"), "'levels' is for grid sweeps; a search and a Latin hypercube take the whole range")
            _in_group(check_range, group, name, p, "latin", _Shifted(locs, group))
            if uses_model and p.key is None:
                raise spec_error(locs, (group, name), "a lever or uncertain parameter needs the scenario 'key' it sets")
            if not uses_model and p.key is not None:
                raise spec_error(locs, (group, name, "key"), "with 'evaluate' a function, values go to the function: no 'key'")
    for name in spec.objectives:
        if not _NAME.match(name):
            raise spec_error(locs, ("objectives", name), "a name must be lower case letters, digits and _ (it becomes a column name)")
    if spec.uncertainties == {} and spec.scenarios.samples > 1:
        raise spec_error(locs, ("scenarios", "samples"), "with no uncertainties there is one point: samples must be 1 (use seeds for repeats)")
    r = spec.robustness
    if r.measure == "percentile" and r.q is None:
        raise spec_error(locs, ("robustness",), "a percentile robustness needs 'q', the share (%) of scenarios allowed to do worse (e.g. 10)")
    if r.measure != "percentile" and r.q is not None:
        raise spec_error(locs, ("robustness", "q"), f"'q' applies to the percentile measure, not {r.measure!r}")
    a = spec.algorithm
    if a.kind == "nsga2" and a.partitions is not None:
        raise spec_error(locs, ("algorithm", "partitions"), "'partitions' (of NSGA-III's reference directions) does not apply to nsga2")
    n_scen = spec.scenarios.samples * spec.scenarios.seeds
    total = a.population * a.generations * n_scen
    if total > MAX_EVALUATIONS:
        raise spec_error(locs, ("algorithm",), f"this search plans up to {total:,} runs, more than the limit of {MAX_EVALUATIONS:,}")

    base_path = base = None
    if uses_model:
        if spec.base is None:
            raise spec_error(locs, (), "the spec needs 'base': the scenario every run starts from")
        base_file = locs.get(("base",), (os.fspath(path), None))[0]
        base_path = Path(os.path.normpath(Path(base_file).parent / spec.base))
        raw, raw_locs = load_raw(base_path)
        try:
            apply_overrides(raw, raw_locs, spec.set)
        except ScenarioError as exc:
            raise relocate_set(exc, spec, locs) from None
        owner: dict[str, str] = {}
        for group, variables in groups:
            for name, p in variables.items():
                for i, key in enumerate(p.keys):
                    _in_group(check_key, group, name, p, i, key, raw, raw_locs, _Shifted(locs, group))
                    here = (group, name, "key") + ((i,) if not isinstance(p.key, str) else ())
                    if key in owner:
                        raise spec_error(locs, here, f"{key!r} is already set by {owner[key]!r}")
                    owner[key] = name
        try:
            base = validate_located(Scenario, raw, raw_locs)
        except ScenarioError as exc:
            raise relocate_set(exc, spec, locs) from None
    elif spec.base is not None or spec.set:
        raise spec_error(locs, ("base",) if spec.base is not None else ("set",), "with 'evaluate' a function there is no base scenario")
    for name, o in spec.objectives.items():
        _check_measure(o, ("objectives", name), base, locs)
    if spec.budget is not None:
        _check_measure(spec.budget, ("budget",), base, locs)

    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return LoadedOptimiseSpec(
        spec=spec,
        path=path,
        text=path.read_bytes(),
        name=spec.name or path.stem,
        base_path=base_path,
        base=base,
        scenarios=scenario_points(spec),
        spec_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        overrides=list(overrides),
    )


class _Shifted(dict):
    """The spec's locations seen from a group: the sweep's checks name a parameter's place
    ``("parameters", name, ...)``, looked up here as ``(group, name, ...)``."""

    def __init__(self, locs: Locations, group: str) -> None:
        super().__init__()
        self._locs = locs
        self._group = group

    def get(self, key, default=None):
        if isinstance(key, tuple) and key[:1] == ("parameters",):
            key = (self._group,) + key[1:]
        return self._locs.get(key, default)


def _in_group(check, group: str, *args) -> None:
    """Run a sweep parameter check, its error naming the spec's group rather than 'parameters'."""
    try:
        check(*args)
    except ScenarioError as exc:
        key = exc.key
        if key is not None and key.startswith("parameters"):
            key = group + key[len("parameters"):]
        raise ScenarioError(exc.message, file=exc.file, line=exc.line, key=key, suggestion=exc.suggestion) from None


def _check_measure(m: Measure, here: tuple[Any, ...], base: Scenario | None, locs: Locations) -> None:
    if (m.year is None) == (m.years is None):
        raise spec_error(locs, here, "give either 'year' (one year) or 'years' ([from, to], summed or averaged)")
    if m.year is None and m.years[0] > m.years[1]:
        raise spec_error(locs, here + ("years",), f"expected [from, to] with from <= to, got {m.years}")
    if isinstance(m.indicator, list) and not m.indicator:
        raise spec_error(locs, here + ("indicator",), "expected at least one indicator")
    if base is None:
        return
    for i, ind in enumerate(m.indicators):
        if ind not in INDICATOR_UNITS:
            match = difflib.get_close_matches(ind, list(INDICATOR_UNITS), n=1, cutoff=0.6)
            where = here + ("indicator",) + ((i,) if isinstance(m.indicator, list) else ())
            raise spec_error(locs, where, f"unknown indicator {ind!r}", match[0] if match else None)
    for y in [m.year] if m.year is not None else m.years:
        if not base.run.start_year <= y <= base.run.end_year:
            raise spec_error(
                locs,
                here + (("year",) if m.year is not None else ("years",)),
                f"year {y} is outside the base scenario's run {base.run.start_year}-{base.run.end_year}",
            )


# ------------------------------------------------------------------ scenarios and candidates


def scenario_points(spec: OptimiseSpec) -> list[ScenarioPoint]:
    """The scenarios every candidate is run at: a Latin hypercube of the uncertainties
    (seeded from the root) times the seeds (common random numbers: the same for every candidate)."""
    import numpy as np

    s = spec.scenarios
    names = list(spec.uncertainties)
    if names:
        from SALib.sample import latin

        bounds = [_bounds(p) for p in spec.uncertainties.values()]
        raw = np.asarray(
            latin.sample({"num_vars": len(names), "names": names, "bounds": bounds}, s.samples, seed=design_seed(s.root)),
            dtype=float,
        ).reshape(s.samples, len(names))
        points = [{n: parameter_from_raw(p, x) for n, p, x in zip(names, spec.uncertainties.values(), row, strict=True)} for row in raw]
    else:
        points = [{}]
    seeds = derive_seeds(s.root, s.seeds)
    out = []
    for i, values in enumerate(points):
        for k, seed in enumerate(seeds):
            out.append(ScenarioPoint(len(out), i, k, seed, values))
    return out


def _bounds(p: ParameterSpec) -> list[float]:
    if p.type == "real":
        return [p.low, p.high]
    if p.type == "integer":
        return [p.low, p.high + 1]
    return [0.0, float(len(p.values))]


def decode(spec: OptimiseSpec, x) -> dict[str, Any]:
    """A candidate's lever values from the search's vector (each lever on [0, 1]): real levers
    scaled to their range, integer ones on [low, high + 1) rounded down, categorical ones to an
    index (each value an equal share, as in sweeps)."""
    out = {}
    for (name, p), u in zip(spec.levers.items(), x, strict=True):
        lo, hi = _bounds(p)
        out[name] = parameter_from_raw(p, lo + float(u) * (hi - lo))
    return out


def overrides_of(spec: OptimiseSpec, levers: dict[str, Any], uncertain: dict[str, Any]) -> list[str]:
    """The ``--set`` overrides of one run: the spec's ``set``, the levers, the uncertainties."""
    out = list(spec.set)
    for group, values in ((spec.levers, levers), (spec.uncertainties, uncertain)):
        for name, p in group.items():
            for key in p.keys:
                out.append(f"{key}={override_value(values[name])}")
    return out
