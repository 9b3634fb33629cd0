"""The outputs of a calibration: fitted fragment, history, fit table, uncertainty, report.

Written into the result directory, each file atomically:

``fitted.yaml``
    A scenario fragment: ``extends:`` the calibration's base scenario, is named
    ``<calibration name>_fitted`` and sets every fitted key (exact values, with
    the parameter it comes from as a comment). ``sim run fitted.yaml`` runs the fitted model; another scenario
    uses the fit with ``extends: <path to fitted.yaml>``. The spec's ``set``
    overrides (e.g. a shorter run for fitting) are not part of it.
``history.csv``
    Every candidate of the search (stages ``base``, ``global``, ``local``) and of
    the profiles, in the order asked for: parameter values, objective, RMS log
    error, status and the deviation of every fitted target (``d__<id>``), to 6
    significant digits (``fitted.yaml`` has the exact values).
``fit.csv``
    Per target: observed value, weight, and the simulated median and 5-95%
    band across the report's seeds, before (the base scenario) and after (the
    fitted values).
``parameters.csv``
    Per parameter: bounds, base value, fitted value, the range of near-optimal
    candidates and the profile range (see below), its keys and why it is free.
``profiles.csv``, ``profiles.png``
    The objective along each parameter through the fitted point, the others held.
``report.md``
    All of the above in words and tables.

Parameter uncertainty. The objective at the fitted values is recomputed on
the report's seeds, in groups of as many seeds as an evaluation uses: the
standard deviation of those values, ``delta``, is how much the objective moves
with the random draws alone. Candidates whose objective is within ``delta`` of
the best are *near-optimal*: the data and the model's noise cannot tell them
apart from the best. Their range per parameter (over the search and the
profiles) and the part of each profile within ``delta`` are reported. This is
uncertainty from the simulation's noise and the flatness of the objective; the
sampling error of the observed figures themselves is unknown and not in it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulator.calibration.driver import (
    Evaluation,
    HistoryRow,
    ReportRuns,
    SearchResult,
)
from simulator.calibration.objective import deviations, objective, rms_log_error
from simulator.calibration.spec import FreeParameter, LoadedCalibration
from simulator.experiment.files import write_atomic

FITTED_FILE = "fitted.yaml"
FITTED_DIR = "fitted"
"""A panel's fitted fragments: ``fitted/<city>.yaml``, one per city."""
HISTORY_FILE = "history.csv"
FIT_FILE = "fit.csv"
PARAMETERS_FILE = "parameters.csv"
PROFILES_FILE = "profiles.csv"
PROFILES_PLOT = "profiles.png"
REPORT_FILE = "report.md"
BAND = (5.0, 95.0)
"""Percentiles of the band across seeds (a 90% band)."""


def _csv_text(header: list[str], rows: list[list[Any]], digits: int = 8) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else _cell(v, digits) for v in r])
    return buf.getvalue().encode()


def _cell(v: Any, digits: int = 8) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        return f"{v:.{digits}g}"
    return v


def _g(v: float | None, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, int) or abs(v) >= 1e4:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


# ------------------------------------------------------------------ summaries


