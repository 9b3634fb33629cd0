"""The dashboard's page (Solara): pick a city and scenario, set the levers, run, compare.

Everything the page decides is done by :mod:`simulator.dashboard.state` (the form, its
validation, the YAML) and :mod:`simulator.dashboard.runs` (the runs and the comparison); this
module only lays them out. The page's elements carry ``sim-...`` CSS classes, which the browser
tests use to find them.

The runs go on in a background thread that drives worker processes, and the figures are drawn
in another, so the page answers while they work; the cancel button stops the workers at once.
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import solara

from simulator.analysis import webfont
from simulator.analysis.load import ResultsError
from simulator.analysis.style import DEFAULT_INDICATORS
from simulator.dashboard import runs, state
from simulator.scenario.loader import load_scenario


@dataclass(frozen=True)
class Settings:
    """What ``sim dashboard`` serves: the scenario files, where runs go, how many processes."""

    catalog: state.Catalog
    runs_out: Path
    workers: int | None
    font_css: str


_settings: Settings | None = None


def configure(folders: list[Path], runs_out: Path, workers: int | None = None) -> Settings:
    """Find the scenario files and prepare the page's font; called once before serving.

    Raises:
        DashboardError: a folder is missing or holds no valid scenario.
    """
    global _settings
    catalog = state.build_catalog(folders)
    from simulator.policy.registry import LEVERS

    texts = [e.city_label + " " + e.description + " " + " ".join(e.region_titles) for e in catalog.entries]
    texts += [f"{lever.title_zh} {lever.summary}" for lever in LEVERS]
    _settings = Settings(catalog, Path(runs_out), workers, runs.page_font_css(texts))
    return _settings


class _Drawers:
    """Worker processes that draw the figures (two, kept for the server's life), shared by every
    open page: submissions are serialised, since the executor starts its pool on the first one."""

    def __init__(self) -> None:
        from simulator.experiment.executors import LocalExecutor

        self._executor = LocalExecutor(2)
        self._lock = threading.Lock()

    @property
    def workers(self) -> int:
        return self._executor.workers

    def submit(self, fn, payload):
        with self._lock:
            return self._executor.submit(fn, payload)


_drawers: _Drawers | None = None
_drawers_lock = threading.Lock()


def drawing_executor() -> _Drawers:
    """The processes that draw the figures: the drawing runs side by side and leaves the page's
    process free to answer."""
    global _drawers
    with _drawers_lock:
        if _drawers is None:
            _drawers = _Drawers()
        return _drawers


def settings() -> Settings:
    if _settings is None:
        raise RuntimeError("the dashboard is not configured: start it with `sim dashboard`")
    return _settings


FAMILY = webfont.EMBEDDED_FAMILY
CSS = f"""
.v-application, .v-application *:not(.fa):not(.v-icon):not(.mdi) {{
    font-family: "{FAMILY}", Roboto, "Helvetica Neue", Arial, {webfont.SYSTEM_CJK_STACK}, sans-serif !important;
}}
.sim-page {{ max-width: 1500px; margin: 0 auto; padding: 8px 16px; }}
.sim-lever {{ margin-bottom: 8px; }}
.sim-lever-grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 0 14px; }}
.sim-summary table {{ border-collapse: collapse; font-size: 13px; }}
.sim-summary th, .sim-summary td {{ border: 1px solid #ddd; padding: 3px 6px; text-align: right; vertical-align: top; }}
.sim-summary td.sim-name, .sim-summary th.sim-name {{ text-align: left; }}
.sim-summary .sim-dim {{ color: #777; font-size: 11px; }}
.sim-figure img {{ max-width: 100%; height: auto; }}
"""


# ------------------------------------------------------------------ the form


@solara.component
def FieldInput(spec: state.FieldSpec, value, on_change, error: str | None):
    """One field of a lever: a switch, or a text field (with a slider for a share)."""
    classes = ["sim-field", "sim-field-" + spec.path.replace(".", "-")]
    if spec.kind == state.SWITCH:
        solara.Switch(label=spec.label, value=bool(value), on_value=lambda v: on_change(spec.path, v), classes=classes)
        if error:
            solara.Error(error, dense=True, classes=["sim-error"])
        return
    solara.InputText(
        spec.label,
        value=str(value),
        on_value=lambda v: on_change(spec.path, v or ""),
        error=error or False,
        message=None if error else spec.description,
        classes=classes + (["sim-invalid"] if error else []),
        )
    if spec.slider is not None:
        low, high = spec.slider
        try:
            number = float(str(value))
        except ValueError:
            number = None
        if number is not None and low <= number <= high:
            solara.SliderFloat(
                "",
                value=number,
                min=low,
                max=high,
                step=SLIDER_STEP,
                on_value=lambda v, number=number: slider_moved(spec.path, number, v, on_change),
                thumb_label=False,
            )


SLIDER_STEP = 0.001
"""Step of the share sliders."""


def slider_moved(path: str, number: float, moved, on_change) -> None:
    """A slider event changes the field only if the slider really moved: a value between two
    steps (0.0055, say) is snapped by the slider when it is drawn, and that snap must not
    change the scenario behind the planner's back."""
    if abs(float(moved) - number) <= SLIDER_STEP / 2 + 1e-12:
        return
    on_change(path, state.yaml_text(round(float(moved), 4)))


@solara.component
def LeverCard(lever: state.LeverSpec, values: dict, on_change, checked: state.Checked):
    enabled = bool(values[lever.enabled_path])
    clauses = ", ".join(str(c) for c in lever.clauses)
    with solara.Card(classes=["sim-lever", f"sim-lever-{lever.name}"], margin=0):
        solara.Switch(
            label=f"{lever.name} {lever.title_zh}".strip(),
            value=enabled,
            on_value=lambda v: on_change(lever.enabled_path, v),
            classes=["sim-switch", f"sim-switch-{lever.name}"],
        )
        solara.Text(f"{lever.summary}" + (f" (clause {clauses})" if clauses else ""), style={"color": "#555", "font-size": "13px"})
        for message in checked.lever_errors(lever):
            solara.Error(message, dense=True, classes=["sim-error", "sim-lever-error"])
        with solara.Div(classes=["sim-lever-grid"]):
            for spec in lever.fields:
                if spec.path == lever.enabled_path:
                    continue
                FieldInput(spec, values[spec.path], on_change, checked.error_at(spec.path))


# ------------------------------------------------------------------ results


def _heading(text: str) -> None:
    solara.HTML(tag="h3", unsafe_innerHTML=html.escape(text), classes=["sim-heading"])


def summary_html(view: runs.View) -> str:
    """The summary table: per indicator and scenario, the median [90%] and the paired difference."""
    cmp = view.cmp
    e = html.escape
    head = "".join(f"<th>{y}</th>" for y in cmp.table_years)
    rows = []
    for row in view.summary:
        cells = []
        for c in row.cells:
            parts = [e(c.level)]
            if c.level_interval:
                parts.append(f"<span class='sim-dim'>{e(c.level_interval)}</span>")
            if c.difference:
                parts.append(f"Δ {e(c.difference)}")
            if c.difference_interval:
                parts.append(f"<span class='sim-dim'>{e(c.difference_interval)}</span>")
            cells.append("<td>" + "<br>".join(parts) + "</td>")
        name = f"{e(row.title)}<br><span class='sim-dim'>{e(row.unit)}</span>"
        scenario = f"<b>{e(row.scenario)}</b>" if not row.is_baseline else f"{e(row.scenario)} (baseline)"
        rows.append(f"<tr><td class='sim-name'>{name}</td><td class='sim-name'>{scenario}</td>{''.join(cells)}</tr>")
    title = "median across seeds [90% interval]"
    if cmp.baseline:
        title += f"; Δ = paired difference from {e(cmp.baseline)} [90% interval]"
    return (
        f"<p class='sim-dim'>{title}</p><table class='sim-summary-table'><thead><tr><th class='sim-name'>indicator</th>"
        f"<th class='sim-name'>scenario</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def regions_html(view: runs.View) -> str:
    assert view.regions_table is not None
    e = html.escape
    year, columns, rows = view.regions_table
    head = "".join(f"<th>{e(name)}<br><span class='sim-dim'>{e(unit)}</span></th>" for name, unit in columns)
    body = []
    for row in rows:
        cells = []
        for c in row.cells:
            parts = [e(c.level)] + ([f"Δ {e(c.difference)}"] if c.difference else [])
            cells.append("<td>" + "<br>".join(parts) + "</td>")
        body.append(
            f"<tr><td class='sim-name'>{e(row.region)}<br><span class='sim-dim'>{e(row.kind)}</span></td>"
            f"<td class='sim-name'>{e(row.scenario)}</td>{''.join(cells)}</tr>"
        )
    return (
        f"<p class='sim-dim'>regions in {year}: median across seeds; Δ = paired difference</p>"
        f"<table class='sim-regions-table'><thead><tr><th class='sim-name'>region</th><th class='sim-name'>scenario</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


@solara.component
def Results(view: runs.View, file_stem: str):
    with solara.Column(classes=["sim-results"]):
        for note in view.notes:
            solara.Info(note, dense=True)
        _heading("Fan charts")
        with solara.Div(classes=["sim-figure", "sim-levels"]):
            solara.Image(view.levels_png)
        if view.differences_png is not None:
            _heading("Paired differences")
            with solara.Div(classes=["sim-figure", "sim-differences"]):
                solara.Image(view.differences_png)
        _heading("Summary table")
        solara.HTML(tag="div", unsafe_innerHTML=summary_html(view), classes=["sim-summary"])
        _heading("Regions")
        if view.regional is not None:
            with solara.Div(classes=["sim-figure", "sim-regions"]):
                solara.Image(view.regions_png)
            solara.HTML(tag="div", unsafe_innerHTML=regions_html(view), classes=["sim-summary"])
        else:
            solara.Text("The city is one region: the figures above are the whole city.", classes=["sim-regions-none"])
        solara.FileDownload(
            lambda: runs.report_html(view).encode("utf-8"),
            filename=f"{file_stem}-report.html",
            mime_type="text/html",
            children=[solara.Button("Download the HTML report", icon_name="mdi-cloud-download-outline", classes=["sim-download-report"])],
        )


# ------------------------------------------------------------------ the page


@dataclass(frozen=True)
class Launch:
    """One press of the run button: what to run, and the event that cancels it."""

    request: state.RunRequest
    stop: threading.Event
    started: float


@dataclass(frozen=True)
class Outcome:
    batch: runs.Batch | None
    cancelled: runs.RunsCancelled | None
    seconds: float


@solara.component
def RunPanel(entry: state.ScenarioEntry, checked: state.Checked, recheck, shown_batch):
    """The run and cancel buttons, the progress and the downloads. The runs' thread lives here, so
    that its progress redraws this panel only, not the levers."""
    cfg = settings()
    launch, set_launch = solara.use_state(None)
    progress = solara.use_reactive((0, 0, 0))
    refused = solara.use_reactive("")

    def run_work(cancel: threading.Event):
        if launch is None:
            return None
        try:
            batch = runs.execute(
                launch.request,
                cfg.runs_out,
                workers=cfg.workers,
                progress=lambda done, total, reused: progress.set((done, total, reused)),
                stop=lambda: launch.stop.is_set() or cancel.is_set(),
            )
            return Outcome(batch, None, time.monotonic() - launch.started)
        except runs.RunsCancelled as e:
            return Outcome(None, e, time.monotonic() - launch.started)

    run_result = solara.use_thread(run_work, dependencies=[launch], intrusive_cancel=False)
    outcome = run_result.value if run_result.state == solara.ResultState.FINISHED else None
    batch = outcome.batch if outcome is not None else None
    running = launch is not None and run_result.state == solara.ResultState.RUNNING
    solara.use_effect(lambda: shown_batch.set(batch) if batch is not None else None, [batch])

    def on_run() -> None:
        again = recheck()  # the form as it is now, validated again: nothing runs with a problem
        if not again.ok:
            refused.set("Not run: fix the fields marked in red first.")
            return
        refused.set("")
        progress.set((0, 2 * again.seeds if again.counterfactual else again.seeds, 0))
        set_launch(Launch(state.run_request(again, entry), threading.Event(), time.monotonic()))

    def on_cancel() -> None:
        if launch is not None:
            launch.stop.set()

    with solara.Row():
        solara.Button("Run", on_click=on_run, disabled=running or not checked.ok, color="primary", classes=["sim-run"])
        solara.Button("Cancel", on_click=on_cancel, disabled=not running, classes=["sim-cancel"])
    if refused.value:
        solara.Error(refused.value, classes=["sim-error", "sim-refused"])
    done, total, reused = progress.value
    if launch is not None:
        solara.ProgressLinear(value=100.0 * done / total if total else True, classes=["sim-progress"])
    _status(launch, run_result, outcome, done, total, reused)
    if checked.ok and checked.scenario is not None:
        solara.FileDownload(
            lambda: state.scenario_yaml(checked, entry).encode("utf-8"),
            filename=f"{checked.scenario.name}.yaml",
            mime_type="text/yaml",
            children=[solara.Button("Download the scenario (YAML)", icon_name="mdi-cloud-download-outline", classes=["sim-download-yaml"])],
        )


@solara.component
def ResultsPanel(shown_batch, indicators: list[str]):
    """The figures and tables of the last batch, drawn in a thread (again when the indicators change).
    The batch is a reactive value that only this panel reads, so a finished run redraws this panel
    only, not the levers."""
    batch = shown_batch.value

    def view_work(cancel: threading.Event):
        if batch is None:
            return None
        return runs.build_view(batch, list(indicators), executor=drawing_executor())

    view_result = solara.use_thread(view_work, dependencies=[batch, tuple(indicators)], intrusive_cancel=False)
    if batch is None:
        return
    file_stem = batch.request.scenario.name
    if view_result.state == solara.ResultState.FINISHED and view_result.value is not None:
        Results(view_result.value, file_stem)
    elif view_result.state == solara.ResultState.ERROR:
        error = view_result.error
        text = str(error) if isinstance(error, ResultsError) else f"{type(error).__name__}: {error}"
        solara.Error(f"The runs cannot be shown: {text}", classes=["sim-error", "sim-view-error"])
    else:
        solara.Text("Drawing the figures...", classes=["sim-drawing"])


@solara.component
def Workspace(entry: state.ScenarioEntry):
    cfg = settings()
    catalog = cfg.catalog
    scenario, specs, base = solara.use_memo(lambda: _load(entry), dependencies=[entry.path])
    values, set_values = solara.use_state(dict(base))
    seeds, set_seeds = solara.use_state(str(state.DEFAULT_SEEDS))
    scale, set_scale = solara.use_state(str(entry.scale))
    indicators, set_indicators = solara.use_state([i for i in DEFAULT_INDICATORS])
    shown_batch = solara.use_reactive(None)

    def recheck() -> state.Checked:
        return state.check(catalog, entry, specs, base, values, seeds=seeds, scale=scale)

    checked = solara.use_memo(recheck, dependencies=[values, seeds, scale])

    def on_change(path: str, value) -> None:
        set_values(lambda old: {**old, path: value})

    with solara.Columns([1, 2], classes=["sim-workspace"]):
        with solara.Column():
            with solara.Card("Run", margin=0):
                cf = checked.counterfactual
                if cf is not None:
                    solara.Text(f"Counterfactual (baseline): {cf.name} ({cf.shown})", classes=["sim-counterfactual"])
                elif entry.counterfactual is None:
                    solara.Text("This scenario names no counterfactual: its levels only, no differences.", classes=["sim-counterfactual"])
                solara.InputText(
                    "seeds (runs of each scenario)",
                    value=seeds,
                    on_value=lambda v: set_seeds(v or ""),
                    error=checked.errors.get(state.SEEDS_KEY) or False,
                    classes=["sim-seeds"],
                )
                solara.InputText(
                    "scale (persons per agent; larger is coarser and faster)",
                    value=scale,
                    on_value=lambda v: set_scale(v or ""),
                    error=checked.errors.get(state.SCALE_KEY) or False,
                    message=f"the file's: {entry.scale}",
                    classes=["sim-scale"],
                )
                solara.SelectMultiple(
                    "indicators", values=indicators, all_values=runs.indicator_choices(), on_value=set_indicators, classes=["sim-indicators"]
                )
                for message in checked.other_errors(specs):
                    solara.Error(message, classes=["sim-error", "sim-general-error"])
                if checked.overrides:
                    solara.Text("changed: " + "; ".join(checked.overrides), classes=["sim-overrides"], style={"font-size": "12px", "color": "#555"})
                RunPanel(entry, checked, recheck, shown_batch)
        with solara.Column():
            ResultsPanel(shown_batch, indicators)
            _heading("Levers")
            for lever in specs:
                LeverCard(lever, values, on_change, checked)


def _status(launch, run_result, outcome, done: int, total: int, reused: int) -> None:
    if launch is None:
        solara.Text("No run yet.", classes=["sim-status", "sim-status-idle"])
    elif run_result.state == solara.ResultState.RUNNING:
        solara.Text(f"Running: {done} of {total} runs done" + (f" ({reused} reused)" if reused else ""), classes=["sim-status", "sim-status-running"])
    elif run_result.state == solara.ResultState.ERROR:
        solara.Error(f"The runs failed: {type(run_result.error).__name__}: {run_result.error}", classes=["sim-error", "sim-status", "sim-status-failed"])
    elif outcome is not None and outcome.cancelled is not None:
        c = outcome.cancelled
        solara.Text(f"Cancelled after {c.finished} of {c.total} runs.", classes=["sim-status", "sim-status-cancelled"])
    elif outcome is not None:
        solara.Text(
            f"Done: {total} runs" + (f" ({reused} reused)" if reused else "") + f" in {outcome.seconds:.1f} s.",
            classes=["sim-status", "sim-status-done"],
        )


def _load(entry: state.ScenarioEntry):
    scenario = load_scenario(entry.path)
    specs = state.lever_specs(scenario)
    return scenario, specs, state.initial_values(scenario, specs)


@solara.component
def Page():
    cfg = settings()
    catalog = cfg.catalog
    cities = catalog.cities()
    city, set_city = solara.use_state(cities[0])
    choices = catalog.scenarios(city)
    label, set_label = solara.use_state(choices[0].label)
    if label not in [e.label for e in choices]:
        label = choices[0].label
    entry = catalog.by_label(label)

    def on_city(value: str) -> None:
        set_city(value)
        set_label(catalog.scenarios(value)[0].label)

    solara.Title("sim dashboard")
    solara.Style(cfg.font_css + CSS)
    with solara.Column(classes=["sim-page"]):
        solara.HTML(tag="h2", unsafe_innerHTML=html.escape(f"{entry.city_label}: {entry.name}"), classes=["sim-title"])
        with solara.Row():
            solara.Select("city", values=cities, value=city, on_value=on_city, classes=["sim-city"])
            solara.Select("scenario", values=[e.label for e in choices], value=label, on_value=set_label, classes=["sim-scenario"])
        solara.Text(f"{entry.description} ({entry.years[0]}-{entry.years[1]})", style={"color": "#444"})
        if catalog.skipped:
            with solara.Details(f"{len(catalog.skipped)} file(s) in the scenarios folders are not scenarios"):
                for shown, why in catalog.skipped:
                    solara.Text(f"{shown}: {why}")
        Workspace(entry).key(entry.label)
