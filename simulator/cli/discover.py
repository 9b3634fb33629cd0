"""``sim discover``: scenario discovery (PRIM or CART) over a sweep: the boxes of inputs in
which an outcome condition holds, as tables, figures and sweep-spec YAML."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import console, fail
from simulator.cli.tables import number_column, print_fitting, text_column


class Method(StrEnum):
    """Scenario discovery method."""

    prim = "prim"
    cart = "cart"


def discover(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep directory written by `sim sweep` (any executor).")],
    outcome: Annotated[str, typer.Option(help="Indicator, e.g. population.")],
    year: Annotated[int, typer.Option(help="Year of the indicator, e.g. 2030.")],
    where: Annotated[str, typer.Option(help='Condition on the outcome: a comparison and a number, e.g. "< 1.5e6".')],
    method: Annotated[Method, typer.Option(help="prim: peeling boxes; cart: a classification tree's leaves.")] = Method.prim,
    fails: Annotated[bool, typer.Option("--fails", help="Find where the condition fails instead.")] = False,
    density: Annotated[float, typer.Option(help="Density a box should reach (share of its runs meeting the condition).")] = 0.8,
    max_boxes: Annotated[int, typer.Option(min=1, help="Most boxes to report.")] = 3,
    mass_min: Annotated[float, typer.Option(help="Smallest share of the runs a box may hold.")] = 0.05,
    out: Annotated[Path | None, typer.Option(help="Folder for the boxes (default SWEEP_DIR/discover_<outcome>_<year>_<method>).")] = None,
) -> None:
    """Find the boxes of levers and uncertain parameters in which an outcome condition holds.

    Failed runs are left out. Each box is printed with its coverage, density and restricted
    parameters, drawn (PNG) and written as YAML in the `parameters:` format of a sweep spec.
    """
    from simulator.analysis.discover import DiscoveryError, run_discovery, write_outputs
    from simulator.experiment.sweep import SweepError

    try:
        result = run_discovery(
            sweep_dir,
            outcome,
            year,
            where,
            method=method.value,
            holds=not fails,
            density=density,
            max_boxes=max_boxes,
            mass_min=mass_min,
        )
    except (SweepError, DiscoveryError) as e:
        raise fail(f"{sweep_dir}: {e}") from None
    folder = out or sweep_dir / f"discover_{outcome}_{year}_{method.value}"
    try:
        files = write_outputs(result, folder)
    except OSError as e:
        raise fail(f"cannot write {folder}: {e.strerror or e}") from None
    unit = f" ({result.unit})" if result.unit else ""
    console.print(
        f"{method.value.upper()} on {sweep_dir}: where {result.question}{unit}: "
        f"{result.n_interest} of {result.n_runs} finished runs"
        + (f" ({result.n_excluded} failed or unfinished runs left out)" if result.n_excluded else "")
    )
    if result.boxes:
        print_fitting(console, [lambda: _summary(result)])
    for i, box in enumerate(result.boxes):
        print_fitting(console, [lambda b=box, i=i: _limits_wide(b, i), lambda b=box, i=i: _limits_narrow(b, i)])
    for note in result.notes:
        console.print(note)
    console.print(f"Boxes (YAML for a sweep spec's parameters, PNG): {folder} ({len(files)} files)")


def _summary(result):
    from rich.table import Table

    t = Table(title="boxes")
    number_column(t, "box")
    number_column(t, "coverage")
    number_column(t, "density")
    number_column(t, "mass")
    number_column(t, "runs")
    text_column(t, "restricted")
    for i, b in enumerate(result.boxes):
        names = ", ".join(lim.name for lim in b.restricted) or "none"
        t.add_row(str(i + 1), f"{b.coverage:.3f}", f"{b.density:.3f}", f"{b.mass:.3f}", f"{b.k}/{b.n}", names)
    return t


def _limits_wide(box, i):
    from rich.table import Table

    t = Table(title=f"box {i + 1}: restricted parameters")
    t.add_column("parameter", no_wrap=True)  # a folded name: take the narrow layout instead
    number_column(t, "box low")
    number_column(t, "box high")
    number_column(t, "sweep low")
    number_column(t, "sweep high")
    for lim in box.restricted:
        if lim.type == "categorical":
            t.add_row(lim.name, lim.describe(), "", ", ".join(str(v) for v in lim.full_values or []), "")
        else:
            t.add_row(lim.name, _num(lim.low, lim.type), _num(lim.high, lim.type), _num(lim.full_low, lim.type), _num(lim.full_high, lim.type))
    return t


def _limits_narrow(box, i):
    from rich.table import Table

    t = Table(title=f"box {i + 1}: restricted parameters")
    text_column(t, "parameter")
    text_column(t, "box range")
    text_column(t, "sweep range")
    for lim in box.restricted:
        if lim.type == "categorical":
            t.add_row(lim.name, lim.describe(), ", ".join(str(v) for v in lim.full_values or []))
        else:
            t.add_row(
                lim.name,
                f"{_num(lim.low, lim.type)} to {_num(lim.high, lim.type)}",
                f"{_num(lim.full_low, lim.type)} to {_num(lim.full_high, lim.type)}",
            )
    return t


def _num(v, typ: str) -> str:
    if typ == "integer":
        return str(int(v))
    return f"{v:.4g}"
