"""An interactive dashboard (Solara) for watching and playing with the model.

Start it with ``taobao-sim dashboard [SCENARIO] [--port N]`` and open the page
it prints. Sliders set the main parameters (a change restarts the run), Play /
Step / Reset drive it, the village's households are drawn as a network coloured
by state, and live plots show participation, poverty and migration with the
real Dinglou figures marked. A multi-village scenario shows a map of its
villages coloured by the share of households in the trade.

Stepping uses the fast engine, one month per kernel call, on replicate 0 of the
scenario: a full Dinglou run plays in a few seconds.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..core import dates
from ..core.lifeline import PARENT_ENV, watch_parent
from ..core.records import M
from ..core.rng import replicate_seeds
from ..core.scenario import Scenario
from ..core.state import ACTIVE
from ..engines.fast import FastRun
from ..io.scenario_file import load_scenario
from ..io.shipped import SHIPPED
from ..output.targets import FIRST_SHOP_YEAR, POVERTY_EXIT_YEAR, TARGETS_BY_ID

if os.environ.get(PARENT_ENV):  # the server started by `taobao-sim dashboard` ends with it
    watch_parent()

#: Scenario file shown when none is given (set by ``taobao-sim dashboard``).
SCENARIO_ENV = "TAOBAO_SIM_DASHBOARD_SCENARIO"
DEFAULT_SCENARIO = SHIPPED / "dinglou.toml"

#: Slider key -> (label, dotted scenario key, min, max, step)
SLIDERS = {
    "imitation": ("Imitation /month", "shops.imitation", 0.0, 1.0, 0.01),
    "startup": ("Start-up cost ¥", "shops.startup_cost_yuan", 500.0, 40000.0, 500.0),
    "credit": ("Credit access ¥", "income.credit_limit_yuan", 0.0, 20000.0, 500.0),
    "transfer": ("Transfer ¥/person/month", "income.transfer_yuan_head_month", 0.0, 300.0, 5.0),
}
#: Growth of the migrant wage since the start, as a multiple of the observed growth.
WAGE_GROWTH = ("City wage growth ×", 0.0, 2.0, 0.05)
#: Months advanced per frame while playing (a full Dinglou run in a few seconds).
PLAY_MONTHS_PER_FRAME = 3
COLOURS = {"shop": "#c2571a", "employed": "#1f5f8b", "away": "#9a9a9a", "home": "#d9d2b8",
           "poor": "#b8002e"}


def wage_series(s: Scenario, growth: float) -> np.ndarray:
    """The migrant wage by month with its growth since the start scaled by ``growth``."""
    w = s.series.monthly("migrant_wage_yuan_month", s.start, s.months)
    return w[0] * (w / w[0]) ** growth


@dataclass
class Simulation:
    """One replicate of a scenario, advanced a month at a time by the fast engine."""

    scenario: Scenario
    wage_growth: float = 1.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        s = self.scenario
        self.seed = replicate_seeds(s.seed, 1)[0]
        run = FastRun.for_scenarios([s], [self.seed], panel=False)
        run.wages = wage_series(s, self.wage_growth)[None]
        self.run = run
        self.world = run.world

    @property
    def t(self) -> int:
        return self.run.t

    @property
    def done(self) -> bool:
        return self.run.done

    @property
    def date(self) -> str:
        return dates.format_month(self.scenario.start + self.t - 1) if self.t else \
            dates.format_month(self.scenario.start) + " (start)"

    def step(self, months: int = 1) -> None:
        with self.lock:
            self.run.advance(months)

    def snapshot(self) -> Snapshot:
        """A consistent copy of what the page draws (stepping may go on meanwhile)."""
        with self.lock:
            return Snapshot(self.scenario, self.world, self.t, self.date,
                            self.run.metrics[: self.t].copy(), self.world.households.copy())


@dataclass
class Snapshot:
    """The state of a :class:`Simulation` at one moment, for drawing."""

    scenario: Scenario
    world: object
    t: int
    date: str
    metrics: np.ndarray  # (months so far, villages, records.N_METRICS)
    households: np.ndarray

    @property
    def done(self) -> bool:
        return self.t >= self.scenario.months

    def series(self, k: int, village: int | None = None) -> np.ndarray:
        m = self.metrics[:, :, k]
        return m.sum(axis=1) if village is None else m[:, village]

    def years(self) -> np.ndarray:
        return (self.scenario.start + np.arange(self.t)) / 12.0 + 1 / 24


# -- figures ---------------------------------------------------------------------

def network_figure(sim: Snapshot, village: int = 0):
    """The village's households on a ring (their ring ties drawn), coloured by state."""
    w = sim.world
    lo, hi = int(w.village_start[village]), int(w.village_start[village + 1])
    hh = sim.households[lo:hi]
    n = hi - lo
    angle = 2 * np.pi * np.arange(n) / max(n, 1)
    xy = np.column_stack([np.cos(angle), np.sin(angle)])
    segs = []
    for i in range(n):
        for j in w.ties_idx[w.ties_ptr[lo + i]:w.ties_ptr[lo + i + 1]]:
            if lo <= j < hi:
                segs.append([xy[i], xy[j - lo]])
    state = np.where(hh["shop_state"] == ACTIVE, "shop",
                     np.where(hh["jobs"] + hh["commuters"] + hh["homeworkers"] > 0, "employed",
                              np.where(hh["workers"] == hh["away"], "away", "home")))
    fig = Figure(figsize=(4.6, 4.8), dpi=90)
    ax = fig.subplots()
    ax.add_collection(LineCollection(segs, colors="#bbbbbb", linewidths=0.3, alpha=0.5))
    for name in ("home", "away", "employed", "shop"):
        sel = state == name
        label = {"shop": "runs a shop", "employed": "works for the trade",
                 "away": "all workers away", "home": "at home, not in the trade"}[name]
        ax.scatter(xy[sel, 0], xy[sel, 1], s=22, color=COLOURS[name], label=label, zorder=3)
    poor = hh["poor"] == 1
    ax.scatter(xy[poor, 0], xy[poor, 1], s=60, facecolors="none", edgecolors=COLOURS["poor"],
               linewidths=1.2, label="poor (last assessment)", zorder=4)
    ax.set_aspect("equal")
    ax.axis("off")
    name = sim.scenario.villages[village].name
    ax.set_title(f"{name}, {sim.date}: households and their ties", fontsize=10)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7.5,
              frameon=False)
    fig.tight_layout()
    return fig


