"""The levers added for the whole 2016 package: each moves what it should, in the
direction it should, against the baseline under common random numbers (same
seeds); switched off it reproduces the baseline exactly; its money passes
through the accounts (the models run strict: any stock-flow or population
violation raises).

The tiny city runs 2000-2002; every lever starts in 2000 here.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator.experiment.run import indicator_columns
from simulator.model.city import CityModel
from simulator.model.sectors import EMPLOYED, PUBLIC, UNEMPLOYED
from simulator.policy.registry import LEVERS

SEEDS = (0, 1, 2)

# A setting of every lever's sizes (tiny-city counts are Fuxin's / 600), used to
# check that "enabled: false" with sizes set changes nothing.
SIZES: dict[str, tuple[str, ...]] = {
    "resource_city_transfer": ("yuan_per_year={2000: 1.0e6}",),
    "new_industry_fund": ("city_yuan_per_year={2000: 1.0e7}", "co_finance_share_of_capital=0.5"),
    "shantytown_renovation": ("households_per_year={2000: 60}", "cost_yuan_per_household=50000"),
    "subsidence_relocation": (
        "households_per_year={2000: 12}",
        "cost_yuan_per_household=83000",
        "funding={central: 0.41, province: 0.15, city: 0.10, bank_loans: 0.0, firms: 0.29, households: 0.05}",
        "mining_area_works_yuan_per_year={2000: 1.0e5}",
    ),
    "pensions": (
        "extra_central_share_of_deficit=0.1",
        "extra_indexation_per_year=0.05",
        "collective_retirees_enrolled_per_year={2000: 12}",
        "collective_pension_yuan_per_month=700",
        "enrolment_cost_yuan_per_person=30000",
        "enrolment_central_share=0.5",
    ),
    "reemployment": (
        "training_places_per_year={2000: 120}",
        "cost_yuan_per_trainee=1400",
        "training_central_share=0.5",
        "mismatch_reduction_share=1.0",
        "public_welfare_jobs_max_persons={2000: 30}",
        "welfare_job_wage_yuan_per_month=830",
        "welfare_job_central_share=0.5",
    ),
    "soe_reform": (
        "productivity_gain_share=0.5",
        "phase_in_years=1",
        "hard_budget_loss_months=6",
        "layoff_share_of_excess_per_month=0.25",
        "social_functions_transferred_share=1.0",
    ),
    "private_economy": ("loan_rate_reduction_per_year=0.03", "entry_cost_reduction_share=1.0"),
    "streamlined_approvals": ("entry_cost_reduction_share=1.0", "entry_delay_reduction_share=1.0"),
    "modern_agriculture": (
        "productivity_growth_extra_per_year=0.1",
        "subsidy_yuan_per_worker_per_year={2000: 3000}",
        "subsidy_central_share=0.8",
    ),
    "infrastructure": (
        "investment_yuan_per_year={2000: 2.0e6}",
        "funding={central: 0.5, province: 0.15, city: 0.1, bank_loans: 0.25}",
        "lag_years=0",
        "reference_public_capital_yuan=1.0e7",
        "output_elasticity=0.1",
        "market_access_elasticity=0.2",
    ),
    "innovation_talent": (
        "productivity_growth_extra_per_year=0.1",
        "rd_support_yuan_per_year={2000: 1.0e5}",
        "rd_support_central_share=0.3",
        "talent_allowance_yuan_per_person_month=2000",  # large: its effect must show in the tiny city
        "recruitment_subsidy_yuan_per_household=20000",
    ),
    "ecology_overcapacity": (
        "mine_capacity_cut_share=0.5",
        "capacity_cut_phase_in_years=0.5",
        "resettlement_yuan_per_laid_off_worker=38000",
        "heavy_industry_environmental_cost_share_of_sales=0.05",
        "ecological_transfer_yuan_per_year={2000: 1.0e5}",
    ),
}


def lever_overrides(name: str, enabled: bool = True) -> tuple[str, ...]:
    key = f"levers.{name}"
    return (f"{key}.enabled={str(enabled).lower()}", f"{key}.start_year=2000") + tuple(
        f"{key}.{s}" for s in SIZES[name]
    )


@pytest.fixture(scope="module")
def runs(load_tiny, build_model):
    """Factory with a cache: the models of a list of overrides for each of the seeds."""
    cache: dict[tuple[str, ...], list] = {}

    def get(*overrides: str) -> list:
        if overrides not in cache:
            models = []
            for seed in SEEDS:
                m = build_model(load_tiny(*overrides, seed=seed))
                m.run()
                models.append(m)
            cache[overrides] = models
        return cache[overrides]

    return get


def total(models: list, indicator: str) -> float:
    """An indicator summed over the years and the seeds."""
    return float(sum(indicator_columns(m)[indicator].sum() for m in models))


def last(models: list, indicator: str) -> float:
    """An indicator's final-year value summed over the seeds."""
    return float(sum(indicator_columns(m)[indicator][-1] for m in models))


