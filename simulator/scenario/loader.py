"""Load, override, validate and dump scenario files, with ``file:line`` errors.

A scenario file is YAML read strictly as data: only plain values, lists and
mappings are accepted (no tags that build objects, nothing is evaluated).
A file may start from another one with ``extends: other.yaml`` (path relative
to the extending file); mappings are merged deeply, the child winning, while
lists and single values are replaced whole.

Every problem with a scenario is reported as one :class:`ScenarioError`
whose text names the file, the line and the dotted key, e.g.::

    scenarios/x.yaml:42: key 'labour.quit_rate_per_mont': unknown key; did you mean 'quit_rate_per_month'?

The pure-YAML part (safe reading, line tracking, ``extends``) lives in
:mod:`simulator.scenario.yaml_source`; this module adds command-line
overrides, schema validation and the resolved dump.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simulator.scenario.errors import ScenarioError
from simulator.scenario.schema import EntryError, Scenario, region_problems, size_problems
from simulator.scenario.suggest import closest
from simulator.scenario.yaml_source import (
    Locations,
    dotted,
    drop_locations,
    load_raw,
    parse_yaml,
    record_locations,
)

__all__ = [
    "Locations",
    "ScenarioError",
    "apply_overrides",
    "dump_resolved",
    "load_raw",
    "load_resolved_text",
    "load_scenario",
    "scenario_sha256",
    "validate_located",
]

OVERRIDE_FILE = "--set"
"""Pseudo file name shown for problems with (and values from) ``--set`` overrides."""

_INT_PART = re.compile(r"-?[0-9]+")
_MISSING_KEY = "required key missing"


# --------------------------------------------------------------------- schema


def unwrap_type(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the underlying type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin is typing.Union or origin is types.UnionType:
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(args) == 1:
                tp = args[0]
            elif models:
                tp = models[0]
            else:
                return tp
        else:
            return tp


def schema_type_at(path: Iterable[Any], root: type[BaseModel] = Scenario) -> Any:
    """The schema type of the value at a key path, ``None`` if the schema has no such place.

    Walks model fields, ``dict[K, V]`` (one path part for the key) and
    ``list[V]`` (one part for the index).
    """
    tp: Any = root
    for part in path:
        tp = unwrap_type(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) is list:
            tp = typing.get_args(tp)[0]
        else:
            return None
    return unwrap_type(tp)


def schema_model_at(
    path: Iterable[Any], root: type[BaseModel] = Scenario
) -> type[BaseModel] | None:
    """The model class of the mapping at a key path, if it is a model."""
    tp = schema_type_at(path, root)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


# ------------------------------------------------------------------ overrides


def apply_overrides(
    data: dict[str, Any],
    locs: Locations,
    overrides: Iterable[str],
    root: type[BaseModel] = Scenario,
) -> None:
    """Apply ``path.to.key=value`` overrides to raw scenario data, in place.

    The value is read as YAML data (``3``, ``0.5``, ``true``, ``[a, b]``,
    ``{2016: 1e9}``), never evaluated. Path parts that are numbers index
    lists and integer-keyed mappings (year series). A key missing from the
    data may be added only where the schema knows it: a field of the model
    at that place (an optional field left at its default, also a whole
    sub-block such as ``levers.shantytown_renovation``) or a new entry of a
    mapping-valued field as the last part (a new year in a series).

    Args:
        data: Raw scenario data from :func:`load_raw`; modified in place.
        locs: Its location map; entries for overridden values point at
            ``--set`` (line ``None``).
        overrides: The override strings, applied in order.
        root: The schema the data follows (a scenario unless told otherwise,
            e.g. a sweep spec): it decides which missing keys may be added.

    Raises:
        ScenarioError: On bad syntax, an unreadable value, or a path that
            does not exist (with the closest existing key as suggestion).
    """
    if isinstance(overrides, str):  # a single override given bare
        overrides = [overrides]
    for text in overrides:
        _apply_one(data, locs, text, root)


def _override_error(
    text: str, key: str | None, message: str, suggestion: str | None = None
) -> ScenarioError:
    return ScenarioError(
        f"{message} (in --set {text!r})", file=OVERRIDE_FILE, key=key, suggestion=suggestion
    )


def _apply_one(
    data: dict[str, Any], locs: Locations, text: str, root: type[BaseModel] = Scenario
) -> None:
    if "=" not in text:
        raise _override_error(text, None, "expected 'path.to.key=value', there is no '='")
    raw_path, raw_value = text.split("=", 1)
    raw_path = raw_path.strip()
    parts = raw_path.split(".")
    if not raw_path or any(not p.strip() for p in parts):
        raise _override_error(text, raw_path or None, "expected a dotted key path before '='")
    parts = [p.strip() for p in parts]
    try:
        value, _ = parse_yaml(raw_value, OVERRIDE_FILE)
    except ScenarioError as exc:
        raise _override_error(text, raw_path, f"cannot read the value: {exc.message}") from None

    container: Any = data
    path: tuple[Any, ...] = ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        shown = ".".join(parts[: i + 1])
        if isinstance(container, list):
            if not (part.isascii() and part.isdigit()) or int(part) >= len(container):
                raise _override_error(
                    text,
                    shown,
                    f"expected a list index from 0 to {len(container) - 1}, got {part!r}",
                )
            key: Any = int(part)
        elif isinstance(container, dict):
            key = _find_key(container, part)
            if key is _MISSING:
                key = _new_key(container, path, part, last, text, shown, root)
                if not last:
                    container[key] = {}
                    locs[path + (key,)] = (OVERRIDE_FILE, None)
        else:
            raise _override_error(
                text,
                ".".join(parts[:i]),
                f"this is a single value ({_fmt_value(container)}), it has no key {part!r}",
            )
        if last:
            drop_locations(locs, path + (key,))
            container[key] = value
            record_locations(value, path + (key,), locs, (OVERRIDE_FILE, None))
        else:
            container = container[key]
            path = path + (key,)


class _Missing:
    pass


_MISSING: Any = _Missing()


def _find_key(mapping: dict[Any, Any], part: str) -> Any:
    """The existing key of *mapping* that the path part *part* names, or ``_MISSING``."""
    if part in mapping:
        return part
    if _INT_PART.fullmatch(part):
        number = int(part)
        for key in mapping:
            if type(key) is int and key == number:
                return key
    return _MISSING


def _new_key(
    container: dict[Any, Any],
    path: tuple[Any, ...],
    part: str,
    last: bool,
    text: str,
    shown: str,
    root: type[BaseModel] = Scenario,
) -> Any:
    """Key for a part that is not in the data yet, if the schema allows it there."""
    tp = schema_type_at(path, root)
    model = schema_model_at(path, root)
    if model is not None and part in model.model_fields:
        child = schema_type_at(path + (part,), root)
        if last or _is_container_type(child):
            return part
        raise _override_error(text, shown, "this holds a single value, it has no sub-keys")
    if model is None and last and typing.get_origin(tp) is dict:
        key_type = unwrap_type(typing.get_args(tp)[0])
        if key_type is int:
            if not _INT_PART.fullmatch(part):
                raise _override_error(
                    text, shown, f"expected an integer key (a year), got {part!r}"
                )
            return int(part)
        return part
    candidates = [str(k) for k in container]
    if model is not None:
        candidates += [n for n in model.model_fields if n not in container]
    raise _override_error(text, shown, "unknown key", closest(part, candidates))


def _is_container_type(tp: Any) -> bool:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return True
    return typing.get_origin(tp) in (dict, list)


# ----------------------------------------------------------------- validation


def load_scenario(
    path: str | os.PathLike[str],
    overrides: Iterable[str] = (),
    seed: int | None = None,
    scale: int | None = None,
) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: The scenario file, as the user gave it (shown so in errors).
        overrides: ``path.to.key=value`` strings, see :func:`apply_overrides`.
        seed: If given, replaces ``run.seed``.
        scale: If given, replaces ``run.scale``.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: For any problem; the text is about the earliest line
            with a problem and ``all_errors`` lists every problem found.
    """
    data, locs = load_raw(path)
    apply_overrides(data, locs, overrides)
    for name, value, flag in (("seed", seed, "--seed"), ("scale", scale, "--scale")):
        run = data.get("run")
        if value is not None and isinstance(run, dict):
            drop_locations(locs, ("run", name))
            run[name] = value
            locs[("run", name)] = (flag, None)
    return _validate(data, locs)


