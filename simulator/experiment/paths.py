"""Folder names made from names the user wrote (a scenario's ``name``), kept inside their root.

A run goes to ``<out>/<slug of the scenario name>/<run id>/``. The slug keeps an ordinary
name as it is (``fuxin_calibrated``) and makes anything else a single, harmless folder
name: no path separator, no ``..``, no leading dot (a hidden or temporary name), nothing
empty, nothing longer than a file system allows. The folder is then checked to lie
inside the root (both resolved), so that no name, however it got past the scenario's
own checks, writes outside ``--out``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

MAX_SLUG_CHARS = 64
"""Longest slug kept from a name, before its digest (64 CJK characters are 192 bytes in UTF-8,
within the 255 bytes a file name may have)."""
DIGEST_CHARS = 8
EMPTY_SLUG = "scenario"

_UNSAFE = re.compile(r"[^\w.\-]")  # \w is Unicode: Chinese names stay readable


class UnsafePathError(ValueError):
    """A folder made from a name would lie outside its root."""


def path_slug(name: str) -> str:
    """A single folder name for ``name``: ``name`` itself if it is an ordinary one (letters, digits,
    ``_``, ``.``, ``-``; not starting with a dot; at most :data:`MAX_SLUG_CHARS` characters), else
    its safe characters (others become ``_``, leading dots are dropped, cut to
    :data:`MAX_SLUG_CHARS`) followed by ``-`` and the first digits of the name's sha256, so that
    two different names never share a folder by being altered alike."""
    name = str(name)
    slug = _UNSAFE.sub("_", name).lstrip(".")[:MAX_SLUG_CHARS]
    if slug and slug == name:
        return slug
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_CHARS]
    return f"{slug or EMPTY_SLUG}-{digest}"


def child_dir(root: Path | str, name: str) -> Path:
    """``root / path_slug(name)``, checked to lie inside ``root`` (both resolved, so a symbolic
    link there that points elsewhere is refused too).

    Raises:
        UnsafePathError: the folder would lie outside ``root``.
    """
    root = Path(root)
    child = root / path_slug(name)
    base = root.resolve()
    resolved = child.resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise UnsafePathError(f"the folder for the name {name[:80]!r} would lie outside {root} ({resolved}); not written")
    return child
