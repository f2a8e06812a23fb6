"""One command at a time per sweep or calibration folder.

Two commands writing the same folder would delete or overwrite each other's
work. A command holds an exclusive ``flock`` on a lock file beside the folder
while it works; the kernel releases it when the process ends however it ends
(so a killed command never leaves a stale lock). The file names its holder, so
the second command can say who has the folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import UsageError
from . import provenance


def lock_path(folder: Path) -> Path:
    """The lock file of ``folder``: a hidden file beside it."""
    folder = Path(folder)
    return folder.parent / f".{folder.name}.lock"


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return (f"process {info['pid']} on {info['host']} ({' '.join(info['command'])}, "
                f"since {info['since']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the lock of ``folder`` within the block (its parent folder must exist).

    Raises:
        UsageError: if another process holds it, naming that process.
    """
    path = lock_path(folder)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(f"{folder} is in use by {_holder(path)}; wait for it to "
                             "finish or stop it") from None
        # the previous holder may have removed the file between our open and flock
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
                "since": provenance.now_iso()}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def check_free(folder: Path) -> None:
    """Raise :class:`UsageError` now if another process holds ``folder``'s lock (a
    check before workers start; the work itself takes the lock)."""
    if lock_path(folder).parent.is_dir():
        with folder_lock(folder):
            pass
