"""The money flows between the accounting sectors, each declared once.

A flow has a name (the ledger's kind), a payer and a payee among the seven sectors of
:mod:`simulator.model.accounts`. :meth:`~simulator.model.accounts.Ledger.pay` books only declared
flows, between their declared parties: an undeclared (say, misspelt) name or a payment between
other parties stops the run with :class:`~simulator.model.accounts.AccountingError`, instead of
opening a new ledger line nobody reads. The mechanisms' flows are declared here; a lever declares
its own flows in its module with :func:`declare`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.model.accounts import BANKS, CENTRAL, CITY, FIRMS, HH, ROW, SSF


@dataclass(frozen=True)
class Flow:
    """One kind of payment: its name, who pays and who is paid, and what it feeds.

    Attributes:
        budget: the city's revenue category (when the city is paid) or spending category (when it
            pays) that :meth:`~simulator.model.city.CityModel.pay` adds the amount to.
        indicator: the month flow (:data:`simulator.model.indicators.MONTH_FLOWS`) it adds to.
    """

    name: str
    payer: int
    payee: int
    budget: str | None = None
    indicator: str | None = None


FLOWS: dict[str, Flow] = {}
"""Every declared flow by name."""


def declare(*flows: Flow) -> None:
    """Declare flows (a lever module declares its own). Declaring a name again with the same
    parties is harmless; with other parties it is an error."""
    for f in flows:
        prev = FLOWS.setdefault(f.name, f)
        if prev != f:
            raise ValueError(f"flow {f.name!r} declared twice with different parties")


def works_flows(prefix: str) -> tuple[Flow, ...]:
    """The flows of public works financed by funding shares (:func:`simulator.model.funding.finance_works`)."""
    return (
        Flow(f"{prefix}_central_subsidy", CENTRAL, CITY, budget="transfers"),
        Flow(f"{prefix}_provincial_subsidy", CENTRAL, CITY, budget="transfers"),
        Flow(f"{prefix}_mining_firms", FIRMS, CITY),
        Flow(f"{prefix}_household_contributions", HH, CITY),
    )


declare(
    Flow("agri_subsidy", CITY, FIRMS, budget="programmes", indicator="agri_subsidy"),
    Flow("agri_subsidy_central", CENTRAL, CITY, budget="transfers"),
    Flow("business_tax", FIRMS, CITY, budget="taxes"),
    Flow("city_debt_interest", CITY, BANKS, budget="interest"),
    Flow("coal_sales", ROW, FIRMS),
    Flow("collective_back_contributions_central", CENTRAL, SSF),
    Flow("collective_back_contributions_city", CITY, SSF, budget="programmes"),
    Flow("consumption_imports", HH, ROW),
    Flow("debt_writeoff", BANKS, FIRMS),
    Flow("deposit_interest", BANKS, HH),
    Flow("dibao", CITY, HH, budget="dibao"),
    Flow("dibao_central_reimbursement", CENTRAL, CITY, budget="transfers"),
    Flow("dividends_local", FIRMS, HH),
    Flow("dividends_outside", FIRMS, ROW),
    Flow("eit_central", FIRMS, CENTRAL),
    Flow("eit_local", FIRMS, CITY, budget="taxes"),
    Flow("entrant_equity", ROW, FIRMS),
    Flow("environmental_tax", FIRMS, CITY, budget="taxes", indicator="environmental_tax"),
    Flow("estates_to_heirs_outside", HH, ROW),
    Flow("exports", ROW, FIRMS),
    Flow("fund_co_finance_entry", CITY, FIRMS, budget="programmes", indicator="fund_co_finance"),
    Flow("fund_co_finance_expansion", CITY, FIRMS, budget="programmes", indicator="fund_co_finance"),
    Flow("general_transfer", CENTRAL, CITY, budget="transfers"),
    Flow("informal_earnings", HH, HH, indicator="informal_earnings"),  # households pay informal workers for services
    Flow("intermediate_imports", FIRMS, ROW),
    Flow("land_sales", FIRMS, CITY, budget="land"),
    Flow("liquidation_local", FIRMS, HH),
    Flow("liquidation_outside", FIRMS, ROW),
    Flow("liquidation_to_state", FIRMS, CENTRAL),
    Flow("loan_interest_firms", FIRMS, BANKS),
    Flow("migrants_savings_in", ROW, HH),
    Flow("migrants_savings_out", HH, ROW),
    Flow("net_wages", FIRMS, HH),
    Flow("outside_investment_land", ROW, CITY, budget="land"),
    Flow("outside_household_income", ROW, HH, indicator="outside_household_income"),
    Flow("pension_contributions_employee", FIRMS, SSF),
    Flow("pension_contributions_employer", FIRMS, SSF),
    Flow("pensions", SSF, HH, indicator="pension_spending"),
    Flow("pit_central", FIRMS, CENTRAL),
    Flow("pit_local", FIRMS, CITY, budget="taxes"),
    Flow("public_payroll", CITY, FIRMS, budget="public_payroll"),
    Flow("purchases_imported_city", CITY, ROW),
    Flow("purchases_imported_firms", FIRMS, ROW),
    Flow("purchases_imported_households", HH, ROW),
    Flow("purchases_imported_outside", ROW, ROW),  # outside investors buy from outside the city what its firms cannot supply
    Flow("purchases_local_city", CITY, FIRMS),
    Flow("purchases_local_firms", FIRMS, FIRMS),
    Flow("purchases_local_households", HH, FIRMS),
    Flow("purchases_local_outside", ROW, FIRMS),
    Flow("recruitment_subsidy", CITY, HH, budget="programmes"),
    Flow("resettlement_payments", CENTRAL, HH, indicator="resettlement_payments"),
    Flow("resource_tax", FIRMS, CITY, budget="taxes", indicator="resource_tax"),
    Flow("ssf_central_subsidy", CENTRAL, SSF, indicator="ssf_central_subsidy"),
    Flow("ssf_city_topup", CITY, SSF, budget="social_security"),
    Flow("talent_allowance", CITY, HH, budget="programmes", indicator="talent_allowance"),
    Flow("training_central", CENTRAL, CITY, budget="transfers"),
    Flow("unemployment_benefits", SSF, HH),
    Flow("vat_central", FIRMS, CENTRAL),
    Flow("vat_local", FIRMS, CITY, budget="taxes"),
    Flow("welfare_jobs_central", CENTRAL, CITY, budget="transfers"),
)
declare(*works_flows("shantytown"), *works_flows("subsidence"))
