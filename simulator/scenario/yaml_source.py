"""Safe YAML reading with line tracking, and ``extends:`` resolution.

YAML is composed into a node tree by PyYAML's safe loader and turned into
plain Python data here, node by node, so that

* only plain values (null, booleans, numbers, strings, dates), lists and
  mappings are accepted: any other tag is an error, nothing is constructed
  from a tag or evaluated;
* every key and list item gets its ``(file, line)``;
* duplicate keys in a mapping are errors (YAML would silently keep the last);
* ``1e9`` reads as a number (as in YAML 1.2), not as a string.

The text is parsed by libyaml (PyYAML's C parser, several times faster) when PyYAML has it;
a text it cannot parse, or whose data is refused here, is read again by the pure-Python
parser, so that every error says what it has always said.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Any

import yaml

from simulator.scenario.errors import ScenarioError

Location = tuple[str, int | None]
"""``(file, line)``; line is 1-based, ``None`` for values given on the command line."""

Locations = dict[tuple[Any, ...], Location]
"""Key path (``('labour', 'quit_rate_per_month')``, list indices as ints) -> location."""

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("null", "bool", "int", "float", "str", "timestamp"))
_MAX_NODES = 200_000  # guards against alias bombs; real scenarios have a few thousand
MAX_FILE_BYTES = 10_000_000
"""Largest scenario file read (the largest shipped one has about 30 kB): a bigger file is a
mistake, and ``extends: /dev/zero`` must not read until memory runs out."""


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader that also reads exponent-only floats like ``1e9``."""


_EXPONENT_FLOAT = (
    _TAG + "float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
_SafeLoader.add_implicit_resolver(*_EXPONENT_FLOAT)

_CSafeLoader: type | None = None
"""The same loader over libyaml's parser (the same resolver and constructor, in Python), or
None when PyYAML was built without libyaml."""
if hasattr(yaml, "CSafeLoader"):

    class _CSafeLoader(yaml.CSafeLoader):
        """PyYAML's CSafeLoader that also reads exponent-only floats like ``1e9``."""

    _CSafeLoader.add_implicit_resolver(*_EXPONENT_FLOAT)


def dotted(path: tuple[Any, ...]) -> str:
    """``('coal', 'mines', 0, 'name')`` -> ``'coal.mines.0.name'``."""
    return ".".join(str(p) for p in path)


def drop_locations(locs: Locations, prefix: tuple[Any, ...]) -> None:
    """Remove the locations of *prefix* and everything below it."""
    n = len(prefix)
    for path in [p for p in locs if p[:n] == prefix]:
        del locs[path]


def record_locations(value: Any, path: tuple[Any, ...], locs: Locations, where: Location) -> None:
    """Give *path* and every key / item below it in *value* the location *where*."""
    locs[path] = where
    if isinstance(value, dict):
        for key, sub in value.items():
            record_locations(sub, path + (key,), locs, where)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            record_locations(sub, path + (i,), locs, where)


def _copy_locations(value: Any, path: tuple[Any, ...], src: Locations, dst: Locations) -> None:
    """Copy from *src* the locations of *path* and everything below it in *value*."""
    if path in src:
        dst[path] = src[path]
    if isinstance(value, dict):
        for key, sub in value.items():
            _copy_locations(sub, path + (key,), src, dst)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _copy_locations(sub, path + (i,), src, dst)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


# ------------------------------------------------------------------- parsing


class _Builder:
    """Turns a composed node tree into plain data plus locations."""

    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, file: str, locs: Locations) -> None:
        self.loader = loader
        self.file = file
        self.locs = locs
        self.count = 0
        self.active: set[int] = set()
        self.own_keys: dict[int, set[int]] = {}

    def error(self, node: yaml.Node, message: str) -> ScenarioError:
        return ScenarioError(message, file=self.file, line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise self.error(node, f"too many values (more than {_MAX_NODES}, through aliases?)")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            raise self.error(node, "an alias refers to the list or mapping containing it")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            return self.sequence(node, path)
        finally:
            self.active.discard(id(node))

    def bad_tag(self, node: yaml.Node) -> ScenarioError:
        return self.error(
            node,
            f"unsupported YAML tag '{_short_tag(node.tag)}': only plain values, lists "
            "and mappings are allowed",
        )

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self.bad_tag(node)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except Exception:  # e.g. "!!int abc": the constructor raises ValueError
            raise self.error(
                node, f"cannot read {node.value!r} as '{_short_tag(node.tag)}'"
            ) from None

    def sequence(self, node: yaml.SequenceNode, path: tuple[Any, ...]) -> list[Any]:
        if node.tag != _TAG + "seq":
            raise self.bad_tag(node)
        result = []
        for i, item in enumerate(node.value):
            self.locs[path + (i,)] = (self.file, item.start_mark.line + 1)
            result.append(self.build(item, path + (i,)))
        return result

    def mapping(self, node: yaml.MappingNode, path: tuple[Any, ...]) -> dict[Any, Any]:
        if node.tag != _TAG + "map":
            raise self.bad_tag(node)
        own = self.own_keys.get(id(node))
        if own is None:  # first visit (an alias may bring the same node again)
            own = self.own_keys[id(node)] = {id(key_node) for key_node, _ in node.value}
            self.loader.flatten_mapping(node)  # resolves '<<: *anchor' merge keys
        result: dict[Any, Any] = {}
        own_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, "a mapping key must be a single value")
            key = self.scalar(key_node)
            line = key_node.start_mark.line + 1
            if id(key_node) in own:
                if key in own_lines:
                    raise ScenarioError(
                        f"duplicate key (first given on line {own_lines[key]})",
                        file=self.file,
                        line=line,
                        key=dotted(path + (key,)),
                    )
                own_lines[key] = line
                if path + (key,) in self.locs:  # overrides a merged-in key (recorded before what lies below it)
                    drop_locations(self.locs, path + (key,))
            elif key in result:
                continue  # merged-in keys: the first one wins, as in PyYAML
            self.locs[path + (key,)] = (self.file, line)
            result[key] = self.build(value_node, path + (key,))
        return result


