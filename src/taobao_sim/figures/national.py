"""Figures of a national run (a world of regions): the national curve of Taobao
villages and towns beside the published counts, each province's curve, and where
the model's first Taobao villages appear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from ..core.scenario import Scenario
from .style import COLOURS, figure_path, finish, save, subplots, year_axis, year_x

SOURCE = "taobao-sim, national run; published: AliResearch (scenarios/data/china)"


def _per_province(provinces: pa.Table, what: str) -> tuple[list[str], np.ndarray,
                                                           np.ndarray]:
    """Provinces, years and ``what`` per (replicate, province, year)."""
    d = provinces.to_pydict()
    names = sorted(set(d["province"]))
    years = np.array(sorted(set(d["year"])))
    reps = sorted(set(d["replicate"]))
    out = np.zeros((len(reps), len(names), len(years)))
    for r, p, y, v in zip(d["replicate"], d["province"], d["year"], d[what], strict=True):
        out[reps.index(r), names.index(p), np.searchsorted(years, y)] = v
    return names, years, out


def national_curve(national: pa.Table, path: Path):
    """Taobao villages and towns per year: the model's mean and 5-95% band over
    replicates, and the published counts (log scale)."""
    d = national.to_pydict()
    years = np.array(d["year"])
    fig, ax = subplots(figsize=(8, 4.6))
    for what, colour, label in (("taobao_villages", COLOURS["main"], "Taobao villages"),
                                ("taobao_towns", COLOURS["second"], "Taobao towns")):
        mean = np.array(d[f"{what}_mean"])
        shown = mean > 0
        ax.fill_between(year_x(years), np.array(d[f"{what}_p5"]), np.array(d[f"{what}_p95"]),
                        color=colour, alpha=0.2, linewidth=0)
        ax.plot(year_x(years[shown]), mean[shown], color=colour, lw=2,
                label=f"{label}, model (mean, 5-95%)")
        if f"{what}_published" in d:
            pub = np.array(d[f"{what}_published"], dtype=float)
            ok = np.isfinite(pub)
            ax.plot(year_x(years[ok]), pub[ok], "o", color=colour, mfc="white",
                    label=f"{label}, published")
    ax.set_yscale("log")
    ax.set_ylabel("count (log scale)")
    fig = finish(fig, ax, "Taobao villages and towns in China: model (out of sample) "
                 "and published", SOURCE, (int(years[0]), int(years[-1])))
    return save(fig, path)


def province_multiples(provinces: pa.Table, path: Path):
    """Taobao villages per year in each province (mean over replicates), one panel
    each, provinces ordered by their last year's count."""
    names, years, data = _per_province(provinces, "taobao_villages")
    mean = data.mean(axis=0)
    order = np.argsort(-mean[:, -1], kind="stable")
    cols = 6
    rows = -(-len(names) // cols)
    fig, axes = subplots(rows, cols, figsize=(14, 2.2 * rows))
    axes = np.atleast_1d(axes).ravel()
    for ax, k in zip(axes, order, strict=False):
        ax.fill_between(year_x(years), data[:, k].min(axis=0), data[:, k].max(axis=0),
                        color=COLOURS["main"], alpha=0.2, linewidth=0)
        ax.plot(year_x(years), mean[k], color=COLOURS["main"], lw=1.6)
        ax.set_title(f"{names[k]} ({mean[k, -1]:,.0f})", fontsize=8.5, loc="left")
        year_axis(ax, int(years[0]), int(years[-1]))
        # a few labelled years: the panels are narrow
        ax.set_xticks([y + 0.5 for y in years if (y - years[0]) % 5 == 0])
        ax.tick_params(labelsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.suptitle(f"Taobao villages by province, model mean (range over replicates); "
                 f"in brackets: {int(years[-1])}", fontsize=11, x=0.01, ha="left")
    fig.text(0.99, 0.005, SOURCE, fontsize=7, color=COLOURS["grey"], ha="right")
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    return save(fig, path)


def first_map(provinces: pa.Table, scenario: Scenario, path: Path):
    """Each province at its capital, coloured by the first year the model has a
    Taobao village there (mean over replicates above 0.5) and sized by its count in
    the last year."""
    names, years, data = _per_province(provinces, "taobao_villages")
    mean = data.mean(axis=0)
    where = {r["province"]: (float(r["lon"]), float(r["lat"])) for r in scenario.regions
             if r.get("lon") and r.get("lat")}
    first = np.array([years[np.argmax(m > 0.5)] if (m > 0.5).any() else np.nan
                      for m in mean])
    keep = [k for k, n in enumerate(names) if n in where]
    fig, ax = subplots(figsize=(8, 6))
    xy = np.array([where[names[k]] for k in keep])
    size = 20 + 400 * np.sqrt(mean[keep, -1] / max(mean[:, -1].max(), 1.0))
    dots = ax.scatter(xy[:, 0], xy[:, 1], s=size, c=first[keep], cmap="viridis_r",
                      edgecolors="black", linewidths=0.5)
    for k, (x, y) in zip(keep, xy, strict=True):
        ax.annotate(names[k], (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points")
    bar = fig.colorbar(dots, ax=ax)
    bar.set_label("first year with a Taobao village (model)")
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_aspect(1.2, adjustable="datalim")
    fig = finish(fig, ax, f"Where the model's Taobao villages appear first (size: "
                 f"{int(years[-1])} count; grey: none)", SOURCE)
    missing = [k for k in keep if not np.isfinite(first[k])]
    if missing:
        ax.scatter(xy[[keep.index(k) for k in missing], 0],
                   xy[[keep.index(k) for k in missing], 1], s=20, c="#bbbbbb",
                   edgecolors="black", linewidths=0.5)
    return save(fig, path)


def national_figures(national: pa.Table, provinces: pa.Table, scenario: Scenario,
                     folder: Path, fmt: str = "png") -> list[Path]:
    """Every figure of a national run, written to ``folder``; their paths."""
    paths = [figure_path(folder, "national_curve", fmt),
             figure_path(folder, "provinces", fmt),
             figure_path(folder, "first_taobao_villages", fmt)]
    national_curve(national, paths[0])
    province_multiples(provinces, paths[1])
    first_map(provinces, scenario, paths[2])
    return paths
