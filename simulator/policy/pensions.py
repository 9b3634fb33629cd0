"""Pensions (养老金向东北倾斜, 厂办大集体), clause 19.

Clause 19: central funding of enterprise workers' basic pensions continues to
lean toward the Northeast (中央财政对企业职工基本养老保险的投入继续向东北地区倾斜),
pension levels rise further (进一步提高企业退休人员基本养老金水平), and the social
security of workers of collective enterprises run by state factories is settled
(妥善解决厂办大集体职工的生活困难和社会保障问题).
Mechanism: (1) the central government carries ``extra_central_share_of_deficit``
more of the pension fund's deficit (the city's top-up falls); (2) urban
pensions are raised each January by ``extra_indexation_per_year`` on top of
the baseline indexation (retirees' income and the fund's spending rise); (3)
``collective_retirees_enrolled_per_year`` retirees without an urban pension
who had non-farm jobs or none (the model's stand-in for collective-enterprise
retirees) are enrolled with ``collective_pension_yuan_per_month``; the back
contributions (``enrolment_cost_yuan_per_person``) are paid into the pension
fund by the central government (``enrolment_central_share``) and the city.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policy.base import Lever

if TYPE_CHECKING:
    from simulator.model.city import CityModel

NAME = "pensions"


def apply(model: CityModel) -> None:
    cfg = model.scenario.levers.pensions
    if not cfg.active(model.year):
        return
    prog = model.programmes
    prog.ssf_extra_central_share = cfg.extra_central_share_of_deficit
    prog.pension_extra_indexation = cfg.extra_indexation_per_year
    prog.collective_enrolment = model.s(cfg.collective_retirees_enrolled_per_year) / 12.0
    prog.collective_pension = cfg.collective_pension_yuan_per_month
    prog.collective_cost = cfg.enrolment_cost_yuan_per_person
    prog.collective_central_share = cfg.enrolment_central_share


LEVER = Lever(
    name=NAME,
    clauses=(19,),
    title_zh="切实解决好社保、就业等重点民生问题：养老保险投入向东北倾斜、提高基本养老金、厂办大集体职工社会保障",
    summary="More central money for the pension gap, higher enterprise pensions, and pensions for collective-enterprise retirees.",
    mechanism="larger central share of the pension fund's deficit; extra January indexation; enrolment of retirees without an urban pension, back contributions paid by central government and city",
    apply=apply,
)
