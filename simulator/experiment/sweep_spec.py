"""Sweep specs: what to vary, how to sample it, and which seeds to run.

A sweep spec is a YAML file (``scenarios/sweeps/*.yaml``) read with the
scenario machinery (safe YAML, ``file:line`` errors, did-you-mean)::

    name: fuxin_levers                 # default: the file name without .yaml
    base: ../fuxin.yaml                # the scenario every run starts from (relative to this file)
    set: [run.end_year=2030]           # optional --set style overrides for every run
    parameters:                        # name -> what it sets and its range
      fund_central:
        key: levers.new_industry_fund.central_yuan_per_year.2016
        type: real                     # real | integer | categorical
        low: 0
        high: 6.0e8
      transfer_level:
        key: [levers.resource_city_transfer.yuan_per_year.2020,
              levers.resource_city_transfer.yuan_per_year.2035]   # several keys, one value
        type: real
        low: 1.2e8
        high: 3.0e8
    design:
      kind: saltelli                   # grid | latin | saltelli | morris
      base_samples: 32                 # saltelli: N (a power of 2); runs N * (D + 2) points
    seeds:
      per_point: 2                     # seeds run at every design point
      root: 20160816                   # all seeds (and the design's sampling) derive from this
    outcomes:                          # scalar columns of runs.parquet: <indicator>_<year>
      indicators: [population, gdp_total]
      years: [2030]

On the command line, ``--set key=value`` changes the spec itself (e.g.
``design.base_samples=8``), with the same machinery as for scenarios.

Parameter keys are dotted scenario keys exactly as ``--set`` accepts them (a
number as a part selects a year of a series or a list item); each is checked
against the base scenario and the schema up front. Types: ``real`` (``low``,
``high``), ``integer`` (``low``, ``high``, both included) and ``categorical``
(``values``). Designs:

* ``grid``: every combination; real parameters take ``levels`` evenly spaced
  values from low to high (per parameter, or the design's ``levels``), integer
  parameters every value (or ``levels`` of them), categorical ones every value;
* ``latin``: ``samples`` points of a Latin hypercube (SALib);
* ``saltelli``: Saltelli's scheme for Sobol indices (SALib ``sample.sobol``),
  ``base_samples`` = N, a power of 2; ``N * (D + 2)`` points, or
  ``N * (2D + 2)`` with ``second_order: true``;
* ``morris``: ``trajectories`` one-at-a-time trajectories on a grid of
  ``levels`` (SALib); ``trajectories * (D + 1)`` points.

For SALib an integer parameter is sampled on ``[low, high + 1)`` and rounded
down, a categorical one on ``[0, number of values)`` and rounded down to an
index, so every value has the same share of the range.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
import os
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.experiment.seeds import derive_seeds, design_seed
from simulator.model.indicators import INDICATOR_UNITS
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import (
    OVERRIDE_FILE,
    apply_overrides,
    load_raw,
    location,
    schema_type_at,
    validate_located,
)
from simulator.scenario.schema import Scenario
from simulator.scenario.yaml_source import Locations

__all__ = [
    "MAX_RUNS",
    "RESERVED_COLUMNS",
    "Design",
    "LoadedSpec",
    "ParameterSpec",
    "SweepSpec",
    "build_design",
    "load_sweep_spec",
    "override_value",
]

MAX_RUNS = 200_000
"""Most runs one sweep may plan: far above any sweep this machine class can run, it
catches a grid or a sample size mistyped by orders of magnitude before files are written."""

DEFAULT_OUTCOMES = (
    "population",
    "employment_total",
    "unemployment_rate_registered",
    "gdp_total",
    "household_disposable_income_per_capita",
    "city_debt",
    "self_financing_ratio",
)
"""Indicators written as scalar outcomes when a spec names none: the headline figures
of the summary table that a planner compares first."""

RESERVED_COLUMNS = (
    "run_id",
    "point_id",
    "seed_index",
    "seed",
    "scenario_name",
    "status",
    "error",
    "year",
)
"""Columns of ``runs.parquet`` and the series that parameter names must not take."""

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_SWEEP_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_SUFFIX = re.compile(r" \(in --set '.*'\)$")

Scalar = bool | int | float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParameterSpec(_Strict):
    """One varied parameter: the scenario key(s) it sets and its range."""

    key: str | list[str]
    type: Literal["real", "integer", "categorical"]
    low: float | None = None
    high: float | None = None
    values: list[Scalar] | None = None
    levels: Annotated[int, Field(ge=2)] | None = None
    description: str = ""

    @property
    def keys(self) -> list[str]:
        """The dotted scenario keys, as a list."""
        return [self.key] if isinstance(self.key, str) else list(self.key)


class DesignSpec(_Strict):
    """How design points are chosen; which fields apply depends on ``kind``."""

    kind: Literal["grid", "latin", "saltelli", "morris"]
    levels: Annotated[int, Field(ge=2)] | None = None
    samples: Annotated[int, Field(ge=1)] | None = None
    base_samples: Annotated[int, Field(ge=2)] | None = None
    second_order: bool | None = None
    trajectories: Annotated[int, Field(ge=2)] | None = None


_DESIGN_FIELDS = {
    "grid": {"levels"},
    "latin": {"samples"},
    "saltelli": {"base_samples", "second_order"},
    "morris": {"trajectories", "levels"},
}
_DESIGN_REQUIRED = {"latin": "samples", "saltelli": "base_samples", "morris": "trajectories"}
MORRIS_DEFAULT_LEVELS = 4
"""SALib's default grid for Morris trajectories (4 levels, steps of 2/3 of the range)."""


