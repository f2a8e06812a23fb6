"""The household's state, declared once.

:data:`HOUSEHOLD` lists every state variable of a household with its storage
type, unit and meaning. Everything else is generated from it:

- :data:`HOUSEHOLD_DTYPE`, the numpy record the engines store households in
  (compact types: float32 money, int8 counts), one record per household;
- :class:`HouseholdState`, the tuple the rule functions take and return, with
  integers widened to int64 and reals to float64 while a month is computed;
- :func:`load_household` and :func:`store_household`, the compiled functions
  that turn a record into a :class:`HouseholdState` and back (storing rounds
  to the record's types, which is why both engines see identical numbers);
- the Mesa agent's attributes (:mod:`taobao_sim.engines.mesa.agents`) and the
  state table of docs/ODD.md (checked by a test).

To add a state variable, add one :class:`StateField` here and set its start
value in :mod:`taobao_sim.core.world`; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numba as nb
import numpy as np

#: Shop states (values of the ``shop_state`` field).
NO_SHOP = 0
PREPARING = 1
ACTIVE = 2
SHOP_STATE_NAMES = {NO_SHOP: "none", PREPARING: "preparing", ACTIVE: "active"}


@dataclass(frozen=True)
class StateField:
    """One state variable of a household.

    Attributes:
        name: attribute name (in the record, the state tuple and the Mesa agent).
        storage: numpy type code of the stored value ("f4", "i1", "i2").
        unit: unit of the value ("" if none).
        doc: what the variable means.
    """

    name: str
    storage: str
    unit: str
    doc: str

    @property
    def is_integer(self) -> bool:
        return np.dtype(self.storage).kind == "i"


HOUSEHOLD: tuple[StateField, ...] = (
    StateField("members", "i1", "people", "people in the household, home and away"),
    StateField("workers", "i1", "people", "working-age members, home and away"),
    StateField("elderly", "i1", "people",
               "elderly members able to do piece-work (always at home)"),
    StateField("away", "i1", "people", "working-age members away in the city (migrants)"),
    StateField("jobs", "i1", "people", "members with an industry job in their own village"),
    StateField("commuters", "i1", "people",
               "members with an industry job in another village, commuting"),
    StateField("homeworkers", "i1", "people", "members at home doing piece-work"),
    StateField("returned", "i1", "0/1", "1 once a member has come back from the city"),
    StateField("craft", "i1", "0/1",
               "1 if the household made the product before online selling (industry base)"),
    StateField("head_age", "i1", "years", "age of the household head at the start"),
    StateField("shop_state", "i1", "", "0 no shop, 1 preparing one, 2 selling (active)"),
    StateField("shop_age", "i2", "months", "months in the current shop state"),
    StateField("loss_run", "i1", "months", "months of shop losses in a row"),
    StateField("stores", "i1", "stores", "online stores the household runs"),
    StateField("firm", "i1", "0/1", "1 if the household runs a workshop (or factory)"),
    StateField("poor", "i1", "0/1", "1 if below the poverty line at the last assessment "
               "(December)"),
    StateField("capital", "f4", "yuan", "savings"),
    StateField("debt", "f4", "yuan", "debt"),
    StateField("skill", "f4", "0-1", "e-commerce skill"),
    StateField("ability", "f4", "factor", "business ability (median 1): scales the size the "
               "household's shop can reach"),
    StateField("reputation", "f4", "units of a new shop's reputation",
               "shop reputation; 0 without an active shop"),
    StateField("orders", "f4", "yuan per month", "the shop's orders, averaged over recent "
               "months (what it staffs for)"),
    StateField("shop_staff", "f4", "workers", "hired workers the shop wants"),
    StateField("firm_staff", "f4", "workers", "hired workers the workshop wants"),
    StateField("land", "f4", "factor", "farm income factor (mean 1 across households)"),
    StateField("income_ytd", "f4", "yuan", "household income so far this calendar year"),
    StateField("sales_ytd", "f4", "yuan", "shop sales so far this calendar year"),
    StateField("profit_ytd", "f4", "yuan", "shop profit so far this calendar year"),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in HOUSEHOLD)

#: The stored record of one household.
HOUSEHOLD_DTYPE = np.dtype([(f.name, f.storage) for f in HOUSEHOLD])

#: A household's state while its month is computed (int64 and float64 fields).
HouseholdState = namedtuple("HouseholdState", FIELD_NAMES)


def _generated_source() -> str:
    """Source of the record <-> state conversions, one line per field."""
    widen = ", ".join(
        f"np.{'int64' if f.is_integer else 'float64'}(r.{f.name})" for f in HOUSEHOLD)
    lines = ["def load_household(r):",
             f"    return HouseholdState({widen})",
             "",
             "def store_household(r, s):"]
    lines += [f"    r.{f.name} = s.{f.name}" for f in HOUSEHOLD]
    return "\n".join(lines) + "\n"


def _compile_conversions():
    # Compiled under this file's name so that numba can cache them like any
    # function written here (the cache folder is keyed by this file's hash).
    # __name__ goes into numba's cache index: without it, only the process that
    # wrote the cache entry could load it again
    namespace = {"__name__": __name__, "HouseholdState": HouseholdState, "np": np}
    exec(compile(_generated_source(), __file__, "exec"), namespace)
    load = nb.njit(cache=True)(namespace["load_household"])
    store = nb.njit(cache=True)(namespace["store_household"])
    load.__doc__ = "A household's record (HOUSEHOLD_DTYPE) as a HouseholdState."
    store.__doc__ = "Write a HouseholdState into a household's record, in storage types."
    return load, store


load_household, store_household = _compile_conversions()


def state_bytes_per_household() -> int:
    """Bytes of one stored household record."""
    return HOUSEHOLD_DTYPE.itemsize


def markdown_table() -> str:
    """The state variables as a Markdown table (docs/ODD.md holds a copy)."""
    rows = ["| variable | type | unit | meaning |", "|---|---|---|---|"]
    for f in HOUSEHOLD:
        kind = "integer" if f.is_integer else "real"
        rows.append(f"| `{f.name}` | {kind} ({np.dtype(f.storage).name}) | {f.unit or '-'} "
                    f"| {f.doc} |")
    return "\n".join(rows)
