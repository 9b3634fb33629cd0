"""``sim hindcast`` through the command line: bad panel specs and options exit 2 with one located
line and write nothing; a short run of two cities writes its table, files and figure.

Typer's CliRunner mixes stderr into ``result.output``, so error messages are checked there.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli.main import app
from simulator.experiment.seeds import derive_seeds

REPO = Path(__file__).resolve().parents[2]
CITIES = REPO / "scenarios" / "cities"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SCALE = "4000"  # persons per agent: a few hundred agents per city


def sim(*args):
    return CliRunner(env={"COLUMNS": "240"}).invoke(app, [str(a) for a in args])


def spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "panel.yaml"
    path.write_text(text.format(cities=CITIES), encoding="utf-8")
    return path


GOOD = """\
name: two
cities:
  hegang: {cities}/hegang_baseline.yaml
  fuxin: {cities}/fuxin_2010_baseline.yaml
"""


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        (GOOD.replace("cities:", "citys:"), (), "panel.yaml:2: key 'citys': unknown key; did you mean 'cities'?"),
        (GOOD.replace("  hegang:", "  hegnag:"), (), "panel.yaml:3: key 'cities.hegnag': unknown city 'hegnag': expected a short name of the city list (data/cities/cities.csv); did you mean 'hegang'?"),
        (GOOD.replace("hegang_baseline.yaml", "hegang_baselin.yaml"), (), "panel.yaml:3: key 'cities.hegang': scenario file not found: "),
        (GOOD.replace("hegang_baseline.yaml", "jixi_baseline.yaml"), (), "panel.yaml:3: key 'cities.hegang': "),
        (GOOD.replace("hegang_baseline.yaml", "hegang.yaml"), (), "hegang.yaml is a package scenario (its counterfactual is 'hegang_baseline')"),
        (GOOD.replace("{cities}/fuxin_2010_baseline.yaml", "{cities}/../fuxin_calibrated_2010.yaml"), (),
         "panel.yaml:4: key 'cities.fuxin': "),
        (GOOD.replace("fuxin_2010_baseline.yaml", "hegang_baseline.yaml"), (), "hegang_baseline.yaml' is already the file of 'hegang': each city needs its own"),
        (GOOD + "  hegang: {cities}/hegang_baseline.yaml\n", (), "panel.yaml:5: key 'cities.hegang': duplicate key (first given on line 3)"),
        ("name: two\ncities: {{}}\n", (), "panel.yaml:2: key 'cities': a panel needs at least one city"),
        ("name: two\nroot_seed: -3\n" + GOOD[10:], (), "panel.yaml:2: key 'root_seed': Input should be greater than or equal to 0, got -3"),
        ("name: a/b\n" + GOOD[10:], (), "panel.yaml:1: key 'name': expected a name usable as a directory name"),
        ("cities: [hegang]\n", (), "panel.yaml:1: key 'cities': Input should be a valid dictionary"),
        (GOOD, ("--from", "2000"), "--from: the hindcast starts from the 2010 census"),
        (GOOD, ("--to", "2010"), "--to: expected a year after --from 2010, got 2010"),
        (GOOD, ("--to", "2300"), "--to: Input should be less than or equal to 2200, got 2300"),
        (GOOD, ("--scale", "100000000"), "--scale: key 'run.scale': expected at most population.persons"),
        (GOOD, ("--executor", "dask", "--scheduler", "tcp://nohost"), "expected tcp://host:port"),
    ],
)
def test_bad_input_exits_2_with_one_located_line_and_writes_nothing(tmp_path, text, options, expected) -> None:
    out = tmp_path / "out"
    result = sim("hindcast", spec(tmp_path, text), "--out", out, "--seeds", 1, "--scale", SCALE, "-q", *options)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1  # one line
    assert not out.exists()


def test_the_wrong_city_and_the_wrong_start_are_named() -> None:
    """The messages of the two anonymous cases above, in full."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        wrong_city = sim("hindcast", spec(Path(d), GOOD.replace("hegang_baseline.yaml", "jixi_baseline.yaml")), "-q")
        wrong_start = sim("hindcast", spec(Path(d), GOOD.replace("{cities}/fuxin_2010_baseline.yaml", "{cities}/../fuxin_calibrated_2010.yaml")), "-q")
    assert wrong_city.exit_code == wrong_start.exit_code == 2
    assert "jixi_baseline.yaml is the city 'Jixi' (鸡西市), not 'hegang'" in wrong_city.output
    assert "fuxin_calibrated_2010.yaml starts in 2000 (run.start_year); a hindcast from 2010 needs the city of the 2010 census (sim new-city fuxin --census 2010)" in wrong_start.output


