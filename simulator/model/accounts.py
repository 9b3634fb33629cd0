"""Money accounts of the institutional sectors, the flow ledger and the checks.

Seven sectors hold money: households, firms, the city government, the social
security fund, the central (and provincial) government, banks and the rest of
the world. Every payment is recorded once in the :class:`Ledger` with payer,
payee and kind (declared in :mod:`simulator.model.flows`); ``CityModel.pay`` books it and changes
the stocks held as one balance, while the mechanisms share it out over the per-row stocks
(household savings and income, firm cash and debt) themselves. At the end of each step
:func:`check_stock_flow` compares, for every sector, the change of its net
financial wealth computed from the stocks with the net flow in the ledger,
and checks that the sectors' net lending sums to zero. A mechanism that moves
money without recording it, or records a payment it did not make, fails the
check.

The population identity is checked the same way by :func:`check_population`.

Earmarked money (the successor-industry fund, a memo inside the city's cash) is an
:class:`Earmark`: the mechanisms keep its balance, while what is paid into it is
recorded as credits and what it pays out is read from the ledger's flows of its kinds.
:func:`check_earmark` compares the two each month and trips when the balance moved
otherwise, or went below zero (money spent beyond what was earmarked).

A non-finite amount (NaN or infinity) is never booked: :meth:`Ledger.pay` raises
:class:`NonFiniteError` naming the flow, and the model adds the mechanism and month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulator.model.city import CityModel

HH, FIRMS, CITY, SSF, CENTRAL, BANKS, ROW = range(7)
ACCOUNT_NAMES = (
    "households",
    "firms",
    "city_government",
    "social_security_fund",
    "central_government",
    "banks",
    "rest_of_world",
)


class AccountingError(RuntimeError):
    """Raised when stock-flow consistency, the population identity or an earmark breaks,
    or when a non-finite value is met; the message is one line (what, where, which month,
    how large)."""


class NonFiniteError(AccountingError):
    """A flow, a stock or an indicator became NaN or infinite."""


@dataclass
class Ledger:
    """Flows of one step: ``kind -> (payer, payee, amount)`` summed."""

    amounts: dict[str, float] = field(default_factory=dict)
    parties: dict[str, tuple[int, int]] = field(default_factory=dict)
    declared: dict | None = None
    """The declared flows (:data:`simulator.model.flows.FLOWS`): with it, a payment of an undeclared
    kind, or between other parties than declared, is an error. None: any kind (hand-built tests)."""

    def pay(self, kind: str, payer: int, payee: int, amount: float) -> None:
        """Record a payment of ``amount`` yuan from ``payer`` to ``payee``."""
        if amount == 0.0:
            return
        if not math.isfinite(amount):
            raise NonFiniteError(f"flow {kind!r} of {amount} yuan")
        if self.declared is not None:
            flow = self.declared.get(kind)
            if flow is None:
                raise AccountingError(f"undeclared flow {kind!r}: declare it in simulator.model.flows (or the lever's module)")
            if (flow.payer, flow.payee) != (payer, payee):
                raise AccountingError(
                    f"flow {kind!r} paid by {ACCOUNT_NAMES[payer]} to {ACCOUNT_NAMES[payee]}, but it is declared "
                    f"from {ACCOUNT_NAMES[flow.payer]} to {ACCOUNT_NAMES[flow.payee]}"
                )
        prev = self.parties.setdefault(kind, (payer, payee))
        if prev != (payer, payee):
            raise AccountingError(f"flow kind {kind!r} used with two different parties")
        self.amounts[kind] = self.amounts.get(kind, 0.0) + float(amount)

    def get(self, kind: str) -> float:
        return self.amounts.get(kind, 0.0)

    def net_lending(self) -> np.ndarray:
        """Inflows minus outflows per sector."""
        net = np.zeros(len(ACCOUNT_NAMES))
        for kind, amt in self.amounts.items():
            payer, payee = self.parties[kind]
            net[payer] -= amt
            net[payee] += amt
        return net

    def gross(self) -> float:
        return float(sum(abs(a) for a in self.amounts.values()))

    def clear(self) -> None:
        self.amounts.clear()


@dataclass
class Balance:
    """A sector account held as one balance (central government, rest of world, SSF)."""

    balance: float = 0.0


def net_worth(model: CityModel) -> np.ndarray:
    """Net financial wealth of each sector computed from the agents' stocks."""
    hh, firms, gov = model.households, model.firms, model.government
    w = np.zeros(len(ACCOUNT_NAMES))
    w[HH] = model.scale * float(hh.view("savings").sum())
    firm_debt = float(firms.view("debt").sum())
    w[FIRMS] = float(firms.view("cash").sum()) - firm_debt
    w[CITY] = gov.cash - gov.debt
    w[SSF] = model.ssf.balance
    w[CENTRAL] = model.central.balance
    w[BANKS] = model.banks.balance + firm_debt + gov.debt
    w[ROW] = model.row.balance
    return w


