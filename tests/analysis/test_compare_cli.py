"""``sim compare`` and ``sim report`` through the command line: figures, table, report, bad input.

Typer's CliRunner mixes stderr into ``result.output``, so error messages are checked there.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from simulator.policy.registry import lever_by_name

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FEW = "population,gdp_total,unemployment_rate_registered"


def ok(result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def no_temporaries(directory: Path) -> None:
    assert not [p.name for p in directory.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------ sim compare


def test_compare_a_single_run_draws_levels_only(cli, tiny_runs, tmp_path) -> None:
    run = tiny_runs.dirs("tiny")[0]
    result = cli("compare", run, "--out", tmp_path, "--indicators", FEW)
    ok(result)
    assert (tmp_path / "levels.png").read_bytes()[:8] == PNG_MAGIC
    assert not (tmp_path / "differences.png").exists()  # nothing to differ from
    rows = read_csv(tmp_path / "summary.csv")
    assert {r["indicator"] for r in rows} == set(FEW.split(","))
    assert all(r["n_runs"] == "1" for r in rows)
    no_temporaries(tmp_path)


def test_compare_scenario_files_runs_the_same_seeds_and_draws_both_figures(cli, tiny_runs, tmp_path) -> None:
    files = tiny_runs.files
    args = ("compare", files["tiny"], files["tiny_package"], "--seeds", 2, "--root-seed", 11, "--workers", 1, "--out", tmp_path, "--indicators", FEW, "-q")
    result = cli(*args)
    ok(result)
    for name in ("levels.png", "differences.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
    # the runs are ordinary run directories, the same two seeds for both scenarios
    seeds = {name: sorted(json.loads(m.read_text())["seed"] for m in (tmp_path / "runs" / name).glob("*/manifest.json")) for name in ("tiny", "tiny_package")}
    assert len(seeds["tiny"]) == 2 and seeds["tiny"] == seeds["tiny_package"]
    assert "Resident population" in result.output and "Δ" in result.output  # the summary table
    # a second call reuses the runs and only redraws
    again = cli(*args[:-1], "--format", "svg", "-q")
    ok(again)
    assert len(list((tmp_path / "runs" / "tiny").iterdir())) == 2
    assert (tmp_path / "levels.svg").read_text().lstrip().startswith("<?xml")
    no_temporaries(tmp_path)


def test_compare_a_sweep_directory(cli, sweep_dir, tmp_path) -> None:
    refused = cli("compare", sweep_dir, "--out", tmp_path, "--indicators", FEW)
    assert refused.exit_code == 2 and "--baseline" in refused.output  # two design points, neither named as counterfactual
    result = cli("compare", sweep_dir, "--out", tmp_path, "--indicators", FEW, "--format", "pdf", "--baseline", "tiny_package #p0")
    ok(result)
    assert (tmp_path / "levels.pdf").read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "differences.pdf").read_bytes()[:5] == b"%PDF-"
    rows = read_csv(tmp_path / "summary.csv")
    assert {r["scenario"] for r in rows} == {"tiny_package #p0", "tiny_package #p1"}
    assert {r["baseline"] for r in rows} == {"tiny_package #p0"}


def test_compare_with_itself_gives_zero_difference_in_the_csv(cli, tiny_runs, tmp_path) -> None:
    result = cli("compare", tiny_runs.root / "tiny", tiny_runs.root / "tiny_copy", "--baseline", "tiny", "--out", tmp_path, "--indicators", FEW)
    ok(result)
    rows = [r for r in read_csv(tmp_path / "summary.csv") if r["scenario"] == "tiny_copy"]
    assert rows and all(float(r[k]) == 0.0 for r in rows for k in ("diff_median", "diff_p05", "diff_p95"))
    assert all(int(r["n_pairs"]) == len(tiny_runs.seeds) for r in rows)


# ------------------------------------------------------------ sim report


@pytest.fixture(scope="module")
def report(cli, tiny_runs, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = cli("report", tiny_runs.root / "tiny", tiny_runs.root / "tiny_package", "--out", out, "--indicators", FEW, "--baseline", "tiny")
    ok(result)
    return out, out.read_text(encoding="utf-8")


def test_report_is_self_contained(report) -> None:
    path, html = report
    assert "http:" not in html and "https:" not in html  # base64 has no ':', so this is exact
    assert "<link" not in html and "@import" not in html
    for src in re.findall(r"""src=['"]([^'"]*)""", html):
        assert src.startswith("data:image/png;base64,")
    for href in re.findall(r"""href=['"]([^'"]*)""", html):
        assert href.startswith(("#", "data:text/csv;base64,"))
    no_temporaries(path.parent)


