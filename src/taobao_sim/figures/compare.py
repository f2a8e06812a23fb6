"""Figures of a scenario comparison (e.g. policies on the same seeds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps

from ..core.records import M
from ..output import metrics
from .style import BAND, COLOURS, finish, save, subplots


def comparison_figures(cmp, measures: dict[str, tuple[str, str]], folder: Path) -> list[Path]:
    """Bars of every measure per scenario (mean, 5-95%), and poverty over time.

    Args:
        cmp: a comparison (``names``, ``values[name][measure]`` per replicate,
            ``outputs[name]`` RunOutput, ``replicates``).
        measures: measure -> (label, unit), in the order to draw.
    """
    folder = Path(folder)
    keys = list(measures)
    fig, axes = subplots(2, 4, figsize=(15, 7.5))
    x = np.arange(len(cmp.names))
    for ax, key in zip(axes.ravel(), keys, strict=False):
        means, lo, hi = [], [], []
        for name in cmp.names:
            v = cmp.values[name][key]
            f = v[np.isfinite(v)]
            m = f.mean() if f.size else np.nan
            means.append(m)
            lo.append(m - np.percentile(f, 5) if f.size else 0)
            hi.append(np.percentile(f, 95) - m if f.size else 0)
        ax.bar(x, means, yerr=[lo, hi], capsize=3, color=COLOURS["main"], alpha=0.85)
        label, unit = measures[key]
        ax.set_title(label, fontsize=9, loc="left")
        ax.set_ylabel(unit, fontsize=8)
        ax.set_xticks(x)
        ax.set_xticklabels(cmp.names, rotation=35, ha="right", fontsize=7.5)
        ax.grid(alpha=0.3, axis="y")
        if key == "poverty_exit_year":
            finite = [m for m in means if np.isfinite(m)]
            if finite:
                ax.set_ylim(min(finite) - 2, max(finite) + 1)
    fig.suptitle(f"Scenarios compared: mean and 5-95% of {cmp.replicates} replicates "
                 "(same seeds)", fontsize=11)
    fig.tight_layout()
    bars = folder / "comparison.png"
    save(fig, bars)

    fig, ax = subplots(figsize=(8, 4.8))
    palette = colormaps["tab10"]
    for k, name in enumerate(cmp.names):
        out = cmp.outputs[name]
        years, poor = metrics.yearly(out, "poor_people", how="december")
        people = (out.metrics[:, 0, :, M.PEOPLE_HOME].sum(axis=1)
                  + out.metrics[:, 0, :, M.MIGRANTS].sum(axis=1))
        share = poor / people[:, None]
        ax.plot(years, share.mean(axis=0), "o-", color=palette(k % 10), label=name)
        lo, hi = np.percentile(share, BAND, axis=0)
        ax.fill_between(years, lo, hi, color=palette(k % 10), alpha=0.12, lw=0)
    ax.set_xlabel("year (assessment in December)")
    ax.set_ylabel("share of people in poor households")
    ax.set_ylim(bottom=0)
    finish(fig, ax, "Poverty under each scenario", folder / "poverty.png",
            f"taobao-sim compare, {cmp.replicates} replicates")
    return [bars, folder / "poverty.png"]