class SeedsSpec(_Strict):
    """Seeds: how many per design point, and the root they derive from."""

    per_point: Annotated[int, Field(ge=1)] = 1
    root: Annotated[int, Field(ge=0)]


class OutcomesSpec(_Strict):
    """Scalar outcomes written to ``runs.parquet``: each indicator at each year."""

    indicators: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES))
    years: list[Annotated[int, Field(ge=1900, le=2200)]] | None = None


class SweepSpec(_Strict):
    """A whole sweep spec file."""

    name: str | None = None
    description: str = ""
    base: str
    set: list[str] = Field(default_factory=list)
    parameters: dict[str, ParameterSpec]
    design: DesignSpec
    seeds: SeedsSpec
    outcomes: OutcomesSpec = OutcomesSpec()

    @field_validator("parameters")
    @classmethod
    def _some(cls, v: dict[str, ParameterSpec]) -> dict[str, ParameterSpec]:
        if not v:
            raise ValueError("a sweep needs at least one parameter")
        return v


@dataclass
class LoadedSpec:
    """A validated spec with everything needed to plan and check a sweep.

    Attributes:
        spec: The validated spec.
        path: The spec file as given.
        text: The spec file's bytes (copied into the sweep directory).
        name: The sweep's name (``spec.name`` or the file name).
        base_path: The base scenario file, resolved relative to the spec.
        base: The base scenario after the spec's ``set`` overrides.
        base_overrides: ``set`` overrides as given (applied to every run).
        outcome_years: The years of the scalar outcomes.
        spec_sha256: Fingerprint of the validated spec (comments and layout ignored).
        overrides: The command-line changes applied to the spec.
    """

    spec: SweepSpec
    path: Path
    text: bytes
    name: str
    base_path: Path
    base: Scenario
    base_overrides: list[str]
    outcome_years: list[int]
    spec_sha256: str
    overrides: list[str]


# ------------------------------------------------------------------ loading


def spec_error(locs: Locations, path: tuple[Any, ...], message: str, suggestion: str | None = None) -> ScenarioError:
    """A :class:`ScenarioError` located at the closest known line of *path*."""
    file, line = location(locs, path)
    shown = ".".join(str(p) for p in path) or None
    return ScenarioError(message, file=file, line=line, key=shown, suggestion=suggestion)


