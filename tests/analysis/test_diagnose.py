"""``sim diagnose``: the estimators on hand-built tables with known answers, the variants' overrides,
and the command on the tiny city (files, columns, exit codes)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis import diagnose as dg
from simulator.model.series import series_at
from simulator.scenario.loader import load_scenario

YEARS = np.arange(2000, 2021)
LABOUR = 100_000.0
NATIONAL = {2000: 10_000.0, 2010: 20_000.0, 2020: 36_000.0}


def table(u: np.ndarray, *, gdp=None, vacancies=None, wage=None, services=None, pc=None, years=YEARS, **extra) -> pd.DataFrame:
    """An indicator table with the unemployment rate ``u`` (labour force ``LABOUR``) and the rest given or flat."""
    n = len(years)
    t = pd.DataFrame({
        "year": years,
        "employment_total": (1.0 - u) * LABOUR,
        "unemployed_persons": u * LABOUR,
        "gdp_total": np.full(n, 1e9) if gdp is None else gdp,
        "vacancies": np.full(n, 1000.0) if vacancies is None else vacancies,
        "average_wage": np.full(n, 15_000.0) if wage is None else wage,
        "gdp_per_capita": np.linspace(5_000, 20_000, n) if pc is None else pc,
    })
    t["gdp_services"] = t["gdp_total"] * (0.4 if services is None else services)
    t["gdp_real"] = t["gdp_total"]  # (prices flat)
    t["average_wage_fixed_mix"] = t["average_wage"]  # (one job mix)
    t["average_wage_nonfarm_fixed_mix"] = t["average_wage"]  # (no farms)
    for k, v in extra.items():
        t[k] = v
    return t


def test_okun_slope_of_minus_a_half_is_recovered() -> None:
    rng = np.random.default_rng(1)
    growth = rng.normal(0.05, 0.04, len(YEARS))
    gdp = 1e9 * np.cumprod(1.0 + growth)
    u = np.empty(len(YEARS))
    u[0] = 0.10
    for i in range(1, len(YEARS)):
        u[i] = u[i - 1] + 0.01 - 0.5 * (gdp[i] / gdp[i - 1] - 1.0)
    assert dg.okun_slope(table(u, gdp=gdp)) == pytest.approx(-0.5, abs=1e-9)
    # --years restricts the pairs used: still exact on a sub-range, and a pair needs both years
    assert dg.okun_slope(table(u, gdp=gdp), (2005, 2012)) == pytest.approx(-0.5, abs=1e-9)
    x, _ = dg.okun_points(table(u, gdp=gdp), (2005, 2012))
    assert len(x) == 7
    # growth is real: gdp_real, not gdp_total at current prices (here flat while real GDP grows)
    t = table(u)
    t["gdp_real"] = gdp
    assert dg.okun_slope(t) == pytest.approx(-0.5, abs=1e-9)


def test_beveridge_slope_is_recovered() -> None:
    u = np.linspace(0.04, 0.15, len(YEARS))
    v = 0.05 - 0.3 * u
    assert dg.beveridge_slope(table(u, vacancies=v * LABOUR)) == pytest.approx(-0.3, abs=1e-9)


def test_wage_curve_elasticity_against_the_national_series() -> None:
    u = np.exp(np.random.default_rng(4).uniform(np.log(0.03), np.log(0.2), len(YEARS)))
    national = np.array([series_at(NATIONAL, y) for y in YEARS])
    wage = national * 0.8 * u**-0.1  # the local/national ratio answers unemployment with elasticity -0.1
    assert dg.wage_curve_elasticity(table(u, wage=wage), NATIONAL) == pytest.approx(-0.1, abs=1e-9)
    assert dg.wage_curve_elasticity(table(u, wage=wage), NATIONAL, trend=False) == pytest.approx(-0.1, abs=1e-9)
    # a wage that follows the national series whatever unemployment does: elasticity 0
    assert dg.wage_curve_elasticity(table(u, wage=national * 0.8), NATIONAL) == pytest.approx(0.0, abs=1e-9)


def test_the_wage_curve_is_estimated_net_of_the_citys_trend() -> None:
    """Unemployment and the wage ratio both drift up over the years (as services grow dearer):
    the slope without a trend is positive, the check's slope recovers the curve's -0.1."""
    t = YEARS - YEARS[0]
    u = 0.08 * np.exp(0.02 * t + np.random.default_rng(5).normal(0.0, 0.15, len(YEARS)))
    national = np.array([series_at(NATIONAL, y) for y in YEARS])
    wage = national * 0.8 * u**-0.1 * np.exp(0.01 * t)
    assert dg.wage_curve_elasticity(table(u, wage=wage), NATIONAL) == pytest.approx(-0.1, abs=1e-9)
    assert dg.wage_curve_elasticity(table(u, wage=wage), NATIONAL, trend=False) > 0.0
    # the figure's points are net of the trend: their slope is the check's
    assert dg.ols_slope(*dg.wage_curve_points_net_of_trend(table(u, wage=wage), NATIONAL)) == pytest.approx(-0.1, abs=1e-9)
    # unemployment moving only with the trend: the curve is not identified
    assert math.isnan(dg.wage_curve_elasticity(table(0.08 * np.exp(0.02 * t), wage=wage), NATIONAL))


def test_paired_wage_curve_recovers_a_known_elasticity_and_a_flat_wage() -> None:
    """Two regions sharing the year effects (the national wage and a common drift) whose
    unemployment differs by a demand shock: the paired estimate is the curve's elasticity, whatever
    the shared drift; a wage that does not answer unemployment gives 0."""
    rng = np.random.default_rng(6)
    national = np.array([series_at(NATIONAL, y) for y in YEARS])
    u = 0.08 * np.exp(0.02 * (YEARS - YEARS[0]) + rng.normal(0.0, 0.1, len(YEARS)))
    shocked = np.where(YEARS >= 2010, u * np.exp(-rng.uniform(0.05, 0.2, len(YEARS))), u)
    for elasticity in (-0.1, -0.3):
        base = table(u, wage=national * 0.8 * u**elasticity)
        variant = table(shocked, wage=national * 0.8 * shocked**elasticity)
        assert dg.wage_curve_paired(base, variant, 2010) == pytest.approx(elasticity, abs=1e-9)
        x, y = dg.wage_curve_paired_points(base, variant, 2010)
        assert len(x) == dg.WAGE_CURVE_YEARS and np.allclose(y, elasticity * x)
    flat = table(shocked, wage=national * 0.8)
    assert dg.wage_curve_paired(table(u, wage=national * 0.8), flat, 2010) == pytest.approx(0.0, abs=1e-12)
    # the span is cut at the run's end: 2016-2020 are the years both runs report
    x, _ = dg.wage_curve_paired_points(table(u), flat, 2016)
    assert len(x) == 5
    # no year in the run, or unemployment not moved: no estimate
    assert math.isnan(dg.wage_curve_paired(table(u), flat, 2030))
    assert math.isnan(dg.wage_curve_paired(table(u), table(u), 2010))


def test_pooled_wage_curve_weighs_seeds_by_how_much_unemployment_moved() -> None:
    """Check 3 pools the seeds: the ratio of the sums, so a seed whose shock barely moved
    unemployment (a ratio of -5 here) weighs by its small denominator, not as a whole vote; its
    bootstrap interval holds the estimate, is the same on every call and ignores seeds without sums."""
    sums = [(-0.5, 0.05), (-0.4, 0.04), (-0.45, 0.06), (-0.01, 0.05)]
    est, lo, hi = dg.wage_curve_pooled(sums)
    assert est == pytest.approx(0.20 / -1.36)
    assert lo <= est <= hi and hi < -0.05  # the weak seed does not drag the interval to -5
    assert dg.wage_curve_pooled(sums) == (est, lo, hi)
    assert dg.wage_curve_pooled([*sums, (math.nan, math.nan)]) == (est, lo, hi)
    # one elasticity in every seed: the pooled ratio and every resample are that elasticity
    est, lo, hi = dg.wage_curve_pooled([(-0.2, 0.02), (-0.5, 0.05), (-0.1, 0.01)])
    assert est == pytest.approx(-0.1) and lo == pytest.approx(-0.1) and hi == pytest.approx(-0.1)
    assert all(math.isnan(v) for v in dg.wage_curve_pooled([(math.nan, math.nan)]))
    assert math.isnan(dg.wage_curve_pooled([(0.0, 0.01)])[0])


def test_services_share_slope_on_log_income() -> None:
    pc = np.linspace(5_000, 30_000, len(YEARS))
    share = 0.2 + 0.15 * np.log(pc / 5_000)
    assert dg.services_income_slope(table(np.full(len(YEARS), 0.1), services=share, pc=pc)) == pytest.approx(0.15, abs=1e-9)


def test_spending_response_is_the_ratio_of_the_paired_differences_from_the_year_on() -> None:
    u = np.full(len(YEARS), 0.1)
    spend = np.linspace(1e9, 2e9, len(YEARS))
    tr = np.linspace(5e8, 9e8, len(YEARS))
    base = table(u, city_spending=spend, transfers_received=tr)
    after = YEARS >= 2010
    variant = table(
        u,
        city_spending=spend + np.where(after, 85.0, 0.0) + np.where(YEARS == 2005, 1e6, 0.0),  # an earlier difference is not counted
        transfers_received=tr + np.where(after, 100.0, 0.0),
    )
    assert dg.spending_response(base, variant, 2010) == pytest.approx(0.85, rel=1e-9)
    assert math.isnan(dg.spending_response(base, base, 2010))  # no extra transfer: no ratio


def test_paired_effects_and_verdicts_of_a_built_closure() -> None:
    u = np.full(len(YEARS), 0.1)
    pop = np.full(len(YEARS), 1e6)
    bases, closed = [], []
    for k in range(5):
        b = table(u, population=pop + k, out_migrants=np.full(len(YEARS), 1e4), in_migrants=np.full(len(YEARS), 8e3))
        later = YEARS >= 2010
        c = table(np.where(later, 0.12 + 0.001 * k, 0.1), population=np.where(later, pop - 5000 - 100 * k, pop) + k,
                  out_migrants=np.where(later, 1.2e4, 1e4), in_migrants=np.where(later, 7e3, 8e3))
        bases.append(b)
        closed.append(c)
    assert dg.paired_effect(bases[0], closed[0], "population", 2013) == -5000
    assert dg.paired_effect(bases[0], closed[0], "unemployment_rate", 2013) == pytest.approx(0.02)
    assert math.isnan(dg.paired_effect(bases[0], closed[0], "population", 2040))  # after the run
    checks = {c.check: c for c in dg.closure_checks(bases, closed, 2010)}
    assert checks["6 population +3"].result == "pass" and checks["6 population +3"].year == 2013
    assert checks["6 population +3"].estimate == pytest.approx(-5200)
    assert checks["6 unemployment +3"].result == "pass"
    assert checks["6 out-migrants +10"].result == "n/a" and checks["6 out-migrants +10"].estimate == 2000
    assert checks["6 in-migrants +3"].result == "n/a" and checks["6 in-migrants +3"].estimate == -1000
    # no effect: the intervals do not exclude zero, the checks fail
    none = {c.check: c for c in dg.closure_checks(bases, bases, 2010)}
    assert none["6 population +3"].result == "fail" and none["6 unemployment +3"].result == "fail"


def test_diagnose_gives_every_check_with_interval_and_verdict() -> None:
    rng = np.random.default_rng(3)
    runs = []
    for _ in range(4):
        growth = rng.normal(0.05, 0.04, len(YEARS))
        gdp = 1e9 * np.cumprod(1.0 + growth)
        u = np.clip(0.1 - 0.5 * np.cumsum(growth - 0.05) + rng.normal(0, 0.002, len(YEARS)), 0.01, 0.5)
        runs.append(table(u, gdp=gdp, vacancies=(0.06 - 0.3 * u) * LABOUR, city_spending=np.full(len(YEARS), 1e9),
                          transfers_received=np.full(len(YEARS), 5e8)))
    checks = dg.diagnose(runs, national_wage=NATIONAL, shock_year=2010)
    # without the demand variant check 3 has only its reported regressions
    assert [c.check for c in checks] == ["1 okun", "2 beveridge", "3 wage curve, city trend", "3 wage curve, no trend",
                                         "4 services, years", "4 food, years"]
    okun, bev = checks[0], checks[1]
    assert okun.result == "pass" and okun.p05 <= okun.estimate <= okun.p95 and okun.n_seeds == 4
    assert bev.estimate == pytest.approx(-0.3, abs=0.05) and bev.result == "pass"
    assert checks[2].result == "n/a" and checks[3].result == "n/a" and math.isfinite(checks[3].estimate)  # reported only
    assert checks[4].result == "n/a"  # the services share across the years: reported only
    assert checks[5].result == "n/a" and math.isnan(checks[5].estimate)  # no food column in these tables
    # with it: a wage that does not answer the demand variant's lower unemployment fails check 3
    demand = [t.assign(unemployed_persons=t["unemployed_persons"] * np.where(YEARS >= 2010, 0.9, 1.0)) for t in runs]
    checks = {c.check: c for c in dg.diagnose(runs, national_wage=NATIONAL, shock_year=2010, demand=demand)}
    assert checks["3 wage curve"].estimate == pytest.approx(0.0, abs=1e-12) and checks["3 wage curve"].result == "fail"
    assert "7 okun (demand)" in checks and "7 wage (demand)" not in checks


def test_raised_series_leaves_earlier_years_and_raises_later_ones() -> None:
    series = {2000: 420.0, 2008: 1100.0, 2015: 1900.0, 2020: 2900.0, 2035: 5600.0}
    raised = dg.raised_series(series, 2017, 1.1)
    for y in range(1995, 2041):
        expected = series_at(series, y) * (1.1 if y >= 2017 else 1.0)
        assert series_at(raised, y) == pytest.approx(expected, rel=1e-12), y


def test_the_variants_validate_and_close_every_mine_in_the_year(tiny_path, run_columns) -> None:
    sc = load_scenario(tiny_path)
    raised = load_scenario(tiny_path, overrides=dg.transfer_overrides(sc, 2001))
    transfer = raised.public_finance.general_transfer_yuan_per_resident_per_year
    assert series_at(transfer, 2000) == series_at(sc.public_finance.general_transfer_yuan_per_resident_per_year, 2000)
    assert series_at(transfer, 2002) == pytest.approx(1.1 * series_at(sc.public_finance.general_transfer_yuan_per_resident_per_year, 2002))
    closing = load_scenario(tiny_path, overrides=dg.mine_closure_overrides(2001))
    base, closed = run_columns(sc), run_columns(closing)
    assert base["mines_open"][1] > 0
    assert closed["mines_open"][1] == 0  # every mine closed by the end of 2001
    assert closed["population"][0] == base["population"][0]  # nothing differs before the year


# ------------------------------------------------------------------ the command

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def diagnosed(tiny_path, tmp_path_factory):
    """One ``sim diagnose`` of the tiny city (2000-2004, 2 seeds, one process)."""
    from typer.testing import CliRunner

    from simulator.cli.main import app

    out = tmp_path_factory.mktemp("diagnose")
    args = ["diagnose", str(tiny_path), "--seeds", "2", "--workers", "1", "--quiet", "--set", "run.end_year=2004", "--out", str(out)]
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, args)
    return result, out, args


def test_the_command_writes_its_files_and_a_table_in_80_columns(diagnosed) -> None:
    result, out, _ = diagnosed
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "diagnose.csv").read_text(encoding="utf-8").splitlines()))
    assert tuple(rows[0]) == dg.CSV_COLUMNS
    assert [r["check"] for r in rows][:10] == [
        "1 okun", "2 beveridge", "3 wage curve", "3 wage curve, city trend", "3 wage curve, no trend", "4 services",
        "4 services, GDP", "4 services, years", "4 food, years", "5 transfers",
    ]
    assert {r["result"] for r in rows} <= {"pass", "fail", "n/a"}
    data = json.loads((out / "diagnose.json").read_text(encoding="utf-8"))
    # the tiny city's mines stay open through 2004: the shock year moves to the run's second year
    # (at most the last mine year less 10), with a note saying why
    assert data["shock_year"] == 2001 and data["years"] == [2000, 2004] and len(data["seeds"]) == 2
    assert any(n.startswith("shock year 2001 (not the run's middle, 2002)") for n in data["notes"])
    assert set(data["runs"]) == {"base", "transfer", "mine_closure", "demand", "income"}
    assert all(len(v) == 2 for v in data["runs"].values())
    assert (out / "diagnose.png").read_bytes()[:8] == PNG_MAGIC
    table = result.stdout.split(" passed, ")[0]  # the table (then the counts and the files written)
    assert "1 okun" in table and "5 transfers" in table
    assert max(len(line) for line in table.splitlines()) <= 80


def test_a_failed_run_is_not_used_but_made_again(diagnosed) -> None:
    """A run marked failed is never reused: the next diagnosis makes that run again and uses the
    new one (the failed directory is kept for inspection)."""
    from typer.testing import CliRunner

    from simulator.cli.main import app

    result, out, args = diagnosed
    failed_dir = Path(json.loads((out / "diagnose.json").read_text(encoding="utf-8"))["runs"]["transfer"][1])
    manifest = failed_dir / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data.update(status="failed", failure="accounting check failed: stock-flow")
    manifest.write_text(json.dumps(data), encoding="utf-8")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    runs = json.loads((out / "diagnose.json").read_text(encoding="utf-8"))["runs"]["transfer"]
    assert str(failed_dir) not in runs and failed_dir.is_dir()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--years", "2004:2001"], "after the last"),
        (["--years", "1990:1995"], "covers 2000-2002"),
        (["--shock-year", "1999"], "--shock-year"),
        (["--set", "labour.quit_rate_per_mont=0.1"], "did you mean"),
    ],
)
def test_bad_input_exits_2_before_any_run(tiny_path, tmp_path, extra, message) -> None:
    from typer.testing import CliRunner

    from simulator.cli.main import app

    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["diagnose", str(tiny_path), "--out", str(tmp_path), *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()


def test_a_missing_scenario_file_exits_2(tmp_path) -> None:
    from typer.testing import CliRunner

    from simulator.cli.main import app

    result = CliRunner().invoke(app, ["diagnose", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "no such scenario file" in result.output


def test_demand_responses_by_hand() -> None:
    """A demand shock that raises GDP by 2% a year for three years and lowers unemployment by 0.1
    points: Okun -0.1/2 = -0.05; wages +1% against log u; vacancies +0.05 points."""
    u = np.full(len(YEARS), 0.10)
    base = table(u)
    shocked_u = u.copy()
    shocked_u[10:13] = 0.099
    gdp = np.full(len(YEARS), 1e9)
    gdp[10:13] *= math.exp(0.02)
    wage = np.full(len(YEARS), 15_000.0)
    wage[10:13] *= math.exp(0.01)
    vac = np.full(len(YEARS), 1000.0)
    vac[10:13] = 1000.0 + 0.0005 * LABOUR
    variant = table(shocked_u, gdp=gdp, wage=wage, vacancies=vac)
    r = dg.demand_response(base, variant, 2010)
    assert r["okun"] == pytest.approx(3 * -0.001 / (3 * 0.02))
    assert r["wage"] == pytest.approx(3 * 0.01 / (3 * math.log(0.099 / 0.10)))
    assert r["beveridge"] == pytest.approx(3 * 0.0005 / (3 * -0.001))
    # a run that does not reach the years: no estimate
    assert math.isnan(dg.demand_response(base, variant, 2019)["okun"])
    # nothing moved: no Okun ratio
    assert math.isnan(dg.demand_response(base, base, 2010)["okun"])


def test_the_demand_variant_leaves_coal_and_farms_alone(load_tiny) -> None:
    sc = load_tiny()
    keys = {o.split("=", 1)[0] for o in dg.demand_overrides(sc, 2001)}
    assert "sectors.manufacturing.external_demand_index" in keys
    assert "sectors.coal_mining.external_demand_index" not in keys
    assert "sectors.agriculture.external_demand_index" not in keys  # land-bound: the land sets farm jobs
    import yaml

    value = yaml.safe_load(next(o for o in dg.demand_overrides(sc, 2001) if o.startswith("sectors.manufacturing.")).split("=", 1)[1])
    index = sc.sectors["manufacturing"].external_demand_index
    assert series_at(value, 2000) == pytest.approx(series_at(index, 2000))  # unchanged before the shock
    for year in (2001, 2010, 2030):
        assert series_at(value, year) == pytest.approx((1.0 + dg.DEMAND_RISE) * series_at(index, year))


def test_default_shock_year_leaves_time_before_the_mines_close() -> None:
    assert dg.default_shock_year(2000, 2035) == 2017  # no mine information: the middle of the run
    assert dg.default_shock_year(2000, 2035, None) == 2017
    assert dg.default_shock_year(2000, 2035, 2020.0) == 2010  # mines close by 2020: ten years before
    assert dg.default_shock_year(2000, 2035, 2035.0) == 2017  # mines open to the end: the middle
    assert dg.default_shock_year(2000, 2035, 2004.0) == 2001  # never before the run's second year
    runs = [table(np.full(5, 0.1), years=np.arange(2000, 2005), mines_open=np.array(m, float))
            for m in ([3, 2, 1, 0, 0], [3, 3, 3, 1, 0], [0, 0, 0, 0, 0])]
    assert dg.last_mine_year(runs) == 2002.5  # median of 2002 and 2003; the run without mines left out
    assert dg.last_mine_year(runs[2:]) is None


def test_the_paired_wage_curve_reads_the_models_elasticity(load_tiny, run_columns, monkeypatch) -> None:
    """Estimator recovery on the model itself (the tiny city, seeds 1-7, outside demand doubled
    from 2002 to move unemployment clearly): with the model's wage-curve elasticity at 0 check 3's
    pooled estimate is near 0; at -0.3 it is clearly negative, and lower than at 0 in most seeds
    (a seed whose unemployment hardly moves gives a wild ratio of its own: the check pools the
    seeds for that reason), so the check reads the mechanism rather than something else that
    moves wages and unemployment together."""
    monkeypatch.setattr(dg, "DEMAND_RISE", 1.0)
    shock = 2002
    sums = {}
    for beta in (0.0, -0.3):
        sc = load_tiny(f"labour.wage_curve_elasticity={beta}", "run.end_year=2012")
        overrides = [f"labour.wage_curve_elasticity={beta}", "run.end_year=2012", *dg.demand_overrides(sc, shock)]
        sums[beta] = [
            dg.wage_curve_paired_sums(
                pd.DataFrame(run_columns(load_tiny(f"labour.wage_curve_elasticity={beta}", "run.end_year=2012", seed=seed))),
                pd.DataFrame(run_columns(load_tiny(*overrides, seed=seed))),
                shock,
            )
            for seed in range(1, 8)
        ]
    pooled = {beta: dg.wage_curve_pooled(s)[0] for beta, s in sums.items()}
    assert abs(pooled[0.0]) < 0.1
    assert pooled[-0.3] < -0.15
    per_seed = {beta: np.array([dg.ratio_or_nan(w, u) for u, w in s]) for beta, s in sums.items()}
    # paired by seed, among the seeds whose unemployment clearly moved in both runs (at least half
    # the median move: the others give wild ratios of their own), lower in every one
    moved = {beta: np.abs([u for u, _ in s]) for beta, s in sums.items()}
    clear = (moved[0.0] >= 0.5 * np.median(moved[0.0])) & (moved[-0.3] >= 0.5 * np.median(moved[-0.3]))
    assert clear.sum() >= 3
    assert (per_seed[-0.3][clear] < per_seed[0.0][clear]).all(), (per_seed, moved)


def test_food_elasticity_by_hand() -> None:
    """Food spending growing with elasticity 0.6 to consumption per resident: the food share is
    ``0.3 x c^-0.4``; the implied elasticity from the share's slope on log c, ``1 + slope / mean
    share``, is 0.6 to first order (the share moves little over the range), and 1 when the share
    stays put."""
    n = len(YEARS)
    pop = np.full(n, 100_000.0)
    c = np.exp(np.linspace(0.0, 0.3, n))
    cons = 1e9 * c
    food = 0.3 * c ** (0.6 - 1.0) * cons
    t = table(np.full(n, 0.1), population=pop, household_consumption=cons, household_consumption_food=food)
    assert dg.food_elasticity_years(t) == pytest.approx(0.6, abs=0.01)
    assert dg.food_elasticity_years(t.assign(household_consumption_food=0.3 * cons)) == pytest.approx(1.0)
    assert math.isnan(dg.food_elasticity_years(t.drop(columns="household_consumption_food")))
    assert math.isnan(dg.food_elasticity_years(t, (2000, 2001)))  # fewer than three years
    gap = t.copy()
    gap.loc[3, "household_consumption_food"] = np.nan  # a missing year is left out
    assert dg.food_elasticity_years(gap) == pytest.approx(0.6, abs=0.01)


def test_income_responses_by_hand() -> None:
    """Consumption per resident up 10 log points for ten years with the services share of it up 0.6
    points: 0.006 / 0.1 = 0.06 a log point; the services share of GDP up 1 point (while GDP per
    person moves 5 log points): 0.01 / 0.1 = 0.1 a log point of consumption per resident."""
    n = len(YEARS)
    pop = np.full(n, 100_000.0)
    cons = np.full(n, 1e9)
    later = YEARS >= 2010
    base = table(np.full(n, 0.1), population=pop, household_consumption=cons, household_consumption_services=0.4 * cons)
    v_cons = np.where(later, cons * math.exp(0.1), cons)
    v_gdp = np.where(later, 1e9 * math.exp(0.05), 1e9)
    variant = table(np.full(n, 0.1), gdp=v_gdp, services=np.where(later, 0.41, 0.4), population=pop,
                    household_consumption=v_cons, household_consumption_services=np.where(later, 0.406, 0.4) * v_cons)
    r = dg.income_response(base, variant, 2010)
    assert r["consumption"] == pytest.approx(0.06)
    assert r["gdp"] == pytest.approx(0.01 / 0.1)
    # only the years from the shock year count, and only those both runs reach
    assert dg.income_response(base, variant, 2018)["consumption"] == pytest.approx(0.06)
    assert math.isnan(dg.income_response(base, variant, 2030)["consumption"])
    assert math.isnan(dg.income_response(base, base, 2010)["consumption"])  # nothing moved
    # the variant's amount: a tenth of consumption per resident a month in the year given
    assert dg.income_amount([base, variant], 2005) == pytest.approx(dg.INCOME_RISE * 1e9 / 100_000 / 12)
    assert dg.income_amount([base], 2040) == 0.0


def test_the_income_variant_adds_to_the_outside_income_from_the_year(load_tiny) -> None:
    sc = load_tiny(f"{dg.INCOME_KEY}={{2000: 5.0, 2010: 15.0}}")
    import yaml

    value = yaml.safe_load(dg.income_overrides(sc, 2003, 40.0)[0].split("=", 1)[1])
    for year in range(1998, 2020):
        expected = series_at({2000: 5.0, 2010: 15.0}, year) + (40.0 if year >= 2003 else 0.0)
        assert series_at(value, year) == pytest.approx(expected), year


def test_engel_benchmark_of_the_scenario(load_tiny) -> None:
    sc = load_tiny()
    b = {s: c.local_consumption_share for s, c in sc.sectors.items()}
    eta = {s: c.consumption_income_elasticity for s, c in sc.sectors.items()}
    mean = sum(b[s] * eta[s] for s in b) / sum(b.values())
    expected = (1 - sc.households.import_leakage_share) * b["services"] * (eta["services"] - mean)
    assert dg.engel_benchmark(sc) == pytest.approx(expected) and expected > 0
    flat = load_tiny("sectors.services.consumption_income_elasticity=1.0", "sectors.agriculture.consumption_income_elasticity=1.0")
    assert dg.engel_benchmark(flat) == pytest.approx(0.0, abs=1e-12)


def test_check_4_reads_the_models_engel_and_baumol_terms(load_tiny, run_columns) -> None:
    """Estimator recovery on the model itself (the tiny city, seeds 1-4, 2000-2004, outside income
    from 2001): with homothetic demand (every income elasticity 1) and yuan shares that ignore
    prices (substitution elasticity 1) the services share of household consumption does not move
    and check 4 fails; with the scenario's Engel elasticities and no price term it reads about
    the benchmark of Engel's law alone; with complements (0.5) a dearer service takes more of the
    yuan spent, so it reads more (Baumol). The services share of GDP rises in all three (the extra
    spending goes to the city's services; its exports stay), and not when the households import
    99% of what they buy."""
    shock, last = 2001, "run.end_year=2004"
    cases = {
        "homothetic": ("sectors.services.consumption_income_elasticity=1.0",
                       "sectors.agriculture.consumption_income_elasticity=1.0",
                       "households.consumption_substitution_elasticity=1.0"),
        "engel": ("households.consumption_substitution_elasticity=1.0",),
        "engel and baumol": ("households.consumption_substitution_elasticity=0.5",),
        "homothetic, imported": ("sectors.services.consumption_income_elasticity=1.0",
                                 "sectors.agriculture.consumption_income_elasticity=1.0",
                                 "households.consumption_substitution_elasticity=1.0",
                                 "households.import_leakage_share=0.99"),
    }
    found, gdp = {}, {}
    for name, sets in cases.items():
        sc = load_tiny(*sets, last)
        base = [pd.DataFrame(run_columns(load_tiny(*sets, last, seed=s))) for s in range(1, 5)]
        amount = dg.income_amount(base, shock - 1)
        assert amount > 0
        income = [pd.DataFrame(run_columns(load_tiny(*sets, last, *dg.income_overrides(sc, shock, amount), seed=s)))
                  for s in range(1, 5)]
        assert all((t.loc[t["year"] >= shock, "outside_household_income"] > 0).all() for t in income)
        checks = {c.check: c for c in dg.income_checks(base, income, shock, dg.engel_benchmark(sc))}
        found[name] = (checks["4 services"], dg.engel_benchmark(sc))
        gdp[name] = checks["4 services, GDP"]
    flat, _ = found["homothetic"]
    assert abs(flat.estimate) < 1e-3 and flat.result == "fail"
    engel, bench = found["engel"]
    assert engel.result == "pass" and engel.estimate == pytest.approx(bench, rel=0.25)
    both, _ = found["engel and baumol"]
    assert both.result == "pass" and both.estimate > engel.estimate
    # the services share of GDP: mostly composition (an income spent in the city goes to its local
    # services, while its exports stay), so it rises even with homothetic demand, and it does not
    # when the households buy (nearly) everything from outside the city
    assert all(gdp[k].result == "pass" for k in ("homothetic", "engel", "engel and baumol")), gdp
    assert gdp["homothetic, imported"].result == "fail", gdp
    assert abs(gdp["homothetic, imported"].estimate) < 0.5 * gdp["homothetic"].estimate, gdp
