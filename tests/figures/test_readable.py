"""Figures read as a paper's figures should: plain tick labels (1,500, not 1.5e+03),
human labels with units instead of the model's dotted keys, whole-number ticks
for generations, and true values marked where they are known."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from taobao_sim.core.params import TUNABLE
from taobao_sim.experiments.parameters import Parameter
from taobao_sim.figures import calibration as cal
from taobao_sim.figures import compare as compare_figures
from taobao_sim.figures import run as plots
from taobao_sim.figures import sweep as sweep_figures
from taobao_sim.figures.labels import output_label, parameter_label
from taobao_sim.output.scalars import OUTPUTS

#: What an unreadable tick looks like: scientific notation, an offset, mathtext.
SCIENTIFIC = re.compile(r"\de[+-]?\d|×10|\$|\^")


def texts(fig) -> list[str]:
    """Every text drawn in a figure: titles, labels, tick labels (colour bars too)."""
    fig.draw_without_rendering()
    found = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        found.append(fig._suptitle.get_text())
    for ax in fig.axes:
        found += [ax.get_title(loc) for loc in ("left", "center", "right")]
        found += [ax.get_xlabel(), ax.get_ylabel()]
        found += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        found += [t.get_text() for t in ax.texts]
    return [t for t in found if t]


def visible_ticks(ax, axis: str = "x") -> list[tuple[float, str]]:
    """(position, text) of the major ticks within the axis' view, as drawn."""
    ax.figure.draw_without_rendering()
    a = ax.xaxis if axis == "x" else ax.yaxis
    lo, hi = sorted(a.get_view_interval())
    return [(loc, t.get_text()) for loc, t in zip(a.get_majorticklocs(), a.get_ticklabels(),
                                                   strict=True)
            if lo - 1e-9 <= loc <= hi + 1e-9]


def tick_texts(ax, axis: str = "x") -> list[str]:
    return [text for _loc, text in visible_ticks(ax, axis) if text]


def param(name: str, lower: float, upper: float, log: bool = False,
          values: tuple[float, ...] = ()) -> Parameter:
    return Parameter(name, TUNABLE[name], lower, upper, log, values)


def assert_no_keys(fig, *names: str) -> None:
    """No dotted key or column name (``shops.startup_cost_yuan``, ``startup_cost_yuan``)
    anywhere in the figure."""
    for text in texts(fig):
        for name in names:
            assert name not in text, f"{name!r} in {text!r}"
            key = name.rsplit(".", 1)[-1]
            assert "_" not in key or key not in text, f"{name!r} in {text!r}"


# -- labels ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TUNABLE))
def test_every_parameter_has_a_human_label_with_its_unit(name):
    label = parameter_label(name)
    assert "." not in label.split(" (")[0] and "_" not in label
    if TUNABLE[name].unit:
        assert label.endswith(f"({TUNABLE[name].unit})")


def test_parameter_labels():
    assert parameter_label("shops.startup_cost_yuan") == "shop start-up cost (yuan)"
    assert parameter_label("income.credit_limit_yuan", unit=False) == "credit limit"
    assert parameter_label("income.farm_income_yuan_head_year") == \
        "farm income (yuan per person per year)"


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_every_output_has_a_human_label(name):
    assert "_" not in output_label(name) and output_label(name)


# -- sweeps ------------------------------------------------------------------------------

@pytest.fixture
def grid():
    a = param("shops.imitation", 0.02, 0.8, log=True, values=(0.02, 0.0318, 0.8))
    b = param("shops.startup_cost_yuan", 500.0, 40000.0, log=True,
              values=(500.0, 1500.0, 12000.0, 40000.0))
    spec = SimpleNamespace(name="tipping_point", replicates=4)
    return a, b, spec


def test_heatmap_ticks_are_plain_numbers(grid):
    a, b, spec = grid
    fig = sweep_figures.tipping_heatmap(a, b, np.linspace(0, 1, 12).reshape(3, 4),
                                        "participation_end", spec)
    ax = fig.axes[0]
    assert tick_texts(ax, "x") == ["500", "1,500", "12k", "40k"]
    assert tick_texts(ax, "y") == ["0.02", "0.0318", "0.8"]
    for text in texts(fig):
        assert not SCIENTIFIC.search(text), text


