"""The fast engine's step loop: numba, parallel over villages, synchronous.

Each month every household reads the world as it stood at the start of the
month (its own record, its ties' last-month profits from the ``seen`` buffer,
and its village's aggregates from ``vagg``) and writes its state for the next
month. Only what other households read is double-buffered (``seen``, ``vagg``,
``rep_total``); everything else is updated in place. Sums are taken in
household order within a village and in village order within a universe, so
results do not depend on the number of threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from . import rules
from .rules import ACTIVE, HouseholdState

# Village aggregates carried from one month to the next (vagg[buffer, village, k]).
A_SHOPS = 0  # active shops
A_REPUTATION = 1  # reputation of active shops
A_SALES = 2  # sales in the month just ended, yuan
A_VACANCIES = 3  # workers the shops wanted to hire in the month just ended
A_SUPPLY = 4  # working-age members at home in households without an active shop
N_AGG = 5

# Village metrics per month (metrics[month, village, k]); see metrics.VILLAGE_COLUMNS.
M_HOUSEHOLDS = 0
M_ENGAGED = 1
M_SHOPS = 2
M_PREPARING = 3
M_SALES = 4
M_PROFIT = 5
M_POOR = 6
M_MIGRANTS = 7
M_RETURNS = 8
M_DEPARTURES = 9
M_EMPLOYED = 10
M_VACANCIES = 11
M_HIRED = 12
M_LOCAL_WAGE = 13
M_OPENED = 14
M_CLOSED = 15
M_INCOME = 16
M_PEOPLE_HOME = 17
M_PUBLIC_COST = 18
M_POOR_PEOPLE = 19
N_METRICS = 20

# Household panel per year (panel[year, household, k]); see metrics.PANEL_COLUMNS.
H_SHOP = 0
H_SALES = 1
H_PROFIT = 2
H_INCOME_PER_HEAD = 3
H_POOR = 4
H_MEMBERS_HOME = 5
H_MEMBERS_AWAY = 6
H_EMPLOYED = 7
H_CAPITAL = 8
N_PANEL = 9


@nb.njit(cache=True)
def _load(r) -> HouseholdState:
    return HouseholdState(
        np.int64(r.members), np.int64(r.workers), np.int64(r.away), np.int64(r.employed),
        np.int64(r.shop_state), np.int64(r.shop_age), np.int64(r.loss_run), np.int64(r.poor),
        np.float64(r.capital), np.float64(r.debt), np.float64(r.skill),
        np.float64(r.reputation), np.float64(r.land), np.float64(r.income_ytd),
        np.float64(r.sales_ytd), np.float64(r.profit_ytd),
    )


@nb.njit(cache=True)
def _store(r, s: HouseholdState) -> None:
    r.away = s.away
    r.employed = s.employed
    r.shop_state = s.shop_state
    r.shop_age = s.shop_age
    r.loss_run = s.loss_run
    r.poor = s.poor
    r.capital = s.capital
    r.debt = s.debt
    r.skill = s.skill
    r.reputation = s.reputation
    r.income_ytd = s.income_ytd
    r.sales_ytd = s.sales_ytd
    r.profit_ytd = s.profit_ytd


@nb.njit(cache=True)
def tally(m, agg, first_open, v: int, hs: HouseholdState, new: HouseholdState, out, t: int,
          hid: int) -> None:
    """Add one household's month to its village's metrics ``m`` and next-month
    aggregates ``agg``, and note the village's first shop in ``first_open[v]``.

    Both engines call this in household order, so their sums agree to the bit.
    Reputation is summed as stored (float32).
    """
    if new.shop_state == ACTIVE:
        agg[A_SHOPS] += 1.0
        agg[A_REPUTATION] += np.float64(np.float32(new.reputation))
    else:
        agg[A_SUPPLY] += new.workers - new.away
    agg[A_SALES] += out.sales
    agg[A_VACANCIES] += out.vacancies
    m[M_HOUSEHOLDS] += 1.0
    m[M_ENGAGED] += out.engaged
    m[M_SHOPS] += 1.0 if hs.shop_state == ACTIVE else 0.0
    m[M_PREPARING] += 1.0 if new.shop_state == rules.PREPARING else 0.0
    m[M_SALES] += out.sales
    m[M_PROFIT] += out.profit
    m[M_POOR] += new.poor
    m[M_MIGRANTS] += new.away
    m[M_RETURNS] += out.returns
    m[M_DEPARTURES] += out.departures
    m[M_EMPLOYED] += new.employed
    m[M_VACANCIES] += out.vacancies
    m[M_HIRED] += out.hired
    m[M_OPENED] += out.opened
    m[M_CLOSED] += out.closed
    m[M_INCOME] += out.income
    m[M_PEOPLE_HOME] += new.members - new.away
    m[M_PUBLIC_COST] += out.public_cost
    m[M_POOR_PEOPLE] += new.poor * new.members
    if out.opened == 1 and first_open[v, 0] < 0:
        first_open[v, 0] = t
        first_open[v, 1] = hid


@nb.njit(cache=True)
def panel_row(panel, y: int, i: int, hs: HouseholdState, new: HouseholdState, out) -> None:
    """Fill household ``i``'s December row of year ``y`` of the yearly panel."""
    panel[y, i, H_SHOP] = 1.0 if hs.shop_state == ACTIVE else 0.0
    panel[y, i, H_SALES] = out.year_sales
    panel[y, i, H_PROFIT] = out.year_profit
    panel[y, i, H_INCOME_PER_HEAD] = out.year_income / new.members
    panel[y, i, H_POOR] = new.poor
    panel[y, i, H_MEMBERS_HOME] = new.members - new.away
    panel[y, i, H_MEMBERS_AWAY] = new.away
    panel[y, i, H_EMPLOYED] = new.employed
    panel[y, i, H_CAPITAL] = np.float32(new.capital)


