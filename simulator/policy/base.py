"""What every lever is: a name, the clause it implements, and a monthly rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.model.city import CityModel


@dataclass(frozen=True)
class Lever:
    """A policy lever of the 2016 State Council opinions.

    Attributes:
        name: key of the lever under ``levers:`` in a scenario file.
        clauses: clause numbers of the document, e.g. ``(22,)``.
        title_zh: the clause's Chinese title (or the measure's name in it).
        summary: one line in English: what the measure is.
        mechanism: one line: how the model carries it out.
        apply: the monthly rule; reads the scenario block, moves money,
            writes the programme plan. Must do nothing when the lever is off.
    """

    name: str
    clauses: tuple[int, ...]
    title_zh: str
    summary: str
    mechanism: str
    apply: Callable[[CityModel], None]

    def config(self, model: CityModel):
        return getattr(model.scenario.levers, self.name)
