"""The policy document the levers implement, and its clauses.

The text of the 2016 opinions (中共中央 国务院关于全面振兴东北地区等老工业基地的若干意见,
Zhongfa [2016] No. 7) ships with the package (``data/``). Clauses are numbered
(一) to (二十六) in the text; :func:`clause_text` returns one by its number.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

DOCUMENT_FILE = "northeast_revitalization_2016_zh.txt"
DOCUMENT_TITLE = "中共中央 国务院关于全面振兴东北地区等老工业基地的若干意见 (2016)"

_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”"
_WRAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
"""White space between two Chinese characters or punctuation marks (line wrapping of the source)."""

_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_numeral(text: str) -> int:
    """Value of a Chinese numeral from 1 to 99 (e.g. 二十二 -> 22)."""
    if "十" not in text:
        return _DIGITS[text]
    tens, _, units = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


@lru_cache(maxsize=1)
def clauses() -> dict[int, str]:
    """Clause number -> its full text (title sentence first)."""
    text = resources.files("simulator.policy").joinpath("data", DOCUMENT_FILE).read_text(encoding="utf-8")
    found: dict[int, str] = {}
    # a clause starts with (一) ... (二十六) in half- or full-width brackets at a line start
    pattern = re.compile(r"^[(（]([一二三四五六七八九十]{1,3})[)）]", re.MULTILINE)
    starts = [(m.start(), chinese_numeral(m.group(1))) for m in pattern.finditer(text)]
    for i, (pos, number) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        body = text[pos:end].strip()
        # drop a following section heading (e.g. 二、...) that belongs to the next clause
        body = re.split(r"\n[一二三四五六七八九十]+、", body)[0].strip()
        # the source text is wrapped with a space or newline inside sentences: join them
        found[number] = _WRAP.sub("", body)
    return found


def clause_text(number: int, limit: int | None = None) -> str:
    """The clause's text, cut to ``limit`` characters (with an ellipsis) if given."""
    body = clauses()[number]
    if limit is not None and len(body) > limit:
        return body[:limit] + "…"
    return body
