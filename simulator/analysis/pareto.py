"""The Pareto set of ``sim optimise`` as a parallel-coordinates figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def draw_parallel(
    packages: list[Any],
    lever_names: list[str],
    objectives: dict[str, str],
    path: Path,
    *,
    title: str = "",
    categories: dict[str, list[Any]] | None = None,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> Path:
    """Save a parallel-coordinates PNG: one line per Pareto package across its levers and its
    robust objectives, each axis scaled from the set's lowest to highest value (written at its
    ends); objective axes are marked with the direction that is better.

    Args:
        packages: :class:`~simulator.experiment.optimise.ParetoPackage` objects.
        lever_names: The levers, in spec order.
        objectives: Objective name -> ``"min"`` or ``"max"``.
        path: The PNG to write.
        title: The figure's title.
        categories: The values of each categorical lever (placed on its axis in this order).
        ranges: A lever's searched range ``(low, high)``: its axis spans that range, showing
            where in it the packages lie (other axes span the set's values).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes_names = list(lever_names) + list(objectives)
    data = np.array(
        [[_number(p.levers[n], (categories or {}).get(n)) for n in lever_names] + [float(p.objectives[n]) for n in objectives] for p in packages],
        dtype=float,
    ).reshape(len(packages), len(axes_names))
    low = data.min(axis=0) if len(packages) else np.zeros(len(axes_names))
    high = data.max(axis=0) if len(packages) else np.ones(len(axes_names))
    for j, name in enumerate(lever_names):
        if ranges and name in ranges:
            low[j], high[j] = ranges[name]
    span = np.where(high > low, high - low, 1.0)
    scaled = np.where(high > low, (data - low) / span, 0.5)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.5 * len(axes_names) + 1.5), 4.6), layout="constrained")
    cmap = plt.get_cmap("viridis")
    first = len(lever_names)
    order = np.argsort(scaled[:, first]) if len(packages) else []
    for rank, i in enumerate(order):
        colour = cmap(rank / max(1, len(packages) - 1))
        ax.plot(range(len(axes_names)), scaled[i], color=colour, linewidth=1.4, alpha=0.85)
    for j in range(len(axes_names)):
        ax.axvline(j, color="0.3", linewidth=0.8)
        if len(packages):
            ax.text(j, -0.06, f"{low[j]:.4g}", ha="center", va="top", fontsize="x-small")
            ax.text(j, 1.04, f"{high[j]:.4g}", ha="center", va="bottom", fontsize="x-small")
    labels = list(lever_names) + [f"{n}\n({'lower' if d == 'min' else 'higher'} is better)" for n, d in objectives.items()]
    ax.set_xticks(range(len(axes_names)), labels, fontsize="small", rotation=20, ha="right")
    if first < len(axes_names):
        ax.axvspan(first - 0.5, len(axes_names) - 0.5, color="#f2efe6", zorder=-1)
    ax.set_ylim(-0.15, 1.13)
    ax.set_yticks([])
    ax.set_xlim(-0.3, len(axes_names) - 0.7)
    ax.set_title(title or f"Pareto set: {len(packages)} packages (levers, then robust objectives)", fontsize="medium")
    ax.set_xlabel("levers on their searched range; robust objectives from the set's lowest to highest value", fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _number(v: Any, values: list[Any] | None) -> float:
    if values is not None:  # a categorical lever: its value's place in the list
        return float(values.index(v))
    return float(v)
