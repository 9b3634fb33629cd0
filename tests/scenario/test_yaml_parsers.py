"""libyaml's parser and the pure-Python one read every shipped scenario to the same data and
locations (:func:`simulator.scenario.yaml_source.parse_yaml` uses the first when it can)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from simulator.scenario import yaml_source
from simulator.scenario.errors import ScenarioError

REPO = Path(__file__).resolve().parents[2]
FILES = sorted({*REPO.glob("scenarios/**/*.yaml"), *REPO.glob("tests/data/**/*.yaml"), *REPO.glob("tests/scenario/data/**/*.yaml")})


def same(a, b) -> bool:
    """Equal, of the same types, keys in the same order (nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.skipif(yaml_source._CSafeLoader is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_both_parsers_read_a_file_alike(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    data, locs = yaml_source._parse(yaml_source._SafeLoader, text, path.name)
    fast_data, fast_locs = yaml_source._parse(yaml_source._CSafeLoader, text, path.name)
    assert same(fast_data, data)
    assert fast_locs == locs


def test_files_are_found() -> None:
    assert len(FILES) > 20


@pytest.mark.skipif(yaml_source._CSafeLoader is None, reason="PyYAML without libyaml")
def test_an_error_is_worded_by_the_pure_python_parser() -> None:
    text = "a: 1\nb: [1, 2\n"
    with pytest.raises(ScenarioError) as python_error:
        yaml_source._parse(yaml_source._SafeLoader, text, "x.yaml")
    with pytest.raises(ScenarioError) as error:
        yaml_source.parse_yaml(text, "x.yaml")
    assert str(error.value) == str(python_error.value)
    assert "but got" in str(error.value)  # libyaml words it "did not find expected ..."
