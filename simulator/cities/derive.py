"""A city's scenario from its census figures and a template scenario.

The template (by default ``scenarios/fuxin_baseline.yaml``) supplies every
behavioural parameter and stands for every figure the census does not give;
the census row supplies the city. Each value of the result carries a note
saying where it comes from:

* ``census: ...`` a figure of the census table (with its file and row);
* ``derived: ...`` computed from census figures, the rule said in the note;
* ``from <Template city>: ...`` the template's value standing for an unknown
  one (the template's own comment follows, so its source is kept), possibly
  carried to the start year or scaled to the city (the note says how);
* ``assumed: ...`` an assumption made here.

The rules, in the order of the scenario's sections, are documented on each
function below and in the guide (docs/guide/cities.md).
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.cities import REGION_LIST
from simulator.cities import demography as demo
from simulator.cities.data import (
    CENSUS_FILES,
    INDUSTRIES,
    JOB_SEEKER_REASONS,
    CensusRow,
    CityData,
    CityDataError,
    band_count,
    employed_persons,
)
from simulator.cities.emit import Notes, is_block
from simulator.model.demography import SCHOOL_START_AGE_YEARS
from simulator.model.sectors import SECTOR_NAMES, SKILL_NAMES
from simulator.model.series import series_at
from simulator.scenario.loader import load_raw, load_scenario

NATIONAL_MINE_WORKERS_PER_10KT = 11.0
NATIONAL_MINE_WORKERS_YEAR = 2015
NATIONAL_MINE_WORKERS_SOURCE = (
    "policy_inputs.csv: national average labour intensity of coal mining, 11 workers per "
    "10000 t/year (2015)"
)
"""Labour intensity of mines used when the city list gives none for the city."""

INDUSTRY_SECTORS = {
    "agriculture": "agriculture",
    "mining": "coal_mining",
    "manufacturing": "manufacturing",
    "utilities": "coal_dependent_industry",
    "construction": "construction",
    "transport_storage_post": "services",
    "information_software": "services",
    "wholesale_retail": "services",
    "hotels_restaurants": "services",
    "finance": "services",
    "real_estate": "services",
    "leasing_business_services": "services",
    "research_technical": "services",
    "water_environment_public_facilities": "services",
    "household_other_services": "services",
    "education": "services",
    "health_social_welfare": "services",
    "culture_sports": "services",
    "public_administration": "services",
    "international_orgs": "services",
}
"""The model sector of each census industry. All mining is taken as coal (the panel's cities
are coal cities); utilities (power, heat, gas, water: in coal cities mostly coal-fired power
and heat) are the coal-dependent industry; coking and coal chemicals are in the census's
manufacturing and stay there (the census does not separate them); the new industries get the
template's share of manufacturing and utilities (see :meth:`Builder._panel_employment`)."""

PUBLIC_INDUSTRIES = ("education", "health_social_welfare", "public_administration")
"""Census industries counted as public units (``labour.public_employment_per_1000_residents``)."""

SCALE_STEP = 25
"""Run scales are rounded to a multiple of this (above it), to keep them readable."""

MAX_LIFE_EXPECTANCY_DIFFERENCE_YEARS = 3.0
"""Cap on the difference in life expectancy read from two cities' census death rates.

Census deaths are under-registered, unevenly between places (crude death rates of
4-5 per 1000 with 13% aged 60+ would mean a life expectancy above 80 in 2010);
provincial life expectancies in China differed by about this much from the national
mean in 2010, outside the largest cities."""

PROVINCIAL_TEMPLATE_VALUES: dict[tuple[str, ...], str] = {
    ("population", "savings_yuan_per_household_mean"): "deposits per household",
    ("households", "propensity_to_consume"): "propensity to consume (the 2010 point is Liaoning's)",
    ("public_finance", "coal_resource_tax_ad_valorem_share"): "ad-valorem coal resource tax rate (set by each province from December 2014)",
    ("public_finance", "dibao_line_yuan_per_person_month"): "urban minimum-living-standard line (set by each city)",
    ("public_finance", "dibao_rural_line_yuan_per_person_month"): "rural minimum-living-standard line (set by each county)",
    ("social_security", "central_subsidy_share_of_deficit"): "central share of the pension fund's deficit (provincial pooling)",
    ("world", "local_wage_ratio_to_national"): "local wage relative to the national average (the North-east's)",
}
"""Values of the template that are its province's or its own (Liaoning's, Fuxin's), kept for a city
of another province when no figure of that province is at hand: marked ``assumed`` with the reason."""

PROVINCIAL_LEVERS = {"shantytown_renovation": "Liaoning's shantytown programme (from 2005), scaled to the city"}
"""Levers of the template's history that were its province's programmes."""

MIN_MINE_REGION_SHARE = 0.02
"""A region gets mines of its own when it has at least this share of the city's census mining
workers (the rest are spread over the others: a handful of miners is not a mine)."""

ROW_MARGIN = 0.02
"""Share of the expected working-age pool kept free when fitting census jobs into it
(the pool is drawn at random: at the Fuxin scale a few hundred rows of noise)."""

PROJECTED_ROW_MARGIN = 2 * ROW_MARGIN
"""The margin of a city projected back from its census: its ages come from a projection, not a
count, and its 2010 jobs are scaled to the start (Zaozhuang's 2000 start missed the pool by 0.01%
with the census margin)."""

POPULATION_SCALED_LEVER_SIZES: dict[str, tuple[str, ...]] = {
    "new_industry_fund": ("city_yuan_per_year", "central_yuan_per_year"),
    "subsidence_relocation": ("mining_area_works_yuan_per_year",),
    "pensions": ("collective_retirees_enrolled_per_year",),
    "reemployment": ("training_places_per_year", "public_welfare_jobs_max_persons"),
    "infrastructure": ("investment_yuan_per_year", "reference_public_capital_yuan"),
    "innovation_talent": ("rd_support_yuan_per_year",),
    "ecology_overcapacity": ("ecological_transfer_yuan_per_year",),
}
"""Lever sizes that are totals for the whole city (yuan a year, persons, households):
scaled from the template city by population. Sizes per household, per person or per
worker, shares and rates are taken as they are."""

STOCK_SCALED_LEVER_SIZES = {
    ("shantytown_renovation", "households_per_year"): "shantytown_households",
    ("subsidence_relocation", "households_per_year"): "subsidence_households",
}
"""Programme sizes scaled by the city's stock of the households they move."""


# ----------------------------------------------------------------- template


def _trailing_comment(line: str) -> str:
    """The ``# comment`` at the end of a YAML line ('' if none); '#' inside quotes is text."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1 :].strip()
    return ""


@dataclass
class Template:
    """A scenario a new city starts from, with the comment beside each of its values."""

    path: Path
    data: dict[str, Any]
    comments: dict[tuple[Any, ...], str]

    @classmethod
    def load(cls, path: Path) -> Template:
        load_scenario(path)  # the template must itself be valid
        data, locs = load_raw(path)
        texts: dict[str, list[str]] = {}
        comments = {}
        for key_path, (file, line) in locs.items():
            if line is None or not key_path:
                continue
            if file not in texts:
                texts[file] = Path(file).read_text(encoding="utf-8").splitlines()
            comments[key_path] = _trailing_comment(texts[file][line - 1])
        return cls(path=path, data=data, comments=comments)

    @property
    def city(self) -> str:
        return str(self.data["city"]["name"])

    @property
    def start(self) -> int:
        return int(self.data["run"]["start_year"])

    def get(self, *path: Any) -> Any:
        node: Any = self.data
        for p in path:
            node = node[p]
        return node


# --------------------------------------------------------------------- draft


class Draft:
    """The new scenario's data with a note for every value."""

    def __init__(self, template: Template) -> None:
        self.t = template
        self.data: dict[str, Any] = copy.deepcopy(template.data)
        self.notes: Notes = {}
        self._note_all(self.data, ())

    def _note_all(self, value: Any, path: tuple[Any, ...]) -> None:
        if path and not is_block(path, value):
            own = self.t.comments.get(path, "")
            self.notes[path] = f"from {self.t.city}" + (f": {own}" if own else "")
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for i in range(len(value)):
                    own = self.t.comments.get(path + (i,), "")
                    self.notes[path + (i,)] = f"from {self.t.city}" + (f": {own}" if own else "")
            return
        if isinstance(value, dict):
            for k, v in value.items():
                self._note_all(v, path + (k,))

    def get(self, *path: Any) -> Any:
        node: Any = self.data
        for p in path:
            node = node[p]
        return node

    def set(self, path: tuple[Any, ...], value: Any, note: str) -> None:
        node: Any = self.data
        for p in path[:-1]:
            node = node.setdefault(p, {})
        node[path[-1]] = value
        for k in [k for k in self.notes if k[: len(path)] == path]:
            del self.notes[k]
        self.notes[path] = note

    def drop(self, path: tuple[Any, ...]) -> None:
        """Remove a key (and its notes) taken over from the template."""
        node: Any = self.data
        for p in path[:-1]:
            node = node.get(p, {})
        node.pop(path[-1], None)
        for k in [k for k in self.notes if k[: len(path)] == path]:
            del self.notes[k]

    def from_template(self, path: tuple[Any, ...], value: Any, how: str) -> None:
        """Set a value computed from the template's, keeping the template's comment."""
        own = self.t.comments.get(path, "")
        self.set(path, value, f"from {self.t.city}, {how}" + (f" (there: {own})" if own else ""))


