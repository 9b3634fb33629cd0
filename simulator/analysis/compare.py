"""Scenarios compared: bands across seeds, paired differences from a baseline, summary table.

:func:`build_comparison` takes :class:`~simulator.analysis.load.Results` and
computes everything the figures, the CSV and the report show:

* **bands**: for each scenario, indicator and year, the median and the 5, 25,
  75 and 95% quantiles across its seeds (linear interpolation, as
  :func:`numpy.quantile`);
* **paired differences**: scenario minus baseline, run by run, matching runs
  that share their random draws (common random numbers): the same
  ``seed_index`` within one sweep, otherwise the same seed. Their quantiles
  show the policy effect and its uncertainty directly, instead of two
  overlapping clouds;
* **summary**: each indicator at chosen years, for each scenario: median and
  90% interval across seeds, and the paired difference from the baseline with
  its 90% interval;
* **observed points** of the city (``calibration/data/<city>_targets.csv``,
  targets of kind ``level``) and the **year each package starts**.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.analysis.load import Results, ResultsError, Variant
from simulator.analysis.style import variant_colours

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_COLUMNS = ("q05", "q25", "q50", "q75", "q95")
INTERVAL = (0.05, 0.95)  # the summary table's interval: 90%
TABLE_YEAR_STEP = 5
MAX_TABLE_YEARS = 4
OBSERVED_DIR = Path("calibration") / "data"
# observed points are drawn only if the runs' initial population is within this factor of the
# observed population that year (a scaled-down test city of the same name is not compared with the city)
OBSERVED_POPULATION_FACTOR = 2.0
PACKAGE_ROOT = Path(__file__).resolve().parents[2]

SUMMARY_COLUMNS = (
    "indicator",
    "unit",
    "scenario",
    "year",
    "n_runs",
    "median",
    "p05",
    "p95",
    "baseline",
    "n_pairs",
    "diff_median",
    "diff_p05",
    "diff_p95",
)


@dataclass
class Comparison:
    """Scenarios of one city side by side (what ``sim compare`` draws and ``sim report`` shows).

    Attributes:
        results: the runs read.
        indicators: the indicators compared, in order.
        years: first and last year shown.
        baseline: label of the baseline variant (None with a single scenario).
        labels: variant labels, the baseline first.
        colours: label -> (colour, line style), the same in every figure.
        package_years: label -> the year its package starts (None if none).
        bands: quantiles across seeds, columns scenario, indicator, year, n, q05..q95.
        differences: quantiles of the paired differences from the baseline, columns
            scenario, indicator, year, n, q05..q95 (non-baseline scenarios).
        paired: the paired differences themselves, columns scenario, pair, year, indicator, value.
        observed: observed points, columns indicator, year, value, in_fit, source.
        observed_file: where they came from (None if the city has none).
        table_years: the years of the summary table.
        summary: the summary table, columns :data:`SUMMARY_COLUMNS`.
        notes: things the reader should know (unpaired scenarios, ...).
        baseline_reason: how the baseline was chosen (``"--baseline"``, ``"the counterfactual named by 'fuxin'"``).
    """

    results: Results
    indicators: list[str]
    years: tuple[int, int]
    baseline: str | None
    labels: list[str]
    colours: dict[str, tuple[str, str]]
    package_years: dict[str, int | None]
    bands: pd.DataFrame
    differences: pd.DataFrame
    paired: pd.DataFrame
    observed: pd.DataFrame
    observed_file: Path | None
    table_years: list[int]
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    baseline_reason: str = ""

    def variant(self, label: str) -> Variant:
        return self.results.variants[label]

    @property
    def others(self) -> list[str]:
        """The scenarios compared with the baseline."""
        return [label for label in self.labels if label != self.baseline]


# ------------------------------------------------------------ parsing options


def parse_years(text: str | None, available: tuple[int, int]) -> tuple[int, int]:
    """``"2000:2035"``, ``"2010:"``, ``":2030"`` or ``"2020"`` -> (first, last), within the runs' years.

    Raises:
        ResultsError: not of that form, first after last, or no year of the runs in the range.
    """
    lo, hi = available
    if text is None or text.strip() == "":
        return lo, hi
    m = re.fullmatch(r"\s*(\d{4})?\s*(:)?\s*(\d{4})?\s*", text)
    if not m or (m.group(1) is None and m.group(3) is None) or (m.group(2) is None and m.group(3) is not None):
        raise ResultsError(f"--years '{text}': expected FIRST:LAST, e.g. 2000:2035 (or 2010:, :2030, 2020)")
    first = int(m.group(1)) if m.group(1) else lo
    last = int(m.group(3)) if m.group(3) else (hi if m.group(2) else first)
    if first > last:
        raise ResultsError(f"--years '{text}': the first year ({first}) is after the last ({last})")
    if last < lo or first > hi:
        raise ResultsError(f"--years '{text}': the runs cover {lo}-{hi} only")
    return max(first, lo), min(last, hi)


def parse_year_list(text: str | None) -> list[int] | None:
    """``"2020,2030"`` -> [2020, 2030]."""
    if text is None or text.strip() == "":
        return None
    try:
        return sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise ResultsError(f"--table-years '{text}': expected years separated by commas, e.g. 2025,2035") from None


def parse_names(text: str | None) -> list[str] | None:
    """``"a,b, c"`` -> ["a", "b", "c"]."""
    if text is None or text.strip() == "":
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def unknown_baseline(name: str, labels: list[str]) -> ResultsError:
    """The error for a ``--baseline`` that names none of ``labels``."""
    close = difflib.get_close_matches(name, labels, n=1) or [label for label in labels if name in label or label in name]
    hint = f"did you mean '{close[0]}'? " if close else ""
    return ResultsError(f"--baseline '{name}': no such scenario; {hint}(the scenarios are: {', '.join(labels)})")


@dataclass(frozen=True)
class BaselineChoice:
    """The baseline of a comparison and why it is the one.

    Attributes:
        label: the baseline's label (None with a single scenario).
        reason: how it was chosen, for the reader (``"--baseline"``, ``"the counterfactual named by fuxin"``).
        notes: things the reader should know (a scenario whose own counterfactual is not compared, ...).
    """

    label: str | None
    reason: str = ""
    notes: tuple[str, ...] = ()


def _quoted(names) -> str:
    return ", ".join(f"'{n}'" for n in names)


def baseline_from_counterfactuals(scenarios: list[tuple[str, str, str | None]]) -> BaselineChoice:
    """The baseline that the compared scenarios name as their counterfactual.

    Args:
        scenarios: ``(label, scenario name, counterfactual or None)`` of each scenario compared
            (at least two).

    Returns:
        The one scenario named as counterfactual by the others, and notes on scenarios that
        name a counterfactual which is not compared.

    Raises:
        ResultsError: no scenario compared is named as a counterfactual, several are, or the one
            named matches several scenarios: the message lists the scenarios and asks for
            ``--baseline``. The baseline is never guessed from the order or the names.
    """
    labels = [label for label, _, _ in scenarios]
    naming: dict[str, list[str]] = {}  # counterfactual -> labels of the scenarios naming it
    for label, name, cf in scenarios:
        if cf and cf != name:
            naming.setdefault(cf, []).append(label)
    present: dict[str, list[str]] = {}  # counterfactual -> labels of the compared scenarios it names
    for cf in naming:
        matches = [label for label, name, _ in scenarios if name == cf] or [label for label in labels if label == cf]
        if matches:
            present[cf] = matches
    ask = f"pass --baseline NAME with one of: {', '.join(labels)}"
    if len(present) == 1:
        cf, matches = next(iter(present.items()))
        if len(matches) > 1:
            raise ResultsError(
                f"cannot tell which scenario is the baseline: the counterfactual '{cf}' (named by "
                f"{_quoted(naming[cf])}) matches several scenarios ({', '.join(matches)}); pass --baseline with one of these labels"
            )
        baseline = matches[0]
        notes = tuple(
            f"'{label}' names '{other}' as its counterfactual, which is not compared: its difference is from '{baseline}'"
            for other, by in naming.items()
            if other != cf
            for label in by
            if label != baseline
        )
        return BaselineChoice(baseline, f"the counterfactual named by {_quoted(naming[cf])}", notes)
    if len(present) > 1:
        listing = "; ".join(f"'{cf}' (named by {_quoted(naming[cf])})" for cf in present)
        raise ResultsError(f"cannot tell which scenario is the baseline: the compared scenarios name different counterfactuals: {listing}; {ask}")
    if naming:
        absent = "; ".join(
            f"{_quoted(by)} name{'s' if len(by) == 1 else ''} '{cf}' as counterfactual, which is not compared"
            for cf, by in naming.items()
        )
        reason = f"{absent} (add its runs or scenario file)"
    else:
        reason = "none of the compared scenarios names its counterfactual (the scenario key 'counterfactual:')"
    hint = [label for label in labels if "baseline" in label]
    perhaps = f" (perhaps --baseline {hint[0]})" if len(hint) == 1 else ""
    raise ResultsError(f"cannot tell which scenario is the baseline: {reason}; {ask}{perhaps}")


def baseline_choice(results: Results, name: str | None) -> BaselineChoice:
    """The baseline: ``name`` (a label or a scenario name) if given, else the counterfactual the
    compared scenarios name (see :func:`baseline_from_counterfactuals`); none with a single scenario.

    Raises:
        ResultsError: ``name`` matches no scenario (or several), or there is no ``name`` and the
            scenarios do not name exactly one of them as their counterfactual.
    """
    labels = list(results.variants)
    if name is not None:
        if name in results.variants:
            return BaselineChoice(name, "--baseline")
        by_name = [v.label for v in results.variants.values() if v.scenario_name == name]
        if len(by_name) == 1:
            return BaselineChoice(by_name[0], "--baseline")
        if len(by_name) > 1:
            raise ResultsError(f"--baseline '{name}' matches several scenarios ({', '.join(by_name)}); give one of these labels")
        raise unknown_baseline(name, labels)
    if len(labels) < 2:
        return BaselineChoice(None)
    return baseline_from_counterfactuals([(v.label, v.scenario_name, v.counterfactual) for v in results.variants.values()])


def choose_baseline(results: Results, name: str | None) -> str | None:
    """The baseline's label (see :func:`baseline_choice`); None with a single scenario."""
    return baseline_choice(results, name).label


