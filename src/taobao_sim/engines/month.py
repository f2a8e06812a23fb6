"""One month of the world, written once for both engines and the dashboard.

A month of a village has four phases, each a compiled function here:

1. :func:`village_view` — what the village's households face this month: the
   market for its category, the wage and the labour market as the last month
   left them;
2. :func:`open_village_month` — the labour market's hires and layoffs of last
   month reach the households (in household order), and each household's goods
   demand and production capacity are added up (:func:`household_supply`);
   then :func:`taobao_sim.core.rules.goods_market` tells how much of the goods
   are made locally;
3. each household's month: :func:`advance_household` (what it sees of its ties,
   the rules of :func:`taobao_sim.core.rules.household_step`, its new state
   stored, what its ties will see next month), then :func:`record_household`
   (its share of the village's record and next-month aggregates, in household
   order);
4. :func:`close_village_month` — village-level entries of the month's record.

After every village, :func:`labour_market` clears the month's labour markets
across villages: layoffs where employers want fewer workers, hires from the
village's idle job seekers, then commuters from villages within reach, and the
wages for next month.

The fast engine (:mod:`taobao_sim.engines.fast`) runs these in a compiled loop,
parallel over villages, phase 3 of a village as one loop (:func:`village_households`);
the Mesa engine (:mod:`taobao_sim.engines.mesa`) calls
1, 2, 3b and 4 from its villages, 3a from each agent's ``step`` and the labour
market from the model, so its agents may step in any order. Sums are taken in
household order within a village and in village order across villages, so both
engines agree to the bit.

Only what others read is double-buffered: the profits ties see (``seen``, one
buffer per month parity) and the village aggregates (``agg``, written for next
month). A household's own record is updated in place.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numba as nb
import numpy as np

from ..core import rng, rules, state
from ..core.params import P
from ..core.records import H, M
from ..core.state import ACTIVE, PREPARING

#: Village aggregates carried from one month to the next (``agg[A.SELLERS]``).
A = IntEnum("A", {
    "SELLERS": 0,  # households with an active shop at the end of the month
    "REPUTATION": 1,  # their reputation
    "SALES": 2,  # sales in the month just ended, yuan
    "DEMAND": 3,  # workers the village's employers want next month
    "SEEKERS": 4,  # idle working-age residents at the end of the month
    "JOBS": 5,  # residents with a job in the village, after this month's quits
    "COMMUTERS_OUT": 6,  # residents with a job elsewhere, after this month's quits
    "COMMUTER_QUITS": 7,  # residents who left a job elsewhere this month
})
N_AGG = len(A)

#: The labour market of each village as :func:`labour_market` leaves it for next
#: month (``lab[v, L.WAGE]``).
L = IntEnum("L", {
    "WAGE": 0,  # industry wage, yuan per worker-month
    "COMMUTE_WAGE": 1,  # mean wage of the village's commuters, yuan per worker-month
    "STAFF_RATIO": 2,  # employed / wanted workers of the village's employers
    "JOB_CHANCE": 3,  # share of the village's idle job seekers hired
    "EMPLOYED": 4,  # people employed in the village (commuters in included)
    "COMMUTERS_IN": 5,  # of whom from other villages
    "HIRE_LOCAL": 6,  # residents to hire into village jobs at the start of next month
    "HIRE_COMMUTE": 7,  # residents to hire into jobs elsewhere
    "LAYOFF_LOCAL": 8,  # residents to lay off from village jobs
    "LAYOFF_COMMUTE": 9,  # residents to lay off from jobs elsewhere
    "SEEKERS": 10,  # idle job seekers the hires are drawn from
    "JOBS": 11,  # residents with village jobs the layoffs are drawn from
    "COMMUTERS_OUT": 12,  # residents with jobs elsewhere the layoffs are drawn from
})
N_LAB = len(L)


# -- phase 1 -------------------------------------------------------------------------

@nb.njit(cache=True)
def village_view(p: np.ndarray, t: int, city_wage: float, orders_per_rep: float,
                 agg: np.ndarray, lab: np.ndarray, internet_step: int) -> rules.VillageView:
    """Phase 1: what a village's households face in month ``t``, from the aggregates
    ``agg`` its households left at the end of month t-1 and its labour market
    ``lab`` (:data:`L`) as the last clearing left it.

    Args:
        p: parameter vector of the universe.
        t: month index since the start.
        city_wage: migrant wage this month, yuan per month.
        orders_per_rep: orders per unit of reputation in the village's category.
        agg: the village's aggregates (:data:`A`) at the end of last month.
        lab: the village's labour market (:data:`L`).
        internet_step: month index from which the village can sell online.
    """
    return rules.village_view(
        p, t, orders_per_rep, city_wage, agg[A.SELLERS], agg[A.SALES], lab[L.WAGE],
        lab[L.COMMUTE_WAGE], lab[L.STAFF_RATIO], lab[L.JOB_CHANCE], t >= internet_step)


# -- phase 2 -------------------------------------------------------------------------

@nb.njit(cache=True)
def _draw_out(key: np.uint64, stream: int, held: int, left: np.ndarray, pool: np.ndarray,
              k: int) -> int:
    """Selection sampling: of a household's ``held`` places, how many of the
    village's ``left[k]`` to be drawn from ``pool[k]`` fall on it. Every place of
    the village is drawn with the same chance and exactly ``left[k]`` are drawn
    over the village's households, in order."""
    drawn = 0
    for j in range(held):
        if pool[k] <= 0:
            break
        if rng.key_uniform(key, stream + j) * pool[k] < left[k]:
            drawn += 1
            left[k] -= 1
        pool[k] -= 1
    return drawn


