"""The programme plan: monthly fields return to neutral each month, marked fields are kept."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from simulator.model.programmes import _MONTHLY, Programmes


def test_every_field_is_monthly_unless_marked_with_a_reason() -> None:
    for f in fields(Programmes):
        assert (f.name in _MONTHLY) != bool(f.metadata), f.name
        assert not f.metadata or f.metadata["kept"], f.name


def test_reset_returns_the_monthly_fields_to_neutral_and_keeps_the_rest() -> None:
    prog, neutral = Programmes(), Programmes()
    prog.trainees = 12.0
    prog.talent_households = 3.0
    prog.soe_layoff_share = 0.2
    prog.fund_target[2] = True
    prog.productivity_factor[:] = 1.1
    prog.infrastructure_stock = 5e6
    prog.reset()
    for name in _MONTHLY:
        assert getattr(prog, name) == getattr(neutral, name), name
    assert not prog.fund_target.any()
    assert np.all(prog.productivity_factor == 1.1) and prog.infrastructure_stock == 5e6
