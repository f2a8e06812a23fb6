"""The Mesa engine in Mesa's own visualisation, SolaraViz, laid out as Mesa's examples
are (``agents.py``, ``model.py``, ``app.py``).

The page shows the households in the ties network (``model.grid``), coloured by
what they did in the last month simulated, the main parameters as inputs (a
change takes effect on Reset), and, month by month, the share of households in
the trade, the poor households and the migrants. Run it with::

    pip install "taobao-sim[viz]"        # in a clone: pip install -e ".[viz]"
    solara run taobao_sim.engines.mesa.app

It shows Dinglou, or the scenario (a file, or a shipped scenario's name) that the
environment variable ``TAOBAO_SIM_MESA_SCENARIO`` names. One village at a time is
what it is for, since the Mesa engine steps every household in Python; the
project's dashboard (``taobao-sim dashboard``) runs the fast engine and suits whole
townships.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import Slider, SolaraViz, make_plot_component
from mesa.visualization.components import AgentPortrayalStyle
from mesa.visualization.mpl_space_drawing import draw_network

from ...core.scenario import Scenario
from ...core.state import ACTIVE, PREPARING
from ...io.scenario_file import load_scenario
from .agents import Household
from .model import DEFAULT_SCENARIO, SCENARIO_KEYS, TaobaoModel

#: Environment variable naming the scenario file the page shows.
SCENARIO_ENV = "TAOBAO_SIM_MESA_SCENARIO"

#: What a household did in the last month simulated -> (colour, legend text), in the
#: order the colours are decided: the first that applies.
KINDS: dict[str, tuple[str, str]] = {
    "shop": ("#c2571a", "its shop is active"),
    "preparing": ("#eba46b", "setting up a shop"),
    "trade": ("#1f5f8b", "works in the trade (job, piece-work, workshop)"),
    "away": ("#9a9a9a", "all its workers in the city"),
    "home": ("#d9d2b8", "none of these"),
}
#: Edge colour of the households below the poverty line at the last assessment.
POOR_EDGE = "#b8002e"

#: Parameters offered as sliders: bare scenario key -> (label, min, max, step). They
#: start at the scenario's values.
SLIDERS: dict[str, tuple[str, float, float, float]] = {
    "imitation": ("Imitation of selling ties (per month)", 0.0, 1.0, 0.01),
    "startup_cost_yuan": ("Shop start-up cost (yuan)", 500.0, 40000.0, 500.0),
    "credit_limit_yuan": ("Credit line (yuan per household)", 0.0, 20000.0, 500.0),
    "transfer_yuan_head_month": ("Transfer (yuan per person per month)", 0.0, 300.0, 5.0),
}
#: Bare scenario key -> dotted name (``imitation`` -> ``shops.imitation``).
DOTTED = {p.key: p.dotted for p in SCENARIO_KEYS}
#: Replicates the replicate slider reaches.
MAX_REPLICATE = 19


def kind_of(h: Household) -> str:
    """Which of :data:`KINDS` a household is, from its last month."""
    if h.shop_state == ACTIVE:
        return "shop"
    if h.shop_state == PREPARING:
        return "preparing"
    worked = h.last.homeworkers if h.last is not None else h.homeworkers
    if h.employed > 0 or worked > 0 or h.firm:
        return "trade"
    if h.workers > 0 and h.away == h.workers:
        return "away"
    return "home"


def agent_portrayal(h: Household) -> AgentPortrayalStyle:
    """A household as a dot: coloured by :func:`kind_of`, sized by its members, ringed
    in red if it is poor."""
    colour = KINDS[kind_of(h)][0]
    return AgentPortrayalStyle(color=colour, size=8.0 + 5.0 * h.members,
                               edgecolors=POOR_EDGE if h.poor else colour,
                               linewidths=1.5 if h.poor else 0.5)


def household_positions(model: TaobaoModel) -> np.ndarray:
    """Where to draw each household, shape (households, 2), in household-id order.

    Each village's households lie along a spiral, in id order and evenly spaced, its
    turns as far apart as its households: a ring lattice wound up into a disc, so
    that ring ties join households next to each other and rewired or weak ties cross
    it. The discs sit at the villages' positions, sized by their households.
    """
    xy = np.array([[v.x_km, v.y_km] for v in model.scenario.villages], dtype=float)
    sizes = np.array([v.hi - v.lo for v in model.villages], dtype=float)
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    spacing = gaps[gaps > 0].min() if (gaps > 0).any() else 2.0
    radius = 0.45 * spacing * np.sqrt(sizes / sizes.max())
    pos = np.empty((len(model.records), 2))
    for v, centre, r in zip(model.villages, xy, radius, strict=True):
        k = np.arange(v.hi - v.lo) + 0.5
        # an Archimedean spiral, r proportional to the angle, walked in equal steps:
        # angle sqrt(4 pi k) puts successive turns one step apart
        angle = np.sqrt(4.0 * np.pi * k)
        rho = r * angle / angle[-1]
        pos[v.lo:v.hi, 0] = centre[0] + rho * np.cos(angle)
        pos[v.lo:v.hi, 1] = centre[1] + rho * np.sin(angle)
    return pos


def draw_village(model: TaobaoModel) -> Figure:
    """The households in the ties network (Mesa's ``draw_network`` on ``model.grid``,
    laid out by :func:`household_positions`), the ties as thin lines and a legend."""
    pos = household_positions(model)
    fig = Figure(figsize=(6.4, 4.8))
    ax = fig.add_subplot()
    draw_network(model.grid, agent_portrayal, ax=ax, draw_grid=False,
                 layout_alg=lambda _graph: dict(enumerate(pos)), layout_kwargs={})
    # the ties, drawn here rather than by networkx: one line per tie, no arrowheads
    src = np.repeat(np.arange(len(pos)), np.diff(model.ties_ptr))
    ties = LineCollection(np.stack([pos[src], pos[model.ties_idx]], axis=1), colors="#777777",
                          linewidths=0.3, alpha=0.35, zorder=0)
    ax.add_collection(ties)
    ax.set_aspect("equal")
    handles = [Line2D([], [], marker="o", linestyle="", color=c, label=text)
               for c, text in KINDS.values()]
    handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                          markeredgecolor=POOR_EDGE, label="poor (last assessment)"))
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8,
              frameon=False)
    ax.set_title(f"{model.date}: households and their ties", fontsize=10)
    return fig


def VillageNetwork(model: TaobaoModel) -> solara.Element:  # noqa: N802 (a component)
    """SolaraViz component: :func:`draw_village` of the current model."""
    return solara.FigureMatplotlib(draw_village(model), format="png", bbox_inches="tight")


def Summary(model: TaobaoModel) -> solara.Element:  # noqa: N802 (a component)
    """SolaraViz component: the month and the counts the plots show."""
    n = len(model.records)
    sellers = model.datacollector.model_vars["sellers"][-1]
    poor = model.datacollector.model_vars["poor"][-1]
    migrants = model.datacollector.model_vars["migrants"][-1]
    # plain text: solara.Markdown would fetch KaTeX from a CDN, which offline machines lack
    return solara.Text(
        f"{model.date} (month {model.steps} of {model.scenario.months}), "
        f"{model.scenario.name}, replicate {model.replicate}: "
        f"{sellers:.0f} of {n} households sold online, {poor:.0f} poor, "
        f"{migrants:.0f} people away in the city.")


def model_params_for(scenario: Scenario, path: str) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the scenario, a root seed, the replicate and
    the :data:`SLIDERS`, starting at the scenario's values (keyword arguments of
    :class:`TaobaoModel`)."""
    sliders = {
        key: Slider(label, value=float(scenario[DOTTED[key]]), min=lo, max=hi, step=step,
                    dtype=float)
        for key, (label, lo, hi, step) in SLIDERS.items()
    }
    return {
        "scenario": path,  # fixed
        "collect_agents": False,  # fixed: the plots read the model's series only
        "seed": {"type": "InputText", "value": str(scenario.seed), "label": "Root seed"},
        "replicate": Slider("Replicate", value=0, min=0, max=MAX_REPLICATE, step=1, dtype=int),
        **sliders,
    }