@nb.njit(cache=True)
def apply_labour_flows(p: np.ndarray, households: np.ndarray, i: int, key: np.uint64,
                       left: np.ndarray, pool: np.ndarray) -> None:
    """Household ``i``'s share of last month's layoffs and hires.

    ``left`` holds the village's layoffs from village jobs and from jobs
    elsewhere, and its hires; ``pool`` the residents they are drawn from (job
    holders, commuters, idle job seekers). A hire goes to a village job or to a
    job elsewhere in proportion to what is left of each.
    """
    r = households[i]
    hs = state.load_household(r)
    idle = rules.labour_use(p, hs).idle  # before this month's layoffs: they seek next month
    r.jobs = hs.jobs - _draw_out(key, rng.STREAM_LAYOFF, hs.jobs, left, pool, 0)
    r.commuters = hs.commuters - _draw_out(key, rng.STREAM_COMMUTER_LAYOFF, hs.commuters,
                                           left, pool, 1)
    hired = _draw_out(key, rng.STREAM_HIRE, idle, left, pool, 2)
    for j in range(hired):
        local, elsewhere = left[3], left[4]
        if rng.key_uniform(key, rng.STREAM_HIRE_PLACE + j) * (local + elsewhere) < local:
            r.jobs += 1
            left[3] -= 1
        else:
            r.commuters += 1
            left[4] -= 1


@nb.njit(cache=True)
def open_village_month(p: np.ndarray, households: np.ndarray, lo: int, hi: int, first_hh: int,
                       seed: np.uint64, t: int, vv: rules.VillageView, lab: np.ndarray):
    """Phase 2: households ``lo..hi-1`` of a village take up last month's hires and
    layoffs, then the village adds up its goods demand and production capacity.

    Returns:
        (goods demand, production capacity, members who could take up piece-work); the
        first two in yuan at outside prices.
    """
    left = np.array([lab[L.LAYOFF_LOCAL], lab[L.LAYOFF_COMMUTE],
                     lab[L.HIRE_LOCAL] + lab[L.HIRE_COMMUTE], lab[L.HIRE_LOCAL],
                     lab[L.HIRE_COMMUTE]])
    pool = np.array([lab[L.JOBS], lab[L.COMMUTERS_OUT], lab[L.SEEKERS]])
    demand = 0.0
    capacity = 0.0
    eligible = 0.0
    for i in range(lo, hi):
        if left[0] + left[1] + left[2] > 0.0:
            apply_labour_flows(p, households, i, rng.household_key(seed, t, i - first_hh),
                               left, pool)
        g, q, e = rules.household_supply(p, state.load_household(households[i]), vv)
        demand += g
        capacity += q
        eligible += e
    return demand, capacity, eligible


