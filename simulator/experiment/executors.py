"""Executors: run many independent tasks on local processes or on a Dask cluster.

One small interface hides where tasks run, so that sweeps, calibration and
``sim compare --seeds`` share it::

    from simulator.experiment.executors import make_executor

    with make_executor("local", workers=2) as ex:            # or "dask"
        for outcome in ex.map_unordered(my_task, [(key, payload), ...]):
            if outcome.ok:
                use(outcome.key, outcome.result)
            else:
                report(outcome.key, outcome.error)

Rules for the task function and its data:

* ``fn`` is a top-level function of an importable module (it is pickled by
  reference and imported in the worker), called as ``fn(payload)``;
* payloads and results are small and picklable: send file names, seeds and
  parameter values, not model state; bulky output is written by the task
  itself (for a Dask cluster on several machines, to a shared file system);
* ``fn`` should be deterministic in its payload, so that results do not depend
  on the executor or the number of workers.

A task that raises does not stop the others: its outcome carries the error
text (``"ValueError: ..."``) instead of a result. A worker process that dies
(killed, out of memory) fails the tasks it was running, with a message saying
so; the local executor then starts a fresh pool for the remaining tasks.

:func:`map_unordered <Executor.map_unordered>` submits lazily, keeping at most
``max_pending`` tasks in flight, so the driver's memory stays flat however many
tasks there are. Leaving the ``with`` block normally waits for nothing (all
tasks were consumed); leaving it by an exception (Ctrl-C included) cancels
queued tasks and stops the workers at once: tasks must therefore write their
files atomically (temporary file, then rename), as the sweep does.

Local workers ignore SIGINT (the driver handles Ctrl-C) and exit by themselves
when the process that started them disappears (e.g. ``kill -9`` of the
driver), so no orphan goes on writing into a sweep directory.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "LocalExecutor",
    "TaskOutcome",
    "default_workers",
    "make_executor",
]

ExecutorKind = Literal["local", "dask"]

PENDING_PER_WORKER = 2
"""Tasks kept in flight per worker: one running and one queued, so that a worker
never waits for the driver, while the queue stays short."""

PARENT_POLL_SECONDS = 0.5
"""How often a local worker checks that the process that started it is alive."""

DASK_CONNECT_TIMEOUT_SECONDS = 10
"""How long to try reaching an existing Dask scheduler before giving up."""

DASK_WORKERS_REFRESH_SECONDS = 5.0
"""How often the Dask executor re-reads the cluster's size to size its queue."""

LOCAL_PRELOAD = ("simulator.experiment.run",)
"""Modules imported once by the forkserver (so that forked workers start warm) and by
the workers of a Dask cluster started here (``dask worker --preload`` does it elsewhere)."""


class ExecutorError(Exception):
    """An executor cannot be created or used (bad option, unreachable scheduler)."""


@dataclass(frozen=True)
class TaskOutcome:
    """What one task gave back.

    Attributes:
        key: The task's key, as given to :meth:`Executor.map_unordered`.
        result: The function's return value (``None`` if it failed).
        error: ``None`` on success, else one line ``"ExceptionType: message"``.
    """

    key: Hashable
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True if the task returned normally."""
        return self.error is None


def error_text(exc: BaseException) -> str:
    """One-line description of an exception: ``"Type: message"``."""
    message = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def default_workers() -> int:
    """Worker processes to use when none is asked for: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Executor(ABC):
    """Common interface of the executors (local processes, Dask); use :func:`make_executor` to get one.

    An executor is a context manager; :meth:`close` releases its workers.
    """

    kind: ExecutorKind

    @property
    @abstractmethod
    def workers(self) -> int:
        """Number of tasks that can run at the same time."""

    @abstractmethod
    def describe(self) -> str:
        """A short human description, e.g. ``"local, 2 processes"``."""

    @abstractmethod
    def map_unordered(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[tuple[Hashable, Any]],
        *,
        max_pending: int | None = None,
    ) -> Iterator[TaskOutcome]:
        """Run ``fn(payload)`` for every ``(key, payload)``; yield outcomes as they complete.

        Args:
            fn: A picklable top-level function of one argument.
            tasks: ``(key, payload)`` pairs; consumed lazily. Keys identify
                tasks in the outcomes and should be unique.
            max_pending: Most tasks submitted but not yet yielded; default
                :data:`PENDING_PER_WORKER` per worker.

        Yields:
            One :class:`TaskOutcome` per task, in completion order.
        """

    @abstractmethod
    def close(self, *, cancel: bool = False) -> None:
        """Release the workers; with ``cancel``, drop queued tasks and stop running ones."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)


# ------------------------------------------------------------------- local


def _worker_init(parent_pid: int) -> None:
    """Set up a local worker: ignore Ctrl-C and exit when the driver is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if not _alive(parent_pid):
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: cannot be ours, pid reused
        return False
    return True


