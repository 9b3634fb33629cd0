"""A self-contained HTML report of a comparison (``sim report``).

One file that opens anywhere without a network: CSS inline, figures embedded
as base64 PNG, the summary CSV embedded as a ``data:`` download link, and no
``http(s)`` reference at all. Chinese text (city names, clause titles, units) is
real text, set in the CJK font the file carries: Noto Sans CJK SC subset to the
report's characters, embedded as WOFF2 (:mod:`simulator.analysis.webfont`), so it
shows on a machine without a CJK font; the system's CJK fonts are the fallback.

Sections: the scenarios (description, seeds, levers with clause numbers and
Chinese titles, what differs from the baseline), the figures, the summary
table, the regions (when a city has more than one: figure and table), the
observed data used, the accounting checks, the provenance of every run
(version, commit, seed, scenario hash), and how to read it all.
"""

from __future__ import annotations

import base64
import html
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from simulator import __version__
from simulator.analysis import style
from simulator.analysis.compare import INTERVAL, Comparison
from simulator.analysis.files import atomic_write
from simulator.analysis.load import Variant
from simulator.analysis.regional import RegionalComparison
from simulator.analysis.table import SummaryCell, fmt, summary_csv, summary_rows
from simulator.analysis.webfont import EMBEDDED_FAMILY, SYSTEM_CJK_STACK, with_embedded_font

LEVER_TIMING_KEYS = ("enabled", "start_year", "end_year")
CLAUSE_HEADING_CHARS = 60
SHA_SHOWN_CHARS = 12
COMMIT_SHOWN_CHARS = 10
MAX_VIOLATIONS_SHOWN = 5
MAX_TITLE_SCENARIOS = 3  # more scenarios than this are counted in the title, not named
LARGEST_PLAIN_NUMBER = 1e15  # lever sizes below this are written out in full (150,000,000)

# the embedded CJK subset first (it has CJK glyphs only: Latin text comes from the system fonts after it)
FONT_CSS = f"""
body {{ font-family: "{EMBEDDED_FAMILY}", system-ui, -apple-system, "Segoe UI", "Noto Sans", {SYSTEM_CJK_STACK},
       sans-serif; margin: 2em auto; max-width: 1200px; color: #222; line-height: 1.45; padding: 0 1em; }}
code {{ font-family: "{EMBEDDED_FAMILY}", ui-monospace, "DejaVu Sans Mono", monospace, {SYSTEM_CJK_STACK}; font-size: 0.85em; }}
"""
CSS = FONT_CSS + """
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.dim { color: #666; font-size: 0.9em; }
.swatch { display: inline-block; width: 1.8em; height: 0.8em; margin-right: 0.4em; vertical-align: middle;
          border-radius: 2px; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.9em; }
.ok { color: #087f23; font-weight: 600; }
.bad { color: #b00020; font-weight: 600; }
nav ul { columns: 2; }
.wide { overflow-x: auto; }
td.path { word-break: break-all; color: #666; font-size: 0.9em; min-width: 16em; }
td.nowrap { white-space: nowrap; }
"""


_SCHEME = re.compile(r"https?://", re.IGNORECASE)


def _e(text: object) -> str:
    """Escaped text. A web address in a source note loses its scheme (``www.example.org/x``), so that
    the file holds no http(s) reference that a browser or a checker could take for a resource."""
    return html.escape(_SCHEME.sub("", "" if text is None else str(text)))


