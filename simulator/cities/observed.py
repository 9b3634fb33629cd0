"""The panel's 2010 census figures as observed figures for calibration.

``python -m simulator.cities.observed`` writes ``calibration/data/census2010_panel_observed.csv``
(and the yearbook's registered population 2001-2010, ``panel_registered_observed.csv``, for the
panel's pooled calibration) from the whole census rows (``calibration/data/census2010_coal_panel.csv``) of the cities of the
city list: one row per city and figure, in the format of the observed-figures file
(:mod:`simulator.calibration.observed`; ids ``<city>_<figure>_2010``). Some figures are initial
conditions of the city files as well (they then check the start of a run); the others have no
place in the model's inputs and are kept here as targets: the hukou-resident gap, the in-migrant
stock, the retirees, children ever born, the households by size and generations.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from simulator.cities import CITY_LIST
from simulator.cities.data import (
    CENSUS_FILES,
    JOB_SEEKER_REASONS,
    CityData,
    band_count,
    find_data_file,
    load_city,
    read_city_list,
)
from simulator.cities.derive import OTHER_COUNTY_OUTSIDE_SHARE, registered_elsewhere

COLUMNS = (
    "id", "indicator", "year", "value", "unit", "quality", "source", "note",
    "model_indicator", "kind", "model_value", "derivation",
)
"""The columns of the observed-figures format (:data:`simulator.calibration.observed.COLUMNS`;
the cities layer does not import the calibration's, a test checks they agree)."""

OBSERVED_FILE = Path("calibration/data/census2010_panel_observed.csv")
"""Where ``python -m simulator.cities.observed`` writes the figures."""

SOURCE = "census2010_coal_panel.csv (2010 county-level census, leiii/census), {city} city row, line {line}"


def _fmt(x: float) -> str:
    """A figure as written: whole numbers as integers, others to 10 significant digits (no exponent)."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.10g}" if abs(x) >= 1e-4 else f"{x:.6f}"


def city_figures(city: CityData) -> list[dict[str, str]]:
    """The observed figures of one city's whole census row (rows of the observed-figures format)."""
    row = city.census
    v = row.full
    if v is None:
        raise ValueError(f"{city.entry.city}: the census row is not a whole row (a summary table)")
    name = city.entry.city
    title = city.entry.title
    frac = v["longform_sample_frac"]
    pop = v["pop_total"]
    src = SOURCE.format(city=title, line=row.line)
    out: list[dict[str, str]] = []

    def add(fig: str, indicator: str, value: float, unit: str, note: str, model: str = "", kind: str = "",
            model_value: float | None = None, derivation: str = "") -> None:
        out.append({
            "id": f"{name}_{fig}_2010", "indicator": indicator, "year": str(row.year), "value": _fmt(value),
            "unit": unit, "quality": "census", "source": src, "note": note, "model_indicator": model, "kind": kind,
            "model_value": "" if model_value is None else _fmt(model_value), "derivation": derivation,
        })

    seekers = sum(v[f"lf_notworking_{r}"] for r in JOB_SEEKER_REASONS)
    households = v["households"]
    add("population", "pop_total", pop, "persons", "residents", "population", "level", pop)
    add("hukou_registered", "pop_hukou_registered", v["pop_hukou_registered"], "persons",
        "registered (hukou) population", "registered_population", "level", v["pop_hukou_registered"])
    add("hukou_gap", "pop_total - pop_hukou_registered", pop - v["pop_hukou_registered"], "persons",
        "residents less registered residents: negative where registered people live elsewhere (net out-migration "
        "not yet re-registered)", derivation="the model's population - registered_population (migration.registration)")
    add("in_migrants_other_county", "in_migrants_other_county_same_province", v["in_migrants_other_county_same_province"],
        "persons", "residents who moved in from another county or city district of the province (the census's "
        "in-migrant stock)", derivation="with the next row, bounds the model's residents_registered_elsewhere: "
        "from other provinces at least, plus those from other counties of the province at most (some of them "
        "moved within the prefecture)")
    add("in_migrants_other_province", "in_migrants_other_province", v["in_migrants_other_province"], "persons",
        "residents who moved in from another province", derivation="a lower bound of the model's "
        "residents_registered_elsewhere (see the row before)")
    elsewhere = registered_elsewhere(v)
    add("registered_elsewhere", f"in_migrants_other_province + {OTHER_COUNTY_OUTSIDE_SHARE} x in_migrants_other_county_same_province", elsewhere,
        "persons", "residents registered elsewhere, as sim new-city derives them for a city's start (half of those "
        "from other counties assumed to come from outside the prefecture; at least the residents less the registered)",
        "residents_registered_elsewhere", "level", elsewhere,
        f"derived: {OTHER_COUNTY_OUTSIDE_SHARE} of the in-migrants from other counties of the province (assumed: "
        "some moved within the prefecture), raised to the residents less the registered where that is larger")
    add("share_aged_60_plus", "age_60_64 ... age_85_plus / pop_total", band_count(v, 60) / pop, "share", "",
        "share_aged_60_plus", "level", band_count(v, 60) / pop)
    add("share_aged_20_34", "age_20_24 + age_25_29 + age_30_34 / pop_total", band_count(v, 20, 34) / pop, "share",
        "the young adults that migration thins", "share_aged_20_34", "level", band_count(v, 20, 34) / pop)
    add("employment_census", "lf_ind_total / longform_sample_frac", v["lf_ind_total"] / frac, "persons",
        "employed: at least one hour of paid work or business in the reference week (informal work included)",
        "employment_census", "level", v["lf_ind_total"] / frac, f"{v['lf_ind_total']:.0f} / {frac:.6g}")
    add("mining_workers", "lf_ind_mining / longform_sample_frac", v["lf_ind_mining"] / frac, "persons",
        "all mining (the model's coal mining)", "employment_coal_mining", "level", v["lf_ind_mining"] / frac,
        f"{v['lf_ind_mining']:.0f} / {frac:.6g}")
    add("job_seekers", "(lf_notworking_lost_job_employer + lost_job_own + never_worked_after_school) / longform_sample_frac",
        seekers / frac, "persons", "not working because the job was lost or never worked after school: a lower bound "
        "of job seekers (laid-off women often answered housework)", "unemployed_persons", "level", seekers / frac,
        f"{seekers:.0f} / {frac:.6g}")
    add("retirees", "lf_notworking_retired / longform_sample_frac", v["lf_notworking_retired"] / frac, "persons",
        "16+ not working because retired (urban pensioners and early retirees; rural elderly mostly answer other reasons)",
        "retirees", "level", v["lf_notworking_retired"] / frac,
        f"{v['lf_notworking_retired']:.0f} / {frac:.6g}; the model retires everyone at the statutory ages (farmers "
        "at the farm-work age), so it counts more retirees than the census where farmers are many")
    add("birth_rate", "birth_rate_per_1000", v["birth_rate_per_1000"], "per 1000", "", "births", "ratio_to:population",
        v["birth_rate_per_1000"] / 1000.0, "per 1000 / 1000")
    add("death_rate", "death_rate_per_1000", v["death_rate_per_1000"], "per 1000", "", "deaths", "ratio_to:population",
        v["death_rate_per_1000"] / 1000.0, "per 1000 / 1000")
    add("children_ever_born", "women_15_64_children_ever_born", v["women_15_64_children_ever_born"], "children per woman",
        "live births per woman aged 15-64 over her life so far (surviving: "
        f"{v['women_15_64_children_surviving']:.2f})", derivation="no model counterpart: the model keeps no birth histories")
    add("one_person_households_share", "hh_one_person / households", v["hh_one_person"] / households, "share",
        "family households", derivation="no model counterpart: households are formed at random around the mean size")
    add("three_generation_households_share", "(hh_three_generations + hh_four_plus_generations) / households",
        (v["hh_three_generations"] + v["hh_four_plus_generations"]) / households, "share", "family households",
        derivation="no model counterpart: households are formed at random around the mean size")
    return out


def panel_observed(city_list: Path = CITY_LIST, data_file: Path | None = None) -> str:
    """The observed-figures CSV text of every city of the list."""
    cities = read_city_list(find_data_file(city_list))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for name in cities:
        for row in city_figures(load_city(name, 2010, data_file=data_file, city_list=city_list)):
            w.writerow(row)
    return buf.getvalue()


REGISTERED_OBSERVED_FILE = Path("calibration/data/panel_registered_observed.csv")
"""Where ``python -m simulator.cities.observed`` writes the yearbook's registered population."""


def registered_observed(city_list: Path = CITY_LIST, years: range = range(2001, 2011)) -> str:
    """The observed-figures CSV text of the registered year-end population of every city of the list
    in ``years`` (the City Statistical Yearbook via CSMAR, :data:`simulator.cities.data.REGISTERED_FILE`;
    figures its notes mark as not comparable are left out): ids ``<city>_registered_<year>``, the model's
    ``registered_population`` at the end of the year."""
    from simulator.cities.data import read_registered

    cities = read_city_list(find_data_file(city_list))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for name in cities:
        for year in years:
            reg = read_registered(name, year)
            if reg is None:
                continue
            w.writerow({
                "id": f"{name}_registered_{year}", "indicator": "registered year-end population (年末总人口)",
                "year": str(year), "value": _fmt(reg.persons), "unit": "persons", "quality": "official",
                "source": f"City Statistical Yearbook via CSMAR CRE_Eplwagct (Eect01), {reg.file} line {reg.line}",
                "note": reg.note, "model_indicator": "registered_population", "kind": "level",
                "model_value": _fmt(reg.persons),
                "derivation": "the police register at 31 December; the census counts the registered at 1 November",
            })
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    out = Path(argv[0]) if argv else find_data_file(CENSUS_FILES[2010]).with_name(OBSERVED_FILE.name)
    out.write_text(panel_observed(), encoding="utf-8")
    print(f"wrote {out}")
    reg = Path(argv[1]) if argv and len(argv) > 1 else out.with_name(REGISTERED_OBSERVED_FILE.name)
    reg.write_text(registered_observed(), encoding="utf-8")
    print(f"wrote {reg}")
    return 0


if __name__ == "__main__":  # pragma: no cover - the command line
    raise SystemExit(main(sys.argv[1:]))
