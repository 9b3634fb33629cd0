"""Household registration (hukou): the registered population beside the resident one.

The census counts a city twice: its residents (who have lived there six months or more) and its
registered population (户籍人口, whose hukou is the city's, wherever they live). The gap between the
two is what migration leaves behind: people who left but kept their registration (the "absent"),
and residents registered elsewhere. It is the one record of out-migration that every city of the
2010 census has, so the model keeps the same books (``migration.registration``):

- each person carries ``hukou_elsewhere`` (True: registered outside the city). At the start a share
  ``nonlocal_share_of_residents`` of the residents is, drawn from the stream ``registration``;
  newborns take their mother's registration; a share ``arrivals_registered_elsewhere_share`` of
  the arriving households keep their registration of origin (drawn by household from the same
  stream), the others and the return migrants are registered in the city;
- the **absent** are a stock of persons (not rows): ``absent_registered_persons`` at the start; a
  resident registered in the city who leaves joins it with probability
  ``leavers_keeping_registration_share`` (``graduates_keeping_registration_share`` for the
  school-leavers who study elsewhere and stay away; their hukou usually moves to the university),
  as an expected number (no draw); the stock leaves the register at
  ``absent_deregistration_rate_per_year`` (hukou transferred elsewhere, deaths) and return migrants
  come out of it (they are residents again, registered in the city);
- each month residents registered elsewhere take the city's hukou at ``conversion_rate_per_year``.

The registered population is ``scale`` x the present persons registered in the city plus the
absent. No behaviour reads registration: it changes no other result, and with the defaults (every
resident and arrival registered, every leaver deregistered) the registered population is the
resident one.

Accounting: the mechanisms count what enters and leaves the register as it happens
(``model.registration_in`` and ``_out``); every month :func:`check` compares the register counted
afresh from the persons with the one carried forward by those flows, and a mismatch is a
population violation (:class:`simulator.model.city.CityModel`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.draws import bernoulli_positions

if TYPE_CHECKING:
    from simulator.model.city import CityModel

TOLERANCE_PERSONS = 1e-6
"""Absolute tolerance of the register's identity, in persons per person counted (float sums of
the absent stock's fractional flows)."""


def initialise(model: CityModel) -> None:
    """The start: a share of the residents registered elsewhere, and the absent stock."""
    cfg = model.scenario.migration.registration
    p = model.persons
    share = cfg.nonlocal_share_of_residents
    if share > 0.0:
        rows = np.flatnonzero(p.present[: p.n])
        chosen = rows[bernoulli_positions(model.streams["registration"], len(rows), share)]
        p.hukou_elsewhere[chosen] = True
    model.absent_registered = float(cfg.absent_registered_persons)
    model.registration_in = 0.0
    model.registration_out = 0.0
    model.registered_start_of_month = registered(model)


def registered_residents(model: CityModel) -> float:
    """Residents registered in the city (persons)."""
    p = model.persons
    n = p.n
    return float(np.count_nonzero(p.present[:n] & ~p.hukou_elsewhere[:n])) * model.scale


def registered(model: CityModel) -> float:
    """The registered population (persons): residents registered in the city and the absent."""
    return registered_residents(model) + model.absent_registered


def begin_month(model: CityModel) -> None:
    model.registration_in = 0.0
    model.registration_out = 0.0
    model.registered_start_of_month = registered(model)


def local_count(model: CityModel, rows: np.ndarray) -> float:
    """How many of person rows ``rows`` are registered in the city (persons)."""
    return float(np.count_nonzero(~model.persons.hukou_elsewhere[rows])) * model.scale


def died(model: CityModel, rows: np.ndarray) -> None:
    """Residents who died leave the register if it is the city's."""
    model.registration_out += local_count(model, rows)


def born(model: CityModel, rows: np.ndarray) -> None:
    """Newborns (already appended, with their mothers' registration) join it if it is the city's."""
    model.registration_in += local_count(model, rows)


def left(model: CityModel, rows: np.ndarray, graduates: bool = False) -> None:
    """Residents leave the city: those registered in it keep their registration (join the absent)
    with the scenario's share, the others leave the register."""
    if len(rows) == 0:
        return
    cfg = model.scenario.migration.registration
    keep = cfg.graduates_keeping_registration_share if graduates else cfg.leavers_keeping_registration_share
    local = local_count(model, rows)
    kept = keep * local
    model.absent_registered += kept
    model.registration_out += local - kept


def arrived(model: CityModel, rows: np.ndarray, returning: bool) -> None:
    """Arrivals (already appended, registered in the city): return migrants come out of the absent
    (as far as it reaches); of the other households a share keeps its registration of origin, the
    rest join the register."""
    p = model.persons
    if not returning:
        share = model.scenario.migration.registration.arrivals_registered_elsewhere_share
        if share > 0.0 and len(rows):
            households, member_of = np.unique(p.household[rows], return_inverse=True)
            elsewhere = np.zeros(len(households), bool)
            elsewhere[bernoulli_positions(model.streams["registration"], len(households), share)] = True
            p.hukou_elsewhere[rows] = elsewhere[member_of]
        model.registration_in += local_count(model, rows)
        return
    persons = local_count(model, rows)
    from_absent = min(model.absent_registered, persons)
    model.absent_registered -= from_absent
    model.registration_in += persons - from_absent


def step(model: CityModel) -> None:
    """The month's changes of registration that are not moves: the absent leave the register,
    residents registered elsewhere take the city's hukou."""
    cfg = model.scenario.migration.registration
    if cfg.absent_deregistration_rate_per_year > 0.0 and model.absent_registered > 0.0:
        gone = model.absent_registered * cfg.absent_deregistration_rate_per_year / 12.0
        model.absent_registered -= gone
        model.registration_out += gone
    if cfg.conversion_rate_per_year > 0.0:
        p = model.persons
        n = p.n
        rows = np.flatnonzero(p.present[:n] & p.hukou_elsewhere[:n])
        chosen = rows[bernoulli_positions(model.streams["registration"], len(rows), cfg.conversion_rate_per_year / 12.0)]
        p.hukou_elsewhere[chosen] = False
        model.registration_in += float(len(chosen)) * model.scale
        model.month_flows["hukou_conversions"] += float(len(chosen)) * model.scale


def check(model: CityModel) -> str | None:
    """The register's identity: counted afresh = start of month + in - out; None if it holds."""
    now = registered(model)
    expected = model.registered_start_of_month + model.registration_in - model.registration_out
    if model.absent_registered < -TOLERANCE_PERSONS * max(now, 1.0) or abs(now - expected) > TOLERANCE_PERSONS * max(now, 1.0):
        return (
            f"registration identity broken: {model.registered_start_of_month:.1f} registered + "
            f"{model.registration_in:.1f} in - {model.registration_out:.1f} out = {expected:.1f}, but "
            f"{now:.1f} are registered ({model.absent_registered:.1f} of them absent)"
        )
    return None
