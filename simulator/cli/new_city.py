"""``sim new-city``: a city's baseline and package scenarios from its census."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cities import CITY_LIST, DEFAULT_PACKAGE, DEFAULT_TEMPLATE, REGION_LIST
from simulator.cli.common import console, fail


def new_city(
    name: Annotated[str, typer.Argument(help="The city: short name (e.g. fushun), Chinese name or census code, as in the city list.")],
    census: Annotated[int, typer.Option("--census", help="Census the city starts from: 2000 or 2010 (the run starts that year).")],
    from_data: Annotated[
        Path | None, typer.Option("--from-data", help="Census table (CSV) to read instead of the default one of that year.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Baseline file to write (default scenarios/<name>_baseline.yaml); the package file goes beside it."),
    ] = None,
    city_list: Annotated[Path, typer.Option(help="List of cities (names, codes, designation years, ...).")] = CITY_LIST,
    region_list: Annotated[
        Path, typer.Option(help="List of the cities' districts and counties (names, census codes, kinds, land areas).")
    ] = REGION_LIST,
    template: Annotated[
        Path, typer.Option(help="Scenario whose parameters stand for what the census does not give.")
    ] = DEFAULT_TEMPLATE,
    package_from: Annotated[
        Path, typer.Option("--package-from", help="Scenario whose levers make the package file.")
    ] = DEFAULT_PACKAGE,
    start: Annotated[
        int | None,
        typer.Option("--start", help="Start the run before the census year: the city of the census projected back "
                     "to this year (the template's start year; a whole census row)."),
    ] = None,
    package: Annotated[bool, typer.Option("--package/--no-package", help="Also write the package file.")] = True,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a city's scenario files from its census, every assumed value marked, validated before writing."""
    from simulator.cities.data import CityDataError
    from simulator.cities.new_city import new_city as write_city
    from simulator.scenario.errors import ScenarioError

    parts = [f"sim new-city {name} --census {census}"]
    if from_data is not None:
        parts.append(f"--from-data {from_data.as_posix()}")
    if start is not None:
        parts.append(f"--start {start}")
    if out is not None:
        parts.append(f"--out {out.as_posix()}")
    if not package:
        parts.append("--no-package")
    try:
        result = write_city(
            name,
            census,
            out=out,
            data_file=from_data,
            city_list=city_list,
            template=template,
            package_template=package_from if package else None,
            force=force,
            command=" ".join(parts),
            region_list=region_list,
            start=start,
        )
    except (CityDataError, ScenarioError) as e:
        raise fail(str(e)) from None
    except FileExistsError as e:
        raise fail(str(e)) from None
    files = [str(result.baseline)] + ([str(result.package)] if result.package else [])
    counts = ", ".join(f"{n} {kind}" for kind, n in result.provenance.items() if n)
    console.print(f"[green]wrote[/] {' and '.join(files)} (validated; values: {counts})", soft_wrap=True)
