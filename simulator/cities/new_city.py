"""``sim new-city``: write a city's scenario files from its census.

Two files are written (both validated, and their initial city built, in a
temporary directory beside the target before they are moved into place):

* the **baseline** (``<name>_baseline.yaml``): the city from its census, with
  the template's behavioural parameters and history (the resource-exhausted
  city transfer from the city's designation year, the template's shantytown
  programme scaled to the city), **without** the 2016 package; a standalone
  file, not ``extends:`` of the template, because its start-year figures are
  computed from the template's (productivity carried forward, demand indices
  rebased, series cut at the start year) and year series would otherwise merge
  year by year with the template's;
* the **package** (``<name>.yaml``): ``extends:`` the baseline and switches on
  the levers of the template package (``scenarios/fuxin.yaml``) with their
  sizes scaled to the city; its ``counterfactual:`` names the baseline.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.cities import CITY_LIST, DEFAULT_PACKAGE, DEFAULT_TEMPLATE, REGION_LIST
from simulator.cities.data import (
    CityData,
    CityDataError,
    find_data_file,
    load_city,
    shown_path,
)
from simulator.cities.derive import (
    Builder,
    Draft,
    Template,
    is_year_series,
    scenario_name,
    trim_series,
)
from simulator.cities.emit import dump, scalar
from simulator.model.series import series_at
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario


@dataclass
class NewCity:
    """What :func:`new_city` wrote."""

    baseline: Path
    package: Path | None
    city: CityData
    provenance: dict[str, int]
    """How many values of the baseline come from the census, are derived, from the template or assumed."""


def default_out(name: str) -> Path:
    return Path("scenarios") / f"{scenario_name(name)}_baseline.yaml"


def package_path(baseline: Path) -> Path:
    """``x_baseline.yaml`` -> ``x.yaml``; any other ``x.yaml`` -> ``x_package.yaml``."""
    stem = baseline.stem
    if stem.endswith("_baseline") and len(stem) > len("_baseline"):
        return baseline.with_name(stem[: -len("_baseline")] + baseline.suffix)
    return baseline.with_name(stem + "_package" + baseline.suffix)


def _header(b: Builder, command: str, package: bool) -> str:
    e = b.city.entry
    c = b.city.census
    where = f"{e.province}, " if e.province else ""
    end = b.d.get("run", "end_year")
    what = "WITH the 2016 package" if package else "WITHOUT the 2016 package"
    origin = (f"the city of the {b.census_year} census projected back to {b.start}" if b.projected
              else f"the city of the {b.start} census")
    lines = [
        f"{e.title} ({e.name_zh}), {where}{b.start}-{end}: {origin}, {what}.",
        "",
        f"Written by `{command}`",
        f"from {shown_path(c.file)} (line {c.line}: {c.label}), the city list and the parameters",
        f"of {shown_path(b.t.path)} ({b.tc}).",
        "Every value carries its provenance in a comment:",
        "  census: ...        a figure of the census table",
        "  city list: ...     a fact of data/cities/cities.csv (its source follows)",
        "  derived: ...       computed from census figures (the rule follows)",
        f"  from {b.tc}: ...{' ' * max(1, 9 - len(b.tc))}{b.tc}'s value standing for an unknown one ({b.tc}'s own comment follows)",
        "  assumed: ...       an assumption made for this city",
        "  numerical: ...     a setting of the computation, not of the city",
        f"Money: constant yuan of {b.d.get('city', 'money_base_year')}. Regenerate with the command above",
        "(edit by hand afterwards only what you can source better).",
    ]
    v = c.full
    if v is not None:
        frac = v["longform_sample_frac"]
        lines += [
            "",
            f"Census {b.census_year} figures with no place among the model's inputs (calibration targets, with the",
            "others, in calibration/data/census2010_panel_observed.csv):",
            f"  registered (hukou) residents {v['pop_hukou_registered']:,.0f}: residents less registered "
            f"{v['pop_total'] - v['pop_hukou_registered']:+,.0f};",
            f"  in-migrants living here: from other counties of the province {v['in_migrants_other_county_same_province']:,.0f}, "
            f"from other provinces {v['in_migrants_other_province']:,.0f};",
            f"  retired (16+ not working) {v['lf_notworking_retired'] / frac:,.0f}; children ever born per woman aged "
            f"15-64 {v['women_15_64_children_ever_born']:.2f}.",
        ]
    return "\n".join(lines)


def _description(b: Builder, package: bool) -> str:
    e = b.city.entry
    end = b.d.get("run", "end_year")
    if package:
        return (
            f"{e.title} {b.start}-{end} from its {b.census_year} census{' projected back to ' + str(b.start) if b.projected else ''} "
            "with the whole 2016 package from 2016, "
            f"the levers of {b.tc}'s package scaled to the city."
        )
    transfer = (
        "the resource-exhausted city transfer from its designation year"
        if e.designation_year is not None
        else "no resource-exhausted city transfer (not designated by 2010)"
    )
    origin = f"from its {b.census_year} census projected back to {b.start}" if b.projected else f"from its {b.start} census"
    return (
        f"{e.title} {b.start}-{end} {origin}, without the 2016 package: {transfer} and the "
        f"shantytown programme as in {b.tc}; behaviour and unknown figures from {b.tc}."
    )


def build_drafts(
    name: str,
    census_year: int,
    *,
    data_file: Path | None = None,
    city_list: Path = CITY_LIST,
    template: Path = DEFAULT_TEMPLATE,
    package_template: Path | None = DEFAULT_PACKAGE,
    stem: str | None = None,
    command: str = "sim new-city",
    region_list: Path = REGION_LIST,
    start: int | None = None,
) -> tuple[Builder, str, str | None]:
    """The baseline (and package) YAML text of a city, not yet written."""
    city = load_city(name, census_year, data_file=data_file, city_list=city_list)
    tpl = Template.load(find_data_file(template))
    try:
        reference = load_city(tpl.city, census_year, city_list=city_list)
    except CityDataError as e:
        raise CityDataError(
            f"the template city {tpl.city} needs its own {census_year} census row (to scale figures per "
            f"resident): {e}"
        ) from None
    base_stem = scenario_name(stem) if stem else f"{scenario_name(city.entry.city)}_baseline"
    b = Builder(city, tpl, reference, name=base_stem, start=start)
    b.region_list = region_list
    b.run_and_city()
    b.population()
    b.employment()
    b.sectors()
    b.mines()
    b.regions(region_list)
    b.housing_stocks()
    b.migration()
    b.registration()
    b.provincial()
    b.trim_all_series()
    levers, notes = b.levers(tpl)
    b.d.set(("levers",), levers, "")
    b.d.notes.update(notes)
    b.d.notes.pop(("levers",), None)
    b.d.notes.pop(("name",), None)
    b.d.set(("description",), _description(b, False), "")
    b.d.notes.pop(("description",), None)
    b.d.drop(("counterfactual",))  # a template's own counterfactual is not the new city's
    _order(b.d)
    baseline_text = dump(b.d.data, b.d.notes, _header(b, command, False))
    if b.extra_leavers is not None:  # the raise of the leaving rate, over the city's own multiplier
        multiplier = households_leaving_multiplier(baseline_text)
        if multiplier is not None:  # else the checks of the written file say what is wrong
            b.raise_leaving(multiplier)
            baseline_text = dump(b.d.data, b.d.notes, _header(b, command, False))

    package_text = None
    if package_template is not None:
        pkg = Template.load(find_data_file(package_template))
        pkg_levers, pkg_notes = b.levers(pkg, baseline=tpl.data.get("levers", {}))
        _align_series(pkg_levers, levers)
        data: dict[str, Any] = {
            "extends": "BASELINE",
            "name": "PACKAGE",
            "counterfactual": base_stem,  # the baseline: what sim compare and sim report compare the package with
            "description": _description(b, True),
            "levers": pkg_levers,
        }
        package_text = dump(data, pkg_notes, _header(b, command, True))
    return b, baseline_text, package_text


MULTIPLIER_SCALE_DIVISOR = 10
"""The leaving multiplier of a raised leaving rate is measured at the file's scale over this."""


