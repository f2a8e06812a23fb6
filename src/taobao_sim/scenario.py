"""Scenario files (TOML) -> frozen, validated :class:`Scenario` objects.

A scenario may name a parent with ``extends = "other.toml"``; its keys start
from the parent's and override them. Every error names the file that holds the
bad key, the key, and what was expected (:class:`~taobao_sim.errors.ScenarioError`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import dates, params
from ._frozen import FrozenDict
from .errors import ScenarioError
from .params import Param
from .series import Series, load_default_series

MAX_EXTENDS_DEPTH = 16
TARGET_SETS = ("none", "dinglou")

_TOP = {p.key: p for p in params.TOP_LEVEL}
_VILLAGE = {p.key: p for p in params.VILLAGE}
_SECTIONS = {name: {p.key: p for p in ps} for name, ps in params.SECTIONS.items()}
_TABLES = ("villages", "series", *_SECTIONS)


@dataclass(frozen=True)
class VillageSpec:
    """One village of a scenario.

    Attributes:
        name: unique name.
        households: number of households.
        x_km, y_km: position in km.
        internet_from: absolute month number from which households can sell online.
        discovery_multiplier: multiplies ``shops.discovery_rate`` in this village.
    """

    name: str
    households: int
    x_km: float
    y_km: float
    internet_from: int
    discovery_multiplier: float


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build with :func:`load_scenario` or :meth:`replace`.

    Attributes:
        path: the scenario file (absolute), or "" for one built in code.
        name: scenario name.
        start, end: first and last month as absolute month numbers.
        values: every scalar key by dotted name (``"shops.imitation"``), defaults filled in.
        villages: the villages, in file order.
        series: the driving series (built-ins overridden by the file).
        sources: (path, text) of the file and each file it extends, leaf first.
    """

    path: str
    name: str
    start: int
    end: int
    values: Mapping[str, Any]
    villages: tuple[VillageSpec, ...]
    series: Series
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    # -- convenience ---------------------------------------------------------
    def __getitem__(self, dotted: str) -> Any:
        return self.values[dotted]

    @property
    def months(self) -> int:
        """Number of simulated months."""
        return self.end - self.start + 1

    @property
    def seed(self) -> int:
        return int(self.values["seed"])

    @property
    def replicates(self) -> int:
        return int(self.values["replicates"])

    @property
    def targets(self) -> str:
        return str(self.values["targets"])

    @property
    def focus_village(self) -> str:
        return str(self.values["focus_village"]) or self.villages[0].name

    @property
    def households(self) -> int:
        """Households in the whole world (one replicate)."""
        return sum(v.households for v in self.villages)

    def param_vector(self) -> np.ndarray:
        """The kernel parameter vector (float64), in :data:`params.KERNEL_PARAMS` order."""
        return np.array([float(self.values[p.dotted]) for p in params.KERNEL_PARAMS])

    def resolved(self) -> dict[str, Any]:
        """Every setting after ``extends`` and defaults, as plain JSON-ready data."""
        return {
            "name": self.name,
            "start": dates.format_month(self.start),
            "end": dates.format_month(self.end),
            "values": dict(self.values),
            "villages": [
                {**v.__dict__, "internet_from": dates.format_month(v.internet_from)}
                for v in self.villages
            ],
            "series": self.series.as_dict(),
        }

    def digest(self) -> str:
        """SHA-256 of the resolved settings: equal digests mean identical inputs."""
        text = json.dumps(self.resolved(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def replace(self, overrides: Mapping[str, Any] | None = None, **kw: Any) -> Scenario:
        """A copy with some scalar keys changed, validated like a file.

        Keys are dotted names (``{"shops.imitation": 0.1}``) or top-level keyword
        arguments (``replace(seed=3, replicates=5)``).
        """
        changes = dict(overrides or {})
        changes.update(kw)
        origin = self.path or "<scenario>"
        values = dict(self.values)
        for dotted, value in changes.items():
            spec = _spec_for_dotted(dotted)
            if spec is None:
                raise ScenarioError(origin, dotted, "is not a known key" + _suggest(
                    dotted, [p.dotted for p in params.ALL_PARAMS if p.section != "villages"]))
            values[dotted] = _check_value(origin, dotted, spec, value)
        start = dates.parse_month(values["start"])
        end = dates.parse_month(values["end"])
        villages = self.villages
        _check_cross(origin, values, start, end, villages, self.series)
        return Scenario(self.path, values["name"] or self.name, start, end,
                        FrozenDict(values), villages, self.series, self.sources)


# -- loading -------------------------------------------------------------------

def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Raises:
        ScenarioError: naming the file, the key and what was expected.
    """
    leaf = Path(path)
    chain: list[tuple[Path, dict[str, Any], str]] = []
    _read_chain(leaf, chain, seen=[])
    merged: dict[str, Any] = {}
    origin_of: dict[str, str] = {}
    for file, raw, _text in reversed(chain):  # root parent first, leaf last
        _validate_raw(str(file), raw)
        _merge(merged, raw, origin_of, str(file))
    return _build(str(leaf), merged, origin_of, tuple((str(f), t) for f, _r, t in chain))


def _read_chain(path: Path, chain: list, seen: list[Path]) -> None:
    where = str(path)
    try:
        resolved = path.resolve()
    except OSError as exc:  # pragma: no cover - exotic filesystems
        raise ScenarioError(where, None, f"cannot resolve path ({exc.strerror})") from None
    if resolved in seen:
        cycle = " -> ".join(str(p) for p in [*seen, resolved])
        raise ScenarioError(where, "extends", f"forms a cycle ({cycle})")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(where, "extends", f"chain is deeper than {MAX_EXTENDS_DEPTH} files")
    if not path.exists():
        raise ScenarioError(where, None, "file not found")
    if path.is_dir():
        raise ScenarioError(where, None, "is a folder; expected a scenario .toml file")
    try:
        text = path.read_text(encoding="utf-8")
    except PermissionError:
        raise ScenarioError(where, None, "cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ScenarioError(where, None, "is not UTF-8 text; expected a TOML file") from None
    except OSError as exc:
        raise ScenarioError(where, None, f"cannot be read ({exc.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(where, None, f"is not valid TOML: {exc}") from None
    chain.append((path, raw, text))
    parent = raw.get("extends")
    if parent is None:
        return
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(where, "extends", "expected the path of a scenario file as text")
    parent_path = (path.parent / parent).resolve() if not Path(parent).is_absolute() \
        else Path(parent)
    if not parent_path.exists():
        raise ScenarioError(where, "extends", f"names {parent!r}, which does not exist "
                            f"(looked for {parent_path})")
    _read_chain(parent_path, chain, [*seen, resolved])


def _suggest(key: str, choices: list[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def _spec_for_dotted(dotted: str) -> Param | None:
    if "." not in dotted:
        return _TOP.get(dotted)
    section, key = dotted.split(".", 1)
    return _SECTIONS.get(section, {}).get(key)


def _validate_raw(where: str, raw: dict[str, Any]) -> None:
    """Check one file's own keys: names, types and ranges."""
    for key, value in raw.items():
        if key in _TOP:
            _check_value(where, key, _TOP[key], value)
        elif key in _SECTIONS:
            if not isinstance(value, dict):
                raise ScenarioError(where, key, f"expected a table [{key}], got {_kind(value)}")
            table = _SECTIONS[key]
            for sub, subval in value.items():
                dotted = f"{key}.{sub}"
                if sub not in table:
                    raise ScenarioError(where, dotted, "is not a known key"
                                        + _suggest(sub, list(table), prefix=f"{key}."))
                _check_value(where, dotted, table[sub], subval)
        elif key == "villages":
            _validate_villages(where, value)
        elif key == "series":
            _validate_series(where, value)
        else:
            home = [s for s, table in _SECTIONS.items() if key in table]
            if home:  # a section's key written at the top level (or after the wrong table)
                hint = f" (did you mean '{home[0]}.{key}' under [{home[0]}]?)"
            else:
                hint = _suggest(key, list(_TOP) + list(_TABLES))
            raise ScenarioError(where, key, "is not a known key" + hint)


def _validate_villages(where: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ScenarioError(where, "villages", "expected a list of [[villages]] tables")
    if not value:
        raise ScenarioError(where, "villages", "expected at least one [[villages]] table")
    names: set[str] = set()
    for i, village in enumerate(value):
        label = f"villages[{i}]"
        for sub, subval in village.items():
            if sub not in _VILLAGE:
                raise ScenarioError(where, f"{label}.{sub}", "is not a known key"
                                    + _suggest(sub, list(_VILLAGE)))
            _check_value(where, f"{label}.{sub}", _VILLAGE[sub], subval)
        for required in ("name", "households"):
            if required not in village:
                raise ScenarioError(where, f"{label}.{required}", "is missing; every village "
                                    "needs a name and a number of households")
        if not village["name"].strip():
            raise ScenarioError(where, f"{label}.name", "expected a non-empty name")
        if village["name"] in names:
            raise ScenarioError(where, f"{label}.name",
                                f"repeats the village name {village['name']!r}")
        names.add(village["name"])


def _validate_series(where: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise ScenarioError(where, "series", "expected a table of series")
    for name, table in value.items():
        dotted = f"series.{name}"
        if name not in params.SERIES_NAMES:
            raise ScenarioError(where, dotted, "is not a known series"
                                + _suggest(name, list(params.SERIES_NAMES)))
        if not isinstance(table, dict):
            raise ScenarioError(where, dotted, 'expected a table of "YYYY" = value')
        for year, v in table.items():
            if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
                raise ScenarioError(where, f"{dotted}.{year}", "expected a year written YYYY")
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                raise ScenarioError(where, f"{dotted}.{year}",
                                    f"expected a positive number, got {v!r}")


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _check_value(where: str, dotted: str, spec: Param, value: Any) -> Any:
    """Return the value if it has the right type and range, else raise."""
    expected = {"float": "a number", "int": "a whole number", "bool": "true or false",
                "str": "text", "month": 'a month written "YYYY-MM"'}[spec.kind]
    ok_type = {
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "month": isinstance(value, str),
    }[spec.kind]
    if not ok_type:
        raise ScenarioError(where, dotted, f"expected {expected}, got {_kind(value)} "
                            f"({value!r})")
    if spec.kind == "month":
        if value == "" and spec.default == "":
            return value
        try:
            dates.parse_month(value)
        except ValueError as exc:
            raise ScenarioError(where, dotted, f"{exc}") from None
    if spec.kind in ("float", "int"):
        if value != value or value in (float("inf"), float("-inf")):
            raise ScenarioError(where, dotted, f"expected a finite number, got {value!r}")
        if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
            raise ScenarioError(where, dotted, f"is {value!r}; expected {spec.range_text()}"
                                + (f" ({spec.unit})" if spec.unit else ""))
        return float(value) if spec.kind == "float" else int(value)
    if spec.dotted == "targets" and value not in TARGET_SETS:
        raise ScenarioError(where, dotted, f"is {value!r}; expected one of "
                            + ", ".join(repr(t) for t in TARGET_SETS))
    return value


def _merge(merged: dict, raw: dict, origin_of: dict[str, str], where: str) -> None:
    for key, value in raw.items():
        if key == "extends":
            continue
        if key in _SECTIONS or key == "series":
            target = merged.setdefault(key, {})
            for sub, subval in value.items():
                if key == "series":
                    target.setdefault(sub, {}).update(subval)
                else:
                    target[sub] = subval
                origin_of[f"{key}.{sub}"] = where
        else:
            merged[key] = value
            origin_of[key] = where


def _build(leaf: str, merged: dict, origin_of: dict[str, str],
           sources: tuple[tuple[str, str], ...]) -> Scenario:
    values: dict[str, Any] = {}
    for p in params.TOP_LEVEL:
        if p.key != "extends":
            values[p.key] = merged.get(p.key, p.default)
    for section, table in _SECTIONS.items():
        given = merged.get(section, {})
        for key, p in table.items():
            values[f"{section}.{key}"] = given.get(key, p.default)
    if not values["name"]:
        values["name"] = Path(leaf).stem
    start = dates.parse_month(values["start"])
    end = dates.parse_month(values["end"])
    raw_villages = merged.get("villages")
    if not raw_villages:
        raise ScenarioError(leaf, "villages", "expected at least one [[villages]] table "
                            "(or extends = a scenario that has them)")
    villages = []
    for v in raw_villages:
        internet = v.get("internet_from", "")
        villages.append(VillageSpec(
            name=v["name"], households=int(v["households"]),
            x_km=float(v.get("x_km", 0.0)), y_km=float(v.get("y_km", 0.0)),
            internet_from=dates.parse_month(internet) if internet else start,
            discovery_multiplier=float(v.get("discovery_multiplier", 1.0))))
    series = load_default_series().overridden(merged.get("series", {}))
    where = origin_of.get
    _check_cross(leaf, values, start, end, tuple(villages), series, where)
    return Scenario(str(Path(leaf).resolve()), values["name"], start, end,
                    FrozenDict(values), tuple(villages), series, sources)


def _check_cross(leaf: str, values: Mapping[str, Any], start: int, end: int,
                 villages: tuple[VillageSpec, ...], series: Series,
                 where: Any = None) -> None:
    """Constraints between keys, checked on the merged scenario."""

    def origin(key: str) -> str:
        return (where(key) if where else None) or leaf

    if end < start:
        raise ScenarioError(origin("end"), "end", f"is {dates.format_month(end)}, before "
                            f"start {dates.format_month(start)}; expected a month on or "
                            "after start")
    pairs = [("market.margin_min", "market.margin_max"),
             ("market.courier_rate_min", "market.courier_rate_max")]
    for lo_key, hi_key in pairs:
        if values[lo_key] > values[hi_key]:
            raise ScenarioError(origin(lo_key), lo_key, f"is {values[lo_key]!r}, above "
                                f"{hi_key} = {values[hi_key]!r}; expected at most that")
    focus = values["focus_village"]
    names = [v.name for v in villages]
    if focus and focus not in names:
        raise ScenarioError(origin("focus_village"), "focus_village", f"names {focus!r}, "
                            "which is not a village of this scenario"
                            + _suggest(focus, names))
    if values["targets"] == "dinglou" and (dates.year_of(start) > 2010
                                           or dates.year_of(end) < 2018):
        raise ScenarioError(origin("targets"), "targets", "'dinglou' targets need a run "
                            "covering 2010 to 2018; expected start <= 2010-01 and "
                            "end >= 2018-12, or targets = \"none\"")
    for name in ("poverty_line_yuan_head_year", "migrant_wage_yuan_month"):
        missing = series.missing_years(name, dates.year_of(start), dates.year_of(end))
        if missing:
            raise ScenarioError(leaf, f"series.{name}", f"has no value for {missing[0]} "
                                f"(the run covers {dates.year_of(start)}-{dates.year_of(end)});"
                                f" expected one under [series.{name}]")
