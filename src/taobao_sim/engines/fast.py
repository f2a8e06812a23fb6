"""The fast engine: numba, parallel over villages, synchronous.

:func:`run_months` is the month loop: each month, every village runs the
phases of :mod:`taobao_sim.engines.month` (in parallel across villages, in
household order within one), then the labour markets clear across villages and
each universe's reputation by category is summed, in village order, so results
do not depend on the number of threads.

:class:`FastRun` holds a batch of universes in flight and advances it month by
month (the dashboard steps one); :func:`simulate_universes` runs a batch to the
end and returns a :class:`~taobao_sim.core.run_output.RunOutput`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numba
import numba as nb
import numpy as np

from ..core import dates, resources, rules
from ..core.params import P
from ..core.records import N_METRICS, N_PANEL, N_VILLAGE_YEAR, add_month
from ..core.run_output import RunOutput, panel_slots, panel_years
from ..core.scenario import Scenario
from ..core.world import World, build_world
from . import month
from .month import N_AGG, N_LAB

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(months_done, months_total)`` between chunks."""

#: Months advanced per kernel call; the progress bar moves between calls.
CHUNK_MONTHS = 12


@nb.njit(cache=True, parallel=True)
def run_months(w, seen, vagg, lab, commute, rep_total, city_wage, poverty_line, demand, size,
               start_month, t0, t1, metrics, m0, panel, panel_every, first_open) -> None:
    """Advance every universe from month index ``t0`` to ``t1`` (exclusive).

    Args:
        w: the world's arrays (:func:`world_arrays`).
        seen: float32 (2, households): profit each household's ties saw; buffer
            ``t % 2`` holds month t's view.
        vagg: float64 (2, villages, N_AGG) village aggregates, buffered likewise.
        lab: float64 (villages, N_LAB) the villages' labour markets.
        commute: int64 (villages, K) people commuting to each village from each of
            its neighbours.
        rep_total: float64 (2, universes, categories) reputation of active shops.
        city_wage, poverty_line: float64 (universes, months) driving series.
        demand: float64 (universes, months, categories) national demand, yuan.
        size: float64 (universes, categories) each category's nationwide reputation
            relative to costumes' (:func:`~taobao_sim.engines.month.category_size`).
        start_month: absolute month number of month index 0.
        t0, t1: month indices to run.
        metrics: float64 (months held, villages, N_METRICS): month t is written to row
            ``t - m0``, for t0..t1-1.
        m0: the month index held in row 0 of ``metrics`` (0 when it holds the whole run).
        panel: float32 (years, households, N_PANEL), written each December for every
            ``panel_every``-th household of each universe; shape (0, 0, N_PANEL) to
            switch it off.
        first_open: int64 (villages, 2): month index and household index (within
            its universe) of the first shop to sell in each village; -1 if none.
    """
    (hh, ties_ptr, ties_idx, village_start, village_universe, internet, category,
     connect_cost, universe_village_start, universe_seed, params, neighbours, distance,
     origin_ptr, origin_dest, origin_slot) = w
    n_villages = len(village_universe)
    n_universes = len(universe_seed)
    per_universe = panel.shape[1] // n_universes if n_universes else 0
    T = city_wage.shape[1]
    first_year = start_month // 12
    for t in range(t0, t1):
        cur = t % 2
        month_of_year = (start_month + t) % 12
        year_index = (start_month + t) // 12 - first_year
        panel_year = year_index if month_of_year == 11 and panel.shape[0] > year_index else -1
        for v in nb.prange(n_villages):
            u = village_universe[v]
            p = params[u]
            k = category[v]
            lo, hi = village_start[v], village_start[v + 1]
            first_hh = village_start[universe_village_start[u]]
            seed = universe_seed[u]
            y = rules.orders_per_reputation(p, t, demand[u, t, k], rep_total[cur, u, k],
                                            size[u, k])
            vv = month.village_view(p, t, city_wage[u, t], y, vagg[cur, v], lab[v],
                                    internet[v])
            goods, capacity, eligible = month.open_village_month(p, hh, lo, hi, first_hh, seed,
                                                                 t, vv, lab[v])
            gm = rules.goods_market(p, vv, goods, capacity, eligible, hi - lo)
            farm = rules.farm_income_head(p, t)
            m = np.zeros(N_METRICS)
            agg = np.zeros(N_AGG)
            seen_now = seen[cur]
            seen_next = seen[1 - cur]
            month.village_households(p, hh, lo, hi, first_hh, u, ties_ptr, ties_idx, seen_now,
                                     seen_next, vv, gm, seed, t, month_of_year, farm,
                                     poverty_line[u, t], m, agg, first_open, v, panel,
                                     panel_every, per_universe, panel_year)
            month.close_village_month(p, t, vv, m, lab[v], demand[u, t, k], connect_cost[v])
            metrics[t - m0, v, :] = m
            vagg[1 - cur, v, :] = agg
        nxt = min(t + 1, T - 1)
        growth = city_wage[:, nxt] / city_wage[:, t]
        floor = city_wage[:, nxt] * params[:, P.CASUAL_WAGE_RATIO]
        month.labour_market(params, village_universe, vagg[1 - cur], lab, commute, neighbours,
                            distance, origin_ptr, origin_dest, origin_slot, growth, floor,
                            metrics[t - m0])
        month.category_reputation(vagg[1 - cur], village_universe, category, rep_total[1 - cur])


