"""Scenario discovery over a sweep: the boxes of inputs in which an outcome condition holds.

A sweep varies levers and uncertain parameters (its design); every finished run gives one
outcome value. Given a condition on one indicator in one year (``population`` in 2030
``< 1.5e6``), scenario discovery looks for a few simple boxes of the inputs, each a range on
a few parameters, inside which the condition holds in most runs (density) and which together
hold most of the runs where it holds (coverage). Two methods, both from the EMA Workbench
(``ema_workbench.analysis``, the ``explore`` extra):

* ``prim``: the Patient Rule Induction Method peels thin slices off the box, one parameter at
  a time, leaving a trajectory of ever smaller, denser boxes; the box shown is the one of
  highest coverage whose density reaches the threshold (or the densest). Further boxes are
  looked for in the runs the boxes found so far leave out.
* ``cart``: a classification tree; every leaf whose runs mostly meet the condition is a box.

Each run counts once (a design point run with several seeds gives several rows with the same
inputs: seed noise shows as lower density). Runs recorded ``failed`` (and done runs whose
accounts broke) are left out, as everywhere in the project.

A box is written as YAML in the ``parameters:`` format of a sweep spec: the restricted
parameters with their narrowed range and the others with their full range, so that the box
can be swept on its own.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.experiment.sweep import DONE, SweepDir, open_sweep_dir

METHODS = ("prim", "cart")
DEFAULT_DENSITY = 0.8
"""Density a box should reach (share of its runs meeting the condition): the usual choice in
scenario discovery, a box that is mostly, not only, cases of interest."""
DEFAULT_MAX_BOXES = 3
DEFAULT_MASS_MIN = 0.05
"""Smallest share of the runs a box may hold (PRIM stops peeling there; CART's smallest leaf)."""

ACCEPT_ANY = 1e-9
CART_SEED = 20160816
"""Seed of the tie-breaking in CART's tree (any fixed number: the boxes must not change between calls)."""

_WHERE = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_OPS = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


class DiscoveryError(Exception):
    """Discovery cannot be done on this input (outcome, year, condition, too few runs)."""


@dataclass(frozen=True)
class Condition:
    """``<outcome> <op> <value>``, e.g. ``< 1.5e6``."""

    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"

    def holds(self, y: np.ndarray) -> np.ndarray:
        return _OPS[self.op](y, self.value)


def parse_where(text: str) -> Condition:
    """Read a ``--where`` expression: a comparison (``< <= > >= == !=``) and a finite number.

    Raises:
        DiscoveryError: For anything else.
    """
    m = _WHERE.match(text or "")
    if m is None:
        raise DiscoveryError(
            f"bad --where expression {text!r}: expected a comparison and a number, e.g. \"< 1.5e6\" or \">= 0.9\""
        )
    value = float(m.group(2))
    if not math.isfinite(value):
        raise DiscoveryError(f"bad --where expression {text!r}: the number must be finite")
    return Condition(m.group(1), value)


@dataclass
class Limit:
    """One parameter's range in a box.

    Attributes:
        name: The parameter.
        type: ``real``, ``integer`` or ``categorical``.
        low, high: The box's range (numbers), None for a categorical parameter.
        values: The box's values of a categorical parameter.
        full_low, full_high, full_values: The parameter's whole range in the sweep.
        restricted: True if the box narrows this parameter.
    """

    name: str
    type: str
    low: float | None
    high: float | None
    values: list[Any] | None
    full_low: float | None
    full_high: float | None
    full_values: list[Any] | None
    restricted: bool

    def describe(self) -> str:
        if self.type == "categorical":
            return ", ".join(str(v) for v in self.values or [])
        if self.type == "integer":
            return f"{int(self.low)} to {int(self.high)}"
        return f"{self.low:.4g} to {self.high:.4g}"


@dataclass
class Box:
    """One box found: its statistics and the range of every parameter.

    Attributes:
        coverage: Share of all runs meeting the condition that are in the box.
        density: Share of the box's runs that meet the condition.
        mass: Share of all runs that are in the box.
        n: Runs in the box.
        k: Runs in the box meeting the condition.
        limits: One :class:`Limit` per parameter, in the sweep's order.
        trajectory: PRIM's peeling and pasting trajectory (``coverage``, ``density``,
            ``mass``, ``res_dim`` lists), or None for CART.
        selected: Index of the chosen box on the trajectory.
    """

    coverage: float
    density: float
    mass: float
    n: int
    k: int
    limits: list[Limit]
    trajectory: dict[str, list[float]] | None = None
    selected: int | None = None

    @property
    def restricted(self) -> list[Limit]:
        return [lim for lim in self.limits if lim.restricted]


@dataclass
class Discovery:
    """What :func:`discover` found.

    Attributes:
        method, outcome, year, condition, holds: The question (``holds`` False: where the
            condition fails).
        n_runs: Runs used (finished ones).
        n_excluded: Runs left out (failed or not finished).
        n_interest: Runs where the condition holds (or fails).
        boxes: The boxes found, best first.
        parameters: The sweep's parameter entries (from its manifest).
        sweep_name: The sweep's name.
    """

    method: str
    outcome: str
    year: int
    condition: Condition
    holds: bool
    n_runs: int
    n_excluded: int
    n_interest: int
    boxes: list[Box]
    parameters: list[dict[str, Any]]
    sweep_name: str
    unit: str = ""
    density_threshold: float = DEFAULT_DENSITY
    notes: list[str] = field(default_factory=list)

    @property
    def question(self) -> str:
        verb = "holds" if self.holds else "fails"
        return f"{self.outcome} in {self.year} {self.condition} {verb}"


# ----------------------------------------------------------------- data


def run_table(sd: SweepDir, outcome: str, year: int) -> tuple[Any, np.ndarray, int]:
    """The inputs and outcome of every finished run.

    Returns:
        ``(x, y, excluded)``: a DataFrame of the parameters (one row per finished run), the
        outcome in *year* of each, and the number of runs left out.

    Raises:
        DiscoveryError: For an unknown indicator, a year the runs do not have, or no finished run.
    """
    import pandas as pd
    import pyarrow.dataset as ds

    units = sd.manifest["indicator_units"]
    if outcome not in units:
        match = difflib.get_close_matches(outcome, list(units), n=1, cutoff=0.6)
        hint = f"; did you mean '{match[0]}'?" if match else ""
        raise DiscoveryError(f"unknown outcome {outcome!r}{hint}")
    done = []
    for r in sd.plan:
        rec = sd.read_status(r)
        if rec["status"] == DONE and rec.get("accounting_ok") is not False:
            done.append(r)
    if not done:
        raise DiscoveryError("the sweep has no finished run: run (or resume) it with sim sweep first")
    files = [str(sd.part_path(r.run_id)) for r in done]
    years = ds.dataset(files[:1], format="parquet").to_table(columns=["year"]).column("year").to_pylist()
    if year not in years:
        raise DiscoveryError(f"year {year} is outside the runs' years {min(years)}-{max(years)}")
    table = ds.dataset(files, format="parquet").to_table(
        columns=["run_id", outcome], filter=ds.field("year") == year
    )
    values = dict(zip(table.column("run_id").to_pylist(), table.column(outcome).to_pylist(), strict=True))
    y = np.array([np.nan if values.get(r.run_id) is None else values[r.run_id] for r in done], dtype=float)
    rows = [sd.design_values[r.point_id] for r in done]
    x = pd.DataFrame({p["name"]: _column(p, [row[p["name"]] for row in rows]) for p in sd.manifest["parameters"]})
    finite = np.isfinite(y)
    x, y = x[finite].reset_index(drop=True), y[finite]
    return x, y, len(sd.plan) - len(y)


def _column(p: dict[str, Any], values: list[Any]):
    import pandas as pd

    if p["type"] == "categorical":  # as text categories (EMA's nominal dimensions)
        return pd.Categorical([_label(v) for v in values], categories=[_label(v) for v in p["values"]])
    if p["type"] == "integer":
        return np.asarray(values, dtype=np.int64)
    return np.asarray(values, dtype=float)


def _label(v: Any) -> str:
    return v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v)


