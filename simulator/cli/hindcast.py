"""``sim hindcast``: every city of a panel from its 2010 census to 2020, with naive forecasts beside."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from simulator.cli.common import EXIT_RUN_FAILED, EXIT_UNEXPECTED, console, err_console, fail
from simulator.cli.sweep import EXIT_INTERRUPTED, ExecutorChoice

DEFAULT_OUT_ROOT = Path("results/hindcast")


def hindcast(
    panel_spec: Annotated[Path, typer.Argument(help="Panel spec YAML: each city's baseline scenario file, e.g. calibration/panel.yaml.")],
    from_year: Annotated[int, typer.Option("--from", help="First year: the census the cities start from (2010, the only one with whole census rows).")] = 2010,
    to_year: Annotated[int, typer.Option("--to", help="Year predicted: each city runs to its December (overrides run.end_year).")] = 2020,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds per city (the same seeds for every city with the same run.seed).")] = 10,
    parameter_draws: Annotated[int, typer.Option("--parameter-draws", min=0, help="Parameter sets drawn from the near-optimal candidates of the spec's parameter_uncertainty fit, each run on every seed (0: the files as written, an interval from seeds only).")] = 0,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: the CPUs available).")] = None,
    executor: Annotated[ExecutorChoice, typer.Option(help="local: processes on this machine; dask: a Dask cluster.")] = ExecutorChoice.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 (default: start a local cluster).")] = None,
    scale: Annotated[int | None, typer.Option(min=1, help="Persons per agent for every city (default: each file's run.scale).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output directory (default results/hindcast/<panel name>); files of the same names are replaced.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Predict every city of a panel from its 2010 census (median and 90% interval across seeds),
    beside naive forecasts from the censuses alone; no observed value after 2010 is used or shown."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from simulator.cities.data import CityDataError
    from simulator.cities.hindcast import (
        HindcastError,
        load_panel,
        plan_runs,
        run_panel,
        write_hindcast,
    )
    from simulator.cli.compare import font_or_warn
    from simulator.experiment.executors import ExecutorError
    from simulator.experiment.paths import child_dir
    from simulator.model.build import InconsistentScenarioError
    from simulator.scenario.errors import ScenarioError

    try:
        panel = load_panel(panel_spec, from_year=from_year, to_year=to_year, scale=scale)
    except (ScenarioError, CityDataError) as e:  # CityDataError is a ScenarioError; named for the reader
        raise fail(str(e)) from None
    out_dir = out if out is not None else child_dir(DEFAULT_OUT_ROOT, panel.name)
    if out_dir.exists() and not out_dir.is_dir():
        raise fail(f"--out {out_dir}: exists and is not a directory")
    draws: list[tuple[str, ...]] = [()]
    if parameter_draws:
        if panel.fit is None:
            raise fail(f"--parameter-draws {parameter_draws}: {panel_spec} has no parameter_uncertainty (the fit to draw from and its parameters)")
        try:
            draws = panel.fit.draws(parameter_draws, panel.root_seed)
        except ValueError as e:
            raise fail(str(e)) from None
    tasks = plan_runs(panel, seeds, draws)
    bar = Progress(
        TextColumn("[bold]runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    )
    state: dict = {"task": None, "executor": ""}

    def on_start(total: int, description: str) -> None:
        state["executor"] = description
        state["task"] = bar.add_task("runs", total=total)

    def on_run() -> None:
        bar.update(state["task"], advance=1)

    t0 = time.perf_counter()
    try:
        with bar:
            results = run_panel(tasks, executor=executor.value, workers=workers, scheduler=scheduler, on_start=on_start, on_run=on_run)
    except ExecutorError as e:
        raise fail(str(e)) from None
    except InconsistentScenarioError as e:
        raise fail(str(e)) from None
    except HindcastError as e:  # a run broke its accounts: exit 3; any other failure of a run: exit 1
        err_console.print(f"[bold red]error:[/] {escape(str(e))}", soft_wrap=True)
        raise typer.Exit(EXIT_RUN_FAILED if e.accounts_broke else EXIT_UNEXPECTED) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing written.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    wall = time.perf_counter() - t0
    cjk = font_or_warn()
    rows, written = write_hindcast(out_dir, panel, results, draws=draws, executor=state["executor"], wall_seconds=wall, cjk=cjk)
    print_table(panel, rows, seeds, cjk, len(draws))
    per_city = f"{seeds} seeds" if len(draws) == 1 else f"{len(draws)} parameter draws x {seeds} seeds"
    console.print(f"{len(results)} runs ({len(panel.cities)} cities x {per_city}) in {wall:.1f} s on {escape(state['executor'])}.")
    console.print("Written: " + ", ".join(escape(str(p)) for p in written), soft_wrap=True)


def print_table(panel, rows, n_seeds: int, cjk: bool, n_draws: int = 1) -> None:
    """The predictions with the naive forecasts: one column per figure if that fits the terminal,
    else one row per city and figure."""
    from simulator.cities.hindcast import column_titles, interval_note, text_cells
    from simulator.cli.tables import number_column, print_fitting, text_column

    titles = column_titles(panel.from_year, panel.to_year)
    title = f"{panel.name}: predicted {panel.to_year} (median [90% interval]) and naive forecasts"
    caption = (f"{interval_note(n_seeds, n_draws)}. Persons in thousands, shares in %. Urban share: not modelled, its "
               f"{panel.from_year} census value only. No observed value after {panel.from_year}.")

    def cells(r) -> dict[str, str]:
        c = text_cells(r)
        if not cjk:
            c["city"] = r.facts.title
        return c

    def wide() -> Table:
        table = Table(title=escape(title), caption=escape(caption))
        for k, head in titles.items():
            if k == "city":
                text_column(table, head, min_width=10)
            else:
                number_column(table, escape(head).replace(": ", ":\n", 1).replace(" (", "\n(", 1))
        for r in rows:
            table.add_row(*(escape(v) for v in cells(r).values()))
        return table

    def long() -> Table:
        table = Table(title=escape(title), caption=escape(caption))
        text_column(table, "city, figure", min_width=12, ratio=1)
        number_column(table, "value")
        for r in rows:
            c = cells(r)
            keys = [k for k in titles if k != "city"]
            for i, k in enumerate(keys):
                head = f"[bold]{escape(c['city'])}[/]\n" if i == 0 else ""
                table.add_row(head + escape(titles[k]), escape(c[k]), end_section=i == len(keys) - 1)
        return table

    print_fitting(console, (wide, long))