def load_sweep_spec(path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> LoadedSpec:
    """Read and check a sweep spec, its base scenario and every parameter key.

    Args:
        path: The spec file, as the user named it.
        overrides: ``key=value`` changes to the spec itself, as ``--set`` takes
            them for scenarios (``design.base_samples=64``, ``seeds.per_point=4``).

    Returns:
        The loaded spec.

    Raises:
        ScenarioError: One line naming file, line, key, what was expected and,
            for misspelt keys, the key probably meant.
    """
    path = Path(path)
    data, locs = load_raw(path)
    apply_overrides(data, locs, list(overrides), root=SweepSpec)
    spec = validate_located(SweepSpec, data, locs)
    _check_names(spec, locs)
    for name, p in spec.parameters.items():
        check_range(name, p, spec.design.kind, locs)
    _check_design(spec, locs)

    base_file = locs.get(("base",), (os.fspath(path), None))[0]
    base_path = Path(os.path.normpath(Path(base_file).parent / spec.base))
    raw, raw_locs = load_raw(base_path)
    try:
        apply_overrides(raw, raw_locs, spec.set)
    except ScenarioError as exc:
        raise relocate_set(exc, spec, locs) from None
    owner: dict[str, str] = {}
    for name, p in spec.parameters.items():
        for i, key in enumerate(p.keys):
            check_key(name, p, i, key, raw, raw_locs, locs)
            here = ("parameters", name, "key") + ((i,) if not isinstance(p.key, str) else ())
            if key in owner:
                raise spec_error(locs, here, f"{key!r} is already set by parameter {owner[key]!r}")
            owner[key] = name
    try:
        base = validate_located(Scenario, raw, raw_locs)
    except ScenarioError as exc:
        raise relocate_set(exc, spec, locs) from None

    years = spec.outcomes.years or [base.run.end_year]
    _check_outcomes(spec, years, base, locs)
    n_runs = design_size(spec) * spec.seeds.per_point
    if n_runs > MAX_RUNS:
        raise spec_error(
            locs,
            ("design",),
            f"this design plans {n_runs:,} runs, more than the limit of {MAX_RUNS:,}",
        )
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return LoadedSpec(
        spec=spec,
        path=path,
        text=path.read_bytes(),
        name=spec.name or path.stem,
        base_path=base_path,
        base=base,
        base_overrides=list(spec.set),
        outcome_years=list(years),
        spec_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        overrides=list(overrides),
    )


def relocate_set(exc: ScenarioError, spec: SweepSpec, locs: Locations) -> ScenarioError:
    """An error about a ``set`` override, pointed at the spec's line for it."""
    if exc.file != OVERRIDE_FILE:
        return exc
    for i, text in enumerate(spec.set):
        key = text.split("=", 1)[0].strip()
        if exc.key is not None and (exc.key == key or key.startswith(exc.key) or exc.key.startswith(key)):
            where = locs.get(("set", i), locs.get(("set",), (None, None)))
            return ScenarioError(
                _SUFFIX.sub("", exc.message) + f" (in set: {text!r})",
                file=where[0],
                line=where[1],
                key=exc.key,
                suggestion=exc.suggestion,
            )
    return exc


def _check_names(spec: SweepSpec, locs: Locations) -> None:
    if spec.name is not None and not _SWEEP_NAME.match(spec.name):
        raise spec_error(locs, ("name",), f"expected a name usable as a directory name (letters, digits, _ . -), got {spec.name!r}")
    for name in spec.parameters:
        if not _NAME.match(name):
            raise spec_error(
                locs,
                ("parameters", name),
                "a parameter name must be lower case letters, digits and _ (it becomes a column name)",
            )
        if name in RESERVED_COLUMNS:
            raise spec_error(locs, ("parameters", name), f"{name!r} is a reserved column name of runs.parquet")


def check_range(name: str, p: ParameterSpec, kind: str, locs: Locations) -> None:
    """Check a parameter's range or levels for a design of ``kind`` (used by sweeps, searches and
    calibrations): raises a located :class:`ScenarioError`."""
    here = ("parameters", name)
    if p.type == "categorical":
        for field in ("low", "high"):
            if getattr(p, field) is not None:
                raise spec_error(locs, here + (field,), "a categorical parameter takes 'values', not low/high")
        if p.values is None or len(p.values) < 2:
            raise spec_error(locs, here + ("values",), "a categorical parameter needs a list of at least two 'values'")
        if len({json.dumps(v) for v in p.values}) != len(p.values):
            raise spec_error(locs, here + ("values",), "the values of a categorical parameter must differ")
        if p.levels is not None:
            raise spec_error(locs, here + ("levels",), "a categorical parameter takes all its values; 'levels' is for real and integer parameters")
        return
    if p.values is not None:
        raise spec_error(locs, here + ("values",), f"a {p.type} parameter takes 'low' and 'high', not 'values'")
    for field in ("low", "high"):
        v = getattr(p, field)
        if v is None:
            raise spec_error(locs, here, f"a {p.type} parameter needs '{field}'")
        if not math.isfinite(v):
            raise spec_error(locs, here + (field,), f"expected a finite number, got {v}")
        if p.type == "integer" and v != int(v):
            raise spec_error(locs, here + (field,), f"an integer parameter needs a whole number, got {v:g}")
    if p.low > p.high or (p.type == "real" and p.low == p.high):
        raise spec_error(
            locs,
            here + ("high",),
            f"expected high above low, got low {p.low:g} and high {p.high:g}",
        )
    if p.levels is not None and kind != "grid":
        raise spec_error(locs, here + ("levels",), f"'levels' of a parameter applies to grid designs only, this is a {kind} design")


def _check_design(spec: SweepSpec, locs: Locations) -> None:
    d = spec.design
    allowed = _DESIGN_FIELDS[d.kind]
    for field in ("levels", "samples", "base_samples", "second_order", "trajectories"):
        if getattr(d, field) is not None and field not in allowed:
            raise spec_error(
                locs,
                ("design", field),
                f"not used by a {d.kind!r} design (it takes {', '.join(sorted(allowed))})",
            )
    need = _DESIGN_REQUIRED.get(d.kind)
    if need is not None and getattr(d, need) is None:
        raise spec_error(locs, ("design",), f"a {d.kind!r} design needs '{need}'")
    if d.kind == "saltelli" and d.base_samples & (d.base_samples - 1):
        lower = 1 << (d.base_samples.bit_length() - 1)
        raise spec_error(
            locs,
            ("design", "base_samples"),
            f"Sobol sampling needs a power of 2 (its balance properties), got {d.base_samples}; "
            f"try {lower} or {lower * 2}",
        )
    if d.kind == "morris" and (d.levels or MORRIS_DEFAULT_LEVELS) % 2:
        raise spec_error(locs, ("design", "levels"), f"Morris trajectories need an even number of levels, got {d.levels}")
    if d.kind == "grid":
        for name, p in spec.parameters.items():
            if p.type == "real" and p.levels is None and d.levels is None:
                raise spec_error(
                    locs,
                    ("parameters", name),
                    "a real parameter in a grid design needs 'levels' (here or under design)",
                )


def check_key(
    name: str,
    p: ParameterSpec,
    index: int,
    key: str,
    raw: dict[str, Any],
    raw_locs: Locations,
    locs: Locations,
) -> None:
    """Check that *key* is a scenario key a value of this parameter can go to."""
    here = ("parameters", name, "key") + ((index,) if not isinstance(p.key, str) else ())
    if key.replace(" ", "") == "run.seed":
        raise spec_error(locs, here, "run.seed is set by the sweep's seeds (seeds.root, seeds.per_point), not a parameter")
    trial = copy.deepcopy(raw)
    sample = p.values[0] if p.type == "categorical" else p.low
    try:
        apply_overrides(trial, dict(raw_locs), [f"{key}={override_value(sample)}"])
    except ScenarioError as exc:
        problem = _SUFFIX.sub("", exc.message)
        where = f" at '{exc.key}'" if exc.key and exc.key != key else ""
        raise spec_error(
            locs,
            here,
            f"{key!r} is not a key of the base scenario: {problem}{where}",
            exc.suggestion,
        ) from None
    target = schema_type_at(key.split("."))
    if p.type in ("real", "integer") and target not in (float, int):
        what = _describe_type(target)
        hint = ""
        if _is_mapping(target):
            hint = f"; to vary one year of a series, add the year: '{key}.2020'"
        raise spec_error(locs, here, f"{key!r} holds {what}, a {p.type} parameter needs a number{hint}")
    if p.type == "real" and target is int:
        raise spec_error(locs, here, f"{key!r} holds a whole number: use 'type: integer'")


def _is_mapping(tp: Any) -> bool:
    return typing.get_origin(tp) is dict


def _describe_type(tp: Any) -> str:
    if _is_mapping(tp):
        return "a mapping (e.g. a year series)"
    if typing.get_origin(tp) is list:
        return "a list"
    if tp is bool:
        return "true/false"
    if tp is str:
        return "text"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a block of keys"
    return "a value of another kind"


def _check_outcomes(spec: SweepSpec, years: list[int], base: Scenario, locs: Locations) -> None:
    for i, ind in enumerate(spec.outcomes.indicators):
        if ind not in INDICATOR_UNITS:
            match = difflib.get_close_matches(ind, list(INDICATOR_UNITS), n=1, cutoff=0.6)
            raise spec_error(
                locs,
                ("outcomes", "indicators", i),
                f"unknown indicator {ind!r}",
                match[0] if match else None,
            )
    for i, y in enumerate(years):
        if not base.run.start_year <= y <= base.run.end_year:
            raise spec_error(
                locs,
                ("outcomes", "years", i),
                f"year {y} is outside the base scenario's run {base.run.start_year}-{base.run.end_year}",
            )
    names = {f"{ind}_{y}" for ind in spec.outcomes.indicators for y in years}
    clash = names & set(spec.parameters)
    if clash:
        raise spec_error(locs, ("parameters", sorted(clash)[0]), "this name is also an outcome column")


def override_value(value: Scalar) -> str:
    """A value as ``--set`` reads it back exactly: JSON (``300000000.0``, ``0.25``,
    ``"text"``, ``true``) is read as the same YAML value, floats to the last bit."""
    return json.dumps(value)


# ------------------------------------------------------------------- design


@dataclass
class Design:
    """The design points of a sweep.

    Attributes:
        names: Parameter names, in spec order.
        values: One dict per point, name -> value as applied to the scenario.
        raw: The sampler's matrix (points x parameters), before rounding of
            integer and categorical parameters (SALib's analyzers need it).
    """

    names: list[str]
    values: list[dict[str, Scalar]]
    raw: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem: names and sampling bounds of the parameters."""
    bounds = []
    for p in spec.parameters.values():
        if p.type == "real":
            bounds.append([p.low, p.high])
        elif p.type == "integer":
            bounds.append([p.low, p.high + 1])
        else:
            bounds.append([0.0, float(len(p.values))])
    return {"num_vars": len(bounds), "names": list(spec.parameters), "bounds": bounds}


def design_size(spec: SweepSpec) -> int:
    """Number of design points the spec's design makes (without building it)."""
    d = spec.design
    n_par = len(spec.parameters)
    if d.kind == "grid":
        return math.prod(len(_grid_levels(p, d.levels)) for p in spec.parameters.values())
    if d.kind == "latin":
        return d.samples
    if d.kind == "saltelli":
        return d.base_samples * ((2 * n_par + 2) if d.second_order else (n_par + 2))
    return d.trajectories * (n_par + 1)


def _grid_levels(p: ParameterSpec, default_levels: int | None) -> list[Scalar]:
    if p.type == "categorical":
        return list(p.values)
    levels = p.levels or default_levels
    if p.type == "integer":
        lo, hi = int(p.low), int(p.high)
        if levels is None or levels >= hi - lo + 1:
            return list(range(lo, hi + 1))
        return sorted({int(round(v)) for v in np.linspace(lo, hi, levels)})
    return [float(v) for v in np.linspace(p.low, p.high, levels)]


def build_design(spec: SweepSpec, root_seed: int | None = None) -> Design:
    """Build the design points of a spec.

    Args:
        spec: A validated spec.
        root_seed: Root seed for the samplers (default: ``spec.seeds.root``);
            the sampler's seed is :func:`~simulator.experiment.seeds.design_seed` of it.

    Returns:
        The design; the same spec always gives the same design.
    """
    names = list(spec.parameters)
    params = list(spec.parameters.values())
    d = spec.design
    seed = design_seed(spec.seeds.root if root_seed is None else root_seed)
    if d.kind == "grid":
        level_lists = [_grid_levels(p, d.levels) for p in params]
        index_lists = [range(len(levels)) for levels in level_lists]
        combos = list(itertools.product(*index_lists))
        values = [
            {n: level_lists[j][i] for j, (n, i) in enumerate(zip(names, combo, strict=True))}
            for combo in combos
        ]
        raw = np.array(
            [
                [float(i) if p.type == "categorical" else float(v[n]) for p, n, i in zip(params, names, combo, strict=True)]
                for combo, v in zip(combos, values, strict=True)
            ],
            dtype=float,
        ).reshape(len(combos), len(names))
        return Design(names, values, raw)

    problem = salib_problem(spec)
    if d.kind == "latin":
        from SALib.sample import latin

        raw = latin.sample(problem, d.samples, seed=seed)
    elif d.kind == "saltelli":
        from SALib.sample import sobol

        raw = sobol.sample(problem, d.base_samples, calc_second_order=bool(d.second_order), seed=seed)
    else:
        from SALib.sample import morris

        raw = morris.sample(
            problem, d.trajectories, num_levels=d.levels or MORRIS_DEFAULT_LEVELS, seed=seed
        )
    raw = np.asarray(raw, dtype=float)
    values = [{n: parameter_from_raw(p, x) for n, p, x in zip(names, params, row, strict=True)} for row in raw]
    return Design(names, values, raw)


def parameter_from_raw(p: ParameterSpec, x: float) -> Scalar:
    """The parameter's value for a design coordinate ``x`` in its range (rounded for integers,
    a level for categorical parameters)."""
    if p.type == "real":
        return float(x)
    if p.type == "integer":
        return int(min(p.high, max(p.low, math.floor(x))))
    return p.values[min(len(p.values) - 1, max(0, math.floor(x)))]


def point_overrides(spec: SweepSpec, values: dict[str, Scalar]) -> list[str]:
    """The ``--set`` overrides of one design point (after the spec's own ``set``)."""
    out = list(spec.set)
    for name, p in spec.parameters.items():
        for key in p.keys:
            out.append(f"{key}={override_value(values[name])}")
    return out


def seeds_of(spec: SweepSpec) -> list[int]:
    """The seeds run at every design point (seed index k -> seed)."""
    return derive_seeds(spec.seeds.root, spec.seeds.per_point)