def initial_arguments(model_params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments SolaraViz builds a model from before any input is touched."""
    out = {}
    for name, spec in model_params.items():
        if isinstance(spec, Slider):
            out[name] = spec.value
        elif isinstance(spec, dict) and "type" in spec:
            out[name] = spec["value"]
        else:
            out[name] = spec
    return out


def make_page(path: str | None = None) -> solara.Element:
    """The SolaraViz page of a scenario file or shipped scenario (default: the one
    :data:`SCENARIO_ENV` names, else Dinglou)."""
    path = path or os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO)
    params = model_params_for(load_scenario(path), path)
    model = TaobaoModel(**initial_arguments(params))
    plots = [
        make_plot_component({"participation": KINDS["trade"][0]},
                            post_process=lambda ax: ax.set_ylabel("share of households")),
        make_plot_component({"poor": POOR_EDGE},
                            post_process=lambda ax: ax.set_ylabel("households")),
        make_plot_component({"migrants": KINDS["away"][0]},
                            post_process=lambda ax: ax.set_ylabel("people")),
    ]
    return SolaraViz(model, components=[VillageNetwork, Summary, *plots],
                     model_params=params, name=f"{model.scenario.name} (Mesa engine)")


page = make_page()
page  # noqa: B018 - how `solara run` finds the page