def test_report_contains_every_requested_figure(report) -> None:
    _, html = report
    for fig in ("figure-levels", "figure-differences"):
        m = re.search(rf"<figure id='{fig}' data-indicators='([^']*)'>\s*<img [^>]*src='data:image/png;base64,([^']+)'", html)
        assert m, fig
        assert m.group(1).split(",") == FEW.split(",")
        assert base64.b64decode(m.group(2))[:8] == PNG_MAGIC


def test_report_has_scenarios_levers_checks_and_provenance(report, tiny_runs) -> None:
    _, html = report
    fund = lever_by_name("new_industry_fund")
    assert "The tiny city with the successor/new-industry fund" in html  # the description
    assert fund.title_zh in html and "阜新市" in html  # Chinese as real text
    assert ", ".join(map(str, fund.clauses)) in html
    assert "(二十二)" in html or "(22)" in html
    assert "holds in every run" in html  # accounting checks
    for name in ("tiny", "tiny_package"):
        for d in tiny_runs.dirs(name):
            manifest = json.loads((d / "manifest.json").read_text())
            assert manifest["run_id"] in html
            assert str(manifest["seed"]) in html
            assert manifest["scenario_sha256"] in html
    csv_b64 = re.search(r"href='data:text/csv;base64,([^']+)'", html).group(1)
    assert base64.b64decode(csv_b64).decode().startswith("indicator,unit,scenario,year")


def test_report_of_a_sweep(cli, sweep_dir, tmp_path) -> None:
    out = tmp_path / "sweep.html"
    ok(cli("report", sweep_dir, "--out", out, "--indicators", FEW, "--baseline", "tiny_package #p0"))
    html = out.read_text(encoding="utf-8")
    assert "tiny_package #p1" in html and "co_finance_share_of_capital" in html
    assert "http:" not in html and "https:" not in html


# ------------------------------------------------------------ bad input


def other_city_run(tiny_runs, tmp_path) -> Path:
    run = tmp_path / "elsewhere" / "run"
    shutil.copytree(tiny_runs.dirs("tiny")[0], run)
    resolved = yaml.safe_load((run / "scenario.resolved.yaml").read_text())
    resolved["city"]["name"] = "Elsewhere"
    resolved["name"] = "tiny_elsewhere"
    (run / "scenario.resolved.yaml").write_text(yaml.safe_dump(resolved))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(scenario_name="tiny_elsewhere", scenario_sha256="0" * 64)
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown_indicator", "unknown indicator 'populaton'; did you mean 'population'?"),
        ("not_a_run", "not a run directory"),
        ("missing", "no such file or directory"),
        ("not_a_scenario", "not a scenario file"),
        ("mixed_cities", "different cities"),
        ("mixed_city_files", "different cities"),
        ("unknown_baseline", "--baseline 'tiny_baseline': no such scenario; did you mean 'tiny'?"),
        ("bad_years_form", "expected FIRST:LAST"),
        ("years_reversed", "is after the last"),
        ("years_outside", "cover 2000-2002 only"),
        ("table_years_outside", "outside the years shown"),
        ("bad_format", "--format 'gif'"),
        ("unknown_indicator_before_runs", "unknown indicator 'gdp'"),
    ],
)
def test_compare_bad_input_is_one_clear_error(cli, tiny_runs, tmp_path, case, message) -> None:
    run_root = tiny_runs.root / "tiny"
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    args = {
        "unknown_indicator": (run_root, "--indicators", "populaton"),
        "not_a_run": (not_a_run,),
        "missing": (tmp_path / "nowhere",),
        "not_a_scenario": (text,),
        "mixed_cities": (run_root, other_city_run(tiny_runs, tmp_path)),
        "mixed_city_files": (tiny_runs.files["tiny"], tiny_runs.files["tiny_elsewhere"], "--seeds", 1),
        "unknown_baseline": (run_root, tiny_runs.root / "tiny_package", "--baseline", "tiny_baseline"),
        "bad_years_form": (run_root, "--years", "2000-2002"),
        "years_reversed": (run_root, "--years", "2002:2000"),
        "years_outside": (run_root, "--years", "2010:2020"),
        "table_years_outside": (run_root, "--table-years", "2030"),
        "bad_format": (run_root, "--format", "gif"),
        "unknown_indicator_before_runs": (tiny_runs.files["tiny"], "--indicators", "gdp", "--seeds", 1),
    }[case]
    out = tmp_path / "out"
    result = cli("compare", *args, "--out", out)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (out / "runs").exists()  # nothing was run for bad input
    assert not (out / "levels.png").exists()


def test_report_needs_an_html_file_name(cli, tiny_runs, tmp_path) -> None:
    result = cli("report", tiny_runs.root / "tiny", "--out", tmp_path / "report.pdf")
    assert result.exit_code == 2 and "ending in .html" in result.output
