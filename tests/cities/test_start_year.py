"""A run may start in any year (e.g. 2010, from the 2010 census): series keyed at earlier years
still interpolate, money stays in yuan of the base year, and levers whose start year lies
before the run's act from its first month as their calendar schedule says."""

from __future__ import annotations

import pytest

from simulator.experiment.run import build_model
from simulator.model.series import series_at


def test_a_run_can_start_after_the_series_first_years(load_tiny) -> None:
    sc = load_tiny("run.start_year=2010", "run.end_year=2011")
    m = build_model(sc, strict=True)
    m.run()
    years = [r["year"] for r in m.recorder.rows]
    assert years == [2010, 2011]
    # the reference wage is the 2010 value of the national wage series (keyed at 2000, 2005, 2010, ...)
    w = sc.world
    national = series_at(w.national_average_wage_yuan_per_year, 2011) / 12 * w.local_wage_ratio_to_national
    assert m.base_wage() == pytest.approx(national * m.wage_curve_factor())  # (the wage curve's factor)
    assert m.slack_start is not None and m.wage_curve_factor() != 1.0
    assert sc.city.money_base_year == 2000


def test_a_lever_started_before_the_run_pays_from_the_first_month(load_tiny) -> None:
    """The transfer began in 2008 (tiny: the Fuxin schedule / 600): a run from 2010 gets the
    2010 amount from January 2010."""
    sc = load_tiny("run.start_year=2010", "run.end_year=2010")
    m = build_model(sc, strict=True)
    m.step()
    expected = series_at(sc.levers.resource_city_transfer.yuan_per_year, 2010) / 12
    assert m.month_flows["resource_city_transfer"] == pytest.approx(expected)


@pytest.mark.parametrize("start", [2008, 2010])
def test_phase_ins_follow_the_calendar_not_the_run(load_tiny, start) -> None:
    """SOE reform phased in over five years from its start year: in January 2010 it has run
    25 months if it started in 2008, 1 month if in 2010, whatever year the run starts."""
    sets = [
        "levers.soe_reform.enabled=true",
        f"levers.soe_reform.start_year={start}",
        "levers.soe_reform.productivity_gain_share=0.1",
        "levers.soe_reform.phase_in_years=5",
        "levers.ecology_overcapacity.enabled=true",
        f"levers.ecology_overcapacity.start_year={start}",
        "levers.ecology_overcapacity.mine_capacity_cut_share=0.2",
        "levers.ecology_overcapacity.capacity_cut_phase_in_years=5",
    ]
    m = build_model(load_tiny("run.start_year=2010", "run.end_year=2010", *sets), strict=True)
    m.step()
    months = (2010 - start) * 12 + 1
    assert m.programmes.soe_productivity_factor == pytest.approx(1 + 0.1 * months / 60)
    assert m.programmes.mine_capacity_factor == pytest.approx(1 - 0.2 * months / 60)
