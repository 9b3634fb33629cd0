"""A city projected back from its 2010 census to a 2000 start (``sim new-city NAME --census 2010
--start 2000``), for the panel's pooled calibration: the reverse survival and the residual
migration by hand, the city's 2000 residents, jobs, register and rates, the errors, the committed
files of the 22 cities, and the yearbook's registered population as observed figures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from simulator.cities import demography as demo
from simulator.cities.data import read_registered
from simulator.cli.main import app
from simulator.experiment.run import build_model
from simulator.model.demography import gompertz_level
from simulator.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CITIES_2000 = ROOT / "scenarios" / "cities" / "2000"
PANEL_2000 = (
    "fuxin", "fushun", "jixi", "hegang", "shuangyashan", "qitaihe", "liaoyuan", "baishan", "huaibei", "zaozhuang",
    "pingxiang", "wuhai", "jiaozuo", "tongchuan", "datong", "yangquan", "jincheng", "shuozhou", "pingdingshan",
    "hebi", "jinzhong", "lvliang",
)
"""The 22 cities with a 2000 population (census or registered): the panel less Changzhi, Shizuishan,
Liupanshui (no registered figure for 2000) and Ordos (its 2000 figure is out of line)."""
BANDS = demo.census_bands(110)
SLOPE = 0.1


def _pyramid() -> tuple[list[float], list[float]]:
    men = [50.0 + 3 * i for i in range(len(BANDS))]
    women = [48.0 + 3 * i for i in range(len(BANDS))]
    return men, women


def test_reverse_survival_makes_each_cohort_ten_years_younger_and_more_of_it_alive() -> None:
    men, women = _pyramid()
    flat = np.ones(111)
    _, _, residual = demo.projected_back(BANDS, men, women, 10, 75.0, SLOPE, 10_000.0, flat)
    total = 10_000.0 - residual  # the population with no net migration
    m, f, r0 = demo.projected_back(BANDS, men, women, 10, 75.0, SLOPE, total, flat)
    assert r0 == pytest.approx(0.0, abs=1e-6)
    surv = demo.survivors(gompertz_level(75.0, SLOPE), SLOPE)
    c = demo.density(BANDS, men)
    for a in (0, 17, 42, 74):  # a cohort aged a + 10 at the census
        assert m[a] == pytest.approx(c[a + 10] * surv[a] / surv[a + 10])
    # the ages whose cohort is in the open 85+ band: the census's shape at their own age, as many
    # as leave the census's 85+ alive ten years later
    assert m[80] / m[76] == pytest.approx(c[80] / c[76])
    ages = np.arange(75, 101)
    assert (m[ages] * surv[ages + 10] / surv[ages]).sum() == pytest.approx(c[85:].sum())
    assert m.sum() + f.sum() == pytest.approx(total)


def test_net_migration_goes_back_to_the_ages_most_likely_to_have_left() -> None:
    men, women = _pyramid()
    weight = np.zeros(111)
    weight[20:30] = 1.0
    _, _, r = demo.projected_back(BANDS, men, women, 10, 75.0, SLOPE, 10_000.0, np.ones(111))
    total = 10_000.0 - r  # no net migration
    base_m, base_f, _ = demo.projected_back(BANDS, men, women, 10, 75.0, SLOPE, total, weight)
    m, f, residual = demo.projected_back(BANDS, men, women, 10, 75.0, SLOPE, total + 500.0, weight)
    assert residual == pytest.approx(500.0)
    extra = (m - base_m) + (f - base_f)
    assert extra[20:30].sum() == pytest.approx(500.0)
    assert np.abs(extra[:20]).max() < 1e-9 and np.abs(extra[30:]).max() < 1e-9
    # the share each age gets is in proportion to its persons
    assert extra[25] / extra[21] == pytest.approx((base_m[25] + base_f[25]) / (base_m[21] + base_f[21]))


def test_the_weight_averages_the_age_profile_over_the_years_ahead() -> None:
    w = demo.migration_weight(2, household_rate=0.01, alone_rate=0.1, age_profile={16: 0.5, 18: 1.0, 25: 0.4})
    assert w[10] == pytest.approx(0.01)  # too young to leave alone in the two years ahead
    assert w[15] == pytest.approx(0.01 + 0.1 * (0.0 + 0.5) / 2)
    assert w[17] == pytest.approx(0.01 + 0.1 * (0.5 + 1.0) / 2)
    assert w[24] == pytest.approx(0.01 + 0.1 * (1.0 + 0.4) / 2)
    assert w[60] == pytest.approx(0.01 + 0.1 * 0.4)


@pytest.fixture(scope="module")
def jixi(tmp_path_factory) -> tuple[Path, Path]:
    """Jixi from its 2010 census projected back to 2000, and as of its 2010 census."""
    from simulator.cities.new_city import new_city

    tmp = tmp_path_factory.mktemp("jixi")
    back = new_city("jixi", 2010, start=2000, out=tmp / "jixi_2000_baseline.yaml", package_template=None).baseline
    now = new_city("jixi", 2010, out=tmp / "jixi_2010.yaml", package_template=None).baseline
    return back, now


def test_a_projected_city_starts_with_its_2000_residents_and_the_2010_structure_scaled(jixi) -> None:
    back_path, now_path = jixi
    back, now = load_scenario(back_path), load_scenario(now_path)
    assert back.run.start_year == 2000 and now.run.start_year == 2010
    assert back.population.persons == 1946057  # the 2000 census (census2000_population.csv)
    k = back.population.persons / now.population.persons
    for s in ("agriculture", "manufacturing", "construction"):
        ratio = back.sectors[s].initial_employment_persons / now.sectors[s].initial_employment_persons
        assert ratio == pytest.approx(k, rel=0.002), s
    assert back.population.unemployed_persons == pytest.approx(now.population.unemployed_persons * k, rel=0.002)
    # the rates hold in 2010 as derived from the census; 2000 takes the template's path back
    for key in ("life_expectancy_years", "total_fertility_rate"):
        assert getattr(back.demography, key)[2010] == getattr(now.demography, key)[2010]
        assert 2000 in getattr(back.demography, key)
    e0 = back.demography.life_expectancy_years
    assert e0[2010] - e0[2000] == pytest.approx(76.4 - 73.34, abs=0.011)  # Fuxin's gains 2000-2010
    # the register: the yearbook's registered population of 2000 less the residents registered here
    reg = read_registered("jixi", 2000)
    share = back.migration.registration.nonlocal_share_of_residents
    assert share == now.migration.registration.nonlocal_share_of_residents
    expected = reg.persons - back.population.persons * (1 - share)
    assert back.migration.registration.absent_registered_persons == pytest.approx(expected, rel=1e-3)
    # the decade's migration is not an input: the template's inflow scaled, not set from 2000-2010
    # (per resident of 2000: Fuxin's 3000 households a year for its 1,889,774 residents of 2000)
    assert back.migration.in_base_households_per_year == pytest.approx(3000 * 1946057 / 1889774, rel=0.01)
    text = back_path.read_text(encoding="utf-8")
    assert "projected back to 2000" in text and "net migration 2000-2010" in text


def test_the_young_of_2000_are_the_teenagers_of_2010(jixi) -> None:
    """The census's 10-19 of 2010 are the 0-9 of 2000 (fewer would have died), before migration."""
    back, now = (load_scenario(p) for p in jixi)
    sb, sn = back.population.age_band_shares, now.population.age_band_shares
    kids_2000 = (sb["0-4"] + sb["5-9"]) * back.population.persons
    teens_2010 = (sn["10-14"] + sn["15-19"]) * now.population.persons
    assert kids_2000 == pytest.approx(teens_2010, rel=0.08)  # + net migration of the decade, a few percent
    assert sb["85-99"] < sb["80-84"] < sb["75-79"]