def _start_context(start_method: str | None) -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if start_method is None:
        start_method = "forkserver" if "forkserver" in methods else "spawn"
    if start_method not in methods:
        raise ExecutorError(
            f"start method {start_method!r} is not available here; choose one of {', '.join(methods)}"
        )
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(list(LOCAL_PRELOAD))
    return ctx


class LocalExecutor(Executor):
    """Tasks on worker processes of this machine (``concurrent.futures.ProcessPoolExecutor``).

    Args:
        workers: Number of worker processes (default: the CPUs available).
        start_method: ``"forkserver"`` (default where available: workers are
            forked from a clean single-threaded server that has the model
            imported, so they start fast and inherit no threads) or
            ``"spawn"`` (a fresh interpreter per worker). ``"fork"`` is
            accepted but unsafe when the driver has threads (Dask, rich's
            progress refresh).
    """

    kind: ExecutorKind = "local"

    def __init__(self, workers: int | None = None, *, start_method: str | None = None) -> None:
        if workers is not None and workers < 1:
            raise ExecutorError(f"workers must be at least 1, got {workers}")
        self._workers = workers or default_workers()
        self._ctx = _start_context(start_method)
        self.start_method = self._ctx.get_start_method()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def describe(self) -> str:
        s = "" if self._workers == 1 else "es"
        return f"local, {self._workers} process{s}"

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=self._ctx,
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
        return self._pool

    def map_unordered(self, fn, tasks, *, max_pending=None):
        limit = max_pending or PENDING_PER_WORKER * self._workers
        todo = iter(tasks)
        running: dict[Future, Hashable] = {}
        try:
            yield from self._drive(fn, todo, running, limit)
        finally:  # the consumer stopped early: drop what has not started
            for fut in running:
                fut.cancel()

    def _drive(self, fn, todo, running: dict[Future, Hashable], limit: int) -> Iterator[TaskOutcome]:
        exhausted = False
        while True:
            while not exhausted and len(running) < limit:
                try:
                    key, payload = next(todo)
                except StopIteration:
                    exhausted = True
                    break
                running[self._submit(fn, payload)] = key
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                key = running.pop(fut)
                exc = fut.exception()
                if exc is None:
                    yield TaskOutcome(key, fut.result())
                elif isinstance(exc, BrokenProcessPool):
                    broken = True
                    yield TaskOutcome(key, error=f"worker process died ({error_text(exc)})")
                else:
                    yield TaskOutcome(key, error=error_text(exc))
            if broken:  # every task still in the dead pool fails the same way; start afresh
                for fut, key in list(running.items()):
                    fut.cancel()
                    yield TaskOutcome(key, error="worker process died (its pool was broken by another task)")
                running.clear()
                self._discard_pool()

    def submit(self, fn: Callable[[Any], Any], payload: Any) -> Future:
        """Start ``fn(payload)`` on a worker and return its future, for a caller that waits on
        futures itself (e.g. polling for a stop request between waits)."""
        return self._submit(fn, payload)

    def terminate(self) -> list[int]:
        """Stop every worker at once (queued tasks dropped, running ones killed); returns the
        process ids of the workers that were running, so that the caller can remove what they
        left half-written. The executor can be used again: a new pool starts on the next task."""
        pool, self._pool = self._pool, None
        if pool is None:
            return []
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join()
        return [p.pid for p in processes if p.pid is not None]

    def _submit(self, fn, payload) -> Future:
        try:
            return self._get_pool().submit(fn, payload)
        except BrokenProcessPool:
            self._discard_pool()
            return self._get_pool().submit(fn, payload)

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self, *, cancel: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if cancel:
            # stop running tasks now rather than waiting for them: they write atomically
            self._pool = pool
            self.terminate()
        else:
            pool.shutdown(wait=True)


# -------------------------------------------------------------------- dask


