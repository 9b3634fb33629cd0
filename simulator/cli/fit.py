"""``sim fit``: compare a run with the city's observed figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.analysis.fit import TargetError, fit_score, fit_table, read_targets
from simulator.cli.common import console, fail

DEFAULT_TARGETS = Path("calibration/data/fuxin_targets.csv")


def fit(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `sim run`.")],
    targets: Annotated[Path, typer.Option(help="Targets CSV (observed figures with sources).")] = DEFAULT_TARGETS,
) -> None:
    """Observed vs simulated figures for a run (the calibration targets)."""
    parquet = run_dir / "indicators.parquet"
    if not parquet.is_file():
        raise fail(f"{run_dir}: not a run directory (no indicators.parquet)")
    if not targets.is_file():
        raise fail(f"{targets}: targets file not found")
    import pyarrow.parquet as pq

    columns = {k: v.to_numpy() for k, v in zip(pq.read_table(parquet).column_names, pq.read_table(parquet).columns, strict=True)}
    try:
        rows = fit_table(columns, read_targets(targets))
    except (TargetError, KeyError, ValueError) as e:
        raise fail(f"{targets}: {e}") from None
    table = Table(title=f"Fit of {run_dir} to {targets}")
    table.add_column("indicator", no_wrap=True)
    for col, just in ( ("year", "right"), ("kind", "left"), ("observed", "right"), ("simulated", "right"), ("sim/obs", "right"), ("in fit", "center")):
        table.add_column(col, justify=just)
    for r in rows:
        table.add_row(r.indicator, str(r.year), r.kind, f"{r.observed:.4g}", f"{r.simulated:.4g}", f"{r.ratio:.2f}", "yes" if r.in_fit else "no")
    console.print(table)
    console.print(f"RMS log error over the fitted targets: {fit_score(rows):.3f}")