# ------------------------------------------------------------ package start


def package_start(variant: Variant, baseline: Variant | None) -> int | None:
    """The year a scenario's package starts: the earliest start of its levers that are on and are
    off, or start in another year, in the baseline; else the city's ``package_start_year``.
    None for the baseline itself."""
    if baseline is not None and variant is baseline:
        return None
    base_levers = baseline.levers if baseline is not None else {}
    starts = []
    for name, cfg in variant.levers.items():
        if not isinstance(cfg, dict) or not cfg.get("enabled"):
            continue
        base = base_levers.get(name) or {}
        if baseline is not None and (not base.get("enabled") or base.get("start_year") != cfg.get("start_year")):
            if cfg.get("start_year") is not None:
                starts.append(int(cfg["start_year"]))
    if starts:
        return min(starts)
    year = (variant.scenario or {}).get("city", {}).get("package_start_year")
    return int(year) if year is not None else None


# ------------------------------------------------------------ observed data


def observed_file_for(city: str | None, path: Path | None = None) -> Path | None:
    """The observed targets of a city: ``path`` if given, else ``calibration/data/<city>_targets.csv``
    in the working directory or the source tree."""
    if path is not None:
        if not path.is_file():
            raise ResultsError(f"{path}: observed data file not found")
        return path
    from simulator.experiment.paths import path_slug

    if not city or path_slug(city.lower()) != city.lower():
        return None  # no city, or not an ordinary name (a path, ..): no file is looked for under it
    name = f"{city.lower()}_targets.csv"
    for root in (Path.cwd(), PACKAGE_ROOT):
        candidate = root / OBSERVED_DIR / name
        if candidate.is_file():
            return candidate
    return None


