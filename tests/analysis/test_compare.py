"""Reading runs and sweeps, bands, paired differences and the summary table, against the Parquet files."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulator.analysis import style
from simulator.analysis.compare import build_comparison, default_table_years, parse_years
from simulator.analysis.load import LONG_COLUMNS, ResultsError, read_results

SWEEP_PARAMETER = "levers.new_industry_fund.co_finance_share_of_capital"  # as in conftest.py
INDICATORS = ["population", "employment_total", "gdp_total", "unemployment_rate_registered"]


def parquet_values(run_dir, indicator: str) -> dict[int, float]:
    table = pq.read_table(run_dir / "indicators.parquet", columns=["year", indicator])
    return dict(zip(table.column("year").to_pylist(), table.column(indicator).to_pylist(), strict=True))


def seed_of(run_dir) -> int:
    return json.loads((run_dir / "manifest.json").read_text())["seed"]


def test_long_table_holds_exactly_the_parquet_values(tiny_runs) -> None:
    res = read_results([tiny_runs.root / "tiny"], INDICATORS)
    assert tuple(res.table.columns) == LONG_COLUMNS
    assert list(res.variants) == ["tiny"]
    assert sorted(res.variants["tiny"].seeds) == sorted(tiny_runs.seeds)
    for d in tiny_runs.dirs("tiny"):
        seed = seed_of(d)
        for ind in INDICATORS:
            rows = res.table[(res.table["seed"] == seed) & (res.table["indicator"] == ind)]
            assert dict(zip(rows["year"], rows["value"], strict=True)) == parquet_values(d, ind)


def test_summary_table_numbers_equal_those_computed_from_the_parquet_files(tiny_runs) -> None:
    res = read_results([tiny_runs.root / "tiny", tiny_runs.root / "tiny_package"], INDICATORS)
    cmp = build_comparison(res, baseline="tiny", table_years="2001,2002")
    assert cmp.table_years == [2001, 2002]
    base = {seed_of(d): d for d in tiny_runs.dirs("tiny")}
    pkg = {seed_of(d): d for d in tiny_runs.dirs("tiny_package")}
    checked = 0
    for row in cmp.summary.itertuples():
        dirs = base if row.scenario == "tiny" else pkg
        values = np.array([parquet_values(d, row.indicator)[row.year] for d in dirs.values()])
        assert row.n_runs == len(values)
        assert row.median == pytest.approx(np.median(values), rel=1e-12)
        assert row.p05 == pytest.approx(np.quantile(values, 0.05), rel=1e-12)
        assert row.p95 == pytest.approx(np.quantile(values, 0.95), rel=1e-12)
        if row.scenario == "tiny_package":
            diffs = np.array([parquet_values(pkg[s], row.indicator)[row.year] - parquet_values(base[s], row.indicator)[row.year] for s in pkg])
            assert row.n_pairs == len(diffs)
            assert row.diff_median == pytest.approx(np.median(diffs), rel=1e-12, abs=1e-9)
            assert row.diff_p05 == pytest.approx(np.quantile(diffs, 0.05), rel=1e-12, abs=1e-9)
            assert row.diff_p95 == pytest.approx(np.quantile(diffs, 0.95), rel=1e-12, abs=1e-9)
        checked += 1
    assert checked == len(INDICATORS) * 2 * 2


def test_paired_difference_is_exactly_zero_for_a_scenario_compared_with_itself(tiny_runs) -> None:
    res = read_results([tiny_runs.root / "tiny", tiny_runs.root / "tiny_copy"], INDICATORS)
    cmp = build_comparison(res, baseline="tiny")
    assert len(cmp.paired) == len(tiny_runs.seeds) * len(INDICATORS) * 3  # every run paired, 3 years
    assert (cmp.paired["value"] == 0.0).all()
    diff = cmp.summary[cmp.summary["scenario"] == "tiny_copy"]
    assert (diff[["diff_median", "diff_p05", "diff_p95"]].to_numpy() == 0.0).all()


def test_package_differs_from_baseline_only_from_its_start_year(tiny_runs) -> None:
    res = read_results([tiny_runs.root], ["gdp_total", "employment_total"])
    cmp = build_comparison(res, baseline="tiny")
    assert cmp.package_years["tiny_package"] == 2001
    assert cmp.package_years["tiny"] is None
    pkg = cmp.paired[cmp.paired["scenario"] == "tiny_package"]
    assert (pkg[pkg["year"] < 2001]["value"] == 0.0).all()  # common random numbers: identical before the package
    assert (pkg[pkg["year"] >= 2001]["value"] != 0.0).any()


def test_sweep_directory_reads_into_variants_paired_by_seed_index(sweep_dir, tiny_runs) -> None:
    res = read_results([sweep_dir], INDICATORS)
    assert list(res.variants) == ["tiny_package #p0", "tiny_package #p1"]
    p0 = res.variants["tiny_package #p0"]
    assert p0.kind == "sweep" and p0.parameters == {SWEEP_PARAMETER: 0.3}
    assert [r.seed_index for r in p0.runs] == [0, 1]
    assert res.table["run_id"].nunique() == 4  # the failed run is left out
    # the sweep point with the file's own settings equals the run directories of the same seeds
    for d in tiny_runs.dirs("tiny_package"):
        seed = seed_of(d)
        if seed not in p0.seeds:
            continue
        rows = res.table[(res.table["scenario"] == "tiny_package #p0") & (res.table["seed"] == seed) & (res.table["indicator"] == "gdp_total")]
        assert dict(zip(rows["year"], rows["value"], strict=True)) == parquet_values(d, "gdp_total")
    # the points name the same counterfactual ('tiny'), which is not among them: no baseline is guessed
    with pytest.raises(ResultsError, match=r"cannot tell which scenario is the baseline: .*'tiny'.*--baseline"):
        build_comparison(res)
    cmp = build_comparison(res, baseline="tiny_package #p0")
    assert cmp.baseline == "tiny_package #p0"
    assert set(cmp.paired["pair"]) == {0, 1}
    def part(point: str, i: int) -> pd.DataFrame:
        return pq.read_table(sweep_dir / "parts" / f"{point}-s{i}.parquet").to_pandas().set_index("year")

    for row in cmp.paired[cmp.paired["indicator"] == "gdp_total"].itertuples():
        assert row.value == part("p1", row.pair).loc[row.year, "gdp_total"] - part("p0", row.pair).loc[row.year, "gdp_total"]


def test_sweep_and_run_directories_together_pair_by_seed(sweep_dir, tiny_runs) -> None:
    res = read_results([tiny_runs.root / "tiny", sweep_dir], ["gdp_total"])
    cmp = build_comparison(res, baseline="tiny")
    paired = cmp.paired[cmp.paired["scenario"] == "tiny_package #p0"]
    assert set(paired["pair"]) == set(res.variants["tiny_package #p0"].seeds)


def test_unpaired_scenarios_get_a_note_not_a_difference(tiny_runs, tmp_path) -> None:
    # the package's runs only at a seed the baseline does not have
    only = tmp_path / "pkg"
    shutil.copytree(tiny_runs.dirs("tiny_package")[0], only / "run")
    manifest = json.loads((only / "run" / "manifest.json").read_text())
    manifest["seed"] = 999
    (only / "run" / "manifest.json").write_text(json.dumps(manifest))
    res = read_results([tiny_runs.root / "tiny", only], ["gdp_total"])
    cmp = build_comparison(res, baseline="tiny")
    assert cmp.paired.empty
    assert any("no paired difference" in n for n in cmp.notes)
    row = cmp.summary[cmp.summary["scenario"] == "tiny_package"].iloc[0]
    assert row.n_pairs == 0 and np.isnan(row.diff_median)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, (2000, 2002)), ("2000:2002", (2000, 2002)), ("2001:", (2001, 2002)), (":2001", (2000, 2001)), ("2001", (2001, 2001)), ("1990:2040", (2000, 2002))],
)
def test_years_option(text, expected) -> None:
    assert parse_years(text, (2000, 2002)) == expected


@pytest.mark.parametrize(("text", "message"), [("2000-2035", "FIRST:LAST"), ("2002:2000", "after the last"), ("2030:2040", "cover 2000-2002 only"), (":", "FIRST:LAST")])
def test_bad_years_option(text, message) -> None:
    with pytest.raises(ResultsError, match=message):
        parse_years(text, (2000, 2002))


def test_default_table_years_start_at_the_package() -> None:
    assert default_table_years(2000, 2035, 2016) == [2020, 2025, 2030, 2035]
    assert default_table_years(2000, 2033, None) == [2020, 2025, 2030, 2033]
    assert default_table_years(2000, 2002, None) == [2000, 2002]


def test_observed_points_only_for_the_city_they_describe(tiny_runs, tmp_path) -> None:
    res = read_results([tiny_runs.root / "tiny"], ["population", "gdp_total"])
    # Fuxin's figures do not describe the tiny city (3500 persons): not drawn, with a note
    cmp = build_comparison(res)
    assert cmp.observed.empty and any("not shown" in n for n in cmp.notes)
    own = tmp_path / "tiny_targets.csv"
    pd.DataFrame(
        [
            {"indicator": "population", "year": 2000, "kind": "level", "observed": 3500, "unit": "persons", "in_fit": "yes", "source": "test"},
            {"indicator": "gdp_total", "year": 2001, "kind": "level", "observed": 1.2e7, "unit": "yuan", "in_fit": "no", "source": "test"},
            {"indicator": "gdp_total", "year": 2001, "kind": "ratio_to:population", "observed": 3000, "unit": "yuan", "in_fit": "no", "source": "test"},
        ]
    ).to_csv(own, index=False)
    cmp = build_comparison(res, observed=own)
    assert sorted(zip(cmp.observed["indicator"], cmp.observed["year"], strict=True)) == [("gdp_total", 2001), ("population", 2000)]


def test_display_units_are_those_planners_read() -> None:
    pop = style.display_scale("persons", 1.8e6)
    assert pop.divisor == 1e4 and pop.label.startswith("10k persons") and "万人" in pop.label
    assert style.display_scale("persons", 3500).divisor == 1.0
    gdp = style.display_scale("yuan/year", 2e10, money_base_year=2000)
    assert gdp.divisor == 1e8 and "100 million yuan/year" in gdp.label and "2000 prices" in gdp.label
    assert "亿元" not in style.display_scale("yuan/year", 2e10, cjk=False).label
    assert style.display_scale("share", 0.05).divisor == 0.01
    assert style.display_scale("share", 0.05, difference=True).label.startswith("percentage points")
    assert style.strip_cjk("Fuxin 阜新市: 10k persons (万人)") == "Fuxin : 10k persons"


def test_without_a_cjk_font_there_is_one_warning_and_figures_still_draw(tiny_runs, tmp_path, monkeypatch) -> None:
    from simulator.analysis.plots import draw_levels

    monkeypatch.setattr(style, "_font_state", {})
    monkeypatch.setattr(style, "CJK_FAMILIES", ("No Such Font",))
    monkeypatch.setattr(style, "packaged_cjk_font", lambda: None)
    res = read_results([tiny_runs.root / "tiny"], ["population", "gdp_total"])
    cmp = build_comparison(res)
    with pytest.warns(style.MissingCJKFontWarning) as caught:
        path = draw_levels(cmp, tmp_path / "levels.png")  # a glyph warning would fail the test (warnings are errors)
        draw_levels(cmp, tmp_path / "again.png")
    assert len(caught) == 1
    assert path.read_bytes()[:4] == b"\x89PNG"
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        style._font_state.clear()
        assert style.cjk_font() is not None  # the project's dependencies provide one
