"""The coal-city panel's template and city files use no figure dated after 2010 about a panel city.

The hindcast of calibration/panel.yaml starts from 2010 and may use nothing dated after 2010 about
any of its 26 cities, Fuxin included (docs/guide/hindcast.md). The dated figures about the panel's
cities are rows of calibration/data (each with its year and source); a value whose comment cites
one dated (or published) after 2010 is out of the information set. The hand values of
fuxin_baseline.yaml that were set with such figures in view are replaced in the template
(scenarios/fuxin_calibrated_2010.yaml), and the city files are regenerated from it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from simulator.cities import DEFAULT_TEMPLATE
from simulator.cities.derive import Template
from simulator.model.series import series_at

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "calibration" / "data"
PANEL = REPO / "calibration" / "panel.yaml"
CUTOFF = 2010

LATE = re.compile(r"\b(20(?:1[1-9]|[2-9]\d))\b")
"""A year after the cutoff."""

KNOWN_LEAKS = (
    "540000 residents",                # Fuxin's residents rehoused 2001-2014 (China Daily, 2015)
    "rehoused 2001-2014",
    "rehoused by 2014",
    "Fushun 115000",                   # Fushun's rehousing cost 2005-2018 (Workers' Daily, 2020)
    "a few % of GDP by 2015",          # Fuxin's new industries by 2015
    "new pillar industries 2014",      # Fuxin's new pillar industries' share in 2014 (China Daily, 2015)
    "7% registered rate (2001)",       # Fuxin's 2001 registered unemployment rate, published in 2015
)
"""Post-2010 Fuxin and Fushun figures that the template's hand values cited before the fix."""


def _panel_cities() -> list[str]:
    with (REPO / "data" / "cities" / "cities.csv").open(encoding="utf-8") as f:
        return [row["city"] for row in csv.DictReader(f)]


