"""Tests of the scenario loader: safe YAML, extends, overrides, error messages."""

from __future__ import annotations

import copy
import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.model.sectors import SECTOR_NAMES
from simulator.scenario.loader import (
    ScenarioError,
    apply_overrides,
    dump_resolved,
    load_raw,
    load_resolved_text,
    load_scenario,
    scenario_sha256,
)
from simulator.scenario.schema import Scenario

DATA = Path(__file__).parent / "data"
VALID = DATA / "valid.yaml"
REPO = Path(__file__).resolve().parents[2]


def valid_scenario_dict() -> dict[str, Any]:
    """A fresh copy of the valid test scenario as plain data."""
    return yaml.safe_load(VALID.read_text(encoding="utf-8"))


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based number of the first line at or after *start* containing *needle*."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary current directory holding a copy of valid.yaml."""
    shutil.copy(VALID, tmp_path / "valid.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path | str, text: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    return str(path)


def variant(old: str, new: str, name: str = "x.yaml") -> tuple[str, str]:
    """Write valid.yaml with *old* replaced once by *new*; return (file, text)."""
    text = VALID.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    text = text.replace(old, new, 1)
    return write(name, text), text


def error_of(path: str, overrides: list[str] | None = None, **kw: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [], **kw)
    return info.value


# ------------------------------------------------------------------ valid input


def test_valid_fixture_loads() -> None:
    scenario = load_scenario(VALID)
    assert isinstance(scenario, Scenario)
    assert set(scenario.sectors) == set(SECTOR_NAMES)
    assert scenario.run.seed == 7
    assert scenario.city.name_zh == "测试市"


def test_load_raw_lines_and_int_keys() -> None:
    data, locs = load_raw(VALID)
    text = VALID.read_text(encoding="utf-8")
    assert locs[("labour", "quit_rate_per_month")] == (
        str(VALID),
        line_of(text, "quit_rate_per_month"),
    )
    assert locs[("coal", "mines", 1)] == (str(VALID), line_of(text, "- name: Small private pit"))
    series = data["demography"]["total_fertility_rate"]
    assert list(series) == [2000, 2010] and all(type(k) is int for k in series)
    assert locs[("demography", "total_fertility_rate", 2010)][1] == line_of(
        text, "total_fertility_rate"
    )


def test_exponent_numbers_are_floats(workdir: Path) -> None:
    path, _ = variant("cost_yuan_per_household: 60000", "cost_yuan_per_household: 6e4")
    data, _ = load_raw(path)
    assert data["levers"]["shantytown_renovation"]["cost_yuan_per_household"] == 6e4
    assert load_scenario(path).levers.shantytown_renovation.cost_yuan_per_household == 6e4


def test_seed_and_scale_arguments() -> None:
    scenario = load_scenario(VALID, seed=123, scale=5)
    assert (scenario.run.seed, scenario.run.scale) == (123, 5)
    err = error_of(str(VALID), scale=-3)
    assert (
        str(err) == "--scale: key 'run.scale': Input should be greater than or equal to 1, got -3"
    )


# --------------------------------------------------------------- error messages


def test_unknown_key_with_suggestion(workdir: Path) -> None:
    path, text = variant("quit_rate_per_month", "quit_rate_per_mont", "scen/x.yaml")
    err = error_of(path)
    line = line_of(text, "quit_rate_per_mont")
    assert (err.file, err.line, err.key) == ("scen/x.yaml", line, "labour.quit_rate_per_mont")
    assert err.suggestion == "quit_rate_per_month"
    assert str(err) == (
        f"scen/x.yaml:{line}: key 'labour.quit_rate_per_mont': unknown key; "
        "did you mean 'quit_rate_per_month'?"
    )
    # the misspelt key also leaves the real one missing
    assert any("required key missing" in e for e in err.all_errors)


def test_unknown_key_in_list_item_and_dict_of_models(workdir: Path) -> None:
    path, text = variant("      soe: false", "      soe: false\n      workerz_persons: 3")
    err = error_of(path)
    assert err.key == "coal.mines.1.workerz_persons"
    assert err.line == line_of(text, "workerz_persons")
    assert err.suggestion == "workers_persons"
    path, text = variant("    relative_wage: 0.8", "    relative_wages: 0.8")
    err = error_of(path)
    assert (err.key, err.suggestion) == ("sectors.services.relative_wages", "relative_wage")


def test_wrong_type(workdir: Path) -> None:
    path, text = variant("scale: 100", "scale: lots")
    err = error_of(path)
    assert err.line == line_of(text, "scale: lots")
    assert err.key == "run.scale"
    assert "valid integer" in err.message and "got 'lots'" in err.message


@pytest.mark.parametrize(
    ("old", "new", "key", "expect"),
    [
        ("scale: 100", "scale: -3", "run.scale", "greater than or equal to 1, got -3"),
        ("female_share: 0.49", "female_share: 1.5", "population.female_share", "got 1.5"),
        ("persons: 800000", "persons: 0", "population.persons", "greater than 0, got 0"),
        ("cpi_index: {2000: 1.0,", "cpi_index: {1800: 1.0,", "world.cpi_index.1800", "1900"),
    ],
    ids=["negative-scale", "share-above-1", "zero-persons", "year-key-out-of-range"],
)
def test_out_of_range(workdir: Path, old: str, new: str, key: str, expect: str) -> None:
    path, text = variant(old, new)
    err = error_of(path)
    assert err.key == key
    assert err.line == line_of(text, new)
    assert expect in str(err)


def test_shares_not_summing_to_one(workdir: Path) -> None:
    path, text = variant("15-59: 0.68", "15-59: 0.60")
    err = error_of(path)
    assert err.key == "population.age_band_shares"
    assert err.line == line_of(text, "age_band_shares:")
    assert "must sum to 1" in err.message
    # a whole-scenario check (across sectors) points at the top of the file
    path, _ = variant("local_consumption_share: 0.85", "local_consumption_share: 0.5")
    err = error_of(path)
    assert err.key is None and err.line == line_of(text, "name: test-valid")
    assert "local_consumption_share must sum to 1" in str(err)


def test_end_before_start(workdir: Path) -> None:
    path, text = variant("end_year: 2010", "end_year: 1990")
    err = error_of(path)
    assert (err.key, err.line) == ("run", line_of(text, "run:"))
    assert "end_year (1990) is before start_year (2000)" in str(err)


def test_required_key_missing(workdir: Path) -> None:
    path, text = variant("  matching_efficiency_per_month: 0.3\n", "")
    err = error_of(path)
    assert err.key == "labour.matching_efficiency_per_month"
    assert err.message == "required key missing"
    assert err.line == line_of(text, "labour:")


def test_errors_sorted_by_line_and_all_kept(workdir: Path) -> None:
    text = VALID.read_text(encoding="utf-8")
    text = text.replace("capacity_headroom_share: 0.1", "capacity_headroom_share: -1")
    text = text.replace("scale: 100", "scale: 0")
    path = write("two.yaml", text)
    err = error_of(path)
    assert err.key == "run.scale"
    assert len(err.all_errors) == 2
    assert "firms.capacity_headroom_share" in err.all_errors[1]
    assert all(e.startswith("two.yaml:") for e in err.all_errors)


def test_missing_file(workdir: Path) -> None:
    err = error_of("nowhere/none.yaml")
    assert err.file == "nowhere/none.yaml"
    assert str(err) == "nowhere/none.yaml: file not found"


def test_unreadable_inputs(workdir: Path) -> None:
    (workdir / "adir.yaml").mkdir()
    assert "directory" in str(error_of("adir.yaml"))
    Path("latin1.yaml").write_bytes(b"name: x\ncity: M\xfcnster\n")
    err = error_of("latin1.yaml")
    assert (err.line, err.file) == (2, "latin1.yaml") and "UTF-8" in err.message
    write("empty.yaml", "# nothing here\n")
    assert "got an empty file" in str(error_of("empty.yaml"))
    write("list.yaml", "- a\n- b\n")
    assert "must be a mapping" in str(error_of("list.yaml"))
    write("ctrl.yaml", "name: a\x07b\n")
    assert error_of("ctrl.yaml").line == 1


def test_malformed_yaml_reports_line(workdir: Path) -> None:
    path, text = variant("  skill_shares: {low: 0.5,", "  skill_shares: {low: 0.5,,")
    err = error_of(path)
    assert err.file == path
    assert err.line == line_of(text, "skill_shares:")
    assert err.message.startswith("invalid YAML:") and "column" in err.message
    write("tab.yaml", "run:\n  scale: 1\n\tseed: 2\n")
    assert error_of("tab.yaml").line == 3


def test_duplicate_key(workdir: Path) -> None:
    path, text = variant("  seed: 7\n", "  seed: 7\n  scale: 3\n")
    err = error_of(path)
    assert err.key == "run.scale"
    assert err.line == line_of(text, "scale: 3")
    assert f"first given on line {line_of(text, 'scale: 100')}" in err.message
    write("dupyear.yaml", "a: {2000: 1, 2000: 2}\n")
    assert error_of("dupyear.yaml").key == "a.2000"


def test_yaml_anchors_and_merge_keys(workdir: Path) -> None:
    write("anchors.yaml", "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b]\n")
    data, locs = load_raw("anchors.yaml")
    assert data == {"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}, "list": [{"x": 1, "y": 2}]}
    assert locs[("other", "y")] == ("anchors.yaml", 4)
    assert locs[("other", "x")] == ("anchors.yaml", 1)
    # a mapping with a merge key, used again through an alias, is still no duplicate
    write("again.yaml", "b: &b {x: 1, y: 2}\nx: &x {<<: *b, y: 3}\nz: *x\n")
    data, _ = load_raw("again.yaml")
    assert data["z"] == {"x": 1, "y": 3} and data["z"] is not data["x"]
    write(
        "bomb.yaml",
        "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefg", "bcdefgh", strict=True)
        ),
    )
    assert "too many values" in str(error_of("bomb.yaml"))


