"""``sim sweep``: run or resume a parameter sweep, with a progress bar."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import console, err_console, fail

EXIT_RUNS_FAILED = 1
EXIT_INTERRUPTED = 130  # the shell's convention for a process stopped by Ctrl-C (128 + SIGINT)
ERRORS_SHOWN = 5  # failed runs whose message is printed at the end; all are in runs.parquet


class ExecutorChoice(StrEnum):
    """Where the runs go."""

    local = "local"
    dask = "dask"


def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep spec YAML, e.g. scenarios/sweeps/fuxin_levers.yaml.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Change the spec: --set design.base_samples=64 (repeatable; give the same to resume)."),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: the CPUs available).")] = None,
    executor: Annotated[ExecutorChoice, typer.Option(help="local: processes on this machine; dask: a Dask cluster.")] = ExecutorChoice.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 (default: start a local cluster).")] = None,
    out: Annotated[Path | None, typer.Option(help="Sweep directory (default results/sweeps/<spec name>); an existing one is resumed.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a parameter sweep; on an existing sweep directory, resume it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from simulator.experiment.executors import ExecutorError
    from simulator.experiment.sweep import SweepError, run_sweep
    from simulator.scenario.errors import ScenarioError

    state = {"failed": 0, "ran": 0, "t0": 0.0, "task": None}
    errors: list[str] = []
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed[/]"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )

    def on_start(s) -> None:
        what = "resuming" if s.resumed else "new sweep"
        console.print(
            f"{what}: {s.directory}: {s.n_runs} runs, {s.already_done} already done, "
            f"{s.to_run} to run on {s.executor}"
        )
        state["t0"] = time.perf_counter()
        state["task"] = bar.add_task(spec.stem, total=s.n_runs, completed=s.already_done, failed=0, rate="")

    def on_run(info) -> None:
        state["ran"] += 1
        if info["status"] == "failed":
            state["failed"] += 1
            if len(errors) < ERRORS_SHOWN:
                errors.append(f"{info['run_id']}: {info['error']}")
        elapsed = time.perf_counter() - state["t0"]
        rate = f"{state['ran'] / elapsed:.2f} runs/s" if elapsed > 0 else ""
        bar.update(state["task"], advance=1, failed=state["failed"], rate=rate)

    try:
        with bar:
            summary = run_sweep(
                spec,
                overrides=set_ or (),
                out=out,
                executor=executor.value,
                workers=workers,
                scheduler=scheduler,
                on_start=on_start,
                on_run=on_run,
            )
    except (ScenarioError, SweepError, ExecutorError) as e:
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted after {state['ran']} runs; runs.parquet shows where it got to. "
            "Run the same command again to resume."
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None

    if summary.ran:
        rate = summary.ran / summary.wall_seconds
        this_time = f"this time {summary.ran} runs in {summary.wall_seconds:.1f} s ({rate:.2f} runs/s) on {summary.executor}"
    else:
        this_time = "nothing left to run"
    console.print(
        f"{summary.directory}: {summary.done} done, {summary.failed} failed, {summary.pending} pending "
        f"of {summary.n_runs} runs; {this_time}."
    )
    if summary.failed:
        for line in errors:
            err_console.print(f"[red]failed[/] {line}", soft_wrap=True)
        more = summary.failed - len(errors)
        tail = f" (and {more} more, see runs.parquet)" if more > 0 else ""
        err_console.print(f"{summary.failed} run(s) failed{tail}; run `sim sweep` again to retry them.")
        raise typer.Exit(EXIT_RUNS_FAILED)
