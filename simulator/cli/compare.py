"""``sim compare``: scenarios side by side with uncertainty bands, a paired difference and a table."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from simulator.cli.common import console, err_console, fail

# options shared with `sim report`
Inputs = Annotated[
    list[Path],
    typer.Argument(help="Run directories, sweep directories, directories holding runs, or scenario files (run with --seeds seeds each)."),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option("--baseline", help="The baseline scenario (default: the counterfactual the compared scenarios name with their 'counterfactual:' key)."),
]
IndicatorsOpt = Annotated[str | None, typer.Option("--indicators", help="Indicators to compare, comma-separated (default: nine key indicators).")]
YearsOpt = Annotated[str | None, typer.Option("--years", help="Years shown, FIRST:LAST, e.g. 2000:2035 (default: all).")]
TableYearsOpt = Annotated[str | None, typer.Option("--table-years", help="Years of the summary table, e.g. 2025,2035 (default: every 5 years from the package start).")]
SeedsOpt = Annotated[int, typer.Option("--seeds", min=1, help="Seeds per scenario file (the same seeds for every file).")]
RootSeedOpt = Annotated[int | None, typer.Option("--root-seed", min=0, help="Root the seeds are derived from (default: the first scenario's run.seed).")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="Processes running scenario files (default: all cores).")]
ScaleOpt = Annotated[int | None, typer.Option("--scale", min=1, help="Persons per agent for scenario files (default: each scenario's).")]
ObservedOpt = Annotated[Path | None, typer.Option("--observed", help="Observed targets CSV (default: calibration/data/<city>_targets.csv).")]
RegionIndicatorsOpt = Annotated[
    str | None,
    typer.Option("--region-indicators", help="Regional indicators, comma-separated (default: population, jobs, unemployed_persons, gdp_total)."),
]

DEFAULT_SEEDS = 10


def gather_or_exit(inputs, *, seeds, runs_out, root_seed, scale, workers, indicators, baseline, years, quiet: bool = False):
    """Run the scenario files (with a progress bar) and read every input; exit 2 on bad input."""
    from simulator.analysis.compare import parse_names, parse_years
    from simulator.analysis.inputs import gather
    from simulator.analysis.load import ResultsError
    from simulator.analysis.style import DEFAULT_INDICATORS
    from simulator.model.build import InconsistentScenarioError
    from simulator.scenario.errors import ScenarioError

    names = parse_names(indicators)
    try:
        parse_years(years, (0, 9999))  # the form only; the range is checked against the runs
    except ResultsError as e:
        raise fail(str(e)) from None
    wanted = names if names is not None else list(DEFAULT_INDICATORS)
    progress_bar = Progress(
        TextColumn("[bold]runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    )
    task = None

    def before_runs(total: int) -> None:
        nonlocal task
        progress_bar.start()
        task = progress_bar.add_task("runs", total=total, note="")

    def progress(done: int, total: int, reused: int) -> None:
        progress_bar.update(task, completed=done, note=f"({reused} reused)" if reused else "")

    try:
        results = gather(
            list(inputs),
            seeds=seeds,
            runs_out=runs_out,
            root_seed=root_seed,
            scale=scale,
            workers=workers,
            indicators=wanted,
            only_available=names is None,
            baseline=baseline,
            progress=progress,
            before_runs=before_runs,
        )
    except (ResultsError, ScenarioError, InconsistentScenarioError) as e:
        raise fail(str(e)) from None
    finally:
        progress_bar.stop()
    for where, why in results.excluded:  # failed runs are kept on disk but never compared
        err_console.print(f"[bold yellow]warning:[/] left out {escape(where)}, a run that failed its checks: {escape(why)}", soft_wrap=True)
    return results


def build_or_exit(results, *, baseline, years, table_years, observed):
    from simulator.analysis.compare import build_comparison
    from simulator.analysis.load import ResultsError

    try:
        return build_comparison(results, baseline=baseline, years=years, table_years=table_years, observed=observed)
    except ResultsError as e:
        raise fail(str(e)) from None


def region_indicators_or_exit(text: str | None) -> list[str]:
    """The regional indicators asked for (checked before any run starts); exit 2 on an unknown name."""
    from simulator.analysis.compare import parse_names
    from simulator.analysis.load import ResultsError
    from simulator.analysis.regional import check_region_indicators

    try:
        return check_region_indicators(parse_names(text))
    except ResultsError as e:
        raise fail(f"--region-indicators: {e}") from None


def no_sweeps_or_exit(inputs) -> None:
    """Exit 2 (before any run starts) if an input is or holds a sweep: its regions are not read."""
    from simulator.analysis.load import ResultsError
    from simulator.analysis.regional import check_no_sweeps

    try:
        check_no_sweeps(list(inputs))
    except ResultsError as e:
        raise fail(str(e)) from None


def build_regional_or_exit(cmp, indicators: list[str]):
    from simulator.analysis.load import ResultsError
    from simulator.analysis.regional import build_regional

    try:
        return build_regional(cmp, indicators)
    except ResultsError as e:
        raise fail(str(e)) from None


def font_or_warn() -> bool:
    """Register the CJK font; print one warning line if there is none. True if there is one."""
    from simulator.analysis.style import MissingCJKFontWarning, cjk_font

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingCJKFontWarning)
        family = cjk_font()
    for w in caught:
        if issubclass(w.category, MissingCJKFontWarning):
            err_console.print(f"[bold yellow]warning:[/] {w.message}", soft_wrap=True)
    return family is not None


def print_summary(cmp, cjk: bool) -> None:
    """The summary table: per indicator and scenario, the median and the difference from the baseline.

    One column per table year if that fits the terminal, else one row per indicator, scenario
    and year (a narrow terminal): no number is ever cut."""
    from simulator.analysis.table import summary_rows
    from simulator.cli.tables import number_column, print_fitting, text_column

    n_runs = {label: len(cmp.variant(label).runs) for label in cmp.labels}
    seeds = ", ".join(f"{label}: {n}" for label, n in n_runs.items())
    title = f"{cmp.results.city or ''} {cmp.results.city_zh if cjk else ''}: median across seeds [90% interval]".strip()
    if cmp.baseline:
        title += f"; Δ = paired difference from '{cmp.baseline}' [90% interval]"
    rows = summary_rows(cmp, cjk=cjk)

    def wide() -> Table:
        table = Table(title=escape(title), caption=escape(f"seeds: {seeds}"), show_lines=True)
        text_column(table, "indicator", min_width=18)
        number_column(table, "scenario", justify="left")  # whole names, or the long layout
        for y in cmp.table_years:
            number_column(table, str(y))
        for row in rows:
            cells = [summary_cell_text(c) for c in row.cells]
            table.add_row(f"{escape(row.title)}\n[dim]{escape(row.unit)}[/]", escape(row.scenario), *cells)
        return table

    def long() -> Table:
        table = Table(title=escape(title), caption=escape(f"seeds: {seeds}"))
        text_column(table, "indicator, scenario", min_width=12, ratio=1)
        number_column(table, "year")
        number_column(table, "median\n[90%]")
        if cmp.baseline:
            number_column(table, "Δ\n[90%]")
        for row in rows:
            head = f"{escape(row.title)}\n[dim]{escape(row.unit)}[/]\n[bold]{escape(row.scenario)}[/]"
            for i, (year, c) in enumerate(zip(cmp.table_years, row.cells, strict=True)):
                level = escape(c.level) + (f"\n[dim]{escape(c.level_interval)}[/]" if c.level_interval else "")
                diff = escape(c.difference) + (f"\n[dim]{escape(c.difference_interval)}[/]" if c.difference_interval else "")
                cells = [head if i == 0 else "", str(year), level] + ([diff] if cmp.baseline else [])
                table.add_row(*cells, end_section=i == len(row.cells) - 1)
        return table

    print_fitting(console, (wide, long))
    for note in cmp.notes:
        err_console.print(f"[bold yellow]note:[/] {escape(note)}", soft_wrap=True)


def summary_cell_text(c) -> str:
    """A summary cell as terminal lines: level, interval, difference, its interval."""
    lines = [escape(c.level)]
    if c.level_interval:
        lines.append(f"[dim]{escape(c.level_interval)}[/]")
    if c.difference:
        lines.append(f"Δ {escape(c.difference)}")
    if c.difference_interval:
        lines.append(f"[dim]{escape(c.difference_interval)}[/]")
    return "\n".join(lines)


def print_regional(rc, cjk: bool) -> None:
    """The regions at the last table year: per region and scenario, each regional indicator (one
    column each if that fits the terminal, else one row per region, scenario and indicator)."""
    from simulator.analysis.table import regional_rows
    from simulator.cli.tables import number_column, print_fitting, text_column

    cmp = rc.cmp
    year, columns, rows = regional_rows(rc, cjk=cjk)
    title = f"{cmp.results.city or ''} {cmp.results.city_zh if cjk else ''}: regions in {year}, median across seeds [90% interval]".strip()
    if cmp.baseline:
        title += f"; Δ = paired difference from '{cmp.baseline}'"
    caption = "all table years: regions_summary.csv"

    def wide() -> Table:
        table = Table(title=escape(title), caption=caption, show_lines=True)
        text_column(table, "region")
        number_column(table, "scenario", justify="left")  # whole names, or the long layout
        for name, unit in columns:
            number_column(table, f"{escape(name)}\n[dim]{escape(unit)}[/]")
        for row in rows:
            table.add_row(f"{escape(row.region)}\n[dim]{escape(row.kind)}[/]", escape(row.scenario), *(summary_cell_text(c) for c in row.cells))
        return table

    def long() -> Table:
        table = Table(title=escape(title), caption=caption)
        text_column(table, "region, scenario", min_width=12, ratio=1)
        text_column(table, "indicator", min_width=10, ratio=1)
        number_column(table, "median\n[90%]")
        if cmp.baseline:
            number_column(table, "Δ\n[90%]")
        for row in rows:
            head = f"{escape(row.region)}\n[dim]{escape(row.kind)}[/]\n[bold]{escape(row.scenario)}[/]"
            for i, ((name, unit), c) in enumerate(zip(columns, row.cells, strict=True)):
                level = escape(c.level) + (f"\n[dim]{escape(c.level_interval)}[/]" if c.level_interval else "")
                diff = escape(c.difference) + (f"\n[dim]{escape(c.difference_interval)}[/]" if c.difference_interval else "")
                cells = [head if i == 0 else "", f"{escape(name)}\n[dim]{escape(unit)}[/]", level] + ([diff] if cmp.baseline else [])
                table.add_row(*cells, end_section=i == len(row.cells) - 1)
        return table

    print_fitting(console, (wide, long))
    if len(rc.regions) == 1:
        err_console.print(f"[bold yellow]note:[/] the city has one region ({escape(rc.regions[0].name)}): the regional figure has one row", soft_wrap=True)


def compare(
    inputs: Inputs,
    baseline: BaselineOpt = None,
    indicators: IndicatorsOpt = None,
    years: YearsOpt = None,
    table_years: TableYearsOpt = None,
    seeds: SeedsOpt = DEFAULT_SEEDS,
    root_seed: RootSeedOpt = None,
    workers: WorkersOpt = None,
    scale: ScaleOpt = None,
    observed: ObservedOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory: figures, summary.csv, and runs/ for the runs made.")] = Path("results/compare"),
    fmt: Annotated[str, typer.Option("--format", help="Figure format: png, svg or pdf.")] = "png",
    regions: Annotated[bool, typer.Option("--regions", help="Also the city's regions side by side: regions.<format> and regions_summary.csv (run directories and scenario files, not sweeps).")] = False,
    region_indicators: RegionIndicatorsOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Compare scenarios: fan charts across seeds, paired differences from a baseline, a summary table."""
    from simulator.analysis.plots import FIGURE_FORMATS, write_comparison

    fmt = fmt.lower()
    if fmt not in FIGURE_FORMATS:
        raise fail(f"--format '{fmt}': expected one of {', '.join(FIGURE_FORMATS)}")
    regions = regions or region_indicators is not None  # asking for regional indicators asks for the regions
    region_names = region_indicators_or_exit(region_indicators) if regions else []
    if regions:
        no_sweeps_or_exit(inputs)
    results = gather_or_exit(inputs, seeds=seeds, runs_out=out / "runs", root_seed=root_seed, scale=scale, workers=workers, indicators=indicators, baseline=baseline, years=years, quiet=quiet)
    cmp = build_or_exit(results, baseline=baseline, years=years, table_years=table_years, observed=observed)
    regional = build_regional_or_exit(cmp, region_names) if regions else None
    cjk = font_or_warn()
    written = write_comparison(cmp, out, fmt=fmt, regional=regional)
    print_summary(cmp, cjk)
    if regional is not None:
        print_regional(regional, cjk)
    if cmp.baseline:
        console.print(f"Baseline: {escape(cmp.baseline)} ({escape(cmp.baseline_reason)})", soft_wrap=True)
    console.print("Written: " + ", ".join(str(p) for p in written))
