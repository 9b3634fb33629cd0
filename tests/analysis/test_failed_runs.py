"""Runs that failed their checks are kept on disk but never compared: left out with a warning,
and a scenario left without runs is an error (exit 2). The manifests are made by hand."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from simulator.analysis.load import ResultsError, read_results, run_failure

FEW = "population,gdp_total"
FAILURE = "accounting check failed: stock-flow: city receipts 12.5 yuan short in 2001-03 (and 2 more violations)"


def copy_runs(tiny_runs, tmp_path: Path) -> Path:
    """A results root with copies of the tiny and tiny_package runs (three seeds each)."""
    root = tmp_path / "results"
    for name in ("tiny", "tiny_package"):
        for d in tiny_runs.dirs(name):
            shutil.copytree(d, root / name / d.name)
    return root


def edit_manifest(run: Path, **changes) -> None:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "accounting":
            manifest["accounting"].update(value)
        else:
            manifest[key] = value
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def runs_of(root: Path, name: str) -> list[Path]:
    return sorted(p for p in (root / name).iterdir() if p.is_dir())


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ({"status": "ok", "accounting": {"ok": True, "n_violations": 0, "stock_flow_ok": True}}, None),
        ({"accounting": {"n_violations": 0, "stock_flow_ok": True, "population_identity_ok": True}}, None),  # before runs had a status
        ({}, None),  # nothing recorded: nothing to hold against the run
        ({"status": "failed", "failure": FAILURE, "accounting": {"ok": False, "n_violations": 3}}, FAILURE),
        ({"status": "failed"}, "marked failed in its manifest"),
        ({"accounting": {"n_violations": 2, "violations": ["population identity: 2001-05 off by 1"]}}, "accounting check failed: population identity: 2001-05 off by 1 (and 1 more violation)"),
        ({"accounting": {"n_violations": 0, "stock_flow_ok": False, "population_identity_ok": True}}, "accounting check failed: stock-flow consistency"),
        ({"accounting": {"n_violations": 0, "stock_flow_ok": True, "population_identity_ok": False}}, "accounting check failed: population identity"),
    ],
)
def test_which_manifests_mark_a_failed_run(manifest, expected) -> None:
    assert run_failure(manifest) == expected


def test_a_failed_run_is_left_out_with_a_warning_naming_it(cli, tiny_runs, tmp_path) -> None:
    root = copy_runs(tiny_runs, tmp_path)
    failed, old_style = runs_of(root, "tiny_package")[:2]
    edit_manifest(failed, status="failed", failure=FAILURE, accounting={"ok": False, "n_violations": 3})
    edit_manifest(old_style, accounting={"n_violations": 0, "stock_flow_ok": False})  # written before runs had a status
    out = tmp_path / "out"
    result = cli("compare", root, "--out", out, "--indicators", FEW)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"warning: left out {failed}, a run that failed its checks: {FAILURE}" in text
    assert f"warning: left out {old_style}, a run that failed its checks: accounting check failed: stock-flow consistency" in text
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert {r["n_runs"] for r in rows if r["scenario"] == "tiny_package"} == {"1"}
    assert {r["n_runs"] for r in rows if r["scenario"] == "tiny"} == {str(len(tiny_runs.seeds))}

    report = tmp_path / "r.html"
    result = cli("report", root, "--out", report, "--indicators", FEW)
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert "2 runs left out" in html and failed.name in html and "stock-flow consistency" in html
    # the left-out runs are in no table of the report
    assert json.loads((failed / "manifest.json").read_text())["scenario_sha256"] not in html.replace(str(failed), "")


def test_a_scenario_whose_every_run_failed_is_refused(cli, tiny_runs, tmp_path) -> None:
    root = copy_runs(tiny_runs, tmp_path)
    for run in runs_of(root, "tiny_package"):
        edit_manifest(run, status="failed", failure=FAILURE)
    with pytest.raises(ResultsError, match="no run left to compare for 'tiny_package': all its 3 runs failed their checks"):
        read_results([root])
    for command in ("compare", "report"):
        out = tmp_path / command / ("r.html" if command == "report" else "")
        result = cli(command, root, "--out", out)
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "error: no run left to compare for 'tiny_package'" in text and FAILURE in text
        assert "Traceback" not in result.output
        assert not out.exists() or not any(out.iterdir())


def test_sweep_runs_that_failed_are_left_out_and_an_emptied_point_refused(sweep_dir, tmp_path) -> None:
    sweep = tmp_path / "sweep"
    shutil.copytree(sweep_dir, sweep)
    table = pd.read_parquet(sweep / "runs.parquet")
    # an older sweep: a run recorded as done although its accounts broke
    table.loc[table["run_id"] == "p0-s1", "stock_flow_ok"] = False
    table.to_parquet(sweep / "runs.parquet")
    res = read_results([sweep], ["population"])
    assert [r.run_id for r in res.variants["tiny_package #p0"].runs] == ["p0-s0"]
    assert any(where.endswith("run p0-s1") and "stock-flow" in why for where, why in res.excluded)
    assert any(where.endswith("run p1-s9") and why == "boom" for where, why in res.excluded)  # status failed
    # every run of a point failed: refused, not silently dropped
    table.loc[table["point_id"] == "p1", "status"] = "failed"
    table.to_parquet(sweep / "runs.parquet")
    with pytest.raises(ResultsError, match=r"no run left to compare for 'tiny_package #p1'"):
        read_results([sweep], ["population"])
