"""``sim new-city``: a city's scenarios from its census, every value marked, bad city data refused cleanly."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cities import demography as demo
from simulator.cities.data import load_city
from simulator.cities.derive import trim_series
from simulator.cities.emit import dump, flow
from simulator.cli.main import app
from simulator.experiment.run import build_model
from simulator.model.demography import gompertz_level
from simulator.scenario.loader import load_raw, load_scenario
from simulator.scenario.yaml_source import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
CENSUS_2010 = ROOT / "calibration" / "data" / "census2010_cities.csv"
CITY_LIST = ROOT / "data" / "cities" / "cities.csv"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200"})


def invoke(runner: CliRunner, *args):
    return runner.invoke(app, ["new-city", *[str(a) for a in args]])


@pytest.fixture(scope="module")
def hegang(runner, tmp_path_factory) -> tuple[Path, Path]:
    """Hegang's baseline and package, written by the command."""
    out = tmp_path_factory.mktemp("cities") / "hegang_baseline.yaml"
    result = invoke(runner, "hegang", "--census", "2010", "--out", out)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "validated" in result.output
    return out, out.with_name("hegang.yaml")


# ------------------------------------------------------------------ the files


def test_new_city_writes_a_valid_baseline_from_the_census(hegang) -> None:
    base, _ = hegang
    sc = load_scenario(base)
    row = load_city("hegang", 2010).census
    assert sc.name == "hegang_baseline" and sc.city.name == "Hegang" and sc.city.name_zh == "鹤岗市"
    assert sc.run.start_year == 2010 and sc.run.end_year == 2035
    assert sc.city.money_base_year == 2000  # money stays in yuan of the template's base year
    assert sc.population.persons == 1058665
    v = row.full  # the whole census row (calibration/data/census2010_coal_panel.csv)
    frac = v["longform_sample_frac"]
    assert sc.population.rural_share == pytest.approx(1 - v["pop_urban"] / v["pop_total"], abs=1e-4)
    shares = sc.population.age_band_shares
    assert list(shares)[:3] == ["0-4", "5-9", "10-14"] and list(shares)[-1] == "85-99"
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    assert sum(v for k, v in shares.items() if int(k.split("-")[0]) < 15) == pytest.approx(row["share0_14"], abs=1e-4)
    assert sum(v for k, v in shares.items() if int(k.split("-")[0]) >= 60) == pytest.approx(row["share60"], abs=2e-4)
    assert sum(v for k, v in shares.items() if int(k.split("-")[0]) >= 65) == pytest.approx(row["share65"], abs=2e-4)
    # mines: the census mining workers, in the coal sector's employment too, in the regions that have them
    workers = sum(m.workers_persons for m in sc.coal.mines)
    assert abs(workers - v["lf_ind_mining"] / frac) <= len(sc.coal.mines)
    assert sc.sectors["coal_mining"].initial_employment_persons == workers
    assert {m.region for m in sc.coal.mines} <= {r.name for r in sc.regions}
    # agriculture and construction as the census counts them (long-form count / sample fraction)
    assert sc.sectors["agriculture"].initial_employment_persons == round(v["lf_ind_agriculture"] / frac)
    assert sc.sectors["construction"].initial_employment_persons == round(v["lf_ind_construction"] / frac)
    # census employment = the sectors' jobs + the job seekers in informal work
    inf = sc.labour.informal
    informal = sc.population.unemployed_persons * inf.entry_rate_per_month / (inf.entry_rate_per_month + inf.exit_rate_per_month)
    jobs = sum(s.initial_employment_persons for s in sc.sectors.values())
    assert jobs + informal == pytest.approx(v["lf_ind_total"] / frac, rel=1e-4)
    # Hegang was not designated in the 2008 or 2009 batches: no transfer (a later designation is after 2010)
    assert not sc.levers.resource_city_transfer.enabled
    # every series starts at the start year or later (except the deflator of observed money)
    for section in ("demography", "public_finance", "world", "social_security"):
        for key, value in getattr(sc, section):
            if isinstance(value, dict) and value and all(isinstance(y, int) for y in value) and key != "cpi_index":
                assert min(value) >= 2010, (section, key)


