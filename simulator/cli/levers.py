"""``sim levers``: the policy levers with the clause of the 2016 document each implements."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import console, fail
from simulator.policy.document import DOCUMENT_TITLE, clause_text
from simulator.policy.registry import LEVERS, lever_by_name
from simulator.scenario.schema import LeversCfg


def levers(
    name: Annotated[str | None, typer.Argument(help="Show one lever with its parameters.")] = None,
) -> None:
    """List the policy levers and their clauses (中共中央 国务院关于全面振兴东北地区等老工业基地的若干意见, 2016)."""
    if name is None:
        console.print(f"[bold]Policy levers[/] (clauses of {DOCUMENT_TITLE}); `sim levers NAME` for one in full\n", soft_wrap=True)
        for lever in LEVERS:
            clauses = ", ".join(map(str, lever.clauses))
            console.print(f"[bold]{lever.name}[/]  clause {clauses}  {lever.title_zh}", soft_wrap=True)
            console.print(f"    {lever.summary}", soft_wrap=True)
        return
    try:
        lever = lever_by_name(name)
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, [lv.name for lv in LEVERS], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise fail(f"unknown lever '{name}'{hint} (see `sim levers`)") from None
    console.print(f"[bold]{lever.name}[/]: clause {', '.join(map(str, lever.clauses))} {lever.title_zh}")
    console.print(lever.summary)
    console.print(f"Mechanism: {lever.mechanism}")
    for number in lever.clauses:
        console.print(f"\n[bold]Clause {number}[/] of {DOCUMENT_TITLE}:\n{clause_text(number, limit=400)}")
    cfg_model = LeversCfg.model_fields[lever.name].annotation
    default = cfg_model().model_dump()
    table = Table(title=f"parameters (scenario keys levers.{lever.name}.*)")
    table.add_column("key", no_wrap=True)
    table.add_column("default")
    table.add_column("meaning")
    for key, field in cfg_model.model_fields.items():
        table.add_row(key, str(default[key]), field.description or "")
    console.print(table)
