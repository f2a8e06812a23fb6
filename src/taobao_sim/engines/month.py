"""One village's month, written once for both engines and the dashboard.

A month of a village has three phases, each a compiled function here:

1. :func:`village_view` — what the village's households face this month, from
   the aggregates its households left at the end of last month;
2. each household's month: :func:`advance_household` (what it sees of its ties,
   the rules of :func:`taobao_sim.core.rules.household_step`, its new state
   stored, what its ties will see next month), then :func:`record_household` (its
   share of the village's recorded series and next-month aggregates, in
   household order);
3. :func:`close_village_month` — village-level entries of the month's record.

The fast engine (:mod:`taobao_sim.engines.fast`) runs these in a compiled loop
over villages; the Mesa engine (:mod:`taobao_sim.engines.mesa`) calls 1, 2b and 3
from the model and 2a from each agent's ``step``, so its agents may step in any
order. Sums are taken in household order within a village, so both engines
agree to the bit.

Only what other households read is double-buffered: the profits ties see
(``seen``, one buffer per month parity) and the village aggregates (``agg``,
written for next month). A household's own record is updated in place.
"""

from __future__ import annotations

from enum import IntEnum

import numba as nb
import numpy as np

from ..core import rules, state
from ..core.params import P
from ..core.records import N_METRICS, H, M
from ..core.state import ACTIVE, PREPARING

#: Village aggregates carried from one month to the next (``agg[A.SHOPS]``).
A = IntEnum("A", {
    "SHOPS": 0,  # active shops
    "REPUTATION": 1,  # reputation of active shops
    "SALES": 2,  # sales in the month just ended, yuan
    "VACANCIES": 3,  # workers the shops wanted to hire in the month just ended
    "SUPPLY": 4,  # working-age members at home in households without an active shop
})
N_AGG = len(A)


@nb.njit(cache=True)
def village_view(p: np.ndarray, t: int, month_of_year: int, city_wage: float,
                 reputation_total: float, agg: np.ndarray, internet_step: int,
                 discovery: float) -> rules.VillageView:
    """Phase 1: what a village's households face in month ``t``, from the
    aggregates ``agg`` its households left at the end of month t-1.

    Args:
        p: parameter vector of the universe.
        t: month index since the start.
        month_of_year: 0 (January) to 11.
        city_wage: migrant wage this month, yuan per month.
        reputation_total: reputation of all active shops of the universe.
        agg: the village's aggregates (:data:`A`) at the end of last month.
        internet_step: month index from which the village can sell online.
        discovery: the village's factor on the discovery rate.
    """
    return rules.village_view(
        p, t, month_of_year, city_wage, reputation_total, agg[A.SHOPS], agg[A.SALES],
        agg[A.VACANCIES], agg[A.SUPPLY], t >= internet_step, discovery)


@nb.njit(cache=True)
def tally(m: np.ndarray, agg: np.ndarray, first_open: np.ndarray, v: int,
          new: state.HouseholdState, out: rules.Outcome, t: int, hid: int) -> None:
    """Add one household's month to its village's record ``m`` (:data:`M`) and
    next-month aggregates ``agg`` (:data:`A`), and note the village's first shop
    in ``first_open[v]``. Reputation is summed as stored (float32)."""
    if new.shop_state == ACTIVE:
        agg[A.SHOPS] += 1.0
        agg[A.REPUTATION] += np.float64(np.float32(new.reputation))
    else:
        agg[A.SUPPLY] += new.workers - new.away
    agg[A.SALES] += out.sales
    agg[A.VACANCIES] += out.vacancies
    m[M.HOUSEHOLDS] += 1.0
    m[M.ENGAGED] += out.engaged
    m[M.SHOPS] += out.active
    m[M.PREPARING] += 1.0 if new.shop_state == PREPARING else 0.0
    m[M.SALES_YUAN] += out.sales
    m[M.PROFIT_YUAN] += out.profit
    m[M.POOR] += new.poor
    m[M.MIGRANTS] += new.away
    m[M.RETURNS] += out.returns
    m[M.DEPARTURES] += out.departures
    m[M.EMPLOYED] += new.employed
    m[M.VACANCIES] += out.vacancies
    m[M.HIRED] += out.hired
    m[M.SHOPS_OPENED] += out.opened
    m[M.SHOPS_CLOSED] += out.closed
    m[M.INCOME_YUAN] += out.income
    m[M.PEOPLE_HOME] += new.members - new.away
    m[M.PUBLIC_COST_YUAN] += out.public_cost
    m[M.POOR_PEOPLE] += new.poor * new.members
    if out.opened == 1 and first_open[v, 0] < 0:
        first_open[v, 0] = t
        first_open[v, 1] = hid