# -------------------------------------------------------------------- safe YAML


def test_python_tags_in_file_are_rejected(workdir: Path) -> None:
    marker = workdir / "pwned"
    path, text = variant(
        "name: test-valid", f'name: !!python/object/apply:os.mkdir ["{marker.as_posix()}"]'
    )
    err = error_of(path)
    assert err.line == line_of(text, "python/object")
    assert "unsupported YAML tag '!!python/object/apply:os.mkdir'" in err.message
    assert not marker.exists()
    write("scalar_tag.yaml", "name: !!python/name:os.system\n")
    assert "unsupported YAML tag" in str(error_of("scalar_tag.yaml"))
    write("bad_int.yaml", "name: !!int abc\n")
    assert "cannot read 'abc'" in str(error_of("bad_int.yaml"))
    write("set.yaml", "name: !!set {a, b}\n")
    assert "unsupported YAML tag '!!set'" in str(error_of("set.yaml"))


def test_python_tag_in_override_is_rejected(workdir: Path) -> None:
    marker = workdir / "pwned"
    for value in (
        '!!python/object/apply:os.system ["echo hi"]',
        f'!!python/object/apply:os.mkdir ["{marker.as_posix()}"]',
    ):
        err = error_of("valid.yaml", [f"name={value}"])
        assert err.file == "--set" and err.key == "name"
        assert "unsupported YAML tag" in err.message
    assert not marker.exists()


