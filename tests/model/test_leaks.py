"""Injected leaks trip the accounting checks, loudly, in a run, a sweep and a calibration.

Each leak is a small change to one mechanism, made with ``monkeypatch`` (and inherited by
forked worker processes in the sweep and calibration tests):

* ``transfer``: the central government is not debited for the general transfer;
* ``death``: one death a month is not counted;
* ``lever``: the city is not debited for a lever's payment (the social-security earmark of the
  resource-exhausted city transfer);
* ``fund``: the successor-industry fund's balance is not lowered as it pays (money is
  conserved; only the earmark check sees it).

A run with a leak must exit with ``EXIT_RUN_FAILED`` and one line naming the check and the
month, its run directory marked failed; a sweep must record its runs as failed; a calibration
must never choose a candidate whose runs broke their accounts.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli.common import EXIT_RUN_FAILED
from simulator.cli.main import app
from simulator.experiment import run as experiment_run
from simulator.experiment.run import build_model
from simulator.model import demography, firm_dynamics, public_finance
from simulator.model.accounts import CITY, FIRMS, AccountingError
from simulator.scenario.loader import load_scenario

TESTS = Path(__file__).resolve().parents[1]
TINY = TESTS / "data" / "tiny.yaml"

# the tiny city with the transfer (and its social-security earmark) and the fund paying from 2000
LEVER_SET = [
    "run.end_year=2001",
    "levers.resource_city_transfer.enabled=true",
    "levers.resource_city_transfer.start_year=2000",
    "levers.resource_city_transfer.yuan_per_year={2000: 3.0e5}",
    "levers.resource_city_transfer.earmarks.social_security=0.2",
    "levers.new_industry_fund.enabled=true",
    "levers.new_industry_fund.start_year=2000",
    "levers.new_industry_fund.city_yuan_per_year={2000: 1.2e5}",
    "levers.new_industry_fund.central_yuan_per_year={2000: 1.2e5}",
    "levers.new_industry_fund.co_finance_share_of_capital=0.4",
    "levers.new_industry_fund.target_sectors=[services, manufacturing, new_industry]",
]


def _leak_transfer(monkeypatch, when=lambda model: True) -> None:
    step = public_finance.step

    def leaky(model, *a, **k):
        step(model, *a, **k)
        if when(model):
            model.central.balance += model.ledger.get("general_transfer")

    monkeypatch.setattr(public_finance, "step", leaky)


def _leak_death(monkeypatch, when=lambda model: True) -> None:
    step = demography.step

    def leaky(model, *a, **k):
        step(model, *a, **k)
        if when(model) and model.counts["deaths"] > 0:
            model.counts["deaths"] -= model.scale

    monkeypatch.setattr(demography, "step", leaky)


def _leak_lever(monkeypatch, when=lambda model: True) -> None:
    import dataclasses

    levers = list(experiment_run.LEVERS)
    i = next(i for i, lever in enumerate(levers) if lever.name == "resource_city_transfer")
    apply = levers[i].apply

    def leaky(model):
        before = model.ledger.get("transfer_earmarked_social_security")
        apply(model)
        if when(model):
            model.government.cash += model.ledger.get("transfer_earmarked_social_security") - before

    levers[i] = dataclasses.replace(levers[i], apply=leaky)
    monkeypatch.setattr(experiment_run, "LEVERS", tuple(levers))


def _leak_fund(monkeypatch, when=lambda model: True) -> None:
    pay_fund = firm_dynamics.pay_fund

    def leaky(model, amount, kind):
        if not when(model):
            pay_fund(model, amount, kind)
            return
        model.ledger.pay(kind, CITY, FIRMS, amount)
        model.government.cash -= amount  # ... but the fund's balance is not lowered
        model.month_spending["programmes"] += amount

    monkeypatch.setattr(firm_dynamics, "pay_fund", leaky)


LEAKS = {
    "transfer": (_leak_transfer, "stock-flow inconsistency"),
    "death": (_leak_death, "population identity broken"),
    "lever": (_leak_lever, "stock-flow inconsistency"),
    "fund": (_leak_fund, "earmark broken: the successor-industry fund"),
}


def test_the_scenario_without_a_leak_holds_every_check() -> None:
    model = build_model(load_scenario(TINY, overrides=LEVER_SET), strict=True)
    model.run()
    assert model.failure() is None
    assert model.ledger.get("transfer_earmarked_social_security") > 0
    assert model.recorder.rows[-1]["fund_co_finance"] > 0  # the fund paid out


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_a_leak_trips_its_check_in_strict_mode(leak: str, monkeypatch) -> None:
    inject, message = LEAKS[leak]
    inject(monkeypatch)
    model = build_model(load_scenario(TINY, overrides=LEVER_SET), strict=True)
    with pytest.raises(AccountingError, match=message):
        model.run()


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_a_leak_makes_sim_run_fail_with_one_line_and_a_failed_run_directory(leak: str, monkeypatch, tmp_path) -> None:
    inject, message = LEAKS[leak]
    inject(monkeypatch)
    args = ["run", str(TINY), "--quiet", "--out", str(tmp_path)]
    for s in LEVER_SET:
        args += ["--set", s]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: accounting check failed: 2000-")
    assert message in errors[0]
    (run_dir,) = (tmp_path / "tiny").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"
    assert message in manifest["failure"]
    assert manifest["accounting"]["ok"] is False
    fitted = CliRunner().invoke(app, ["fit", str(run_dir)])  # a failed run is never fitted either
    assert fitted.exit_code == EXIT_RUN_FAILED and "not fitted" in fitted.stderr


def test_on_violation_raise_stops_with_one_line_and_writes_nothing(monkeypatch, tmp_path) -> None:
    _leak_fund(monkeypatch)
    args = ["run", str(TINY), "--quiet", "--out", str(tmp_path), "--set", "run.accounting.on_violation=raise"]
    for s in LEVER_SET:
        args += ["--set", s]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert "run stopped, nothing written" in line and "earmark broken" in line
    assert not (tmp_path / "tiny").exists() or not any((tmp_path / "tiny").iterdir())


def test_a_non_finite_value_stops_the_run_naming_the_mechanism_and_month(monkeypatch, tmp_path) -> None:
    step = public_finance.step

    def poisoned(model, *a, **k):
        step(model, *a, **k)
        if model.year == 2001 and model.month == 3:
            model.government.cash = float("nan")

    monkeypatch.setattr(public_finance, "step", poisoned)
    result = CliRunner().invoke(app, ["run", str(TINY), "--quiet", "--out", str(tmp_path), "--set", "run.end_year=2001"])
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    (line,) = result.stderr.strip().splitlines()
    assert "2001-03" in line and "public_finance" in line and "city cash" in line
    assert not (tmp_path / "tiny").exists() or not any((tmp_path / "tiny").iterdir())


def test_a_non_finite_flow_is_never_booked(monkeypatch) -> None:
    from simulator.model.accounts import NonFiniteError

    step = demography.step

    def poisoned(model, *a, **k):
        step(model, *a, **k)
        model.ledger.pay("pensions", 3, 0, float("inf"))

    monkeypatch.setattr(demography, "step", poisoned)
    model = build_model(load_scenario(TINY))
    with pytest.raises(NonFiniteError, match=r"2000-01: non-finite value in demography: flow 'pensions'"):
        model.step()


# ------------------------------------------------------- sweeps and calibration


@pytest.fixture
def forked_workers():
    """Worker processes forked from this one inherit the injected leak (test-only start method)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        yield "fork"


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_a_sweep_records_the_leaky_runs_as_failed(leak: str, monkeypatch, tmp_path, forked_workers) -> None:
    import pyarrow.parquet as pq

    from simulator.experiment.sweep import run_sweep

    LEAKS[leak][0](monkeypatch)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"name: leak\nbase: {TINY}\nset: {json.dumps(LEVER_SET[1:] + ['run.end_year=2000'])}\n"
        "parameters:\n  quit_rate: {key: labour.quit_rate_per_month, type: real, low: 0.004, high: 0.008}\n"
        "design: {kind: grid, levels: 2}\nseeds: {per_point: 1, root: 3}\n"
        "outcomes: {indicators: [population], years: [2000]}\n",
        encoding="utf-8",
    )
    summary = run_sweep(spec, out=tmp_path / "sweep", workers=1, start_method=forked_workers)
    assert (summary.done, summary.failed) == (0, 2)
    runs = pq.read_table(tmp_path / "sweep" / "runs.parquet").to_pandas()
    assert set(runs["status"]) == {"failed"}
    assert runs["error"].str.contains("accounting check failed").all()
    assert not runs["accounting_ok"].any()


