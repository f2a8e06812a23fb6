"""Figures of a sweep's analysis: Sobol indices, Morris screening, tipping-point
heatmaps and the envelope of the adoption curve across runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .style import COLOURS, finish, save, subplots


def sobol_bars(indices: dict, output: str, path: Path) -> Path:
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
    ax.set_xticklabels(names, rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("share of output variance")
    ax.axhline(0, color="black", lw=0.8)
    finish(fig, ax, f"Sobol indices of {output} (95% intervals)", path,
            "taobao-sim analyze (SALib)")
    return path


def morris_plot(indices: dict, output: str, path: Path) -> Path:
    """Morris screening: mu* against sigma."""
    fig, ax = subplots(figsize=(7, 5))
    for n, s in indices.items():
        ax.plot(s["mu_star"], s["sigma"], "o", color=COLOURS["main"])
        ax.annotate(n, (s["mu_star"], s["sigma"]), xytext=(4, 4), textcoords="offset points",
                    fontsize=7.5)
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (interactions, non-linearity)")
    finish(fig, ax, f"Morris screening of {output}", path, "taobao-sim analyze (SALib)")
    return path


def tipping_heatmap(a, b, grid: np.ndarray, output: str, spec, path: Path) -> Path:
    """Mean output over a 2-D grid of parameters (the tipping-point map)."""
    fig, ax = subplots(figsize=(7.5, 6))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(b.values)))
    ax.set_xticklabels([f"{v:.3g}" for v in b.values], rotation=45, fontsize=8)
    ax.set_yticks(range(len(a.values)))
    ax.set_yticklabels([f"{v:.3g}" for v in a.values], fontsize=8)
    ax.set_xlabel(f"{b.name} ({b.spec.unit})")
    ax.set_ylabel(f"{a.name} ({a.spec.unit})")
    fig.colorbar(im, ax=ax, label=f"{output}, mean of {spec.replicates} replicates")
    ax.set_title(f"{spec.name}: {output}", fontsize=11, loc="left")
    fig.tight_layout()
    save(fig, path)
    return path


def sweep_envelope(series, path: Path, name: str) -> Path:
    """The S-curve across all runs of a sweep: median and 5-95% / 25-75% envelopes."""
    dates_col = np.array(series.column("date").to_pylist())
    part = series.column("participation").to_numpy()
    months = np.unique(dates_col)
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
    finish(fig, ax, f"{name}: adoption across the sweep", path, "taobao-sim analyze")
    return path
