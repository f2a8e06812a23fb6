"""What a run records, declared once.

Two tables of recorded series, each a tuple of :class:`Column`:

- :data:`VILLAGE_MONTH`: per universe, month and village (``RunOutput.metrics``;
  the run folder's ``timeseries`` table), filled by the engines' tally;
- :data:`HOUSEHOLD_YEAR`: per universe, year and household, each December
  (``RunOutput.panel``; the run folder's ``households`` table).

The compiled code indexes them with :data:`M` and :data:`H` (``m[M.SALES_YUAN]``),
generated from the same tables, so a column is added in one place; see
docs/ARCHITECTURE.md. Series derived from recorded ones (``participation``)
are in :data:`DERIVED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


@dataclass(frozen=True)
class Column:
    """One recorded series.

    Attributes:
        name: column name in the tables and in ``metrics.series``.
        dtype: type of the column in the tables ("int64", "int8" or "float64").
        unit: unit ("households", "people", "yuan"...).
        doc: what is counted or summed, and when.
    """

    name: str
    dtype: str
    unit: str
    doc: str


VILLAGE_MONTH: tuple[Column, ...] = (
    Column("households", "int64", "households", "households in the village"),
    Column("people", "int64", "people", "registered residents, at home and away"),
    Column("people_home", "int64", "people",
           "people living in the village at the end of the month"),
    Column("engaged", "int64", "households",
           "households that ran a shop or a workshop, or had a member with an industry job "
           "(in the village or commuting) or doing piece-work, this month"),
    Column("sellers", "int64", "households", "households whose shop sold this month"),
    Column("shops", "int64", "stores", "online stores that sold this month (a household may "
           "run several)"),
    Column("preparing", "int64", "households",
           "households setting up a shop at the end of the month"),
    Column("firms", "int64", "workshops", "workshops and factories running this month"),
    Column("factories", "int64", "workshops",
           "of which factories (production.factory_staff workers or more)"),
    Column("sales_yuan", "float64", "yuan", "online sales this month"),
    Column("orders_yuan", "float64", "yuan", "orders the village's shops received this month"),
    Column("unserved_sales_yuan", "float64", "yuan",
           "orders the shops could not serve this month (they went to other sellers)"),
    Column("market_demand_yuan", "float64", "yuan",
           "national online demand this month for the village's product category"),
    Column("profit_yuan", "float64", "yuan", "shop profits this month"),
    Column("firm_profit_yuan", "float64", "yuan", "workshop profits this month"),
    Column("goods_demand_yuan", "float64", "yuan",
           "goods the shops sold this month, valued at outside prices"),
    Column("local_goods_yuan", "float64", "yuan",
           "of which made in the village (at outside prices)"),
    Column("poor", "int64", "households",
           "households below the poverty line at the last assessment"),
    Column("poor_people", "int64", "people",
           "members of households poor at the last assessment"),
    Column("migrants", "int64", "people", "people away in the city at the end of the month"),
    Column("returns", "int64", "people", "people who came back from the city this month"),
    Column("departures", "int64", "people", "people who left for the city this month"),
    Column("employed", "int64", "people",
           "residents with an industry job this month, in the village or commuting"),
    Column("commuters_out", "int64", "people",
           "residents with an industry job in another village this month"),
    Column("commuters_in", "int64", "people",
           "people from other villages with an industry job here this month"),
    Column("homeworkers", "int64", "people", "residents doing piece-work at home this month"),
    Column("industry_workers", "float64", "workers",
           "people working in the industry in the village this month, by place of work: shop "
           "owners' families, workshop owners, employees (commuters in included) and home "
           "workers"),
    Column("seekers", "int64", "people",
           "idle working-age residents looking for an industry job at the end of the month"),
    Column("vacancies", "int64", "jobs",
           "jobs the village's employers wanted and could not fill at the end of the month"),
    Column("hired", "int64", "people", "people hired by the village's employers this month"),
    Column("laid_off", "int64", "people",
           "people laid off by the village's employers this month"),
    Column("quits", "int64", "people", "residents who left an industry job this month"),
    Column("local_wage_yuan", "float64", "yuan per worker-month", "industry wage"),
    Column("wages_paid_yuan", "float64", "yuan", "wages the village's employers paid"),
    Column("wages_received_yuan", "float64", "yuan",
           "industry wages the village's residents received"),
    Column("shops_opened", "int64", "shops", "shops that made their first sales this month"),
    Column("shops_closed", "int64", "shops", "shops that closed this month"),
    Column("firms_opened", "int64", "workshops", "workshops opened this month"),
    Column("firms_closed", "int64", "workshops", "workshops closed this month"),
    Column("income_yuan", "float64", "yuan", "household income this month, all households"),
    Column("public_cost_yuan", "float64", "yuan",
           "public spending this month: transfers, training, credit line, courier subsidy, "
           "broadband"),
)

HOUSEHOLD_YEAR: tuple[Column, ...] = (
    Column("shop", "int8", "0/1", "1 if the household's shop sold in December"),
    Column("stores", "int8", "stores", "online stores it ran in December"),
    Column("shop_sales_yuan", "float64", "yuan", "shop sales in the year"),
    Column("shop_profit_yuan", "float64", "yuan", "shop profit in the year"),
    Column("firm_workers", "float64", "workers",
           "hired workers its workshop had on its books in December (filled at the village's "
           "staff ratio)"),
    Column("income_per_head_yuan", "float64", "yuan per person per year",
           "household income per member"),
    Column("poor", "int8", "0/1", "1 if income per head was below the poverty line"),
    Column("members_home", "int8", "people", "members living at home in December"),
    Column("members_away", "int8", "people", "members away in the city in December"),
    Column("employed", "int8", "people",
           "members with an industry job in December (own village or commuting)"),
    Column("homeworkers", "int8", "people", "members doing piece-work at home in December"),
    Column("capital_yuan", "float64", "yuan", "savings at the end of the year"),
)

#: Series computed from recorded ones: name -> (numerator, denominator, doc).
DERIVED: dict[str, tuple[str, str, str]] = {
    "participation": ("engaged", "households", "engaged / households (0-1)"),
}


def _index(name: str, columns: tuple[Column, ...]) -> type[IntEnum]:
    return IntEnum(name, {c.name.upper(): k for k, c in enumerate(columns)})


#: Index of each village-month column (``M.SALES_YUAN``), usable in compiled code.
M = _index("M", VILLAGE_MONTH)
#: Index of each household-year column (``H.SHOP_SALES_YUAN``).
H = _index("H", HOUSEHOLD_YEAR)
N_METRICS = len(VILLAGE_MONTH)
N_PANEL = len(HOUSEHOLD_YEAR)

#: Columns of the time-series table after replicate, date and village, in order.
TIMESERIES_COLUMNS: tuple[str, ...] = (
    "households", "people", "people_home", "engaged", "participation",
    *(c.name for c in VILLAGE_MONTH
      if c.name not in ("households", "people", "people_home", "engaged")),
)

BY_NAME: dict[str, Column] = {c.name: c for c in VILLAGE_MONTH}
PANEL_BY_NAME: dict[str, Column] = {c.name: c for c in HOUSEHOLD_YEAR}


#: The village-year table of runs that stream their outputs (worlds too large to hold
#: every village's months): each column is a recorded village-month series summed over
#: the year's months ("sum") or taken in its last month, December in a full year
#: ("december").
VILLAGE_YEAR: tuple[tuple[str, str], ...] = (
    ("households", "december"), ("people", "december"), ("people_home", "december"),
    ("sellers", "december"), ("shops", "december"), ("firms", "december"),
    ("poor", "december"), ("poor_people", "december"), ("migrants", "december"),
    ("employed", "december"), ("sales_yuan", "sum"), ("profit_yuan", "sum"),
    ("income_yuan", "sum"), ("public_cost_yuan", "sum"), ("shops_opened", "sum"),
    ("departures", "sum"), ("returns", "sum"),
)
N_VILLAGE_YEAR = len(VILLAGE_YEAR)
#: Index of each village-year column (``Y.SALES_YUAN``).
Y = IntEnum("Y", {name.upper(): k for k, (name, _how) in enumerate(VILLAGE_YEAR)})


#: Positions in VILLAGE_MONTH (``_FROM``) and in VILLAGE_YEAR (``_TO``) of the columns
#: summed over a year and of those taken in its last month.
_SUM_FROM, _SUM_TO, _LAST_FROM, _LAST_TO = (
    np.array([M[n.upper()] if side == "from" else k
              for k, (n, how) in enumerate(VILLAGE_YEAR) if how == kind])
    for kind in ("sum", "december") for side in ("from", "to"))


def add_month(year: np.ndarray, month: np.ndarray, first: bool) -> None:
    """Add one month of village records (villages, :data:`N_METRICS`) to a year's
    village-year table (villages, :data:`N_VILLAGE_YEAR`) being built; ``first``
    starts the year. After the year's last month, ``year`` equals
    :func:`village_year` of its months."""
    if first:
        year[:, _SUM_TO] = month[:, _SUM_FROM]
    else:
        year[:, _SUM_TO] += month[:, _SUM_FROM]
    year[:, _LAST_TO] = month[:, _LAST_FROM]


def village_year(months: np.ndarray) -> np.ndarray:
    """One year of village-month records (months of one calendar year, villages,
    :data:`N_METRICS`) as the village-year table's values (villages,
    :data:`N_VILLAGE_YEAR`), in :data:`VILLAGE_YEAR` order."""
    out = np.empty((months.shape[1], N_VILLAGE_YEAR))
    for k, (name, how) in enumerate(VILLAGE_YEAR):
        col = months[:, :, M[name.upper()]]
        out[:, k] = col.sum(axis=0) if how == "sum" else col[-1]
    return out


def doc_of(name: str) -> str:
    """The description of a time-series column (recorded or derived), with its unit."""
    if name in DERIVED:
        return DERIVED[name][2]
    c = BY_NAME[name]
    return f"{c.doc} ({c.unit})"