def _validate(data: dict[str, Any], locs: Locations) -> Scenario:
    scenario = validate_located(Scenario, data, locs)
    problems = region_problems(scenario) + size_problems(scenario)
    if problems:
        errors = []
        for path, message, suggestion in problems:
            data_path = _resolve(data, path)
            file, line = location(locs, data_path)
            errors.append(ScenarioError(message, file=file, line=line, key=dotted(path), suggestion=suggestion))
        errors.sort(key=lambda e: (e.line is None, e.line or 0))
        first = errors[0]
        first.all_errors = [str(e) for e in errors]
        raise first
    return scenario


_Model = typing.TypeVar("_Model", bound=BaseModel)


def validate_located(model: type[_Model], data: Any, locs: Locations) -> _Model:
    """Validate raw YAML data against a pydantic model, with ``file:line`` errors.

    The same machinery as for scenarios, for other YAML inputs (e.g. sweep
    specs): unknown keys get a did-you-mean from the model's fields.

    Args:
        model: The pydantic model class (strict, ``extra="forbid"``).
        data: Raw data from :func:`load_raw` or :func:`parse_yaml`.
        locs: Its location map.

    Returns:
        The validated model instance.

    Raises:
        ScenarioError: About the earliest line with a problem; ``all_errors``
            lists every problem found.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _convert_validation_error(exc, data, locs, model) from None


def _convert_validation_error(
    exc: ValidationError, data: dict[str, Any], locs: Locations, root: type[BaseModel] = Scenario
) -> ScenarioError:
    errors = [_describe(err, data, locs, root) for err in exc.errors(include_url=False)]
    # Earliest line first; a missing key is often the consequence of a misspelt
    # one (reported as unknown), so missing keys come after the other problems.
    order = sorted(
        range(len(errors)),
        key=lambda i: (
            errors[i].message == _MISSING_KEY,
            errors[i].line is not None,
            errors[i].line or 0,
            i,
        ),
    )
    errors = [errors[i] for i in order]
    first = errors[0]
    first.all_errors = [str(e) for e in errors]
    return first


def _describe(
    err: Any, data: dict[str, Any], locs: Locations, root: type[BaseModel] = Scenario
) -> ScenarioError:
    loc = tuple(err["loc"])
    entry = (err.get("ctx") or {}).get("error")
    if isinstance(entry, EntryError):  # about one entry of a mapping (a year of a series)
        loc = loc + (entry.key,)
    about_key = bool(loc) and loc[-1] == "[key]"
    if about_key:
        loc = loc[:-1]
    data_path = _resolve(data, loc)
    file, line = location(locs, data_path)
    kind = err["type"]
    suggestion = None
    if kind == "missing":
        message = _MISSING_KEY
    elif kind == "extra_forbidden":
        message = "unknown key"
        suggestion = _suggest_field(loc, root)
    else:
        message = _plain_message(err["msg"], kind, err.get("input"))
        if about_key:
            message = f"invalid key: {message}"
    shown = dotted(data_path + loc[len(data_path) :])  # the keys as written where found
    return ScenarioError(message, file=file, line=line, key=shown or None, suggestion=suggestion)


def _resolve(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The longest prefix of a pydantic ``loc`` found in the data, spelled with the data's keys."""
    path: tuple[Any, ...] = ()
    cur = data
    for item in loc:
        key = _match_key(cur, item)
        if key is _MISSING:
            break
        path += (key,)
        cur = cur[key]
    return path


