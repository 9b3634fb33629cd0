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
    "arrivals_registered_elsewhere_share",
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
    p.hukou_elsewhere[rows] = False
    registration.begin_month(m)
    registration.arrived(m, rows, returning=True)
    # 4 x scale persons registered in the city return: the 3 absent first, the rest new to the register
    assert m.absent_registered == 0.0
    assert m.registration_in == pytest.approx(4 * S - 3)
    # arrivals: a household keeps its registration of origin with the share, all its members alike
    arriving = np.flatnonzero(p.present[: p.n])[:400]
    registration.arrived(m, arriving, returning=False)
    flags = p.hukou_elsewhere[arriving]
    for h in np.unique(p.household[arriving]):
        assert len(set(flags[p.household[arriving] == h])) == 1
    assert 0.75 < flags.mean() < 1.0


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
    the year's ends), within 5 binomial standard deviations, over seeds."""
    converted = expected = 0.0
    for seed in range(1, 5):
        cols = run_columns(load_tiny(*ON, "run.end_year=2002", seed=seed))
        scale = load_tiny(seed=seed).run.scale
        elsewhere = cols["residents_registered_elsewhere"]
        start = 0.2 * cols["population"][0]  # about the share at the start
        stock = np.r_[start, elsewhere[:-1]]
        converted += cols["hukou_conversions"].sum()
        expected += float((0.5 * (stock + elsewhere) * (1 - (1 - 0.01) ** 12)).sum())
        assert scale >= 1
    sd = np.sqrt(expected * scale)  # each row converts as `scale` persons
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
                                         "migration.return_rate_per_year=0"))
    absent = nobody_keeps["registered_absent"]
    assert absent[0] == pytest.approx(500 * (1 - 0.06 / 12) ** 12)
    assert np.allclose(absent[1:] / absent[:-1], (1 - 0.06 / 12) ** 12)


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