# ----------------------------------------------------------------- discovery


def run_discovery(
    sweep_dir: Path,
    outcome: str,
    year: int,
    where: str,
    *,
    method: str = "prim",
    holds: bool = True,
    density: float = DEFAULT_DENSITY,
    max_boxes: int = DEFAULT_MAX_BOXES,
    mass_min: float = DEFAULT_MASS_MIN,
) -> Discovery:
    """Find the boxes of a sweep's inputs in which ``outcome`` in ``year`` meets ``where``.

    Args:
        sweep_dir: A sweep directory (local or Dask executor: the same layout).
        outcome: An indicator.
        year: A year of the runs.
        where: The condition, e.g. ``"< 1.5e6"``.
        method: ``"prim"`` or ``"cart"``.
        holds: True to find where the condition holds, False where it fails.
        density: The density a box should reach.
        max_boxes: Most boxes to report.
        mass_min: Smallest share of the runs in a box.

    Raises:
        SweepError: If *sweep_dir* is not a sweep directory.
        DiscoveryError: For a bad outcome, year, condition or method, or nothing to discover.
    """
    if method not in METHODS:
        raise DiscoveryError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if not 0.0 < density <= 1.0:
        raise DiscoveryError(f"the density threshold must be in (0, 1], got {density}")
    if not 0.0 < mass_min < 1.0:
        raise DiscoveryError(f"the smallest box mass must be in (0, 1), got {mass_min}")
    if max_boxes < 1:
        raise DiscoveryError(f"max boxes must be at least 1, got {max_boxes}")
    condition = parse_where(where)
    sd = open_sweep_dir(sweep_dir)
    x, y, excluded = run_table(sd, outcome, year)
    interest = condition.holds(y) if holds else ~condition.holds(y)
    k = int(interest.sum())
    verb = "holds" if holds else "fails"
    if k == 0 or k == len(y):
        what = "none" if k == 0 else "all"
        raise DiscoveryError(
            f"{outcome} in {year} {condition} {verb} in {what} of the {len(y)} finished runs "
            f"(range {np.min(y):.6g} to {np.max(y):.6g}): there is no box to find"
        )
    params = sd.manifest["parameters"]
    if method == "prim":
        boxes = _prim_boxes(x, interest, params, density, max_boxes, mass_min)
    else:
        boxes = _cart_boxes(x, interest, params, density, max_boxes, mass_min)
    result = Discovery(
        method=method,
        outcome=outcome,
        year=year,
        condition=condition,
        holds=holds,
        n_runs=len(y),
        n_excluded=excluded,
        n_interest=k,
        boxes=boxes,
        parameters=params,
        sweep_name=sd.manifest.get("name", sweep_dir.name),
        unit=sd.manifest["indicator_units"].get(outcome, ""),
        density_threshold=density,
    )
    if not boxes:
        result.notes.append(
            f"no box reaches the density {density:g} with at least {mass_min:.0%} of the runs; "
            "try a lower --density or another condition"
        )
    return result


