"""Fit to observed figures: the simulated side is computed from the indicators as the targets say."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.fit import TargetError, fit_score, fit_table, read_targets, simulated_value
from simulator.cli.main import app

COLUMNS = {
    "year": np.array([2000, 2001, 2002]),
    "population": np.array([100.0, 110.0, 121.0]),
    "employment_total": np.array([50.0, 55.0, 60.0]),
}


def test_kinds() -> None:
    assert simulated_value(COLUMNS, "population", 2001, "level") == 110.0
    assert simulated_value(COLUMNS, "employment_total", 2002, "ratio_to:population") == pytest.approx(60 / 121)
    assert simulated_value(COLUMNS, "population", 2002, "avg_growth_since:2000") == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("indicator", "year", "kind", "message"),
    [("nope", 2000, "level", "unknown indicator"), ("population", 1999, "level", "not in the run"), ("population", 2000, "odd", "unknown kind")],
)
def test_bad_targets(indicator, year, kind, message) -> None:
    with pytest.raises(TargetError, match=message):
        simulated_value(COLUMNS, indicator, year, kind)


def test_score_is_zero_for_a_perfect_fit_and_ignores_targets_out_of_the_fit() -> None:
    targets = [
        {"indicator": "population", "year": "2001", "kind": "level", "observed": "110", "unit": "", "in_fit": "yes", "source": ""},
        {"indicator": "population", "year": "2002", "kind": "level", "observed": "1", "unit": "", "in_fit": "no", "source": ""},
    ]
    rows = fit_table(COLUMNS, targets)
    assert fit_score(rows) == 0.0
    assert rows[1].ratio == 121.0


def test_the_fuxin_targets_file_names_real_indicators_and_years() -> None:
    from simulator.model.indicators import INDICATOR_UNITS

    for t in read_targets("calibration/data/fuxin_targets.csv"):
        assert t["indicator"] in INDICATOR_UNITS, t
        assert 2000 <= int(t["year"]) <= 2015, t  # fit and checks stay within the observed history
        assert t["in_fit"] in ("yes", "no") and t["source"], t


def test_sim_fit_on_a_run(load_tiny, tmp_path) -> None:
    from typer.testing import CliRunner

    from simulator.experiment.run import run_scenario

    run = run_scenario(load_tiny("run.end_year=2002"), out_root=tmp_path, overview=False).directory
    targets = tmp_path / "t.csv"
    targets.write_text(
        "indicator,year,kind,observed,unit,in_fit,source,derivation\n"
        "population,2001,level,3500,persons,yes,test,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["fit", str(run), "--targets", str(targets)])
    assert result.exit_code == 0, result.output
    assert "RMS log error" in result.output
    bad = CliRunner().invoke(app, ["fit", str(tmp_path)])
    assert bad.exit_code == 2 and "not a run directory" in bad.output
    # without --targets: the run's city's (tiny is Fuxin: calibration/data/fuxin_targets.csv),
    # the targets outside the run's years (2000-2002) left out
    default = CliRunner().invoke(app, ["fit", str(run)])
    assert default.exit_code == 0, default.output
    assert "fuxin_targets.csv" in default.output and "left out: their years are outside the run" in default.output


def test_targets_outside_the_run_are_left_out() -> None:
    from simulator.analysis.fit import targets_in_run

    targets = [
        {"indicator": "population", "year": "2001", "kind": "level"},
        {"indicator": "population", "year": "2010", "kind": "level"},
        {"indicator": "population", "year": "2002", "kind": "avg_growth_since:1999"},
        {"indicator": "population", "year": "2002", "kind": "avg_growth_since:2000"},
    ]
    kept, left_out = targets_in_run(COLUMNS, targets)
    assert [t["year"] for t in kept] == ["2001", "2002"] and left_out == 2
