"""City data: census figures of a city, read from CSV files and checked.

Three kinds of file (formats in ``data/cities/README.md``):

* the **city list** (``data/cities/cities.csv``): one row per city with its
  short name (``fushun``), Chinese name, census code, province and the facts
  the census tables do not hold (designation year as a resource-exhausted city,
  subsidence-area households, mine labour intensity), each with its source;
* a **census table** for the start year, one row per city (or district), in one
  of three formats: the **whole county-level row** of the 2010 census
  (``calibration/data/census2010_coal_panel.csv``, the default for 2010: age
  bands by sex, households, education, industries, the not working by reason,
  births, deaths, migrants, ...; see :data:`PANEL_COLUMNS`), the **summary**
  columns of ``calibration/data/census2010_cities.csv`` (population, urban
  share, age shares, employment shares, mining workers, schooling, birth and
  death rates), or ``calibration/data/census2000_population.csv`` (2000:
  population only);
* optionally the 2000 census table, for the population change 2000-2010.

Shares are in percent and rates per thousand, as in the census tables. Every
problem is one :class:`CityDataError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from simulator.cities import CITY_LIST
from simulator.scenario.errors import ScenarioError

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The source tree (where ``data/`` and ``calibration/`` live in a checkout)."""

CENSUS_FILES = {
    2000: Path("calibration/data/census2000_population.csv"),
    2010: Path("calibration/data/census2010_coal_panel.csv"),
}
"""Default census table of each census year (relative to the working directory or the source tree)."""

CENSUS_YEARS = tuple(sorted(CENSUS_FILES))

REQUIRED_COLUMNS = {
    2000: ("population",),
    2010: (
        "population",
        "urban_share",
        "share0_14",
        "share60",
        "emp_sec1",
        "emp_sec2",
        "emp_sec3",
        "mining_workers_est",
        "mining_share_employed",
        "census_unemp_proxy",
        "edu_years",
        "birth_rate",
        "death_rate",
    ),
}
"""Columns a census table must have for a start in that census year ("population" may be
spelt ``pop2010`` / ``population_2010``)."""

OPTIONAL_COLUMNS = ("share15_59", "share65", "employed_persons")

PERCENT_COLUMNS = (
    "urban_share",
    "share0_14",
    "share15_59",
    "share60",
    "share65",
    "emp_sec1",
    "emp_sec2",
    "emp_sec3",
    "mining_share_employed",
    "census_unemp_proxy",
)
COUNT_COLUMNS = ("population", "mining_workers_est", "employed_persons")
PER_THOUSAND_COLUMNS = ("birth_rate", "death_rate")
SHARE_SUM_TOLERANCE_PERCENT = 1.0
"""Census shares are printed to 0.01-0.1 points: groups of shares must add up to 100 within this."""


AGE_GROUPS = (
    "0", "1_4", "5_9", "10_14", "15_19", "20_24", "25_29", "30_34", "35_39", "40_44", "45_49",
    "50_54", "55_59", "60_64", "65_69", "70_74", "75_79", "80_84", "85_plus",
)
"""The census's age groups (columns ``age_<group>_male`` / ``_female``)."""

AGE_COLUMNS = tuple(f"age_{g}_{sex}" for g in AGE_GROUPS for sex in ("male", "female"))
EDUCATION_LEVELS = ("none", "primary", "junior_secondary", "senior_secondary", "junior_college", "university")
EDUCATION_COLUMNS = tuple(f"edu_{e}_{sex}" for e in EDUCATION_LEVELS for sex in ("male", "female"))
INDUSTRIES = (
    "agriculture", "mining", "manufacturing", "utilities", "construction", "transport_storage_post",
    "information_software", "wholesale_retail", "hotels_restaurants", "finance", "real_estate",
    "leasing_business_services", "research_technical", "water_environment_public_facilities",
    "household_other_services", "education", "health_social_welfare", "culture_sports",
    "public_administration", "international_orgs",
)
"""The census's industries (sections A-T of GB/T 4754-2002; columns ``lf_ind_<industry>``)."""

NOT_WORKING_REASONS = (
    "students", "disabled", "never_worked_after_school", "lost_job_employer", "lost_job_own",
    "land_expropriated", "retired", "housework", "other",
)
"""Why the 16+ not working do not work (columns ``lf_notworking_<reason>``)."""