def _ema(module: str):
    """Import an EMA Workbench analysis module (it warns about optional parts it lacks)."""
    import importlib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(f"ema_workbench.analysis.{module}")
    except ImportError as exc:
        raise DiscoveryError(
            f"sim discover needs the EMA Workbench: pip install -c constraints.txt -e \".[explore]\" ({exc})"
        ) from None


def _prim_boxes(x, interest, params, density, max_boxes, mass_min) -> list[Box]:
    prim = _ema("prim")
    with warnings.catch_warnings():  # the library's warnings about pandas idioms
        warnings.simplefilter("ignore")
        # PRIM's threshold counts the cases of interest (y >= threshold: any value in (0, 1] for
        # 0/1 cases) and accepts a box whose final (smallest) box reaches it; the box is chosen
        # from the whole trajectory here, so every peeled box is accepted
        alg = prim.Prim(x, interest.astype(int), threshold=ACCEPT_ANY, mass_min=mass_min)
        boxes: list[Box] = []
        for _ in range(max_boxes):
            found = alg.find_box()
            if found is None:
                break
            pt = found.peeling_trajectory
            dens = pt["density"].to_numpy(float)
            cov = pt["coverage"].to_numpy(float)
            ok = np.flatnonzero((dens >= density) & (pt["res_dim"].to_numpy() > 0))
            if ok.size == 0:
                break  # PRIM's "dump box" (the rest), or no box dense enough
            i = int(ok[np.argmax(cov[ok])])
            found.select(i)
            row = pt.iloc[i]
            boxes.append(
                Box(
                    coverage=float(row["coverage"]),
                    density=float(row["density"]),
                    mass=float(row["mass"]),
                    n=int(row["n"]),
                    k=int(row["k"]),
                    limits=_limits(found.box_lims[i], alg.box_init, params),
                    trajectory={
                        "coverage": cov.tolist(),
                        "density": dens.tolist(),
                        "mass": pt["mass"].to_numpy(float).tolist(),
                        "res_dim": [int(v) for v in pt["res_dim"]],
                    },
                    selected=i,
                )
            )
    return boxes