def test_every_lever_has_sizes_here() -> None:
    assert set(SIZES) == {lv.name for lv in LEVERS}


@pytest.mark.parametrize("name", [lv.name for lv in LEVERS])
def test_a_lever_switched_off_reproduces_the_baseline_exactly(name, load_tiny, run_columns) -> None:
    base = run_columns(load_tiny(f"levers.{name}.enabled=false", seed=7))
    off = run_columns(load_tiny(*lever_overrides(name, enabled=False), seed=7))
    assert base.keys() == off.keys()
    for k in base:
        np.testing.assert_array_equal(off[k], base[k], err_msg=k)


@pytest.mark.parametrize("name", [lv.name for lv in LEVERS])
def test_a_lever_switched_on_changes_the_run_and_keeps_the_accounts(name, load_tiny, build_model) -> None:
    # strict models: a stock-flow or population violation raises
    base = build_model(load_tiny(f"levers.{name}.enabled=false", seed=7))
    base.run()
    on = build_model(load_tiny(*lever_overrides(name), seed=7))
    on.run()
    assert on.accounting_summary()["stock_flow_ok"] and on.accounting_summary()["population_identity_ok"]
    b, o = indicator_columns(base), indicator_columns(on)
    assert any(not np.array_equal(b[k], o[k]) for k in b), "the lever changed nothing"


# ------------------------------------------------------------- directions


def test_subsidence_relocation_moves_households_out_of_subsidence_areas(runs, load_tiny) -> None:
    base = runs("levers.subsidence_relocation.enabled=false")
    lever = runs(*lever_overrides("subsidence_relocation"))
    assert last(lever, "subsidence_households") < last(base, "subsidence_households") - 20
    moved = total(lever, "subsidence_relocated_in_year")
    assert moved > 0 and total(base, "subsidence_relocated_in_year") == 0
    cost = load_tiny(*lever_overrides("subsidence_relocation")).levers.subsidence_relocation.cost_yuan_per_household
    works = 3 * 1.0e5 * len(SEEDS)
    assert total(lever, "subsidence_spending") == pytest.approx(moved * cost)
    assert total(lever, "mining_area_works_spending") == pytest.approx(works)
    assert total(lever, "gdp_construction") > total(base, "gdp_construction")
    assert total(lever, "transfers_received") > total(base, "transfers_received")  # central and provincial shares


def test_pensions_raise_retirees_income_and_the_central_share(runs) -> None:
    base = runs("levers.pensions.enabled=false")
    lever = runs(*lever_overrides("pensions"))
    assert total(lever, "average_pension") > total(base, "average_pension")
    assert total(lever, "pension_spending") > total(base, "pension_spending")
    assert total(lever, "ssf_central_subsidy") > total(base, "ssf_central_subsidy")
    assert total(lever, "collective_retirees_enrolled") > 0 == total(base, "collective_retirees_enrolled")
    assert total(lever, "household_disposable_income_per_capita") > total(base, "household_disposable_income_per_capita")


