"""Indicators: what a run reports, one row per year.

Flows (GDP, revenue, migrants, ...) are summed over the year's months; stocks
(population, employment, debt, housing) are read at the end of December.
Money is in constant yuan of the scenario's ``city.money_base_year``; people
are real persons (rows x scale). The recorder keeps plain Python floats in
a list of dicts (36 rows for 2000-2035); no pandas in the step loop.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from simulator.model import kernels
from simulator.model.regions import RegionalRecorder
from simulator.model.sectors import (
    AGRI,
    EMPLOYED,
    HEAVY_SECTORS,
    N_SECTORS,
    NEW,
    OLD_AGE,
    PUBLIC,
    REHOUSED,
    RETIRED,
    SECTOR_NAMES,
    SHANTYTOWN,
    SUBSIDENCE,
    UNEMPLOYED,
    WORKING_AGES,
    sector_flags,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel


INDICATOR_UNITS: dict[str, str] = {
    "population": "persons",
    "working_age_population": "persons aged 15-59",
    "share_aged_60_plus": "share",
    "employment_total": "persons",
    **{f"employment_{s}": "persons" for s in SECTOR_NAMES},
    "employment_public_units": "persons",
    "unemployed_persons": "persons",
    "unemployment_rate_registered": "share",
    "gdp_total": "yuan/year",
    **{f"gdp_{s}": "yuan/year" for s in SECTOR_NAMES},
    "gdp_per_capita": "yuan/person/year",
    "coal_output_tonnes": "tonnes/year",
    "average_wage": "yuan/year",
    "household_disposable_income_per_capita": "yuan/person/year",
    "gini_household_income": "Gini (0-1)",
    "city_revenue": "yuan/year",
    "land_revenue": "yuan/year",
    "transfers_received": "yuan/year",
    "city_spending": "yuan/year",
    "city_debt": "yuan",
    "self_financing_ratio": "revenue/spending",
    "resource_city_transfer": "yuan/year",
    "fund_co_finance": "yuan/year",
    "shantytown_spending": "yuan/year",
    "shantytown_households": "households",
    "rehoused_households": "households",
    "rehoused_residents": "persons",
    "subsidence_households": "households",
    "shantytown_rehoused_in_year": "households/year",
    "hhi_sector_gdp": "Herfindahl index (0-1)",
    "new_industry_share": "share of GDP",
    "heavy_industry_share": "share of GDP",
    "births": "persons/year",
    "deaths": "persons/year",
    "in_migrants": "persons/year",
    "out_migrants": "persons/year",
    "pension_spending": "yuan/year",
    "ssf_central_subsidy": "yuan/year",
    "dibao_spending": "yuan/year",
    "firms_alive": "firms",
    "mines_open": "mines",
    "firm_entrants": "firms/year",
    "firm_exits": "firms/year",
    "laid_off_by_closures": "persons/year",
    "firm_investment": "yuan/year",
    "subsidence_relocated_in_year": "households/year",
    "subsidence_spending": "yuan/year",
    "mining_area_works_spending": "yuan/year",
    "retirees": "persons",
    "average_pension": "yuan/month per retiree",
    "collective_retirees_enrolled": "persons/year",
    "trainees": "persons/year",
    "training_spending": "yuan/year",
    "unemployed_former_heavy_industry": "persons",
    "welfare_jobs": "persons",
    "social_functions_paid_by_city": "yuan/year",
    "infrastructure_spending": "yuan/year",
    "infrastructure_capital": "yuan",
    "rd_support": "yuan/year",
    "agri_subsidy": "yuan/year",
    "talent_allowance": "yuan/year",
    "talent_households_recruited": "households/year",
    "out_migrants_high_skill": "persons/year",
    "environmental_tax": "yuan/year",
    "ecological_transfer": "yuan/year",
    "resettlement_payments": "yuan/year",
    "stock_flow_max_relative_error": "share of gross flows",
}
"""Every indicator with its unit (the README and the plots read this)."""


def gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Gini coefficient of ``values`` (e.g. income per person, weighted by persons)."""
    keep = weights > 0
    v, w = values[keep], weights[keep].astype(float)
    if len(v) == 0 or v.sum() <= 0:
        return 0.0
    order = np.argsort(v)
    v, w = v[order], w[order]
    cw = np.cumsum(w)
    cvw = np.cumsum(v * w)
    total_w, total_vw = cw[-1], cvw[-1]
    # area under the Lorenz curve by trapezoids
    lorenz_prev = np.r_[0.0, cvw[:-1]] / total_vw
    lorenz = cvw / total_vw
    area = float(np.sum(w / total_w * (lorenz + lorenz_prev) / 2.0))
    return 1.0 - 2.0 * area


