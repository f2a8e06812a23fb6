"""The Mesa engine's agents: :class:`Household` (a ``mesa.discrete_space.FixedAgent``
in its cell of the ties network, :mod:`.space`) and its :class:`Village`.

A household's state lives in the model's record array (one record per
household, :data:`~taobao_sim.core.state.HOUSEHOLD_DTYPE`, as in the fast engine);
each state variable of :data:`~taobao_sim.core.state.HOUSEHOLD` is an attribute
of the agent that reads and writes its record. :meth:`Household.step` runs the
household's month through the same compiled function the fast engine calls
(:func:`taobao_sim.engines.month.advance_household`); the village runs the
village-level phases of the month (:mod:`taobao_sim.engines.month`).

Identifiers and codings are those of the run folder's tables: ``household_id`` is
the household's id in the household panel (0, 1, 2..., in village order; Mesa's
own ``unique_id`` counts from 1), and the month's values (``shop``,
``employed``...) are coded as in the panel and counted as in the village time
series.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

from ...core import rules, state
from ...core.state import ACTIVE
from .. import month
from ..month import A

if TYPE_CHECKING:  # pragma: no cover
    from mesa.discrete_space import Cell

    from .model import TaobaoModel


class Village:
    """A village: its households, its labour market and what they face each month.

    Attributes:
        index: position in the scenario's village list.
        name: village name.
        category: index of its product category.
        households: its households, in household-id order.
        lo, hi: its households' ids (``lo <= household_id < hi``), which are their
            indices in the model's record array.
        internet_step: month index from which its households can sell online.
        connect_cost: public cost (yuan) of connecting it early under a broadband policy.
        aggregates: what its households left at the end of last month
            (:data:`taobao_sim.engines.month.A`).
        view: what its households face this month (:class:`rules.VillageView`).
        goods: its goods market this month (:class:`rules.GoodsMarket`).
    """

    def __init__(self, index: int, name: str, category: int, lo: int, hi: int,
                 internet_step: int, connect_cost: float = 0.0) -> None:
        self.index = index
        self.name = name
        self.category = category
        self.lo, self.hi = lo, hi
        self.households: list[Household] = []
        self.internet_step = internet_step
        self.connect_cost = connect_cost
        self.aggregates = np.zeros(month.N_AGG)
        self.view: rules.VillageView | None = None
        self.goods: rules.GoodsMarket | None = None
        self.record = month.empty_record()  # this month's recorded series
        self.next_aggregates = np.zeros(month.N_AGG)

    @property
    def shops(self) -> int:
        """Households whose shop was active at the end of last month."""
        return int(self.aggregates[A.SELLERS])

    def begin_month(self, model: TaobaoModel, t: int) -> None:
        """Phases 1 and 2 of month ``t``: the view its households decide on; last
        month's hires and layoffs reach its households; its goods market."""
        p = model.p
        lab = model.lab[self.index]
        orders = rules.orders_per_reputation(p, t, model.demand[t, self.category],
                                             model.reputation_total[self.category],
                                             model.category_size[self.category])
        self.view = month.village_view(p, t, model.city_wage[t], orders, self.aggregates, lab,
                                       self.internet_step)
        goods, capacity, eligible = month.open_village_month(
            p, model.records, self.lo, self.hi, 0, model.universe_seed, t, self.view, lab)
        self.goods = rules.goods_market(p, self.view, goods, capacity, eligible,
                                        self.hi - self.lo)
        self.record = month.empty_record()
        self.next_aggregates = np.zeros(month.N_AGG)

    def end_month(self, model: TaobaoModel, t: int) -> None:
        """Phases 3b and 4 of month ``t``: add up its households' months in id order (so
        the agents may have stepped in any order) and close the month's record."""
        p = model.p
        for h in self.households:
            i = h.household_id
            slot = month.panel_slot(0, i, model.panel_every, model.panel.shape[1])
            month.record_household(p, self.record, self.next_aggregates, model.first_open,
                                   self.index, slot, i, h.old_state, h.new_state,
                                   h.last, t, model.panel, model.panel_year)
        month.close_village_month(p, t, self.view, self.record, model.lab[self.index],
                                  model.demand[t, self.category], self.connect_cost)
        model.metrics[t, self.index] = self.record
        self.aggregates = self.next_aggregates

    def __repr__(self) -> str:
        return f"Village({self.name!r}, {len(self.households)} households, {self.shops} shops)"


