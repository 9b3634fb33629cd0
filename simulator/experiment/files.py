"""Result files written whole or not at all, and directories held by one process at a time.

Shared by the sweep directory (:mod:`simulator.experiment.sweep`) and the calibration result
directory (:mod:`simulator.calibration.driver`): every file is written to a hidden temporary
name next to its target and renamed into place, so a reader (or a resumed run after a kill)
never sees half a file; an exclusive lock file keeps two processes off one directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

TMP_MARK = ".tmp-"
"""Part of every temporary name (after a leading dot), so that leftovers can be found and removed."""


def tmp_name(path: Path) -> Path:
    """A hidden temporary name next to *path*."""
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def _replace_from_tmp(path: Path, write: Callable[[Path], None]) -> None:
    tmp = tmp_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write *data* to *path* via a temporary file and a rename: whole or absent."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    _replace_from_tmp(path, write)


def write_json(path: Path, obj: Any, *, indent: int | None = 1) -> None:
    """Write *obj* as JSON (keys sorted, UTF-8 kept) to *path*, atomically."""
    write_atomic(path, (json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False) + "\n").encode())


def write_parquet(path: Path, table) -> None:
    """Write a pyarrow table to *path*, atomically."""
    import pyarrow.parquet as pq

    _replace_from_tmp(path, lambda tmp: pq.write_table(table, tmp))


def read_json(path: Path) -> Any | None:
    """The JSON in *path*, or None if it is missing or not readable JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def exclusive_lock(lock_file: Path, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold an exclusive lock on *lock_file* (released by the OS if the process dies).

    Raises ``busy()`` at once if another process holds it. Without ``fcntl`` (not POSIX)
    there is no lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    with open(lock_file, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy() from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def remove_stale_temporaries(folders: Iterable[Path]) -> int:
    """Delete temporary files left in *folders* by a killed process; returns how many."""
    n = 0
    for folder in folders:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.startswith(".") and TMP_MARK in entry.name and entry.is_file():
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                    n += 1
    return n