PANEL_COUNTS = (
    "pop_total", "pop_male", "pop_female", "pop_hukou_registered", "pop_urban", "pop_rural",
    "households", "household_members", "hh_one_person", "hh_one_generation", "hh_two_generations",
    "hh_three_generations", "hh_four_plus_generations",
    *AGE_COLUMNS,
    "in_migrants_same_county", "in_migrants_other_county_same_province", "in_migrants_other_province",
    *EDUCATION_COLUMNS,
    "lf_pop_16plus", "lf_notworking_total", *(f"lf_notworking_{r}" for r in NOT_WORKING_REASONS),
    "lf_ind_total", *(f"lf_ind_{i}" for i in INDUSTRIES),
)
"""Counts of the whole census row: persons, households; ``lf_*`` are long-form sample counts."""

PANEL_BLANK_IS_ZERO = (
    "pop_rural", "hh_four_plus_generations",
    *(f"lf_notworking_{r}" for r in NOT_WORKING_REASONS), *(f"lf_ind_{i}" for i in INDUSTRIES),
)
"""Counts the digitised tables leave empty where the published cell is zero."""

PANEL_MEASURES = {
    "household_size_mean": (1.0, 15.0, "persons per household"),
    "birth_rate_per_1000": (0.0, 100.0, "per 1000 residents"),
    "death_rate_per_1000": (0.0, 100.0, "per 1000 residents"),
    "edu_years_mean": (0.0, 20.0, "years"),
    "women_15_64_children_ever_born": (0.0, 15.0, "children per woman"),
    "women_15_64_children_surviving": (0.0, 15.0, "children per woman"),
    "longform_sample_frac": (1e-4, 1.0, "share of households in the long-form sample"),
}
"""Rates and means of the census row, with the range each must lie in."""

PANEL_COLUMNS = ("city", "level", "unit_zh", "code", *PANEL_COUNTS, *PANEL_MEASURES)
"""Columns a whole-row census table (``census2010_coal_panel.csv``) must have."""

PANEL_SUM_TOLERANCE = 0.01
"""Parts of a census count (age groups, industries, reasons for not working, sexes) must add up to
the total within this share (the published tables add up exactly; a larger gap is a shifted column)."""


class CityDataError(ScenarioError):
    """A problem with city data: ``file:line: column 'x': message``."""

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.key:
            parts.append(f"column '{self.key}'")
        text = self.message
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        parts.append(text)
        return ": ".join(parts)


def city_title(city: str) -> str:
    """A city's display name from its short name: ``fushun`` -> ``Fushun``."""
    return city[:1].upper() + city[1:]


@dataclass(frozen=True)
class CityEntry:
    """A city of the city list, with the facts the census does not hold."""

    city: str
    name_zh: str = ""
    census_code: str = ""
    province: str = ""
    designation_year: int | None = None
    designation_source: str = ""
    shantytown_households: int | None = None
    shantytown_source: str = ""
    subsidence_households: int | None = None
    subsidence_source: str = ""
    mine_workers_per_10kt: float | None = None
    mine_workers_year: int | None = None
    mine_workers_source: str = ""

    @property
    def title(self) -> str:
        """Display name: ``fushun`` -> ``Fushun``."""
        return city_title(self.city)


@dataclass
class CensusRow:
    """One city's census figures (shares as fractions, rates per person and year)."""

    year: int
    file: str
    line: int
    label: str
    values: dict[str, float] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    """The table's own name of each figure (``population`` -> ``pop2010``)."""
    full: dict[str, float] | None = None
    """The whole census row (a whole-row table): every count and rate by its column name,
    rates as published (per 1000, percent); None for a summary table."""

    def get(self, column: str) -> float | None:
        return self.values.get(column)

    def __getitem__(self, column: str) -> float:
        return self.values[column]


@dataclass
class CityData:
    """Everything known about a city for building its scenario."""

    entry: CityEntry
    census: CensusRow
    earlier: CensusRow | None = None
    """The census ten years before, if it has a row for the city (for the population change)."""
    census_path: Path | None = None
    """The census table the city's row was read from (its regions' rows are read from it too)."""


@dataclass
class RegionEntry:
    """A district or county of a city, as the region list gives it."""

    city: str
    region: str
    name_zh: str
    census_code: str
    kind: str
    land_area_km2: float | None
    """None where no source gives it (``land_area_source`` says so)."""
    land_area_source: str
    file: str
    line: int


REGION_KINDS = ("district", "county")


# ----------------------------------------------------------------- files


def shown_path(path: str | Path) -> str:
    """A path as shown in files and messages: relative to the source tree when inside it."""
    p = Path(path)
    if p.is_absolute():
        try:
            return p.relative_to(PACKAGE_ROOT).as_posix()
        except ValueError:
            return p.as_posix()
    return p.as_posix()


