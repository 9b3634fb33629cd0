"""Regions inside a city: districts and counties.

Every household and every firm row belongs to one region (``Households.region``,
``Firms.region``); a person's region is their household's. A city without a
``regions:`` block is one region named after the city, so everything below
holds for every city and a one-region city draws no extra random numbers
(its results are those of the model before regions existed).

What regions change:

* **Initial state** (:mod:`simulator.model.build`): households are placed in
  regions by their shares of the regions' census population (``population_persons``), and are rural by their region's
  ``urban_share``; each sector's initial jobs are split across regions by the
  census employment shares (agriculture by the primary sector, coal mining by the
  mining share, the other industries by the secondary sector less mining,
  services and public units by the tertiary sector), filled by residents of the
  region first; mines lie in the region their ``region`` names.
* **Hiring** (:func:`match_local_first`): seekers choose sectors by the
  city's vacancies, and a hire takes a vacancy in their own region; the districts
  form one commuting zone (a district's hire may take a vacancy in another
  district), a county does not (its residents work in the county, or move).
* **Entrant firms** locate where their sector already employs people
  (:func:`place_entrants`); **in-migrants** settle where the jobs are
  (:func:`arrival_regions`).
* **Internal migration** (:func:`move_households`): households of county
  regions with a working-age member move to a district at
  ``migration.internal.rural_to_urban_rate_per_year``; the destination is drawn
  by the districts' jobs (or population). Members whose job is out of reach of
  the new home (in the county they left) leave it: the farm land stays behind. A move changes the household's
  region, so each person is counted once, in one region.
* **Levers** can name regions (``levers.shantytown_renovation.regions``,
  ``levers.subsidence_relocation.regions``): their programmes then pick
  households in those regions only.

Each region's population follows its own identity, checked at every year end:
population(Dec) = population(previous Dec) + births - deaths + in-migrants -
out-migrants + moved in - moved out, with moved-in and moved-out summing to
the same number over the city. :class:`RegionalRecorder` writes the regional
table (one row per region, year and indicator), whose population, employment,
output and money sum to the city's indicators.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.model import kernels
from simulator.model.accounts import AccountingError
from simulator.model.draws import categorical
from simulator.model.sectors import (
    AGRI,
    COAL,
    COAL_DEP,
    CONSTR,
    EMPLOYED,
    MANUF,
    N_SECTORS,
    NEW,
    OLD_AGE,
    REHOUSED,
    SECTOR_NAMES,
    SERV,
    SHANTYTOWN,
    SUBSIDENCE,
    UNEMPLOYED,
    WORKING_AGES,
)

if TYPE_CHECKING:
    from simulator.model.city import CityModel
    from simulator.scenario.schema import Scenario


FLOWS = ("births", "deaths", "in_migrants", "out_migrants", "moved_in", "moved_out")
"""Person flows counted by region (persons per year)."""

REGION_INDICATOR_UNITS: dict[str, str] = {
    "population": "persons",
    "households": "households",
    "land_area_km2": "km2",
    "population_density": "persons/km2",
    "share_aged_60_plus": "share",
    "working_age_population": "persons aged 15-59",
    **{k: "persons/year" for k in FLOWS},
    "employed_residents": "persons",
    "unemployed_persons": "persons",
    "jobs": "persons employed by firms in the region",
    **{f"jobs_{s}": "persons" for s in SECTOR_NAMES},
    "gdp_total": "yuan/year (value added by firms in the region)",
    "household_disposable_income": "yuan/year",
    "household_savings": "yuan",
    "shantytown_households": "households",
    "subsidence_households": "households",
    "rehoused_households": "households",
    "mines_open": "mines",
}
"""Every regional indicator with its unit (the regional table's ``indicator`` column)."""

# the census sector each model sector's initial jobs are split by
_INDUSTRY_SECTORS = (COAL_DEP, MANUF, CONSTR, NEW)


@dataclass(frozen=True)
class RegionTable:
    """The regions of a city as arrays (index = region code on households and firms)."""

    names: tuple[str, ...]
    names_zh: tuple[str, ...]
    urban: np.ndarray  # bool: a district (True) or a county (False)
    land_km2: np.ndarray
    population_share: np.ndarray
    urban_share: np.ndarray
    employment_shares: np.ndarray  # (R, 3): agriculture, industry, services (census)
    mining_share: np.ndarray

    @property
    def n(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)


def region_table(scenario: Scenario) -> RegionTable:
    """The scenario's regions; a city without regions is one region (the whole city)."""
    regs = scenario.regions
    if not regs:
        return RegionTable(
            names=(scenario.city.name,),
            names_zh=(scenario.city.name_zh,),
            urban=np.array([True]),
            land_km2=np.array([np.nan]),
            population_share=np.ones(1),
            urban_share=np.array([1.0 - (scenario.population.rural_share or 0.0)]),
            employment_shares=np.ones((1, 3)) / 3.0,
            mining_share=np.zeros(1),
        )
    return RegionTable(
        names=tuple(r.name for r in regs),
        names_zh=tuple(r.name_zh for r in regs),
        urban=np.array([r.kind == "district" for r in regs]),
        land_km2=np.array([np.nan if r.land_area_km2 is None else r.land_area_km2 for r in regs]),
        population_share=np.array([r.population_persons for r in regs], float) / sum(r.population_persons for r in regs),
        urban_share=np.array([r.urban_share for r in regs]),
        employment_shares=_normalised(
            np.array([[r.employment_shares[k] for k in ("agriculture", "industry", "services")] for r in regs])
        ),
        mining_share=np.array([r.mining_share_of_employed for r in regs]),
    )


def _normalised(shares: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 (census shares are rounded)."""
    return shares / shares.sum(axis=1, keepdims=True)


def initial_job_weights(table: RegionTable, sector: int, public: bool = False) -> np.ndarray:
    """Weights over regions for a sector's initial jobs (not the mines'): residents x the
    census share of the employed in the matching census sector."""
    agri, industry, services = table.employment_shares.T
    if public or sector == SERV:
        share = services
    elif sector == AGRI:
        share = agri
    elif sector == COAL:
        share = table.mining_share
    elif sector in _INDUSTRY_SECTORS:
        share = np.maximum(industry - table.mining_share, 0.0)
    else:  # pragma: no cover - every sector is mapped above
        raise ValueError(f"sector {SECTOR_NAMES[sector]} has no census sector")
    return table.population_share * share


def split_rows(rows: int, weights: np.ndarray) -> np.ndarray:
    """Split ``rows`` into integer counts proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, float)
    if rows == 0 or w.sum() <= 0:
        return np.zeros(len(w), np.int64)
    exact = rows * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    short = rows - int(counts.sum())
    if short:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


