"""``sim calibrate``: fit free parameters to observed figures, or validate a fit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import console, err_console, fail
from simulator.cli.sweep import EXIT_INTERRUPTED, ExecutorChoice


def calibrate(
    spec: Annotated[Path | None, typer.Argument(help="Calibration spec YAML, e.g. calibration/fuxin.yaml.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: the CPUs available).")] = None,
    executor: Annotated[ExecutorChoice, typer.Option(help="local: processes on this machine; dask: a Dask cluster.")] = ExecutorChoice.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 (default: start a local cluster).")] = None,
    budget: Annotated[int | None, typer.Option(help="Candidates to evaluate in the search (default: the spec's optimiser.budget).")] = None,
    out: Annotated[Path | None, typer.Option(help="Result directory (default <spec folder>/results/<name>); an existing one is resumed.")] = None,
    truth: Annotated[
        list[str] | None,
        typer.Option(help="NAME=VALUE (repeatable): fit data simulated by the model at these values instead of the observed data (identification check)."),
    ] = None,
    validate: Annotated[
        Path | None,
        typer.Option("--validate", help="A result directory: re-run its fitted model and plot it against every observed figure."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Fit a spec's free parameters to observed figures (method of simulated moments); resume an
    interrupted calibration; or, with --validate, check a fitted model against every observed figure."""
    from simulator.calibration.driver import CalibrationError
    from simulator.experiment.executors import ExecutorError
    from simulator.scenario.errors import ScenarioError

    if (spec is None) == (validate is None):
        raise fail("give a calibration spec to run, or --validate RESULT_DIR (not both)")
    if validate is not None and (budget is not None or truth or out is not None):
        raise fail("--validate takes only a result directory (and --workers, --executor, --scheduler)")
    try:
        if validate is not None:
            _validate(validate, executor, workers, scheduler, quiet)
        else:
            _calibrate(spec, executor, workers, scheduler, budget, out, truth or [], quiet)
    except (ScenarioError, CalibrationError, ExecutorError) as e:
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; every finished run is saved. Run the same command again to resume.")
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _bar(quiet: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[best]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )


def _calibrate(spec, executor, workers, scheduler, budget, out, truth, quiet) -> None:
    from simulator.calibration.driver import run_calibration

    bar = _bar(quiet)
    state: dict = {"task": None, "stage": None, "best": None}

    def on_event(e: dict) -> None:
        kind = e["event"]
        if kind == "start":
            what = "resuming" if e["resumed"] else "new calibration"
            console.print(
                f"{what}: {e['directory']}: budget {e['budget']} candidates, {e['cached_runs']} runs already done, on {e['executor']}"
            )
        elif kind == "stage":
            if state["task"] is not None:
                bar.remove_task(state["task"])
            state["stage"] = e["stage"]
            total = e.get("candidates", e.get("runs"))
            unit = "candidates" if "candidates" in e else "runs"
            state["task"] = bar.add_task(f"{e['stage']} ({unit})", total=total, best=_best(state["best"]))
        elif kind == "candidate":
            state["best"] = e["best"]
            bar.update(state["task"], advance=1, best=_best(state["best"]))
        elif kind == "run" and state["stage"] == "report":
            bar.update(state["task"], advance=1)

    with bar:
        s = run_calibration(
            spec, out=out, budget=budget, executor=executor.value, workers=workers, scheduler=scheduler,
            truth=truth, on_event=on_event,
        )
    before = f"{s.base_objective:.4g} at the base values, " if s.base_objective is not None else ""
    console.print(
        f"{s.directory}: objective {before}{s.best_objective:.4g} fitted; {s.candidates} candidates; "
        f"{s.runs_ran} runs this time, {s.runs_reused} reused, {s.wall_seconds:.0f} s on {s.executor}."
    )
    console.print("fitted: " + ", ".join(f"{k} = {v:.4g}" for k, v in s.best_values.items()), soft_wrap=True)
    if s.truth:
        console.print("truth:  " + ", ".join(f"{k} = {v:.4g}" for k, v in s.truth.items()), soft_wrap=True)
    console.print(f"report: {s.directory / 'report.md'}; use the fit with `extends: {s.directory / 'fitted.yaml'}`")


def _best(best) -> str:
    return "" if best is None else f"best {best:.4g}"


def _validate(result_dir, executor, workers, scheduler, quiet) -> None:
    from simulator.calibration.validate import VALIDATION_PLOT, validate_result

    bar = _bar(quiet)
    state: dict = {"task": None}

    def on_event(e: dict) -> None:
        if e["event"] == "start":
            state["task"] = bar.add_task("validation runs", total=e["runs"], best="")
        else:
            bar.update(state["task"], advance=1)

    with bar:
        s = validate_result(result_dir, executor=executor.value, workers=workers, scheduler=scheduler, on_event=on_event)
    console.print(
        f"{s.directory}: {s.figures} observed figures ({s.fitted} fitted, {s.figures - s.fitted} not); "
        f"{s.within_band} inside the simulated 90% band of {s.runs} runs. "
        f"See {s.directory / VALIDATION_PLOT} and validation.csv."
    )
