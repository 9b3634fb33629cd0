"""Pydantic schema of a scenario file.

Every behavioural parameter of the model lives here, named with its unit
(``_yuan_per_month``, ``_per_year``, ``_share`` ...). Values, and the source or
reason for each value, live in the scenario YAML files (as comments next to
the value). Unknown keys are rejected everywhere (``extra="forbid"``).

Money is in constant yuan of ``city.money_base_year`` (2000 for Fuxin);
``world.cpi_index`` records the deflator used to convert observed nominal
figures (see ``calibration/data/fuxin_targets.csv``).

Time-varying parameters are :data:`Series`: a mapping ``year -> value``,
linearly interpolated between the given years and held constant outside them.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import types
import typing
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from simulator.vocabulary import SECTOR_NAMES

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Year = Annotated[int, Field(ge=1900, le=2200)]
Series = dict[Year, float]
ShareSeries = dict[Year, Share]
NonNegSeries = dict[Year, NonNeg]


# ------------------------------------------------------------- checked values

MAX_MAGNITUDE = 1e15
"""Largest absolute value of any number in a scenario. Money is the largest size a
scenario holds, and China's whole GDP is about 1.3e14 yuan a year (2023): no city's
yuan figure comes near 1e15, and counts and tonnes are far smaller. The cap keeps
the model's sums and products of sizes finite (a coal price of 1.8e308 overflowed
to inf and stopped a run)."""

MAX_PERSONS = 1e8
"""Largest count of persons or households: Chongqing, the most populous city-level
unit in China, has about 3.2e7 residents."""

MAX_YUAN_PER_PERSON = 1e8
"""Largest money amount per person (or worker, resident, household) a month or a year:
China's average urban wage is about 1.2e5 yuan a year (2023), so 1e8 is a thousand
times it a month. Far larger amounts per worker made a firm want more workers than
memory holds."""

MAX_ELASTICITY = 10.0
"""Largest absolute elasticity: at 10, a 10% change multiplies the response by 2.6,
far beyond any estimate; the model raises ratios to elasticities and takes
exponentials of them, which overflow for larger ones."""

MAX_HOUSEHOLD_SIZE = 20.0
"""Largest mean household size, persons: Chinese cities' mean is about 3 and the
census's largest size class is '10 persons or more'."""

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
"""Scenario names: the name is the directory of the scenario's runs (``results/<name>/``),
so it must be a safe file name on every system: letters, digits, ``_``, ``.``, ``-``,
not starting with ``.`` or ``-``, at most 100 characters, no ``..``."""


class UnitBound(NamedTuple):
    """Bounds of the values of a field, from the unit its name ends with."""

    low: float
    high: float
    high_open: bool
    reason: str


UNIT_RULE_EXEMPT: dict[str, str] = {
    "matching_efficiency_per_month": "the matching function's efficiency, not a rate of a stock: "
    "hires are capped at the vacancies and the seekers, and calibration searches it up to 1",
    "discouraged_exit_rate_per_month_age_50_plus": "a probability per month for each older seeker: 1, every one "
    "leaves at once, is a valid limit (its type keeps it in [0, 1])",
    "capacity_headroom_share": "spare capacity relative to output: a firm may hold more than "
    "twice what it sells",
    "entry_cost_share_of_capital": "the non-monetary entry cost relative to an entrant's capital, "
    "which it may exceed",
}
"""Fields whose names carry a unit suffix (``_share``, ``_per_month``) without its
bounds, each with the reason; their own declared bounds still apply."""

_SHARE = re.compile(r"(^|_)share(_|$)")
_PER_PERSON_MONEY = re.compile(r"yuan.*per_(month|person|worker|resident|trainee|laid_off_worker)|per_worker_yuan")
_NUMERIC = re.compile(r"[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?|[-+]?(\.?inf|\.?nan|infinity)", re.IGNORECASE)


@functools.cache
def unit_bound(name: str) -> UnitBound | None:
    """The bounds that a field's unit suffix implies for its values, if any.

    * ``..._share...``: in [0, 1], a part of a whole;
    * money per person, worker or resident (``..._yuan_per_month``,
      ``..._yuan_per_resident_per_year``, ``capital_per_worker_yuan``, ...): at
      most :data:`MAX_YUAN_PER_PERSON` in size;
    * ``..._per_month...`` (not money): in [0, 1), a rate per month: at 1 the
      whole stock would turn over within the month;
    * ``..._per_1000...``: in [0, 1000];
    * ``...elasticity...``: at most :data:`MAX_ELASTICITY` in size;
    * ``...household_size...``: in [1, :data:`MAX_HOUSEHOLD_SIZE`];
    * ``..._firm_size...``: at least 1 person, a firm has someone in it;
    * counts (``persons``, ``..._persons``, ``...households...``, not money):
      at most :data:`MAX_PERSONS`.

    Every number also has at most :data:`MAX_MAGNITUDE` in size and is finite.
    Names in :data:`UNIT_RULE_EXEMPT` have no unit bounds.
    """
    if name in UNIT_RULE_EXEMPT:
        return None
    if _PER_PERSON_MONEY.search(name):
        return UnitBound(-MAX_YUAN_PER_PERSON, MAX_YUAN_PER_PERSON, False, "money per person: 1e8 is a thousand times China's average wage a month")
    if "yuan" in name:
        return None
    if _SHARE.search(name):
        return UnitBound(0.0, 1.0, False, "a share is a part of a whole")
    if "_per_month" in name:
        return UnitBound(0.0, 1.0, True, "a rate per month: at 1 the whole stock would turn over within the month")
    if "_per_1000" in name:
        return UnitBound(0.0, 1000.0, False, "a count per 1000 residents")
    if "elasticity" in name:
        return UnitBound(-MAX_ELASTICITY, MAX_ELASTICITY, False, "no estimate comes near 10: a 10% change would multiply the response by 2.6")
    if "household_size" in name:
        return UnitBound(1.0, MAX_HOUSEHOLD_SIZE, False, "a mean household size: Chinese cities' is about 3")
    if "firm_size" in name:
        return UnitBound(1.0, MAX_PERSONS, False, "a firm has at least one person")
    if name == "persons" or name.endswith("_persons") or "households" in name:
        return UnitBound(0.0, MAX_PERSONS, False, "a count of people: Chongqing, China's most populous city, has 3.2e7")
    return None


