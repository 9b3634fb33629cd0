"""The baseline of a comparison: ``--baseline``, else the counterfactual the scenarios name, else refused.

Never the first input, the alphabetical first or a name like ``*baseline*``: a baseline
taken by mistake turns every difference's sign around.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from simulator.analysis.compare import baseline_from_counterfactuals
from simulator.analysis.load import ResultsError

# a variant of the tiny city that sorts before it ("extra_transfer" < "tiny") and adds money from
# outside: the resource-exhausted city transfer from 2001 instead of 2008 (tiny.yaml: 2.5e5 a year)
VARIANT_YAML = """\
extends: {tiny}
name: extra_transfer
counterfactual: tiny
description: The tiny city with the resource-exhausted city transfer from 2001 instead of 2008.
levers:
  resource_city_transfer:
    start_year: 2001
"""

NO_COUNTERFACTUAL_YAML = """\
extends: {tiny}
name: also_tiny
description: The tiny city under another name, naming no counterfactual.
"""

INDICATORS = "transfers_received,resource_city_transfer,population"


def ok(result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def summary(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def check_known_effect(rows: list[dict[str, str]]) -> None:
    """The baseline is the tiny city and the transfer's effect is positive from 2001."""
    assert {r["baseline"] for r in rows} == {"tiny"}
    variant = [r for r in rows if r["scenario"] == "extra_transfer" and r["indicator"] in ("transfers_received", "resource_city_transfer")]
    assert variant
    for r in variant:
        if int(r["year"]) >= 2001:
            assert float(r["diff_p05"]) > 0 and float(r["diff_median"]) > 0, r  # more money, in every pair
        else:
            assert float(r["diff_median"]) == 0.0, r
    base = [r for r in rows if r["scenario"] == "tiny"]
    assert base and all(float(r["diff_median"]) == 0.0 for r in base)


@pytest.fixture(scope="module")
def variant_file(tmp_path_factory, tiny_path) -> Path:
    path = tmp_path_factory.mktemp("variant") / "extra_transfer.yaml"
    path.write_text(VARIANT_YAML.format(tiny=tiny_path), encoding="utf-8")
    return path


def test_the_readme_workflow_takes_the_named_counterfactual_as_baseline(cli, tiny_path, variant_file, tmp_path) -> None:
    # sim compare VARIANT BASELINE (the variant first), then sim report / sim compare of the runs folder
    out = tmp_path / "compare"
    result = cli("compare", variant_file, tiny_path, "--seeds", 2, "--workers", 1, "--out", out, "--indicators", INDICATORS, "--table-years", "2000,2001,2002", "-q")
    ok(result)
    check_known_effect(summary(out / "summary.csv"))
    assert "Baseline: tiny (the counterfactual named by 'extra_transfer')" in " ".join(result.output.split())

    report = tmp_path / "r.html"
    result = cli("report", out / "runs", "--out", report, "--indicators", INDICATORS)
    ok(result)
    html = report.read_text(encoding="utf-8")
    assert "<h1 id='title'>Fuxin 阜新市: extra_transfer compared with tiny (the baseline)</h1>" in html
    assert "<title>Fuxin 阜新市: extra_transfer compared with tiny (the baseline)</title>" in html
    assert "baseline: <b>tiny</b> (the counterfactual named by &#x27;extra_transfer&#x27;)" in html
    assert "<img alt='Difference from tiny:" in html and "Figure 2. Difference from <b>tiny</b> (the baseline)" in html
    assert "baseline tiny" in " ".join(result.output.split())

    again = tmp_path / "again"
    result = cli("compare", out / "runs", "--out", again, "--indicators", INDICATORS, "--table-years", "2000,2001,2002")
    ok(result)
    check_known_effect(summary(again / "summary.csv"))


def test_the_differences_figure_names_its_baseline(tiny_runs) -> None:
    from simulator.analysis.compare import build_comparison
    from simulator.analysis.load import read_results
    from simulator.analysis.plots import differences_title

    cmp = build_comparison(read_results([tiny_runs.root / "tiny_package", tiny_runs.root / "tiny"], ["population"]))
    assert cmp.baseline == "tiny" and cmp.labels[0] == "tiny"
    assert "difference from tiny (the baseline)" in differences_title(cmp)


def test_an_explicit_baseline_wins(tiny_runs) -> None:
    from simulator.analysis.compare import build_comparison
    from simulator.analysis.load import read_results

    res = read_results([tiny_runs.root / "tiny", tiny_runs.root / "tiny_package"], ["population"])
    cmp = build_comparison(res, baseline="tiny_package")
    assert cmp.baseline == "tiny_package" and cmp.baseline_reason == "--baseline"


