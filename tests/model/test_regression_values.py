"""Regression values: what the model computes for a few fixed runs, within a tolerance.

``tests/data/regression_values.json`` holds every indicator of a few fixed runs. The test
asserts that the current code gives the same values within a relative tolerance of 1e-9
(:data:`RTOL`, of each indicator's largest value over the years, so that a figure near zero is
not held to a tighter standard than its scale). That tolerance passes the rounding differences
of another CPU, BLAS or numpy build (about 1e-16 relative), and a refactor that changes the
order of floating-point operations; it fails on any change of what the model computes, such as
a different random draw or rule.

The runs: the tiny city (``tests/data/tiny.yaml``, scale 1, 2000-2002) with
three seeds, with the levers that act on persons and jobs switched on from 2000, and with the
levers that move money (transfers, the fund, public works, subsidies, R&D support) from 2000;
and Fuxin (``scenarios/fuxin_baseline.yaml``, the hand-calibrated values, which a new
calibration does not change; identical to ``fuxin.yaml`` before the calibrated values)
at its default scale for 2000-2005 (the 2001 and 2005 mine closures included).

A change that is *meant* to change results (a new rule, a fix, other draws) regenerates the
file::

    python tests/model/test_regression_values.py --update

in the same commit, whose message says why the results changed; a change that alters draws
but should not change behaviour shows that with ``assert_statistically_equal`` (tests/conftest.py)
before it regenerates the values. A refactor never regenerates them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "tests" / "data" / "regression_values.json"
RTOL = 1e-9
"""Relative tolerance, of each indicator's largest absolute value in the run."""
ROUNDING_ONLY = ("stock_flow_max_relative_error",)
"""Indicators that measure floating-point rounding (any change of operation order moves them):
held below the tolerance instead of to their values."""
TINY = ROOT / "tests" / "data" / "tiny.yaml"
FUXIN = ROOT / "scenarios" / "fuxin_baseline.yaml"

def _lever(name: str, *sizes: str) -> list[str]:
    key = f"levers.{name}"
    return [f"{key}.enabled=true", f"{key}.start_year=2000", *(f"{key}.{s}" for s in sizes)]


# levers that act on persons and jobs, from 2000 (tiny-city sizes); the welfare-job cap falls
# in 2001, so that jobs are released
LEVERS_ON = [
    *_lever(
        "reemployment",
        "training_places_per_year={2000: 120}",
        "cost_yuan_per_trainee=1400",
        "mismatch_reduction_share=0.6",
        "public_welfare_jobs_max_persons={2000: 30, 2001: 10}",
        "welfare_job_wage_yuan_per_month=830",
    ),
    *_lever("soe_reform", "layoff_share_of_excess_per_month=0.25", "social_functions_transferred_share=1.0"),
    *_lever("ecology_overcapacity", "mine_capacity_cut_share=0.5", "resettlement_yuan_per_laid_off_worker=38000"),
    *_lever("innovation_talent", "talent_allowance_yuan_per_person_month=1000"),
    *_lever("subsidence_relocation", "households_per_year={2000: 12}"),
    *_lever("pensions", "collective_retirees_enrolled_per_year={2000: 12}"),
]

# levers that move money between governments and firms, from 2000 (tiny-city sizes): each flow's
# declared budget category and indicator are then held by the regression values
MONEY_LEVERS_ON = [
    *_lever("resource_city_transfer", "yuan_per_year={2000: 3.0e5}", "earmarks.social_security=0.2",
            "earmarks.environment=0.2", "earmarks.successor_industries=0.2"),
    *_lever("new_industry_fund", "city_yuan_per_year={2000: 1.0e5}", "central_yuan_per_year={2000: 2.0e5}",
            "co_finance_share_of_capital=0.3", "target_sectors=[manufacturing, new_industry]"),
    *_lever("infrastructure", "investment_yuan_per_year={2000: 2.0e5}",
            "funding={central: 0.4, province: 0.1, city: 0.3, bank_loans: 0.2}"),
    *_lever("modern_agriculture", "subsidy_yuan_per_worker_per_year={2000: 300}", "subsidy_central_share=0.5"),
    *_lever("ecology_overcapacity", "ecological_transfer_yuan_per_year={2000: 1.0e5}",
            "heavy_industry_environmental_cost_share_of_sales=0.01"),
    *_lever("innovation_talent", "rd_support_yuan_per_year={2000: 1.0e5}", "rd_support_central_share=0.5",
            "talent_allowance_yuan_per_person_month=100", "recruitment_subsidy_yuan_per_household=20000"),
]