# ---------------------------------------------------------------------- extends


def test_extends_chain_merge_and_locations(workdir: Path) -> None:
    write(
        "sub/parent.yaml",
        "extends: ../valid.yaml\n"  # 1
        "run:\n"  # 2
        "  scale: 50\n"  # 3
        "labour:\n"  # 4
        "  quit_rate_per_month: 0.02\n",  # 5
    )
    write(
        "sub/child.yaml",
        "# child\n"  # 1
        "extends: parent.yaml\n"  # 2
        "run:\n"  # 3
        "  scale: 10\n"  # 4
        "coal:\n"  # 5
        "  mines:\n"  # 6
        "    - {name: Only, soe: true, reserves_tonnes: 1e6,\n"  # 7
        "       capacity_tonnes_per_year: 1000, workers_persons: 10}\n",  # 8
    )
    data, locs = load_raw("sub/child.yaml")
    assert "extends" not in data and ("extends",) not in locs
    assert data["run"]["scale"] == 10 and data["run"]["seed"] == 7
    assert data["labour"]["quit_rate_per_month"] == 0.02
    assert len(data["coal"]["mines"]) == 1  # lists are replaced whole
    assert ("coal", "mines", 1) not in locs and ("coal", "mines", 1, "name") not in locs
    assert locs[("run", "scale")] == ("sub/child.yaml", 4)
    assert locs[("coal", "mines", 0, "name")] == ("sub/child.yaml", 7)
    assert locs[("labour", "quit_rate_per_month")] == ("sub/parent.yaml", 5)
    valid_text = VALID.read_text(encoding="utf-8")
    assert locs[("run", "seed")] == ("valid.yaml", line_of(valid_text, "seed: 7"))
    assert locs[("coal", "min_workable_reserves_tonnes")][0] == "valid.yaml"
    scenario = load_scenario("sub/child.yaml")
    assert scenario.run.scale == 10 and scenario.coal.mines[0].reserves_tonnes == 1e6


