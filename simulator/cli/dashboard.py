"""``sim dashboard``: the local web page to set levers, run seeds and compare (the ``dashboard`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulator.cli.common import console, err_console, fail


def dashboard(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on. The default serves this machine only; any other address lets whoever reaches it run simulations here."),
    ] = "127.0.0.1",
    scenarios: Annotated[
        list[Path] | None,
        typer.Option("--scenarios", help="Folder of scenario files (with its subfolders; repeatable). Default: scenarios/."),
    ] = None,
    runs_out: Annotated[Path, typer.Option("--runs-out", help="Results root of the dashboard's runs (identical runs there are reused).")] = Path("results/dashboard"),
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes running the seeds (default: all cores).")] = None,
) -> None:
    """Serve a local web page: pick a city and scenario, switch levers and set their sizes, run seeds of
    the scenario and its counterfactual, see fan charts, paired differences, the table and the regions,
    and download the scenario (YAML) and the HTML report."""
    from simulator.dashboard.server import is_loopback, serve
    from simulator.dashboard.state import DashboardError

    folders = scenarios or [Path("scenarios")]
    if not is_loopback(host):
        err_console.print(
            f"[bold yellow]warning:[/] serving on {escape(host)}: the page has no login, so anyone who can reach "
            "this address can run simulations on this machine and read its scenario files",
            soft_wrap=True,
        )

    def ready(url: str) -> None:
        console.print(f"sim dashboard at {escape(url)} (Ctrl-C to stop)", soft_wrap=True)

    try:
        serve(folders, runs_out, host=host, port=port, workers=workers, on_ready=ready)
    except DashboardError as e:
        raise fail(str(e)) from None