def households_leaving_multiplier(text: str) -> float | None:
    """The households' leaving multiplier (:func:`simulator.model.migration.households_leaving_multiplier`)
    of the city a baseline's text builds, at its start; ``None`` if it does not build. Measured on
    the city built at a tenth of the file's scale (ten times the rows: a build's sampling noise in
    the multiplier, about 0.5% at the file's scale, a third of that)."""
    from simulator.experiment.run import build_model
    from simulator.model.build import InconsistentScenarioError
    from simulator.model.migration import households_leaving_multiplier as multiplier

    with tempfile.TemporaryDirectory(prefix=".new-city-") as d:
        path = Path(d) / "city.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            scale = max(1, load_scenario(path).run.scale // MULTIPLIER_SCALE_DIVISOR)
            return multiplier(build_model(load_scenario(path, scale=scale)))
        except (ScenarioError, InconsistentScenarioError):
            return None


def _order(d: Draft) -> None:
    """Put name and description first, as in the template."""
    first = {k: d.data[k] for k in ("name", "description") if k in d.data}
    rest = {k: v for k, v in d.data.items() if k not in first}
    d.data.clear()
    d.data.update(first)
    d.data.update(rest)


def _align_series(package: dict[str, Any], baseline: dict[str, Any]) -> None:
    """Give each package series every year of the baseline's same series.

    ``extends:`` merges year series year by year, so a year only in the
    baseline would survive into the package: it gets the package's value.
    """
    for name, cfg in package.items():
        base = baseline.get(name, {})
        for k, v in cfg.items():
            bv = base.get(k)
            if is_year_series(v) and isinstance(bv, dict):
                merged = {y: series_at(v, y) for y in sorted(set(v) | set(bv))}
                cfg[k] = trim_series(merged, min(merged))


