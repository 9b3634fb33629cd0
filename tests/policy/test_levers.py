"""Policy levers: each moves what it should against the baseline (same seed), and nothing when off."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulator.model.sectors import NEW
from simulator.policy.base import Lever
from simulator.policy.document import clauses
from simulator.policy.registry import LEVERS, lever_by_name
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import dump_resolved, load_scenario
from simulator.scenario.schema import LeverBase, LeversCfg

T = "levers.resource_city_transfer"
F = "levers.new_industry_fund"
S = "levers.shantytown_renovation"

# The document has 26 numbered clauses; each begins with its title, e.g.
# "(二十二)促进资源型城市可持续发展。".
N_CLAUSES = 26


def clause_title(number: int) -> str:
    match = re.match(r"\([^)]+\)([^。]+)。", clauses()[number])
    assert match, number
    return match.group(1)


CJK = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------- registry


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.name)
def test_every_lever_names_its_clause_and_has_a_scenario_block(lever: Lever) -> None:
    assert lever.clauses and all(isinstance(c, int) and 1 <= c <= N_CLAUSES for c in lever.clauses)
    assert CJK.search(lever.title_zh)
    assert any(clause_title(c) in lever.title_zh for c in lever.clauses), lever.title_zh
    assert lever.summary and lever.mechanism and callable(lever.apply)
    field = LeversCfg.model_fields[lever.name]
    assert issubclass(field.annotation, LeverBase)
    assert field.annotation().enabled is False  # a lever is off unless a scenario turns it on
    assert lever_by_name(lever.name) is lever


def test_levers_and_scenario_blocks_match_one_to_one() -> None:
    names = [lv.name for lv in LEVERS]
    assert len(names) == len(set(names))
    assert set(names) == set(LeversCfg.model_fields)
    with pytest.raises(KeyError):
        lever_by_name("nope")


# ------------------------------------------------------------- effects of levers


def test_transfer_lever_raises_transfers_received(load_tiny, run_columns) -> None:
    base_sc = load_tiny()
    assert not base_sc.levers.resource_city_transfer.active(2000)  # starts in 2008 in the baseline
    base = run_columns(base_sc)
    lever = run_columns(load_tiny(f"{T}.start_year=2000", f"{T}.yuan_per_year={{2000: 1.0e6}}"))
    np.testing.assert_allclose(lever["resource_city_transfer"], 1.0e6)
    assert np.all(base["resource_city_transfer"] == 0.0)
    assert np.all(lever["transfers_received"] - base["transfers_received"] > 0.9e6)
    # the social-security earmark fills the fund's reserve: less central subsidy to its deficit
    assert np.all(lever["ssf_central_subsidy"] < base["ssf_central_subsidy"])


def test_shantytown_lever_rehouses_households_and_drives_construction(
    load_tiny, run_columns
) -> None:
    # without outside-financed investment, which keeps the city's construction firms at capacity (the
    # lever's works would then be built by outside contractors: more imports, no more local output)
    no_outside = "world.outside_financed_share_of_fixed_investment=0"
    base = run_columns(load_tiny(f"{S}.enabled=false", no_outside))
    sc = load_tiny(f"{S}.start_year=2000", f"{S}.households_per_year={{2000: 60}}", no_outside)
    lever = run_columns(sc)
    cost = sc.levers.shantytown_renovation.cost_yuan_per_household
    np.testing.assert_array_equal(lever["shantytown_rehoused_in_year"], 60.0)
    np.testing.assert_allclose(lever["shantytown_spending"], 60.0 * cost)
    assert np.all(base["shantytown_rehoused_in_year"] == 0) and np.all(
        base["rehoused_households"] == 0
    )
    assert np.all(lever["shantytown_households"] < base["shantytown_households"] - 40)
    assert np.all(lever["rehoused_households"] > 40)
    assert np.all(np.diff(lever["rehoused_households"]) > 0)
    assert np.all(lever["gdp_construction"] > base["gdp_construction"])
    assert lever["employment_construction"][-1] > base["employment_construction"][-1]
    assert np.all(lever["city_debt"] > base["city_debt"])  # bank loans for the works


@pytest.mark.parametrize("city_share", [0, 1])
def test_new_industry_fund_raises_entry_and_investment_in_its_target_sector(
    load_tiny, build_model, city_share
) -> None:
    # the tiny city runs three years: entrants start at once so that there are enough to compare
    common = ("sectors.new_industry.entry_rate_per_firm_per_month=0.1", "firms.entry_delay_months=0")
    fund = (
        f"{F}.enabled=true",
        f"{F}.start_year=2000",
        # 4e7 yuan a year, enough to co-finance a few entrants a year, from the centre alone or a
        # quarter of it from the city
        f"{F}.city_yuan_per_year={{2000: {1.0e7 * city_share}}}",
        f"{F}.central_yuan_per_year={{2000: {4.0e7 - 1.0e7 * city_share}}}",
        f"{F}.co_finance_share_of_capital=0.5",
        f"{F}.target_sectors=[new_industry]",
    )
    from simulator.experiment.run import indicator_columns

    totals = {"base": np.zeros(4), "fund": np.zeros(4)}
    for seed in range(6):
        for key, ov in (("base", common), ("fund", common + fund)):
            m = build_model(load_tiny(*ov, seed=seed))
            m.run()
            c = indicator_columns(m)
            f = m.firms
            new = f.sector[: f.n] == NEW
            totals[key] += (
                float(new.sum()),
                float(c["gdp_new_industry"].sum()),
                float(c["employment_new_industry"].sum()),
                float(c["firm_entrants"].sum()),
            )
            if key == "fund":
                assert np.all(c["fund_co_finance"] > 0)
            else:
                assert np.all(c["fund_co_finance"] == 0)
    # more firm rows and more output in the target sector; with central money, more entrants too.
    # Jobs need not follow: firms staff for their capital's share of the sector's demand, and the
    # fund adds capital, not demand, so co-financed entrants share the jobs of the sector with the
    # incumbents (on the keyed draws, 24 seeds of this tiny city: rows +27%, output +1.7%, entrants
    # +17%, jobs -1.1%). The city's own contribution has an opportunity cost (money set aside for
    # the fund is not spent down as other spending, so local demand is lower): its entrants may be
    # fewer.
    rows, output, _employment, entrants = totals["fund"] > totals["base"]
    assert rows and output, totals
    if city_share == 0:
        assert entrants, totals


def test_a_fund_too_small_to_pay_does_not_raise_entry(load_tiny, build_model) -> None:
    # the tiny city runs three years: entrants start at once so that there are enough to compare
    common = ("sectors.new_industry.entry_rate_per_firm_per_month=0.1", "firms.entry_delay_months=0")
    tiny_fund = (
        f"{F}.enabled=true",
        f"{F}.start_year=2000",
        f"{F}.city_yuan_per_year={{2000: 12}}",  # one yuan a month
        f"{F}.co_finance_share_of_capital=0.8",
    )
    rows = {"base": 0, "fund": 0}
    for seed in range(3):
        for key, ov in (("base", common), ("fund", common + tiny_fund)):
            m = build_model(load_tiny(*ov, seed=seed))
            m.run()
            rows[key] += int((m.firms.sector[: m.firms.n] == NEW).sum())
    assert rows["fund"] <= 1.5 * rows["base"], rows


def test_full_co_finance_is_rejected_and_nearly_full_runs(load_tiny, build_model) -> None:
    with pytest.raises(ScenarioError, match="co_finance_share_of_capital"):
        load_tiny(f"{F}.enabled=true", f"{F}.co_finance_share_of_capital=1.0")
    m = build_model(
        load_tiny(
            f"{F}.enabled=true",
            f"{F}.start_year=2000",
            f"{F}.central_yuan_per_year={{2000: 1.0e6}}",
            f"{F}.co_finance_share_of_capital=0.99",
        )
    )
    for _ in range(3):
        m.step()


# ---------------------------------------------------------------- off = no effect


def _without_levers_block(scenario, tmp_path: Path) -> Path:
    data = yaml.safe_load(dump_resolved(scenario))
    del data["levers"]
    path = tmp_path / "no_levers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


OFF_VARIANTS = {
    "disabled with sizes set": (
        f"{T}.enabled=false",
        f"{T}.start_year=2000",
        f"{T}.yuan_per_year={{2000: 5.0e6}}",
        f"{F}.enabled=false",
        f"{F}.start_year=2000",
        f"{F}.central_yuan_per_year={{2000: 5.0e6}}",
        f"{F}.co_finance_share_of_capital=0.5",
        f"{S}.enabled=false",
        f"{S}.start_year=2000",
        f"{S}.households_per_year={{2000: 100}}",
    ),
    "enabled after the run": (
        f"{T}.start_year=2010",
        f"{F}.enabled=true",
        f"{F}.start_year=2010",
        f"{F}.central_yuan_per_year={{2000: 5.0e6}}",
        f"{F}.co_finance_share_of_capital=0.5",
        f"{S}.start_year=2010",
    ),
    "ended before the run": (
        f"{T}.start_year=1995",
        f"{T}.end_year=1999",
        f"{S}.start_year=1995",
        f"{S}.end_year=1999",
    ),
}


@pytest.mark.parametrize("variant", list(OFF_VARIANTS))
def test_levers_that_are_off_have_no_effect(variant: str, load_tiny, run_columns, tmp_path) -> None:
    none = load_scenario(_without_levers_block(load_tiny(), tmp_path))
    assert not any(block.enabled for _, block in none.levers)
    ref = run_columns(none)
    got = run_columns(load_tiny(*OFF_VARIANTS[variant]))
    assert ref.keys() == got.keys()
    for k in ref:
        assert np.array_equal(ref[k], got[k]), k
    assert np.all(got["resource_city_transfer"] == 0) and np.all(got["fund_co_finance"] == 0)
    assert np.all(got["shantytown_spending"] == 0)
