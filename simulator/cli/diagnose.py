"""``sim diagnose``: the model's behavioural checks (Okun, Beveridge, wage curve, services share,
spending response to transfers, early mine closure), with paired seeds; a report, so the exit code
is 0 whatever the checks say (2: bad input, 3: a run failed its accounting)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator.cli.common import EXIT_RUN_FAILED, console, err_console, fail

DEFAULT_SEEDS = 10
DEFAULT_OUT = Path("results") / "diagnose"


def fmt(x: float) -> str:
    """A number in three significant digits (thousands separated when large)."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def print_table(d) -> None:
    """The checks as a table that fits the terminal: estimate [90%], expected, result."""
    from simulator.cli.tables import number_column, print_fitting, text_column

    title = f"{d.city} ({d.scenario}): behavioural checks, {len(d.seeds)} paired seeds; median across seeds [90% interval]"
    caption = f"regressions {d.years[0]}-{d.years[1]}; variants from {d.shock_year}; unemployment rate = unemployed / (employed + unemployed)"
    style = {"pass": "green", "fail": "red", "n/a": "dim"}

    def cells(c):
        est = fmt(c.estimate)
        interval = f"[{fmt(c.p05)}, {fmt(c.p95)}]" if math.isfinite(c.estimate) else ""
        return est, interval, f"[{style[c.result]}]{c.result}[/]"

    def wide() -> Table:
        table = Table(title=escape(title), caption=escape(caption))
        text_column(table, "check", ratio=1, min_width=16)
        number_column(table, "estimate")
        number_column(table, "90% interval")
        text_column(table, "expected", max_width=18)
        number_column(table, "")
        for c in d.checks:
            est, interval, result = cells(c)
            table.add_row(f"{escape(c.check)}\n[dim]{escape(c.statistic)}[/]", est, escape(interval), escape(c.expected), result)
        return table

    def long() -> Table:
        table = Table(title=escape(title), caption=escape(caption))
        text_column(table, "check", ratio=1, min_width=12)
        number_column(table, "estimate\n[90%]")
        number_column(table, "")
        for c in d.checks:
            est, interval, result = cells(c)
            table.add_row(
                f"{escape(c.check)}\n[dim]{escape(c.statistic)}; expected {escape(c.expected)}[/]",
                f"{est}\n{escape(interval)}", result,
            )
        return table

    print_fitting(console, (wide, long))


def diagnose(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/fuxin_calibrated.yaml.")],
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds (the same for the scenario and its variants).")] = DEFAULT_SEEDS,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes (default: all cores).")] = None,
    years: Annotated[str | None, typer.Option("--years", help="Years of the regressions, FIRST:LAST (default: the whole run).")] = None,
    shock_year: Annotated[int | None, typer.Option("--shock-year", help="Year the transfer rises, the mines close and outside demand rises (default: the middle of the run).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a value of the scenario: --set path.to.key=value (repeatable).")] = None,
    root_seed: Annotated[int | None, typer.Option("--root-seed", min=0, help="Root the seeds are derived from (default: the scenario's run.seed).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory (default: results/diagnose/<scenario name>/); runs go to OUT/runs.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Behavioural checks of the model with paired seeds: Okun's law, the Beveridge curve, the wage
    curve, the services share against income, the spending response to transfers, early mine closure, a demand shock."""
    from simulator.analysis.compare import parse_years
    from simulator.analysis.diagnose import DiagnoseRunFailed, run_diagnose, write_outputs
    from simulator.analysis.load import ResultsError
    from simulator.cli.common import load_or_exit
    from simulator.experiment.paths import child_dir
    from simulator.model.accounts import AccountingError
    from simulator.model.build import InconsistentScenarioError
    from simulator.scenario.errors import ScenarioError

    if not scenario.is_file():
        raise fail(f"{scenario}: no such scenario file")
    sc = load_or_exit(scenario, set_)
    try:
        span = None if years is None else parse_years(years, (0, 9999))
    except ResultsError as e:
        raise fail(str(e)) from None
    out = out if out is not None else child_dir(DEFAULT_OUT, sc.name)
    bar = Progress(TextColumn("[bold]runs"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                   TimeElapsedColumn(), console=err_console, transient=True, disable=quiet)
    task = None

    def before_runs(total: int) -> None:
        nonlocal task
        bar.start()
        task = bar.add_task("runs", total=total, note="")

    def progress(done: int, total: int, reused: int) -> None:
        bar.update(task, completed=done, note=f"({reused} reused)" if reused else "")

    try:
        d = run_diagnose(scenario, seeds=seeds, out=out, workers=workers, overrides=tuple(set_ or ()), years=span,
                         shock_year=shock_year, root_seed=root_seed, progress=progress, before_runs=before_runs)
    except (ScenarioError, ResultsError, InconsistentScenarioError) as e:
        raise fail(str(e)) from None
    except (AccountingError, DiagnoseRunFailed) as e:
        err_console.print(f"[bold red]error:[/] {escape(str(e))}", soft_wrap=True)
        raise typer.Exit(EXIT_RUN_FAILED) from None
    finally:
        bar.stop()
    written = write_outputs(d, out)
    print_table(d)
    for note in d.notes:
        err_console.print(f"[bold yellow]note:[/] {escape(note)}", soft_wrap=True)
    console.print(f"{d.n_pass} passed, {d.n_fail} failed, {len(d.checks) - d.n_pass - d.n_fail} without a verdict")
    console.print("Written: " + ", ".join(str(p) for p in written), soft_wrap=True)
