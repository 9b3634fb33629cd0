"""Write scenario data as YAML with a comment beside every value.

The comment says where the value comes from (``census: ...``, ``derived: ...``,
``from Fuxin: ...``, ``assumed: ...``). Mappings that are blocks of the schema
(sections, sectors, levers) are written as indented blocks; series, small
mappings and lists as flow collections on one line; lists of mappings (the
mines) as one flow mapping per line.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from pydantic import BaseModel

from simulator.scenario.loader import schema_type_at
from simulator.scenario.schema import FundingShares, TransferEarmarks

Notes = dict[tuple[Any, ...], str]

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$|^[0-9]+-[0-9]+$")


def scalar(value: Any) -> str:
    """One YAML scalar that reads back as ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.10g}"
        if "e" in text:
            mantissa, exp = text.split("e")
            text = f"{mantissa}e{int(exp)}"
        elif "." not in text and "n" not in text:
            text += ".0"
        return text
    text = str(value)
    if _PLAIN.match(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    """A value on one line: scalar, ``[a, b]`` or ``{k: v}``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


FLOW_MODELS = (FundingShares, TransferEarmarks)
"""Small blocks of the schema written on one line, with one comment."""


def is_block(path: tuple[Any, ...], value: Any) -> bool:
    """A mapping written as an indented block (a section of the schema or a mapping of them);
    everything else is one value on one line with its own comment."""
    if not isinstance(value, dict):
        return False
    if not path:
        return True
    tp = schema_type_at(path)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return not issubclass(tp, FLOW_MODELS)
    # a mapping of blocks (the sectors)
    return bool(value) and all(isinstance(v, dict) and is_block(path + (k,), v) for k, v in value.items())


def _comment(note: str | None) -> str:
    if not note:
        return ""
    return "   # " + " ".join(note.split())


def dump(data: dict[str, Any], notes: Notes, header: str = "") -> str:
    """YAML text of ``data`` with ``notes[path]`` as the comment of each value."""
    lines: list[str] = []
    if header:
        lines += [("# " + line).rstrip() if line else "#" for line in header.splitlines()]
        lines.append("")
    _block(data, (), 0, notes, lines)
    return "\n".join(lines) + "\n"


def _block(mapping: dict[str, Any], path: tuple[Any, ...], indent: int, notes: Notes, lines: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        sub = path + (key,)
        if not path and lines and lines[-1] != "":
            if isinstance(value, dict | list) and value:
                lines.append("")
        if is_block(sub, value):
            lines.append(f"{pad}{scalar(key)}:{_comment(notes.get(sub))}")
            _block(value, sub, indent + 2, notes, lines)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{pad}{scalar(key)}:{_comment(notes.get(sub))}")
            for i, item in enumerate(value):
                lines.append(f"{pad}  - {flow(item)}{_comment(notes.get(sub + (i,)))}")
        else:
            lines.append(f"{pad}{scalar(key)}: {flow(value)}{_comment(notes.get(sub))}")
