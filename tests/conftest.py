"""Shared fixtures: the tiny test city, and factories to load variants of it and build models.

The tiny city (``tests/data/tiny.yaml``) is Fuxin scaled down about 600 times
(3500 residents), 2000-2002 at scale 1: it builds in milliseconds and a year runs in a fraction
of a second, so every test can afford whole models.

Factories are session-scoped (they hold no state), so hypothesis tests can use
them too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulator.model.city import CityModel
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    """Path of the tiny test scenario."""
    return TINY


@pytest.fixture(scope="session")
def _tiny_base() -> Scenario:
    return load_scenario(TINY)


@pytest.fixture
def tiny_scenario(_tiny_base: Scenario) -> Scenario:
    """The tiny scenario, validated (a fresh deep copy for each test)."""
    return _tiny_base.model_copy(deep=True)


@pytest.fixture(scope="session")
def load_tiny() -> Callable[..., Scenario]:
    """Factory: the tiny scenario with ``--set``-style overrides (validated), e.g.
    ``load_tiny("labour.quit_rate_per_month=0", seed=3)``."""

    def load(*overrides: str, seed: int | None = None, scale: int | None = None) -> Scenario:
        return load_scenario(TINY, overrides=list(overrides), seed=seed, scale=scale)

    return load


@pytest.fixture(scope="session")
def build_model() -> Callable[..., CityModel]:
    """Factory: ``CityModel(scenario, strict=True)`` (raises AccountingError on any
    stock-flow or population-identity violation)."""

    def build(scenario: Scenario, **kw) -> CityModel:
        kw.setdefault("strict", True)
        return CityModel(scenario, **kw)

    return build


@pytest.fixture(scope="session")
def run_columns(build_model) -> Callable[..., dict[str, np.ndarray]]:
    """Factory: run a scenario to its end (strict) and return the indicator columns."""
    from simulator.experiment.run import indicator_columns

    def run(scenario: Scenario, **kw) -> dict[str, np.ndarray]:
        model = build_model(scenario, **kw)
        model.run()
        return indicator_columns(model)

    return run


@pytest.fixture
def tiny_model(tiny_scenario: Scenario, build_model) -> CityModel:
    """A freshly built (not yet stepped) strict model of the tiny city."""
    return build_model(tiny_scenario)
