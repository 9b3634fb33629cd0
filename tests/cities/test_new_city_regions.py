"""`sim new-city` for a city with districts and counties: the regions block from the census's
county-level rows and the region list; mines placed in regions; bad region lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cities import REGION_LIST
from simulator.cities.data import CityDataError, find_data_file, load_city, read_region_list
from simulator.cities.new_city import build_drafts
from simulator.scenario.loader import load_resolved_text


def _baseline(tmp_path: Path, region_list: Path = REGION_LIST):
    b, base, pkg = build_drafts("fuxin", 2010, region_list=region_list)
    return b, load_resolved_text(base), pkg


def test_fuxin_gets_its_seven_regions_from_the_census(tmp_path: Path) -> None:
    b, sc, pkg = _baseline(tmp_path)
    names = [r.name for r in sc.regions]
    assert names == ["haizhou", "xinqiu", "taiping", "qinghemen", "xihe", "fuxin_county", "zhangwu"]
    # the regions' census populations are the census rows and sum to the city's
    assert sum(r.population_persons for r in sc.regions) == load_city("fuxin", 2010).census["population"]
    assert sc.regions[0].population_persons == 270757 and sc.regions[0].land_area_km2 == 97
    zhangwu = sc.regions[-1]
    assert zhangwu.kind == "county" and zhangwu.employment_shares["agriculture"] == pytest.approx(20791 / 25027, abs=2e-4)
    assert sc.migration.internal is not None
    # every mine is in one of the regions; the package keeps the subsidence programme's districts
    assert all(m.region in names for m in sc.coal.mines)
    assert "regions: [haizhou, xinqiu, taiping, qinghemen]" in pkg
    # the region's provenance is written beside it
    assert "census: census2010_coal_panel.csv line 4 (海州区)" in b.d.notes[("regions", 0)]


def test_a_city_without_rows_in_the_region_list_is_one_region(tmp_path: Path) -> None:
    _, base, pkg = build_drafts("hegang", 2010, region_list=_bad_list(tmp_path, "fuxin,haizhou,海州区,210902,district,97,x\n"))
    sc = load_resolved_text(base)
    assert sc.regions == [] and sc.migration.internal is None
    assert all(m.region is None for m in sc.coal.mines)
    assert "regions:" not in pkg


def _bad_list(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "regions.csv"
    header = "city,region,name_zh,census_code,kind,land_area_km2,land_area_source\n"
    path.write_text(header + row, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "expect", "key"),
    [
        ("fuxin,haizhou,海州区,210902,distrct,97,x\n", "did you mean 'district'", "kind"),
        ("fuxin,haizhou,海州区,210902,district,0,x\n", "must be positive", "land_area_km2"),
        ("fuxin,haizhou,海州区,210902,district,,\n", "needs land_area_source to say why", "land_area_km2"),
        ("fuxin,Hai Zhou,海州区,210902,district,97,x\n", "lower case", "region"),
        ("fuxin,haizhou,海州区,210902,district,97,x\nfuxin,haizhou,海州区,210902,district,97,x\n", "listed twice", "region"),
    ],
)
def test_bad_region_list_rows_are_located_errors(tmp_path: Path, row: str, expect: str, key: str) -> None:
    path = _bad_list(tmp_path, row)
    with pytest.raises(CityDataError) as err:
        read_region_list(path, "fuxin")
    assert expect in str(err.value) and err.value.key == key and err.value.line is not None


def test_regions_that_miss_part_of_the_city_are_an_error(tmp_path: Path) -> None:
    path = _bad_list(tmp_path, "fuxin,haizhou,海州区,210902,district,97,x\nfuxin,zhangwu,彰武县,210922,county,3635,x\n")
    with pytest.raises(CityDataError, match="misses a region"):
        build_drafts("fuxin", 2010, region_list=path)


def test_a_region_not_in_the_census_is_an_error(tmp_path: Path) -> None:
    path = _bad_list(tmp_path, "fuxin,haizhou,海州区,210902,district,97,x\nfuxin,nowhere,无区,219999,district,10,x\n")
    with pytest.raises(CityDataError, match="no row for city 'nowhere'"):
        build_drafts("fuxin", 2010, region_list=path)
    path = _bad_list(tmp_path, "fuxin,nowhere,无区,219999,district,10,x\n")
    with pytest.raises(CityDataError, match="no census table has rows for the regions"):
        build_drafts("fuxin", 2010, region_list=path)


def test_the_shipped_region_list_reads() -> None:
    assert len(read_region_list(find_data_file(REGION_LIST), "fuxin")) == 7
    datong = read_region_list(find_data_file(REGION_LIST), "datong")
    assert len(datong) == 11 and datong[0].land_area_km2 is None and "missing" in datong[0].land_area_source


def test_a_2000_start_takes_the_regions_from_the_2010_census() -> None:
    # the 2000 census table holds cities only: the regions' 2010 shares distribute the 2000 population
    b, base, _ = build_drafts("fuxin", 2000)
    sc = load_resolved_text(base)
    assert len(sc.regions) == 7 and sc.regions[0].population_persons == 270757
    assert "their 2010 shares distribute the 2000 population" in b.d.notes[("regions", 0)]
