"""``sim fit``: compare a run with the city's observed figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from simulator.analysis.fit import (
    TargetError,
    default_targets,
    fit_score,
    fit_table,
    read_targets,
    targets_in_run,
)
from simulator.cli.common import EXIT_RUN_FAILED, console, err_console, fail
from simulator.cli.tables import number_column, print_fitting, text_column


def _run_city(run_dir: Path) -> str | None:
    """The city of a run (``city.name`` of its resolved scenario)."""
    import yaml

    try:
        sc = yaml.safe_load((run_dir / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        return str(sc["city"]["name"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return None


def _failure(run_dir: Path) -> str | None:
    """Why the run must not be used (its manifest marks it failed), or None."""
    from simulator.analysis.load import run_failure

    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return run_failure(manifest) if isinstance(manifest, dict) else None


def fit(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `sim run`.")],
    targets: Annotated[
        Path | None, typer.Option(help="Targets CSV (observed figures with sources); default: calibration/data/<city>_targets.csv of the run's city.")
    ] = None,
) -> None:
    """Observed vs simulated figures for a run (the calibration targets)."""
    parquet = run_dir / "indicators.parquet"
    if not parquet.is_file():
        raise fail(f"{run_dir}: not a run directory (no indicators.parquet)")
    failure = _failure(run_dir)
    if failure is not None:
        err_console.print(f"[bold red]error:[/] {escape(str(run_dir))}: the run failed its checks, not fitted: {escape(failure)}", soft_wrap=True)
        raise typer.Exit(EXIT_RUN_FAILED)
    if targets is None:
        city = _run_city(run_dir)
        targets = default_targets(city) if city else None
        if targets is None:
            raise fail(
                f"{run_dir}: no observed figures for the city {city or '(unknown)'} "
                f"(calibration/data/{(city or 'city').lower()}_targets.csv); give --targets"
            )
    if not targets.is_file():
        raise fail(f"{targets}: targets file not found")
    import pyarrow.parquet as pq

    columns = {k: v.to_numpy() for k, v in zip(pq.read_table(parquet).column_names, pq.read_table(parquet).columns, strict=True)}
    try:
        kept, left_out = targets_in_run(columns, read_targets(targets))
        rows = fit_table(columns, kept)
    except (TargetError, KeyError, ValueError) as e:
        raise fail(f"{targets}: {e}") from None
    title = escape(f"Fit of {run_dir} to {targets}")
    cells = [(r, f"{r.observed:.4g}", f"{r.simulated:.4g}", f"{r.ratio:.2f}", "yes" if r.in_fit else "no") for r in rows]

    def wide() -> Table:
        table = Table(title=title)
        number_column(table, "indicator", justify="left")  # whole names, or the narrow layout
        number_column(table, "year")
        number_column(table, "kind", justify="left")
        for col in ("observed", "simulated", "sim/obs"):
            number_column(table, col)
        number_column(table, "in fit", justify="center")
        for r, obs, sim, ratio, in_fit in cells:
            table.add_row(escape(r.indicator), str(r.year), escape(r.kind), obs, sim, ratio, in_fit)
        return table

    def narrow() -> Table:  # a narrow terminal: the kind under the indicator, the year beside it
        table = Table(title=title, show_lines=True)
        text_column(table, "indicator\n[dim]kind[/]", ratio=1)
        number_column(table, "year")
        for col in ("observed", "simulated", "sim/\nobs", "in\nfit"):
            number_column(table, col)
        for r, obs, sim, ratio, in_fit in cells:
            table.add_row(f"{escape(r.indicator)}\n[dim]{escape(r.kind)}[/]", str(r.year), obs, sim, ratio, in_fit)
        return table

    print_fitting(console, (wide, narrow))
    console.print(f"RMS log error over the fitted targets: {fit_score(rows):.3f}")
    if left_out:
        console.print(f"{left_out} target(s) left out: their years are outside the run.")