def test_heatmap_names_parameters_and_output_in_words(grid):
    a, b, spec = grid
    fig = sweep_figures.tipping_heatmap(a, b, np.zeros((3, 4)), "participation_end", spec)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "shop start-up cost (yuan)"
    assert ax.get_ylabel() == "imitation rate (per month)"
    assert "share of households engaged" in ax.get_title(loc="left")
    assert_no_keys(fig, "shops.imitation", "shops.startup_cost_yuan", "participation_end")


def test_heatmap_of_years_has_whole_year_colour_ticks(grid):
    a, b, spec = grid
    years = np.array([[2013.2, 2014, 2015, 2016.5]] * 3)
    fig = sweep_figures.tipping_heatmap(a, b, years, "poverty_exit_year", spec)
    colour_ticks = tick_texts(fig.axes[1], "y")
    assert colour_ticks and all(re.fullmatch(r"20\d\d", t) for t in colour_ticks), colour_ticks


def test_sobol_and_morris_name_parameters_in_words():
    indices = {"shops.imitation": {"S1": 0.5, "S1_conf": 0.1, "ST": 0.6, "ST_conf": 0.1},
               "market.outside_reputation": {"S1": 0.2, "S1_conf": 0.1, "ST": 0.3,
                                             "ST_conf": 0.1}}
    fig = sweep_figures.sobol_bars(indices, "poverty_exit_year")
    assert tick_texts(fig.axes[0]) == ["imitation rate", "reputation of sellers nationwide"]
    assert_no_keys(fig, "shops.imitation", "market.outside_reputation", "poverty_exit_year")
    morris = {n: {"mu_star": 1500.0 * (k + 1), "sigma": 2000.0}
              for k, n in enumerate(indices)}
    fig = sweep_figures.morris_plot(morris, "poverty_exit_year")
    assert_no_keys(fig, "shops.imitation", "market.outside_reputation", "poverty_exit_year")
    for text in texts(fig):
        assert not SCIENTIFIC.search(text), text


# -- log axes ----------------------------------------------------------------------------

def test_log_axes_are_labelled_with_plain_numbers(dinglou_run):
    fig = plots.sales(dinglou_run)
    ticks = tick_texts(fig.axes[0], "y")
    assert len(ticks) >= 3
    for t in ticks:
        assert not SCIENTIFIC.search(t), t
        float(t.replace(",", ""))  # a plain number


# -- calibration -------------------------------------------------------------------------

def _history(n):
    return [{"generation": g, "best_distance": 10.0 / (g + 1), "mean_distance": 20.0 / (g + 1)}
            for g in range(n)]


@pytest.mark.parametrize("n", [1, 3])
def test_convergence_has_whole_generations(n):
    result = SimpleNamespace(history=_history(n), spec=SimpleNamespace(name="tiny"), runs=1234)
    ax = cal.convergence(result).axes[0]
    ticks = visible_ticks(ax)
    assert ticks and all(float(loc).is_integer() for loc, _text in ticks), ticks
    assert [text for _loc, text in ticks] == [str(int(loc)) for loc, _text in ticks]


def test_abc_generations_have_whole_ticks():
    gens = [{"t": t, "epsilon": 1.0 / (t + 1), "acceptance": 0.5 / (t + 1), "ess": 90.0 - t,
             "particles": 100} for t in range(3)]
    fig = cal.generations(SimpleNamespace(abc=SimpleNamespace(generations=gens)))
    for ax in fig.axes:
        ticks = visible_ticks(ax)
        assert ticks and all(float(loc).is_integer() for loc, _text in ticks), ticks
        assert [text for _loc, text in ticks] == [str(int(loc)) for loc, _text in ticks]


@pytest.fixture
def calibrated():
    """Two calibrated parameters (one on a log scale) and a posterior of 200 particles."""
    rng = np.random.default_rng(0)
    parameters = (param("shops.imitation", 0.1, 1.0),
                  param("market.outside_reputation", 1000.0, 30000.0, log=True))
    values = np.column_stack([rng.uniform(0.3, 0.5, 200), 10 ** rng.uniform(3.5, 4, 200)])
    post = SimpleNamespace(values=values, weights=np.ones(200))
    point = {"shops.imitation": 0.4, "market.outside_reputation": 6000.0}
    result = SimpleNamespace(abc=SimpleNamespace(posterior=post), point=point,
                             identification=[{"share_of_prior": 0.2}, {"share_of_prior": 0.3}])
    return result, SimpleNamespace(parameters=parameters)