# -- phase 3 -------------------------------------------------------------------------

@nb.njit(cache=True, _nrt=False)
def village_households(p: np.ndarray, households: np.ndarray, lo: int, hi: int, first_hh: int,
                       universe: int, ties_ptr: np.ndarray, ties_idx: np.ndarray,
                       seen_now: np.ndarray, seen_next: np.ndarray, vv: rules.VillageView,
                       gm: rules.GoodsMarket, seed: np.uint64, t: int, month_of_year: int,
                       farm_head: float, poverty_line: float, m: np.ndarray, agg: np.ndarray,
                       first_open: np.ndarray, v: int, panel: np.ndarray, panel_every: int,
                       per_universe: int, panel_year: int) -> None:
    """Phase 3 for households ``lo..hi-1`` of village ``v`` (the first household of its
    universe is ``first_hh``), in household order: :func:`advance_household` then
    :func:`record_household` for each, as one compiled loop.

    The same numbers as calling the two per household, faster: the month's rules are
    compiled inline into this loop (``inline="always"``), so a household's state,
    outcome and village view stay in registers instead of being passed, as some
    hundred flattened arguments, through a call per sub-step. Arguments as for
    :func:`advance_household` and :func:`record_household`; ``universe``,
    ``panel_every`` and ``per_universe`` as for :func:`panel_slot`.

    Compiled without numba's reference counting (``_nrt=False``, numba's own switch):
    the loop allocates nothing and its arrays belong to the caller, so the counts are
    not needed, and each inlined call with an array argument would otherwise update
    the count of the universe's parameter array, shared by every thread, with an
    atomic operation (about 40% of the loop's time on one thread, more on two).
    """
    for i in range(lo, hi):
        hid = i - first_hh
        old, new, out = _advance(p, households, i, hid, ties_ptr, ties_idx, seen_now,
                                 seen_next, vv, gm, seed, t, month_of_year, farm_head,
                                 poverty_line)
        slot = panel_slot(universe, hid, panel_every, per_universe)
        _record(p, m, agg, first_open, v, slot, hid, old, new, out, t, panel, panel_year)


@nb.njit(cache=True, _nrt=False)
def advance_household(p: np.ndarray, households: np.ndarray, i: int, hid: int,
                      ties_ptr: np.ndarray, ties_idx: np.ndarray, seen_now: np.ndarray,
                      seen_next: np.ndarray, vv: rules.VillageView, gm: rules.GoodsMarket,
                      seed: np.uint64, t: int, month_of_year: int, farm_head: float,
                      poverty_line: float):
    """Phase 3a: household ``i``'s month; its record is updated in place and what its
    ties will see next month is written to ``seen_next``.

    Args:
        p: parameter vector of its universe.
        households: the household records (``state.HOUSEHOLD_DTYPE``).
        i: its index in ``households``; ``hid`` its index within its universe
            (a counter of its random draws).
        ties_ptr, ties_idx: CSR tie lists (indices into ``households``).
        seen_now, seen_next: the profit each household's ties see this month (NaN:
            no shop sold) and the buffer for next month's.
        vv, gm: its village's view and goods market this month.
        seed, t, month_of_year: universe seed, month index, 0-11.
        farm_head: farm income per member this month, yuan; poverty_line: yuan
            per person per year.

    Returns:
        (its state at the start of the month, its new
        :class:`~taobao_sim.core.state.HouseholdState`, the month's
        :class:`~taobao_sim.core.rules.Outcome`).

    Compiled without reference counting, as :func:`village_households` is.
    """
    return _advance(p, households, i, hid, ties_ptr, ties_idx, seen_now, seen_next, vv, gm,
                    seed, t, month_of_year, farm_head, poverty_line)


