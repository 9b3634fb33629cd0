"""Calibration: fit free scenario parameters to observed figures (method of simulated moments).

* :mod:`~simulator.calibration.spec`: the calibration spec (free parameters with
  bounds, targets with weights, seeds, optimiser budget), read with ``file:line`` errors;
* :mod:`~simulator.calibration.observed`: the observed figures with sources;
* :mod:`~simulator.calibration.objective`: simulated moments and the objective;
* :mod:`~simulator.calibration.driver`: the search (global stage, then local), with
  checkpoints, and the result directory;
* :mod:`~simulator.calibration.report`: fit table, parameter uncertainty, fitted fragment;
* :mod:`~simulator.calibration.validate`: re-run a fitted model and plot it against every
  observed figure.
"""
