"""Household registration (hukou): the registered population beside the resident one.

The census counts a city twice: its residents (who have lived there six months or more) and its
registered population (户籍人口, whose hukou is the city's, wherever they live). The gap between the
two is what migration leaves behind: people who left but kept their registration (the "absent"),
and residents registered elsewhere. It is the one record of out-migration that every city of the
2010 census has, so the model keeps the same books (``migration.registration``):

- each person carries ``hukou_elsewhere`` (True: registered outside the city). At the start a share
  ``nonlocal_share_of_residents`` of the residents is, drawn from the stream ``registration``;
  a newborn is registered in the city if its mother or another adult of its household is (since
  1998 a child may take either parent's hukou); a share ``arrivals_registered_elsewhere_share`` of
  the arriving households keep their registration of origin, the others are registered in the
  city, and so are the recruits of the talent lever (such programmes grant the city's hukou); a
  returning household kept the city's registration with the share of the absent in the stock of
  leavers who may return, and otherwise takes it as a newcomer would;
- the **absent** are a stock of persons (not rows): ``absent_registered_persons`` at the start; a
  resident registered in the city who leaves joins it with probability
  ``leavers_keeping_registration_share`` (``graduates_keeping_registration_share`` for the
  school-leavers who study elsewhere and stay away; their hukou usually moves to the university),
  as an expected number (no draw); the stock leaves the register at
  ``absent_deregistration_rate_per_year`` (hukou transferred elsewhere, deaths), gains the children
  born to the absent at ``absent_birth_rate_per_year`` (registered at their parents' hukou place),
  and return migrants registered in the city come out of it;
- each month a household with residents registered elsewhere takes the city's hukou, all of them
  together, with probability ``conversion_rate_per_year`` / 12.

The draws after the start are keyed on the household's lasting id and the month
(:func:`simulator.model.draws.keyed_uniforms`), so that two paired runs that differ in their
arrivals keep the same draws for the same households (common random numbers).

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

from simulator.model import draws

if TYPE_CHECKING:
    from simulator.model.city import CityModel

ADULT_AGE_YEARS = 18
"""A newborn's household members of this age or older count as its possible parents (the model
keeps no father)."""

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
        chosen = rows[draws.bernoulli_positions(model.streams["registration"], len(rows), share)]
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
    """The month's flows start at zero; the register at the month's start is the one counted at
    the start of the run or by the last month's :func:`check` (nothing changes it in between)."""
    model.registration_in = 0.0
    model.registration_out = 0.0


def local_count(model: CityModel, rows: np.ndarray) -> float:
    """How many of person rows ``rows`` are registered in the city (persons)."""
    return float(np.count_nonzero(~model.persons.hukou_elsewhere[rows])) * model.scale


def died(model: CityModel, rows: np.ndarray) -> None:
    """Residents who died leave the register if it is the city's."""
    model.registration_out += local_count(model, rows)


def born(model: CityModel, rows: np.ndarray, mothers: np.ndarray) -> None:
    """Newborns (already appended, with their mothers' registration): registered in the city if
    the mother or another adult of the household is; they join the register if so."""
    p = model.persons
    elsewhere = p.hukou_elsewhere[mothers]
    if elsewhere.any():  # the members of those newborns' households (Persons.members_of), not every person
        chosen = np.zeros(model.households.n, bool)
        chosen[p.household[rows[elsewhere]]] = True
        members = p.members_of(chosen)
        adult = (p.age_m[members] >= 12 * ADULT_AGE_YEARS) & ~p.hukou_elsewhere[members]
        chosen[:] = False  # now: the households with an adult registered in the city
        chosen[p.household[members[adult]]] = True
        p.hukou_elsewhere[rows] = elsewhere & ~chosen[p.household[rows]]
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


def _by_household(model: CityModel, rows: np.ndarray, name: str, share: float) -> np.ndarray:
    """Whether each of person rows ``rows`` belongs to a household drawn with probability
    ``share`` (one keyed uniform per household and month: :func:`simulator.model.draws.keyed_uniforms`)."""
    p, hh = model.persons, model.households
    # the household's uniform, computed for each member from the household's id (the same number
    # for every member: no need to find the households first)
    u = draws.keyed_uniforms(model.draw_keys[name], model.month_key, hh.uid[p.household[rows]])
    return u < share


def arrived(model: CityModel, rows: np.ndarray, kind: str) -> None:
    """Arrivals of ``kind`` (already appended, registered in the city): recruits stay registered in
    the city; of the other newcomers' households a share keeps its registration of origin; a
    returning household kept the city's registration with the absent's share of the stock of
    leavers who may return (``model.out_migrant_stock``, which :mod:`simulator.model.migration`
    lowers only after they arrived) and otherwise takes it as a newcomer would; returners
    registered in the city come out of the absent (as far as it reaches). Those registered in the
    city join the register."""
    if len(rows) == 0:
        return
    p = model.persons
    cfg = model.scenario.migration.registration
    if kind == "return_migrant":
        stock = model.out_migrant_stock
        kept = min(model.absent_registered / stock, 1.0) if stock > 0.0 else 0.0
        # those who kept the city's registration, and of the others those who take it as newcomers do
        local = kept + (1.0 - kept) * (1.0 - cfg.arrivals_registered_elsewhere_share)
        p.hukou_elsewhere[rows] = ~_by_household(model, rows, "registration_return", local)
        persons = local_count(model, rows)
        from_absent = min(model.absent_registered, persons)
        model.absent_registered -= from_absent
        model.registration_in += persons - from_absent
        return
    if kind == "recruit":
        p.hukou_elsewhere[rows] = False
    elif cfg.arrivals_registered_elsewhere_share > 0.0:
        p.hukou_elsewhere[rows] = _by_household(model, rows, "registration_arrival", cfg.arrivals_registered_elsewhere_share)
    model.registration_in += local_count(model, rows)


def step(model: CityModel) -> None:
    """The month's changes of registration that are not moves: the absent leave the register and
    have children registered in the city, households registered elsewhere take the city's hukou."""
    cfg = model.scenario.migration.registration
    if model.absent_registered > 0.0:
        gone = model.absent_registered * cfg.absent_deregistration_rate_per_year / 12.0
        born = model.absent_registered * cfg.absent_birth_rate_per_year / 12.0
        model.absent_registered += born - gone
        model.registration_out += gone
        model.registration_in += born
    if cfg.conversion_rate_per_year > 0.0:
        p = model.persons
        n = p.n
        rows = np.flatnonzero(p.present[:n] & p.hukou_elsewhere[:n])
        chosen = rows[_by_household(model, rows, "registration_conversion", cfg.conversion_rate_per_year / 12.0)]
        p.hukou_elsewhere[chosen] = False
        model.registration_in += float(len(chosen)) * model.scale
        model.month_flows["hukou_conversions"] += float(len(chosen)) * model.scale


def check(model: CityModel) -> str | None:
    """The register's identity: counted afresh = start of month + in - out; None if it holds. The
    count is the next month's start."""
    now, start = registered(model), model.registered_start_of_month
    expected = start + model.registration_in - model.registration_out
    model.registered_start_of_month = now
    if model.absent_registered < -TOLERANCE_PERSONS * max(now, 1.0) or abs(now - expected) > TOLERANCE_PERSONS * max(now, 1.0):
        return (
            f"registration identity broken: {start:.1f} registered + "
            f"{model.registration_in:.1f} in - {model.registration_out:.1f} out = {expected:.1f}, but "
            f"{now:.1f} are registered ({model.absent_registered:.1f} of them absent)"
        )
    return None
