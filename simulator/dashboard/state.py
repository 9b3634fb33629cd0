"""What the dashboard's form holds, and how it becomes a validated scenario.

No user interface here: the page (:mod:`simulator.dashboard.app`) only shows these values and
hands changes back.

* :func:`build_catalog` finds the scenario files of one or more folders (``scenarios/`` by
  default), validated as ``sim run`` would; each city's scenarios, and the file of the
  counterfactual a scenario names (``counterfactual:``) are looked up in it.
* :func:`lever_specs` lists every lever block of a scenario with its fields: a switch for
  ``enabled`` (and any other true/false setting), a number field for a number (with a slider
  range for a share), and a YAML field for anything else (a year series ``{2016: 9000}``, a list
  of sectors, an optional value left empty for unset).
* :func:`overrides` turns the form's values into ``--set`` overrides, only for the values that
  differ from the file, and :func:`check` validates them with the scenario loader, the same
  schema and messages as ``sim run --set``; each problem is keyed by the field it is about.
* :func:`scenario_yaml` is the scenario as the runs use it: the resolved YAML that
  ``sim run FILE --seed S`` reproduces exactly.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from simulator import __version__
from simulator.experiment.seeds import SeedJob, derive_seeds
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import OVERRIDE_FILE, dump_resolved, load_scenario, unwrap_type
from simulator.scenario.schema import Scenario, unit_bound
from simulator.scenario.yaml_source import parse_yaml

SCENARIO_SUFFIXES = (".yaml", ".yml")
MAX_SEEDS = 50
"""Most seeds a run of the dashboard makes per scenario (each seed is one run of each)."""
DEFAULT_SEEDS = 4
GENERAL = ""
"""Key of a problem that is about no field (e.g. a counterfactual that cannot be found)."""
SEEDS_KEY = "seeds"
SCALE_KEY = "run.scale"


class DashboardError(ValueError):
    """A request the dashboard cannot carry out; the text says why in one line."""


# ------------------------------------------------------------------ the scenario files


@dataclass(frozen=True)
class ScenarioEntry:
    """One scenario file, validated.

    Attributes:
        path: the file.
        shown: how the page names the file (its path inside its folder).
        name, counterfactual, description: the scenario's keys.
        city, city_zh: ``city.name`` and ``city.name_zh``.
        scale, seed: ``run.scale`` and ``run.seed``.
        years: ``run.start_year`` and ``run.end_year``.
    """

    path: Path
    shown: str
    name: str
    counterfactual: str | None
    description: str
    city: str
    city_zh: str
    scale: int
    seed: int
    years: tuple[int, int]
    region_titles: tuple[str, ...] = ()

    @property
    def city_label(self) -> str:
        return f"{self.city} {self.city_zh}".strip()

    @property
    def label(self) -> str:
        """What the scenario list shows: the name and the file."""
        return f"{self.name} ({self.shown})"


@dataclass(frozen=True)
class Catalog:
    """The scenario files of the dashboard's folders.

    Attributes:
        folders: the folders searched (with their subfolders).
        entries: the scenario files that validate, in folder and file order.
        skipped: ``(file, why)`` for each YAML file that is not a valid scenario (e.g. a sweep spec).
    """

    folders: tuple[Path, ...]
    entries: tuple[ScenarioEntry, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    def cities(self) -> list[str]:
        """The cities (``city_label``), in the order their first file was found."""
        return list(dict.fromkeys(e.city_label for e in self.entries))

    def scenarios(self, city: str) -> list[ScenarioEntry]:
        """The scenarios of one city (by ``city_label``), packages (those naming a counterfactual) first."""
        mine = [e for e in self.entries if e.city_label == city]
        return [e for e in mine if e.counterfactual] + [e for e in mine if not e.counterfactual]

    def by_label(self, label: str) -> ScenarioEntry:
        for e in self.entries:
            if e.label == label:
                return e
        raise DashboardError(f"no scenario {label!r} in {self._where()}")

    def counterfactual_of(self, entry: ScenarioEntry) -> ScenarioEntry | None:
        """The file of the scenario ``entry`` names as its counterfactual (None if it names none).

        A file in the same folder as ``entry`` is preferred when several files have that name.

        Raises:
            DashboardError: no file of the folders has that name.
        """
        name = entry.counterfactual
        if not name:
            return None
        found = [e for e in self.entries if e.name == name]
        if not found:
            raise DashboardError(
                f"'{entry.name}' names '{name}' as its counterfactual, but no scenario file in {self._where()} "
                f"has that name: add its file to a scenarios folder (--scenarios) or choose another scenario"
            )
        same = [e for e in found if e.path.parent == entry.path.parent]
        return (same or found)[0]

    def _where(self) -> str:
        return ", ".join(str(f) for f in self.folders)


def _shown(path: Path, folder: Path, several: bool) -> str:
    rel = path.relative_to(folder).as_posix()
    return f"{folder.name}/{rel}" if several else rel


def build_catalog(folders: list[Path]) -> Catalog:
    """Validate every ``.yaml`` file under ``folders`` (recursively) as a scenario.

    Raises:
        DashboardError: a folder does not exist, or no folder holds a valid scenario.
    """
    folders = [Path(f) for f in folders]
    for f in folders:
        if not f.is_dir():
            raise DashboardError(f"scenarios folder {f}: not a directory")
    entries: list[ScenarioEntry] = []
    skipped: list[tuple[str, str]] = []
    seen: set[Path] = set()
    for folder in folders:
        # the folder's own files first (its main city), then its subfolders'
        files = sorted(
            (p for p in folder.rglob("*") if p.suffix.lower() in SCENARIO_SUFFIXES and p.is_file()),
            key=lambda p: (len(p.relative_to(folder).parts), p.relative_to(folder).as_posix()),
        )
        for path in files:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            shown = _shown(path, folder, len(folders) > 1)
            try:
                sc = load_scenario(path)
            except ScenarioError as e:
                skipped.append((shown, str(e)))
                continue
            regions = tuple(f"{r.name} {r.name_zh}".strip() for r in sc.regions)
            entries.append(
                ScenarioEntry(
                    path=path,
                    shown=shown,
                    name=sc.name,
                    counterfactual=sc.counterfactual,
                    description=" ".join(sc.description.split()),
                    city=sc.city.name,
                    city_zh=sc.city.name_zh,
                    scale=sc.run.scale,
                    seed=sc.run.seed,
                    years=(sc.run.start_year, sc.run.end_year),
                    region_titles=regions,
                )
            )
    if not entries:
        raise DashboardError(f"no valid scenario file (.yaml) in {', '.join(str(f) for f in folders)}")
    return Catalog(tuple(folders), tuple(entries), tuple(skipped))


# ------------------------------------------------------------------ the levers' fields

SWITCH, NUMBER, TEXT = "switch", "number", "text"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a lever's form.

    Attributes:
        path: the dotted key, as ``--set`` takes it (``levers.reemployment.cost_yuan_per_trainee``).
        label: the key inside the lever block (``funding.central``).
        kind: :data:`SWITCH` (true/false), :data:`NUMBER` or :data:`TEXT` (YAML: a series, a list,
            an optional value).
        description: the schema's description of the field.
        slider: ``(low, high)`` for a number with a range of at most 1 (a share), else None.
    """

    path: str
    label: str
    kind: str
    description: str = ""
    slider: tuple[float, float] | None = None


