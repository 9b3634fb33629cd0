"""``sim sensitivity``: Sobol or Morris indices of one outcome of a sweep, as a table and a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulator.cli.common import console, err_console, fail

NOISE_WARNING_SHARE = 0.1  # seed noise above a tenth of the variance visibly inflates total-order indices


def sensitivity(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep directory with a saltelli or morris design.")],
    outcome: Annotated[str, typer.Option(help="Indicator, e.g. population.")],
    year: Annotated[int, typer.Option(help="Year of the indicator, e.g. 2030.")],
    out: Annotated[Path | None, typer.Option(help="Bar chart PNG (default SWEEP_DIR/sensitivity_<outcome>_<year>.png).")] = None,
) -> None:
    """Sobol S1/ST (saltelli designs) or Morris mu*/sigma (morris designs) of one outcome.

    Each design point's outcome is the mean over its seeds.
    """
    from rich.table import Table

    from simulator.analysis.sensitivity import SensitivityError, analyse, draw_chart, wide_intervals
    from simulator.experiment.sweep import SweepError

    try:
        res = analyse(sweep_dir, outcome, year)
    except (SweepError, SensitivityError) as e:
        raise fail(f"{sweep_dir}: {e}") from None
    ind = res.indices
    if res.method == "sobol":
        title = f"Sobol indices of {outcome} in {year}"
        heads = ("S1", "S1 95% CI", "ST", "ST 95% CI")
        rows = [
            (f"{ind['S1'][i]:.3f}", f"±{ind['S1_conf'][i]:.3f}", f"{ind['ST'][i]:.3f}", f"±{ind['ST_conf'][i]:.3f}")
            for i in range(len(res.names))
        ]
        order = sorted(range(len(res.names)), key=lambda i: -ind["ST"][i])
    else:
        title = f"Morris screening of {outcome} in {year} ({res.unit})"
        heads = ("mu*", "mu* 95% CI", "sigma")
        rows = [
            (f"{ind['mu_star'][i]:.4g}", f"±{ind['mu_star_conf'][i]:.3g}", f"{ind['sigma'][i]:.4g}")
            for i in range(len(res.names))
        ]
        order = sorted(range(len(res.names)), key=lambda i: -ind["mu_star"][i])
    table = Table(title=title)
    table.add_column("parameter")
    for h in heads:
        table.add_column(h, justify="right")
    for i in order:
        table.add_row(res.names[i], *rows[i])
    console.print(table)
    warning = wide_intervals(res)
    if warning:
        err_console.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    chart = out or sweep_dir / f"sensitivity_{outcome}_{year}.png"
    draw_chart(res, chart)
    console.print(
        f"{res.n_points} design points; each point's {outcome} is the mean over its seeds "
        f"({res.seeds_per_point:g} on average). Chart: {chart}"
    )
    if res.seed_noise_share is not None:
        console.print(
            f"Seed noise is about {res.seed_noise_share:.0%} of the variance of the point means"
            + (
                "; what of it does not cancel between points (they share seeds) counts as interaction "
                "(ST above S1): more seeds per point would sharpen the indices."
                if res.seed_noise_share >= NOISE_WARNING_SHARE
                else "."
            )
        )
