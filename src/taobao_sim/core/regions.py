"""Worlds drawn from regional statistics: a country's villages from its provinces'
counts (the ``[regions]`` section of a scenario).

A regions table has one row per region (province) with its counts and dates
(:data:`COLUMNS`). From it, each region's villages are drawn with a seed of their
own (``regions.world_seed`` and the region's code), so a region's villages are the
same whether it is built alone or with the others:

- its townships and county seats are points spread uniformly over a disc of the
  region's land area; each village is a point of that disc and belongs to the
  nearest township centre, each township to the nearest county centre (so
  townships and counties are contiguous, with as many villages a township as the
  region has on average);
- its households (census rural households: rural residents over the rural
  household size) are split over its villages, lognormal around the mean;
- a village can sell online from the later of its internet and courier months,
  each drawn around the region's dates;
- a share ``industry_base`` of its villages have a craft base
  (``regions.craft_share`` of their households know the product).

``regions.sample`` keeps a uniform random share of each region's townships with
all their villages (a cluster sample, so Taobao towns are still counted), and
:func:`region_scale` says by how much each region's counts are to be multiplied.

All villages sell the pooled category "other" (no national category series
exists for their many niches): see docs/ODD.md for how a world of regions faces
its share of that market.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from . import dates

#: Columns of a regions table: name -> (kind, meaning).
COLUMNS: dict[str, tuple[str, str]] = {
    "province": ("str", "region name (unique)"),
    "code": ("int", "numeric code (seeds the region's geography)"),
    "counties": ("int", "county-level units"),
    "townships": ("int", "township-level units with villages (towns and townships)"),
    "villages_2009": ("int", "administrative villages in 2009"),
    "villages_2020": ("int", "administrative villages in 2020"),
    "rural_residents_2010": ("float", "rural resident population, 2010 census (persons)"),
    "rural_household_size_2010": ("float", "persons per rural household, 2010 census"),
    "internet_from": ("month", "month by which its typical village had internet access"),
    "courier_from": ("month", "month by which couriers typically reached its villages"),
    "industry_base": ("float", "share of its villages with a craft or light-industry base"),
    "distance_km": ("float", "distance to the nearest main e-commerce hub, km"),
    "area_km2": ("float", "land area, km2"),
}

#: The product category of every village of a regions world.
CATEGORY = "other"
#: Village sizes never fall below this many households.
MIN_HOUSEHOLDS = 10


@dataclass(frozen=True)
class Region:
    """One region of a regions table, as the world builder uses it.

    Attributes:
        name, code: its name and numeric code.
        counties, townships, villages: its units (villages in ``regions.villages_year``).
        households: its rural households (census rural residents / household size).
        internet_from, courier_from: absolute month numbers.
        industry_base: share of its villages with a craft base.
        distance_km: distance to the nearest main e-commerce hub, km.
        area_km2: land area, km2.
    """

    name: str
    code: int
    counties: int
    townships: int
    villages: int
    households: int
    internet_from: int
    courier_from: int
    industry_base: float
    distance_km: float
    area_km2: float


def region_of(row: Mapping[str, Any], villages_year: int) -> Region:
    """A :class:`Region` from a checked table row; its villages interpolated linearly
    between the 2009 and 2020 counts for ``villages_year``."""
    w = (villages_year - 2009) / (2020 - 2009)
    villages = round((1 - w) * row["villages_2009"] + w * row["villages_2020"])
    households = round(row["rural_residents_2010"] / row["rural_household_size_2010"])
    townships = max(1, min(int(row["townships"]), villages))
    return Region(
        name=str(row["province"]), code=int(row["code"]),
        counties=max(1, min(int(row["counties"]), townships)), townships=townships,
        villages=max(1, villages), households=max(households, villages * MIN_HOUSEHOLDS),
        internet_from=dates.parse_month(row["internet_from"]),
        courier_from=dates.parse_month(row["courier_from"]),
        industry_base=float(row["industry_base"]), distance_km=float(row["distance_km"]),
        area_km2=float(row["area_km2"]))


def regions_of(rows: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> list[Region]:
    """The regions a scenario simulates: every row, or the one ``regions.province``
    names."""
    year = int(values["regions.villages_year"])
    only = values["regions.province"]
    return [region_of(r, year) for r in rows if not only or r["province"] == only]


def _disc(rng: np.random.Generator, n: int, radius: float) -> np.ndarray:
    """``n`` points uniform over a disc of ``radius`` km, shape (n, 2)."""
    r = radius * np.sqrt(rng.random(n))
    a = 2.0 * np.pi * rng.random(n)
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


def _sizes(rng: np.random.Generator, n: int, total: int, sigma: float) -> np.ndarray:
    """``n`` village sizes, lognormal with spread ``sigma``, at least MIN_HOUSEHOLDS,
    summing to ``total`` (largest remainders)."""
    w = rng.lognormal(0.0, sigma, n)
    spare = total - n * MIN_HOUSEHOLDS
    exact = spare * w / w.sum()
    sizes = np.floor(exact).astype(np.int64)
    short = spare - int(sizes.sum())
    if short > 0:
        sizes[np.argsort(-(exact - sizes), kind="stable")[:short]] += 1
    return sizes + MIN_HOUSEHOLDS


@dataclass(frozen=True)
class RegionVillages:
    """A region's drawn villages, as arrays (one entry a village).

    Attributes:
        households, x_km, y_km: sizes and positions.
        township, county: index of each village's township and county in the region.
        internet_from: absolute month from which it can sell online.
        craft: True for villages with a craft base.
    """

    households: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    township: np.ndarray
    county: np.ndarray
    internet_from: np.ndarray
    craft: np.ndarray


def draw_region(region: Region, values: Mapping[str, Any]) -> RegionVillages:
    """Every village of a region, drawn from ``regions.world_seed`` and its code."""
    return _draw(region, int(values["regions.world_seed"]),
                 float(values["regions.household_sigma"]),
                 float(values["regions.internet_spread_months"]))


@functools.lru_cache(maxsize=4)
def _draw(region: Region, world_seed: int, sigma: float, spread: float) -> RegionVillages:
    rng = np.random.default_rng([world_seed, region.code])
    radius = float(np.sqrt(region.area_km2 / np.pi))
    town_xy = _disc(rng, region.townships, radius)
    county_xy = _disc(rng, region.counties, radius)
    xy = _disc(rng, region.villages, radius)
    # every township gets its nearest village first, so none is empty
    township = cKDTree(town_xy).query(xy)[1].astype(np.int64)
    first = cKDTree(xy).query(town_xy)[1]
    township[first] = np.arange(region.townships)
    county_of_town = cKDTree(county_xy).query(town_xy)[1].astype(np.int64)
    county_of_town[cKDTree(town_xy).query(county_xy)[1]] = np.arange(region.counties)
    internet = region.internet_from + np.rint(rng.normal(0.0, spread, region.villages))
    courier = region.courier_from + np.rint(rng.normal(0.0, spread, region.villages))
    return RegionVillages(
        households=_sizes(rng, region.villages, region.households, sigma),
        x_km=xy[:, 0], y_km=xy[:, 1], township=township,
        county=county_of_town[township],
        internet_from=np.maximum(internet, courier).astype(np.int64),
        craft=rng.random(region.villages) < region.industry_base)


def townships_with_villages(region: Region, values: Mapping[str, Any]) -> np.ndarray:
    """The region's townships that have villages (a township centre whose nearest
    village is another's may be left without any), sorted."""
    return np.unique(draw_region(region, values).township)