def _zero_employment_households(model) -> int:
    p, hh = model.persons, model.households
    n = p.n
    pres = p.present[:n]
    earners = np.bincount(p.household[:n], weights=pres & (p.status[:n] == EMPLOYED), minlength=hh.n)
    seekers = np.bincount(p.household[:n], weights=pres & (p.status[:n] == UNEMPLOYED), minlength=hh.n)
    return int(((seekers > 0) & (earners == 0) & hh.present[: hh.n]).sum())


def test_training_raises_reemployment_of_laid_off_heavy_industry_workers(runs) -> None:
    only_training = (
        *lever_overrides("reemployment"),
        "levers.reemployment.public_welfare_jobs_max_persons={2000: 0}",
    )
    base = runs("levers.reemployment.enabled=false")
    lever = runs(*only_training)
    assert total(lever, "trainees") > 0 and total(lever, "training_spending") > 0
    # trained former miners and heavy-industry workers get more of the vacancies (the
    # total of hires is bounded by vacancies: training changes who is hired)
    assert total(lever, "unemployed_former_heavy_industry") < total(base, "unemployed_former_heavy_industry")


def test_public_welfare_jobs_reach_zero_employment_households(runs) -> None:
    only_welfare = (
        *lever_overrides("reemployment"),
        "levers.reemployment.training_places_per_year={2000: 0}",
    )
    base = runs("levers.reemployment.enabled=false")
    lever = runs(*only_welfare)
    assert last(lever, "welfare_jobs") > 0 == last(base, "welfare_jobs")
    assert sum(map(_zero_employment_households, lever)) < sum(map(_zero_employment_households, base))
    assert total(lever, "employment_public_units") > total(base, "employment_public_units")
    for m in lever:
        p, f = m.persons, m.firms
        held = p.present[: p.n] & p.welfare_job[: p.n] & (p.status[: p.n] == EMPLOYED)
        assert held.any()
        np.testing.assert_allclose(p.wage[: p.n][held], 830.0)  # the welfare wage
        # welfare jobs come on top of the public units' staffing norm, not instead of it
        # and not as extra vacancies: ordinary public staff stay within the norm
        units = np.flatnonzero(f.ownership[: f.n] == PUBLIC)
        ordinary = p.present[: p.n] & (p.status[: p.n] == EMPLOYED) & ~p.welfare_job[: p.n]
        staff = np.isin(p.employer[: p.n], units) & ordinary
        assert staff.sum() <= f.target[units].sum() + len(units)


def test_soe_reform_raises_state_productivity_and_moves_social_costs_to_the_city(runs) -> None:
    base = runs("levers.soe_reform.enabled=false")
    lever = runs(*lever_overrides("soe_reform"))
    assert total(lever, "social_functions_paid_by_city") > 0 == total(base, "social_functions_paid_by_city")
    assert total(lever, "city_spending") > total(base, "city_spending")
    assert total(lever, "gdp_coal_dependent_industry") > total(base, "gdp_coal_dependent_industry")
    assert last(lever, "mines_open") <= last(base, "mines_open")  # hard budgets close loss-making mines sooner


def test_private_economy_support_raises_entry(runs) -> None:
    """With an entry barrier of a whole entrant's capital (the rate falls by 1 + the barrier), removing
    it doubles the entry intensity: more entrants over the seeds (a smaller barrier leaves the
    difference within the few entrants' Poisson noise)."""
    barrier = "firms.entry_cost_share_of_capital=1.0"
    base = runs("levers.private_economy.enabled=false", barrier)
    lever = runs(*lever_overrides("private_economy"), barrier)
    assert total(lever, "firm_entrants") > total(base, "firm_entrants")


def test_streamlined_approvals_bring_entrants_in_sooner_and_more_of_them(runs) -> None:
    base = runs("levers.streamlined_approvals.enabled=false")
    delay_only = runs(
        *lever_overrides("streamlined_approvals"), "levers.streamlined_approvals.entry_cost_reduction_share=0"
    )
    lever = runs(*lever_overrides("streamlined_approvals"))
    first_year = lambda ms: float(sum(indicator_columns(m)["firm_entrants"][0] for m in ms))  # noqa: E731
    assert first_year(delay_only) > first_year(base)  # no six-month wait
    assert total(lever, "firm_entrants") > total(delay_only, "firm_entrants")  # lower entry cost