def find_data_file(path: Path) -> Path:
    """``path`` as given if it exists, else relative to the source tree."""
    if path.is_absolute() or path.is_file():
        return path
    candidate = PACKAGE_ROOT / path
    return candidate if candidate.is_file() else path


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], int]:
    """Header, rows (with their line numbers) and the header's line of a CSV file; lines
    starting with '#' are comments."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CityDataError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise CityDataError("this is a directory, not a file", file=str(path)) from None
    except OSError as e:
        raise CityDataError(f"cannot read the file ({e.strerror or e})", file=str(path)) from None
    except UnicodeDecodeError as e:
        raise CityDataError(f"not UTF-8 text (byte at offset {e.start})", file=str(path)) from None
    lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise CityDataError("no header line (the file is empty)", file=str(path))
    try:
        reader = csv.reader([line for _, line in numbered], strict=True)
        records = list(reader)
    except csv.Error as e:
        raise CityDataError(f"not a CSV table ({e})", file=str(path)) from None
    header = [h.strip() for h in records[0]]
    rows = []
    for (line_no, _), rec in zip(numbered[1:], records[1:], strict=True):
        if len(rec) != len(header):
            raise CityDataError(
                f"{len(rec)} fields, the header has {len(header)}", file=str(path), line=line_no
            )
        rows.append((line_no, {h: v.strip() for h, v in zip(header, rec, strict=True)}))
    return header, rows, numbered[0][0]


def _number(raw: str, file: str, line: int, column: str) -> float | None:
    if raw == "":
        return None
    try:
        x = float(raw)
    except ValueError:
        raise CityDataError(f"expected a number, got {raw!r}", file=file, line=line, key=column) from None
    if not math.isfinite(x):
        raise CityDataError(f"expected a finite number, got {raw!r}", file=file, line=line, key=column)
    return x


def read_city_list(path: Path) -> dict[str, CityEntry]:
    """The city list: short name -> :class:`CityEntry`."""
    header, rows, header_line = _read_csv(path)
    if "city" not in header:
        raise CityDataError("missing column 'city' (the city's short name)", file=str(path), line=header_line)
    cities: dict[str, CityEntry] = {}
    for line, r in rows:
        name = r["city"].strip().lower()
        if not name:
            raise CityDataError("empty city name", file=str(path), line=line, key="city")
        if name in cities:
            raise CityDataError(f"city {name!r} listed twice", file=str(path), line=line, key="city")
        year = _number(r.get("designation_year", ""), str(path), line, "designation_year")
        shanty = _number(r.get("shantytown_households", ""), str(path), line, "shantytown_households")
        sub = _number(r.get("subsidence_households", ""), str(path), line, "subsidence_households")
        tpw = _number(r.get("mine_workers_per_10kt", ""), str(path), line, "mine_workers_per_10kt")
        tpw_year = _number(r.get("mine_workers_year", ""), str(path), line, "mine_workers_year")
        for col, v in (("designation_year", year), ("mine_workers_year", tpw_year)):
            if v is not None and (v != int(v) or not 1949 <= v <= 2100):
                raise CityDataError(f"expected a year, got {r[col]!r}", file=str(path), line=line, key=col)
        if tpw is not None and tpw_year is None:
            raise CityDataError("mine_workers_per_10kt needs the year it was observed (mine_workers_year)", file=str(path), line=line, key="mine_workers_year")
        for col, v in (("shantytown_households", shanty), ("subsidence_households", sub)):
            if v is not None and (v < 0 or v != int(v)):
                raise CityDataError(f"expected a count of households (a whole number >= 0), got {r[col]!r}", file=str(path), line=line, key=col)
        if tpw is not None and tpw <= 0:
            raise CityDataError(f"must be positive, got {r['mine_workers_per_10kt']!r}", file=str(path), line=line, key="mine_workers_per_10kt")
        cities[name] = CityEntry(
            city=name,
            name_zh=r.get("name_zh", ""),
            census_code=r.get("census_code", ""),
            province=r.get("province", ""),
            designation_year=None if year is None else int(year),
            designation_source=r.get("designation_source", ""),
            shantytown_households=None if shanty is None else int(shanty),
            shantytown_source=r.get("shantytown_source", ""),
            subsidence_households=None if sub is None else int(sub),
            subsidence_source=r.get("subsidence_source", ""),
            mine_workers_per_10kt=tpw,
            mine_workers_year=None if tpw_year is None else int(tpw_year),
            mine_workers_source=r.get("mine_workers_source", ""),
        )
    return cities


def _population_column(header: list[str], year: int) -> str | None:
    for name in (f"pop{year}", f"population_{year}", "population"):
        if name in header:
            return name
    return None


def read_census_row(path: Path, year: int, entry: CityEntry) -> CensusRow:
    """The census row of ``entry`` in the table at ``path``, checked.

    The row is the one whose ``city`` column is the city's short name, or whose
    ``unit`` column is its Chinese name (or short name), or whose ``code`` is its
    census code.
    """
    if year not in REQUIRED_COLUMNS:
        raise CityDataError(f"no census format for {year}; census years are {', '.join(map(str, CENSUS_YEARS))}")
    file = str(path)
    header, rows, header_line = _read_csv(path)
    if is_panel_header(header):
        return _read_panel_row(file, header, rows, header_line, year, entry)
    pop_col = _population_column(header, year)
    present = set(header) | ({"population"} if pop_col else set())
    missing = [c for c in REQUIRED_COLUMNS[year] if c not in present]
    if missing:
        shown = [f"pop{year}" if c == "population" else c for c in missing]
        raise CityDataError(
            f"missing column(s) {', '.join(repr(c) for c in shown)} (needed to start a city in {year}; "
            "see data/cities/README.md)",
            file=file,
            line=header_line,
        )
    if not {"city", "unit", "code"} & set(header):
        raise CityDataError("missing column 'city' (or 'unit' / 'code') naming each row's city", file=file, line=header_line)

    def matches(r: dict[str, str]) -> bool:
        names = {entry.city, entry.name_zh.lower()} - {""}
        return (
            r.get("city", "").strip().lower() in names
            or r.get("unit", "").strip().lower() in names
            or (bool(entry.census_code) and r.get("code", "").strip() == entry.census_code)
        )

    found = [(line, r) for line, r in rows if matches(r)]
    if not found:
        known = [r.get("city") or r.get("unit") or r.get("code") for _, r in rows]
        hint = difflib.get_close_matches(entry.city, [k for k in known if k], n=1)
        raise CityDataError(
            f"no row for city {entry.city!r}"
            + (f" ({entry.name_zh}, code {entry.census_code})" if entry.name_zh else "")
            + f"; the table has {', '.join(k for k in known if k)}",
            file=file,
            suggestion=hint[0] if hint else None,
        )
    if len(found) > 1:
        raise CityDataError(f"city {entry.city!r} has {len(found)} rows (lines {', '.join(str(n) for n, _ in found)})", file=file, line=found[1][0])
    line, r = found[0]
    values: dict[str, float] = {}
    for column in (*REQUIRED_COLUMNS[year], *OPTIONAL_COLUMNS):
        raw_col = pop_col if column == "population" else column
        if raw_col not in r:
            continue
        x = _number(r[raw_col], file, line, raw_col)
        if x is None:
            if column in REQUIRED_COLUMNS[year]:
                raise CityDataError("value missing", file=file, line=line, key=raw_col)
            continue
        if column in COUNT_COLUMNS and x < 0:
            raise CityDataError(f"a count cannot be negative, got {r[raw_col]}", file=file, line=line, key=raw_col)
        if column in PERCENT_COLUMNS and not 0.0 <= x <= 100.0:
            raise CityDataError(f"a share in percent must be between 0 and 100, got {r[raw_col]}", file=file, line=line, key=raw_col)
        if column in PER_THOUSAND_COLUMNS and not 0.0 <= x <= 100.0:
            raise CityDataError(f"a rate per thousand must be between 0 and 100, got {r[raw_col]}", file=file, line=line, key=raw_col)
        if column == "edu_years" and not 0.0 <= x <= 20.0:
            raise CityDataError(f"mean years of schooling must be between 0 and 20, got {r[raw_col]}", file=file, line=line, key=raw_col)
        if column in PERCENT_COLUMNS:
            x /= 100.0
        elif column in PER_THOUSAND_COLUMNS:
            x /= 1000.0
        values[column] = x
    if values["population"] < 1:
        raise CityDataError(f"the population must be at least 1, got {r[pop_col]}", file=file, line=line, key=pop_col)
    _check_consistency(values, file, line)
    label = r.get("unit") or r.get("city") or r.get("code") or entry.city
    columns = {c: (pop_col if c == "population" else c) for c in values}
    return CensusRow(year=year, file=shown_path(file), line=line, label=label, values=values, columns=columns)


def _check_consistency(v: dict[str, float], file: str, line: int) -> None:
    """Groups of shares must add up; counts must fit in the population."""
    tol = SHARE_SUM_TOLERANCE_PERCENT / 100.0
    if {"emp_sec1", "emp_sec2", "emp_sec3"} <= set(v):
        s = v["emp_sec1"] + v["emp_sec2"] + v["emp_sec3"]
        if abs(s - 1.0) > tol:
            raise CityDataError(
                f"employment shares emp_sec1 + emp_sec2 + emp_sec3 sum to {100 * s:.2f}%, not 100%",
                file=file, line=line, key="emp_sec1",
            )
    if {"share0_14", "share60"} <= set(v):
        young_old = v["share0_14"] + v["share60"]
        if "share15_59" in v:
            s = young_old + v["share15_59"]
            if abs(s - 1.0) > tol:
                raise CityDataError(
                    f"age shares share0_14 + share15_59 + share60 sum to {100 * s:.2f}%, not 100%",
                    file=file, line=line, key="share15_59",
                )
        elif young_old >= 1.0:
            raise CityDataError(
                f"age shares share0_14 + share60 are {100 * young_old:.2f}%: nobody would be aged 15-59",
                file=file, line=line, key="share60",
            )
    if "share65" in v and "share60" in v and v["share65"] > v["share60"]:
        raise CityDataError(
            f"share65 ({100 * v['share65']:.2f}%) exceeds share60 ({100 * v['share60']:.2f}%)",
            file=file, line=line, key="share65",
        )
    if "mining_workers_est" in v:
        if v["mining_workers_est"] > v["population"]:
            raise CityDataError("more mining workers than residents", file=file, line=line, key="mining_workers_est")
        if "employed_persons" not in v and v["mining_workers_est"] > 0 and v.get("mining_share_employed", 0.0) <= 0:
            raise CityDataError(
                "mining_share_employed is 0 but there are mining workers: the employed cannot be "
                "estimated (give an employed_persons column)",
                file=file, line=line, key="mining_share_employed",
            )
        if "employed_persons" not in v and v["mining_workers_est"] == 0:
            raise CityDataError(
                "no mining workers: the employed cannot be estimated from the mining share "
                "(give an employed_persons column)",
                file=file, line=line, key="mining_workers_est",
            )
    if "employed_persons" in v and v["employed_persons"] > v["population"]:
        raise CityDataError("more employed persons than residents", file=file, line=line, key="employed_persons")


# ------------------------------------------------------------- whole census rows


def is_panel_header(header: list[str]) -> bool:
    """Whether a census table holds whole census rows (age bands by sex, industries, ...)."""
    return "lf_ind_total" in header or "age_0_male" in header


def _read_panel_row(
    file: str, header: list[str], rows: list[tuple[int, dict[str, str]]], header_line: int, year: int, entry: CityEntry
) -> CensusRow:
    """The whole census row of ``entry`` (found by its census code, else by its name at level
    ``city``), checked; its summary figures (population, shares, rates, the employed, ...)
    computed from the counts so that every rule of a summary table applies too."""
    missing = [c for c in PANEL_COLUMNS if c not in header]
    if missing:
        hint = difflib.get_close_matches(missing[0], [h for h in header if h not in PANEL_COLUMNS], n=1)
        raise CityDataError(
            f"missing column(s) {', '.join(repr(c) for c in missing[:5])}{' ...' if len(missing) > 5 else ''} "
            "(a whole-row census table needs every column of calibration/data/census2010_coal_panel_columns.csv)",
            file=file, line=header_line, key=missing[0], suggestion=hint[0] if hint else None,
        )
    code = entry.census_code.strip()
    names = {entry.city, entry.name_zh.lower()} - {""}

    def matches(r: dict[str, str]) -> bool:
        if code:
            return r["code"].strip() == code
        return r["level"].strip() == "city" and (r["city"].strip().lower() in names or r["unit_zh"].strip().lower() in names)

    found = [(line, r) for line, r in rows if matches(r)]
    if not found:
        known = [r["city"].strip().lower() for _, r in rows if r["level"].strip() == "city"]
        hint = difflib.get_close_matches(entry.city, known, n=1)
        raise CityDataError(
            f"no row for city {entry.city!r}"
            + (f" ({entry.name_zh}, code {code})" if entry.name_zh or code else "")
            + f"; the table has the cities {', '.join(known)} and their districts and counties (by code)",
            file=file, suggestion=hint[0] if hint else None,
        )
    if len(found) > 1:
        raise CityDataError(f"city {entry.city!r} has {len(found)} rows (lines {', '.join(str(n) for n, _ in found)})",
                            file=file, line=found[1][0])
    line, r = found[0]
    full: dict[str, float] = {}
    for col in PANEL_COUNTS:
        x = _number(r[col], file, line, col)
        if x is None:
            if col not in PANEL_BLANK_IS_ZERO:
                raise CityDataError("value missing (a count of the census table)", file=file, line=line, key=col)
            x = 0.0
        if x < 0:
            raise CityDataError(f"a count cannot be negative, got {r[col]}", file=file, line=line, key=col)
        full[col] = x
    for col, (lo, hi, unit) in PANEL_MEASURES.items():
        x = _number(r[col], file, line, col)
        if x is None:
            raise CityDataError(f"value missing ({unit})", file=file, line=line, key=col)
        if not lo <= x <= hi:
            raise CityDataError(f"expected {unit} between {lo:g} and {hi:g}, got {r[col]}", file=file, line=line, key=col)
        full[col] = x
    if full["pop_total"] < 1:
        raise CityDataError(f"the population must be at least 1, got {r['pop_total']}", file=file, line=line, key="pop_total")
    if not r["pop_rural"].strip():  # an all-urban unit
        full["pop_rural"] = full["pop_total"] - full["pop_urban"]
    _check_panel_sums(full, file, line)
    values = panel_summary(full)
    _check_consistency(values, file, line)
    label = r["unit_zh"].strip() or r["city"].strip() or code
    columns = {k: PANEL_SOURCE_OF.get(k, k) for k in values}
    return CensusRow(year=year, file=shown_path(file), line=line, label=label, values=values, columns=columns, full=full)


def _check_panel_sums(v: dict[str, float], file: str, line: int) -> None:
    """Parts must add up to their totals (a shifted or misnamed column shows here)."""
    tol = PANEL_SUM_TOLERANCE

    def check(parts: float, total: float, what: str, key: str) -> None:
        if abs(parts - total) > tol * max(total, 1.0) + 1.0:
            raise CityDataError(f"{what} sum to {parts:,.0f}, the total is {total:,.0f}", file=file, line=line, key=key)

    check(v["pop_male"] + v["pop_female"], v["pop_total"], "pop_male + pop_female", "pop_male")
    check(v["pop_urban"] + v["pop_rural"], v["pop_total"], "pop_urban + pop_rural", "pop_urban")
    check(sum(v[c] for c in AGE_COLUMNS), v["pop_total"], "the age groups age_0_male ... age_85_plus_female", "age_0_male")
    check(sum(v[c] for c in AGE_COLUMNS if c.endswith("_female")), v["pop_female"], "the women's age groups", "age_0_female")
    check(sum(v[f"lf_ind_{i}"] for i in INDUSTRIES), v["lf_ind_total"], "the industries lf_ind_*", "lf_ind_total")
    check(sum(v[f"lf_notworking_{r}"] for r in NOT_WORKING_REASONS), v["lf_notworking_total"],
          "the reasons for not working lf_notworking_*", "lf_notworking_total")
    check(v["lf_ind_total"] + v["lf_notworking_total"], v["lf_pop_16plus"],
          "the employed (lf_ind_total) and the not working (lf_notworking_total)", "lf_pop_16plus")
    check(sum(v[f"hh_{g}"] for g in ("one_generation", "two_generations", "three_generations", "four_plus_generations")),
          v["households"], "households by generations", "hh_one_generation")
    if v["lf_ind_total"] <= 0:
        raise CityDataError("nobody employed in the long-form sample: the sectors cannot be set", file=file, line=line, key="lf_ind_total")
    if v["hh_one_person"] > v["households"]:
        raise CityDataError("more one-person households than households", file=file, line=line, key="hh_one_person")
    if v["lf_ind_total"] / v["longform_sample_frac"] > v["pop_total"]:
        raise CityDataError("more employed (lf_ind_total / longform_sample_frac) than residents", file=file, line=line,
                            key="longform_sample_frac")


def band_count(v: dict[str, float], lo: int, hi: int | None = None, sex: str | None = None) -> float:
    """Persons of the census row aged ``lo`` to ``hi`` (None: and older), one sex or both;
    ``lo`` and ``hi + 1`` must be edges of the census's age groups."""
    total = 0.0
    for g in AGE_GROUPS:
        a = int(g.split("_")[0])
        if a >= lo and (hi is None or a <= hi):
            for s in ("male", "female") if sex is None else (sex,):
                total += v[f"age_{g}_{s}"]
    return total


