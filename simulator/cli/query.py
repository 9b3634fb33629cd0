"""``sim query``: SQL over a sweep directory's tables (DuckDB), printed as a table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import console, fail

DEFAULT_MAX_ROWS = 200  # enough to read on screen; aggregate in SQL for more


PLAIN_FLOAT_FROM = 1e5  # from here up, floats print as whole numbers (1640973, not 1.64097e+06)
PLAIN_FLOAT_TO = 1e15  # beyond, exponent notation again


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if PLAIN_FLOAT_FROM <= abs(value) < PLAIN_FLOAT_TO:
            return f"{value:.0f}"
        return f"{value:.6g}"
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def query(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep directory written by `sim sweep`.")],
    sql: Annotated[str, typer.Argument(help="SQL over the views 'runs' (one row per run) and 'series' (run_id, year, indicators).")],
    max_rows: Annotated[int, typer.Option(min=1, help="Show at most this many rows.")] = DEFAULT_MAX_ROWS,
) -> None:
    """Run SQL (DuckDB) over a sweep's runs and yearly series and print the result."""
    from rich.table import Table

    from simulator.analysis.sweep_query import QueryError, run_query
    from simulator.experiment.sweep import SweepError

    try:
        result = run_query(sweep_dir, sql, max_rows=max_rows)
    except SweepError as e:
        raise fail(str(e)) from None
    except QueryError as e:
        raise fail(f"SQL: {e}") from None
    if not result.columns:
        console.print("ok (no result rows)")
        return
    table = Table(show_lines=False)
    for j, name in enumerate(result.columns):
        numeric = bool(result.rows) and all(_is_number(r[j]) for r in result.rows if r[j] is not None)
        table.add_column(name, overflow="fold", justify="right" if numeric else "left")
    for row in result.rows:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    more = " (more not shown: raise --max-rows or aggregate)" if result.truncated else ""
    console.print(f"{len(result.rows)} row(s){more}")