def parse_yaml(text: str, file: str) -> tuple[Any, Locations]:
    """Read one YAML document as plain data with the location of every key.

    Args:
        text: The YAML text.
        file: Name of its file, used in the locations and in errors.

    Returns:
        The data (``None`` for an empty document) and its location map; the
        empty path ``()`` maps to the start of the document.

    Raises:
        ScenarioError: For invalid YAML, unsupported tags or duplicate keys.
    """
    if _CSafeLoader is not None:
        try:
            return _parse(_CSafeLoader, text, file)
        except ScenarioError:  # read again below: the error as the pure-Python parser words it
            pass
    return _parse(_SafeLoader, text, file)


def _parse(loader_class: type, text: str, file: str) -> tuple[Any, Locations]:
    """:func:`parse_yaml` with a given loader class."""
    loader = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None:
            return None, {(): (file, 1)}
        locs: Locations = {(): (file, node.start_mark.line + 1)}
        return _Builder(loader, file, locs).build(node, ()), locs
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be read"
        where = f" (column {mark.column + 1})" if mark is not None else ""
        raise ScenarioError(
            f"invalid YAML: {problem}{where}",
            file=file,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError(
            f"invalid YAML: {exc.reason} {exc.character!r} is not allowed",
            file=file,
            line=text.count("\n", 0, max(exc.position, 0)) + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ScenarioError(
            "invalid YAML: lists or mappings nested too deeply", file=file
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


# ------------------------------------------------------------------ files


def _read_text(file: str, via: tuple[str, int | None] | None) -> str:
    """Read *file* as UTF-8 text; *via* is the ``extends:`` that named it, if any."""

    def fail(message: str, line: int | None = None) -> ScenarioError:
        if via is not None and line is None:
            shown = file if len(file) <= 200 else file[:197] + "..."
            return ScenarioError(f"{message}: {shown}", file=via[0], line=via[1], key="extends")
        return ScenarioError(message, file=file, line=line)

    try:
        info = os.stat(file)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):  # a device (/dev/zero), pipe or socket: it may never end
            raise fail("not a regular file (a device, pipe or socket?); a scenario is a YAML file")
        if info.st_size > MAX_FILE_BYTES:
            raise fail(f"file too large ({info.st_size:,} bytes; a scenario file has at most {MAX_FILE_BYTES:,})")
        with open(file, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:  # grew since the stat
            raise fail(f"file too large (a scenario file has at most {MAX_FILE_BYTES:,} bytes)")
    except FileNotFoundError:
        raise fail("file not found") from None
    except IsADirectoryError:
        raise fail("this is a directory, not a file") from None
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None
    except ValueError:  # e.g. a NUL character in the name
        raise fail("invalid file name") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        line = raw.count(b"\n", 0, exc.start) + 1
        raise fail(f"not UTF-8 text (byte 0x{bad} cannot be decoded)", line) from None


def load_raw(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Locations]:
    """Read a scenario file and the files it ``extends``, without validation.

    ``extends: other.yaml`` (relative to the extending file) makes the file
    start from *other.yaml*: mappings merge deeply with the extending file
    winning; lists and single values are replaced whole. Chains are allowed,
    cycles are errors. ``extends`` itself is not in the result.

    Args:
        path: The file as the user named it; file names in errors and
            locations are written relative to it, not made absolute.

    Returns:
        The merged data and a map from key paths to the ``(file, line)``
        that supplied each final value (for list items, the item's line).

    Raises:
        ScenarioError: For a missing or unreadable file, invalid YAML, a top
            level that is not a mapping, duplicate keys or a bad ``extends``.
    """
    return _load_chain(os.fspath(path), None, [])


def _load_chain(
    file: str, via: tuple[str, int | None] | None, chain: list[tuple[str, str]]
) -> tuple[dict[str, Any], Locations]:
    try:
        real = os.path.realpath(file)
    except (OSError, ValueError):
        real = file
    if via is not None and any(real == seen for seen, _ in chain):
        names = " -> ".join([shown for _, shown in chain] + [file])
        raise ScenarioError(f"extends cycle: {names}", file=via[0], line=via[1], key="extends")
    data, locs = parse_yaml(_read_text(file, via), file)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            f"the top level must be a mapping of keys to values, got {got}",
            file=file,
            line=locs[()][1],
        )
    if "extends" not in data:
        return data, locs
    parent_ref = data.pop("extends")
    where = locs.pop(("extends",))
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(
            f"expected the name of a scenario file, got {parent_ref!r}",
            file=where[0],
            line=where[1],
            key="extends",
        )
    parent_file = os.path.normpath(os.path.join(os.path.dirname(file), parent_ref.strip()))
    parent, parent_locs = _load_chain(parent_file, where, chain + [(real, file)])
    merged_locs: Locations = {(): locs[()]}
    merged = _merge(parent, parent_locs, data, locs, (), merged_locs)
    return merged, merged_locs


def _merge(
    parent: dict[Any, Any],
    parent_locs: Locations,
    child: dict[Any, Any],
    child_locs: Locations,
    path: tuple[Any, ...],
    out: Locations,
) -> dict[Any, Any]:
    """Deep merge of mappings (child wins), filling *out* with the winning locations."""
    result: dict[Any, Any] = {}
    for key in list(parent) + [k for k in child if k not in parent]:
        sub = path + (key,)
        if key not in child:
            result[key] = parent[key]
            _copy_locations(parent[key], sub, parent_locs, out)
        elif isinstance(parent.get(key), dict) and isinstance(child[key], dict):
            out[sub] = child_locs[sub]
            result[key] = _merge(parent[key], parent_locs, child[key], child_locs, sub, out)
        else:
            result[key] = child[key]
            _copy_locations(child[key], sub, child_locs, out)
    return result
