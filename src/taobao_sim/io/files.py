"""Checking a path the user named before it is opened.

A name with a NUL byte, a name too long for the file system, a symlink loop, a
FIFO (opening it blocks until someone writes), a device such as /dev/zero (an
endless read) or a file far larger than any input of the tool: each becomes one
line saying what the path is and what was expected, instead of a traceback, a
hang or an exhausted memory.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: Largest input text file read whole (scenario, spec, villages table), bytes.
MAX_TEXT_BYTES = 64 * 2**20


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


#: Longest path and file name this tool accepts, characters (Linux's limits).
MAX_PATH, MAX_NAME = 4096, 255


def path_text_problem(path: str | Path) -> str | None:
    """What makes the text of ``path`` unusable as a path (NUL byte, too long),
    without looking at the file system; or None."""
    text = os.fspath(path)
    if "\x00" in text:
        return "contains a NUL byte; expected a path"
    if len(text) > MAX_PATH or any(len(part) > MAX_NAME for part in text.split(os.sep)):
        return f"is too long for the file system ({len(text):,} characters)"
    return None


def path_problem(path: str | Path) -> str | None:
    """What makes ``path`` unusable as a path at all (NUL byte, too long, symlink
    loop, a parent that is a file), or None. A missing file is not a problem here."""
    text = os.fspath(path)
    problem = path_text_problem(text)
    if problem:
        return problem
    try:
        os.stat(text)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return f"is too long for the file system ({len(text):,} characters)"
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        if exc.errno == errno.ENOTDIR:
            return "has a part that is a file, not a folder"
        if exc.errno == errno.EACCES:
            return "cannot be reached (permission denied)"
        return f"cannot be used ({exc.strerror})"
    return None


def file_problem(path: str | Path, what: str = "a file",
                 max_bytes: int | None = None) -> str | None:
    """What stops ``path`` from being read as ``what`` (missing, a folder, a FIFO or
    device, larger than ``max_bytes`` (default: :data:`MAX_TEXT_BYTES`), or unusable
    as a path), or None."""
    max_bytes = MAX_TEXT_BYTES if max_bytes is None else max_bytes
    problem = path_problem(path)
    if problem:
        return problem
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return "is a symbolic link to a missing file"
        return "file not found"
    if not stat.S_ISREG(info.st_mode):
        return f"is {_kind(info.st_mode)}; expected {what}"
    if info.st_size > max_bytes:
        return (f"is {info.st_size / 2**20:,.0f} MiB; expected {what} of at most "
                f"{max_bytes / 2**20:,.0f} MiB")
    return None
