"""Fit of a run to observed figures: observed vs simulated, target by target.

Targets live in a CSV (``calibration/data/<city>_targets.csv``, e.g.
``fuxin_targets.csv``) with columns
``indicator, year, kind, observed, unit, in_fit, source, derivation``. The
``kind`` says how the simulated value is formed from the run's indicators:

* ``level``: the indicator in that year;
* ``ratio_to:<other>``: the indicator divided by another indicator, same year;
* ``avg_growth_since:<year0>``: average annual growth from ``year0`` to the year.

Observed money is converted to the scenario's constant yuan in the CSV itself
(see its ``derivation`` column). ``in_fit`` marks the figures used for the
(hand) calibration; the others (e.g. Liaoning's inflated 2011-2014 fiscal
figures) are shown for comparison only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class FitRow:
    indicator: str
    year: int
    kind: str
    observed: float
    simulated: float
    unit: str
    in_fit: bool
    source: str

    @property
    def ratio(self) -> float:
        return self.simulated / self.observed if self.observed else float("nan")


class TargetError(ValueError):
    """A target names an indicator or year the run does not have."""


TARGETS_DIR = Path("calibration") / "data"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def default_targets(city: str) -> Path | None:
    """The city's targets file, ``calibration/data/<city>_targets.csv``, in the working
    directory or the source tree (None if it has none)."""
    from simulator.experiment.paths import path_slug

    if path_slug(city.lower()) != city.lower():
        return None  # not an ordinary name (a path, ..): no file is looked for under it
    name = f"{city.lower()}_targets.csv"
    for root in (Path.cwd(), PACKAGE_ROOT):
        if (root / TARGETS_DIR / name).is_file():
            return root / TARGETS_DIR / name
    return None


def targets_in_run(columns: dict[str, np.ndarray], targets: list[dict[str, str]]) -> tuple[list[dict[str, str]], int]:
    """The targets whose years (and base year of a growth rate) the run covers, and how many were left out
    (e.g. the 2000-2009 figures for a run that starts from the 2010 census)."""
    years = {int(y) for y in columns["year"]}
    kept = []
    for t in targets:
        needed = {int(t["year"])}
        if t["kind"].startswith("avg_growth_since:"):
            needed.add(int(t["kind"].split(":", 1)[1]))
        if needed <= years:
            kept.append(t)
    return kept, len(targets) - len(kept)


def read_targets(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def simulated_value(columns: dict[str, np.ndarray], indicator: str, year: int, kind: str) -> float:
    years = [int(y) for y in columns["year"]]

    def at(name: str, y: int) -> float:
        if name not in columns:
            raise TargetError(f"unknown indicator '{name}'")
        if y not in years:
            raise TargetError(f"year {y} is not in the run ({years[0]}-{years[-1]})")
        return float(columns[name][years.index(y)])

    if kind == "level":
        return at(indicator, year)
    if kind.startswith("ratio_to:"):
        return at(indicator, year) / at(kind.split(":", 1)[1], year)
    if kind.startswith("avg_growth_since:"):
        y0 = int(kind.split(":", 1)[1])
        return (at(indicator, year) / at(indicator, y0)) ** (1.0 / (year - y0)) - 1.0
    raise TargetError(f"unknown kind '{kind}'")


def fit_table(columns: dict[str, np.ndarray], targets: list[dict[str, str]]) -> list[FitRow]:
    """Observed vs simulated for every target."""
    rows = []
    for t in targets:
        year = int(t["year"])
        rows.append(
            FitRow(
                indicator=t["indicator"],
                year=year,
                kind=t["kind"],
                observed=float(t["observed"]),
                simulated=simulated_value(columns, t["indicator"], year, t["kind"]),
                unit=t["unit"],
                in_fit=t["in_fit"].strip().lower() == "yes",
                source=t["source"],
            )
        )
    return rows


def fit_score(rows: list[FitRow]) -> float:
    """Root mean square of log(simulated/observed) over the targets in the fit."""
    logs = [np.log(r.ratio) for r in rows if r.in_fit and r.ratio > 0]
    return float(np.sqrt(np.mean(np.square(logs)))) if logs else float("nan")