JOB_SEEKER_REASONS = ("lost_job_employer", "lost_job_own", "never_worked_after_school")
"""The not working counted as job seekers: as the calibration target ``job_seekers_2010``
(calibration/data/fuxin_observed.csv): the job lost (for the employer's or one's own
reasons) or never worked after school; housework, retirement, school, disability, land
expropriated and other reasons are left out."""

PANEL_SOURCE_OF = {
    "population": "pop_total",
    "urban_share": "pop_urban",
    "share0_14": "age_*",
    "share15_59": "age_*",
    "share60": "age_*",
    "share65": "age_*",
    "emp_sec1": "lf_ind_agriculture",
    "emp_sec2": "lf_ind_mining..construction",
    "emp_sec3": "lf_ind_transport..international_orgs",
    "mining_workers_est": "lf_ind_mining / longform_sample_frac",
    "mining_share_employed": "lf_ind_mining / lf_ind_total",
    "employed_persons": "lf_ind_total / longform_sample_frac",
    "census_unemp_proxy": "lf_notworking_lost_job_* + never_worked_after_school",
    "edu_years": "edu_years_mean",
    "birth_rate": "birth_rate_per_1000",
    "death_rate": "death_rate_per_1000",
}
"""The columns each summary figure of a whole census row is computed from."""