def test_a_missing_spec_file_exits_2(tmp_path) -> None:
    result = sim("hindcast", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "nope.yaml: file not found" in result.output


def test_two_cities_two_seeds_write_the_table_files_and_figure(tmp_path) -> None:
    out = tmp_path / "out"
    result = sim("hindcast", spec(tmp_path, GOOD), "--to", 2012, "--seeds", 2, "--workers", 2, "--scale", SCALE, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    # the printed table: both cities, the naive forecasts' headers, the note on the interval
    for text in ("Hegang", "Fuxin", "persistence", "linear trend", "compound trend", "from 2 seeds only", "4 runs (2 cities x 2 seeds)"):
        assert text in result.output, text
    assert sorted(p.name for p in out.iterdir()) == ["hindcast.csv", "hindcast.json", "hindcast.md", "population_change.png", "runs.csv"]
    assert (out / "population_change.png").read_bytes()[:8] == PNG_MAGIC

    rows = {r["city"]: r for r in csv.DictReader(io.StringIO((out / "hindcast.csv").read_text(encoding="utf-8")))}
    assert list(rows) == ["hegang", "fuxin"]
    hegang = rows["hegang"]
    assert hegang["n_runs"] == "2"
    census, earlier = float(hegang["population_2010_census"]), float(hegang["population_2000_census"])
    assert float(hegang["population_persistence"]) == census
    assert float(hegang["population_linear_trend"]) == pytest.approx(census + (census - earlier) * 0.2)  # two years of a decade
    for r in rows.values():
        lo, med, hi = (float(r[f"population_{k}"]) for k in ("p05", "median", "p95"))
        assert lo <= med <= hi
        assert 0.9 < med / float(r["population_2010_census"]) < 1.1  # two years from the census: statistical, not exact
        assert float(r["population_change_median"]) == pytest.approx(med / float(r["population_2010_census"]) - 1)
        assert 0.05 < float(r["share_aged_60_plus_median"]) < 0.4
        assert 0 < float(r["urban_share_persistence"]) < 1

    record = json.loads((out / "hindcast.json").read_text(encoding="utf-8"))
    assert (record["from_year"], record["to_year"], record["seeds_per_city"], record["scale"]) == (2010, 2012, 2, 4000)
    assert "seeds only" in record["interval"]
    assert [c["city"] for c in record["cities"]] == ["hegang", "fuxin"]
    assert record["cities"][0]["seeds"] == derive_seeds(20011214, 2)  # the files' run.seed
    # what made the numbers: each city file's hash (and the code's commit, in a git checkout)
    import hashlib

    for c in record["cities"]:
        assert c["scenario_sha256"] == hashlib.sha256((REPO / c["scenario_file"]).read_bytes()).hexdigest()
    assert "git_commit" in record and len(record["panel_spec_sha256"]) == 64

    runs = list(csv.DictReader(io.StringIO((out / "runs.csv").read_text(encoding="utf-8"))))
    assert len(runs) == 2 * 2 * 3  # cities x seeds x years 2010-2012
    last = sorted(float(r["population"]) for r in runs if r["city"] == "hegang" and r["year"] == "2012")
    assert float(hegang["population_median"]) == pytest.approx(sum(last) / 2)  # the median of two runs
    md = (out / "hindcast.md").read_text(encoding="utf-8")
    assert md.count("\n| ") == 3 and "no observed value after 2010" in md
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


WITH_DRAWS = GOOD + """\
parameter_uncertainty:
  fit: {cities}/../../calibration/results/panel_2000
  parameters: [out_migration_rate, alone_migration_rate]
"""


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        (GOOD, ("--parameter-draws", "2"), "has no parameter_uncertainty (the fit to draw from and its parameters)"),
        (WITH_DRAWS, ("--parameter-draws", "100000"), "--parameter-draws 100000: the fit calibration/results/panel_2000 has "),
        (WITH_DRAWS.replace("out_migration_rate", "out_migraton_rate"), ("--parameter-draws", "2"),
         "key 'parameter_uncertainty': unknown parameter 'out_migraton_rate' of the fit calibration/results/panel_2000; did you mean 'out_migration_rate'?"),
        (WITH_DRAWS.replace("out_migration_rate", "in_migration_multiplier"), ("--parameter-draws", "2"), "is a multiplier of several values"),
    ],
)
def test_bad_parameter_draws_exit_2_with_one_line(tmp_path, text, options, expected) -> None:
    out = tmp_path / "out"
    result = sim("hindcast", spec(tmp_path, text), "--out", out, "--seeds", 1, "--scale", SCALE, "-q", *options)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_parameter_draws_run_each_draw_on_every_seed(tmp_path) -> None:
    out = tmp_path / "out"
    result = sim("hindcast", spec(tmp_path, WITH_DRAWS), "--to", 2011, "--seeds", 1, "--parameter-draws", 2,
                 "--workers", 2, "--scale", SCALE, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert "4 runs (2 cities x 2 parameter draws x 1 seeds)" in result.output
    record = json.loads((out / "hindcast.json").read_text(encoding="utf-8"))
    assert record["parameter_draws"] == 2 and "2 parameter draws" in record["interval"]
    runs = list(csv.DictReader(io.StringIO((out / "runs.csv").read_text(encoding="utf-8"))))
    assert sorted({r["draw"] for r in runs}) == ["0", "1"]
    # the two draws: distinct near-optimal values of the two parameters, recorded with their fit
    values = record["parameter_draw_values"]
    assert len(values) == 2 and values[0] != values[1]
    assert all(set(v) == {"migration.out_base_rate_per_year", "migration.individual.base_rate_per_year"} for v in values)
    assert record["parameter_fit"] == "calibration/results/panel_2000"
