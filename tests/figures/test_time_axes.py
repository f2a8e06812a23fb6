"""Time axes: year Y spans [Y, Y + 1); a month sits at its middle, a year's value at
the middle of its year, and the label "Y" names that span. December 2018 falls
within 2018, never beside a "2019" tick."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from taobao_sim import load_scenario, simulate
from taobao_sim.figures import compare as compare_figures
from taobao_sim.figures import run as plots
from taobao_sim.figures.style import month_x, subplots, year_axis, year_x

from ..conftest import MINIMAL


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """Two years (2009-2010) of a small village: few enough years that every year
    gets its own label."""
    path = tmp_path_factory.mktemp("short") / "mini.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    return simulate(load_scenario(path), replicates=2, seed=1)


def year_labels(ax) -> dict[float, str]:
    """Position -> text of the major x tick labels, as drawn."""
    ax.figure.draw_without_rendering()
    return {loc: label.get_text()
            for loc, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)}


def nearest_label(labels: dict[float, str], x: float) -> str:
    return labels[min(labels, key=lambda loc: abs(loc - x))]


def assert_year_axis(ax, first: int, last: int) -> dict[float, str]:
    labels = year_labels(ax)
    assert labels, "no year labels"
    for loc, text in labels.items():
        assert text == str(int(text)), f"label {text!r} is not a whole year"
        assert loc == int(text) + 0.5, f"label {text} not at the middle of its year"
        assert first <= int(text) <= last, f"label {text} outside the run {first}-{last}"
    assert ax.get_xlim() == (first, last + 1)
    return labels


def test_month_and_year_positions():
    assert month_x([2018 * 12 + 11])[0] == pytest.approx(2018 + 23 / 24)  # December 2018
    assert month_x([2018 * 12])[0] == pytest.approx(2018 + 1 / 24)
    assert year_x(2018) == 2018.5


@pytest.mark.parametrize("draw", [plots.adoption, plots.migration])
def test_last_december_is_labelled_with_its_own_year(short_run, draw):
    fig = draw(short_run)
    ax = fig.axes[0]
    labels = assert_year_axis(ax, 2009, 2010)
    line = next(ln for ln in ax.get_lines() if len(ln.get_xdata()) == len(short_run.months))
    last = line.get_xdata()[-1]
    assert 2010 <= last < 2011
    assert nearest_label(labels, last) == "2010"
    assert "2011" not in labels.values()


@pytest.mark.parametrize("draw", [plots.poverty, plots.sales, plots.migration])
def test_yearly_values_sit_under_their_year(short_run, draw):
    """Bars and points of a year's value are centred on that year's label."""
    fig = draw(short_run)
    ax = fig.axes[0]
    labels = assert_year_axis(ax, 2009, 2010)
    xs = [p.get_x() + p.get_width() / 2 for p in ax.patches if p.get_width() < 1]  # bars
    xs += [x for ln in ax.get_lines() if ln.get_label().startswith("simulated")
           for x in ln.get_xdata()]  # sales, a point per year
    assert len(xs) >= 2, "no yearly values drawn"
    for x in xs:
        assert nearest_label(labels, x) == str(int(np.floor(x)))
        assert x == pytest.approx(np.floor(x) + 0.5)


def test_dinglou_marks_fall_in_their_years(dinglou_run):
    fig = plots.adoption(dinglou_run)
    ax = fig.axes[0]
    labels = assert_year_axis(ax, 2009, 2018)
    d4 = next(c for c in ax.containers if "engaged in 2018" in c.get_label())
    x = d4.lines[0].get_xdata()[0]  # the real figure of December 2018
    assert 2018 < x < 2019 and nearest_label(labels, x) == "2018"
    fig = plots.poverty(dinglou_run)
    ax = fig.axes[0]
    labels = assert_year_axis(ax, 2009, 2018)
    exit_line = next(ln for ln in ax.get_lines() if "out of poverty in 2016" in ln.get_label())
    assert exit_line.get_xdata()[0] == 2016  # the turn of the year before 2016's bar
    bars = sorted(p.get_x() + p.get_width() / 2 for p in ax.patches)
    assert nearest_label(labels, bars[-1]) == "2018"


def test_spread_and_counties_use_the_same_axis(daiji_run):
    fig = plots.spread(daiji_run)
    counts = fig.axes[1]
    labels = assert_year_axis(counts, 2009, 2018)
    line = counts.get_lines()[0]
    assert nearest_label(labels, line.get_xdata()[-1]) == "2018"


def test_compare_poverty_over_time(short_run):
    cmp = SimpleNamespace(names=["a", "b"], outputs={"a": short_run, "b": short_run},
                          replicates=2)
    ax = compare_figures.poverty_over_time(cmp).axes[0]
    labels = assert_year_axis(ax, 2009, 2010)
    assert nearest_label(labels, ax.get_lines()[0].get_xdata()[-1]) == "2010"


def test_long_runs_label_every_other_year():
    _fig, ax = subplots()
    year_axis(ax, 1990, 2030)
    labels = assert_year_axis(ax, 1990, 2030)
    assert len(labels) <= 12
    assert list(ax.xaxis.get_minorticklocs()) == list(range(1990, 2032))
