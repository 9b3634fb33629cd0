"""Observed figures with their sources, and how each compares with a model indicator.

The file (``calibration/data/fuxin_observed.csv``) has one row per observed figure:

``id``
    A short stable name (``gdp_2004``) by which calibration specs name the figure.
``indicator, year, value, unit, quality, source, note``
    The figure as published (quality: ``census``, ``official``, ``reported``,
    ``weak`` or ``reported_inflated``, see ``calibration/data/README`` in the docs).
``model_indicator, kind, model_value, derivation``
    Its model counterpart: the indicator, how the simulated value is formed
    (``level``, ``ratio_to:<indicator>``, ``avg_growth_since:<year>``, as in
    :mod:`simulator.analysis.fit`), the observed value in the model's units
    (constant yuan of 2000, shares, persons) and how it was derived. Empty
    when the model has no counterpart (the ``derivation`` says why).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

COLUMNS = (
    "id",
    "indicator",
    "year",
    "value",
    "unit",
    "quality",
    "source",
    "note",
    "model_indicator",
    "kind",
    "model_value",
    "derivation",
)


class ObservedFileError(ValueError):
    """The observed-figures file cannot be read or has a bad row."""


@dataclass(frozen=True)
class ObservedFigure:
    """One row of the observed-figures file."""

    id: str
    indicator: str
    year: int
    value: float
    unit: str
    quality: str
    source: str
    note: str
    model_indicator: str | None
    kind: str | None
    model_value: float | None
    derivation: str

    @property
    def comparable(self) -> bool:
        """True if the model has a counterpart."""
        return self.model_indicator is not None


def read_observed(path: str | os.PathLike[str]) -> dict[str, ObservedFigure]:
    """Read the observed-figures file.

    Returns:
        Figures by id, in file order.

    Raises:
        ObservedFileError: For a missing file, missing columns, a duplicate id or
            a value that is not a number (the message names the line).
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ObservedFileError(f"{path}: missing column(s) {', '.join(missing)}")
            out: dict[str, ObservedFigure] = {}
            for row in reader:
                line = reader.line_num
                fig = _figure(row, f"{path}:{line}")
                if fig.id in out:
                    raise ObservedFileError(f"{path}:{line}: id {fig.id!r} is used twice")
                out[fig.id] = fig
    except OSError as exc:
        raise ObservedFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return out


def _number(text: str, where: str, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ObservedFileError(f"{where}: column {column}: expected a number, got {text!r}") from None


def _figure(row: dict[str, str], where: str) -> ObservedFigure:
    ident = (row["id"] or "").strip()
    if not ident:
        raise ObservedFileError(f"{where}: empty id")
    model_indicator = (row["model_indicator"] or "").strip() or None
    kind = (row["kind"] or "").strip() or None
    model_value = None
    if model_indicator is not None:
        if kind is None or not (row["model_value"] or "").strip():
            raise ObservedFileError(f"{where}: a row with a model_indicator needs kind and model_value")
        model_value = _number(row["model_value"], where, "model_value")
    try:
        year = int(row["year"])
    except ValueError:
        raise ObservedFileError(f"{where}: column year: expected a year, got {row['year']!r}") from None
    return ObservedFigure(
        id=ident,
        indicator=row["indicator"],
        year=year,
        value=_number(row["value"], where, "value"),
        unit=row["unit"],
        quality=row["quality"],
        source=row["source"],
        note=row["note"] or "",
        model_indicator=model_indicator,
        kind=kind,
        model_value=model_value,
        derivation=row["derivation"] or "",
    )
