"""Runs to compare: the tiny city, a package variant, an identical copy, and a sweep directory.

Everything is made once per test session from real (short) runs of the tiny city:

* ``tiny_runs``: run directories of ``tiny``, ``tiny_package`` (the new-industry
  fund from 2001; its counterfactual is ``tiny``) and ``tiny_copy`` (the tiny city under another name: the same
  parameters) at the same three seeds;
* ``sweep_dir``: a directory in the format of ``sim sweep`` (``runs.parquet``,
  ``parts/<run_id>.parquet``, ``manifest.json`` with ``"kind": "sweep"``),
  fabricated from real runs: two design points of ``tiny_package`` (the fund's
  share of capital 0.3, as in the file, and 0.6) at the first two seeds of
  ``tiny_runs`` (seed indices 0 and 1), plus one failed run that must be ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulator.experiment.seeds import SeedJob, derive_seeds, run_seeds

SEEDS = 3
ROOT_SEED = 7
SWEEP_PARAMETER = "levers.new_industry_fund.co_finance_share_of_capital"

PACKAGE_YAML = """\
extends: {tiny}
name: {name}
counterfactual: {counterfactual}
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

COPY_YAML = """\
extends: {tiny}
name: tiny_copy
description: The tiny city under another name (identical parameters).
"""

OTHER_CITY_YAML = """\
extends: {tiny}
name: tiny_elsewhere
city:
  name: Elsewhere
  name_zh: 别处
"""


@dataclass
class TinyRuns:
    root: Path  # results root: root/<scenario>/<run id>/
    files: dict[str, Path]  # scenario name -> scenario file
    seeds: list[int]

    def dirs(self, name: str) -> list[Path]:
        return sorted(p for p in (self.root / name).iterdir() if not p.name.startswith("."))


@pytest.fixture(scope="session")
def scenario_files(tmp_path_factory, tiny_path) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("scenarios")
    files = {"tiny": tiny_path}
    for name, text in (("tiny_package", PACKAGE_YAML), ("tiny_copy", COPY_YAML), ("tiny_elsewhere", OTHER_CITY_YAML)):
        path = d / f"{name}.yaml"
        path.write_text(text.format(tiny=tiny_path, name=name, counterfactual="tiny"), encoding="utf-8")
        files[name] = path
    return files


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory, scenario_files) -> TinyRuns:
    root = tmp_path_factory.mktemp("runs")
    seeds = derive_seeds(ROOT_SEED, SEEDS)
    jobs = [SeedJob(str(scenario_files[n]), s) for n in ("tiny", "tiny_package", "tiny_copy") for s in seeds]
    run_seeds(jobs, out_root=root, workers=1)
    return TinyRuns(root=root, files=scenario_files, seeds=seeds)


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory, scenario_files) -> Path:
    """A sweep directory in the format of ``sim sweep``, made from real tiny runs."""
    from simulator.experiment.run import run_scenario
    from simulator.scenario.loader import dump_resolved, load_scenario, scenario_sha256

    d = tmp_path_factory.mktemp("sweep")
    (d / "parts").mkdir()
    seeds = derive_seeds(ROOT_SEED, 2)  # the first two seeds of tiny_runs
    rows = []
    for point_id, share in (("p0", 0.3), ("p1", 0.6)):
        for seed_index, seed in enumerate(seeds):
            overrides = [f"{SWEEP_PARAMETER}={share}"]
            sc = load_scenario(scenario_files["tiny_package"], overrides=overrides, seed=seed)
            result = run_scenario(sc, out_root=None)
            run_id = f"{point_id}-s{seed_index}"
            cols = {"run_id": pa.array([run_id] * len(result.indicators["year"])), **result.indicators}
            pq.write_table(pa.table(cols), d / "parts" / f"{run_id}.parquet")
            acc = result.manifest["accounting"]
            rows.append(
                {
                    "run_id": run_id,
                    "point_id": point_id,
                    "seed_index": seed_index,
                    "seed": seed,
                    "scenario_name": "tiny_package",
                    "status": "done",
                    "error": None,
                    SWEEP_PARAMETER: share,
                    "population_2002": float(result.indicators["population"][-1]),
                    "scenario_sha256": scenario_sha256(sc),
                    "stock_flow_ok": acc["stock_flow_ok"],
                    "population_identity_ok": acc["population_identity_ok"],
                }
            )
    # a failed run: in the table, without a part file; the reader must skip it
    rows.append({**rows[-1], "run_id": "p1-s9", "seed_index": 9, "seed": 1, "status": "failed", "error": "boom"})
    pd.DataFrame(rows).to_parquet(d / "runs.parquet")
    (d / "manifest.json").write_text(json.dumps({"kind": "sweep", "version": "0.1.0", "git_commit": "abc123", "city": "Fuxin"}), encoding="utf-8")
    (d / "scenario.resolved.yaml").write_text(dump_resolved(load_scenario(scenario_files["tiny_package"])), encoding="utf-8")
    return d


# ------------------------------------------------------------ a city with regions

TINY_REGIONS = Path(__file__).resolve().parents[1] / "data" / "tiny_regions.yaml"
REGION_SEEDS = 2


@pytest.fixture(scope="session")
def region_runs(tmp_path_factory) -> TinyRuns:
    """Run directories of ``tiny_regions`` (Fuxin's seven regions) and a package variant, two seeds each,
    made by the launcher ``sim compare``/``sim report`` use for scenario files."""
    d = tmp_path_factory.mktemp("region_scenarios")
    package = d / "tiny_regions_package.yaml"
    package.write_text(PACKAGE_YAML.format(tiny=TINY_REGIONS, name=package.stem, counterfactual="tiny_regions"), encoding="utf-8")
    files = {"tiny_regions": TINY_REGIONS, "tiny_regions_package": package}
    root = tmp_path_factory.mktemp("region_runs")
    seeds = derive_seeds(ROOT_SEED, REGION_SEEDS)
    run_seeds([SeedJob(str(files[n]), s) for n in files for s in seeds], out_root=root, workers=1)
    return TinyRuns(root=root, files=files, seeds=seeds)


# ------------------------------------------------------------ the command line


@pytest.fixture(scope="session")
def cli():
    """Run ``sim`` in this process: ``cli("compare", path, "--out", d)`` returns Typer's result.

    Typer's CliRunner mixes stderr into ``result.output``, so error messages are checked there.
    """
    from typer.testing import CliRunner

    from simulator.cli.main import app

    runner = CliRunner(env={"COLUMNS": "200"})

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke
