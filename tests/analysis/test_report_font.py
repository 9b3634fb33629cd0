"""The CJK font the HTML report carries (issue 22): it covers the report's Chinese, and a browser
without any CJK system font shows that Chinese as glyphs, not as empty boxes.

The browser test drives Debian's ``chromium`` with ``chromium-driver`` through Selenium. It skips
when they are absent, except in CI (``CI=true``), where ``.ci/run`` installs them and their
absence is a failure. Chromium is given a fontconfig world of the machine's fonts less every CJK
one (``FONTCONFIG_FILE``), so the test means the same on a machine that has CJK fonts installed.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from simulator.analysis import webfont
from simulator.policy.registry import lever_by_name

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FONT_URI = re.compile(r"url\(data:font/(woff2?);base64,([A-Za-z0-9+/=]+)\)")
FONT_FACE_RULE = re.compile(r"/\*[^*]*\*/\n@font-face \{[^}]*\}\n")
MAX_FONT_BYTES = 150_000  # tens of kilobytes, not megabytes
CJK_LANGS = ("zh", "ja", "ko")
PAGE_LOAD_SECONDS = 20


def ok(result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def report(cli, region_runs, tmp_path_factory) -> Path:
    """The report of the tiny city with Fuxin's regions: Chinese title, clause titles, region names, units."""
    out = tmp_path_factory.mktemp("font_report") / "report.html"
    ok(cli("report", region_runs.root, "--out", out, "--baseline", "tiny_regions", "-q"))
    return out


def embedded_font(html: str) -> tuple[str, bytes]:
    matches = FONT_URI.findall(html)
    assert len(matches) == 1, "one embedded font"
    flavor, b64 = matches[0]
    return flavor, base64.b64decode(b64)


def cmap_of(data: bytes) -> set[str]:
    with TTFont(io.BytesIO(data)) as font:
        return {chr(c) for c in font.getBestCmap()}


# ------------------------------------------------------------ the font


def test_embedded_font_covers_every_cjk_character_of_the_report(report) -> None:
    html = report.read_text(encoding="utf-8")
    for text in ("阜新市", "彰武县", lever_by_name("new_industry_fund").title_zh):  # the title, a region, a clause title
        assert text in html
    flavor, data = embedded_font(html)
    assert flavor == "woff2" and data[:4] == b"wOF2"
    assert len(data) < MAX_FONT_BYTES
    text = FONT_URI.sub("", html)
    cjk = {c for c in text if webfont.style.CJK_PATTERN.match(c)}
    assert len(cjk) > 20
    # the font's character map is exactly the report's CJK characters: none missing, none extra
    assert cmap_of(data) == cjk
    # the family of the rule is the one the font stacks name first
    assert f'font-family: "{webfont.EMBEDDED_FAMILY}"' in html
    assert re.search(rf'body \{{ font-family: "{webfont.EMBEDDED_FAMILY}", ', html)


def test_the_subset_is_deterministic() -> None:
    chars = webfont.cjk_characters("Fuxin 阜新市: 万人, 亿元（二十二）")
    assert chars == "".join(sorted("阜新市万人亿元（二十）"))
    first = webfont.subset_font(chars)
    webfont.subset_font.cache_clear()
    second = webfont.subset_font(chars)
    assert first is not None and first == second
    assert cmap_of(first[0]) == set(chars)


def test_a_page_without_cjk_text_gets_no_font() -> None:
    page = "<html><head><style>body{}</style></head><body>Fuxin</body></html>"
    assert webfont.font_face_css("Fuxin") == ""
    assert webfont.with_embedded_font(page) == page
    with_font = webfont.with_embedded_font(page.replace("Fuxin", "Fuxin 阜新市"))
    assert with_font.index("<style>") < with_font.index("@font-face") < with_font.index("body{}")


# ------------------------------------------------------------ in a browser


def fonts_without_cjk(directory: Path) -> Path:
    """A fontconfig file whose only fonts are links to this machine's fonts that cover no CJK language."""
    def files(*pattern: str) -> set[str]:
        out = subprocess.run(["fc-list", "--format", "%{file}\n", *pattern], capture_output=True, text=True, check=True)
        return {line for line in out.stdout.splitlines() if line}

    cjk = set().union(*(files(f":lang={lang}") for lang in CJK_LANGS))
    fonts = directory / "fonts"
    fonts.mkdir()
    for i, path in enumerate(sorted(files() - cjk)):
        (fonts / f"{i}-{Path(path).name}").symlink_to(path)
    conf = directory / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{fonts}</dir><cachedir>{directory / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    return conf


def browser_or_skip():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()] + [t for t in ("fc-list",) if shutil.which(t) is None]
    if missing:
        reason = f"the browser test needs Debian's chromium, chromium-driver and fontconfig: missing {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI installs them in .ci/run)")
        pytest.skip(reason)
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("the browser test needs selenium (pip install -e '.[test]')")


def element_png(driver, page: Path, element_id: str) -> tuple[np.ndarray, dict]:
    """A screenshot of one element of ``page`` once its fonts are loaded, and the embedded font's state."""
    from matplotlib import image
    from selenium.webdriver.common.by import By

    driver.get(page.as_uri())
    state = driver.execute_async_script(
        "const done = arguments[arguments.length - 1], family = arguments[0], text = arguments[1];"
        "document.fonts.ready.then(() => done({"
        "  faces: [...document.fonts].filter(f => f.family.replace(/\"/g, '') === family).map(f => f.status),"
        "  check: document.fonts.check('16px \"' + family + '\"', text)}));",
        webfont.EMBEDDED_FAMILY,
        "阜新市",
    )
    png = driver.find_element(By.ID, element_id).screenshot_as_png
    return image.imread(io.BytesIO(png), format="png")[..., :3], state


def test_browser_without_cjk_fonts_shows_the_report_title_as_glyphs(report, tmp_path) -> None:
    browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    conf = fonts_without_cjk(tmp_path)
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    seen = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=True, env=env).stdout
    assert seen.strip() == "", f"the browser's fonts still include CJK ones: {seen}"

    html = report.read_text(encoding="utf-8")
    assert re.search(r"<h1 id='title'>[^<]*阜新市", html)
    with_font = tmp_path / "with_font.html"
    with_font.write_text(html, encoding="utf-8")
    without_font = tmp_path / "without_font.html"
    stripped, n = FONT_FACE_RULE.subn("", html)
    assert n == 1
    without_font.write_text(stripped, encoding="utf-8")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,800", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, env=env))
    try:
        driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
        driver.set_script_timeout(PAGE_LOAD_SECONDS)
        shown, state = element_png(driver, with_font, "title")
        boxes, state_without = element_png(driver, without_font, "title")
    finally:
        driver.quit()

    assert state == {"faces": ["loaded"], "check": True}, state  # the browser loaded the embedded font
    assert state_without["faces"] == []
    # the same title rendered without the embedded font (empty boxes on this font set) looks different
    if shown.shape == boxes.shape:
        differing = np.any(np.abs(shown - boxes) > 0.1, axis=-1).mean()
        assert differing > 0.005, f"only {differing:.2%} of the title's pixels differ"
    # and the title has ink: it is not blank
    assert (shown.min(axis=-1) < 0.5).mean() > 0.005
