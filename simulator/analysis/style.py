"""Plot styling in one place: palette, indicator titles, display units, the CJK font.

Everything a figure of ``sim compare`` / ``sim report`` shows about units is
decided here: :func:`display_scale` turns an indicator's unit (from
:data:`simulator.model.indicators.INDICATOR_UNITS`) and the size of the numbers
into a divisor and an axis label that planners read without counting zeros
(10k persons / 万人, 100 million yuan / 亿元, percent).

Matplotlib is imported only inside functions, so importing this module is
cheap and ``sim run`` does not pay for it.
"""

from __future__ import annotations

import importlib.util
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from simulator.model.indicators import INDICATOR_TITLES as CITY_INDICATOR_TITLES

# Okabe & Ito (2008) colour-blind-safe palette. The baseline is drawn in black,
# other scenarios take the colours in this order (yellow last: weak on white).
BASELINE_COLOUR = "#000000"
SCENARIO_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
# when there are more scenarios than colours, the colours repeat with these line styles
LINE_STYLES = ("-", "--", "-.", ":")
OBSERVED_COLOUR = "#000000"
PACKAGE_LINE_COLOUR = "#666666"

# bands drawn around the median: (lower quantile, upper quantile, fill alpha)
BANDS = ((0.05, 0.95, 0.14), (0.25, 0.75, 0.30))
MEDIAN_LINE_WIDTH = 1.8

# figure geometry
PANEL_WIDTH_IN = 4.6
PANEL_HEIGHT_IN = 3.1
LEGEND_HEIGHT_IN = 0.9
TITLE_HEIGHT_IN = 0.5
MAX_COLUMNS = 3
REGION_PANEL_WIDTH_IN = 3.4  # the regions figure: a row per region, a column per indicator
REGION_PANEL_HEIGHT_IN = 2.2
YEAR_TICKS = 8
YEAR_MARGIN = 0.6  # years of space left and right of the data
PNG_COLOURS = 256  # PNGs are written with a palette of this many colours
FIGURE_DPI = 110
REPORT_DPI = 100
TITLE_FONT_SIZE = 13
PANEL_TITLE_FONT_SIZE = 10.5
LABEL_FONT_SIZE = 9
TICK_FONT_SIZE = 8.5
LEGEND_FONT_SIZE = 9

# the indicators compared when none are asked for: one per question a planner asks
DEFAULT_INDICATORS = (
    "population",
    "employment_total",
    "unemployment_rate_registered",
    "gdp_total",
    "household_disposable_income_per_capita",
    "city_revenue",
    "city_debt",
    "new_industry_share",
    "shantytown_households",
)

INDICATOR_TITLES: dict[str, str] = {
    **CITY_INDICATOR_TITLES,  # declared with the indicators (simulator.model.indicators.INDICATORS)
    # regional indicators (simulator.model.regions.REGION_INDICATOR_UNITS)
    "jobs": "Jobs in the region",
    "employed_residents": "Employed residents",
    "households": "Households",
    "land_area_km2": "Land area",
    "population_density": "Population density",
    "moved_in": "Moved in from other regions",
    "moved_out": "Moved out to other regions",
    "household_disposable_income": "Household disposable income",
    "household_savings": "Household savings",
}

# CJK-capable font families, in order of preference, if the machine has one
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Noto Sans CJK JP",
)
# otherwise the Noto Sans CJK SC file (SIL Open Font License) of the `mplfonts` package
PACKAGED_CJK_FONT = ("mplfonts", "fonts", "NotoSansCJKsc-Regular.otf")
LATIN_FAMILY = "DejaVu Sans"

# CJK characters: radicals, CJK punctuation, kana, ideographs (the extensions in planes 2 and 3 too),
# compatibility ideographs, full-width forms
CJK_PATTERN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
_CJK = CJK_PATTERN


class MissingCJKFontWarning(UserWarning):
    """No font with Chinese glyphs was found: figures leave Chinese text out."""


def indicator_title(name: str) -> str:
    """A readable title for an indicator."""
    if name in INDICATOR_TITLES:
        return INDICATOR_TITLES[name]
    for prefix, what in (("employment_", "Employment in "), ("gdp_", "GDP of ")):
        if name.startswith(prefix):
            return what + name[len(prefix) :].replace("_", " ")
    return name.replace("_", " ").capitalize()


