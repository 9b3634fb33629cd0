"""The summary table printed by ``sim run``: key indicators at chosen years."""

from __future__ import annotations

import numpy as np

SUMMARY_YEARS = (2000, 2005, 2010, 2015, 2020, 2025, 2030, 2035)

# (indicator, label, divisor, format)
SUMMARY_ROWS: tuple[tuple[str, str, float, str], ...] = (
    ("population", "Population (10k persons)", 1e4, "{:.1f}"),
    ("share_aged_60_plus", "Aged 60+ (%)", 0.01, "{:.1f}"),
    ("employment_total", "Employment (10k)", 1e4, "{:.1f}"),
    ("employment_coal_mining", "  coal mining (10k)", 1e4, "{:.2f}"),
    ("employment_agriculture", "  agriculture (10k)", 1e4, "{:.1f}"),
    ("employment_services", "  services (10k)", 1e4, "{:.1f}"),
    ("employment_new_industry", "  new industries (10k)", 1e4, "{:.2f}"),
    ("unemployment_rate_registered", "Registered unemployment (%)", 0.01, "{:.1f}"),
    ("gdp_total", "GDP (100m yuan)", 1e8, "{:.1f}"),
    ("gdp_per_capita", "GDP per person (yuan)", 1.0, "{:,.0f}"),
    ("coal_output_tonnes", "Coal output (Mt)", 1e6, "{:.2f}"),
    ("average_wage", "Average wage (yuan/yr)", 1.0, "{:,.0f}"),
    ("household_disposable_income_per_capita", "Disposable income/person (yuan/yr)", 1.0, "{:,.0f}"),
    ("gini_household_income", "Gini of household income", 1.0, "{:.3f}"),
    ("city_revenue", "City own revenue (100m yuan)", 1e8, "{:.2f}"),
    ("transfers_received", "Transfers received (100m yuan)", 1e8, "{:.2f}"),
    ("city_spending", "City spending (100m yuan)", 1e8, "{:.2f}"),
    ("city_debt", "City debt (100m yuan)", 1e8, "{:.2f}"),
    ("self_financing_ratio", "Self-financing ratio", 1.0, "{:.2f}"),
    ("shantytown_households", "Shantytown households (10k)", 1e4, "{:.2f}"),
    ("new_industry_share", "New-industry share of GDP (%)", 0.01, "{:.1f}"),
    ("hhi_sector_gdp", "Sector concentration (HHI)", 1.0, "{:.3f}"),
    ("out_migrants", "Out-migrants (10k/yr)", 1e4, "{:.2f}"),
    ("in_migrants", "In-migrants (10k/yr)", 1e4, "{:.2f}"),
)


def summary_rows(columns: dict[str, np.ndarray], years=SUMMARY_YEARS) -> tuple[list[int], list[list[str]]]:
    """Formatted cells: the years present in the run, and one row per indicator."""
    run_years = [int(y) for y in columns["year"]]
    shown = [y for y in years if y in run_years] or run_years[-1:]
    idx = [run_years.index(y) for y in shown]
    rows = []
    for key, label, div, fmt in SUMMARY_ROWS:
        vals = columns[key]
        rows.append([label] + [fmt.format(vals[i] / div) for i in idx])
    return shown, rows


# the regional table printed after a run of a city with several regions: (indicator, label, divisor, format)
REGION_SUMMARY_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("population", "Pop.\n(10k)", 1e4, "{:.1f}"),
    ("share_aged_60_plus", "60+\n(%)", 0.01, "{:.1f}"),
    ("jobs", "Jobs\n(10k)", 1e4, "{:.1f}"),
    ("unemployed_persons", "Unemp.\n(10k)", 1e4, "{:.2f}"),
    ("gdp_total", "GDP\n(100m\nyuan)", 1e8, "{:.1f}"),
    ("moved_in", "In\n(10k)", 1e4, "{:.2f}"),
    ("moved_out", "Out\n(10k)", 1e4, "{:.2f}"),
)


def region_summary_rows(regions: dict[str, np.ndarray], names: list[tuple[str, str, str]]) -> tuple[int, list[str], list[list[str]]]:
    """The regions in the run's last year, as formatted cells.

    Args:
        regions: the regional table's columns (``region, year, indicator, value``).
        names: ``(name, name_zh, kind)`` of each region, in order (the manifest's ``regions``).

    Returns:
        The year, the column labels, and one row per region: its name (English and
        Chinese, and whether district or county), then :data:`REGION_SUMMARY_COLUMNS`.
    """
    year = int(regions["year"].max())
    at = regions["year"] == year
    value = {(str(r), str(i)): float(v) for r, i, v in zip(regions["region"][at], regions["indicator"][at], regions["value"][at], strict=True)}
    rows = []
    for name, name_zh, kind in names:
        label = f"{name.replace('_', ' ').capitalize()} {name_zh}".strip() + (f"\n{kind}" if kind else "")
        rows.append([label] + [fmt.format(value[(name, key)] / div) if (name, key) in value else "n/a" for key, _, div, fmt in REGION_SUMMARY_COLUMNS])
    return year, [label for _, label, _, _ in REGION_SUMMARY_COLUMNS], rows
