"""Cities as data: a city's scenario from its census figures (``sim new-city``).

Light on purpose (the CLI imports it for its defaults); the work is in
:mod:`simulator.cities.data`, :mod:`~simulator.cities.derive` and
:mod:`~simulator.cities.new_city`.
"""

from pathlib import Path

DEFAULT_TEMPLATE = Path("scenarios/fuxin_calibrated_2010.yaml")
"""The scenario whose parameters stand for what a city's census does not give: the Fuxin model
fitted to what was known by 2010, without the 2016 package (``fuxin_calibrated_2010.yaml``
extends the fitted values, ``calibration/results/fuxin_2010/fitted.yaml``, which extend
``fuxin_baseline.yaml``): the city files start in 2010 and their hindcast may use nothing dated
after 2010 about a city of the panel, Fuxin included. City files regenerated after a refit take
the new fit."""

DEFAULT_PACKAGE = Path("scenarios/fuxin.yaml")
"""The scenario whose levers make a city's package file."""

CITY_LIST = Path("data/cities/cities.csv")
"""The list of cities with the facts the census tables do not hold."""

REGION_LIST = Path("data/cities/regions.csv")
"""The districts and counties of the cities that have them."""