def _place_after(block: dict[str, Any], key: str, after: str) -> None:
    """Move ``key`` right after ``after`` in a block (a key set anew would otherwise come last)."""
    if key not in block or after not in block:
        return
    items = [(k, v) for k, v in block.items() if k != key]
    i = [k for k, _ in items].index(after) + 1
    items.insert(i, (key, block[key]))
    block.clear()
    block.update(items)


REGION_POPULATION_TOLERANCE = 0.01
"""How far the regions' census populations may sum from the city's (rounding of published tables)."""


def _has_row(path: Path, year: int, key: Any) -> bool:
    """Whether a census table has a row for ``key`` (a region as a :class:`CityEntry`)."""
    from simulator.cities.data import read_census_row

    try:
        read_census_row(path, year, key)
    except CityDataError as e:
        if e.message.startswith("no row for city"):
            return False
        raise
    return True


def template_rural_share(t: Template) -> float:
    """The template's rural share: its own figure, or its regions' (population-weighted)."""
    own = t.get("population").get("rural_share")
    if own is not None:
        return float(own)
    regs = t.get("regions")
    return sum(r["population_persons"] * (1.0 - r["urban_share"]) for r in regs) / sum(
        r["population_persons"] for r in regs
    )


# ------------------------------------------------------------------- numbers


def sig(x: float, digits: int = 4) -> float:
    """``x`` to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def round_shares(shares: dict[Any, float], decimals: int = 4) -> dict[Any, float]:
    """Shares rounded so that they still sum to exactly 1 (the residual on the largest)."""
    total = sum(shares.values())
    out = {k: round(v / total, decimals) for k, v in shares.items()}
    big = max(out, key=lambda k: out[k])
    out[big] = round(out[big] + 1.0 - sum(out.values()), decimals + 2)
    return out


def trim_series(series: dict[int, float], start: int) -> dict[int, float]:
    """The same series from ``start`` on: its value at ``start``, then the later years
    (unchanged if it has no year before ``start``)."""
    if min(series) >= start:
        return dict(series)
    out = {start: sig(series_at(series, start), 6)}
    out.update({y: v for y, v in sorted(series.items()) if y > start})
    return out


def growth_factor(series: dict[int, float], first: int, last: int) -> float:
    """Product of ``1 + g(y)`` for ``first <= y < last``."""
    f = 1.0
    for y in range(first, last):
        f *= 1.0 + series_at(series, y)
    return f


FIRST_YEAR = 1900  # the schema's smallest year (scenario.schema.Year): integer keys below it are not years


def is_year_series(value: Any) -> bool:
    """A year series: a non-empty mapping whose keys are all years (integers from
    :data:`FIRST_YEAR`; a mapping keyed by ages, like an age profile, is not one)."""
    return isinstance(value, dict) and bool(value) and all(isinstance(k, int) and k >= FIRST_YEAR for k in value)


def _series_paths(value: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Paths of every year series below ``path``."""
    if isinstance(value, dict):
        if is_year_series(value):
            return [path]
        out = []
        for k, v in value.items():
            out += _series_paths(v, path + (k,))
        return out
    return []


# -------------------------------------------------------------------- rules

OTHER_COUNTY_OUTSIDE_SHARE = 0.5
"""Of a prefecture's in-migrants from other counties of its province (the census's county tables
count moves between the prefecture's own counties too), the share taken as registered outside
the prefecture: assumed, half (no table splits them)."""


def registered_elsewhere(v: dict[str, float]) -> float:
    """Residents registered outside the city, from a whole census row: those from other provinces
    plus :data:`OTHER_COUNTY_OUTSIDE_SHARE` of those from other counties of the province, raised
    to the residents less the registered where that is larger (no one is absent below zero)."""
    counted = float(v["in_migrants_other_province"]) + OTHER_COUNTY_OUTSIDE_SHARE * float(
        v["in_migrants_other_county_same_province"])
    return max(counted, float(v["pop_total"]) - float(v["pop_hukou_registered"]))


