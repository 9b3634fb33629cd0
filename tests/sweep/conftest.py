"""Fixtures for the sweep tests: small specs over the tiny city, and comparing sweep results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_sweep_spec() -> Path:
    """The tiny test sweep (8 runs of the tiny city for one year)."""
    return TESTS / "data" / "tiny_sweep.yaml"


@pytest.fixture(scope="session")
def write_spec(tiny_path: Path) -> Callable[..., Path]:
    """Factory: ``write_spec(folder, body)`` writes ``folder/spec.yaml`` with
    ``base:`` the tiny city on its first line, then *body*."""

    def write(folder: Path, body: str, name: str = "spec.yaml") -> Path:
        path = folder / name
        path.write_text(f"base: {tiny_path}\n{body}", encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def sweep_files() -> Callable[[Path], dict[str, bytes]]:
    """Function: the result files of a sweep directory (runs, design, parts) as bytes,
    which must not depend on how the sweep was run."""

    def files(d: Path) -> dict[str, bytes]:
        out = {name: (d / name).read_bytes() for name in ("runs.parquet", "design.parquet")}
        for part in sorted((d / "parts").iterdir()):
            out[f"parts/{part.name}"] = part.read_bytes()
        return out

    return files


@pytest.fixture(scope="session")
def local_sweep(tiny_sweep_spec: Path, tmp_path_factory) -> Path:
    """The tiny sweep run once, uninterrupted, on two local worker processes (do not modify)."""
    from simulator.experiment.sweep import run_sweep

    out = tmp_path_factory.mktemp("local") / "sweep"
    summary = run_sweep(tiny_sweep_spec, out=out, executor="local", workers=2)
    assert (summary.done, summary.failed, summary.pending, summary.ran) == (8, 0, 0, 8)
    return out
