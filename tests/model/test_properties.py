"""Properties over random seeds and lever settings: the accounts always hold, the state stays sane.

Every model here is strict: a stock-flow or population-identity violation in any
month raises :class:`AccountingError` and fails the example.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model.sectors import EMPLOYED, RETIRED

MONTHS = 18


def check_state(m) -> None:
    """Invariants of the agents' state after a month."""
    p, hh, f, gov = m.persons, m.households, m.firms, m.government
    pres = p.view("present")
    assert m.population > 0
    assert np.all(p.view("age_m")[pres] >= 0)
    # every present person lives in a present household, and every present household has someone
    h = p.view("household")[pres]
    assert np.all(hh.present[h])
    members = np.bincount(h, minlength=hh.n)
    assert np.all(members[hh.view("present")] > 0)
    assert np.array_equal(hh.view("members"), members)  # the kept count is the true one
    # employment: employed <=> has an employer, and the employer is alive
    status, employer = p.view("status"), p.view("employer")
    emp = pres & (status == EMPLOYED)
    assert np.array_equal(emp, pres & (employer >= 0))
    assert np.all(f.alive[employer[emp]])
    assert np.all(p.view("wage")[pres & ~emp] == 0.0)
    assert np.all(p.view("pension")[pres & (status != RETIRED)] == 0.0)
    # money stocks
    assert np.all(hh.view("savings") >= -1e-6)
    assert np.all(f.view("cash") >= -1e-6) and np.all(f.view("debt") >= -1e-6)
    assert gov.cash >= -1e-6 and gov.debt >= -1e-6
    assert gov.debt >= gov.programme_debt - 1e-6
    assert np.all(f.view("reserves")[f.view("is_mine")] >= 0)
    assert all(0.0 <= v <= 1.0 for v in gov.factor.values())


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_seeds_keep_the_accounts(seed: int, load_tiny, build_model) -> None:
    m = build_model(load_tiny(seed=seed))
    for _ in range(MONTHS):
        m.step()  # strict: raises on any accounting violation
        check_state(m)
    assert m.accounting_summary()["n_violations"] == 0


levers = st.fixed_dictionaries(
    {
        "transfer": st.one_of(st.none(), st.floats(0.0, 5e6)),
        "shantytown": st.one_of(st.none(), st.integers(0, 400)),
        "fund": st.one_of(
            st.none(),
            st.tuples(st.floats(0.0, 2e6), st.floats(0.0, 5e6), st.floats(0.0, 0.9)),
        ),
        "start": st.sampled_from([2000, 2001]),
    }
)


def lever_overrides(lv: dict) -> list[str]:
    out: list[str] = []
    start = lv["start"]
    if lv["transfer"] is not None:
        b = "levers.resource_city_transfer"
        out += [
            f"{b}.enabled=true",
            f"{b}.start_year={start}",
            f"{b}.yuan_per_year={{2000: {lv['transfer']!r}}}",
        ]
    if lv["shantytown"] is not None:
        b = "levers.shantytown_renovation"
        out += [
            f"{b}.enabled=true",
            f"{b}.start_year={start}",
            f"{b}.households_per_year={{2000: {lv['shantytown']}}}",
        ]
    if lv["fund"] is not None:
        city, central, share = lv["fund"]
        b = "levers.new_industry_fund"
        out += [
            f"{b}.enabled=true",
            f"{b}.start_year={start}",
            f"{b}.city_yuan_per_year={{2000: {city!r}}}",
            f"{b}.central_yuan_per_year={{2000: {central!r}}}",
            f"{b}.co_finance_share_of_capital={share!r}",
        ]
    return out


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lv=levers)
def test_random_lever_settings_keep_the_accounts(
    seed: int, lv: dict, load_tiny, build_model
) -> None:
    m = build_model(load_tiny(*lever_overrides(lv), seed=seed))
    for _ in range(MONTHS):
        m.step()
        check_state(m)
    rows = m.recorder.rows
    assert len(rows) == MONTHS // 12
    if lv["transfer"] is not None and lv["start"] == 2000:
        assert rows[0]["resource_city_transfer"] == pytest.approx(
            lv["transfer"], rel=1e-9, abs=1e-6
        )
