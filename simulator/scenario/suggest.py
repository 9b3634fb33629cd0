"""The key probably meant by a misspelt one (``did you mean ...?``)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[-_\s]+")


def normalise(word: str) -> str:
    """Lower case, without ``-``, ``_`` and white space: ``START_YEAR``, ``start-year``,
    ``startYear`` and ``start year`` all become ``startyear``."""
    return _SEPARATORS.sub("", word).lower()


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate most like *word*, if any is close enough.

    Changes of case and of separators cost nothing (both sides are compared
    :func:`normalised <normalise>`); other changes (dropped, doubled, swapped or
    wrong letters) are judged by :func:`difflib.get_close_matches` on the
    normalised forms, then on the words as written.
    """
    names = [c for c in dict.fromkeys(candidates) if c != word]
    if not names:
        return None
    by_norm: dict[str, str] = {}
    for name in names:
        by_norm.setdefault(normalise(name), name)
    key = normalise(word)
    if key in by_norm:
        return by_norm[key]
    match = difflib.get_close_matches(key, list(by_norm), n=1, cutoff=cutoff)
    if match:
        return by_norm[match[0]]
    match = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    return match[0] if match else None