def _late_panel_rows() -> list[dict[str, str]]:
    """Rows of the dated data files about a panel city whose figure is dated after the cutoff
    (year column) or whose source was published after it (a later year in the source or
    its publication date): provincial and national rows are drivers and may run later."""
    cities = _panel_cities()
    rows = []
    with (DATA / "fuxin_observed.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["indicator"].startswith("liaoning_"):
                continue
            if int(r["year"]) > CUTOFF or LATE.search(r["source"]):
                rows.append(r)
    with (DATA / "fuxin_sector_history.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["indicator"].startswith("liaoning_"):
                continue
            if int(r["year"]) > CUTOFF or LATE.search(r["date_published"]):
                rows.append(r)
    with (DATA / "other_cities_facts.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if int(r["year"]) > CUTOFF:
                rows.append(r)
    with (DATA / "policy_inputs.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["indicator"].split("_")[0] in cities and int(r["year"]) > CUTOFF:
                rows.append(r)
    return rows


def _forms(value: str) -> set[str]:
    """How a figure is written in the scenario comments (540000, 540,000, 3.9%, 8.48e6)."""
    try:
        v = float(value)
    except ValueError:
        return set()
    if 0 < v < 1:
        pct = f"{100 * v:g}"
        return {f"{pct}%"} if "." in pct else set()  # "7%" is too common to be told apart
    if v >= 1000:
        out = {f"{v:.0f}", f"{v:,.0f}", f"{v:g}".replace("e+0", "e").replace("e+", "e")}
        mant, exp = f"{v:e}".split("e")
        out.add(f"{float(mant):g}e{int(exp)}")
        return out
    return set()  # small counts and ratios (a batch number, 8.7) are too common to be told apart


def _effective_comments(path: Path) -> dict[tuple, str]:
    """The comment beside each value of a scenario as resolved (the file that sets it last)."""
    return {k: c for k, c in Template.load(path).comments.items() if c}


@pytest.fixture(scope="module")
def template_comments() -> dict[tuple, str]:
    return _effective_comments(REPO / DEFAULT_TEMPLATE)


def test_the_late_panel_figures_are_found() -> None:
    """The guard below has something to look for: the rows that the old hand values cited."""
    ids = {r.get("id") or r.get("indicator") for r in _late_panel_rows()}
    assert {"rehoused_residents_2014", "registered_unemployment_2001", "new_pillar_industries_share_2014",
            "fushun_shantytown_2005_2018_cost", "subsidence_area_households"} <= ids
    assert "540000" in set().union(*(_forms(r["value"]) for r in _late_panel_rows()))


def test_no_template_value_cites_a_panel_figure_dated_after_2010(template_comments) -> None:
    """Every value of the panel's template whose comment cites a figure about a panel city cites
    one dated and published by 2010: no comment holds the id or the value of a later one."""
    bad = _late_citations(template_comments)
    assert not bad, "\n".join(bad)


def _late_citations(comments: dict[tuple, str]) -> list[str]:
    """The comments that hold the id or the value of a panel figure dated after the cutoff."""
    late = _late_panel_rows()
    needles = {}
    for r in late:
        name = r.get("id") or r.get("indicator")
        needles[name] = name
        for form in _forms(r["value"]):
            needles[form] = name
    bad = []
    for key, comment in comments.items():
        for needle, row in needles.items():
            if re.search(rf"(?<![\w.,]){re.escape(needle)}(?![\w]|[.,]\d)", comment):
                bad.append(f"{'.'.join(map(str, key))}: cites {row} ({needle!r}): {comment[:120]}")
    return bad


def test_the_known_leaks_are_gone_from_the_template_and_the_city_files(template_comments) -> None:
    hits = [f"{DEFAULT_TEMPLATE}: {'.'.join(map(str, k))}" for k, c in template_comments.items()
            for leak in KNOWN_LEAKS if leak in c]
    files = [REPO / "calibration" / p for p in yaml.safe_load(PANEL.read_text(encoding="utf-8"))["cities"].values()]
    assert len(files) == 26
    for f in files:
        text = f.read_text(encoding="utf-8")
        hits += [f"{f.name}: {leak!r}" for leak in KNOWN_LEAKS if leak in text]
    assert not hits, "\n".join(hits)


def test_the_city_files_take_the_fixed_values() -> None:
    """The city files were regenerated from the fixed template: its shantytown programme's cost,
    the new industries' entry rate and the registered share, and a shantytown stock per urban
    household from its stock (not the one sized on the 2001-2014 rehousing)."""
    t = Template.load(REPO / DEFAULT_TEMPLATE)
    lever = t.get("levers", "shantytown_renovation")
    left = t.get("population", "shantytown_households") - sum(
        series_at(lever["households_per_year"], y) for y in range(lever["start_year"], 2010))
    files = [REPO / "calibration" / p for p in yaml.safe_load(PANEL.read_text(encoding="utf-8"))["cities"].values()]
    for f in files:
        sc = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert sc["levers"]["shantytown_renovation"]["cost_yuan_per_household"] == lever["cost_yuan_per_household"], f.name
        assert sc["sectors"]["new_industry"]["entry_rate_per_firm_per_month"] == \
            t.get("sectors", "new_industry", "entry_rate_per_firm_per_month"), f.name
        assert sc["labour"]["registered_share_of_unemployed"] == t.get("labour", "registered_share_of_unemployed"), f.name
        line = next(x for x in f.read_text(encoding="utf-8").splitlines() if x.strip().startswith("shantytown_households:"))
        assert f"Fuxin's stock left in 2010 ({left:,.0f} after its programme)" in line, (f.name, line)


def test_the_files_projected_back_to_2000_and_their_targets_stay_in_the_information_set() -> None:
    """The pooled calibration's cities (calibration/panel_2000_cities.yaml) hold none of the known
    leaks, and its observed figures about the panel's cities are dated 2010 or earlier."""
    from simulator.calibration.spec import load_calibration_spec

    panel = yaml.safe_load((REPO / "calibration" / "panel_2000_cities.yaml").read_text(encoding="utf-8"))
    files = [REPO / "calibration" / p for p in panel["cities"].values()]
    assert len(files) == 22
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not [leak for leak in KNOWN_LEAKS if leak in text], f.name
    loaded = load_calibration_spec(REPO / "calibration" / "panel_2000.yaml")
    assert loaded.spec.set == ["run.end_year=2010"]
    assert max(t.year for t in loaded.targets) <= CUTOFF
    assert max(f.year for f in loaded.observed.values()) <= CUTOFF


def test_the_pooled_template_and_panel_stay_in_the_information_set() -> None:
    """The pooled template (Fuxin's fit to 2010 with the panel's pooled migration values) cites no
    late figure about a panel city, and the pooled panel's files hold none of the known leaks."""
    comments = _effective_comments(REPO / "scenarios" / "fuxin_pooled_2010.yaml")
    bad = _late_citations(comments) + [".".join(map(str, k)) for k, c in comments.items() for leak in KNOWN_LEAKS if leak in c]
    assert not bad, "\n".join(bad)
    spec = REPO / "calibration" / "panel_pooled.yaml"
    files = [spec.parent / p for p in yaml.safe_load(spec.read_text(encoding="utf-8"))["cities"].values()]
    assert len(files) == 26
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not [leak for leak in KNOWN_LEAKS if leak in text], f.name