def sampled_townships(region: Region, values: Mapping[str, Any]) -> np.ndarray:
    """Indices of the region's townships a sample keeps (sorted): a uniform draw of
    round(townships x sample) of those with villages, at least one."""
    towns = townships_with_villages(region, values)
    share = float(values["regions.sample"])
    if share >= 1.0:
        return towns
    k = max(1, round(len(towns) * share))
    rng = np.random.default_rng([int(values["regions.sample_seed"]), region.code, 7])
    return np.sort(rng.choice(towns, size=k, replace=False))


def region_scale(region: Region, values: Mapping[str, Any]) -> float:
    """What a region's simulated counts are multiplied by to stand for the whole
    region: its townships over the townships simulated (1 without a sample)."""
    return len(townships_with_villages(region, values)) / len(sampled_townships(region, values))


def region_villages(region: Region, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The region's simulated villages as [[villages]] tables (the sampled townships'
    villages, in township order), named ``<code>-<county>-<township>-<village>``."""
    d = draw_region(region, values)
    keep = sampled_townships(region, values)
    craft_share = float(values["regions.craft_share"])
    out = []
    for t in keep:
        for k, v in enumerate(np.flatnonzero(d.township == t)):
            county = f"{region.name}-{d.county[v] + 1:03d}"
            out.append({
                "name": f"{region.code}-{d.county[v] + 1:03d}-{t + 1:04d}-{k + 1:03d}",
                "households": int(d.households[v]),
                "x_km": float(d.x_km[v]), "y_km": float(d.y_km[v]),
                "internet_from": dates.format_month(int(d.internet_from[v])),
                "industry_base": craft_share if d.craft[v] else 0.0,
                "category": CATEGORY,
                "township": f"{region.code}-{t + 1:04d}",
                "county": county,
            })
    return out


def world_villages(rows: Sequence[Mapping[str, Any]],
                   values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every simulated village of the scenario's regions, region by region."""
    out: list[dict[str, Any]] = []
    for r in regions_of(rows, values):
        out += region_villages(r, values)
    return out


def market_scale(households: int, values: Mapping[str, Any]) -> float:
    """``market.market_scale`` of a world of regions with ``households`` simulated
    households: its households over ``regions.market_households``."""
    return households / float(values["regions.market_households"])


def courier_factor(region: Region, values: Mapping[str, Any]) -> float:
    """What a region's courier rates are multiplied by: 1 + distance / courier_km."""
    km = float(values["regions.courier_km"])
    return 1.0 + region.distance_km / km if km > 0 else 1.0
