"""The dashboard's runs and what it shows of them.

:func:`execute` makes the runs of a :class:`~simulator.dashboard.state.RunRequest` with
:func:`simulator.experiment.seeds.run_seeds` on worker processes (identical runs already under
the runs folder are reused), reporting progress and stopping at once when asked.
:func:`build_view` reads them into the comparison that ``sim compare`` draws: the fan charts of
both scenarios, the paired differences from the counterfactual, the summary table and, for a
city with several regions, the regions; :func:`report_html` is ``sim report``'s HTML of it.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from simulator.analysis import style, webfont
from simulator.analysis.compare import Comparison, build_comparison
from simulator.analysis.load import ResultsError, read_results
from simulator.analysis.plots import draw_differences, draw_levels, draw_regions
from simulator.analysis.regional import RegionalComparison, regional_or_note
from simulator.analysis.report import render_report
from simulator.analysis.table import RegionalRow, SummaryRow, regional_rows, summary_rows
from simulator.dashboard.state import RunRequest
from simulator.experiment.seeds import RunsCancelled, run_seeds
from simulator.model.indicators import INDICATOR_UNITS

__all__ = ["Batch", "RunsCancelled", "View", "build_view", "execute", "indicator_choices", "page_font_css", "report_html"]


@dataclass(frozen=True)
class Batch:
    """The runs made for a request: run directories, the counterfactual's first."""

    request: RunRequest
    dirs: tuple[Path, ...]

    @property
    def baseline(self) -> str | None:
        cf = self.request.counterfactual
        return cf.name if cf is not None else None


def execute(
    request: RunRequest,
    runs_out: Path,
    *,
    workers: int | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Batch:
    """Make (or reuse) every run of the request on worker processes.

    Raises:
        RunsCancelled: ``stop()`` returned true; the runs finished before it are kept.
    """
    dirs = run_seeds(request.jobs(), out_root=Path(runs_out), workers=workers, progress=progress, stop=stop or (lambda: False))
    return Batch(request, tuple(dirs))


@dataclass
class View:
    """What the page shows of a batch of runs.

    Attributes:
        cmp: the comparison (as ``sim compare`` builds it).
        levels_png, differences_png: the fan charts and the paired differences (PNG bytes; no
            differences without a counterfactual).
        summary: the summary table's rows (text cells, in the figures' units).
        regional: the regions compared, for a city with several (else None).
        regions_png, regions_table: its figure and its table at the last table year
            (year, columns, rows).
        notes: what the comparison notes (left-out runs, observed data that do not fit, ...).
    """

    cmp: Comparison
    levels_png: bytes
    differences_png: bytes | None
    summary: list[SummaryRow]
    regional: RegionalComparison | None = None
    regions_png: bytes | None = None
    regions_table: tuple[int, list[tuple[str, str]], list[RegionalRow]] | None = None
    notes: list[str] = field(default_factory=list)


def indicator_choices() -> list[str]:
    """Every indicator a run records, the nine key ones first."""
    first = [i for i in style.DEFAULT_INDICATORS if i in INDICATOR_UNITS]
    return first + [i for i in INDICATOR_UNITS if i not in first]


FIGURES = ("levels", "differences", "regions")


def prepare_drawing(_: object = None) -> bool:
    """Worker task: import the plotting code and register the CJK font, so that a worker's first
    figure does not wait for them. True if the font is there."""
    plt, cjk = style.setup_matplotlib()
    plt.close("all")
    return bool(cjk)


def draw_figure(payload: tuple[str, tuple[str, ...], tuple[str, ...], str | None]) -> bytes | None:
    """One figure of a batch as PNG bytes (a worker task: it reads the runs itself).

    ``payload`` is ``(figure, run directories, indicators, baseline)``, the figure one of
    :data:`FIGURES`; None when there is nothing to draw (no baseline to differ from, one region).
    """
    figure, dirs, indicators, baseline = payload
    cmp = build_comparison(read_results([Path(d) for d in dirs], list(indicators)), baseline=baseline)
    with tempfile.TemporaryDirectory(prefix="sim-dashboard-") as d:
        path = Path(d) / f"{figure}.png"
        if figure == "levels":
            drawn = draw_levels(cmp, path)
        elif figure == "differences":
            drawn = draw_differences(cmp, path)
        elif figure == "regions":
            regional = regional_or_note(cmp)
            drawn = draw_regions(regional, path) if regional is not None else None
        else:
            raise ValueError(f"unknown figure {figure!r}; expected one of {', '.join(FIGURES)}")
        return drawn.read_bytes() if drawn is not None else None


def build_view(batch: Batch, indicators: list[str], *, regions: bool = True, executor=None) -> View:
    """Read the batch's runs and draw what the page shows.

    Args:
        batch: the runs.
        indicators: the indicators shown.
        regions: also the regions (for a city with several).
        executor: an object with ``submit(fn, payload) -> Future`` (a
            :class:`~simulator.experiment.executors.LocalExecutor`) to draw the figures on, side by
            side and away from the page's process (default: drawn here, one after another).

    Raises:
        ResultsError: no indicator chosen, an unknown one, or no run left to compare (every run
            of a scenario failed its accounting checks).
    """
    if not indicators:
        raise ResultsError("choose at least one indicator")
    results = read_results(list(batch.dirs), list(indicators))
    cmp = build_comparison(results, baseline=batch.baseline)
    notes = [f"left out {where}, a run that failed its checks: {why}" for where, why in results.excluded]
    regional = regional_or_note(cmp) if regions else None
    notes += cmp.notes
    wanted = ["levels", "differences"] + (["regions"] if regional is not None else [])
    payloads = [(f, tuple(str(d) for d in batch.dirs), tuple(indicators), batch.baseline) for f in wanted]
    if executor is None:
        pngs = [draw_figure(p) for p in payloads]
    else:
        futures = [executor.submit(draw_figure, p) for p in payloads]
        pngs = [f.result() for f in futures]
    drawn = dict(zip(wanted, pngs, strict=True))
    cjk = style.cjk_font() is not None
    return View(
        cmp=cmp,
        levels_png=drawn["levels"],
        differences_png=drawn["differences"],
        summary=summary_rows(cmp, cjk=True),
        regional=regional,
        regions_png=drawn.get("regions"),
        regions_table=regional_rows(regional, cjk=True) if regional is not None else None,
        notes=notes if cjk else [*notes, "no CJK font for the figures: their Chinese text is left out"],
    )


def report_html(view: View) -> str:
    """``sim report``'s self-contained HTML file of the view's runs (its own figures and font)."""
    levels = base64.b64encode(view.levels_png).decode("ascii")
    diff = base64.b64encode(view.differences_png).decode("ascii") if view.differences_png else None
    return render_report(view.cmp, figures=(levels, diff), regional=view.regional)


UNIT_WORDS = "万人 万户 万元 亿元"
"""The Chinese unit words of the table (:func:`simulator.analysis.style.display_scale`)."""


def page_font_css(texts: list[str]) -> str:
    """The ``@font-face`` rule of the CJK font subset to the characters of ``texts`` and of the
    table's unit words (the report's font, :mod:`simulator.analysis.webfont`); empty if the
    font is not installed."""
    return webfont.font_face_css(" ".join([*texts, UNIT_WORDS]))
