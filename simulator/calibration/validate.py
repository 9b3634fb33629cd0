"""Validation of a fitted model: re-run it and compare it with every observed figure.

``sim calibrate --validate RESULT_DIR`` runs the result's ``fitted.yaml`` (the
whole run of the base scenario, not only the fitted years) on the report's
seeds and compares it with every observed figure that has a model counterpart
(the calibration's observed file, plus the spec's own targets), marking which
were fitted (weight above 0) and which were not. It writes, each atomically,

``validation.csv``
    Per figure: id, indicator, year, kind, observed, fitted (yes/no), quality,
    simulated median and 5-95% band across seeds, median / observed.
``validation.png``
    One panel per indicator (and kind): the simulated median and band over the
    run's years, the observed figures as dots (filled: fitted, open: not
    fitted), and a line at the last fitted year.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.calibration.driver import (
    FORMAT,
    MANIFEST_FILE,
    CalibrationError,
)
from simulator.calibration.report import BAND, FITTED_FILE, _csv_text, save_png
from simulator.experiment.files import read_json, write_atomic

VALIDATION_CSV = "validation.csv"
VALIDATION_PLOT = "validation.png"


@dataclass(frozen=True)
class Figure:
    """An observed figure to compare with the fitted model."""

    id: str
    indicator: str
    year: int
    kind: str
    observed: float
    fitted: bool
    quality: str
    source: str


@dataclass(frozen=True)
class SeriesPayload:
    """One validation run: the fitted scenario file, a seed, the indicators wanted."""

    scenario_file: str
    seed: int
    indicators: tuple[str, ...]


def run_series(payload: SeriesPayload) -> dict[str, list[float]]:
    """Run the fitted scenario with one seed; return the wanted indicators by year."""
    from simulator.experiment.run import indicator_columns, simulate
    from simulator.scenario.loader import load_scenario

    scenario = load_scenario(payload.scenario_file, seed=payload.seed)
    model, _ = simulate(scenario)
    cols = indicator_columns(model)
    return {k: [float(x) for x in cols[k]] for k in ("year",) + payload.indicators}


@dataclass
class ValidationSummary:
    directory: Path
    figures: int
    fitted: int
    within_band: int
    runs: int
    executor: str


def figures_of(result_dir: Path, manifest: dict[str, Any]) -> list[Figure]:
    """Every observed figure with a model counterpart, fitted ones marked."""
    from simulator.calibration.observed import ObservedFileError, read_observed

    targets = manifest.get("result", {}).get("targets", [])
    weights = {t["id"]: t["weight"] for t in targets}
    out: list[Figure] = []
    seen: set[str] = set()
    rel = manifest.get("observed_file")
    if rel:
        path = result_dir / rel
        try:
            observed = read_observed(path)
        except ObservedFileError as exc:
            raise CalibrationError(f"the calibration's observed file cannot be read: {exc}") from None
        for f in observed.values():
            if f.comparable:
                out.append(Figure(f.id, f.model_indicator, f.year, f.kind, f.model_value, weights.get(f.id, 0) > 0, f.quality, f.source))
                seen.add(f.id)
    for t in targets:  # targets given in the spec itself
        if t["id"] not in seen:
            out.append(Figure(t["id"], t["indicator"], t["year"], t["kind"], t["observed"], t["weight"] > 0, "", "spec"))
    return out


def _value(series: dict[str, list[float]], f: Figure) -> float:
    from simulator.analysis.fit import TargetError, simulated_value

    cols = {k: np.asarray(v) for k, v in series.items()}
    try:
        return float(simulated_value(cols, f.indicator, f.year, f.kind))
    except TargetError:
        return float("nan")


def validate_result(
    result_dir: str | os.PathLike[str],
    *,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    start_method: str | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> ValidationSummary:
    """Re-run a fitted model on the report's seeds and compare it with every observed figure.

    Raises:
        CalibrationError: If *result_dir* is not a complete calibration result.
        ScenarioError: If its ``fitted.yaml`` (or what it extends) no longer validates.
    """
    from simulator.experiment.executors import make_executor
    from simulator.scenario.loader import load_scenario

    emit = on_event or (lambda e: None)
    d = Path(result_dir)
    manifest = read_json(d / MANIFEST_FILE)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CalibrationError(f"{d} is not a calibration result directory (no readable {MANIFEST_FILE})")
    if manifest.get("panel"):
        raise CalibrationError(
            f"{d} is a panel calibration: its report.md has the fit city by city, and each city's fitted model "
            f"runs with `sim run {d / 'fitted' / '<city>.yaml'}`; --validate checks a calibration of one base scenario"
        )
    if manifest.get("status") != "complete" or not (d / FITTED_FILE).is_file():
        raise CalibrationError(f"{d}: the calibration is not complete (run `sim calibrate` on its spec again to finish it)")
    scenario_file = os.fspath(d / FITTED_FILE)
    scenario = load_scenario(scenario_file)  # clear errors now rather than in every worker
    figures = figures_of(d, manifest)
    if not figures:
        raise CalibrationError(f"{d}: no observed figure to compare with")
    last_fit_year = max((f.year for f in figures if f.fitted), default=None)
    indicators: list[str] = []
    for f in figures:
        for name in (f.indicator, f.kind.split(":", 1)[1] if f.kind.startswith("ratio_to:") else None):
            if name and name not in indicators:
                indicators.append(name)
    seeds = list(manifest["seeds"]["report"])
    runs: list[dict[str, list[float]]] = []
    with make_executor(executor, workers, scheduler, start_method=start_method) as ex:
        description = ex.describe()
        emit({"event": "start", "runs": len(seeds), "executor": description})
        tasks = [(k, SeriesPayload(scenario_file, s, tuple(indicators))) for k, s in enumerate(seeds)]
        by_key: dict[int, dict[str, list[float]]] = {}
        for outcome in ex.map_unordered(run_series, tasks):
            if not outcome.ok:
                raise CalibrationError(f"a validation run failed: {outcome.error}")
            by_key[outcome.key] = outcome.result
            emit({"event": "run"})
        runs = [by_key[k] for k in range(len(seeds))]

    rows = []
    within = 0
    stats = []
    for f in figures:
        vals = np.array([_value(r, f) for r in runs])
        med = float(np.median(vals))
        lo, hi = (float(x) for x in np.percentile(vals, BAND))
        inside = lo <= f.observed <= hi
        within += inside
        stats.append((med, lo, hi))
        rows.append([f.id, f.indicator, f.year, f.kind, f.observed, "yes" if f.fitted else "no", f.quality, med, lo, hi,
                     med / f.observed if f.observed else None, "yes" if inside else "no"])
    write_atomic(
        d / VALIDATION_CSV,
        _csv_text(["id", "indicator", "year", "kind", "observed", "fitted", "quality", "median", "p05", "p95", "ratio", "observed_in_band"], rows),
    )
    plot_validation(d / VALIDATION_PLOT, figures, runs, scenario.name, last_fit_year)
    return ValidationSummary(d, len(figures), sum(f.fitted for f in figures), within, len(runs), description)


def _panel_series(runs: list[dict[str, list[float]]], indicator: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    years = np.asarray(runs[0]["year"], dtype=int)
    a = np.array([r[indicator] for r in runs], dtype=float)
    if kind.startswith("ratio_to:"):
        a = a / np.array([r[kind.split(":", 1)[1]] for r in runs], dtype=float)
    elif kind.startswith("avg_growth_since:"):
        y0 = int(kind.split(":", 1)[1])
        a = a / a[:, list(years).index(y0)][:, None]
        keep = years >= y0
        return years[keep], a[:, keep]
    return years, a


def plot_validation(out: Path, figures: list[Figure], runs, name: str, last_fit_year: int | None) -> None:
    """The validation figure: one panel per indicator and kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[tuple[str, str], list[Figure]] = {}
    for f in figures:
        groups.setdefault((f.indicator, f.kind), []).append(f)
    n = len(groups)
    cols = min(4, n)
    nrows = math.ceil(n / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.6 * cols, 2.6 * nrows), squeeze=False)
    for ax, ((indicator, kind), figs) in zip(axes.flat, groups.items(), strict=False):
        years, a = _panel_series(runs, indicator, kind)
        ax.fill_between(years, np.percentile(a, BAND[0], axis=0), np.percentile(a, BAND[1], axis=0), color="tab:blue", alpha=0.25, lw=0)
        ax.plot(years, np.median(a, axis=0), color="tab:blue", lw=1.2)
        for f in figs:
            y = f.observed
            if kind.startswith("avg_growth_since:"):
                y = (1.0 + f.observed) ** (f.year - int(kind.split(":", 1)[1]))
            ax.plot([f.year], [y], "o", ms=5, color="black", mfc="black" if f.fitted else "white", zorder=3)
        if last_fit_year is not None:
            ax.axvline(last_fit_year, color="grey", lw=0.8, ls=":")
        title = indicator
        if kind.startswith("ratio_to:"):
            title += f" / {kind.split(':', 1)[1]}"
        elif kind.startswith("avg_growth_since:"):
            title += f" (index, {kind.split(':', 1)[1]} = 1)"
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.get_offset_text().set_fontsize(7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(
        f"{name}: simulated median and {BAND[1] - BAND[0]:.0f}% band ({len(runs)} seeds); observed: "
        "filled = fitted, open = not fitted; dotted line: last fitted year",
        fontsize=9,
    )
    fig.tight_layout()
    try:
        save_png(fig, out)
    finally:
        plt.close(fig)
