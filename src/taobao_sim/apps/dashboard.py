"""An interactive dashboard (Solara) for watching and playing with the model.

Start it with ``taobao-sim dashboard [SCENARIO] [--port N]`` and open the page
it prints. Sliders set the main parameters, each with its value shown beside it
(a change restarts the run); a seed and a number of replicates choose the
universes run; Play / Step / Reset drive them. The focus village's households
are drawn as a network coloured by state (replicate 1), and live plots show
participation, poverty and migration with the real Dinglou figures marked: the
median of the replicates, with their 5-95% band when more than one runs. A
multi-village scenario also shows a map of its villages coloured by the share of
households in the trade. The run's time series (CSV) and the figures (PNG) can
be downloaded at any month.

Stepping uses the fast engine, all replicates in one batch, a month per kernel
call: a full Dinglou run plays in a few seconds.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from solara.components.file_download import FileDownloadWidget

from ..core import dates
from ..core.lifeline import PARENT_ENV, watch_parent
from ..core.records import M
from ..core.resources import ResourceError
from ..core.rng import replicate_seeds
from ..core.run_output import RunOutput
from ..core.scenario import Scenario
from ..core.state import ACTIVE
from ..core.world import World
from ..engines.fast import FastRun, check_batch_fits
from ..io.scenario_file import load_scenario
from ..output.tables import timeseries_table
from ..output.targets import FIRST_SHOP_YEAR, POVERTY_EXIT_YEAR, TARGETS_BY_ID

if os.environ.get(PARENT_ENV):  # the server started by `taobao-sim dashboard` ends with it
    watch_parent()


def filter_known_warnings() -> None:
    """Hide the one warning the server prints that is known to be harmless here.

    Solara asks browsers for a samesite=none session cookie (so that pages embedded
    in an iframe keep their session) and warns on every plain-http page load from an
    address other than "localhost", e.g. http://127.0.0.1:8765/, the address the
    command prints. It then falls back to samesite=lax, which is right for a page
    on this machine opened directly, so the warning is noise here. Any other
    warning still shows.
    """
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https",
                            category=UserWarning, module="solara.server.starlette")


# the server imports this module when it starts, before it serves any page
filter_known_warnings()

#: Scenario file shown when none is given (set by ``taobao-sim dashboard``).
SCENARIO_ENV = "TAOBAO_SIM_DASHBOARD_SCENARIO"
DEFAULT_SCENARIO = Path(__file__).resolve().parents[3] / "scenarios" / "dinglou.toml"


@dataclass(frozen=True)
class Slider:
    """A scenario parameter set by a slider.

    Attributes:
        label: text beside the slider.
        key: dotted scenario key it sets.
        lo, hi: range, in the key's unit.
        step: step of a linear slider; a log slider moves over :func:`log_grid` instead.
        unit: how the value is shown: "yuan", "yuan_head_month" (yuan per person per
            month) or "per_month".
        log: whether the slider is logarithmic (for ranges of several powers of ten).
    """

    label: str
    key: str
    lo: float
    hi: float
    step: float
    unit: str
    log: bool = False


SLIDERS: dict[str, Slider] = {
    "imitation": Slider("Imitation", "shops.imitation", 0.0, 1.0, 0.01, "per_month"),
    # 500 to 40,000 yuan is a factor of 80: on a linear slider everything below
    # 5,000 yuan, where the scenarios' values lie (3,000 yuan), would be a few pixels wide.
    "startup": Slider("Start-up cost", "shops.startup_cost_yuan", 500.0, 40000.0, 0.0, "yuan",
                      log=True),
    "credit": Slider("Credit access", "income.credit_limit_yuan", 0.0, 20000.0, 500.0, "yuan"),
    "transfer": Slider("Transfer", "income.transfer_yuan_head_month", 0.0, 300.0, 5.0,
                       "yuan_head_month"),
}
#: Growth of the migrant wage since the start, as a multiple of the observed growth.
WAGE_GROWTH = ("City wage growth", 0.0, 2.0, 0.05)
#: Replicates the page can run at once (one batch of the fast engine).
MAX_REPLICATES = 20
#: Percentiles of the replicates drawn as the ensemble band.
BAND = (5.0, 95.0)
#: Months advanced per frame while playing (a full Dinglou run in a few seconds).
PLAY_MONTHS_PER_FRAME = 3
COLOURS = {"shop": "#c2571a", "employed": "#1f5f8b", "away": "#9a9a9a", "home": "#d9d2b8",
           "poor": "#b8002e"}
#: What each colour of the network means, in the order of its legend.
STATE_LABELS = {"shop": "runs a shop", "employed": "works for the trade",
                "away": "all workers away", "home": "at home, not in the trade",
                "poor": "poor (last assessment)"}
#: Round mantissas of a log slider's values: about 15 per power of ten, each
#: 11-25% above the one before, so every step is a similar relative change.
ROUND_MANTISSAS = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)


# -- pure helpers (tested without a browser) ---------------------------------------

def log_grid(lo: float, hi: float, include: float | None = None) -> list[float]:
    """The values a log slider from ``lo`` to ``hi`` moves over: round numbers
    (:data:`ROUND_MANTISSAS` times powers of ten) spaced evenly on a log scale, with
    ``lo``, ``hi`` and ``include`` (e.g. the scenario's own value) added."""
    grid = {float(lo), float(hi)}
    for power in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        grid.update(m * 10.0 ** power for m in ROUND_MANTISSAS)
    if include is not None:
        grid.add(float(include))
    return sorted(round(v, 6) for v in grid if lo <= v <= hi)


def nearest_position(grid: list[float], value: float) -> int:
    """Index of the grid value closest to ``value`` on a log scale."""
    logs = np.log(np.asarray(grid))
    return int(np.argmin(np.abs(logs - math.log(max(value, grid[0])))))


def format_value(unit: str, value: float) -> str:
    """A slider's value as shown beside it, with its unit: "yuan", "yuan_head_month"
    (yuan per person per month), "per_month", "times" (a multiple) or "replicates"."""
    if unit == "yuan":
        return f"¥{value:,.0f}"
    if unit == "yuan_head_month":
        return f"¥{value:,.0f} /person/month"
    if unit == "per_month":
        return f"{value:.2f} /month"
    if unit == "times":
        return f"{value:.2f}×"
    if unit == "replicates":
        return f"{value:.0f} replicate" + ("s" if value != 1 else "")
    return f"{value:g}"


def wage_series(s: Scenario, growth: float) -> np.ndarray:
    """The migrant wage (yuan per month) by month, with its growth since the start
    scaled by ``growth`` (1: as observed, 0: flat)."""
    w = s.series.monthly("migrant_wage_yuan_month", s.start, s.months)
    if growth == 1.0:  # the series itself, to the bit, so runs match `taobao-sim run`'s
        return w
    return w[0] * (w / w[0]) ** growth


def ensemble_band(values: np.ndarray, band: tuple[float, float] = BAND,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and ``band`` percentiles over replicates.

    Args:
        values: (months, replicates) one series per replicate.
    Returns:
        (median, lower, upper), each (months,); all equal for one replicate.
    """
    lower, median, upper = np.percentile(values, [band[0], 50.0, band[1]], axis=1)
    return median, lower, upper


def household_states(hh: np.ndarray) -> np.ndarray:
    """Each household's colour in the network: "shop" (its shop is active),
    "employed" (a member works for the trade: a job, commuting or piece-work),
    "away" (all its workers are in the city) or "home"."""
    return np.where(hh["shop_state"] == ACTIVE, "shop",
                    np.where(hh["jobs"] + hh["commuters"] + hh["homeworkers"] > 0, "employed",
                             np.where(hh["workers"] == hh["away"], "away", "home")))


def state_counts(hh: np.ndarray) -> dict[str, int]:
    """Households in each state of :data:`STATE_LABELS` ("poor" overlaps the others)."""
    states = household_states(hh)
    counts = {name: int(np.count_nonzero(states == name)) for name in STATE_LABELS
              if name != "poor"}
    counts["poor"] = int(np.count_nonzero(hh["poor"] == 1))
    return counts


# -- the run -----------------------------------------------------------------------

@dataclass
class Simulation:
    """Replicates of a scenario run as one batch by the fast engine, advanced a
    month at a time.

    Attributes:
        scenario: the scenario with the sliders' values.
        wage_growth: multiple of the observed growth of the city wage.
        root_seed: seed the replicates' seeds are spawned from (``replicate_seeds``),
            so replicate ``i`` is the same as replicate ``i`` of ``taobao-sim run`` with
            that seed (with the observed wage growth).
        replicates: number of replicates (universes) in the batch.
    """

    scenario: Scenario
    wage_growth: float = 1.0
    root_seed: int | None = None
    replicates: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        s = self.scenario
        if self.root_seed is None:
            self.root_seed = s.seed
        check_batch_fits(s, self.replicates, panel=False)
        self.seeds = replicate_seeds(self.root_seed, self.replicates)
        run = FastRun.for_scenarios([s] * self.replicates, self.seeds, panel=False)
        run.wages = np.repeat(wage_series(s, self.wage_growth)[None], self.replicates, axis=0)
        self.run = run
        self.world: World = run.world

    @property
    def t(self) -> int:
        """Months simulated so far."""
        return self.run.t

    @property
    def done(self) -> bool:
        return self.run.done

    @property
    def date(self) -> str:
        """The last month simulated (YYYY-MM), or the start month before any."""
        return dates.format_month(self.scenario.start + self.t - 1) if self.t else \
            dates.format_month(self.scenario.start) + " (start)"

    def step(self, months: int = 1) -> None:
        """Advance every replicate by ``months`` months (or to the end)."""
        with self.lock:
            self.run.advance(months)

    def snapshot(self) -> Snapshot:
        """A consistent copy of what the page draws (stepping may go on meanwhile):
        the metrics so far and the focus village's households in replicate 1."""
        s = self.scenario
        focus = [v.name for v in s.villages].index(s.focus_village)
        lo, hi = int(self.world.village_start[focus]), int(self.world.village_start[focus + 1])
        with self.lock:
            return Snapshot(s, self.world, self.t, self.date, self.run.metrics[: self.t].copy(),
                            self.world.households[lo:hi].copy(), focus, list(self.seeds),
                            int(self.root_seed))


@dataclass
class Snapshot:
    """The state of a :class:`Simulation` at one moment, for drawing and export.

    Attributes:
        metrics: (months so far, replicates x villages, records.N_METRICS), the
            villages of replicate 1 first.
        households: the focus village's households in replicate 1.
        focus: index of the focus village.
        seeds: the 64-bit seed of each replicate.
        root_seed: the seed they were spawned from.
    """

    scenario: Scenario
    world: World
    t: int
    date: str
    metrics: np.ndarray
    households: np.ndarray
    focus: int
    seeds: list[int]
    root_seed: int

    @property
    def done(self) -> bool:
        return self.t >= self.scenario.months

    @property
    def replicates(self) -> int:
        return len(self.seeds)

    def by_replicate(self) -> np.ndarray:
        """Metrics as (replicates, months so far, villages, records.N_METRICS)."""
        v = len(self.scenario.villages)
        k = self.metrics.shape[-1]
        return self.metrics.reshape(self.t, self.replicates, v, k).transpose(1, 0, 2, 3)

    def series(self, k: int) -> np.ndarray:
        """Metric ``k`` summed over the villages: (months so far, replicates)."""
        return self.by_replicate()[:, :, :, k].sum(axis=2).T

    def years(self) -> np.ndarray:
        """Middle of each month simulated, in years (2009.04 for January 2009)."""
        return (self.scenario.start + np.arange(self.t)) / 12.0 + 1 / 24

    def run_output(self) -> RunOutput:
        """The months so far as a :class:`RunOutput`, as ``taobao-sim run`` makes them
        (no household panel; the first shops' months are not kept: -1)."""
        s = self.scenario
        v = len(s.villages)
        out = RunOutput.assemble([s] * self.replicates, self.seeds, list(range(self.replicates)),
                                 np.ascontiguousarray(self.by_replicate()), None,
                                 np.full((self.replicates, v, 2), -1, dtype=np.int64),
                                 engine="numba", threads=1, wall_seconds=0.0)
        return dataclasses.replace(out, months=out.months[: self.t])

    def export_stem(self) -> str:
        """File name (without extension) of downloads: scenario, seed, replicates, month."""
        last = dates.format_month(self.scenario.start + max(self.t - 1, 0))
        return (f"{self.scenario.name}_seed{self.root_seed}_{self.replicates}rep_"
                f"{last if self.t else 'start'}")


def timeseries_csv(sim: Snapshot) -> bytes:
    """The run so far as CSV, one row per replicate x month x village, with the
    columns of a run folder's ``timeseries.csv`` (counts per village per month,
    money in yuan per month)."""
    out = sim.run_output()
    if sim.t:
        table = timeseries_table(out)
    else:  # no month yet: the header only (the table is shaped from a dummy month)
        first = dataclasses.replace(out, metrics=np.ones((*out.metrics.shape[:1], 1,
                                                           *out.metrics.shape[2:])),
                                    months=np.array([sim.scenario.start]))
        table = timeseries_table(first).slice(0, 0)
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return buffer.getvalue()


def figure_png(fig: Figure, dpi: int = 150) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()



def status_line(sim: Snapshot) -> str:
    """The last month in numbers (households, people), the median over replicates."""
    if not sim.t:
        return "not started: press Play or Step"
    last = sim.by_replicate()[:, sim.t - 1].sum(axis=1)  # (replicates, metrics)
    med = np.median(last, axis=0)
    which = f" (median of {sim.replicates} replicates)" if sim.replicates > 1 else ""
    return (f"engaged {med[M.ENGAGED] / med[M.HOUSEHOLDS]:.0%} · shops {med[M.SELLERS]:,.0f} · "
            f"poor households {med[M.POOR]:,.0f} · people away {med[M.MIGRANTS]:,.0f}{which}")

# -- figures ---------------------------------------------------------------------

def network_caption(sim: Snapshot) -> str:
    """What the network shows, with the households in each state."""
    c = state_counts(sim.households)
    name = sim.scenario.villages[sim.focus].name
    which = f" (replicate 1 of {sim.replicates})" if sim.replicates > 1 else ""
    return (f"Each dot is one of {len(sim.households):,} households of {name}{which}, on a "
            f"ring; grey lines are ties between them. {c['shop']:,} run a shop, "
            f"{c['employed']:,} work for the trade, {c['away']:,} have all workers away, "
            f"{c['home']:,} are at home outside the trade; {c['poor']:,} are poor (red ring).")


def network_figure(sim: Snapshot) -> Figure:
    """The focus village's households on a ring (their ties drawn), coloured by
    state, with a legend giving the households in each state."""
    w = sim.world
    lo = int(w.village_start[sim.focus])
    hh = sim.households
    n = len(hh)
    angle = 2 * np.pi * np.arange(n) / max(n, 1)
    xy = np.column_stack([np.cos(angle), np.sin(angle)])
    segs = []
    for i in range(n):
        for j in w.ties_idx[w.ties_ptr[lo + i]:w.ties_ptr[lo + i + 1]]:
            if lo <= j < lo + n:
                segs.append([xy[i], xy[j - lo]])
    state = household_states(hh)
    counts = state_counts(hh)
    fig = Figure(figsize=(4.6, 5.0), dpi=90)
    ax = fig.subplots()
    ax.add_collection(LineCollection(segs, colors="#bbbbbb", linewidths=0.3, alpha=0.5))
    for name in ("shop", "employed", "away", "home"):
        sel = state == name
        ax.scatter(xy[sel, 0], xy[sel, 1], s=22, color=COLOURS[name],
                   label=f"{STATE_LABELS[name]}: {counts[name]:,}", zorder=3)
    poor = hh["poor"] == 1
    ax.scatter(xy[poor, 0], xy[poor, 1], s=60, facecolors="none", edgecolors=COLOURS["poor"],
               linewidths=1.2, label=f"{STATE_LABELS['poor']}: {counts['poor']:,}", zorder=4)
    ax.set_aspect("equal")
    ax.axis("off")
    name = sim.scenario.villages[sim.focus].name
    ax.set_title(f"{name}, {sim.date}: {n:,} households and their ties", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, fontsize=8,
              frameon=False, title="households", title_fontsize=8)
    fig.tight_layout()
    return fig


def village_map(sim: Snapshot) -> Figure:
    """Villages coloured by the share of their households in the trade (replicate 1)."""
    s = sim.scenario
    xy = np.array([[v.x_km, v.y_km] for v in s.villages])
    if sim.t:
        m = sim.by_replicate()[0, sim.t - 1]
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
    which = " (replicate 1)" if sim.replicates > 1 else ""
    ax.set_title(f"{s.name}, {sim.date}: {len(xy)} villages{which}", fontsize=10)
    fig.tight_layout()
    return fig


def _ensemble(ax, x: np.ndarray, values: np.ndarray, colour: str, label: str) -> None:
    """The median of the replicates as a line, and their band when there are several."""
    median, lower, upper = ensemble_band(values)
    ax.plot(x, median, color=colour, label=label)
    if values.shape[1] > 1:
        ax.fill_between(x, lower, upper, color=colour, alpha=0.2, linewidth=0)


def _legend(ax, **kwargs) -> None:
    """A legend, if the axes have labelled artists (matplotlib warns otherwise)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def series_figure(sim: Snapshot, dinglou_marks: bool) -> Figure:
    """Participation, poverty and migration so far, on the whole run's time axis:
    the median of the replicates, and their 5-95% band when there are several."""
    s = sim.scenario
    fig = Figure(figsize=(6.0, 6.6), dpi=90)
    axes = fig.subplots(3, 1, sharex=True)
    x = sim.years()
    hh = sim.series(M.HOUSEHOLDS)
    first_year = s.start / 12.0
    last_year = (s.end + 1) / 12.0
    if sim.replicates > 1:
        fig.suptitle(f"median of {sim.replicates} replicates, band: "
                     f"{BAND[0]:g}-{BAND[1]:g}% of them", fontsize=9)
    ax = axes[0]
    if sim.t:
        _ensemble(ax, x, sim.series(M.ENGAGED) / hh, COLOURS["employed"],
                  "engaged in the trade")
        _ensemble(ax, x, sim.series(M.SELLERS) / hh, COLOURS["shop"], "running a shop")
    if dinglou_marks:
        d4 = TARGETS_BY_ID["D4"]
        ax.errorbar([2018.96], [d4.center], yerr=[[d4.center - d4.lower], [d4.upper - d4.center]],
                    fmt="D", color=COLOURS["poor"], capsize=3, label=f"real: {d4.real} in 2018")
        ax.axvspan(FIRST_SHOP_YEAR, FIRST_SHOP_YEAR + 1, color=COLOURS["poor"], alpha=0.08,
                   label=f"real: first shop {FIRST_SHOP_YEAR}")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of households")
    _legend(ax, fontsize=7, loc="upper left", frameon=False)
    ax = axes[1]
    if sim.t:
        _ensemble(ax, x, sim.series(M.POOR) / hh, COLOURS["poor"],
                  "poor households (last assessment)")
    if dinglou_marks:
        ax.axvline(POVERTY_EXIT_YEAR, color="black", ls="--", lw=1,
                   label=f"real: out of poverty in {POVERTY_EXIT_YEAR}")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("share of households")
    _legend(ax, fontsize=7, loc="upper right", frameon=False)
    ax = axes[2]
    if sim.t:
        _ensemble(ax, x, sim.series(M.MIGRANTS), COLOURS["away"], "people away")
        ax2 = ax.twinx()
        ax2.bar(x, ensemble_band(sim.series(M.RETURNS))[0], width=1 / 12,
                color=COLOURS["employed"], alpha=0.35, label="returns per month")
        ax2.set_ylabel("returns per month", fontsize=8)
        # the line and its band in front of the bars (a twin axes is drawn on top)
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        handles, labels = (a + b for a, b in zip(ax.get_legend_handles_labels(),
                                                 ax2.get_legend_handles_labels(), strict=True))
        ax.legend(handles, labels, fontsize=7, loc="upper right", frameon=False)
    ax.set_ylabel("people away")
    ax.set_xlabel("year")
    ax.set_xlim(first_year, last_year)
    fig.tight_layout()
    return fig


# -- the page --------------------------------------------------------------------

def _scenario_path() -> Path:
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


base_scenario = solara.reactive(None)
values = {k: solara.reactive(0.0) for k in SLIDERS}
wage_growth = solara.reactive(1.0)
seed = solara.reactive(0)
replicates = solara.reactive(1)
problem = solara.reactive("")  # why the last change could not be run, shown on the page
playing = solara.reactive(False)
tick = solara.reactive(0)  # bumped after each step, so the page redraws
# Module-level reactive values are per browser session in Solara; the
# simulation lives in one too, so two pages never share a run.
current = solara.reactive(None)


def _load() -> Scenario:
    if base_scenario.value is None:
        s = load_scenario(_scenario_path())
        base_scenario.set(s)
        for key, slider in SLIDERS.items():
            values[key].set(float(s[slider.key]))
        seed.set(s.seed)
    return base_scenario.value


def _reset() -> None:
    """Restart the run with the page's values; with one replicate, saying why, if
    the replicates asked for would not fit in memory (a large scenario)."""
    s = _load().replace({SLIDERS[k].key: v.value for k, v in values.items()})
    try:
        sim = Simulation(s, wage_growth.value, seed.value, replicates.value)
        problem.set("")
    except ResourceError as exc:
        problem.set(f"{exc}. Running one replicate instead.")
        replicates.set(1)
        sim = Simulation(s, wage_growth.value, seed.value, 1)
    current.set(sim)
    tick.set(tick.value + 1)


def _sim() -> Simulation:
    if current.value is None:
        _reset()
    return current.value


def _step(months: int = 1) -> None:
    _sim().step(months)
    tick.set(tick.value + 1)


def _restart_with(setter: Callable[[object], None]) -> Callable[[object], None]:
    """An on_value handler: set a value, stop playing and restart the run."""
    def on_value(v: object) -> None:
        setter(v)
        playing.set(False)
        _reset()
    return on_value


@solara.component
def ValueSlider(  # noqa: N802  (components are named like classes in Solara)
        key: str, label: str, value: float, unit: str, on_value: Callable[[float], None], *,
        lo: float, hi: float, step: float, log: bool = False, include: float | None = None,
        integer: bool = False):
    """A slider with its value always shown beside it, in its unit. A log slider
    moves over :func:`log_grid` (its position is an index into it)."""
    with solara.Row(classes=[f"slider-{key}"], style={"align-items": "center"}):
        with solara.Div(style={"flex": "1 1 auto"}):
            if log:
                grid = log_grid(lo, hi, include)
                solara.SliderInt(label, value=nearest_position(grid, value), min=0,
                                 max=len(grid) - 1, thumb_label=False,
                                 on_value=lambda p: on_value(grid[int(p)]))
            elif integer:
                solara.SliderInt(label, value=int(value), min=int(lo), max=int(hi),
                                 step=int(step), on_value=on_value)
            else:
                solara.SliderFloat(label, value=value, min=lo, max=hi, step=step,
                                   on_value=on_value)
        solara.Text(format_value(unit, value), classes=["slider-value"],
                    style={"min-width": "84px", "text-align": "right", "font-size": "14px"})


@solara.component
def DownloadButton(  # noqa: N802  (components are named like classes in Solara)
        label: str, filename: str, mime_type: str, data: Callable[[], bytes]):
    """A button that downloads ``data()`` (computed when clicked) as ``filename``.

    It hands the bytes to the browser through the widget of ``solara.FileDownload``.
    ``solara.FileDownload`` itself draws its button as a child widget inside that
    widget's template, and with ipyvue 3 (which solara 1.58's requirements allow)
    such children are not drawn: the page showed no button at all. A button drawn
    here, beside the widget, setting the widget's request itself, works with ipyvue
    1 and 3 alike.
    """
    requested, set_requested = solara.use_state(False)

    def make() -> bytes | None:
        return data() if requested else None

    result = solara.use_thread(make, dependencies=[requested])
    busy = requested and result.state == solara.ResultState.RUNNING
    solara.Button(label, icon_name="mdi-download", on_click=lambda: set_requested(True),
                  loading=busy, text=True, classes=["download-button"])
    # The widget starts the download when the bytes arrive while requested, then
    # sets requested back to False (so the next click downloads again).
    FileDownloadWidget.element(
        filename=filename, mime_type=mime_type, children=[],
        bytes=result.value if result.state == solara.ResultState.FINISHED else None,
        request_download=requested, on_request_download=set_requested)
    if result.state == solara.ResultState.ERROR and result.error:
        raise result.error


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

    def on_seed(v: int | None) -> None:
        # SeedSequence takes non-negative integers only
        seed.set(abs(int(v or 0)))

    simulation = _sim()
    sim = simulation.snapshot()
    dinglou_marks = s.targets == "dinglou"
    deps = [tick.value, sim.t, id(simulation)]
    stem = sim.export_stem()

    with solara.Column(style={"padding": "12px 20px"}):
        solara.HTML(tag="h2", unsafe_innerHTML=f"taobao-sim · {s.name}",
                    style={"margin": "0"})
        solara.Text(s["description"])
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button("Play" if not playing.value else "Pause",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=sim.done, classes=["play-button"])
            solara.Button("Step", on_click=lambda: _step(1), disabled=sim.done,
                          classes=["step-button"])
            solara.Button("Reset", on_click=_reset, classes=["reset-button"])
            solara.HTML(tag="h3", unsafe_innerHTML=f"{sim.date} · month {sim.t} of {s.months}",
                        classes=["month-line"], style={"margin": "0 16px"})
            # each callable runs when its button is clicked, on the run as it is then
            DownloadButton("Time series (CSV)", f"{stem}.csv", "text/csv",
                           lambda: timeseries_csv(simulation.snapshot()))
            DownloadButton("Plots (PNG)", f"{stem}_plots.png", "image/png",
                           lambda: figure_png(series_figure(simulation.snapshot(),
                                                            dinglou_marks)))
            DownloadButton("Network (PNG)", f"{stem}_network.png", "image/png",
                           lambda: figure_png(network_figure(simulation.snapshot())))
        # always there (even before the first month), so that the elements below keep
        # their place and a slider being used keeps the keyboard focus
        solara.Text(status_line(sim), classes=["status-line"])
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(style={"width": "370px"}):
                base = base_scenario.value
                for key, sl in SLIDERS.items():
                    ValueSlider(key, sl.label, values[key].value, sl.unit,
                                _restart_with(values[key].set), lo=sl.lo, hi=sl.hi,
                                step=sl.step, log=sl.log, include=float(base[sl.key]))
                label, lo, hi, stp = WAGE_GROWTH
                ValueSlider("wage", label, wage_growth.value, "times",
                            _restart_with(wage_growth.set), lo=lo, hi=hi, step=stp)
                ValueSlider("replicates", "Replicates", replicates.value, "replicates",
                            _restart_with(replicates.set), lo=1, hi=MAX_REPLICATES, step=1,
                            integer=True)
                with solara.Div(classes=["seed-input"], style={"width": "200px"}):
                    solara.InputInt("Seed", value=seed.value, on_value=_restart_with(on_seed))
                solara.Text("Sliders: imitation strength (per month), start-up cost of a shop "
                            "(yuan, log scale), credit access (yuan), transfers to poor "
                            "households (yuan per person per month, current yuan), and the "
                            "growth of the city wage since the start as a multiple of the "
                            "observed growth. Seed and replicates choose the universes run; "
                            "replicate 1 is the network. Any change restarts the run.")
                if problem.value:
                    solara.Error(problem.value, classes=["run-problem"])
            with solara.Column(classes=["network-panel"], style={"width": "420px"}):
                solara.FigureMatplotlib(network_figure(sim), format="png", dependencies=deps)
                solara.Text(network_caption(sim), classes=["network-caption"],
                            style={"font-size": "13px"})
                if len(s.villages) > 1:
                    solara.FigureMatplotlib(village_map(sim), format="png", dependencies=deps)
            with solara.Column(classes=["series-panel"]):
                solara.FigureMatplotlib(series_figure(sim, dinglou_marks), format="png",
                                        dependencies=deps)
