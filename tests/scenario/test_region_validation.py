"""Bad regional city data gets one located message and exit code 2 (``sim validate``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from simulator.cli.main import app

DATA = Path(__file__).resolve().parents[1] / "data"
REGION = (
    "  - {{name: {name}, kind: {kind}, land_area_km2: {land}, population_persons: {pop}, urban_share: 0.5, "
    "employment_shares: {{agriculture: {a}, industry: {i}, services: {s}}}, mining_share_of_employed: 0.1}}\n"
)


def _region(name="north", kind="district", land=100, pop=1000, a=0.3, i=0.3, s=0.4) -> str:
    return REGION.format(name=name, kind=kind, land=land, pop=pop, a=a, i=i, s=s)


@pytest.fixture
def city(tmp_path: Path):
    """Write a scenario extending the tiny city with the given regions block (and extra text)."""
    for name in ("tiny.yaml",):
        shutil.copy(DATA / name, tmp_path / name)
    base = (DATA / "tiny.yaml").read_text(encoding="utf-8").replace(
        "extends: ../../scenarios/", f"extends: {(DATA.parents[1] / 'scenarios').as_posix()}/"
    )
    (tmp_path / "tiny.yaml").write_text(base, encoding="utf-8")

    def write(regions: str, extra: str = "", mines: bool = True, rural: str = "null") -> Path:
        text = f"extends: tiny.yaml\nname: bad\npopulation:\n  rural_share: {rural}\nregions:\n" + regions + extra
        if mines:
            text += "coal:\n  mines:\n" + "".join(
                f"    - {{name: m{k}, region: north, soe: true, reserves_tonnes: 50000, "
                f"capacity_tonnes_per_year: 1000, workers_persons: 20}}\n"
                for k in range(2)
            )
        path = tmp_path / "bad.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _validate(path: Path):
    result = CliRunner().invoke(app, ["validate", str(path)])
    return result.exit_code, result.output


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_two_good_regions_validate(city) -> None:
    code, out = _validate(city(_region() + _region(name="south", kind="county")))
    assert code == 0, out


def test_a_region_without_a_land_area_validates_and_has_no_density(city) -> None:
    """Land areas are given only with a source (data/cities/regions.csv): a region may lack one;
    it then has no population density (NaN in regions.parquet)."""
    from simulator.model.regions import region_table
    from simulator.scenario.loader import load_scenario

    no_land = REGION.replace("land_area_km2: {land}, ", "").format(name="north", kind="district", pop=1000, a=0.3, i=0.3, s=0.4)
    path = city(no_land + _region(name="south", kind="county"))
    code, out = _validate(path)
    assert code == 0, out
    sc = load_scenario(path)
    assert sc.regions[0].land_area_km2 is None
    table = region_table(sc)
    assert np.isnan(table.land_km2[0]) and table.land_km2[1] == 100


@pytest.mark.parametrize(
    ("region", "expect"),
    [
        (_region(land=0), "greater than 0"),  # a region with people but no land
        (_region(pop=-5), "greater than 0"),  # negative count
        (_region(pop=0), "greater than 0"),  # a region without people
        (_region(a=0, i=0, s=0), "at least one sector"),  # people but no sector
        (_region(a=0.5, i=0.3, s=0.4), "sum to 1"),
        (_region(kind="suburb"), "district"),
        (_region(name="North Side"), "should match pattern"),
        (REGION.replace("population_persons: {pop}, ", "").format(name="north", kind="district", land=1, a=1, i=0, s=0),
         "missing"),
    ],
)
def test_bad_region_data_is_a_located_error(city, region: str, expect: str) -> None:
    path = city(region + _region(name="south", kind="county"))
    code, out = _validate(path)
    assert code == 2
    assert expect in out
    assert f"bad.yaml:{_line_of(path, '- {name: ' + ('north' if 'North' not in region else 'North'))}" in out
    assert "Traceback" not in out


def test_unknown_region_of_a_mine_suggests_the_name(city) -> None:
    path = city(_region() + _region(name="south", kind="county"), mines=False, extra=(
        "coal:\n  mines:\n    - {name: m0, region: nrth, soe: true, reserves_tonnes: 5e4, "
        "capacity_tonnes_per_year: 1000, workers_persons: 20}\n"))
    code, out = _validate(path)
    assert code == 2
    assert "unknown region 'nrth'" in out and "did you mean 'north'" in out
    assert f"bad.yaml:{_line_of(path, 'region: nrth')}" in out


def test_mine_without_region_and_lever_with_unknown_region(city) -> None:
    path = city(_region() + _region(name="south", kind="county"), mines=False, extra=(
        "coal:\n  mines:\n    - {name: m0, soe: true, reserves_tonnes: 5e4, capacity_tonnes_per_year: 1000, "
        "workers_persons: 20}\n"))
    code, out = _validate(path)
    assert code == 2 and "needs a region" in out
    path = city(_region() + _region(name="south", kind="county"),
                extra="levers:\n  shantytown_renovation:\n    regions: [north, sooth]\n")
    code, out = _validate(path)
    assert code == 2 and "unknown region 'sooth'" in out and "did you mean 'south'" in out


def test_rural_share_at_odds_with_the_regions_and_missing_internal_migration(city) -> None:
    path = city(_region() + _region(name="south", kind="county"), rural="0.9")
    code, out = _validate(path)
    assert code == 2 and "disagrees with the regions" in out and f"bad.yaml:{_line_of(path, 'rural_share')}" in out
    code, out = _validate(city(_region() + _region(name="south", kind="county"), rural="0.505"))
    assert code == 0, out  # within the tolerance of the regions' 0.5
    path = city(_region() + _region(name="south", kind="county"), extra="migration:\n  internal: null\n")
    code, out = _validate(path)
    assert code == 2 and "needs a migration.internal block" in out
    path = city(_region() + _region(name="north", kind="county"))
    code, out = _validate(path)
    assert code == 2 and "listed twice" in out


def test_a_city_without_regions_needs_its_rural_share(tmp_path: Path) -> None:
    path = tmp_path / "norural.yaml"
    path.write_text(
        f"extends: {(DATA / 'tiny.yaml').as_posix()}\nname: norural\npopulation:\n  rural_share: null\n",
        encoding="utf-8",
    )
    code, out = _validate(path)
    assert code == 2 and "rural_share is required" in out
