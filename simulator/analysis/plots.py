"""Comparison figures: fan charts of the scenarios and of their paired differences.

Two figures, each a grid of small multiples (one panel per indicator), and a third of the regions:

* :func:`draw_levels`: for each scenario the median across seeds (line) with
  the 50% and 90% bands (shaded), the city's observed points, and the year the
  package starts;
* :func:`draw_differences`: for each scenario the paired difference from the
  baseline (run minus its common-random-numbers twin), median and bands, with
  the zero line;
* :func:`draw_regions`: a row per region of the city and a column per regional
  indicator, each scenario's median and bands (``sim compare --regions``).

Colours are fixed per scenario (:attr:`Comparison.colours`), so a scenario has
the same colour in every figure and in the report. Numbers are shown in
readable units (:func:`simulator.analysis.style.display_scale`). Matplotlib
is imported inside the functions only (Agg backend).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.analysis import style
from simulator.analysis.compare import Comparison
from simulator.analysis.regional import RegionalComparison, display_unit

FIGURE_FORMATS = ("png", "svg", "pdf")
MAX_TICK_DECIMALS = 6


def _tick_formatter():
    """Tick labels with thousands separators and as many decimals as the tick step needs."""
    from matplotlib.ticker import Formatter

    class StepFormatter(Formatter):
        ticks: list[float] = []

        def set_locs(self, locs):
            self.ticks = [float(v) for v in locs]

        def __call__(self, x, pos=None):
            locs = [v for v in self.ticks if math.isfinite(v)] or [x]
            # the fewest decimals that show every tick exactly (2.5 needs one, 0.25 two)
            scale = max(1.0, max(abs(v) for v in locs))
            decimals = next(
                (d for d in range(MAX_TICK_DECIMALS + 1) if all(abs(round(v, d) - v) <= 1e-9 * scale for v in locs)),
                MAX_TICK_DECIMALS,
            )
            text = f"{x:,.{decimals}f}"
            return "0" if text.strip("-0.,") == "" else text

    return StepFormatter()


def _grid(plt, n: int, title: str, *, ncols: int | None = None, panel: tuple[float, float] = (style.PANEL_WIDTH_IN, style.PANEL_HEIGHT_IN)):
    ncols = ncols or min(style.MAX_COLUMNS, n)
    nrows = math.ceil(n / ncols)
    size = (panel[0] * ncols, panel[1] * nrows + style.LEGEND_HEIGHT_IN + style.TITLE_HEIGHT_IN)
    fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, layout="constrained", sharex=True)
    fig.suptitle(title, fontsize=style.TITLE_FONT_SIZE)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    for i, ax in enumerate(flat[:n]):
        # the year axis is labelled under the lowest panel of each column
        if i + ncols >= n:
            ax.set_xlabel("year")
            ax.tick_params(labelbottom=True)
    return fig, flat[:n]


def _style_axes(ax, years: tuple[int, int]) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.grid(alpha=0.3, lw=0.6)
    ax.set_xlim(years[0] - style.YEAR_MARGIN, years[1] + style.YEAR_MARGIN)  # room for observed points at the ends
    ax.xaxis.set_major_locator(MaxNLocator(nbins=style.YEAR_TICKS, steps=[1, 2, 5, 10], integer=True))
    ax.yaxis.set_major_formatter(_tick_formatter())
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _fan(ax, rows: pd.DataFrame, scale: style.DisplayScale, colour: str, ls: str) -> None:
    x = rows["year"].to_numpy()
    for lo, hi, alpha in style.BANDS:
        lo_col, hi_col = f"q{round(lo * 100):02d}", f"q{round(hi * 100):02d}"
        ax.fill_between(x, rows[lo_col] / scale.divisor, rows[hi_col] / scale.divisor, color=colour, alpha=alpha, lw=0)
    ax.plot(x, rows["q50"] / scale.divisor, color=colour, ls=ls, lw=style.MEDIAN_LINE_WIDTH)


def _package_lines(ax, cmp: Comparison) -> None:
    distinct = sorted({y for y in cmp.package_years.values() if y is not None and cmp.years[0] <= y <= cmp.years[1]})
    for label, year in cmp.package_years.items():
        if year is None or year not in distinct:
            continue
        colour = style.PACKAGE_LINE_COLOUR if len(distinct) == 1 else cmp.colours[label][0]
        ax.axvline(year, color=colour, ls=":", lw=1.2, zorder=0)


def _legend(fig, cmp: Comparison, labels: list[str], *, observed: bool, cjk: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, names = [], []
    for label in labels:
        colour, ls = cmp.colours[label]
        n = cmp.results.variants[label].runs
        handles.append((Patch(color=colour, alpha=style.BANDS[0][2] + style.BANDS[1][2], lw=0), Line2D([], [], color=colour, ls=ls, lw=style.MEDIAN_LINE_WIDTH)))
        names.append(_text(f"{label} ({len(n)} seed{'s' if len(n) != 1 else ''})", cjk))
    if any(len(cmp.results.variants[label].runs) > 1 for label in labels):
        grey = "#777777"
        handles += [Line2D([], [], color=grey, lw=style.MEDIAN_LINE_WIDTH), Patch(color=grey, alpha=style.BANDS[1][2] + style.BANDS[0][2], lw=0), Patch(color=grey, alpha=style.BANDS[0][2], lw=0)]
        names += ["median across seeds", "50% of seeds", "90% of seeds"]
    if observed:
        handles.append(Line2D([], [], color=style.OBSERVED_COLOUR, marker="o", ls="none"))
        names.append("observed (used in the fit)")
        if not cmp.observed.empty and not cmp.observed["in_fit"].all():
            handles.append(Line2D([], [], color=style.OBSERVED_COLOUR, marker="o", mfc="white", ls="none"))
            names.append("observed (not in the fit)")
    distinct = sorted({y for y in cmp.package_years.values() if y is not None and cmp.years[0] <= y <= cmp.years[1]})
    if len(distinct) == 1:
        handles.append(Line2D([], [], color=style.PACKAGE_LINE_COLOUR, ls=":", lw=1.2))
        names.append(f"package starts ({distinct[0]})")
    elif distinct:
        handles.append(Line2D([], [], color=style.PACKAGE_LINE_COLOUR, ls=":", lw=1.2))
        names.append("package starts (scenario's colour)")
    from matplotlib.legend_handler import HandlerTuple

    fig.legend(handles, names, loc="outside lower center", ncol=min(len(names), 4), frameon=False, handler_map={tuple: HandlerTuple(ndivide=1)})


def _text(text: str, cjk: bool) -> str:
    return text if cjk else style.strip_cjk(text)


def _title_city(cmp: Comparison) -> str:
    city = cmp.results.city or "City"
    return f"{city} {cmp.results.city_zh}".strip()


def _money_note(cmp: Comparison) -> str:
    base = cmp.results.money_base_year
    return f" (money in constant {base} yuan)" if base is not None else ""


def draw_levels(cmp: Comparison, path: Path, *, dpi: int = style.FIGURE_DPI) -> Path:
    """Fan charts of every indicator for every scenario; saved to ``path`` (format from its suffix)."""
    plt, cjk = style.setup_matplotlib()
    first, last = cmp.years
    what = "scenarios compared" if len(cmp.labels) > 1 else cmp.labels[0]
    title = f"{_title_city(cmp)}: {what}, {first}-{last}{_money_note(cmp)}"
    fig, axes = _grid(plt, len(cmp.indicators), _text(title, cjk))
    for ax, ind in zip(axes, cmp.indicators, strict=True):
        rows = cmp.bands[cmp.bands["indicator"] == ind]
        obs = cmp.observed[cmp.observed["indicator"] == ind]
        magnitude = float(np.nanmax(np.abs(np.r_[rows[list(("q05", "q95"))].to_numpy().ravel(), obs["value"].to_numpy()]))) if len(rows) else 0.0
        scale = style.display_scale(cmp.results.units.get(ind, ""), magnitude, cjk=cjk)
        for label in cmp.labels:
            mine = rows[rows["scenario"] == label].sort_values("year")
            if len(mine):
                colour, ls = cmp.colours[label]
                _fan(ax, mine, scale, colour, ls)
        for in_fit, face in ((True, style.OBSERVED_COLOUR), (False, "white")):
            pts = obs[obs["in_fit"] == in_fit]
            if len(pts):
                ax.scatter(pts["year"], pts["value"] / scale.divisor, s=26, marker="o", facecolor=face, edgecolor=style.OBSERVED_COLOUR, lw=1.1, zorder=5)
        _package_lines(ax, cmp)
        ax.set_title(style.indicator_title(ind))
        ax.set_ylabel(_text(scale.label, cjk))
        _style_axes(ax, cmp.years)
    _legend(fig, cmp, cmp.labels, observed=not cmp.observed.empty, cjk=cjk)
    return _save(fig, plt, path, dpi)


def differences_title(cmp: Comparison) -> str:
    """The differences figure's title: it names the baseline, so that a figure shown alone says what it differs from."""
    first, last = cmp.years
    return (
        f"{_title_city(cmp)}: difference from {cmp.baseline} (the baseline), {first}-{last}{_money_note(cmp)}\n"
        f"each run minus the {cmp.baseline} run with the same random draws"
    )