def _cart_boxes(x, interest, params, density, max_boxes, mass_min) -> list[Box]:
    cart = _ema("cart")
    sdutil = _ema("scenario_discovery_util")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alg = cart.CART(x, interest.astype(int), mass_min=mass_min)
        # the tree CART.build_tree grows, with a seed of its own: scikit-learn breaks ties between
        # equally good splits at random, and the EMA Workbench gives it no seed (it would draw
        # from numpy's global generator), so the boxes are the same on every call
        from sklearn.tree import DecisionTreeClassifier

        alg.clf = DecisionTreeClassifier(min_samples_leaf=int(alg.mass_min * alg.x.shape[0]), random_state=CART_SEED)
        alg.clf.fit(alg._x, alg.y)
        box_init = sdutil._make_box(x)
        total = int(interest.sum())
        found = []
        for lims in alg.boxes:
            inside = sdutil._in_box(x, lims)
            n = int(inside.sum())
            k = int(interest[inside].sum())
            if n == 0 or k / n < density:
                continue
            found.append(
                Box(
                    coverage=k / total,
                    density=k / n,
                    mass=n / len(interest),
                    n=n,
                    k=k,
                    limits=_limits(lims, box_init, params),
                )
            )
    found.sort(key=lambda b: (-b.coverage, -b.density))
    return found[:max_boxes]


def _limits(lims, box_init, params) -> list[Limit]:
    """The box's range of every parameter, in the sweep's terms."""
    out = []
    for p in params:
        name = p["name"]
        if p["type"] == "categorical":
            labels = {_label(v): v for v in p["values"]}
            inside = lims[name].iloc[0]
            whole = box_init[name].iloc[0]
            values = [labels[s] for s in labels if s in inside]
            out.append(
                Limit(name, "categorical", None, None, values, None, None, list(p["values"]), set(inside) != set(whole))
            )
            continue
        low, high = float(lims[name].iloc[0]), float(lims[name].iloc[1])
        data_low, data_high = float(box_init[name].iloc[0]), float(box_init[name].iloc[1])
        restricted = low > data_low or high < data_high
        if p["type"] == "integer":
            low, high = math.ceil(low), math.floor(high)
            low, high = min(low, high), max(low, high)
        # an unrestricted side spans the parameter's whole range (the design may not reach its ends)
        if low <= data_low:
            low = p["low"]
        if high >= data_high:
            high = p["high"]
        out.append(Limit(name, p["type"], low, high, None, p["low"], p["high"], None, restricted))
    return out


# ----------------------------------------------------------------- outputs


