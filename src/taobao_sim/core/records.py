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
    Column("engaged", "int64", "households",
           "households that ran a shop or had a member working for the industry this month"),
    Column("shops", "int64", "households", "households whose shop sold this month"),
    Column("preparing", "int64", "households",
           "households setting up a shop at the end of the month"),
    Column("sales_yuan", "float64", "yuan", "online sales this month"),
    Column("profit_yuan", "float64", "yuan", "shop profits this month"),
    Column("poor", "int64", "households",
           "households below the poverty line at the last assessment"),
    Column("migrants", "int64", "people", "people away in the city at the end of the month"),
    Column("returns", "int64", "people", "people who came back from the city this month"),
    Column("departures", "int64", "people", "people who left for the city this month"),
    Column("employed", "int64", "people",
           "people working for others' shops or workshops this month"),
    Column("vacancies", "float64", "workers", "workers the shops wanted to hire this month"),
    Column("hired", "float64", "workers", "workers the shops hired this month"),
    Column("local_wage_yuan", "float64", "yuan per worker-month", "industry wage"),
    Column("shops_opened", "int64", "shops", "shops that made their first sales this month"),
    Column("shops_closed", "int64", "shops", "shops that closed this month"),
    Column("income_yuan", "float64", "yuan", "household income this month, all households"),
    Column("people_home", "int64", "people",
           "people living in the village at the end of the month"),
    Column("public_cost_yuan", "float64", "yuan",
           "public spending this month: transfers, training, credit line, courier subsidy, "
           "broadband"),
    Column("poor_people", "int64", "people",
           "members of households poor at the last assessment"),
)

HOUSEHOLD_YEAR: tuple[Column, ...] = (
    Column("shop", "int8", "0/1", "1 if the household's shop sold in December"),
    Column("shop_sales_yuan", "float64", "yuan", "shop sales in the year"),
    Column("shop_profit_yuan", "float64", "yuan", "shop profit in the year"),
    Column("income_per_head_yuan", "float64", "yuan per person per year",
           "household income per member"),
    Column("poor", "int8", "0/1", "1 if income per head was below the poverty line"),
    Column("members_home", "int8", "people", "members living at home in December"),
    Column("members_away", "int8", "people", "members away in the city in December"),
    Column("employed", "int8", "people", "members working for the industry in December"),
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
    "households", "engaged", "participation",
    *(c.name for c in VILLAGE_MONTH if c.name not in ("households", "engaged")),
)

BY_NAME: dict[str, Column] = {c.name: c for c in VILLAGE_MONTH}
PANEL_BY_NAME: dict[str, Column] = {c.name: c for c in HOUSEHOLD_YEAR}


def doc_of(name: str) -> str:
    """The description of a time-series column (recorded or derived), with its unit."""
    if name in DERIVED:
        return DERIVED[name][2]
    c = BY_NAME[name]
    return f"{c.doc} ({c.unit})"
