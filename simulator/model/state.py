"""Agent populations as numpy struct-of-arrays.

Persons, households and firms are each one object holding one array per
attribute. Rows are agents; ``n`` rows are in use and the arrays have spare
capacity so that births, in-migrants and entrants append without copying
every step. Persons who died or left keep their row (``present`` is False)
until :meth:`Persons.compact` removes them; firms that exited likewise until
:meth:`Firms.compact` (once a year, see ``CityModel.compact``).

A household's region (and so its members') and a firm row's region are codes into the
scenario's regions (:mod:`simulator.model.regions`).

One person row stands for ``scale`` persons; one household row for ``scale``
households; one firm row (other than a mine) for ``firm_weight[sector]``
firms (see :func:`simulator.model.build.firm_weights`); a mine row is one mine. Money held
by a household row (``savings``) is per household; money held by a firm row
(``cash``, ``debt``, ``capital``) is the row's total.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np

from simulator.model import draws, kernels


@functools.cache
def _array_names(cls: type) -> tuple[str, ...]:
    """The attribute arrays' names of a struct-of-arrays class, in field order."""
    return tuple(f.name for f in fields(cls) if f.name not in ("n", "n_ordered"))


class _SoA:
    """Shared growth and selection logic of a struct-of-arrays."""

    n: int

    def _array_names(self) -> tuple[str, ...]:
        return _array_names(type(self))

    @property
    def capacity(self) -> int:
        return len(getattr(self, self._array_names()[0]))

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more rows (amortised doubling)."""
        need = self.n + extra
        cap = self.capacity
        if need <= cap:
            return
        new_cap = max(need, int(cap * 1.5) + 16)
        for name in self._array_names():
            a = getattr(self, name)
            b = np.zeros(new_cap, dtype=a.dtype)
            b[: self.n] = a[: self.n]
            setattr(self, name, b)

    def append(self, **cols: np.ndarray) -> np.ndarray:
        """Append rows; columns not given are zero. Returns the new row indices."""
        k = len(next(iter(cols.values())))
        self.reserve(k)
        start = self.n
        for name, values in cols.items():
            getattr(self, name)[start : start + k] = values
        self.n += k
        return np.arange(start, start + k)

    def view(self, name: str) -> np.ndarray:
        """The used part of one attribute array."""
        return getattr(self, name)[: self.n]

    def _keep(self, keep: np.ndarray, order=None) -> np.ndarray:
        """Keep only rows where ``keep``, in their order (or ordered by ``order(kept rows)``, a
        permutation of the kept rows' positions); returns the kept old row indices, in their new order.

        The rows are moved down in place: the arrays keep their capacity (no reallocation
        now, nor when rows are appended again), and the freed rows are zeroed, as
        :meth:`append` expects of unused rows.
        """
        kept = np.flatnonzero(keep)
        if order is not None:
            kept = kept[order(kept)]
        k = len(kept)
        for name in self._array_names():
            a = getattr(self, name)
            a[:k] = a[: self.n][kept]
            a[k : self.n] = 0
        self.n = k
        return kept


@dataclass
class Persons(_SoA):
    """Persons (one row = ``scale`` persons)."""

    n: int
    age_m: np.ndarray  # int16, age in months
    female: np.ndarray  # bool
    skill: np.ndarray  # int8: 0 low, 1 medium, 2 high
    exp_sector: np.ndarray  # int8: sector of last job, -1 none
    status: np.ndarray  # int8: see sectors.CHILD .. INFORMAL
    employer: np.ndarray  # int32: firm row, -1 none
    wage: np.ndarray  # float32, yuan/month (gross)
    pension: np.ndarray  # float32, yuan/month
    household: np.ndarray  # int32: household row
    present: np.ndarray  # bool: alive and in the city
    unemp_months: np.ndarray  # int16: months in the current unemployment spell
    trained: np.ndarray  # bool: completed a re-employment training (reemployment lever)
    welfare_job: np.ndarray  # bool: holds a public-welfare job (reemployment lever)
    uid: np.ndarray  # int64: the person's lasting id, the key of their keyed draws (simulator.model.draws)
    hukou_elsewhere: np.ndarray  # bool: registered (hukou) outside the city (simulator.model.registration)
    n_ordered: int = 0  # the first rows, in household order (see :meth:`compact`); later rows were appended since

    @classmethod
    def empty(cls, capacity: int) -> Persons:
        return cls(
            n=0,
            age_m=np.zeros(capacity, np.int16),
            female=np.zeros(capacity, bool),
            skill=np.zeros(capacity, np.int8),
            exp_sector=np.full(capacity, -1, np.int8),
            status=np.zeros(capacity, np.int8),
            employer=np.full(capacity, -1, np.int32),
            wage=np.zeros(capacity, np.float32),
            pension=np.zeros(capacity, np.float32),
            household=np.zeros(capacity, np.int32),
            present=np.zeros(capacity, bool),
            unemp_months=np.zeros(capacity, np.int16),
            trained=np.zeros(capacity, bool),
            welfare_job=np.zeros(capacity, bool),
            uid=np.zeros(capacity, np.int64),
            hukou_elsewhere=np.zeros(capacity, bool),
        )

    def compact(self) -> None:
        """Drop rows of persons who died or left, and put the rest in household order: the members
        of a household on consecutive rows, households in their row order, each household's
        members in their former order (:meth:`order_by_household`)."""
        if draws.legacy("person_order"):  # tests only: rows in the order they came, as before
            self._keep(self.present[: self.n].copy())
            self.n_ordered = 0
            return
        self._keep(self.present[: self.n].copy(), order=self._household_order)
        self.n_ordered = self.n

    def order_by_household(self) -> None:
        """Put every row in household order (as :meth:`compact` does, keeping every row): for the
        first population, whose members are drawn in any order."""
        if draws.legacy("person_order"):
            return
        self._keep(np.ones(self.n, bool), order=self._household_order)
        self.n_ordered = self.n

    def _household_order(self, rows: np.ndarray) -> np.ndarray:
        """The positions of ``rows`` ordered by household, each household's in their order."""
        household = self.household[rows]
        return kernels.household_order(household, int(household.max(initial=-1)) + 1)

    def members_of(self, chosen: np.ndarray) -> np.ndarray:
        """Rows of the present persons whose household is flagged in ``chosen`` (bool per household
        row), in row order: ``flatnonzero(present & chosen[household])``. The rows kept in household
        order are found by binary search, those appended since by a scan."""
        n = self.n
        if self.n_ordered == 0:
            return kernels.members_of(self.household[:n], self.present[:n], chosen)
        households = np.flatnonzero(chosen).astype(self.household.dtype)
        return kernels.members_of_ordered(self.household[:n], self.present[:n], households, self.n_ordered, chosen)


@dataclass
class Households(_SoA):
    """Households (one row = ``scale`` households)."""

    n: int
    savings: np.ndarray  # float64, yuan per household
    housing: np.ndarray  # int8: sectors.STANDARD .. REHOUSED
    present: np.ndarray  # bool
    income_prev: np.ndarray  # float64, disposable income last month, yuan per household
    members: np.ndarray  # int32: present persons in the household (kept up to date as persons come and go)
    region: np.ndarray  # int16: the region the household lives in (see simulator.model.regions)
    uid: np.ndarray  # int64: the household's lasting id, the key of its keyed draws (simulator.model.draws)

    @classmethod
    def empty(cls, capacity: int) -> Households:
        return cls(
            n=0,
            savings=np.zeros(capacity, np.float64),
            housing=np.zeros(capacity, np.int8),
            present=np.zeros(capacity, bool),
            income_prev=np.zeros(capacity, np.float64),
            members=np.zeros(capacity, np.int32),
            region=np.zeros(capacity, np.int16),
            uid=np.zeros(capacity, np.int64),
        )


@dataclass
class Firms(_SoA):
    """Firms and mines (a mine row is one mine; other rows stand for ``firm_weight`` firms)."""

    n: int
    sector: np.ndarray  # intp (an index: lookups by sector need no conversion)
    ownership: np.ndarray  # int8: PRIVATE, SOE, PUBLIC
    alive: np.ndarray  # bool
    is_mine: np.ndarray  # bool
    productivity: np.ndarray  # float64: value added per worker, yuan/month
    wage_prem: np.ndarray  # float64: firm wage premium over the sector norm
    wage_offer: np.ndarray  # float64: low-skill wage offered, yuan/month
    capital: np.ndarray  # float64, yuan
    cash: np.ndarray  # float64, yuan
    debt: np.ndarray  # float64, yuan
    target: np.ndarray  # float64: desired workers, person rows
    sales: np.ndarray  # float64: last month's sales, yuan
    profit: np.ndarray  # float64: last month's profit after tax, yuan
    loss_months: np.ndarray  # int16: consecutive months with a loss
    age_m: np.ndarray  # int32: months since entry
    reserves: np.ndarray  # float64: tonnes (mines)
    reserves0: np.ndarray  # float64: tonnes at the start (mines)
    capacity_t: np.ndarray  # float64: tonnes/year (mines)
    tpw0: np.ndarray  # float64: tonnes per worker-year at full reserves (mines)
    region: np.ndarray  # int16: the region the firm row is located in

    def compact(self) -> np.ndarray:
        """Drop rows of firms that exited; returns the old-to-new row map (-1 = dropped)."""
        n = self.n
        kept = self._keep(self.alive[:n].copy())
        mapping = np.full(n, -1, dtype=np.int64)
        mapping[kept] = np.arange(len(kept))
        return mapping

    @classmethod
    def empty(cls, capacity: int) -> Firms:
        z = lambda dt: np.zeros(capacity, dt)  # noqa: E731
        return cls(
            n=0,
            sector=z(np.intp),
            ownership=z(np.int8),
            alive=z(bool),
            is_mine=z(bool),
            productivity=z(np.float64),
            wage_prem=z(np.float64),
            wage_offer=z(np.float64),
            capital=z(np.float64),
            cash=z(np.float64),
            debt=z(np.float64),
            target=z(np.float64),
            sales=z(np.float64),
            profit=z(np.float64),
            loss_months=z(np.int16),
            age_m=z(np.int32),
            reserves=z(np.float64),
            reserves0=z(np.float64),
            capacity_t=z(np.float64),
            tpw0=z(np.float64),
            region=z(np.int16),
        )