def check_stock_flow(
    wealth_before: np.ndarray, wealth_after: np.ndarray, ledger: Ledger, rel_tol: float
) -> tuple[float, str | None]:
    """Compare each sector's change in wealth with its net flows.

    Returns:
        The largest discrepancy relative to the step's gross flows, and a
        message naming the worst sector if it exceeds ``rel_tol`` (else None).
    """
    net = ledger.net_lending()
    scale = max(ledger.gross(), 1.0)
    gap = (wealth_after - wealth_before) - net
    total_gap = abs(float(wealth_after.sum() - wealth_before.sum()))
    worst = int(np.argmax(np.abs(gap)))
    err = max(float(np.abs(gap).max()), total_gap) / scale
    if err > rel_tol:
        return err, (
            f"stock-flow inconsistency: {ACCOUNT_NAMES[worst]} wealth changed by "
            f"{wealth_after[worst] - wealth_before[worst]:.6g} yuan but its net flows are "
            f"{net[worst]:.6g} yuan; all sectors' wealth changed by "
            f"{wealth_after.sum() - wealth_before.sum():.6g} yuan"
        )
    return err, None


def check_population(
    before: int, after: int, births: int, deaths: int, inflow: int, outflow: int
) -> str | None:
    """The population identity P(t+1) = P(t) + births - deaths + in - out, exactly."""
    expected = before + births - deaths + inflow - outflow
    if after != expected:
        return (
            f"population identity broken: {before} + {births} births - {deaths} deaths + "
            f"{inflow} in - {outflow} out = {expected}, but the population is {after}"
        )
    return None


@dataclass
class Earmark:
    """Money set aside for one purpose inside another sector's account (a memo balance).

    Attributes:
        name: what the money is for (in messages).
        spending_kinds: the ledger flow kinds paid out of it.
        balance: the balance the mechanisms keep (credit with :meth:`credit`, lower it as it pays).
        opening: the balance at the start of the month.
        credits: what was paid into it this month.
    """

    name: str
    spending_kinds: tuple[str, ...]
    balance: float = 0.0
    opening: float = 0.0
    credits: float = 0.0

    def credit(self, amount: float) -> None:
        """Earmark ``amount`` yuan more."""
        self.balance += amount
        self.credits += amount

    def begin_month(self) -> None:
        self.opening = self.balance
        self.credits = 0.0


def check_earmark(earmark: Earmark, ledger: Ledger, rel_tol: float) -> str | None:
    """The earmark's balance moved by its credits less its spending in the ledger, and
    stays at or above zero (within ``rel_tol`` of the month's gross flows, as the stock-flow check)."""
    spent = sum(ledger.get(k) for k in earmark.spending_kinds)
    expected = earmark.opening + earmark.credits - spent
    # the same scale as the stock-flow check (the month's gross flows): a balance paid down to
    # zero keeps rounding residue of the amounts that went through it (seen: -7.5e-9 yuan)
    scale = max(abs(earmark.opening) + earmark.credits + spent, ledger.gross(), 1.0)
    if abs(earmark.balance - expected) > rel_tol * scale:
        return (
            f"earmark broken: the {earmark.name} paid out {spent:.6g} yuan and received "
            f"{earmark.credits:.6g} yuan from a balance of {earmark.opening:.6g} yuan, "
            f"so its balance should be {expected:.6g} yuan, but it is {earmark.balance:.6g} yuan"
        )
    if earmark.balance < -rel_tol * scale:
        return (
            f"earmark overspent: the {earmark.name} paid out {spent:.6g} yuan, "
            f"{-earmark.balance:.6g} yuan more than its balance of "
            f"{earmark.opening + earmark.credits:.6g} yuan"
        )
    return None