@dataclass(frozen=True)
class LeverSpec:
    """One lever block: its name, clause and fields (``enabled`` first)."""

    name: str
    title_zh: str
    summary: str
    clauses: tuple[int, ...]
    fields: tuple[FieldSpec, ...]

    @property
    def path(self) -> str:
        return f"levers.{self.name}"

    @property
    def enabled_path(self) -> str:
        return f"{self.path}.enabled"


def _slider(name: str, info) -> tuple[float, float] | None:
    """A slider's range for a number field: its declared bounds (``ge``/``le``) narrowed by its
    unit's (:func:`~simulator.scenario.schema.unit_bound`), if the range is a share's (at most 1 wide)."""
    low = high = None
    for m in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                low = float(getattr(m, attr))
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                high = float(getattr(m, attr))
    b = unit_bound(name)
    if b is not None:
        low = b.low if low is None else max(low, b.low)
        high = b.high if high is None else min(high, b.high)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    return (low, high) if 0 < high - low <= 1 else None


def _fields_of(model: type[BaseModel], prefix: str, label_prefix: str, depth: int = 0) -> list[FieldSpec]:
    out: list[FieldSpec] = []
    for name, info in model.model_fields.items():
        path, label = f"{prefix}.{name}", f"{label_prefix}{name}"
        tp = unwrap_type(info.annotation)
        description = info.description or ""
        if tp is bool:
            out.append(FieldSpec(path, label, SWITCH, description))
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and depth == 0:
            out.extend(_fields_of(tp, path, f"{label}.", depth + 1))
        elif tp in (int, float) and not _optional(info.annotation):
            out.append(FieldSpec(path, label, NUMBER, description, _slider(name, info)))
        else:
            out.append(FieldSpec(path, label, TEXT, description))
    return out


