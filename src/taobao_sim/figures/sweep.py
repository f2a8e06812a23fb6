"""Figures of a sweep's analysis: Sobol indices, Morris screening, tipping-point
heatmaps and the envelope of the adoption curve across runs. Each function returns
the figure; :func:`taobao_sim.figures.style.save` writes it."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..output.format import tick
from .labels import YEAR_OUTPUTS, output_label, parameter_label
from .style import COLOURS, finish, plain_ticks, subplots, year_ticks


def sobol_bars(indices: dict, output: str) -> Figure:
    """First-order (S1) and total (ST) Sobol indices with 95% intervals."""
    names = sorted(indices, key=lambda n: -indices[n]["ST"])
    x = np.arange(len(names))
    fig, ax = subplots(figsize=(8, 4.5))
    s1 = [indices[n]["S1"] for n in names]
    st = [indices[n]["ST"] for n in names]
    ax.bar(x - 0.2, s1, 0.4, yerr=[indices[n]["S1_conf"] for n in names], capsize=3,
           color=COLOURS["main"], label="first order S1")
    ax.bar(x + 0.2, st, 0.4, yerr=[indices[n]["ST_conf"] for n in names], capsize=3,
           color=COLOURS["second"], label="total ST")
    ax.set_xticks(x)
    ax.set_xticklabels([parameter_label(n, unit=False) for n in names], rotation=25,
                       ha="right", fontsize=8)
    ax.set_ylabel("share of output variance")
    ax.axhline(0, color="black", lw=0.8)
    return finish(fig, ax, f"Sobol indices of the {output_label(output)} (95% intervals)",
                  "taobao-sim analyze (SALib)")


def morris_plot(indices: dict, output: str) -> Figure:
    """Morris screening: mu* against sigma."""
    fig, ax = subplots(figsize=(7, 5))
    for n, s in indices.items():
        ax.plot(s["mu_star"], s["sigma"], "o", color=COLOURS["main"])
        ax.annotate(parameter_label(n, unit=False), (s["mu_star"], s["sigma"]),
                    xytext=(4, 4), textcoords="offset points", fontsize=7.5)
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (interactions, non-linearity)")
    plain_ticks(ax)
    return finish(fig, ax, f"Morris screening of the {output_label(output)}",
                  "taobao-sim analyze (SALib)")


def tipping_heatmap(a, b, grid: np.ndarray, output: str, spec) -> Figure:
    """Mean output over a 2-D grid of parameters (the tipping-point map): ``a``
    varies along the rows (y), ``b`` along the columns (x)."""
    fig, ax = subplots(figsize=(7.5, 6))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(b.values)))
    ax.set_xticklabels([tick(v) for v in b.values], rotation=45, fontsize=8)
    ax.set_yticks(range(len(a.values)))
    ax.set_yticklabels([tick(v) for v in a.values], fontsize=8)
    ax.set_xlabel(parameter_label(b.name))
    ax.set_ylabel(parameter_label(a.name))
    bar = fig.colorbar(im, ax=ax, label=f"{output_label(output)}, mean of "
                                         f"{spec.replicates} replicates")
    if output in YEAR_OUTPUTS:
        year_ticks(bar.ax.yaxis)
    else:
        plain_ticks(bar.ax, "y")
    ax.set_title(f"{spec.name}: {output_label(output)}", fontsize=11, loc="left")
    fig.tight_layout()
    return fig


def sweep_envelope(series, name: str) -> Figure:
    """The S-curve across all runs of a sweep: median and 5-95% / 25-75% envelopes."""
    dates_col = np.array(series.column("date").to_pylist())
    part = series.column("participation").to_numpy()
    months = np.unique(dates_col)
    # the middle of each month (the time-axis convention of figures.style)
    x = np.array([int(d[:4]) + (int(d[5:]) - 0.5) / 12 for d in months])
    by = [part[dates_col == m] for m in months]
    q = np.array([np.percentile(v, [5, 25, 50, 75, 95]) for v in by])
    fig, ax = subplots(figsize=(8, 4.8))
    ax.fill_between(x, q[:, 0], q[:, 4], color=COLOURS["main"], alpha=0.15, lw=0,
                    label="5-95% of runs")
    ax.fill_between(x, q[:, 1], q[:, 3], color=COLOURS["main"], alpha=0.3, lw=0,
                    label="25-75% of runs")
    ax.plot(x, q[:, 2], color=COLOURS["main"], lw=2, label="median")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("year")
    ax.set_ylabel("share of households engaged")
    years = (int(months[0][:4]), int(months[-1][:4]))
    return finish(fig, ax, f"{name}: adoption across the sweep", "taobao-sim analyze",
                  years=years)