@nb.njit(cache=True, parallel=True)
def init_aggregates(hh, village_start, vagg, buf) -> None:
    """Fill ``vagg[buf]`` from the households' state (before the first month)."""
    for v in nb.prange(len(village_start) - 1):
        shops = 0.0
        rep = 0.0
        supply = 0.0
        for i in range(village_start[v], village_start[v + 1]):
            r = hh[i]
            if r.shop_state == ACTIVE:
                shops += 1.0
                rep += r.reputation
            else:
                supply += r.workers - r.away
        vagg[buf, v, A_SHOPS] = shops
        vagg[buf, v, A_REPUTATION] = rep
        vagg[buf, v, A_SALES] = 0.0
        vagg[buf, v, A_VACANCIES] = 0.0
        vagg[buf, v, A_SUPPLY] = supply


@nb.njit(cache=True, parallel=True)
def run_months(
    hh, ties_ptr, ties_idx, seen, vagg, rep_total,
    village_start, village_universe, village_internet, village_discovery,
    village_connect_cost, universe_village_start, universe_seed, params,
    city_wage, poverty_line, start_month, t0, t1,
    metrics, panel, first_open,
) -> None:
    """Advance every universe from month index ``t0`` to ``t1`` (exclusive).

    Args:
        hh: household records (HOUSEHOLD_DTYPE), updated in place.
        ties_ptr, ties_idx: CSR tie lists.
        seen: float32 (2, households): profit each household's ties saw; buffer
            ``t % 2`` holds month t's view.
        vagg: float64 (2, villages, N_AGG) village aggregates, buffered likewise.
        rep_total: float64 (2, universes) reputation of all active shops.
        village_start, village_universe, village_internet, village_discovery,
        village_connect_cost, universe_village_start, universe_seed, params: see
        :class:`world.World`.
        city_wage, poverty_line: float64 (universes, months) driving series.
        start_month: absolute month number of month index 0.
        t0, t1: month indices to run.
        metrics: float64 (months, villages, N_METRICS), written for t0..t1-1.
        panel: float32 (years, households, N_PANEL), written each December;
            shape (0, 0, N_PANEL) to switch it off.
        first_open: int64 (villages, 2): month index and household index (within
            its universe) of the first shop to sell in each village; -1 if none.
    """
    n_villages = len(village_universe)
    n_universes = len(universe_seed)
    first_year = start_month // 12
    for t in range(t0, t1):
        cur = t % 2
        nxt = 1 - cur
        month_of_year = (start_month + t) % 12
        year_index = (start_month + t) // 12 - first_year
        record_panel = month_of_year == 11 and panel.shape[0] > year_index
        for v in nb.prange(n_villages):
            u = village_universe[v]
            p = params[u]
            seed = universe_seed[u]
            first_hh = village_start[universe_village_start[u]]
            vv = rules.village_view(
                p, t, month_of_year, city_wage[u, t], rep_total[cur, u],
                vagg[cur, v, A_SHOPS], vagg[cur, v, A_SALES], vagg[cur, v, A_VACANCIES],
                vagg[cur, v, A_SUPPLY], t >= village_internet[v], village_discovery[v],
            )
            farm = rules.farm_income_head(p, t)
            line = poverty_line[u, t]
            m = np.zeros(N_METRICS)
            agg = np.zeros(N_AGG)
            seen_cur = seen[cur]
            seen_nxt = seen[nxt]
            for i in range(village_start[v], village_start[v + 1]):
                nv = rules.neighbour_view(ties_idx, ties_ptr[i], ties_ptr[i + 1], seen_cur)
                hs = _load(hh[i])
                new, out = rules.household_step(
                    p, hs, nv, vv, seed, t, i - first_hh, month_of_year, farm, line
                )
                _store(hh[i], new)
                seen_nxt[i] = out.seen_profit
                tally(m, agg, first_open, v, hs, new, out, t, i - first_hh)
                if record_panel:
                    panel_row(panel, year_index, i, hs, new, out)
            m[M_LOCAL_WAGE] = vv.local_wage
            if t == p[rules.P.BROADBAND_FROM]:
                m[M_PUBLIC_COST] += village_connect_cost[v]
            metrics[t, v, :] = m
            vagg[nxt, v, :] = agg
        for u in range(n_universes):
            total = 0.0
            for v in range(universe_village_start[u], universe_village_start[u + 1]):
                total += vagg[nxt, v, A_REPUTATION]
            rep_total[nxt, u] = total