def _bare(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin is typing.Union or origin is types.UnionType:
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


@functools.cache
def _is_series(tp: Any) -> bool:
    """Whether a field type is a series (a mapping keyed by year)."""
    tp = _bare(tp)
    return typing.get_origin(tp) is dict and _bare(typing.get_args(tp)[0]) is int


@functools.cache
def _value_kind(tp: Any) -> tuple[str, bool]:
    """``(kind, mapping)`` of a field type: kind ``'number'``, ``'bool'`` or ``''``;
    mapping: the values are those of a mapping (a series, shares by name)."""
    tp = _bare(tp)
    mapping = typing.get_origin(tp) is dict
    if mapping:
        tp = _bare(typing.get_args(tp)[1])
    if tp is bool:
        return "bool", mapping
    if tp in (int, float):
        return "number", mapping
    return "", mapping


class EntryError(ValueError):
    """A problem with one entry of a mapping-valued field (a year of a series): ``key``
    names the entry, so that the loader can point at its line."""

    def __init__(self, key: Any, message: str) -> None:
        super().__init__(message)
        self.key = key


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _short(x: float) -> str:
    """``1e+08`` -> ``1e8``."""
    return f"{x:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _kind_problem(kind: str, value: Any) -> str | None:
    if kind == "number" and isinstance(value, bool):
        return f"expected a number, got {_fmt(value)}"
    if kind == "number" and isinstance(value, str) and _NUMERIC.fullmatch(value.strip()):
        return f"expected a number, got the text {_fmt(value)} (remove the quotes)"
    if kind == "bool" and not isinstance(value, bool):
        return f"expected true or false, got {_fmt(value)}"
    return None


def _size_problem(name: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        return f"expected a finite number of at most {_short(MAX_MAGNITUDE)} in size (no figure of a city is larger), got {_fmt(value)}"
    b = unit_bound(name)
    if b is None:
        return None
    above = value >= b.high if b.high_open else value > b.high
    if value < b.low or above:
        top = f"{_short(b.high)})" if b.high_open else f"{_short(b.high)}]"
        return f"expected a value in [{_short(b.low)}, {top} ({b.reason}), got {_fmt(value)}"
    return None


def _check(value: Any, problem: typing.Callable[[Any], str | None], mapping: bool) -> None:
    """Raise the first problem of a value, or of each entry of a mapping's values."""
    if mapping:
        if isinstance(value, dict):
            for key, sub in value.items():
                text = problem(sub)
                if text:
                    raise EntryError(key, text)
        return
    text = problem(value)
    if text:
        raise ValueError(text)


def _safe_name(v: str) -> str:
    if ".." in v:
        raise ValueError("a name must not contain '..' (it names a directory)")
    return v


class Strict(BaseModel):
    """Base class: unknown keys are errors, values are validated on assignment.

    Numbers are checked strictly and generically, for every field of every
    model: they must be finite (``allow_inf_nan=False``, also in series),
    ``true``/``false`` or a string are not numbers, numbers are not booleans,
    no number exceeds :data:`MAX_MAGNITUDE` in size, and a field's unit
    suffix bounds its values (:func:`unit_bound`).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_kinds(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or value is None:
            return value
        kind, mapping = _value_kind(field.annotation)
        if kind:
            _check(value, functools.partial(_kind_problem, kind), mapping)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _unit_bounds(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, dict) and not value and _is_series(cls.model_fields[info.field_name or ""].annotation):
            _check_series_nonempty(value)  # the model looks a series' value up by year
        _check(value, functools.partial(_size_problem, info.field_name or ""), isinstance(value, dict))
        return value


def _check_series_nonempty(v: dict) -> dict:
    if isinstance(v, dict) and len(v) == 0:
        raise ValueError("a series needs at least one 'year: value' entry")
    return v


def _check_shares_sum(shares: dict[str, float], what: str, total: float = 1.0) -> None:
    s = sum(shares.values())
    if abs(s - total) > 1e-6:
        raise ValueError(f"{what} must sum to {total:g}, they sum to {s:.6g}")


def _skill_shares(v: dict[str, float]) -> dict[str, float]:
    if set(v) != {"low", "medium", "high"}:
        raise ValueError("skill shares need low, medium and high")
    _check_shares_sum(v, "skill shares")
    return v


SkillShares = Annotated[dict[Literal["low", "medium", "high"], Share], AfterValidator(_skill_shares)]


def _each_skill(v: dict[str, float]) -> dict[str, float]:
    missing = [k for k in ("low", "medium", "high") if k not in v]
    if missing:
        raise ValueError(f"a value for each skill is needed (low, medium, high); missing {', '.join(missing)}")
    return v
"""Shares of persons by skill (low, medium, high), summing to 1."""


# --------------------------------------------------------------------------- run


class AccountingCfg(Strict):
    on_violation: Literal["raise", "record"] = "record"
    relative_tolerance: Positive = 1e-9


class RunCfg(Strict):
    start_year: Year
    end_year: Year
    scale: Annotated[int, Field(ge=1)] = 100
    seed: Annotated[int, Field(ge=0)] = 0
    worker_rows_per_firm_row: Annotated[float, Field(ge=1.0)] = 5.0
    accounting: AccountingCfg = AccountingCfg()

    @model_validator(mode="after")
    def _end_after_start(self) -> RunCfg:
        if self.end_year < self.start_year:
            raise ValueError(
                f"end_year ({self.end_year}) is before start_year ({self.start_year})"
            )
        return self


class CityCfg(Strict):
    name: str
    name_zh: str = ""
    money_base_year: Year
    package_start_year: Year | None = None


# -------------------------------------------------------------------- population

AGE_BAND_PATTERN = r"^\d{1,3}-\d{1,3}$"


class PopulationCfg(Strict):
    persons: Annotated[int, Field(gt=0)]
    female_share: Share
    age_band_shares: dict[str, Share]
    female_share_by_age_band: dict[str, Share] | None = None  # women's share of each age band (the census pyramid by sex); unset: female_share in every band
    skill_shares: SkillShares
    household_size_mean_persons: Annotated[float, Field(ge=1.0)]
    rural_share: Share | None = None  # required without regions; with regions, their urban shares set it
    unemployed_persons: Annotated[int, Field(ge=0)]
    initial_unemployment_spell_max_months: Annotated[int, Field(ge=0)] = 24
    savings_yuan_per_household_mean: NonNeg
    shantytown_households: Annotated[int, Field(ge=0)]
    subsidence_households: Annotated[int, Field(ge=0)]
    initial_pension_yuan_per_month: NonNeg

    @field_validator("age_band_shares")
    @classmethod
    def _bands(cls, v: dict[str, float]) -> dict[str, float]:
        prev_hi = -1
        for band in v:
            if not re.match(AGE_BAND_PATTERN, band):
                raise ValueError(f"age band {band!r} must look like '15-59'")
            lo, hi = (int(x) for x in band.split("-"))
            if hi < lo:
                raise ValueError(f"age band {band!r} ends before it starts")
            if lo != prev_hi + 1:
                raise ValueError(
                    f"age band {band!r} must start at {prev_hi + 1} (bands in order, no gaps)"
                )
            prev_hi = hi
        _check_shares_sum(v, "age_band_shares")
        return v

    @field_validator("female_share_by_age_band")
    @classmethod
    def _female_bands(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        bands = info.data.get("age_band_shares")
        if v is None or bands is None:  # no pyramid by sex, or the bands are wrong (reported there)
            return v
        for band in v:
            if band not in bands:
                hint = difflib.get_close_matches(band, list(bands), n=1)
                raise EntryError(band, f"age band {band!r} is not one of age_band_shares"
                                 + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        missing = [b for b in bands if b not in v]
        if missing:
            raise ValueError(f"misses the age band(s) {', '.join(missing)} of age_band_shares")
        female = info.data.get("female_share")
        overall = sum(bands[b] * v[b] for b in bands)
        if female is not None and abs(overall - female) > 0.005:
            raise ValueError(f"the bands give a women's share of {overall:.4f} (age_band_shares x "
                             f"female_share_by_age_band), female_share is {female:g}")
        return v



# -------------------------------------------------------------------- demography


GOMPERTZ_MAX_AGE_YEARS = 110  # the life table is closed at 110 (simulator.model.demography.MAX_AGE_YEARS)
GOMPERTZ_LOG_LEVEL_RANGE = (-25.0, 0.0)  # the log Gompertz levels searched (annual mortality at birth e^-25 to 1)


def gompertz_life_expectancy(log_level: float, slope: float) -> float:
    """Life expectancy at birth (years) of a Gompertz life table closed at
    :data:`GOMPERTZ_MAX_AGE_YEARS`: cumulative hazard ``e^log_level / slope x (e^(slope x age) - 1)``,
    survivors summed by the trapezoid rule."""
    import numpy as np

    ages = np.arange(0, GOMPERTZ_MAX_AGE_YEARS + 1, dtype=float)
    surv = np.exp(-np.exp(log_level) / slope * (np.exp(slope * ages) - 1.0))
    return float(surv[:-1].sum() - 0.5 * (surv[0] - surv[-1]))


class DemographyCfg(Strict):
    total_fertility_rate: NonNegSeries
    fertility_mean_age_years: Positive
    fertility_sd_years: Positive
    male_share_at_birth: Share
    life_expectancy_years: dict[Year, Annotated[float, Field(gt=20, lt=120)]]
    # the rate at which adult mortality rises with age (human life tables: about 0.07-0.12 a year);
    # above 1 a year mortality would grow e-fold each year of age and the life table overflows
    gompertz_slope_per_year: Annotated[float, Field(gt=0.0, le=1.0)]
    newborn_skill_shares: SkillShares
    school_leaving_age_years: Annotated[dict[Literal["low", "medium", "high"], Annotated[int, Field(ge=10, le=30)]], AfterValidator(_each_skill)]
    # statutory retirement ages (years; a person of age 0-120 is modelled, so ages outside 30-90 are typos)
    retirement_age_men_years: dict[Year, Annotated[float, Field(ge=30, le=90)]]
    retirement_age_women_workers_years: dict[Year, Annotated[float, Field(ge=30, le=90)]]
    retirement_age_women_cadres_years: dict[Year, Annotated[float, Field(ge=30, le=90)]]
    farm_work_until_age_years: Annotated[int, Field(ge=40, le=90)]  # farmers have no statutory retirement age: those working on farms stop at this age

    _v = field_validator(
        "total_fertility_rate",
        "life_expectancy_years",
        "retirement_age_men_years",
        "retirement_age_women_workers_years",
        "retirement_age_women_cadres_years",
    )(classmethod(lambda cls, v: _check_series_nonempty(v)))

    @model_validator(mode="after")
    def _gompertz_solvable(self) -> DemographyCfg:
        lo, hi = GOMPERTZ_LOG_LEVEL_RANGE
        slope = self.gompertz_slope_per_year
        longest, shortest = gompertz_life_expectancy(lo, slope), gompertz_life_expectancy(hi, slope)
        for year, e0 in self.life_expectancy_years.items():
            if not shortest <= e0 <= longest:
                raise ValueError(
                    f"life_expectancy_years {e0:g} ({year}) is out of reach with gompertz_slope_per_year {slope:g}: "
                    f"a Gompertz life table of that slope gives {shortest:.1f} to {longest:.1f} years "
                    "(human life tables: a slope of about 0.07-0.12 a year)"
                )
        return self


# ------------------------------------------------------------------------ labour


class InformalWorkCfg(Strict):
    """Own-account and informal work (灵活就业) of job seekers: counted as employed by the
    census, paid out of the households' spending on local services, outside registration."""

    entry_rate_per_month: Share  # a job seeker starts informal work
    exit_rate_per_month: Share  # informal work ends (back to plain job seeking)
    earnings_share_of_services_wage: Share  # earnings per informal worker against a low-skill services wage
    max_share_of_household_services_demand: Share  # the households' local services spending informal work can take at most
    search_intensity: Share  # an informal worker's weight in matching against a job seeker's 1


class LabourCfg(Strict):
    quit_rate_per_month: Share
    matching_efficiency_per_month: Positive
    matching_elasticity_unemployed: Share
    sector_mismatch_penalty: Share
    skill_wage_premium: Annotated[dict[Literal["low", "medium", "high"], Positive], AfterValidator(_each_skill)]
    layoff_share_of_excess_per_month_private: Share
    layoff_share_of_excess_per_month_soe: Share
    wage_adjustment_per_month: Share
    discouraged_exit_rate_per_month_age_50_plus: Share
    labour_force_entry_inactive_share: Share
    public_employment_per_1000_residents: NonNeg
    registered_share_of_unemployed: Share
    unemployment_benefit_yuan_per_month: NonNeg
    unemployment_benefit_max_months: Annotated[int, Field(ge=0)]
    informal: InformalWorkCfg
    early_retirement_years_before_statutory: Annotated[float, Field(ge=0.0, le=15.0)]  # laid-off state workers this close to their statutory age may retire (0: nobody)
    early_retirement_take_up_share: Share  # of those eligible, the share who retire (they apply, the firm approves)
    # the wage curve: the city's wages (base wage) move with (u / u_start)^elasticity, u the city's
    # job seekers' share of the labour force averaged over wage_curve_smoothing_months (0: no curve)
    wage_curve_elasticity: Annotated[float, Field(ge=-1.0, le=0.0)] = 0.0
    wage_curve_smoothing_months: Annotated[float, Field(ge=1.0, le=120.0)] = 1.0  # 1: this month's rate, unsmoothed
    wage_curve_min_rate: Annotated[float, Field(ge=0.0, le=0.5)] = 0.0  # both rates are floored here (below it a tighter market raises wages no further)


# ----------------------------------------------------------------------- sectors


class SectorCfg(Strict):
    initial_employment_persons: Annotated[int, Field(ge=0)]
    soe_employment_share: Share
    value_added_per_worker_yuan_per_month: Positive
    productivity_growth_per_year: dict[Year, Annotated[float, Field(ge=-0.2, le=0.3)]]
    relative_wage: Positive
    external_demand_index: NonNegSeries = Field(default_factory=lambda: {2000: 1.0})
    pension_coverage_share: Share
    vat_rate: ShareSeries | None = None
    enterprise_income_tax_rate: ShareSeries | None = None
    local_consumption_share: Share = 0.0
    consumption_income_elasticity: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0  # Engel: the share's elasticity to consumption per resident (1: homothetic)
    investment_goods_share: Share = 0.0
    # the part of the intermediate inputs that is local producer services is bought in the city,
    # the rest outside (the name is kept for the scenario files)
    intermediate_import_share: Annotated[float, Field(ge=0.0, lt=1.0)]  # of sales: all intermediate inputs (input-output table: intermediate over total input), below 1; the rest is value added
    # of sales: the part of those intermediate inputs that is services (producer services:
    # transport, trade, finance, repair, business services), at most intermediate_import_share;
    # firms.producer_services_local_share of it is bought from the city's services firms (ordinary
    # firms only: the mines' inputs are a cost per tonne, bought outside)
    services_input_share: Share = 0.0
    mean_firm_size_persons: Positive
    min_skill: Literal["low", "medium", "high"] = "low"
    entry_rate_per_firm_per_month: NonNeg
    entry_profit_elasticity: NonNeg
    entry_capital_yuan: NonNeg
    capital_per_worker_yuan: Positive
    exit_after_loss_months_private: Annotated[int, Field(ge=1)]
    exit_after_loss_months_soe: Annotated[int, Field(ge=1)]
    # farms: the land sets the jobs. When set, the sector's firms never want more workers than
    # their land's path, which falls by this share a year (mechanisation); demand can only cut it
    land_labour_release_rate_per_year: ShareSeries | None = None
    # a local price: each month it moves by this power of last month's demand / capacity ratio
    # (0: the price stays at its start value 1, as for goods sold at outside prices)
    price_adjustment_per_month: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    # with a local price: the share of the log gap between the price and the sector's unit labour
    # cost index (wages over productivity, 1 at the start) closed each month (0: no cost anchor)
    price_cost_pass_through_per_month: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    # goods sold at outside prices: the price of the sector's output relative to the national CPI
    # (only its path matters: the model divides by the start year's value); none: the CPI's (1)
    outside_price_index: NonNegSeries | None = None

    @model_validator(mode="after")
    def _outside_price_for_goods_only(self):
        if self.outside_price_index is not None:
            if self.price_adjustment_per_month > 0:
                raise ValueError(
                    "outside_price_index is for goods sold at outside prices: a sector with a local "
                    "price (price_adjustment_per_month above 0) cannot have one"
                )
            if min(self.outside_price_index.values()) <= 0:
                raise ValueError("outside_price_index must be above 0 in every year")
        return self

    @model_validator(mode="after")
    def _local_services_inputs_within_inputs(self):
        if self.services_input_share > self.intermediate_import_share:
            raise ValueError(
                f"services_input_share ({self.services_input_share}) exceeds "
                f"intermediate_import_share ({self.intermediate_import_share}): the services inputs "
                "are a part of the sector's intermediate inputs"
            )
        return self


class MineCfg(Strict):
    name: str
    soe: bool
    reserves_tonnes: NonNeg
    capacity_tonnes_per_year: Positive
    workers_persons: Annotated[int, Field(ge=0)]
    region: str | None = None  # the region (``regions[].name``) the mine lies in; required when the city has regions


class CoalCfg(Strict):
    depletion_cost_elasticity: NonNeg
    nonlabour_cost_yuan_per_tonne: NonNeg
    min_workable_reserves_tonnes: NonNeg
    close_after_loss_months_private: Annotated[int, Field(ge=1)]
    close_after_loss_months_soe: Annotated[int, Field(ge=1)]
    mines: list[MineCfg]


class FirmsCfg(Strict):
    investment_share_of_profit: Share
    depreciation_rate_per_year: Share
    dividend_payout_share_private: Share
    dividend_local_share: Share
    initial_cash_months_of_wage_bill: NonNeg
    loan_interest_rate_per_year: NonNeg
    capacity_headroom_share: NonNeg
    productivity_dispersion_sd: Annotated[float, Field(ge=0.0, le=2.0)]  # sd of log productivity: 2 is a 50-fold spread between the 2.5th and 97.5th percentiles, beyond any industry's (shipped 0.2-0.3); 200 overflowed exp()
    max_labour_share_of_value_added: Share
    wage_premium_bound: Share
    entry_pressure_cap: Annotated[float, Field(ge=1.0)]
    entry_cost_share_of_capital: NonNeg
    entry_delay_months: Annotated[int, Field(ge=0, le=60)]
    soe_social_functions_cost_share_of_wage_bill: Share
    producer_services_local_share: Share = Field(
        0.0,
        description=(
            "the share of the firms' services inputs (sectors.<s>.services_input_share) bought "
            "from the city's services firms; the rest is bought outside the city"
        ),
    )


# -------------------------------------------------------------------- households


class HouseholdsCfg(Strict):
    propensity_to_consume: ShareSeries
    consumption_from_savings_per_month: Share
    import_leakage_share: Share
    deposit_interest_rate_per_year: NonNeg
    # CES between the sectors' local consumption: shares move with relative prices as
    # price^(1 - elasticity); 1 keeps yuan budget shares (Cobb-Douglas), below 1 a dearer
    # sector gains spending (Baumol)
    consumption_substitution_elasticity: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    outside_income_yuan_per_resident_per_month: NonNegSeries = Field(
        default_factory=lambda: {2000: 0.0},
        description=(
            "income paid to the city's households from outside it, per present member a month, "
            "constant yuan (remittances, outside pensions and subsidies that no mechanism of the "
            "model pays; a world input, 0 = none); `sim diagnose` raises it for its income variant"
        ),
    )


# ----------------------------------------------------------------------- regions

CENSUS_SECTORS = ("agriculture", "industry", "services")
"""The census's three employment sectors (primary, secondary, tertiary)."""

CENSUS_SHARE_TOLERANCE = 0.001
"""Census shares are published rounded (to 0.01 percentage points): they may miss 1 by this much."""


def _employment_shares(v: dict[str, float]) -> dict[str, float]:
    missing = [k for k in CENSUS_SECTORS if k not in v]
    if missing:
        raise ValueError(f"employment shares need {', '.join(CENSUS_SECTORS)}; missing {', '.join(missing)}")
    total = sum(v.values())
    if total <= 0:
        raise ValueError("a region with people needs employment in at least one sector; all shares are 0")
    if abs(total - 1.0) > CENSUS_SHARE_TOLERANCE:
        raise ValueError(f"employment_shares must sum to 1 (within {CENSUS_SHARE_TOLERANCE:g}), they sum to {total:.6g}")
    return v  # the model divides by the sum (census rounding removed there)


class RegionCfg(Strict):
    """A district or county of the city (persons, households and firms belong to one)."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")]  # names region columns and files: lower case, at most 100 characters
    name_zh: str = ""
    kind: Literal["district", "county"]
    land_area_km2: Positive | None = None  # unset where no source gives it: the region has no population density
    population_persons: Annotated[int, Field(gt=0)]  # residents at the census the regions come from: their shares distribute population.persons
    urban_share: Share
    employment_shares: Annotated[dict[Literal["agriculture", "industry", "services"], Share], AfterValidator(_employment_shares)]
    mining_share_of_employed: Share = 0.0


class InternalMigrationCfg(Strict):
    """Moves of households between the city's regions (counted once: a move changes a household's region)."""

    rural_to_urban_rate_per_year: Share
    destination: Literal["jobs", "population"] = "jobs"
    jobs_out_of_reach_left_on_moving: bool = True  # members working in the county they leave give up their jobs


# --------------------------------------------------------------------- migration


def _age_profile(v: dict[int, float]) -> dict[int, float]:
    if not v:
        raise ValueError("the age profile needs at least one age")
    if max(v.values()) <= 0.0:
        raise ValueError("the age profile is zero at every age: no one would leave alone (set base_rate_per_year to 0 instead)")
    return dict(sorted(v.items()))


AgeProfile = Annotated[
    dict[Annotated[int, Field(ge=16, le=70)], NonNeg], AfterValidator(_age_profile)
]


class IndividualMigrationCfg(Strict):
    """Working-age persons who leave the city alone while their household stays."""

    base_rate_per_year: Share  # leaving rate at the profile's value 1 and equal expected incomes
    age_profile: AgeProfile  # relative propensity from each age on (a step function; zero before the first age)
    unemployed_multiplier: Positive  # a job seeker against a person at work or inactive
    high_skill_multiplier: Positive


class RegistrationCfg(Strict):
    """Household registration (hukou): who is registered in the city, resident or not. A pure
    bookkeeping layer (no behaviour reads it): the registered population is the residents whose
    hukou is the city's plus the registered persons living elsewhere (the "absent"), which the
    census reports beside the residents. The defaults make every resident and every arrival
    registered in the city and every leaver deregistered: the registered population is then the
    resident population."""

    nonlocal_share_of_residents: Share = 0.0  # at the start: residents whose hukou is outside the city
    absent_registered_persons: NonNeg = 0.0  # at the start: persons registered in the city who live elsewhere
    leavers_keeping_registration_share: Share = 0.0  # of residents registered in the city who leave (households and persons alone)
    graduates_keeping_registration_share: Share = 0.0  # of school-leavers who study elsewhere and stay away
    absent_deregistration_rate_per_year: Share = 0.0  # the absent leave the register (transfer their hukou, die)
    absent_birth_rate_per_year: Share = 0.0  # children born to the absent and registered in the city, per absent person
    conversion_rate_per_year: Share = 0.0  # residents registered elsewhere take the city's hukou
    arrivals_registered_elsewhere_share: Share = 0.0  # of the households who arrive (return migrants apart): they keep their hukou of origin


class MigrationCfg(Strict):
    out_base_rate_per_year: Share
    income_elasticity: NonNeg
    destination_unemployment_rate: ShareSeries
    rural_destination_wage_yuan_per_month: NonNegSeries  # what a worker of a farm household earns as a migrant worker elsewhere
    individual: IndividualMigrationCfg
    graduates_staying_away_share: Share
    return_rate_per_year: Share
    return_stock_exit_rate_per_year: Share
    no_earner_multiplier: Positive
    young_adult_multiplier: Positive
    young_adult_max_age_years: Annotated[int, Field(ge=16, le=60)]
    high_skill_multiplier: Positive
    shantytown_multiplier: Positive
    subsidence_multiplier: Positive
    rehoused_multiplier: Positive
    destination_wage_yuan_per_month: NonNegSeries
    in_base_households_per_year: NonNeg
    # the base flow of arrivals moves with (R / R_start)^-in_income_elasticity, R the destinations'
    # expected income over the city's (non-farm pool) and R_start the first month's (0: a fixed flow)
    in_income_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    in_vacancy_fill_share_per_month: Share
    in_household_size_persons: Annotated[float, Field(ge=1.0)]
    in_savings_yuan_per_household: NonNeg
    in_skill_shares: SkillShares
    in_female_share: Share
    in_adult_age_min_years: Annotated[int, Field(ge=16, le=70)] = 20
    in_adult_age_max_years: Annotated[int, Field(ge=16, le=70)] = 40
    in_child_age_max_years: Annotated[int, Field(ge=0, le=15)] = 11
    internal: InternalMigrationCfg | None = None
    registration: RegistrationCfg = RegistrationCfg()

    @model_validator(mode="after")
    def _adult_ages(self) -> MigrationCfg:
        if self.in_adult_age_max_years < self.in_adult_age_min_years:
            raise ValueError("in_adult_age_max_years is below in_adult_age_min_years")
        return self



# ----------------------------------------------------------------------- housing


class HousingCfg(Strict):
    rehoused_extra_cost_yuan_per_month: NonNeg


# ---------------------------------------------------------------- public finance


class EqualisationTransferCfg(Strict):
    """From ``from_year`` the general transfer follows the fiscal gap (the Ministry of Finance's
    equalisation formula): coefficient x (standard expenditure - own tax revenue), at least 0."""

    from_year: Year
    standard_expenditure_yuan_per_resident_per_year: NonNegSeries
    # the share of the gap the centre fills; "anchored": the value that continues the transfer of
    # the year before from_year at the city's own gap then (derived, not assumed)
    coefficient: Share | Literal["anchored"] = "anchored"


class BalancedBudgetCfg(Strict):
    """From ``from_year`` the city's other spending follows its resources (the 2015 Budget Law: no
    borrowing beyond the approved bond quota) instead of the per-resident schedule."""

    from_year: Year
    bond_allowance_share_of_revenue: Share  # new bonds the quota allows, as a share of revenue and transfers


class PublicFinanceCfg(Strict):
    vat_rate: ShareSeries
    vat_local_share: ShareSeries
    business_tax_rate: ShareSeries
    business_tax_sectors: list[str]
    enterprise_income_tax_rate: ShareSeries
    income_tax_local_share: ShareSeries
    personal_income_tax_effective_rate: ShareSeries
    coal_resource_tax_yuan_per_tonne: NonNegSeries
    coal_resource_tax_ad_valorem_share: ShareSeries
    general_transfer_yuan_per_resident_per_year: NonNegSeries
    equalisation_transfer: EqualisationTransferCfg | None = None
    balanced_budget: BalancedBudgetCfg | None = None
    other_spending_yuan_per_resident_per_year: NonNegSeries
    public_wage_relative_to_average: Positive
    land_revenue_share_of_construction: Share
    land_revenue_share_of_outside_investment: Share = Field(
        0.0,
        description=(
            "net land revenue the city keeps per yuan of outside-financed investment (land-sale "
            "revenue less compensation and land development)"
        ),
    )
    debt_limit_years_of_revenue: NonNeg
    interest_rate_per_year: NonNeg
    dibao_line_yuan_per_person_month: NonNegSeries
    dibao_rural_line_yuan_per_person_month: NonNegSeries
    dibao_central_share: Share
    budget_rule_cut_order: list[Literal["programmes", "other_spending", "public_payroll"]]
    investment_share_of_other_spending: Share
    budget_cut_step_per_month: Share
    budget_restore_step_per_month: Share
    cash_buffer_months_of_spending: NonNeg
    programme_debt_repayment_share_per_year: Share = Field(
        description="share of the programme loans (policy-bank loans for the housing programmes) repaid a year"
    )
    general_debt_repayment_share_per_year: Share = Field(
        description="share of the general debt (bank loans and bonds, beyond the programme loans) repaid a "
        "year out of the budget; the rest is rolled over"
    )
    surplus_spend_down_share_per_month: Share = Field(
        description="share of the city's free cash (above the buffer, less earmarked money) spent each month "
        "on top of its planned other spending"
    )

    @field_validator("business_tax_sectors")
    @classmethod
    def _sectors(cls, v: list[str]) -> list[str]:
        for s in v:
            if s not in SECTOR_NAMES:
                raise ValueError(f"unknown sector {s!r}; sectors are {', '.join(SECTOR_NAMES)}")
        return v


class SocialSecurityCfg(Strict):
    pension_contribution_employer_share: ShareSeries
    pension_contribution_employee_share: ShareSeries
    pension_replacement_rate: Share
    pension_indexation_per_year: Series
    central_subsidy_share_of_deficit: Share
    rural_pension_yuan_per_month: NonNegSeries


# -------------------------------------------------------------------------- world


class WorldCfg(Strict):
    # Above 0: the city's wages, and the unit labour cost that local prices follow, are ratios to it.
    national_average_wage_yuan_per_year: dict[Year, Positive]
    local_wage_ratio_to_national: Positive
    coal_price_yuan_per_tonne: NonNegSeries
    cpi_index: dict[Year, Positive]
    fixed_investment_yuan_per_resident_per_year: NonNegSeries = Field(
        default_factory=lambda: {2000: 0.0},
        description=(
            "the city's fixed-asset investment (all payers) per resident, constant yuan of "
            "city.money_base_year a year: the investment the country placed in a city like this one "
            "(a world input; 0 = none)"
        ),
    )
    outside_financed_share_of_fixed_investment: Share = Field(
        0.0,
        description=(
            "outside-financed investment as a share of that series (central projects, outside "
            "developers, bank-financed platforms): buildings and infrastructure, bought from the "
            "city's firms up to their capacity and from outside beyond it, and land; it comes on top "
            "of what the model's own firms (their entrants' capital included, itself financed from "
            "outside), city and programmes invest"
        ),
    )
    outside_built_share_of_outside_investment: Share = Field(
        0.0,
        description=(
            "the share of the outside-financed works (after land) built and equipped by firms from "
            "outside the city under the investors' own contracts (central and provincial builders "
            "with their own crews, equipment bought outside): bought outside whatever the city's "
            "capacity; the rest is offered to the city's firms"
        ),
    )


# ------------------------------------------------------------------------- levers


class LeverBase(Strict):
    enabled: bool = Field(False, description="switch the lever on")
    start_year: Year = Field(2016, description="first year the lever acts")
    end_year: Year = Field(2035, description="last year the lever acts")

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end_year < self.start_year:
            raise ValueError(
                f"end_year ({self.end_year}) is before start_year ({self.start_year})"
            )
        return self

    def active(self, year: int) -> bool:
        return self.enabled and self.start_year <= year <= self.end_year


class TransferEarmarks(Strict):
    social_security: Share = 0.0
    environment: Share = 0.0
    successor_industries: Share = 0.0

    @model_validator(mode="after")
    def _le_one(self) -> TransferEarmarks:
        s = self.social_security + self.environment + self.successor_industries
        if s > 1.0 + 1e-9:
            raise ValueError(f"earmark shares must sum to at most 1, they sum to {s:.6g}")
        return self


class ResourceCityTransferCfg(LeverBase):
    yuan_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="central transfer to the city, yuan/year")
    earmarks: TransferEarmarks = Field(TransferEarmarks(), description="shares of the transfer earmarked for social security, environment, successor industries")


class FundingShares(Strict):
    """Who pays a programme's cost: shares summing to 1. ``firms`` are the
    mining firms (still open), ``households`` the households served."""

    central: Share = 0.0
    province: Share = 0.0
    city: Share = 0.0
    bank_loans: Share = 0.0
    firms: Share = 0.0
    households: Share = 0.0

    @model_validator(mode="after")
    def _sum_one(self) -> FundingShares:
        _check_shares_sum(self.model_dump(), "funding shares")
        return self


class NewIndustryFundCfg(LeverBase):
    city_yuan_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="city's contribution to the fund, yuan/year (cut first by the budget rule)")
    central_yuan_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="central contribution to the fund, yuan/year")
    co_finance_share_of_capital: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.0, description="share of a target-sector entrant's or expansion's capital the fund pays (below 1: investors put in the rest)"
    )
    target_sectors: list[str] = Field(default_factory=lambda: ["new_industry"], description="sectors the fund co-finances")

    @field_validator("target_sectors")
    @classmethod
    def _sectors(cls, v: list[str]) -> list[str]:
        for s in v:
            if s not in SECTOR_NAMES:
                raise ValueError(f"unknown sector {s!r}; sectors are {', '.join(SECTOR_NAMES)}")
        return v


class ShantytownRenovationCfg(LeverBase):
    households_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="shantytown households rehoused per year")
    cost_yuan_per_household: NonNeg = Field(0.0, description="cost of rehousing one household, yuan")
    funding: FundingShares = Field(FundingShares(city=1.0), description="who pays: shares of central, province, city, bank loans, mining firms, households (sum 1)")
    regions: list[str] | None = Field(None, description="only households in these regions (names from regions:); unset: the whole city")


def _known_sectors(v: list[str]) -> list[str]:
    for s in v:
        if s not in SECTOR_NAMES:
            raise ValueError(f"unknown sector {s!r}; sectors are {', '.join(SECTOR_NAMES)}")
    return v


SectorList = Annotated[list[str], AfterValidator(_known_sectors)]
"""A list of sector names."""

Growth = Annotated[float, Field(ge=0.0, le=0.1)]
"""An extra growth rate per year (0 to 10%)."""


class SubsidenceRelocationCfg(LeverBase):
    households_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="subsidence-area households relocated per year")
    cost_yuan_per_household: NonNeg = Field(0.0, description="cost of relocating one household, yuan")
    funding: FundingShares = Field(FundingShares(city=1.0), description="who pays: shares of central, province, city, bank loans, mining firms, households (sum 1)")
    regions: list[str] | None = Field(None, description="only households in these regions (names from regions:); unset: the whole city")
    mining_area_works_yuan_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="works in independent mining areas, yuan/year, financed by the same shares")


class PensionsCfg(LeverBase):
    extra_central_share_of_deficit: Share = Field(0.0, description="added to the central share of the pension fund's deficit (capped at 1)")
    extra_indexation_per_year: Annotated[float, Field(ge=0.0, le=0.2)] = Field(0.0, description="added to the January pension indexation, share/year")
    collective_retirees_enrolled_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="retirees without an urban pension enrolled per year (collective-enterprise retirees)")
    collective_pension_yuan_per_month: NonNeg = Field(0.0, description="pension of an enrolled retiree, yuan/month")
    enrolment_cost_yuan_per_person: NonNeg = Field(0.0, description="back contributions paid into the pension fund per enrolled retiree, yuan")
    enrolment_central_share: Share = Field(0.0, description="central share of the back contributions (the city pays the rest)")


class ReemploymentCfg(LeverBase):
    training_places_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="job seekers starting training per year")
    cost_yuan_per_trainee: NonNeg = Field(0.0, description="training cost per trainee, yuan (bought from local services)")
    training_central_share: Share = Field(0.0, description="central share of the training cost")
    mismatch_reduction_share: Share = Field(0.0, description="share of the sector-mismatch penalty a trained seeker is spared")
    priority_sectors: SectorList = Field(default_factory=lambda: ["coal_mining", "coal_dependent_industry"], description="trainees are drawn first among seekers whose last job was in these sectors")
    public_welfare_jobs_max_persons: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="cap on public-welfare jobs held at once, persons")
    welfare_job_wage_yuan_per_month: NonNeg = Field(0.0, description="wage of a public-welfare job, yuan/month")
    welfare_job_central_share: Share = Field(0.0, description="central share of the welfare-job wages")


class SoeReformCfg(LeverBase):
    productivity_gain_share: Annotated[float, Field(ge=0.0, le=1.0)] = Field(0.0, description="rise of state firms' productivity when fully phased in (share)")
    phase_in_years: Positive = Field(5.0, description="years over which the productivity gain is phased in")
    hard_budget_loss_months: Annotated[int, Field(ge=1)] | None = Field(None, description="months of losses after which state firms and mines exit (unset: unchanged)")
    layoff_share_of_excess_per_month: Share | None = Field(None, description="state firms' layoffs: share of surplus staff per month (unset: unchanged)")
    social_functions_transferred_share: Share = Field(0.0, description="share of state firms' social-function costs the city takes over")


class PrivateEconomyCfg(LeverBase):
    loan_rate_reduction_per_year: Annotated[float, Field(ge=0.0, le=0.1)] = Field(0.0, description="cut in private firms' loan rate, per year")
    entry_cost_reduction_share: Share = Field(0.0, description="cut in the non-monetary entry cost (share)")


class StreamlinedApprovalsCfg(LeverBase):
    entry_cost_reduction_share: Share = Field(0.0, description="cut in the non-monetary entry cost (share)")
    entry_delay_reduction_share: Share = Field(0.0, description="cut in the delay from entry decision to operation (share)")


class ModernAgricultureCfg(LeverBase):
    productivity_growth_extra_per_year: Growth = Field(0.0, description="extra productivity growth of agriculture, per year")
    subsidy_yuan_per_worker_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="subsidy to farms per worker, yuan/year")
    subsidy_central_share: Share = Field(0.0, description="central share of the farm subsidy")


class InfrastructureCfg(LeverBase):
    investment_yuan_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="public works, yuan/year")
    funding: FundingShares = Field(FundingShares(city=1.0), description="who pays: shares of central, province, city, bank loans (special bonds), mining firms, households (sum 1)")
    lag_years: Annotated[float, Field(ge=0.0, le=20.0)] = Field(3.0, description="years from spending to completed, productive capital")
    depreciation_rate_per_year: Share = Field(0.04, description="depreciation of the completed public capital, per year")
    reference_public_capital_yuan: Positive = Field(1.0e10, description="the city's existing public capital, yuan (the programme's capital is measured against it)")
    output_elasticity: Annotated[float, Field(ge=0.0, le=1.0)] = Field(0.0, description="elasticity of every sector's productivity to public capital")
    market_access_elasticity: Annotated[float, Field(ge=0.0, le=2.0)] = Field(0.0, description="elasticity of outside demand for the city's goods to public capital")


class InnovationTalentCfg(LeverBase):
    target_sectors: SectorList = Field(default_factory=lambda: ["manufacturing", "new_industry"], description="sectors whose productivity growth the R&D support raises")
    productivity_growth_extra_per_year: Growth = Field(0.0, description="extra productivity growth of the target sectors, per year")
    rd_support_yuan_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="R&D support paid to the target sectors' firms, yuan/year")
    rd_support_central_share: Share = Field(0.0, description="central share of the R&D support")
    talent_allowance_yuan_per_person_month: NonNeg = Field(0.0, description="allowance to every employed high-skill resident, yuan/month: raises their income at home, so fewer leave and more come (through migration's income elasticity)")
    recruitment_subsidy_yuan_per_household: NonNeg = Field(0.0, description="settling-in grant to every arriving household with a high-skill adult, yuan (those who would have come anyway included)")
    subsidy_horizon_years: Positive = Field(5.0, description="years over which an arriving household spreads the settling-in grant when it compares incomes")


class EcologyOvercapacityCfg(LeverBase):
    mine_capacity_cut_share: Share = Field(0.0, description="cut in the mines' capacity when fully phased in (share)")
    capacity_cut_phase_in_years: Positive = Field(3.0, description="years over which the capacity cut is phased in")
    resettlement_yuan_per_laid_off_worker: NonNeg = Field(0.0, description="central payment per worker laid off by a mine, yuan")
    heavy_industry_environmental_cost_share_of_sales: Annotated[float, Field(ge=0.0, le=0.5)] = Field(0.0, description="environmental tax on coal mining and coal-dependent industry, share of sales")
    ecological_transfer_yuan_per_year: NonNegSeries = Field(default_factory=lambda: {2000: 0.0}, description="central ecological transfer spent on local works, yuan/year")


class LeversCfg(Strict):
    resource_city_transfer: ResourceCityTransferCfg = ResourceCityTransferCfg()
    new_industry_fund: NewIndustryFundCfg = NewIndustryFundCfg()
    shantytown_renovation: ShantytownRenovationCfg = ShantytownRenovationCfg()
    subsidence_relocation: SubsidenceRelocationCfg = SubsidenceRelocationCfg()
    pensions: PensionsCfg = PensionsCfg()
    reemployment: ReemploymentCfg = ReemploymentCfg()
    soe_reform: SoeReformCfg = SoeReformCfg()
    private_economy: PrivateEconomyCfg = PrivateEconomyCfg()
    streamlined_approvals: StreamlinedApprovalsCfg = StreamlinedApprovalsCfg()
    modern_agriculture: ModernAgricultureCfg = ModernAgricultureCfg()
    infrastructure: InfrastructureCfg = InfrastructureCfg()
    innovation_talent: InnovationTalentCfg = InnovationTalentCfg()
    ecology_overcapacity: EcologyOvercapacityCfg = EcologyOvercapacityCfg()


# ----------------------------------------------------------------------- scenario

RURAL_SHARE_TOLERANCE = 0.01
"""How far ``population.rural_share`` may be from the regions' weighted rural share when both are given."""


