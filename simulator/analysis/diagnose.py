"""Behavioural checks of the model (``sim diagnose``): does the simulated city behave like an economy?

Six checks, each an estimate with a 90% interval across seeds and a pass or fail against the sign or
range the literature expects. They are meant to judge reworks of the economics (migration, wages,
structural change, public finance), not to calibrate:

1. **Okun's law**: the slope of the yearly change in the unemployment rate on real GDP growth
   (both as shares: -0.5 means 1% more growth, half a point less unemployment). Expected < 0.
2. **Beveridge curve**: the slope of the vacancy rate on the unemployment rate across years (both
   shares of the labour force, employed + unemployed). Expected < 0.
3. **Wage curve**: the elasticity of the wage to the unemployment rate, log-log, estimated as
   Blanchflower and Oswald's wage curve is, across regions within a year: the city and its
   demand variant (check 7's, run on the same seeds) are two regions that share the year effects
   and the region effect and differ by a demand shock. The estimate is the paired difference in
   log wage over the paired difference in log unemployment rate, each summed over the
   :data:`WAGE_CURVE_YEARS` years from the shock year (those in the run), pooled over the seeds
   (the ratio of the sums, with a bootstrap interval over the seeds: a seed whose shock hardly
   moves unemployment weighs little). The wage is
   ``average_wage_nonfarm_fixed_mix``, the average wage of the non-farm jobs with the job mix of
   the year before, chained: the statistics' wage of urban units (farm households' earnings are
   not wages), and pay for the same job rather than jobs moving between sectors of different pay.
   Expected in [-0.2, -0.05] (Blanchflower and Oswald's -0.1 and the range found since). Two
   regressions on the city's own years are reported beside it without a verdict: the
   local/national wage ratio (``world.national_average_wage_yuan_per_year``) on the unemployment
   rate with a linear trend of the city's own, and without the trend. In one city's years the
   wage also moves with what moves unemployment (coal prices lift the mines' pay while their
   layoffs raise unemployment), so those slopes are no test of the wage's response to slack.
4. **Services share against income**, as checks 5-7 test their mechanisms: a variant whose
   households receive, from the shock year on, an income from outside the city
   (``households.outside_income_yuan_per_resident_per_month``) of :data:`INCOME_RISE` of their
   consumption per resident in the year before (held at that amount in constant yuan, so a
   shrinking share of a growing consumption), run on the same seeds. Two judged ratios, each a
   paired difference summed over :data:`INCOME_YEARS` years from the shock year over the paired
   Δ log consumption per resident (the households' income as they spend it) summed over the
   same years: ``4 services``, the services share of household consumption
   (``household_consumption_services / household_consumption``: Engel's law, and Baumol's where
   the services' price rises), and ``4 services, GDP``, the services share of GDP
   (``gdp_services / gdp_total``: the issue's criterion, a services share of GDP that rises with
   the residents' income). Each is expected > 0 with the 90% interval above zero. The first
   reads the demand system's parameters (its benchmark, Engel's law alone at the scenario's
   base shares, :func:`engel_benchmark`, is printed in the statistic) and shows that the
   model's city spends as they say; the second is mostly a composition effect (services take a
   larger share of the households' local spending than of GDP, and the goods the city sells
   outside are set by outside demand), so it rises even with homothetic demand, and Engel's
   law adds to it. Reported
   beside them, without a verdict, the slope of ``gdp_services / gdp_total`` on log GDP per
   person across the run's years, which also moves with everything that trends with income in a
   city's history (farm prices, mine closures, an investment boom): Fuxin's own statistics have
   its tertiary share falling in 2000-2014 as it grew richer.
5. **Spending response to transfers**: a variant with the general transfer
   (``public_finance.general_transfer_yuan_per_resident_per_year``, and where the equalisation
   formula applies the standard expenditure whose gap it fills) raised by
   :data:`TRANSFER_RISE` from the shock year, run on the same seeds; the paired difference in
   ``city_spending`` over the paired difference in ``transfers_received``, summed from the shock
   year to the end. Expected at least 0.8 yuan per yuan.
6. **Early mine closure**: a variant that closes every mine still open in the shock year (see
   :func:`mine_closure_overrides`); the paired effects on population, the unemployment rate and
   out-migrants 3 and 10 years on (and the in-migrants, reported: a city losing jobs also draws
   fewer people in). Expected: population lower and unemployment higher, their
   90% intervals excluding zero (unemployment higher in each of the first three years).
7. **Demand shock**: a variant with outside demand (``external_demand_index``) raised by
   :data:`DEMAND_RISE` from the shock year for every sector but coal mining and the land-bound
   farms (:func:`demand_overrides`); the paired Δ unemployment rate over Δ log GDP summed over
   :data:`DEMAND_YEARS` years (Okun's coefficient from a demand shock, expected < 0), with the
   vacancy response reported. Checks 1, 2 and 4 regress trending years on each other; this one
   isolates a demand change (the same variant gives check 3).

The unemployment rate of the checks is ``unemployed_persons / (employment_total +
unemployed_persons)`` (every job seeker, registered or not, over the labour force).

Estimates: checks 1 and 2 and the reported regressions of checks 3 and 4 are computed run by run over the
years chosen (a regression per seed); checks 3-7 on each pair of runs sharing a seed (common
random numbers). The estimate is the median across seeds, the interval the 5% and 95% quantiles
across seeds (as ``sim compare``), but for check 3, pooled over the seeds with a bootstrap interval
(:func:`wage_curve_pooled`); pass or fail is judged on the estimate for checks 1-3, 5 and 7 and
on the interval for checks 4 and 6.

The estimators (:func:`okun_slope`, :func:`beveridge_slope`, :func:`wage_curve_pooled`,
:func:`wage_curve_elasticity`,
:func:`services_income_slope`, :func:`income_response`, :func:`spending_response`, :func:`paired_effect`) are pure functions
of indicator tables (a DataFrame per run, one row per year, the columns of ``indicators.parquet``);
:func:`diagnose` applies them to runs; :func:`run_diagnose` makes the runs (the scenario and its
variants at the same seeds, through :func:`simulator.experiment.seeds.run_seeds`) and reads them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.analysis.compare import INTERVAL
from simulator.analysis.files import atomic_write
from simulator.analysis.load import ResultsError, run_failure
from simulator.model.series import series_at

TRANSFER_RISE = 0.10
"""The transfer variant: the general transfer per resident raised by this share from the shock year."""
TRANSFER_KEY = "public_finance.general_transfer_yuan_per_resident_per_year"
STANDARD_EXPENDITURE_KEY = "public_finance.equalisation_transfer.standard_expenditure_yuan_per_resident_per_year"
CLOSURE_HARD_BUDGET_MONTHS = 12
"""The mine-closure variant's hard budget for state firms during the shock year (months of losses)."""
EFFECT_LAGS = (3, 10)
"""Years after the shock year at which the mine closure's effects are reported."""
UNEMPLOYMENT_HIGHER_YEARS = 3
"""Check 6 expects unemployment higher in each of this many years after the closure year."""
SPENDING_RESPONSE_MIN = 0.8
WAGE_CURVE_RANGE = (-0.2, -0.05)
MIN_POINTS = 3
"""Fewest years a regression of one run is made on (else the run gives no estimate)."""