class DaskExecutor(Executor):
    """Tasks on a dask.distributed cluster.

    Args:
        workers: For a cluster started here: its number of worker processes
            (one thread each; default: the CPUs available). Ignored with
            ``scheduler``, whose workers are whatever has joined it.
        scheduler: Address of a running scheduler (``tcp://host:8786``). Without
            it, a ``LocalCluster`` is started on this machine listening on
            127.0.0.1 only, with no dashboard, and stopped on :meth:`close`.

    Raises:
        ExecutorError: If dask.distributed is missing or the scheduler cannot be reached.
    """

    kind: ExecutorKind = "dask"

    def __init__(self, workers: int | None = None, *, scheduler: str | None = None) -> None:
        if workers is not None and workers < 1:
            raise ExecutorError(f"workers must be at least 1, got {workers}")
        try:
            import logging

            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ExecutorError(f"the Dask executor needs dask.distributed ({exc})") from None
        self._cluster = None
        self.scheduler = scheduler
        if scheduler is None:
            import dask

            n = workers or default_workers()
            # Workers import the model once at start-up (as the local forkserver does) and do
            # not sample their task's stack for the dashboard's profile (costly for long
            # Python-heavy tasks, and there is no dashboard here). Dask's default worker
            # environment sets MALLOC_TRIM_THRESHOLD_, which makes glibc return freed memory at
            # once: the model's many short-lived numpy arrays then cost page faults (measured:
            # a run took about 30% more CPU); the thread limits are kept.
            environ = {
                k: v
                for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
                if k != "MALLOC_TRIM_THRESHOLD_"
            }
            settings = {
                "distributed.worker.profile.enabled": False,
                "distributed.nanny.pre-spawn-environ": environ,
            }
            with dask.config.set(settings):
                self._cluster = LocalCluster(
                    host="127.0.0.1",
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.CRITICAL,  # no worker tracebacks at shutdown races
                    preload=list(LOCAL_PRELOAD),
                )
            self._client = Client(self._cluster)
        else:
            _check_reachable(scheduler)
            try:
                self._client = Client(scheduler, timeout=f"{DASK_CONNECT_TIMEOUT_SECONDS}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(
                    f"cannot reach the Dask scheduler at {scheduler!r} ({error_text(exc)})"
                ) from None

    @property
    def client(self):
        """The ``dask.distributed.Client`` (for callers that need more than mapping)."""
        return self._client

    @property
    def workers(self) -> int:
        return max(1, sum(self._client.nthreads().values()))

    def describe(self) -> str:
        where = self.scheduler or "local cluster on 127.0.0.1"
        n = self.workers
        return f"dask, {where}, {n} worker thread{'s' if n != 1 else ''}"

    def map_unordered(self, fn, tasks, *, max_pending=None):
        from dask.distributed import as_completed

        todo = iter(tasks)
        inflight: dict[str, tuple[Hashable, Any]] = {}  # dask key -> (task key, future)
        pending = as_completed()
        exhausted = False
        limit, checked = 0, float("-inf")

        def top_up() -> None:
            nonlocal exhausted, limit, checked
            if max_pending is None and time.monotonic() - checked > DASK_WORKERS_REFRESH_SECONDS:
                limit = PENDING_PER_WORKER * self.workers  # workers may join or leave a cluster
                checked = time.monotonic()
            elif max_pending is not None:
                limit = max_pending
            while not exhausted and len(inflight) < limit:
                try:
                    key, payload = next(todo)
                except StopIteration:
                    exhausted = True
                    return
                fut = self._client.submit(fn, payload, pure=False)
                inflight[fut.key] = (key, fut)
                pending.add(fut)

        try:
            top_up()
            for fut in pending:
                key, _ = inflight.pop(fut.key)
                if fut.status == "finished":
                    outcome = TaskOutcome(key, fut.result())
                else:
                    outcome = TaskOutcome(key, error=error_text(fut.exception()))
                fut.release()
                top_up()
                yield outcome
        finally:
            if inflight:
                self._client.cancel([f for _, f in inflight.values()])
                inflight.clear()

    def close(self, *, cancel: bool = False) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _check_reachable(address: str) -> None:
    """Fail fast (no retries for the whole timeout) if a ``tcp://host:port`` refuses connections."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ExecutorError(f"not a scheduler address: {address!r} (expected tcp://host:port)") from None
    if parts.scheme != "tcp" or host is None or port is None:
        if parts.scheme == "tcp":
            raise ExecutorError(f"not a scheduler address: {address!r} (expected tcp://host:port)")
        return  # another protocol (tls://, ucx://): let Dask try it
    try:
        with socket.create_connection((host, port), timeout=DASK_CONNECT_TIMEOUT_SECONDS):
            pass
    except OSError as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address!r} ({error_text(exc)})") from None


# ----------------------------------------------------------------- factory


def make_executor(
    kind: ExecutorKind = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    start_method: str | None = None,
) -> Executor:
    """Create an executor.

    Args:
        kind: ``"local"`` (processes on this machine, the default) or ``"dask"``.
        workers: Worker processes (local, or a Dask cluster started here);
            default: the CPUs available.
        scheduler: Dask only: address of an existing scheduler, e.g.
            ``tcp://host:8786``; without it a local cluster is started.
        start_method: Local only: ``"forkserver"`` or ``"spawn"``, see
            :class:`LocalExecutor`.

    Returns:
        An executor, to be used as a context manager.

    Raises:
        ExecutorError: For an unknown kind, a bad option combination, or an
            unreachable scheduler.
    """
    if kind == "local":
        if scheduler is not None:
            raise ExecutorError("--scheduler needs the Dask executor (--executor dask)")
        return LocalExecutor(workers, start_method=start_method)
    if kind == "dask":
        if start_method is not None:
            raise ExecutorError("a start method applies to the local executor only")
        return DaskExecutor(workers, scheduler=scheduler)
    raise ExecutorError(f"unknown executor {kind!r}; expected 'local' or 'dask'")
