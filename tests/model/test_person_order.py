"""Persons kept in household order.

The members of a household sit on consecutive rows from the build on, and each yearly compaction
puts them back so (``Persons.compact``); rows appended since (newborns, arrivals) follow in the
order they came. ``Persons.members_of`` finds a household's members by binary search in the
ordered rows and a scan of the later ones. The order changes which stream draw each person gets,
so its agreement with the former order over seeds is in ``test_draw_agreement.py``; here the order
itself, that the searches find what a scan of every row finds, and that the former order is what
``draws.LEGACY_DRAWS`` with ``"person_order"`` restores.
"""

from __future__ import annotations

import numpy as np

from simulator.model import draws, registration


def _ordered(household: np.ndarray) -> bool:
    return bool(np.all(np.diff(household) >= 0))


def test_the_first_population_is_in_household_order(tiny_model) -> None:
    p = tiny_model.persons
    assert p.n_ordered == p.n > 1000
    assert _ordered(p.household[: p.n])
    np.testing.assert_array_equal(p.uid[: p.n], np.arange(p.n))  # lasting ids numbered in row order
    # the households' member counts are their rows
    hh = tiny_model.households
    np.testing.assert_array_equal(hh.members[: hh.n], np.bincount(p.household[: p.n], minlength=hh.n))


def test_compaction_restores_the_order_and_members_of_finds_every_member(load_tiny, build_model) -> None:
    m = build_model(load_tiny("run.end_year=2001", seed=7))
    p = m.persons
    rng = np.random.default_rng(0)
    for month in range(1, 19):
        m.step()
        if month == 12:  # just compacted: every row ordered again, nobody absent
            assert p.n_ordered == p.n and _ordered(p.household[: p.n]) and p.present[: p.n].all()
        if month in (5, 12, 18):
            assert p.n_ordered <= p.n and _ordered(p.household[: p.n_ordered])
            for share in (0.01, 0.3):
                chosen = rng.random(m.households.n) < share
                np.testing.assert_array_equal(
                    p.members_of(chosen), np.flatnonzero(p.present[: p.n] & chosen[p.household[: p.n]])
                )
    assert p.n > p.n_ordered  # newborns and arrivals since the last compaction: the scanned tail was used


def test_the_former_order_is_what_legacy_restores_and_it_changes_results(load_tiny, build_model, run_columns, monkeypatch) -> None:
    sc = load_tiny("run.end_year=2000", seed=3)
    now = run_columns(sc)
    monkeypatch.setattr(draws, "LEGACY_DRAWS", frozenset({"person_order"}))
    m = build_model(sc)
    assert m.persons.n_ordered == 0 and not _ordered(m.persons.household[: m.persons.n])
    chosen = np.random.default_rng(1).random(m.households.n) < 0.2
    p = m.persons
    np.testing.assert_array_equal(p.members_of(chosen), np.flatnonzero(p.present[: p.n] & chosen[p.household[: p.n]]))
    before = run_columns(sc)
    assert any(not np.array_equal(now[k], before[k]) for k in ("population", "unemployed_persons", "gdp_total"))


def test_newborns_registration_reads_their_households_adults(load_tiny, build_model) -> None:
    """A newborn whose mother is registered elsewhere is registered in the city when another adult
    of the household is: the same as counting every resident adult of every household."""
    m = build_model(load_tiny(seed=5))
    for _ in range(14):
        m.step()
    p = m.persons
    n = p.n
    rng = np.random.default_rng(2)
    women = np.flatnonzero(p.present[:n] & p.female[:n] & (p.age_m[:n] >= 20 * 12) & (p.age_m[:n] < 40 * 12))
    mothers = rng.choice(women, size=40, replace=False)
    p.hukou_elsewhere[mothers[:30]] = True  # most of them registered elsewhere
    # newborns: children of the mothers' households, appended as demography does
    rows = p.append(age_m=np.zeros(40, np.int16), household=p.household[mothers], present=np.ones(40, bool),
                    hukou_elsewhere=p.hukou_elsewhere[mothers], employer=np.full(40, -1, np.int32))
    n = p.n
    adult = p.present[:n] & (p.age_m[:n] >= 12 * registration.ADULT_AGE_YEARS) & ~p.hukou_elsewhere[:n]
    local_adults = np.bincount(p.household[:n][adult], minlength=m.households.n)
    expected = p.hukou_elsewhere[mothers] & (local_adults[p.household[rows]] == 0)
    assert 0 < expected.sum() < 30  # some with a registered adult at home, some without
    registration.born(m, rows, mothers)
    np.testing.assert_array_equal(p.hukou_elsewhere[rows], expected)


WRITES_HOUSEHOLD = r"(?:\bp|persons)\.household\s*\[[^\]]*\]\s*[-+*/|&]?=(?!=)|view\(\s*[\"']household[\"']\s*\)\s*\[[^\]]*\]\s*[-+*/|&]?=(?!=)"
"""A write into the persons' household array (``p.household[rows] = ...``, ``view("household")[...] = ...``)."""


def test_no_mechanism_moves_a_person_to_another_household() -> None:
    """``Persons.members_of`` searches the rows kept in household order by binary search: that holds
    only while a person's household row never changes once the row is appended (a household split
    or merge would have to reset ``n_ordered``). No module writes into the persons' household array."""
    import re
    from pathlib import Path

    write = re.compile(WRITES_HOUSEHOLD)
    assert write.search("p.household[rows] = h") and write.search('m.persons.view("household")[k] += 1')
    assert not write.search("chosen[p.household[rows]] = True") and not write.search("x = p.household[rows] == h")
    root = Path(__file__).resolve().parents[2] / "simulator"
    offenders = [
        f"{path.relative_to(root.parent)}:{i}: {line.strip()}"
        for path in root.rglob("*.py")
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if write.search(line)
    ]
    assert not offenders, offenders