# ------------------------------------------------------------------ runtime rules


def region_mask(model: CityModel, names: list[str] | None) -> np.ndarray | None:
    """Bool per region for a lever's ``regions`` (None: the whole city)."""
    if names is None:
        return None
    mask = np.zeros(model.regions.n, bool)
    mask[[model.regions.index(n) for n in names]] = True
    return mask


def of_persons(model: CityModel, rows: np.ndarray) -> np.ndarray:
    """Region of each person row (their household's)."""
    return model.households.region[model.persons.household[rows]]


def tally(model: CityModel, flow: str, person_rows: np.ndarray) -> None:
    """Count persons of a flow (births, deaths, in- or out-migrants) by their region."""
    if len(person_rows) == 0:
        return
    R = model.regions.n
    if R == 1:
        model.region_flows[flow][0] += len(person_rows) * model.scale
        return
    model.region_flows[flow] += np.bincount(of_persons(model, person_rows), minlength=R) * model.scale


def jobs_by_region(model: CityModel) -> np.ndarray:
    """Person rows employed by firms in each region (this month's record of who works where)."""
    f = model.firms
    n = min(f.n, len(model.workers))  # rows appended since the labour market ran have no workers yet
    return kernels.whole_group_sum(f.region[:n], model.workers[:n], model.regions.n)  # bincount(region, weights=workers)


def place_entrants(model: CityModel, sector: int, k: int) -> np.ndarray:
    """Regions of ``k`` entrant rows of ``sector``: drawn by where the sector's firms want
    their workers now (their employment targets; by population where it has no firm)."""
    R = model.regions.n
    if R == 1 or k == 0:
        return np.zeros(k, np.int16)
    f = model.firms
    nf = f.n
    in_sector = f.alive[:nf] & (f.sector[:nf] == sector)
    w = kernels.sum_by_group(f.region[:nf], in_sector, f.target[:nf], R)  # bincount(region[in_sector], weights=target[in_sector])
    if w.sum() <= 0:
        w = model.regions.population_share
    return categorical(model.streams["region_entry"], w / w.sum(), k).astype(np.int16)


