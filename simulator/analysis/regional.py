"""The regions of a city side by side: ``sim compare --regions`` and the report's Regions section.

A :class:`RegionalComparison` is built on a city-wide
:class:`~simulator.analysis.compare.Comparison` (the same scenarios, baseline,
colours, years and table years) from each run's ``regions.parquet`` (long
format: ``region, year, indicator, value``; units in
:data:`simulator.model.regions.REGION_INDICATOR_UNITS`) and the regions listed
in its ``manifest.json``. It holds, per region, the same statistics as the
city-wide comparison (:func:`~simulator.analysis.compare.quantile_bands`,
:func:`~simulator.analysis.compare.paired_differences`,
:func:`~simulator.analysis.compare.summary_table`): bands across seeds, paired
differences from the baseline, and the summary at the table years.

Only run directories carry regions; a sweep stores each run's city-wide
indicators only, so the regions of a sweep are not read (a clear error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulator.analysis.compare import (
    SUMMARY_COLUMNS,
    Comparison,
    paired_differences,
    quantile_bands,
    summary_table,
)
from simulator.analysis.load import (
    ResultsError,
    _read_parquet,
    _units_from_schema,
    check_indicators,
)
from simulator.model.regions import REGION_INDICATOR_UNITS

REGIONS_FILE = "regions.parquet"
DEFAULT_REGION_INDICATORS = ("population", "jobs", "unemployed_persons", "gdp_total")
REGION_COLUMNS = ("region", "year", "indicator", "value")
REGIONAL_LONG_COLUMNS = ("scenario", "run_id", "seed", "seed_index", "region", "year", "indicator", "value")
REGIONAL_SUMMARY_COLUMNS = ("region", "region_zh", *SUMMARY_COLUMNS)
WHAT = "regional indicator"


@dataclass(frozen=True)
class Region:
    """A district or county as a run's manifest lists it."""

    name: str
    name_zh: str
    kind: str  # "district" or "county"

    @property
    def title(self) -> str:
        """``Fuxin county 阜新蒙古族自治县``: the name made readable, with the Chinese name."""
        return f"{self.name.replace('_', ' ').capitalize()} {self.name_zh}".strip()


@dataclass
class RegionalComparison:
    """The scenarios of a comparison, region by region.

    Attributes:
        cmp: the city-wide comparison it is built on.
        regions: the city's regions, in the order of its scenario file.
        indicators: the regional indicators compared.
        units: indicator -> unit.
        table: the tidy table, columns :data:`REGIONAL_LONG_COLUMNS`.
        bands: quantiles across seeds, columns scenario, region, indicator, year, n, q05..q95.
        differences: quantiles of the paired differences from the baseline (same columns).
        summary: each region, indicator, scenario and table year, columns :data:`REGIONAL_SUMMARY_COLUMNS`.
    """

    cmp: Comparison
    regions: list[Region]
    indicators: list[str]
    units: dict[str, str]
    table: pd.DataFrame
    bands: pd.DataFrame
    differences: pd.DataFrame
    summary: pd.DataFrame


def check_region_indicators(names: list[str] | None) -> list[str]:
    """The regional indicators asked for (default :data:`DEFAULT_REGION_INDICATORS`), with a did-you-mean.

    Raises:
        ResultsError: a name is not a regional indicator.
    """
    return check_indicators(names, list(REGION_INDICATOR_UNITS), what=WHAT) if names else list(DEFAULT_REGION_INDICATORS)


def display_unit(unit: str) -> str:
    """A regional unit as axes and tables show it: ``"yuan/year (value added by firms in the region)"``
    -> ``"yuan/year"``, ``"persons employed by firms in the region"`` -> ``"persons"`` (the titles say what)."""
    unit = re.sub(r"\s*\(.*?\)", "", unit).strip()
    return "persons" if unit.startswith("persons employed") else unit


def check_no_sweeps(paths: list[Path]) -> None:
    """Fail early (before scenario files are run) if an input is or holds a sweep.

    Raises:
        ResultsError: a sweep among the inputs.
    """
    from simulator.analysis.load import find_result_dirs

    for p in paths:
        if Path(p).is_dir():
            sweeps = [d for kind, d in find_result_dirs(Path(p)) if kind == "sweep"]
            if sweeps:
                raise ResultsError(_sweep_message(str(sweeps[0])))


def _sweep_message(where: str) -> str:
    return (
        f"regions: {where} is a sweep, and the regions of a sweep are not read (a sweep stores the city's "
        "indicators only); compare run directories or scenario files instead"
    )


