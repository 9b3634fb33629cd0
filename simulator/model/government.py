"""The city government: a Mesa agent holding the city budget and its rule.

The government is one of the few agents that read best as objects. It holds
cash and debt, a trailing record of revenue for the borrowing limit, and the
budget rule's spending factors: when cash runs out and borrowing reaches its
limit, the categories in ``public_finance.budget_rule_cut_order`` are cut one
after another (``programmes`` first in the Fuxin files), and restored step by
step once the budget is back within its limit.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import mesa

from simulator.model.accounts import Earmark

if TYPE_CHECKING:
    from simulator.model.city import CityModel

SPENDING_CATEGORIES = ("programmes", "other_spending", "public_payroll")
FUND_SPENDING_KINDS = ("fund_co_finance_expansion", "fund_co_finance_entry")
"""The ledger's flow kinds paid out of the successor-industry fund."""


class CityGovernment(mesa.Agent):
    """Local government (市政府) of the city.

    Attributes:
        cash: yuan held.
        debt: yuan owed to banks.
        factor: share of planned spending allowed, per category (1 = in full).
        fund: the successor-industry fund, an :class:`~simulator.model.accounts.Earmark`
            inside ``cash``: credited by its contributions, paying co-finance to firms.
        programme_debt: part of ``debt`` that is long-term programme loans (policy-bank
            loans for shantytown renovation): rolled over, interest paid, outside the
            borrowing limit of the budget rule.
        over_limit_months: months in which general debt was over the borrowing limit.
    """

    def __init__(self, model: CityModel) -> None:
        super().__init__(model)
        self.cash = 0.0
        self.debt = 0.0
        self.factor = dict.fromkeys(SPENDING_CATEGORIES, 1.0)
        self.fund = Earmark("successor-industry fund", FUND_SPENDING_KINDS)
        self.programme_debt = 0.0
        self.over_limit_months = 0
        self.surplus_spending = 0.0  # yuan to spend next month out of free cash (budget rule)
        self.equalisation_coefficient: float | None = None  # set when the equalisation formula starts
        self._revenue_12m: deque[float] = deque(maxlen=12)
        self._spending_12m: deque[float] = deque(maxlen=12)
        self._taxes_12m: deque[float] = deque(maxlen=12)
        self._other_12m: deque[float] = deque(maxlen=12)

    def record_month(self, revenue: float, spending: float, taxes: float, other: float = 0.0) -> None:
        """The month's revenue (own and transfers), spending (all categories), own taxes and
        other spending (part of the spending), yuan."""
        self._revenue_12m.append(revenue)
        self._spending_12m.append(spending)
        self._taxes_12m.append(taxes)
        self._other_12m.append(other)

    def planned_other_spending(self, scheduled: float) -> float:
        """Other spending planned for this month (yuan), before the budget rule's factor.

        ``scheduled`` is the scenario's amount (per resident x residents). From
        ``public_finance.balanced_budget.from_year`` spending follows resources instead: the last
        12 months' revenue (own and transfers) x (1 + the bond allowance), less the rest of the
        last 12 months' spending, a month's worth (at least 0).
        """
        rule = self.model.scenario.public_finance.balanced_budget
        if rule is None or self.model.year < rule.from_year or len(self._revenue_12m) < 12:
            return scheduled
        resources = sum(self._revenue_12m) / 12.0 * (1.0 + rule.bond_allowance_share_of_revenue)
        committed = (sum(self._spending_12m) - sum(self._other_12m)) / 12.0
        return max(resources - committed, 0.0)

    @property
    def monthly_taxes(self) -> float:
        """Own tax revenue per month, the average of the last 12 months."""
        return sum(self._taxes_12m) / len(self._taxes_12m) if self._taxes_12m else 0.0

    @property
    def annual_revenue(self) -> float:
        """Revenue over the last 12 months (own revenue and transfers), scaled up if fewer."""
        if not self._revenue_12m:
            return 0.0
        return sum(self._revenue_12m) * 12.0 / len(self._revenue_12m)

    @property
    def monthly_spending(self) -> float:
        if not self._spending_12m:
            return 0.0
        return sum(self._spending_12m) / len(self._spending_12m)

    def apply_budget_rule(self) -> None:
        """Borrow or repay, and move the spending factors.

        Cash below zero is borrowed from banks; general debt (debt less programme
        loans) above the limit (``debt_limit_years_of_revenue`` x annual revenue)
        is a breach: mandatory
        payments are still made, and the next category in the cut order is cut by
        ``budget_cut_step_per_month``. Within the limit, cut factors are restored
        by ``budget_restore_step_per_month``, the last cut first. Debt is repaid on schedule:
        programme loans by ``programme_debt_repayment_share_per_year`` a year, general debt by
        ``general_debt_repayment_share_per_year`` (the rest is rolled over, as refinancing bonds
        do). Of the cash above the buffer (less the earmarked fund),
        ``surplus_spend_down_share_per_month`` is spent next month as other spending.
        """
        pf = self.model.scenario.public_finance
        banks = self.model.banks
        # debt is repaid on its schedule (a shortfall is borrowed below, as general debt)
        due_programme = self.programme_debt * pf.programme_debt_repayment_share_per_year / 12.0
        due_general = max(self.debt - self.programme_debt, 0.0) * pf.general_debt_repayment_share_per_year / 12.0
        due = due_programme + due_general
        if due > 0.0:
            self.cash -= due
            self.debt -= due
            self.programme_debt -= due_programme
            banks.balance += due
        if self.cash < 0.0:
            borrow = -self.cash
            self.cash = 0.0
            self.debt += borrow
            banks.balance -= borrow
        buffer = pf.cash_buffer_months_of_spending * self.monthly_spending
        # what is left above the buffer (earmarked money aside) is spent down, not hoarded: budgets
        # must balance and carry-overs older than two years go back to the budget (flypaper evidence)
        free = self.cash - self.fund.balance - buffer
        self.surplus_spending = pf.surplus_spend_down_share_per_month * max(free, 0.0)
        limit = pf.debt_limit_years_of_revenue * self.annual_revenue
        order = pf.budget_rule_cut_order
        if self.debt - self.programme_debt > limit:
            self.over_limit_months += 1
            for cat in order:
                if self.factor[cat] > 0.0:
                    self.factor[cat] = max(0.0, self.factor[cat] - pf.budget_cut_step_per_month)
                    break
        else:
            for cat in reversed(order):
                if self.factor[cat] < 1.0:
                    self.factor[cat] = min(1.0, self.factor[cat] + pf.budget_restore_step_per_month)
                    break