def test_posterior_figures_name_parameters_in_words(calibrated):
    result, problem = calibrated
    for fig in (cal.marginals(result, problem), cal.pairs(result, problem)):
        assert_no_keys(fig, "shops.imitation", "market.outside_reputation")
        for text in texts(fig):
            assert not SCIENTIFIC.search(text), text
    ax = cal.marginals(result, problem).axes[1]  # the log parameter, ticked in its values
    assert {"1k", "10k"} <= set(tick_texts(ax, "x"))


def test_marginals_mark_the_true_values(calibrated):
    result, problem = calibrated
    truth = {"shops.imitation": 0.45, "market.outside_reputation": 8000.0}
    fig = cal.marginals(result, problem, truth=truth)
    for ax, (name, value) in zip(fig.axes, truth.items(), strict=False):
        marks = [ln for ln in ax.get_lines() if ln.get_label() == "true value"]
        assert len(marks) == 1, name
        expected = np.log10(value) if name.startswith("market") else value
        assert marks[0].get_xdata()[0] == pytest.approx(expected)


def test_recovery_figure_marks_every_true_value(calibrated):
    _result, problem = calibrated
    names = [p.name for p in problem.parameters]
    runs = [{"truth": {names[0]: 0.4, names[1]: 5000.0}, "p5": [0.3, 3000.0],
             "median": [0.42, 5500.0], "p95": [0.5, 9000.0], "inside": [True, True]},
            {"truth": {names[0]: 0.7, names[1]: 2000.0}, "p5": [0.2, 3000.0],
             "median": [0.3, 5000.0], "p95": [0.5, 9000.0], "inside": [False, False]}]
    fig = cal.recovery({"runs": runs, "coverage": 0.5}, problem.parameters)
    for ax, p in zip(fig.axes, problem.parameters, strict=False):
        marks = [ln for ln in ax.get_lines() if ln.get_label() == "true value"]
        assert len(marks) == 1, p.name
        truths = [r["truth"][p.name] for r in runs]
        expected = np.log10(truths) if p.log else truths
        assert list(marks[0].get_xdata()) == pytest.approx(list(expected))
        assert ax.get_title(loc="left") == parameter_label(p.name, unit=False)
    assert_no_keys(fig, *names)


def test_parameter_ranges_name_parameters_in_words(calibrated):
    _result, problem = calibrated
    spec = SimpleNamespace(parameters=problem.parameters, targets=[], weights={})
    result = SimpleNamespace(spec=spec, samples=np.zeros((0, 2)), sample_met=np.zeros((0, 0)),
                             extra={"box_lo": [0.3, 3.4], "box_hi": [0.5, 3.9]},
                             best={"shops.imitation": 0.4,
                                   "market.outside_reputation": 6000.0},
                             ranges=[{"verdict": "narrowed"}, {"verdict": "not identified"}])
    fig = cal.parameter_ranges(result)
    assert_no_keys(fig, "shops.imitation", "market.outside_reputation")
    labels = tick_texts(fig.axes[0], "y")
    assert any("[1k, 30k]" in t for t in labels), labels


# -- comparisons -------------------------------------------------------------------------

def test_comparison_bars_read_plainly():
    measures = {"poverty_exit_year": ("poverty-exit year", "year"),
                "bottom20_income": ("income per head of the poorest 20%", "yuan/year"),
                "public_cost": ("public spending", "million yuan")}
    rows = [{"scenario": name, "poverty_exit_year": exit_year, "poverty_exit_year_p5": 2014.0,
             "poverty_exit_year_p95": None, "bottom20_income": income,
             "bottom20_income_p5": income * 0.9, "bottom20_income_p95": income * 1.1,
             "public_cost": 0.7, "public_cost_p5": 0.6, "public_cost_p95": 0.8}
            for name, exit_year, income in (("baseline", 2015.0, 10800.0),
                                             ("no_ecommerce", None, 3000.0))]
    cmp = SimpleNamespace(names=["baseline", "no_ecommerce"], replicates=20,
                          table=lambda: rows)
    fig = compare_figures.measure_bars(cmp, measures)
    years, income, _cost, unused = fig.axes
    assert all(re.fullmatch(r"20\d\d", t) for t in tick_texts(years, "y"))
    assert "after the run" in [t.get_text() for t in years.texts]
    labels = [t for t in tick_texts(income, "y") if t != "0"]
    assert all(t.endswith("k") for t in labels) or not any(t.endswith("k") for t in labels)
    assert not unused.axison
