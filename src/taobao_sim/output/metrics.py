"""Reading a run's recorded series by name, and what the reports derive from them
(participation, yearly sums, Taobao-village status).

The engines fill ``RunOutput.metrics`` (per universe, month, village) and
``RunOutput.panel`` (per universe, year, household); their columns are declared
in :mod:`taobao_sim.core.records`.
"""

from __future__ import annotations

import numpy as np

from ..core.records import BY_NAME, DERIVED, M
from ..core.run_output import RunOutput

#: AliResearch rule for a Taobao village (2015-2021 wording).
TAOBAO_VILLAGE_SALES_YUAN = 10_000_000.0
TAOBAO_VILLAGE_SHOPS = 100
TAOBAO_VILLAGE_SHOP_SHARE = 0.10
#: AliResearch's Taobao town: at least this many Taobao villages; from 2019 also a
#: township with over 30 million yuan of online sales and over 300 active shops.
TAOBAO_TOWN_VILLAGES = 3
TAOBAO_TOWN_SALES_RULE_FROM = 2019
TAOBAO_TOWN_SALES_YUAN = 30_000_000.0
TAOBAO_TOWN_SHOPS = 300


def village_index(out: RunOutput, name: str) -> int:
    return out.village_names.index(name)


def series(out: RunOutput, column: str, village: int | None = None) -> np.ndarray:
    """A time-series column, shape (universes, months); summed over villages if
    ``village`` is None (participation is then recomputed from the sums)."""
    if column in DERIVED:
        top, bottom, _doc = DERIVED[column]
        return series(out, top, village) / series(out, bottom, village)
    if column not in BY_NAME:
        raise KeyError(f"{column!r} is not a recorded series; expected one of "
                       + ", ".join([*BY_NAME, *DERIVED]))
    data = out.metrics[:, :, :, M[column.upper()]]
    return data.sum(axis=2) if village is None else data[:, :, village]