def read_observed(path: Path | None, indicators: list[str]) -> pd.DataFrame:
    """Observed levels of the indicators (targets of kind ``level``)."""
    rows = []
    if path is not None:
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                for t in csv.DictReader(fh):
                    if t.get("kind") == "level" and t.get("indicator") in indicators:
                        rows.append(
                            {
                                "indicator": t["indicator"],
                                "year": int(t["year"]),
                                "value": float(t["observed"]),
                                "in_fit": (t.get("in_fit") or "").strip().lower() == "yes",
                                "source": t.get("source", ""),
                            }
                        )
        except (OSError, KeyError, ValueError) as e:
            raise ResultsError(f"{path}: not a targets file (indicator, year, kind, observed, in_fit, source): {e}") from None
    return pd.DataFrame(rows, columns=["indicator", "year", "value", "in_fit", "source"])


def observed_mismatch(results: Results, path: Path | None) -> str | None:
    """Why the observed figures do not describe these runs' city (None if they do, or cannot tell).

    Compares each scenario's initial population (``population.persons`` in its
    first year) with the observed population that year, if the targets have it.
    """
    if path is None:
        return None
    targets = read_observed(path, ["population"])
    for v in results.variants.values():
        sc = v.scenario or {}
        persons = (sc.get("population") or {}).get("persons")
        start = (sc.get("run") or {}).get("start_year")
        obs = targets[targets["year"] == start]["value"] if start is not None else targets.iloc[0:0]["value"]
        if persons and len(obs):
            ratio = float(persons) / float(obs.iloc[0])
            if not 1 / OBSERVED_POPULATION_FACTOR <= ratio <= OBSERVED_POPULATION_FACTOR:
                return (
                    f"observed data ({path.name}) not shown: '{v.label}' starts with {persons:,.0f} persons "
                    f"in {start}, the observed city with {obs.iloc[0]:,.0f}"
                )
    return None


