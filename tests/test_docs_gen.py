"""The documentation's generated reference pages match the code (``simulator/docs_gen.py``)."""

from __future__ import annotations

import pytest

from simulator import docs_gen


@pytest.mark.parametrize("path", sorted(docs_gen.PAGES))
def test_generated_page_is_up_to_date(path: str) -> None:
    file = docs_gen.ROOT / path
    assert file.is_file(), f"{path} is missing: run {docs_gen.REGENERATE} to regenerate"
    expected = docs_gen.PAGES[path]()
    assert file.read_text(encoding="utf-8") == expected, (
        f"{path} is stale (the code it is generated from changed): run {docs_gen.REGENERATE} to regenerate"
    )


def test_generation_is_deterministic_and_holds_no_machine_path() -> None:
    first, second = docs_gen.generate(), docs_gen.generate()
    assert first == second
    for path, text in first.items():
        assert str(docs_gen.ROOT) not in text, f"{path} holds a path of this machine"


def test_units_come_from_the_suffix() -> None:
    assert docs_gen.unit_of("unemployment_benefit_yuan_per_month") == "yuan/month"
    assert docs_gen.unit_of("general_transfer_yuan_per_resident_per_year") == "yuan/resident/year"
    assert docs_gen.unit_of("value_added_per_worker_yuan_per_month") == "yuan/worker/month"
    assert docs_gen.unit_of("dibao_line_yuan_per_person_month") == "yuan/person/month"
    assert docs_gen.unit_of("female_share") == "share"
    assert docs_gen.unit_of("capacity_tonnes_per_year") == "tonnes/year"
    assert docs_gen.unit_of("quit_rate_per_month") == "per month"
    assert docs_gen.unit_of("unemployed_persons") == "persons"


def test_bounds_join_the_constraints_and_the_unit_rule() -> None:
    from simulator.scenario.schema import LabourCfg, PopulationCfg

    quit_field = LabourCfg.model_fields["quit_rate_per_month"]
    assert docs_gen.bounds("quit_rate_per_month", quit_field.annotation, quit_field) == "[0, 1)"
    persons = PopulationCfg.model_fields["persons"]
    assert docs_gen.bounds("persons", persons.annotation, persons) == "(0, 1e8]"
    exempt = LabourCfg.model_fields["matching_efficiency_per_month"]
    assert docs_gen.bounds("matching_efficiency_per_month", exempt.annotation, exempt) == "> 0 (no unit rule)"


def test_check_reports_a_stale_page(tmp_path) -> None:
    for path, text in docs_gen.generate().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    assert docs_gen.stale(tmp_path) == []
    page = tmp_path / "docs/reference/levers.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert docs_gen.stale(tmp_path) == ["docs/reference/levers.md"]