def _match_key(cur: Any, item: Any) -> Any:
    if isinstance(cur, list):
        if type(item) is int and 0 <= item < len(cur):
            return item
        return _MISSING
    if not isinstance(cur, dict):
        return _MISSING
    for test in (
        lambda k: type(k) is type(item) and k == item,
        lambda k: str(k) == str(item),
        lambda k: k == item,
    ):
        for key in cur:
            if test(key):
                return key
    return _MISSING


def location(locs: Locations, path: tuple[Any, ...]) -> tuple[str | None, int | None]:
    """``(file, line)`` of the closest known key of *path* (itself or its nearest parent)."""
    for n in range(len(path), -1, -1):
        found = locs.get(path[:n])
        if found is not None:
            return found
    return None, None


def _suggest_field(loc: tuple[Any, ...], root: type[BaseModel] = Scenario) -> str | None:
    model = schema_model_at(loc[:-1], root)
    if model is None or not loc:
        return None
    return closest(str(loc[-1]), list(model.model_fields))


def _plain_message(msg: str, kind: str, value: Any) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if ", got " in msg:
        return msg
    if isinstance(value, dict):
        return msg if kind in ("value_error", "assertion_error") else f"{msg}, got a mapping"
    if isinstance(value, list):
        return msg if kind in ("value_error", "assertion_error") else f"{msg}, got a list"
    return f"{msg}, got {_fmt_value(value)}"


