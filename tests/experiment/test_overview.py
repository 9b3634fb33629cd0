"""The overview panel drawn by the helper process is the panel this process draws; a helper
that cannot start, fails or hangs leaves the drawing to this process; a helper given no job stops."""

from __future__ import annotations

import matplotlib
import pytest

from simulator.experiment import overview
from simulator.experiment.overview import OverviewDrawer, draw_overview


@pytest.fixture(scope="module")
def tiny_run(load_tiny, run_columns):
    scenario = load_tiny("run.end_year=2001")
    return run_columns(scenario), scenario


@pytest.mark.parametrize("given", ["no scenario", "the scenario", "another scenario"])
def test_the_helper_draws_the_panel_this_process_draws(given, tiny_run, load_tiny, tmp_path) -> None:
    """Given the scenario at the start, the helper makes the blank panel before the columns come
    (given another one, it makes the panel again)."""
    columns, scenario = tiny_run
    early = {"no scenario": None, "the scenario": scenario, "another scenario": load_tiny(seed=12345)}[given]
    with OverviewDrawer(early) as drawer:
        assert drawer._proc is not None  # a helper process is running
        drawer.draw(columns, scenario, tmp_path / "helper.png")
        drawer.wait()
    with matplotlib.rc_context():  # as in a fresh process (other tests may have styled matplotlib)
        matplotlib.rcdefaults()
        draw_overview(columns, scenario, tmp_path / "here.png")
    assert (tmp_path / "helper.png").read_bytes() == (tmp_path / "here.png").read_bytes()


@pytest.mark.parametrize("failure", ["cannot start", "fails", "hangs"])
def test_without_a_working_helper_this_process_draws(failure, tiny_run, tmp_path, monkeypatch) -> None:
    columns, scenario = tiny_run
    if failure == "cannot start":
        monkeypatch.setattr(overview.sys, "executable", str(tmp_path / "no-such-python"))
    elif failure == "fails":
        monkeypatch.setattr(overview, "HELPER_ARGS", ("-c", "raise SystemExit(3)"))
    else:  # reads the job, then never finishes
        monkeypatch.setattr(overview, "HELPER_ARGS", ("-c", "import sys, time; sys.stdin.buffer.read(); time.sleep(600)"))
        monkeypatch.setattr(overview, "HELPER_TIMEOUT_S", 0.5)
    drawn = []
    monkeypatch.setattr(overview, "draw_overview", lambda *job: drawn.append(job[2]) or draw_overview(*job))
    with OverviewDrawer() as drawer:
        drawer.draw(columns, scenario, tmp_path / "overview.png")
        drawer.wait()
    assert drawn == [tmp_path / "overview.png"]  # drawn here, once
    assert (tmp_path / "overview.png").stat().st_size > 0


def test_a_helper_given_no_job_is_stopped(tmp_path) -> None:
    drawer = OverviewDrawer()
    proc = drawer._proc
    drawer.close()
    assert proc is not None and proc.poll() is not None  # ended
    with pytest.raises(RuntimeError, match="before draw"):
        drawer.wait()