def world_arrays(w: World) -> tuple:
    """The world's arrays in the order :func:`run_months` unpacks them."""
    return (w.households, w.ties_ptr, w.ties_idx, w.village_start, w.village_universe,
            w.village_internet_step, w.village_category, w.village_connect_cost,
            w.universe_village_start, w.universe_seed, w.params, w.commute_neighbours,
            w.commute_distance, w.origin_ptr, w.origin_dest, w.origin_slot)


class FastRun:
    """A batch of universes in flight on the fast engine, advanced month by month.

    Args:
        world: the batch's world (:func:`~taobao_sim.core.world.build_world`).
        wages, lines: float64 (universes, months) migrant wage (yuan per month)
            and poverty line (yuan per person per year) of each month.
        demand: float64 (universes, months, categories) national online demand of
            each category, yuan per month.
        size: float64 (universes, categories) each category's nationwide reputation
            relative to costumes'.
        start_month: absolute month number of the first month.
        years: rows of the yearly household panel to record (0: none).
        panel_every: the panel holds every this-many-th household of each universe.
        stream: hold the village-month records of one month at a time (month ``m0``
            in ``metrics``) instead of the whole run's; advance with
            :meth:`advance_month`, which hands each month to its caller.
    """

    def __init__(self, world: World, wages: np.ndarray, lines: np.ndarray, demand: np.ndarray,
                 size: np.ndarray, start_month: int, years: int, panel_every: int = 1,
                 stream: bool = False) -> None:
        n, v, u = world.n_households, world.n_villages, world.n_universes
        months = wages.shape[1]
        self.world = world
        self.wages = wages
        self.lines = lines
        self.demand = demand
        self.size = size
        self.start_month = start_month
        self.months = months
        self.t = 0
        self.seen = np.full((2, n), np.nan, dtype=np.float32)
        self.vagg = np.zeros((2, v, N_AGG))
        self.lab = np.zeros((v, N_LAB))
        for k in range(v):
            p = world.params[world.village_universe[k]]
            self.vagg[0, k] = month.initial_aggregates(p, world.households,
                                                       world.village_start[k],
                                                       world.village_start[k + 1])
            self.lab[k] = month.initial_labour(p, wages[world.village_universe[k], 0],
                                               self.vagg[0, k])
        self.commute = np.zeros(world.commute_neighbours.shape, dtype=np.int64)
        self.rep_total = np.zeros((2, u, world.n_categories))
        month.category_reputation(self.vagg[0], world.village_universe, world.village_category,
                                  self.rep_total[0])
        self.stream = stream
        self.m0 = 0
        self.metrics = np.zeros((1 if stream else months, v, N_METRICS))
        self.panel_every = panel_every
        per_universe = panel_slots(n // u, panel_every) if years else 0
        self.panel = np.full((years, u * per_universe, N_PANEL), np.nan, dtype=np.float32)
        self.first_open = np.full((v, 2), -1, dtype=np.int64)

    @classmethod
    def for_scenarios(cls, scenarios: Sequence[Scenario], seeds: Sequence[int],
                      panel: bool, stream: bool = False) -> FastRun:
        """One universe per (scenario, seed) pair, driven by each scenario's series."""
        first = scenarios[0]
        world = build_world(list(scenarios), list(seeds))
        T = first.months
        wages = np.stack([s.series.monthly("migrant_wage_yuan_month", s.start, T)
                          for s in scenarios])
        lines = np.stack([s.series.monthly("poverty_line_yuan_head_year", s.start, T)
                          for s in scenarios])
        demand = np.stack([month.category_demand(s, T, world.categories) for s in scenarios])
        size = np.stack([month.category_size(s, world.categories) for s in scenarios])
        return cls(world, wages, lines, demand, size, first.start,
                   panel_years(first) if panel else 0, int(first["output.households_every"]),
                   stream)

    @property
    def done(self) -> bool:
        return self.t >= self.months

    def advance(self, months: int = 1) -> None:
        """Advance every universe by ``months`` months (or to the end)."""
        t1 = min(self.months, self.t + months)
        if t1 <= self.t:
            return
        if t1 - self.m0 > len(self.metrics):
            raise ValueError("a streaming run advances a month at a time")
        run_months(world_arrays(self.world), self.seen, self.vagg, self.lab, self.commute,
                   self.rep_total, self.wages, self.lines, self.demand, self.size,
                   self.start_month, self.t, t1, self.metrics, self.m0, self.panel,
                   self.panel_every, self.first_open)
        self.t = t1

    def advance_month(self) -> np.ndarray:
        """Advance a streaming run by a month; return its village-month records:
        float64 (villages, N_METRICS), a view valid until the next call."""
        if not self.stream:
            raise ValueError("advance_month needs a run made with stream=True")
        self.m0 = self.t
        self.advance(1)
        return self.metrics[0]

    def trace_rows(self, households: Sequence[int]) -> np.ndarray:
        """Rows of ``world.households`` of the given households (numbered from 0 in
        each universe), universe-major."""
        w = self.world
        first = w.village_start[w.universe_village_start[:-1]]  # each universe's first
        return (np.asarray(first)[:, None] + np.asarray(households)[None, :]).ravel()

    def by_universe(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(metrics, panel or None, first_open), each with the universe as first axis."""
        w = self.world
        U = w.n_universes
        V = w.n_villages // U
        metrics = self.metrics.reshape(self.months, U, V, N_METRICS).transpose(1, 0, 2, 3)
        panel = None
        if self.panel.shape[0]:
            Y = self.panel.shape[0]
            panel = self.panel.reshape(Y, U, -1, N_PANEL).transpose(1, 0, 2, 3)
            panel = np.ascontiguousarray(panel)
        return np.ascontiguousarray(metrics), panel, self.first_open.reshape(U, V, 2).copy()


def check_batch_fits(scenario: Scenario, universes: int, panel: bool,
                     bytes_per_household: int = resources.BYTES_PER_HOUSEHOLD) -> None:
    """Refuse (:class:`~taobao_sim.core.resources.ResourceError`) a batch of
    ``universes`` universes of ``scenario`` that would not fit in memory."""
    h, v, T = scenario.households, len(scenario.villages), scenario.months
    every = int(scenario["output.households_every"])
    needed = resources.run_bytes(h, v, T, universes, panel_slots(h, every) if panel else 0,
                                 panel_years(scenario), N_METRICS, N_PANEL, bytes_per_household)
    resources.check_fits(needed, f"a run of {universes:,} replicates of {h:,} households "
                         f"over {T:,} months", "run fewer replicates or a smaller world"
                         + (" (or no household panel)" if panel else ""))


def warm_up(scenario: Scenario) -> None:
    """Compile the engine (or load it from numba's cache) in this process, so that
    worker processes started next find it cached instead of all compiling at once."""
    one_month = scenario.replace(end=scenario["start"], targets="none")
    simulate_universes([one_month], [1], panel=False)


def simulate_universes(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    replicate_ids: Sequence[int] | None = None,
    threads: int | None = None,
    progress: ProgressFn | None = None,
    panel: bool | None = None,
    trace: Sequence[int] | None = None,
) -> RunOutput:
    """Run one universe per (scenario, seed) pair in a single batch on the fast engine.

    The scenarios may differ in parameters (a sweep) but must share the villages
    and the dates. Each universe gives the same numbers alone or in any batch.

    Args:
        trace: households (numbered from 0 in each universe) whose whole state is
            recorded at the end of every month (``RunOutput.trace``); the run then
            advances a month at a time, with the same numbers.
    """
    t_start = time.perf_counter()
    scenarios = list(scenarios)
    first = scenarios[0]
    for s in scenarios[1:]:
        if (s.start, s.end) != (first.start, first.end):
            raise ValueError("all universes of a batch need the same start and end")
    if panel is None:
        panel = bool(first["output.households_panel"])
    check_batch_fits(first, len(scenarios), panel)
    trace = check_trace(first, trace)
    if threads is not None:
        numba.set_num_threads(threads)
    run = FastRun.for_scenarios(scenarios, seeds, panel)
    rows = run.trace_rows(trace) if trace else None
    traced = []
    while not run.done:
        # a trace reads the state after every month; otherwise a year at a time
        run.advance(1 if trace else CHUNK_MONTHS)
        if rows is not None:
            traced.append(run.world.households[rows].reshape(len(scenarios), len(trace)))
        if progress is not None and (not trace or run.t % CHUNK_MONTHS == 0 or run.done):
            progress(run.t, run.months)
    metrics, panel_arr, first_open = run.by_universe()
    out = RunOutput.assemble(
        scenarios, seeds, replicate_ids, metrics, panel_arr, first_open, engine="numba",
        threads=numba.get_num_threads(), wall_seconds=time.perf_counter() - t_start,
        extra={"state_bytes": run.world.state_bytes(), "households": run.world.n_households},
    )
    if trace:
        out.trace = np.stack(traced, axis=1)
        out.trace_households = tuple(trace)
    return out


YearFn = Callable[[int, np.ndarray], None]
"""Called as ``on_year(year, table)`` with a year's village-year table: float64
(villages, :data:`~taobao_sim.core.records.N_VILLAGE_YEAR`)."""


def simulate_years(scenario: Scenario, seed: int, on_year: YearFn,
                   threads: int | None = None,
                   progress: ProgressFn | None = None) -> dict:
    """Run one universe of ``scenario`` on the fast engine, streaming its outputs: each
    calendar year, its villages' year (:data:`~taobao_sim.core.records.VILLAGE_YEAR`)
    goes to ``on_year`` (the table is reused for the next year: copy what is kept),
    built month by month, so memory holds the state and one month of records
    whatever the length of the run.

    Returns:
        ``{"totals": float64 (months, N_METRICS) the world's village-month records
        summed over villages, "first_open": int64 (villages, 2), "households",
        "state_bytes", "wall_seconds"}``.
    """
    t_start = time.perf_counter()
    if threads is not None:
        numba.set_num_threads(threads)
    run = FastRun.for_scenarios([scenario], [seed], panel=False, stream=True)
    totals = np.empty((run.months, N_METRICS))
    year = np.empty((run.world.n_villages, N_VILLAGE_YEAR))
    while not run.done:
        t = run.t
        absolute = scenario.start + t
        month = run.advance_month()
        totals[t] = month.sum(axis=0)
        add_month(year, month, first=t == 0 or dates.month_of_year(absolute) == 0)
        if dates.month_of_year(absolute) == 11 or run.done:
            on_year(dates.year_of(absolute), year)
            if progress is not None:
                progress(run.t, run.months)
    return {"totals": totals, "first_open": run.first_open.copy(),
            "households": run.world.n_households, "state_bytes": run.world.state_bytes(),
            "wall_seconds": time.perf_counter() - t_start}


def check_trace(scenario: Scenario, households: Sequence[int] | None) -> tuple[int, ...]:
    """The households to trace (numbered from 0 in each universe), checked.

    Raises:
        ValueError: for a number outside the world or a repeated one.
    """
    ids = tuple(int(h) for h in households or ())
    n = scenario.households
    bad = [h for h in ids if not 0 <= h < n]
    if bad:
        raise ValueError(f"household {bad[0]} is not in the world; expected 0 to {n - 1}")
    if len(set(ids)) != len(ids):
        raise ValueError("a household is named twice")
    return ids