def region_problems(sc: Scenario) -> list[tuple[tuple, str, str | None]]:
    """Cross-checks of the regions against the rest of a scenario.

    Returns ``(key path, message, suggestion)`` for each problem (the loader turns
    them into located errors): duplicate names, mines
    and levers naming unknown regions, a rural share at odds with the regions, a
    city with regions but no ``migration.internal`` block.
    """
    from simulator.scenario.suggest import closest

    out: list[tuple[tuple, str, str | None]] = []
    names = [r.name for r in sc.regions]

    def unknown(path: tuple, name: str) -> None:
        known = ", ".join(names) if names else "none (the scenario has no regions: block)"
        out.append((path, f"unknown region {name!r}; regions are {known}", closest(name, names, cutoff=0.5)))

    if sc.regions:
        total = float(sum(r.population_persons for r in sc.regions))
        seen: set[str] = set()
        for i, r in enumerate(sc.regions):
            if r.name in seen:
                out.append((("regions", i, "name"), f"region {r.name!r} is listed twice", None))
            seen.add(r.name)
        rural = sum(r.population_persons * (1.0 - r.urban_share) for r in sc.regions) / total
        rs = sc.population.rural_share
        if rs is not None and abs(rs - rural) > RURAL_SHARE_TOLERANCE:
            out.append((("population", "rural_share"),
                        f"rural_share {rs:g} disagrees with the regions' urban shares (rural share {rural:.3f}); "
                        "remove it: with regions, the regions set it", None))
        if len(sc.regions) > 1 and sc.migration.internal is None:
            out.append((("migration",), "a city with regions needs a migration.internal block "
                        "(rural_to_urban_rate_per_year)", "internal"))
    elif sc.population.rural_share is None:
        out.append((("population",), "rural_share is required (or give the city's regions)", "rural_share"))
    for i, m in enumerate(sc.coal.mines):
        if m.region is None:
            if len(sc.regions) > 1:
                out.append((("coal", "mines", i), f"mine {m.name!r} needs a region: the city has regions", "region"))
        elif m.region not in names:
            unknown(("coal", "mines", i, "region"), m.region)
    for lever in ("shantytown_renovation", "subsidence_relocation"):
        for j, name in enumerate(getattr(sc.levers, lever).regions or []):
            if name not in names:
                unknown(("levers", lever, "regions", j), name)
    return out