def test_modern_agriculture_raises_farm_output_and_pays_subsidies(runs) -> None:
    base = runs("levers.modern_agriculture.enabled=false")
    lever = runs(*lever_overrides("modern_agriculture"))
    assert total(lever, "gdp_agriculture") > total(base, "gdp_agriculture")
    assert total(lever, "agri_subsidy") > 0 == total(base, "agri_subsidy")
    assert total(lever, "transfers_received") > total(base, "transfers_received")  # central share


def test_infrastructure_builds_capital_that_raises_output(runs) -> None:
    base = runs("levers.infrastructure.enabled=false")
    lever = runs(*lever_overrides("infrastructure"))
    assert total(lever, "infrastructure_spending") == pytest.approx(3 * 2.0e6 * len(SEEDS))
    assert last(lever, "infrastructure_capital") > 0 == last(base, "infrastructure_capital")
    assert total(lever, "gdp_total") > total(base, "gdp_total")
    assert last(lever, "city_debt") > last(base, "city_debt")  # a quarter is borrowed


def test_infrastructure_lag_delays_the_capital(runs) -> None:
    lagged = runs(*lever_overrides("infrastructure"), "levers.infrastructure.lag_years=5")
    assert last(lagged, "infrastructure_capital") == 0  # nothing completed within three years
    assert total(lagged, "infrastructure_spending") > 0


def test_innovation_and_talent_keep_and_draw_skilled_people(runs) -> None:
    base = runs("levers.innovation_talent.enabled=false")
    lever = runs(*lever_overrides("innovation_talent"))
    assert total(lever, "out_migrants_high_skill") < total(base, "out_migrants_high_skill")
    assert total(lever, "talent_households_recruited") > 0
    assert total(lever, "in_migrants") > total(base, "in_migrants")
    assert total(lever, "talent_allowance") > 0 and total(lever, "rd_support") > 0
    assert total(lever, "gdp_manufacturing") > total(base, "gdp_manufacturing")


def test_ecology_and_overcapacity_cut_coal_and_tax_heavy_industry(runs) -> None:
    base = runs("levers.ecology_overcapacity.enabled=false")
    lever = runs(*lever_overrides("ecology_overcapacity"))
    assert total(lever, "coal_output_tonnes") < total(base, "coal_output_tonnes")
    assert total(lever, "environmental_tax") > 0 == total(base, "environmental_tax")
    assert total(lever, "ecological_transfer") == pytest.approx(3 * 1.0e5 * len(SEEDS))
    assert total(lever, "resettlement_payments") > 0  # mines shed workers after the cut
    assert total(lever, "employment_coal_mining") < total(base, "employment_coal_mining")


def test_welfare_jobs_become_ordinary_public_jobs_when_the_lever_ends(runs) -> None:
    ended = runs(*lever_overrides("reemployment"), "levers.reemployment.end_year=2000")
    cols = [indicator_columns(m) for m in ended]
    assert all(c["welfare_jobs"][0] > 0 for c in cols)  # held at the end of 2000
    assert all(c["welfare_jobs"][-1] == 0 for c in cols)  # released after the lever ended


def test_training_lasts_after_the_lever_ends(tiny_model) -> None:
    from simulator.model.labour_market import fit_weights

    prog = tiny_model.programmes
    prog.mismatch_reduction = 0.5
    prog.reset()  # a new month with the lever no longer active
    assert prog.mismatch_reduction == 0.5
    exp, skill = np.array([0, 0]), np.array([2, 2])
    w = fit_weights(tiny_model, exp, skill, trained=np.array([True, False]))
    penalty = tiny_model.scenario.labour.sector_mismatch_penalty
    assert w[0, 1] == pytest.approx(1.0 - 0.5 * penalty) and w[1, 1] == pytest.approx(1.0 - penalty)


