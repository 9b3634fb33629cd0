"""Serve the dashboard's page (Solara on uvicorn), on this machine only unless told otherwise.

The page loads nothing from outside: Solara's scripts, styles and fonts come from the
``solara-assets`` package through Solara's own asset route, and the address Solara would fetch
a missing asset from is set to a closed port of this machine, so a missing asset fails at once
instead of reaching the network. Solara's usage telemetry is switched off.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import socket
import threading
import warnings
from pathlib import Path

from simulator.dashboard.state import DashboardError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "simulator.dashboard.app"
NO_CDN = "http://127.0.0.1:9/npm/"
"""Where Solara would fetch an asset that ``solara-assets`` lacks: a closed port of this machine."""

EXTRA = "pip install -c constraints.txt -e '.[dashboard]'"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_installed() -> None:
    """Raise :class:`DashboardError` if the ``dashboard`` extra is missing."""
    missing = [m for m in ("solara", "solara_assets", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise DashboardError(f"sim dashboard needs the dashboard extra ({', '.join(missing)} missing): {EXTRA}")


def check_port(host: str, port: int) -> None:
    """Raise :class:`DashboardError` if the address cannot be served (port taken, unknown host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise DashboardError(f"--host {host}: not an address of this machine ({e.strerror})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as e:
            raise DashboardError(f"cannot serve on {host}:{port}: {e.strerror} (choose another --port)") from None


def warm_up_workers() -> None:
    """Start the worker processes' server (it imports the model once) and the processes that draw
    the figures while the page loads, so that the first run and its figures do not wait for them."""
    from simulator.dashboard import app, runs
    from simulator.experiment.executors import LocalExecutor

    with LocalExecutor(1) as executor:
        executor.submit(abs, 0).result()  # any task: the first one starts the server
    drawers = app.drawing_executor()
    for future in [drawers.submit(runs.prepare_drawing, None) for _ in range(drawers.workers)]:
        future.result()


def _solara_environment(host: str, port: int) -> None:
    # read by Solara's settings when it is first imported
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    os.environ["SOLARA_ASSETS_CDN"] = NO_CDN
    os.environ["SOLARA_APP"] = APP_MODULE
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)


def serve(folders: list[Path], runs_out: Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, workers: int | None = None, on_ready=None) -> None:
    """Configure the page and serve it until interrupted.

    Args:
        folders: the scenario folders.
        runs_out: the results root of the dashboard's runs (identical runs there are reused).
        host, port: where to listen.
        workers: processes for the runs (default: the machine's cores).
        on_ready: called with the page's address once the scenario files are read, before serving.

    Raises:
        DashboardError: the extra is missing, a folder holds no scenario, or the address cannot be served.
    """
    check_installed()
    check_port(host, port)
    _solara_environment(host, port)
    from simulator.dashboard import app

    app.configure(folders, runs_out, workers)
    threading.Thread(target=warm_up_workers, name="warm-up", daemon=True).start()

    import solara.server.settings as solara_settings
    import uvicorn

    # Solara warns on every page load over plain http that its session cookie falls back to
    # SameSite=Lax: what a page served on this machine wants anyway
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    solara_settings.main.mode = "production"
    solara_settings.telemetry.mixpanel_enable = False
    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{port}/")
    server.run()
