"""Household registration (:mod:`simulator.model.registration`): the register's books, by hand on
the tiny city, over a run, and loudly when broken."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import registration
from simulator.model.accounts import AccountingError

ON = (
    "migration.registration.nonlocal_share_of_residents=0.2",
    "migration.registration.absent_registered_persons=500",
    "migration.registration.leavers_keeping_registration_share=0.8",
    "migration.registration.graduates_keeping_registration_share=0.3",
    "migration.registration.absent_deregistration_rate_per_year=0.06",
    "migration.registration.conversion_rate_per_year=0.12",
    "migration.registration.arrivals_registered_elsewhere_share=0.9",
)


OFF = tuple(f"migration.registration.{k}=0" for k in (
    "nonlocal_share_of_residents", "absent_registered_persons", "leavers_keeping_registration_share",
    "graduates_keeping_registration_share", "absent_deregistration_rate_per_year", "conversion_rate_per_year",
    "arrivals_registered_elsewhere_share", "absent_birth_rate_per_year",
))
"""The schema's defaults (the tiny city inherits Fuxin's register)."""


def test_with_the_defaults_the_registered_population_is_the_resident_one(load_tiny, run_columns) -> None:
    from simulator.scenario.schema import RegistrationCfg

    assert all(v == 0 for v in RegistrationCfg().model_dump().values()) and len(OFF) == len(RegistrationCfg.model_fields)
    cols = run_columns(load_tiny(*OFF, "run.end_year=2002"))
    assert np.array_equal(cols["registered_population"], cols["population"])
    assert not cols["registered_absent"].any() and not cols["residents_registered_elsewhere"].any()
    assert not cols["hukou_conversions"].any()


def test_leavers_keep_their_registration_with_the_share(load_tiny, build_model) -> None:
    """By hand: of 10 leaving rows, the 6 registered in the city join the absent at 0.8 each (x
    scale); the 4 registered elsewhere leave no trace; graduates keep at their own share."""
    m = build_model(load_tiny(*ON, "migration.registration.nonlocal_share_of_residents=0"))
    p, S = m.persons, m.scale
    rows = np.flatnonzero(p.present[: p.n])[:10]
    p.hukou_elsewhere[rows[6:]] = True
    registration.begin_month(m)
    before = m.absent_registered
    registration.left(m, rows)
    assert m.absent_registered - before == pytest.approx(0.8 * 6 * S)
    assert m.registration_out == pytest.approx(0.2 * 6 * S)
    registration.left(m, rows[:6], graduates=True)
    assert m.absent_registered - before == pytest.approx((0.8 + 0.3) * 6 * S)


def test_return_migrants_come_out_of_the_absent_and_others_arrive_registered_elsewhere(load_tiny, build_model) -> None:
    m = build_model(load_tiny(*ON, "migration.registration.absent_registered_persons=3"))
    p, S = m.persons, m.scale
    rows = np.flatnonzero(p.present[: p.n])[:4]
    registration.begin_month(m)
    # the absent (3) are at least the stock that may return (2): every returner is registered in
    # the city, the 3 absent first, the rest new to the register
    m.out_migrant_stock = 2.0
    registration.arrived(m, rows, "return_migrant")
    assert not p.hukou_elsewhere[rows].any()
    assert m.absent_registered == 0.0
    assert m.registration_in == pytest.approx(4 * S - 3)
    # with no absent left, returners take the city's registration as newcomers do (ON: 10% of households)
    returning = np.flatnonzero(p.present[: p.n])[:400]
    m.out_migrant_stock = 100.0
    registration.arrived(m, returning, "return_migrant")
    assert 0.75 < p.hukou_elsewhere[returning].mean() < 1.0
    # arrivals: a household keeps its registration of origin with the share, all its members alike
    arriving = np.flatnonzero(p.present[: p.n])[:400]
    registration.arrived(m, arriving, "in_migrant")
    flags = p.hukou_elsewhere[arriving]
    for h in np.unique(p.household[arriving]):
        assert len(set(flags[p.household[arriving] == h])) == 1
    assert 0.75 < flags.mean() < 1.0
    # the talent lever's recruits are registered in the city
    registration.arrived(m, arriving, "recruit")
    assert not p.hukou_elsewhere[arriving].any()


def test_a_newborn_takes_either_parents_registration(load_tiny, build_model) -> None:
    """A newborn whose mother is registered elsewhere is registered in the city if another adult of
    its household is; registered elsewhere if no adult of the household is registered in the city."""
    m = build_model(load_tiny(*ON))
    p = m.persons
    n = p.n
    adults = np.flatnonzero(p.present[:n] & (p.age_m[:n] >= 12 * 18))
    households, counts = np.unique(p.household[adults], return_counts=True)
    two = households[counts >= 2][:2]
    a, b = (adults[p.household[adults] == h] for h in two)
    p.hukou_elsewhere[a] = True            # household a: every adult registered elsewhere
    p.hukou_elsewhere[b] = True
    p.hukou_elsewhere[b[1]] = False        # household b: the mother elsewhere, another adult in the city
    mothers = np.array([a[0], b[0]])
    newborns = p.append(age_m=np.zeros(2, np.int16), household=p.household[mothers], present=np.ones(2, bool),
                        hukou_elsewhere=p.hukou_elsewhere[mothers])
    registration.begin_month(m)
    registration.born(m, newborns, mothers)
    assert p.hukou_elsewhere[newborns].tolist() == [True, False]
    assert m.registration_in == pytest.approx(m.scale)


def test_a_city_of_outsiders_stays_registered_elsewhere_but_for_returns_and_conversions(load_tiny, run_columns) -> None:
    """Every resident registered elsewhere, no returns, no conversions, no absent: newborns take
    their mothers' registration and arrivals are registered elsewhere, so no resident is ever
    registered in the city; with conversions some are."""
    closed = (
        "migration.registration.nonlocal_share_of_residents=1",
        "migration.registration.arrivals_registered_elsewhere_share=1",
        "migration.registration.absent_registered_persons=0",
        "migration.registration.conversion_rate_per_year=0",
        "migration.return_rate_per_year=0",
        "run.end_year=2002",
    )
    cols = run_columns(load_tiny(*closed))
    assert np.array_equal(cols["residents_registered_elsewhere"], cols["population"])
    assert not cols["registered_population"].any()
    assert cols["births"].sum() > 0
    cols = run_columns(load_tiny(*closed, "migration.registration.conversion_rate_per_year=0.3"))
    assert (cols["registered_population"] > 0).all()
    assert np.allclose(cols["registered_population"],
                       cols["population"] - cols["residents_registered_elsewhere"] + cols["registered_absent"])
    assert (cols["residents_registered_elsewhere"] < cols["population"]).all()


def test_conversions_follow_their_rate(load_tiny, run_columns) -> None:
    """Conversions a year against the rate x the residents registered elsewhere (their mean over
    the year's ends), within 5 binomial standard deviations (of households: persons convert
    with their household, so the bound is loose) plus 5%, over seeds."""
    converted = expected = 0.0
    for seed in range(1, 5):
        cols = run_columns(load_tiny(*ON, "run.end_year=2002", seed=seed))
        elsewhere = cols["residents_registered_elsewhere"]
        start = 0.2 * cols["population"][0]  # about the share at the start
        stock = np.r_[start, elsewhere[:-1]]
        converted += cols["hukou_conversions"].sum()
        expected += float((0.5 * (stock + elsewhere) * (1 - (1 - 0.01) ** 12)).sum())
    sd = np.sqrt(expected * load_tiny().run.scale)  # each row converts as `scale` persons
    assert abs(converted - expected) < 5 * sd + 0.05 * expected, (converted, expected)


def test_the_registered_books_add_up_each_year(load_tiny, run_columns) -> None:
    """registered = residents registered in the city + absent, every year; the absent shrink at
    their deregistration rate when nobody keeps a registration on leaving."""
    cols = run_columns(load_tiny(*ON, "run.end_year=2003"))
    assert np.allclose(cols["registered_population"],
                       cols["population"] - cols["residents_registered_elsewhere"] + cols["registered_absent"])
    assert (cols["registered_population"] > cols["population"] - cols["residents_registered_elsewhere"]).all()
    nobody_keeps = run_columns(load_tiny(*ON, "run.end_year=2003", "migration.registration.leavers_keeping_registration_share=0",
                                         "migration.registration.graduates_keeping_registration_share=0",
                                         "migration.registration.absent_birth_rate_per_year=0",
                                         "migration.return_rate_per_year=0"))
    absent = nobody_keeps["registered_absent"]
    assert absent[0] == pytest.approx(500 * (1 - 0.06 / 12) ** 12)
    assert np.allclose(absent[1:] / absent[:-1], (1 - 0.06 / 12) ** 12)
    with_births = run_columns(load_tiny(*ON, "run.end_year=2001", "migration.registration.leavers_keeping_registration_share=0",
                                        "migration.registration.graduates_keeping_registration_share=0",
                                        "migration.return_rate_per_year=0",
                                        "migration.registration.absent_birth_rate_per_year=0.02"))
    assert with_births["registered_absent"][0] == pytest.approx(500 * (1 + 0.02 / 12 - 0.06 / 12) ** 12)


def test_a_broken_register_fails_loudly(load_tiny, build_model) -> None:
    """A person whose registration changes outside the mechanisms breaks the identity: the month's
    check names it, and a strict run stops with an accounting error."""
    m = build_model(load_tiny(*ON))
    m.step()
    registration.begin_month(m)
    p = m.persons
    local = np.flatnonzero(p.present[: p.n] & ~p.hukou_elsewhere[: p.n])
    p.hukou_elsewhere[local[:3]] = True  # three rows leave the register unrecorded
    msg = registration.check(m)
    assert msg is not None and msg.startswith("registration identity broken")
    m2 = build_model(load_tiny(*ON))
    m2.step()
    original = registration.step

    def leaky(model) -> None:
        original(model)
        model.absent_registered += 5.0  # unrecorded

    registration.step = leaky
    try:
        with pytest.raises(AccountingError, match="registration identity broken"):
            m2.step()
    finally:
        registration.step = original