def size_problems(sc: Scenario) -> list[tuple[tuple, str, str | None]]:
    """Sizes checked against the city's population, as ``(key path, message, suggestion)``.

    * ``run.scale`` (persons per agent) is at most ``population.persons``: above it
      the city would have no agent at all;
    * households arriving from outside in a year (``migration.in_base_households_per_year``)
      are at most ``population.persons``: no city has grown by more than its whole population
      in a year.
    """
    out: list[tuple[tuple, str, str | None]] = []
    persons = sc.population.persons
    if sc.run.scale > persons:
        out.append((("run", "scale"), f"expected at most population.persons ({persons}): each agent stands for "
                    f"'scale' persons, at {sc.run.scale} the city would have no agent", None))
    flows: list[tuple[tuple, float]] = [(("migration", "in_base_households_per_year"), sc.migration.in_base_households_per_year)]
    for path, value in flows:
        if value > persons:
            out.append((path, f"expected at most population.persons ({persons}) households a year "
                        f"(no city has grown by more than its population in a year), got {value:g}", None))
    return out


class Scenario(Strict):
    """A whole scenario: what a YAML file (after ``extends:``) must hold."""

    name: Annotated[str, Field(pattern=NAME_PATTERN), AfterValidator(_safe_name)] = Field(
        description="names the scenario's run directories: a safe file name (NAME_PATTERN)"
    )
    description: str = ""
    counterfactual: str | None = None
    """The name of the scenario this one is compared with by default (``sim compare``, ``sim report``):
    for a package, the same city without it (``fuxin`` -> ``fuxin_calibrated``). None: no default."""
    run: RunCfg
    city: CityCfg
    population: PopulationCfg
    demography: DemographyCfg
    labour: LabourCfg
    sectors: dict[str, SectorCfg]
    coal: CoalCfg
    firms: FirmsCfg
    households: HouseholdsCfg
    migration: MigrationCfg
    housing: HousingCfg
    public_finance: PublicFinanceCfg
    social_security: SocialSecurityCfg
    world: WorldCfg
    levers: LeversCfg = LeversCfg()
    regions: list[RegionCfg] = []

    @field_validator("sectors")
    @classmethod
    def _all_sectors(cls, v: dict[str, SectorCfg]) -> dict[str, SectorCfg]:
        unknown = [k for k in v if k not in SECTOR_NAMES]
        if unknown:
            raise ValueError(
                f"unknown sector {unknown[0]!r}; sectors are {', '.join(SECTOR_NAMES)}"
            )
        missing = [k for k in SECTOR_NAMES if k not in v]
        if missing:
            raise ValueError(f"missing sector(s): {', '.join(missing)}")
        return v

    @model_validator(mode="after")
    def _consistency(self) -> Scenario:
        shares = {k: s.local_consumption_share for k, s in self.sectors.items()}
        _check_shares_sum(shares, "sectors' local_consumption_share")
        inv = {k: s.investment_goods_share for k, s in self.sectors.items()}
        _check_shares_sum(inv, "sectors' investment_goods_share")
        emp = sum(s.initial_employment_persons for s in self.sectors.values())
        if emp + self.population.unemployed_persons > self.population.persons:
            raise ValueError(
                "initial employment plus unemployed persons exceeds the population"
            )
        return self


def register_lever_config(name: str, config: type[LeverBase]) -> None:
    """Add a lever's scenario block ``levers.<name>`` to the schema (a lever module declares its
    block this way; the built-in levers' blocks are fields of :class:`LeversCfg`).

    The block validates like every other (strict, unknown keys with a suggestion), is off by
    default, and is read as ``scenario.levers.<name>``. Registering the same class again is
    harmless; another class under a taken name is an error.
    """
    if not (isinstance(config, type) and issubclass(config, LeverBase)):
        raise TypeError(f"the block of lever {name!r} must be a subclass of LeverBase")
    field = Scenario.model_fields["levers"]
    current = field.annotation
    known = current.model_fields.get(name)
    if known is not None:
        if known.annotation is config:
            return
        raise ValueError(f"a lever block named {name!r} is already in the schema")
    extended = create_model(
        "LeversCfg",
        __base__=current,
        __module__=__name__,
        **{name: (config, Field(default_factory=config, description=config.__doc__ or ""))},
    )
    globals()["LeversCfg"] = extended  # so that scenarios pickle (to worker processes) by reference
    field.annotation = extended
    field.default = extended()
    Scenario.model_rebuild(force=True)