def panel_summary(v: dict[str, float]) -> dict[str, float]:
    """The summary figures (as a summary table has them, shares as fractions) of a whole census row."""
    pop = v["pop_total"]
    frac = v["longform_sample_frac"]
    ind = v["lf_ind_total"]
    secondary = sum(v[f"lf_ind_{i}"] for i in ("mining", "manufacturing", "utilities", "construction"))
    seekers = sum(v[f"lf_notworking_{r}"] for r in JOB_SEEKER_REASONS)
    return {
        "population": pop,
        "urban_share": v["pop_urban"] / pop,
        "share0_14": band_count(v, 0, 14) / pop,
        "share15_59": band_count(v, 15, 59) / pop,
        "share60": band_count(v, 60) / pop,
        "share65": band_count(v, 65) / pop,
        "emp_sec1": v["lf_ind_agriculture"] / ind,
        "emp_sec2": secondary / ind,
        "emp_sec3": (ind - v["lf_ind_agriculture"] - secondary) / ind,
        "mining_workers_est": v["lf_ind_mining"] / frac,
        "mining_share_employed": v["lf_ind_mining"] / ind,
        "employed_persons": ind / frac,
        "census_unemp_proxy": seekers / (ind + seekers),
        "edu_years": v["edu_years_mean"],
        "birth_rate": v["birth_rate_per_1000"] / 1000.0,
        "death_rate": v["death_rate_per_1000"] / 1000.0,
    }


