"""``sim dashboard`` in a browser: headless Debian Chromium through Selenium, as a person would use it.

The server is started as ``sim dashboard`` on a free loopback port with the tiny city (Fuxin's seven
regions) and its package variant, so that two seeds of both run in seconds. The tests skip when
Chromium, its driver or the dashboard extra are missing, except in CI (``CI=true``), where
``.ci/run`` installs them and their absence is a failure.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
START_SECONDS = 60
WAIT_SECONDS = 60


def browser_or_skip() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    reason = None
    if missing:
        reason = f"the dashboard's browser tests need Debian's chromium and chromium-driver: missing {', '.join(missing)}"
    else:
        try:
            import selenium  # noqa: F401
            import solara  # noqa: F401
        except ImportError as e:
            reason = f"the dashboard's browser tests need selenium and the dashboard extra ({e}): pip install -e '.[test]'"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI installs them in .ci/run)")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(regions_folder, tmp_path_factory):
    """``sim dashboard`` serving the tiny city's scenarios; yields (url, runs folder)."""
    browser_or_skip()
    runs_out = tmp_path_factory.mktemp("dashboard_browser_runs")
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard_log") / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "simulator.cli.main", "dashboard", "--port", str(port), "--scenarios", str(regions_folder), "--runs-out", str(runs_out), "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sim dashboard did not start: {log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url, runs_out
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def driver(dashboard):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    d = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    d.set_page_load_timeout(WAIT_SECONDS)
    d.set_script_timeout(WAIT_SECONDS)
    yield d
    d.quit()


def wait_for(driver, css: str, *, seconds: float = WAIT_SECONDS, visible: bool = True):
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        if found and (found[0].is_displayed() or not visible):
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"{css} did not appear within {seconds} s; the page says: {driver.find_element(By.TAG_NAME, 'body').text[:2000]}")


def open_page(driver, url: str):
    driver.get(url)
    return wait_for(driver, ".sim-run")


def set_text(driver, css: str, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    field = wait_for(driver, f"{css} input", visible=False)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text)
    field.send_keys(Keys.TAB)  # leaving the field hands its value to the page


def toggle(driver, lever: str) -> None:
    switch = wait_for(driver, f".sim-switch-{lever} .v-input--selection-controls__ripple", visible=False)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", switch)
    switch.click()


def run_dirs(runs_out: Path) -> list[Path]:
    return sorted(p for p in runs_out.glob("*/*") if p.is_dir())


def test_the_page_loads_with_its_chinese_text_in_the_embedded_font(dashboard, driver) -> None:
    url, _ = dashboard
    open_page(driver, url)
    title = wait_for(driver, ".sim-title")
    assert "阜新市" in title.text
    from simulator.analysis import webfont

    state = driver.execute_async_script(
        "const done = arguments[arguments.length - 1], family = arguments[0];"
        "document.fonts.ready.then(() => done({"
        "  faces: [...document.fonts].filter(f => f.family.replace(/\"/g, '') === family).map(f => f.status),"
        "  check: document.fonts.check('16px \"' + family + '\"', '阜新市')}));",
        webfont.EMBEDDED_FAMILY,
    )
    assert state["check"] is True and "loaded" in state["faces"], state
    assert wait_for(driver, ".sim-counterfactual").text.startswith("Counterfactual (baseline): tiny_regions")