def test_levers_draw_from_their_own_streams(load_tiny, build_model) -> None:
    # a lever's draws do not shift the mechanisms' streams: with the talent lever's
    # recruitment on, the baseline in-migration draws are unchanged in the first month
    base = build_model(load_tiny(seed=3))
    lever = build_model(load_tiny(*lever_overrides("innovation_talent"), seed=3))
    assert {lv.name for lv in lever.levers} == {lv.name for lv in LEVERS}
    for m in (base, lever):
        m.step()
    assert base.streams["migration"].random() == lever.streams["migration"].random()
    assert "innovation_talent" in lever.lever_streams  # made on first use, keyed by the name


def test_a_lever_stream_is_keyed_by_name_not_position(load_tiny) -> None:
    """Adding, removing or reordering levers leaves each lever's draws unchanged."""
    from simulator.experiment.run import build_model as build_city

    sc = load_tiny(seed=5)
    a = build_city(sc)
    b = CityModel(sc.model_copy(deep=True), levers=tuple(reversed(LEVERS))[:5])
    for name in ("reemployment", "pensions", "a_lever_added_later"):
        assert a.lever_streams[name].random() == b.lever_streams[name].random()
    assert a.lever_streams["reemployment"].random() != a.lever_streams["pensions"].random()


def test_the_talent_allowance_acts_through_the_income_elasticity(load_tiny, build_model) -> None:
    """No quota: the allowance raises a high-skilled person's income at home by a / w, so their
    leaving is multiplied by (1 + a / w)^-e, and the high-skill part of the base in-migration
    grows by (1 + (a + grant / horizon) / w)^e - 1."""
    from simulator.policy.innovation_talent import apply, high_skill_wage

    T = "levers.innovation_talent"
    sc = load_tiny(f"{T}.enabled=true", f"{T}.start_year=2000", f"{T}.talent_allowance_yuan_per_person_month=500",
                   f"{T}.recruitment_subsidy_yuan_per_household=12000", f"{T}.subsidy_horizon_years=2",
                   "migration.income_elasticity=2.0")
    m = build_model(sc)
    w = high_skill_wage(m)
    assert w > 0
    apply(m)
    prog = m.programmes
    mg = m.scenario.migration
    assert prog.skilled_leaving_factor == pytest.approx((1.0 + 500.0 / w) ** -2.0)
    pull = (1.0 + (500.0 + 12000.0 / 24.0) / w) ** 2.0
    assert prog.talent_households == pytest.approx(mg.in_base_households_per_year / 12.0 * mg.in_skill_shares["high"] * (pull - 1.0))
    # the allowance is worth nothing to decisions when the elasticity is zero
    m0 = build_model(load_tiny(*[f"{T}.enabled=true", f"{T}.start_year=2000",
                                 f"{T}.talent_allowance_yuan_per_person_month=500", "migration.income_elasticity=0"]))
    apply(m0)
    assert m0.programmes.skilled_leaving_factor == 1.0 and m0.programmes.talent_households == 0.0


def test_settling_in_grants_go_to_every_arriving_high_skill_household(load_tiny, build_model) -> None:
    """The grant is paid to arrivals with a high-skill adult, those who would have come anyway
    included (deadweight), and to no other household (a high-skill child does not count)."""
    from simulator.model.migration import add_in_migrants, pay_settling_in_grants
    from simulator.model.sectors import SKILL_NAMES

    m = build_model(load_tiny())
    m.programmes.recruitment_subsidy = 1000.0
    h_idx = add_in_migrants(m, 60, np.random.default_rng(3))
    p, hh = m.persons, m.households
    before = hh.savings[h_idx].copy()
    pay_settling_in_grants(m, h_idx)
    high = SKILL_NAMES.index("high")
    from simulator.model.sectors import CHILD

    adult = p.status[: p.n] != CHILD
    has_high = np.array([np.any((p.household[: p.n] == h) & (p.skill[: p.n] == high) & adult) for h in h_idx])
    assert 0 < has_high.sum() < len(h_idx)
    np.testing.assert_allclose(hh.savings[h_idx] - before, np.where(has_high, 1000.0, 0.0))
    assert m.ledger.get("recruitment_subsidy") == pytest.approx(1000.0 * has_high.sum() * m.scale)