def draw_differences(cmp: Comparison, path: Path, *, dpi: int = style.FIGURE_DPI) -> Path | None:
    """Fan charts of the paired differences from the baseline; None if there is nothing to draw."""
    if cmp.baseline is None or cmp.differences.empty:
        return None
    plt, cjk = style.setup_matplotlib()
    fig, axes = _grid(plt, len(cmp.indicators), _text(differences_title(cmp), cjk))
    others = [label for label in cmp.others if label in set(cmp.differences["scenario"])]
    for ax, ind in zip(axes, cmp.indicators, strict=True):
        rows = cmp.differences[cmp.differences["indicator"] == ind]
        magnitude = float(np.nanmax(np.abs(rows[["q05", "q95"]].to_numpy()))) if len(rows) else 0.0
        scale = style.display_scale(cmp.results.units.get(ind, ""), magnitude, difference=True, cjk=cjk)
        ax.axhline(0.0, color=style.BASELINE_COLOUR, lw=0.8)
        for label in others:
            mine = rows[rows["scenario"] == label].sort_values("year")
            if len(mine):
                colour, ls = cmp.colours[label]
                _fan(ax, mine, scale, colour, ls)
        _package_lines(ax, cmp)
        ax.set_title(style.indicator_title(ind))
        ax.set_ylabel(_text("Δ " + scale.label, cjk))
        _style_axes(ax, cmp.years)
    _legend(fig, cmp, others, observed=False, cjk=cjk)
    return _save(fig, plt, path, dpi)


