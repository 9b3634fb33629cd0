"""The committed Fuxin calibration: the scenarios in use take its fitted values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.calibration.report import _key_path
from simulator.calibration.spec import load_calibration_spec
from simulator.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[2]
RESULT = REPO / "calibration" / "results" / "fuxin"


def _value(scenario, key: str):
    data = scenario.model_dump(mode="python")
    node = data
    for part in _key_path(data, key):
        node = node[part]
    return node


@pytest.fixture(scope="module")
def fitted() -> dict[str, float]:
    manifest = json.loads((RESULT / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    return {name: p["fitted"] for name, p in manifest["result"]["parameters"].items()}


@pytest.mark.parametrize("scenario", ["fuxin_calibrated", "fuxin_package_lite", "fuxin", "fuxin_double_shantytown"])
def test_the_scenarios_in_use_take_every_fitted_value(fitted, scenario) -> None:
    loaded = load_calibration_spec(REPO / "calibration" / "fuxin.yaml")
    sc = load_scenario(REPO / "scenarios" / f"{scenario}.yaml")
    assert sc.run.end_year == 2035  # the calibration's shorter runs are not part of the fit
    assert set(fitted) == {fp.name for fp in loaded.parameters}
    for fp in loaded.parameters:
        for key, value in fp.key_values(fitted[fp.name]):
            assert _value(sc, key) == pytest.approx(value, rel=1e-12), (scenario, key)


def test_the_hand_values_stay_in_the_baseline(fitted) -> None:
    loaded = load_calibration_spec(REPO / "calibration" / "fuxin.yaml")
    base = load_scenario(REPO / "scenarios" / "fuxin_baseline.yaml")
    for fp in loaded.parameters:
        for key, value in zip(fp.keys, fp.base_values, strict=True):
            assert _value(base, key) == value
