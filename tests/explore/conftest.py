"""Fixtures for scenario discovery and optimisation: a synthetic sweep directory with a planted box."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

PLANTED = {"a": (0.6, 1.0), "b": (0.0, 0.3)}
"""The box planted in the synthetic sweep: the outcome is low where a >= 0.6 and b <= 0.3."""


@pytest.fixture(scope="session")
def planted_box() -> dict[str, tuple[float, float]]:
    """The box planted in :func:`synthetic_sweep`'s runs."""
    return PLANTED


@pytest.fixture(scope="session")
def synthetic_sweep(tiny_path: Path, tmp_path_factory) -> Callable[..., Path]:
    """Factory: a complete sweep directory (real layout, made by the sweep code) over the tiny
    city whose runs are not run but written: a Latin hypercube of three real parameters ``a``,
    ``b``, ``c`` in [0, 1] and a categorical ``d``; ``population`` in 2000 is 1000 inside the
    planted box (:data:`PLANTED`, or where ``rule(values)`` is true) and 2000 outside, except in runs recorded failed (whose parts
    say the opposite, to show they are left out)."""
    from simulator.experiment.files import write_json
    from simulator.experiment.sweep import (
        DONE,
        FAILED,
        PARTS_DIR,
        create_sweep_dir,
        write_runs_table,
    )
    from simulator.experiment.sweep_spec import load_sweep_spec

    def make(samples: int = 400, failed_every: int = 10, rule: Callable[[dict], bool] | None = None) -> Path:
        folder = tmp_path_factory.mktemp("synthetic")
        spec = folder / "planted.yaml"
        spec.write_text(
            f"base: {tiny_path}\n"
            "set: [run.end_year=2000]\n"
            "parameters:\n"
            "  a: {key: labour.quit_rate_per_month, type: real, low: 0.0, high: 1.0}\n"
            "  b: {key: labour.matching_efficiency_per_month, type: real, low: 0.0, high: 1.0}\n"
            "  c: {key: labour.sector_mismatch_penalty, type: real, low: 0.0, high: 1.0}\n"
            "  d: {key: run.scale, type: categorical, values: [1, 2]}\n"
            f"design: {{kind: latin, samples: {samples}}}\n"
            "seeds: {per_point: 1, root: 7}\n"
            "outcomes: {indicators: [population], years: [2000]}\n",
            encoding="utf-8",
        )
        sd = create_sweep_dir(folder / "sweep", load_sweep_spec(spec))
        import pyarrow as pa
        import pyarrow.parquet as pq

        for r in sd.plan:
            v = sd.design_values[r.point_id]
            if rule is not None:
                inside = rule(v)
            else:
                inside = PLANTED["a"][0] <= v["a"] <= PLANTED["a"][1] and PLANTED["b"][0] <= v["b"] <= PLANTED["b"][1]
            failed = failed_every and r.point_id % failed_every == 0
            population = 1000.0 if inside != bool(failed) else 2000.0
            pq.write_table(
                pa.table({"run_id": [r.run_id], "year": [2000], "population": [population]}),
                sd.path / PARTS_DIR / f"{r.run_id}.parquet",
            )
            rec = sd.read_status(r)
            if failed:
                rec.update(status=FAILED, error="RuntimeError: planted failure")
            else:
                rec.update(status=DONE, accounting_ok=True, outcomes={"population_2000": population})
            write_json(sd.status_path(r.run_id), rec)
        write_runs_table(sd)
        return sd.path

    return make
