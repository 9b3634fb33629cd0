"""Regions side by side: ``sim compare --regions``, the report's Regions section, ``sim run``'s regional table.

Runs: ``region_runs`` (the tiny city with Fuxin's seven regions and a package variant, two
seeds each) and ``tiny_runs`` (the one-region tiny city), from ``conftest.py``.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.compare import build_comparison
from simulator.analysis.load import ResultsError, read_results
from simulator.analysis.regional import DEFAULT_REGION_INDICATORS, build_regional
from simulator.experiment.seeds import SeedJob, run_seeds

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FUXIN_REGIONS = ("haizhou", "xinqiu", "taiping", "qinghemen", "xihe", "fuxin_county", "zhangwu")


def ok(result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def regional_of(region_runs, **kw):
    results = read_results([region_runs.root / "tiny_regions", region_runs.root / "tiny_regions_package"])
    cmp = build_comparison(results, baseline="tiny_regions", table_years="2001,2002")
    return build_regional(cmp, **kw)


def parquet_values(run_dirs: list[Path]) -> pd.DataFrame:
    """Every run's regions.parquet, read directly: columns seed, region, year, indicator, value."""
    frames = []
    for d in run_dirs:
        df = pd.read_parquet(d / "regions.parquet")
        df["seed"] = json.loads((d / "manifest.json").read_text())["seed"]
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------ the numbers


def test_runs_made_for_compare_and_report_keep_their_regions(region_runs) -> None:
    for name in ("tiny_regions", "tiny_regions_package"):
        dirs = region_runs.dirs(name)
        assert len(dirs) == len(region_runs.seeds)
        for d in dirs:
            assert (d / "regions.parquet").is_file()
            manifest = json.loads((d / "manifest.json").read_text())
            assert [r["name"] for r in manifest["regions"]] == list(FUXIN_REGIONS)


def test_regional_summary_equals_values_computed_from_the_parquet_files(region_runs) -> None:
    rc = regional_of(region_runs)
    assert rc.indicators == list(DEFAULT_REGION_INDICATORS)
    assert [r.name for r in rc.regions] == list(FUXIN_REGIONS)
    base = parquet_values(region_runs.dirs("tiny_regions"))
    pkg = parquet_values(region_runs.dirs("tiny_regions_package"))
    s = rc.summary
    assert len(s) == len(FUXIN_REGIONS) * 2 * len(DEFAULT_REGION_INDICATORS) * 2  # regions x scenarios x indicators x years
    for region in FUXIN_REGIONS:
        for ind in DEFAULT_REGION_INDICATORS:
            for year in (2001, 2002):
                def at(df, region=region, ind=ind, year=year):
                    sel = df[(df["region"] == region) & (df["indicator"] == ind) & (df["year"] == year)]
                    return sel.set_index("seed")["value"].sort_index()

                b, p = at(base), at(pkg)
                row = s[(s["region"] == region) & (s["indicator"] == ind) & (s["year"] == year) & (s["scenario"] == "tiny_regions_package")].iloc[0]
                assert row["median"] == pytest.approx(float(np.median(p)), rel=1e-12, abs=1e-9)
                assert row["p05"] == pytest.approx(float(np.quantile(p, 0.05)), rel=1e-12, abs=1e-9)
                assert row["p95"] == pytest.approx(float(np.quantile(p, 0.95)), rel=1e-12, abs=1e-9)
                diff = (p - b).to_numpy()  # the same seeds: paired run by run
                assert row["n_pairs"] == len(region_runs.seeds)
                assert row["diff_median"] == pytest.approx(float(np.median(diff)), rel=1e-12, abs=1e-9)
                assert row["diff_p05"] == pytest.approx(float(np.quantile(diff, 0.05)), rel=1e-12, abs=1e-9)
                brow = s[(s["region"] == region) & (s["indicator"] == ind) & (s["year"] == year) & (s["scenario"] == "tiny_regions")].iloc[0]
                assert brow["median"] == pytest.approx(float(np.median(b)), rel=1e-12, abs=1e-9)
                assert brow["diff_median"] == 0.0


