"""The run directory is written whole or not at all, and never overwritten."""

from __future__ import annotations

import json

import numpy as np
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


# ------------------------------------------------------------ names that are not folder names

ONE_MB = 1 << 20


@pytest.mark.parametrize(
    "name",
    ["..", ".", "../../escaped", "/tmp/absolute_escape", "", "a" * ONE_MB, "x/../../y", "..\\..\\win", ".hidden", "nul\x00byte", "a\nb", "/"],
    ids=["dotdot", "dot", "up-up", "absolute", "empty", "1MB", "inner-dotdot", "backslash", "hidden", "nul", "newline", "root"],
)
def test_a_scenario_name_never_writes_outside_out(load_tiny, tmp_path, name) -> None:
    from simulator.experiment.paths import path_slug

    scenario = load_tiny("run.end_year=2000")
    odd = scenario.model_copy(update={"name": name})  # past the schema: this layer is safe on its own
    out = tmp_path / "deep" / "out"
    columns = {"year": np.array([2000]), "population": np.array([3500.0])}
    manifest = {"scenario_sha256": "0" * 64, "scenario_name": name}
    run = run_mod.write_run_directory(out, odd, columns, manifest, overview=False)
    assert run.resolve().parent.parent == out.resolve()  # out/<one folder>/<run id>
    folder = run.parent.name
    assert folder == path_slug(name) and folder not in ("", ".", "..") and not folder.startswith(".")
    assert "/" not in folder and "\\" not in folder and "\x00" not in folder and len(folder.encode()) <= 255
    # nothing anywhere else: the only entry under tmp_path is the tree of out
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_dir()) == [
        "deep", "deep/out", f"deep/out/{folder}", f"deep/out/{folder}/{run.name}"
    ]
    assert json.loads((run / "manifest.json").read_text())["scenario_name"] == name  # the name itself is kept


def test_ordinary_names_keep_their_folder_and_odd_ones_do_not_collide() -> None:
    from simulator.experiment.paths import path_slug

    for name in ("fuxin", "fuxin_calibrated", "fuxin_2010_baseline", "tiny-copy.v2", "阜新_package"):
        assert path_slug(name) == name
    assert path_slug("a/b") != path_slug("a_b") and path_slug("a/b") != path_slug("a:b")
    assert path_slug("") != path_slug(".")


def test_a_symbolic_link_leading_out_of_out_is_refused(load_tiny, tmp_path) -> None:
    from simulator.experiment.paths import UnsafePathError

    scenario = load_tiny("run.end_year=2000")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / scenario.name).symlink_to(elsewhere, target_is_directory=True)
    columns = {"year": np.array([2000]), "population": np.array([3500.0])}
    with pytest.raises(UnsafePathError, match="outside"):
        run_mod.write_run_directory(out, scenario, columns, {"scenario_sha256": "0" * 64}, overview=False)
    assert list(elsewhere.iterdir()) == []


def test_the_manifest_records_numba(load_tiny, tmp_path) -> None:
    result = run_scenario(load_tiny("run.end_year=2000"), out_root=None)
    assert result.manifest["libraries"]["numba"]
