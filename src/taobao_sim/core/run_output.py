"""What a run produced: :class:`RunOutput`, the one result type of every engine.

Both engines return it, so everything downstream (metrics, targets, tables,
figures) is engine-blind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import dates
from .scenario import Scenario


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
        metrics: float64 (universes, months, villages, records.N_METRICS).
        panel: float32 (universes, years, households, records.N_PANEL), or None: every
            ``panel_every``-th household of each universe.
        first_open: int64 (universes, villages, 2): month index and household of
            the first shop to sell in each village, -1 if none did.
        engine: "numba" or "mesa".
        threads: threads the engine used.
        wall_seconds: time spent simulating (building the world included).
        extra: engine facts for the manifest (e.g. bytes of state).
        trace: the whole state of chosen households at the end of every month,
            a structured array (universes, months, traced households) of
            :data:`~taobao_sim.core.state.HOUSEHOLD_DTYPE`, or None.
        trace_households: the traced households, as numbered in each universe
            (0-based, the household panel's ``household``).
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
    panel_every: int = 1
    trace: np.ndarray | None = None
    trace_households: tuple[int, ...] = ()

    @classmethod
    def assemble(cls, scenarios: Sequence[Scenario], seeds: Sequence[int],
                 replicate_ids: Sequence[int] | None, metrics: np.ndarray,
                 panel: np.ndarray | None, first_open: np.ndarray, engine: str,
                 threads: int, wall_seconds: float, extra: dict | None = None) -> RunOutput:
        """A RunOutput from an engine's arrays; names, sizes and months come from the
        (first) scenario."""
        first = scenarios[0]
        return cls(
            scenarios=list(scenarios),
            seeds=[int(s) for s in seeds],
            replicate_ids=list(replicate_ids) if replicate_ids is not None
            else list(range(len(scenarios))),
            village_names=tuple(v.name for v in first.villages),
            village_households=np.array([v.households for v in first.villages]),
            months=np.arange(first.start, first.end + 1),
            metrics=metrics,
            panel=panel,
            first_open=first_open,
            engine=engine,
            threads=threads,
            wall_seconds=wall_seconds,
            extra=dict(extra or {}),
            panel_every=int(first["output.households_every"]),
        )

    def select(self, universes: slice) -> RunOutput:
        """The same output for a range of its universes (e.g. one scenario of a batch)."""
        return RunOutput(
            scenarios=self.scenarios[universes], seeds=self.seeds[universes],
            replicate_ids=self.replicate_ids[universes], village_names=self.village_names,
            village_households=self.village_households, months=self.months,
            metrics=self.metrics[universes],
            panel=self.panel[universes] if self.panel is not None else None,
            first_open=self.first_open[universes], engine=self.engine, threads=self.threads,
            wall_seconds=self.wall_seconds, extra=self.extra, panel_every=self.panel_every,
            trace=self.trace[universes] if self.trace is not None else None,
            trace_households=self.trace_households)

    @property
    def scenario(self) -> Scenario:
        return self.scenarios[0]

    @property
    def years(self) -> np.ndarray:
        """Calendar years of the panel's rows."""
        first, last = dates.year_of(self.months[0]), dates.year_of(self.months[-1])
        return np.arange(first, last + 1)


@dataclass
class RegionResult:
    """What one region of one replicate produced.

    Attributes:
        region, replicate, seed: the task.
        scale: what its counts are multiplied by to stand for the whole region
            (its townships over those simulated).
        names, townships, counties: its simulated villages' names and the index of
            each one's township and county (``township_names``, ``county_names``).
        households: households of each simulated village.
        years: calendar years run.
        table: float64 (years, villages, N_VILLAGE_YEAR) village-years
            (:data:`~taobao_sim.core.records.VILLAGE_YEAR`).
        taobao: bool (years, villages) Taobao-village status.
        towns: bool (years, townships) Taobao-town status.
        totals: float64 (months, N_METRICS) its village-month records summed.
        wall_seconds: time the task took (world building included).
        state_bytes: bytes of its household state, ties included.
    """

    region: str
    replicate: int
    seed: int
    scale: float
    names: list[str]
    township_names: list[str]
    townships: np.ndarray
    county_names: list[str]
    counties: np.ndarray
    households: np.ndarray
    years: np.ndarray
    table: np.ndarray
    taobao: np.ndarray
    towns: np.ndarray
    totals: np.ndarray
    wall_seconds: float
    state_bytes: int

    @property
    def household_months(self) -> int:
        return int(self.households.sum()) * len(self.totals)


def panel_years(s: Scenario) -> int:
    """Number of Decembers in a scenario's run (rows of the household panel)."""
    return sum(1 for t in range(s.start, s.end + 1) if dates.month_of_year(t) == 11)


def panel_slots(households: int, every: int) -> int:
    """Households of one universe that the panel holds: every ``every``-th, from the first."""
    return -(-households // every)