def _value(v: object) -> str:
    """A lever setting in a compact form: series as ``year: value`` pairs, numbers without noise."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, float) and v.is_integer() and abs(v) < LARGEST_PLAIN_NUMBER:
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:,.6g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _clause_heading(number: int) -> str:
    from simulator.policy.document import clauses

    text = clauses().get(number, "")
    first = re.split(r"[。；]", text, maxsplit=1)[0]
    return first[:CLAUSE_HEADING_CHARS] + ("…" if len(first) > CLAUSE_HEADING_CHARS else "")


def _swatch(cmp: Comparison, label: str) -> str:
    colour, _ = cmp.colours[label]
    return f'<span class="swatch" style="background:{colour}"></span>'


def _levers_table(cmp: Comparison, variant: Variant) -> str:
    from simulator.policy.registry import LEVERS

    base = cmp.variant(cmp.baseline) if cmp.baseline else None
    known = {lv.name: lv for lv in LEVERS}
    rows, off = [], []
    for name, cfg in variant.levers.items():
        if not isinstance(cfg, dict):
            continue
        lever = known.get(name)
        on = bool(cfg.get("enabled"))
        if not on and (base is None or variant is base or not (base.levers.get(name) or {}).get("enabled")):
            off.append(name)  # off here and in the baseline: listed in one line below the table
            continue
        years = f"{cfg.get('start_year')}-{cfg.get('end_year')}" if on else "off"
        settings = "; ".join(f"{k}: {_value(v)}" for k, v in cfg.items() if k not in LEVER_TIMING_KEYS) if on else ""
        differs = ""
        if base is not None and variant is not base:
            differs = "yes" if (base.levers.get(name) or {}) != cfg else "no"
        if lever is not None:
            clause_nums = ", ".join(str(c) for c in lever.clauses)
            headings = "<br>".join(_e(_clause_heading(c)) for c in lever.clauses)
            title = f"{_e(lever.title_zh)}<br><span class='dim'>{headings}</span>"
            what = _e(lever.summary)
        else:
            clause_nums, title, what = "", "", ""
        rows.append(
            f"<tr><td><code>{_e(name)}</code></td><td class='num'>{clause_nums}</td><td>{title}</td><td>{what}</td>"
            f"<td>{'on, ' + years if on else 'off'}</td><td class='dim'>{_e(settings)}</td>"
            + (f"<td>{differs}</td>" if base is not None and variant is not base else "")
            + "</tr>"
        )
    if not rows and not off:
        return "<p class='dim'>The levers of this scenario are not stored with its runs.</p>"
    off_line = ""
    if off:
        names = ", ".join(f"<code>{_e(n)}</code>" for n in off)
        off_line = f"<p class='dim'>Levers off: {names}.</p>"
    if not rows:
        return "<p>No lever is on.</p>" + off_line
    diff_head = "<th>differs from baseline</th>" if base is not None and variant is not base else ""
    return (
        "<table><tr><th>lever</th><th>clause</th><th>clause title (中文)</th><th>what it does</th><th>in force</th>"
        f"<th>settings</th>{diff_head}</tr>" + "".join(rows) + "</table>" + off_line
    )


def _scenarios_section(cmp: Comparison) -> str:
    parts = ["<h2 id='scenarios'>Scenarios</h2>"]
    for label in cmp.labels:
        v = cmp.variant(label)
        role = " (baseline)" if label == cmp.baseline else ""
        seeds = ", ".join(str(s) for s in v.seeds)
        facts = [f"{len(v.runs)} run{'s' if len(v.runs) != 1 else ''}; seeds {_e(seeds)}"]
        if v.scale:
            facts.append(f"scale {v.scale} persons per agent")
        if v.overrides:
            facts.append("overrides " + ", ".join(f"<code>{_e(o)}</code>" for o in v.overrides))
        if v.point_id is not None:
            facts.append(f"sweep point {_e(v.point_id)} of <code>{_e(v.source)}</code>")
        if v.parameters:
            facts.append("parameters " + ", ".join(f"<code>{_e(k)}</code> = {_e(_value(x))}" for k, x in v.parameters.items()))
        start = cmp.package_years.get(label)
        if start is not None:
            facts.append(f"package starts {start}")
        parts.append(f"<h3>{_swatch(cmp, label)}{_e(label)}{role}</h3>")
        if v.scenario_name != label:
            parts.append(f"<p class='dim'>scenario <code>{_e(v.scenario_name)}</code></p>")
        parts.append(f"<p>{_e(v.description) or '<span class=dim>(no description)</span>'}</p>")
        parts.append(f"<p class='dim'>{'; '.join(facts)}</p>")
        parts.append(_levers_table(cmp, v))
    return "\n".join(parts)


def _figure_png(draw, cmp: Comparison, tmp: Path, stem: str) -> str | None:
    path = draw(cmp, tmp / f"{stem}.png", dpi=style.REPORT_DPI)
    if path is None:
        return None
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _figures_section(cmp: Comparison, levels_png: str, diff_png: str | None) -> str:
    inds = ", ".join(style.indicator_title(i) for i in cmp.indicators)
    lo, hi = (round(100 * q) for q in INTERVAL)
    parts = [
        "<h2 id='figures'>Figures</h2>",
        f"<figure id='figure-levels' data-indicators='{_e(','.join(cmp.indicators))}'>",
        f"<img alt='Scenarios compared: {_e(inds)}' src='data:image/png;base64,{levels_png}'>",
        f"<figcaption>Figure 1. {_e(inds)}: each scenario's median across its seeds (line), the middle 50% and "
        f"{hi - lo}% of its seeds (shaded), the city's observed figures (dots; hollow: not used in the fit) and "
        "the year the package starts (dotted).</figcaption></figure>",
    ]
    if diff_png is not None:
        parts += [
            f"<figure id='figure-differences' data-indicators='{_e(','.join(cmp.indicators))}'>",
            f"<img alt='Difference from {_e(cmp.baseline)}: {_e(inds)}' src='data:image/png;base64,{diff_png}'>",
            f"<figcaption>Figure 2. Difference from <b>{_e(cmp.baseline)}</b> (the baseline), run by run: each run minus "
            f"the {_e(cmp.baseline)} run with the same random draws (common random numbers); median and bands across the pairs. "
            "A band that excludes zero is an effect of the package larger than the model's randomness.</figcaption></figure>",
        ]
    return "\n".join(parts)


def _cell_html(c: SummaryCell) -> str:
    """A summary cell: level, its interval, and the difference from the baseline with its interval."""
    text = f"{_e(c.level)}<br><span class='dim'>{_e(c.level_interval)}</span>"
    if c.difference:
        text += f"<br>Δ {_e(c.difference)}<br><span class='dim'>{_e(c.difference_interval)}</span>"
    return f"<td class='num'>{text}</td>"


def _summary_section(cmp: Comparison) -> str:
    lo, hi = (round(100 * q) for q in INTERVAL)
    head = "".join(f"<th>{y}</th>" for y in cmp.table_years)
    rows = []
    for row in summary_rows(cmp, cjk=True):
        cells = [_cell_html(c) for c in row.cells]
        rows.append(f"<tr><td>{_e(row.title)}<br><span class='dim'>{_e(row.unit)}</span></td><td>{_swatch(cmp, row.scenario)}{_e(row.scenario)}</td>{''.join(cells)}</tr>")
    csv_b64 = base64.b64encode(summary_csv(cmp).encode("utf-8")).decode("ascii")
    base = f"; Δ: the paired difference from <b>{_e(cmp.baseline)}</b> with its {hi - lo}% interval" if cmp.baseline else ""
    return (
        "<h2 id='summary'>Summary table</h2>"
        f"<p>Median across seeds with the {hi - lo}% interval ({lo}th to {hi}th percentile){base}. "
        f"<a download='summary.csv' href='data:text/csv;base64,{csv_b64}'>Download the numbers as CSV</a> "
        "(in the indicators' own units).</p>"
        f"<table><tr><th>indicator</th><th>scenario</th>{head}</tr>{''.join(rows)}</table>"
    )


def _regions_section(rc: RegionalComparison, png: str) -> str:
    from simulator.analysis.table import regional_csv, regional_rows

    cmp = rc.cmp
    lo, hi = (round(100 * q) for q in INTERVAL)
    year, columns, rows = regional_rows(rc, cjk=True)
    inds = ", ".join(style.indicator_title(i) for i in rc.indicators)
    names = ", ".join(r.title for r in rc.regions)
    head = "".join(f"<th>{_e(name)}<br><span class='dim'>{_e(unit)}</span></th>" for name, unit in columns)
    body = []
    for row in rows:
        cells = [_cell_html(c) for c in row.cells]
        body.append(
            f"<tr><td>{_e(row.region)}<br><span class='dim'>{_e(row.kind)}</span></td>"
            f"<td>{_swatch(cmp, row.scenario)}{_e(row.scenario)}</td>{''.join(cells)}</tr>"
        )
    csv_b64 = base64.b64encode(regional_csv(rc).encode("utf-8")).decode("ascii")
    base = f"; Δ: the paired difference from <b>{_e(cmp.baseline)}</b> with its {hi - lo}% interval" if cmp.baseline else ""
    years = ", ".join(str(y) for y in cmp.table_years)
    return (
        "<h2 id='regions'>Regions</h2>"
        f"<p>The city's {len(rc.regions)} regions: {_e(names)}. Each run's regional table "
        "(<code>regions.parquet</code>): residents and their flows by the region they live in, jobs and value added "
        "by the region of the workplace; the regions sum to the city.</p>"
        f"<figure id='figure-regions' data-indicators='{_e(','.join(rc.indicators))}'>"
        f"<img alt='Regions: {_e(inds)}' src='data:image/png;base64,{png}'>"
        f"<figcaption>Figure 3. {_e(inds)} by region (a row each): each scenario's median across its seeds (line) "
        f"and the middle 50% and {hi - lo}% of its seeds (shaded); each panel has its own scale.</figcaption></figure>"
        f"<p>In {year}: median across seeds with the {hi - lo}% interval{base}. "
        f"<a download='regions_summary.csv' href='data:text/csv;base64,{csv_b64}'>Download the regional numbers as CSV</a> "
        f"(years {years}, in the indicators' own units).</p>"
        f"<div class='wide'><table><tr><th>region</th><th>scenario</th>{head}</tr>{''.join(body)}</table></div>"
    )


def _observed_section(cmp: Comparison) -> str:
    if cmp.observed_file is None or cmp.observed.empty:
        return "<h2 id='observed'>Observed data</h2><p>No observed figures of these indicators are shown.</p>"
    rows = "".join(
        f"<tr><td><code>{_e(r.indicator)}</code></td><td class='num'>{r.year}</td><td class='num'>{fmt(r.value)}</td>"
        f"<td>{'yes' if r.in_fit else 'no'}</td><td>{_e(r.source)}</td></tr>"
        for r in cmp.observed.itertuples()
    )
    return (
        "<h2 id='observed'>Observed data</h2>"
        f"<p>From <code>{_e(cmp.observed_file.name)}</code> (the calibration targets; each with its source). "
        "Figures not used in the fit (e.g. Liaoning's admittedly inflated 2011-2014 fiscal figures) are drawn hollow.</p>"
        f"<table><tr><th>indicator</th><th>year</th><th>observed</th><th>in fit</th><th>source</th></tr>{rows}</table>"
    )


def _accounting_section(cmp: Comparison) -> str:
    rows = []
    for label in cmp.labels:
        v = cmp.variant(label)
        recorded = [r.accounting for r in v.runs if r.accounting]
        if not recorded:
            rows.append(f"<tr><td>{_swatch(cmp, label)}{_e(label)}</td><td class='num'>{len(v.runs)}</td><td colspan='4' class='dim'>not recorded</td></tr>")
            continue
        sf = [a.get("stock_flow_ok") for a in recorded if "stock_flow_ok" in a]
        pi = [a.get("population_identity_ok") for a in recorded if "population_identity_ok" in a]
        err = [a.get("stock_flow_max_relative_error") for a in recorded if a.get("stock_flow_max_relative_error") is not None]
        nviol = sum(int(a.get("n_violations") or 0) for a in recorded)

        def verdict(flags: list) -> str:
            if not flags:
                return "<span class='dim'>not recorded</span>"
            bad = sum(1 for f in flags if not f)
            return "<span class='ok'>holds in every run</span>" if bad == 0 else f"<span class='bad'>fails in {bad} of {len(flags)} runs</span>"

        rows.append(
            f"<tr><td>{_swatch(cmp, label)}{_e(label)}</td><td class='num'>{len(v.runs)}</td><td>{verdict(sf)}</td><td>{verdict(pi)}</td>"
            f"<td class='num'>{f'{max(err):.1e}' if err else 'n/a'}</td><td class='num'>{nviol}</td></tr>"
        )
    messages = []
    for label in cmp.labels:
        for r in cmp.variant(label).runs:
            for m in (r.accounting or {}).get("violations", [])[:MAX_VIOLATIONS_SHOWN]:
                messages.append(f"<li>{_e(label)}, run {_e(r.run_id)}: {_e(m)}</li>")
    listing = f"<p>Violations recorded (first {MAX_VIOLATIONS_SHOWN} of each run):</p><ul>{''.join(messages)}</ul>" if messages else ""
    left_out = cmp.results.excluded
    if left_out:
        items = "".join(f"<li><code>{_e(where)}</code>: {_e(why)}</li>" for where, why in left_out)
        n = len(left_out)
        listing += (
            f"<p class='bad'>{n} run{'s' if n != 1 else ''} left out: {'they' if n != 1 else 'it'} failed "
            f"{'their' if n != 1 else 'its'} checks, and no figure or number of this report uses {'them' if n != 1 else 'it'}:</p>"
            f"<ul id='left-out'>{items}</ul>"
        )
    return (
        "<h2 id='accounting'>Accounting checks</h2>"
        "<p>Every month the model checks stock-flow consistency (every yuan paid is received; each sector's "
        "net lending matches its stocks and the sectors' net lending sums to zero) and the population identity "
        "P(t+1) = P(t) + births − deaths + in-migrants − out-migrants.</p>"
        "<table><tr><th>scenario</th><th>runs</th><th>stock-flow consistency</th><th>population identity</th>"
        f"<th>largest stock-flow error (share of gross flows)</th><th>violations</th></tr>{''.join(rows)}</table>{listing}"
    )


def _provenance_section(cmp: Comparison) -> str:
    runs = [r for label in cmp.labels for r in sorted(cmp.variant(label).runs, key=lambda r: r.seed)]
    with_index = any(r.seed_index is not None for r in runs)
    rows = []
    for r in runs:
        m = r.manifest
        sha = m.get("scenario_sha256") or ""
        commit = m.get("git_commit") or ""
        created = str(m.get("created_utc", "")).replace("T", " ").replace("+00:00", "")
        index = f"<td class='num'>{'' if r.seed_index is None else r.seed_index}</td>" if with_index else ""
        rows.append(
            f"<tr><td>{_swatch(cmp, r.variant)}{_e(r.variant)}</td><td><code>{_e(r.run_id)}</code></td><td class='num'>{r.seed}</td>{index}"
            f"<td>{_e(m.get('version', ''))}</td><td><code title='{_e(commit)}'>{_e(commit[:COMMIT_SHOWN_CHARS])}</code></td>"
            f"<td><code title='{_e(sha)}'>{_e(sha[:SHA_SHOWN_CHARS])}</code></td>"
            f"<td class='num'>{_e(m.get('scale', ''))}</td><td class='nowrap'>{_e(created)}</td><td class='path'>{_e(r.path)}</td></tr>"
        )
    index_head = "<th>seed index</th>" if with_index else ""
    return (
        "<h2 id='provenance'>Provenance of every run</h2>"
        "<p>From each run's <code>manifest.json</code> (for a sweep: the sweep's manifest and its run table). "
        "Hover a commit or hash for all its digits.</p>"
        f"<div class='wide'><table><tr><th>scenario</th><th>run</th><th>seed</th>{index_head}<th>version</th><th>commit</th>"
        f"<th>scenario sha256</th><th>scale</th><th>created (UTC)</th><th>where</th></tr>{''.join(rows)}</table></div>"
    )


def _method_section(cmp: Comparison) -> str:
    notes = "".join(f"<li>{_e(n)}</li>" for n in cmp.notes)
    return (
        "<h2 id='method'>How to read this report</h2><ul>"
        "<li>Each scenario was run with several random seeds; the model's randomness (who moves, who is hired, "
        "which firm enters) makes runs differ. Bands show the spread across seeds, not the uncertainty of the "
        "model's parameters, which a sweep over them shows.</li>"
        "<li>Scenarios are run with the same seeds (common random numbers): a run of a scenario and the baseline run "
        "with the same seed share their random draws except where the policy changes what happens. The paired "
        "difference therefore isolates the policy effect; its band is much narrower than the overlap of the two "
        "scenarios' bands suggests.</li>"
        f"<li>Money is in constant yuan of {_e(cmp.results.money_base_year)}; people are real persons.</li>"
        f"<li>Years shown: {cmp.years[0]}-{cmp.years[1]}.</li>"
        + notes
        + "</ul>"
    )


def report_title(cmp: Comparison) -> str:
    """The report's title: the city and what is compared with what (the baseline named)."""
    city = f"{cmp.results.city or 'City'} {cmp.results.city_zh}".strip()
    if cmp.baseline is None:
        return f"{city}: {cmp.labels[0]}" if len(cmp.labels) == 1 else f"{city}: scenarios compared"
    others = ", ".join(cmp.others) if len(cmp.others) <= MAX_TITLE_SCENARIOS else f"{len(cmp.others)} scenarios"
    return f"{city}: {others} compared with {cmp.baseline} (the baseline)"


