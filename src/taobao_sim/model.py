"""The Mesa engine: households as ``mesa.Agent`` objects, stepped by ``mesa.Model``.

The agents call the same compiled rule functions as the fast engine
(:mod:`taobao_sim.rules`) with the same counter-based random numbers, and the
model adds them up with the same compiled tally (:func:`taobao_sim.kernel.tally`),
in the same order, so a replicate follows the same trajectory to the bit in
either engine. Use this engine to build, step and inspect the model in a
notebook, or with Mesa tools (DataCollector, ``mesa.batch_run``); use the fast
engine for ensembles and sweeps.

Example::

    from taobao_sim.model import TaobaoModel
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

from . import dates, kernel, rules
from .engine import ProgressFn, RunOutput, panel_years
from .rng import replicate_seeds
from .rules import ACTIVE, PREPARING, HouseholdState
from .scenario import Scenario, load_scenario
from .world import build_world

#: Household attributes that mirror :class:`rules.HouseholdState`, and how each is
#: stored (the fast engine keeps them in these compact types; the agents round
#: to the same precision so both engines see identical numbers).
_INT_FIELDS = ("members", "workers", "away", "employed", "shop_state", "shop_age", "loss_run",
               "poor")
_FLOAT_FIELDS = ("capital", "debt", "skill", "reputation", "land", "income_ytd", "sales_ytd",
                 "profit_ytd")

SHOP_STATES = {rules.NO_SHOP: "none", PREPARING: "preparing", ACTIVE: "active"}


def _f32(x: float) -> float:
    """Round to float32, as the fast engine stores money, skill and reputation."""
    return float(np.float32(x))


class Village:
    """A village: its households and what they face each month.

    Attributes:
        index: position in the scenario's village list.
        name: village name.
        households: its households, in index order.
        internet_step: month index from which its households can sell online.
        discovery_multiplier: factor on the discovery rate.
        aggregates: float64 array of the end-of-last-month aggregates
            (kernel.A_SHOPS, A_REPUTATION, A_SALES, A_VACANCIES, A_SUPPLY).
        view: what its households face this month (:class:`rules.VillageView`).
    """

    def __init__(self, index: int, name: str, internet_step: int,
                 discovery_multiplier: float, connect_cost: float = 0.0) -> None:
        self.index = index
        self.connect_cost = connect_cost
        self.name = name
        self.households: list[Household] = []
        self.internet_step = internet_step
        self.discovery_multiplier = discovery_multiplier
        self.aggregates = np.zeros(kernel.N_AGG)
        self.view: rules.VillageView | None = None

    @property
    def shops(self) -> int:
        """Shops active at the end of last month."""
        return int(self.aggregates[kernel.A_SHOPS])

    def __repr__(self) -> str:
        return f"Village({self.name!r}, {len(self.households)} households, {self.shops} shops)"


class Household(mesa.Agent):
    """One household.

    State (as in docs/ODD.md, section 2): ``members``, ``workers`` (working-age
    members), ``away`` (migrants), ``employed`` (members working for the industry
    this month), ``shop_state`` (0 none, 1 preparing, 2 active), ``shop_age``
    (months), ``loss_run`` (months), ``poor`` (0/1 at the last assessment),
    ``capital`` and ``debt`` (yuan), ``skill`` (0-1), ``reputation`` (units of a
    new shop's), ``land`` (farm income factor), and this year's ``income_ytd``,
    ``sales_ytd``, ``profit_ytd`` (yuan). ``last`` holds last month's
    :class:`rules.Outcome` (sales, profit, income, returns...).
    """

    def __init__(self, model: TaobaoModel, index: int, village: Village, record: np.void,
                 ties: np.ndarray) -> None:
        super().__init__(model)
        self.index = index
        self.village = village
        self.ties = ties
        for name in _INT_FIELDS:
            setattr(self, name, int(record[name]))
        for name in _FLOAT_FIELDS:
            setattr(self, name, float(record[name]))
        self.last: rules.Outcome | None = None
        self._pending: tuple[HouseholdState, rules.Outcome] | None = None
        self._before: HouseholdState | None = None

    # -- derived, read-only ------------------------------------------------------
    @property
    def home(self) -> int:
        """Working-age members at home."""
        return self.workers - self.away

    @property
    def has_shop(self) -> bool:
        return self.shop_state == ACTIVE

    @property
    def shop(self) -> str:
        return SHOP_STATES[self.shop_state]

    @property
    def seen_profit(self) -> float:
        """What its ties see this month: last month's profit if its shop sold, else NaN."""
        return float(self.model.seen[self.model.t % 2, self.index])

    @property
    def neighbours(self) -> list[Household]:
        return [self.model.households[j] for j in self.ties]

    def state(self) -> HouseholdState:
        """The household's state as the rule functions take it."""
        return HouseholdState(*(getattr(self, f) for f in HouseholdState._fields))

    # -- the month -----------------------------------------------------------
    def decide(self) -> None:
        """Decide this month from the state at the start of the month (nothing changes yet)."""
        m = self.model
        t = m.t
        nv = rules.neighbour_view(self.ties, 0, len(self.ties), m.seen[t % 2])
        self._before = self.state()
        self._pending = rules.household_step(
            m.p, self._before, nv, self.village.view, m.universe_seed, t, self.index,
            m.month_of_year, m.farm_income_head, m.poverty_line[t],
        )

    def advance(self) -> None:
        """Apply this month's decisions, stored as the fast engine stores them."""
        new, out = self._pending
        for name in _INT_FIELDS:
            setattr(self, name, int(getattr(new, name)))
        for name in _FLOAT_FIELDS:
            setattr(self, name, _f32(getattr(new, name)))
        self.model.seen[(self.model.t + 1) % 2, self.index] = out.seen_profit
        self.last = out

    def __repr__(self) -> str:
        return (f"Household({self.index}, {self.village.name}, {self.shop}, "
                f"{self.members} members, {self.away} away, capital {self.capital:.0f})")


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

        world = build_world([s], [universe_seed])
        self.villages = [
            Village(k, v.name, int(world.village_internet_step[k]),
                    float(world.village_discovery[k]), float(world.village_connect_cost[k]))
            for k, v in enumerate(s.villages)
        ]
        village_of = np.repeat(np.arange(len(self.villages)), np.diff(world.village_start))
        self.households: list[Household] = []
        for i, record in enumerate(world.households):
            v = self.villages[village_of[i]]
            ties = world.ties_idx[world.ties_ptr[i]:world.ties_ptr[i + 1]].astype(np.int64)
            h = Household(self, i, v, record, ties)
            v.households.append(h)
            self.households.append(h)

        self.seen = np.full((2, len(self.households)), np.nan, dtype=np.float32)
        agg = np.zeros((2, len(self.villages), kernel.N_AGG))
        kernel.init_aggregates(world.households, world.village_start, agg, 0)
        for v in self.villages:
            v.aggregates = agg[0, v.index].copy()
        self.reputation_total = float(sum(v.aggregates[kernel.A_REPUTATION]
                                          for v in self.villages))
        T = s.months
        self.city_wage = s.series.monthly("migrant_wage_yuan_month", s.start, T)
        self.poverty_line = s.series.monthly("poverty_line_yuan_head_year", s.start, T)
        self.metrics = np.zeros((T, len(self.villages), kernel.N_METRICS))
        self.panel = np.full((panel_years(s), len(self.households), kernel.N_PANEL), np.nan,
                             dtype=np.float32)
        self.first_open = np.full((len(self.villages), 2), -1, dtype=np.int64)

        agent_reporters = {
            "village": lambda h: h.village.name,
            "shop": "shop",
            "sales_yuan": lambda h: h.last.sales if h.last else 0.0,
            "profit_yuan": lambda h: h.last.profit if h.last else 0.0,
            "income_yuan": lambda h: h.last.income if h.last else 0.0,
            "capital_yuan": "capital",
            "skill": "skill",
            "members_home": lambda h: h.members - h.away,
            "members_away": "away",
            "employed": "employed",
            "poor": "poor",
        } if collect_agents else None
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "date": lambda m: m.date,
                "participation": lambda m: m._last("engaged") / len(m.households),
                "shops": lambda m: m._last("shops"),
                "sales_yuan": lambda m: m._last("sales"),
                "poor": lambda m: m._last("poor"),
                "migrants": lambda m: m._last("migrants"),
                "returns": lambda m: m._last("returns"),
            },
            agent_reporters=agent_reporters,
        )

    # -- reading -------------------------------------------------------------
    @property
    def date(self) -> str:
        """The last month simulated, YYYY-MM (the month before the start before any step)."""
        return dates.format_month(self.scenario.start + self.t - 1)

    @property
    def month_of_year(self) -> int:
        return dates.month_of_year(self.scenario.start + self.t)

    @property
    def farm_income_head(self) -> float:
        return rules.farm_income_head(self.p, self.t)

    def _last(self, name: str) -> float:
        if self.t == 0:
            return 0.0 if name != "migrants" else float(sum(h.away for h in self.households))
        k = {"engaged": kernel.M_ENGAGED, "shops": kernel.M_SHOPS, "sales": kernel.M_SALES,
             "poor": kernel.M_POOR, "migrants": kernel.M_MIGRANTS,
             "returns": kernel.M_RETURNS}[name]
        return float(self.metrics[self.t - 1, :, k].sum())

    # -- the month -------------------------------------------------------------
    def step(self) -> None:
        """Advance one month: every household decides on the state at the start of
        the month, then all apply their decisions (synchronous update)."""
        if not self.running:
            return
        t = self.t
        self._update_views()
        self.agents.do("decide")
        self.agents.do("advance")
        self._observe(t)
        self.t += 1
        self.running = self.t < self.scenario.months
        self.datacollector.collect(self)

    def _update_views(self) -> None:
        """What each village's households face this month (from last month's sums)."""
        t = self.t
        for v in self.villages:
            a = v.aggregates
            v.view = rules.village_view(
                self.p, t, self.month_of_year, self.city_wage[t], self.reputation_total,
                a[kernel.A_SHOPS], a[kernel.A_SALES], a[kernel.A_VACANCIES], a[kernel.A_SUPPLY],
                t >= v.internet_step, v.discovery_multiplier,
            )

    def _observe(self, t: int) -> None:
        """Village sums and metrics of month t, in household order (as the fast engine)."""
        record_panel = self.month_of_year == 11
        year_index = (self.scenario.start + t) // 12 - self.scenario.start // 12
        total_rep = 0.0
        for v in self.villages:
            m = np.zeros(kernel.N_METRICS)
            agg = np.zeros(kernel.N_AGG)
            for h in v.households:
                new, out = h._pending
                kernel.tally(m, agg, self.first_open, v.index, h._before, new, out, t, h.index)
                if record_panel:
                    kernel.panel_row(self.panel, year_index, h.index, h._before, new, out)
            m[kernel.M_LOCAL_WAGE] = v.view.local_wage
            if t == self.p[rules.P.BROADBAND_FROM]:
                m[kernel.M_PUBLIC_COST] += v.connect_cost
            self.metrics[t, v.index] = m
            v.aggregates = agg
            total_rep += agg[kernel.A_REPUTATION]
        self.reputation_total = total_rep

    def run(self, progress: ProgressFn | None = None) -> None:
        """Step to the scenario's end."""
        while self.running:
            self.step()
            if progress is not None and (self.t % 12 == 0 or not self.running):
                progress(self.t, self.scenario.months)


