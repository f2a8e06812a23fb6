"""Reading one TOML file, with a one-line error naming the file for every way it
can fail (missing, a folder or a FIFO or a device, too large, unreadable, not
UTF-8, not TOML)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..core.errors import ScenarioError
from .files import file_problem
from .shipped import missing_hint


def read_toml(path: str | Path, error: type[ScenarioError] = ScenarioError,
              what: str = "a .toml file") -> tuple[dict[str, Any], str]:
    """The parsed tables and the text of a TOML file.

    Raises:
        error: (a :class:`ScenarioError` or subclass) naming the file.
    """
    where = str(path).replace("\x00", "\\0")
    problem = file_problem(path, what)
    if problem == "file not found" and not Path(path).is_absolute():
        problem += missing_hint(path)
    if problem:
        raise error(where, None, problem)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except PermissionError:
        raise error(where, None, "cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise error(where, None, "is not UTF-8 text; expected a TOML file") from None
    except OSError as exc:
        raise error(where, None, f"cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise error(where, None, f"is not valid TOML: {exc}") from None
