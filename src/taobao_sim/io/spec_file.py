"""Reading spec files (calibration, sweeps): TOML with the same clear errors as
scenario files — the file, the key, and what was expected."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..core.errors import SpecError
from ..core.names import name_from_stem, name_problem
from ..core.scenario import Scenario, suggest
from .scenario_file import load_scenario
from .shipped import resolve
from .toml_files import read_toml


def check_keys(where: str, table: dict[str, Any], allowed: dict[str, type | tuple],
               prefix: str = "") -> None:
    """Unknown keys and wrong types in one table; ``allowed`` maps key -> type(s)."""
    for key, value in table.items():
        dotted = prefix + key
        if key not in allowed:
            raise SpecError(where, dotted, "is not a known key" + suggest(key, list(allowed)))
        want = allowed[key]
        if want is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if ok and not math.isfinite(value):
                raise SpecError(where, dotted, f"is {value!r}; expected a finite number")
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


def spec_name(where: str, raw: dict[str, Any], path: str | Path) -> str:
    """The spec's ``name`` (default: from the file's name), checked to be one safe
    folder name: it becomes ``<out>/<kind>/<name>/``."""
    if "name" not in raw:
        return name_from_stem(Path(path).stem)
    problem = name_problem(raw["name"])
    if problem:
        raise SpecError(where, "name", problem + " (the name becomes a folder)")
    return raw["name"]


def resolve_relative(spec_path: str | Path, target: str) -> Path:
    """A path written in a spec, relative to the spec's folder."""
    p = Path(target)
    return p if p.is_absolute() else (Path(spec_path).resolve().parent / p).resolve()


def read_spec(path: str | Path, allowed: dict[str, type | tuple],
              required: tuple[str, ...]) -> tuple[dict[str, Any], str, str, Scenario]:
    """Read a spec that names a base scenario: its table, text, the file's name for
    errors, and the loaded scenario (``scenario`` key, relative to the spec)."""
    path = resolve(path)
    raw, text = read_toml(path, SpecError)
    where = str(path)
    check_keys(where, raw, allowed)
    for key in required:
        if key not in raw:
            raise SpecError(where, key, "is missing")
    return raw, text, where, load_scenario(resolve_relative(path, raw["scenario"]))