def variant_colours(labels: list[str], baseline: str | None) -> dict[str, tuple[str, str]]:
    """Colour and line style of every scenario: the baseline black, the others in palette order."""
    out: dict[str, tuple[str, str]] = {}
    i = 0
    for label in labels:
        if label == baseline:
            out[label] = (BASELINE_COLOUR, "-")
            continue
        out[label] = (SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], LINE_STYLES[(i // len(SCENARIO_COLOURS)) % len(LINE_STYLES)])
        i += 1
    return out


@dataclass(frozen=True)
class DisplayScale:
    """How an indicator's numbers are shown: value / divisor, with this unit label."""

    divisor: float
    label: str
    percent: bool = False


_COUNT_NOUNS = {"persons": "万人", "households": "万户"}


def display_scale(unit: str, magnitude: float, *, money_base_year: int | None = None, difference: bool = False, cjk: bool = True) -> DisplayScale:
    """The divisor and axis label for an indicator of ``unit`` whose values reach ``magnitude``.

    Args:
        unit: the indicator's unit, e.g. ``"persons"``, ``"yuan/year"``, ``"share of GDP"``.
        magnitude: the largest absolute value to be shown.
        money_base_year: the base year of constant yuan, shown in money labels.
        difference: label a difference (shares become percentage points).
        cjk: whether Chinese unit words (万人, 亿元) may be used.
    """
    magnitude = abs(magnitude) if math.isfinite(magnitude) else 0.0
    prices = f" ({money_base_year} prices)" if money_base_year is not None else ""
    if unit.startswith("share"):
        rest = unit[len("share") :].strip()
        if difference:
            return DisplayScale(0.01, f"percentage points{(' ' + rest) if rest else ''}", percent=True)
        return DisplayScale(0.01, f"%{(' ' + rest) if rest else ''}", percent=True)
    if unit.startswith("yuan"):
        per = unit[len("yuan") :]  # e.g. "/year", "/person/year", ""
        if magnitude >= 1e8:
            zh = " (亿元)" if cjk else ""
            return DisplayScale(1e8, f"100 million yuan{per}{zh}{prices}")
        if magnitude >= 1e5:
            zh = " (万元)" if cjk else ""
            return DisplayScale(1e4, f"10k yuan{per}{zh}{prices}")
        return DisplayScale(1.0, f"yuan{per}{prices}")
    noun = unit.split("/")[0].split(" ")[0]
    if noun in ("persons", "households", "firms", "mines"):
        if magnitude >= 1e5:
            zh = f" ({_COUNT_NOUNS[noun]})" if cjk and noun in _COUNT_NOUNS else ""
            return DisplayScale(1e4, f"10k {unit}{zh}")
        return DisplayScale(1.0, unit)
    if unit.startswith("tonnes") and magnitude >= 1e6:
        return DisplayScale(1e6, "million " + unit)
    return DisplayScale(1.0, unit)


def strip_cjk(text: str) -> str:
    """``text`` without Chinese characters (for figures drawn without a CJK font)."""
    out = _CJK.sub("", text)
    out = re.sub(r"\(\s*\)|（\s*）", "", out)
    return re.sub(r"\s{2,}", " ", out).strip()


_font_state: dict[str, str | None] = {}


def packaged_cjk_font() -> Path | None:
    """Path of the Noto Sans CJK SC file shipped by the ``mplfonts`` package, if installed.

    The package is located without importing it (importing it is not needed:
    the font file is registered with matplotlib directly).
    """
    package, *parts = PACKAGED_CJK_FONT
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*parts)
        if path.is_file():
            return path
    return None


def cjk_font() -> str | None:
    """Register a CJK-capable font with matplotlib; its family name, or None (with one warning).

    Looks for a system font first (:data:`CJK_FAMILIES`), then the font file of
    the ``mplfonts`` package. Without either, warns once per process
    (:class:`MissingCJKFontWarning`) and figures leave Chinese text out.
    """
    if "family" in _font_state:
        return _font_state["family"]
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    family = next((f for f in CJK_FAMILIES if f in have), None)
    if family is None:
        path = packaged_cjk_font()
        if path is not None:
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
    _font_state["family"] = family
    if family is None:
        warnings.warn(
            "no font with Chinese glyphs found (install the 'mplfonts' package or a system CJK font "
            "such as fonts-noto-cjk); figures leave Chinese text out, the HTML report keeps it as text",
            MissingCJKFontWarning,
            stacklevel=2,
        )
    return family


def setup_matplotlib():
    """Import matplotlib with the Agg backend and the fonts set; returns (pyplot, CJK font available)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = cjk_font()
    # a list of families: matplotlib takes each glyph from the first family that has it
    plt.rcParams["font.family"] = [LATIN_FAMILY, family] if family else [LATIN_FAMILY]
    plt.rcParams["axes.titlesize"] = PANEL_TITLE_FONT_SIZE
    plt.rcParams["axes.labelsize"] = LABEL_FONT_SIZE
    plt.rcParams["xtick.labelsize"] = TICK_FONT_SIZE
    plt.rcParams["ytick.labelsize"] = TICK_FONT_SIZE
    plt.rcParams["legend.fontsize"] = LEGEND_FONT_SIZE
    plt.rcParams["svg.fonttype"] = "path"
    return plt, family is not None
