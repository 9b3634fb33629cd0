"""Shared CLI helpers: loading a scenario with clean errors, and the last-resort error line."""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from simulator.scenario.errors import ScenarioError, _one_line
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)

EXIT_BAD_INPUT = 2
"""Exit code for bad input: a scenario file, override or option that does not validate."""
EXIT_UNEXPECTED = 1
"""Exit code for an unexpected error (a bug): one line on stderr, the trace in a log file."""
EXIT_RUN_FAILED = 3
"""Exit code for a run that broke its accounts (stock-flow, population identity, an earmark
overspent) or met a non-finite value: its run directory, if written, is marked
``"status": "failed"`` in ``manifest.json``."""


def fail(message: str) -> typer.Exit:
    """Print one error line to stderr and return the exit (code 2) to raise.

    The message is printed as written: text from files or the command line may hold
    ``[...]``, which rich would otherwise read as markup."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


CRASH_LOG_DIR_NAME = "resource-city-sim"
"""Directory (under ``$XDG_CACHE_HOME`` or ``~/.cache``, else the system temp dir) of crash logs."""

MAX_SHOWN_MESSAGE = 300
"""Characters of an unexpected exception's message shown on the error line."""


def crash_log_dirs() -> list[Path]:
    """Where crash logs go, in order of preference."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [Path(cache) / CRASH_LOG_DIR_NAME, Path(tempfile.gettempdir()) / CRASH_LOG_DIR_NAME]


def write_crash_log(exc: BaseException) -> Path | None:
    """Write *exc*'s full trace to a new, timestamped log file; ``None`` if no place takes it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    text = "".join(traceback.format_exception(exc))
    for folder in crash_log_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{stamp}-{os.getpid()}.log"
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return None


def unexpected(exc: BaseException) -> typer.Exit:
    """Print one line for an unexpected exception, keep its trace in a log file, and
    return the exit (code 1) to raise."""
    log = write_crash_log(exc)
    message = _one_line(str(exc))
    if len(message) > MAX_SHOWN_MESSAGE:
        message = message[: MAX_SHOWN_MESSAGE - 3] + "..."
    where = f"full trace in {log}" if log is not None else "no trace written (no writable log directory)"
    text = f"unexpected {type(exc).__name__}: {message}; {where}"
    err_console.print(f"[bold red]error:[/] {escape(text)}", soft_wrap=True)
    return typer.Exit(EXIT_UNEXPECTED)


def build_or_exit(scenario: Scenario):
    """Build the initial city, or exit 2 if the scenario's figures cannot make one."""
    from simulator.experiment.run import build_model
    from simulator.model.build import InconsistentScenarioError

    try:
        return build_model(scenario)
    except InconsistentScenarioError as e:
        raise fail(str(e)) from None


def load_or_exit(path: Path, overrides: list[str] | None = None, seed: int | None = None, scale: int | None = None) -> Scenario:
    """Load and validate a scenario, or exit 2 with the loader's message."""
    try:
        return load_scenario(path, overrides=overrides or (), seed=seed, scale=scale)
    except ScenarioError as e:
        raise fail(str(e)) from None
