"""Reading spec files (calibration, sweeps): TOML with the same clear errors as
scenario files — the file, the key, and what was expected."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from .errors import ScenarioError


class SpecError(ScenarioError):
    """A calibration or sweep spec that cannot be read or does not validate."""


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """The parsed table and the text of a TOML file."""
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise SpecError(where, None, "file not found")
    if path.is_dir():
        raise SpecError(where, None, "is a folder; expected a .toml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(where, None, f"cannot be read ({exc})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(where, None, f"is not valid TOML: {exc}") from None


def suggest(key: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_keys(where: str, table: dict[str, Any], allowed: dict[str, type | tuple],
               prefix: str = "") -> None:
    """Unknown keys and wrong types in one table; ``allowed`` maps key -> type(s)."""
    for key, value in table.items():
        dotted = prefix + key
        if key not in allowed:
            raise SpecError(where, dotted, "is not a known key" + suggest(key, tuple(allowed)))
        want = allowed[key]
        if want is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif want is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, want)
        if not ok:
            names = {float: "a number", int: "a whole number", str: "text", bool: "true or false",
                     dict: "a table", list: "a list"}
            expected = names.get(want, str(want)) if not isinstance(want, tuple) else \
                " or ".join(names.get(w, str(w)) for w in want)
            raise SpecError(where, dotted, f"expected {expected}, got {value!r}")


def resolve_relative(spec_path: str | Path, target: str) -> Path:
    """A path written in a spec, relative to the spec's folder."""
    p = Path(target)
    return p if p.is_absolute() else (Path(spec_path).resolve().parent / p).resolve()


def read_spec(path: str | Path, allowed: dict[str, type | tuple],
              required: tuple[str, ...]):
    """Read a spec that names a base scenario: its table, text, the file's name for
    errors, and the loaded scenario (``scenario`` key, relative to the spec)."""
    from .scenario import load_scenario

    raw, text = read_toml(path)
    where = str(path)
    check_keys(where, raw, allowed)
    for key in required:
        if key not in raw:
            raise SpecError(where, key, "is missing")
    return raw, text, where, load_scenario(resolve_relative(path, raw["scenario"]))


def number(x: float | None) -> str:
    """A number for tables: thousands separated, three significant digits below."""
    if x is None or x != x or x in (float("inf"), float("-inf")):
        return "n/a"
    x = float(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x else "0"
