"""Where an experiment's tasks run, shared by sweeps and calibration.

An :class:`Executor` maps a module-level function over tasks and yields
``(task id, result)`` as tasks finish:

- :class:`InProcess` runs them one after another here; each task's kernel call
  uses all numba threads (the fastest choice on one machine);
- :class:`LocalProcesses` runs them on local worker processes (one numba thread
  each);
- :class:`DaskCluster` runs them on a Dask LocalCluster or on any scheduler (e.g.
  one started by dask-jobqueue on Slurm).

Results never depend on the executor: every task's seeds are fixed by the spec.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..core.errors import UsageError
from ..core.lifeline import watch_parent

TaskFn = Callable[[Any, Any], Any]
"""``fn(shared, task)``: a module-level function (it travels to worker processes)."""


def one_thread() -> None:
    """Set up a worker process: one numba thread (the workers are the parallelism),
    and an end when the process that started it ends (even by SIGKILL)."""
    import numba

    numba.set_num_threads(1)
    watch_parent()


def _in_worker(fn: TaskFn, shared: Any, task: Any) -> Any:
    one_thread()
    return fn(shared, task)


def check_address(address: str) -> str:
    """A Dask scheduler address (``tcp://host:port`` or ``host:port``), checked
    before any connection is tried.

    Raises:
        UsageError: naming the flag and what was expected.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    expected = "expected tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)"
    text = address.strip()
    try:
        scheme, location = parse_address(text if "://" in text else f"tcp://{text}")
        if scheme not in ("tcp", "tls"):
            raise ValueError(f"scheme {scheme!r}")
        _host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--scheduler {address!r}: {exc}; {expected}") from None
    if not 1 <= int(port) <= 65535:
        raise UsageError(f"--scheduler {address!r}: port {port} is out of range; {expected} "
                         "with PORT from 1 to 65535")
    return text


class InProcess:
    """Tasks one after another in this process, each with all numba threads."""

    name = "in-process"

    @property
    def workers(self) -> int:
        import numba

        return numba.get_num_threads()

    def map(self, fn: TaskFn, shared: Any, tasks: dict[int, Any],
            name: str = "task") -> Iterator[tuple[int, Any]]:
        for tid, task in tasks.items():
            yield tid, fn(shared, task)

    def close(self) -> None:
        """Release the workers after the work is done."""

    def abort(self) -> None:
        """Stop the workers now (an interruption or an error): nothing keeps running."""
        self.close()


def _call(item: tuple[int, TaskFn, Any, Any]) -> tuple[int, Any]:
    tid, fn, shared, task = item
    return tid, fn(shared, task)


class LocalProcesses(InProcess):
    """Local worker processes (spawned; each warms up from numba's cache).

    A ``multiprocessing`` pool rather than ``concurrent.futures``: its
    ``terminate()`` stops running tasks at once and cleans up after itself, where
    the futures pool, torn down mid-task, lets its manager thread raise on
    cancelled futures and its exit hook write to closed pipes (tracebacks on the
    terminal of an interrupted command).
    """

    name = "local processes"

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp

        self._workers = workers
        self._pool = mp.get_context("spawn").Pool(workers, initializer=one_thread)

    @property
    def workers(self) -> int:
        return self._workers

    def map(self, fn, shared, tasks, name="task"):
        items = ((tid, fn, shared, task) for tid, task in tasks.items())
        yield from self._pool.imap_unordered(_call, items)

    def close(self) -> None:
        self._pool.close()
        self._pool.join()

    def abort(self) -> None:
        self._pool.terminate()  # running tasks too: nothing keeps running
        self._pool.join()


class DaskCluster(InProcess):
    """A Dask distributed cluster: a LocalCluster, or a scheduler at an address."""

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 timeout: float = 5.0) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if scheduler:
            scheduler = check_address(scheduler)
            try:
                self.client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(f"--scheduler {scheduler}: no Dask scheduler answered within "
                                 f"{timeout:g} s ({type(exc).__name__})") from None
        else:
            # the scheduler always serves HTTP (health checks): on this machine only,
            # on a free port, without Dask's dashboard
            self._cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                                         processes=True, dashboard_address="127.0.0.1:0",
                                         scheduler_kwargs={"dashboard": False})
            self.client = Client(self._cluster)
            # our own workers end with this process, even if it is killed before any
            # task reaches them (a scheduler's workers elsewhere are not ours to tie)
            self.client.run(one_thread)
        self._workers = len(self.client.scheduler_info().get("workers", {})) or (workers or 0)

    @property
    def workers(self) -> int:
        return self._workers

    def map(self, fn, shared, tasks, name="task"):
        from distributed import as_completed

        scattered = self.client.scatter(shared, broadcast=True)
        # a key of its own per call: a cancelled future of an earlier call (or another
        # command's on the same scheduler) must never stand in for this one
        call = uuid.uuid4().hex[:12]
        futures = {}
        for tid, task in tasks.items():
            key = f"taobao-sim-{name}-{call}-{tid}"
            futures[self.client.submit(_in_worker, fn, scattered, task, key=key, retries=3,
                                       pure=False)] = tid
        try:
            for fut in as_completed(list(futures)):
                tid = futures.pop(fut)
                result = fut.result()
                fut.release()  # saved by the caller: the cluster need not keep or redo it
                yield tid, result
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


Executor = InProcess | LocalProcesses | DaskCluster


@contextlib.contextmanager
def running(executor: Executor) -> Iterator[Executor]:
    """Use ``executor`` in a block: closed when the block ends, aborted (workers
    stopped at once) when it raises or is interrupted."""
    try:
        yield executor
    except BaseException:
        executor.abort()
        raise
    executor.close()


def make_executor(workers: int | None = None, cluster: str | None = None,
                  scheduler: str | None = None) -> Executor:
    """``scheduler``: an existing Dask scheduler; ``cluster="local"``: a Dask
    LocalCluster of ``workers`` processes; ``workers`` >= 1: local processes;
    otherwise (None or 0) this process."""
    if scheduler:
        return DaskCluster(scheduler=scheduler)
    if cluster == "local":
        return DaskCluster(workers=workers or 2)
    if cluster is not None:
        raise UsageError(f"--cluster {cluster}: expected 'local'")
    if workers:
        if workers > (os.cpu_count() or 1):
            raise UsageError(f"--workers {workers}: this machine has {os.cpu_count()} cores; "
                             "expected at most that for local processes")
        return LocalProcesses(workers)
    return InProcess()
