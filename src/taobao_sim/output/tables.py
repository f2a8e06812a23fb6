"""The run's tidy tables: the time series (one row per replicate x month x village)
and the household panel (one row per replicate x year x household), with the
columns of :mod:`taobao_sim.core.records`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..core import dates
from ..core.records import BY_NAME, DERIVED, HOUSEHOLD_YEAR, TIMESERIES_COLUMNS, M
from ..core.run_output import RunOutput
from . import metrics


def timeseries_table(out: RunOutput) -> pa.Table:
    """Tidy table: one row per replicate x month x village."""
    U, T, V, _ = out.metrics.shape
    rep = np.repeat(np.asarray(out.replicate_ids), T * V)
    month_text = np.array([dates.format_month(int(m)) for m in out.months])
    cols: dict[str, np.ndarray] = {
        "replicate": rep.astype(np.int32),
        "date": np.tile(np.repeat(month_text, V), U),
        "village": np.tile(np.array(out.village_names), U * T),
    }
    flat = out.metrics.reshape(U * T * V, -1)
    for name in TIMESERIES_COLUMNS:
        if name in DERIVED:
            top, bottom, _doc = DERIVED[name]
            cols[name] = flat[:, M[top.upper()]] / flat[:, M[bottom.upper()]]
        else:
            cols[name] = flat[:, M[name.upper()]].astype(BY_NAME[name].dtype)
    return pa.table(cols)


def households_table(out: RunOutput) -> pa.Table | None:
    """Tidy table: one row per replicate x year x household (None without a panel)."""
    if out.panel is None:
        return None
    U, Y, N, _ = out.panel.shape
    first_year = dates.year_of(int(out.months[0]))
    ids = np.arange(0, int(out.village_households.sum()), out.panel_every, dtype=np.int32)
    village_of = np.repeat(np.array(out.village_names), out.village_households)[ids]
    cols: dict[str, np.ndarray] = {
        "replicate": np.repeat(np.asarray(out.replicate_ids, dtype=np.int32), Y * N),
        "year": np.tile(np.repeat(np.arange(first_year, first_year + Y, dtype=np.int32), N), U),
        "household": np.tile(ids, U * Y),
        "village": np.tile(village_of, U * Y),
    }
    flat = out.panel.reshape(U * Y * N, -1)
    for k, c in enumerate(HOUSEHOLD_YEAR):
        cols[c.name] = flat[:, k].astype(c.dtype)
    return pa.table(cols)


def trace_table(out: RunOutput) -> pa.Table | None:
    """Tidy table of the traced households: one row per replicate x month x
    household, with every state variable (docs/ODD.md, state table) as it was at
    the end of that month (None without a trace)."""
    if out.trace is None:
        return None
    U, T, K = out.trace.shape
    ids = np.asarray(out.trace_households, dtype=np.int32)
    village_of = np.repeat(np.array(out.village_names), out.village_households)[ids]
    cols: dict[str, Any] = {
        "replicate": np.repeat(np.asarray(out.replicate_ids, dtype=np.int32), T * K),
        "date": np.tile(np.repeat(np.array([dates.format_month(int(m)) for m in out.months]),
                                  K), U),
        "household": np.tile(ids, U * T),
        "village": np.tile(village_of, U * T),
    }
    flat = out.trace.reshape(U * T * K)
    for name in flat.dtype.names:
        cols[name] = flat[name]
    return pa.table(cols)


def villages_table(out: RunOutput) -> pa.Table:
    """One row per village: its name, administrative units, size, position and the
    facts it starts from (maps the timeseries' ``village`` to township and county)."""
    vs = out.scenario.villages
    return pa.table({
        "village": [v.name for v in vs],
        "township": [v.township or v.name for v in vs],
        "county": [v.county for v in vs],
        "households": np.array([v.households for v in vs], dtype=np.int32),
        "x_km": np.array([v.x_km for v in vs]),
        "y_km": np.array([v.y_km for v in vs]),
        "category": [v.category for v in vs],
        "industry_base": np.array([v.industry_base for v in vs]),
        "internet_from": [dates.format_month(v.internet_from) for v in vs],
    })


#: Columns of the county table: December values (households, people, shops...) and
#: yearly sums (sales), per county.
COUNTY_DECEMBER = ("households", "people", "sellers", "shops", "engaged", "poor_people",
                   "migrants")
COUNTY_SUMS = ("sales_yuan", "income_yuan", "public_cost_yuan")


def counties_table(out: RunOutput) -> pa.Table | None:
    """Tidy table, one row per replicate x year x county: Taobao villages and towns
    by AliResearch's rules (:func:`metrics.taobao_villages`, :func:`metrics.taobao_towns`),
    villages with a shop, December counts and yearly sums of the villages' series.
    None if no village names a county."""
    if not any(v.county for v in out.scenario.villages):
        return None
    years, tv = metrics.taobao_villages(out)
    _, town_names, towns = metrics.taobao_towns(out)
    _, town_of = metrics.townships(out)
    names, county_of = metrics.counties(out)
    county_of_town = np.empty(len(town_names), dtype=np.int64)
    county_of_town[town_of] = county_of  # a township lies in one county

    def by_county(per_village: np.ndarray, group: np.ndarray = county_of) -> np.ndarray:
        return metrics.group_sum(per_village.astype(float), group, len(names))

    tv_county = by_county(tv)
    U, Y, C = tv_county.shape
    cols: dict[str, np.ndarray] = {
        "replicate": np.repeat(np.asarray(out.replicate_ids, dtype=np.int32), Y * C),
        "year": np.tile(np.repeat(years.astype(np.int32), C), U),
        "county": np.tile(np.array(names), U * Y),
        "taobao_villages": tv_county.astype(np.int64).ravel(),
        "taobao_towns": by_county(towns, county_of_town).astype(np.int64).ravel(),
    }
    shops = metrics.village_yearly(out, "shops", "december")[1]
    cols["selling_villages"] = by_county(shops > 0).astype(np.int64).ravel()
    for name in COUNTY_DECEMBER:
        cols[name] = by_county(metrics.village_yearly(out, name, "december")[1]) \
            .astype(np.int64).ravel()
    for name in COUNTY_SUMS:
        cols[name] = by_county(metrics.village_yearly(out, name)[1]).ravel()
    return pa.table(cols)
