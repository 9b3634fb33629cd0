"""``sim report``: one self-contained HTML file comparing scenarios, for planners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulator.cli.common import console, fail
from simulator.cli.compare import (
    DEFAULT_SEEDS,
    BaselineOpt,
    IndicatorsOpt,
    Inputs,
    ObservedOpt,
    RegionIndicatorsOpt,
    RootSeedOpt,
    ScaleOpt,
    SeedsOpt,
    TableYearsOpt,
    WorkersOpt,
    YearsOpt,
    build_or_exit,
    font_or_warn,
    gather_or_exit,
    region_indicators_or_exit,
)


def report(
    inputs: Inputs,
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write, e.g. report.html.")],
    baseline: BaselineOpt = None,
    indicators: IndicatorsOpt = None,
    years: YearsOpt = None,
    table_years: TableYearsOpt = None,
    seeds: SeedsOpt = DEFAULT_SEEDS,
    root_seed: RootSeedOpt = None,
    workers: WorkersOpt = None,
    scale: ScaleOpt = None,
    observed: ObservedOpt = None,
    region_indicators: RegionIndicatorsOpt = None,
    runs_out: Annotated[Path, typer.Option("--runs-out", help="Results root for runs of scenario files.")] = Path("results"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write a self-contained HTML report: scenarios and levers, figures, summary table, regions, checks, provenance."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise fail(f"--out {out}: the report is an HTML file; give a name ending in .html")
    if out.is_dir():
        raise fail(f"--out {out}: is a directory; give the HTML file to write")
    region_names = region_indicators_or_exit(region_indicators)
    results = gather_or_exit(
        inputs, seeds=seeds, runs_out=runs_out, root_seed=root_seed, scale=scale, workers=workers, indicators=indicators, baseline=baseline, years=years, quiet=quiet
    )
    cmp = build_or_exit(results, baseline=baseline, years=years, table_years=table_years, observed=observed)
    font_or_warn()
    from simulator.analysis.regional import regional_or_note
    from simulator.analysis.report import write_report

    regional = regional_or_note(cmp, region_names)
    write_report(cmp, out, regional=regional)
    n_runs = sum(len(v.runs) for v in results.variants.values())
    scenarios = f"{len(cmp.labels)} scenario{'s' if len(cmp.labels) != 1 else ''}"
    runs = f"{n_runs} run{'s' if n_runs != 1 else ''}"
    base = f"baseline {cmp.baseline} ({cmp.baseline_reason})" if cmp.baseline else "no baseline"
    console.print(escape(f"Report of {scenarios} ({runs}; {base}): {out}"), soft_wrap=True)
