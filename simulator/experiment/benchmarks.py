"""Cheap problems with a known answer, for checking ``sim optimise`` without the model.

An optimisation spec with ``evaluate: simulator.experiment.benchmarks:dtlz2`` runs the search
through the same executors, scenarios, robustness measures and files as with the model, but
each "run" is a formula that takes microseconds, and its Pareto front is known.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np


def dtlz2(values: dict[str, Any], seed: int) -> dict[str, list[float]]:
    """DTLZ2 with two objectives (Deb, Thiele, Laumanns and Zitzler 2002), shifted by an
    uncertain parameter.

    Levers ``x1``, ``x2``, ... in [0, 1]; an optional uncertain parameter ``shift`` (default 0).
    With ``g = sum((x_i - 0.5)^2 for i >= 2)``: ``f1 = (1 + g + shift) cos(x1 pi / 2)``,
    ``f2 = (1 + g + shift) sin(x1 pi / 2)``, both to be minimised. The seed adds nothing (the
    problem is deterministic): the front of the mean over scenarios is the quarter circle of
    radius ``1 + mean(shift)``, reached with every ``x_i = 0.5`` for ``i >= 2``.

    Returns:
        Yearly columns as a run's indicators (one year, 2000): ``year``, ``f1``, ``f2``, and
        ``cost`` (= ``x1``, for a budget constraint).
    """
    del seed
    names = sorted((k for k in values if re.fullmatch(r"x\d+", k)), key=lambda k: int(k[1:]))
    x = np.array([float(values[k]) for k in names])
    g = float(np.sum((x[1:] - 0.5) ** 2))
    r = 1.0 + g + float(values.get("shift", 0.0))
    angle = x[0] * math.pi / 2
    return {"year": [2000], "f1": [r * math.cos(angle)], "f2": [r * math.sin(angle)], "cost": [float(x[0])]}