def test_a_city_without_a_2000_population_and_bad_starts_are_clear_errors(tmp_path) -> None:
    runner = CliRunner()
    cases = [
        (["shizuishan", "--census", "2010", "--start", "2000"], "cannot start in 2000"),
        (["jixi", "--census", "2010", "--start", "2005"], "only to its template's start year (2000)"),
        (["jixi", "--census", "2010", "--start", "2012"], "starts in its census year or earlier"),
    ]
    for args, message in cases:
        out = tmp_path / f"{args[0]}_{args[-1]}.yaml"
        result = runner.invoke(app, ["new-city", *args, "--out", str(out), "--no-package"])
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split()) and "Traceback" not in result.output
        assert not out.exists()


def test_a_city_without_a_2000_census_takes_its_registered_population_and_the_2010_ratio(tmp_path) -> None:
    from simulator.cities.data import load_city

    sc = load_scenario(CITIES_2000 / "datong_2000_baseline.yaml")
    row = load_city("datong", 2010).census.full
    reg = read_registered("datong", 2000)
    assert sc.population.persons == round(reg.persons * row["pop_total"] / row["pop_hukou_registered"])


@pytest.mark.parametrize("city", PANEL_2000)
def test_each_projected_city_file_validates_and_runs_a_year(city) -> None:
    path = CITIES_2000 / f"{city}_2000_baseline.yaml"
    sc = load_scenario(path)
    assert sc.name == path.stem and sc.run.start_year == 2000
    fast = load_scenario(path, overrides=["run.end_year=2001"], scale=max(1, sc.population.persons // 1500))
    m = build_model(fast, strict=True)
    m.run()
    assert m.failure() is None


def test_the_committed_files_are_what_the_command_writes(tmp_path) -> None:
    """The committed files are projected with the pooled template (the third pass of the pooled
    calibration: calibration/panel_2000.yaml), which their header names."""
    from simulator.cities.new_city import new_city

    committed = (CITIES_2000 / "jixi_2000_baseline.yaml").read_text(encoding="utf-8")
    template = re.search(r"the parameters\n# of (\S+\.yaml)", committed)[1]
    assert template == "scenarios/fuxin_pooled_2010.yaml"
    out = tmp_path / "jixi_2000_baseline.yaml"
    new_city("jixi", 2010, start=2000, out=out, template=ROOT / template, package_template=None)
    written = out.read_text(encoding="utf-8")

    def body(text: str) -> list[str]:  # the header names the command's --out
        return [ln for ln in text.splitlines() if not ln.startswith("# Written by")]

    assert body(written) == body(committed)


def test_the_yearbooks_registered_population_as_observed_figures() -> None:
    from simulator.calibration.observed import read_observed
    from simulator.cities.observed import REGISTERED_OBSERVED_FILE, registered_observed

    committed = ROOT / REGISTERED_OBSERVED_FILE
    assert committed.read_text(encoding="utf-8") == registered_observed(), "regenerate: python -m simulator.cities.observed"
    figures = read_observed(committed)
    assert figures["fuxin_registered_2005"].model_value == 1_927_000
    assert figures["fuxin_registered_2005"].model_indicator == "registered_population"
    assert "wuhai_registered_2009" in figures and "wuhai_registered_2010" not in figures  # resident basis in 2010
    assert "shuangyashan_registered_2005" in figures  # its note flags the employment, not the population
    assert not any(k.startswith(("changzhi_", "shizuishan_")) for k in figures)
    assert max(f.year for f in figures.values()) == 2010
    assert read_registered("ordos", 2000) is None and read_registered("ordos", 2005) is not None
