"""Running the fast engine: scenario + seeds -> :class:`RunOutput` arrays.

The Mesa engine (:mod:`taobao_sim.model`) returns the same :class:`RunOutput`,
so everything downstream (metrics, targets, files, figures) is engine-blind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numba
import numpy as np

from . import dates, kernel
from .rng import replicate_seeds
from .scenario import Scenario
from .world import World, build_world

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(months_done, months_total)`` between chunks."""

#: Months advanced per kernel call; the progress bar moves between calls.
CHUNK_MONTHS = 12


@dataclass
class RunOutput:
    """What a run of one or more universes produced.

    Attributes:
        scenarios: the scenario of each universe (replicates share one).
        seeds: the 64-bit seed of each universe.
        replicate_ids: the replicate number of each universe (its SeedSequence spawn key).
        village_names: villages of each universe, in order.
        village_households: households of each village.
        months: absolute month numbers simulated.
        metrics: float64 (universes, months, villages, kernel.N_METRICS).
        panel: float32 (universes, years, households, kernel.N_PANEL), or None.
        first_open: int64 (universes, villages, 2): month index and household of
            the first shop to sell in each village, -1 if none did.
        engine: "numba" or "mesa".
        threads: threads the engine used.
        wall_seconds: time spent simulating (building the world included).
    """

    scenarios: list[Scenario]
    seeds: list[int]
    replicate_ids: list[int]
    village_names: tuple[str, ...]
    village_households: np.ndarray
    months: np.ndarray
    metrics: np.ndarray
    panel: np.ndarray | None
    first_open: np.ndarray
    engine: str = "numba"
    threads: int = 1
    wall_seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def scenario(self) -> Scenario:
        return self.scenarios[0]

    @property
    def years(self) -> np.ndarray:
        """Calendar years of the panel's rows."""
        first, last = dates.year_of(self.months[0]), dates.year_of(self.months[-1])
        return np.arange(first, last + 1)


def panel_years(s: Scenario) -> int:
    """Number of Decembers in a scenario's run (rows of the household panel)."""
    return sum(1 for t in range(s.start, s.end + 1) if dates.month_of_year(t) == 11)


def simulate(
    scenario: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    progress: ProgressFn | None = None,
    panel: bool | None = None,
    engine: str = "numba",
) -> RunOutput:
    """Run an ensemble of a scenario.

    Args:
        scenario: the scenario.
        replicates: number of replicates (default: the scenario's).
        seed: root seed (default: the scenario's); replicate i's seed is spawned
            from it with SeedSequence spawn key (i,).
        threads: numba threads (default: numba's current setting).
        progress: callback ``progress(done, total)`` in months.
        panel: record the yearly household panel (default: ``output.households_panel``).
        engine: "numba" (the fast engine) or "mesa" (households as Mesa agents;
            same numbers, much slower; ``threads`` does not apply).
    """
    if engine == "mesa":
        from .model import simulate_mesa

        return simulate_mesa(scenario, replicates, seed, progress, panel)
    if engine != "numba":
        raise ValueError(f"unknown engine {engine!r}; expected 'numba' or 'mesa'")
    n = replicates if replicates is not None else scenario.replicates
    root = seed if seed is not None else scenario.seed
    seeds = replicate_seeds(root, n)
    return simulate_universes([scenario] * n, seeds, list(range(n)), threads, progress, panel)


def simulate_universes(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    replicate_ids: Sequence[int] | None = None,
    threads: int | None = None,
    progress: ProgressFn | None = None,
    panel: bool | None = None,
) -> RunOutput:
    """Run one universe per (scenario, seed) pair in a single batch.

    The scenarios may differ in parameters (a sweep) but must share the villages
    and the dates. Each universe gives the same numbers alone or in any batch.
    """
    t_start = time.perf_counter()
    scenarios = list(scenarios)
    first = scenarios[0]
    for s in scenarios[1:]:
        if (s.start, s.end) != (first.start, first.end):
            raise ValueError("all universes of a batch need the same start and end")
    if panel is None:
        panel = bool(first["output.households_panel"])
    if threads is not None:
        numba.set_num_threads(threads)
    used_threads = numba.get_num_threads()

    world = build_world(scenarios, list(seeds))
    T = first.months
    state = KernelState.allocate(world, T, panel_years(first) if panel else 0)
    wages = np.stack([s.series.monthly("migrant_wage_yuan_month", s.start, T) for s in scenarios])
    lines = np.stack([s.series.monthly("poverty_line_yuan_head_year", s.start, T)
                      for s in scenarios])
    done = 0
    while done < T:
        step_to = min(T, done + CHUNK_MONTHS)
        state.run(world, wages, lines, first.start, done, step_to)
        done = step_to
        if progress is not None:
            progress(done, T)

    U, Vu = world.n_universes, len(world.village_names)
    Nu = world.n_households // U
    metrics = state.metrics.reshape(T, U, Vu, kernel.N_METRICS).transpose(1, 0, 2, 3)
    panel_arr = None
    if panel:
        Y = state.panel.shape[0]
        panel_arr = state.panel.reshape(Y, U, Nu, kernel.N_PANEL).transpose(1, 0, 2, 3)
    return RunOutput(
        scenarios=scenarios,
        seeds=[int(s) for s in seeds],
        replicate_ids=list(replicate_ids) if replicate_ids is not None
        else list(range(len(scenarios))),
        village_names=world.village_names,
        village_households=np.array([v.households for v in first.villages]),
        months=np.arange(first.start, first.end + 1),
        metrics=np.ascontiguousarray(metrics),
        panel=np.ascontiguousarray(panel_arr) if panel_arr is not None else None,
        first_open=state.first_open.reshape(U, Vu, 2).copy(),
        engine="numba",
        threads=used_threads,
        wall_seconds=time.perf_counter() - t_start,
        extra={"state_bytes": world.state_bytes(), "households": world.n_households},
    )


@dataclass
class KernelState:
    """Buffers the kernel reads and writes besides the household records."""

    seen: np.ndarray
    vagg: np.ndarray
    rep_total: np.ndarray
    metrics: np.ndarray
    panel: np.ndarray
    first_open: np.ndarray

    @classmethod
    def allocate(cls, world: World, months: int, years: int) -> KernelState:
        n, v, u = world.n_households, world.n_villages, world.n_universes
        seen = np.full((2, n), np.nan, dtype=np.float32)
        vagg = np.zeros((2, v, kernel.N_AGG))
        kernel.init_aggregates(world.households, world.village_start, vagg, 0)
        rep_total = np.zeros((2, u))
        for k in range(u):
            v0, v1 = world.universe_village_start[k], world.universe_village_start[k + 1]
            rep_total[0, k] = vagg[0, v0:v1, kernel.A_REPUTATION].sum()
        return cls(
            seen=seen,
            vagg=vagg,
            rep_total=rep_total,
            metrics=np.zeros((months, v, kernel.N_METRICS)),
            panel=np.full((years, n if years else 0, kernel.N_PANEL), np.nan, dtype=np.float32),
            first_open=np.full((v, 2), -1, dtype=np.int64),
        )

    def run(self, world: World, wages: np.ndarray, lines: np.ndarray, start_month: int,
            t0: int, t1: int) -> None:
        kernel.run_months(
            world.households, world.ties_ptr, world.ties_idx, self.seen, self.vagg,
            self.rep_total, world.village_start, world.village_universe,
            world.village_internet_step, world.village_discovery, world.village_connect_cost,
            world.universe_village_start, world.universe_seed, world.params,
            wages, lines, start_month, t0, t1, self.metrics, self.panel, self.first_open,
        )