@nb.njit(cache=True, inline="always")
def _advance(p: np.ndarray, households: np.ndarray, i: int, hid: int, ties_ptr: np.ndarray,
             ties_idx: np.ndarray, seen_now: np.ndarray, seen_next: np.ndarray,
             vv: rules.VillageView, gm: rules.GoodsMarket, seed: np.uint64, t: int,
             month_of_year: int, farm_head: float, poverty_line: float):
    """:func:`advance_household`, compiled inline into its callers."""
    nv = rules.neighbour_view(ties_idx, ties_ptr[i], ties_ptr[i + 1], seen_now)
    hs = state.load_household(households[i])
    new, out = rules.household_step(p, hs, nv, vv, gm, seed, t, hid, month_of_year,
                                    farm_head, poverty_line)
    state.store_household(households[i], new)
    seen_next[i] = out.seen_profit
    return hs, new, out


@nb.njit(cache=True, inline="always")
def tally(p: np.ndarray, m: np.ndarray, agg: np.ndarray, first_open: np.ndarray, v: int,
          new: state.HouseholdState, out: rules.Outcome, t: int, hid: int) -> None:
    """Add one household's month to its village's record ``m`` (:data:`M`) and
    next-month aggregates ``agg`` (:data:`A`), and note the village's first shop
    in ``first_open[v]``. Reputation is summed as stored (float32)."""
    if new.shop_state == ACTIVE:
        agg[A.SELLERS] += 1.0
        agg[A.REPUTATION] += np.float64(np.float32(new.reputation))
    idle = rules.labour_use(p, new).idle
    agg[A.SALES] += out.sales
    agg[A.DEMAND] += out.labour_demand
    agg[A.SEEKERS] += idle
    agg[A.JOBS] += new.jobs
    agg[A.COMMUTERS_OUT] += new.commuters
    agg[A.COMMUTER_QUITS] += out.commuter_quits
    m[M.HOUSEHOLDS] += 1.0
    m[M.PEOPLE] += new.members
    m[M.PEOPLE_HOME] += new.members - new.away
    m[M.ENGAGED] += out.engaged
    m[M.SELLERS] += out.active
    m[M.SHOPS] += out.stores
    m[M.PREPARING] += 1.0 if new.shop_state == PREPARING else 0.0
    m[M.SALES_YUAN] += out.sales
    m[M.ORDERS_YUAN] += out.orders
    m[M.UNSERVED_SALES_YUAN] += out.unserved
    m[M.PROFIT_YUAN] += out.profit
    m[M.FIRM_PROFIT_YUAN] += out.firm_profit
    m[M.GOODS_DEMAND_YUAN] += out.goods
    m[M.LOCAL_GOODS_YUAN] += out.local_goods
    m[M.POOR] += new.poor
    m[M.POOR_PEOPLE] += new.poor * new.members
    m[M.MIGRANTS] += new.away
    m[M.RETURNS] += out.returns
    m[M.DEPARTURES] += out.departures
    m[M.QUITS] += out.quits + out.commuter_quits
    m[M.HOMEWORKERS] += out.homeworkers
    m[M.INDUSTRY_WORKERS] += out.business_workers + out.homeworkers + out.staff
    m[M.WAGES_PAID_YUAN] += out.wages_paid
    m[M.WAGES_RECEIVED_YUAN] += out.wages_received
    m[M.SHOPS_OPENED] += out.opened
    m[M.SHOPS_CLOSED] += out.closed
    m[M.FIRMS_OPENED] += out.firm_opened
    m[M.FIRMS_CLOSED] += out.firm_closed
    m[M.INCOME_YUAN] += out.income
    m[M.PUBLIC_COST_YUAN] += out.public_cost
    m[M.SEEKERS] += idle
    if out.opened == 1 and first_open[v, 0] < 0:
        first_open[v, 0] = t
        first_open[v, 1] = hid


