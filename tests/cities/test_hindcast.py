"""The hindcast's library: naive forecasts, the table, the run plan, failures and determinism.

Runs here are short (to 2011 or 2012) and coarse (``SCALE`` persons per agent: a few hundred
agents per city), so that each takes a fraction of a second.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from simulator.cities.hindcast import (
    CSV_COLUMNS,
    CityFacts,
    HindcastError,
    RunTask,
    csv_text,
    hindcast_rows,
    load_panel,
    markdown_table,
    naive_population,
    plan_runs,
    run_panel,
)
from simulator.experiment.seeds import derive_seeds

REPO = Path(__file__).resolve().parents[2]
CITIES = REPO / "scenarios" / "cities"
SCALE = 4000


def facts(city: str, p2010: float, p2000: float | None, **kw) -> CityFacts:
    base = dict(
        name_zh="", province="", share_aged_60_plus_2010=0.15, urban_share_2010=0.6,
        hukou_registered_2010=p2010, mining_share_of_employed_2010=0.1,
    )
    base.update(kw)
    return CityFacts(city=city, population_2010=p2010, population_2000=p2000, **base)


def write_panel(tmp_path: Path, cities: dict[str, str], extra: str = "") -> Path:
    lines = ["name: test_panel", extra, "cities:"] + [f"  {c}: {CITIES / f}" for c, f in cities.items()]
    path = tmp_path / "panel.yaml"
    path.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------ naive forecasts, by hand


def test_persistence_is_the_census_and_the_trends_carry_the_decade_on() -> None:
    # 1000 in 2000, 900 in 2010: -100 persons and x0.9 a decade
    f = facts("a", 900.0, 1000.0)
    n = naive_population(f, 2010, 2020)
    assert n["persistence"] == 900.0
    assert n["linear_trend"] == pytest.approx(800.0)
    assert n["compound_trend"] == pytest.approx(810.0)
    # half a decade: half the change, the square root of the factor
    n = naive_population(f, 2010, 2015)
    assert n["linear_trend"] == pytest.approx(850.0)
    assert n["compound_trend"] == pytest.approx(900.0 * 0.9**0.5)


def test_no_2000_population_gives_persistence_only() -> None:
    n = naive_population(facts("a", 900.0, None), 2010, 2020)
    assert n == {"persistence": 900.0, "linear_trend": None, "compound_trend": None}


def test_the_hukou_gap_is_residents_less_registered_over_residents() -> None:
    assert facts("a", 800.0, None, hukou_registered_2010=1000.0).hukou_gap_share_2010 == pytest.approx(-0.25)


# ------------------------------------------------------------ the table, a pure function


def test_the_table_takes_median_and_quantiles_of_each_city_in_the_facts_order() -> None:
    tiny = [facts("b", 1000.0, 1100.0), facts("a", 500.0, None)]
    runs = [("a", {"population": p, "share_aged_60_plus": s}) for p, s in ((400, 0.2), (600, 0.4), (500, 0.3))]
    runs += [("b", {"population": p, "share_aged_60_plus": 0.1}) for p in range(900, 1001, 10)]  # 900, 910, ..., 1000
    rows = hindcast_rows(tiny, runs, 2020)
    assert [r.facts.city for r in rows] == ["b", "a"]
    b, a = rows
    assert b.population.n == 11 and a.population.n == 3
    assert b.population.median == pytest.approx(950.0)
    assert (b.population.low, b.population.high) == (pytest.approx(905.0), pytest.approx(995.0))  # linear between order statistics
    assert b.population_change.median == pytest.approx(-0.05)
    assert a.population.median == 500.0 and (a.population.low, a.population.high) == (pytest.approx(410.0), pytest.approx(590.0))
    assert a.share_aged_60_plus.median == pytest.approx(0.3)
    assert a.naive["linear_trend"] is None and b.naive["linear_trend"] == pytest.approx(900.0)

    table = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert list(table[0]) == list(CSV_COLUMNS)
    assert table[1]["city"] == "a" and table[1]["population_linear_trend"] == ""  # no trend: an empty cell
    assert float(table[0]["population_compound_trend"]) == pytest.approx(1000.0 * 1000.0 / 1100.0)
    assert float(table[1]["urban_share_persistence"]) == pytest.approx(0.6)
    md = markdown_table(rows, 2010, 2020).splitlines()
    assert len(md) == 4 and md[2].startswith("| B ") and "0.9 [0.9, 1.0]" in md[2]  # thousands
    assert "| – |" in md[3]  # no trend for a


def test_a_city_without_runs_is_an_error() -> None:
    with pytest.raises(ValueError, match="no run of 'b'"):
        hindcast_rows([facts("a", 1.0, None), facts("b", 1.0, None)], [("a", {"population": 1.0, "share_aged_60_plus": 0.1})], 2020)


# ------------------------------------------------------------ the panel and the plan


def test_the_shipped_panel_lists_the_26_baselines_from_their_census() -> None:
    panel = load_panel(REPO / "calibration" / "panel.yaml", to_year=2020)
    assert len(panel.cities) == 26 and len({pc.city for pc in panel.cities}) == 26
    for pc in panel.cities:
        assert pc.scenario.run.start_year == 2010 and pc.scenario.run.end_year == 2020
        assert pc.scenario.counterfactual is None
        assert pc.scenario.population.persons == pytest.approx(pc.facts.population_2010, rel=1e-9)
    by_city = {pc.city: pc for pc in panel.cities}
    assert by_city["fuxin"].scenario_file.name == "fuxin_2010_baseline.yaml"
    # the 2000 census table has 9 of the panel's cities (the 11 of its summary table less Huaibei and Shizuishan)
    with_2000 = {pc.city for pc in panel.cities if pc.facts.population_2000 is not None}
    assert with_2000 == {"fuxin", "fushun", "jixi", "hegang", "shuangyashan", "qitaihe", "liaoyuan", "zaozhuang", "pingxiang"}


def test_the_census_facts_agree_with_the_observed_figures_file() -> None:
    """Two routes to the same census figures: the census row read here and the observed-figures file."""
    observed = {r["id"]: float(r["value"]) for r in csv.DictReader(
        line for line in (REPO / "calibration/data/census2010_panel_observed.csv").read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    )}
    panel = load_panel(REPO / "calibration" / "panel.yaml")
    for pc in panel.cities:
        f = pc.facts
        assert f.population_2010 == observed[f"{f.city}_population_2010"]
        assert f.population_2010 - f.hukou_registered_2010 == pytest.approx(observed[f"{f.city}_hukou_gap_2010"])
        assert f.share_aged_60_plus_2010 == pytest.approx(observed[f"{f.city}_share_aged_60_plus_2010"], rel=1e-6)
        mining = observed[f"{f.city}_mining_workers_2010"] / observed[f"{f.city}_employment_census_2010"]
        assert f.mining_share_of_employed_2010 == pytest.approx(mining, rel=1e-6)


def test_the_plan_runs_every_city_draw_and_seed_on_the_same_seeds(tmp_path) -> None:
    panel = load_panel(write_panel(tmp_path, {"hegang": "hegang_baseline.yaml", "wuhai": "wuhai_baseline.yaml"}), to_year=2012, scale=SCALE)
    tasks = plan_runs(panel, 3)
    assert [(t.city, t.seed_index) for t in tasks] == [(c, i) for c in ("hegang", "wuhai") for i in range(3)]
    assert [t.seed for t in tasks[:3]] == derive_seeds(panel.cities[0].scenario.run.seed, 3) == [t.seed for t in tasks[3:]]
    assert {(t.end_year, t.scale, t.overrides) for t in tasks} == {(2012, SCALE, ())}
    # parameter draws (the hook for parameter uncertainty): every draw on the same seeds
    draws = plan_runs(panel, 2, draws=((), ("migration.out_base_rate_per_year=0.001",)))
    assert len(draws) == 2 * 2 * 2
    assert {t.overrides for t in draws if t.draw == 1} == {("migration.out_base_rate_per_year=0.001",)}
    assert [t.seed for t in draws if t.draw == 0] == [t.seed for t in draws if t.draw == 1]
    # a root seed in the spec gives every city the same seeds from it
    panel = load_panel(write_panel(tmp_path, {"hegang": "hegang_baseline.yaml"}, "root_seed: 5"), scale=SCALE)
    assert [t.seed for t in plan_runs(panel, 2)] == derive_seeds(5, 2)


# ------------------------------------------------------------ runs: failures and determinism


def test_a_failed_run_stops_the_hindcast_and_names_the_city(tmp_path) -> None:
    good = RunTask("hegang", 0, 0, 1, str(CITIES / "hegang_baseline.yaml"), 2011, SCALE)
    bad = RunTask("wuhai", 0, 0, 1, str(tmp_path / "missing.yaml"), 2011, SCALE)
    with pytest.raises(HindcastError, match=r"1 of 2 runs failed, nothing written: wuhai \(seed 1, .*missing.yaml\): ScenarioError") as info:
        run_panel([good, bad], workers=1)
    assert not info.value.accounts_broke  # an error, not broken accounts: the command exits 1, not 3


def test_the_same_seeds_give_the_same_results_on_one_worker_and_on_two(tmp_path) -> None:
    panel = load_panel(write_panel(tmp_path, {"shizuishan": "shizuishan_baseline.yaml"}), to_year=2012, scale=SCALE)
    tasks = plan_runs(panel, 3)
    one = run_panel(tasks, workers=1)
    two = run_panel(tasks, workers=2)
    assert [r.task for r in one] == [r.task for r in two] == tasks  # in task order, whatever the order of completion
    assert [r.series for r in one] == [r.series for r in two]
    assert one[0].series["year"] == [2010.0, 2011.0, 2012.0]
    # the seeds differ (in some indicator: at this coarse scale three seeds can end on the same population)
    assert len({repr(sorted(r.series.items())) for r in one}) == len(one)


def test_the_dask_executor_gives_the_same_results_as_local_processes(tmp_path) -> None:
    panel = load_panel(write_panel(tmp_path, {"wuhai": "wuhai_baseline.yaml"}), to_year=2011, scale=SCALE)
    tasks = plan_runs(panel, 2)
    described = []
    dask = run_panel(tasks, executor="dask", workers=1, on_start=lambda n, d: described.append((n, d)))
    assert described == [(2, "dask, local cluster on 127.0.0.1, 1 worker thread")]
    assert [r.series for r in dask] == [r.series for r in run_panel(tasks, workers=1)]


# ------------------------------------------------------------ parameter draws


def write_fit(directory: Path, rows: list[tuple[float, float, float, str, str]], delta: float = 0.01) -> Path:
    """A tiny ``sim calibrate`` result: two 'set' parameters, one multiplier, the candidates'
    values (a, b), objectives, status and accounts."""
    import json

    directory.mkdir(parents=True)
    (directory / "parameters.csv").write_text(
        "name,apply,space,low,high,base_value,fitted,near_optimal_low,near_optimal_high,profile_low,profile_high,profile_open,truth,keys,why\n"
        "a,set,linear,0,1,0.5,0.5,0,1,0,1,,,labour.matching_efficiency_per_month,x\n"
        "b,set,log,0.0001,0.01,0.001,0.001,0,1,0,1,,,migration.out_base_rate_per_year,x\n"
        "m,multiply,log,0.5,2,1,1,0,1,0,1,,,sectors.manufacturing.external_demand_index.2010 sectors.manufacturing.external_demand_index.2015,x\n",
        encoding="utf-8",
    )
    lines = ["index,stage,a,b,m,objective,rms_log_error,status,error,accounting_ok"]
    for i, (a, b, j, status, ok) in enumerate(rows):
        lines.append(f"{i},global,{a},{b},1,{j},0.1,{status},,{ok}")
    (directory / "history.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "manifest.json").write_text(json.dumps({"result": {"noise_delta": delta}}), encoding="utf-8")
    return directory


def no_error(message, suggestion):
    raise AssertionError(f"unexpected error: {message} ({suggestion})")


def test_fit_draws_take_the_near_optimal_finished_candidates_with_sound_accounts(tmp_path) -> None:
    from simulator.cities.hindcast import read_fit_draws

    fit = write_fit(tmp_path / "fit", [
        (0.5, 0.001, 0.100, "done", "True"),    # the best
        (0.6, 0.002, 0.105, "done", "True"),    # within delta 0.01: near-optimal
        (0.6, 0.002, 0.108, "done", "True"),    # the same values again: one candidate
        (0.60000000004, 0.0020000000003, 0.107, "done", "True"),  # the same written with more digits: one candidate
        (0.7, 0.003, 0.111, "done", "True"),    # beyond delta
        (0.8, 0.004, 0.090, "failed", "True"),  # failed: never drawn, even with a low objective
        (0.9, 0.005, 0.095, "done", "False"),   # broke its accounts: never drawn
    ])
    draws = read_fit_draws(fit, ["a", "b"], no_error)
    assert draws.keys == {"a": "labour.matching_efficiency_per_month", "b": "migration.out_base_rate_per_year"}
    assert sorted(map(tuple, draws.candidates.tolist())) == [(0.5, 0.001), (0.6, 0.002)]
    two = draws.draws(2, root_seed=7)
    assert sorted(two) == [
        ("labour.matching_efficiency_per_month=0.5", "migration.out_base_rate_per_year=0.001"),
        ("labour.matching_efficiency_per_month=0.6", "migration.out_base_rate_per_year=0.002"),
    ]  # without replacement
    assert draws.draws(1, root_seed=7) == draws.draws(1, root_seed=7)  # deterministic
    with pytest.raises(ValueError, match="has 2 near-optimal candidates .*ask for at most 2"):
        draws.draws(3, root_seed=7)


def test_fit_draws_name_an_unknown_parameter_a_multiplier_and_a_directory_that_is_no_fit(tmp_path) -> None:
    from simulator.cities.hindcast import read_fit_draws

    fit = write_fit(tmp_path / "fit", [(0.5, 0.001, 0.1, "done", "True")])
    said = []

    def where(message, suggestion):
        said.append((message, suggestion))
        return ValueError(message)

    with pytest.raises(ValueError):
        read_fit_draws(fit, ["aa"], where)
    with pytest.raises(ValueError):
        read_fit_draws(fit, ["m"], where)
    with pytest.raises(ValueError):
        read_fit_draws(tmp_path, ["a"], where)
    (fit / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError):
        read_fit_draws(fit, ["a"], where)
    assert said[0][0].startswith("unknown parameter 'aa'") and said[0][1] == "a"
    assert "a file of the fit cannot be read (JSONDecodeError" in said[3][0]
    assert "multiplier of several values" in said[1][0]
    assert "is not a sim calibrate result: no parameters.csv, history.csv, manifest.json" in said[2][0]


def test_a_draw_sets_only_the_values_a_city_file_takes_unchanged_from_the_fit(tmp_path) -> None:
    """`from Fuxin: fitted: x` is drawn; a value transformed from the fit's (`there: fitted: x`) or
    the city's own is kept, in the run plan too."""
    from simulator.cities.hindcast import fitted_keys, read_fit_draws

    fit = read_fit_draws(write_fit(tmp_path / "fit", [(0.5, 0.001, 0.1, "done", "True"), (0.6, 0.002, 0.1, "done", "True")]), ["a", "b"], no_error)
    city = tmp_path / "city.yaml"
    city.write_text(
        "labour:\n  matching_efficiency_per_month: 0.5   # from Fuxin: fitted: a\n"
        "migration:\n  out_base_rate_per_year: 0.003   # from Fuxin, its 2000 level carried (there: fitted: b)\n",
        encoding="utf-8",
    )
    assert fitted_keys(city, fit) == {"labour.matching_efficiency_per_month"}
    panel = load_panel(write_panel(tmp_path, {"hegang": "hegang_baseline.yaml", "fuxin": "fuxin_2010_baseline.yaml"}), to_year=2011, scale=SCALE)
    panel.cities[0].drawn_keys = frozenset({"labour.matching_efficiency_per_month"})
    panel.cities[1].drawn_keys = frozenset()
    tasks = plan_runs(panel, 1, fit.draws(2, root_seed=1))
    assert {t.overrides for t in tasks if t.city == "fuxin"} == {()}
    hegang = sorted(t.overrides for t in tasks if t.city == "hegang")
    assert hegang == [("labour.matching_efficiency_per_month=0.5",), ("labour.matching_efficiency_per_month=0.6",)]


def test_the_shipped_panel_draws_the_fitted_rates_each_city_file_copies() -> None:
    """Every city copies Fuxin's fitted rates, except Liaoyuan's households' leaving rate, which
    sim new-city raised for the city's steeper loss: that one is never drawn there."""
    panel = load_panel(REPO / "calibration" / "panel.yaml", to_year=2011, scale=SCALE)
    # the near-optimal set of the shipped fit (search and profiles) holds one set of these six values:
    # its other near-optimal candidates differ only in parameters not drawn, or in digits
    assert panel.fit is not None and len(panel.fit.candidates) == 1
    every = frozenset(panel.fit.keys.values())
    out_rate = "migration.out_base_rate_per_year"
    for pc in panel.cities:
        assert pc.drawn_keys == (every - {out_rate} if pc.city == "liaoyuan" else every), pc.city