def employed_persons(row: CensusRow) -> float:
    """Employed persons: the column if given, else mining workers over their share of the employed."""
    if row.get("employed_persons") is not None:
        return row["employed_persons"]
    return row["mining_workers_est"] / row["mining_share_employed"]


def lookup_city(name: str, cities: dict[str, CityEntry], list_file: str) -> CityEntry:
    """A city of the list by short name, Chinese name or census code."""
    key = name.strip().lower()
    for entry in cities.values():
        if key in {entry.city, entry.name_zh.lower(), entry.census_code} - {""}:
            return entry
    hint = difflib.get_close_matches(key, list(cities), n=1)
    raise CityDataError(
        f"unknown city {name!r}; the city list has {', '.join(sorted(cities))} "
        "(add a row to it for a new city)",
        file=list_file,
        suggestion=hint[0] if hint else None,
    )


def load_city(
    name: str,
    census_year: int,
    *,
    data_file: Path | None = None,
    city_list: Path = CITY_LIST,
) -> CityData:
    """A city's list entry and census rows.

    Args:
        name: Short name (``fushun``), Chinese name or census code.
        census_year: 2000 or 2010: the census the city starts from.
        data_file: Census table to read instead of the default one of that year.
        city_list: The city list.

    Raises:
        CityDataError: Unknown city, missing file or column, or bad figures.
    """
    if census_year not in CENSUS_FILES:
        raise CityDataError(f"--census {census_year}: census years are {', '.join(map(str, CENSUS_YEARS))}")
    list_path = find_data_file(city_list)
    cities = read_city_list(list_path)
    key = name.strip().lower()
    try:
        entry = lookup_city(name, cities, str(list_path))
    except CityDataError:
        if data_file is None:
            raise
        entry = CityEntry(city=key)  # a city only in the user's table (matched by its 'city' or 'unit' column)
    census_path = data_file if data_file is not None else find_data_file(CENSUS_FILES[census_year])
    census = read_census_row(census_path, census_year, entry)
    earlier = None
    if census_year - 10 in CENSUS_FILES:  # the census ten years before, for the population change
        try:
            earlier = read_census_row(find_data_file(CENSUS_FILES[census_year - 10]), census_year - 10, entry)
        except CityDataError as e:
            if not e.message.startswith("no row for city"):
                raise
    return CityData(entry=entry, census=census, earlier=earlier, census_path=census_path)