def test_regional_bands_are_per_region_and_the_package_starts_from_its_year(region_runs) -> None:
    rc = regional_of(region_runs, indicators=["population", "jobs"])
    assert set(rc.bands["region"]) == set(FUXIN_REGIONS)
    assert set(rc.bands["year"]) == {2000, 2001, 2002}
    # before the package starts, the paired runs are the same run
    first = rc.differences[rc.differences["year"] == 2000]
    assert len(first) and (first[["q05", "q50", "q95"]] == 0).all().all()


def test_a_sweep_has_no_regions_to_read(sweep_dir) -> None:
    cmp = build_comparison(read_results([sweep_dir]), baseline="tiny_package #p0")
    with pytest.raises(ResultsError, match="regions of a sweep are not read"):
        build_regional(cmp)


# ------------------------------------------------------------ sim compare --regions


def test_compare_regions_draws_the_figure_and_writes_the_table(cli, region_runs, tmp_path) -> None:
    result = cli(
        "compare", region_runs.root, "--regions", "--out", tmp_path, "--indicators", "population", "--table-years", "2002", "--baseline", "tiny_regions"
    )
    ok(result)
    assert (tmp_path / "regions.png").read_bytes()[:8] == PNG_MAGIC
    rows = read_csv(tmp_path / "regions_summary.csv")
    assert {r["region"] for r in rows} == set(FUXIN_REGIONS)
    assert {r["indicator"] for r in rows} == set(DEFAULT_REGION_INDICATORS)
    assert {r["scenario"] for r in rows} == {"tiny_regions", "tiny_regions_package"}
    assert {r["year"] for r in rows} == {"2002"}
    assert len(rows) == len(FUXIN_REGIONS) * len(DEFAULT_REGION_INDICATORS) * 2
    assert next(r for r in rows if r["region"] == "qinghemen")["region_zh"] == "清河门区"
    assert "regions in 2002" in result.output and "清河门区" in result.output  # the printed regional table
    # without --regions the regional files of the earlier call are removed (they would describe other runs)
    ok(cli("compare", region_runs.root, "--out", tmp_path, "--indicators", "population"))
    assert not (tmp_path / "regions.png").exists() and not (tmp_path / "regions_summary.csv").exists()


def test_compare_scenario_files_with_region_indicators(cli, region_runs, tmp_path) -> None:
    files = region_runs.files
    result = cli(
        "compare", files["tiny_regions"], files["tiny_regions_package"], "--seeds", 1, "--workers", 1,
        "--region-indicators", "moved_in,share_aged_60_plus", "--indicators", "population", "--format", "svg", "--out", tmp_path, "-q",
    )
    ok(result)
    assert (tmp_path / "regions.svg").read_text().lstrip().startswith("<?xml")
    assert {r["indicator"] for r in read_csv(tmp_path / "regions_summary.csv")} == {"moved_in", "share_aged_60_plus"}
    assert all((d / "regions.parquet").is_file() for d in (tmp_path / "runs").glob("*/*"))


def test_compare_regions_of_a_one_region_city_has_one_row(cli, tiny_runs, tmp_path) -> None:
    result = cli("compare", tiny_runs.root / "tiny", "--regions", "--out", tmp_path, "--indicators", "population")
    ok(result)
    assert (tmp_path / "regions.png").read_bytes()[:8] == PNG_MAGIC
    rows = read_csv(tmp_path / "regions_summary.csv")
    assert len({r["region"] for r in rows}) == 1
    assert "one region" in result.output
    # the one region is the whole city: its population is the city's
    city = {r["year"]: r["median"] for r in read_csv(tmp_path / "summary.csv") if r["indicator"] == "population"}
    assert {r["year"]: r["median"] for r in rows if r["indicator"] == "population"} == city


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--region-indicators", "populaton"), "--region-indicators: unknown regional indicator 'populaton'; did you mean 'population'?"),
        (("--region-indicators", "jobs,unemployment_rate"), "unknown regional indicator 'unemployment_rate'"),
    ],
)
def test_compare_bad_region_indicator_is_one_clear_error_before_any_run(cli, region_runs, tmp_path, args, message) -> None:
    out = tmp_path / "out"
    result = cli("compare", region_runs.files["tiny_regions"], "--seeds", 1, *args, "--out", out)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (out / "runs").exists()