def _optional(tp: Any) -> bool:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    return (origin is typing.Union or origin is types.UnionType) and type(None) in typing.get_args(tp)


def lever_specs(scenario: Scenario) -> list[LeverSpec]:
    """Every lever block of the scenario's schema (built-in and registered), in schema order."""
    from simulator.policy.registry import LEVERS

    known = {lever.name: lever for lever in LEVERS}
    levers_model = type(scenario.levers)
    out = []
    for name in levers_model.model_fields:
        block = unwrap_type(levers_model.model_fields[name].annotation)
        fields = _fields_of(block, f"levers.{name}", "")
        fields.sort(key=lambda f: f.label != "enabled")  # the switch first, the rest in schema order
        lever = known.get(name)
        out.append(
            LeverSpec(
                name=name,
                title_zh=lever.title_zh if lever else "",
                summary=lever.summary if lever else (block.__doc__ or "").strip(),
                clauses=tuple(lever.clauses) if lever else (),
                fields=tuple(fields),
            )
        )
    return out


def all_fields(specs: list[LeverSpec]) -> list[FieldSpec]:
    return [f for lever in specs for f in lever.fields]


# ------------------------------------------------------------------ values


def yaml_text(value: Any) -> str:
    """A value as one line of YAML, as a field shows it and ``--set`` reads it (year series sorted)."""
    if value is None:
        return ""
    if isinstance(value, dict) and all(isinstance(k, int) and not isinstance(k, bool) for k in value):
        value = dict(sorted(value.items()))
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=1 << 20).strip()
    if text.endswith("\n..."):  # a plain scalar ends its document
        text = text[: -len("\n...")].strip()
    return text


def _value_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def initial_values(scenario: Scenario, specs: list[LeverSpec]) -> dict[str, bool | str]:
    """The form's values for a scenario as loaded: a bool for a switch, YAML text otherwise."""
    data = scenario.model_dump(mode="python")
    out: dict[str, bool | str] = {}
    for f in all_fields(specs):
        value = _value_at(data, f.path)
        out[f.path] = bool(value) if f.kind == SWITCH else yaml_text(value)
    return out


def _same(text: str, base: str) -> bool:
    """Whether two YAML texts mean the same value (``9000`` and ``9000.0``; ``true`` is not ``1``)."""
    if text.strip() == base.strip():
        return True
    try:  # read as --set reads a value (2.0e5 is a number)
        a, b = parse_yaml(text, OVERRIDE_FILE)[0], parse_yaml(base, OVERRIDE_FILE)[0]
    except ScenarioError:
        return False
    return _equal(a, b)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def overrides(specs: list[LeverSpec], base: dict[str, bool | str], values: dict[str, bool | str]) -> list[str]:
    """``--set`` overrides (``path=value``) for the values that differ from ``base``, in form order."""
    out = []
    for f in all_fields(specs):
        if f.path not in values:
            continue
        value, original = values[f.path], base[f.path]
        if f.kind == SWITCH:
            if bool(value) != bool(original):
                out.append(f"{f.path}={'true' if value else 'false'}")
        elif not _same(str(value), str(original)):
            text = " ".join(str(value).splitlines())  # one line: a field holds no line breaks
            out.append(f"{f.path}={text}")
    return out


