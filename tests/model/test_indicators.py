"""Indicators: Gini and HHI, and the yearly rows' internal consistency."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.experiment.run import indicator_columns
from simulator.model.indicators import INDICATOR_UNITS, gini, hhi
from simulator.model.sectors import SECTOR_NAMES


@pytest.mark.parametrize("n", [1, 2, 5, 100])
def test_gini_of_equal_incomes_is_zero(n: int) -> None:
    assert gini(np.full(n, 1234.5), np.ones(n)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 10, 1000])
def test_gini_when_one_person_has_everything(n: int) -> None:
    values = np.zeros(n)
    values[-1] = 7.0
    assert gini(values, np.ones(n)) == pytest.approx(1.0 - 1.0 / n)


def test_gini_known_value_weights_and_invariances() -> None:
    v = np.array([1.0, 2.0, 3.0, 4.0])
    # mean absolute difference / (2 x mean) = (20 / 16) / 5
    assert gini(v, np.ones(4)) == pytest.approx(0.25)
    assert gini(v * 1000, np.ones(4)) == pytest.approx(0.25)  # scale-free
    assert gini(v[::-1], np.ones(4)) == pytest.approx(0.25)  # order-free
    # a weight of 2 is the same as two persons with that income
    assert gini(np.array([1.0, 5.0]), np.array([2, 1])) == pytest.approx(
        gini(np.array([1.0, 1.0, 5.0]), np.ones(3))
    )
    # zero-weight entries do not count
    assert gini(np.array([1.0, 2.0, 3.0, 4.0, 99.0]), np.array([1, 1, 1, 1, 0])) == pytest.approx(
        0.25
    )
    assert gini(np.zeros(3), np.ones(3)) == 0.0
    assert gini(np.array([]), np.array([])) == 0.0


def test_hhi() -> None:
    assert hhi(np.array([1.0])) == 1.0
    assert hhi(np.full(4, 0.25)) == pytest.approx(0.25)
    assert hhi(np.full(7, 1 / 7)) == pytest.approx(1 / 7)
    assert hhi(np.array([0.5, 0.3, 0.2])) == pytest.approx(0.38)


@pytest.fixture(scope="module")
def tiny_run(_tiny_base):
    from simulator.experiment.run import build_model

    m = build_model(_tiny_base.model_copy(deep=True), strict=True)
    pop0 = m.population
    m.run()
    return m, pop0, indicator_columns(m)


def test_one_row_per_year_with_every_indicator(tiny_run) -> None:
    m, _, cols = tiny_run
    sc = m.scenario
    assert list(cols["year"]) == list(range(sc.run.start_year, sc.run.end_year + 1))
    assert set(cols) - {"year"} <= set(INDICATOR_UNITS)  # every column has a unit
    for k, v in cols.items():
        assert len(v) == len(cols["year"]) and np.all(np.isfinite(v)), k


def test_every_documented_indicator_is_recorded(tiny_run) -> None:
    _, _, cols = tiny_run
    assert set(INDICATOR_UNITS) - set(cols) == set()


def test_yearly_population_identity_in_the_indicators(tiny_run) -> None:
    m, pop0, c = tiny_run
    prev = np.r_[pop0, c["population"][:-1]]
    change = c["births"] - c["deaths"] + c["in_migrants"] - c["out_migrants"]
    np.testing.assert_array_equal(c["population"] - prev, change)
    assert c["population"][-1] == m.population


def test_totals_are_sums_of_their_parts(tiny_run) -> None:
    _, _, c = tiny_run
    emp = sum(c[f"employment_{s}"] for s in SECTOR_NAMES)
    np.testing.assert_array_equal(c["employment_total"], emp)
    gdp = sum(c[f"gdp_{s}"] for s in SECTOR_NAMES)
    np.testing.assert_allclose(c["gdp_total"], gdp, rtol=1e-12)
    np.testing.assert_allclose(c["gdp_per_capita"], c["gdp_total"] / c["population"])
    assert np.all(c["employment_public_units"] <= c["employment_services"])
    for k in (
        "share_aged_60_plus",
        "unemployment_rate_registered",
        "gini_household_income",
        "hhi_sector_gdp",
        "new_industry_share",
        "heavy_industry_share",
    ):
        assert np.all((c[k] >= 0) & (c[k] <= 1)), k
    assert np.all(c["hhi_sector_gdp"] >= 1 / len(SECTOR_NAMES) - 1e-12)
    assert np.all(c["working_age_population"] <= c["population"])
    assert np.all(c["stock_flow_max_relative_error"] <= 1e-9)