def test_a_calibration_never_chooses_a_candidate_that_broke_its_accounts(monkeypatch, tmp_path, forked_workers) -> None:
    """The leak strikes only candidates with a high services productivity, which the data (a
    services output far above what any candidate makes) favour: the best candidate must still
    come from the ones whose accounts held."""
    from simulator.calibration.driver import run_calibration

    limit = 700.0

    def high(model) -> bool:
        return model.scenario.sectors["services"].value_added_per_worker_yuan_per_month > limit

    _leak_transfer(monkeypatch, when=high)
    spec = tmp_path / "calibration.yaml"
    spec.write_text(
        f"name: leak_calibration\nbase: {TINY}\nset: [run.end_year=2000]\n"
        "parameters:\n"
        "  services_productivity: {key: sectors.services.value_added_per_worker_yuan_per_month, low: 400, high: 1000, why: test}\n"
        "targets:\n  - {indicator: gdp_services, year: 2000, value: 3.9e9}\n"
        "seeds: {per_evaluation: 1, root: 7}\n"
        "optimiser: {budget: 9, global_method: sobol, global_samples: 8, local_method: none, polish_budget: 0}\n"
        "report: {seeds: 2, profile_points: 0, profile_step: 0.1}\n",
        encoding="utf-8",
    )
    summary = run_calibration(spec, out=tmp_path / "result", workers=1, start_method=forked_workers)
    assert summary.best_values["services_productivity"] <= limit
    history = pd.read_csv(tmp_path / "result" / "history.csv")
    failed = history[history["status"] == "failed"]
    assert (failed["services_productivity"] > limit).all() and len(failed) >= 2
    assert failed["error"].str.contains("AccountingError: accounting check failed").all()
    assert (history.loc[history["status"] != "failed", "services_productivity"] <= limit).all()