def new_city(
    name: str,
    census_year: int,
    *,
    out: Path | None = None,
    data_file: Path | None = None,
    city_list: Path = CITY_LIST,
    template: Path = DEFAULT_TEMPLATE,
    package_template: Path | None = DEFAULT_PACKAGE,
    force: bool = False,
    command: str | None = None,
    region_list: Path = REGION_LIST,
    start: int | None = None,
) -> NewCity:
    """Write a city's baseline (and package) scenario from its census, validated.

    Args:
        name: The city's short name (``fushun``), Chinese name or census code.
        census_year: The census the city starts from (2000 or 2010).
        out: The baseline file (default ``scenarios/<name>_baseline.yaml``); the
            package goes beside it (:func:`package_path`).
        data_file: A census table to read instead of the default one.
        city_list: The list of cities (names, codes, designation years, ...).
        template: The scenario whose parameters stand for unknown figures.
        package_template: The scenario whose levers make the package (None: no package file).
        force: Overwrite existing files.
        command: The command line recorded in the files' header.
        region_list: The list of the cities' districts and counties.
        start: The run's first year, if before the census year: the city projected back to it
            (only to the template's start, from a whole census row).

    Raises:
        CityDataError: Bad or missing city data.
        ScenarioError: The template, or a written file, does not validate.
        FileExistsError: A target exists and ``force`` is not set.
    """
    out = out or default_out(name)
    pkg_out = package_path(out) if package_template is not None else None
    for target in (out, pkg_out):
        if target is not None and target.exists() and not force:
            raise FileExistsError(f"{target} exists (use --force to overwrite)")
    command = command or f"sim new-city {name} --census {census_year}"
    b, base_text, pkg_text = build_drafts(
        name,
        census_year,
        data_file=data_file,
        city_list=city_list,
        template=template,
        package_template=package_template,
        stem=out.stem,
        command=command,
        region_list=region_list,
        start=start,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    # both files are written and checked in a temporary directory beside the targets, then
    # moved into place; the package extends the baseline by its name (same directory)
    tmp = Path(tempfile.mkdtemp(prefix=".new-city-", dir=out.parent))
    try:
        tmp_base = tmp / out.name
        tmp_base.write_text(base_text, encoding="utf-8")
        _check(tmp_base, out)
        tmp_pkg = None
        if pkg_out is not None and pkg_text is not None:
            pkg_text = pkg_text.replace("extends: BASELINE", f"extends: {scalar(out.name)}", 1)
            pkg_text = pkg_text.replace("name: PACKAGE", f"name: {scalar(pkg_out.stem)}", 1)
            tmp_pkg = tmp / pkg_out.name
            tmp_pkg.write_text(pkg_text, encoding="utf-8")
            _check(tmp_pkg, pkg_out)
        os.replace(tmp_base, out)
        if tmp_pkg is not None:
            os.replace(tmp_pkg, pkg_out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return NewCity(baseline=out, package=pkg_out, city=b.city, provenance=provenance(b))


def provenance(b: Builder) -> dict[str, int]:
    """Count the baseline's notes by kind."""
    kinds = {"census": 0, "city list": 0, "derived": 0, f"from {b.tc}": 0, "assumed": 0, "numerical": 0, "other": 0}
    for note in b.d.notes.values():
        for k in kinds:
            if note.startswith(k):
                kinds[k] += 1
                break
        else:
            kinds["other"] += 1
    return kinds


def _check(path: Path, shown: Path) -> None:
    """Validate a written scenario and build its initial city; errors name the final file."""
    from simulator.experiment.run import build_model
    from simulator.model.build import InconsistentScenarioError

    try:
        sc = load_scenario(path)
        build_model(sc)
    except ScenarioError as e:
        raise ScenarioError(
            f"the scenario written for this city does not validate: {e.message}",
            file=str(shown),
            line=e.line,
            key=e.key,
        ) from None
    except InconsistentScenarioError as e:
        raise ScenarioError(f"the scenario written for this city cannot build its initial city: {e}", file=str(shown)) from None
