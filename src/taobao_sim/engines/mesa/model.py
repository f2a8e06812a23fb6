"""The Mesa engine's model: :class:`TaobaoModel`, one month per ``step``.

Each step runs the village-month update of :mod:`taobao_sim.engines.month`: every
village computes what its households face (phase 1), every household steps in
index order (phase 2, :meth:`Household.step`), and every village closes its
month's record (phase 3). The fast engine runs the same functions in a compiled
loop, so a replicate follows the same trajectory to the bit in either engine.
Use this engine to build, step and inspect the model in a notebook, or with
Mesa tools (DataCollector, ``mesa.batch_run``); use the fast engine for
ensembles and sweeps.

Example::

    from taobao_sim.engines.mesa import TaobaoModel
    model = TaobaoModel("scenarios/dinglou.toml", replicate=0)
    for _ in range(24):
        model.step()
    h = model.households[0]
    h.shop_state, h.capital, h.away
    model.datacollector.get_model_vars_dataframe()
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from ...core import dates, params
from ...core.params import P
from ...core.records import N_METRICS, N_PANEL, M
from ...core.rng import replicate_seeds
from ...core.rules import farm_income_head
from ...core.run_output import RunOutput, panel_slots, panel_years
from ...core.scenario import Scenario
from ...core.world import build_world
from ...io.scenario_file import load_scenario
from .. import month
from ..fast import ProgressFn
from .agents import Household, Village


class TaobaoModel(mesa.Model):
    """The model as a Mesa model: one month per :meth:`step`.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        replicate: which replicate of the ensemble to build (its seed is spawned
            from ``seed``, exactly as in the fast engine).
        seed: root seed (default: the scenario's).
        collect_agents: record agent variables in the DataCollector every month
            (set False for large worlds).
        **overrides: scenario keys to change, by dotted name
            (``**{"shops.imitation": 0.2}``) or by bare key (``imitation=0.2``);
            handy with ``mesa.batch_run``.
    """

    def __init__(self, scenario: Scenario | str | Path = "scenarios/dinglou.toml",
                 replicate: int = 0, seed: int | None = None, collect_agents: bool = True,
                 **overrides: Any) -> None:
        s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if overrides:
            s = s.replace(_dotted(overrides))
        root = s.seed if seed is None else int(seed)
        universe_seed = replicate_seeds(root, 1, first=replicate)[0]
        super().__init__(seed=universe_seed % (2**32))  # mesa's own RNGs are not used
        self.scenario = s
        self.replicate = replicate
        self.root_seed = root
        self.universe_seed = np.uint64(universe_seed)
        self.p = s.param_vector()
        self.t = 0  # month index of the next step
        self.running = True
        self._build(s, universe_seed)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "date": lambda m: m.date,
                "participation": lambda m: m._last(M.ENGAGED) / len(m.households),
                "sellers": lambda m: m._last(M.SELLERS),
                "shops": lambda m: m._last(M.SHOPS),
                "firms": lambda m: m._last(M.FIRMS),
                "industry_workers": lambda m: m._last(M.INDUSTRY_WORKERS),
                "sales_yuan": lambda m: m._last(M.SALES_YUAN),
                "poor": lambda m: m._last(M.POOR),
                "migrants": lambda m: m._last(M.MIGRANTS),
                "returns": lambda m: m._last(M.RETURNS),
            },
            agent_reporters=_AGENT_REPORTERS if collect_agents else None,
        )

    def _build(self, s: Scenario, universe_seed: int) -> None:
        """Households, villages, the labour market and the buffers the month reads and
        writes."""
        world = build_world([s], [universe_seed])
        self.world = world
        self.records = world.households  # one record per household: the agents' state
        self.ties_ptr, self.ties_idx = world.ties_ptr, world.ties_idx
        T = s.months
        self.city_wage = s.series.monthly("migrant_wage_yuan_month", s.start, T)
        self.poverty_line = s.series.monthly("poverty_line_yuan_head_year", s.start, T)
        self.demand = month.category_demand(s, T, world.categories)
        self.category_size = month.category_size(s, world.categories)
        self.villages = [
            Village(k, v.name, int(world.village_category[k]), int(world.village_start[k]),
                    int(world.village_start[k + 1]), int(world.village_internet_step[k]),
                    float(world.village_connect_cost[k]))
            for k, v in enumerate(s.villages)
        ]
        self.households: list[Household] = []
        self.lab = np.zeros((len(self.villages), month.N_LAB))
        for v in self.villages:
            v.aggregates = month.initial_aggregates(self.p, self.records, v.lo, v.hi)
            self.lab[v.index] = month.initial_labour(self.p, self.city_wage[0], v.aggregates)
            for i in range(v.lo, v.hi):
                h = Household(self, i, v, self.ties_idx[self.ties_ptr[i]:self.ties_ptr[i + 1]])
                v.households.append(h)
                self.households.append(h)
        self.commute = np.zeros(world.commute_neighbours.shape, dtype=np.int64)
        self.reputation_total = self._category_reputation()
        n = len(self.households)
        self.seen = np.full((2, n), np.nan, dtype=np.float32)
        self.metrics = np.zeros((T, len(self.villages), N_METRICS))
        self.panel_every = int(s["output.households_every"])
        self.panel = np.full((panel_years(s), panel_slots(n, self.panel_every), N_PANEL),
                             np.nan, dtype=np.float32)
        self.first_open = np.full((len(self.villages), 2), -1, dtype=np.int64)

    def _category_reputation(self) -> np.ndarray:
        agg = np.stack([v.aggregates for v in self.villages])
        out = np.zeros((1, self.world.n_categories))
        month.category_reputation(agg, self.world.village_universe,
                                  self.world.village_category, out)
        return out[0]

    # -- reading -------------------------------------------------------------
    @property
    def date(self) -> str:
        """The last month simulated, YYYY-MM (the month before the start before any step)."""
        return dates.format_month(self.scenario.start + self.t - 1)

    @property
    def month_of_year(self) -> int:
        return dates.month_of_year(self.scenario.start + self.t)

    def _last(self, k: int) -> float:
        if self.t == 0:
            return 0.0 if k != M.MIGRANTS else float(sum(h.away for h in self.households))
        return float(self.metrics[self.t - 1, :, k].sum())

    # -- the month -------------------------------------------------------------
    def step(self) -> None:
        """Advance one month: every village sets what its households face, every
        household steps (in index order), every village closes its record."""
        if not self.running:
            return
        self._begin_month()
        self.step_households()
        self._end_month()
        self.t += 1
        self.running = self.t < self.scenario.months
        self.datacollector.collect(self)

    def step_households(self) -> None:
        """Every household's month. They may step in any order: each reads only its own
        state and what its ties and village showed at the start of the month."""
        self.agents.do("step")

    def _begin_month(self) -> None:
        t = self.t
        cur = t % 2
        self.seen_now, self.seen_next = self.seen[cur], self.seen[1 - cur]
        self.farm_head = farm_income_head(self.p, t)
        s = self.scenario
        year_index = (s.start + t) // 12 - s.start // 12
        self.panel_year = year_index if self.month_of_year == 11 else -1
        for v in self.villages:
            v.begin_month(self)

    def _end_month(self) -> None:
        for v in self.villages:
            v.end_month(self)
        t = self.t
        nxt = min(t + 1, self.scenario.months - 1)
        w = self.world
        month.labour_market(
            w.params, w.village_universe, np.stack([v.aggregates for v in self.villages]),
            self.lab, self.commute, w.commute_neighbours, w.commute_distance, w.origin_ptr,
            w.origin_dest, w.origin_slot, np.array([self.city_wage[nxt] / self.city_wage[t]]),
            np.array([self.city_wage[nxt] * self.p[P.CASUAL_WAGE_RATIO]]), self.metrics[t])
        self.reputation_total = self._category_reputation()

    def run(self, progress: ProgressFn | None = None) -> None:
        """Step to the scenario's end."""
        while self.running:
            self.step()
            if progress is not None and (self.t % 12 == 0 or not self.running):
                progress(self.t, self.scenario.months)


_AGENT_REPORTERS = {
    "village": lambda h: h.village.name,
    "shop": "shop",
    "sales_yuan": lambda h: h.last.sales if h.last else 0.0,
    "profit_yuan": lambda h: h.last.profit if h.last else 0.0,
    "income_yuan": lambda h: h.last.income if h.last else 0.0,
    "capital_yuan": "capital",
    "skill": "skill",
    "members_home": lambda h: h.members - h.away,
    "members_away": "away",
    "employed": lambda h: h.jobs + h.commuters,
    "homeworkers": "homeworkers",
    "firm": "firm",
    "poor": "poor",
}


def _dotted(overrides: dict[str, Any]) -> dict[str, Any]:
    """Map bare keys (``imitation``) to dotted names (``shops.imitation``)."""
    by_key = {p.key: p.dotted for p in params.WORLD + params.KERNEL_PARAMS}
    return {by_key.get(k, k): v for k, v in overrides.items()}


def simulate_mesa(scenario: Scenario, replicates: int | None = None, seed: int | None = None,
                  progress: ProgressFn | None = None, panel: bool | None = None,
                  per_replicate: list[Scenario] | None = None) -> RunOutput:
    """Run an ensemble on the Mesa engine; same :class:`RunOutput` as the fast engine.
    ``per_replicate``: a scenario for each replicate (a posterior ensemble)."""
    t_start = time.perf_counter()
    n = replicates if replicates is not None else scenario.replicates
    root = seed if seed is not None else scenario.seed
    if panel is None:
        panel = bool(scenario["output.households_panel"])
    models = []
    T = scenario.months
    scenarios = per_replicate or [scenario] * n
    for r in range(n):
        model = TaobaoModel(scenarios[r], replicate=r, seed=root, collect_agents=False)

        def tick(done: int, total: int, r: int = r) -> None:
            if progress is not None:
                progress(r * T + done, n * T)

        model.run(tick)
        models.append(model)
    return RunOutput.assemble(
        scenarios, replicate_seeds(root, n), list(range(n)),
        np.stack([m.metrics for m in models]),
        np.stack([m.panel for m in models]) if panel else None,
        np.stack([m.first_open for m in models]), engine="mesa", threads=1,
        wall_seconds=time.perf_counter() - t_start,
        extra={"households": scenario.households * n})
