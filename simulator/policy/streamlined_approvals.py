"""Streamlined approvals (简政放权), clause 5.

Clause 5 cuts administrative approvals (大幅减少行政审批事项), simplifies procedures
and shortens approval times (着力简化办事流程，压缩审批时限), and reforms business
registration (商事制度改革). Mechanism: the non-monetary entry cost
(``firms.entry_cost_share_of_capital``) falls by
``entry_cost_reduction_share`` (raising the entry rate) and the delay from an
entry decision to operation (``firms.entry_delay_months``) falls by
``entry_delay_reduction_share`` (entrants start producing and hiring sooner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "streamlined_approvals"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.streamlined_approvals
    if not cfg.active(model.year):
        return
    prog = model.programmes
    prog.entry_cost_factor *= 1.0 - cfg.entry_cost_reduction_share
    prog.entry_delay_factor *= 1.0 - cfg.entry_delay_reduction_share


LEVER = Lever(
    name=NAME,
    clauses=(5,),
    title_zh="加快转变政府职能：简政放权、压缩审批时限、商事制度改革",
    summary="Fewer approvals and shorter approval times for new firms.",
    mechanism="lower non-monetary entry cost (more entrants) and a shorter delay from the entry decision to operation",
    apply=apply,
)