BASE, TRANSFER, CLOSURE, DEMAND, INCOME = "base", "transfer", "mine_closure", "demand", "income"
VARIANTS = (BASE, TRANSFER, CLOSURE, DEMAND, INCOME)
INCOME_RISE = 0.10
"""The income variant: households receive from outside the city, per resident a month, this share of
their consumption per resident in the year before the shock year (the mean over the scenario's
runs), from the shock year on."""
INCOME_KEY = "households.outside_income_yuan_per_resident_per_month"
INCOME_YEARS = 10
"""Check 4 sums the paired differences over this many years from the shock year (those in the run)."""
DEMAND_RISE = 0.25
"""The demand variant: outside demand for the city's non-coal, non-farm goods raised by this share from the shock year."""
DEMAND_YEARS = 3
"""The demand variant's effects are summed over the shock year and the years after it, this many in all."""
WAGE_CURVE_YEARS = 10
"""Check 3 sums the paired wage and unemployment differences over this many years from the shock
year (the wage curve is a relation between levels: a longer span averages out the noise of a
small shock)."""

BOOTSTRAP_DRAWS = 2000
"""Check 3's interval: resamples of the seeds (with replacement) of the pooled ratio."""
BOOTSTRAP_SEED = 20_160_101
"""Seed of check 3's bootstrap generator (its own: the interval depends only on the runs)."""

CSV_COLUMNS = (
    "check", "name", "statistic", "unit", "year", "estimate", "p05", "p95", "n_seeds", "expected", "result",
)
"""Columns of ``diagnose.csv``: one row per check (check 6: one per indicator and lag)."""

WAGE = "average_wage_nonfarm_fixed_mix"
"""The wage of check 3: the average wage of the non-farm jobs with last year's job mix (chained)."""

NEEDED = (
    "year", "gdp_total", "gdp_real", "gdp_services", "gdp_per_capita", "employment_total", "unemployed_persons",
    "vacancies", "average_wage", WAGE, "city_spending", "transfers_received", "population", "out_migrants", "in_migrants",
    "mines_open", "household_consumption", "household_consumption_services", "household_consumption_food",
)
"""The indicators the checks read."""


class DiagnoseRunFailed(RuntimeError):
    """A run of the diagnosis failed its accounting checks (its results are not used)."""


# ------------------------------------------------------------------ derived series


def unemployment_rate(table: pd.DataFrame) -> pd.Series:
    """Job seekers over the labour force (employed + job seekers), by year."""
    labour = table["employment_total"] + table["unemployed_persons"]
    return table["unemployed_persons"] / labour.where(labour > 0)


def vacancy_rate(table: pd.DataFrame) -> pd.Series:
    """Unfilled vacancies over the labour force (employed + job seekers), by year."""
    labour = table["employment_total"] + table["unemployed_persons"]
    return table["vacancies"] / labour.where(labour > 0)


def _years(table: pd.DataFrame, years: tuple[int, int] | None) -> pd.DataFrame:
    t = table.sort_values("year").reset_index(drop=True)
    if years is not None:
        t = t[(t["year"] >= years[0]) & (t["year"] <= years[1])].reset_index(drop=True)
    return t


def ols_slope(x, y) -> float:
    """Least-squares slope of ``y`` on ``x`` (with an intercept) over the finite pairs; NaN with
    fewer than :data:`MIN_POINTS` of them or no spread in ``x``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < MIN_POINTS:
        return math.nan
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx <= 0.0:
        return math.nan
    return float(dx @ (y - y.mean())) / sxx


# ------------------------------------------------------------------ points of the scatters


def okun_points(table: pd.DataFrame, years: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(real GDP growth, change in the unemployment rate), both shares, for each year whose
    previous year is also among ``years`` (``gdp_real``: value added at start-year prices)."""
    t = _years(table, years)
    consecutive = (t["year"].diff() == 1).to_numpy()
    gdp = t["gdp_real"].where(t["gdp_real"] > 0)
    growth = (gdp / gdp.shift(1) - 1.0).to_numpy()
    du = unemployment_rate(t).diff().to_numpy()
    return growth[consecutive], du[consecutive]


