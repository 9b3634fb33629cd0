"""The executors: every task gives one outcome, errors are outcomes, bad options are errors."""

from __future__ import annotations

import math

import pytest

from simulator.experiment.executors import ExecutorError, TaskOutcome, make_executor


def _outcomes(ex, values):
    return sorted(
        ((o.key, o.result, o.error) for o in ex.map_unordered(math.sqrt, enumerate(values))),
        key=lambda t: t[0],
    )


def test_local_executor_maps_every_task_and_reports_errors() -> None:
    values = [4.0, -1.0, 9.0, 16.0, 2.25]
    with make_executor("local", workers=2) as ex:
        assert ex.workers == 2
        got = _outcomes(ex, values)
    assert [k for k, _, _ in got] == list(range(len(values)))
    assert got[1][1] is None and got[1][2] == "ValueError: math domain error"
    assert [r for _, r, e in got if e is None] == [2.0, 3.0, 4.0, 1.5]


def test_local_executor_bounds_the_tasks_in_flight() -> None:
    consumed = []

    def tasks():
        for i in range(6):
            consumed.append(i)
            yield i, float(i)

    with make_executor("local", workers=1) as ex:
        it = ex.map_unordered(math.sqrt, tasks(), max_pending=2)
        first = next(it)
        assert isinstance(first, TaskOutcome)
        assert len(consumed) <= 3  # two submitted, at most one more after the first result
        rest = list(it)
    assert len(rest) == 5


def test_dask_executor_starts_a_local_cluster_on_loopback_and_maps_every_task() -> None:
    values = [4.0, -1.0, 9.0]
    with make_executor("dask", workers=1) as ex:
        assert ex.describe() == "dask, local cluster on 127.0.0.1, 1 worker thread"
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in ex.client.nthreads())
        got = _outcomes(ex, values)
    assert got == [(0, 2.0, None), (1, None, "ValueError: math domain error"), (2, 3.0, None)]


@pytest.mark.parametrize(
    ("kind", "kw", "message"),
    [
        ("local", {"scheduler": "tcp://127.0.0.1:8786"}, "--scheduler needs the Dask executor"),
        ("cloud", {}, "unknown executor 'cloud'"),
        ("local", {"workers": 0}, "workers must be at least 1"),
        ("dask", {"scheduler": "tcp://nohost"}, "expected tcp://host:port"),
    ],
)
def test_bad_options_are_executor_errors(kind, kw, message) -> None:
    with pytest.raises(ExecutorError, match=message):
        make_executor(kind, **kw)


def test_unreachable_scheduler_fails_fast() -> None:
    import socket

    with socket.socket() as s:  # a port that nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
            make_executor("dask", scheduler=f"tcp://127.0.0.1:{port}")


def test_a_dying_worker_fails_its_task_and_a_fresh_pool_runs_the_rest() -> None:
    import os

    with make_executor("local", workers=1) as ex:
        died = list(ex.map_unordered(os._exit, [("boom", 3)]))
        assert len(died) == 1 and died[0].key == "boom"
        assert died[0].error.startswith("worker process died")
        assert _outcomes(ex, [16.0]) == [(0, 4.0, None)]
