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


# ------------------------------------------------------------ declarations


def test_every_accumulated_flow_is_declared_and_reported() -> None:
    """Each month flow feeds an indicator (itself or the one FLOW_INDICATOR names), so nothing is
    summed every month and reported nowhere."""
    from simulator.model.indicators import FLOW_INDICATOR, INDICATOR_NAMES, MONTH_FLOWS

    assert len(set(MONTH_FLOWS)) == len(MONTH_FLOWS)
    unreported = [f for f in MONTH_FLOWS if FLOW_INDICATOR.get(f, f) not in INDICATOR_NAMES]
    assert not unreported


def test_the_source_adds_only_to_declared_flows_and_every_declared_flow_is_added_to() -> None:
    """A static read of the mechanisms and levers: every ``month_flows[...]``, ``month_revenue[...]``
    and ``month_spending[...]`` key written with a literal is declared, and every declared month
    flow is written somewhere (keys built from a prefix are matched by their ending)."""
    import re
    from pathlib import Path

    from simulator.model.indicators import MONTH_FLOWS, REVENUE_CATEGORIES, SPENDING_CATEGORIES

    root = Path(__file__).resolve().parents[2] / "simulator"
    text = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py"))
    declared = {"month_flows": MONTH_FLOWS, "month_revenue": REVENUE_CATEGORIES, "month_spending": SPENDING_CATEGORIES}
    for acc, names in declared.items():
        for key in re.findall(rf'{acc}\["([a-z_]+)"\]', text):
            assert key in names, f"{acc}[{key!r}] is not declared"
    literal = set(re.findall(r'month_flows\["([a-z_]+)"\]', text))
    suffixes = re.findall(r'month_flows\[f"\{\w+\}(_[a-z_]+)"\]', text)
    unused = [f for f in MONTH_FLOWS if f not in literal and not any(f.endswith(s) for s in suffixes)]
    # flows booked under a kind passed by the caller (city_pays_firms(..., "rd_support", ...))
    unused = [f for f in unused if f'"{f}"' not in text]
    assert not unused, f"declared but never added to: {unused}"


def test_adding_to_an_undeclared_flow_fails_loudly(tiny_model) -> None:
    tiny_model.month_flows["trainees"] += 1.0
    with pytest.raises(KeyError, match="undeclared month flow 'trainess'"):
        tiny_model.month_flows["trainess"] += 1.0
    with pytest.raises(KeyError, match="undeclared spending category"):
        tiny_model.month_spending["programme"] += 1.0


def test_the_yearly_row_follows_the_declarations(tiny_model) -> None:
    from simulator.model.indicators import INDICATOR_NAMES, INDICATOR_UNITS, INDICATORS

    for _ in range(12):
        tiny_model.step()
    (row,) = tiny_model.recorder.rows
    assert list(row) == ["year", *INDICATOR_NAMES]
    assert set(INDICATOR_UNITS) == set(INDICATOR_NAMES)
    assert all(i.title and i.unit and i.aggregation in ("year_sum", "year_mean", "december", "derived") for i in INDICATORS)


def test_the_parquet_schema_takes_its_units_from_the_declarations(tmp_path, load_tiny) -> None:
    import json

    import pyarrow.parquet as pq

    from simulator.experiment.run import run_scenario
    from simulator.model.indicators import INDICATOR_NAMES, INDICATOR_UNITS

    result = run_scenario(load_tiny("run.end_year=2000"), out_root=tmp_path, overview=False)
    table = pq.read_table(result.directory / "indicators.parquet")
    assert table.column_names == ["year", *INDICATOR_NAMES]
    assert json.loads(table.schema.metadata[b"units"]) == INDICATOR_UNITS


def test_fixed_mix_wage_moves_with_wages_within_sectors_not_with_the_mix(load_tiny, build_model) -> None:
    """The chained index starts at the average wage; raising every wage by 10% raises both by 10%;
    losing the low-paid sector's jobs raises the average wage but not the index. The non-farm
    index covers the non-farm jobs only: farm pay does not move it."""
    from simulator.model.sectors import AGRI, EMPLOYED, N_SECTORS

    m = build_model(load_tiny())
    rec = m.recorder
    p, f = m.persons, m.firms
    every = np.ones(N_SECTORS, dtype=bool)
    nonfarm = np.arange(N_SECTORS) != AGRI
    emp = np.flatnonzero(p.status[: p.n] == EMPLOYED)
    avg0 = float(p.wage[emp].mean()) * 12.0
    farm = f.sector[p.employer[emp]] == AGRI
    assert farm.any() and (~farm).any()
    nonfarm0 = float(p.wage[emp[~farm]].mean()) * 12.0
    assert rec._fixed_mix_wage(m, emp, "all", every) == pytest.approx(avg0)
    assert rec._fixed_mix_wage(m, emp, "nonfarm", nonfarm) == pytest.approx(nonfarm0)
    # farm pay doubles: the all-jobs index rises, the non-farm one does not
    p.wage[emp[farm]] *= 2.0
    assert rec._fixed_mix_wage(m, emp, "nonfarm", nonfarm) == pytest.approx(nonfarm0, rel=1e-6)
    p.wage[emp[farm]] /= 2.0
    rec._wage_mix.pop("all")
    assert rec._fixed_mix_wage(m, emp, "all", every) == pytest.approx(avg0)
    # the same jobs, every wage 10% higher
    p.wage[emp] *= 1.1
    avg1 = float(p.wage[emp].mean()) * 12.0
    assert rec._fixed_mix_wage(m, emp, "all", every) == pytest.approx(1.1 * avg0, rel=1e-5)
    assert rec._fixed_mix_wage(m, emp, "nonfarm", nonfarm) == pytest.approx(1.1 * nonfarm0, rel=1e-5)
    # the lowest-paid sector's jobs go (the mix moves to better-paid sectors): the average rises,
    # the index stays (each remaining sector's mean wage is unchanged)
    sector = f.sector[p.employer[emp]]
    means = {s: p.wage[emp][sector == s].mean() for s in np.unique(sector)}
    low = min(means, key=means.get)
    keep = emp[sector != low]
    kept_avg = float(p.wage[keep].mean()) * 12.0
    assert kept_avg > avg1
    assert rec._fixed_mix_wage(m, keep, "all", every) == pytest.approx(1.1 * avg0, rel=1e-5)


def test_hires_are_the_months_hires_summed(load_tiny, build_model) -> None:
    """The yearly ``hires`` is the sum of the months' hires (whole persons, at the run's scale);
    those who came from informal work and those with no job before are parts of it, and quits
    and layoffs are the separations the labour market made."""
    m = build_model(load_tiny("run.end_year=2000"))
    hires = 0
    for _ in range(12):
        m.step()
        hires += m.hires
    row = {k: v[-1] for k, v in indicator_columns(m).items()}
    assert row["hires"] == pytest.approx(hires * m.scale)
    assert row["hires"] > 0
    for part in ("hires_from_informal", "hires_first_job"):
        assert 0 <= row[part] <= row["hires"]
    assert row["quits"] > 0 and row["layoffs"] >= 0
