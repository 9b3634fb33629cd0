"""The run directory is written whole or not at all, and never overwritten."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from simulator.experiment import run as run_mod
from simulator.experiment.run import run_scenario


def test_a_failure_while_writing_leaves_no_directory(load_tiny, tmp_path, monkeypatch) -> None:
    scenario = load_tiny("run.end_year=2000")

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(run_mod, "dump_resolved", broken)  # the resolved scenario's file cannot be written
    with pytest.raises(OSError, match="disk full"):
        run_scenario(scenario, out_root=tmp_path)
    parent = tmp_path / scenario.name
    assert list(parent.iterdir()) == []  # neither a run directory nor a temporary one is left


def test_a_failure_while_drawing_leaves_no_directory(load_tiny, tmp_path, monkeypatch) -> None:
    scenario = load_tiny("run.end_year=2000")

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    # the helper process fails, and so does the drawing in this process that replaces it
    monkeypatch.setattr("simulator.experiment.overview.HELPER_ARGS", ("-c", "raise SystemExit(3)"))
    monkeypatch.setattr("simulator.experiment.overview.draw_overview", broken)
    monkeypatch.setattr(run_mod, "draw_overview", broken)
    with pytest.raises(OSError, match="disk full"):
        run_scenario(scenario, out_root=tmp_path)
    assert list((tmp_path / scenario.name).iterdir()) == []


def test_a_run_id_already_taken_gets_a_new_directory(load_tiny, tmp_path, monkeypatch) -> None:
    scenario = load_tiny("run.end_year=2000")
    monkeypatch.setattr(run_mod, "new_run_id", lambda seed: f"fixed-seed{seed}")
    first = run_scenario(scenario, out_root=tmp_path, overview=False).directory
    before = (first / "manifest.json").read_text()
    second = run_scenario(scenario, out_root=tmp_path, overview=False).directory
    assert first != second and first.name == second.name.removesuffix("-1")
    assert (first / "manifest.json").read_text() == before  # the first run is untouched
    assert json.loads((second / "manifest.json").read_text())["run_id"] == second.name
    assert pq.read_table(first / "indicators.parquet").equals(pq.read_table(second / "indicators.parquet"))
