"""``sim dashboard``: a local web page to pick a city and scenario, switch levers and set their
sizes, run seeds of the scenario and its counterfactual, and see the comparison.

The parts that are not user interface are plain Python and tested as such:

* :mod:`simulator.dashboard.state`: the scenario files found (cities, scenarios and their
  counterfactuals), the levers' form fields, the form's values turned into ``--set``
  overrides and validated by the scenario loader (the same schema as ``sim run``), and the
  scenario as YAML;
* :mod:`simulator.dashboard.runs`: the runs of a request on background processes (stoppable),
  and what the page shows of them (figures, summary table, regions, the HTML report).

:mod:`simulator.dashboard.app` is the page (Solara, the ``dashboard`` extra) and
:mod:`simulator.dashboard.server` serves it.
"""
