"""The Mesa engine's model: :class:`TaobaoModel`, one month per ``step``.

Each step runs the village-month update of :mod:`taobao_sim.engines.month`: every
village computes what its households face (phase 1), every household steps in
household-id order (phase 2, :meth:`Household.step`), and every village closes
its month's record (phase 3). The fast engine runs the same functions in a
compiled loop, so a replicate follows the same trajectory to the bit in either
engine. Use this engine to build, step and inspect the model in a notebook, or
with Mesa's tools (DataCollector, ``mesa.batch_run``, SolaraViz: :mod:`.app`);
use the fast engine for ensembles and sweeps.

Time is Mesa's step counter: after ``k`` steps, ``model.steps == k`` months have
been simulated, ``model.date`` is the last of them, and row ``k`` of the
DataCollector (``Step`` ``k`` in ``mesa.batch_run``) is the state after them; row
0 is the initial state, collected when the model is built.

Example::

    from taobao_sim.engines.mesa import TaobaoModel
    model = TaobaoModel("dinglou", replicate=0)
    for _ in range(24):
        model.step()
    h = model.households[0]
    h.household_id, h.shop_state, h.capital, h.away
    model.datacollector.get_model_vars_dataframe()
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from .space import TiesNetwork

if TYPE_CHECKING:  # pragma: no cover
    from mesa.agent import AgentSet

#: The scenario a model is built from when none is given: a shipped scenario, found by
#: name from any folder.
DEFAULT_SCENARIO = "dinglou"

#: Scenario keys a model takes as keyword arguments, by bare key (``imitation``).
SCENARIO_KEYS: tuple[params.Param, ...] = params.WORLD + params.KERNEL_PARAMS

#: Village series that are stocks: before the first month they are the households'
#: starting state; every other series (flows, and counts of what happened in a
#: month) is 0 then.
_STARTING_STOCKS = {M.POOR: "poor", M.MIGRANTS: "away", M.FIRMS: "firm"}


class TaobaoModel(mesa.Model):
    """The model as a Mesa model: one month per :meth:`step`.

    Args:
        scenario: a :class:`Scenario`, the path of a scenario file or the name of a
            shipped one (``"dinglou"``, ``"policies/training"``).
        replicate: which replicate of the ensemble to build (its seed is spawned
            from ``seed``, exactly as in the fast engine).
        seed: root seed (default: the scenario's); a number or its text.
        collect_agents: record agent variables in the DataCollector every month
            (set False for large worlds).
        **overrides: scenario keys to change, by bare key (``imitation=0.2``; each
            is a keyword-only parameter of the signature, default None: the
            scenario's value) or by dotted name (``**{"shops.imitation": 0.2}``);
            handy with ``mesa.batch_run`` and SolaraViz's ``model_params``.

    Attributes:
        grid: the ties as a Mesa network space (:class:`TiesNetwork`): each
            household in its own cell, connected to the households it watches.
        households: the households (``model.agents``: an ``AgentSet``, in
            household-id order).
        villages: the :class:`Village` objects, in scenario order.
        rng, random: Mesa's generators, seeded from the replicate's seed. The
            model's own draws never use them: they are counter-based hashes of
            the replicate's seed (:mod:`taobao_sim.core.rng`), the same in both
            engines; Mesa-level choices (an agent activation order, say) do.
    """

    def __init__(self, scenario: Scenario | str | Path = DEFAULT_SCENARIO,
                 replicate: int = 0, seed: int | str | None = None,
                 collect_agents: bool = True, **overrides: Any) -> None:
        s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        # None is the signature's default for every scenario key: keep the scenario's
        changes = {k: v for k, v in overrides.items() if v is not None}
        if changes:
            s = s.replace(_dotted(changes))
        replicate = int(replicate)
        root = s.seed if seed is None or seed == "" else int(seed)
        universe_seed = replicate_seeds(root, 1, first=replicate)[0]
        super().__init__(rng=universe_seed)
        self.scenario = s
        self.replicate = replicate
        self.root_seed = root
        self.universe_seed = np.uint64(universe_seed)
        self.p = s.param_vector()
        self.running = True
        self._build(s, universe_seed)
        self.datacollector = mesa.DataCollector(
            model_reporters=MODEL_REPORTERS,
            agent_reporters=AGENT_REPORTERS if collect_agents else None,
        )
        # row 0: the initial state, so that row k is the state after k steps (the
        # rows mesa.batch_run labels Step k, pairing model and agent rows by k)
        self.datacollector.collect(self)

    def _build(self, s: Scenario, universe_seed: int) -> None:
        """Households, villages, the ties network, the labour market and the buffers
        the month reads and writes."""
        world = build_world([s], [universe_seed])
        self.world = world
        self.records = world.households  # one record per household: the agents' state
        self.ties_ptr, self.ties_idx = world.ties_ptr, world.ties_idx
        self.grid = TiesNetwork(self.ties_ptr, self.ties_idx, random=self.random)
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
        self.lab = np.zeros((len(self.villages), month.N_LAB))
        for v in self.villages:
            v.aggregates = month.initial_aggregates(self.p, self.records, v.lo, v.hi)
            self.lab[v.index] = month.initial_labour(self.p, self.city_wage[0], v.aggregates)
            # created in household-id order, so that model.agents is in that order too
            v.households = [Household(self, i, v, self.grid[i]) for i in range(v.lo, v.hi)]
        self.commute = np.zeros(world.commute_neighbours.shape, dtype=np.int64)
        self.reputation_total = self._category_reputation()
        n = len(self.records)
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
    def households(self) -> AgentSet:
        """The households, in household-id order (all of ``model.agents``)."""
        return self.agents_by_type[Household]

    @property
    def date(self) -> str:
        """The last month simulated, YYYY-MM (the month before the start before any step)."""
        return dates.format_month(self.scenario.start + self.steps - 1)

    @property
    def month_of_year(self) -> int:
        """The calendar month of :attr:`date`, 0 (January) to 11; while a step runs,
        of the month it simulates."""
        return dates.month_of_year(self.scenario.start + self.steps - 1)

    def series(self, k: int) -> float:
        """Village series ``k`` (:data:`taobao_sim.core.records.M`) of the last month
        simulated, summed over the villages; before the first month, the stocks
        (poor households, migrants, workshops) as the households start and 0 for the
        rest."""
        if self.steps == 0:
            name = _STARTING_STOCKS.get(k)
            return float(self.records[name].sum()) if name else 0.0
        return float(self.metrics[self.steps - 1, :, k].sum())

    # -- the month -------------------------------------------------------------
    def step(self) -> None:
        """Advance one month: every village sets what its households face, every
        household steps, every village closes its record. Past the scenario's last
        month a step does nothing and is not counted."""
        t = self.steps - 1  # Mesa has counted this step already: t is the month it runs
        if t >= self.scenario.months:
            # so that model.steps stays the months simulated (SolaraViz's step button
            # can call step() again after the end)
            self.steps -= 1
            self.running = False
            return
        self._begin_month(t)
        self.step_households()
        self._end_month(t)
        self.running = self.steps < self.scenario.months
        self.datacollector.collect(self)

    def step_households(self) -> None:
        """Every household's month. They may step in any order: each reads only its own
        state and what its ties and village showed at the start of the month."""
        self.agents.do("step")

    def _begin_month(self, t: int) -> None:
        cur = t % 2
        self.seen_now, self.seen_next = self.seen[cur], self.seen[1 - cur]
        self.farm_head = farm_income_head(self.p, t)
        s = self.scenario
        year_index = (s.start + t) // 12 - s.start // 12
        self.panel_year = year_index if self.month_of_year == 11 else -1
        for v in self.villages:
            v.begin_month(self, t)

    def _end_month(self, t: int) -> None:
        for v in self.villages:
            v.end_month(self, t)
        nxt = min(t + 1, self.scenario.months - 1)
        w = self.world
        month.labour_market(
            w.params, w.village_universe, np.stack([v.aggregates for v in self.villages]),
            self.lab, self.commute, w.commute_neighbours, w.commute_distance, w.origin_ptr,
            w.origin_dest, w.origin_slot, np.array([self.city_wage[nxt] / self.city_wage[t]]),
            np.array([self.city_wage[nxt] * self.p[P.CASUAL_WAGE_RATIO]]), self.metrics[t])
        self.reputation_total = self._category_reputation()

    def run(self, progress: ProgressFn | None = None) -> None:
        """Step to the scenario's end; ``progress(months done, months)`` each year."""
        while self.running:
            self.step()
            if progress is not None and (self.steps % 12 == 0 or not self.running):
                progress(self.steps, self.scenario.months)


#: The DataCollector's model reporters: the village series of the last month simulated,
#: summed over the villages (docs/OUTPUTS: the time series), and when it was.
MODEL_REPORTERS = {
    "month": "steps",  # months simulated: row k has month k
    "date": "date",
    "participation": lambda m: m.series(M.ENGAGED) / len(m.records),
    "sellers": lambda m: m.series(M.SELLERS),
    "shops": lambda m: m.series(M.SHOPS),
    "firms": lambda m: m.series(M.FIRMS),
    "industry_workers": lambda m: m.series(M.INDUSTRY_WORKERS),
    "sales_yuan": lambda m: m.series(M.SALES_YUAN),
    "poor": lambda m: m.series(M.POOR),
    "migrants": lambda m: m.series(M.MIGRANTS),
    "returns": lambda m: m.series(M.RETURNS),
}

#: The DataCollector's agent reporters, one row per household and step. ``household``
#: and ``village`` are the household panel's keys, and every column named like a panel
#: column holds the panel's value (the panel keeps December's), so the two join on
#: (household, year). Summed over the households, ``shop``, ``stores``, ``employed``,
#: ``homeworkers``, ``firm``, ``poor`` and ``members_away`` give the village series
#: ``sellers``, ``shops``, ``employed``, ``homeworkers``, ``firms``, ``poor`` and
#: ``migrants`` of the same step. Money in yuan, for the month; people per household.
AGENT_REPORTERS = {
    "household": "household_id",
    "village": lambda h: h.village.name,
    "shop": "shop",  # 1 if its shop sold this month
    "shop_state": "shop_state",  # its shop at the end of the month: 0 none, 1 preparing, 2 active
    "stores": lambda h: h.last.stores if h.last is not None else 0,  # stores that sold
    "sales_yuan": lambda h: h.last.sales if h.last is not None else 0.0,
    "profit_yuan": lambda h: h.last.profit if h.last is not None else 0.0,
    "income_yuan": lambda h: h.last.income if h.last is not None else 0.0,
    "capital_yuan": "capital",
    "skill": "skill",
    "members_home": lambda h: h.members - h.away,
    "members_away": "away",
    "employed": "employed",
    "homeworkers": lambda h: h.last.homeworkers if h.last is not None else h.homeworkers,
    "firm": lambda h: h.old_state.firm if h.old_state is not None else h.firm,  # ran one
    "poor": "poor",
}


def _dotted(overrides: dict[str, Any]) -> dict[str, Any]:
    """Map bare keys (``imitation``) to dotted names (``shops.imitation``)."""
    by_key = {p.key: p.dotted for p in SCENARIO_KEYS}
    return {by_key.get(k, k): v for k, v in overrides.items()}


def _signature() -> inspect.Signature:
    """``TaobaoModel.__init__``'s signature with every scenario key as a keyword-only
    parameter (default None: the scenario's value), which is how Mesa's tools
    (SolaraViz checks ``model_params`` against it) and ``help()`` see it. Dotted
    names still arrive through ``**overrides``."""
    sig = inspect.signature(TaobaoModel.__init__)
    fixed = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    kinds = {"float": "float", "int": "int", "bool": "bool"}
    keys = [inspect.Parameter(p.key, inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=f"{kinds.get(p.kind, 'str')} | None")
            for p in SCENARIO_KEYS]
    return sig.replace(parameters=fixed + keys)


TaobaoModel.__init__.__signature__ = _signature()  # type: ignore[attr-defined]


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
