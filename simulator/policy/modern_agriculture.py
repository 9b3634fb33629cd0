"""Modern agriculture (现代化大农业), clause 14.

Clause 14 builds modern large-scale agriculture: high-standard farmland,
mechanisation with open-ended machinery subsidies (农机具购置实施敞开补贴), new
varieties, farm-produce processing (继续实施农产品产地初加工补助). Mechanism:
agriculture's productivity grows ``productivity_growth_extra_per_year`` faster
while the lever is active (the level reached stays); farms receive
``subsidy_yuan_per_worker_per_year`` per worker, paid by the city with the
central government reimbursing ``subsidy_central_share``: it raises their
profit, hence their investment and survival (it is not value added).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.sectors import AGRI
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "modern_agriculture"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.modern_agriculture
    if not cfg.active(model.year):
        return
    prog = model.programmes
    prog.productivity_factor[AGRI] *= (1.0 + cfg.productivity_growth_extra_per_year) ** (1.0 / 12.0)
    prog.agri_subsidy_per_worker = model.s(cfg.subsidy_yuan_per_worker_per_year) / 12.0 * model.government.factor["programmes"]
    prog.agri_subsidy_central_share = cfg.subsidy_central_share


LEVER = Lever(
    name=NAME,
    clauses=(14,),
    title_zh="加快发展现代化大农业：高标准农田、农机购置补贴、农产品加工",
    summary="Faster productivity growth in agriculture and subsidies per farm worker.",
    mechanism="agriculture's productivity factor grows faster while active; per-worker subsidy to farms (city, centre reimbursing a share)",
    apply=apply,
)
