"""``sim new-city`` from the whole 2010 census row (census2010_coal_panel.csv format): each
mapping checked on tiny hand-built census rows (age pyramid by sex, industries to sectors, the
not working to job seekers, education to skills, households, regions and their mines), bad rows
refused with one located line, and the pyramid by sex in the schema and the initial city."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cities import DEFAULT_TEMPLATE
from simulator.cities import demography as demo
from simulator.cities.data import (
    AGE_GROUPS,
    INDUSTRIES,
    NOT_WORKING_REASONS,
    PANEL_COLUMNS,
    CityDataError,
    load_city,
)
from simulator.cities.derive import INDUSTRY_SECTORS, Template
from simulator.cities.new_city import build_drafts
from simulator.cli.main import app
from simulator.experiment.run import build_model
from simulator.model.demography import fertility_schedule
from simulator.model.sectors import SECTOR_NAMES
from simulator.scenario.loader import load_resolved_text, load_scenario

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
FRAC = 0.1

MALE = (60, 240, 300, 300, 300, 320, 300, 300, 340, 360, 360, 300, 280, 200, 150, 120, 80, 40, 10)
"""Men per census age group (0, 1-4, 5-9, ..., 85+) of a unit of size 1; women the same but twice as many at 85+."""

UNITS = {
    # code: (level, name, size factor, urban share, industries (long-form counts), not working (long form))
    "990101": ("district", "甲区", 12, 0.95,
               {"agriculture": 200, "mining": 800, "manufacturing": 500, "utilities": 100, "construction": 200,
                "transport_storage_post": 300, "wholesale_retail": 400, "education": 150,
                "health_social_welfare": 100, "public_administration": 150},
               {"students": 300, "disabled": 50, "never_worked_after_school": 40, "lost_job_employer": 60,
                "lost_job_own": 20, "retired": 500, "housework": 200, "other": 30}),
    "990121": ("county", "乙县", 8, 0.2,
               {"agriculture": 1500, "mining": 100, "manufacturing": 100, "utilities": 20, "construction": 80,
                "transport_storage_post": 50, "wholesale_retail": 100, "education": 60,
                "health_social_welfare": 40, "public_administration": 50},
               {"students": 200, "disabled": 50, "never_worked_after_school": 10, "lost_job_employer": 10,
                "lost_job_own": 10, "retired": 100, "housework": 300, "other": 20}),
}


def _unit_row(code: str) -> dict[str, float]:
    level, name, k, urban, ind, nw = UNITS[code]
    r: dict[str, float] = {}
    for g, m in zip(AGE_GROUPS, MALE, strict=True):
        r[f"age_{g}_male"] = m * k
        r[f"age_{g}_female"] = m * k * (2 if g == "85_plus" else 1)
    pop = sum(v for c, v in r.items() if c.startswith("age_"))
    r.update(pop_total=pop, pop_male=sum(m * k for m in MALE), pop_hukou_registered=round(pop * (0.9 if level == "district" else 1.1)),
             pop_urban=round(pop * urban))
    r["pop_female"] = pop - r["pop_male"]
    r["pop_rural"] = pop - r["pop_urban"]
    hh = round(pop / 3.0)
    r.update(households=hh, household_members=round(pop * 0.97), hh_one_person=round(hh * 0.1),
             hh_one_generation=round(hh * 0.3), hh_two_generations=round(hh * 0.5), hh_three_generations=0.0,
             hh_four_plus_generations=0.0)
    r["hh_three_generations"] = hh - r["hh_one_generation"] - r["hh_two_generations"]
    r.update(in_migrants_same_county=100 * k, in_migrants_other_county_same_province=200 * k, in_migrants_other_province=50 * k)
    edu = {"none": 100, "primary": 500, "junior_secondary": 1200, "senior_secondary": 500, "junior_college": 200, "university": 100}
    for e, n in edu.items():
        r[f"edu_{e}_male"] = r[f"edu_{e}_female"] = n * k
    for i in INDUSTRIES:
        r[f"lf_ind_{i}"] = ind.get(i, 0)
    r["lf_ind_total"] = sum(ind.values())
    for reason in NOT_WORKING_REASONS:
        r[f"lf_notworking_{reason}"] = nw.get(reason, 0)
    r["lf_notworking_total"] = sum(nw.values())
    r["lf_pop_16plus"] = r["lf_ind_total"] + r["lf_notworking_total"]
    r.update(household_size_mean=round(r["household_members"] / hh, 2), birth_rate_per_1000=8.0, death_rate_per_1000=6.0,
             edu_years_mean=9.5, women_15_64_children_ever_born=1.3, women_15_64_children_surviving=1.28,
             longform_sample_frac=FRAC)
    r.update(city="Testcity", level=level, unit_zh=name, code=code)
    return r


def _city_row() -> dict[str, float]:
    units = [_unit_row(c) for c in UNITS]
    r = {c: sum(u[c] for u in units) for c in PANEL_COLUMNS if isinstance(units[0][c], int | float)}
    r.update(household_size_mean=round(r["household_members"] / r["households"], 2), birth_rate_per_1000=8.0,
             death_rate_per_1000=6.0, edu_years_mean=9.5, women_15_64_children_ever_born=1.3,
             women_15_64_children_surviving=1.28, longform_sample_frac=FRAC)
    r.update(city="Testcity", level="city", unit_zh="测试市", code="990100")
    return r


def _write_table(path: Path, edit=None) -> Path:
    rows = [_city_row(), *(_unit_row(c) for c in UNITS)]
    header = list(PANEL_COLUMNS)
    if edit is not None:
        edit(header, rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if r.get(c) is None else (f"{r[c]:g}" if isinstance(r[c], float) else r[c]) for c in header])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def tiny_census(tmp_path: Path) -> dict[str, Path]:
    """A census table of one tiny city with a district and a county, its city list (with Fuxin,
    the template's city) and region list."""
    shipped = (ROOT / "data" / "cities" / "cities.csv").read_text(encoding="utf-8").splitlines()
    fuxin = next(line for line in shipped if line.startswith("fuxin,"))
    cities = tmp_path / "cities.csv"
    cities.write_text(shipped[0] + "\n" + fuxin + "\ntestcity,测试市,990100,Testprovince,,not designated (test),,,,,84,2000,test\n",
                      encoding="utf-8")
    regions = tmp_path / "regions.csv"
    regions.write_text("city,region,name_zh,census_code,kind,land_area_km2,land_area_source\n"
                       "testcity,alpha,甲区,990101,district,50,test\n"
                       "testcity,beta,乙县,990121,county,,missing: no source (test)\n", encoding="utf-8")
    return {"data": _write_table(tmp_path / "census.csv"), "cities": cities, "regions": regions}


def _drafts(paths: dict[str, Path]):
    b, base, _ = build_drafts("testcity", 2010, data_file=paths["data"], city_list=paths["cities"],
                              region_list=paths["regions"], package_template=None)
    return b, load_resolved_text(base)


# ------------------------------------------------------------------ mappings


def test_the_age_pyramid_by_sex_is_the_censuss(tiny_census) -> None:
    b, sc = _drafts(tiny_census)
    row = _city_row()
    pop = row["pop_total"]
    shares = sc.population.age_band_shares
    assert list(shares)[0] == "0-4" and list(shares)[-1] == "85-99" and len(shares) == 18
    assert shares["0-4"] == pytest.approx((row["age_0_male"] + row["age_0_female"] + row["age_1_4_male"] + row["age_1_4_female"]) / pop, abs=1e-5)
    assert shares["40-44"] == pytest.approx((row["age_40_44_male"] + row["age_40_44_female"]) / pop, abs=1e-5)
    women = sc.population.female_share_by_age_band
    assert women["85-99"] == pytest.approx(2 / 3, abs=1e-4) and women["20-24"] == pytest.approx(0.5)
    assert sc.population.female_share == pytest.approx(row["pop_female"] / pop, abs=1e-4)
    assert b.d.notes[("population", "age_band_shares")].startswith("census: census.csv line 2 (测试市)")


def test_fertility_and_mortality_give_the_census_rates_on_the_pyramid(tiny_census) -> None:
    b, sc = _drafts(tiny_census)
    women = [s * f for s, f in zip(b.band_shares, b.female_by_band, strict=True)]
    tfr = sc.demography.total_fertility_rate[2010]
    births = float((demo.density(b.bands, women) * fertility_schedule(tfr, 27.0, 5.0)).sum())
    assert births == pytest.approx(0.008, rel=2e-3)
    assert "children ever born per woman aged 15-64 1.30" in b.d.notes[("demography", "total_fertility_rate")]
    implied = demo.life_expectancy_for_death_rate(b.bands, b.band_shares, 0.006, 0.1)
    e0 = sc.demography.life_expectancy_years[2010]
    assert e0 == pytest.approx(implied, abs=0.01) or abs(e0 - 76.4) == pytest.approx(3.0)  # capped at the template's +- 3


def test_industries_map_to_the_models_sectors(tiny_census) -> None:
    b, sc = _drafts(tiny_census)
    city = _city_row()
    jobs = {s: sc.sectors[s].initial_employment_persons for s in SECTOR_NAMES}
    by_sector = {s: sum(city[f"lf_ind_{i}"] for i, sec in INDUSTRY_SECTORS.items() if sec == s) / FRAC for s in SECTOR_NAMES}
    assert jobs["agriculture"] == round(by_sector["agriculture"]) == 17000
    assert jobs["construction"] == round(by_sector["construction"]) == 2800
    assert abs(jobs["coal_mining"] - 9000) <= 2  # all mining is coal: the mines' workers
    # manufacturing and utilities give the template's share of new industries
    tpl = Template.load(ROOT / DEFAULT_TEMPLATE)
    t = {s: tpl.get("sectors", s, "initial_employment_persons") for s in ("manufacturing", "coal_dependent_industry", "new_industry")}
    share = t["new_industry"] / sum(t.values())
    assert jobs["manufacturing"] + jobs["coal_dependent_industry"] + jobs["new_industry"] == pytest.approx(7200, abs=2)
    assert jobs["new_industry"] == pytest.approx(7200 * share, abs=1)
    assert jobs["coal_dependent_industry"] == pytest.approx(1200 * (1 - share), abs=1)
    # services: the census's tertiary industries less the job seekers in informal work (employed in the census)
    inf = sc.labour.informal
    informal = sc.population.unemployed_persons * inf.entry_rate_per_month / (inf.entry_rate_per_month + inf.exit_rate_per_month)
    assert jobs["services"] == pytest.approx(by_sector["services"] - informal, abs=1)
    assert sum(jobs.values()) + informal == pytest.approx(city["lf_ind_total"] / FRAC, abs=3)
    # public units: education, health and administration per 1000 residents
    public = (city["lf_ind_education"] + city["lf_ind_health_social_welfare"] + city["lf_ind_public_administration"]) / FRAC
    assert sc.labour.public_employment_per_1000_residents == pytest.approx(1000 * public / city["pop_total"], rel=2e-3)


def test_the_not_working_give_the_job_seekers(tiny_census) -> None:
    b, sc = _drafts(tiny_census)
    city = _city_row()
    seekers = (city["lf_notworking_lost_job_employer"] + city["lf_notworking_lost_job_own"]
               + city["lf_notworking_never_worked_after_school"]) / FRAC
    assert seekers == 1500
    inf = sc.labour.informal
    plain = 1 - inf.entry_rate_per_month / (inf.entry_rate_per_month + inf.exit_rate_per_month)
    # the plain job seekers (not in informal work) are the census's; retirees, housework, students are not seekers
    assert sc.population.unemployed_persons * plain == pytest.approx(seekers, abs=1)


def test_skills_and_households_from_the_census(tiny_census) -> None:
    _, sc = _drafts(tiny_census)
    # per unit of size: low 100 + 500 + 1200, medium 500, high 200 + 100 (of 2600), both sexes alike
    assert sc.population.skill_shares == {"low": pytest.approx(1800 / 2600, abs=1e-4),
                                          "medium": pytest.approx(500 / 2600, abs=1e-4),
                                          "high": pytest.approx(300 / 2600, abs=1e-4)}
    city = _city_row()
    assert sc.population.household_size_mean_persons == pytest.approx(city["household_members"] / city["households"], abs=1e-3)


def test_the_register_from_the_registered_population_and_the_in_migrants(tiny_census, tmp_path) -> None:
    """Residents registered elsewhere: those from other provinces and half of those from other
    counties of the province; the absent: the registered less the residents registered in the
    city. Where the residents outnumber the registered by more than that, all of the gap is
    registered elsewhere and nobody is absent."""
    from simulator.cities.derive import OTHER_COUNTY_OUTSIDE_SHARE

    def outflow(header, rows) -> None:  # a city of leavers: more registered than residents
        rows[0]["pop_hukou_registered"] = round(1.05 * rows[0]["pop_total"])

    b, sc = _drafts(dict(tiny_census, data=_write_table(tmp_path / "outflow.csv", outflow)))
    row = dict(_city_row(), pop_hukou_registered=round(1.05 * _city_row()["pop_total"]))
    reg = sc.migration.registration
    elsewhere = row["in_migrants_other_province"] + OTHER_COUNTY_OUTSIDE_SHARE * row["in_migrants_other_county_same_province"]
    assert reg.nonlocal_share_of_residents == pytest.approx(elsewhere / row["pop_total"], abs=1e-4)
    assert reg.absent_registered_persons == pytest.approx(row["pop_hukou_registered"] - (row["pop_total"] - elsewhere), rel=1e-3)
    assert b.d.notes[("migration", "registration", "absent_registered_persons")].startswith("derived: registered")
    tpl = Template.load(ROOT / DEFAULT_TEMPLATE)  # the rates are the template's
    assert reg.conversion_rate_per_year == tpl.get("migration", "registration", "conversion_rate_per_year")

    def inflow(header, rows) -> None:  # a city of arrivals: far more residents than registered
        rows[0]["pop_hukou_registered"] = round(0.5 * rows[0]["pop_total"])

    paths = dict(tiny_census, data=_write_table(tmp_path / "inflow.csv", inflow))
    _, sc = _drafts(paths)
    reg = sc.migration.registration
    assert reg.absent_registered_persons == 0
    assert reg.nonlocal_share_of_residents == pytest.approx(0.5, abs=1e-3)


def test_regions_and_mines_from_the_county_level_rows(tiny_census) -> None:
    b, sc = _drafts(tiny_census)
    alpha, beta = sc.regions
    a, c = _unit_row("990101"), _unit_row("990121")
    assert (alpha.name, alpha.kind, alpha.land_area_km2) == ("alpha", "district", 50)
    assert (beta.name, beta.kind, beta.land_area_km2) == ("beta", "county", None)  # no land area without a source
    assert alpha.population_persons == a["pop_total"] and beta.population_persons == c["pop_total"]
    assert alpha.urban_share == pytest.approx(a["pop_urban"] / a["pop_total"], abs=1e-4)
    assert alpha.employment_shares["agriculture"] == pytest.approx(200 / 2900, abs=2e-4)
    assert alpha.employment_shares["industry"] == pytest.approx(1600 / 2900, abs=2e-4)
    assert beta.mining_share_of_employed == pytest.approx(100 / 2100, abs=1e-4)
    # the mines lie where the census's mining workers live: 8000 in alpha, 1000 in beta
    by_region = {r.name: sum(m.workers_persons for m in sc.coal.mines if m.region == r.name) for r in sc.regions}
    assert by_region["alpha"] == pytest.approx(8000, abs=2) and by_region["beta"] == pytest.approx(1000, abs=2)
    assert "missing: no source (test)" in b.d.notes[("regions", 1)]


def test_a_city_not_designated_gets_no_transfer_and_other_provinces_keep_liaonings_values_as_assumed(tiny_census) -> None:
    b, sc = _drafts(tiny_census)
    assert not sc.levers.resource_city_transfer.enabled
    assert b.d.notes[("levers", "resource_city_transfer", "enabled")].startswith("city list: not designated")
    note = b.d.notes[("public_finance", "coal_resource_tax_ad_valorem_share")]
    assert note.startswith("assumed: the template's (Liaoning) ad-valorem coal resource tax rate") and "no Testprovince figure" in note


def test_the_template_is_the_fuxin_model_fitted_to_2010(tiny_census) -> None:
    """The default template resolves fuxin_calibrated_2010.yaml -> the 2010 fit's fitted.yaml ->
    fuxin_baseline.yaml (the panel's information set ends in 2010): a refit changes the city
    files when they are regenerated."""
    assert DEFAULT_TEMPLATE == Path("scenarios/fuxin_calibrated_2010.yaml")
    b, sc = _drafts(tiny_census)
    fitted = load_scenario(ROOT / DEFAULT_TEMPLATE)
    assert fitted.run.end_year == 2035 and "fuxin_2010/fitted.yaml" in (ROOT / DEFAULT_TEMPLATE).read_text()
    hand = load_scenario(ROOT / "scenarios" / "fuxin_baseline.yaml")
    assert fitted.labour.matching_efficiency_per_month != hand.labour.matching_efficiency_per_month
    assert sc.labour.matching_efficiency_per_month == pytest.approx(fitted.labour.matching_efficiency_per_month, rel=1e-9)
    assert b.d.notes[("labour", "matching_efficiency_per_month")] == "from Fuxin: fitted: matching_efficiency"


# --------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200"})


def test_the_command_writes_a_city_from_a_whole_census_row(runner, tiny_census, tmp_path) -> None:
    out = tmp_path / "out" / "testcity_baseline.yaml"
    result = runner.invoke(app, ["new-city", "testcity", "--census", "2010", "--from-data", str(tiny_census["data"]),
                                 "--city-list", str(tiny_census["cities"]), "--region-list", str(tiny_census["regions"]),
                                 "--out", str(out), "--no-package"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and re.search(r"\d+ census, .*\d+ derived", result.output)
    text = out.read_text(encoding="utf-8")
    assert "--no-package" in text.splitlines()[2]  # the header's command regenerates the same files
    assert not (tmp_path / "out" / "testcity.yaml").exists()
    sc = load_scenario(out)
    assert [r.name for r in sc.regions] == ["alpha", "beta"]


def _set(code: str, column: str, value: str):
    def edit(header, rows):
        for r in rows:
            if r["code"] == code:
                r[column] = value
    return edit


def _rename(old: str, new: str):
    def edit(header, rows):
        header[header.index(old)] = new
        for r in rows:
            r[new] = r.pop(old)
    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_rename("age_0_male", "age_0_mal"), r"census\.csv:1: column 'age_0_male': missing column\(s\) 'age_0_male' .*did you mean 'age_0_mal'\?"),
        (_set("990100", "age_5_9_female", "99999"), r"census\.csv:2: column 'age_0_male': the age groups .* sum to"),
        (_set("990100", "lf_ind_mining", "-900"), r"census\.csv:2: column 'lf_ind_mining': a count cannot be negative"),
        (_set("990100", "pop_total", ""), r"census\.csv:2: column 'pop_total': value missing"),
        (_set("990100", "longform_sample_frac", "0"), r"census\.csv:2: column 'longform_sample_frac': expected share of households"),
        (_set("990100", "lf_ind_total", "1"), r"census\.csv:2: column 'lf_ind_total': the industries lf_ind_\* sum to"),
        (_set("990100", "birth_rate_per_1000", "eight"), r"census\.csv:2: column 'birth_rate_per_1000': expected a number, got 'eight'"),
    ],
    ids=["misnamed-column", "age-groups", "negative-count", "missing-value", "sample-fraction", "industries", "not-a-number"],
)
def test_a_bad_census_row_is_one_located_line(runner, tiny_census, tmp_path, edit, expected) -> None:
    data = _write_table(tmp_path / "census.csv", edit)
    out = tmp_path / "x_baseline.yaml"
    result = runner.invoke(app, ["new-city", "testcity", "--census", "2010", "--from-data", str(data),
                                 "--city-list", str(tiny_census["cities"]), "--region-list", str(tiny_census["regions"]),
                                 "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 or "\n" not in " ".join(result.output.split())
    assert re.search(expected, " ".join(result.output.split())), result.output
    assert not out.exists() and not list(tmp_path.glob(".new-city-*"))


def test_a_region_row_is_found_by_its_code() -> None:
    city = load_city("datong", 2010)
    assert city.census.label == "大同市" and city.census.full is not None
    # 城区 is a district of Datong, Yangquan, Changzhi and Jincheng: codes, not names, tell them apart
    from simulator.cities.data import CityEntry, read_census_row

    row = read_census_row(city.census_path, 2010, CityEntry(city="chengqu", name_zh="城区", census_code="140302"))
    assert row.label == "城区" and row.full["pop_total"] > 0
    with pytest.raises(CityDataError, match="no row for city 'nowhere'"):
        read_census_row(city.census_path, 2010, CityEntry(city="nowhere", census_code="149999"))


# ------------------------------------------------------- the pyramid by sex in the model


@pytest.fixture
def tiny_with(tmp_path: Path):
    shutil.copy(DATA / "tiny.yaml", tmp_path / "tiny.yaml")
    base = (DATA / "tiny.yaml").read_text(encoding="utf-8").replace(
        "extends: ../../scenarios/", f"extends: {(ROOT / 'scenarios').as_posix()}/")
    (tmp_path / "tiny.yaml").write_text(base, encoding="utf-8")

    def write(text: str) -> Path:
        path = tmp_path / "pyramid.yaml"
        path.write_text("extends: tiny.yaml\nname: pyramid\n" + text, encoding="utf-8")
        return path

    return write


def test_the_initial_city_has_the_women_of_each_band(tiny_with) -> None:
    path = tiny_with("population:\n  female_share: 0.5155\n  female_share_by_age_band: "
                     "{0-14: 0.45, 15-29: 0.5, 30-44: 0.5, 45-59: 0.5, 60-74: 0.7, 75-84: 0.8, 85-99: 1.0}\n")
    m = build_model(load_scenario(path, scale=1), strict=True)
    p = m.persons
    age = p.view("age_m") // 12
    female = p.view("female")
    assert female[age >= 85].all()
    assert female[(age >= 60) & (age < 75)].mean() == pytest.approx(0.7, abs=0.05)
    assert female[age < 15].mean() == pytest.approx(0.45, abs=0.03)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{0-14: 0.45, 15-29: 0.5, 30-44: 0.5, 45-59: 0.5, 60-74: 0.7, 75-84: 0.8, 85-90: 1.0}", r"'85-90' is not one of age_band_shares \(did you mean '85-99'\?\)"),
        ("{0-14: 0.45, 15-29: 0.5}", r"misses the age band\(s\) 30-44"),
        ("{0-14: 0.9, 15-29: 0.9, 30-44: 0.9, 45-59: 0.9, 60-74: 0.9, 75-84: 0.9, 85-99: 0.9}", r"women's share of 0\.9000 .* female_share is 0\.49"),
    ],
    ids=["unknown-band", "missing-band", "disagrees"],
)
def test_a_bad_pyramid_by_sex_is_a_located_error(tiny_with, text, expected) -> None:
    path = tiny_with(f"population:\n  female_share_by_age_band: {text}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert re.search(expected, out), out
    assert "pyramid.yaml:4" in out and "female_share_by_age_band" in out


# ------------------------------------------------------------ calibration targets


def test_the_committed_observed_figures_are_what_the_module_writes() -> None:
    """calibration/data/census2010_panel_observed.csv is regenerated by ``python -m simulator.cities.observed``;
    it reads as an observed-figures file, and each model counterpart names an indicator."""
    from simulator.calibration.observed import COLUMNS, read_observed
    from simulator.cities.observed import COLUMNS as CITY_COLUMNS
    from simulator.cities.observed import OBSERVED_FILE, panel_observed
    from simulator.model.indicators import INDICATOR_NAMES

    assert CITY_COLUMNS == COLUMNS
    committed = ROOT / OBSERVED_FILE
    assert committed.read_text(encoding="utf-8") == panel_observed(), "regenerate: python -m simulator.cities.observed"
    figures = read_observed(committed)
    assert len(figures) == 26 * 17
    assert all(f.model_indicator in INDICATOR_NAMES for f in figures.values() if f.model_indicator)
    gap = figures["ordos_hukou_gap_2010"]
    row = load_city("ordos", 2010).census.full
    assert gap.value == row["pop_total"] - row["pop_hukou_registered"] and gap.model_indicator is None


def test_a_city_file_names_its_hukou_gap_and_in_migrants() -> None:
    text = (ROOT / "scenarios" / "cities" / "ordos_baseline.yaml").read_text(encoding="utf-8")
    row = load_city("ordos", 2010).census.full
    assert f"residents less registered {row['pop_total'] - row['pop_hukou_registered']:+,.0f}" in text
    assert f"from other provinces {row['in_migrants_other_province']:,.0f}" in text