def test_every_value_carries_its_provenance(hegang) -> None:
    base, package = hegang
    kinds = ("census:", "city list:", "derived:", "from Fuxin", "assumed:", "numerical:")
    for path in (base, package):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key = line.split(":", 1)[0].strip()
            if key in ("name", "description", "extends", "counterfactual") or line.rstrip().endswith(":"):
                continue  # the file's own name, text and relations to other scenarios, and block headers
            assert "   # " in line, f"{path.name}:{n}: no provenance: {line}"
            note = line.split("   # ", 1)[1]
            assert note.startswith(kinds), f"{path.name}:{n}: {note}"


def test_the_package_extends_the_baseline_and_changes_only_levers(hegang) -> None:
    base, package = hegang
    raw, _ = load_raw(package)
    b, p = load_scenario(base), load_scenario(package)
    assert package.read_text(encoding="utf-8").count("extends: hegang_baseline.yaml") == 1
    assert p.name == "hegang"
    assert p.counterfactual == "hegang_baseline" and b.counterfactual is None  # sim compare's default baseline
    for field in ("run", "city", "population", "demography", "labour", "sectors", "coal", "firms", "migration", "world"):
        assert getattr(p, field) == getattr(b, field), field
    on = [name for name, lever in p.levers if lever.enabled]
    assert len(on) == 12  # the whole package of the template, but the transfer (Hegang was not designated by 2010)
    assert not p.levers.resource_city_transfer.enabled
    assert p.levers.new_industry_fund.start_year == 2016
    # totals scaled by population from Fuxin's package (fuxin.yaml: 4.0e8 a year of infrastructure)
    ratio = 1058665 / 1819339
    assert p.levers.infrastructure.investment_yuan_per_year[2016] == pytest.approx(4.0e8 * ratio, rel=2e-3)
    # a series of the package has every year of the baseline's (extends merges series year by year)
    assert set(b.levers.resource_city_transfer.yuan_per_year) <= set(raw["levers"]["resource_city_transfer"]["yuan_per_year"])


def test_the_city_starts_with_its_census_births_and_deaths(hegang) -> None:
    """Fertility and life expectancy are derived so that the initial age structure gives the
    census crude rates (Hegang: 7.78 births and 6.08 deaths per 1000). Pooled over three seeds at
    scale 20 (about 320 death rows a run, a Poisson spread of 5.6% each, 3.2% pooled): within 10%."""
    base, _ = hegang
    births = deaths = population = 0.0
    for seed in (1, 2, 3):
        sc = load_scenario(base, overrides=["run.end_year=2010"], scale=20, seed=seed)
        m = build_model(sc, strict=True)
        m.run()
        row = m.recorder.rows[0]
        births, deaths, population = births + row["births"], deaths + row["deaths"], population + row["population"]
    assert births / population == pytest.approx(0.00778, rel=0.10)
    assert deaths / population == pytest.approx(0.00608, rel=0.10)


def test_a_city_can_start_from_the_2000_census(runner, tmp_path) -> None:
    out = tmp_path / "fushun2000_baseline.yaml"
    result = invoke(runner, "fushun", "--census", "2000", "--out", out, "--no-package")
    assert result.exit_code == 0, result.output
    sc = load_scenario(out)
    assert sc.run.start_year == 2000 and sc.population.persons == 2260290
    assert not out.with_name("fushun2000.yaml").exists()
    text = out.read_text(encoding="utf-8")
    assert "scaled by population (2,260,290 / Fuxin 1,889,774 in 2000)" in text


def test_existing_files_are_kept_unless_forced(runner, hegang) -> None:
    base, _ = hegang
    before = base.read_text(encoding="utf-8")
    result = invoke(runner, "hegang", "--census", "2010", "--out", base)
    assert result.exit_code == 2 and "exists (use --force to overwrite)" in result.output
    assert base.read_text(encoding="utf-8") == before
    assert not [p for p in base.parent.iterdir() if p.name.startswith(".")]  # no temporary left


# --------------------------------------------------------------- bad city data


