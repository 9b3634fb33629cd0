"""Innovation and talent (创新, 人才), clauses 16 to 18.

Clauses 16-18 build the regional innovation system (完善区域创新体系), tie research
and colleges to local industry, and attract, train and keep talent
(把引进人才、培养人才、留住人才、用好人才放在优先位置). Mechanism: (1) the
``target_sectors``' productivity grows ``productivity_growth_extra_per_year``
faster while active (the level reached stays); the R&D support that buys it,
``rd_support_yuan_per_year``, is paid to the target sectors' ordinary firms
(not mines or public units) in proportion to last month's sales (city, central government reimbursing
``rd_support_central_share``); (2) the city pays every employed high-skill resident
``talent_allowance_yuan_per_person_month``. The allowance works through migration's
decisions, not quotas: it raises a high-skilled person's income at home by ``a / w`` (``w`` the
average wage of the employed high-skilled), so their leaving probability (households, persons
alone, graduates staying away) is multiplied by ``(1 + a / w)^-e``, with ``e`` migration's
``income_elasticity``; (3) it also draws high-skill households from outside: the high-skill part
of the base in-migration (``in_base_households_per_year x in_skill_shares.high``) grows by
``(1 + (a + g) / w)^e - 1``, where ``g`` is the settling-in grant
``recruitment_subsidy_yuan_per_household`` spread over ``subsidy_horizon_years``. Every arriving
household with a high-skill adult gets the grant while the lever is active, those who would have
come anyway included (the deadweight the city pays for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.accounts import CENTRAL, CITY, FIRMS
from simulator.model.flows import Flow, declare
from simulator.model.funding import city_pays_firms
from simulator.model.sectors import EMPLOYED, PUBLIC, SECTOR_NAMES, SKILL_NAMES
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "innovation_talent"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.innovation_talent
    if not cfg.active(model.year):
        return
    prog = model.programmes
    factor = model.government.factor["programmes"]
    target = np.zeros(len(SECTOR_NAMES), bool)
    for s in cfg.target_sectors:
        target[SECTOR_NAMES.index(s)] = True
    prog.productivity_factor[target] *= (1.0 + cfg.productivity_growth_extra_per_year) ** (1.0 / 12.0)
    support = model.s(cfg.rd_support_yuan_per_year) / 12.0 * factor
    f = model.firms
    nf = f.n
    ordinary = f.alive[:nf] & ~f.is_mine[:nf] & (f.ownership[:nf] != PUBLIC)
    rows = np.flatnonzero(ordinary & target[f.sector[:nf]] & (f.sales[:nf] > 0))
    if support > 0 and len(rows):
        weight = f.sales[rows] / f.sales[rows].sum()
        city_pays_firms(model, rows, support * weight, "rd_support", cfg.rd_support_central_share)
    allowance = cfg.talent_allowance_yuan_per_person_month * factor
    prog.talent_allowance = allowance
    prog.recruitment_subsidy = cfg.recruitment_subsidy_yuan_per_household * factor
    wage = high_skill_wage(model)
    if wage <= 0.0:
        return
    mg = model.scenario.migration
    e = mg.income_elasticity
    prog.skilled_leaving_factor = (1.0 + allowance / wage) ** -e
    grant = prog.recruitment_subsidy / (12.0 * cfg.subsidy_horizon_years)
    pull = (1.0 + (allowance + grant) / wage) ** e
    prog.talent_households = mg.in_base_households_per_year / 12.0 * mg.in_skill_shares["high"] * (pull - 1.0)


def high_skill_wage(model: CityModel) -> float:
    """Average wage (yuan/month) of the employed high-skilled residents (0 if none)."""
    p = model.persons
    rows = np.flatnonzero((p.view("status") == EMPLOYED) & (p.view("skill") == SKILL_NAMES.index("high")))
    return float(p.wage[rows].astype(np.float64).mean()) if len(rows) else 0.0


declare(
    Flow("rd_support", CITY, FIRMS, budget="programmes", indicator="rd_support"),
    Flow("rd_support_central", CENTRAL, CITY, budget="transfers"),
)


LEVER = Lever(
    name=NAME,
    clauses=(16, 17, 18),
    title_zh="完善区域创新体系；促进科教机构与区域发展紧密结合；加大人才培养和智力引进力度",
    summary="R&D support raising productivity growth in target sectors; allowances to keep skilled residents; recruitment of skilled households.",
    mechanism="target sectors' productivity factor grows faster (R&D support paid to their firms); smaller high-skill leaving propensity with a talent allowance; recruited high-skill in-migrant households with a subsidy",
    apply=apply,
)