# ------------------------------------------------------------ statistics


BAND_KEYS = ("scenario", "indicator", "year")


def quantile_bands(table: pd.DataFrame, keys: tuple[str, ...] = BAND_KEYS) -> pd.DataFrame:
    """Quantiles across runs of ``value`` per scenario, indicator and year (columns n, q05..q95).

    ``keys`` are the columns a band is drawn per (a regional table adds ``region``)."""
    keys = list(keys)
    if table.empty:
        return pd.DataFrame(columns=[*keys, "n", *QUANTILE_COLUMNS])
    grouped = table.groupby(keys, sort=False)["value"]
    q = grouped.quantile(list(QUANTILES)).unstack()
    q.columns = list(QUANTILE_COLUMNS)
    q.insert(0, "n", grouped.count())
    return q.reset_index()


def pair_key(variant: Variant, baseline: Variant) -> str:
    """How runs of ``variant`` are matched with the baseline's: ``seed_index`` within one sweep, else ``seed``."""
    same_sweep = variant.kind == baseline.kind == "sweep" and variant.source is not None and variant.source == baseline.source
    return "seed_index" if same_sweep else "seed"


PAIR_KEYS = ("year", "indicator")
_KEY_DTYPES = {"year": "int64"}


def empty_paired(keys: tuple[str, ...] = PAIR_KEYS) -> pd.DataFrame:
    """A table of paired differences with no rows (typed columns)."""
    return pd.DataFrame(
        {
            "scenario": pd.Series(dtype=object),
            "pair": pd.Series(dtype="int64"),
            **{k: pd.Series(dtype=_KEY_DTYPES.get(k, object)) for k in keys},
            "value": pd.Series(dtype=float),
        }
    )


def paired_differences(
    table: pd.DataFrame, variants: dict[str, Variant], baseline: str, keys: tuple[str, ...] = PAIR_KEYS
) -> tuple[pd.DataFrame, list[str]]:
    """Scenario minus baseline, run by matched run (common random numbers).

    Args:
        keys: the columns besides the run that a value is matched on (a regional
            table adds ``region``).

    Returns:
        The differences (columns scenario, pair, the keys (year, indicator), value) and
        notes on scenarios with no or only some runs matched.
    """
    base = table[table["scenario"] == baseline]
    frames, notes = [], []
    for label, variant in variants.items():
        if label == baseline:
            continue
        key = pair_key(variant, variants[baseline])
        mine = table[table["scenario"] == label]
        merged = mine.merge(base, on=[key, *keys], suffixes=("", "_base"))
        n_runs, n_pairs = mine["run_id"].nunique(), merged["run_id"].nunique()
        if n_pairs == 0:
            notes.append(f"'{label}' shares no {key.replace('_', ' ')} with the baseline '{baseline}': no paired difference")
            continue
        if n_pairs < n_runs:
            notes.append(f"'{label}': {n_pairs} of its {n_runs} runs have a baseline run with the same {key.replace('_', ' ')}")
        frames.append(
            pd.DataFrame(
                {
                    "scenario": label,
                    "pair": merged[key].astype("int64"),
                    **{k: merged[k] for k in keys},
                    "value": merged["value"] - merged["value_base"],
                }
            )
        )
    if not frames:
        return empty_paired(keys), notes
    return pd.concat(frames, ignore_index=True), notes


def default_table_years(first: int, last: int, start: int | None) -> list[int]:
    """Round years (every 5) from the package start (or the first year) to the last year, and the
    last year; the latest four of them."""
    begin = start if start is not None and first <= start <= last else first
    years = [y for y in range(begin, last + 1) if y % TABLE_YEAR_STEP == 0]
    if last not in years:
        years.append(last)
    return years[-MAX_TABLE_YEARS:]


