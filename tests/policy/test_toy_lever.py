"""A new lever is one module, its scenario block and its test: nothing else is edited.

The test writes a toy lever into a temporary package (its scenario block, its money flow, its
indicator, its monthly rule) and runs it, in a fresh interpreter so that the registration does not
reach the other tests: ``sim validate`` and ``sim run`` take its block (with a suggestion for a
misspelt key), the lever pays through a declared flow with the accounts holding, its indicator is
a column of ``indicators.parquet``, and its effect (households recruited from outside, through the
migration mechanism's talent recruitment) shows against the same run without it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

TOY = '''
"""A toy lever: the city pays outside households a moving bonus (a test of the lever recipe)."""

from pydantic import Field

from simulator.model.accounts import CITY, HH
from simulator.model.flows import Flow
from simulator.model.indicators import YEAR_SUM, Indicator
from simulator.policy.base import Lever
from simulator.policy.registry import register
from simulator.scenario.schema import LeverBase


class ToyBonusCfg(LeverBase):
    """A moving bonus for households from outside."""

    households_per_year: float = Field(0.0, ge=0.0, description="households recruited a year")
    bonus_yuan_per_household: float = Field(0.0, ge=0.0, le=1e7, description="bonus paid to each, yuan")


def apply(model):
    cfg = model.scenario.levers.toy_bonus
    if not cfg.active(model.year):
        return
    k = model.stochastic_round(cfg.households_per_year / 12.0, model.lever_streams["toy_bonus"])
    model.programmes.talent_households += k  # arrive through the migration mechanism
    paid = k * cfg.bonus_yuan_per_household
    if paid > 0:
        model.pay("toy_bonus_payments", paid)  # ledger, city cash, programme spending, indicator
        model.households.savings[0] += paid / model.scale  # the per-row side: the caller's


LEVER = register(Lever(
    name="toy_bonus",
    clauses=(24,),
    title_zh="toy",
    summary="A moving bonus (test).",
    mechanism="recruited households arrive through migration; the city pays each a bonus",
    apply=apply,
    block=ToyBonusCfg,
    flows=(Flow("toy_bonus_payments", CITY, HH, budget="programmes", indicator="toy_bonus_paid"),),
    indicators=((Indicator("toy_bonus_paid", "yuan/year", "Toy bonus paid", YEAR_SUM), None),),
))
'''

DRIVER = '''
import json, sys
sys.path.insert(0, sys.argv[1])
import toy_pkg.toy_bonus  # the only import: the lever registers itself
from typer.testing import CliRunner
from simulator.cli.main import app
import pyarrow.parquet as pq

tiny, out = sys.argv[2], sys.argv[3]
on = ["--set", "levers.toy_bonus.enabled=true", "--set", "levers.toy_bonus.start_year=2000",
      "--set", "levers.toy_bonus.households_per_year=120", "--set", "levers.toy_bonus.bonus_yuan_per_household=5000",
      "--set", "run.end_year=2001", "--set", "name=toy_on"]
off = ["--set", "run.end_year=2001", "--set", "name=toy_off"]
r = CliRunner()
res = {}
res["validate_typo"] = r.invoke(app, ["validate", tiny, "--set", "levers.toy_bonus.households_per_yeer=3"]).output
for label, args in (("on", on), ("off", off)):
    x = r.invoke(app, ["run", tiny, "--quiet", "--seed", "3", "--out", out, *args])
    res[label + "_exit"] = x.exit_code
    (d,) = (p for p in __import__("pathlib").Path(out, "toy_" + label).iterdir())
    t = pq.read_table(d / "indicators.parquet").to_pydict()
    res[label] = {k: t[k] for k in ("toy_bonus_paid", "in_migrants", "talent_households_recruited", "population")}
    res[label + "_manifest"] = json.loads((d / "manifest.json").read_text())["status"]
print(json.dumps(res))
'''


def test_a_toy_lever_in_its_own_module_runs_without_editing_any_other_file(tmp_path, tiny_path) -> None:
    pkg = tmp_path / "plugins" / "toy_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "toy_bonus.py").write_text(textwrap.dedent(TOY), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, str(tmp_path / "plugins"), str(tiny_path), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert "did you mean 'households_per_year'" in res["validate_typo"]
    assert res["on_exit"] == 0 and res["off_exit"] == 0
    assert res["on_manifest"] == "ok"
    on, off = res["on"], res["off"]
    assert off["toy_bonus_paid"] == [0.0, 0.0]
    assert all(v > 0 for v in on["toy_bonus_paid"])
    assert sum(on["talent_households_recruited"]) > 0 == sum(off["talent_households_recruited"])
    assert sum(on["in_migrants"]) > sum(off["in_migrants"])


def test_the_toy_lever_did_not_register_in_this_process() -> None:
    from simulator.model.indicators import INDICATOR_NAMES
    from simulator.policy.registry import LEVERS

    assert "toy_bonus" not in {lv.name for lv in LEVERS}
    assert "toy_bonus_paid" not in INDICATOR_NAMES
    assert Path(__file__).name == "test_toy_lever.py"