def test_extends_error_in_inherited_value_points_at_parent(workdir: Path) -> None:
    write("parent.yaml", "extends: valid.yaml\nrun:\n  seed: -1\n")
    write("child.yaml", "extends: parent.yaml\nrun:\n  scale: 2\n")
    err = error_of("child.yaml")
    assert (err.file, err.line, err.key) == ("parent.yaml", 3, "run.seed")
    write("child2.yaml", "extends: parent.yaml\nrun:\n  seed: -2\n")
    err = error_of("child2.yaml")
    assert (err.file, err.line) == ("child2.yaml", 3)


def test_extends_cycle(workdir: Path) -> None:
    write("a.yaml", "name: a\nextends: b.yaml\n")
    write("b.yaml", "extends: a.yaml\n")
    err = error_of("a.yaml")
    assert "extends cycle: a.yaml -> b.yaml -> a.yaml" in str(err)
    assert (err.file, err.line, err.key) == ("b.yaml", 1, "extends")
    write("self.yaml", "extends: ./self.yaml\n")
    assert "cycle" in str(error_of("self.yaml"))


def test_extends_missing_parent_and_bad_value(workdir: Path) -> None:
    write("sub/child.yaml", "name: c\nextends: nothere.yaml\n")
    err = error_of("sub/child.yaml")
    assert str(err) == "sub/child.yaml:2: key 'extends': file not found: sub/nothere.yaml"
    write("num.yaml", "extends: 3\n")
    assert "expected the name of a scenario file" in str(error_of("num.yaml"))


# -------------------------------------------------------------------- overrides


def test_override_values() -> None:
    scenario = load_scenario(
        VALID,
        [
            "run.scale=3",
            "labour.quit_rate_per_month=0.5",
            "levers.new_industry_fund.enabled=true",
            "public_finance.business_tax_sectors=[services, manufacturing]",
            "levers.resource_city_transfer.yuan_per_year={2016: 1e9}",
            "city.package_start_year=2016",
        ],
    )
    assert scenario.run.scale == 3
    assert scenario.labour.quit_rate_per_month == 0.5
    assert scenario.levers.new_industry_fund.enabled is True
    assert scenario.public_finance.business_tax_sectors == ["services", "manufacturing"]
    assert scenario.levers.resource_city_transfer.yuan_per_year == {2016: 1e9}
    assert scenario.city.package_start_year == 2016


def test_override_list_index_and_int_keyed_series() -> None:
    data, locs = load_raw(VALID)
    apply_overrides(
        data,
        locs,
        [
            "coal.mines.0.reserves_tonnes=1e6",
            "levers.shantytown_renovation.households_per_year.2005=4000",
            "levers.shantytown_renovation.households_per_year.2016=5000",
        ],
    )
    assert data["coal"]["mines"][0]["reserves_tonnes"] == 1e6
    series = data["levers"]["shantytown_renovation"]["households_per_year"]
    assert series == {2005: 4000, 2008: 3000, 2016: 5000}
    assert locs[("coal", "mines", 0, "reserves_tonnes")] == ("--set", None)
    assert locs[("levers", "shantytown_renovation", "households_per_year", 2016)] == ("--set", None)


def test_single_override_string_accepted() -> None:
    assert load_scenario(VALID, "run.scale=4").run.scale == 4  # type: ignore[arg-type]


