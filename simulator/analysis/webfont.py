"""The CJK font an HTML page of the project carries with it (issue 22).

A machine without a CJK font shows Chinese text in HTML as empty boxes. So every
HTML file the project writes (``sim report``) embeds the font it needs: the Noto
Sans CJK SC file of the ``mplfonts`` package (SIL Open Font License 1.1; the one
the figures use, :data:`simulator.analysis.style.PACKAGED_CJK_FONT`), subset with
fontTools to the CJK characters of the page and embedded as a WOFF2 ``data:`` URI
in an ``@font-face`` rule. The page's font stacks name that family first; it has
CJK glyphs only, so the browser takes Latin text from the system fonts that
follow, and the system CJK fonts remain the fallback for any character the
subset lacks.

The subset is deterministic: the same characters give the same bytes (no
timestamp is written into the font, and the characters are added in order).
:func:`font_face_css` is the one entry point; :func:`with_embedded_font` puts the
rule into a finished page.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io

from simulator.analysis import style

# the family name of the embedded subset: no installed font has it, so text set in it
# (and only in it) shows whether the embedded font works
EMBEDDED_FAMILY = "Report Noto Sans CJK SC"
# system fonts with CJK glyphs, after the embedded one (fallback)
SYSTEM_CJK_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei"'
)
# name records kept in the subset: family and style names, version, and the license (13, 14)
NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 13, 14)
STYLE_CLOSE = "</style>"

_CJK = style.CJK_PATTERN


def cjk_characters(text: str) -> str:
    """The distinct CJK characters of ``text`` (ideographs, CJK punctuation, full-width forms), sorted."""
    return "".join(sorted(set(_CJK.findall(text))))


def woff2_available() -> bool:
    """Whether fontTools can write WOFF2 (it needs the ``brotli`` package, a dependency)."""
    return importlib.util.find_spec("brotli") is not None


@functools.lru_cache(maxsize=8)
def subset_font(characters: str) -> tuple[bytes, str] | None:
    """The packaged Noto Sans CJK SC subset to ``characters``: (font bytes, format), or None without it.

    The format is ``"woff2"``, or ``"woff"`` (zlib) if ``brotli`` cannot be imported.
    """
    path = style.packaged_cjk_font()
    if path is None or not characters:
        return None
    from fontTools import subset
    from fontTools.ttLib import TTFont

    flavor = "woff2" if woff2_available() else "woff"
    options = subset.Options()
    options.flavor = flavor
    options.hinting = False  # browsers do not need the CFF hints at text sizes; smaller
    options.desubroutinize = True  # compresses better
    options.name_IDs = list(NAME_IDS)
    options.notdef_outline = True
    buffer = io.BytesIO()
    with TTFont(str(path), recalcTimestamp=False, lazy=True) as font:  # closes the file (read lazily)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        font.flavor = flavor
        font.save(buffer)
    return buffer.getvalue(), flavor


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule for :data:`EMBEDDED_FAMILY` covering the CJK characters of ``text``.

    Empty when ``text`` has no CJK character or the packaged font is not installed
    (the page then relies on the system fonts of its font stacks).
    """
    made = subset_font(cjk_characters(text))
    if made is None:
        return ""
    data, flavor = made
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f"/* {EMBEDDED_FAMILY}: Noto Sans CJK SC (SIL Open Font License 1.1), subset to the CJK characters of this page */\n"
        f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; font-style: normal; font-display: block; '
        f"src: url(data:font/{flavor};base64,{b64}) format('{flavor}'); }}\n"
    )


def with_embedded_font(page: str) -> str:
    """``page`` (HTML with a ``<style>`` element in its head) with :func:`font_face_css` of its text
    put at the start of its first style element."""
    css = font_face_css(page)
    if not css:
        return page
    at = page.find("<style>")
    if at < 0:
        raise ValueError("the page has no <style> element to hold the @font-face rule")
    at += len("<style>")
    return page[:at] + "\n" + css + page[at:]

