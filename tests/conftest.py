"""Shared fixtures: the tiny test city, and factories to load variants of it and build models.

The tiny city (``tests/data/tiny.yaml``) is Fuxin scaled down about 600 times
(3500 residents), 2000-2002 at scale 1: it builds in milliseconds and a year runs in a fraction
of a second, so every test can afford whole models.

Factories are session-scoped (they hold no state), so hypothesis tests can use
them too.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulator.experiment.run import build_model as build_city
from simulator.model.city import CityModel
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"

# pytest-xdist's workers inherit COLUMNS=80 from their controller; the CLI's module-level rich
# consoles would take it as a fixed width when first imported, so that the width a test gives its
# CliRunner (env={"COLUMNS": ...}) would be ignored. Dropped before any test module imports the CLI:
# the consoles then read the width when they print, as in one process.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


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
    """Factory: the city with the policy levers, ``strict=True`` (raises AccountingError on any
    stock-flow or population-identity violation)."""

    def build(scenario: Scenario, **kw) -> CityModel:
        kw.setdefault("strict", True)
        return build_city(scenario, **kw)

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


# ------------------------------------------------------- statistical agreement


def statistical_disagreements(
    a: dict[str, np.ndarray], b: dict[str, np.ndarray], *, family_alpha: float = 1e-3
) -> list[str]:
    """Where two samples of runs (one row per seed, one column per year) disagree beyond their
    sampling error.

    For each indicator and year: Welch's t-test on the means and the two-sample Kolmogorov-Smirnov
    test on the distributions, at ``family_alpha`` shared over all the comparisons (Bonferroni), so
    that two samples of one model fail with probability below ``family_alpha``. A figure that is
    constant in both samples must be the same constant (within 1e-9 relative).
    """
    from scipy import stats

    checks: list[tuple[str, np.ndarray, np.ndarray]] = []
    for name in a:
        xa, xb = np.atleast_2d(np.asarray(a[name], float)), np.atleast_2d(np.asarray(b[name], float))
        for j in range(xa.shape[1]):
            checks.append((f"{name}[{j}]", xa[:, j], xb[:, j]))
    alpha = family_alpha / max(2 * len(checks), 1)
    out = []
    for label, x, y in checks:
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            out.append(f"{label}: a non-finite value in the samples")
            continue
        if np.ptp(x) == 0 and np.ptp(y) == 0:
            if not np.isclose(x[0], y[0], rtol=1e-9, atol=0.0):
                out.append(f"{label}: constant {x[0]:.6g} in one sample, {y[0]:.6g} in the other")
            continue
        with warnings.catch_warnings():  # nearly constant samples: scipy warns of lost precision
            warnings.simplefilter("ignore", RuntimeWarning)
            p_mean = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
            p_dist = float(stats.ks_2samp(x, y).pvalue)
        if p_mean < alpha or p_dist < alpha:
            out.append(
                f"{label}: means {x.mean():.6g} vs {y.mean():.6g} (Welch p={p_mean:.2g}), "
                f"distributions KS p={p_dist:.2g}, below {alpha:.2g}"
            )
    return out


@pytest.fixture(scope="session")
def disagreements() -> Callable[..., list[str]]:
    """:func:`statistical_disagreements`, for tests that need the list rather than an assertion."""
    return statistical_disagreements


@pytest.fixture(scope="session")
def seed_sample(run_columns) -> Callable[..., dict[str, np.ndarray]]:
    """Factory: ``seed_sample(scenario, seeds, indicators)`` runs the scenario on each seed and
    returns each indicator as an array of one row per seed and one column per year."""

    def sample(scenario: Scenario, seeds, indicators) -> dict[str, np.ndarray]:
        runs = [run_columns(scenario, seed=s) for s in seeds]
        return {k: np.array([r[k] for r in runs]) for k in indicators}

    return sample


@pytest.fixture(scope="session")
def assert_statistically_equal(seed_sample) -> Callable[..., None]:
    """One line for a change that alters draws: ``assert_statistically_equal(before, after,
    indicators, seeds_a=range(1, 21), seeds_b=range(101, 121))`` runs both scenarios on their seeds
    and fails naming every indicator and year whose mean or distribution differ beyond sampling
    error (see :func:`statistical_disagreements`). Give the two sides different seeds when the
    change alters which draw each agent gets (the draws are then independent anyway)."""

    def check(a: Scenario, b: Scenario, indicators, *, seeds_a=range(1, 21), seeds_b=None, family_alpha=1e-3) -> None:
        sa = seed_sample(a, seeds_a, indicators)
        sb = seed_sample(b, seeds_a if seeds_b is None else seeds_b, indicators)
        bad = statistical_disagreements(sa, sb, family_alpha=family_alpha)
        assert not bad, "the two samples disagree: " + "; ".join(bad)

    return check