@nb.njit(cache=True)
def panel_row(panel: np.ndarray, y: int, i: int, new: state.HouseholdState,
              out: rules.Outcome) -> None:
    """Fill household ``i``'s row of year ``y`` of the yearly panel (:data:`H`)."""
    panel[y, i, H.SHOP] = out.active
    panel[y, i, H.SHOP_SALES_YUAN] = out.year_sales
    panel[y, i, H.SHOP_PROFIT_YUAN] = out.year_profit
    panel[y, i, H.INCOME_PER_HEAD_YUAN] = out.year_income / new.members
    panel[y, i, H.POOR] = new.poor
    panel[y, i, H.MEMBERS_HOME] = new.members - new.away
    panel[y, i, H.MEMBERS_AWAY] = new.away
    panel[y, i, H.EMPLOYED] = new.employed
    panel[y, i, H.CAPITAL_YUAN] = np.float32(new.capital)


@nb.njit(cache=True)
def advance_household(p: np.ndarray, households: np.ndarray, i: int, hid: int,
                      ties_ptr: np.ndarray, ties_idx: np.ndarray, seen_now: np.ndarray,
                      seen_next: np.ndarray, vv: rules.VillageView, seed: np.uint64, t: int,
                      month_of_year: int, farm_head: float, poverty_line: float):
    """Phase 2a: household ``i``'s month; its record is updated in place and what its
    ties will see next month is written to ``seen_next``.

    Args:
        p: parameter vector of its universe.
        households: the household records (``state.HOUSEHOLD_DTYPE``).
        i: its index in ``households``; ``hid`` its index within its universe
            (a counter of its random draws).
        ties_ptr, ties_idx: CSR tie lists (indices into ``households``).
        seen_now, seen_next: the profit each household's ties see this month (NaN:
            no shop sold) and the buffer for next month's.
        vv: its village's view this month (:func:`village_view`).
        seed, t, month_of_year: universe seed, month index, 0-11.
        farm_head: farm income per member this month, yuan; poverty_line: yuan
            per person per year.

    Returns:
        (its new :class:`~taobao_sim.core.state.HouseholdState`, the month's
        :class:`~taobao_sim.core.rules.Outcome`).
    """
    nv = rules.neighbour_view(ties_idx, ties_ptr[i], ties_ptr[i + 1], seen_now)
    hs = state.load_household(households[i])
    new, out = rules.household_step(p, hs, nv, vv, seed, t, hid, month_of_year, farm_head,
                                    poverty_line)
    state.store_household(households[i], new)
    seen_next[i] = out.seen_profit
    return new, out


@nb.njit(cache=True)
def record_household(m: np.ndarray, agg: np.ndarray, first_open: np.ndarray, v: int, i: int,
                     hid: int, new: state.HouseholdState, out: rules.Outcome, t: int,
                     panel: np.ndarray, panel_year: int) -> None:
    """Phase 2b: add household ``i``'s month to its village's record and aggregates
    (:func:`tally`) and, in December, to the yearly panel (row ``panel_year``; -1:
    none). Called in household order within a village."""
    tally(m, agg, first_open, v, new, out, t, hid)
    if panel_year >= 0:
        panel_row(panel, panel_year, i, new, out)


@nb.njit(cache=True)
def close_village_month(p: np.ndarray, t: int, vv: rules.VillageView, m: np.ndarray,
                        connect_cost: float) -> None:
    """Phase 3: the village-level entries of month ``t``'s record: the industry wage,
    and the public cost of connecting it early in the broadband policy's month."""
    m[M.LOCAL_WAGE_YUAN] = vv.local_wage
    if t == p[P.BROADBAND_FROM]:
        m[M.PUBLIC_COST_YUAN] += connect_cost


@nb.njit(cache=True)
def initial_aggregates(households: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The aggregates (:data:`A`) of households ``lo..hi-1`` before the first month."""
    agg = np.zeros(N_AGG)
    for i in range(lo, hi):
        r = households[i]
        if r.shop_state == ACTIVE:
            agg[A.SHOPS] += 1.0
            agg[A.REPUTATION] += r.reputation
        else:
            agg[A.SUPPLY] += r.workers - r.away
    return agg


def empty_record() -> np.ndarray:
    """A zeroed village-month record (:data:`M`)."""
    return np.zeros(N_METRICS)
