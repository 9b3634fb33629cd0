"""The programme plan: what the levers ask the mechanisms to do.

The levers (:mod:`simulator.policy`) write it each month; the mechanisms read it. It lives in the
model, so that the mechanisms need nothing from the policy package.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from simulator.model.sectors import N_SECTORS
from simulator.scenario.schema import FundingShares

PERSISTENT = {"kept": "state a lever builds up over the years, kept after its end year"}
CLEARED_IN_PLACE = {"kept": "an array the reset clears in place"}
SET_WITH_ITS_ORDER = {"kept": "written by the lever in every month it orders works; read only with them"}


@dataclass
class Programmes:
    """What the levers ask the mechanisms to do.

    The monthly part (reset at the start of every month) is what this month's
    programmes order; the persistent part (``productivity_factor``,
    ``infrastructure_productivity``, ``market_access_factor``, ``soe_productivity_factor``, ``mine_capacity_factor``
    and the infrastructure stock) is state the levers build up over the years and
    that outlives a lever's end year (a road built stays built).
    Neutral values (factor 1, count 0, ``None``) leave the mechanisms as in the baseline.
    """

    # monthly
    city_construction: float = 0.0  # yuan the city spends on construction works this month
    city_services: float = 0.0  # yuan the city spends on local services (training) this month
    shantytown_households: float = 0.0  # real households to rehouse this month
    shantytown_cost_per_household: float = 0.0
    shantytown_funding: FundingShares = field(default_factory=lambda: FundingShares(city=1.0), metadata=SET_WITH_ITS_ORDER)
    subsidence_households: float = 0.0  # real households to relocate from subsidence areas this month
    subsidence_cost_per_household: float = 0.0
    subsidence_funding: FundingShares = field(default_factory=lambda: FundingShares(city=1.0), metadata=SET_WITH_ITS_ORDER)
    shantytown_regions: np.ndarray | None = None  # bool per region: where the programme acts (None: everywhere)
    subsidence_regions: np.ndarray | None = None
    fund_target: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS, bool), metadata=CLEARED_IN_PLACE)
    fund_co_finance_share: float = 0.0
    ssf_extra_central_share: float = 0.0  # added to the central share of the pension fund's deficit
    pension_extra_indexation: float = 0.0  # added to January's pension indexation
    collective_enrolment: float = 0.0  # real retirees brought into the urban pension this month
    collective_pension: float = 0.0  # yuan/month each
    collective_cost: float = 0.0  # yuan of back contributions per person enrolled
    collective_central_share: float = 0.0
    trainees: float = 0.0  # real persons starting training this month
    training_priority: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS, bool), metadata=CLEARED_IN_PLACE)
    training_cost: float = 0.0  # yuan per trainee, bought by the city from local services
    training_central_share: float = 0.0
    welfare_jobs_max: float = 0.0  # real persons: cap on public-welfare jobs
    welfare_wage: float = 0.0  # yuan/month
    welfare_central_share: float = 0.0
    soe_exit_loss_months: int | None = None  # hard budget constraint for state firms and mines
    soe_layoff_share: float | None = None
    social_functions_to_city: float = 0.0  # share of SOEs' social-function costs the city pays
    private_loan_rate_cut: float = 0.0  # per year
    entry_cost_factor: float = 1.0  # entry cost = baseline x this
    entry_delay_factor: float = 1.0  # entry delay = baseline x this
    agri_subsidy_per_worker: float = 0.0  # yuan/month per worker in agriculture
    agri_subsidy_central_share: float = 0.0
    skilled_leaving_factor: float = 1.0  # multiplies the high-skilled's leaving probabilities (talent lever)
    talent_allowance: float = 0.0  # yuan/month per employed high-skill resident (paid by the city)
    talent_households: float = 0.0  # real households recruited this month
    recruitment_subsidy: float = 0.0  # yuan per arriving household with a high-skill adult
    heavy_environmental_cost_share: float = 0.0  # of sales, paid by heavy industry as environmental tax
    resettlement_per_laid_off: float = 0.0  # yuan per worker laid off by a mine closure (central)
    # persistent
    productivity_factor: np.ndarray = field(default_factory=lambda: np.ones(N_SECTORS), metadata=PERSISTENT)  # by sector (agriculture, innovation)
    infrastructure_productivity: float = field(default=1.0, metadata=PERSISTENT)  # all sectors
    market_access_factor: float = field(default=1.0, metadata=PERSISTENT)  # outside demand, all sectors
    soe_productivity_factor: float = field(default=1.0, metadata=PERSISTENT)
    mine_capacity_factor: float = field(default=1.0, metadata=PERSISTENT)
    mismatch_reduction: float = field(default=0.0, metadata=PERSISTENT)  # share of the mismatch penalty trained seekers are spared (training lasts)
    infrastructure_stock: float = field(default=0.0, metadata=PERSISTENT)  # yuan of completed public capital from the programme
    infrastructure_pipeline: list[float] = field(default_factory=list, metadata=PERSISTENT)  # yuan/month under construction, oldest first


    def reset(self) -> None:
        """Back to the neutral monthly values (the persistent state is kept)."""
        for name, value in _MONTHLY.items():
            setattr(self, name, value)
        self.fund_target[:] = False
        self.training_priority[:] = False


_NEUTRAL = Programmes()
_MONTHLY = {f.name: getattr(_NEUTRAL, f.name) for f in fields(Programmes) if not f.metadata}
"""The monthly fields and their neutral values, derived from the fields: every field is monthly
unless its metadata says otherwise (a new field is reset each month unless marked)."""
