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
    """One kind of payment: its name, who pays and who is paid."""

    name: str
    payer: int
    payee: int


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
        Flow(f"{prefix}_central_subsidy", CENTRAL, CITY),
        Flow(f"{prefix}_provincial_subsidy", CENTRAL, CITY),
        Flow(f"{prefix}_mining_firms", FIRMS, CITY),
        Flow(f"{prefix}_household_contributions", HH, CITY),
    )


declare(
    Flow("agri_subsidy", CITY, FIRMS),
    Flow("agri_subsidy_central", CENTRAL, CITY),
    Flow("business_tax", FIRMS, CITY),
    Flow("city_debt_interest", CITY, BANKS),
    Flow("coal_sales", ROW, FIRMS),
    Flow("collective_back_contributions_central", CENTRAL, SSF),
    Flow("collective_back_contributions_city", CITY, SSF),
    Flow("consumption_imports", HH, ROW),
    Flow("debt_writeoff", BANKS, FIRMS),
    Flow("deposit_interest", BANKS, HH),
    Flow("dibao", CITY, HH),
    Flow("dibao_central_reimbursement", CENTRAL, CITY),
    Flow("dividends_local", FIRMS, HH),
    Flow("dividends_outside", FIRMS, ROW),
    Flow("eit_central", FIRMS, CENTRAL),
    Flow("eit_local", FIRMS, CITY),
    Flow("entrant_equity", ROW, FIRMS),
    Flow("environmental_tax", FIRMS, CITY),
    Flow("estates_to_heirs_outside", HH, ROW),
    Flow("exports", ROW, FIRMS),
    Flow("fund_co_finance_entry", CITY, FIRMS),
    Flow("fund_co_finance_expansion", CITY, FIRMS),
    Flow("general_transfer", CENTRAL, CITY),
    Flow("intermediate_imports", FIRMS, ROW),
    Flow("land_sales", FIRMS, CITY),
    Flow("liquidation_local", FIRMS, HH),
    Flow("liquidation_outside", FIRMS, ROW),
    Flow("liquidation_to_state", FIRMS, CENTRAL),
    Flow("loan_interest_firms", FIRMS, BANKS),
    Flow("migrants_savings_in", ROW, HH),
    Flow("migrants_savings_out", HH, ROW),
    Flow("net_wages", FIRMS, HH),
    Flow("pension_contributions_employee", FIRMS, SSF),
    Flow("pension_contributions_employer", FIRMS, SSF),
    Flow("pensions", SSF, HH),
    Flow("pit_central", FIRMS, CENTRAL),
    Flow("pit_local", FIRMS, CITY),
    Flow("public_payroll", CITY, FIRMS),
    Flow("purchases_imported_city", CITY, ROW),
    Flow("purchases_imported_firms", FIRMS, ROW),
    Flow("purchases_imported_households", HH, ROW),
    Flow("purchases_local_city", CITY, FIRMS),
    Flow("purchases_local_firms", FIRMS, FIRMS),
    Flow("purchases_local_households", HH, FIRMS),
    Flow("recruitment_subsidy", CITY, HH),
    Flow("resettlement_payments", CENTRAL, HH),
    Flow("resource_tax", FIRMS, CITY),
    Flow("ssf_central_subsidy", CENTRAL, SSF),
    Flow("ssf_city_topup", CITY, SSF),
    Flow("talent_allowance", CITY, HH),
    Flow("training_central", CENTRAL, CITY),
    Flow("unemployment_benefits", SSF, HH),
    Flow("vat_central", FIRMS, CENTRAL),
    Flow("vat_local", FIRMS, CITY),
    Flow("welfare_jobs_central", CENTRAL, CITY),
)
declare(*works_flows("shantytown"), *works_flows("subsidence"))