def _per_year(data: np.ndarray, months: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Years and ``data`` (months on axis 1) per year: summed over each year's months
    (``how="sum"``) or its last month, December in a full year (``how="december"``)."""
    years = months // 12
    uniq = np.unique(years)
    if how == "sum":
        vals = [data[:, years == y].sum(axis=1) for y in uniq]
    elif how == "december":
        vals = [data[:, np.flatnonzero(years == y)[-1]] for y in uniq]
    else:
        raise ValueError(how)
    return uniq, np.stack(vals, axis=1)


def yearly(out: RunOutput, column: str, village: int | None = None,
           how: str = "sum") -> tuple[np.ndarray, np.ndarray]:
    """Years and a column per year: summed over its months (``how="sum"``) or its
    December value (``how="december"``). Shape (universes, years)."""
    return _per_year(series(out, column, village), out.months, how)


def village_yearly(out: RunOutput, column: str, how: str = "sum") -> tuple[np.ndarray,
                                                                         np.ndarray]:
    """Years and a recorded column of every village per year, as :func:`yearly`.
    Shape (universes, years, villages)."""
    return _per_year(out.metrics[..., M[column.upper()]], out.months, how)


def group_sum(per_village: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """A per-village array (..., villages) summed by group: village v belongs to group
    ``group[v]`` of ``groups``. Shape (..., groups)."""
    return np.stack([per_village[..., group == g].sum(axis=-1) for g in range(groups)], -1)


def taobao_villages(out: RunOutput) -> tuple[np.ndarray, np.ndarray]:
    """Years and Taobao-village status, bool (universes, years, villages).

    A village qualifies in a year with sales of at least 10 million yuan and at
    least 100 active shops or shops in at least 10% of households (shops that
    sold in December). Years not fully simulated are judged on their months.
    """
    years, sales = village_yearly(out, "sales_yuan")
    _, shops = village_yearly(out, "shops", "december")
    return years, taobao_village_rule(sales, shops, out.village_households[None, None, :])


def taobao_village_rule(sales: np.ndarray, shops: np.ndarray,
                        households: np.ndarray) -> np.ndarray:
    """AliResearch's Taobao-village rule on arrays of yearly sales (yuan), December
    shops and households (broadcast together): bool."""
    return (sales >= TAOBAO_VILLAGE_SALES_YUAN) & (
        (shops >= TAOBAO_VILLAGE_SHOPS) | (shops >= TAOBAO_VILLAGE_SHOP_SHARE * households))


def taobao_town_rule(years: np.ndarray, status: np.ndarray, sales: np.ndarray,
                     shops: np.ndarray, township: np.ndarray, n_townships: int) -> np.ndarray:
    """AliResearch's Taobao-town rule: bool (..., years, townships) from villages'
    Taobao status, yearly sales and December shops (..., years, villages) and each
    village's township index."""
    towns = group_sum(status.astype(float), township, n_townships) >= TAOBAO_TOWN_VILLAGES
    late = years >= TAOBAO_TOWN_SALES_RULE_FROM
    towns[..., late, :] |= ((group_sum(sales, township, n_townships) > TAOBAO_TOWN_SALES_YUAN)
                            & (group_sum(shops, township, n_townships) > TAOBAO_TOWN_SHOPS)
                            )[..., late, :]
    return towns


def townships(out: RunOutput) -> tuple[list[str], np.ndarray]:
    """Township names and each village's township index (a village without a township
    is a township of its own)."""
    return _index_of([v.township or v.name for v in out.scenario.villages])


def counties(out: RunOutput) -> tuple[list[str], np.ndarray]:
    """County names and each village's county index."""
    return _index_of([v.county for v in out.scenario.villages])


def _index_of(names: list[str]) -> tuple[list[str], np.ndarray]:
    unique = list(dict.fromkeys(names))
    position = {n: k for k, n in enumerate(unique)}
    return unique, np.array([position[n] for n in names], dtype=np.int64)


def taobao_towns(out: RunOutput) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Years, township names and Taobao-town status, bool (universes, years, townships).

    AliResearch's rule: a township with at least 3 Taobao villages; from 2019 also one
    with over 30 million yuan of online sales and over 300 active shops (shops that
    sold in December), all its villages together. The rule is applied to every
    simulated year (AliResearch first counted towns in 2014)."""
    years, status = taobao_villages(out)
    names, of = townships(out)
    _, sales = village_yearly(out, "sales_yuan")
    _, shops = village_yearly(out, "shops", "december")
    return years, names, taobao_town_rule(years, status, sales, shops, of, len(names))


def by_county(out: RunOutput, per_village: np.ndarray) -> tuple[list[str], np.ndarray]:
    """County names and a per-village array (..., villages) summed by county."""
    names, of = counties(out)
    return names, group_sum(per_village, of, len(names))


#: Official village poverty exit rule: poverty incidence (poor people / registered
#: residents) under this share at the December assessment, staying under it.
EXIT_INCIDENCE = 0.02


def incidence(out: RunOutput, village: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Years and poverty incidence (poor people / registered residents) at each
    December assessment, (universes, years); summed over villages if ``village``
    is None."""
    years, poor = yearly(out, "poor_people", village, how="december")
    _, people = yearly(out, "people", village, how="december")
    return years, poor / np.maximum(people, 1.0)


def poverty_exit_year(out: RunOutput, village: int | None = None) -> np.ndarray:
    """Per universe, the year the village (or the world) exits poverty by the official
    rule: the first December assessment with incidence under 2% that stays under 2%
    at every later one (NaN: not within the run)."""
    years, inc = incidence(out, village)
    below = inc < EXIT_INCIDENCE
    exit_year = np.full(inc.shape[0], np.nan)
    for u in range(inc.shape[0]):
        for k in range(len(years)):
            if below[u, k:].all():
                exit_year[u] = years[k]
                break
    return exit_year