def test_override_whole_block_replaces_locations() -> None:
    data, locs = load_raw(VALID)
    apply_overrides(data, locs, ["coal.mines=[]"])
    assert data["coal"]["mines"] == []
    assert not [p for p in locs if p[:3] == ("coal", "mines", 0)]


def test_override_new_field_with_default_allowed() -> None:
    data, locs = load_raw(VALID)
    assert "package_start_year" not in data["city"]
    apply_overrides(
        data, locs, ["city.package_start_year=2016", "run.accounting.on_violation=raise"]
    )
    assert data["city"]["package_start_year"] == 2016
    assert data["run"]["accounting"] == {"on_violation": "raise"}


@pytest.mark.parametrize(
    ("override", "key", "suggestion", "expect"),
    [
        (
            "labour.quit_rate_per_mont=0.1",
            "labour.quit_rate_per_mont",
            "quit_rate_per_month",
            "unknown key",
        ),
        ("labur.quit_rate_per_month=0.1", "labur", "labour", "unknown key"),
        ("sectors.service.relative_wage=1", "sectors.service", "services", "unknown key"),
        (
            "levers.new_industry_fund.enabld=true",
            "levers.new_industry_fund.enabld",
            "enabled",
            "unknown key",
        ),
        ("coal.mines.2.name=x", "coal.mines.2", None, "list index from 0 to 1"),
        ("coal.mines.first.name=x", "coal.mines.first", None, "list index"),
        ("run.scale.x=1", "run.scale", None, "single value"),
        ("world.cpi_index.abc=1", "world.cpi_index.abc", None, "integer key"),
        ("run.scale", None, None, "no '='"),
        ("=3", None, None, "dotted key path"),
        ("run..scale=3", "run..scale", None, "dotted key path"),
        ("run.scale=[1, 2", "run.scale", None, "cannot read the value"),
    ],
    ids=lambda v: v if isinstance(v, str) and "=" in v else None,
)
def test_bad_override(override: str, key: str | None, suggestion: str | None, expect: str) -> None:
    err = error_of(str(VALID), [override])
    assert err.file == "--set" and err.line is None
    assert err.key == key
    assert err.suggestion == suggestion
    assert expect in err.message
    assert repr(override) in str(err)
    assert "\n" not in str(err)


def test_override_bad_value_reported_against_set() -> None:
    err = error_of(str(VALID), ["run.scale=-3"])
    assert str(err) == "--set: key 'run.scale': Input should be greater than or equal to 1, got -3"


# ------------------------------------------------------------------ the error


def test_error_text_and_pickle() -> None:
    err = ScenarioError(
        "unknown key", file="s/x.yaml", line=42, key="labour.q", suggestion="quit_rate_per_month"
    )
    assert (
        str(err) == "s/x.yaml:42: key 'labour.q': unknown key; did you mean 'quit_rate_per_month'?"
    )
    assert err.all_errors == [str(err)]
    again = pickle.loads(pickle.dumps(err))
    assert (again.file, again.line, again.key, again.suggestion) == (
        "s/x.yaml",
        42,
        "labour.q",
        "quit_rate_per_month",
    )
    assert str(ScenarioError("bad\nthing", file="f")) == "f: bad\\nthing"


# ---------------------------------------------------------------- round trip


def test_dump_resolved_round_trip() -> None:
    scenario = load_scenario(VALID)
    text = dump_resolved(scenario)
    assert text.startswith("name: test-valid\n")
    assert "测试市" in text
    assert "\n    2000: 1.0\n" in text  # year keys stay plain integers
    again = load_resolved_text(text)
    assert again == scenario
    assert scenario_sha256(again) == scenario_sha256(scenario)
    assert dump_resolved(again) == text


def test_sha256_stable_and_sensitive() -> None:
    a = load_scenario(VALID)
    b = load_scenario(VALID)
    assert scenario_sha256(a) == scenario_sha256(b)
    assert len(scenario_sha256(a)) == 64
    c = load_scenario(VALID, ["labour.quit_rate_per_month=0.011"])
    assert scenario_sha256(c) != scenario_sha256(a)
    # insertion order of mappings does not matter
    data = valid_scenario_dict()
    data["sectors"] = dict(reversed(list(data["sectors"].items())))
    assert scenario_sha256(Scenario.model_validate(data)) == scenario_sha256(a)


