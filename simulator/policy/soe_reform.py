"""State-owned enterprise reform (国资国企改革), clauses 6 and 8.

Clause 6 deepens the reform of state firms (完善国有企业治理模式和经营机制, 真正确立
企业市场主体地位): firms run on market terms, with hard budgets. Clause 8 settles
the legacy problems: the separation of the social functions run by enterprises
(分离企业办社会职能) and the collective enterprises. Mechanism: (1) state firms'
and state mines' productivity rises by ``productivity_gain_share``, phased in
linearly over ``phase_in_years`` (better governance; the gain stays after the
lever ends); (2) a hard budget constraint: state firms and mines exit or close
after ``hard_budget_loss_months`` months of losses, a single limit that
replaces the sectors' state-firm limits and the state mines' limit (unset:
unchanged); (3) state firms shed surplus labour at
``layoff_share_of_excess_per_month`` (unset: unchanged); (4) the city takes
over ``social_functions_transferred_share`` of the cost of the social
functions state firms run (``firms.soe_social_functions_cost_share_of_wage_bill``):
the firms' costs fall, the city's spending rises, the services are still bought.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "soe_reform"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.soe_reform
    if not cfg.enabled or model.year < cfg.start_year:
        return
    prog = model.programmes
    if model.year <= cfg.end_year:
        months = (model.year - cfg.start_year) * 12 + model.month
        phase = min(1.0, months / (12.0 * cfg.phase_in_years))
        prog.soe_productivity_factor = 1.0 + cfg.productivity_gain_share * phase
        prog.soe_exit_loss_months = cfg.hard_budget_loss_months
        prog.soe_layoff_share = cfg.layoff_share_of_excess_per_month
        prog.social_functions_to_city = cfg.social_functions_transferred_share
    # after the end year the productivity reached is kept (persistent); the rest lapses


LEVER = Lever(
    name=NAME,
    clauses=(6, 8),
    title_zh="进一步推进国资国企改革；深入推进重点专项领域改革：分离企业办社会职能",
    summary="State-enterprise reform: higher productivity, hard budgets, faster shedding of surplus labour, social functions moved to the city.",
    mechanism="state firms' productivity factor; exit after sustained losses as private firms; SOE layoff rate; share of social-function costs paid by the city instead of the firms",
    apply=apply,
)
