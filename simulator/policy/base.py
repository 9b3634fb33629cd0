"""What every lever is: a name, the clause it implements, a monthly rule, and what it declares
(its scenario block, its money flows, its indicators)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
        block: its scenario block (a ``LeverBase`` subclass) when the lever brings its own;
            the built-in levers' blocks are fields of ``LeversCfg`` in the schema.
        flows: money flows it books (:class:`simulator.model.flows.Flow`), declared on registration.
        indicators: ``(Indicator, compute or None)`` pairs it reports
            (:func:`simulator.model.indicators.declare_indicator`), declared on registration.

    Its random stream is ``model.lever_streams[name]`` (keyed by the name).
    """

    name: str
    clauses: tuple[int, ...]
    title_zh: str
    summary: str
    mechanism: str
    apply: Callable[[CityModel], None]
    block: type | None = None
    flows: tuple = ()
    indicators: tuple[tuple[Any, Any], ...] = ()

    def settings(self, model: CityModel):
        """The lever's block of the model's scenario (``scenario.levers.<name>``)."""
        return getattr(model.scenario.levers, self.name)