# ------------------------------------------------------------------ validation


@dataclass
class Checked:
    """The form validated.

    Attributes:
        scenario: the scenario with the overrides and scale (None if it does not validate).
        overrides: the ``--set`` overrides of the form.
        seeds: the number of seeds (None if the field is wrong).
        scale: persons per agent (None if the field is wrong).
        counterfactual: the counterfactual's file (None if the scenario names none).
        errors: problems by key: a field's path, :data:`SEEDS_KEY`, :data:`SCALE_KEY`, a lever's
            path (a rule about several of its fields), another key of the scenario, or
            :data:`GENERAL`.
    """

    scenario: Scenario | None
    overrides: tuple[str, ...]
    seeds: int | None
    scale: int | None
    counterfactual: ScenarioEntry | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and self.scenario is not None and self.seeds is not None and self.scale is not None

    def error_at(self, path: str) -> str | None:
        """The problem of one field (or of a part of it, e.g. one year of a series)."""
        found = [m for k, m in self.errors.items() if k == path or k.startswith(path + ".")]
        return "; ".join(found) if found else None

    def lever_errors(self, lever: LeverSpec) -> list[str]:
        """Problems inside a lever's block that no single field of the form holds."""
        fields = [f.path for f in lever.fields]
        out = []
        for k, m in self.errors.items():
            inside = k == lever.path or k.startswith(lever.path + ".")
            if inside and not any(k == p or k.startswith(p + ".") for p in fields):
                out.append(f"{k[len(lever.path) + 1:] or lever.name}: {m}" if k != lever.path else m)
        return out

    def other_errors(self, specs: list[LeverSpec]) -> list[str]:
        """Problems that are about no lever, nor the seeds or scale fields."""
        out = []
        for k, m in self.errors.items():
            if k in (SEEDS_KEY, SCALE_KEY) or k.startswith("levers."):
                continue
            out.append(f"{k}: {m}" if k else m)
        return out


def _message(e: ScenarioError) -> str:
    return e.message + (f"; did you mean '{e.suggestion}'?" if e.suggestion else "")


def _error_key(e: ScenarioError, paths: list[str]) -> str:
    """The field a loader error is about: the field whose path is the key or contains it."""
    key = e.key or GENERAL
    best = max((p for p in paths if key == p or key.startswith(p + ".")), key=len, default=None)
    return best or key


def parse_seeds(text: str) -> int:
    text = str(text).strip()
    try:
        n = int(text)
    except ValueError:
        n = None
    if n is None or not 1 <= n <= MAX_SEEDS:
        raise DashboardError(f"expected a whole number of seeds from 1 to {MAX_SEEDS}, got {text!r}")
    return n


def parse_scale(text: str) -> int:
    text = str(text).strip()
    try:
        return int(text)
    except ValueError:
        raise DashboardError(f"expected a whole number of persons per agent (1 or more), got {text!r}") from None