@nb.njit(cache=True, _nrt=False)
def record_household(p: np.ndarray, m: np.ndarray, agg: np.ndarray, first_open: np.ndarray,
                     v: int, slot: int, hid: int, old: state.HouseholdState,
                     new: state.HouseholdState, out: rules.Outcome, t: int, panel: np.ndarray,
                     panel_year: int) -> None:
    """Phase 3b: add household ``hid``'s month to its village's record and aggregates
    (:func:`tally`) and, in December, to the yearly panel (row ``panel_year``, column
    ``slot``; -1: none). ``old`` is its state at the start of the month. Called in
    household order within a village."""
    _record(p, m, agg, first_open, v, slot, hid, old, new, out, t, panel, panel_year)


@nb.njit(cache=True, inline="always")
def _record(p: np.ndarray, m: np.ndarray, agg: np.ndarray, first_open: np.ndarray, v: int,
            slot: int, hid: int, old: state.HouseholdState, new: state.HouseholdState,
            out: rules.Outcome, t: int, panel: np.ndarray, panel_year: int) -> None:
    """:func:`record_household`, compiled inline into its callers."""
    tally(p, m, agg, first_open, v, new, out, t, hid)
    employed = old.jobs + old.commuters
    m[M.EMPLOYED] += employed
    m[M.COMMUTERS_OUT] += old.commuters
    m[M.FIRMS] += old.firm
    m[M.FACTORIES] += 1.0 if old.firm == 1 and old.firm_staff >= p[P.FACTORY_STAFF] else 0.0
    if panel_year >= 0 and slot >= 0:
        panel_row(panel, panel_year, slot, old, new, out)


@nb.njit(cache=True, inline="always")
def panel_slot(universe: int, hid: int, every: int, per_universe: int) -> int:
    """The panel column of household ``hid`` of a universe: every ``every``-th household
    has one (:func:`~taobao_sim.core.run_output.panel_slots` per universe), -1 others."""
    if hid % every != 0:
        return -1
    return universe * per_universe + hid // every


@nb.njit(cache=True)
def panel_row(panel: np.ndarray, y: int, i: int, old: state.HouseholdState,
              new: state.HouseholdState, out: rules.Outcome) -> None:
    """Fill household ``i``'s row of year ``y`` of the yearly panel (:data:`H`)."""
    panel[y, i, H.SHOP] = out.active
    panel[y, i, H.STORES] = out.stores
    panel[y, i, H.SHOP_SALES_YUAN] = out.year_sales
    panel[y, i, H.SHOP_PROFIT_YUAN] = out.year_profit
    panel[y, i, H.FIRM_WORKERS] = old.firm_staff if old.firm == 1 else 0.0
    panel[y, i, H.INCOME_PER_HEAD_YUAN] = out.year_income / new.members
    panel[y, i, H.POOR] = new.poor
    panel[y, i, H.MEMBERS_HOME] = new.members - new.away
    panel[y, i, H.MEMBERS_AWAY] = new.away
    panel[y, i, H.EMPLOYED] = old.jobs + old.commuters
    panel[y, i, H.HOMEWORKERS] = out.homeworkers
    panel[y, i, H.CAPITAL_YUAN] = np.float32(new.capital)


# -- phase 4 -------------------------------------------------------------------------

@nb.njit(cache=True)
def close_village_month(p: np.ndarray, t: int, vv: rules.VillageView, m: np.ndarray,
                        lab: np.ndarray, market_demand: float, connect_cost: float) -> None:
    """Phase 4: the village-level entries of month ``t``'s record: the industry wage,
    commuters in, the national demand of its category, and the public cost of
    connecting it early in the broadband policy's month."""
    m[M.LOCAL_WAGE_YUAN] = vv.wage
    m[M.COMMUTERS_IN] = lab[L.COMMUTERS_IN]
    m[M.MARKET_DEMAND_YUAN] = market_demand
    if t == p[P.BROADBAND_FROM]:
        m[M.PUBLIC_COST_YUAN] += connect_cost