def summary_table(
    table: pd.DataFrame, differences: pd.DataFrame, labels: list[str], baseline: str | None, indicators: list[str], years: list[int], units: dict[str, str]
) -> pd.DataFrame:
    """Each indicator at each year for each scenario: median and 90% interval across runs, and the
    paired difference from the baseline with its 90% interval (columns :data:`SUMMARY_COLUMNS`)."""
    lo, hi = INTERVAL
    sel = table[table["year"].isin(years)]
    level = sel.groupby(["indicator", "scenario", "year"])["value"]
    lv = pd.DataFrame({"n_runs": level.count(), "median": level.median(), "p05": level.quantile(lo), "p95": level.quantile(hi)})
    dsel = differences[differences["year"].isin(years)]
    diff = dsel.groupby(["indicator", "scenario", "year"])["value"]
    dv = pd.DataFrame({"n_pairs": diff.count(), "diff_median": diff.median(), "diff_p05": diff.quantile(lo), "diff_p95": diff.quantile(hi)})
    rows = []
    for ind in indicators:
        for label in labels:
            for year in years:
                key = (ind, label, year)
                if key not in lv.index:
                    continue
                row = {"indicator": ind, "unit": units.get(ind, ""), "scenario": label, "year": year, **lv.loc[key].to_dict(), "baseline": baseline or ""}
                if key in dv.index:
                    row.update(dv.loc[key].to_dict())
                elif label == baseline:
                    row.update({"n_pairs": row["n_runs"], "diff_median": 0.0, "diff_p05": 0.0, "diff_p95": 0.0})
                else:
                    row.update({"n_pairs": 0, "diff_median": np.nan, "diff_p05": np.nan, "diff_p95": np.nan})
                rows.append(row)
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    out["n_runs"] = out["n_runs"].astype(int)
    out["n_pairs"] = out["n_pairs"].astype(int)
    return out


def build_comparison(
    results: Results,
    *,
    baseline: str | None = None,
    indicators: list[str] | None = None,
    years: str | None = None,
    table_years: str | None = None,
    observed: Path | None = None,
) -> Comparison:
    """Everything ``sim compare`` and ``sim report`` show, from the runs read.

    Args:
        results: the runs (from :func:`~simulator.analysis.load.read_results`).
        baseline: the baseline's label or scenario name (default: see :func:`baseline_choice`).
        indicators: indicators to compare (default: those read, in order).
        years: the years shown, e.g. ``"2000:2035"`` (default: all).
        table_years: the summary table's years, e.g. ``"2025,2035"`` (default: see
            :func:`default_table_years`).
        observed: an observed targets CSV (default: the city's, if it has one).

    Raises:
        ResultsError: an unknown baseline or indicator, or bad years.
    """
    from simulator.analysis.load import check_indicators

    chosen = check_indicators(indicators, sorted(results.table["indicator"].unique())) if indicators else list(results.units)
    first, last = parse_years(years, results.years)
    choice = baseline_choice(results, baseline)
    base = choice.label
    labels = ([base] if base else []) + [label for label in results.variants if label != base]
    table = results.table[results.table["indicator"].isin(chosen) & results.table["year"].between(first, last)]
    base_variant = results.variants[base] if base else None
    package_years = {label: package_start(results.variants[label], base_variant) for label in labels}
    starts = [y for y in package_years.values() if y is not None]
    wanted = parse_year_list(table_years)
    if wanted is None:
        tyears = default_table_years(first, last, min(starts) if starts else None)
    else:
        outside = [y for y in wanted if not first <= y <= last]
        if outside:
            raise ResultsError(f"--table-years: {', '.join(map(str, outside))} outside the years shown ({first}-{last})")
        tyears = wanted
    bands = quantile_bands(table)
    if base:
        paired, notes = paired_differences(table, {label: results.variants[label] for label in labels}, base)
    else:
        paired, notes = empty_paired(), []
    notes = [*choice.notes, *notes]
    diff_bands = quantile_bands(paired)
    obs_file = observed_file_for(results.city, observed)
    mismatch = observed_mismatch(results, obs_file)
    if mismatch:
        notes.append(mismatch)
        obs_file = None
    obs = read_observed(obs_file, chosen)
    obs = obs[obs["year"].between(first, last)].reset_index(drop=True)
    summary = summary_table(table, paired, labels, base, chosen, tyears, results.units)
    return Comparison(
        results=results,
        indicators=chosen,
        years=(first, last),
        baseline=base,
        labels=labels,
        colours=variant_colours(labels, base),
        package_years=package_years,
        bands=bands,
        differences=diff_bands,
        paired=paired,
        observed=obs,
        observed_file=obs_file,
        table_years=tyears,
        summary=summary,
        notes=notes,
        baseline_reason=choice.reason,
    )
