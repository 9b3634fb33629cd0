"""Tables in an 80-column terminal: no cell cut short (``20…``), every number printed whole.

``sim compare`` (and its regional table), ``sim fit`` and ``sim run`` are run with
``COLUMNS=80``; every number the table is made of must appear on one line of the output,
not cut and not folded over two lines.
"""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.analysis.compare import build_comparison
from simulator.analysis.load import read_results
from simulator.analysis.style import DEFAULT_INDICATORS
from simulator.analysis.table import regional_rows, summary_rows

NARROW = 80


def run_cli(*args, columns: int = NARROW):
    from simulator.cli.main import app

    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def printed_whole(text: str, output: str) -> bool:
    """``text`` appears in ``output`` on one line, not as part of a longer number."""
    pattern = r"(?<![\d.,])" + re.escape(text) + r"(?![\d])(?![.,]\d)"
    return any(re.search(pattern, line) for line in output.splitlines())


def check_narrow(output: str, numbers: list[str], width: int = NARROW) -> None:
    assert "…" not in output
    from rich.cells import cell_len

    table_lines = [line for line in output.splitlines() if any(ch in line for ch in "│┃┏┡└├")]
    assert table_lines and max(cell_len(line) for line in table_lines) <= width  # notes are soft-wrapped lines
    numbers = [n for n in numbers if n]
    assert numbers
    missing = [n for n in numbers if not printed_whole(n, output)]
    assert not missing, f"not printed whole: {missing[:5]}\n{output}"


def cell_numbers(rows) -> list[str]:
    return [text for row in rows for c in row.cells for text in (c.level, c.level_interval, c.difference, c.difference_interval)]


@pytest.mark.parametrize("columns", [NARROW, 200])
def test_the_compare_table_fits_80_columns(tiny_runs, tmp_path, columns) -> None:
    inputs = [tiny_runs.root / "tiny", tiny_runs.root / "tiny_package"]
    output = run_cli("compare", *inputs, "--out", tmp_path, "--table-years", "2000,2001,2002", columns=columns)
    cmp = build_comparison(read_results(inputs, list(DEFAULT_INDICATORS), only_available=True), table_years="2000,2001,2002")
    assert cmp.baseline == "tiny"
    # three years of the tiny city's nine indicators do not fit 80 columns side by side: one row per year
    assert ("indicator, scenario" in output) == (columns == NARROW)
    check_narrow(output, cell_numbers(summary_rows(cmp)), width=columns)


def test_the_regional_table_fits_80_columns(region_runs, tmp_path) -> None:
    from simulator.analysis.regional import build_regional

    output = run_cli("compare", region_runs.root, "--regions", "--out", tmp_path, "--indicators", "population")
    cmp = build_comparison(read_results([region_runs.root], ["population"]))
    _, _, rows = regional_rows(build_regional(cmp, None))
    check_narrow(output, cell_numbers(rows))


def test_the_fit_table_fits_80_columns(tiny_runs) -> None:
    from simulator.analysis.fit import default_targets, fit_table, read_targets, targets_in_run

    run = tiny_runs.dirs("tiny")[0]
    output = run_cli("fit", run)
    table = pq.read_table(run / "indicators.parquet")
    columns = {k: v.to_numpy() for k, v in zip(table.column_names, table.columns, strict=True)}
    kept, _ = targets_in_run(columns, read_targets(default_targets("Fuxin")))
    rows = fit_table(columns, kept)
    assert rows
    check_narrow(output, [t for r in rows for t in (f"{r.observed:.4g}", f"{r.simulated:.4g}", f"{r.ratio:.2f}")])
    for r in rows:
        assert printed_whole(r.indicator, output) or r.indicator not in output.replace("\n", "")


def test_the_run_summary_fits_80_columns(tmp_path) -> None:
    from pathlib import Path

    from simulator.analysis.summary import SUMMARY_YEARS, summary_rows

    tiny_regions = Path(__file__).resolve().parents[1] / "data" / "tiny_regions.yaml"
    output = run_cli("run", tiny_regions, "--set", "run.end_year=2035", "--quiet", "--out", tmp_path)
    run = next(p for p in (tmp_path / "tiny_regions").iterdir() if p.is_dir())
    table = pq.read_table(run / "indicators.parquet")
    columns = {k: v.to_numpy() for k, v in zip(table.column_names, table.columns, strict=True)}
    years, rows = summary_rows(columns, SUMMARY_YEARS[::2] + SUMMARY_YEARS[-1:])
    assert len(years) == 5
    check_narrow(output, [cell for row in rows for cell in row[1:]])