@nb.njit(cache=True)
def initial_aggregates(p: np.ndarray, households: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The aggregates (:data:`A`) of households ``lo..hi-1`` before the first month."""
    agg = np.zeros(N_AGG)
    for i in range(lo, hi):
        hs = state.load_household(households[i])
        if hs.shop_state == ACTIVE:
            agg[A.SELLERS] += 1.0
            agg[A.REPUTATION] += hs.reputation
        agg[A.SEEKERS] += rules.labour_use(p, hs).idle
        agg[A.JOBS] += hs.jobs
        agg[A.COMMUTERS_OUT] += hs.commuters
    return agg


def initial_labour(p: np.ndarray, city_wage: float, agg: np.ndarray) -> np.ndarray:
    """A village's labour market before the first month: no industry jobs, the
    starting wage, and its residents as they are."""
    lab = np.zeros(N_LAB)
    lab[L.WAGE] = lab[L.COMMUTE_WAGE] = p[P.BASE_WAGE_RATIO] * city_wage
    lab[L.STAFF_RATIO] = 1.0
    lab[L.SEEKERS] = agg[A.SEEKERS]
    lab[L.JOBS] = agg[A.JOBS]
    lab[L.COMMUTERS_OUT] = agg[A.COMMUTERS_OUT]
    return lab


def empty_record() -> np.ndarray:
    """A zeroed village-month record (:data:`M`)."""
    from ..core.records import N_METRICS

    return np.zeros(N_METRICS)


# -- the labour market -------------------------------------------------------------

@nb.njit(cache=True)
def _share_out(total: int, stocks: np.ndarray) -> np.ndarray:
    """Split ``total`` whole units over ``stocks`` in proportion to them (largest
    remainders, ties to the earlier stock), never taking more than a stock holds."""
    out = np.zeros(len(stocks), dtype=np.int64)
    held = stocks.sum()
    if total <= 0 or held <= 0:
        return out
    total = min(total, held)
    exact = total * stocks / held
    given = 0
    for k in range(len(stocks)):
        out[k] = int(math.floor(exact[k]))  # noqa: RUF046 (typed for numba)
        given += out[k]
    rest = exact - out
    while given < total:
        best = -1
        for k in range(len(stocks)):
            if out[k] < stocks[k] and (best < 0 or rest[k] > rest[best]):
                best = k
        out[best] += 1
        rest[best] = -1.0
        given += 1
    return out


@nb.njit(cache=True)
def _commuter_quits(agg: np.ndarray, commute: np.ndarray, origin_ptr: np.ndarray,
                    origin_dest: np.ndarray, origin_slot: np.ndarray) -> None:
    """Take each village's commuters who quit off the stocks of the villages they
    worked in, in proportion to those stocks."""
    for u in range(len(origin_ptr) - 1):
        quits = int(agg[u, A.COMMUTER_QUITS])
        lo, hi = origin_ptr[u], origin_ptr[u + 1]
        if quits <= 0 or hi == lo:
            continue
        stocks = np.empty(hi - lo, dtype=np.int64)
        for j in range(lo, hi):
            stocks[j - lo] = commute[origin_dest[j], origin_slot[j]]
        taken = _share_out(quits, stocks)
        for j in range(lo, hi):
            commute[origin_dest[j], origin_slot[j]] -= taken[j - lo]


@nb.njit(cache=True)
def labour_market(params: np.ndarray, village_universe: np.ndarray, agg: np.ndarray,
                  lab: np.ndarray, commute: np.ndarray, neighbours: np.ndarray,
                  distance: np.ndarray, origin_ptr: np.ndarray, origin_dest: np.ndarray,
                  origin_slot: np.ndarray, wage_growth: np.ndarray, wage_floor: np.ndarray,
                  record: np.ndarray) -> None:
    """Clear the month's labour markets, in village order: layoffs where employers
    want fewer workers than they have; hires from the village's idle job seekers;
    then, for the vacancies left, commuters from the villages within reach
    (nearest first, a share of their remaining seekers falling with distance);
    and the wage for next month, which rises with the vacancy rate and falls with
    the rate of idle job seekers (each against the village's industry jobs).
    Writes ``lab`` for next month and the month's vacancies, hires and layoffs
    into ``record`` (villages, :data:`M`).

    Args:
        params: parameter vector of each universe.
        village_universe: universe of each village.
        agg: the villages' aggregates (:data:`A`) at the end of the month.
        lab: the villages' labour markets (:data:`L`), updated in place.
        commute: (villages, K) people commuting to each village from each of its
            neighbours, updated in place.
        neighbours, distance: (villages, K) the villages within commuting reach
            of each village (-1: none) and their distances, km, nearest first.
        origin_ptr, origin_dest, origin_slot: for each village, the (village,
            slot) pairs of ``commute`` that hold its residents.
        wage_growth: growth of the migrant wage into next month, per universe.
        wage_floor: the casual wage next month, per universe (the lowest wage).
    """
    V, K = neighbours.shape
    _commuter_quits(agg, commute, origin_ptr, origin_dest, origin_slot)
    seekers = np.empty(V)
    vacancies = np.empty(V)
    hired_in = np.zeros(V)
    for v in range(V):
        lab[v, L.SEEKERS] = agg[v, A.SEEKERS]
        lab[v, L.JOBS] = agg[v, A.JOBS]
        lab[v, L.COMMUTERS_OUT] = agg[v, A.COMMUTERS_OUT]
        lab[v, L.HIRE_COMMUTE] = 0.0
        lab[v, L.LAYOFF_COMMUTE] = 0.0
    for v in range(V):
        positions = int(math.floor(agg[v, A.DEMAND] + 0.5))  # noqa: RUF046 (numba)
        stocks = np.empty(K + 1, dtype=np.int64)
        stocks[0] = int(agg[v, A.JOBS])
        stocks[1:] = commute[v]
        cut = _share_out(int(stocks.sum()) - positions, stocks)
        lab[v, L.LAYOFF_LOCAL] = cut[0]
        for k in range(K):
            if cut[k + 1] > 0:
                commute[v, k] -= cut[k + 1]
                lab[neighbours[v, k], L.LAYOFF_COMMUTE] += cut[k + 1]
        kept = stocks.sum() - cut.sum()
        open_jobs = max(0, positions - kept)
        local = min(open_jobs, int(agg[v, A.SEEKERS]))
        lab[v, L.HIRE_LOCAL] = local
        record[v, M.LAID_OFF] = cut.sum()
        record[v, M.HIRED] = local
        seekers[v] = agg[v, A.SEEKERS] - local
        vacancies[v] = open_jobs - local
        lab[v, L.EMPLOYED] = kept + local
    for v in range(V):
        p = params[village_universe[v]]
        for k in range(K):
            u = neighbours[v, k]
            if u < 0 or vacancies[v] <= 0:
                break
            ready = p[P.COMMUTE_SHARE] * math.exp(-distance[v, k] / p[P.COMMUTE_DECAY_KM])
            take = min(vacancies[v], math.floor(ready * seekers[u] + 0.5))
            if take > 0:
                commute[v, k] += take
                lab[u, L.HIRE_COMMUTE] += take
                seekers[u] -= take
                vacancies[v] -= take
                hired_in[v] += take
    _next_month(params, village_universe, agg, lab, commute, neighbours, seekers, vacancies,
                hired_in, wage_growth, wage_floor, record)


@nb.njit(cache=True)
def _next_month(params, village_universe, agg, lab, commute, neighbours, seekers, vacancies,
                hired_in, wage_growth, wage_floor, record) -> None:
    """The labour market's state for next month: employment, staff ratios, hiring
    chances, wages and commuters' mean wages."""
    V, K = neighbours.shape
    for v in range(V):
        p = params[village_universe[v]]
        lab[v, L.EMPLOYED] += hired_in[v]
        lab[v, L.COMMUTERS_IN] = commute[v].sum()
        demand = agg[v, A.DEMAND]
        # whole workers: up to half a worker more than wanted, paid for in full
        lab[v, L.STAFF_RATIO] = lab[v, L.EMPLOYED] / demand if demand > 0.0 else 1.0
        offers = lab[v, L.HIRE_LOCAL] + lab[v, L.HIRE_COMMUTE]
        lab[v, L.JOB_CHANCE] = offers / agg[v, A.SEEKERS] if agg[v, A.SEEKERS] > 0.0 else 0.0
        a = p[P.WAGE_SMOOTHING_WORKERS]
        employed = lab[v, L.EMPLOYED]
        # vacancy rate less unemployment rate among the village's industry jobs
        tight = vacancies[v] / (employed + vacancies[v] + a) - seekers[v] / (employed
                                                                            + seekers[v] + a)
        u = village_universe[v]
        wage = lab[v, L.WAGE] * wage_growth[u] * math.exp(p[P.WAGE_RESPONSE] * tight)
        lab[v, L.WAGE] = max(wage, wage_floor[u])
        record[v, M.VACANCIES] = vacancies[v]
        record[v, M.HIRED] += hired_in[v]
    paid = np.zeros(V)
    count = np.zeros(V)
    for v in range(V):
        for k in range(K):
            u = neighbours[v, k]
            if u >= 0 and commute[v, k] > 0:
                paid[u] += commute[v, k] * lab[v, L.WAGE]
                count[u] += commute[v, k]
    for u in range(V):
        lab[u, L.COMMUTE_WAGE] = paid[u] / count[u] if count[u] > 0 else lab[u, L.WAGE]


@nb.njit(cache=True)
def category_reputation(agg: np.ndarray, village_universe: np.ndarray,
                        village_category: np.ndarray, out: np.ndarray) -> None:
    """Reputation of each universe's active shops by category (``out[u, k]``), summed
    in village order."""
    out[:, :] = 0.0
    for v in range(len(village_universe)):
        out[village_universe[v], village_category[v]] += agg[v, A.REPUTATION]


#: The category ``market.outside_reputation`` is set for, and the year in which the
#: other categories' nationwide reputation is scaled by their demand relative to it.
REFERENCE_CATEGORY = "costumes"
REFERENCE_YEAR = 2019


def category_size(s, categories: tuple[str, ...]) -> np.ndarray:
    """Each category's nationwide seller reputation relative to costumes': its national
    online demand over theirs in :data:`REFERENCE_YEAR` (1 for costumes), times
    ``market.market_scale``."""
    from ..core.scenario import demand_series

    reference = s.series.get(demand_series(REFERENCE_CATEGORY), REFERENCE_YEAR)
    return np.array([s.series.get(demand_series(c), REFERENCE_YEAR) / reference
                     for c in categories]) * s.market_scale


def category_demand(s, months: int, categories: tuple[str, ...]) -> np.ndarray:
    """National online demand of each category in each month, yuan: the yearly
    series spread over its months, scaled by ``market.demand_scale``,
    ``market.market_scale`` and the season.
    Shape (months, categories)."""
    from ..core.scenario import demand_series

    p = s.param_vector()
    moy = [(s.start + t) % 12 for t in range(months)]
    seasons = np.array([rules.season(p, k) for k in moy])
    out = np.empty((months, len(categories)))
    for k, cat in enumerate(categories):
        out[:, k] = s.series.monthly(demand_series(cat), s.start, months) / 12.0 \
            * s["market.demand_scale"] * s.market_scale * seasons
    return out