def test_compare_regions_of_a_sweep_is_refused(cli, sweep_dir, tmp_path) -> None:
    result = cli("compare", sweep_dir, "--regions", "--out", tmp_path)
    assert result.exit_code == 2, result.output
    assert "regions of a sweep are not read" in " ".join(result.output.split())
    assert not (tmp_path / "levels.png").exists()


def test_a_run_without_regions_is_named_and_not_reused(cli, region_runs, tmp_path) -> None:
    old = tmp_path / "results" / "tiny_regions" / "old"
    shutil.copytree(region_runs.dirs("tiny_regions")[0], old)
    (old / "regions.parquet").unlink()  # as made before regions were recorded
    result = cli("compare", old, "--regions", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "no regions.parquet" in " ".join(result.output.split())
    seed = json.loads((old / "manifest.json").read_text())["seed"]
    made = run_seeds([SeedJob(str(region_runs.files["tiny_regions"]), seed)], out_root=tmp_path / "results", workers=1)
    assert made[0] != old and (made[0] / "regions.parquet").is_file()


# ------------------------------------------------------------ sim report


def test_report_has_a_regions_section_for_a_city_with_regions(cli, region_runs, tmp_path) -> None:
    out = tmp_path / "report.html"
    ok(cli("report", region_runs.root, "--out", out, "--indicators", "population", "--baseline", "tiny_regions"))
    html = out.read_text(encoding="utf-8")
    assert "<h2 id='regions'>Regions</h2>" in html and "href='#regions'" in html
    m = re.search(r"<figure id='figure-regions' data-indicators='([^']*)'><img [^>]*src='data:image/png;base64,([^']+)'", html)
    assert m and m.group(1).split(",") == list(DEFAULT_REGION_INDICATORS)
    assert base64.b64decode(m.group(2))[:8] == PNG_MAGIC
    assert "彰武县" in html and "http:" not in html and "https:" not in html
    csv_b64 = re.search(r"download='regions_summary.csv' href='data:text/csv;base64,([^']+)'", html).group(1)
    assert base64.b64decode(csv_b64).decode().startswith("region,region_zh,indicator")


def test_report_of_a_one_region_city_has_no_regions_section(cli, tiny_runs, tmp_path) -> None:
    out = tmp_path / "report.html"
    ok(cli("report", tiny_runs.root / "tiny", "--out", out, "--indicators", "population"))
    assert "id='regions'" not in out.read_text(encoding="utf-8")


def test_report_bad_region_indicator(cli, region_runs, tmp_path) -> None:
    result = cli("report", region_runs.root, "--region-indicators", "jbos", "--out", tmp_path / "r.html")
    assert result.exit_code == 2 and "did you mean 'jobs'?" in result.output


# ------------------------------------------------------------ sim run


def test_run_prints_the_regions_in_the_last_year(cli, region_runs, tmp_path) -> None:
    result = cli("run", region_runs.files["tiny_regions"], "--out", tmp_path, "-q")
    ok(result)
    assert "the 7 regions in 2002" in result.output
    run = next((tmp_path / "tiny_regions").iterdir())
    df = pd.read_parquet(run / "regions.parquet")
    for name, zh in (("haizhou", "海州区"), ("zhangwu", "彰武县")):
        line = next(line for line in result.output.splitlines() if zh in line)
        share = df[(df["region"] == name) & (df["year"] == 2002) & (df["indicator"] == "share_aged_60_plus")]["value"].iloc[0]
        assert f"{share * 100:.1f}" in line


def test_run_of_a_one_region_city_prints_no_regional_table(cli, tiny_runs, tmp_path) -> None:
    result = cli("run", tiny_runs.files["tiny"], "--out", tmp_path, "-q")
    ok(result)
    assert "regions in" not in result.output