def hhi(shares: np.ndarray) -> float:
    """Herfindahl-Hirschman index of shares (summing to 1)."""
    return float(np.sum(shares**2))


class IndicatorRecorder:
    """Accumulates the month's flows and writes one row per year."""

    def __init__(self, model: CityModel) -> None:
        self.rows: list[dict[str, float]] = []
        self._year_flows: defaultdict[str, float] = defaultdict(float)
        self._year_va = np.zeros(N_SECTORS)
        self._year_income = 0.0
        self._sfc_err = 0.0
        self.begin_month(model)
        self.regional = RegionalRecorder(model)

    def begin_month(self, model: CityModel) -> None:
        """Zero the month's accumulators on the model (the mechanisms add to them)."""
        model.month_flows = defaultdict(float)
        model.month_revenue = defaultdict(float)
        model.month_spending = defaultdict(float)
        model.month_va = np.zeros(N_SECTORS)
        model.month_va_region = np.zeros(model.regions.n)
        model.pending_investment = 0.0

    def record_month(self, model: CityModel) -> None:
        yf = self._year_flows
        for k, v in model.month_flows.items():
            yf[k] += v
        yf["city_revenue"] += model.month_revenue["taxes"]
        yf["land_revenue"] += model.month_revenue["land"]
        yf["transfers_received"] += model.month_revenue["transfers"]
        yf["city_spending"] += sum(model.month_spending.values())
        yf["dibao_spending"] += model.month_spending["dibao"]
        for k in ("births", "deaths"):
            yf[k] += model.counts[k]
        yf["in_migrants"] += model.counts["in"]
        yf["out_migrants"] += model.counts["out"]
        self._year_va += model.month_va
        hh = model.households
        income = float(model.hh_income[: hh.n][hh.present[: hh.n]].sum()) * model.scale
        self._year_income += income
        city_row = self._year_row(model) if model.month == 12 else None
        self.regional.record_month(model, income, city_row)
        if city_row is not None:
            self.rows.append(city_row)
            self._year_flows = defaultdict(float)
            self._year_va = np.zeros(N_SECTORS)
            self._year_income = 0.0
            model.max_stock_flow_error_year = 0.0

    def _year_row(self, model: CityModel) -> dict[str, float]:
        S = model.scale
        p, hh, f, gov = model.persons, model.households, model.firms, model.government
        n = p.n
        # counts of the present persons in one pass (kernels.city_person_counts)
        c, by_sector = kernels.city_person_counts(
            p.present[:n], p.age_m[:n], p.status[:n], p.employer[:n], p.exp_sector[:n], p.welfare_job[:n],
            f.sector, f.ownership, N_SECTORS, OLD_AGE, WORKING_AGES[0], WORKING_AGES[1], EMPLOYED, UNEMPLOYED,
            RETIRED, PUBLIC, sector_flags(HEAVY_SECTORS),
        )
        pop = float(c[kernels.CITY_POPULATION]) * S
        row: dict[str, float] = {"year": model.year}
        row["population"] = pop
        row["working_age_population"] = float(c[kernels.CITY_WORKING_AGE]) * S
        row["share_aged_60_plus"] = float(c[kernels.CITY_OLD]) * S / max(pop, 1.0)
        emp_rows = np.flatnonzero(p.status[:n] == EMPLOYED)  # (the employed are all present)
        by_sector = by_sector * S
        row["employment_total"] = float(c[kernels.CITY_EMPLOYED]) * S
        for s, name in enumerate(SECTOR_NAMES):
            row[f"employment_{name}"] = float(by_sector[s])
        row["employment_public_units"] = float(c[kernels.CITY_PUBLIC_EMPLOYED]) * S
        unemp = float(c[kernels.CITY_UNEMPLOYED]) * S
        row["unemployed_persons"] = unemp
        reg = model.scenario.labour.registered_share_of_unemployed * unemp
        nonfarm = row["employment_total"] - float(by_sector[AGRI])
        row["unemployment_rate_registered"] = reg / max(nonfarm + reg, 1.0)
        va = self._year_va
        gdp = float(va.sum())
        row["gdp_total"] = gdp
        for s, name in enumerate(SECTOR_NAMES):
            row[f"gdp_{name}"] = float(va[s])
        row["gdp_per_capita"] = gdp / max(pop, 1.0)
        yf = self._year_flows
        row["coal_output_tonnes"] = yf["coal_output_tonnes"]
        row["average_wage"] = float(p.wage[emp_rows].mean()) * 12.0 if len(emp_rows) else 0.0
        row["household_disposable_income_per_capita"] = self._year_income / max(pop, 1.0)
        members = hh.members[: hh.n]
        inc = model.hh_income[: hh.n]
        ok = hh.present[: hh.n] & (members > 0)
        row["gini_household_income"] = gini(inc[ok] / members[ok], members[ok])
        for k in ("city_revenue", "land_revenue", "transfers_received", "city_spending"):
            row[k] = yf[k]
        row["city_debt"] = gov.debt
        row["self_financing_ratio"] = yf["city_revenue"] / max(yf["city_spending"], 1.0)
        for k in ("resource_city_transfer", "fund_co_finance", "shantytown_spending"):
            row[k] = yf[k]
        housing = hh.housing[: hh.n][hh.present[: hh.n]]
        row["shantytown_households"] = float((housing == SHANTYTOWN).sum()) * S
        row["rehoused_households"] = float((housing == REHOUSED).sum()) * S
        rehoused_hh = hh.present[: hh.n] & (hh.housing[: hh.n] == REHOUSED)
        row["rehoused_residents"] = float(members[rehoused_hh].sum()) * S
        row["subsidence_households"] = float((housing == SUBSIDENCE).sum()) * S
        row["shantytown_rehoused_in_year"] = yf["shantytown_rehoused_households"]
        shares = va / gdp if gdp > 0 else np.zeros(N_SECTORS)
        row["hhi_sector_gdp"] = hhi(shares)
        row["new_industry_share"] = float(shares[NEW])
        row["heavy_industry_share"] = float(shares[list(HEAVY_SECTORS)].sum())
        for k in ("births", "deaths", "in_migrants", "out_migrants", "pension_spending", "ssf_central_subsidy", "dibao_spending"):
            row[k] = yf[k]
        alive = f.alive[: f.n]
        mines = f.is_mine[: f.n]
        ordinary = alive & ~mines
        row["firms_alive"] = float(model.firm_weight[f.sector[: f.n][ordinary]].sum()) + float((alive & mines).sum())
        row["mines_open"] = float((alive & mines).sum())
        row["firm_entrants"] = yf["entrants"]
        row["firm_exits"] = yf["firm_exits"]
        row["laid_off_by_closures"] = yf["laid_off_by_closures"]
        row["firm_investment"] = yf["firm_investment"]
        # programmes of the levers
        row["subsidence_relocated_in_year"] = yf["subsidence_rehoused_households"]
        for k in (
            "subsidence_spending", "mining_area_works_spending", "training_spending", "trainees",
            "social_functions_paid_by_city", "infrastructure_spending", "rd_support", "agri_subsidy",
            "talent_allowance", "talent_households_recruited", "out_migrants_high_skill",
            "environmental_tax", "ecological_transfer", "resettlement_payments",
        ):
            row[k] = yf[k]
        row["retirees"] = float(c[kernels.CITY_RETIRED]) * S
        row["average_pension"] = yf["pension_spending"] / 12.0 / max(row["retirees"], 1.0)
        row["collective_retirees_enrolled"] = yf["collective_enrolled"]
        row["unemployed_former_heavy_industry"] = float(c[kernels.CITY_UNEMPLOYED_FORMER_HEAVY]) * S
        row["welfare_jobs"] = float(c[kernels.CITY_WELFARE_JOBS]) * S
        row["infrastructure_capital"] = model.programmes.infrastructure_stock
        row["stock_flow_max_relative_error"] = model.max_stock_flow_error_year
        return row
