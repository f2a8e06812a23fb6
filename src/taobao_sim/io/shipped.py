"""The scenarios and specs shipped with the package, found by name.

``taobao-sim run dinglou`` and ``TaobaoModel("dinglou")`` work from any folder
after ``pip install``: a name that is not a file is looked up among the
shipped files (``dinglou``, ``policies/training``, ``sweeps/sobol``...). In a
clone of the repository, ``scenarios/`` at the top is the same folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .files import path_text_problem

#: Where the shipped scenarios and specs live (inside the installed package).
SHIPPED = Path(__file__).resolve().parents[1] / "scenarios"


@dataclass(frozen=True)
class Shipped:
    """One shipped file: its name (``policies/training``), kind and path."""

    name: str
    kind: str  # "scenario", "policy", "sweep" or "calibration"
    path: Path

    @property
    def description(self) -> str:
        """The file's ``description``, else its first comment line (read without
        validating)."""
        import tomllib

        try:
            text = self.path.read_text("utf-8")
            described = tomllib.loads(text).get("description")
        except (OSError, ValueError):
            return ""
        if described:
            return str(described)
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        return first.lstrip("# ").strip() if first.startswith("#") else ""


_KINDS = {"policies": "policy", "sweeps": "sweep", "calibration": "calibration"}


def shipped() -> list[Shipped]:
    """Every shipped scenario and spec, scenarios first."""
    found = []
    for path in sorted(SHIPPED.rglob("*.toml")):
        rel = path.relative_to(SHIPPED).with_suffix("")
        if rel.parts[0] == "data":
            continue
        kind = _KINDS.get(rel.parts[0], "scenario") if len(rel.parts) > 1 else "scenario"
        found.append(Shipped(rel.as_posix(), kind, path))
    order = ["scenario", "policy", "sweep", "calibration"]
    return sorted(found, key=lambda s: (order.index(s.kind), s.name))


def resolve(name: str | Path) -> Path:
    """``name`` as a path: the file if it exists (or cannot be a shipped name),
    else the shipped file of that name (``dinglou``, ``dinglou.toml``,
    ``policies/training``, ``scenarios/dinglou.toml``); unchanged if there is
    none (the caller reports it)."""
    path = Path(name)
    text = str(name)
    if path_text_problem(text) or path.is_absolute() or path.exists() or ".." in path.parts:
        return path
    # the README's paths (scenarios/dinglou.toml) work from any folder too
    text = text.removeprefix("scenarios/")
    candidate = SHIPPED / (text if text.endswith(".toml") else f"{text}.toml")
    return candidate if candidate.is_file() else path


def names() -> list[str]:
    """The shipped names, for messages."""
    return [s.name for s in shipped()]


def missing_hint(name: str | Path) -> str:
    """For a path that does not exist: the closest shipped name, if any is close."""
    import difflib

    text = str(name).removesuffix(".toml")
    close = difflib.get_close_matches(text, names(), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f" ({hint}taobao-sim scenarios lists the shipped ones)"
