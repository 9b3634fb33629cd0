"""Fuzzing ``sim validate`` and ``sim run`` with mutated shipped scenarios.

Each case starts from a shipped scenario (resolved through ``extends:``, one year
long, at a scale that makes it fast), changes it one to three times (a key deleted,
misspelt or added; a value replaced by the wrong type, NaN, inf, a huge, negative or
zero number, a unicode, empty or markup string; an unsafe name) and runs
``sim validate`` on it and, when that accepts it, a one-year ``sim run``. Whatever
the input, the command must end with exit code 0, 2 (bad input) or 3 (a run whose
accounts or values fail), never with a traceback or an unexpected exception, print
one ``error:`` line for exit 2, and never write NaN or inf into ``indicators.parquet``.

The overview plot is not drawn in these runs (it takes seconds in its helper process
and reads only the indicators, which are checked here directly).
"""

from __future__ import annotations

import copy
import functools
import math
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import simulator.cli.run as run_cli
from simulator.cli.main import app
from simulator.experiment.run import run_scenario
from simulator.scenario.yaml_source import load_raw

REPO = Path(__file__).resolve().parents[2]

# (file, run.scale): scales that make the initial city a few thousand agents at most
BASES = [
    (REPO / "tests" / "data" / "tiny.yaml", 1),
    (REPO / "scenarios" / "fuxin.yaml", 1000),
    (REPO / "scenarios" / "cities" / "hegang.yaml", 1000),  # a city with regions
]

EXAMPLES = 320
"""Fuzz cases (each one ``sim validate`` and, if it accepts the case, one ``sim run``)."""

ODD_VALUES: list[Any] = [
    math.nan, math.inf, -math.inf, 1.8e308, 1e300, 1e16, 1e15, 1e12, 10**20, 2**63,
    -1, -1e9, -0.5, 0, 0.0, 0.5, 1, 1.0, 2, 3.5, 100,
    True, False, None,
    "", " ", "福新", "x" * 300, "[/bogus]", "[bold]x[/bold]", "0.5", ".nan", "1e9", "a\nb",
    [], {}, [1, 2], {2000: 1.0}, {2000: math.nan}, {"a": 1},
]
FACTORS = [0, 1e-9, 0.01, 0.5, 2, 10, 1000, 1e6, 1e9, -1]
"""Factors of the "scale" mutation."""
ODD_NAMES: list[str] = [
    "", " ", ".", "..", "../escape", "a/b", "a\\b", "x" * 1000, "福新", "[/bogus]", "-rf", "nul\x00", "a..b",
    "ok_name",
]
NAME_PATHS = [("name",), ("city", "name"), ("city", "name_zh"), ("regions", 0, "name"), ("regions", 0, "name_zh"),
              ("coal", "mines", 0, "name")]
FAST_KEYS = {("run", "scale"), ("run", "start_year"), ("run", "end_year")}
"""Values kept as set (deleting or misspelling them is still fuzzed): the runs stay short."""


