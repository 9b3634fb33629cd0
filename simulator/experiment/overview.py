"""The overview panel of one run (``overview.png``), drawn here or in a helper process.

:class:`OverviewDrawer` draws it in a helper process (``python -m simulator.experiment.overview``)
started when the run starts: while the model runs, the helper imports matplotlib and, given the
scenario, makes the blank panel (:func:`blank_panel`: titles, axis labels, grids); it plots the
run's values while the other files are written, so on a machine with a second core the panel
adds little to a run's wall time. The helper reads plain values (:class:`PanelLabels`, the
columns), not the scenario, so it imports no schema. The helper only saves time: if it cannot
be started or fails, the panel is drawn in the calling process (where a real drawing error is
raised as usual).
"""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulator.vocabulary import SECTOR_NAMES

if TYPE_CHECKING:
    from simulator.scenario.schema import Scenario

HELPER_ARGS = ("-m", "simulator.experiment.overview")
"""The helper process's command line after the interpreter (this module run as a script)."""
HELPER_TIMEOUT_S = 120.0
"""A helper that has not written the panel this long after getting it is stopped, and the panel is
drawn in the calling process (drawing takes about a second)."""

TITLE_Y = 1.0
"""Where the panels' titles sit (the top of each plot). Given, rather than left to matplotlib, it
spares the search for tick labels above a plot (there are none) that would move its title up:
the same picture, drawn in less time."""

DPI = 90
"""The panel's resolution (dots per inch of its 15 x 11 inches). The figure is made at it, so that
the helper's trial drawing of the blank panel (:func:`_serve`) lays out its text at the size it is
saved at."""

# Okabe-Ito colour-blind-safe palette
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


class PanelLabels(NamedTuple):
    """What the panel shows of its scenario (plain values: the helper process needs no schema)."""

    title: str
    package_start_year: int | None
    money_base_year: int


def panel_labels(scenario: Scenario) -> PanelLabels:
    """The panel's title and the scenario's years it marks or names."""
    title = f"{scenario.city.name}: {scenario.name} (seed {scenario.run.seed}, scale {scenario.run.scale})"
    return PanelLabels(title, scenario.city.package_start_year, scenario.city.money_base_year)


PANELS = (
    ("Population", "million persons"),
    ("Employment by sector", "thousand persons"),
    ("Registered unemployment rate", "% of non-farm labour force"),
    ("GDP (value added) by sector, colours as employment", "100 million yuan ({money} prices)"),
    ("Incomes", "yuan/year ({money} prices)"),
    ("City budget", "100 million yuan"),
    ("Housing", "thousand households"),
    ("Industry mix", "% of GDP"),
    ("Population flows", "thousand persons/year"),
)
"""Title and y-axis label of each plot, row by row."""


def draw_overview(columns: dict[str, np.ndarray], scenario: Scenario, path: Path) -> None:
    """Draw a 3x3 panel of the key indicators and save it as a PNG."""
    labels = panel_labels(scenario)
    fill_panel(*blank_panel(labels), columns, labels, path)


def blank_panel(labels: PanelLabels):
    """The figure and its 3x3 axes with everything that does not depend on the run's values:
    titles, axis labels, grids (the helper process makes it while the model runs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 3, figsize=(15, 11), sharex=True, dpi=DPI)
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.05, top=0.93, wspace=0.22, hspace=0.18)
    fig.suptitle(labels.title, fontsize=14)
    for ax, (title, ylabel) in zip(axes.flat, PANELS, strict=True):
        ax.set_ylabel(ylabel.format(money=labels.money_base_year))
        ax.set_title(title, y=TITLE_Y)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("year")
    axes[0, 0].yaxis.set_major_formatter(lambda v, _pos: f"{v / 1e6:g}")  # persons in millions
    return fig, axes


def fill_panel(fig, axes, columns: dict[str, np.ndarray], labels: PanelLabels, path: Path) -> None:
    """Plot the run's ``columns`` into a :func:`blank_panel`, save it as a PNG and close it."""
    import matplotlib.pyplot as plt

    years = columns["year"]
    pkg = labels.package_start_year

    def mark(ax) -> None:
        if pkg is not None and years[0] <= pkg <= years[-1]:
            ax.axvline(pkg, color="grey", ls=":", lw=1)

    ax = axes[0, 0]
    ax.plot(years, columns["population"], color=PALETTE[0], label="resident")
    ax.plot(years, columns["working_age_population"], color=PALETTE[1], label="aged 15-59")
    ax.legend(loc="upper right", fontsize=8)
    mark(ax)

    ax = axes[0, 1]
    emp = np.vstack([columns[f"employment_{s}"] for s in SECTOR_NAMES])
    ax.stackplot(years, emp / 1e3, labels=[s.replace("_", " ") for s in SECTOR_NAMES], colors=PALETTE[: len(SECTOR_NAMES)])
    ax.set_ylim(0, emp.sum(axis=0).max() / 1e3 * 1.35)  # headroom for the legend
    ax.legend(loc="upper center", fontsize=7, ncol=3, frameon=False)
    mark(ax)

    ax = axes[0, 2]
    ax.plot(years, 100 * columns["unemployment_rate_registered"], color=PALETTE[5])
    mark(ax)

    ax = axes[1, 0]
    gdp = np.vstack([columns[f"gdp_{s}"] for s in SECTOR_NAMES])
    ax.stackplot(years, gdp / 1e8, colors=PALETTE[: len(SECTOR_NAMES)])
    mark(ax)

    ax = axes[1, 1]
    ax.plot(years, columns["household_disposable_income_per_capita"], color=PALETTE[0], label="disposable income per person")
    ax.plot(years, columns["average_wage"], color=PALETTE[1], label="average wage")
    ax.legend(loc="upper left", fontsize=8)
    mark(ax)

    ax = axes[1, 2]
    for i, (k, lab) in enumerate(
        (("city_revenue", "own revenue"), ("transfers_received", "transfers"), ("city_spending", "spending"), ("city_debt", "debt (stock)"))
    ):
        ax.plot(years, columns[k] / 1e8, color=PALETTE[i], label=lab, ls="--" if k == "city_debt" else "-")
    ax.legend(loc="upper left", fontsize=8)
    mark(ax)

    ax = axes[2, 0]
    ax.plot(years, columns["shantytown_households"] / 1e3, color=PALETTE[5], label="shantytown")
    ax.plot(years, columns["rehoused_households"] / 1e3, color=PALETTE[2], label="rehoused")
    ax.plot(years, columns["subsidence_households"] / 1e3, color=PALETTE[3], label="subsidence area")
    ax.legend(loc="upper right", fontsize=8)
    mark(ax)

    ax = axes[2, 1]
    ax.plot(years, 100 * columns["new_industry_share"], color=PALETTE[2], label="new industries")
    ax.plot(years, 100 * columns["heavy_industry_share"], color=PALETTE[7], label="coal and coal-dependent")
    ax.legend(loc="upper left", fontsize=8)
    mark(ax)

    ax = axes[2, 2]
    ax.plot(years, columns["out_migrants"] / 1e3, color=PALETTE[5], label="out-migrants")
    ax.plot(years, columns["in_migrants"] / 1e3, color=PALETTE[0], label="in-migrants")
    ax.plot(years, columns["births"] / 1e3, color=PALETTE[2], label="births", ls="--")
    ax.plot(years, columns["deaths"] / 1e3, color=PALETTE[7], label="deaths", ls="--")
    ax.legend(loc="upper right", fontsize=8)
    mark(ax)

    fig.savefig(path, dpi=DPI)
    plt.close(fig)