def _dotted(overrides: dict[str, Any]) -> dict[str, Any]:
    """Map bare keys (``imitation``) to dotted names (``shops.imitation``)."""
    from . import params

    by_key = {p.key: p.dotted for p in params.WORLD + params.KERNEL_PARAMS}
    return {by_key.get(k, k): v for k, v in overrides.items()}


def simulate_mesa(scenario: Scenario, replicates: int | None = None, seed: int | None = None,
                  progress: ProgressFn | None = None, panel: bool | None = None) -> RunOutput:
    """Run an ensemble on the Mesa engine; same :class:`RunOutput` as the fast engine."""
    t_start = time.perf_counter()
    n = replicates if replicates is not None else scenario.replicates
    root = seed if seed is not None else scenario.seed
    if panel is None:
        panel = bool(scenario["output.households_panel"])
    models = []
    T = scenario.months
    for r in range(n):
        model = TaobaoModel(scenario, replicate=r, seed=root, collect_agents=False)

        def tick(done: int, total: int, r: int = r) -> None:
            if progress is not None:
                progress(r * T + done, n * T)

        model.run(tick)
        models.append(model)
    return RunOutput(
        scenarios=[scenario] * n,
        seeds=replicate_seeds(root, n),
        replicate_ids=list(range(n)),
        village_names=tuple(v.name for v in scenario.villages),
        village_households=np.array([v.households for v in scenario.villages]),
        months=np.arange(scenario.start, scenario.end + 1),
        metrics=np.stack([m.metrics for m in models]),
        panel=np.stack([m.panel for m in models]) if panel else None,
        first_open=np.stack([m.first_open for m in models]),
        engine="mesa",
        threads=1,
        wall_seconds=time.perf_counter() - t_start,
        extra={"households": scenario.households * n},
    )


__all__ = ["Household", "TaobaoModel", "Village", "simulate_mesa"]