def band(e: Evaluation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 5-95% band of each target's values across an evaluation's seeds."""
    a = np.asarray(e.per_seed, dtype=float)
    return np.median(a, axis=0), np.percentile(a, BAND[0], axis=0), np.percentile(a, BAND[1], axis=0)


def noise_delta(report: ReportRuns) -> float:
    """Standard deviation of the objective across groups of report seeds (nan if fewer than 2)."""
    g = [x for x in report.noise_groups if math.isfinite(x)]
    return float(np.std(g, ddof=1)) if len(g) >= 2 else float("nan")


def near_optimal(
    loaded: LoadedCalibration, found: SearchResult, report: ReportRuns, delta: float
) -> dict[str, tuple[float, float, int]]:
    """Per parameter: (min, max, count) over candidates within *delta* of the best objective."""
    best = found.best.evaluation.objective
    rows = [r for r in found.history if r.evaluation.ok]
    rows += [r for v in report.profiles.values() for r in v if r.evaluation.ok]
    close = [r for r in rows if r.evaluation.objective <= best + (delta if math.isfinite(delta) else 0.0)]
    out = {}
    for fp in loaded.parameters:
        vals = [float(r.evaluation.candidate.values[fp.name]) for r in close]
        out[fp.name] = (min(vals), max(vals), len(close))
    return out


@dataclass(frozen=True)
class ProfileInterval:
    """Where a parameter's profile stays within *delta* of the best objective.

    ``low``/``high`` are the crossings of ``best + delta``, interpolated linearly
    (on the search scale) between profile points; ``open_low``/``open_high`` mark a
    side on which the profile never crossed (the interval reaches at least that far).
    """

    low: float
    high: float
    open_low: bool
    open_high: bool

    def text(self) -> str:
        lo = ("<= " if self.open_low else "") + _g(self.low)
        hi = (">= " if self.open_high else "") + _g(self.high)
        return f"{lo} to {hi}"


def profile_interval(fp: FreeParameter, rows: list[HistoryRow], best: Evaluation, delta: float) -> ProfileInterval | None:
    """The interval of a parameter's profile (its points and the best) within *delta* of the best."""
    pts = {float(fp.to_unit(float(r.evaluation.candidate.values[fp.name]))): r.evaluation.objective for r in rows if r.evaluation.ok}
    u0 = float(fp.to_unit(float(best.candidate.values[fp.name])))
    pts[u0] = best.objective
    if len(pts) < 2:
        return None
    thr = best.objective + (delta if math.isfinite(delta) else 0.0)
    xs = sorted(pts)
    i0 = xs.index(u0)

    def walk(direction: int) -> tuple[float, bool]:
        i = i0
        while 0 <= i + direction < len(xs):
            j = i + direction
            if pts[xs[j]] > thr:
                a, b = pts[xs[i]], pts[xs[j]]
                t = (thr - a) / (b - a) if b != a else 0.0
                return xs[i] + max(0.0, min(1.0, t)) * (xs[j] - xs[i]), False
            i = j
        return xs[i], True

    lo, open_lo = walk(-1)
    hi, open_hi = walk(+1)
    return ProfileInterval(float(fp.from_unit(lo)) if fp.type != "integer" else _from_unit_real(fp, lo),
                           float(fp.from_unit(hi)) if fp.type != "integer" else _from_unit_real(fp, hi), open_lo, open_hi)


def _from_unit_real(fp: FreeParameter, u: float) -> float:
    if fp.space == "log":
        return math.exp(math.log(fp.low) + u * (math.log(fp.high) - math.log(fp.low)))
    return fp.low + u * (fp.high - fp.low)


# ------------------------------------------------------------------ fitted.yaml


def _key_path(base: Any, key: str) -> list[Any]:
    """The dotted key's parts as the base data spells them (list indices and year keys as ints)."""
    out: list[Any] = []
    node: Any = base
    for part in key.split("."):
        k: Any = part
        if isinstance(node, list):
            k = int(part)
        elif isinstance(node, dict) and part not in node and part.lstrip("-").isdigit():
            if int(part) in node or (node and all(isinstance(x, int) for x in node)):
                k = int(part)
        out.append(k)
        if isinstance(node, dict):
            node = node.get(k)
        elif isinstance(node, list) and 0 <= k < len(node):
            node = node[k]
        else:
            node = None
    return out


def fitted_fragment(loaded: LoadedCalibration, values: dict[str, float | int], extends: str, city: str = "") -> str:
    """YAML text of the fitted fragment (``extends:`` the base, every fitted key set); in a panel,
    of one city (its base scenario, its keys)."""
    import copy

    import yaml

    base = yaml.safe_load(loaded.cities[city].text)
    tree: dict[Any, Any] = {}
    comments: dict[tuple[Any, ...], str] = {}
    for fp in loaded.parameters:
        v = values[fp.name]
        for (key, kv), b in zip(fp.key_values(v, city), fp.city_keys(city)[1], strict=True):
            path = _key_path(base, key)
            node: Any = tree
            bnode: Any = base
            for i, part in enumerate(path[:-1]):
                bnode = bnode[part]
                if isinstance(bnode, list):  # lists are replaced whole by extends: copy it from the base
                    if part not in node:
                        node[part] = copy.deepcopy(bnode)
                    node = node[part]
                    rest = path[i + 1 :]
                    for p in rest[:-1]:
                        node = node[p]
                    node[rest[-1]] = kv
                    comments[tuple(path[: i + 1])] = f"list copied from the base scenario; fitted: {fp.name}"
                    break
                node = node.setdefault(part, {})
            else:
                node[path[-1]] = kv
                if fp.apply == "multiply":
                    comments[tuple(path)] = f"fitted: {fp.name} x {_g(float(v), 6)} (base {_g(b, 6)})"
                else:
                    comments[tuple(path)] = f"fitted: {fp.name}"
    lines: list[str] = []
    _emit(tree, (), 0, comments, lines)
    name = f"{loaded.name}_{city}_fitted" if city else f"{loaded.name}_fitted"
    base_name = loaded.cities[city].scenario.name
    pooled = f" pooled across the panel's {len(loaded.cities)} cities" if city else ""
    description = f"{base_name} with the parameters fitted by calibration {loaded.name}{pooled}"
    return f"extends: {extends}\n\nname: {name}\ndescription: {json.dumps(description)}\n\n" + "\n".join(lines) + "\n"


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return json.dumps(v)
    return json.dumps(v, ensure_ascii=False)


def _emit(node: dict[Any, Any], path: tuple[Any, ...], depth: int, comments: dict, lines: list[str]) -> None:
    import yaml

    pad = "  " * depth
    for k, v in node.items():
        p = path + (k,)
        note = f"   # {comments[p]}" if p in comments else ""
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:{note}")
            _emit(v, p, depth + 1, comments, lines)
        elif isinstance(v, list):
            lines.append(f"{pad}{k}:{note}")
            dumped = yaml.safe_dump(v, default_flow_style=None, sort_keys=False, allow_unicode=True, width=1000)
            lines.extend(f"{pad}  {ln}" for ln in dumped.splitlines())
        else:
            lines.append(f"{pad}{k}: {_scalar(v)}{note}")


# ------------------------------------------------------------------ writing


def write_outputs(
    path: Path,
    loaded: LoadedCalibration,
    found: SearchResult,
    report: ReportRuns,
    manifest: dict[str, Any],
    truth: dict[str, float | int] | None,
) -> None:
    """Write every output file of a finished calibration into *path* (each atomically)."""
    params = loaded.parameters
    targets = loaded.targets
    best = found.best
    be = best.evaluation
    delta = noise_delta(report)
    near = near_optimal(loaded, found, report, delta)
    prof = {fp.name: profile_interval(fp, report.profiles.get(fp.name, []), be, delta) for fp in params}

    header = _fragment_header(loaded, found, report, delta, near)
    if loaded.is_panel:  # one fragment per city, each extending the city's scenario
        (path / FITTED_DIR).mkdir(exist_ok=True)
        for city, b in loaded.cities.items():
            extends = os.path.relpath(os.path.abspath(b.path), os.path.abspath(path / FITTED_DIR))
            write_atomic(path / FITTED_DIR / f"{city}.yaml", (header + fitted_fragment(loaded, be.candidate.values, extends, city)).encode())
    else:
        extends = os.path.relpath(os.path.abspath(loaded.base_path), os.path.abspath(path))
        write_atomic(path / FITTED_FILE, (header + fitted_fragment(loaded, be.candidate.values, extends)).encode())

    # history.csv
    hist_rows = list(found.history) + [r for v in report.profiles.values() for r in v]
    header_cols = ["index", "stage"] + [fp.name for fp in params] + ["objective", "rms_log_error", "status", "error", "accounting_ok"]
    fitted_idx = [j for j, t in enumerate(targets) if t.fitted]
    header_cols += [f"d__{targets[j].id}" for j in fitted_idx]
    rows = []
    for i, r in enumerate(hist_rows):
        e = r.evaluation
        rows.append(
            [i, r.stage]
            + [e.candidate.values[fp.name] for fp in params]
            + [e.objective if e.ok else None, rms_log_error(targets, e.devs) if e.ok else None, "done" if e.ok else "failed", e.error, e.accounting_ok]
            + ([e.devs[j] for j in fitted_idx] if e.ok else [None] * len(fitted_idx))
        )
    write_atomic(path / HISTORY_FILE, _csv_text(header_cols, rows, digits=6))

    # fit.csv
    fit_rows = []
    before_ok, after_ok = report.before.ok, report.after.ok
    bm, bl, bh = band(report.before) if before_ok else ([math.nan] * len(targets),) * 3
    am, al, ah = band(report.after) if after_ok else ([math.nan] * len(targets),) * 3
    for j, t in enumerate(targets):
        fit_rows.append(
            [t.id, t.indicator, t.year, t.kind, t.observed, t.weight, t.quality,
             float(bm[j]), float(bl[j]), float(bh[j]), float(am[j]), float(al[j]), float(ah[j]),
             float(am[j]) / t.observed if t.observed else None, t.source, t.city]
        )
    write_atomic(
        path / FIT_FILE,
        _csv_text(
            ["id", "indicator", "year", "kind", "observed", "weight", "quality",
             "before_median", "before_p05", "before_p95", "after_median", "after_p05", "after_p95",
             "after_ratio", "source", "city"],
            fit_rows,
        ),
    )

    # parameters.csv
    prow = []
    for fp in params:
        lo, hi, _ = near[fp.name]
        pr = prof[fp.name]
        prow.append(
            [fp.name, fp.apply, fp.space, fp.low, fp.high, fp.base_value, be.candidate.values[fp.name], lo, hi,
             pr.low if pr else None, pr.high if pr else None, _open(pr), truth.get(fp.name) if truth else None, " ".join(fp.keys), fp.why]
        )
    write_atomic(
        path / PARAMETERS_FILE,
        _csv_text(
            ["name", "apply", "space", "low", "high", "base_value", "fitted", "near_optimal_low", "near_optimal_high",
             "profile_low", "profile_high", "profile_open", "truth", "keys", "why"],
            prow,
        ),
    )

    # profiles
    pr_rows = []
    for fp in params:
        for k, r in enumerate(report.profiles.get(fp.name, [])):
            e = r.evaluation
            pr_rows.append([fp.name, k, e.candidate.values[fp.name], e.objective if e.ok else None, "done" if e.ok else "failed"])
    write_atomic(path / PROFILES_FILE, _csv_text(["parameter", "point", "value", "objective", "status"], pr_rows))
    if any(report.profiles.values()):
        plot_profiles(path / PROFILES_PLOT, loaded, report, be, delta)

    manifest["result"] = {
        "best_index": best.index,
        "best_stage": best.stage,
        "objective": be.objective,
        "objective_report_seeds": _objective(loaded, report.after),
        "objective_before_report_seeds": _objective(loaded, report.before),
        "noise_delta": delta,
        "candidates": len({r.evaluation.candidate.key for r in found.history}),
        "local_message": found.local_message,
        "parameters": {
            fp.name: {
                "fitted": be.candidate.values[fp.name],
                "near_optimal": list(near[fp.name][:2]),
                "profile": [prof[fp.name].low, prof[fp.name].high] if prof[fp.name] else None,
                "profile_open": _open(prof[fp.name]),
                "keys": list(fp.keys),
            }
            for fp in params
        },
        "targets": [
            {"id": t.id, "indicator": t.indicator, "year": t.year, "kind": t.kind, "observed": t.observed, "weight": t.weight}
            | ({"city": t.city} if t.city else {})
            for t in targets
        ],
    }
    write_atomic(path / REPORT_FILE, report_markdown(loaded, found, report, manifest, truth, delta, near, prof).encode())


def _open(pr: ProfileInterval | None) -> str:
    """Which sides of a profile interval are open: "", "low", "high" or "both"."""
    if pr is None:
        return ""
    return {(False, False): "", (True, False): "low", (False, True): "high", (True, True): "both"}[(pr.open_low, pr.open_high)]


def _objective(loaded: LoadedCalibration, e: Evaluation) -> float | None:
    if not e.ok:
        return None
    return objective(loaded.targets, deviations(loaded.targets, e.simulated))


def _fragment_header(loaded, found, report, delta, near) -> str:
    be = found.best.evaluation
    base_row = next((r for r in found.history if r.stage == "base"), None)
    lines = [
        f"# Fitted parameters of calibration '{loaded.name}' ({loaded.path.name}), written by `sim calibrate`",
        f"# on {datetime.now(UTC).date().isoformat()}: method of simulated moments, {len(loaded.seeds)} seeds per candidate.",
        "# Do not edit by hand: re-run the calibration (see report.md in this folder).",
        f"# Objective (weighted mean squared log deviation): {be.objective:.4g} fitted"
        + (f", {base_row.evaluation.objective:.4g} at the base scenario's values." if base_row else "."),
        "# Parameters: fitted value [range of near-optimal candidates]",
    ]
    for fp in loaded.parameters:
        lo, hi, _ = near[fp.name]
        lines.append(f"#   {fp.name}: {_g(float(be.candidate.values[fp.name]), 5)} [{_g(lo, 4)}, {_g(hi, 4)}]")
    return "\n".join(lines) + "\n"


def plot_profiles(out: Path, loaded: LoadedCalibration, report: ReportRuns, be: Evaluation, delta: float) -> None:
    """One panel per parameter: the objective along it, the fitted value and best + delta."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = loaded.parameters
    n = len(params)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, fp in zip(axes.flat, params, strict=False):
        rows = report.profiles[fp.name] + [HistoryRow(-1, "best", be)]
        pts = [(float(r.evaluation.candidate.values[fp.name]), r.evaluation.objective) for r in rows if r.evaluation.ok]
        if pts:
            x, y = zip(*sorted(pts), strict=True)
            ax.plot(x, y, "o-", color="tab:blue", ms=4)
        ax.axvline(float(be.candidate.values[fp.name]), color="tab:red", lw=1, label="fitted")
        ax.axhline(be.objective, color="grey", lw=0.8, ls=":")
        if math.isfinite(delta):
            ax.axhline(be.objective + delta, color="grey", lw=0.8, ls="--", label="best + noise")
        ax.set_title(fp.name, fontsize=9)
        parts = fp.keys[0].split(".")
        label = ".".join(parts[-2:]) if parts[-1].isdigit() else parts[-1]
        ax.set_xlabel("multiplier" if fp.apply == "multiply" else label, fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].set_ylabel("objective", fontsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Objective profiles through the fitted values ({loaded.name})", fontsize=10)
    fig.tight_layout()
    try:
        save_png(fig, out)
    finally:
        plt.close(fig)


PNG_COLOURS = 256
"""Figures are written as palette PNGs of this many colours (a third of the size, same look)."""


def save_png(fig, out: Path, dpi: int = 80) -> None:
    """Write a matplotlib figure as a palette PNG without metadata, atomically."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    buf.seek(0)
    with Image.open(buf) as im:
        pal = im.convert("RGB").quantize(colors=PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small = io.BytesIO()
        pal.save(small, format="PNG", optimize=True)
    write_atomic(out, small.getvalue())


# ------------------------------------------------------------------ report.md


def _kind_label(kind: str) -> str:
    if kind == "level":
        return ""
    a, b = kind.split(":", 1)
    return f" ({a.replace('_', ' ')} {b})"


def report_markdown(loaded, found, report, manifest, truth, delta, near, prof) -> str:
    targets = loaded.targets
    be = found.best.evaluation
    base_row = next((r for r in found.history if r.stage == "base"), None)
    run = manifest.get("last_run", {})
    o = loaded.spec.optimiser
    out = [f"# Calibration `{loaded.name}`", ""]
    if loaded.spec.description:
        out += [" ".join(loaded.spec.description.split()), ""]
    if loaded.is_panel:
        skipped = f"; {len(loaded.skipped_targets)} left out for want of the figure" if loaded.skipped_targets else ""
        where = (f"a panel of {len(loaded.cities)} cities ({', '.join(loaded.cities)}), every parameter common to all "
                 f"(pooled), each city's base scenario")
        counts = f"{sum(t.fitted for t in targets)} fitted targets across the cities{skipped}"
    else:
        where = f"base scenario `{loaded.base_path.name}`"
        counts = f"{sum(t.fitted for t in targets)} fitted targets"
    out += [
        f"Spec `{loaded.path.name}`; {where} with `{' '.join(loaded.spec.set) or '(no overrides)'}`; "
        f"{len(loaded.parameters)} free parameters, {counts} "
        f"({len(targets) - sum(t.fitted for t in targets)} more shown, weight 0).",
        "",
        f"Method of simulated moments, common random numbers: every candidate runs on the same {len(loaded.seeds)} seed(s) "
        f"({', '.join(str(s) for s in loaded.seeds)}); objective = weighted mean of squared log deviations. "
        f"Search: {'the base values, ' if base_row else ''}"
        f"{_starts_text(sum(r.stage == 'start' for r in found.history))}{o.global_method} design of {sum(r.stage == 'global' for r in found.history)} points, "
        f"then Nelder-Mead ({sum(r.stage == 'local' for r in found.history)} candidates) and a compass polish "
        f"({sum(r.stage == 'polish' for r in found.history)} candidates): {found.local_message or 'not run'}. "
        f"Budget {o.budget} candidates; best found at candidate {found.best.index} ({found.best.stage} stage).",
        "",
        f"Runs: {sum(x.get('runs_ran', 0) for x in manifest.get('sessions', [run]))} in "
        f"{len(manifest.get('sessions', [run]))} session(s) of `sim calibrate`, wall time "
        f"{manifest.get('wall_seconds_total', run.get('wall_seconds', '?'))} s in all on {run.get('executor', '?')} "
        f"(the last session ran {run.get('runs_ran', '?')} runs and reused {run.get('runs_reused', '?')} from the checkpoint).",
        "",
        "| objective | calibration seeds | report seeds |",
        "|---|---|---|",
        f"| base scenario's values | {_g(base_row.evaluation.objective) if base_row else '-'} | {_g(manifest['result']['objective_before_report_seeds'])} |",
        f"| fitted | {_g(be.objective)} | {_g(manifest['result']['objective_report_seeds'])} |",
        "",
        f"RMS log error over the fitted targets (as `sim fit` reports): before "
        f"{_g(rms_log_error(targets, deviations(targets, report.before.simulated))) if report.before.ok else '-'}, after "
        f"{_g(rms_log_error(targets, deviations(targets, report.after.simulated))) if report.after.ok else '-'} "
        f"(report seeds).",
        "",
        "## Parameters",
        "",
        f"Noise of the objective (standard deviation over {len(report.noise_groups)} groups of "
        f"{len(loaded.seeds)} report seeds at the fitted values): delta = {_g(delta)}. Near-optimal: candidates "
        f"within delta of the best ({near[loaded.parameters[0].name][2]} of them, search and profiles). Profile range: "
        "where the one-dimensional profile (the others at their fitted values) stays within delta of the best, "
        "interpolated between its points; `<=`/`>=` mark a side where it never left that band "
        "(the parameter is not pinned down on that side within the profile's reach).",
        "",
        "| parameter | bounds | base | fitted | near-optimal range | profile range |" + (" truth |" if truth else ""),
        "|---|---|---|---|---|---|" + ("---|" if truth else ""),
    ]
    for fp in loaded.parameters:
        lo, hi, _ = near[fp.name]
        pr = prof[fp.name]
        row = (
            f"| `{fp.name}` ({'multiplier' if fp.apply == 'multiply' else fp.keys[0]}) | {_g(fp.low)} to {_g(fp.high)}"
            f"{' (log)' if fp.space == 'log' else ''} | {_g(fp.base_value)} | **{_g(float(be.candidate.values[fp.name]), 4)}** | "
            f"{_g(lo)} to {_g(hi)} | {pr.text() if pr else '-'} |"
        )
        if truth:
            row += f" {_g(float(truth[fp.name]))} |"
        out.append(row)
    if truth:
        out += ["", "Identification check: recovery error as a share of each parameter's search range (linear or log):", ""]
        for fp in loaded.parameters:
            err = abs(fp.to_unit(float(be.candidate.values[fp.name])) - fp.to_unit(float(truth[fp.name])))
            out.append(f"- `{fp.name}`: {err:.3f}")
    out += ["", "Why each parameter is free:", ""]
    for fp in loaded.parameters:
        keys = ", ".join(f"`{k}`" for k in fp.keys[:4]) + (f" and {len(fp.keys) - 4} more" if len(fp.keys) > 4 else "")
        out.append(f"- `{fp.name}` ({'multiplies' if fp.apply == 'multiply' else 'sets'} {keys}): {fp.why}")
    out += [
        "",
        "## Fit",
        "",
        f"Simulated: median and {BAND[1] - BAND[0]:.0f}% band across the {len(loaded.report_seeds)} report seeds "
        "(not the calibration seeds). Ratio: fitted median / observed.",
        "",
        ("| city " if loaded.is_panel else "") + "| target | year | observed | weight | before: median [band] | fitted: median [band] | ratio |",
        ("|---" if loaded.is_panel else "") + "|---|---|---|---|---|---|---|",
    ]
    bm, bl, bh = band(report.before) if report.before.ok else ([math.nan] * len(targets),) * 3
    am, al, ah = band(report.after) if report.after.ok else ([math.nan] * len(targets),) * 3
    for j, t in enumerate(targets):
        out.append(
            (f"| {t.city} " if loaded.is_panel else "")
            + f"| `{t.indicator}`{_kind_label(t.kind)} | {t.year} | {_g(t.observed)} | {_g(t.weight, 2)} | "
            f"{_g(float(bm[j]))} [{_g(float(bl[j]))}, {_g(float(bh[j]))}] | {_g(float(am[j]))} [{_g(float(al[j]))}, {_g(float(ah[j]))}] | "
            f"{_g(float(am[j]) / t.observed, 3)} |"
        )
    if loaded.is_panel:
        out += _by_city(loaded, report)
    better = [r for v in report.profiles.values() for r in v if r.evaluation.ok and r.evaluation.objective < be.objective]
    if better:
        b = min(better, key=lambda r: r.evaluation.objective)
        gap = be.objective - b.evaluation.objective
        if math.isfinite(delta) and gap <= delta:
            why = (f"the difference ({_g(gap)}) is within the objective's noise (delta {_g(delta)}): the two cannot "
                   "be told apart, and the objective on the calibration seeds is rough at that scale")
        else:
            why = "the search had not converged; a larger budget (`--budget`) or a larger `polish_step` continues it"
        out += ["", f"Note: a profile point has a lower objective ({_g(b.evaluation.objective)}) than the best candidate "
                f"({_g(be.objective)}): {why}."]
    failed = [r for r in found.history if not r.evaluation.ok]
    if failed:
        out += ["", f"{len(failed)} candidate(s) of the search failed to run (their objective is a penalty), e.g.: "
                f"{failed[0].evaluation.error}"]
    out += [
        "",
        "## Files",
        "",
        (
            "`fitted/<city>.yaml` (the fitted values as a scenario fragment that extends the city's scenario, one per city), "
            "`history.csv`, `fit.csv`, `parameters.csv`, `profiles.csv`, `profiles.png`."
            if loaded.is_panel
            else "`fitted.yaml` (the fitted values as a scenario fragment that extends the base scenario), `history.csv`, "
            "`fit.csv`, `parameters.csv`, `profiles.csv`, `profiles.png`; `sim calibrate --validate <this folder>` "
            "adds `validation.png` and `validation.csv`."
        ),
        "",
    ]
    return "\n".join(out)


def _by_city(loaded: LoadedCalibration, report: ReportRuns) -> list[str]:
    """A panel's fit city by city: the RMS log error of its fitted targets before and after (report
    seeds), and the mean log deviation after (its sign: too high or too low on the whole)."""
    out = ["", "By city (report seeds; RMS log error of the city's fitted targets; mean deviation: + too high, - too low):", "",
           "| city | fitted targets | RMS before | RMS after | mean deviation after |", "|---|---|---|---|---|"]
    before = deviations(loaded.targets, report.before.simulated) if report.before.ok else None
    after = deviations(loaded.targets, report.after.simulated) if report.after.ok else None
    for city in loaded.cities:
        idx = [j for j, t in enumerate(loaded.targets) if t.city == city and t.fitted]
        if not idx:
            continue
        targets = [loaded.targets[j] for j in idx]
        rms = [_g(rms_log_error(targets, [d[j] for j in idx])) if d is not None else "-" for d in (before, after)]
        mean = _g(float(np.mean([after[j] for j in idx])), 3) if after is not None else "-"
        out.append(f"| {city} | {len(idx)} | {rms[0]} | {rms[1]} | {mean} |")
    return out


def _starts_text(n: int) -> str:
    """The warm starts (``optimiser.starts``) in the report's search line."""
    if n == 0:
        return ""
    return f"{n} warm start{'s' if n > 1 else ''} (the spec's optimiser.starts), "