def village_map(sim: Snapshot):
    """Villages coloured by the share of their households in the trade."""
    s = sim.scenario
    xy = np.array([[v.x_km, v.y_km] for v in s.villages])
    if sim.t:
        m = sim.metrics[sim.t - 1]
        share = m[:, M.ENGAGED] / np.maximum(m[:, M.HOUSEHOLDS], 1)
    else:
        share = np.zeros(len(xy))
    sizes = np.array([v.households for v in s.villages])
    fig = Figure(figsize=(4.6, 4.0), dpi=90)
    ax = fig.subplots()
    sc = ax.scatter(xy[:, 0], xy[:, 1], c=share, s=30 + 120 * sizes / sizes.max(),
                    cmap="viridis", vmin=0, vmax=1, edgecolors="black", linewidths=0.5)
    fig.colorbar(sc, ax=ax, label="share of households in the trade")
    ax.set_xlabel("km")
    ax.set_ylabel("km")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"{s.name}, {sim.date}: {len(xy)} villages", fontsize=10)
    fig.tight_layout()
    return fig


def series_figure(sim: Snapshot, dinglou_marks: bool):
    """Participation, poverty and migration so far, on the whole run's time axis."""
    s = sim.scenario
    fig = Figure(figsize=(6.0, 6.6), dpi=90)
    axes = fig.subplots(3, 1, sharex=True)
    x = sim.years()
    hh = sim.series(M.HOUSEHOLDS)
    first_year = s.start / 12.0
    last_year = (s.end + 1) / 12.0
    ax = axes[0]
    if sim.t:
        ax.plot(x, sim.series(M.ENGAGED) / hh, color=COLOURS["employed"],
                label="engaged in the trade")
        ax.plot(x, sim.series(M.SELLERS) / hh, color=COLOURS["shop"], label="running a shop")
    if dinglou_marks:
        d4 = TARGETS_BY_ID["D4"]
        ax.errorbar([2018.96], [d4.center], yerr=[[d4.center - d4.lower], [d4.upper - d4.center]],
                    fmt="D", color=COLOURS["poor"], capsize=3, label=f"real: {d4.real} in 2018")
        ax.axvspan(FIRST_SHOP_YEAR, FIRST_SHOP_YEAR + 1, color=COLOURS["poor"], alpha=0.08,
                   label=f"real: first shop {FIRST_SHOP_YEAR}")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of households")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    ax = axes[1]
    if sim.t:
        ax.plot(x, sim.series(M.POOR) / hh, color=COLOURS["poor"],
                label="poor households (last assessment)")
    if dinglou_marks:
        ax.axvline(POVERTY_EXIT_YEAR, color="black", ls="--", lw=1,
                   label=f"real: out of poverty in {POVERTY_EXIT_YEAR}")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("share of households")
    ax.legend(fontsize=7, loc="upper right", frameon=False)
    ax = axes[2]
    if sim.t:
        ax.plot(x, sim.series(M.MIGRANTS), color=COLOURS["away"], label="people away")
        ax2 = ax.twinx()
        ax2.bar(x, sim.series(M.RETURNS), width=1 / 12, color=COLOURS["employed"],
                alpha=0.5, label="returns per month")
        ax2.set_ylabel("returns per month", fontsize=8)
    ax.set_ylabel("people away")
    ax.set_xlabel("year")
    ax.set_xlim(first_year, last_year)
    if sim.t:
        ax.legend(fontsize=7, loc="upper right", frameon=False)
    fig.tight_layout()
    return fig