def _census_with(tmp_path: Path, edit) -> Path:
    """A copy of the 2010 census table with ``edit(header, rows)`` applied."""
    lines = CENSUS_2010.read_text(encoding="utf-8").splitlines()
    comment, table = lines[0], lines[1:]
    rows = list(csv.reader(table))
    edit(rows[0], rows[1:])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / "census.csv"
    path.write_text(comment + "\n" + buf.getvalue(), encoding="utf-8")
    return path


def _drop(header, rows, column):
    i = header.index(column)
    for x in [header, *rows]:
        del x[i]


def _set(header, rows, unit, column, value):
    for r in rows:
        if r[0] == unit:
            r[header.index(column)] = value


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda h, r: _set(h, r, "鹤岗市", "pop2010", "-5"), r"census\.csv:14: column 'pop2010': a count cannot be negative"),
        (lambda h, r: _set(h, r, "鹤岗市", "mining_workers_est", "-97246"), r"census\.csv:14: column 'mining_workers_est': a count cannot be negative"),
        (lambda h, r: _set(h, r, "鹤岗市", "emp_sec1", "40.48"), r"census\.csv:14: column 'emp_sec1': employment shares .* sum to 1[01]\d\.\d+%, not 100%"),
        (lambda h, r: _set(h, r, "鹤岗市", "share60", "95"), r"census\.csv:14: column 'share60': age shares share0_14 \+ share60 are 105\.82%"),
        (lambda h, r: (h.append("share15_59"), [x.append("80") for x in r]), r"census\.csv:\d+: column 'share15_59': age shares .* sum to"),
        (lambda h, r: _set(h, r, "鹤岗市", "urban_share", "176.6"), r"census\.csv:14: column 'urban_share': a share in percent must be between 0 and 100"),
        (lambda h, r: _set(h, r, "鹤岗市", "edu_years", "nine"), r"census\.csv:14: column 'edu_years': expected a number, got 'nine'"),
        (lambda h, r: _set(h, r, "鹤岗市", "birth_rate", ""), r"census\.csv:14: column 'birth_rate': value missing"),
        (lambda h, r: _drop(h, r, "edu_years"), r"census\.csv:2: missing column\(s\) 'edu_years'"),
        (lambda h, r: _set(h, r, "鹤岗市", "unit", "某市"), r"census\.csv: no row for city 'hegang' \(鹤岗市, code 230400\)"),
    ],
    ids=["negative-population", "negative-miners", "employment-shares", "age-shares", "age-shares-sum", "share-range", "not-a-number", "missing-value", "missing-column", "no-row"],
)
def test_bad_city_data_is_one_clear_message(runner, tmp_path, edit, expected) -> None:
    data = _census_with(tmp_path, edit)
    if "no-row" in expected or "no row" in expected:  # the code column still finds the row: drop it too
        text = data.read_text(encoding="utf-8").replace(",230400,", ",999999,")
        data.write_text(text, encoding="utf-8")
    out = tmp_path / "x_baseline.yaml"
    result = invoke(runner, "hegang", "--census", "2010", "--from-data", data, "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ")
    assert re.search(expected, " ".join(result.output.split())), result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".new-city-*"))


def test_an_unknown_city_suggests_the_closest_name(runner, tmp_path) -> None:
    result = invoke(runner, "hegnag", "--census", "2010", "--out", tmp_path / "x.yaml")
    assert result.exit_code == 2
    assert "unknown city 'hegnag'" in result.output and "did you mean 'hegang'?" in result.output


def test_an_unknown_census_year_is_refused(runner, tmp_path) -> None:
    result = invoke(runner, "hegang", "--census", "1990", "--out", tmp_path / "x.yaml")
    assert result.exit_code == 2 and "census years are 2000, 2010" in result.output