def read_region_list(path: Path, city: str) -> list[RegionEntry]:
    """The regions of ``city`` in the region list (none if the city has no rows there)."""
    header, rows, header_line = _read_csv(path)
    missing = [c for c in ("city", "region", "census_code", "kind", "land_area_km2") if c not in header]
    if missing:
        raise CityDataError(f"missing column(s) {', '.join(missing)}", file=str(path), line=header_line)
    out: list[RegionEntry] = []
    for line, r in rows:
        if r["city"].strip().lower() != city:
            continue
        name = r["region"].strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise CityDataError(f"a region name is lower case letters, digits and _, got {name!r}",
                                file=str(path), line=line, key="region")
        if name in {e.region for e in out}:
            raise CityDataError(f"region {name!r} of {city} listed twice", file=str(path), line=line, key="region")
        kind = r["kind"].strip()
        if kind not in REGION_KINDS:
            hint = difflib.get_close_matches(kind, REGION_KINDS, n=1)
            raise CityDataError(f"kind must be district or county, got {kind!r}", file=str(path), line=line,
                                key="kind", suggestion=hint[0] if hint else None)
        area = _number(r["land_area_km2"], str(path), line, "land_area_km2")
        if area is None and not r.get("land_area_source", "").strip():
            raise CityDataError("a region without its land area needs land_area_source to say why (no source "
                                "at hand, ...)", file=str(path), line=line, key="land_area_km2")
        if area is not None and area <= 0:
            raise CityDataError(f"a region's land area must be positive (km2), got {r['land_area_km2']!r}",
                                file=str(path), line=line, key="land_area_km2")
        out.append(RegionEntry(city=city, region=name, name_zh=r.get("name_zh", "").strip(),
                               census_code=r["census_code"].strip(), kind=kind, land_area_km2=area,
                               land_area_source=r.get("land_area_source", "").strip(),
                               file=shown_path(path), line=line))
    return out


