"""The dashboard without a browser: the scenario files found, the levers' form, the form's values
turned into overrides and validated by the scenario loader, the runs, what is shown, and the YAML
that ``sim run`` reproduces exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from simulator.dashboard import runs, state
from simulator.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def catalog(dashboard_folder) -> state.Catalog:
    return state.build_catalog([dashboard_folder])


@pytest.fixture(scope="module")
def package(catalog) -> state.ScenarioEntry:
    return catalog.by_label("tiny_package (tiny_package.yaml)")


@pytest.fixture(scope="module")
def form(package):
    scenario = load_scenario(package.path)
    specs = state.lever_specs(scenario)
    return specs, state.initial_values(scenario, specs)


def check(catalog, package, form, changes: dict, *, seeds: str = "2", scale: str = "1") -> state.Checked:
    specs, base = form
    return state.check(catalog, package, specs, base, {**base, **changes}, seeds=seeds, scale=scale)


# ------------------------------------------------------------------ the scenario files


def test_the_catalog_finds_the_scenarios_their_city_and_counterfactual(catalog, package) -> None:
    assert [e.name for e in catalog.entries] == ["tiny", "tiny_package"]
    assert catalog.cities() == ["Fuxin 阜新市"]
    assert [e.name for e in catalog.scenarios("Fuxin 阜新市")] == ["tiny_package", "tiny"]  # packages first
    assert catalog.counterfactual_of(package).name == "tiny"
    assert catalog.counterfactual_of(catalog.by_label("tiny (tiny.yaml)")) is None
    assert [shown for shown, _ in catalog.skipped] == ["notes.yaml"]
    assert "unknown key" in catalog.skipped[0][1]


def test_a_missing_counterfactual_or_folder_is_a_clear_error(tmp_path, dashboard_folder) -> None:
    (tmp_path / "p.yaml").write_text((dashboard_folder / "tiny_package.yaml").read_text().replace("extends: tiny.yaml", f"extends: {(dashboard_folder / 'tiny.yaml').as_posix()}"), encoding="utf-8")
    alone = state.build_catalog([tmp_path])
    with pytest.raises(state.DashboardError, match="names 'tiny' as its counterfactual, but no scenario file"):
        alone.counterfactual_of(alone.entries[0])
    with pytest.raises(state.DashboardError, match="not a directory"):
        state.build_catalog([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(state.DashboardError, match="no valid scenario file"):
        state.build_catalog([tmp_path / "empty"])


# ------------------------------------------------------------------ the form


def test_every_lever_has_its_switch_first_and_its_sizes(form) -> None:
    specs, base = form
    names = [lever.name for lever in specs]
    assert "shantytown_renovation" in names and "reemployment" in names
    shanty = next(lever for lever in specs if lever.name == "shantytown_renovation")
    kinds = {f.label: f.kind for f in shanty.fields}
    assert shanty.fields[0].label == "enabled" and kinds["enabled"] == state.SWITCH
    assert kinds["cost_yuan_per_household"] == state.NUMBER
    assert kinds["households_per_year"] == state.TEXT  # a year series
    assert kinds["funding.central"] == state.NUMBER
    assert next(f for f in shanty.fields if f.label == "funding.central").slider == (0.0, 1.0)
    assert next(f for f in shanty.fields if f.label == "cost_yuan_per_household").slider is None
    assert base["levers.new_industry_fund.enabled"] is True
    assert base["levers.new_industry_fund.city_yuan_per_year"] == "{2001: 200000.0}"
    assert base["levers.new_industry_fund.target_sectors"] == "[new_industry, manufacturing]"
    assert base["levers.soe_reform.hard_budget_loss_months"] == ""  # optional, unset


def test_only_changed_values_become_overrides(form) -> None:
    specs, base = form
    assert state.overrides(specs, base, dict(base)) == []
    same = {**base, "levers.new_industry_fund.co_finance_share_of_capital": "0.30", "levers.new_industry_fund.city_yuan_per_year": "{2001: 2.0e5}"}
    assert state.overrides(specs, base, same) == []
    changed = {**base, "levers.reemployment.enabled": True, "levers.new_industry_fund.co_finance_share_of_capital": "0.5"}
    assert state.overrides(specs, base, changed) == [
        "levers.new_industry_fund.co_finance_share_of_capital=0.5",
        "levers.reemployment.enabled=true",
    ]
    assert state.overrides(specs, base, {**base, "levers.soe_reform.phase_in_years": "true"}) == ["levers.soe_reform.phase_in_years=true"]


def test_a_valid_form_validates_to_the_scenario_the_loader_makes(catalog, package, form) -> None:
    checked = check(catalog, package, form, {"levers.reemployment.enabled": True, "levers.new_industry_fund.co_finance_share_of_capital": "0.5"})
    assert checked.ok, checked.errors
    expected = load_scenario(package.path, overrides=list(checked.overrides), scale=1)
    assert checked.scenario == expected
    assert checked.scenario.levers.reemployment.enabled is True
    assert checked.counterfactual.name == "tiny"


def test_bad_values_get_the_loaders_message_at_their_own_fields(catalog, package, form) -> None:
    checked = check(
        catalog,
        package,
        form,
        {
            "levers.shantytown_renovation.cost_yuan_per_household": "-5",
            "levers.new_industry_fund.co_finance_share_of_capital": "1.5",
            "levers.new_industry_fund.city_yuan_per_year": "{2001: lots}",
            "levers.soe_reform.phase_in_years": "true",
        },
    )
    assert not checked.ok and checked.scenario is None
    assert "greater than or equal to 0" in checked.error_at("levers.shantytown_renovation.cost_yuan_per_household")
    assert "less than 1" in checked.error_at("levers.new_industry_fund.co_finance_share_of_capital")
    assert "number" in checked.error_at("levers.new_industry_fund.city_yuan_per_year")  # about one year of the series
    assert "expected a number, got true" in checked.error_at("levers.soe_reform.phase_in_years")
    assert checked.error_at("levers.reemployment.enabled") is None
    with pytest.raises(state.DashboardError, match="fix the fields"):
        state.run_request(checked, package)


def test_a_rule_across_a_levers_fields_is_shown_at_the_lever(catalog, package, form) -> None:
    specs, _ = form
    checked = check(catalog, package, form, {"levers.new_industry_fund.end_year": "2000"})
    lever = next(lever for lever in specs if lever.name == "new_industry_fund")
    assert any("end_year (2000) is before start_year (2001)" in m for m in checked.lever_errors(lever))
    shares = check(catalog, package, form, {"levers.shantytown_renovation.funding.city": "0.9"})
    shanty = next(lever for lever in specs if lever.name == "shantytown_renovation")
    assert any("funding shares must sum to 1" in m for m in shares.lever_errors(shanty))


def test_seeds_and_scale_are_checked(catalog, package, form) -> None:
    for seeds in ("0", "x", "51", ""):
        assert "whole number of seeds from 1 to 50" in check(catalog, package, form, {}, seeds=seeds).errors[state.SEEDS_KEY]
    assert "whole number of persons per agent" in check(catalog, package, form, {}, scale="coarse").errors[state.SCALE_KEY]
    assert "greater than or equal to 1" in check(catalog, package, form, {}, scale="0").errors[state.SCALE_KEY]
    too_coarse = check(catalog, package, form, {}, scale="10000000").errors[state.SCALE_KEY]
    assert "population" in too_coarse


# ------------------------------------------------------------------ runs, view, YAML


@pytest.fixture(scope="module")
def batch(catalog, package, form, tmp_path_factory) -> runs.Batch:
    checked = check(catalog, package, form, {"levers.reemployment.enabled": True})
    request = state.run_request(checked, package)
    assert [j.scenario_file for j in request.jobs()] == [str(catalog.by_label("tiny (tiny.yaml)").path)] * 2 + [str(package.path)] * 2
    calls = []
    made = runs.execute(request, tmp_path_factory.mktemp("dashboard_runs"), workers=2, progress=lambda *a: calls.append(a))
    assert calls[-1] == (4, 4, 0)
    return made


def test_the_view_has_both_figures_and_the_paired_table(batch) -> None:
    view = runs.build_view(batch, ["population", "gdp_total"])
    assert view.levels_png[:8] == b"\x89PNG\r\n\x1a\n" and view.differences_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert view.cmp.baseline == "tiny" and view.cmp.labels == ["tiny", "tiny_package"]
    assert {r.scenario for r in view.summary} == {"tiny", "tiny_package"}
    package_rows = [r for r in view.summary if r.scenario == "tiny_package"]
    assert all(c.difference for r in package_rows for c in r.cells)  # the paired difference from tiny
    assert view.regional is None  # one region
    html = runs.report_html(view)
    assert "<h1 id='title'>Fuxin 阜新市: tiny_package compared with tiny (the baseline)" in html
    assert "@font-face" in html  # the report's embedded CJK font
    with pytest.raises(Exception, match="at least one indicator"):
        runs.build_view(batch, [])


def test_the_yaml_is_what_sim_run_reproduces_exactly(batch, catalog, package, form, cli, tmp_path) -> None:
    checked = check(catalog, package, form, {"levers.reemployment.enabled": True})
    text = state.scenario_yaml(checked, package)
    assert text.startswith("# Scenario 'tiny_package' as set in sim dashboard")
    assert "changed: levers.reemployment.enabled=true" in text
    file = tmp_path / "tiny_package.yaml"
    file.write_text(text, encoding="utf-8")
    # the dashboard's run with the second seed, made again by `sim run FILE --seed S`
    made = batch.dirs[3]
    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    result = cli("run", file, "--seed", manifest["seed"], "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    (again,) = (tmp_path / "out" / "tiny_package").iterdir()
    assert json.loads((again / "manifest.json").read_text(encoding="utf-8"))["scenario_sha256"] == manifest["scenario_sha256"]
    ours, theirs = pq.read_table(made / "indicators.parquet"), pq.read_table(again / "indicators.parquet")
    assert ours.column_names == theirs.column_names
    for name in ours.column_names:
        np.testing.assert_array_equal(ours.column(name).to_numpy(), theirs.column(name).to_numpy(), err_msg=name)


def test_the_regions_are_shown_for_a_city_that_has_them(regions_folder, tmp_path) -> None:
    catalog = state.build_catalog([regions_folder])
    entry = catalog.by_label("tiny_regions_package (tiny_regions_package.yaml)")
    scenario = load_scenario(entry.path)
    specs = state.lever_specs(scenario)
    base = state.initial_values(scenario, specs)
    checked = state.check(catalog, entry, specs, base, base, seeds="1", scale="1")
    made = runs.execute(state.run_request(checked, entry), tmp_path, workers=2)
    view = runs.build_view(made, ["population"])
    assert view.regional is not None and view.regions_png[:4] == b"\x89PNG"
    year, columns, rows = view.regions_table
    assert year == 2002 and len(rows) == 7 * 2  # seven regions, two scenarios
    assert any("海州区" in r.region for r in rows)


def test_the_page_font_covers_the_chinese_it_shows() -> None:
    css = runs.page_font_css(["Fuxin 阜新市"])
    assert "@font-face" in css and "base64," in css
    assert runs.indicator_choices()[:2] == ["population", "employment_total"]


def test_the_server_binds_to_loopback_unless_told(tmp_path) -> None:
    import socket

    from simulator.dashboard import server

    assert server.DEFAULT_HOST == "127.0.0.1"
    assert server.is_loopback("127.0.0.1") and server.is_loopback("localhost") and server.is_loopback("::1")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("192.0.2.1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(state.DashboardError, match="cannot serve on 127.0.0.1"):
            server.check_port("127.0.0.1", s.getsockname()[1])


def test_sim_dashboard_refuses_bad_input_with_one_line(cli, tmp_path) -> None:
    result = cli("dashboard", "--scenarios", tmp_path / "missing", "--port", "8765")
    assert result.exit_code == 2 and "not a directory" in result.output and "Traceback" not in result.output


def test_the_page_renders_without_a_browser(dashboard_folder, tmp_path) -> None:
    """The page's components render (Solara's test kernel): lever switches, fields, the run button;
    a wrong size shows its message at its field and disables the run button."""
    solara = pytest.importorskip("solara")
    import ipyvuetify as v

    from simulator.dashboard import app

    def one(rc, kind, cls):
        found = [w for w in rc.find(kind).widgets if cls in (w.class_ or "").split()]
        assert len(found) == 1, (cls, len(found))
        return found[0]

    app.configure([dashboard_folder], tmp_path)
    _, rc = solara.render(app.Page(), handle_error=False)
    assert one(rc, v.Btn, "sim-run").disabled is False
    assert one(rc, v.Switch, "sim-switch-reemployment").v_model is False
    field = one(rc, v.TextField, "sim-field-levers-new_industry_fund-co_finance_share_of_capital")
    assert field.v_model == "0.3"
    field.v_model = "2"
    field.fire_event("focusout")
    field = one(rc, v.TextField, "sim-field-levers-new_industry_fund-co_finance_share_of_capital")
    assert field.error and "less than 1" in str(field.messages)
    assert one(rc, v.Btn, "sim-run").disabled is True
    assert not any(Path(tmp_path).iterdir())  # nothing ran


def test_figures_drawn_on_worker_processes_are_those_drawn_here(batch) -> None:
    from simulator.experiment.executors import LocalExecutor

    here = runs.build_view(batch, ["population"])
    with LocalExecutor(2) as executor:
        there = runs.build_view(batch, ["population"], executor=executor)
    assert there.levels_png == here.levels_png and there.differences_png == here.differences_png
    assert runs.prepare_drawing() in (True, False)


def test_sim_dashboard_serves_loopback_by_default_and_warns_for_another_host(cli, monkeypatch) -> None:
    from simulator.dashboard import server

    calls = []

    def fake_serve(folders, runs_out, *, host, port, workers, on_ready):
        calls.append((host, port, [str(f) for f in folders], str(runs_out), workers))
        on_ready(f"http://{host}:{port}/")

    monkeypatch.setattr(server, "serve", fake_serve)
    quiet = cli("dashboard")
    assert quiet.exit_code == 0, quiet.output
    assert calls[-1] == ("127.0.0.1", 8765, ["scenarios"], "results/dashboard", None)
    assert "warning" not in quiet.output and "sim dashboard at http://127.0.0.1:8765/" in quiet.output
    loud = cli("dashboard", "--host", "0.0.0.0", "--port", "8800", "--workers", "1")
    assert loud.exit_code == 0, loud.output
    assert calls[-1][:2] == ("0.0.0.0", 8800) and calls[-1][4] == 1
    assert "warning: serving on 0.0.0.0: the page has no login" in " ".join(loud.output.split())


def test_the_projects_scenarios_folder_opens_on_fuxin_and_its_package() -> None:
    root = Path(__file__).resolve().parents[2]
    catalog = state.build_catalog([root / "scenarios"])
    city = catalog.cities()[0]
    assert city == "Fuxin 阜新市"
    first = catalog.scenarios(city)[0]
    assert first.name == "fuxin" and catalog.counterfactual_of(first).name == "fuxin_calibrated"
    fushun = next(e for e in catalog.entries if e.name == "fushun")
    assert catalog.counterfactual_of(fushun).name == "fushun_baseline"
    assert "sweeps/fuxin_levers.yaml" in [shown for shown, _ in catalog.skipped]


def test_a_slider_snapping_a_value_between_steps_does_not_change_the_scenario() -> None:
    """Drawing a share slider snaps 0.0055 to its step; that must not become an override."""
    from simulator.dashboard.app import SLIDER_STEP, slider_moved

    changes = []
    slider_moved("levers.pensions.extra_indexation_per_year", 0.0055, 0.005, lambda p, v: changes.append((p, v)))
    slider_moved("levers.pensions.extra_indexation_per_year", 0.0055, 0.006, lambda p, v: changes.append((p, v)))
    assert changes == []  # within half a step: the slider's own snapping
    slider_moved("levers.pensions.extra_indexation_per_year", 0.0055, 0.0055 + 3 * SLIDER_STEP, lambda p, v: changes.append((p, v)))
    assert changes == [("levers.pensions.extra_indexation_per_year", "0.0085")]
