"""Regression tests of reported and fuzz-found bad inputs: each ends with exit code 2
and one clean ``error:`` line (no traceback, nothing written), and huge values that
are still valid run without one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.cli.main import app
from simulator.scenario import schema
from simulator.scenario.schema import UNIT_RULE_EXEMPT, Scenario, unit_bound

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "data" / "tiny.yaml"
FUXIN = REPO / "scenarios" / "fuxin.yaml"
FUXIN_BASELINE = REPO / "scenarios" / "fuxin_baseline.yaml"


@pytest.fixture
def no_overview(monkeypatch):
    """Runs without the overview plot (seconds in its helper process; not what is tested here)."""
    import functools

    import simulator.cli.run as run_cli
    from simulator.experiment.run import run_scenario

    monkeypatch.setattr(run_cli, "run_scenario", functools.partial(run_scenario, overview=False))


@pytest.fixture
def runner(tmp_path: Path) -> CliRunner:
    # crash logs, if any, go below tmp_path
    return CliRunner(env={"COLUMNS": "200", "XDG_CACHE_HOME": str(tmp_path / "cache")})


def invoke(runner: CliRunner, *args: object):
    return runner.invoke(app, [str(a) for a in args])


def assert_clean_error(result, *needles: str) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = result.output.strip()
    assert "\n" not in text, text
    assert text.startswith("error:") and "unexpected" not in text, text
    for needle in needles:
        assert needle in text, (needle, text)
    return text


REPORTED_SETS = [
    ("social_security.pension_indexation_per_year.2023=.nan", "finite number, got nan"),
    ("public_finance.general_transfer_yuan_per_resident_per_year.2035=.inf", "finite number, got inf"),
    ("sectors.coal_dependent_industry.entry_profit_elasticity=.inf", "finite number, got inf"),
    ("world.coal_price_yuan_per_tonne.2010=1.8e308", "finite number"),
    ("world.coal_price_yuan_per_tonne.2010=1e16", "at most 1e15"),
    ("population.household_size_mean_persons=true", "expected a number, got true"),
    ("coal.mines.0.soe=1", "expected true or false, got 1"),
    ("labour.quit_rate_per_month=1", "a rate per month"),
    ("labour.quit_rate_per_month='0.01'", "remove the quotes"),
    ("sectors.coal_dependent_industry.entry_profit_elasticity=50", "elasticity"),
    ("population.persons=1e9", "Chongqing"),
    ("run.scale=5000000", "at most population.persons"),
    ("migration.in_base_households_per_year=1e7", "at most population.persons"),
    ("firms.productivity_dispersion_sd=200", "less than or equal to 2"),
    ("sectors.services.value_added_per_worker_yuan_per_month=1e15", "money per person"),
    ("sectors.services.mean_firm_size_persons=1e-300", "at least one person"),
    ("name=a..b", "'..'"),
    ("name=''", "pattern"),
    # found by the fuzz test: tracebacks in sim validate or sim run
    ("labour.skill_wage_premium={medium: 1.3, high: 1.8}", "missing low"),
    ("demography.school_leaving_age_years={medium: 18, high: 22}", "missing low"),
    ("sectors.agriculture.vat_rate={}", "at least one 'year: value'"),
    ("sectors.new_industry.intermediate_import_share=1", "less than 1"),
]


@pytest.mark.parametrize(("override", "needle"), REPORTED_SETS, ids=[o for o, _ in REPORTED_SETS])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_reported_overrides_are_clean_errors(runner, tmp_path, command, override, needle) -> None:
    extra = ["--out", tmp_path / "out", "-q"] if command == "run" else []
    key = override.split("=", 1)[0]
    result = invoke(runner, command, FUXIN, "--set", override, *extra)
    assert_clean_error(result, "--set", f"key '{key}'", needle)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "cache").exists()


def test_a_scale_above_the_population_is_a_clean_error(runner, tmp_path) -> None:
    result = invoke(runner, "run", FUXIN, "--scale", "5000000", "--out", tmp_path / "out", "-q")
    assert_clean_error(result, "--scale", "key 'run.scale'", "at most population.persons (1889774)")
    assert not (tmp_path / "out").exists()


def test_a_key_with_markup_is_printed_as_written(runner) -> None:
    text = assert_clean_error(invoke(runner, "validate", TINY, "--set", '"[/bogus]"=1'), "unknown key")
    assert "[/bogus]" in text


def test_a_pattern_is_printed_with_its_brackets(runner) -> None:
    result = invoke(runner, "validate", FUXIN_BASELINE, "--set", "regions.0.name=Haizhou")
    assert_clean_error(result, "regions.0.name", "'^[a-z][a-z0-9_]{0,99}$'", "got 'Haizhou'")


def test_markup_in_names_from_the_file_is_printed_as_written(runner, tmp_path, no_overview) -> None:
    path = tmp_path / "[bold]x.yaml"
    path.write_text(f"extends: {TINY}\nregions: []\ncity:\n  name_zh: '[/bogus]'\n", encoding="utf-8")
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0, result.output
    assert f"{path} is a valid scenario" in result.output
    result = invoke(runner, "run", path, "--out", tmp_path / "out", "-q", "--set", "run.end_year=2000")
    assert result.exit_code == 0, result.output
    assert "[/bogus]" in result.output


def test_a_megabyte_name_is_a_clean_error(runner, tmp_path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(f"extends: {TINY}\nname: {'a' * 1_000_000}\n", encoding="utf-8")
    assert_clean_error(invoke(runner, "run", path, "--out", tmp_path / "out", "-q"), f"{path}:2", "key 'name'")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_extends_dev_zero_is_a_clean_error(runner, tmp_path) -> None:
    path = tmp_path / "zero.yaml"
    path.write_text("extends: /dev/zero\n", encoding="utf-8")
    assert_clean_error(invoke(runner, "validate", path), f"{path}:1", "key 'extends'", "not a regular file")
    assert_clean_error(invoke(runner, "validate", "/dev/zero"), "not a regular file")


def test_a_file_above_the_size_limit_is_a_clean_error(runner, tmp_path, monkeypatch) -> None:
    from simulator.scenario import yaml_source

    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text(f"extends: {TINY}\n" + "# padding\n" * 200, encoding="utf-8")
    assert_clean_error(invoke(runner, "validate", path), str(path), "file too large")


def test_a_series_value_is_located_at_its_year(runner, tmp_path) -> None:
    path = tmp_path / "series.yaml"
    path.write_text(f"extends: {TINY}\nsocial_security:\n  pension_indexation_per_year: {{2000: 0.02, 2023: true}}\n",
                    encoding="utf-8")
    assert_clean_error(invoke(runner, "validate", path), f"{path}:3",
                       "key 'social_security.pension_indexation_per_year.2023'", "expected a number, got true")


# ------------------------------------------------------------------ huge but valid


@pytest.mark.parametrize(
    "override",
    [
        "world.coal_price_yuan_per_tonne.2000=1e15",
        "public_finance.general_transfer_yuan_per_resident_per_year.2000=1e8",
        "sectors.coal_dependent_industry.entry_profit_elasticity=10",
        "sectors.services.value_added_per_worker_yuan_per_month=1e8",
        "population.savings_yuan_per_household_mean=1e15",
        "coal.mines.0.capacity_tonnes_per_year=1e15",
        "firms.entry_pressure_cap=1e15",
        "firms.productivity_dispersion_sd=2",
    ],
)
def test_huge_valid_values_run_without_a_traceback(runner, tmp_path, no_overview, override) -> None:
    out = tmp_path / "out"
    result = invoke(runner, "run", TINY, "--set", "run.end_year=2000", "--set", override, "--out", out, "-q")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 3), result.output
    for file in out.rglob("indicators.parquet"):
        table = pq.read_table(file)
        for name in table.column_names:
            assert np.all(np.isfinite(table.column(name).to_numpy())), name


# ------------------------------------------------------------- unexpected errors


def test_an_unexpected_exception_is_one_line_and_a_log_file(runner, tmp_path, monkeypatch) -> None:
    import simulator.cli.validate as validate_cli

    def boom(scenario):
        raise ZeroDivisionError("a bug [/x]\nsecond line")

    monkeypatch.setattr(validate_cli, "build_or_exit", boom)
    result = invoke(runner, "validate", TINY)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    text = result.output.strip()
    assert "\n" not in text and "Traceback" not in text
    assert text.startswith("error: unexpected ZeroDivisionError: a bug [/x]\\nsecond line; full trace in ")
    log = Path(text.rsplit("full trace in ", 1)[1])
    assert log.parent == tmp_path / "cache" / "resource-city-sim"
    trace = log.read_text(encoding="utf-8")
    assert "Traceback" in trace and "def boom" not in trace and "in boom" in trace


def test_exits_and_interrupts_pass_through(runner, monkeypatch) -> None:
    import typer

    import simulator.cli.validate as validate_cli

    def exit_4(scenario):
        raise typer.Exit(4)

    monkeypatch.setattr(validate_cli, "build_or_exit", exit_4)
    assert invoke(runner, "validate", TINY).exit_code == 4

    def interrupt(scenario):
        raise KeyboardInterrupt

    monkeypatch.setattr(validate_cli, "build_or_exit", interrupt)
    result = invoke(runner, "validate", TINY)
    assert result.exit_code != 1 and "unexpected" not in result.output


# ------------------------------------------------------------------ unit bounds


def _fields(model=Scenario, seen=None) -> set[str]:
    from simulator.scenario.loader import unwrap_type

    seen = set() if seen is None else seen
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        tp = unwrap_type(field.annotation)
        import typing

        for sub in (tp, *typing.get_args(tp)):
            sub = unwrap_type(sub)
            if isinstance(sub, type) and issubclass(sub, schema.Strict) and sub not in seen:
                seen.add(sub)
                names |= _fields(sub, seen)
    return names


def test_every_exemption_names_a_field() -> None:
    assert set(UNIT_RULE_EXEMPT) <= _fields()


def test_unit_bounds_by_suffix() -> None:
    assert unit_bound("quit_rate_per_month")[:3] == (0.0, 1.0, True)
    assert unit_bound("layoff_share_of_excess_per_month_soe")[:3] == (0.0, 1.0, False)
    assert unit_bound("matching_efficiency_per_month") is None
    assert unit_bound("unemployment_benefit_yuan_per_month").high == schema.MAX_YUAN_PER_PERSON
    assert unit_bound("coal_price_yuan_per_tonne") is None  # only the general cap, MAX_MAGNITUDE
    assert unit_bound("persons").high == schema.MAX_PERSONS


def test_every_share_field_is_bounded_to_one_unless_exempt() -> None:
    shares = {n for n in _fields() if "share" in n.split("_")}
    assert len(shares) > 40
    for name in shares - set(UNIT_RULE_EXEMPT):
        bound = unit_bound(name)
        assert bound is not None and (bound.low, bound.high) == (0.0, 1.0), name


def test_a_run_folder_that_a_symlink_leads_outside_out_is_bad_input(tmp_path) -> None:
    """An existing ``OUT/<name>`` that is a symlink to elsewhere: one line, exit 2, nothing written there."""
    from typer.testing import CliRunner

    from simulator.cli.main import app

    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "tiny").symlink_to(elsewhere, target_is_directory=True)
    tiny = Path(__file__).resolve().parents[1] / "data" / "tiny.yaml"
    result = CliRunner().invoke(app, ["run", str(tiny), "--quiet", "--out", str(out), "--set", "run.end_year=2000"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error:") and "unexpected" not in line
    assert not any(elsewhere.iterdir())


def test_a_closed_output_pipe_ends_quietly(capsys, tmp_path, monkeypatch) -> None:
    """`sim ... | head`: when the reader closes the pipe, the command stops without the
    'unexpected error' line or a crash log (Click's own quiet exit, code 1)."""
    import errno

    import typer

    from simulator.cli.main import GuardedGroup

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    demo = typer.Typer(cls=GuardedGroup)

    @demo.command()
    def talk() -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    @demo.command()
    def other() -> None:  # two commands, so that the group dispatches as `sim` does
        pass

    with pytest.raises(SystemExit) as stop:
        demo(["talk"], standalone_mode=True)
    assert stop.value.code == 1
    assert "unexpected" not in capsys.readouterr().err
    assert not list(tmp_path.rglob("crash-*.log"))
