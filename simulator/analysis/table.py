"""The comparison's summary table as text cells (for the terminal and the HTML report) and as CSV.

The CSV keeps the numbers in the indicators' own units (persons, yuan of the
base year, shares); the text cells show them in the same readable units as
the figures (:func:`simulator.analysis.style.display_scale`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.analysis import style
from simulator.analysis.compare import Comparison
from simulator.analysis.files import atomic_write
from simulator.analysis.regional import RegionalComparison, display_unit

SIGNIFICANT_DIGITS = 3
MAX_DECIMALS = 4


def fmt(x: float, *, ref: float | None = None, sign: bool = False) -> str:
    """``x`` with thousands separators and about three significant digits of ``ref`` (default ``x``)."""
    if x is None or not math.isfinite(x):
        return "n/a"
    r = abs(ref if ref is not None else x)
    decimals = 0 if r == 0 else min(MAX_DECIMALS, max(0, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(r))))
    text = f"{x:+,.{decimals}f}" if sign else f"{x:,.{decimals}f}"
    if text.lstrip("+-").strip("0.,") == "":
        return "0"
    return text


@dataclass
class SummaryCell:
    """One scenario at one year: the level (median across runs) and its difference from the baseline."""

    level: str
    level_interval: str
    difference: str
    difference_interval: str


@dataclass
class SummaryRow:
    indicator: str
    title: str
    unit: str
    scenario: str
    is_baseline: bool
    cells: list[SummaryCell]


def summary_rows(cmp: Comparison, *, cjk: bool = True) -> list[SummaryRow]:
    """The summary table as formatted cells, one row per indicator and scenario."""
    rows: list[SummaryRow] = []
    s = cmp.summary
    for ind in cmp.indicators:
        mine = s[s["indicator"] == ind]
        if mine.empty:
            continue
        magnitude = float(np.nanmax(np.abs(mine[["p05", "p95"]].to_numpy())))
        scale = style.display_scale(cmp.results.units.get(ind, ""), magnitude, money_base_year=cmp.results.money_base_year, cjk=cjk)
        for label in cmp.labels:
            cells = []
            for year in cmp.table_years:
                r = mine[(mine["scenario"] == label) & (mine["year"] == year)]
                if r.empty:
                    cells.append(SummaryCell("n/a", "", "", ""))
                    continue
                cells.append(summary_cell(r.iloc[0], scale.divisor, with_difference=label != cmp.baseline and cmp.baseline is not None))
            rows.append(SummaryRow(ind, style.indicator_title(ind), scale.label, label, label == cmp.baseline, cells))
    return rows


def summary_cell(r, d: float, *, with_difference: bool) -> SummaryCell:
    """One row of a summary table (:data:`~simulator.analysis.compare.SUMMARY_COLUMNS`) as text, divided by ``d``."""
    level = fmt(r["median"] / d)
    interval = f"[{fmt(r['p05'] / d, ref=r['median'] / d)}, {fmt(r['p95'] / d, ref=r['median'] / d)}]" if r["n_runs"] > 1 else ""
    if not with_difference:
        diff, dint = "", ""
    elif r["n_pairs"] == 0:
        diff, dint = "unpaired", ""
    else:
        ref = max(abs(r["diff_p05"]), abs(r["diff_p95"]), abs(r["diff_median"])) / d
        diff = fmt(r["diff_median"] / d, ref=ref, sign=True)
        dint = f"[{fmt(r['diff_p05'] / d, ref=ref, sign=True)}, {fmt(r['diff_p95'] / d, ref=ref, sign=True)}]" if r["n_pairs"] > 1 else ""
    return SummaryCell(level, interval, diff, dint)


@dataclass
class RegionalRow:
    """One region and scenario at one year: a cell per regional indicator."""

    region: str  # the readable title, e.g. "Haizhou 海州区"
    kind: str
    scenario: str
    is_baseline: bool
    cells: list[SummaryCell]


def regional_rows(rc: RegionalComparison, year: int | None = None, *, cjk: bool = True) -> tuple[int, list[tuple[str, str]], list[RegionalRow]]:
    """The regional summary at one year (default: the last table year) as text cells.

    Returns:
        The year, the columns as (indicator title, unit label), and one row per region and scenario.
    """
    cmp = rc.cmp
    year = cmp.table_years[-1] if year is None else year
    s = rc.summary[rc.summary["year"] == year]
    columns, scales = [], {}
    for ind in rc.indicators:
        mine = s[s["indicator"] == ind]
        magnitude = float(np.nanmax(np.abs(mine[["p05", "p95"]].to_numpy()))) if len(mine) else 0.0
        scales[ind] = style.display_scale(display_unit(rc.units.get(ind, "")), magnitude, money_base_year=cmp.results.money_base_year, cjk=cjk)
        columns.append((style.indicator_title(ind), scales[ind].label))
    by_key = {(r.region, r.scenario, r.indicator): r for r in s.itertuples(index=False)}
    rows = []
    for region in rc.regions:
        for label in cmp.labels:
            cells = []
            for ind in rc.indicators:
                r = by_key.get((region.name, label, ind))
                if r is None:
                    cells.append(SummaryCell("n/a", "", "", ""))
                    continue
                cells.append(summary_cell(r._asdict(), scales[ind].divisor, with_difference=label != cmp.baseline and cmp.baseline is not None))
            title = region.title if cjk else style.strip_cjk(region.title)
            rows.append(RegionalRow(title, region.kind, label, label == cmp.baseline, cells))
    return year, columns, rows


def write_csv(cmp: Comparison, path: Path) -> Path:
    """Write the summary table (numbers in the indicators' own units) to ``path``, atomically."""
    return atomic_write(path, summary_csv(cmp))


def summary_csv(cmp: Comparison) -> str:
    """The summary table as CSV text (numbers in the indicators' own units, 10 significant digits)."""
    return cmp.summary.to_csv(index=False, float_format="%.10g")


def regional_csv(rc: RegionalComparison) -> str:
    """The regional summary as CSV text (numbers in the indicators' own units, 10 significant digits)."""
    return rc.summary.to_csv(index=False, float_format="%.10g")