REGISTERED_FILE = Path("calibration/data/panel_registered_population_2000_2010.csv")
"""The panel's registered (hukou) year-end population 2000-2010, City Statistical Yearbook via
CSMAR (its ``.md`` has the caveats): for a start before the census year (``sim new-city --start``)."""

REGISTERED_UNIT = 10_000
"""The file's unit: 10,000 persons."""


@dataclass(frozen=True)
class RegisteredFigure:
    """A city's registered year-end population in a year, with where it was read."""

    city: str
    year: int
    persons: float
    file: str
    line: int
    note: str


def read_registered(city: str, year: int, path: Path = REGISTERED_FILE) -> RegisteredFigure | None:
    """The registered year-end population of ``city`` in ``year`` (None: no figure, the cell is
    empty, or its note marks the population (``Eect01``) as not comparable: on a resident basis,
    or suspect)."""
    path = find_data_file(path)
    header, rows, header_line = _read_csv(path)
    missing = [c for c in ("city", "year", "registered_population_10k") if c not in header]
    if missing:
        raise CityDataError(f"missing column(s) {', '.join(missing)}", file=str(path), line=header_line)
    for line, r in rows:
        if r["city"].strip().lower() != city or r["year"].strip() != str(year):
            continue
        text = r["registered_population_10k"].strip()
        note = r.get("note", "").strip()
        lowered = note.lower()
        if not text or "resident basis" in lowered or ("eect01" in lowered and "suspect" in lowered):
            return None
        value = _number(text, str(path), line, "registered_population_10k")
        if value is None or value <= 0:
            raise CityDataError(f"expected a positive population in 10,000 persons, got {text!r}", file=str(path),
                                line=line, key="registered_population_10k")
        return RegisteredFigure(city, year, value * REGISTERED_UNIT, shown_path(path), line, note)
    return None