def render_report(cmp: Comparison, *, figures: tuple[str, str | None] | None = None, regional: RegionalComparison | None = None) -> str:
    """The report as one HTML string.

    Args:
        cmp: the comparison.
        figures: base64 PNGs of the levels and differences figures (drawn here if not given).
        regional: the regions compared (a Regions section with its figure and table), or None.
    """
    from simulator.analysis.plots import draw_differences, draw_levels, draw_regions

    with tempfile.TemporaryDirectory() as d:
        if figures is None:
            figures = (_figure_png(draw_levels, cmp, Path(d), "levels"), _figure_png(draw_differences, cmp, Path(d), "differences"))
        regions_png = _figure_png(draw_regions, regional, Path(d), "regions") if regional is not None else None
    levels_png, diff_png = figures
    heading = report_title(cmp)
    n_runs = sum(len(cmp.variant(label).runs) for label in cmp.labels)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    scen = ", ".join(f"{_swatch(cmp, label)}{_e(label)}" for label in cmp.labels)
    toc = "".join(
        f"<li><a href='#{a}'>{t}</a></li>"
        for a, t in (
            ("scenarios", "Scenarios and their levers"),
            ("figures", "Figures"),
            ("summary", "Summary table"),
            *((("regions", "Regions"),) if regional is not None else ()),
            ("observed", "Observed data"),
            ("accounting", "Accounting checks"),
            ("provenance", "Provenance of every run"),
            ("method", "How to read this report"),
        )
    )
    body = "\n".join(
        [
            f"<h1 id='title'>{_e(heading)}</h1>",
            f"<p class='sub'>{scen}<br>{n_runs} runs; baseline: <b>{_e(cmp.baseline or 'none')}</b>"
            + (f" ({_e(cmp.baseline_reason)})" if cmp.baseline and cmp.baseline_reason else "")
            + f"; generated {now} by resource-city-sim {_e(__version__)}.</p>",
            f"<nav><ul>{toc}</ul></nav>",
            _scenarios_section(cmp),
            _figures_section(cmp, levels_png, diff_png),
            _summary_section(cmp),
            _regions_section(regional, regions_png) if regional is not None else "",
            _observed_section(cmp),
            _accounting_section(cmp),
            _provenance_section(cmp),
            _method_section(cmp),
        ]
    )
    return with_embedded_font(
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(heading)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def write_report(cmp: Comparison, path: Path, *, regional: RegionalComparison | None = None) -> Path:
    """Render the report and write it to ``path`` (via a temporary file, renamed when complete)."""
    return atomic_write(path, render_report(cmp, regional=regional))