class Builder:
    """Applies the rules, section by section."""

    def __init__(
        self, city: CityData, template: Template, reference: CityData, *, name: str, start: int | None = None
    ) -> None:
        self.city = city
        self.c = city.census
        self.t = template
        self.ref = reference
        self.census_year = city.census.year
        self.start = self.census_year if start is None else start
        """The run's first year: the census year, or earlier for a city projected back from its
        census (:meth:`start_population`)."""
        if self.start < template.start:
            raise CityDataError(
                f"the template starts in {template.start}: a city cannot start before its template "
                f"(start {self.start})",
                file=str(template.path),
            )
        if self.start > self.census_year:
            raise CityDataError(f"--start {self.start}: a city starts in its census year or earlier "
                                f"(census {self.census_year})")
        if self.start < self.census_year and (self.c.full is None or self.start != template.start):
            raise CityDataError(
                f"--start {self.start}: a city is projected back only from a whole census row (the "
                f"{self.census_year} panel table) and only to its template's start year ({template.start})")
        self.d = Draft(template)
        self.name = name
        census_pop = int(round(self.c["population"]))
        self.ref_pop = float(reference.census["population"])
        self.ratio = census_pop / self.ref_pop
        self.extra_leavers: tuple[float, str] | None = None  # persons a year the leaving rate is raised for (migration)
        self.ratio_note = (
            f"scaled by population ({census_pop:,} / {self.t.city} {int(self.ref_pop):,} in {self.census_year})"
        )
        self.pop, self.pop_note = census_pop, ""
        self.back = 1.0
        """Persons at the start per person of the census (1 unless projected back)."""
        if self.start < self.census_year:
            self.pop, self.pop_note = self.start_population()
            self.back = self.pop / census_pop
        self.stock_ratio: dict[str, float] = {}
        self.region_list: Path = REGION_LIST
        """The list of the cities' districts and counties (read by :meth:`_region_rows`)."""
        self._regions: list[tuple[Any, CensusRow]] | None = None
        self.female_by_band: list[float] | None = None
        """Women's share of each age band (from a census pyramid by sex); None: the overall share."""
        self.region_names: list[str] = []
        self.mine_template_regions: list[str | None] = []

    @property
    def tc(self) -> str:
        return self.t.city

    def census_note(self, *columns: str) -> str:
        names = [self.c.columns.get(c, c) for c in columns]
        return f"{Path(self.c.file).name} line {self.c.line} ({self.c.label}): " + ", ".join(names)

    @property
    def projected(self) -> bool:
        """True for a city that starts before its census year (projected back from it)."""
        return self.start < self.census_year

    def start_population(self) -> tuple[int, str]:
        """The residents in the start year of a city projected back: the census of that year if it
        has the city, else the registered year-end population of the start year (the City
        Statistical Yearbook) times the census's residents per registered person.

        Raises:
            CityDataError: Neither figure exists for the city.
        """
        from simulator.cities.data import read_registered

        e = self.city.earlier
        if e is not None and e.year == self.start:
            return int(round(e["population"])), f"census: {Path(e.file).name} line {e.line} ({e.label}): population"
        v = self.c.full
        assert v is not None
        reg = read_registered(self.city.entry.city, self.start)
        if reg is None or not v.get("pop_hukou_registered"):
            raise CityDataError(
                f"{self.city.entry.city}: no {self.start} census population and no comparable registered population "
                f"of {self.start}: it cannot start in {self.start}")
        k = v["pop_total"] / v["pop_hukou_registered"]
        return int(round(reg.persons * k)), (
            f"derived: registered year-end population {reg.persons:,.0f} ({reg.file} line {reg.line}) x the "
            f"{self.census_year} census's residents per registered person {k:.4f} "
            f"({self.census_note('pop_total', 'pop_hukou_registered')}; assumed unchanged: no {self.start} census "
            "figure of the city was at hand)")

    def back_note(self) -> str:
        """What a count of the census becomes at the start of a city projected back."""
        return (f", x {self.back:.4f} (the {self.start} residents over the {self.census_year} census's: "
                f"the city of {self.census_year} scaled to its {self.start} population; assumed)") if self.projected else ""

    # ------------------------------------------------------------ run, city

    def run_and_city(self) -> None:
        t = self.t
        d = self.d
        d.set(("name",), self.name, "")
        if self.projected:
            d.set(("run", "start_year"), self.start,
                  f"derived: the city of the {self.census_year} census projected back to {self.start} (ages by "
                  f"reverse survival and residual migration; structure as in {self.census_year}, scaled)")
        else:
            d.set(("run", "start_year"), self.start, f"census: the {self.start} census is the initial city")
        tpl_scale = int(t.get("run", "scale"))
        rows = float(t.get("population", "persons")) / tpl_scale
        scale = self.pop / rows
        scale = max(1, int(round(scale / SCALE_STEP)) * SCALE_STEP) if scale > SCALE_STEP else max(1, int(round(scale)))
        d.set(
            ("run", "scale"),
            scale,
            f"numerical: persons per person row, chosen for about as many rows as {self.tc} "
            f"({int(rows):,}), so that a run takes a few seconds; 1 = every resident",
        )
        # the template's regions are its own districts and counties: they and their rules go
        # (:meth:`regions` writes the city's own, if the region list has them)
        for path in (("regions",), ("migration", "internal")):
            d.drop(path)
        for m in d.data.get("coal", {}).get("mines", []):
            m.pop("region", None)
        d.set(("city", "name"), self.city.entry.title, f"city list: {self.city.entry.city}")
        d.set(("city", "name_zh"), self.city.entry.name_zh, f"city list: {self.city.entry.city}")

    # --------------------------------------------------------- population

    def population(self) -> None:
        c, d, t = self.c, self.d, self.t
        d.set(("population", "persons"), self.pop, self.pop_note or f"census: {self.census_note('population')}")
        if c.full is not None:
            self._panel_ages_and_demography()
            self._panel_households()
        else:
            self._ages_and_demography()
        if c.get("urban_share") is not None:
            d.set(
                ("population", "rural_share"),
                round(1.0 - c["urban_share"], 4),
                f"derived: 1 - urban share {100 * c['urban_share']:.1f}% ({self.census_note('urban_share')})",
            )
        elif t.get("population").get("rural_share") is None:  # the template's regions set its rural share
            d.set(("population", "rural_share"), round(template_rural_share(t), 4),
                  f"from {self.tc}: its regions' rural share (no census urban share for this city)")
        if c.full is not None:
            self._panel_skills()
        else:
            self._skills()
        _place_after(d.data["population"], "rural_share", "household_size_mean_persons")
        years = self.start - t.start
        wage = t.get("world", "national_average_wage_yuan_per_year")
        if years:
            f = series_at(wage, self.start) / series_at(wage, t.start)
            d.from_template(
                ("population", "savings_yuan_per_household_mean"),
                sig(t.get("population", "savings_yuan_per_household_mean") * f, 3),
                f"its {t.start} value grown with the national average wage to {self.start} (x{f:.2f}, "
                "world.national_average_wage_yuan_per_year)",
            )
            idx = t.get("social_security", "pension_indexation_per_year")
            g = growth_factor(idx, t.start, self.start)
            d.from_template(
                ("population", "initial_pension_yuan_per_month"),
                sig(t.get("population", "initial_pension_yuan_per_month") * g, 3),
                f"its {t.start} pension indexed each January {t.start}-{self.start - 1} "
                f"(x{g:.2f}, social_security.pension_indexation_per_year), as the model indexes it",
            )

    def _ages_and_demography(self) -> None:
        """Age bands, life expectancy and fertility from the census shares and crude rates
        (:mod:`simulator.cities.demography`)."""
        c, d, t = self.c, self.d, self.t
        dem = t.get("demography")
        slope = float(dem["gompertz_slope_per_year"])
        tpl_shares = t.get("population", "age_band_shares")
        bands = demo.parse_bands(list(tpl_shares))
        self.bands, self.band_shares = bands, list(tpl_shares.values())
        if c.get("share0_14") is None or c.get("share60") is None:
            return
        fine = demo.refine(bands, (15, 60, 65) if c.get("share65") is not None else (15, 60))
        years = self.start - t.start
        e0_tpl = series_at(dem["life_expectancy_years"], self.start)
        e0_past = sum(series_at(dem["life_expectancy_years"], y) for y in range(t.start, self.start)) / years if years else e0_tpl
        weight = demo.moved_forward(bands, list(tpl_shares.values()), years, e0_past, slope)
        groups = demo.census_groups(c["share0_14"], c["share60"], c.get("share65"), bands[-1][1])
        shares = demo.split_groups(groups, fine, weight)
        self.bands, self.band_shares = fine, shares
        cols = ["share0_14", "share60"] + (["share65"] if c.get("share65") is not None else [])
        moved = f" moved forward to {self.start} (cohorts {years} years older)" if years else ""
        d.set(
            ("population", "age_band_shares"),
            round_shares({f"{lo}-{hi}": s for (lo, hi), s in zip(fine, shares, strict=True)}),
            f"derived: census age shares ({self.census_note(*cols)}: "
            + ", ".join(f"{lo}-{hi} {100 * s:.2f}%" for lo, hi, s in groups)
            + f"), each spread over finer bands as in {self.tc}'s age structure{moved} (the census gives "
            "no finer ages)",
        )
        self._rates(fine, shares, e0_tpl, slope)

    def _rates(self, fine: list[tuple[int, int]], shares: list[float], e0_tpl: float, slope: float,
               female_shares: list[float] | None = None, year: int | None = None) -> None:
        """Life expectancy and fertility from the census's crude death and birth rates on the
        initial age structure (``female_shares``: the women of each band as shares of all residents;
        None: the template's female share in every band). ``year``: the year the rates and the age
        structure are of (default the start); a start before it takes the template's path back
        from it."""
        c, d, t = self.c, self.d, self.t
        dem = t.get("demography")
        year = self.start if year is None else year
        if c.get("death_rate") is not None:
            implied = demo.life_expectancy_for_death_rate(fine, shares, c["death_rate"], slope)
            cap = MAX_LIFE_EXPECTANCY_DIFFERENCE_YEARS
            diff = implied - e0_tpl
            capped = (
                f"; {implied:.2f} implied, capped at {self.tc}'s {e0_tpl:.2f} {'+' if diff > 0 else '-'} {cap:g} "
                "(census deaths under-registered)"
                if abs(diff) > cap
                else ""
            )
            e0 = round(e0_tpl + max(-cap, min(cap, diff)), 2)
            series = {}
            if self.start < year:
                series[self.start] = round(e0 + series_at(dem["life_expectancy_years"], self.start) - e0_tpl, 2)
            series[year] = e0
            series.update({y: round(e0 + v - e0_tpl, 2) for y, v in sorted(dem["life_expectancy_years"].items()) if y > year})
            back = f"; {self.start} less {self.tc}'s gains since" if self.start < year else ""
            structure = "initial" if year == self.start else "census's"
            d.set(
                ("demography", "life_expectancy_years"),
                series,
                f"derived: {year} value gives the crude death rate {1000 * c['death_rate']:.2f} per 1000 "
                f"({self.census_note('death_rate')}) on the {structure} age structure with the model's Gompertz "
                f"mortality (slope {slope:g}){capped}; later years add {self.tc}'s gains{back} "
                f"({self.tc}: {e0_tpl:.2f} in {year})",
            )
        if c.get("birth_rate") is not None:
            mean_age, sd = float(dem["fertility_mean_age_years"]), float(dem["fertility_sd_years"])
            if female_shares is None:
                female = float(t.get("population", "female_share"))
                tfr = demo.total_fertility_rate(fine, shares, c["birth_rate"], female, mean_age, sd)
                on = "on the initial age structure"
            else:
                tfr = demo.total_fertility_rate_by_sex(fine, female_shares, c["birth_rate"], mean_age, sd)
                on = "on the census's women by age (5-year groups)"
                if c.full is not None:
                    ceb = c.full["women_15_64_children_ever_born"]
                    ref_ceb = (self.ref.census.full or {}).get("women_15_64_children_ever_born")
                    on += (f"; children ever born per woman aged 15-64 {ceb:.2f}"
                           + (f" ({self.tc} {ref_ceb:.2f})" if ref_ceb is not None else "")
                           + ", a lifetime figure, kept for calibration (calibration/data/census2010_panel_observed.csv)")
            tfr_tpl = series_at(dem["total_fertility_rate"], year)
            series = {}
            if self.start < year:
                series[self.start] = round(series_at(dem["total_fertility_rate"], self.start) * tfr / tfr_tpl, 3)
            series[year] = round(tfr, 3)
            series.update({y: round(v * tfr / tfr_tpl, 3) for y, v in sorted(dem["total_fertility_rate"].items()) if y > year})
            d.set(
                ("demography", "total_fertility_rate"),
                series,
                f"derived: {year} value gives the crude birth rate {1000 * c['birth_rate']:.2f} per 1000 "
                f"({self.census_note('birth_rate')}) with the model's fertility schedule {on}; "
                f"{'other' if self.start < year else 'later'} years in "
                f"proportion to {self.tc}'s path ({self.tc}: {tfr_tpl:.3g} in {year})",
            )

    def _skills(self) -> None:
        c, d, t = self.c, self.d, self.t
        ref_edu = self.ref.census.get("edu_years")
        if c.get("edu_years") is None or ref_edu is None:
            return
        skills = t.get("population", "skill_shares")
        leave = t.get("demography", "school_leaving_age_years")
        years = {k: float(leave[k]) - SCHOOL_START_AGE_YEARS for k in SKILL_NAMES}
        upper = skills["medium"] + skills["high"]
        y_upper = (skills["medium"] * years["medium"] + skills["high"] * years["high"]) / upper
        y_low = (ref_edu - upper * y_upper) / skills["low"]
        x = (c["edu_years"] - y_low) / (y_upper - y_low)
        clipped = "" if 0.0 <= x <= 1.0 else f" (clipped from {x:.3f})"
        x = min(max(x, 0.0), 1.0)
        new = round_shares(
            {"low": 1.0 - x, "medium": x * skills["medium"] / upper, "high": x * skills["high"] / upper}
        )
        d.set(
            ("population", "skill_shares"),
            new,
            f"derived: mean schooling {c['edu_years']:.2f} years ({self.census_note('edu_years')}) = "
            f"low {y_low:.2f} years x low share + {y_upper:.2f} years x (medium + high){clipped}; "
            f"medium:high and the years of the low-skill group as in {self.tc} "
            f"({self.tc}: {ref_edu:.2f} years, low {skills['low']}), medium and high schooling "
            "from demography.school_leaving_age_years less school start at 6",
        )


    # ------------------------------------------------ whole census row: people

    def _panel_ages_and_demography(self) -> None:
        """Age bands by sex (the census's 5-year groups), life expectancy and fertility."""
        c, d, t = self.c, self.d, self.t
        v = c.full
        assert v is not None
        dem = t.get("demography")
        slope = float(dem["gompertz_slope_per_year"])
        last = demo.parse_bands(list(t.get("population", "age_band_shares")))[-1][1]
        bands = demo.census_bands(last)
        pop = v["pop_total"]
        counts = [band_count(v, lo, hi if lo < 85 else None) for lo, hi in bands]
        women = [band_count(v, lo, hi if lo < 85 else None, "female") for lo, hi in bands]
        shares = [n / pop for n in counts]
        female = v["pop_female"] / pop
        f_band = [w / n if n > 0 else female for w, n in zip(women, counts, strict=True)]
        census_shares, census_women = shares, [sh * fb for sh, fb in zip(shares, f_band, strict=True)]
        note = self.census_note("population").rsplit(":", 1)[0]
        how_shares = (f"census: {note}: age_*_male + age_*_female / pop_total, the census's 5-year groups (its 0 "
                      f"and 1-4 joined; 85+ spread evenly over 85-{last}, the model's last age)")
        how_female = f"census: {note}: age_*_female / (age_*_male + age_*_female)"
        how_total = f"census: {note}: pop_female / pop_total"
        # the census's crude rates on the census's own age structure, in the census year (a city
        # projected back survives its cohorts with the life expectancy they give)
        self._rates(bands, census_shares, series_at(dem["life_expectancy_years"], self.census_year), slope,
                    census_women, year=self.census_year)
        if self.projected:
            shares, f_band, female, how = self._projected_ages(bands, counts, women)
            how_shares = f"derived: {how}"
            how_female = how_total = f"derived: as age_band_shares, by sex ({note})"
        self.bands, self.band_shares, self.female_by_band = bands, shares, f_band
        d.set(("population", "female_share"), round(female, 4), how_total)
        d.set(
            ("population", "age_band_shares"),
            round_shares({f"{lo}-{hi}": sh for (lo, hi), sh in zip(bands, shares, strict=True)}, 5),
            how_shares,
        )
        d.set(
            ("population", "female_share_by_age_band"),
            {f"{lo}-{hi}": round(fb, 4) for (lo, hi), fb in zip(bands, f_band, strict=True)},
            how_female,
        )
        _place_after(d.data["population"], "female_share_by_age_band", "age_band_shares")

    def _projected_ages(
        self, bands: list[tuple[int, int]], counts: list[float], women: list[float]
    ) -> tuple[list[float], list[float], float, str]:
        """Age bands by sex at the start of a city projected back from its census: reverse survival
        with the template's mortality, the residual net migration spread by the template's ways of
        leaving (:func:`simulator.cities.demography.projected_back`). Returns the band shares, the
        women's share of each band, the women's share and how."""
        t = self.t
        dem = t.get("demography")
        mg = t.get("migration")
        years = self.census_year - self.start
        own = self.d.get("demography", "life_expectancy_years")  # the city's, set by :meth:`_rates`
        e0 = sum(series_at(own, y) for y in range(self.start, self.census_year)) / years
        slope = float(dem["gompertz_slope_per_year"])
        ind = mg["individual"]
        weight = demo.migration_weight(years, float(mg["out_base_rate_per_year"]), float(ind["base_rate_per_year"]),
                                       {int(k): float(x) for k, x in ind["age_profile"].items()})
        men = [n - w for n, w in zip(counts, women, strict=True)]
        m, f, residual = demo.projected_back(bands, men, women, years, e0, slope, float(self.pop), weight)
        total = float(m.sum() + f.sum())
        shares = [float((m[lo : hi + 1].sum() + f[lo : hi + 1].sum()) / total) for lo, hi in bands]
        female = float(f.sum() / total)
        f_band = [float(f[lo : hi + 1].sum() / (m[lo : hi + 1].sum() + f[lo : hi + 1].sum()))
                  if m[lo : hi + 1].sum() + f[lo : hi + 1].sum() > 0 else female for lo, hi in bands]
        how = (f"the {self.census_year} census's persons by 5-year group and sex ({self.census_note('population').rsplit(':', 1)[0]}) "
               f"projected back {years} years: each cohort {years} years younger, more of it alive (the "
               f"model's Gompertz mortality at the city's life expectancy, {e0:.2f} on average over {self.start}-{self.census_year - 1}; the "
               f"ages from {bands[-1][0] - years} on, whose cohorts the census counts only as {bands[-1][0]}+, with "
               f"their {self.census_year} shape, as many as leave its {bands[-1][0]}+ alive); the difference from the {self.start} population, "
               f"{residual:+,.0f} persons (net migration {self.start}-{self.census_year}: + more left than came), "
               f"spread over ages and sexes by {self.tc}'s chance of leaving with the household "
               f"(migration.out_base_rate_per_year) or alone (migration.individual: base rate x age profile, "
               f"averaged over the {years} years each cohort ages through)")
        return shares, f_band, female, how

    def _panel_households(self) -> None:
        """Mean household size from the census's family households."""
        c, d = self.c, self.d
        v = c.full
        assert v is not None
        note = self.census_note("population").rsplit(":", 1)[0]
        size = v["household_members"] / v["households"]
        d.set(
            ("population", "household_size_mean_persons"),
            round(size, 3),
            f"census: {note}: household_members / households ({v['household_members']:,.0f} / "
            f"{v['households']:,.0f}, family households; one-person {100 * v['hh_one_person'] / v['households']:.1f}%, "
            f"three or more generations {100 * (v['hh_three_generations'] + v['hh_four_plus_generations']) / v['households']:.1f}%: "
            "the model forms households at random around the mean size and has no place for these, kept for "
            "calibration)",
        )

    def _panel_skills(self) -> None:
        """Skill shares from the census's education of residents aged 6 and over."""
        c, d = self.c, self.d
        v = c.full
        assert v is not None
        note = self.census_note("population").rsplit(":", 1)[0]
        levels = {
            "low": ("none", "primary", "junior_secondary"),
            "medium": ("senior_secondary",),
            "high": ("junior_college", "university"),
        }
        counts = {k: sum(v[f"edu_{e}_{sex}"] for e in es for sex in ("male", "female")) for k, es in levels.items()}
        total = sum(counts.values())
        if total <= 0:
            raise CityDataError("no education counts (edu_*): the skills cannot be set", file=c.file, line=c.line,
                                key="edu_none_male")
        d.set(
            ("population", "skill_shares"),
            round_shares({k: n / total for k, n in counts.items()}),
            f"census: {note}: highest schooling of residents aged 6+ (edu_*_male + _female): low = none, primary "
            "or junior secondary, medium = senior secondary, high = junior college or university (the model's "
            "school-leaving ages 16 / 19 / 22); the young still in school are counted at the level reached so far",
        )

    # ------------------------------------------- whole census row: labour, sectors

    def _panel_employment(self) -> None:
        """Sectors from the census's 19 industries, job seekers from the not working by reason,
        public units from education, health and public administration (:data:`INDUSTRY_SECTORS`)."""
        c, d, t = self.c, self.d, self.t
        v = c.full
        assert v is not None
        frac = v["longform_sample_frac"]
        note = self.census_note("population").rsplit(":", 1)[0]
        persons = {i: v[f"lf_ind_{i}"] / frac * self.back for i in INDUSTRIES}
        emp: dict[str, float] = {s: 0.0 for s in SECTOR_NAMES}
        for i, n in persons.items():
            emp[INDUSTRY_SECTORS[i]] += n
        self.mine_workers = int(round(emp.pop("coal_mining")))
        self.mine_note = f"(census: {note}: lf_ind_mining / longform_sample_frac {frac:.4f}{self.back_note()})"
        # new industries (wind and solar power, new chemicals) are not a census industry: the template's
        # share of them in manufacturing, utilities and new industries
        sectors = t.get("sectors")
        tpl = {s: float(sectors[s]["initial_employment_persons"]) for s in ("manufacturing", "coal_dependent_industry", "new_industry")}
        new_share = tpl["new_industry"] / sum(tpl.values())
        moved = {s: emp[s] * new_share for s in ("manufacturing", "coal_dependent_industry")}
        for s, n in moved.items():
            emp[s] -= n
        emp["new_industry"] = sum(moved.values())
        # job seekers; those of them in informal work are among the census's employed (own-account
        # services work): the model starts the steady-state share of its job seekers in informal work
        seekers = sum(v[f"lf_notworking_{r}"] for r in JOB_SEEKER_REASONS) / frac * self.back
        inf = t.get("labour", "informal")
        s_inf = float(inf["entry_rate_per_month"]) / (float(inf["entry_rate_per_month"]) + float(inf["exit_rate_per_month"]))
        unemployed = seekers / (1.0 - s_inf)
        informal = unemployed * s_inf
        if informal > emp["services"]:
            raise CityDataError(
                f"the job seekers in informal work ({informal:,.0f}) exceed the census's services employment "
                f"({emp['services']:,.0f}): the row's not-working counts do not fit its industries",
                file=c.file, line=c.line, key="lf_notworking_lost_job_employer")
        emp["services"] -= informal
        public = sum(persons[i] for i in PUBLIC_INDUSTRIES)
        per_1000 = 1000.0 * public / self.pop
        # the model has no employed persons above the statutory retirement ages nor in school: census
        # jobs held by older farmers must fit in its working-age pool
        unemployed = self._fit_working_age_pool(emp, unemployed)
        def industries(sector: str) -> str:
            names = [f"lf_ind_{i}" for i, sec in INDUSTRY_SECTORS.items() if sec == sector]
            return " + ".join(names) if len(names) <= 3 else f"{names[0]} ... {names[-1]} ({len(names)} industries)"

        notes = {s: f"census: {note}: {industries(s)} / longform_sample_frac {frac:.4f}{self.back_note()}" for s in emp}
        for s in ("manufacturing", "coal_dependent_industry"):
            notes[s] = "derived: " + notes[s].removeprefix("census: ") + (
                f", less {100 * new_share:.1f}% to new industries ({self.tc}'s share of new industries in "
                "manufacturing, coal-dependent industry and new industries: the census has no industry for them)")
        notes["new_industry"] = (
            f"from {self.tc}: its share of new industries ({100 * new_share:.1f}%) of the census's manufacturing "
            "and utilities (wind and solar power, new chemicals: no census industry of their own)")
        notes["services"] = "derived: " + notes["services"].removeprefix("census: ") + (
            f", less the job seekers in informal work ({informal:,.0f}, counted employed by the census); public "
            "units (labour.public_employment_per_1000_residents) are part of it")
        if self.reduced:
            notes["agriculture"] = "derived: " + notes["agriculture"].removeprefix("census: ") + (
                f"; less {self.reduced:,.0f} so that the jobs fit the model's working-age pool (the model retires "
                "everyone at the statutory ages at the start: the census's farmers above them have no place)")
        for s, n in emp.items():
            d.set(("sectors", s, "initial_employment_persons"), int(round(n)), notes[s])
        d.set(
            ("population", "unemployed_persons"),
            int(round(unemployed)),
            f"derived: the census's job seekers {seekers:,.0f} ({note}: lf_notworking_lost_job_employer + "
            f"lost_job_own + never_worked_after_school, / longform_sample_frac{self.back_note()}; as the calibration target "
            "job_seekers_2010) over 1 - the share of job seekers in informal work at the start "
            f"({100 * s_inf:.1f}% = labour.informal entry / (entry + exit)): those in informal work are "
            "employed in the census, plain job seekers are not",
        )
        d.set(
            ("labour", "public_employment_per_1000_residents"),
            sig(per_1000, 3),
            f"derived: {note}: lf_ind_education + health_social_welfare + public_administration "
            f"/ longform_sample_frac ({public:,.0f}) per 1000 residents (public units; private schools and "
            "clinics were few in 2010)",
        )

    # --------------------------------------------------------- labour, sectors

    def employment(self) -> None:
        if self.c.full is not None:
            self._panel_employment()
            return
        c, d, t = self.c, self.d, self.t
        sectors = t.get("sectors")
        tpl_mine_workers = sum(int(m["workers_persons"]) for m in t.get("coal", "mines"))
        if c.get("emp_sec1") is None:
            for s in SECTOR_NAMES:
                if s == "coal_mining":
                    continue
                d.from_template(("sectors", s, "initial_employment_persons"), int(round(sectors[s]["initial_employment_persons"] * self.ratio)), self.ratio_note)
            pu = t.get("population", "unemployed_persons")
            d.from_template(("population", "unemployed_persons"), int(round(pu * self.ratio)), self.ratio_note)
            self.mine_workers = int(round(tpl_mine_workers * self.ratio))
            self.mine_note = f"(from {self.tc}, {self.ratio_note})"
            return
        employed = employed_persons(c)
        how_e = (
            f"the employed ({employed:,.0f}) = mining workers / mining share of the employed"
            if c.get("employed_persons") is None
            else f"the employed ({employed:,.0f}, column employed_persons)"
        )
        self.mine_workers = int(round(c["mining_workers_est"]))
        self.mine_note = f"(census: {self.census_note('mining_workers_est')})"
        emp: dict[str, float] = {}
        emp["agriculture"] = c["emp_sec1"] * employed
        emp["services"] = c["emp_sec3"] * employed
        secondary = c["emp_sec2"] * employed - self.mine_workers
        others = ["coal_dependent_industry", "manufacturing", "construction", "new_industry"]
        tpl_others = {s: float(sectors[s]["initial_employment_persons"]) for s in others}
        tot = sum(tpl_others.values())
        if secondary < 0:
            secondary = 0.0
        for s in others:
            emp[s] = secondary * tpl_others[s] / tot
        unemployed = employed * c["census_unemp_proxy"] / (1.0 - c["census_unemp_proxy"])
        # the model has no employed persons above the statutory retirement ages nor in school:
        # census jobs held by older farmers and women past 50 must fit in its working-age pool
        unemployed = self._fit_working_age_pool(emp, unemployed)
        share_note = {
            "agriculture": f"derived: emp_sec1 {100 * c['emp_sec1']:.2f}% x {how_e} ({self.census_note('emp_sec1', 'mining_workers_est', 'mining_share_employed')})",
            "services": f"derived: emp_sec3 {100 * c['emp_sec3']:.2f}% x the employed ({self.census_note('emp_sec3')}); public units (labour.public_employment_per_1000_residents) are part of it",
        }
        if self.reduced:
            share_note["agriculture"] += (
                f"; less {self.reduced:,.0f} so that the jobs fit the model's working-age pool (the model "
                "retires everyone at the statutory ages: the census's farmers above them have no place)"
            )
        for s in others:
            share_note[s] = (
                f"derived: emp_sec2 {100 * c['emp_sec2']:.2f}% x the employed less the mining workers, "
                f"split over coal-dependent industry, manufacturing, construction and new industries as "
                f"in {self.tc} ({100 * tpl_others[s] / tot:.1f}% here)"
            )
        for s, v in emp.items():
            d.set(("sectors", s, "initial_employment_persons"), int(round(v)), share_note[s])
        d.set(
            ("population", "unemployed_persons"),
            int(round(unemployed)),
            f"derived: census job-loser share {100 * c['census_unemp_proxy']:.1f}% of the labour force "
            f"({self.census_note('census_unemp_proxy')}) applied to the employed",
        )

    def _fit_working_age_pool(self, emp: dict[str, float], unemployed: float) -> float:
        """Fit the census's jobs (``emp``, by sector, changed in place), the mines' workers and the
        job seekers into the model's working-age pool less a margin: farm jobs are cut first (held
        by farmers past the ages the model employs), then every sector and the seekers in
        proportion; ``self.reduced`` records the farm jobs cut. Returns the job seekers."""
        need = sum(emp.values()) + self.mine_workers + unemployed
        cap = (1.0 - (PROJECTED_ROW_MARGIN if self.projected else ROW_MARGIN)) * self._working_age_pool()
        self.reduced = 0.0
        if need > cap:
            cut = min(need - cap, emp["agriculture"])
            emp["agriculture"] -= cut
            self.reduced = cut
            rest = need - cut - cap
            if rest > 0:
                f = 1.0 - rest / (sum(emp.values()) + unemployed)
                for s in emp:
                    emp[s] *= f
                unemployed *= f
        return unemployed

    def _working_age_pool(self) -> float:
        """Expected persons of working age, out of school and below the retirement ages, at the start."""
        t = self.t
        dens = demo.density(self.bands, self.band_shares)
        skills = self.d.get("population", "skill_shares")
        female = float(self.d.get("population", "female_share"))
        f_band = self.female_by_band or [female] * len(self.bands)
        dens_f = demo.density(self.bands, [s * f for s, f in zip(self.band_shares, f_band, strict=True)])
        leave = t.get("demography", "school_leaving_age_years")
        dem = t.get("demography")
        ret = {
            ("m", k): series_at(dem["retirement_age_men_years"], self.start) for k in SKILL_NAMES
        }
        ret.update({("f", "low"): series_at(dem["retirement_age_women_workers_years"], self.start)})
        ret[("f", "medium")] = ret[("f", "low")]
        ret[("f", "high")] = series_at(dem["retirement_age_women_cadres_years"], self.start)
        ages = range(len(dens))
        total = 0.0
        for sex, sex_dens in (("m", dens - dens_f), ("f", dens_f)):
            for k in SKILL_NAMES:
                lo, hi = int(leave[k]), ret[(sex, k)]
                share = sum(sex_dens[a] for a in ages if lo <= a and a < hi)
                total += skills[k] * share
        return total * self.pop

    # --------------------------------------------------------- productivity

    def sectors(self) -> None:
        d, t = self.d, self.t
        if self.start == t.start:
            return
        for s in SECTOR_NAMES:
            cfg = t.get("sectors", s)
            g = growth_factor(cfg["productivity_growth_per_year"], t.start, self.start)
            why = f"its {t.start} level carried to {self.start} by its productivity_growth_per_year (x{g:.3f})"
            if cfg.get("outside_price_index"):
                # at the start year's outside price: the run's prices are relative to its start
                price = series_at(cfg["outside_price_index"], self.start) / series_at(cfg["outside_price_index"], t.start)
                g *= price
                why += f" and its outside_price_index (x{price:.3f})"
            d.from_template(
                ("sectors", s, "value_added_per_worker_yuan_per_month"),
                sig(cfg["value_added_per_worker_yuan_per_month"] * g, 4),
                why,
            )
            if "external_demand_index" in cfg:
                idx = cfg["external_demand_index"]
                base = series_at(idx, t.start) / series_at(idx, self.start)
                trimmed = trim_series(idx, self.start)
                d.from_template(
                    ("sectors", s, "external_demand_index"),
                    {y: sig(v * base, 4) for y, v in trimmed.items()},
                    f"rebased to {self.start}: a multiple of start-year outside demand (index(Y) x "
                    f"index({t.start}) / index({self.start}))",
                )

    # ---------------------------------------------------------------- coal

    def mines(self) -> None:
        d, t = self.d, self.t
        coal = t.get("coal")
        minimum = float(coal["min_workable_reserves_tonnes"])
        years = self.start - t.start
        alive = []
        for m in coal["mines"]:
            left = float(m["reserves_tonnes"]) - float(m["capacity_tonnes_per_year"]) * years
            if left >= minimum:
                alive.append((m, left))
        if not alive:
            raise CityDataError(f"no mine of the template is left in {self.start}: cannot model the city's mines on it", file=str(t.path))
        entry = self.city.entry
        if entry.mine_workers_per_10kt is not None:
            intensity, year = entry.mine_workers_per_10kt, entry.mine_workers_year or self.start
            source = f"city list: {entry.mine_workers_source}"
        else:
            intensity, year = NATIONAL_MINE_WORKERS_PER_10KT, NATIONAL_MINE_WORKERS_YEAR
            source = f"assumed: {NATIONAL_MINE_WORKERS_SOURCE}"
        growth = t.get("sectors", "coal_mining", "productivity_growth_per_year")
        observed = intensity
        if year < self.start:
            intensity /= growth_factor(growth, year, self.start)
        elif year > self.start:
            intensity *= growth_factor(growth, self.start, year)
        if year != self.start:
            source += (
                f"; {observed:g} in {year}, carried to {self.start} with the coal sector's "
                f"productivity_growth_per_year: {intensity:.1f}"
            )
        intensity = round(intensity, 1)
        total = sum(int(m["workers_persons"]) for m, _ in alive)
        mines = []
        notes = []
        self.mine_template_regions: list[str | None] = []
        if self.c.full is not None and self._region_rows():
            self._mines_by_region(alive, intensity, source)
            return
        counters = {True: 0, False: 0}
        for m, left in alive:
            soe = bool(m["soe"])
            counters[soe] += 1
            name = f"{'state' if soe else 'private'}_mines_{counters[soe]}"
            share = int(m["workers_persons"]) / total
            workers = int(round(self.mine_workers * share))
            life = left / float(m["capacity_tonnes_per_year"])
            cap = workers * 10000.0 / intensity
            mines.append(
                {
                    "name": name,
                    "soe": soe,
                    "reserves_tonnes": sig(cap * life, 3),
                    "capacity_tonnes_per_year": sig(cap, 3),
                    "workers_persons": workers,
                }
            )
            self.mine_template_regions.append(m.get("region"))
            notes.append(
                f"assumed: like {self.tc}'s {m['name']} in {self.start} ({'state' if soe else 'private'}, "
                f"{100 * share:.0f}% of the mine workers, reserves for {life:.0f} years at capacity); "
                f"capacity at {intensity:g} workers per 10000 t/year"
            )
        d.set(
            ("coal", "mines"),
            mines,
            f"derived: mine workers {self.mine_note}; split and reserves as {self.tc}'s mines still open in "
            f"{self.start}; capacity from the labour intensity ({source})",
        )
        for i, n in enumerate(notes):
            d.notes[("coal", "mines", i)] = n
        d.set(
            ("sectors", "coal_mining", "initial_employment_persons"),
            sum(m["workers_persons"] for m in mines),
            "derived: the mines' workers (coal.mines)",
        )

    def _mines_by_region(self, alive: list[tuple[dict[str, Any], float]], intensity: float, source: str) -> None:
        """Mines where the census's mining workers live: in every region with at least
        :data:`MIN_MINE_REGION_SHARE` of the city's mining workers, a state and a private mine
        holding its workers in the template's state:private proportion, with the template's reserve
        lives (the mines of the template still open at the start)."""
        d = self.d
        rows = self._region_rows()
        workers = {e.region: row["mining_workers_est"] for e, row in rows}
        total_w = sum(workers.values())
        if total_w <= 0:
            raise CityDataError(f"the city has {self.mine_workers:,} mining workers but none of its regions has any",
                                file=self.c.file, line=self.c.line, key="lf_ind_mining")
        kept = {r: w for r, w in workers.items() if w >= MIN_MINE_REGION_SHARE * total_w}
        f = self.mine_workers / sum(kept.values())
        kinds = {}
        for soe in (True, False):
            ms = [(m, left) for m, left in alive if bool(m["soe"]) == soe]
            w = sum(float(m["workers_persons"]) for m, _ in ms)
            if w > 0:
                life = sum(float(m["workers_persons"]) * left / float(m["capacity_tonnes_per_year"]) for m, left in ms) / w
                kinds[soe] = (w, life, ", ".join(str(m["name"]) for m, _ in ms))
        all_w = sum(w for w, _, _ in kinds.values())
        mines, notes = [], []
        minimum = float(self.t.get("coal", "min_workable_reserves_tonnes"))
        for r, w_r in kept.items():
            # a private share too small to be a workable mine stays with the region's state mine
            split = {soe: w / all_w for soe, (w, _, _) in kinds.items()}
            if False in split and True in split:
                life_p = kinds[False][1]
                if w_r * f * split[False] * 10000.0 / intensity * life_p < 2.0 * minimum:
                    split = {True: 1.0}
            for soe, (_, life, names) in kinds.items():
                if soe not in split:
                    continue
                n = int(round(w_r * f * split[soe]))
                if n <= 0:
                    continue
                cap = n * 10000.0 / intensity
                mines.append({"name": f"{r}_{'state' if soe else 'private'}_mines", "soe": soe,
                              "reserves_tonnes": sig(cap * life, 3), "capacity_tonnes_per_year": sig(cap, 3),
                              "workers_persons": n, "region": r})
                notes.append(
                    f"derived: {r}'s census mining workers ({w_r:,.0f}) x {f:.3f}, {100 * split[soe]:.0f}% of them "
                    f"{'state' if soe else 'private'} as in {self.tc}'s mines still open in {self.start} ({names}"
                    + ("; the private share too small for a workable mine" if split[soe] == 1.0 and len(kinds) > 1 else "")
                    + "); "
                    f"assumed: reserves for {life:.0f} years at capacity as those mines; capacity at {intensity:g} "
                    "workers per 10000 t/year")
        small = sorted(set(workers) - set(kept))
        d.set(
            ("coal", "mines"),
            mines,
            f"derived: mine workers {self.mine_note}, placed in the regions by their census mining workers "
            f"(lf_ind_mining / longform_sample_frac of each region's row"
            + (f"; regions with less than {100 * MIN_MINE_REGION_SHARE:g}% of them ({', '.join(small)}) have no mine "
               f"of their own, their workers spread over the others (x{f:.3f})" if small else "")
            + f"); capacity from the labour intensity ({source})",
        )
        for i, n in enumerate(notes):
            d.notes[("coal", "mines", i)] = n
        d.set(
            ("sectors", "coal_mining", "initial_employment_persons"),
            sum(m["workers_persons"] for m in mines),
            "derived: the mines' workers (coal.mines)",
        )

    # ------------------------------------------------------------- housing

    def housing_stocks(self) -> None:
        c, d, t = self.c, self.d, self.t
        pop_t = t.get("population")
        size = float(pop_t["household_size_mean_persons"])
        # the template's shantytown stock left at the start year, after its own programme
        stock = float(pop_t["shantytown_households"])
        lever = t.get("levers").get("shantytown_renovation", {})
        if lever.get("enabled") and self.start > t.start:
            for y in range(max(t.start, int(lever.get("start_year", 0))), min(self.start - 1, int(lever.get("end_year", 0))) + 1):
                stock -= series_at(lever["households_per_year"], y)
        stock = max(stock, 0.0)
        ref_urban = self.ref.census.get("urban_share")
        rural = float(d.get("population", "rural_share"))
        if ref_urban is not None:
            ref_urban_hh = self.ref_pop * ref_urban / size
            share = stock / ref_urban_hh
            how = (
                f"{self.tc}'s stock left in {self.start} ({stock:,.0f} after its programme) per urban "
                f"household ({100 * share:.1f}%), applied to this city's urban households"
            )
        else:
            ref_urban_hh = self.ref_pop * (1.0 - template_rural_share(t)) / size
            share = stock / ref_urban_hh
            how = f"{self.tc}'s share of urban households in shantytowns ({100 * share:.1f}%)"
        city_urban_hh = self.pop * (1.0 - rural) / size
        entry = self.city.entry
        if entry.shantytown_households is not None:
            self.shanty = float(entry.shantytown_households)
            d.set(("population", "shantytown_households"), int(self.shanty), f"city list: {entry.shantytown_source}")
        else:
            self.shanty = share * city_urban_hh
            d.set(("population", "shantytown_households"), int(round(self.shanty)), f"from {self.tc}: {how}")
        self.stock_ratio["shantytown_households"] = self.shanty / stock if stock else 0.0
        sub_t = float(pop_t["subsidence_households"])
        if entry.subsidence_households is not None:
            self.subs = float(entry.subsidence_households)
            d.set(("population", "subsidence_households"), int(self.subs), f"city list: {entry.subsidence_source}")
        else:
            ref_miners = self.ref.census.get("mining_workers_est")
            if ref_miners and c.get("mining_workers_est") is not None:
                per = sub_t / ref_miners
                self.subs = per * self.mine_workers
                how = f"{self.tc}'s {sub_t:,.0f} per its {ref_miners:,.0f} mining workers ({per:.2f}) x this city's mining workers"
            else:
                self.subs = sub_t * self.ratio
                how = self.ratio_note
            d.set(("population", "subsidence_households"), int(round(self.subs)), f"from {self.tc}: {how}")
        self.stock_ratio["subsidence_households"] = self.subs / sub_t if sub_t else 0.0

    # ------------------------------------------------------------ migration

    def migration(self) -> None:
        c, d, t = self.c, self.d, self.t
        mg = t.get("migration")
        base = float(mg["in_base_households_per_year"]) * self.ratio
        size = float(mg["in_household_size_persons"])
        e, re_ = self.city.earlier, self.ref.earlier
        ok = (
            e is not None and re_ is not None
            and all(x.get(k) is not None for x in (c, self.ref.census) for k in ("birth_rate", "death_rate"))
        )
        if self.projected:  # the decade's net migration is what a projected city is fitted to, not an input
            note = self.ratio_note
            if re_ is not None and re_.year == self.start:  # per resident at the start, as the template's
                base = float(mg["in_base_households_per_year"]) * self.pop / float(re_["population"])
                note = f"scaled by population ({self.pop:,} / {self.t.city} {int(re_['population']):,} in {self.start})"
            d.from_template(("migration", "in_base_households_per_year"), sig(base, 3),
                            f"{note}; the city starts before its census, and its migration "
                            f"{self.start}-{self.census_year} is for the panel's pooled calibration to fit")
            return
        if not ok:
            d.from_template(("migration", "in_base_households_per_year"), sig(base, 3), self.ratio_note)
            return
        span = self.start - e.year

        def net(now: CensusRow, before: CensusRow) -> float:
            return math.log(now["population"] / before["population"]) / span - (now["birth_rate"] - now["death_rate"])

        n_city, n_ref = net(c, e), net(self.ref.census, re_)
        rates = (
            f"net migration {e.year}-{self.start} {1000 * n_city:+.2f} per 1000 a year here, "
            f"{1000 * n_ref:+.2f} in {self.tc} (population change between the censuses, "
            f"{Path(e.file).name}, less natural increase at the {self.start} census rates)"
        )
        if n_city >= n_ref:
            # inflows to growing coal cities followed the coal-boom jobs, which the model's
            # vacancy-driven in-migration produces by itself: no extra autonomous inflow
            d.from_template(
                ("migration", "in_base_households_per_year"),
                sig(base, 3),
                f"{self.ratio_note}; {rates}: no more than {self.tc}'s, as the model's in-migration "
                "to vacancies stands for job-driven inflows",
            )
            return
        value = base + (n_city - n_ref) * self.pop / size  # households a year
        how = f"{self.ratio_note}, less the city's extra net loss ({rates})"
        if value >= 0:
            d.from_template(("migration", "in_base_households_per_year"), sig(value, 3), how)
        else:
            d.from_template(("migration", "in_base_households_per_year"), 0.0, how + ": negative, so none")
            self.extra_leavers = (-value * size, rates)
            self.raise_leaving(1.0)  # provisional: new_city.build_drafts divides by the city's multiplier

    def raise_leaving(self, multiplier: float) -> None:
        """Raise the households' leaving rate so that, at the city's start, ``extra_leavers`` more
        persons a year leave: the base rate is multiplied in the model by expected incomes and the
        households' types and housing (:func:`simulator.model.migration.households_leaving_multiplier`,
        ``multiplier``), so the raise is the persons over the population over that multiplier."""
        persons, rates = self.extra_leavers
        base = float(self.t.get("migration")["out_base_rate_per_year"])
        out = base + persons / self.pop / multiplier
        self.d.from_template(
            ("migration", "out_base_rate_per_year"),
            sig(out, 3),
            f"raised by the in-migration that would have been negative ({persons:,.0f} persons a year; {rates}), "
            f"over the city's households' leaving multiplier at its start ({multiplier:.2f}: expected incomes to the "
            "power of the elasticity, and the multipliers of the households' types and housing), so that as many more "
            "persons leave",
        )

    def registration(self) -> None:
        """The register at the start (``migration.registration``): from the census's registered
        population and in-migrant stock where the row has them, the template's absent scaled by
        population otherwise; the rates stay the template's (assumed there)."""
        c, d, t = self.c, self.d, self.t
        reg = t.get("migration").get("registration")
        if not reg:
            return
        v = c.full
        if v is None or v.get("pop_hukou_registered") is None:
            if reg.get("absent_registered_persons") is not None:
                d.from_template(("migration", "registration", "absent_registered_persons"),
                                sig(float(reg["absent_registered_persons"]) * self.ratio, 3), self.ratio_note)
            return
        pop = float(v["pop_total"])
        other_province = float(v["in_migrants_other_province"])
        other_county = float(v["in_migrants_other_county_same_province"])
        gap = pop - float(v["pop_hukou_registered"])
        elsewhere = registered_elsewhere(v)
        note = (f"derived: residents from other provinces {other_province:,.0f} + {OTHER_COUNTY_OUTSIDE_SHARE} x those "
                f"from other counties of the province {other_county:,.0f} (assumed: some moved within the prefecture), "
                f"over the residents ({self.census_note('in_migrants_other_province', 'in_migrants_other_county_same_province', 'pop_total')})")
        if elsewhere > other_province + OTHER_COUNTY_OUTSIDE_SHARE * other_county:  # more residents than registered beyond the in-migrants counted: all of the gap registered elsewhere
            note += f"; raised to the residents less the registered ({gap:,.0f}), as no one can be absent below zero"
        share = elsewhere / pop
        if self.projected:
            note += f" (the {self.census_year} share, assumed at the {self.start} start)"
        d.set(("migration", "registration", "nonlocal_share_of_residents"), round(share, 4), note)
        if self.projected:
            self._projected_absent(share)
            return
        absent = max(float(v["pop_hukou_registered"]) - (pop - elsewhere), 0.0)
        d.set(("migration", "registration", "absent_registered_persons"), sig(absent, 4),
              f"derived: registered {v['pop_hukou_registered']:,.0f} less the residents registered in the city "
              f"({pop:,.0f} - {elsewhere:,.0f}) ({self.census_note('pop_hukou_registered')})")

    def _projected_absent(self, share: float) -> None:
        """The absent at the start of a city projected back: the registered year-end population of
        the start year (the yearbook) less the residents registered in the city."""
        from simulator.cities.data import read_registered

        d = self.d
        reg = read_registered(self.city.entry.city, self.start)
        local = self.pop * (1.0 - share)
        if reg is None:
            v = self.c.full
            assert v is not None
            absent = max(float(v["pop_hukou_registered"]) - v["pop_total"] * (1.0 - share), 0.0) * self.back
            d.set(("migration", "registration", "absent_registered_persons"), sig(absent, 4),
                  f"derived: the {self.census_year} census's absent (registered less the residents registered in "
                  f"the city){self.back_note()}; no registered population of {self.start} at hand")
            return
        absent = max(reg.persons - local, 0.0)
        d.set(("migration", "registration", "absent_registered_persons"), sig(absent, 4),
              f"derived: registered year-end population {reg.persons:,.0f} ({reg.file} line {reg.line}) less the "
              f"residents registered in the city ({self.pop:,} x (1 - {share:.4f}))")

    # ------------------------------------------------------------- regions

    def _region_rows(self) -> list[tuple[Any, CensusRow]]:
        """The city's regions (region list) with their census rows, read once: rows of the city's
        census table, or, if it has none of them (the 2000 table holds cities only), of another
        census year's table (whose shares then distribute the start year's population)."""
        if self._regions is not None:
            return self._regions
        from simulator.cities.data import (
            CityEntry,
            find_data_file,
            read_census_row,
            read_region_list,
        )

        entries = read_region_list(find_data_file(self.region_list), self.city.entry.city)
        if not entries:
            self._regions = []
            return self._regions
        if self.city.census_path is None:  # pragma: no cover - load_city always sets it
            raise CityDataError("the census table of the city is unknown: cannot read its regions' rows")
        path, year = self.city.census_path, self.census_year
        keys = [CityEntry(city=e.region, name_zh=e.name_zh, census_code=e.census_code) for e in entries]
        if not any(_has_row(path, year, k) for k in keys):
            others = [(y, find_data_file(f)) for y, f in sorted(CENSUS_FILES.items(), reverse=True) if y != year]
            found = [(y, f) for y, f in others if any(_has_row(f, y, k) for k in keys)]
            if not found:
                raise CityDataError(f"no census table has rows for the regions of {self.city.entry.city} "
                                    f"listed in {entries[0].file}", file=entries[0].file, line=entries[0].line)
            year, path = found[0]
        self._regions = [(e, read_census_row(path, year, k)) for e, k in zip(entries, keys, strict=True)]
        return self._regions

    def regions(self, region_list: Path | None = None) -> None:
        """The city's districts and counties from the region list and their census rows
        (after :meth:`mines`: every mine gets a region). ``region_list``: the list to read
        instead of the one given to the builder."""
        if region_list is not None and region_list != self.region_list:
            self.region_list, self._regions = region_list, None
        d, t = self.d, self.t
        rows = self._region_rows()
        if not rows:
            return
        entries = [e for e, _ in rows]
        year = rows[0][1].year
        regions, notes, workers = [], [], {}
        for e, row in rows:
            for col in ("urban_share", "emp_sec1", "emp_sec2", "emp_sec3", "mining_share_employed"):
                if row.get(col) is None:
                    raise CityDataError(f"region {e.region}: the census row has no {col}",
                                        file=row.file, line=row.line, key=col)
            region = {"name": e.region, "name_zh": e.name_zh, "kind": e.kind}
            if e.land_area_km2 is not None:
                region["land_area_km2"] = e.land_area_km2
            region.update({
                "population_persons": int(round(row["population"])), "urban_share": round(row["urban_share"], 4),
                "employment_shares": round_shares({"agriculture": row["emp_sec1"], "industry": row["emp_sec2"],
                                                   "services": row["emp_sec3"]}),
                "mining_share_of_employed": round(row["mining_share_employed"], 4),
            })
            regions.append(region)
            workers[e.region] = row.get("mining_workers_est") or 0.0
            cols = ("pop_total, pop_urban, employment shares of lf_ind_* (agriculture; mining to construction; "
                    "the rest), lf_ind_mining share" if row.full is not None else
                    "population, urban share, employment shares (emp_sec1-3), mining share")
            land = (f"kind, land area ({e.land_area_source or 'no source given'})" if e.land_area_km2 is not None
                    else f"kind; no land area ({e.land_area_source})")
            notes.append(f"census: {Path(row.file).name} line {row.line} ({row.label}): {cols}; region list: "
                         f"{e.file} line {e.line}: {land}")
        total = sum(r["population_persons"] for r in regions)
        if self.projected:
            notes = [n + f" (their {year} shares distribute the {self.start} population)" for n in notes]
        elif year != self.start:
            notes = [n + f" (the {self.start} census has no rows for the districts and counties: their "
                     f"{year} shares distribute the {self.start} population)" for n in notes]
        elif abs(total - self.pop) > REGION_POPULATION_TOLERANCE * self.pop:
            raise CityDataError(
                f"the regions' census populations sum to {total:,}, the city's is {self.pop:,}: the region list "
                f"misses a region or names one of another city", file=entries[0].file, line=entries[0].line)
        self.region_names = [r["name"] for r in regions]
        d.set(("regions",), regions, "census: the city's districts and counties (county-level rows)")
        rural = sum(r["population_persons"] * (1.0 - r["urban_share"]) for r in regions) / total
        own = d.get("population").get("rural_share")
        if own is None or abs(own - rural) > 0.005:  # with regions, their urban shares set the city's
            d.set(("population", "rural_share"), round(rural, 4),
                  f"derived: the regions' urban shares, weighted by their census populations ({year})")
            _place_after(d.data["population"], "rural_share", "household_size_mean_persons")
        for i, n in enumerate(notes):
            d.notes[("regions", i)] = n
        internal = t.get("migration").get("internal")
        if internal is None:
            raise CityDataError(f"the template {t.path} has no migration.internal block: a city with regions needs "
                                "the rate of moves from its counties to its districts", file=str(t.path))
        d.set(("migration", "internal"), copy.deepcopy(internal), f"from {self.tc}")
        for k in internal:
            own = t.comments.get(("migration", "internal", k), "")
            d.notes[("migration", "internal", k)] = f"from {self.tc}" + (f": {own}" if own else "")
        # every mine in a region: the one its template mine lies in, if the city has it; else the region
        # with the most census mining workers not yet taken by a mine
        left = dict(workers)
        for i, m in enumerate(d.get("coal", "mines")):
            if m.get("region") is not None:  # placed by the census's mining workers (:meth:`_mines_by_region`)
                continue
            tpl_region = self.mine_template_regions[i] if i < len(self.mine_template_regions) else None
            if tpl_region in self.region_names:
                m["region"] = tpl_region
                how = f"from {self.tc}: the region of the mine it is modelled on"
            else:
                m["region"] = max(left, key=lambda r: left[r])
                how = f"assumed: the region with the most census mining workers not yet given a mine ({left[m['region']]:,.0f})"
            left[m["region"]] -= m["workers_persons"]
            d.notes[("coal", "mines", i)] = d.notes.get(("coal", "mines", i), "") + f"; region {how}"

    def provincial(self) -> None:
        """Mark the template's provincial values kept for a city of another province as assumed."""
        province, tpl_province = self.city.entry.province, self.ref.entry.province
        if not province or not tpl_province or province == tpl_province:
            return
        for path, what in PROVINCIAL_TEMPLATE_VALUES.items():
            note = self.d.notes.get(path)
            if note is None or not note.startswith(f"from {self.tc}"):
                continue
            self.d.notes[path] = (f"assumed: the template's ({tpl_province}) {what} kept, no {province} figure at hand; " + note)

    # ---------------------------------------------------------- series, levers

    def trim_all_series(self) -> None:
        """Every year series from the start year on (the money deflator is kept whole)."""
        d = self.d
        if self.start == self.t.start:
            return
        for path in _series_paths(d.data, ()):
            if path == ("world", "cpi_index") or path[0] == "levers":
                continue
            value = d.get(*path)
            trimmed = trim_series(value, self.start)
            if trimmed != value:
                node = d.get(*path[:-1])
                node[path[-1]] = trimmed

    def levers(
        self, source: Template, *, baseline: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], Notes]:
        """The template's levers scaled to this city, with their notes.

        With ``baseline`` (the template baseline's levers), only the levers that
        differ from it are returned, whole (for a package file that extends the
        city's baseline).
        """
        out: dict[str, Any] = {}
        notes: Notes = {}
        moved = self.start > self.t.start
        comments = source.comments
        for name, cfg in source.data.get("levers", {}).items():
            if baseline is not None and baseline.get(name) == cfg:
                continue
            cfg = copy.deepcopy(cfg)
            path = ("levers", name)

            def own(k: str, path: tuple[Any, ...] = path) -> str:
                o = comments.get(path + (k,), "")
                return f" (there: {o})" if o else ""

            if not set(cfg.get("regions") or ()) <= set(self.region_names):
                cfg.pop("regions")  # the template's districts, not this city's: the lever acts city-wide
            for k in cfg:
                o = comments.get(path + (k,), "")
                notes[path + (k,)] = f"from {self.tc}" + (f": {o}" if o else "")
            if cfg.get("enabled") and int(cfg.get("end_year", self.start)) < self.start:
                cfg["enabled"] = False
                notes[path + ("enabled",)] = f"derived: off, {self.tc}'s programme ended before {self.start}"
            if name == "resource_city_transfer":
                entry = self.city.entry
                if entry.designation_year is None and cfg.get("enabled"):
                    cfg["enabled"] = False
                    notes[path + ("enabled",)] = (
                        "city list: not designated a resource-exhausted city"
                        + (f" ({entry.designation_source})" if entry.designation_source else " (no designation year)")
                    )
                if entry.designation_year is not None:
                    cfg["start_year"] = entry.designation_year
                    notes[path + ("start_year",)] = (
                        f"city list: designated a resource-exhausted city that year ({entry.designation_source})"
                    )
                if "yuan_per_year" in cfg:
                    notes[path + ("yuan_per_year",)] = f"from {self.tc}, the same amount a city (not per resident){own('yuan_per_year')}"
            if name == "shantytown_renovation" and moved and cfg.get("enabled") and int(cfg.get("start_year", 0)) < self.start:
                cfg["start_year"] = self.start
                notes[path + ("start_year",)] = (
                    f"assumed: the programme as running in {self.start} (what it did before is in the {self.start} city)"
                )
            for k in POPULATION_SCALED_LEVER_SIZES.get(name, ()):
                if k in cfg:
                    cfg[k] = _scale(cfg[k], self.ratio)
                    notes[path + (k,)] = f"from {self.tc}, {self.ratio_note}{own(k)}"
            for (lever, k), stock in STOCK_SCALED_LEVER_SIZES.items():
                if lever == name and k in cfg:
                    r = self.stock_ratio[stock]
                    cfg[k] = _scale(cfg[k], r)
                    notes[path + (k,)] = f"from {self.tc}, scaled by the city's {stock.replace('_', ' ')} (x{r:.3f}){own(k)}"
            if moved:
                for k, v in list(cfg.items()):
                    if is_year_series(v):
                        cfg[k] = trim_series(v, self.start)
            province, tpl_province = self.city.entry.province, self.ref.entry.province
            if name in PROVINCIAL_LEVERS and cfg.get("enabled") and province and tpl_province and province != tpl_province:
                notes[path + ("enabled",)] = (f"assumed: {PROVINCIAL_LEVERS[name]}, no {province} programme at hand; "
                                              + notes.get(path + ("enabled",), ""))
            out[name] = cfg
        return out, notes


def _scale(value: Any, ratio: float) -> Any:
    if isinstance(value, dict):
        return {y: sig(float(v) * ratio, 3) for y, v in value.items()}
    return sig(float(value) * ratio, 3)


_WORD = re.compile(r"[^a-z0-9_]+")


def scenario_name(stem: str) -> str:
    return _WORD.sub("_", stem.lower()).strip("_") or "city"
