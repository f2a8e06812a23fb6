"""Figures of a scenario comparison (e.g. policies on the same seeds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ..core.records import M
from ..output import metrics
from ..output.format import YEAR_UNITS
from .style import (
    BAND,
    COLOURS,
    figure_path,
    finish,
    plain_ticks,
    save,
    subplots,
    year_ticks,
    year_x,
)


def comparison_figures(cmp, measures: dict[str, tuple[str, str]], folder: Path,
                       fmt: str = "png") -> list[Path]:
    """Bars of every measure per scenario, and poverty over time, written into
    ``folder`` as ``comparison.<fmt>`` and ``poverty.<fmt>`` (png, svg or pdf).

    Args:
        cmp: a comparison (``names``, ``table()`` rows with each measure's central
            value and 5-95% quantiles, ``outputs[name]`` RunOutput, ``replicates``).
        measures: measure -> (label, unit), in the order to draw.
    """
    bars, poverty = (figure_path(folder, name, fmt) for name in ("comparison", "poverty"))
    save(measure_bars(cmp, measures), bars)
    save(poverty_over_time(cmp), poverty)
    return [bars, poverty]


def measure_bars(cmp, measures: dict[str, tuple[str, str]]) -> Figure:
    """One panel per measure: a bar per scenario at the value the comparison table
    shows, whiskers from 5% to 95% of the replicates."""
    keys = list(measures)
    cols = 4
    rows = -(-len(keys) // cols)
    fig, axes = subplots(rows, cols, figsize=(15, 3.75 * rows), squeeze=False)
    x = np.arange(len(cmp.names))
    table = {row["scenario"]: row for row in cmp.table()}
    for ax, key in zip(axes.ravel(), keys, strict=False):
        label, unit = measures[key]
        centre = np.array([_num(table[n][key]) for n in cmp.names])
        lo = np.array([_num(table[n][key + "_p5"]) for n in cmp.names])
        hi = np.array([_num(table[n][key + "_p95"]) for n in cmp.names])
        shown = np.isfinite(centre)
        whisker = shown & np.isfinite(lo) & np.isfinite(hi)
        ax.bar(x[shown], centre[shown], color=COLOURS["main"], alpha=0.85)
        ax.errorbar(x[whisker], centre[whisker],
                    yerr=[centre[whisker] - lo[whisker], hi[whisker] - centre[whisker]],
                    fmt="none", ecolor="black", capsize=3, lw=1)
        for k in np.flatnonzero(~shown):  # e.g. an exit after the run's last year
            ax.text(x[k], 0.02, "after the run" if unit in YEAR_UNITS else "n/a",
                    transform=ax.get_xaxis_transform(), rotation=90, ha="center",
                    va="bottom", fontsize=7, color=COLOURS["grey"])
        ax.set_title(label, fontsize=9, loc="left")
        ax.set_ylabel(unit, fontsize=8)
        ax.set_xticks(x)
        ax.set_xticklabels(cmp.names, rotation=35, ha="right", fontsize=7.5)
        ax.grid(alpha=0.3, axis="y")
        if unit in YEAR_UNITS:
            ends = np.concatenate([centre, lo, hi])
            ends = ends[np.isfinite(ends)]
            if ends.size:  # bars from year 0 would hide the differences
                ax.set_ylim(ends.min() - 1, ends.max() + 1)
            year_ticks(ax.yaxis)
        else:
            plain_ticks(ax, "y")
    for ax in axes.ravel()[len(keys):]:
        ax.set_axis_off()
    fig.suptitle(f"Scenarios compared: median and 5-95% of {cmp.replicates} replicates "
                 "(same seeds)", fontsize=11)
    fig.tight_layout()
    return fig


def poverty_over_time(cmp) -> Figure:
    """The share of people in poor households at each December assessment, per
    scenario (mean and 5-95% band)."""
    fig, ax = subplots(figsize=(8, 4.8))
    palette = colormaps["tab10"]
    first = last = None
    for k, name in enumerate(cmp.names):
        out = cmp.outputs[name]
        years, poor = metrics.yearly(out, "poor_people", how="december")
        people = (out.metrics[:, 0, :, M.PEOPLE_HOME].sum(axis=1)
                  + out.metrics[:, 0, :, M.MIGRANTS].sum(axis=1))
        share = poor / people[:, None]
        ax.plot(year_x(years), share.mean(axis=0), "o-", color=palette(k % 10), label=name)
        lo, hi = np.percentile(share, BAND, axis=0)
        ax.fill_between(year_x(years), lo, hi, color=palette(k % 10), alpha=0.12, lw=0)
        first = years[0] if first is None else min(first, years[0])
        last = years[-1] if last is None else max(last, years[-1])
    ax.set_xlabel("year (assessment in December)")
    ax.set_ylabel("share of people in poor households")
    ax.set_ylim(bottom=0)
    return finish(fig, ax, "Poverty under each scenario",
                  f"taobao-sim compare, {cmp.replicates} replicates",
                  years=None if first is None else (int(first), int(last)))


def _num(v: float | None) -> float:
    return np.nan if v is None else float(v)
