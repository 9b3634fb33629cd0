"""Shared CLI helpers: loading a scenario with clean errors."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)

EXIT_BAD_INPUT = 2
"""Exit code for bad input: a scenario file, override or option that does not validate."""
EXIT_RUN_FAILED = 3
"""Exit code for a run that broke its accounts (stock-flow, population identity, an earmark
overspent) or met a non-finite value: its run directory, if written, is marked
``"status": "failed"`` in ``manifest.json``."""


def fail(message: str) -> typer.Exit:
    """Print one error line to stderr and return the exit (code 2) to raise."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


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
