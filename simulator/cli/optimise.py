"""``sim optimise``: a robust many-objective search over lever sizes and timings (NSGA-II/III),
resumable, with the Pareto set as a table, a parallel-coordinates figure and scenario files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import console, err_console, fail
from simulator.cli.sweep import EXIT_INTERRUPTED, ExecutorChoice
from simulator.cli.tables import number_column, print_fitting, text_column

FIGURE = "pareto_parallel.png"


def optimise(
    spec: Annotated[Path, typer.Argument(help="Optimisation spec YAML, e.g. scenarios/optimise/fuxin_package.yaml.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Change the spec: --set algorithm.generations=4 (repeatable; give the same to resume)."),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: the CPUs available).")] = None,
    executor: Annotated[ExecutorChoice, typer.Option(help="local: processes on this machine; dask: a Dask cluster.")] = ExecutorChoice.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 (default: start a local cluster).")] = None,
    out: Annotated[Path | None, typer.Option(help="Result directory (default results/optimise/<spec name>); an existing one is resumed.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Search lever sizes and timings for the packages that no other beats on every objective.

    Each candidate is run at every scenario of the spec (uncertain parameters x seeds) and
    judged by the spec's robustness measure. On an existing result directory, resume.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from simulator.analysis.pareto import draw_parallel
    from simulator.experiment.executors import ExecutorError
    from simulator.experiment.optimise import OptimiseError, run_optimisation
    from simulator.scenario.errors import ScenarioError

    state = {"ran": 0, "failed": 0, "task": None, "t0": 0.0}
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("generations; {task.fields[runs]} runs, [red]{task.fields[failed]} failed[/]"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )

    def on_start(s) -> None:
        what = "resuming" if s.resumed else "new search"
        console.print(
            f"{what}: {s.directory}: {s.generations} generations of {s.population} candidates, each run at "
            f"{s.scenarios} scenarios; {s.recorded} runs already recorded; on {s.executor}"
        )
        state["t0"] = time.perf_counter()
        state["task"] = bar.add_task(spec.stem, total=s.generations, runs=0, failed=0)

    def on_eval(rec) -> None:
        state["ran"] += 1
        state["failed"] += rec["status"] != "done"
        bar.update(state["task"], runs=state["ran"], failed=state["failed"])

    def on_generation(n: int) -> None:
        bar.update(state["task"], completed=n)

    try:
        with bar:
            summary = run_optimisation(
                spec,
                overrides=set_ or (),
                out=out,
                executor=executor.value,
                workers=workers,
                scheduler=scheduler,
                on_start=on_start,
                on_eval=on_eval,
                on_generation=on_generation,
            )
    except (ScenarioError, OptimiseError, ExecutorError) as e:
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted after {state['ran']} runs; every finished run is recorded. "
            "Run the same command again to resume."
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None

    from simulator.experiment.optimise_spec import load_optimise_spec

    loaded = load_optimise_spec(spec, set_ or ())
    categories = {n: list(p.values) for n, p in loaded.spec.levers.items() if p.type == "categorical"}
    figure = draw_parallel(
        summary.pareto,
        summary.lever_names,
        summary.objectives,
        summary.directory / FIGURE,
        title=f"{loaded.name}: Pareto set of {len(summary.pareto)} packages ({summary.robustness} over "
        f"{len(loaded.scenarios)} scenarios)",
        categories=categories,
        ranges={
            n: (p.low, p.high)
            for n, p in loaded.spec.levers.items()
            if p.type != "categorical"
        },
    )
    console.print(
        f"{summary.directory}: {summary.generations} generations; this time {summary.ran} runs"
        f" ({summary.failed} failed), {summary.reused} read from earlier records, "
        f"{summary.wall_seconds:.1f} s on {summary.executor}."
    )
    if not summary.pareto:
        console.print("No feasible package was found (every candidate broke the budget or had a failed run).")
        return
    console.print(f"Pareto set: {len(summary.pareto)} packages; objectives are the {summary.robustness} over the scenarios.")
    print_fitting(console, [lambda: _wide(summary), lambda: _narrow(summary)])
    console.print(f"Figure: {figure}")
    console.print(f"Table: {summary.directory / 'pareto.csv'}")
    if summary.package_files:
        console.print(
            f"Scenario files ({len(summary.package_files)}, `sim run` reproduces each package's first scenario): "
            f"{summary.package_files[0].parent}"
        )


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _wide(summary):
    from rich.table import Table

    t = Table(title="Pareto set")
    text_column(t, "package")
    for n in summary.lever_names:
        number_column(t, n)
    for n, d in summary.objectives.items():
        number_column(t, f"{n} ({d})")
    for p in summary.pareto:
        t.add_row(p.name.rsplit("_", 1)[-1], *(_fmt(p.levers[n]) for n in summary.lever_names), *(_fmt(p.objectives[n]) for n in summary.objectives))
    return t


def _narrow(summary):
    from rich.table import Table

    t = Table(title="Pareto set (one row per package and value)")
    text_column(t, "package")
    text_column(t, "lever or objective")
    number_column(t, "value")
    for p in summary.pareto:
        short = p.name.rsplit("_", 1)[-1]
        for n in summary.lever_names:
            t.add_row(short, n, _fmt(p.levers[n]))
        for n, d in summary.objectives.items():
            t.add_row(short, f"{n} ({d})", _fmt(p.objectives[n]))
        t.add_section()
    return t