class OverviewDrawer:
    """Draws ``overview.png`` in a helper process started at construction.

    Construct it before the model runs, with the run's scenario if it is known (the helper then
    makes the blank panel while the model runs); :meth:`draw` hands the run's columns to the
    helper (it returns at once) and :meth:`wait` returns when the file is written. :meth:`close`
    stops a helper that has not finished (use the drawer as a context manager).

    The helper reads pickles from its standard input: optionally ``("labels", labels)`` first,
    then ``("job", labels, columns, path)`` (plain tuples: the helper runs this module as
    ``__main__``, where this module's classes would not be the ones unpickled).
    """

    def __init__(self, scenario: Scenario | None = None) -> None:
        self._job: tuple[dict[str, np.ndarray], Scenario, Path] | None = None
        try:
            self._proc: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, *HELPER_ARGS],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, ValueError):  # no interpreter to start: draw in this process
            self._proc = None
        if scenario is not None:
            self._send(("labels", tuple(panel_labels(scenario))))

    def _send(self, message: tuple) -> None:
        if self._proc is None:
            return
        try:
            pickle.dump(message, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
        except OSError:  # the helper died (say, a broken install): wait() draws here
            self.close()

    def draw(self, columns: dict[str, np.ndarray], scenario: Scenario, path: Path) -> None:
        """Start drawing the panel of ``columns`` into ``path``."""
        self._job = (columns, scenario, Path(path))
        self._send(("job", tuple(panel_labels(scenario)), columns, Path(path)))
        if self._proc is not None:
            try:
                self._proc.stdin.close()
            except OSError:
                self.close()

    def wait(self) -> None:
        """Return when the panel given to :meth:`draw` is written: by the helper, or here if the
        helper could not start, failed, or took longer than :data:`HELPER_TIMEOUT_S`."""
        if self._job is None:
            raise RuntimeError("OverviewDrawer.wait() before draw()")
        ok = False
        if self._proc is not None:
            try:
                ok = self._proc.wait(timeout=HELPER_TIMEOUT_S) == 0 and self._job[2].exists()
            except subprocess.TimeoutExpired:
                self.close()
            self._proc = None
        if not ok:
            draw_overview(*self._job)

    def close(self) -> None:
        """Stop the helper if it is still running."""
        if self._proc is not None:
            if self._proc.stdin and not self._proc.stdin.closed:
                self._proc.stdin.close()
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def __enter__(self) -> OverviewDrawer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _serve() -> None:
    """The helper process: import matplotlib at once, make the blank panel when given the
    labels, then plot the job and save it (nothing if the run was given up)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (the slow import, made while the model runs)

    stdin = sys.stdin.buffer
    panel = None
    try:
        message = pickle.load(stdin)
        if message[0] == "labels":
            labels = PanelLabels(*message[1])
            panel = (labels, *blank_panel(labels))
            # a trial drawing while the model runs: matplotlib then has the fonts, text layouts
            # and ticks it needs at hand, and the saved drawing takes about a sixth less time
            # (the same picture, to the pixel)
            panel[1].canvas.draw()
            message = pickle.load(stdin)
    except EOFError:  # no job: the run was given up
        return
    _, labels, columns, path = message
    labels = PanelLabels(*labels)
    if panel is None or panel[0] != labels:
        panel = (labels, *blank_panel(labels))
    fill_panel(panel[1], panel[2], columns, labels, path)
    gc.freeze()  # the process exits next: its shutdown need not collect matplotlib's objects (the run waits for it)


if __name__ == "__main__":
    _serve()