def test_change_a_lever_run_two_seeds_and_see_the_figures_and_tables(dashboard, driver, tmp_path) -> None:
    from matplotlib import image

    url, runs_out = dashboard
    open_page(driver, url)
    toggle(driver, "reemployment")
    assert "levers.reemployment.enabled=true" in wait_for(driver, ".sim-overrides").text
    set_text(driver, ".sim-seeds", "2")
    set_text(driver, ".sim-scale", "5")  # coarse: a fifth of the tiny city's person rows
    time.sleep(0.3)
    wait_for(driver, ".sim-run").click()
    done = wait_for(driver, ".sim-status-done")
    assert done.text.startswith("Done: 4 runs")
    figure = wait_for(driver, ".sim-levels img")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", figure)
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", figure) > 300
    wait_for(driver, ".sim-differences img")
    table = wait_for(driver, ".sim-summary-table")
    assert "Resident population" in table.text and "tiny_regions_package" in table.text and "Δ" in table.text
    regions = wait_for(driver, ".sim-regions-table")
    assert "海州区" in regions.text
    # the four runs, the package's with the lever switched on
    made = run_dirs(runs_out)
    assert len(made) == 4
    overrides = [json.loads((d / "manifest.json").read_text(encoding="utf-8"))["overrides"] for d in made if d.parent.name == "tiny_regions_package"]
    assert overrides == [["levers.reemployment.enabled=true"]] * 2
    assert {json.loads((d / "manifest.json").read_text(encoding="utf-8"))["scale"] for d in made} == {5}
    # a screenshot that is not blank: the fan charts are drawn
    shot = tmp_path / "dashboard.png"
    assert driver.save_screenshot(str(shot))
    pixels = image.imread(io.BytesIO(shot.read_bytes()), format="png")[..., :3]
    assert pixels.var() > 0.01, f"the screenshot is nearly uniform (variance {pixels.var():.4f})"
    assert (pixels.min(axis=-1) < 0.6).mean() > 0.02  # ink: lines, bands and text, not a blank page
    graph = image.imread(io.BytesIO(figure.screenshot_as_png), format="png")[..., :3]
    assert graph.var() > 0.005 and len(np.unique(graph.reshape(-1, 3), axis=0)) > 20
    # the downloads: the scenario as set (the seeds of these runs in its header) and the report
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yaml_file = download(driver, ".sim-download-yaml", downloads / "tiny_regions_package.yaml")
    text = yaml_file.read_text(encoding="utf-8")
    assert "changed: levers.reemployment.enabled=true; scale 5." in text
    seeds = sorted(json.loads((d / "manifest.json").read_text(encoding="utf-8"))["seed"] for d in made if d.parent.name == "tiny_regions_package")
    assert all(str(s) in text.split("\n", 4)[3] for s in seeds)  # the header names the seeds run
    from simulator.scenario.loader import load_scenario

    scenario = load_scenario(yaml_file)
    assert scenario.levers.reemployment.enabled and scenario.run.scale == 5
    report = download(driver, ".sim-download-report", downloads / "tiny_regions_package-report.html")
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@font-face" in page and "tiny_regions_package compared with tiny_regions" in page


def download(driver, css: str, expected: Path) -> Path:
    button = wait_for(driver, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if expected.is_file() and expected.stat().st_size > 0:
            return expected
        time.sleep(0.1)
    raise AssertionError(f"{expected.name} was not downloaded; the folder holds {sorted(p.name for p in expected.parent.iterdir())}")


def test_an_invalid_size_shows_its_error_at_the_field_and_nothing_runs(dashboard, driver) -> None:
    url, runs_out = dashboard
    before = run_dirs(runs_out)
    open_page(driver, url)
    css = ".sim-field-levers-shantytown_renovation-cost_yuan_per_household"
    set_text(driver, css, "-5")
    message = wait_for(driver, f"{css}.sim-invalid .v-messages__message")
    typed = wait_for(driver, f"{css} input", visible=False).get_attribute("value")
    assert "greater than or equal to 0" in message.text, (typed, message.text)
    run = wait_for(driver, ".sim-run")
    assert run.get_attribute("disabled") is not None
    driver.execute_script("arguments[0].click()", run)  # a click on the disabled button does nothing
    time.sleep(1.0)
    assert wait_for(driver, ".sim-status-idle").text == "No run yet."
    assert run_dirs(runs_out) == before


def test_cancel_a_run(dashboard, driver) -> None:
    url, runs_out = dashboard
    open_page(driver, url)
    set_text(driver, ".sim-seeds", "40")  # 80 runs: far more than the seconds this test waits
    time.sleep(0.3)
    wait_for(driver, ".sim-run").click()
    wait_for(driver, ".sim-status-running")
    cancel = wait_for(driver, ".sim-cancel")
    started = time.monotonic()
    cancel.click()
    status = wait_for(driver, ".sim-status-cancelled", seconds=20)
    assert time.monotonic() - started < 10
    finished = int(status.text.split("after ")[1].split(" of ")[0])
    assert status.text.endswith("of 80 runs.") and finished < 80
    assert wait_for(driver, ".sim-run").get_attribute("disabled") is None  # the page answers: it can run again
    assert not list(runs_out.glob("*/.tmp-*"))  # no half-written run left behind
