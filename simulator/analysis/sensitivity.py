"""Global sensitivity of one outcome of a sweep (SALib).

For a sweep with a ``saltelli`` design: Sobol first-order (S1) and total-order
(ST) indices with bootstrap confidence intervals; for a ``morris`` design:
Morris mu* (mean absolute elementary effect, with its confidence interval) and
sigma (their spread: interactions or non-linearity). Other designs have no
structure for these estimators and are refused.

The outcome is one indicator in one year. Where a design point was run with
several seeds, its value is the **mean over the seeds** of that point (the
indices are then about the expected outcome; the seed noise left in the
means shows up as wider confidence intervals and a small spurious share).
Every design point needs at least one finished run.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.experiment.sweep import DONE, RAW_PREFIX, SweepDir, open_sweep_dir

CONF_LEVEL = 0.95
"""Confidence level of the bootstrap intervals (SALib's default)."""

NUM_RESAMPLES = 1000
"""Bootstrap resamples for the confidence intervals: stable second digits of the
interval widths at a cost of well under a second for thousands of points."""

MORRIS_DEFAULT_LEVELS = 4  # SALib's default grid, as used when sampling


class SensitivityError(Exception):
    """The analysis cannot be done on this sweep (design, outcome, missing runs)."""


@dataclass
class SensitivityResult:
    """Indices of one outcome.

    Attributes:
        method: ``"sobol"`` or ``"morris"``.
        outcome: The indicator.
        year: The year.
        names: Parameter names, in spec order.
        indices: Index name -> one value per parameter (``S1``, ``S1_conf``,
            ``ST``, ``ST_conf`` for Sobol; ``mu_star``, ``mu_star_conf``,
            ``sigma`` for Morris).
        n_points: Design points used.
        seeds_per_point: Mean number of finished seeds averaged per point.
        unit: The indicator's unit.
        seed_noise_share: Estimated share of the variance of the point means
            that is seed noise (mean within-point variance / seeds, over the
            variance of the means); None with one seed per point. What of
            this noise does not cancel between points (they share seeds)
            counts as interaction in Sobol's total-order estimator, so a
            large share calls for more seeds per point.
    """

    method: str
    outcome: str
    year: int
    names: list[str]
    indices: dict[str, np.ndarray]
    n_points: int
    seeds_per_point: float
    unit: str
    seed_noise_share: float | None = None


def salib_problem_from_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The SALib problem of a sweep, with the sampling bounds of each parameter."""
    bounds = []
    for p in manifest["parameters"]:
        if p["type"] == "real":
            bounds.append([p["low"], p["high"]])
        elif p["type"] == "integer":
            bounds.append([p["low"], p["high"] + 1])
        else:
            bounds.append([0.0, float(len(p["values"]))])
    names = [p["name"] for p in manifest["parameters"]]
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def outcome_by_point(sd: SweepDir, outcome: str, year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and variance over seeds of *outcome* in *year* for each design point.

    Returns:
        ``(means, counts, variances)``: one entry per design point; ``means``
        is NaN where no run of the point finished, ``variances`` (the sample
        variance over the point's seeds) where fewer than two did.

    Raises:
        SensitivityError: For an unknown indicator or a year no run has.
    """
    import pyarrow.dataset as ds

    units = sd.manifest["indicator_units"]
    if outcome not in units:
        match = difflib.get_close_matches(outcome, list(units), n=1, cutoff=0.6)
        hint = f"; did you mean '{match[0]}'?" if match else ""
        raise SensitivityError(f"unknown outcome {outcome!r}{hint}")
    done = {}
    for r in sd.plan:
        rec = sd.read_status(r)
        # a run recorded done with a violation (sweeps written before such runs were failed) is left out
        if rec["status"] == DONE and rec.get("accounting_ok") is not False:
            done[r.run_id] = r.point_id
    n_points = len(sd.design_values)
    sums = np.zeros(n_points)
    squares = np.zeros(n_points)
    counts = np.zeros(n_points, dtype=np.int64)
    if done:
        files = [str(sd.part_path(rid)) for rid in sorted(done)]
        table = ds.dataset(files, format="parquet").to_table(
            columns=["run_id", "year", outcome], filter=ds.field("year") == year
        )
        if table.num_rows == 0:
            years = ds.dataset(files[:1], format="parquet").to_table(columns=["year"]).column("year").to_pylist()
            raise SensitivityError(
                f"no run has the year {year} (runs cover {min(years)}-{max(years)})"
            )
        for rid, value in zip(table.column("run_id").to_pylist(), table.column(outcome).to_pylist(), strict=True):
            p = done[rid]
            value = np.nan if value is None else value
            sums[p] += value
            squares[p] += value * value
            counts[p] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        variances = np.where(counts > 1, (squares - counts * means**2) / np.maximum(counts - 1, 1), np.nan)
    return means, counts, np.maximum(variances, 0.0)


def analyse(sweep_dir: Path, outcome: str, year: int) -> SensitivityResult:
    """Sobol or Morris indices of *outcome* in *year* over a sweep.

    Raises:
        SweepError: If *sweep_dir* is not a sweep directory.
        SensitivityError: If the design does not support the analysis, the
            outcome or year is unknown, a design point has no finished run,
            or the outcome does not vary.
    """
    sd = open_sweep_dir(sweep_dir)
    design = sd.manifest["design"]
    kind = design["kind"]
    if kind not in ("saltelli", "morris"):
        raise SensitivityError(
            f"sensitivity indices need a 'saltelli' (Sobol) or 'morris' design; this sweep's design is "
            f"{kind!r}, which has no structure for them (look at it with sim query)"
        )
    y, counts, within = outcome_by_point(sd, outcome, year)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise SensitivityError(
            f"{missing.size} of {len(y)} design points have no finished run (e.g. point {missing[0]}); "
            "the indices need every point: resume the sweep (run sim sweep again on it)"
        )
    if not np.all(np.isfinite(y)):
        bad = int(np.flatnonzero(~np.isfinite(y))[0])
        raise SensitivityError(f"{outcome} in {year} is not a finite number at design point {bad}")
    if np.ptp(y) == 0:
        raise SensitivityError(f"{outcome} in {year} is the same at every design point: the indices are undefined")
    problem = salib_problem_from_manifest(sd.manifest)
    seed = sd.manifest["seeds"]["root"]  # bootstrap resampling: reproducible for a sweep
    names = problem["names"]
    if kind == "saltelli":
        from SALib.analyze import sobol

        res = sobol.analyze(
            problem,
            y,
            calc_second_order=bool(design.get("second_order", False)),
            num_resamples=NUM_RESAMPLES,
            conf_level=CONF_LEVEL,
            seed=seed,
        )
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        from SALib.analyze import morris

        x = np.column_stack(
            [np.array(_raw_column(sd, n), dtype=float) for n in names]
        )
        res = morris.analyze(
            problem,
            x,
            y,
            num_resamples=NUM_RESAMPLES,
            conf_level=CONF_LEVEL,
            num_levels=design.get("levels") or MORRIS_DEFAULT_LEVELS,
            seed=seed,
        )
        keys = ("mu_star", "mu_star_conf", "sigma")
    indices = {k: np.asarray(res[k], dtype=float) for k in keys}
    return SensitivityResult(
        method="sobol" if kind == "saltelli" else "morris",
        outcome=outcome,
        year=year,
        names=names,
        indices=indices,
        n_points=len(y),
        seeds_per_point=float(counts.mean()),
        seed_noise_share=_seed_noise_share(y, counts, within),
        unit=sd.manifest["indicator_units"].get(outcome, ""),
    )


INTERVALED_INDICES = {"sobol": ("S1", "ST"), "morris": ("mu_star",)}
"""The indices that carry a confidence interval (``<index>_conf``: its half-width), by method."""
MORE_POINTS = {"sobol": "design.base_samples", "morris": "design.trajectories"}


def wide_intervals(result: SensitivityResult) -> str | None:
    """One line of warning if the confidence intervals are wider than the indices themselves, else None.

    For each index with an interval (S1, ST; mu*), the widest interval's half-width is compared
    with the largest index of the parameters: if it is larger (or not a number), no parameter's
    index is told apart from zero or from another's (e.g. S1 = 1.495 ± 7.7 from a design of a few
    points), and the table says little."""
    worst: tuple[float, str, int] | None = None  # (half-width / largest index, index, parameter)
    for key in INTERVALED_INDICES.get(result.method, ()):
        values = np.abs(np.asarray(result.indices[key], dtype=float))
        if not len(values):
            continue
        conf = np.asarray(result.indices[f"{key}_conf"], dtype=float)
        conf = np.where(np.isfinite(conf), conf, np.inf)
        largest = float(np.max(values[np.isfinite(values)])) if np.any(np.isfinite(values)) else 0.0
        i = int(np.argmax(conf))
        if conf[i] > largest:
            ratio = conf[i] / largest if largest > 0 else np.inf
            if worst is None or ratio > worst[0]:
                worst = (ratio, key, i)
    if worst is None:
        return None
    _, key, i = worst
    label = {"mu_star": "mu*"}.get(key, key)
    shown = f"{result.names[i]}: {label} = {result.indices[key][i]:.4g} ± {result.indices[key + '_conf'][i]:.3g}"
    return (
        f"the {CONF_LEVEL:.0%} confidence intervals are wider than the indices ({shown}): with {result.n_points} "
        f"design points the parameters cannot be told apart; use more points ({MORE_POINTS[result.method]}) "
        "or more seeds per point"
    )


def _seed_noise_share(means: np.ndarray, counts: np.ndarray, within: np.ndarray) -> float | None:
    several = counts > 1
    if not several.any():
        return None
    noise = float(np.mean(within[several] / counts[several]))
    return noise / float(np.var(means, ddof=1))


def _raw_column(sd: SweepDir, name: str) -> list[float]:
    import pyarrow.parquet as pq

    from simulator.experiment.sweep import DESIGN_FILE

    return pq.read_table(sd.path / DESIGN_FILE, columns=[RAW_PREFIX + name]).column(0).to_pylist()


def draw_chart(result: SensitivityResult, path: Path) -> Path:
    """Save a horizontal bar chart of the indices (with their confidence intervals) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = result.names
    pos = np.arange(len(names))
    height = 0.38
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.55 * len(names)), layout="constrained")
    ind = result.indices
    if result.method == "sobol":
        ax.barh(pos - height / 2, ind["S1"], height, xerr=ind["S1_conf"], label="first order S1", color="#4c72b0", capsize=3)
        ax.barh(pos + height / 2, ind["ST"], height, xerr=ind["ST_conf"], label="total order ST", color="#dd8452", capsize=3)
        ax.set_xlabel("share of the outcome's variance")
        title = "Sobol indices"
    else:
        ax.barh(pos - height / 2, ind["mu_star"], height, xerr=ind["mu_star_conf"], label="mu* (mean |effect|)", color="#4c72b0", capsize=3)
        ax.barh(pos + height / 2, ind["sigma"], height, label="sigma (interactions, non-linearity)", color="#dd8452")
        ax.set_xlabel(f"elementary effect on {result.outcome} ({result.unit})")
        title = "Morris screening"
    ax.set_yticks(pos, names)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", linewidth=0.8)
    fig.legend(loc="outside lower center", ncols=2, fontsize="small")
    ax.set_title(
        f"{title}: {result.outcome} in {result.year}\n"
        f"{result.n_points} design points, mean of {result.seeds_per_point:g} seed(s) each, {CONF_LEVEL:.0%} intervals",
        fontsize="medium",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