def test_load_resolved_text_errors() -> None:
    err = pytest.raises(ScenarioError, load_resolved_text, "name: [1\n").value
    assert err.file == "<resolved>" and "invalid YAML" in err.message
    assert "must be a mapping" in str(pytest.raises(ScenarioError, load_resolved_text, "3").value)


# ------------------------------------------------------- shipped scenario files

SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.yaml"))

if SCENARIO_FILES:

    @pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
    def test_shipped_scenarios_validate(path: Path) -> None:
        assert isinstance(load_scenario(path), Scenario)


# -------------------------------------------------------- property: never crash

_BASE = valid_scenario_dict()

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 1900, 2200, 10**30, -(10**30), 10**400]),
    st.floats(),
    st.sampled_from([-1e308, 1e308, 1e-300, 0.5, 1.0]),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8) | st.integers(1800, 2300), inner, max_size=3)
    ),
    max_leaves=6,
)


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


def _typo(draw: Any, key: str) -> str:
    i = draw(st.integers(0, max(len(key) - 1, 0)))
    kind = draw(st.sampled_from(["drop", "double", "swap", "replace"]))
    if not key:
        return "x"
    if kind == "drop":
        return key[:i] + key[i + 1 :]
    if kind == "double":
        return key[:i] + key[i] + key[i:]
    if kind == "swap" and i + 1 < len(key):
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    return key[:i] + draw(st.sampled_from("aeiouxz_")) + key[i + 1 :]


@st.composite
def mutated_scenarios(draw: Any) -> dict[str, Any]:
    data = copy.deepcopy(_BASE)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "rename", "replace", "insert"]))
        paths = _paths(data)
        if op == "delete" and paths:
            path = draw(st.sampled_from(paths))
            parent = _get(data, path[:-1])
            del parent[path[-1]]
        elif op == "rename" and any(isinstance(p[-1], str) for p in paths):
            keyed = [p for p in paths if isinstance(p[-1], str)]
            path = draw(st.sampled_from(keyed))
            parent = _get(data, path[:-1])
            parent[_typo(draw, path[-1])] = parent.pop(path[-1])
        elif op == "replace" and paths:
            leaves = [p for p in paths if not isinstance(_get(data, p), dict | list)] or paths
            path = draw(st.sampled_from(leaves))
            _get(data, path[:-1])[path[-1]] = draw(_values)
        else:
            mappings = [()] + [p for p in paths if isinstance(_get(data, p), dict)]
            target = _get(data, draw(st.sampled_from(mappings)))
            target[draw(st.text(min_size=1, max_size=15))] = draw(_values)
    return data


@pytest.fixture(scope="module")
def property_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutated")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_scenarios())
def test_mutated_scenarios_never_crash(property_dir: Path, data: dict[str, Any]) -> None:
    path = property_dir / "mutated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        scenario = load_scenario(str(path))
    except ScenarioError as err:
        text = str(err)
        assert len(text.splitlines()) == 1, text
        assert str(path) in text, text
        assert err.all_errors and all(len(e.splitlines()) == 1 for e in err.all_errors)
    else:
        assert isinstance(scenario, Scenario)


@pytest.mark.parametrize("slope", ["1e15", "0.5"])
def test_a_gompertz_slope_that_cannot_give_the_life_expectancy_is_refused(slope: str) -> None:
    """Too steep a slope overflowed the life table (found by the fuzzer); a steep one has no
    mortality level giving the file's life expectancy: either is a clear error naming the key."""
    err = error_of(str(VALID), [f"demography.gompertz_slope_per_year={slope}"])
    assert "demography" in str(err) and ("gompertz_slope_per_year" in str(err))


def test_gompertz_level_gives_the_life_expectancy() -> None:
    from simulator.model.demography import gompertz_level
    from simulator.scenario.schema import gompertz_life_expectancy

    for e0, slope in ((73.3, 0.09), (60.0, 0.12), (80.0, 0.07)):
        assert gompertz_life_expectancy(float(np.log(gompertz_level(e0, slope))), slope) == pytest.approx(e0, abs=1e-6)
