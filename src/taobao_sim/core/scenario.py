"""The validated scenario: :class:`Scenario` and :class:`VillageSpec`.

A scenario is built from nested tables (as read from TOML by
:mod:`taobao_sim.io.scenario_file`, or made in code with :meth:`Scenario.replace`).
Every value is checked against the parameter table (:mod:`taobao_sim.core.params`)
and every error names the file that holds the bad key, the key, and what was
expected (:class:`~taobao_sim.core.errors.ScenarioError`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import dates, params, regions
from .errors import ScenarioError
from .frozen import FrozenDict
from .names import name_from_stem, name_problem
from .params import Param
from .resources import ResourceError, check_fits, world_bytes
from .series import Series, load_default_series

TARGET_SETS = ("none", "dinglou", "daiji", "heze")

TOP = {p.key: p for p in params.TOP_LEVEL}
VILLAGE = {p.key: p for p in params.VILLAGE}
SECTIONS = {name: {p.key: p for p in ps} for name, ps in params.SECTIONS.items()}

@dataclass(frozen=True)
class VillageSpec:
    """One village of a scenario.

    Attributes:
        name: unique name.
        households: number of households.
        x_km, y_km: position in km.
        internet_from: absolute month number from which households can sell online.
        industry_base: share of households that made the product before online selling.
        category: the product category its sellers sell.
        township, county: the administrative units it belongs to ("" if not given).
    """

    name: str
    households: int
    x_km: float
    y_km: float
    internet_from: int
    industry_base: float
    category: str
    township: str = ""
    county: str = ""


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
        regions: the rows of its regions table (``regions.file``), or empty.
    """

    path: str
    name: str
    start: int
    end: int
    values: Mapping[str, Any]
    villages: tuple[VillageSpec, ...]
    series: Series
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    regions: tuple[Mapping[str, Any], ...] = ()

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

    @property
    def categories(self) -> tuple[str, ...]:
        """The product categories of the villages, in order of first appearance."""
        return tuple(dict.fromkeys(v.category for v in self.villages))

    def param_vector(self) -> np.ndarray:
        """The kernel parameter vector (float64), in :data:`params.KERNEL_PARAMS` order.

        Months become month indices since the start (-1 when not set)."""
        out = []
        courier = self.courier_factor()
        for p in params.KERNEL_PARAMS:
            v = self.values[p.dotted]
            if p.kind == "month":
                out.append(float(dates.parse_month(v) - self.start) if v else -1.0)
            elif p.dotted in ("market.courier_rate_min", "market.courier_rate_max"):
                out.append(float(v) * courier)
            elif p.dotted == "market.market_scale":
                out.append(self.market_scale)
            else:
                out.append(float(v))
        return np.array(out)

    @property
    def market_scale(self) -> float:
        """The multiple of the series' market this world faces: ``market.market_scale``,
        times, in a [regions] world, its households over ``regions.market_households``."""
        scale = float(self.values["market.market_scale"])
        if self.values["regions.file"]:
            scale *= regions.market_scale(self.households, self.values)
        return scale

    def courier_factor(self) -> float:
        """What courier rates are multiplied by: in a [regions] world of one region,
        1 + its distance to the hubs / ``regions.courier_km``; else 1."""
        chosen = regions.regions_of(self.regions, self.values) if self.regions else []
        return regions.courier_factor(chosen[0], self.values) if len(chosen) == 1 else 1.0

    def resolved(self) -> dict[str, Any]:
        """Every setting after ``extends`` and defaults, as plain JSON-ready data.

        The villages of a [synthetic] world follow from its keys and are not listed.
        """
        villages: Any = [
            {**v.__dict__, "internet_from": dates.format_month(v.internet_from)}
            for v in self.villages
        ] if not (self.values["synthetic.villages"] or self.values["regions.file"]) else \
            "generated by [synthetic]" if self.values["synthetic.villages"] else \
            {"generated by [regions]": [dict(r) for r in self.regions]}
        return {
            "name": self.name,
            "start": dates.format_month(self.start),
            "end": dates.format_month(self.end),
            "values": dict(self.values),
            "villages": villages,
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
            spec = spec_for_dotted(dotted)
            if spec is None:
                raise ScenarioError(origin, dotted, "is not a known key" + suggest(
                    dotted, [p.dotted for p in params.ALL_PARAMS if p.section != "villages"]))
            values[dotted] = check_value(origin, dotted, spec, value)
        start = dates.parse_month(values["start"])
        end = dates.parse_month(values["end"])
        villages = self.villages
        if values["synthetic.villages"] and (
            any(k.startswith("synthetic.") for k in changes) or start != self.start
        ):
            check_synthetic_fits(values, origin)
            villages = _village_specs(synthetic_villages(values), start)
        if "regions.file" in changes:
            raise ScenarioError(origin, "regions.file", "cannot be changed in code; expected "
                                "it in the scenario file")
        if values["regions.file"] and (
            any(k.startswith("regions.") for k in changes) or start != self.start
        ):
            villages = _village_specs(_regions_villages(self.regions, values, origin), start)
        _check_cross(origin, values, start, end, villages, self.series)
        return Scenario(self.path, values["name"] or self.name, start, end,
                        FrozenDict(values), villages, self.series, self.sources, self.regions)


# -- checking values ---------------------------------------------------------------

def suggest(key: str, choices: list[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def spec_for_dotted(dotted: str) -> Param | None:
    if "." not in dotted:
        return TOP.get(dotted)
    section, key = dotted.split(".", 1)
    return SECTIONS.get(section, {}).get(key)


def kind_of(value: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def check_value(where: str, dotted: str, spec: Param, value: Any) -> Any:
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
        raise ScenarioError(where, dotted, f"expected {expected}, got {kind_of(value)} "
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
    if spec.dotted == "name" and value:
        problem = name_problem(value)
        if problem:
            raise ScenarioError(where, dotted, problem + " (the name becomes a folder)")
    if spec.dotted == "targets" and value not in TARGET_SETS:
        raise ScenarioError(where, dotted, f"is {value!r}; expected one of "
                            + ", ".join(repr(t) for t in TARGET_SETS))
    return value


# -- building ----------------------------------------------------------------------

def build_scenario(leaf: str, merged: Mapping[str, Any], origin_of: Callable[[str], str | None],
                   sources: tuple[tuple[str, str], ...] = ()) -> Scenario:
    """A scenario from merged tables (top-level keys, ``[section]`` tables, a
    ``villages`` list and ``series`` tables), defaults filled in and cross-checked.

    Args:
        leaf: the file the tables came from (its stem names the scenario by default).
        merged: the tables, after ``extends`` chains are merged.
        origin_of: the file that set a dotted key (for error messages), or None.
        sources: (path, text) of the files read, leaf first.
    """
    values: dict[str, Any] = {}
    for p in params.TOP_LEVEL:
        if p.key != "extends":
            values[p.key] = merged.get(p.key, p.default)
    for section, table in SECTIONS.items():
        given = merged.get(section, {})
        for key, p in table.items():
            values[f"{section}.{key}"] = given.get(key, p.default)
    if not values["name"]:
        values["name"] = name_from_stem(Path(leaf).stem)
    start = dates.parse_month(values["start"])
    end = dates.parse_month(values["end"])
    raw_villages = merged.get("villages")
    table = tuple(FrozenDict(r) for r in merged.get("regions_table", ()))
    if values["synthetic.villages"]:
        check_synthetic_fits(values, origin_of("synthetic.villages") or leaf)
        raw_villages = synthetic_villages(values)
    elif values["regions.file"]:
        raw_villages = _regions_villages(table, values, origin_of("regions.province") or leaf)
    if not raw_villages:
        raise ScenarioError(leaf, "villages", "expected at least one [[villages]] table "
                            "(or extends = a scenario that has them, or [synthetic] villages)")
    villages = _village_specs(raw_villages, start)
    series = load_default_series().overridden(merged.get("series", {}))
    _check_cross(leaf, values, start, end, villages, series, origin_of)
    return Scenario(str(Path(leaf).resolve()), values["name"], start, end,
                    FrozenDict(values), villages, series, sources, table)


def _regions_villages(table: tuple[Mapping[str, Any], ...], values: Mapping[str, Any],
                      where: str) -> list[dict[str, Any]]:
    """The villages of a [regions] world, after checking the region it names."""
    only = values["regions.province"]
    names = [r["province"] for r in table]
    if only and only not in names:
        raise ScenarioError(where, "regions.province", f"names {only!r}, which is not a "
                            "region of the table" + suggest(only, names))
    return regions.world_villages(table, values)


def _village_specs(raw: list[dict[str, Any]], start: int) -> tuple[VillageSpec, ...]:
    out = []
    for v in raw:
        internet = v.get("internet_from", "")
        out.append(VillageSpec(
            name=v["name"], households=int(v["households"]),
            x_km=float(v.get("x_km", 0.0)), y_km=float(v.get("y_km", 0.0)),
            internet_from=dates.parse_month(internet) if internet else start,
            industry_base=float(v.get("industry_base", 0.0)),
            category=str(v.get("category", "costumes")),
            township=str(v.get("township", "")), county=str(v.get("county", ""))))
    return tuple(out)


def check_synthetic_fits(values: Mapping[str, Any], where: str) -> None:
    """A [synthetic] world within every key's range may still not fit in memory;
    say so before building its villages."""
    n, h = int(values["synthetic.villages"]), int(values["synthetic.households"])
    try:
        check_fits(world_bytes(n * h, n),
                   f"a world of {n:,} villages of {h:,} households ({n * h:,} households)",
                   "use fewer or smaller villages")
    except ResourceError as exc:
        raise ScenarioError(where, "synthetic.villages", str(exc)) from None


def synthetic_villages(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The villages of a [synthetic] world: identical, on a square grid."""
    n = int(values["synthetic.villages"])
    side = int(np.ceil(np.sqrt(n)))
    spacing = float(values["synthetic.spacing_km"])
    seeds = int(values["synthetic.seed_villages"]) or n
    internet = values["synthetic.internet_from"]
    base = float(values["synthetic.industry_base"])
    out = []
    for i in range(n):
        v = {"name": f"V{i + 1:07d}", "households": int(values["synthetic.households"]),
             "x_km": spacing * (i % side), "y_km": spacing * (i // side),
             "industry_base": base if i < seeds else 0.0}
        if internet:
            v["internet_from"] = internet
        out.append(v)
    return out


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
    pairs = [("market.goods_share_min", "market.goods_share_max"),
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
                            + suggest(focus, names))
    kind = values["targets"]
    if kind in ("dinglou", "daiji", "heze") and (dates.year_of(start) > 2010
                                                 or dates.year_of(end) < 2018):
        raise ScenarioError(origin("targets"), "targets", f"{kind!r} targets need a run "
                            "covering 2010 to 2018; expected start <= 2010-01 and "
                            "end >= 2018-12, or targets = \"none\"")
    needed = ["poverty_line_yuan_head_year", "migrant_wage_yuan_month"]
    needed += [demand_series(c) for c in dict.fromkeys(v.category for v in villages)]
    for name in needed:
        if name.startswith("demand_") and name not in series.values:
            raise ScenarioError(leaf, "villages.category", f"names a category with no demand "
                                f"series {name!r}; expected a [series.{name}] table or one "
                                f"of: " + ", ".join(s[7:-11] for s in series.values
                                                   if s.startswith("demand_")))
        if name.startswith("demand_") and 2019 not in series.values[name]:
            raise ScenarioError(leaf, f"series.{name}", "has no value for 2019, the year in "
                                "which a category's market is sized against costumes'")
        missing = series.missing_years(name, dates.year_of(start), dates.year_of(end))
        if missing:
            raise ScenarioError(leaf, f"series.{name}", f"has no value for {missing[0]} "
                                f"(the run covers {dates.year_of(start)}-{dates.year_of(end)});"
                                f" expected one under [series.{name}]")


def demand_series(category: str) -> str:
    """Name of the series of national online demand for a product category."""
    return f"demand_{category}_yuan_year"
