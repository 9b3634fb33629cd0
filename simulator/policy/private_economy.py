"""Private-economy support and credit (民营经济, 民营银行), clause 7.

Clause 7 widens the fields open to private capital (进一步放宽民间资本进入的行业和领域),
improves financial services to small and micro firms (疏通金融进入中小企业和小微企业的通道)
and supports private banks (支持在东北地区兴办民营银行). Mechanism: private firms'
loan rate falls by ``loan_rate_reduction_per_year`` (competition from new
lenders: the banks earn less interest), and the non-monetary barrier to entry
(``firms.entry_cost_share_of_capital``) falls by ``entry_cost_reduction_share``;
a lower barrier lowers what an investor must put in per unit of capital and so
raises the entry rate (all entrants are private).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "private_economy"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.private_economy
    if not cfg.active(model.year):
        return
    prog = model.programmes
    prog.private_loan_rate_cut = cfg.loan_rate_reduction_per_year
    prog.entry_cost_factor *= 1.0 - cfg.entry_cost_reduction_share


LEVER = Lever(
    name=NAME,
    clauses=(7,),
    title_zh="大力支持民营经济发展：放宽民间资本进入、改善金融服务、兴办民营银行",
    summary="Cheaper credit and lower entry barriers for private firms.",
    mechanism="lower loan rate for private firms (banks earn less); lower non-monetary entry cost, raising the entry rate",
    apply=apply,
)
