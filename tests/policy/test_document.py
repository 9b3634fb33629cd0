"""The policy document ships with the package and every lever's clause can be shown."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from simulator.cli.main import app
from simulator.policy.document import chinese_numeral, clause_text, clauses
from simulator.policy.registry import LEVERS


@pytest.mark.parametrize(("text", "value"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十六", 26)])
def test_chinese_numerals(text, value) -> None:
    assert chinese_numeral(text) == value


def test_all_26_clauses_are_found_in_order() -> None:
    found = clauses()
    assert sorted(found) == list(range(1, 27))
    assert found[22].startswith("(二十二)促进资源型城市可持续发展")
    assert found[20].startswith("(二十)全面实施棚户区")
    assert "二、着力完善体制机制" not in found[4]  # section headings are not part of a clause


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.name)
def test_each_levers_clause_is_shown(lever) -> None:
    result = CliRunner().invoke(app, ["levers", lever.name])
    assert result.exit_code == 0, result.output
    for number in lever.clauses:
        assert f"Clause {number}" in result.output
        assert clause_text(number, limit=20)[:-1] in result.output.replace("\n", "")