def beveridge_points(table: pd.DataFrame, years: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(unemployment rate, vacancy rate) by year."""
    t = _years(table, years)
    return unemployment_rate(t).to_numpy(), vacancy_rate(t).to_numpy()


def wage_curve_points(
    table: pd.DataFrame, national_wage: Mapping[int, float], years: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(log unemployment rate, log local/national wage ratio) by year. ``national_wage`` is the
    scenario's series (year -> yuan/year, interpolated as the model does)."""
    t = _years(table, years)
    national = np.array([series_at(national_wage, float(y)) for y in t["year"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = t[WAGE].to_numpy(float) / national
        u = unemployment_rate(t).to_numpy(float)
        x = np.where(u > 0, np.log(np.where(u > 0, u, 1.0)), np.nan)
        y = np.where(ratio > 0, np.log(np.where(ratio > 0, ratio, 1.0)), np.nan)
    return x, y


def wage_curve_points_net_of_trend(
    table: pd.DataFrame, national_wage: Mapping[int, float], years: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wage_curve_points` net of a linear trend in the year (each the residual of its
    regression on the year, plus its mean): the points whose slope is check 3's elasticity."""
    x, y = wage_curve_points(table, national_wage, years)
    yr = _years(table, years)["year"].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    out_x, out_y = np.full(len(x), np.nan), np.full(len(y), np.nan)
    if ok.sum() > MIN_POINTS:
        out_x[ok] = _residuals(x[ok], yr[ok]) + x[ok].mean()
        out_y[ok] = _residuals(y[ok], yr[ok]) + y[ok].mean()
    return out_x, out_y


def services_points(table: pd.DataFrame, years: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(log GDP per person, services share of GDP) by year."""
    t = _years(table, years)
    gdp = t["gdp_total"].where(t["gdp_total"] > 0)
    share = (t["gdp_services"] / gdp).to_numpy(float)
    pc = t["gdp_per_capita"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(pc > 0, np.log(np.where(pc > 0, pc, 1.0)), np.nan)
    return x, share


# ------------------------------------------------------------------ estimators (one run or one pair)


def okun_slope(table: pd.DataFrame, years: tuple[int, int] | None = None) -> float:
    """Okun's law: the slope of the yearly change in the unemployment rate on real GDP growth."""
    return ols_slope(*okun_points(table, years))


def beveridge_slope(table: pd.DataFrame, years: tuple[int, int] | None = None) -> float:
    """Beveridge curve: the slope of the vacancy rate on the unemployment rate across years."""
    return ols_slope(*beveridge_points(table, years))


def wage_curve_elasticity(
    table: pd.DataFrame, national_wage: Mapping[int, float], years: tuple[int, int] | None = None, *, trend: bool = True
) -> float:
    """Wage curve: d log(local wage / national wage) / d log(unemployment rate) across years, with
    a linear trend in the year (``trend``, the check's form) or without."""
    x, y = wage_curve_points(table, national_wage, years)
    if not trend:
        return ols_slope(x, y)
    return ols_coefficient(x, y, _years(table, years)["year"].to_numpy(float))


def ols_coefficient(x, y, control) -> float:
    """Least-squares coefficient of ``x`` in a regression of ``y`` on ``x``, ``control`` and an
    intercept, over the finite triples; NaN with fewer than :data:`MIN_POINTS` + 1 of them or when
    ``x`` has no spread beyond what ``control`` explains."""
    x, y, c = np.asarray(x, float), np.asarray(y, float), np.asarray(control, float)
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(c)
    x, y, c = x[ok], y[ok], c[ok]
    if len(x) < MIN_POINTS + 1:
        return math.nan
    # partial out the control (Frisch-Waugh): the residuals of x and y on the control
    rx, ry = _residuals(x, c), _residuals(y, c)
    sxx = float(rx @ rx)
    if sxx <= 1e-12 * max(float((x - x.mean()) @ (x - x.mean())), 1e-300):
        return math.nan
    return float(rx @ ry) / sxx


def _residuals(v: np.ndarray, c: np.ndarray) -> np.ndarray:
    dc = c - c.mean()
    scc = float(dc @ dc)
    dv = v - v.mean()
    return dv if scc <= 0.0 else dv - dc * (float(dc @ dv) / scc)


def services_income_slope(table: pd.DataFrame, years: tuple[int, int] | None = None) -> float:
    """Structural change: the slope of the services share of GDP on log GDP per person."""
    return ols_slope(*services_points(table, years))


def income_response(base: pd.DataFrame, variant: pd.DataFrame, from_year: int, years: int = INCOME_YEARS) -> dict[str, float]:
    """The paired responses to a rise in households' income, summed over ``years`` years from
    ``from_year`` (those both runs reach), each over the paired Δ log consumption per resident
    (the households' income as they spend it): ``consumption`` = Δ services share of household
    consumption; ``gdp`` = Δ services share of GDP. NaN where consumption per resident does not
    move or no year is shared."""
    def rows(t: pd.DataFrame) -> pd.DataFrame:
        return t[(t["year"] >= from_year) & (t["year"] < from_year + years)].set_index("year")

    b, v = rows(base), rows(variant)
    common = b.index.intersection(v.index)
    if len(common) == 0:
        return {"consumption": math.nan, "gdp": math.nan}
    b, v = b.loc[common], v.loc[common]

    def log_per_resident(t: pd.DataFrame) -> np.ndarray:
        return np.log(t["household_consumption"].to_numpy(float) / t["population"].to_numpy(float))

    d_log = float(np.sum(log_per_resident(v) - log_per_resident(b)))
    out = {}
    for key, num, den in (("consumption", "household_consumption_services", "household_consumption"),
                          ("gdp", "gdp_services", "gdp_total")):
        def share(t: pd.DataFrame, num=num, den=den) -> np.ndarray:
            return t[num].to_numpy(float) / t[den].to_numpy(float)

        out[key] = ratio_or_nan(float(np.sum(share(v) - share(b))), d_log)
    return out


def food_elasticity_years(table: pd.DataFrame, years: tuple[int, int] | None = None) -> float:
    """Engel's law across a run's years: the food spending elasticity implied by the slope of the
    food share of household consumption (``household_consumption_food / household_consumption``)
    on log consumption per resident, ``1 + slope / mean share`` (1: the share does not move; below
    1: food is a necessity). Read with the farm price, which moves the share too, as a household
    survey's Engel coefficient does. Farm produce only: Engel's coefficient also counts processed
    food and eating out, so the elasticity it implies is a loose comparison. Years with a missing
    value are left out; NaN without the columns or with fewer than :data:`MIN_POINTS` years."""
    t = _years(table, years)
    if "household_consumption_food" not in t or "household_consumption" not in t:
        return math.nan
    cons = t["household_consumption"].to_numpy(float)
    pop = t["population"].to_numpy(float)
    ok = (cons > 0) & (pop > 0)
    share = t["household_consumption_food"].to_numpy(float)[ok] / cons[ok]
    log_c = np.log(cons[ok] / pop[ok])
    finite = np.isfinite(share) & np.isfinite(log_c)
    if finite.sum() < MIN_POINTS:
        return math.nan
    mean = float(share[finite].mean())
    slope = ols_slope(log_c[finite], share[finite])
    return 1.0 + slope / mean if mean > 0 and math.isfinite(slope) else math.nan


def engel_benchmark(scenario) -> float:
    """Check 4's benchmark, Engel's law alone: d (services share of household consumption) / d log
    real consumption per resident at the base shares and prices, ``(1 - import_leakage_share) x
    b_services x (eta_services - eta_mean)``, with ``b`` the sectors' ``local_consumption_share``,
    ``eta`` their ``consumption_income_elasticity`` and ``eta_mean`` the base-share weighted mean
    (see :func:`simulator.model.production.engel_shares`). Prices (Baumol), the change of
    consumption per resident away from the base and the households who leave or arrive are not in it."""
    b = np.array([cfg.local_consumption_share for cfg in scenario.sectors.values()], float)
    eta = np.array([cfg.consumption_income_elasticity for cfg in scenario.sectors.values()], float)
    if b.sum() <= 0:
        return math.nan
    serv = list(scenario.sectors).index("services")
    return float((1.0 - scenario.households.import_leakage_share) * b[serv] * (eta[serv] - (b @ eta) / b.sum()))


def _by_year(table: pd.DataFrame, column: str) -> pd.Series:
    return table.set_index("year")[column].astype(float)


def spending_response(base: pd.DataFrame, variant: pd.DataFrame, from_year: int, to_year: int | None = None) -> float:
    """The paired difference in ``city_spending`` over that in ``transfers_received``, each summed
    over ``from_year`` .. ``to_year`` (default: the last year): yuan spent per yuan of extra
    transfer. NaN if the transfers do not differ."""
    b_spend, v_spend = _by_year(base, "city_spending"), _by_year(variant, "city_spending")
    b_tr, v_tr = _by_year(base, "transfers_received"), _by_year(variant, "transfers_received")
    years = [y for y in b_spend.index if y >= from_year and (to_year is None or y <= to_year) and y in v_spend.index]
    d_tr = float((v_tr[years] - b_tr[years]).sum())
    if not years or abs(d_tr) <= 0.0:
        return math.nan
    return float((v_spend[years] - b_spend[years]).sum()) / d_tr


def paired_effect(base: pd.DataFrame, variant: pd.DataFrame, column: str, year: int) -> float:
    """Variant minus base of one indicator in one year (NaN if the runs do not reach it).
    ``column`` may be ``"unemployment_rate"`` (see :func:`unemployment_rate`)."""

    def value(t: pd.DataFrame) -> float:
        row = t[t["year"] == year]
        if row.empty:
            return math.nan
        if column == "unemployment_rate":
            return float(unemployment_rate(row).iloc[0])
        return float(row[column].iloc[0])

    return value(variant) - value(base)


# ------------------------------------------------------------------ summaries across seeds


@dataclass
class Check:
    """One behavioural check: its estimate across seeds and its verdict.

    Attributes:
        check: number and short key (``"1 okun"``, ``"6 population +3"``).
        name: what is checked, for the reader.
        statistic: the number estimated.
        unit: its unit.
        expected: the expected sign or range, as text.
        estimate: median across seeds (NaN if no seed gave one); check 3: the ratio pooled over
            the seeds (:func:`wage_curve_pooled`).
        p05, p95: the 90% interval across seeds; check 3: its bootstrap interval over the seeds.
        values: each seed's value (NaN where a run gave none), in seed order.
        result: ``"pass"``, ``"fail"``, or ``"n/a"`` (no estimate, or nothing expected).
        year: the year of a paired effect (check 6), else None.
    """

    check: str
    name: str
    statistic: str
    unit: str
    expected: str
    estimate: float
    p05: float
    p95: float
    values: list[float]
    result: str
    year: int | None = None

    @property
    def n_seeds(self) -> int:
        return int(np.isfinite(np.asarray(self.values, float)).sum())


def across_seeds(values) -> tuple[float, float, float]:
    """(median, 5% quantile, 95% quantile) of the finite values; NaN if there are none."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    lo, mid, hi = np.quantile(v, [INTERVAL[0], 0.5, INTERVAL[1]])
    return float(mid), float(lo), float(hi)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "fail")


def _check(key, name, statistic, unit, expected, values, judge: Callable[[float, float, float], bool] | None, year=None) -> Check:
    est, lo, hi = across_seeds(values)
    ok = None if judge is None or not math.isfinite(est) else bool(judge(est, lo, hi))
    return Check(key, name, statistic, unit, expected, est, lo, hi, [float(v) for v in values], verdict(ok), year)


@dataclass
class Diagnosis:
    """What ``sim diagnose`` reports.

    Attributes:
        scenario: the scenario's name; city, city_zh: its city.
        seeds: the seeds (the same for the scenario and its variants).
        years: the years of the regressions (checks 1-4).
        shock_year: the year the transfer rises and the mines close (checks 5-6).
        variants: each variant's ``--set`` overrides (beyond the base's).
        checks: the checks, in order.
        notes: things the reader should know.
        runs: the run directories by variant, in seed order.
        points: the scatters' points by panel (x, y, seed), for the figure.
    """

    scenario: str
    city: str
    city_zh: str
    seeds: list[int]
    years: tuple[int, int]
    shock_year: int
    variants: dict[str, list[str]]
    checks: list[Check]
    notes: list[str] = field(default_factory=list)
    runs: dict[str, list[str]] = field(default_factory=dict)
    points: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def n_pass(self) -> int:
        return sum(c.result == "pass" for c in self.checks)

    @property
    def n_fail(self) -> int:
        return sum(c.result == "fail" for c in self.checks)


def _points(tables: list[pd.DataFrame], fn, years) -> pd.DataFrame:
    frames = []
    for i, t in enumerate(tables):
        x, y = fn(t, years)
        frames.append(pd.DataFrame({"x": x, "y": y, "seed_index": i}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["x", "y", "seed_index"])


def diagnose(
    base: list[pd.DataFrame],
    *,
    national_wage: Mapping[int, float],
    shock_year: int,
    years: tuple[int, int] | None = None,
    transfer: list[pd.DataFrame] | None = None,
    closure: list[pd.DataFrame] | None = None,
    demand: list[pd.DataFrame] | None = None,
    income: list[pd.DataFrame] | None = None,
    engel: float = math.nan,
) -> list[Check]:
    """The checks on runs already made (pure): ``base`` one table per seed, ``transfer`` and
    ``closure`` the variants' tables at the same seeds in the same order (None: check left out).

    Args:
        base: the scenario's runs, one indicator table each.
        national_wage: the scenario's ``world.national_average_wage_yuan_per_year``.
        shock_year: the year the variants start.
        years: the years of the regressions (checks 1-4), default all.
        transfer, closure, demand, income: the variants' runs, paired with ``base`` by position.
        engel: check 4's benchmark (:func:`engel_benchmark`), reported in its statistic.
    """
    checks = [
        _check("1 okun", "Okun's law", "slope of Δ unemployment rate on real GDP growth", "share per share",
               "< 0", [okun_slope(t, years) for t in base], lambda e, lo, hi: e < 0),
        _check("2 beveridge", "Beveridge curve", "slope of vacancy rate on unemployment rate", "share per share",
               "< 0", [beveridge_slope(t, years) for t in base], lambda e, lo, hi: e < 0),
    ]
    if demand is not None:
        last = shock_year + WAGE_CURVE_YEARS - 1
        sums = [wage_curve_paired_sums(b, v, shock_year) for b, v in zip(base, demand, strict=True)]
        est, lo, hi = wage_curve_pooled(sums)
        ok = None if not math.isfinite(est) else WAGE_CURVE_RANGE[0] <= est <= WAGE_CURVE_RANGE[1]
        log_u = np.array([u for u, _ in sums], float)
        mean_log_u = float(np.nanmean(log_u)) if np.isfinite(log_u).any() else math.nan
        checks.append(Check(
            "3 wage curve", "Wage curve (the city and its demand variant as two regions)",
            f"Σ Δ log non-farm wage / Σ Δ log unemployment rate over the seeds, demand +{DEMAND_RISE:.0%}, "
            f"{shock_year}-{last} (Σ Δ log unemployment rate {mean_log_u:+.2f} a seed; bootstrap interval)",
            "log per log", f"in [{WAGE_CURVE_RANGE[0]}, {WAGE_CURVE_RANGE[1]}]",
            est, lo, hi, [ratio_or_nan(w, u) for u, w in sums], verdict(ok),
        ))
    checks += [
        _check("3 wage curve, city trend", "Wage curve in the city's own years, with its trend",
               "elasticity of local/national wage to unemployment rate, city trend", "log per log", "(reported)",
               [wage_curve_elasticity(t, national_wage, years) for t in base], None),
        _check("3 wage curve, no trend", "Wage curve in the city's own years, without its trend",
               "elasticity of local/national wage to unemployment rate, no trend", "log per log", "(reported)",
               [wage_curve_elasticity(t, national_wage, years, trend=False) for t in base], None),
    ]
    if income is not None:
        checks += income_checks(base, income, shock_year, engel)
    checks += [
        _check("4 services, years", "Services share against income across the run's years",
               "slope of services share of GDP on log GDP per person", "share per log point", "(reported)",
               [services_income_slope(t, years) for t in base], None),
        _check("4 food, years", "Engel's law across the run's years",
               "food spending elasticity implied by the food share of household consumption on log consumption per resident",
               "log per log", "(reported)", [food_elasticity_years(t, years) for t in base], None),
    ]
    if transfer is not None:
        checks.append(_check(
            "5 transfers", "Spending response to transfers",
            f"Δ city spending / Δ transfers received, {shock_year} on (general transfer +{TRANSFER_RISE:.0%})",
            "yuan per yuan", f">= {SPENDING_RESPONSE_MIN}",
            [spending_response(b, v, shock_year) for b, v in zip(base, transfer, strict=True)],
            lambda e, lo, hi: e >= SPENDING_RESPONSE_MIN,
        ))
    if closure is not None:
        checks += closure_checks(base, closure, shock_year)
    if demand is not None:
        checks += demand_checks(base, demand, shock_year)
    return checks


def wage_curve_paired_points(
    base: pd.DataFrame, variant: pd.DataFrame, from_year: int, years: int = WAGE_CURVE_YEARS
) -> tuple[np.ndarray, np.ndarray]:
    """(Δ log unemployment rate, Δ log wage) between a run and its paired variant, by year, over
    the ``years`` years from ``from_year`` that both runs report (:data:`WAGE`); NaN where a rate
    or a wage is not positive."""
    b = base.set_index("year")
    v = variant.set_index("year")
    span = [y for y in range(from_year, from_year + years) if y in b.index and y in v.index]
    ub = unemployment_rate(b.loc[span]).to_numpy(float)
    uv = unemployment_rate(v.loc[span]).to_numpy(float)
    wb, wv = b.loc[span, WAGE].to_numpy(float), v.loc[span, WAGE].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        du = np.where((ub > 0) & (uv > 0), np.log(np.where(uv > 0, uv, 1.0) / np.where(ub > 0, ub, 1.0)), np.nan)
        dw = np.where((wb > 0) & (wv > 0), np.log(np.where(wv > 0, wv, 1.0) / np.where(wb > 0, wb, 1.0)), np.nan)
    return du, dw


def wage_curve_paired_sums(
    base: pd.DataFrame, variant: pd.DataFrame, from_year: int, years: int = WAGE_CURVE_YEARS
) -> tuple[float, float]:
    """(Σ Δ log unemployment rate, Σ Δ log wage) between a run and its paired variant over the
    ``years`` years from ``from_year`` (:func:`wage_curve_paired_points`); NaNs without a year or
    where a rate or a wage is not positive."""
    du, dw = wage_curve_paired_points(base, variant, from_year, years)
    if len(du) == 0 or not (np.isfinite(du).all() and np.isfinite(dw).all()):
        return math.nan, math.nan
    return float(du.sum()), float(dw.sum())


def ratio_or_nan(a: float, b: float) -> float:
    """``a / b``; NaN where either is not finite or ``b`` is (nearly) zero."""
    return a / b if math.isfinite(a) and math.isfinite(b) and abs(b) > 1e-12 else math.nan


def wage_curve_paired(base: pd.DataFrame, variant: pd.DataFrame, from_year: int, years: int = WAGE_CURVE_YEARS) -> float:
    """One seed's wage-curve estimate: Σ Δ log wage / Σ Δ log unemployment rate between a run and
    its paired variant (:func:`wage_curve_paired_sums`); NaN without a year, where a rate or a wage
    is not positive, or where unemployment does not move."""
    d_log_u, d_log_w = wage_curve_paired_sums(base, variant, from_year, years)
    return ratio_or_nan(d_log_w, d_log_u)


def wage_curve_pooled(sums: list[tuple[float, float]], draws: int = BOOTSTRAP_DRAWS) -> tuple[float, float, float]:
    """Check 3's estimate and 90% interval: the ratio of the sums over the seeds, Σ Σ Δ log wage /
    Σ Σ Δ log unemployment rate (a seed where the shock barely moves unemployment then weighs
    little, where a median of per-seed ratios would take its noisy ratio at full weight), and the
    5-95% quantiles of the same ratio over ``draws`` resamples of the seeds with replacement (a
    fixed-seed generator of its own: the same runs give the same interval). NaNs without a seed
    that gave both sums."""
    arr = np.array([(u, w) for u, w in sums if math.isfinite(u) and math.isfinite(w)], float).reshape(-1, 2)
    if len(arr) == 0:
        return math.nan, math.nan, math.nan
    est = ratio_or_nan(float(arr[:, 1].sum()), float(arr[:, 0].sum()))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    pick = rng.integers(0, len(arr), size=(draws, len(arr)))
    u, w = arr[pick, 0].sum(axis=1), arr[pick, 1].sum(axis=1)
    r = np.divide(w, u, out=np.full(draws, np.nan), where=np.abs(u) > 1e-12)
    r = r[np.isfinite(r)]
    if len(r) == 0 or not math.isfinite(est):
        return est, math.nan, math.nan
    lo, hi = np.quantile(r, INTERVAL)
    return est, float(lo), float(hi)


def demand_response(base: pd.DataFrame, variant: pd.DataFrame, from_year: int, years: int = DEMAND_YEARS) -> dict[str, float]:
    """The paired responses to a rise in outside demand, summed over ``years`` years from
    ``from_year``: ``okun`` = Δ unemployment rate / Δ log GDP, ``wage`` = Δ log wage (:data:`WAGE`) /
    Δ log unemployment rate, ``beveridge`` = Δ vacancy rate / Δ unemployment rate (NaN where the
    denominator does not move)."""
    span = range(from_year, from_year + years)
    d = {"u": 0.0, "log_gdp": 0.0, "log_w": 0.0, "log_u": 0.0, "v": 0.0}
    for y in span:
        b, v = base[base["year"] == y], variant[variant["year"] == y]
        if b.empty or v.empty:
            return dict.fromkeys(("okun", "wage", "beveridge"), math.nan)
        ub, uv = float(unemployment_rate(b).iloc[0]), float(unemployment_rate(v).iloc[0])
        d["u"] += uv - ub
        d["log_gdp"] += math.log(float(v["gdp_real"].iloc[0]) / float(b["gdp_real"].iloc[0]))
        d["log_w"] += math.log(float(v[WAGE].iloc[0]) / float(b[WAGE].iloc[0]))
        d["log_u"] += math.log(uv / ub) if ub > 0 and uv > 0 else math.nan
        d["v"] += float(vacancy_rate(v).iloc[0]) - float(vacancy_rate(b).iloc[0])

    return {
        "okun": ratio_or_nan(d["u"], d["log_gdp"]),
        "wage": ratio_or_nan(d["log_w"], d["log_u"]),
        "beveridge": ratio_or_nan(d["v"], d["u"]),
    }


def demand_checks(base: list[pd.DataFrame], demand: list[pd.DataFrame], shock_year: int) -> list[Check]:
    """Check 7: the paired responses to a rise in outside demand (a causal Okun coefficient, with
    the vacancy response reported; the wage response is check 3's, over a longer span)."""
    responses = [demand_response(b, v, shock_year) for b, v in zip(base, demand, strict=True)]
    last = shock_year + DEMAND_YEARS - 1
    return [
        _check("7 okun (demand)", f"Demand +{DEMAND_RISE:.0%} from {shock_year}: Okun",
               f"Δ unemployment rate / Δ log GDP, {shock_year}-{last}", "share per log point", "< 0",
               [r["okun"] for r in responses], lambda e, lo, hi: e < 0),
        _check("7 beveridge (demand)", f"Demand +{DEMAND_RISE:.0%} from {shock_year}: vacancies",
               f"Δ vacancy rate / Δ unemployment rate, {shock_year}-{last}", "share per share", "(reported)",
               [r["beveridge"] for r in responses], None),
    ]


def income_checks(base: list[pd.DataFrame], income: list[pd.DataFrame], shock_year: int, engel: float = math.nan) -> list[Check]:
    """Check 4: the paired responses of the services shares to a rise in households' income."""
    responses = [income_response(b, v, shock_year) for b, v in zip(base, income, strict=True)]
    last = shock_year + INCOME_YEARS - 1
    bench = f"; Engel's law alone {engel:+.3f}" if math.isfinite(engel) else ""
    return [
        _check("4 services", f"Household income +{INCOME_RISE:.0%} of consumption from {shock_year}: services share",
               f"Δ services share of household consumption / Δ log consumption per resident, {shock_year}-{last}{bench}",
               "share per log point", "> 0, interval > 0", [r["consumption"] for r in responses],
               lambda e, lo, hi: e > 0 and lo > 0),
        _check("4 services, GDP", f"Household income +{INCOME_RISE:.0%} of consumption from {shock_year}: services share of GDP",
               f"Δ services share of GDP / Δ log consumption per resident, {shock_year}-{last}", "share per log point",
               "> 0, interval > 0", [r["gdp"] for r in responses], lambda e, lo, hi: e > 0 and lo > 0),
    ]


def closure_checks(base: list[pd.DataFrame], closure: list[pd.DataFrame], shock_year: int) -> list[Check]:
    """Check 6: the paired effects of closing every mine in ``shock_year``, :data:`EFFECT_LAGS` years on."""
    pairs = list(zip(base, closure, strict=True))
    checks = []
    for lag in EFFECT_LAGS:
        year = shock_year + lag
        checks.append(_check(
            f"6 population +{lag}", f"Mine closure {shock_year}: population", f"Δ population in {year}", "persons",
            "< 0, interval < 0", [paired_effect(b, v, "population", year) for b, v in pairs],
            lambda e, lo, hi: hi < 0, year,
        ))
    for lag in EFFECT_LAGS:
        year = shock_year + lag
        values = [paired_effect(b, v, "unemployment_rate", year) for b, v in pairs]
        if lag == EFFECT_LAGS[0]:
            # higher in each of the first years: every year's interval above zero
            first = [shock_year + k for k in range(1, UNEMPLOYMENT_HIGHER_YEARS + 1)]
            lows = [across_seeds([paired_effect(b, v, "unemployment_rate", y) for b, v in pairs])[1] for y in first]

            def judge(e, lo, hi, lows=lows):
                return all(math.isfinite(x) and x > 0 for x in lows)

            expected = f"> 0, interval > 0 in {first[0]}-{first[-1]}"
        else:
            judge, expected = None, "(reported)"
        checks.append(_check(
            f"6 unemployment +{lag}", f"Mine closure {shock_year}: unemployment rate",
            f"Δ unemployment rate in {year}", "share", expected, values, judge, year,
        ))
    for column, label in (("out_migrants", "out-migrants"), ("in_migrants", "in-migrants")):
        for lag in EFFECT_LAGS:
            year = shock_year + lag
            checks.append(_check(
                f"6 {label} +{lag}", f"Mine closure {shock_year}: {label}", f"Δ {label} in {year}",
                "persons/year", "(reported)", [paired_effect(b, v, column, year) for b, v in pairs], None, year,
            ))
    return checks


# ------------------------------------------------------------------ the variants


def raised_series(series: Mapping[int, float], from_year: int, factor: float) -> dict[int, float]:
    """``series`` times ``factor`` from ``from_year`` on, unchanged in every earlier (whole) year.

    The model reads series at whole years, interpolating linearly between the years given: the
    result keeps the given years before ``from_year``, adds the value of ``from_year - 1`` (so the
    years before are unchanged) and ``from_year`` raised, and raises every later year given."""
    return _changed_from(series, from_year, lambda v: factor * v)


def _changed_from(series: Mapping[int, float], from_year: int, change: Callable[[float], float]) -> dict[int, float]:
    """``series`` with ``change`` applied from ``from_year`` on, unchanged in every earlier (whole)
    year (see :func:`raised_series`)."""
    out = {int(y): float(v) for y, v in series.items() if int(y) < from_year - 1}
    out[from_year - 1] = series_at(series, from_year - 1)
    out[from_year] = change(series_at(series, from_year))
    for y, v in series.items():
        if int(y) > from_year:
            out[int(y)] = change(float(v))
    return dict(sorted(out.items()))


def _yaml_mapping(series: Mapping[int, float]) -> str:
    return "{" + ", ".join(f"{y}: {float(v)!r}" for y, v in series.items()) + "}"


def transfer_overrides(scenario, from_year: int) -> list[str]:
    """``--set`` overrides raising the general transfer by :data:`TRANSFER_RISE` from ``from_year``:
    the transfer per resident, and where the equalisation formula applies (from its own
    ``from_year``), the standard expenditure that sets the fiscal gap it fills."""
    pf = scenario.public_finance
    factor = 1.0 + TRANSFER_RISE
    out = [f"{TRANSFER_KEY}={_yaml_mapping(raised_series(pf.general_transfer_yuan_per_resident_per_year, from_year, factor))}"]
    eq = pf.equalisation_transfer
    if eq is not None:
        series = eq.standard_expenditure_yuan_per_resident_per_year
        start = max(from_year, eq.from_year)
        out.append(f"{STANDARD_EXPENDITURE_KEY}={_yaml_mapping(raised_series(series, start, factor))}")
    return out


def demand_overrides(scenario, from_year: int) -> list[str]:
    """``--set`` overrides raising outside demand (``external_demand_index``) by :data:`DEMAND_RISE`
    from ``from_year`` for every sector but coal mining (priced coal, sold whatever the demand) and
    the land-bound sectors (farms, whose jobs the land sets)."""
    out = []
    for name, cfg in scenario.sectors.items():
        if name == "coal_mining" or cfg.land_labour_release_rate_per_year is not None:
            continue
        raised = raised_series(cfg.external_demand_index, from_year, 1.0 + DEMAND_RISE)
        out.append(f"sectors.{name}.external_demand_index={_yaml_mapping(raised)}")
    return out


def added_series(series: Mapping[int, float], from_year: int, amount: float) -> dict[int, float]:
    """``series`` plus ``amount`` from ``from_year`` on, unchanged in every earlier (whole) year
    (as :func:`raised_series`)."""
    return _changed_from(series, from_year, lambda v: v + amount)


def income_amount(tables: list[pd.DataFrame], year: int) -> float:
    """The income variant's outside income, yuan per resident a month: :data:`INCOME_RISE` of the
    households' consumption per resident in ``year`` (the mean over the runs that reach it; 0 if none)."""
    values = []
    for t in tables:
        row = t[t["year"] == year]
        if not row.empty and float(row["population"].iloc[0]) > 0:
            values.append(float(row["household_consumption"].iloc[0]) / float(row["population"].iloc[0]) / 12.0)
    return INCOME_RISE * float(np.mean(values)) if values else 0.0


def income_overrides(scenario, from_year: int, amount: float) -> list[str]:
    """``--set`` override adding ``amount`` yuan per resident a month to the households' outside
    income from ``from_year`` on."""
    series = added_series(scenario.households.outside_income_yuan_per_resident_per_month, from_year, amount)
    return [f"{INCOME_KEY}={_yaml_mapping(series)}"]


def mine_closure_overrides(year: int) -> list[str]:
    """``--set`` overrides that close every mine still open in ``year``.

    The scenario has no closure date per mine: a mine closes when its reserves fall below the
    workable minimum or after a run of loss-making months (``coal.close_after_loss_months_*``), both
    fixed for the whole run. The variant uses two levers for ``year`` only: the ecology/overcapacity
    lever cuts the mines' capacity to zero from January (no coal is extracted; staffing targets fall
    to zero; the cut stays after the year), so every mine makes a loss every month; and the state
    firms' hard budget (``soe_reform.hard_budget_loss_months``, :data:`CLOSURE_HARD_BUDGET_MONTHS`)
    closes the state mines after at most that many months of losses (private mines close after
    ``coal.close_after_loss_months_private``). Every other setting of the two levers keeps its
    neutral default (no productivity gain, resettlement payment, tax or transfer). Side effect: for
    that year an ordinary state firm with as many consecutive loss months exits too (normally after
    ``exit_after_loss_months_soe``, 18-36 months in Fuxin's sectors).
    """
    eco, soe = "levers.ecology_overcapacity", "levers.soe_reform"
    return [
        f"{eco}.enabled=true", f"{eco}.start_year={year}", f"{eco}.end_year={year}",
        f"{eco}.mine_capacity_cut_share=1.0", f"{eco}.capacity_cut_phase_in_years={1.0 / 12.0!r}",
        f"{soe}.enabled=true", f"{soe}.start_year={year}", f"{soe}.end_year={year}",
        f"{soe}.hard_budget_loss_months={CLOSURE_HARD_BUDGET_MONTHS}",
    ]


def default_shock_year(start: int, end: int, last_mine_year: float | None = None) -> int:
    """The middle year of the run, or earlier when the scenario's own mines close sooner: at most
    ``last_mine_year`` (the last year a mine is open in the scenario's runs, their median) less
    the longest effect lag, so that check 6 brings the closures forward by that long; never
    before the run's second year."""
    middle = (start + end) // 2
    if last_mine_year is None or not math.isfinite(last_mine_year):
        return middle
    return max(start + 1, min(middle, int(last_mine_year) - max(EFFECT_LAGS)))


def last_mine_year(tables: list[pd.DataFrame]) -> float | None:
    """The median over the runs of the last year a mine is open (None if no run ever has one)."""
    last = [int(t.loc[t["mines_open"] > 0, "year"].max()) for t in tables if (t["mines_open"] > 0).any()]
    return float(np.median(last)) if last else None


# ------------------------------------------------------------------ running


def read_run(directory: Path) -> pd.DataFrame:
    """A run directory's indicators (the columns the checks need)."""
    import pyarrow.parquet as pq

    path = Path(directory) / "indicators.parquet"
    names = pq.read_schema(path).names
    missing = [c for c in NEEDED if c not in names]
    if missing:
        raise ResultsError(f"{path}: no indicator {', '.join(missing)} (a run made before it was reported; delete it to run again)")
    return pq.read_table(path, columns=list(NEEDED)).to_pandas()


def check_runs(directories: list[Path]) -> None:
    """Raise :class:`DiagnoseRunFailed` if a run's manifest marks it failed (naming every such run)."""
    failed = []
    for d in directories:
        try:
            manifest = json.loads((Path(d) / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            failed.append(f"{d}: manifest not readable ({e})")
            continue
        why = run_failure(manifest)
        if why is not None:
            failed.append(f"{d}: {why}")
    if failed:
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise DiagnoseRunFailed(f"a run failed its checks, so the diagnosis is not made: {failed[0]}{more}")


def run_diagnose(
    scenario_file: Path,
    *,
    seeds: int,
    out: Path,
    workers: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    years: tuple[int, int] | None = None,
    shock_year: int | None = None,
    root_seed: int | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    before_runs: Callable[[int], None] | None = None,
) -> Diagnosis:
    """Run the scenario and its variants on the same seeds and diagnose them.

    Runs go to ``out/runs`` (identical runs already there are reused). ``years`` restricts the
    regressions; ``shock_year`` is when the variants start (default: :func:`default_shock_year`,
    the middle of the run or earlier if the scenario's mines close sooner, read off its own runs,
    which are made first).

    Raises:
        ScenarioError: the scenario or an override does not validate.
        ResultsError: ``years`` or ``shock_year`` outside the run.
        InconsistentScenarioError: the scenario cannot build its city.
        AccountingError: a run stopped on a non-finite value or a raised violation.
        DiagnoseRunFailed: a run finished but failed its accounting checks.
    """
    from simulator.experiment.seeds import SeedJob, derive_seeds, run_seeds
    from simulator.scenario.loader import load_scenario

    overrides = tuple(overrides)
    sc = load_scenario(scenario_file, overrides=overrides)
    start, end = sc.run.start_year, sc.run.end_year
    if years is not None and (years[1] < start or years[0] > end):
        raise ResultsError(f"--years {years[0]}:{years[1]}: the run covers {start}-{end} only")
    span = (start, end) if years is None else (max(years[0], start), min(years[1], end))
    if shock_year is not None and not start < shock_year <= end:
        raise ResultsError(f"--shock-year {shock_year}: must lie after the run's first year and not after its last ({start + 1}-{end})")
    # every variant validates before any run starts (at the middle year if the shock year waits
    # for the scenario's own runs)
    probe_year = default_shock_year(start, end) if shock_year is None else shock_year
    for extra in (transfer_overrides(sc, probe_year), mine_closure_overrides(probe_year), demand_overrides(sc, probe_year),
                  income_overrides(sc, probe_year, 1.0)):
        load_scenario(scenario_file, overrides=overrides + tuple(extra))
    seed_list = derive_seeds(sc.run.seed if root_seed is None else root_seed, seeds)

    def jobs_of(names, variants):
        return [SeedJob(scenario_file=str(scenario_file), seed=s, overrides=overrides + tuple(variants[v])) for v in names for s in seed_list]

    if before_runs:
        before_runs(len(VARIANTS) * seeds)
    # the scenario's own runs first: the default shock year depends on when their mines close
    done = [0, 0]  # runs and reused runs of the batches before

    def step_progress(i, n, reused):
        if progress:
            progress(done[0] + i, len(VARIANTS) * seeds, done[1] + reused)
            if i == n:
                done[1] += reused

    base_dirs = run_seeds(jobs_of([BASE], {BASE: []}), out_root=Path(out) / "runs", workers=workers, progress=step_progress)
    check_runs(base_dirs)
    base_tables = [read_run(d) for d in base_dirs]
    shock = default_shock_year(start, end, last_mine_year(base_tables)) if shock_year is None else shock_year
    variants = {BASE: [], TRANSFER: transfer_overrides(sc, shock), CLOSURE: mine_closure_overrides(shock),
                DEMAND: demand_overrides(sc, shock), INCOME: income_overrides(sc, shock, income_amount(base_tables, shock - 1))}
    notes = []
    if shock_year is None and shock != default_shock_year(start, end):
        notes.append(f"shock year {shock} (not the run's middle, {default_shock_year(start, end)}): the scenario's mines close by "
                     f"{last_mine_year(base_tables):g} (median of its runs), and check 6 brings closures forward by "
                     f"{max(EFFECT_LAGS)} years at least")
    on = [name for name in ("ecology_overcapacity", "soe_reform") if getattr(sc.levers, name).enabled]
    if on:
        notes.append(f"the scenario has {' and '.join(on)} on: the mine-closure variant replaces {'its' if len(on) == 1 else 'their'} years and sizes")
    done[0] = seeds
    rest = run_seeds(jobs_of(VARIANTS[1:], variants), out_root=Path(out) / "runs", workers=workers, progress=step_progress)
    check_runs(rest)
    made = list(base_dirs) + list(rest)
    dirs = {v: made[i * seeds:(i + 1) * seeds] for i, v in enumerate(VARIANTS)}
    tables = {v: (base_tables if v == BASE else [read_run(d) for d in ds]) for v, ds in dirs.items()}
    national = sc.world.national_average_wage_yuan_per_year
    checks = diagnose(tables[BASE], national_wage=national, shock_year=shock, years=span,
                      transfer=tables[TRANSFER], closure=tables[CLOSURE], demand=tables[DEMAND], income=tables[INCOME],
                      engel=engel_benchmark(sc))
    still_open = [float(t.loc[t["year"] == shock, "mines_open"].iloc[0]) for t in tables[CLOSURE] if (t["year"] == shock).any()]
    before = [float(t.loc[t["year"] == shock - 1, "mines_open"].iloc[0]) for t in tables[BASE] if (t["year"] == shock - 1).any()]
    if before and max(before) == 0:
        notes.append(f"no mine was open at the end of {shock - 1} in the scenario's runs: check 6 closes nothing")
    else:
        last = [int(t.loc[t["mines_open"] > 0, "year"].max()) for t in tables[BASE] if (t["mines_open"] > 0).any()]
        if last and max(last) < shock + max(EFFECT_LAGS):
            notes.append(
                f"in the scenario's own runs the last mine closes by the end of {max(last) + 1} at the latest: check 6 "
                f"brings closures forward by {max(last) + 1 - shock} years or less (an earlier --shock-year tests a longer gap)"
            )
    if any(x > 0 for x in still_open):
        notes.append(f"mines still open at the end of {shock} in the closure variant: {', '.join(f'{x:g}' for x in still_open)}")
    if shock + max(EFFECT_LAGS) > end:
        notes.append(f"the run ends in {end}: effects more than {end - shock} years after {shock} are n/a")
    points = {
        "okun": _points(tables[BASE], okun_points, span),
        "beveridge": _points(tables[BASE], beveridge_points, span),
        "wage_curve": pd.concat(
            [pd.DataFrame(dict(zip(("x", "y"), wage_curve_paired_points(b, v, shock), strict=True)) | {"seed_index": i})
             for i, (b, v) in enumerate(zip(tables[BASE], tables[DEMAND], strict=True))],
            ignore_index=True,
        ),
        "services": _points(tables[BASE], services_points, span),
    }
    return Diagnosis(
        scenario=sc.name, city=sc.city.name, city_zh=sc.city.name_zh or "", seeds=seed_list, years=span,
        shock_year=shock, variants={v: list(o) for v, o in variants.items()}, checks=checks, notes=notes,
        runs={v: [str(d) for d in ds] for v, ds in dirs.items()}, points=points,
    )


# ------------------------------------------------------------------ output


def _num(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def to_frame(d: Diagnosis) -> pd.DataFrame:
    """The checks as ``diagnose.csv``'s table (columns :data:`CSV_COLUMNS`)."""
    rows = [
        {"check": c.check, "name": c.name, "statistic": c.statistic, "unit": c.unit, "year": c.year,
         "estimate": c.estimate, "p05": c.p05, "p95": c.p95, "n_seeds": c.n_seeds, "expected": c.expected, "result": c.result}
        for c in d.checks
    ]
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    frame["year"] = frame["year"].astype("Int64")
    return frame


def to_json(d: Diagnosis) -> dict:
    """The diagnosis as plain data (``diagnose.json``)."""
    checks = []
    for c in d.checks:
        item = asdict(c)
        item["n_seeds"] = c.n_seeds
        for k in ("estimate", "p05", "p95"):
            item[k] = _num(item[k])
        item["values"] = [_num(v) for v in c.values]
        checks.append(item)
    return {
        "scenario": d.scenario, "city": d.city, "city_zh": d.city_zh, "seeds": d.seeds,
        "years": list(d.years), "shock_year": d.shock_year, "variants": d.variants,
        "unemployment_rate": "unemployed_persons / (employment_total + unemployed_persons)",
        "interval": [INTERVAL[0], INTERVAL[1]], "passed": d.n_pass, "failed": d.n_fail,
        "checks": checks, "notes": d.notes, "runs": d.runs,
    }


def draw(d: Diagnosis, path: Path) -> Path:
    """``diagnose.png``: the Okun scatter, the Beveridge scatter, the wage curve and the services
    share against income, every seed's years as points with the pooled least-squares line."""
    from simulator.analysis import style

    plt, _ = style.setup_matplotlib()
    panels = (
        ("okun", "Okun's law", "real GDP growth", "Δ unemployment rate", "1 okun"),
        ("beveridge", "Beveridge curve", "unemployment rate", "vacancy rate", "2 beveridge"),
        ("wage_curve", "Wage curve (demand variant against the city, by year)", "Δ log unemployment rate",
         "Δ log non-farm wage", "3 wage curve"),
        ("services", "Services share against income (the run's years)", "log GDP per person", "services share of GDP",
         "4 services, years"),
    )
    by_key = {c.check: c for c in d.checks}
    fig, axes = plt.subplots(2, 2, figsize=(9.0, 7.0))
    for ax, (key, title, xl, yl, check) in zip(axes.flat, panels, strict=True):
        pts = d.points.get(key)
        if pts is not None and len(pts):
            ok = np.isfinite(pts["x"]) & np.isfinite(pts["y"])
            p = pts[ok]
            ax.scatter(p["x"], p["y"], s=9, alpha=0.5, c=p["seed_index"], cmap="viridis", linewidths=0)
            slope = ols_slope(p["x"], p["y"])
            if math.isfinite(slope):
                xs = np.linspace(float(p["x"].min()), float(p["x"].max()), 2)
                ax.plot(xs, float(p["y"].mean()) + slope * (xs - float(p["x"].mean())), color="black", lw=1.2)
        c = by_key.get(check)
        if c is not None:
            title = f"{title}\n{c.estimate:.3g} [{c.p05:.3g}, {c.p95:.3g}], expected {c.expected}: {c.result}" if math.isfinite(c.estimate) else f"{title}: n/a"
        ax.set_title(title)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{d.city} ({d.scenario}): behavioural checks, {d.years[0]}-{d.years[1]}, {len(d.seeds)} seeds")
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return atomic_write(Path(path), buf.getvalue())


def write_outputs(d: Diagnosis, out: Path) -> list[Path]:
    """Write ``diagnose.csv``, ``diagnose.json`` and ``diagnose.png`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        atomic_write(out / "diagnose.csv", to_frame(d).to_csv(index=False)),
        atomic_write(out / "diagnose.json", json.dumps(to_json(d), indent=1, ensure_ascii=False) + "\n"),
        draw(d, out / "diagnose.png"),
    ]
    return written