class Household(FixedAgent):
    """One household, fixed in its cell of the model's ties network (``model.grid``).

    State (docs/ODD.md, section 2; one attribute per variable of
    ``taobao_sim.core.state.HOUSEHOLD``), read from and written to its record:
    members, working-age members, elderly, migrants, jobs, commuting jobs, home
    workers, its shop state and workshop, savings, skill, reputation and the
    year's accounts, as at the end of the last month simulated.

    The last month simulated, coded as in the household panel and counted as in
    the village series (0 before the first step): :attr:`shop`, :attr:`employed`,
    and ``last``, the month's :class:`rules.Outcome` (sales, profit, income,
    returns...; None before the first step).

    Attributes:
        household_id: its id in the household panel and index in the model's
            record array (0, 1, 2...; Mesa's ``unique_id`` is ``household_id + 1``).
        village: its :class:`Village`.
    """

    def __init__(self, model: TaobaoModel, household_id: int, village: Village,
                 cell: Cell) -> None:
        super().__init__(model)
        self.household_id = household_id
        self.village = village
        self.cell = cell
        self.last: rules.Outcome | None = None
        self.old_state: state.HouseholdState | None = None  # at the start of the last month
        self.new_state: state.HouseholdState | None = None  # at its end

    # -- derived, read-only ------------------------------------------------------
    @property
    def home(self) -> int:
        """Working-age members at home (people)."""
        return self.workers - self.away

    @property
    def has_shop(self) -> bool:
        """Its shop is active (will sell next month)."""
        return self.shop_state == ACTIVE

    @property
    def shop(self) -> int:
        """1 if its shop sold in the last month simulated, else 0: the panel's ``shop``
        (which keeps December's) and a household of the series' ``sellers``. Its
        shop's state now is :attr:`shop_state`."""
        return int(self.last.active) if self.last is not None else 0

    @property
    def shop_label(self) -> str:
        """Its shop's state in words: "none", "preparing" or "active"."""
        return state.SHOP_STATE_NAMES[self.shop_state]

    @property
    def employed(self) -> int:
        """Members with an industry job in the last month simulated, in its village or
        commuting (people): the panel's ``employed``. The jobs they hold now, after
        the month's quits, are ``jobs + commuters``."""
        s = self.old_state if self.old_state is not None else self
        return int(s.jobs + s.commuters)

    @property
    def seen_profit(self) -> float:
        """What its watchers see this month: last month's profit (yuan) if its shop
        sold, else NaN."""
        return float(self.model.seen[self.model.steps % 2, self.household_id])

    @property
    def neighbours(self) -> list[Household]:
        """The households it watches (its ties), each once: the agents of its cell's
        neighbourhood."""
        return list(self.cell.neighborhood.agents)

    def state(self) -> state.HouseholdState:
        """The household's state as the rule functions take it."""
        return state.load_household(self.model.records[self.household_id])

    # -- the month -----------------------------------------------------------
    def step(self) -> None:
        """This household's month, decided on the state at the start of the month: its
        record changes, and its watchers will see the outcome next month (they read
        only last month's), so households may step in any order."""
        m = self.model
        v = self.village
        i = self.household_id
        t = m.steps - 1  # Mesa counts a step before running it: the month being simulated
        self.old_state, self.new_state, self.last = month.advance_household(
            m.p, m.records, i, i, m.ties_ptr, m.ties_idx, m.seen_now, m.seen_next, v.view,
            v.goods, m.universe_seed, t, m.month_of_year, m.farm_head, m.poverty_line[t])

    def __repr__(self) -> str:
        return (f"Household({self.household_id}, {self.village.name}, shop {self.shop_label}, "
                f"{self.members} members, {self.away} away, capital {self.capital:.0f})")


def _state_attribute(field: state.StateField) -> property:
    name = field.name
    cast = int if field.is_integer else float

    def read(self: Household):
        return cast(self.model.records[name][self.household_id])

    def write(self: Household, value) -> None:
        self.model.records[name][self.household_id] = value

    return property(read, write, doc=f"{field.doc} ({field.unit or 'no unit'})")


for _field in state.HOUSEHOLD:
    setattr(Household, _field.name, _state_attribute(_field))