def test_a_city_only_in_the_users_table(runner, tmp_path) -> None:
    """A city outside the city list is found by its row in --from-data; what the list
    would say (designation year, mine labour intensity) is then assumed and marked."""
    def edit(h, r):
        h.insert(0, "city")
        for x in r:
            x.insert(0, "newtown" if x[0] == "鹤岗市" else "")
    data = _census_with(tmp_path, edit)
    out = tmp_path / "newtown_baseline.yaml"
    result = invoke(runner, "newtown", "--census", "2010", "--from-data", data, "--out", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "assumed: policy_inputs.csv: national average labour intensity" in text
    assert load_scenario(out).population.persons == 1058665


# ----------------------------------------------------------- derivation rules


def test_life_expectancy_inverts_the_models_gompertz_level() -> None:
    for e0 in (65.0, 76.4, 82.0):
        assert demo.life_expectancy(gompertz_level(e0, 0.1), 0.1) == pytest.approx(e0, abs=1e-6)


def test_age_groups_are_kept_when_refined() -> None:
    bands = demo.refine([(0, 14), (15, 29), (30, 44), (45, 59), (60, 74), (75, 84), (85, 99)], (15, 60, 65))
    assert (60, 64) in bands and (65, 74) in bands
    groups = demo.census_groups(0.12, 0.15, 0.10, 99)
    weight = demo.moved_forward([(0, 14), (15, 59), (60, 99)], [0.2, 0.7, 0.1], 10, 75.0, 0.1)
    shares = demo.split_groups(groups, bands, weight)
    assert sum(shares) == pytest.approx(1.0)
    assert sum(s for (lo, _), s in zip(bands, shares, strict=True) if lo >= 65) == pytest.approx(0.10)
    assert sum(s for (lo, _), s in zip(bands, shares, strict=True) if 15 <= lo < 60) == pytest.approx(0.73)


def test_fertility_reproduces_the_crude_birth_rate() -> None:
    bands, shares = [(0, 14), (15, 49), (50, 99)], [0.2, 0.5, 0.3]
    tfr = demo.total_fertility_rate(bands, shares, 0.008, 0.49, 27.0, 5.0)
    # the model's births per person: women per single age x schedule
    from simulator.model.demography import fertility_schedule

    births = float((demo.density(bands, shares) * 0.49 * fertility_schedule(tfr, 27.0, 5.0)).sum())
    assert births == pytest.approx(0.008)


def test_series_cut_at_the_start_year_keep_their_values() -> None:
    s = {2000: 1.0, 2008: 4.0, 2015: 7.5, 2035: 15.0}
    cut = trim_series(s, 2010)
    assert min(cut) == 2010 and cut[2010] == pytest.approx(5.0)
    from simulator.model.series import series_at

    for year in range(2010, 2040):
        assert series_at(cut, year) == pytest.approx(series_at(s, year))
    assert trim_series({2016: 3.0}, 2010) == {2016: 3.0}


def test_written_yaml_reads_back_as_the_same_values() -> None:
    data = {
        "name": "x y",
        "city": {"name": "Fushun", "name_zh": "抚顺市"},
        "levers": {"pensions": {"enabled": True, "collective_retirees_enrolled_per_year": {2016: 1.5e8, 2021: 0}}},
        "coal": {"mines": [{"name": "a", "soe": True}]},
    }
    notes = {("city", "name_zh"): "city list: x", ("coal", "mines", 0): "assumed: y"}
    text = dump(data, notes, header="h")
    assert parse_yaml(text, "x.yaml")[0] == data
    assert 'name_zh: "抚顺市"   # city list: x' in text
    assert "collective_retirees_enrolled_per_year: {2016: 150000000.0, 2021: 0}" in text
    assert "    - {name: a, soe: true}   # assumed: y" in text
    assert flow({2010: 1e-9}) == "{2010: 1e-9}"
    assert parse_yaml(flow(1e-9), "x")[0] == pytest.approx(1e-9)


def test_the_committed_city_files_are_what_the_command_writes(hegang) -> None:
    # scenarios/cities/ is regenerated with the loop in docs/guide/cities.md; the package names its counterfactual
    def body(path: Path) -> list[str]:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("# Written by")]

    for written in hegang:
        committed = ROOT / "scenarios" / "cities" / written.name
        assert body(written) == body(committed), f"regenerate {committed} (docs/guide/cities.md)"
    assert "counterfactual: hegang_baseline" in hegang[1].read_text(encoding="utf-8").splitlines()


def test_year_series_are_told_from_age_keyed_mappings() -> None:
    from simulator.cities.derive import is_year_series

    assert is_year_series({2000: 1.0, 2015: 2.0})
    assert not is_year_series({16: 0.5, 18: 1.0, 45: 0.0})  # an age profile is not cut at the start year
    assert not is_year_series({})
    assert not is_year_series({"low": 0.3})