def run_regions(manifest: dict) -> list[Region]:
    """The regions a run's manifest lists (empty for a run made before regions were recorded)."""
    return [Region(r["name"], r.get("name_zh", ""), r.get("kind", "")) for r in manifest.get("regions") or []]


def has_several_regions(cmp: Comparison) -> bool:
    """Whether any run of the comparison is of a city with more than one region."""
    return any(len(run_regions(r.manifest)) > 1 for label in cmp.labels for r in cmp.variant(label).runs)


def _city_regions(cmp: Comparison) -> list[Region]:
    """The regions, the same in every run; raises if a run is from a sweep, lacks them or has others."""
    regions: list[Region] | None = None
    first = ""
    for label in cmp.labels:
        v = cmp.variant(label)
        if v.kind == "sweep":
            raise ResultsError(_sweep_message(f"'{label}' is from {v.source}, which"))
        for r in v.runs:
            if not (r.path / REGIONS_FILE).is_file():
                raise ResultsError(f"{r.path}: no {REGIONS_FILE} (a run made before regions were recorded); run it again")
            mine = run_regions(r.manifest)
            if regions is None:
                regions, first = mine, label
            elif [x.name for x in mine] != [x.name for x in regions]:
                raise ResultsError(
                    f"regions: '{label}' has the regions {', '.join(x.name for x in mine) or '(none)'} and "
                    f"'{first}' has {', '.join(x.name for x in regions) or '(none)'}; compare scenarios of the same regions"
                )
    return regions or []


def read_regional(cmp: Comparison, indicators: list[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every run's regional table (the indicators, the comparison's years) and the units."""
    first, last = cmp.years
    frames, units = [], {}
    for label in cmp.labels:
        for r in cmp.variant(label).runs:
            path = r.path / REGIONS_FILE
            if not units:
                units = _units_from_schema(path)
            df = _read_parquet(path, list(REGION_COLUMNS))
            df = df[df["indicator"].isin(indicators) & df["year"].between(first, last)]
            df.insert(0, "scenario", label)
            df.insert(1, "run_id", r.run_id)
            df.insert(2, "seed", r.seed)
            df.insert(3, "seed_index", pd.NA if r.seed_index is None else r.seed_index)
            frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    table["year"] = table["year"].astype(int)
    table["seed"] = table["seed"].astype("int64")
    table["seed_index"] = table["seed_index"].astype("Int64")
    table["value"] = table["value"].astype(float)
    units = {k: units.get(k) or REGION_INDICATOR_UNITS.get(k, "") for k in indicators}
    return table[list(REGIONAL_LONG_COLUMNS)], units


def build_regional(cmp: Comparison, indicators: list[str] | None = None) -> RegionalComparison:
    """The comparison's scenarios region by region.

    Args:
        cmp: the city-wide comparison (scenarios, baseline, years, table years).
        indicators: regional indicators (default :data:`DEFAULT_REGION_INDICATORS`).

    Raises:
        ResultsError: an unknown indicator, a sweep among the inputs, a run without
            ``regions.parquet``, or scenarios with different regions.
    """
    chosen = check_region_indicators(indicators)
    regions = _city_regions(cmp)
    table, units = read_regional(cmp, chosen)
    variants = {label: cmp.variant(label) for label in cmp.labels}
    keys = ("scenario", "region", "indicator", "year")
    bands = quantile_bands(table, keys)
    if cmp.baseline:
        paired, _ = paired_differences(table, variants, cmp.baseline, keys=("region", "year", "indicator"))
    else:
        paired = table.iloc[0:0].assign(pair=pd.Series(dtype="int64"))
    differences = quantile_bands(paired, keys)
    parts = []
    for region in regions:
        part = summary_table(
            table[table["region"] == region.name], paired[paired["region"] == region.name],
            cmp.labels, cmp.baseline, chosen, cmp.table_years, units,
        )
        part.insert(0, "region", region.name)
        part.insert(1, "region_zh", region.name_zh)
        parts.append(part)
    summary = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(REGIONAL_SUMMARY_COLUMNS))
    return RegionalComparison(
        cmp=cmp, regions=regions, indicators=chosen, units=units, table=table, bands=bands, differences=differences, summary=summary
    )


def regional_or_note(cmp: Comparison, indicators: list[str] | None = None) -> RegionalComparison | None:
    """The regions for the report: built if any run's city has more than one region, else None.

    If they cannot be read (a sweep among the inputs, runs without ``regions.parquet``,
    scenarios with different regions), None and a note in ``cmp.notes`` saying why.
    """
    if not has_several_regions(cmp):
        return None
    try:
        return build_regional(cmp, indicators)
    except ResultsError as e:
        cmp.notes.append(f"the regions are not shown: {e}")
        return None
