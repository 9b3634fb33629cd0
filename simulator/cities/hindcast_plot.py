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
    labels = [f"{r.facts.title} {r.facts.name_zh}".strip() if cjk else r.facts.title for r in rows]
    percent = FuncFormatter(lambda v, _pos: f"{v:+g}" if abs(v) > 1e-9 else "0")
    for ax, (x, xlabel) in zip(axes, xs, strict=True):
        ax.axhline(0.0, color=style.PACKAGE_LINE_COLOUR, lw=0.8, ls="--", zorder=1)
        ax.errorbar(x, y, yerr=err, fmt="o", ms=4.5, color=POINT_COLOUR, ecolor=POINT_COLOUR, elinewidth=1.0,
                    capsize=2.0, alpha=0.9, zorder=3)
        for xi, yi, label in zip(x, y, labels, strict=True):
            ax.annotate(label, (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=LABEL_FONT_SIZE, zorder=4)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3, lw=0.6)
        ax.yaxis.set_major_formatter(percent)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylabel(f"predicted population change {from_year}-{to_year}, %")
    fig.suptitle(f"Hindcast {from_year}-{to_year}: predicted population change of {len(rows)} coal cities "
                 f"(predictions only, no observed value after {from_year})", fontsize=style.TITLE_FONT_SIZE)
    fig.supxlabel(f"points: median across runs; bars: {interval}", fontsize=style.LABEL_FONT_SIZE)
    return save_figure(fig, plt, path)
