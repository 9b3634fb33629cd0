"""Did-you-mean suggestions for misspelt keys: changes of case and separators, and
dropped, doubled, swapped or wrong letters, in the file and in ``--set``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.scenario.loader import ScenarioError, load_scenario
from simulator.scenario.suggest import closest, normalise

VALID = Path(__file__).parent / "data" / "valid.yaml"

# (path of the real key in valid.yaml, the key as misspelt); 40 cases over the sections
MISSPELLINGS: list[tuple[tuple[Any, ...], str]] = [
    # changes of case
    (("run", "start_year"), "START_YEAR"),
    (("run", "end_year"), "END_YEAR"),
    (("run", "seed"), "SEED"),
    (("labour",), "LABOUR"),
    (("population", "persons"), "PERSONS"),
    (("city", "money_base_year"), "MONEY_BASE_YEAR"),
    (("world", "cpi_index"), "CPI_INDEX"),
    (("coal", "mines", 0, "soe"), "SOE"),
    # separators: hyphens, camel case, spaces, none
    (("run", "start_year"), "start-year"),
    (("run", "end_year"), "endYear"),
    (("run", "scale"), " scale"),
    (("labour", "quit_rate_per_month"), "quit rate per month"),
    (("labour", "matching_efficiency_per_month"), "matchingEfficiencyPerMonth"),
    (("population", "female_share"), "female-share"),
    (("population", "household_size_mean_persons"), "householdsizemeanpersons"),
    (("demography", "total_fertility_rate"), "TOTAL-FERTILITY-RATE"),
    (("firms", "depreciation_rate_per_year"), "depreciation__rate_per_year"),
    (("public_finance",), "public-finance"),
    (("social_security",), "socialSecurity"),
    (("levers", "shantytown_renovation", "cost_yuan_per_household"), "costYuanPerHousehold"),
    # dropped letters
    (("labour", "quit_rate_per_month"), "quit_rate_per_mont"),
    (("population", "unemployed_persons"), "unemployed_persns"),
    (("demography", "gompertz_slope_per_year"), "gompertz_slope_peryear"),
    (("coal", "depletion_cost_elasticity"), "depletion_cost_elasticty"),
    (("firms", "entry_delay_months"), "entry_dely_months"),
    (("households", "import_leakage_share"), "import_leakage_shar"),
    (("migration", "out_base_rate_per_year"), "out_bse_rate_per_year"),
    (("world", "coal_price_yuan_per_tonne"), "coal_price_yuan_per_tone"),
    # doubled letters
    (("housing", "rehoused_extra_cost_yuan_per_month"), "rehoused_extra_costt_yuan_per_month"),
    (("public_finance", "vat_local_share"), "vat_locall_share"),
    (("social_security", "pension_replacement_rate"), "pension_replacemment_rate"),
    (("coal", "mines", 1, "workers_persons"), "workers_personss"),
    (("sectors", "services", "relative_wage"), "relattive_wage"),
    (("levers", "shantytown_renovation", "households_per_year"), "houseeholds_per_year"),
    # swapped letters
    (("run", "scale"), "sclae"),
    (("labour", "sector_mismatch_penalty"), "sector_mismatch_penatly"),
    (("population", "shantytown_households"), "shantyotwn_households"),
    (("migration", "income_elasticity"), "income_elastcity"),
    # a wrong letter, and case with a dropped letter
    (("public_finance", "interest_rate_per_year"), "interest_rate_per_yeat"),
    (("sectors", "manufacturing", "capital_per_worker_yuan"), "Capital_Per_Worker_Yuna"),
]


def test_there_are_forty_distinct_misspellings() -> None:
    assert len(MISSPELLINGS) == 40
    assert len(set(MISSPELLINGS)) == 40
    for path, wrong in MISSPELLINGS:
        assert wrong != path[-1]


def _renamed(data: dict[str, Any], path: tuple[Any, ...], new: str) -> dict[str, Any]:
    """*data* with the key at *path* renamed to *new*, keeping the order of the keys."""
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    items = list(parent.items())
    parent.clear()
    for key, value in items:
        parent[new if key == path[-1] else key] = value
    return data


@pytest.mark.parametrize(("path", "wrong"), MISSPELLINGS, ids=[w.strip() for _, w in MISSPELLINGS])
def test_a_misspelt_key_in_the_file_gets_the_intended_key(tmp_path: Path, path, wrong: str) -> None:
    data = _renamed(yaml.safe_load(VALID.read_text(encoding="utf-8")), path, wrong)
    file = tmp_path / "misspelt.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    shown = ".".join(str(p) for p in (*path[:-1], wrong))
    about = [e for e in info.value.all_errors if f"key '{shown}': unknown key" in e]
    assert about, info.value.all_errors
    assert about[0].endswith(f"did you mean '{path[-1]}'?"), about[0]


@pytest.mark.parametrize(
    ("path", "wrong"),
    [(p, w) for p, w in MISSPELLINGS if len(p) > 1 and w == w.strip()],
    ids=[w for p, w in MISSPELLINGS if len(p) > 1 and w == w.strip()],
)
def test_a_misspelt_key_in_an_override_gets_the_intended_key(path, wrong: str) -> None:
    dotted = ".".join(str(p) for p in (*path[:-1], wrong))
    with pytest.raises(ScenarioError) as info:
        load_scenario(VALID, [f"{dotted}=1"])
    assert info.value.message.startswith("unknown key"), str(info.value)
    assert info.value.suggestion == path[-1], str(info.value)


def test_normalise_and_closest() -> None:
    assert normalise("START_YEAR") == normalise("start-year") == normalise("startYear") == "startyear"
    assert closest("START_YEAR", ["end_year", "start_year"]) == "start_year"
    assert closest("completely_different", ["start_year", "end_year"]) is None
    assert closest("x", []) is None