def draw_regions(rc: RegionalComparison, path: Path, *, dpi: int = style.FIGURE_DPI) -> Path:
    """Small multiples of the regions: a row per region, a column per regional indicator, each
    scenario's median across seeds with its bands (as :func:`draw_levels`).

    Each column has one unit (chosen by its largest value) and each panel its own
    y range, so that a small district's course is as visible as a county's.
    """
    cmp = rc.cmp
    plt, cjk = style.setup_matplotlib()
    first, last = cmp.years
    what = "scenarios by region" if len(cmp.labels) > 1 else f"{cmp.labels[0]} by region"
    title = f"{_title_city(cmp)}: {what}, {first}-{last}{_money_note(cmp)}"
    ncols = len(rc.indicators)
    fig, axes = _grid(plt, len(rc.regions) * ncols, _text(title, cjk), ncols=ncols, panel=(style.REGION_PANEL_WIDTH_IN, style.REGION_PANEL_HEIGHT_IN))
    for col, ind in enumerate(rc.indicators):
        rows = rc.bands[rc.bands["indicator"] == ind]
        magnitude = float(np.nanmax(np.abs(rows[["q05", "q95"]].to_numpy()))) if len(rows) else 0.0
        scale = style.display_scale(display_unit(rc.units.get(ind, "")), magnitude, cjk=cjk)
        for i, region in enumerate(rc.regions):
            ax = axes[i * ncols + col]
            mine = rows[rows["region"] == region.name]
            for label in cmp.labels:
                fan = mine[mine["scenario"] == label].sort_values("year")
                if len(fan):
                    colour, ls = cmp.colours[label]
                    _fan(ax, fan, scale, colour, ls)
            _package_lines(ax, cmp)
            if i == 0:
                ax.set_title(_text(f"{style.indicator_title(ind)}\n{scale.label}", cjk))
            if col == 0:
                ax.set_ylabel(_text(f"{region.title}\n({region.kind})" if region.kind else region.title, cjk))
            _style_axes(ax, cmp.years)
    _legend(fig, cmp, cmp.labels, observed=False, cjk=cjk)
    return _save(fig, plt, path, dpi)


