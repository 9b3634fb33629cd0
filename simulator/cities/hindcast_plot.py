"""The hindcast's figure: each city's predicted population change against its 2010 hukou gap and
its mining share of employment, one labelled point per city (``sim hindcast``).

Drawn in the style of the comparison figures (:mod:`simulator.analysis.style`, saved by
:func:`simulator.analysis.plots.save_figure`); matplotlib is imported inside the function only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.analysis import style
from simulator.analysis.plots import save_figure

if TYPE_CHECKING:
    from simulator.cities.hindcast import HindcastRow

POINT_COLOUR = style.SCENARIO_COLOURS[0]
LABEL_FONT_SIZE = 7.5
CJK_LABELS_UP_TO = 12
"""Points labelled with the Chinese name too when there are at most this many (more crowd the panel)."""
LABEL_OFFSETS = ((4, 2), (4, -9), (-4, 2), (-4, -9), (4, 10), (-4, 10), (4, -17), (-4, -17), (10, -4), (-10, -4))
"""Where a label may go around its point (points right and up), tried in this order."""


def place_labels(fig, ax, xs, ys, labels) -> None:
    """Label each point at the first offset of :data:`LABEL_OFFSETS` whose text overlaps no label
    placed before (the first offset if none is free)."""
    renderer = fig.canvas.get_renderer()
    placed = []
    for x, y, label in zip(xs, ys, labels, strict=True):
        for i, (dx, dy) in enumerate(LABEL_OFFSETS):
            text = ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=LABEL_FONT_SIZE,
                               ha="left" if dx > 0 else "right", zorder=4)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed) or i == len(LABEL_OFFSETS) - 1:
                if any(box.overlaps(other) for other in placed):  # nowhere free: the first place
                    text.remove()
                    dx, dy = LABEL_OFFSETS[0]
                    text = ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points",
                                       fontsize=LABEL_FONT_SIZE, zorder=4)
                    box = text.get_window_extent(renderer)
                placed.append(box)
                break
            text.remove()


def draw_population_change(
    rows: Sequence[HindcastRow], path: Path, from_year: int, to_year: int, interval: str, *, cjk: bool = True
) -> Path:
    """Two panels: the predicted change (%, median and 90% interval across runs) against the 2010
    hukou gap ((residents - registered) / residents, %) and against the mining share of the
    employed (%). ``interval`` says where the interval comes from (printed under the figure)."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    plt, have_cjk = style.setup_matplotlib()
    cjk = cjk and have_cjk
    fig, axes = plt.subplots(
        1, 2, figsize=(2 * style.PANEL_WIDTH_IN * 1.25, style.PANEL_HEIGHT_IN * 1.6 + style.TITLE_HEIGHT_IN),
        layout="constrained", sharey=True,
    )
    y = np.array([100 * r.population_change.median for r in rows])
    err = np.array([[100 * (r.population_change.median - r.population_change.low) for r in rows],
                    [100 * (r.population_change.high - r.population_change.median) for r in rows]])
    xs = (
        (np.array([100 * r.facts.hukou_gap_share_2010 for r in rows]),
         f"hukou gap {from_year}: (residents - registered) / residents, %"),
        (np.array([100 * r.facts.mining_share_of_employed_2010 for r in rows]),
         f"mining share of the employed, {from_year} census, %"),
    )
    cjk = cjk and len(rows) <= CJK_LABELS_UP_TO
    labels = [f"{r.facts.title} {r.facts.name_zh}".strip() if cjk else r.facts.title for r in rows]
    percent = FuncFormatter(lambda v, _pos: f"{v:+g}" if abs(v) > 1e-9 else "0")
    for ax, (x, xlabel) in zip(axes, xs, strict=True):
        ax.axhline(0.0, color=style.PACKAGE_LINE_COLOUR, lw=0.8, ls="--", zorder=1)
        ax.errorbar(x, y, yerr=err, fmt="o", ms=4.5, color=POINT_COLOUR, ecolor=POINT_COLOUR, elinewidth=1.0,
                    capsize=2.0, alpha=0.9, zorder=3)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3, lw=0.6)
        ax.yaxis.set_major_formatter(percent)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylabel(f"predicted population change {from_year}-{to_year}, %")
    fig.canvas.draw()  # the layout fixed, so that the labels' extents are final
    for ax, (x, _) in zip(axes, xs, strict=True):
        place_labels(fig, ax, x, y, labels)
    fig.suptitle(f"Hindcast {from_year}-{to_year}: predicted population change of {len(rows)} coal cities "
                 f"(predictions only, no observed value after {from_year})", fontsize=style.TITLE_FONT_SIZE)
    fig.supxlabel(f"points: median across runs; bars: {interval}", fontsize=style.LABEL_FONT_SIZE)
    return save_figure(fig, plt, path)