@functools.cache
def base_data(index: int) -> dict[str, Any]:
    file, scale = BASES[index]
    data, _ = load_raw(file)
    data["run"]["scale"] = scale
    data["run"]["end_year"] = data["run"]["start_year"]
    return data


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, sub in items:
        out.append(prefix + (key,))
        if isinstance(sub, dict | list) and sub:
            out.extend(_paths(sub, prefix + (key,)))
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _exists(data: Any, path: tuple[Any, ...]) -> bool:
    try:
        _get(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _misspell(draw: Any, key: str) -> str:
    kind = draw(st.sampled_from(["upper", "title", "hyphen", "camel", "space", "drop", "double", "swap", "replace"]))
    if not key:
        return "x"
    if kind == "upper":
        return key.upper()
    if kind == "title":
        return key.title()
    if kind == "hyphen":
        return key.replace("_", "-")
    if kind == "camel":
        head, *rest = key.split("_")
        return head + "".join(w.title() for w in rest)
    if kind == "space":
        return key.replace("_", " ")
    i = draw(st.integers(0, len(key) - 1))
    if kind == "drop":
        return key[:i] + key[i + 1 :]
    if kind == "double":
        return key[:i] + key[i] + key[i:]
    if kind == "swap" and i + 1 < len(key):
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    return key[:i] + draw(st.sampled_from("aeiouxz_")) + key[i + 1 :]


class Case:
    """A mutated scenario: its base, data and mutations (shown short in hypothesis's reports)."""

    def __init__(self, index: int, data: dict[str, Any], done: list[str]) -> None:
        self.index, self.data, self.done = index, data, done

    def __repr__(self) -> str:
        return f"Case({BASES[self.index][0].name}: {'; '.join(self.done)})"


@st.composite
def mutated(draw: Any) -> Case:
    """A base scenario changed one to three times."""
    index = draw(st.integers(0, len(BASES) - 1))
    data = copy.deepcopy(base_data(index))
    done = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "misspell", "replace", "replace", "insert", "name", "scale", "scale", "scale", "scale"]))
        paths = _paths(data)
        if op == "delete" and paths:
            path = draw(st.sampled_from(paths))
            del _get(data, path[:-1])[path[-1]]
        elif op == "misspell" and any(isinstance(p[-1], str) for p in paths):
            path = draw(st.sampled_from([p for p in paths if isinstance(p[-1], str)]))
            parent = _get(data, path[:-1])
            parent[_misspell(draw, path[-1])] = parent.pop(path[-1])
        elif op == "replace" and paths:
            leaves = [p for p in paths if not isinstance(_get(data, p), dict | list) and p not in FAST_KEYS]
            path = draw(st.sampled_from(leaves or paths))
            value = draw(st.sampled_from(ODD_VALUES))
            _get(data, path[:-1])[path[-1]] = copy.deepcopy(value)
        elif op == "scale":  # a number made huge, tiny, zero or negative: often still valid
            numbers = [p for p in paths if p not in FAST_KEYS and type(_get(data, p)) in (int, float)]
            path = draw(st.sampled_from(numbers))
            value = _get(data, path) * draw(st.sampled_from(FACTORS))
            _get(data, path[:-1])[path[-1]] = type(_get(data, path))(value) if math.isfinite(value) else value
        elif op == "insert":
            mappings = [()] + [p for p in paths if isinstance(_get(data, p), dict)]
            path = draw(st.sampled_from(mappings))
            key = draw(st.sampled_from(["extra", "Extra Key", "[/bogus]", "福", "2000", "名字"]))
            _get(data, path)[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        else:
            path = draw(st.sampled_from([p for p in NAME_PATHS if _exists(data, p)] or [("name",)]))
            if _exists(data, path[:-1]):
                _get(data, path[:-1])[path[-1]] = draw(st.sampled_from(ODD_NAMES))
        done.append(f"{op} {'.'.join(map(str, path)) if paths else ''}" + (f" = {value!r:.40}" if op in ("replace", "scale") else ""))
    return Case(index, data, done)


def _check_clean(result: Any, what: str) -> int:
    """The checks every command's result must pass; returns the exit code."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        what, repr(result.exception), result.output)
    assert "Traceback" not in result.output, (what, result.output)
    assert result.exit_code in (0, 2, 3), (what, result.exit_code, result.output)
    if result.exit_code == 2:
        text = result.output.strip()
        assert text.startswith("error:") and "\n" not in text, (what, text)
        assert "unexpected" not in text.split(":", 2)[1], (what, text)
    return result.exit_code


def _check_indicators(out: Path, what: str) -> None:
    for file in out.rglob("indicators.parquet"):
        table = pq.read_table(file)
        for name in table.column_names:
            col = table.column(name).to_numpy()
            if col.dtype.kind in "fc":
                assert np.all(np.isfinite(col)), (what, name)


def test_mutated_scenarios_end_cleanly(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200", "XDG_CACHE_HOME": str(tmp_path / "cache")})
    codes: Counter[str] = Counter()
    case = tmp_path / "case.yaml"
    out = tmp_path / "out"

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated())
    def one(drawn: Case) -> None:
        what = repr(drawn)
        case.write_text(yaml.safe_dump(drawn.data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        code = _check_clean(runner.invoke(app, ["validate", str(case)]), "validate " + what)
        codes[f"validate {code}"] += 1
        if code != 0:
            return
        shutil.rmtree(out, ignore_errors=True)
        code = _check_clean(runner.invoke(app, ["run", str(case), "--out", str(out), "-q"]), "run " + what)
        codes[f"run {code}"] += 1
        _check_indicators(out, "run " + what)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run_cli, "run_scenario", functools.partial(run_scenario, overview=False))
        one()
    print("fuzz exit codes:", dict(sorted(codes.items())))
    # the fuzz reaches both sides: scenarios refused as bad input, and runs that go through
    assert codes["validate 2"] >= EXAMPLES // 4, codes
    assert codes["run 0"] >= EXAMPLES // 10, codes
    assert not (tmp_path / "cache").exists(), "an unexpected error wrote a crash log"
