"""The ``sim`` command line: run directories, validation, levers, and clean errors for bad input.

Typer's CliRunner mixes stderr into ``result.output`` (``result.stderr`` holds it
alone), so error messages are checked in ``result.output``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.cli.main import app
from simulator.policy.registry import LEVERS
from simulator.scenario.loader import load_scenario, scenario_sha256

TESTS = Path(__file__).resolve().parents[1]
TINY = TESTS / "data" / "tiny.yaml"
SCENARIOS = sorted((TESTS.parent / "scenarios").glob("*.yaml"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200"})


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(app, [str(a) for a in args])


def run_dirs(out: Path, name: str = "tiny") -> list[Path]:
    parent = out / name
    return sorted(parent.iterdir()) if parent.exists() else []


def columns(run_dir: Path) -> dict[str, np.ndarray]:
    table = pq.read_table(run_dir / "indicators.parquet")
    return {name: table.column(name).to_numpy() for name in table.column_names}


# ------------------------------------------------------------------------ run


@pytest.fixture(scope="module")
def first_run(runner, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("results")
    result = invoke(runner, "run", TINY, "--out", out)
    return out, result


def test_run_succeeds_and_prints_the_summary(first_run) -> None:
    out, result = first_run
    assert result.exit_code == 0, result.output
    assert "Population (10k persons)" in result.output
    assert "GDP (100m yuan)" in result.output
    assert "Accounting checks" in result.output and "hold" in result.output
    assert "Traceback" not in result.output


def test_run_writes_exactly_one_complete_run_directory(first_run) -> None:
    out, _ = first_run
    dirs = run_dirs(out)
    assert len(dirs) == 1
    assert not [p for p in (out / "tiny").iterdir() if p.name.startswith(".")]  # no temporary left
    names = {p.name for p in dirs[0].iterdir()}
    assert names == {
        "indicators.parquet",
        "regions.parquet",
        "manifest.json",
        "scenario.resolved.yaml",
        "overview.png",
    }


def test_indicators_parquet_has_one_row_per_year(first_run) -> None:
    out, _ = first_run
    d = run_dirs(out)[0]
    cols = columns(d)
    assert list(cols["year"]) == [2000, 2001, 2002]
    for k in ("population", "gdp_total", "city_debt", "employment_total", "shantytown_households"):
        assert k in cols and len(cols[k]) == 3 and np.all(np.isfinite(cols[k]))
    assert np.all(cols["population"] > 2500)
    meta = pq.read_schema(d / "indicators.parquet").metadata
    units = json.loads(meta[b"units"])
    assert units["population"] == "persons"
    assert set(cols) - {"year"} <= set(units)


def test_manifest_records_the_run(first_run) -> None:
    out, _ = first_run
    d = run_dirs(out)[0]
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    for key in (
        "version",
        "seed",
        "scale",
        "scenario_sha256",
        "accounting",
        "wall_time_seconds",
        "libraries",
    ):
        assert key in manifest, key
    sc = load_scenario(TINY)
    assert manifest["seed"] == sc.run.seed
    assert manifest["scenario_sha256"] == scenario_sha256(sc)
    assert manifest["accounting"]["stock_flow_ok"] is True
    assert manifest["accounting"]["population_identity_ok"] is True
    assert manifest["accounting"]["n_violations"] == 0
    assert manifest["wall_time_seconds"] >= 0
    assert manifest["libraries"]["numpy"] == np.__version__
    assert manifest["run_id"] == d.name
    assert manifest["years"] == [2000, 2002]


def test_resolved_scenario_reloads_to_the_same_scenario(first_run) -> None:
    out, _ = first_run
    d = run_dirs(out)[0]
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    again = load_scenario(d / "scenario.resolved.yaml")
    assert scenario_sha256(again) == manifest["scenario_sha256"]
    assert again == load_scenario(TINY)


def test_overview_is_a_png(first_run) -> None:
    out, _ = first_run
    png = run_dirs(out)[0] / "overview.png"
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert png.stat().st_size > 10_000


def test_a_second_identical_run_gets_its_own_directory_and_the_same_results(
    runner, tmp_path
) -> None:
    for _ in range(2):
        result = invoke(runner, "run", TINY, "--out", tmp_path, "-q")
        assert result.exit_code == 0, result.output
    dirs = run_dirs(tmp_path)
    assert len(dirs) == 2 and dirs[0] != dirs[1]
    a, b = columns(dirs[0]), columns(dirs[1])
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def test_seed_option_changes_results_and_is_recorded(runner, first_run, tmp_path) -> None:
    out, _ = first_run
    result = invoke(runner, "run", TINY, "--out", tmp_path, "--seed", "5", "-q")
    assert result.exit_code == 0, result.output
    (d,) = run_dirs(tmp_path)
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 5 and d.name.endswith("seed5")
    assert load_scenario(d / "scenario.resolved.yaml").run.seed == 5
    a, b = columns(run_dirs(out)[0]), columns(d)
    assert not np.array_equal(a["population"], b["population"]) or not np.array_equal(
        a["gdp_total"], b["gdp_total"]
    )


def test_set_override_is_applied_and_recorded(runner, tmp_path) -> None:
    result = invoke(runner, "run", TINY, "--out", tmp_path, "--set", "run.end_year=2001", "-q")
    assert result.exit_code == 0, result.output
    (d,) = run_dirs(tmp_path)
    assert list(columns(d)["year"]) == [2000, 2001]
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overrides"] == ["run.end_year=2001"]
    assert load_scenario(d / "scenario.resolved.yaml").run.end_year == 2001


# ------------------------------------------------------------------- validate


@pytest.mark.parametrize("path", [*SCENARIOS, TINY], ids=lambda p: p.name)
def test_validate_accepts_the_scenarios(runner, path: Path) -> None:
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok")
    assert load_scenario(path).name in result.output


def test_validate_does_not_run_or_write(runner, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, "validate", TINY)
    assert result.exit_code == 0
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- bad input


def child(tmp_path: Path, body: str, name: str = "bad.yaml") -> Path:
    """A scenario file extending the tiny one (absolute path), with *body* after the extends line."""
    path = tmp_path / name
    path.write_text(f"extends: {TINY}\n{body}", encoding="utf-8")
    return path


def assert_clean_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = result.output.strip()
    assert "\n" not in text, text  # one line
    assert text.startswith("error:")
    for needle in needles:
        assert needle in text, (needle, text)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_unknown_key_names_file_line_key_and_suggestion(runner, tmp_path, command) -> None:
    path = child(tmp_path, "labour:\n  quit_rate_per_mont: 0.1\n")
    result = (
        invoke(runner, command, path, "--out", tmp_path)
        if command == "run"
        else invoke(runner, command, path)
    )
    assert_clean_error(
        result, f"{path}:3", "labour.quit_rate_per_mont", "did you mean 'quit_rate_per_month'"
    )
    assert not (tmp_path / "tiny").exists()


@pytest.mark.parametrize(
    ("body", "line", "key"),
    [
        ("run:\n  scale: abc\n", 3, "run.scale"),  # wrong type
        ("population:\n  persons: -5\n", 3, "population.persons"),  # negative
        ("labour:\n  quit_rate_per_month: 1.5\n", 3, "labour.quit_rate_per_month"),  # share above 1
    ],
)
def test_invalid_values_name_file_line_and_key(runner, tmp_path, body, line, key) -> None:
    path = child(tmp_path, body)
    assert_clean_error(invoke(runner, "run", path, "--out", tmp_path), f"{path}:{line}", key)


def test_end_before_start(runner, tmp_path) -> None:
    result = invoke(runner, "run", TINY, "--out", tmp_path, "--set", "run.end_year=1999")
    assert_clean_error(result, "end_year (1999) is before start_year (2000)")


def test_missing_file(runner, tmp_path) -> None:
    missing = tmp_path / "nope.yaml"
    assert_clean_error(
        invoke(runner, "run", missing, "--out", tmp_path), str(missing), "file not found"
    )


def test_malformed_yaml(runner, tmp_path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nrun: [1, 2\nlabour: {}\n", encoding="utf-8")
    assert_clean_error(invoke(runner, "run", path, "--out", tmp_path), str(path), "invalid YAML")


def test_bad_set_path(runner, tmp_path) -> None:
    result = invoke(
        runner, "run", TINY, "--out", tmp_path, "--set", "labour.quit_rate_per_mont=0.1"
    )
    assert_clean_error(
        result, "--set", "labour.quit_rate_per_mont", "unknown key", "quit_rate_per_month"
    )
    result = invoke(runner, "run", TINY, "--out", tmp_path, "--set", "no_equals_sign")
    assert_clean_error(result, "--set")


@pytest.mark.parametrize("option", [("--scale", "0"), ("--seed", "-1")])
def test_out_of_range_options(runner, tmp_path, option) -> None:
    result = invoke(runner, "run", TINY, "--out", tmp_path, *option)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert option[0] in result.output
    assert not (tmp_path / "tiny").exists()


def test_a_scenario_that_cannot_be_built_is_a_clean_error(runner, tmp_path) -> None:
    result = invoke(
        runner, "run", TINY, "--out", tmp_path, "--set", "population.persons=2000", "-q"
    )
    assert_clean_error(result, "population")


# --------------------------------------------------------------------- levers


def test_levers_lists_every_lever_with_clause_and_chinese_title(runner) -> None:
    result = invoke(runner, "levers")
    assert result.exit_code == 0
    for lever in LEVERS:
        assert lever.name in result.output
        assert ", ".join(map(str, lever.clauses)) in result.output
        for part in lever.title_zh.split(" / "):
            assert part in result.output, part


def test_levers_list_is_readable_in_an_80_column_terminal() -> None:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["levers"])
    assert result.exit_code == 0
    assert "…" not in result.output  # nothing cut off: long cells wrap
    for lever in LEVERS:
        assert lever.name in result.output


def test_one_lever_shows_its_parameters(runner) -> None:
    result = invoke(runner, "levers", "shantytown_renovation")
    assert result.exit_code == 0
    out = result.output
    assert "clause 20" in out and "棚户区改造" in out
    for key in (
        "enabled",
        "start_year",
        "end_year",
        "households_per_year",
        "cost_yuan_per_household",
        "funding",
    ):
        assert key in out, key


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.name)
def test_every_lever_shows_each_parameter_with_its_default_meaning_and_the_clause_text(lever) -> None:
    from simulator.policy.document import clause_text
    from simulator.scenario.schema import LeversCfg

    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["levers", lever.name])
    assert result.exit_code == 0
    out = result.output
    for number in lever.clauses:
        assert f"Clause {number}" in out
        assert clause_text(number)[:30] in out  # the excerpt of the clause's own text
    fields = LeversCfg.model_fields[lever.name].annotation.model_fields
    for key, field in fields.items():
        assert key in out, key
        assert field.description and field.description.split()[0] in out, key


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("nope", None),
        ("shantytown", "shantytown_renovation"),
        ("new_industry_funds", "new_industry_fund"),
    ],
)
def test_unknown_lever(runner, name, suggestion) -> None:
    result = invoke(runner, "levers", name)
    assert_clean_error(result, f"unknown lever '{name}'")
    if suggestion:
        assert f"did you mean '{suggestion}'" in result.output