def _fmt_value(value: Any, limit: int = 60) -> str:
    """A short YAML-like rendering of a single value for messages."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "a mapping"
    elif isinstance(value, list):
        text = "a list"
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    elif isinstance(value, int):
        text = str(value) if value.bit_length() < 190 else f"an integer of {len(str(value))} digits"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------ resolved output


def _plain_data(scenario: Scenario) -> dict[str, Any]:
    """JSON-compatible dump of *scenario*, year keys kept as sorted ints."""
    return _restore_int_keys(scenario.model_dump(mode="json"), scenario.model_dump(mode="python"))


def _restore_int_keys(js: Any, py: Any) -> Any:
    if isinstance(js, dict) and isinstance(py, dict):
        items = []
        for (jkey, jval), (pkey, pval) in zip(js.items(), py.items(), strict=True):
            key = pkey if type(pkey) is int else jkey
            items.append((key, _restore_int_keys(jval, pval)))
        if items and all(type(k) is int for k, _ in items):
            items.sort(key=lambda kv: kv[0])
        return dict(items)
    if isinstance(js, list) and isinstance(py, list | tuple):
        return [_restore_int_keys(j, p) for j, p in zip(js, py, strict=True)]
    return js


def dump_resolved(scenario: Scenario) -> str:
    """YAML text of the fully resolved scenario (all defaults written out).

    Args:
        scenario: A validated scenario.

    Returns:
        YAML with fields in schema order and year series in year order with
        integer keys; :func:`load_resolved_text` reads it back to an equal
        scenario.
    """
    return yaml.safe_dump(
        _plain_data(scenario), allow_unicode=True, sort_keys=False, default_flow_style=False
    )


def scenario_sha256(scenario: Scenario) -> str:
    """Fingerprint of a scenario, for recording which inputs a run used.

    Args:
        scenario: A validated scenario.

    Returns:
        Hex SHA-256 of a canonical JSON dump (sorted keys, compact), so equal
        scenarios hash equally whatever the order of their mappings.
    """
    text = json.dumps(
        _plain_data(scenario), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_resolved_text(text: str, name: str = "<resolved>") -> Scenario:
    """Validate a scenario from YAML text such as :func:`dump_resolved` writes.

    Args:
        text: The YAML text (no ``extends``).
        name: Shown as the file name in errors.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: If the text is not a valid scenario.
    """
    data, locs = parse_yaml(text, name)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"the top level must be a mapping of keys to values, got {_fmt_value(data)}",
            file=name,
            line=locs[()][1],
        )
    return _validate(data, locs)
