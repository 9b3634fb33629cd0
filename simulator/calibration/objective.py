"""Simulated moments and the objective of the method of simulated moments.

A *candidate* is a set of values of the free parameters. It is run once for
each of the calibration's seeds (the same seeds for every candidate: common
random numbers, so that differences between candidates are not noise); each
run gives one value per target (:func:`run_moments`). The simulated moment of
a target is the mean of its values over the seeds, and its *deviation* from
the observed value is

* ``log(simulated / observed)`` for ``level`` and ``ratio_to:`` targets (a
  relative error: 0.1 is 10.5% too high);
* ``n * log((1 + simulated) / (1 + observed))`` for ``avg_growth_since:`` targets
  over ``n`` years: the log error of the cumulative growth, so a growth target
  counts like the level it implies.

A simulated value at or below zero (or not a number) counts as
``log(DEVIATION_FLOOR)``. The objective is the weighted mean of the squared
deviations over the fitted targets (weight above 0):
``J = sum(w * d**2) / sum(w)``. It is exactly 0 when every simulated moment
equals its observed value, e.g. for observed values simulated by the model
itself with the same seeds.
"""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.analysis.fit import simulated_value
from simulator.calibration.spec import Target

DEVIATION_FLOOR = 1e-3
"""Smallest simulated/observed ratio the deviation takes (log: -6.9): a moment at or
below zero is a very bad fit, not an error."""

FAILED_OBJECTIVE = 1e6
"""Objective given to a candidate whose runs fail (the scenario cannot be built at
those values, or the model stops): far above the objective of any running candidate."""


@dataclass(frozen=True)
class RunPayload:
    """What a worker needs for one run (small and picklable).

    Attributes:
        base_text: The resolved base scenario (YAML).
        overrides: ``--set`` overrides of the candidate's values.
        seed: The run's seed.
        moments: ``(indicator, year, kind)`` of each target.
    """

    base_text: str
    overrides: tuple[str, ...]
    seed: int
    moments: tuple[tuple[str, int, str], ...]


@functools.lru_cache(maxsize=4)
def _parsed_base(base_text: str):
    """The base scenario's YAML read once per process (reading is most of a small run's set-up)."""
    from simulator.scenario.yaml_source import parse_yaml

    return parse_yaml(base_text, "<calibration base>")


def load_candidate_scenario(base_text: str, overrides: Sequence[str], seed: int | None = None):
    """The base scenario with a candidate's overrides (and seed) applied, validated."""
    from simulator.scenario.loader import apply_overrides, validate_located
    from simulator.scenario.schema import Scenario

    data, locs = copy.deepcopy(_parsed_base(base_text))
    apply_overrides(data, locs, list(overrides))
    if seed is not None:
        data["run"]["seed"] = seed
    return validate_located(Scenario, data, locs)


def run_moments(payload: RunPayload) -> dict:
    """Run one candidate with one seed (in a worker); return its moments.

    Returns:
        ``{"m": [value per target], "accounting_ok": True, "wall": seconds}``.

    Raises:
        AccountingError: the run broke its accounts (a failed run: its candidate can never win).
        Whatever the scenario or the model raises (the executor reports it as the
        run's error; the same inputs always fail the same way).
    """
    from simulator.experiment.run import indicator_columns, simulate
    from simulator.model.accounts import AccountingError

    t0 = time.perf_counter()
    scenario = load_candidate_scenario(payload.base_text, payload.overrides, payload.seed)
    model, _ = simulate(scenario)
    failure = model.failure()
    if failure is not None:
        raise AccountingError(failure)
    columns = indicator_columns(model)
    values = [float(simulated_value(columns, ind, year, kind)) for ind, year, kind in payload.moments]
    return {
        "m": values,
        "accounting_ok": True,
        "wall": round(time.perf_counter() - t0, 3),
    }


def moment_spec(targets: Sequence[Target]) -> tuple[tuple[str, int, str], ...]:
    """The ``(indicator, year, kind)`` of each target, as runs compute them."""
    return tuple((t.indicator, t.year, t.kind) for t in targets)


def mean_moments(per_seed: Sequence[Sequence[float]]) -> np.ndarray:
    """Simulated moments: the mean over seeds (rows) of each target's values (columns)."""
    return np.asarray(per_seed, dtype=float).mean(axis=0)


def deviation(target: Target, simulated: float) -> float:
    """The deviation of a simulated moment from its target (see the module docstring)."""
    if target.kind.startswith("avg_growth_since:"):
        years = target.year - int(target.kind.split(":", 1)[1])
        ratio = (1.0 + simulated) / (1.0 + target.observed)
        scale = float(years)
    else:
        ratio = simulated / target.observed
        scale = 1.0
    if not math.isfinite(ratio) or ratio < DEVIATION_FLOOR:
        ratio = DEVIATION_FLOOR
    return scale * math.log(ratio)


def deviations(targets: Sequence[Target], simulated: Sequence[float]) -> list[float]:
    """The deviation of every target."""
    return [deviation(t, float(s)) for t, s in zip(targets, simulated, strict=True)]


def objective(targets: Sequence[Target], devs: Sequence[float]) -> float:
    """Weighted mean of the squared deviations over the fitted targets."""
    w = np.array([t.weight for t in targets], dtype=float)
    d = np.asarray(devs, dtype=float)
    return float(np.sum(w * d * d) / np.sum(w))


def rms_log_error(targets: Sequence[Target], devs: Sequence[float]) -> float:
    """Unweighted root mean square deviation over the fitted targets (as ``sim fit`` reports)."""
    d = [x for t, x in zip(targets, devs, strict=True) if t.fitted]
    return float(np.sqrt(np.mean(np.square(d)))) if d else float("nan")