def box_yaml(result: Discovery, index: int) -> str:
    """A box as the ``parameters:`` block of a sweep spec (with the sweep's keys), commented."""
    import yaml

    box = result.boxes[index]
    by_name = {p["name"]: p for p in result.parameters}
    block: dict[str, Any] = {}
    for lim in box.limits:
        p = by_name[lim.name]
        keys = p["keys"]
        entry: dict[str, Any] = {"key": keys[0] if len(keys) == 1 else list(keys), "type": lim.type}
        if lim.type == "categorical":
            entry["values"] = list(lim.values or [])
        elif lim.type == "integer":
            entry["low"], entry["high"] = int(lim.low), int(lim.high)
        else:
            entry["low"], entry["high"] = float(lim.low), float(lim.high)
        if p.get("description"):
            entry["description"] = p["description"]
        block[lim.name] = entry
    restricted = ", ".join(lim.name for lim in box.restricted) or "none"
    head = (
        f"# Box {index + 1} of sim discover ({result.method}) on sweep {result.sweep_name}:\n"
        f"# where {result.question}.\n"
        f"# coverage {box.coverage:.3f}, density {box.density:.3f}, mass {box.mass:.3f} "
        f"({box.k} of {box.n} runs in the box; {result.n_interest} of {result.n_runs} runs in all).\n"
        f"# Restricted: {restricted}. The other parameters keep their whole range.\n"
        "# Paste this block as the `parameters:` of a sweep spec to sweep inside the box.\n"
    )
    body = yaml.safe_dump({"parameters": block}, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return head + body


def draw_box(result: Discovery, index: int, path: Path) -> Path:
    """Save a PNG of one box: PRIM's peeling trajectory (coverage against density) and the
    box's range of each restricted parameter within the parameter's whole range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    box = result.boxes[index]
    shown = box.restricted or box.limits
    panels = 2 if box.trajectory else 1
    height = max(3.2, 1.3 + 0.5 * len(shown))
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, height), layout="constrained", squeeze=False)
    axes = axes[0]
    if box.trajectory:
        ax = axes[0]
        t = box.trajectory
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18, zorder=2)
        ax.plot(t["coverage"], t["density"], color="0.7", linewidth=0.8, zorder=1)
        ax.scatter(
            [box.coverage], [box.density], s=120, facecolors="none", edgecolors="red", linewidths=1.5,
            zorder=3, label=f"box {index + 1}",
        )
        ax.axhline(result.density_threshold, color="red", linestyle=":", linewidth=0.8)
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title("peeling trajectory", fontsize="medium")
        fig.colorbar(sc, ax=ax, label="restricted dimensions")
        ax.legend(loc="lower left", fontsize="small")
    ax = axes[-1]
    for j, lim in enumerate(shown):
        if lim.type == "categorical":
            full = lim.full_values or []
            for v_i, v in enumerate(full):
                inside = v in (lim.values or [])
                x0 = v_i / len(full)
                ax.barh(j, 1 / len(full), left=x0, color="#4c72b0" if inside else "0.9", edgecolor="white")
                ax.text(x0 + 0.5 / len(full), j, str(v), ha="center", va="center", fontsize="x-small")
            continue
        span = (lim.full_high - lim.full_low) or 1.0
        a, b = (lim.low - lim.full_low) / span, (lim.high - lim.full_low) / span
        ax.barh(j, 1.0, color="0.9")
        ax.barh(j, b - a, left=a, color="#4c72b0")
        ax.text(a, j + 0.32, f"{lim.low:.4g}", ha="left", va="bottom", fontsize="x-small")
        ax.text(b, j + 0.32, f"{lim.high:.4g}", ha="right", va="bottom", fontsize="x-small")
    ax.set_yticks(range(len(shown)), [lim.name for lim in shown])
    ax.set_ylim(len(shown) - 0.4, -0.6)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the parameter's range in the sweep")
    ax.set_title(
        f"box {index + 1}: coverage {box.coverage:.2f}, density {box.density:.2f}", fontsize="medium"
    )
    fig.suptitle(f"{result.method.upper()}: where {result.question}", fontsize="medium")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_outputs(result: Discovery, out: Path) -> list[Path]:
    """Write every box's YAML and PNG and a ``boxes.json`` into *out*, all or nothing.

    The folder is built under a temporary name and renamed into place (replacing an earlier
    result of the same question), so it is whole or absent.
    """
    import os
    import shutil

    from simulator.experiment.files import tmp_name, write_json

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(out)
    tmp.mkdir()
    try:
        for i in range(len(result.boxes)):
            (tmp / f"box_{i + 1}.yaml").write_text(box_yaml(result, i), encoding="utf-8")
            draw_box(result, i, tmp / f"box_{i + 1}.png")
        write_json(tmp / "boxes.json", summary_json(result))
        old = None
        if out.exists():
            old = tmp_name(out)
            os.rename(out, old)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(out.iterdir())


def summary_json(result: Discovery) -> dict[str, Any]:
    return {
        "method": result.method,
        "outcome": result.outcome,
        "year": result.year,
        "where": str(result.condition),
        "holds": result.holds,
        "n_runs": result.n_runs,
        "n_excluded": result.n_excluded,
        "n_interest": result.n_interest,
        "density_threshold": result.density_threshold,
        "boxes": [
            {
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "n": b.n,
                "k": b.k,
                "restricted": {
                    lim.name: (lim.values if lim.type == "categorical" else [lim.low, lim.high])
                    for lim in b.restricted
                },
            }
            for b in result.boxes
        ],
    }
