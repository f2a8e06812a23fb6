"""Scenario files (TOML) -> validated :class:`~taobao_sim.core.scenario.Scenario`.

A scenario may name a parent with ``extends = "other.toml"``; its keys start
from the parent's and override them. This module reads the chain, checks each
file's own keys (so an error names the file that holds the bad key) and merges
them; :func:`taobao_sim.core.scenario.build_scenario` fills in defaults and
checks the constraints between keys.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..core import dates, params, regions
from ..core.errors import ScenarioError
from ..core.scenario import (
    SECTIONS,
    TOP,
    VILLAGE,
    Scenario,
    build_scenario,
    check_value,
    kind_of,
    suggest,
)
from .files import file_problem, path_problem
from .shipped import resolve
from .toml_files import read_toml

MAX_EXTENDS_DEPTH = 16
_TABLES = ("villages", "series", *SECTIONS)


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file, given by its path or
    by the name of a shipped scenario (``"dinglou"``, ``"policies/training"``).

    Raises:
        ScenarioError: naming the file, the key and what was expected.
    """
    leaf = resolve(path)
    chain: list[tuple[Path, dict[str, Any], str]] = []
    _read_chain(leaf, chain, seen=[])
    merged: dict[str, Any] = {}
    origin_of: dict[str, str] = {}
    for file, raw, _text in reversed(chain):  # root parent first, leaf last
        _validate_raw(str(file), raw)
        _merge(merged, raw, origin_of, str(file))
    return build_scenario(str(leaf), merged, origin_of.get,
                          tuple((str(f), t) for f, _r, t in chain))


def _read_chain(path: Path, chain: list, seen: list[Path]) -> None:
    where = str(path).replace("\x00", "\\0")
    problem = path_problem(path)
    if problem:
        raise ScenarioError(where, None, problem)
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a loop made of several links
        raise ScenarioError(where, None, f"cannot resolve path ({exc})") from None
    if resolved in seen:
        cycle = " -> ".join(str(p) for p in [*seen, resolved])
        raise ScenarioError(where, "extends", f"forms a cycle ({cycle})")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(where, "extends", f"chain is deeper than {MAX_EXTENDS_DEPTH} files")
    raw, text = read_toml(path, ScenarioError, "a scenario .toml file")
    chain.append((path, raw, text))
    parent = raw.get("extends")
    if parent is None:
        return
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(where, "extends", "expected the path of a scenario file as text")
    parent_path = (path.parent / parent).resolve() if not Path(parent).is_absolute() \
        else Path(parent)
    problem = file_problem(parent_path, "a scenario .toml file")
    if problem:
        raise ScenarioError(where, "extends", f"names {parent!r}: {problem} "
                            f"(looked for {parent_path})")
    _read_chain(parent_path, chain, [*seen, resolved])


def _validate_raw(where: str, raw: dict[str, Any]) -> None:
    """Check one file's own keys: names, types and ranges."""
    for key, value in raw.items():
        if key in TOP:
            check_value(where, key, TOP[key], value)
        elif key in SECTIONS:
            if not isinstance(value, dict):
                raise ScenarioError(where, key, f"expected a table [{key}], got {kind_of(value)}")
            table = SECTIONS[key]
            for sub, subval in value.items():
                dotted = f"{key}.{sub}"
                if sub not in table:
                    raise ScenarioError(where, dotted, "is not a known key"
                                        + suggest(sub, list(table), prefix=f"{key}."))
                check_value(where, dotted, table[sub], subval)
        elif key == "villages":
            _validate_villages(where, value)
            if raw.get("villages_file"):
                raise ScenarioError(where, "villages_file", "is set, but this file also "
                                    "lists [[villages]]; expected one or the other")
            for dotted, section, sub in (("synthetic.villages", "synthetic", "villages"),
                                         ("regions.file", "regions", "file")):
                if raw.get(section, {}).get(sub):
                    raise ScenarioError(where, dotted, "is set, but this file also "
                                        "lists [[villages]]; expected one or the other")
        elif key == "series":
            _validate_series(where, value)
        else:
            home = [s for s, table in SECTIONS.items() if key in table]
            if home:  # a section's key written at the top level (or after the wrong table)
                hint = f" (did you mean '{home[0]}.{key}' under [{home[0]}]?)"
            else:
                hint = suggest(key, list(TOP) + list(_TABLES))
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
            if sub not in VILLAGE:
                raise ScenarioError(where, f"{label}.{sub}", "is not a known key"
                                    + suggest(sub, list(VILLAGE)))
            check_value(where, f"{label}.{sub}", VILLAGE[sub], subval)
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
        if name not in params.SERIES_NAMES and not (
                name.startswith("demand_") and name.endswith("_yuan_year") and len(name) > 18):
            raise ScenarioError(where, dotted, "is not a known series (or a category's "
                                "demand_<category>_yuan_year)"
                                + suggest(name, list(params.SERIES_NAMES)))
        if not isinstance(table, dict):
            raise ScenarioError(where, dotted, 'expected a table of "YYYY" = value')
        for year, v in table.items():
            if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
                raise ScenarioError(where, f"{dotted}.{year}", "expected a year written YYYY")
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                raise ScenarioError(where, f"{dotted}.{year}",
                                    f"expected a positive number, got {v!r}")