def _save(fig, plt, path: Path, dpi: int) -> Path:
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format '{fmt}': expected one of {', '.join(FIGURE_FORMATS)}")
    # no software/URL metadata in the files: the report must not reference the network
    metadata = {"Software": None} if fmt == "png" else {"Creator": None}
    if fmt == "png":
        import io

        from PIL import Image

        # a palette PNG is about a third of the size and looks the same (flat colours and bands)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata=metadata)
        buffer.seek(0)
        with Image.open(buffer) as im:
            im.convert("RGB").quantize(colors=style.PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    else:
        fig.savefig(path, dpi=dpi, metadata=metadata)
    plt.close(fig)
    return path


def save_figure(fig, plt, path: Path, dpi: int = style.FIGURE_DPI) -> Path:
    """Save and close a figure as the comparison figures are saved (its format by the suffix: a
    palette PNG, SVG or PDF, without software metadata); for figures of other commands."""
    return _save(fig, plt, path, dpi)


LEVELS_STEM = "levels"
DIFFERENCES_STEM = "differences"
REGIONS_STEM = "regions"
SUMMARY_CSV = "summary.csv"
REGIONS_CSV = "regions_summary.csv"


def write_comparison(cmp: Comparison, out: Path, *, fmt: str = "png", regional: RegionalComparison | None = None) -> list[Path]:
    """Draw both figures and write the summary CSV into ``out`` (and the regional ones, if given).

    Everything is written to a hidden temporary directory inside ``out`` first
    and each file is moved into place (``os.replace``) only when all are
    complete, so a failure leaves no half-written file behind. Existing files
    of the same names are replaced.

    Returns:
        The files written: ``levels.<fmt>``, ``differences.<fmt>`` (if there is a
        baseline to differ from) and ``summary.csv``; with ``regional``, also
        ``regions.<fmt>`` and ``regions_summary.csv``.
    """
    import os
    import shutil
    import tempfile

    from simulator.analysis.files import atomic_write
    from simulator.analysis.table import regional_csv, write_csv

    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format '{fmt}': expected one of {', '.join(FIGURE_FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-compare-", dir=out))
    try:
        made = [draw_levels(cmp, tmp / f"{LEVELS_STEM}.{fmt}")]
        diff = draw_differences(cmp, tmp / f"{DIFFERENCES_STEM}.{fmt}")
        if diff is not None:
            made.append(diff)
        made.append(write_csv(cmp, tmp / SUMMARY_CSV))
        if regional is not None:
            made.append(draw_regions(regional, tmp / f"{REGIONS_STEM}.{fmt}"))
            made.append(atomic_write(tmp / REGIONS_CSV, regional_csv(regional)))
        final = []
        for p in made:
            os.replace(p, out / p.name)
            final.append(out / p.name)
        # stale files of an earlier call would mislead
        if diff is None:
            (out / f"{DIFFERENCES_STEM}.{fmt}").unlink(missing_ok=True)
        if regional is None:
            (out / f"{REGIONS_STEM}.{fmt}").unlink(missing_ok=True)
            (out / REGIONS_CSV).unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
