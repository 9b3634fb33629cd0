"""Innovation and talent (创新, 人才), clauses 16 to 18.

Clauses 16-18 build the regional innovation system (完善区域创新体系), tie research
and colleges to local industry, and attract, train and keep talent
(把引进人才、培养人才、留住人才、用好人才放在优先位置). Mechanism: (1) the
``target_sectors``' productivity grows ``productivity_growth_extra_per_year``
faster while active (the level reached stays); the R&D support that buys it,
``rd_support_yuan_per_year``, is paid to the target sectors' ordinary firms
(not mines or public units) in proportion to last month's sales (city, central government reimbursing
``rd_support_central_share``); (2) high-skill households' extra propensity to
leave (``migration.high_skill_multiplier`` - 1) is cut by
``skilled_leaving_reduction_share``, while the city pays every employed
high-skill resident ``talent_allowance_yuan_per_person_month``; (3)
``talent_households_per_year`` high-skill households are recruited from
outside, each paid ``recruitment_subsidy_yuan_per_household`` on arrival.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.accounts import CENTRAL, CITY, FIRMS
from simulator.model.flows import Flow, declare
from simulator.model.funding import city_pays_firms
from simulator.model.sectors import PUBLIC, SECTOR_NAMES
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
    prog.skilled_leaving_factor = 1.0 - cfg.skilled_leaving_reduction_share
    prog.talent_allowance = cfg.talent_allowance_yuan_per_person_month * factor
    prog.talent_households = model.s(cfg.talent_households_per_year) / 12.0 * factor
    prog.recruitment_subsidy = cfg.recruitment_subsidy_yuan_per_household


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
