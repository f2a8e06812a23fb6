"""Errors a user can cause, each carrying one line of explanation.

The command line turns these into a single message and exit status 2; code
that calls the library can catch them like any other exception.
"""

from __future__ import annotations


class TaobaoSimError(Exception):
    """Base class for errors caused by user input (files, flags, specs)."""

    exit_status = 2


class ScenarioError(TaobaoSimError):
    """A scenario file that cannot be read or does not validate.

    Attributes:
        path: the file at fault (the file that holds the bad key, which may be
            a parent named by ``extends``).
        key: the dotted key at fault, e.g. ``"shops.imitation"``, or ``None``
            when the whole file is at fault.
    """

    def __init__(self, path: str, key: str | None, message: str) -> None:
        self.path = str(path)
        self.key = key
        self.detail = message
        where = f"{self.path}: " + (f"key '{key}': " if key else "")
        super().__init__(where + message)


class SpecError(ScenarioError):
    """A calibration or sweep spec that cannot be read or does not validate."""


class UsageError(TaobaoSimError):
    """A bad command-line flag or argument."""
