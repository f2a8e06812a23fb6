"""Processes end with the command that started them.

Two rules, kept by everything that starts a process:

- **Signals are interruptions.** SIGTERM and SIGHUP (a ``kill``, a closed
  terminal, a batch system's time limit) are handled like Ctrl-C: they raise
  :class:`Interrupted`, so the same clean-up runs (worker processes stopped,
  partial folders removed, finished work kept and said so).
- **Workers die with their parent.** A worker process (local pool, Dask
  LocalCluster, the dashboard's server) watches the process that started it and
  exits when it is gone, even when that parent was killed with SIGKILL and
  could clean up nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

#: Environment variable naming the process a child should outlive no longer.
PARENT_ENV = "TAOBAO_SIM_PARENT_PID"

#: Seconds between two looks at the parent.
WATCH_SECONDS = 0.5


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP.

    Attributes:
        signal_name: "SIGINT", "SIGTERM" or "SIGHUP".
        kept: what the interrupted command kept (a sentence), "" if nothing.
    """

    def __init__(self, signal_name: str = "SIGINT", kept: str = "") -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.kept = kept

    @property
    def exit_status(self) -> int:
        """128 + the signal's number, as shells report a command a signal ended."""
        return 128 + int(getattr(signal, self.signal_name, signal.SIGINT))


def interrupted(exc: BaseException, kept: str) -> Interrupted:
    """An :class:`Interrupted` for ``exc`` (a KeyboardInterrupt) that says what
    was kept."""
    return Interrupted(getattr(exc, "signal_name", "SIGINT"), kept)


def _raise(signum: int, _frame) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Interrupted` (main thread
    only; elsewhere the block changes nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
              if s is not None]
    old = {s: signal.signal(s, _raise) for s in wanted}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


_watching = threading.Event()


def watch_parent(parent: int | None = None) -> None:
    """End this process (exit status 1) as soon as ``parent`` (default: the parent
    process now, or the pid in ``TAOBAO_SIM_PARENT_PID``) is gone. Starts one daemon
    thread per process; later calls do nothing."""
    if _watching.is_set():
        return
    _watching.set()
    if parent is None:
        parent = int(os.environ.get(PARENT_ENV) or os.getppid())
    parent_is_ours = parent == os.getppid()

    def gone() -> bool:
        if parent == os.getppid():
            return False
        if parent_is_ours:  # orphans are adopted by another process
            return True
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def loop() -> None:
        while not gone():
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=loop, name="taobao-sim-lifeline", daemon=True).start()