def check(
    catalog: Catalog,
    entry: ScenarioEntry,
    specs: list[LeverSpec],
    base: dict[str, bool | str],
    values: dict[str, bool | str],
    *,
    seeds: str,
    scale: str,
) -> Checked:
    """Validate the form: the overrides with the scenario loader (``sim run --set``'s schema and
    messages), the seeds and the scale, and the counterfactual at that scale.

    Every field with a problem gets its message: after the first problem, each other changed
    field is validated on its own against the file, so that two wrong fields both say so.
    """
    errors: dict[str, str] = {}
    ov = overrides(specs, base, values)
    paths = [f.path for f in all_fields(specs)]
    n_seeds = scale_n = None
    try:
        n_seeds = parse_seeds(seeds)
    except DashboardError as e:
        errors[SEEDS_KEY] = str(e)
    try:
        scale_n = parse_scale(scale)
    except DashboardError as e:
        errors[SCALE_KEY] = str(e)

    scenario = None
    try:
        scenario = load_scenario(entry.path, overrides=ov, scale=scale_n)
    except ScenarioError as e:
        errors.setdefault(_error_key(e, paths), _message(e))
        for o in ov:  # the other changed fields, each on its own
            key = o.split("=", 1)[0]
            if any(k == key or k.startswith(key + ".") for k in errors):
                continue
            try:
                load_scenario(entry.path, overrides=[o])
            except ScenarioError as e2:
                errors.setdefault(_error_key(e2, paths), _message(e2))

    counterfactual = None
    try:
        counterfactual = catalog.counterfactual_of(entry)
    except DashboardError as e:
        errors[GENERAL] = str(e)
    if counterfactual is not None and scale_n is not None and SCALE_KEY not in errors:
        try:
            load_scenario(counterfactual.path, scale=scale_n)
        except ScenarioError as e:
            key = SCALE_KEY if e.key == SCALE_KEY else GENERAL
            errors.setdefault(key, f"the counterfactual {counterfactual.name} ({counterfactual.shown}): {_message(e)}")
    return Checked(scenario, tuple(ov), n_seeds, scale_n, counterfactual, errors)


# ------------------------------------------------------------------ runs and the YAML


@dataclass(frozen=True)
class RunRequest:
    """The runs to make: the scenario (file, overrides) and its counterfactual at the same seeds and scale."""

    scenario: ScenarioEntry
    counterfactual: ScenarioEntry | None
    overrides: tuple[str, ...]
    scale: int
    root_seed: int
    seeds: tuple[int, ...]

    def jobs(self) -> list[SeedJob]:
        """The counterfactual's runs first (the baseline), then the scenario's, seed by seed."""
        out = []
        if self.counterfactual is not None:
            out += [SeedJob(str(self.counterfactual.path), s, (), self.scale) for s in self.seeds]
        out += [SeedJob(str(self.scenario.path), s, self.overrides, self.scale) for s in self.seeds]
        return out


def run_request(checked: Checked, entry: ScenarioEntry) -> RunRequest:
    """The runs of a validated form.

    Raises:
        DashboardError: the form has problems (nothing may run).
    """
    if not checked.ok:
        raise DashboardError("the form has problems; fix the fields marked in red first")
    assert checked.scenario is not None and checked.seeds is not None and checked.scale is not None
    root = checked.scenario.run.seed
    return RunRequest(
        scenario=entry,
        counterfactual=checked.counterfactual,
        overrides=checked.overrides,
        scale=checked.scale,
        root_seed=root,
        seeds=tuple(derive_seeds(root, checked.seeds)),
    )


def scenario_yaml(checked: Checked, entry: ScenarioEntry) -> str:
    """The scenario of the form as a YAML file: the resolved scenario (every value written out)
    under a header saying where it came from and how to reproduce the dashboard's runs.

    Raises:
        DashboardError: the form has problems.
    """
    request = run_request(checked, entry)
    assert checked.scenario is not None
    file = f"{checked.scenario.name}.yaml"
    seeds = ", ".join(str(s) for s in request.seeds)
    changed = "; ".join(request.overrides) if request.overrides else "no lever changed"
    lines = [
        f"# Scenario '{checked.scenario.name}' as set in sim dashboard (resource-city-sim {__version__}),",
        f"# from {entry.shown}; changed: {changed}; scale {request.scale}.",
        f"# Every value is written out: `sim run {file} --seed S` reproduces the dashboard's run with seed S",
        f"# exactly. Its seeds ({len(request.seeds)}, derived from run.seed {request.root_seed}): {seeds}.",
    ]
    if request.counterfactual is not None:
        cf = request.counterfactual
        lines.append(
            f"# With its counterfactual {cf.name} ({cf.path.as_posix()}): "
            f"sim compare {cf.path.as_posix()} {file} --seeds {len(request.seeds)} --root-seed {request.root_seed} --scale {request.scale}"
        )
    return "\n".join(lines) + "\n" + dump_resolved(checked.scenario)
