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


def build_view(batch: Batch, indicators: list[str], *, regions: bool = True) -> View:
    """Read the batch's runs and draw what the page shows.

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
    with tempfile.TemporaryDirectory(prefix="sim-dashboard-") as d:
        tmp = Path(d)
        levels = draw_levels(cmp, tmp / "levels.png").read_bytes()
        diff_path = draw_differences(cmp, tmp / "differences.png")
        differences = diff_path.read_bytes() if diff_path is not None else None
        regions_png = draw_regions(regional, tmp / "regions.png").read_bytes() if regional is not None else None
    cjk = style.cjk_font() is not None
    return View(
        cmp=cmp,
        levels_png=levels,
        differences_png=differences,
        summary=summary_rows(cmp, cjk=True),
        regional=regional,
        regions_png=regions_png,
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
