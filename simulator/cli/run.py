"""``sim run``: run one scenario, print the summary table, write the run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator.analysis.summary import SUMMARY_YEARS, region_summary_rows, summary_rows
from simulator.cli.common import EXIT_RUN_FAILED, console, err_console, fail, load_or_exit
from simulator.model.accounts import AccountingError
from simulator.model.build import InconsistentScenarioError


def run_scenario(*args, **kwargs):
    """:func:`simulator.experiment.run.run_scenario`, imported at the first call: the model and
    its libraries (mesa, numba) load only when a command runs one, not for ``sim --help``."""
    from simulator.experiment.run import run_scenario as run

    return run(*args, **kwargs)


def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/fuxin.yaml.")],
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed (overrides run.seed).")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a value: --set path.to.key=value (repeatable)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Results root; the run goes to OUT/<scenario>/<run id>/.")] = Path("results"),
    scale: Annotated[int | None, typer.Option(min=1, help="Persons per agent (overrides run.scale; 1 = every resident).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a scenario and save its results."""
    sc = load_or_exit(scenario, set_, seed=seed, scale=scale)
    label = escape(f"{sc.name} (seed {sc.run.seed}, scale {sc.run.scale})")  # printed through rich: user text escaped
    city = escape(f"{sc.city.name} {sc.city.name_zh}")

    def execute(progress=None):
        try:
            return run_scenario(sc, out_root=out, source=str(scenario), overrides=tuple(set_ or ()), progress=progress)
        except InconsistentScenarioError as e:
            raise fail(f"{scenario}: {e}") from None
        except AccountingError as e:  # a non-finite value, or a violation with on_violation: raise
            err_console.print(f"[bold red]error:[/] run stopped, nothing written: {escape(str(e))}", soft_wrap=True)
            raise typer.Exit(EXIT_RUN_FAILED) from None

    if quiet:
        result = execute()
    else:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("months"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=(sc.run.end_year - sc.run.start_year + 1) * 12)

            def progress(done: int, total: int) -> None:
                if done % 12 == 0 or done == total:
                    bar.update(task, completed=done)

            result = execute(progress)

    # a narrow terminal gets every other summary year so that the labels stay readable
    chosen = SUMMARY_YEARS if console.width >= 120 else SUMMARY_YEARS[::2] + SUMMARY_YEARS[-1:]
    years, rows = summary_rows(result.indicators, chosen)
    table = Table(title=f"{city}: {label}; money in {sc.city.money_base_year} yuan")
    table.add_column("indicator", overflow="fold", min_width=20)
    for y in years:
        table.add_column(str(y), justify="right", no_wrap=True)
    for r in rows:
        table.add_row(*(escape(c) for c in r))
    console.print(table)
    regions = result.manifest.get("regions") or []
    if len(regions) > 1 and result.regions:
        year, labels, region_rows = region_summary_rows(result.regions, [(r["name"], r["name_zh"], r["kind"]) for r in regions])
        rtable = Table(
            title=f"{city}: the {len(regions)} regions in {year}",
            caption="Pop.: residents; 60+: share aged 60+; Jobs: by workplace; Unemp.: job seekers (registered or not); "
            "In, Out: moved in from and out to the city's other regions in the year",
        )
        rtable.add_column("region", overflow="fold", min_width=12)
        for name in labels:
            rtable.add_column(escape(name), justify="right", overflow="fold")
        for r in region_rows:
            rtable.add_row(*(escape(c) for c in r))  # region names from the file
        console.print(rtable)
    acc = result.manifest["accounting"]
    status = "[green]hold[/]" if acc["ok"] else f"[bold red]{acc['n_violations']} violation(s), see manifest.json[/]"
    console.print(
        f"Accounting checks (stock-flow, population identity, earmarks): {status}; "
        f"max stock-flow error {acc['stock_flow_max_relative_error']:.1e} of gross flows."
    )
    console.print(f"Run took {result.manifest['wall_time_seconds']:.2f} s. Results: {escape(str(result.directory))}")
    if result.manifest["status"] == "failed":
        err_console.print(
            f"[bold red]error:[/] {escape(result.manifest['failure'])}; "
            f"the run directory is marked failed: {escape(str(result.directory))}",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_RUN_FAILED)