RUNS: dict[str, dict] = {
    "tiny_seed1": {"path": TINY, "seed": 1, "overrides": []},
    "tiny_seed2": {"path": TINY, "seed": 2, "overrides": []},
    "tiny_seed3": {"path": TINY, "seed": 3, "overrides": []},
    "tiny_levers_on_seed4": {"path": TINY, "seed": 4, "overrides": LEVERS_ON},
    "tiny_money_levers_seed5": {"path": TINY, "seed": 5, "overrides": MONEY_LEVERS_ON},
    "fuxin_default_scale_2000_2005": {"path": FUXIN, "seed": None, "overrides": ["run.end_year=2005"]},
}


def compute(name: str) -> dict[str, list[float]]:
    """Indicator columns of one pinned run, as plain lists of floats."""
    from simulator.experiment.run import build_model, indicator_columns
    from simulator.scenario.loader import load_scenario

    spec = RUNS[name]
    scenario = load_scenario(spec["path"], overrides=list(spec["overrides"]), seed=spec["seed"])
    model = build_model(scenario, strict=True)
    model.run()
    return {k: [float(x) for x in v] for k, v in indicator_columns(model).items()}


@pytest.fixture(scope="module")
def pins() -> dict:
    return json.loads(PINS.read_text(encoding="utf-8"))


def test_every_pinned_run_is_in_the_file(pins) -> None:
    assert set(pins) == set(RUNS)


def differences(got: dict[str, list[float]], want: dict[str, list[float]], rtol: float = RTOL) -> list[str]:
    """The indicators whose values differ by more than ``rtol`` of the indicator's scale."""
    out = []
    for k in want:
        g, w = np.array(got[k], float), np.array(want[k], float)
        if k in ROUNDING_ONLY:  # a measure of rounding itself: it only has to stay negligible
            if not (np.all(g < rtol) and np.all(w < rtol)):
                out.append(f"{k} (above {rtol:g}: {float(np.max(g)):.3g})")
            continue
        scale = float(np.max(np.abs(w))) if len(w) else 0.0
        if g.shape != w.shape or not np.allclose(g, w, rtol=0.0, atol=rtol * scale, equal_nan=True):
            worst = float(np.max(np.abs(g - w))) if g.shape == w.shape else float("nan")
            out.append(f"{k} (largest difference {worst:.3g}, scale {scale:.3g})")
    return out


@pytest.mark.parametrize("name", sorted(RUNS))
def test_results_match_the_regression_values(name: str, pins) -> None:
    got = compute(name)
    want = pins[name]
    assert got.keys() == want.keys()
    changed = differences(got, want)
    assert not changed, f"{name}: indicators differ from the regression values: {changed}"


def test_the_tolerance_passes_rounding_and_fails_a_real_change(pins) -> None:
    want = pins["tiny_seed1"]
    rounded = {k: [x * (1 + 3e-16) for x in v] for k, v in want.items()}
    assert differences(rounded, want) == []
    changed = {k: list(v) for k, v in want.items()}
    changed["population"][-1] += 1.0  # one person more
    assert differences(changed, want) and differences(changed, want)[0].startswith("population")


def _update() -> None:
    pins = {name: compute(name) for name in RUNS}
    PINS.write_text(json.dumps(pins, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {PINS.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        raise SystemExit("usage: python tests/model/test_regression_values.py --update")
    _update()