def arrival_regions(model: CityModel, k: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Regions where ``k`` in-migrant households settle: drawn by the regions' jobs, with
    ``rng`` (a lever's own stream for the households it recruits) or the arrivals' stream."""
    R = model.regions.n
    if R == 1 or k == 0:
        return np.zeros(k, np.int16)
    w = jobs_by_region(model)
    if w.sum() <= 0:
        w = model.regions.population_share
    rng = model.streams["region_arrival"] if rng is None else rng
    return categorical(rng, w / w.sum(), k).astype(np.int16)


def move_households(model: CityModel, eligible: np.ndarray) -> None:
    """Internal migration: households of county regions move to districts.

    Args:
        model: the city.
        eligible: bool per household row: present, with a working-age member (the
            out-migration rule's flags, after this month's departures).
    """
    cfg = model.scenario.migration.internal
    table = model.regions
    if cfg is None or table.n == 1 or cfg.rural_to_urban_rate_per_year <= 0:
        return
    hh, p = model.households, model.persons
    rng = model.streams["regions"]
    nh = len(eligible)
    rural = ~table.urban[hh.region[:nh]]
    cand = np.flatnonzero(eligible & rural)
    k = int(rng.binomial(len(cand), cfg.rural_to_urban_rate_per_year / 12.0))
    if k == 0:
        return
    movers = rng.choice(cand, size=k, replace=False)
    dest_w = jobs_by_region(model) if cfg.destination == "jobs" else table.population_share.copy()
    dest_w = np.where(table.urban, dest_w, 0.0)
    if dest_w.sum() <= 0:
        dest_w = np.where(table.urban, table.population_share, 0.0)
    if dest_w.sum() <= 0:
        return  # a city of counties only: nowhere urban to move to
    dest = categorical(rng, dest_w / dest_w.sum(), k).astype(np.int16)
    mask = np.zeros(hh.n, bool)
    mask[movers] = True
    rows = p.members_of(mask)
    R = table.n
    S = model.scale
    origin = hh.region[p.household[rows]]
    model.region_flows["moved_out"] += np.bincount(origin, minlength=R) * S
    hh.region[movers] = dest
    model.region_flows["moved_in"] += np.bincount(hh.region[p.household[rows]], minlength=R) * S
    model.month_flows["internal_movers"] += len(rows) * S
    if cfg.jobs_out_of_reach_left_on_moving:
        from simulator.model.labour_market import separate

        f = model.firms
        working = rows[p.status[rows] == EMPLOYED]
        work = f.region[p.employer[working]]
        home = hh.region[p.household[working]]
        reach = (work == home) | (table.urban[work] & table.urban[home])
        separate(model, working[~reach])  # like out-migrants' jobs, counted again by next month's labour market


def match_local_first(
    hire_regions: np.ndarray, slot_regions: np.ndarray, commuting: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pair hires with vacancy slots, each hire to a slot in their own region first.

    Args:
        hire_regions: region of each hire (in the hires' order).
        slot_regions: region of each slot (in the slots' random order).
        commuting: bool per region: the regions that form one commuting zone (the
            districts); a hire may take a slot in another region only if both are in it.

    Returns:
        ``(hire_index, slot_index)``: the pairs, at most ``min(hires, slots)``.
        Within a region, hires and slots pair in their given order; hires of the
        commuting zone left without a local slot then take the zone's slots left
        elsewhere, in order; other hires without a local slot are not hired.
    """
    return kernels.match_local_first(hire_regions, slot_regions, commuting)  # one pass over each list


# --------------------------------------------------------------------- recording


class RegionalRecorder:
    """The regional table: flows summed over the year, stocks at the end of December.

    Rows are ``(region, year, indicator, value)``; the table is long so that cities
    with any number of regions share one format. Money is in the scenario's
    constant yuan; people are real persons.
    """

    def __init__(self, model: CityModel) -> None:
        self.rows: list[tuple[str, int, str, float]] = []
        R = model.regions.n
        model.region_flows = defaultdict(lambda: np.zeros(R))
        self._va = np.zeros(R)
        self._income = np.zeros(R)
        self._population = self._population_by_region(model)

    @staticmethod
    def _population_by_region(model: CityModel) -> np.ndarray:
        p = model.persons
        pres = np.flatnonzero(p.present[: p.n])
        return np.bincount(of_persons(model, pres), minlength=model.regions.n) * float(model.scale)

    def record_month(self, model: CityModel, city_income: float, city_row: dict[str, float] | None) -> None:
        """Add the month's value added and household income by region.

        Args:
            model: the city.
            city_income: the month's disposable income of the households present (yuan),
                as the city's indicators count it (a one-region city takes it as is).
            city_row: the city's indicators in December (None in other months): a
                one-region city's output is the city's, to the last digit.
        """
        R = model.regions.n
        self._va += model.month_va_region
        if R == 1:
            self._income[0] += city_income
        else:
            hh = model.households
            nh = hh.n
            # bincount(region[present], weights=income[present]) in one pass
            self._income += kernels.sum_by_group(hh.region[:nh], hh.present[:nh], model.hh_income[:nh], R) * model.scale
        if city_row is not None:
            self._year_end(model, city_row)

    def _year_end(self, model: CityModel, city_row: dict[str, float]) -> None:
        table = model.regions
        R = table.n
        S = float(model.scale)
        p, hh, f = model.persons, model.households, model.firms
        n, nh, nf = p.n, hh.n, f.n
        # the present persons by region: all, 60+, of working age, employed, job seekers; the
        # jobs by region of work and sector (one pass over the persons)
        counts, jobs = kernels.region_person_counts(
            p.present[:n], p.household[:n], hh.region, p.age_m[:n], p.status[:n], p.employer[:n], f.region, f.sector,
            R, N_SECTORS, OLD_AGE, WORKING_AGES[0], WORKING_AGES[1], EMPLOYED, UNEMPLOYED,
        )
        counts = counts * S
        vals: dict[str, np.ndarray] = {}
        pop = counts[kernels.REGION_POPULATION]
        vals["population"] = pop
        hreg = hh.region[:nh]
        hpres = hh.present[:nh]
        vals["households"] = np.bincount(hreg[hpres], minlength=R) * S
        vals["land_area_km2"] = table.land_km2.copy()
        vals["population_density"] = pop / table.land_km2
        vals["share_aged_60_plus"] = counts[kernels.REGION_OLD] / np.maximum(pop, 1.0)
        vals["working_age_population"] = counts[kernels.REGION_WORKING_AGE]
        flows = model.region_flows
        for k in FLOWS:
            vals[k] = flows[k].copy()
        vals["employed_residents"] = counts[kernels.REGION_EMPLOYED]
        vals["unemployed_persons"] = counts[kernels.REGION_UNEMPLOYED]
        by_rs = jobs.reshape(R, N_SECTORS) * S
        vals["jobs"] = by_rs.sum(axis=1)
        for s, name in enumerate(SECTOR_NAMES):
            vals[f"jobs_{name}"] = by_rs[:, s]
        vals["gdp_total"] = self._va.copy() if R > 1 else np.array([city_row["gdp_total"]])
        vals["household_disposable_income"] = self._income.copy()
        vals["household_savings"] = np.bincount(hreg[hpres], weights=hh.savings[:nh][hpres], minlength=R) * S
        housing = hh.housing[:nh]
        for code, name in ((SHANTYTOWN, "shantytown_households"), (SUBSIDENCE, "subsidence_households"),
                           (REHOUSED, "rehoused_households")):
            vals[name] = np.bincount(hreg[hpres & (housing == code)], minlength=R) * S
        open_mines = f.alive[:nf] & f.is_mine[:nf]
        vals["mines_open"] = np.bincount(f.region[:nf][open_mines], minlength=R).astype(float)

        self._check_population(model, pop, flows)
        year = model.year
        for name in REGION_INDICATOR_UNITS:
            v = vals[name]
            for r in range(R):
                self.rows.append((table.names[r], year, name, float(v[r])))
        self._population = pop
        model.region_flows.clear()
        self._va = np.zeros(R)
        self._income = np.zeros(R)

    def _check_population(self, model: CityModel, pop: np.ndarray, flows) -> None:
        """Each region's population identity over the year; internal moves net to zero."""
        expected = (self._population + flows["births"] - flows["deaths"] + flows["in_migrants"]
                    - flows["out_migrants"] + flows["moved_in"] - flows["moved_out"])
        problems = []
        bad = np.flatnonzero(expected != pop)
        for r in bad:
            problems.append(
                f"region {model.regions.names[r]}: population {pop[r]:,.0f} but the identity gives {expected[r]:,.0f}"
            )
        if flows["moved_in"].sum() != flows["moved_out"].sum():
            problems.append(
                f"internal moves: {flows['moved_in'].sum():,.0f} moved in but {flows['moved_out'].sum():,.0f} moved out"
            )
        for msg in problems:
            full = f"{model.year}: regional population identity: {msg}"
            model.violations["population"] += 1
            if model.strict:
                raise AccountingError(full)
            model.accounting_log.append(full)

    def columns(self) -> dict[str, np.ndarray]:
        """The table as columns ``region, year, indicator, value``."""
        if not self.rows:
            return {"region": np.array([], str), "year": np.array([], np.int64),
                    "indicator": np.array([], str), "value": np.array([], float)}
        region, year, indicator, value = zip(*self.rows, strict=True)
        return {
            "region": np.array(region),
            "year": np.array(year, np.int64),
            "indicator": np.array(indicator),
            "value": np.array(value, float),
        }
