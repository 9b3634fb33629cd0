"""Regions inside a city: initial placement, local hiring, internal moves counted once,
regional totals equal to the city's, the regional population identity, region-targeted levers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.experiment.run import indicator_columns
from simulator.model import regions
from simulator.model.accounts import AccountingError
from simulator.model.sectors import AGRI, EMPLOYED, REHOUSED, SUBSIDENCE
from simulator.scenario.loader import load_scenario

TINY_REGIONS = Path(__file__).resolve().parents[1] / "data" / "tiny_regions.yaml"
DISTRICTS = ("haizhou", "xinqiu", "taiping", "qinghemen", "xihe")
COUNTIES = ("fuxin_county", "zhangwu")


def _load(*overrides: str, seed: int | None = None):
    return load_scenario(TINY_REGIONS, overrides=list(overrides), seed=seed)


def _wide(model) -> pd.DataFrame:
    """The regional table as (year, region) x indicator."""
    t = pd.DataFrame(model.recorder.regional.columns())
    return t.pivot_table(index=["year", "region"], columns="indicator", values="value")


# ------------------------------------------------------------------ pure helpers


def test_split_rows_by_largest_remainder() -> None:
    assert regions.split_rows(10, np.array([1.0, 1.0, 2.0])).tolist() == [3, 2, 5]  # ties: the first
    assert regions.split_rows(7, np.array([0.0, 1.0])).tolist() == [0, 7]
    assert regions.split_rows(0, np.array([1.0, 2.0])).tolist() == [0, 0]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(0, 10_000),
    weights=st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=9).filter(lambda w: sum(w) > 0),
)
def test_split_rows_sums_and_stays_within_one_of_proportional(rows: int, weights: list[float]) -> None:
    w = np.array(weights)
    counts = regions.split_rows(rows, w)
    assert counts.sum() == rows
    assert np.all(counts >= 0)
    assert np.all(np.abs(counts - rows * w / w.sum()) < 1.0 + 1e-9)
    assert np.all(counts[w == 0] == 0)


def test_match_local_first_pairs_within_regions_then_within_the_commuting_zone() -> None:
    commuting = np.array([True, True, False])  # regions 0 and 1 are districts, 2 a county
    hires = np.array([0, 0, 1, 2, 2, 0])
    slots = np.array([1, 0, 2, 1, 1, 1])
    hi, si = regions.match_local_first(hires, slots, commuting)
    assert len(hi) == len(si) == len(set(hi)) == len(set(si))
    pairs = list(zip(hires[hi], slots[si], strict=True))
    # region 0: one local slot (the first hire of region 0), region 1: one hire, three slots,
    # region 2: two hires, one slot; the two hires of region 0 left over take region 1's slots
    assert pairs.count((0, 0)) == 1 and pairs.count((1, 1)) == 1 and pairs.count((2, 2)) == 1
    assert pairs.count((0, 1)) == 2
    assert all(h == s or (commuting[h] and commuting[s]) for h, s in pairs)  # no county commuter
    assert len(pairs) == 5  # a county hire without a county slot is not hired
    # order is kept within a region: the first hire of region 0 gets the local slot
    assert hi[np.flatnonzero(slots[si] == 0)[0]] == 0


def test_match_local_first_empty() -> None:
    hi, si = regions.match_local_first(np.array([], np.int16), np.array([0, 1], np.int16), np.array([True, True]))
    assert len(hi) == len(si) == 0


# ------------------------------------------------------------------ initial city


def test_initial_city_follows_the_census_regions(build_model) -> None:
    sc = _load()
    m = build_model(sc)
    table = m.regions
    assert table.names[:2] == ("haizhou", "xinqiu") and table.n == 7
    hh = m.households
    share = np.bincount(hh.region[: hh.n], minlength=7) / hh.n
    assert np.allclose(share, table.population_share, atol=0.05)  # about 1170 household rows
    # counties are rural, districts urban
    rural = m.rural_household[: hh.n]
    county = ~table.urban[hh.region[: hh.n]]
    assert rural[county].mean() > 0.6 and rural[~county].mean() < 0.2
    # farm jobs lie in the counties, mines where the scenario puts them
    f = m.firms
    farm_workers = np.bincount(f.region[: f.n][f.sector[: f.n] == AGRI], weights=m.firms.target[: f.n][f.sector[: f.n] == AGRI], minlength=7)
    assert farm_workers[[table.index(c) for c in COUNTIES]].sum() > 0.8 * farm_workers.sum()
    mines = np.flatnonzero(f.is_mine[: f.n])
    assert [table.names[r] for r in f.region[mines]] == [mine.region for mine in sc.coal.mines]
    # no commuting in the initial city except to mines: every non-mine worker works where they live
    p = m.persons
    emp = np.flatnonzero(p.status[: p.n] == EMPLOYED)
    not_mine = ~f.is_mine[p.employer[emp]]
    assert np.array_equal(f.region[p.employer[emp]][not_mine], regions.of_persons(m, emp)[not_mine])


def test_one_region_city_is_the_city(build_model, tiny_scenario) -> None:
    m = build_model(tiny_scenario)
    assert m.regions.n == 1 and m.regions.names == ("Fuxin",)
    m.run()
    city = pd.DataFrame(m.recorder.rows).set_index("year")
    reg = _wide(m).droplevel("region")
    for a, b in (("population", "population"), ("jobs", "employment_total"), ("gdp_total", "gdp_total"),
                 ("births", "births"), ("out_migrants", "out_migrants")):
        assert np.array_equal(reg[a].to_numpy(), city[b].to_numpy()), a  # to the last digit
    assert (reg["moved_in"] == 0).all() and (reg["moved_out"] == 0).all()


# ------------------------------------------------------------- regional totals


@pytest.mark.parametrize("seed", [1, 2])
def test_regional_totals_equal_the_city_every_year(build_model, seed: int) -> None:
    m = build_model(_load("migration.internal.rural_to_urban_rate_per_year=0.05", "run.end_year=2003", seed=seed))
    m.run()  # strict: the regional population identity is checked every year end
    city = pd.DataFrame(m.recorder.rows).set_index("year")
    tot = _wide(m).groupby("year").sum()
    exact = {
        "population": "population", "births": "births", "deaths": "deaths",
        "in_migrants": "in_migrants", "out_migrants": "out_migrants",
        "employed_residents": "employment_total", "jobs": "employment_total",
        "jobs_coal_mining": "employment_coal_mining", "jobs_agriculture": "employment_agriculture",
        "jobs_services": "employment_services", "unemployed_persons": "unemployed_persons",
        "shantytown_households": "shantytown_households", "rehoused_households": "rehoused_households",
        "subsidence_households": "subsidence_households", "mines_open": "mines_open",
        "working_age_population": "working_age_population",
    }
    for a, b in exact.items():
        assert np.array_equal(tot[a].to_numpy(), city[b].to_numpy()), a
    # money: sums of the same amounts in another order agree to rounding
    assert np.allclose(tot["gdp_total"], city["gdp_total"], rtol=1e-12, atol=0)
    income = city["household_disposable_income_per_capita"] * city["population"]
    assert np.allclose(tot["household_disposable_income"], income, rtol=1e-12, atol=0)
    hh = m.households
    savings = float(hh.savings[: hh.n][hh.present[: hh.n]].sum()) * m.scale
    assert tot["household_savings"].iloc[-1] == pytest.approx(savings, rel=1e-12)
    # weighted means: the city's 60+ share is the regions' population-weighted mean
    w = _wide(m)
    old = (w["share_aged_60_plus"] * w["population"]).groupby("year").sum()
    assert np.allclose(old / tot["population"], city["share_aged_60_plus"], rtol=1e-12)
    # internal moves happened and net to zero over the city
    assert tot["moved_in"].sum() > 0
    assert np.array_equal(tot["moved_in"].to_numpy(), tot["moved_out"].to_numpy())


def test_a_person_who_moves_is_counted_once(build_model) -> None:
    m = build_model(_load("migration.internal.rural_to_urban_rate_per_year=1.0"))
    m.step()  # the labour market has run once: jobs by region exist
    p, hh = m.persons, m.households
    present = np.flatnonzero(p.present[: p.n])
    before = np.bincount(regions.of_persons(m, present), minlength=7)
    region0 = hh.region[: hh.n].copy()
    m.region_flows.clear()
    eligible = hh.present[: hh.n].copy()
    regions.move_households(m, eligible)
    after = np.bincount(regions.of_persons(m, present), minlength=7)
    moved_hh = np.flatnonzero(hh.region[: hh.n] != region0)
    assert len(moved_hh) > 0
    county = np.array([not u for u in m.regions.urban])
    assert np.all(county[region0[moved_hh]]) and np.all(~county[hh.region[moved_hh]])  # county to district
    assert after.sum() == before.sum() == len(present)  # the city's count is unchanged
    members = np.isin(p.household[present], moved_hh).sum() * m.scale
    flows = m.region_flows
    assert flows["moved_out"].sum() == flows["moved_in"].sum() == members
    assert np.array_equal((after - before) * m.scale, flows["moved_in"] - flows["moved_out"])
    # movers who worked in the county they left gave up their jobs (farms stay behind)
    movers = present[np.isin(p.household[present], moved_hh)]
    working = movers[p.status[movers] == EMPLOYED]
    assert not np.any(m.firms.sector[p.employer[working]] == AGRI)
    assert np.all(m.regions.urban[m.firms.region[p.employer[working]]])


def test_regional_identity_check_catches_a_move_that_was_not_counted(build_model) -> None:
    m = build_model(_load())
    for _ in range(11):
        m.step()
    hh = m.households
    county = np.flatnonzero(~m.regions.urban[hh.region[: hh.n]] & hh.present[: hh.n] & (hh.members[: hh.n] > 0))
    hh.region[county[0]] = 0  # moved without being counted
    with pytest.raises(AccountingError, match="regional population identity"):
        m.step()


# ---------------------------------------------------------------- behaviour


def test_hires_take_jobs_in_their_region(build_model) -> None:
    m = build_model(_load("run.end_year=2001"))
    m.run()
    p, f = m.persons, m.firms
    emp = np.flatnonzero(p.present[: p.n] & (p.status[: p.n] == EMPLOYED))
    home = regions.of_persons(m, emp)
    work = f.region[p.employer[emp]]
    county = ~m.regions.urban
    mine = f.is_mine[p.employer[emp]]
    # nobody commutes out of or into a county, except to the mines placed at the start
    crossing = (home != work) & (county[home] | county[work]) & ~mine
    assert crossing.sum() == 0


def test_subsidence_relocation_acts_only_in_its_regions(build_model) -> None:
    lever = "levers.subsidence_relocation"
    on = (f"{lever}.enabled=true", f"{lever}.start_year=2000", f"{lever}.households_per_year={{2000: 30}}",
          f"{lever}.cost_yuan_per_household=50000", f"{lever}.regions=[taiping, qinghemen]",
          "levers.shantytown_renovation.enabled=false", "run.end_year=2001")
    base = build_model(_load(*on[-2:], seed=4))
    pol = build_model(_load(*on, seed=4))
    for m in (base, pol):
        m.run()
    wb, wp = _wide(base).loc[2001], _wide(pol).loc[2001]
    target = ["taiping", "qinghemen"]
    others = [r for r in base.regions.names if r not in target]
    assert (wp.loc[target, "rehoused_households"] > 0).all()
    assert (wp.loc[others, "rehoused_households"] == 0).all()
    assert wp.loc[target, "subsidence_households"].sum() < wb.loc[target, "subsidence_households"].sum()
    hh = pol.households
    moved = hh.present[: hh.n] & (hh.housing[: hh.n] == REHOUSED)
    assert set(np.unique(hh.region[: hh.n][moved])) <= {pol.regions.index(r) for r in target}
    assert np.any(hh.housing[: hh.n] == SUBSIDENCE)


def test_entrants_and_in_migrants_are_placed_by_jobs(build_model) -> None:
    m = build_model(_load())
    m.step()
    f = m.firms
    nf = f.n
    zhangwu, xihe = m.regions.index("zhangwu"), m.regions.index("xihe")
    # all of agriculture's wanted workers in Zhangwu: its entrants go there
    agri = f.sector[:nf] == AGRI
    f.target[:nf][agri] = np.where(f.region[:nf][agri] == zhangwu, 5.0, 0.0)
    assert set(regions.place_entrants(m, AGRI, 40).tolist()) == {zhangwu}
    # all jobs in Xihe: in-migrants settle there
    m.workers = np.where(f.region[:nf] == xihe, 3.0, 0.0)
    assert set(regions.arrival_regions(m, 40).tolist()) == {xihe}
    # a one-region city draws nothing (its other streams are untouched)
    one = build_model(load_scenario(TINY_REGIONS.with_name("tiny.yaml")))
    state = one.streams["regions"].bit_generator.state
    assert regions.place_entrants(one, AGRI, 5).tolist() == [0] * 5
    assert one.streams["regions"].bit_generator.state == state


def test_regional_run_output_is_reproducible(build_model) -> None:
    a = build_model(_load("run.end_year=2001", seed=11))
    b = build_model(_load("run.end_year=2001", seed=11))
    a.run()
    b.run()
    assert a.recorder.regional.rows == b.recorder.regional.rows
    assert indicator_columns(a).keys() == indicator_columns(b).keys()


def test_run_directory_holds_the_regional_table(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from simulator.experiment.run import run_scenario

    res = run_scenario(_load("run.end_year=2001"), out_root=tmp_path, overview=False)
    table = pq.read_table(res.directory / "regions.parquet")
    assert table.column_names == ["region", "year", "indicator", "value"]
    assert b"units" in table.schema.metadata
    df = table.to_pandas()
    pop = df[df.indicator == "population"].groupby("year")["value"].sum()
    assert pop.tolist() == res.indicators["population"].tolist()
    assert [r["name"] for r in res.manifest["regions"]][-2:] == list(COUNTIES)
    assert set(df.region) == set(DISTRICTS) | set(COUNTIES)
