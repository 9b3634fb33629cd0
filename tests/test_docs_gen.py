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


def test_benchmarks_page_shows_the_record_and_says_when_there_is_none(tmp_path, monkeypatch) -> None:
    import json

    monkeypatch.setattr(docs_gen, "ROOT", tmp_path)
    page = docs_gen.benchmarks_page()
    assert page.count("No run recorded yet") == len(docs_gen.BENCHMARK_SECTIONS) and "## Refreshing this page" in page
    (tmp_path / "benchmarks").mkdir()
    figure = {"measure": "model alone, scale 1 (s)", "value": "100.3", "goal": "< 60", "met": False}
    detail = {"measure": "  of which on the CPU (s)", "value": "100.2", "goal": "", "met": None}
    record = {"model": {"date": "2026-12-01 10:00 UTC", "commit": "abc1234", "machine": "2 cores", "load_average": "1.0",
                        "command": "python benchmarks/run_benchmarks.py", "recorded_by_script": True, "notes": [],
                        "figures": [figure, detail], "tables": []}}
    (tmp_path / docs_gen.BENCHMARK_RECORD).write_text(json.dumps(record), encoding="utf-8")
    page = docs_gen.benchmarks_page()
    assert "- **Date**: 2026-12-01 10:00 UTC" in page and "commit `abc1234`" in page
    assert "| model alone, scale 1 (s) | 100.3 | < 60 | **no** |" in page
    assert "| &emsp;of which on the CPU (s) | 100.2 |  |  |" in page
    assert "Not a run recorded by the script" not in page
    assert page.count("No run recorded yet") == len(docs_gen.BENCHMARK_SECTIONS) - 1


def test_fit_page_without_a_committed_report_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(docs_gen, "ROOT", tmp_path)
    page = docs_gen.fit_page()
    assert "No calibration of Fuxin is committed" in page and "sim calibrate calibration/fuxin.yaml" in page
