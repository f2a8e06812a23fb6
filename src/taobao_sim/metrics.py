"""What a run observes, as named arrays and tidy tables.

The engines fill ``RunOutput.metrics`` (per universe, month, village) and
``RunOutput.panel`` (per universe, year, household); this module names their
columns and derives what the reports use (participation, yearly sums,
Taobao-village status).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import dates, kernel
from .engine import RunOutput

#: Columns of timeseries.{parquet,csv} after replicate, date, village:
#: (name, kernel index or None for derived, description with unit).
VILLAGE_COLUMNS: tuple[tuple[str, int | None, str], ...] = (
    ("households", kernel.M_HOUSEHOLDS, "households in the village"),
    ("engaged", kernel.M_ENGAGED,
     "households that ran a shop or had a member working for the industry this month"),
    ("participation", None, "engaged / households (0-1)"),
    ("shops", kernel.M_SHOPS, "households whose shop sold this month"),
    ("preparing", kernel.M_PREPARING, "households setting up a shop at the end of the month"),
    ("sales_yuan", kernel.M_SALES, "online sales this month, yuan"),
    ("profit_yuan", kernel.M_PROFIT, "shop profits this month, yuan"),
    ("poor", kernel.M_POOR, "households below the poverty line at the last assessment"),
    ("migrants", kernel.M_MIGRANTS, "people away in the city at the end of the month"),
    ("returns", kernel.M_RETURNS, "people who came back from the city this month"),
    ("departures", kernel.M_DEPARTURES, "people who left for the city this month"),
    ("employed", kernel.M_EMPLOYED, "people working for others' shops or workshops this month"),
    ("vacancies", kernel.M_VACANCIES, "workers the shops wanted to hire this month"),
    ("hired", kernel.M_HIRED, "workers the shops hired this month"),
    ("local_wage_yuan", kernel.M_LOCAL_WAGE, "industry wage, yuan per worker-month"),
    ("shops_opened", kernel.M_OPENED, "shops that made their first sales this month"),
    ("shops_closed", kernel.M_CLOSED, "shops that closed this month"),
    ("income_yuan", kernel.M_INCOME, "household income this month, all households, yuan"),
    ("people_home", kernel.M_PEOPLE_HOME, "people living in the village at the end of the month"),
    ("public_cost_yuan", kernel.M_PUBLIC_COST,
     "public spending this month: transfers, training, credit line, courier subsidy, "
     "broadband, yuan"),
    ("poor_people", kernel.M_POOR_PEOPLE, "members of households poor at the last assessment"),
)

#: Columns of households.{parquet,csv} after replicate, year, household, village.
PANEL_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("shop", kernel.H_SHOP, "1 if the household's shop sold in December"),
    ("shop_sales_yuan", kernel.H_SALES, "shop sales in the year, yuan"),
    ("shop_profit_yuan", kernel.H_PROFIT, "shop profit in the year, yuan"),
    ("income_per_head_yuan", kernel.H_INCOME_PER_HEAD, "household income per member, yuan/year"),
    ("poor", kernel.H_POOR, "1 if income per head was below the poverty line"),
    ("members_home", kernel.H_MEMBERS_HOME, "members living at home in December"),
    ("members_away", kernel.H_MEMBERS_AWAY, "members away in the city in December"),
    ("employed", kernel.H_EMPLOYED, "members working for the industry in December"),
    ("capital_yuan", kernel.H_CAPITAL, "savings at the end of the year, yuan"),
)

#: AliResearch rule for a Taobao village (2015-2021 wording).
TAOBAO_VILLAGE_SALES_YUAN = 10_000_000.0
TAOBAO_VILLAGE_SHOPS = 100
TAOBAO_VILLAGE_SHOP_SHARE = 0.10


def village_index(out: RunOutput, name: str) -> int:
    return out.village_names.index(name)


def series(out: RunOutput, column: str, village: int | None = None) -> np.ndarray:
    """A time-series column, shape (universes, months); summed over villages if
    ``village`` is None (participation is then recomputed from the sums)."""
    index = {c[0]: c[1] for c in VILLAGE_COLUMNS}
    if column == "participation":
        return series(out, "engaged", village) / series(out, "households", village)
    k = index[column]
    if k is None:  # pragma: no cover - only participation is derived
        raise KeyError(column)
    data = out.metrics[:, :, :, k]
    return data.sum(axis=2) if village is None else data[:, :, village]


def yearly(out: RunOutput, column: str, village: int | None = None,
           how: str = "sum") -> tuple[np.ndarray, np.ndarray]:
    """Years and a column per year: summed over its months (``how="sum"``) or its
    December value (``how="december"``). Shape (universes, years)."""
    data = series(out, column, village)
    years = out.months // 12
    uniq = np.unique(years)
    if how == "sum":
        vals = np.stack([data[:, years == y].sum(axis=1) for y in uniq], axis=1)
    elif how == "december":
        vals = np.stack([data[:, np.flatnonzero(years == y)[-1]] for y in uniq], axis=1)
    else:
        raise ValueError(how)
    return uniq, vals


def taobao_villages(out: RunOutput) -> tuple[np.ndarray, np.ndarray]:
    """Years and Taobao-village status, bool (universes, years, villages).

    A village qualifies in a year with sales of at least 10 million yuan and at
    least 100 active shops or shops in at least 10% of households (shops that
    sold in December). Years not fully simulated are judged on their months.
    """
    years = out.months // 12
    uniq = np.unique(years)
    sales = out.metrics[:, :, :, kernel.M_SALES]
    shops = out.metrics[:, :, :, kernel.M_SHOPS]
    households = out.village_households[None, None, :]
    status = []
    for y in uniq:
        sel = years == y
        annual = sales[:, sel].sum(axis=1)
        dec = shops[:, np.flatnonzero(sel)[-1]]
        ok = (annual >= TAOBAO_VILLAGE_SALES_YUAN) & (
            (dec >= TAOBAO_VILLAGE_SHOPS) | (dec >= TAOBAO_VILLAGE_SHOP_SHARE * households[0])
        )
        status.append(ok)
    return uniq, np.stack(status, axis=1)


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
    for name, k, _doc in VILLAGE_COLUMNS:
        if k is None:
            cols[name] = flat[:, kernel.M_ENGAGED] / flat[:, kernel.M_HOUSEHOLDS]
        elif name in ("sales_yuan", "profit_yuan", "local_wage_yuan", "income_yuan",
                      "vacancies", "hired", "public_cost_yuan"):
            cols[name] = flat[:, k]
        else:
            cols[name] = flat[:, k].astype(np.int64)
    return pa.table(cols)


def households_table(out: RunOutput) -> pa.Table | None:
    """Tidy table: one row per replicate x year x household (None without a panel)."""
    if out.panel is None:
        return None
    U, Y, N, _ = out.panel.shape
    first_year = dates.year_of(int(out.months[0]))
    village_of = np.repeat(np.array(out.village_names), out.village_households)
    cols: dict[str, np.ndarray] = {
        "replicate": np.repeat(np.asarray(out.replicate_ids, dtype=np.int32), Y * N),
        "year": np.tile(np.repeat(np.arange(first_year, first_year + Y, dtype=np.int32), N), U),
        "household": np.tile(np.arange(N, dtype=np.int32), U * Y),
        "village": np.tile(village_of, U * Y),
    }
    flat = out.panel.reshape(U * Y * N, -1)
    for name, k, _doc in PANEL_COLUMNS:
        if name in ("shop", "poor", "members_home", "members_away", "employed"):
            cols[name] = flat[:, k].astype(np.int8)
        else:
            cols[name] = flat[:, k].astype(np.float64)
    return pa.table(cols)
