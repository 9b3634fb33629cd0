"""Indicators: what a run reports, one row per year.

Flows (GDP, revenue, migrants, ...) are summed over the year's months; stocks
(population, employment, debt, housing) are read at the end of December.
Money is in constant yuan of the scenario's ``city.money_base_year``; people
are real persons (rows x scale). The recorder keeps plain Python floats in
a list of dicts (36 rows for 2000-2035); no pandas in the step loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.model import kernels, registration
from simulator.model.regions import RegionalRecorder
from simulator.model.sectors import (
    AGRI,
    EMPLOYED,
    HEAVY_SECTORS,
    INFORMAL,
    N_SECTORS,
    NEW,
    OLD_AGE,
    PUBLIC,
    REHOUSED,
    RETIRED,
    SECONDARY_SECTORS,
    SECTOR_NAMES,
    SERV,
    SHANTYTOWN,
    SUBSIDENCE,
    UNEMPLOYED,
    WORKING_AGES,
    YOUNG_ADULT_AGES,
    sector_flags,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel


YEAR_SUM, YEAR_MEAN, DECEMBER, DERIVED = "year_sum", "year_mean", "december", "derived"
"""How a yearly value is made: the sum of the months' flows, their mean, the stock at the end of
December, or computed from other figures of the year (a ratio, a mean, a share)."""


@dataclass(frozen=True)
class Indicator:
    """One indicator of the yearly table, declared once: the Parquet schema's units, the plots'
    and tables' titles and the documentation all come from here.

    Attributes:
        name: the column of ``indicators.parquet``.
        unit: its unit (money in constant yuan of the scenario's ``city.money_base_year``).
        title: a readable title for figures and tables.
        aggregation: :data:`YEAR_SUM`, :data:`YEAR_MEAN`, :data:`DECEMBER` or :data:`DERIVED`.
    """

    name: str
    unit: str
    title: str
    aggregation: str


INDICATORS: list[Indicator] = [
    Indicator("population", "persons", "Resident population", DECEMBER),
    Indicator("working_age_population", "persons aged 15-59", "Population aged 15-59", DECEMBER),
    Indicator("registered_population", "persons", "Registered (hukou) population: residents registered in the city and those living elsewhere who kept its registration (migration.registration)", DECEMBER),
    Indicator("registered_absent", "persons", "Persons registered in the city who live elsewhere (the census's registered population less its registered residents)", DECEMBER),
    Indicator("residents_registered_elsewhere", "persons", "Residents whose registration (hukou) is outside the city", DECEMBER),
    Indicator("share_aged_60_plus", "share", "Share aged 60+", DERIVED),
    Indicator("employment_total", "persons", "Employment", DECEMBER),
    *(Indicator(f"employment_{s}", "persons", f"Employment in {s.replace('_', ' ')}", DECEMBER) for s in SECTOR_NAMES),
    Indicator("employment_public_units", "persons", "Employment in public units", DECEMBER),
    Indicator("unemployed_persons", "persons", "Unemployed (job seekers not in informal work, registered or not)", DECEMBER),
    Indicator("unemployment_rate_registered", "share", "Registered unemployment rate", DERIVED),
    Indicator("gdp_total", "yuan/year", "GDP (value added)", YEAR_SUM),
    *(Indicator(f"gdp_{s}", "yuan/year", f"GDP of {s.replace('_', ' ')}", YEAR_SUM) for s in SECTOR_NAMES),
    Indicator("gdp_per_capita", "yuan/person/year", "GDP per person", DERIVED),
    Indicator("coal_output_tonnes", "tonnes/year", "Coal output", YEAR_SUM),
    Indicator("average_wage", "yuan/year", "Average wage", DERIVED),
    Indicator("household_disposable_income_per_capita", "yuan/person/year", "Disposable income per person", DERIVED),
    Indicator("gini_household_income", "Gini (0-1)", "Gini of household income per person", DERIVED),
    Indicator("city_revenue", "yuan/year", "City own revenue", YEAR_SUM),
    Indicator("land_revenue", "yuan/year", "City land revenue", YEAR_SUM),
    Indicator("transfers_received", "yuan/year", "Transfers received by the city", YEAR_SUM),
    Indicator("city_spending", "yuan/year", "City spending", YEAR_SUM),
    Indicator("city_debt", "yuan", "City debt (stock)", DECEMBER),
    Indicator("self_financing_ratio", "revenue/spending", "Self-financing ratio (revenue / spending)", DERIVED),
    Indicator("resource_city_transfer", "yuan/year", "Resource-exhausted city transfer", YEAR_SUM),
    Indicator("fund_co_finance", "yuan/year", "Industry fund co-finance", YEAR_SUM),
    Indicator("shantytown_spending", "yuan/year", "Shantytown renovation spending", YEAR_SUM),
    Indicator("shantytown_households", "households", "Households in shantytowns", DECEMBER),
    Indicator("rehoused_households", "households", "Rehoused households", DECEMBER),
    Indicator("rehoused_residents", "persons", "Rehoused residents", DECEMBER),
    Indicator("subsidence_households", "households", "Households in subsidence areas", DECEMBER),
    Indicator("shantytown_rehoused_in_year", "households/year", "Shantytown rehoused in year", YEAR_SUM),
    Indicator("hhi_sector_gdp", "Herfindahl index (0-1)", "Sector concentration of GDP (HHI)", DERIVED),
    Indicator("new_industry_share", "share of GDP", "New-industry share of GDP", DERIVED),
    Indicator("heavy_industry_share", "share of GDP", "Coal and coal-dependent share of GDP", DERIVED),
    Indicator("births", "persons/year", "Births", YEAR_SUM),
    Indicator("deaths", "persons/year", "Deaths", YEAR_SUM),
    Indicator("in_migrants", "persons/year", "In-migrants", YEAR_SUM),
    Indicator("out_migrants", "persons/year", "Out-migrants", YEAR_SUM),
    Indicator("pension_spending", "yuan/year", "Pension spending", YEAR_SUM),
    Indicator("ssf_central_subsidy", "yuan/year", "Ssf central subsidy", YEAR_SUM),
    Indicator("dibao_spending", "yuan/year", "Dibao spending", YEAR_SUM),
    Indicator("firms_alive", "firms", "Firms alive", DECEMBER),
    Indicator("mines_open", "mines", "Mines open", DECEMBER),
    Indicator("firm_entrants", "firms/year", "Firm entrants", YEAR_SUM),
    Indicator("firm_exits", "firms/year", "Firm exits", YEAR_SUM),
    Indicator("laid_off_by_closures", "persons/year", "Laid off by closures", YEAR_SUM),
    Indicator("firm_investment", "yuan/year", "Firm investment", YEAR_SUM),
    Indicator("subsidence_relocated_in_year", "households/year", "Subsidence relocated in year", YEAR_SUM),
    Indicator("subsidence_spending", "yuan/year", "Subsidence spending", YEAR_SUM),
    Indicator("mining_area_works_spending", "yuan/year", "Mining area works spending", YEAR_SUM),
    Indicator("training_spending", "yuan/year", "Training spending", YEAR_SUM),
    Indicator("trainees", "persons/year", "Trainees", YEAR_SUM),
    Indicator("social_functions_paid_by_city", "yuan/year", "Social functions paid by city", YEAR_SUM),
    Indicator("infrastructure_spending", "yuan/year", "Infrastructure spending", YEAR_SUM),
    Indicator("rd_support", "yuan/year", "Rd support", YEAR_SUM),
    Indicator("agri_subsidy", "yuan/year", "Agri subsidy", YEAR_SUM),
    Indicator("talent_allowance", "yuan/year", "Talent allowance", YEAR_SUM),
    Indicator("talent_households_recruited", "households/year", "Talent households recruited", YEAR_SUM),
    Indicator("out_migrants_high_skill", "persons/year", "Out migrants high skill", YEAR_SUM),
    Indicator("environmental_tax", "yuan/year", "Environmental tax", YEAR_SUM),
    Indicator("ecological_transfer", "yuan/year", "Ecological transfer", YEAR_SUM),
    Indicator("resettlement_payments", "yuan/year", "Resettlement payments", YEAR_SUM),
    Indicator("retirees", "persons", "Retirees", DECEMBER),
    Indicator("average_pension", "yuan/month per retiree", "Average pension", DERIVED),
    Indicator("collective_retirees_enrolled", "persons/year", "Collective retirees enrolled", YEAR_SUM),
    Indicator("unemployed_former_heavy_industry", "persons", "Unemployed former heavy industry", DECEMBER),
    Indicator("welfare_jobs", "persons", "Welfare jobs", DECEMBER),
    Indicator("infrastructure_capital", "yuan", "Infrastructure capital", DECEMBER),
    Indicator("stock_flow_max_relative_error", "share of gross flows", "Stock flow max relative error", DERIVED),
    Indicator("dibao_recipients", "persons (monthly average)", "Dibao recipients", YEAR_MEAN),
    Indicator("resource_tax", "yuan/year", "Resource tax", YEAR_SUM),
    Indicator("mines_closed", "mines/year", "Mines closed", YEAR_SUM),
    Indicator("welfare_job_hires", "persons/year", "Hires into public-welfare jobs", YEAR_SUM),
    Indicator("internal_movers", "persons/year", "Moves between the city's regions", YEAR_SUM),
    Indicator("vacancies", "persons (monthly average)", "Unfilled vacancies after hiring", YEAR_MEAN),
    Indicator("city_cash", "yuan", "City cash (stock)", DECEMBER),
    Indicator("surplus_spending", "yuan/year", "City spending out of free cash", YEAR_SUM),
    Indicator("share_aged_20_34", "share", "Share of residents aged 20-34", DECEMBER),
    Indicator("expected_income_ratio", "ratio (monthly average)", "Destinations' expected income over the city's", YEAR_MEAN),
    Indicator("expected_income_ratio_rural", "ratio (monthly average)", "Migrant workers' expected income over farm households'", YEAR_MEAN),
    Indicator("individual_out_migrants", "persons/year", "Persons leaving alone (household stays)", YEAR_SUM),
    Indicator("graduates_staying_away", "persons/year", "University graduates staying away", YEAR_SUM),
    Indicator("return_migrants", "persons/year", "Return migrants", YEAR_SUM),
    Indicator("informal_workers", "persons", "In informal work (job seekers with own-account work)", DECEMBER),
    Indicator("employment_census", "persons", "Employed as the census counts them (jobs and informal work)", DERIVED),
    Indicator("informal_earnings", "yuan/year", "Informal workers' earnings", YEAR_SUM),
    Indicator("early_retirements", "persons/year", "Laid-off state workers retiring early", YEAR_SUM),
    Indicator("job_seekers", "persons", "Job seekers, those in informal work included", DERIVED),
    Indicator("employment_services_census", "persons", "Employment in services as the census counts it (informal work included)", DERIVED),
    Indicator("hires", "persons/year", "Hires into jobs (public-welfare jobs apart)", YEAR_SUM),
    Indicator("hires_from_informal", "persons/year", "Hires of job seekers who were in informal work", YEAR_SUM),
    Indicator("hires_first_job", "persons/year", "Hires of persons with no job on record (school leavers, arrivals, the initially unemployed)", YEAR_SUM),
    Indicator("quits", "persons/year", "Quits (the worker becomes a job seeker; public-welfare jobs included)", YEAR_SUM),
    Indicator("layoffs", "persons/year", "Layoffs by firms shedding staff above their target (closures apart: laid_off_by_closures)", YEAR_SUM),
    Indicator("gdp_real", "yuan/year (start-year prices)", "GDP at start-year prices (real: each sector's value added over its price)", YEAR_SUM),
    Indicator("gdp_real_primary", "yuan/year (start-year prices)", "Value added of agriculture (the statistics' primary sector) at start-year prices", YEAR_SUM),
    Indicator("gdp_real_secondary", "yuan/year (start-year prices)", "Value added of mining, coal-dependent industry, manufacturing, construction and new industries (the statistics' secondary sector) at start-year prices", YEAR_SUM),
    Indicator("gdp_real_tertiary", "yuan/year (start-year prices)", "Value added of services, public units and informal work (the statistics' tertiary sector) at start-year prices", YEAR_SUM),
    Indicator("employment_secondary", "persons", "Employment in mining, coal-dependent industry, manufacturing, construction and new industries (the census's secondary sector)", DERIVED),
    Indicator("household_consumption", "yuan/year", "Households' consumption spending (local and imported; the rehoused households' extra housing costs apart)", YEAR_SUM),
    Indicator("household_consumption_services", "yuan/year", "Households' local consumption of services as they choose it (Engel and price shares; informal workers' earnings included, the rehoused households' extra housing costs apart)", YEAR_SUM),
    Indicator("household_consumption_food", "yuan/year", "Households' local consumption of farm produce as they choose it (Engel and price shares; the food of Engel's coefficient that the city's farms sell to its households)", YEAR_SUM),
    Indicator("hukou_conversions", "persons/year", "Residents registered elsewhere who took the city's registration (hukou)", YEAR_SUM),
    Indicator("outside_household_income", "yuan/year", "Income paid to households from outside the city (households.outside_income_yuan_per_resident_per_month)", YEAR_SUM),
    Indicator("services_price_index", "ratio to the start (December)", "Price of local services relative to the national consumer price index", DECEMBER),
    Indicator("average_wage_fixed_mix", "yuan/year", "Average wage with last year's job mix (chained: wage growth within sectors, not from jobs moving between them)", DERIVED),
    Indicator("average_wage_nonfarm_fixed_mix", "yuan/year", "Average wage of the non-farm jobs (the statistics' urban units: farm households' earnings are not wages) with last year's job mix, chained as average_wage_fixed_mix", DERIVED),
    Indicator("city_investment", "yuan/year", "Fixed investment of the city: the investment part of its other spending and its programmes' construction works", YEAR_SUM),
    Indicator("outside_investment", "yuan/year", "Fixed investment financed from outside the city: buildings and infrastructure (land included)", YEAR_SUM),
    Indicator("fixed_investment", "yuan/year", "Fixed investment, all payers (firms, the city and its programmes, outside investors; land included)", YEAR_SUM),
]
"""Every city indicator, in the order of the table's columns (after ``year``)."""

INDICATOR_NAMES: list[str] = [i.name for i in INDICATORS]
INDICATOR_UNITS: dict[str, str] = {i.name: i.unit for i in INDICATORS}
"""Every indicator with its unit (the Parquet schema, the plots and the docs read this)."""
INDICATOR_TITLES: dict[str, str] = {i.name: i.title for i in INDICATORS}

MONTH_FLOWS: list[str] = [
    "coal_output_tonnes", "resource_city_transfer", "fund_co_finance", "shantytown_spending",
    "shantytown_rehoused_households", "subsidence_rehoused_households", "subsidence_spending",
    "mining_area_works_spending", "infrastructure_spending", "rd_support", "pension_spending",
    "ssf_central_subsidy", "entrants", "firm_exits", "mines_closed", "laid_off_by_closures",
    "firm_investment", "training_spending", "trainees", "social_functions_paid_by_city",
    "agri_subsidy", "talent_allowance", "talent_households_recruited", "out_migrants_high_skill",
    "environmental_tax", "ecological_transfer", "resettlement_payments", "collective_enrolled",
    "dibao_recipients", "resource_tax", "welfare_job_hires", "internal_movers", "vacancies",
    "surplus_spending", "expected_income_ratio", "expected_income_ratio_rural", "individual_out_migrants", "graduates_staying_away",
    "return_migrants", "informal_earnings", "early_retirements", "hires", "hires_from_informal",
    "hires_first_job", "quits", "layoffs", "outside_investment", "city_investment",
    "outside_household_income", "household_consumption", "household_consumption_services",
    "household_consumption_food", "hukou_conversions",
]
"""The flows the mechanisms add up each month (``model.month_flows[name] += ...``); each feeds
the indicator of the same name, or the one :data:`FLOW_INDICATOR` names."""

FLOW_INDICATOR: dict[str, str] = {
    "entrants": "firm_entrants",
    "shantytown_rehoused_households": "shantytown_rehoused_in_year",
    "subsidence_rehoused_households": "subsidence_relocated_in_year",
    "collective_enrolled": "collective_retirees_enrolled",
}
REVENUE_CATEGORIES: tuple[str, ...] = ("taxes", "land", "transfers")
"""The city's revenue by category (``model.month_revenue``)."""
SPENDING_CATEGORIES: tuple[str, ...] = ("programmes", "other_spending", "public_payroll", "social_security", "dibao", "interest")
"""The city's spending by category (``model.month_spending``)."""
YEAR_ONLY_FLOWS: tuple[str, ...] = (
    "city_revenue", "land_revenue", "transfers_received", "city_spending", "dibao_spending",
    "births", "deaths", "in_migrants", "out_migrants",
)


COMPUTED_ELSEWHERE: dict[str, Callable[[CityModel, Mapping[str, float]], float]] = {}
"""Indicators declared by levers (:func:`declare_indicator`): how each is computed from the model
and the year's sums, in December."""


def declare_indicator(indicator: Indicator, compute: Callable[[CityModel, Mapping[str, float]], float] | None = None) -> None:
    """Add an indicator (a lever module declares its own this way). Without ``compute``, a
    :data:`YEAR_SUM` indicator is the year's sum of the month flow of the same name, which the
    lever adds to (``model.month_flows[name] += ...``); with it, ``compute(model, year_sums)``
    gives the value in December. Declaring the same indicator again is harmless."""
    if indicator.name in INDICATOR_UNITS:
        if INDICATORS[INDICATOR_NAMES.index(indicator.name)] == indicator:
            return
        raise ValueError(f"an indicator named {indicator.name!r} is already declared")
    if compute is None:
        if indicator.aggregation != YEAR_SUM:
            raise ValueError(f"indicator {indicator.name!r}: only a year sum may go without a compute function")
        MONTH_FLOWS.append(indicator.name)
        compute = _year_sum(indicator.name)
    INDICATORS.append(indicator)
    INDICATOR_NAMES.append(indicator.name)
    INDICATOR_UNITS[indicator.name] = indicator.unit
    INDICATOR_TITLES[indicator.name] = indicator.title
    COMPUTED_ELSEWHERE[indicator.name] = compute


def _year_sum(name: str) -> Callable[[CityModel, Mapping[str, float]], float]:
    return lambda model, year_sums: year_sums[name]


class DeclaredSums(dict):
    """Sums over declared names only, each starting at zero: adding to an undeclared (misspelt)
    name raises ``KeyError`` instead of starting a sum nobody reads."""

    def __init__(self, names, what: str) -> None:
        super().__init__(dict.fromkeys(names, 0.0))
        self._what = what

    def __missing__(self, key: str) -> float:
        raise KeyError(f"undeclared {self._what} {key!r}: declare it in simulator.model.indicators")



def _jobs_and_pay(model: CityModel, emp_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The employed ``emp_rows`` by their employer's sector, and their wages' sum (float64)."""
    sector = model.firms.sector[model.persons.employer[emp_rows]]
    jobs = np.bincount(sector, minlength=N_SECTORS).astype(float)
    pay = np.bincount(sector, weights=model.persons.wage[emp_rows].astype(np.float64), minlength=N_SECTORS)
    return jobs, pay


def gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Gini coefficient of ``values`` (e.g. income per person, weighted by persons)."""
    keep = weights > 0
    v, w = values[keep], weights[keep].astype(float)
    if len(v) == 0 or v.sum() <= 0:
        return 0.0
    # (a radix sort of the non-negative values, which the incomes are, several times faster than
    # numpy's comparison sort; ties, whose order does not change the area, kept in row order)
    v = np.ascontiguousarray(v, dtype=np.float64)
    order = kernels.argsort_nonnegative(v) if np.all(v >= 0) else np.argsort(v, kind="stable")
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
        self._year_flows = DeclaredSums([*MONTH_FLOWS, *YEAR_ONLY_FLOWS], "yearly flow")
        self._year_va = np.zeros(N_SECTORS)
        self._year_va_real = np.zeros(N_SECTORS)
        self._year_income = 0.0
        self._sfc_err = 0.0
        # last year's (jobs, mean wage) by sector and chained index, by the sectors it covers
        self._wage_mix: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        self.begin_month(model)
        self.regional = RegionalRecorder(model)

    def begin_month(self, model: CityModel) -> None:
        """Zero the month's accumulators on the model (the mechanisms add to them)."""
        model.month_flows = DeclaredSums(MONTH_FLOWS, "month flow")
        model.month_revenue = DeclaredSums(REVENUE_CATEGORIES, "revenue category")
        model.month_spending = DeclaredSums(SPENDING_CATEGORIES, "spending category")
        model.month_va = np.zeros(N_SECTORS)
        model.month_va_real = np.zeros(N_SECTORS)
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
        self._year_va_real += model.month_va_real
        hh = model.households
        income = float(model.hh_income[: hh.n][hh.present[: hh.n]].sum()) * model.scale
        self._year_income += income
        city_row = self._year_row(model) if model.month == 12 else None
        self.regional.record_month(model, income, city_row)
        if city_row is not None:
            self.rows.append(city_row)
            self._year_flows = DeclaredSums([*MONTH_FLOWS, *YEAR_ONLY_FLOWS], "yearly flow")
            self._year_va = np.zeros(N_SECTORS)
            self._year_va_real = np.zeros(N_SECTORS)
            self._year_income = 0.0
            model.max_stock_flow_error_year = 0.0

    def _fixed_mix_wage(
        self, model: CityModel, emp_rows: np.ndarray, key: str, covered: np.ndarray,
        by_sector: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> float:
        """A chained Laspeyres index of the average wage (yuan/year) of the jobs in the ``covered``
        sectors (a boolean mask): the first year's average wage of those jobs, then each year moved
        by the sectors' mean-wage growth weighted by the year before's jobs (over the covered
        sectors with workers in both years), so that jobs moving between sectors of different pay
        do not move it. ``key`` names the index's state from year to year. ``by_sector``: the
        jobs and wage bill of ``emp_rows`` by sector (:func:`_jobs_and_pay`), if computed already."""
        jobs, pay = _jobs_and_pay(model, emp_rows) if by_sector is None else by_sector
        jobs, pay = np.where(covered, jobs, 0.0), np.where(covered, pay, 0.0)
        mean = np.divide(pay, jobs, out=np.zeros(N_SECTORS), where=jobs > 0) * 12.0
        previous = self._wage_mix.get(key)
        if previous is None:
            index = float(pay.sum() / jobs.sum()) * 12.0 if jobs.sum() > 0 else 0.0
        else:
            jobs0, mean0, index0 = previous
            both = (jobs0 > 0) & (jobs > 0) & (mean0 > 0)
            w = jobs0[both]
            index = index0 * float((w * mean[both] / mean0[both]).sum() / w.sum()) if w.sum() > 0 else index0
        self._wage_mix[key] = (jobs, mean, index)
        return index

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
        registered_residents = registration.registered_residents(model)
        row["registered_population"] = registered_residents + model.absent_registered
        row["registered_absent"] = model.absent_registered
        row["residents_registered_elsewhere"] = pop - registered_residents
        row["share_aged_60_plus"] = float(c[kernels.CITY_OLD]) * S / max(pop, 1.0)
        young = (p.age_m[:n] >= 12 * YOUNG_ADULT_AGES[0]) & (p.age_m[:n] < 12 * (YOUNG_ADULT_AGES[1] + 1))
        row["share_aged_20_34"] = float(np.count_nonzero(young & p.present[:n])) * S / max(pop, 1.0)
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
        every = np.ones(N_SECTORS, dtype=bool)
        jobs_pay = _jobs_and_pay(model, emp_rows)
        row["average_wage_fixed_mix"] = self._fixed_mix_wage(model, emp_rows, "all", every, jobs_pay)
        row["average_wage_nonfarm_fixed_mix"] = self._fixed_mix_wage(
            model, emp_rows, "nonfarm", every & (np.arange(N_SECTORS) != AGRI), jobs_pay
        )
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
        row["outside_investment"] = yf["outside_investment"]
        row["city_investment"] = yf["city_investment"]
        row["fixed_investment"] = yf["firm_investment"] + yf["city_investment"] + yf["outside_investment"]
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
        row["dibao_recipients"] = yf["dibao_recipients"] / 12.0
        for k in ("resource_tax", "mines_closed", "welfare_job_hires", "internal_movers"):
            row[k] = yf[k]
        row["vacancies"] = yf["vacancies"] / 12.0
        row["city_cash"] = gov.cash
        row["surplus_spending"] = yf["surplus_spending"]
        row["expected_income_ratio"] = yf["expected_income_ratio"] / 12.0
        row["expected_income_ratio_rural"] = yf["expected_income_ratio_rural"] / 12.0
        for k in ("individual_out_migrants", "graduates_staying_away", "return_migrants"):
            row[k] = yf[k]
        informal = np.count_nonzero(p.status[:n] == INFORMAL)  # (the informal are all present)
        row["informal_workers"] = float(informal) * S
        row["employment_census"] = row["employment_total"] + row["informal_workers"]
        row["job_seekers"] = row["unemployed_persons"] + row["informal_workers"]
        row["employment_services_census"] = row["employment_services"] + row["informal_workers"]
        row["informal_earnings"] = yf["informal_earnings"]
        row["early_retirements"] = yf["early_retirements"]
        for k in ("hires", "hires_from_informal", "hires_first_job", "quits", "layoffs", "household_consumption",
                  "household_consumption_services", "household_consumption_food", "outside_household_income",
                  "hukou_conversions"):
            row[k] = yf[k]
        real = self._year_va_real
        row["gdp_real"] = float(real.sum())
        row["gdp_real_primary"] = float(real[AGRI])
        row["gdp_real_tertiary"] = float(real[SERV])
        row["gdp_real_secondary"] = row["gdp_real"] - row["gdp_real_primary"] - row["gdp_real_tertiary"]
        row["employment_secondary"] = float(sum(by_sector[s] for s in SECONDARY_SECTORS))
        row["services_price_index"] = float(model.sector_price[SERV])
        for k, compute in COMPUTED_ELSEWHERE.items():
            row[k] = float(compute(model, yf))
        if len(row) != len(INDICATORS) + 1:
            extra = sorted(set(row) - set(INDICATOR_NAMES) - {"year"})
            raise KeyError(f"indicators computed but not declared: {extra}")
        return {"year": row["year"], **{k: row[k] for k in INDICATOR_NAMES}}