# -- the page --------------------------------------------------------------------

def _scenario_path() -> Path:
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


base_scenario = solara.reactive(None)
values = {k: solara.reactive(0.0) for k in SLIDERS}
wage_growth = solara.reactive(1.0)
playing = solara.reactive(False)
tick = solara.reactive(0)  # bumped after each step, so the page redraws
# Module-level reactive values are per browser session in Solara; the
# simulation lives in one too, so two pages never share a run.
current = solara.reactive(None)


def _load() -> Scenario:
    if base_scenario.value is None:
        s = load_scenario(_scenario_path())
        base_scenario.set(s)
        for key, (_label, dotted, *_r) in SLIDERS.items():
            values[key].set(float(s[dotted]))
    return base_scenario.value


def _reset() -> None:
    s = _load().replace({SLIDERS[k][1]: v.value for k, v in values.items()})
    current.set(Simulation(s, wage_growth.value))
    tick.set(tick.value + 1)


def _sim() -> Simulation:
    if current.value is None:
        _reset()
    return current.value


def _step(months: int = 1) -> None:
    _sim().step(months)
    tick.set(tick.value + 1)


@solara.component
def Page():  # noqa: N802  (Solara looks for a component named Page)
    s = _load()
    solara.Title(f"taobao-sim · {s.name}")
    _ = tick.value  # redraw on every step

    def play_loop():
        while playing.value and not _sim().done:
            _step(PLAY_MONTHS_PER_FRAME)
            time.sleep(0.01)
        playing.set(False)

    solara.use_thread(play_loop, dependencies=[playing.value])

    def on_slider(key):
        def set_value(v):
            values[key].set(v)
            playing.set(False)
            _reset()
        return set_value

    def on_growth(v):
        wage_growth.set(v)
        playing.set(False)
        _reset()

    sim = _sim().snapshot()
    dinglou_marks = s.targets == "dinglou"
    deps = [tick.value, sim.t, id(current.value)]
    with solara.Column(style={"padding": "12px 20px"}):
        solara.HTML(tag="h2", unsafe_innerHTML=f"taobao-sim · {s.name}",
                    style={"margin": "0"})
        solara.Text(s["description"])
        with solara.Row(style={"align-items": "center"}):
            solara.Button("Play" if not playing.value else "Pause",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=sim.done, classes=["play-button"])
            solara.Button("Step", on_click=lambda: _step(1), disabled=sim.done,
                          classes=["step-button"])
            solara.Button("Reset", on_click=_reset, classes=["reset-button"])
            solara.HTML(tag="h3", unsafe_innerHTML=f"{sim.date} · month {sim.t} of {s.months}",
                        classes=["month-line"], style={"margin": "0 0 0 16px"})
        m = sim.metrics[sim.t - 1] if sim.t else None
        if m is not None:
            hh = m[:, M.HOUSEHOLDS].sum()
            solara.Text(f"engaged {m[:, M.ENGAGED].sum() / hh:.0%} · shops "
                        f"{int(m[:, M.SELLERS].sum())} · poor households "
                        f"{int(m[:, M.POOR].sum())} · people away "
                        f"{int(m[:, M.MIGRANTS].sum())}", classes=["status-line"])
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(style={"width": "340px"}):
                for key, (label, _dotted, lo, hi, stp) in SLIDERS.items():
                    with solara.Div(classes=[f"slider-{key}"]):
                        solara.SliderFloat(label, value=values[key].value, min=lo, max=hi,
                                           step=stp, on_value=on_slider(key))
                label, lo, hi, stp = WAGE_GROWTH
                with solara.Div(classes=["slider-wage"]):
                    solara.SliderFloat(label, value=wage_growth.value, min=lo, max=hi,
                                       step=stp, on_value=on_growth)
                solara.Text("Sliders: imitation strength, start-up cost, credit access, "
                            "transfers to poor households (current yuan), and the growth of the "
                            "city wage since the start as a multiple of the observed growth. "
                            "Changing a slider restarts the run.")
            with solara.Column(classes=["network-panel"]):
                focus = [v.name for v in s.villages].index(s.focus_village)
                solara.FigureMatplotlib(network_figure(sim, focus), format="png",
                                        dependencies=deps)
                if len(s.villages) > 1:
                    solara.FigureMatplotlib(village_map(sim), format="png", dependencies=deps)
            with solara.Column(classes=["series-panel"]):
                solara.FigureMatplotlib(series_figure(sim, dinglou_marks), format="png",
                                        dependencies=deps)
