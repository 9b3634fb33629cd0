"""Scenario folders for the dashboard: the tiny city and a package variant naming it as its counterfactual.

``dashboard_folder`` holds ``tiny.yaml`` (the test city under its own name) and ``tiny_package.yaml``
(the new-industry fund from 2001, counterfactual ``tiny``), and a file that is not a scenario;
``regions_folder`` the same for the tiny city with Fuxin's seven regions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"

PACKAGE_YAML = """\
extends: {base}.yaml
name: {base}_package
counterfactual: {base}
description: The tiny city with the successor/new-industry fund (clauses 12, 22, 25) from 2001.
levers:
  new_industry_fund:
    enabled: true
    start_year: 2001
    end_year: 2002
    city_yuan_per_year: {{2001: 2.0e5}}
    central_yuan_per_year: {{2001: 5.0e5}}
    co_finance_share_of_capital: 0.3
    target_sectors: [new_industry, manufacturing]
"""


def make_folder(folder: Path, base: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{base}.yaml").write_text(f"extends: {(DATA / f'{base}.yaml').as_posix()}\n", encoding="utf-8")
    (folder / f"{base}_package.yaml").write_text(PACKAGE_YAML.format(base=base), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def dashboard_folder(tmp_path_factory) -> Path:
    folder = make_folder(tmp_path_factory.mktemp("dashboard_scenarios"), "tiny")
    (folder / "notes.yaml").write_text("just: a note\n", encoding="utf-8")  # not a scenario: skipped
    return folder


@pytest.fixture(scope="session")
def regions_folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("dashboard_regions"), "tiny_regions")


@pytest.fixture(scope="session")
def cli():
    """Run ``sim`` in this process: ``cli("run", path, ...)`` returns Typer's result (stderr mixed in)."""
    from typer.testing import CliRunner

    from simulator.cli.main import app

    runner = CliRunner(env={"COLUMNS": "200"})

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke
