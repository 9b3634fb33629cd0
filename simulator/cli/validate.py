"""``sim validate``: check a scenario file without running it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulator.cli.common import build_or_exit, console, load_or_exit


def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a value: --set path.to.key=value (repeatable)."),
    ] = None,
) -> None:
    """Check a scenario file (and overrides) against the schema, and build its initial city."""
    sc = load_or_exit(scenario, set_)
    build_or_exit(sc)  # the figures must also make an initial city
    on = [name for name, lever in sc.levers if lever.enabled]
    console.print(
        f"[green]ok[/]: {escape(str(scenario))} is a valid scenario '{escape(sc.name)}' "
        f"({sc.run.start_year}-{sc.run.end_year}, scale {sc.run.scale}, seed {sc.run.seed}); "
        f"levers on: {', '.join(on) if on else 'none'}"
    )