def test_scenario_files_naming_no_counterfactual_are_refused_before_any_run(cli, tiny_path, tmp_path) -> None:
    other = tmp_path / "also_tiny.yaml"
    other.write_text(NO_COUNTERFACTUAL_YAML.format(tiny=tiny_path), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("compare", tiny_path, other, "--seeds", 1, "--out", out)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "error: cannot tell which scenario is the baseline" in text
    assert "pass --baseline NAME with one of: tiny, also_tiny" in text
    assert "Traceback" not in result.output
    assert not (out / "runs").exists()  # refused before minutes of runs


def test_runs_naming_no_counterfactual_are_refused(cli, tiny_runs, tmp_path) -> None:
    # tiny and tiny_copy name no counterfactual: neither is guessed, whatever their order or names
    result = cli("report", tiny_runs.root / "tiny", tiny_runs.root / "tiny_copy", "--out", tmp_path / "r.html")
    assert result.exit_code == 2, result.output
    assert "pass --baseline NAME with one of: tiny, tiny_copy" in " ".join(result.output.split())
    assert not (tmp_path / "r.html").exists()


def test_a_single_scenario_needs_no_baseline(cli, tiny_runs, tmp_path) -> None:
    result = cli("report", tiny_runs.root / "tiny", "--out", tmp_path / "r.html", "--indicators", "population")
    ok(result)
    assert "<h1 id='title'>Fuxin 阜新市: tiny</h1>" in (tmp_path / "r.html").read_text(encoding="utf-8")


# ------------------------------------------------------------ the rule itself


def test_the_counterfactual_named_by_the_others_is_the_baseline() -> None:
    choice = baseline_from_counterfactuals([("fuxin", "fuxin", "fuxin_calibrated"), ("fuxin_calibrated", "fuxin_calibrated", None)])
    assert choice.label == "fuxin_calibrated" and choice.reason == "the counterfactual named by 'fuxin'"
    # several packages of one counterfactual
    choice = baseline_from_counterfactuals(
        [("fuxin_double_shantytown", "fuxin_double_shantytown", "fuxin_calibrated"), ("fuxin", "fuxin", "fuxin_calibrated"), ("fuxin_calibrated", "fuxin_calibrated", None)]
    )
    assert choice.label == "fuxin_calibrated" and not choice.notes


def test_a_counterfactual_that_is_not_compared_is_refused_with_the_candidates() -> None:
    with pytest.raises(ResultsError) as e:
        baseline_from_counterfactuals([("fuxin", "fuxin", "fuxin_calibrated"), ("fuxin_package_lite", "fuxin_package_lite", "fuxin_calibrated")])
    message = str(e.value)
    assert "'fuxin', 'fuxin_package_lite' name 'fuxin_calibrated' as counterfactual, which is not compared" in message
    assert "pass --baseline NAME with one of: fuxin, fuxin_package_lite" in message


def test_different_counterfactuals_all_compared_are_refused() -> None:
    with pytest.raises(ResultsError, match="name different counterfactuals: 'a' \\(named by 'b'\\); 'c' \\(named by 'd'\\)"):
        baseline_from_counterfactuals([("a", "a", None), ("b", "b", "a"), ("c", "c", None), ("d", "d", "c")])
    with pytest.raises(ResultsError, match="different counterfactuals"):  # each names the other
        baseline_from_counterfactuals([("a", "a", "b"), ("b", "b", "a")])


def test_a_name_like_baseline_is_only_a_suggestion() -> None:
    with pytest.raises(ResultsError, match=r"one of: tiny_baseline, tiny \(perhaps --baseline tiny_baseline\)"):
        baseline_from_counterfactuals([("tiny_baseline", "tiny_baseline", None), ("tiny", "tiny", None)])


def test_a_counterfactual_matching_several_scenarios_is_refused() -> None:
    with pytest.raises(ResultsError, match="matches several scenarios"):
        baseline_from_counterfactuals([("p", "p", "b"), ("b", "b", None), ("b (x=1)", "b", None)])


def test_a_scenario_whose_own_counterfactual_is_missing_gets_a_note() -> None:
    choice = baseline_from_counterfactuals([("fuxin", "fuxin", "fuxin_calibrated"), ("fuxin_calibrated", "fuxin_calibrated", None), ("x", "x", "y")])
    assert choice.label == "fuxin_calibrated"
    assert choice.notes == ("'x' names 'y' as its counterfactual, which is not compared: its difference is from 'fuxin_calibrated'",)