def _table_path(where: str, key: str, name: str, what: str) -> Path:
    """The table file a scenario's ``key`` names (relative to the file ``where``),
    checked before it is opened."""
    problem = path_problem(name)
    path = Path(name) if problem or Path(name).is_absolute() else Path(where).parent / name
    problem = problem or file_problem(path, what)
    if problem:
        raise ScenarioError(where, key, f"names {name!r}: {problem} (looked for {path})")
    return path


def read_villages_file(where: str, name: str) -> list[dict[str, Any]]:
    """The rows of a villages CSV (``villages_file``, relative to the file ``where``
    that names it) as [[villages]] tables, each value checked like a key of one."""
    path = _table_path(where, "villages_file", name, "a villages table (.csv)")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            for column in header:
                if column not in VILLAGE:
                    raise ScenarioError(str(path), column, "is not a village key"
                                        + suggest(column, list(VILLAGE)))
            rows = [{key: _cell(str(path), f"row {n}.{key}", key, text)
                     for key, text in row.items() if text not in (None, "")}
                    for n, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(str(path), None, f"cannot read the villages table ({exc})") from None
    _validate_villages(str(path), rows)
    return rows


def read_regions_file(where: str, name: str) -> list[dict[str, Any]]:
    """The rows of a regions table (``regions.file``, relative to the file ``where``
    that names it), each needed column (:data:`taobao_sim.core.regions.COLUMNS`)
    checked and typed; other columns (names in other scripts, sources) are kept as
    text."""
    path = _table_path(where, "regions.file", name, "a regions table (.csv)")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in regions.COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ScenarioError(str(path), missing[0], "is a column the regions table "
                                    "needs; expected a header with " + ", ".join(regions.COLUMNS))
            rows = [_region_row(str(path), n, row) for n, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(str(path), None, f"cannot read the regions table ({exc})") from None
    if not rows:
        raise ScenarioError(str(path), None, "has no regions; expected one row a region")
    names = [r["province"] for r in rows]
    for n, r in enumerate(names):
        if names.index(r) != n:
            raise ScenarioError(str(path), f"row {n + 2}.province", f"repeats {r!r}; expected "
                                "one row a region")
    return rows


def _region_row(where: str, n: int, row: dict[str, str]) -> dict[str, Any]:
    """One row of a regions table, its needed columns typed and checked."""
    out: dict[str, Any] = dict(row)
    for column, (kind, meaning) in regions.COLUMNS.items():
        text = (row.get(column) or "").strip()
        label = f"row {n}.{column}"
        try:
            if kind == "str":
                value: Any = text
                ok = bool(text)
            elif kind == "month":
                value = text
                ok = bool(text) and dates.parse_month(text) is not None
            else:
                value = int(text) if kind == "int" else float(text)
                ok = value == value and 0 <= value < float("inf") and (
                    column in ("industry_base", "distance_km") or value > 0)
                ok = ok and (column != "industry_base" or value <= 1)
        except ValueError:
            ok = False
        if not ok:
            expected = {"str": "text", "month": 'a month "YYYY-MM"',
                        "int": "a positive whole number", "float": "a positive number"}[kind]
            if column == "industry_base":
                expected = "a share from 0 to 1"
            raise ScenarioError(where, label, f"is {text!r}; expected {expected} ({meaning})")
        out[column] = value
    return out


def _cell(where: str, label: str, key: str, text: str) -> Any:
    """A CSV cell as the type of its village key."""
    spec = VILLAGE[key]
    try:
        value: Any = {"int": int, "float": float}.get(spec.kind, str)(text.strip())
    except ValueError:
        expected = "a whole number" if spec.kind == "int" else "a number"
        raise ScenarioError(where, label, f"is {text!r}; expected {expected}") from None
    return check_value(where, label, spec, value)


def _merge(merged: dict, raw: dict, origin_of: dict[str, str], where: str) -> None:
    # A file's own map replaces an inherited one of the other kind.
    if raw.get("villages_file"):
        raw = {**raw, "villages": read_villages_file(where, raw["villages_file"])}
    if raw.get("regions", {}).get("file"):
        merged["regions_table"] = read_regions_file(where, raw["regions"]["file"])
    if raw.get("synthetic", {}).get("villages") or raw.get("regions", {}).get("file"):
        merged.pop("villages", None)
    if "villages" in raw or raw.get("regions", {}).get("file"):
        merged.get("synthetic", {}).pop("villages", None)
    if "villages" in raw or raw.get("synthetic", {}).get("villages"):
        merged.get("regions", {}).pop("file", None)
        merged.pop("regions_table", None)
    for key, value in raw.items():
        if key == "extends":
            continue
        if key in SECTIONS or key == "series":
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


def toml_value(value: Any) -> str:
    """A value written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        text = repr(value)
        return text if ("." in text or "e" in text or "inf" in text or "nan" in text) \
            else text + ".0"
    return str(value)

