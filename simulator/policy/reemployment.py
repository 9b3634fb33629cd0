"""Re-employment, training and public-welfare jobs (就业优先, 零就业家庭), clauses 18 and 19.

Clause 19 puts employment first: vocational training (加强专业培训), re-employment
of the unemployed, help for those hard to employ, and at least one employed
member in every zero-employment household (确保零就业家庭实现至少一人就业);
clause 18 trains and keeps talent. Mechanism: (1) ``training_places_per_year``
job seekers start training, those whose last job was in a
``priority_sectors`` sector first (laid-off miners), the longest unemployed
first; a trained seeker's sector-mismatch penalty is cut by
``mismatch_reduction_share`` in matching (for good: the skill stays after the
lever ends). The city buys the training from local
services (``cost_yuan_per_trainee``), the central government reimbursing
``training_central_share``. (2) Public-welfare jobs (公益性岗位): each month,
up to ``public_welfare_jobs_max_persons`` in all, one job seeker in each
household with no employed member is hired by a public unit at
``welfare_job_wage_yuan_per_month``; the city pays the wage, the central
government reimbursing ``welfare_job_central_share``. Both are cut by the
budget rule's programme factor. Welfare jobs above the cap (all of them once
the lever has ended) become ordinary public jobs, subject to the staffing norm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.sectors import SECTOR_NAMES
from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "reemployment"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.reemployment
    if not cfg.active(model.year):
        return
    factor = model.government.factor["programmes"]
    prog = model.programmes
    prog.trainees = model.s(cfg.training_places_per_year) / 12.0 * factor
    prog.mismatch_reduction = cfg.mismatch_reduction_share
    for s in cfg.priority_sectors:
        prog.training_priority[SECTOR_NAMES.index(s)] = True
    prog.welfare_jobs_max = model.s(cfg.public_welfare_jobs_max_persons) * factor
    prog.welfare_wage = cfg.welfare_job_wage_yuan_per_month
    prog.welfare_central_share = cfg.welfare_job_central_share
    prog.training_cost = cfg.cost_yuan_per_trainee
    prog.training_central_share = cfg.training_central_share

LEVER = Lever(
    name=NAME,
    clauses=(18, 19),
    title_zh="切实解决好社保、就业等重点民生问题：就业优先、专业培训、零就业家庭至少一人就业；加大人才培养",
    summary="Training places for job seekers (laid-off miners first) and public-welfare jobs for zero-employment households.",
    mechanism="trained seekers suffer less sector mismatch in matching; public units hire one seeker per household with no earner; the city pays, the centre reimburses a share",
    apply=apply,
)
