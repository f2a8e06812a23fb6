"""Figures of a run (matplotlib, PNG): ensemble mean with a 5-95% band, and the
real figures marked where the scenario has targets.

The figures describe the focus village when the scenario has targets, and the
whole world otherwise (plus a map and a count of Taobao villages when there is
more than one village).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from . import kernel, metrics
from .engine import RunOutput

BAND = (5, 95)
COLOURS = {"main": "#1f5f8b", "second": "#c2571a", "real": "#b8002e", "grey": "#777777"}


def _decimal_years(out: RunOutput) -> np.ndarray:
    return out.months / 12.0 + 1.0 / 24.0  # mid-month


def _band(ax, x, data, colour, label, alpha=0.22):
    lo, hi = np.percentile(data, BAND, axis=0)
    ax.fill_between(x, lo, hi, color=colour, alpha=alpha, linewidth=0)
    ax.plot(x, data.mean(axis=0), color=colour, lw=2, label=f"{label} (mean, 5-95% band)")


def _finish(fig, ax, title, path: Path, source: str) -> None:
    ax.set_title(title, fontsize=12, loc="left")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8.5, loc="upper left", frameon=False)
    fig.text(0.99, 0.01, source, fontsize=7, color=COLOURS["grey"], ha="right", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _save(fig, path)


def _save(fig, path: Path) -> None:
    from .results import atomic_write

    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=130, format="png"))
    plt.close(fig)


def _focus(out: RunOutput) -> tuple[int | None, str]:
    s = out.scenario
    if s.targets != "none" or len(out.village_names) == 1:
        name = s.focus_village
        return metrics.village_index(out, name), name
    return None, f"{s.name} ({len(out.village_names)} villages)"


def run_figures(out: RunOutput, folder: Path) -> list[Path]:
    """Write the standard figures of a run into ``folder``; return their paths."""
    folder = Path(folder)
    paths = [adoption(out, folder / "adoption.png"), poverty(out, folder / "poverty.png"),
             migration(out, folder / "migration.png"), sales(out, folder / "sales.png")]
    if len(out.village_names) > 1:
        paths.append(spread(out, folder / "spread.png"))
    return paths


def _caption(out: RunOutput) -> str:
    return (f"taobao-sim, scenario '{out.scenario.name}', {len(out.seeds)} replicates, "
            f"{out.engine} engine")


def adoption(out: RunOutput, path: Path) -> Path:
    """Adoption S-curve: share of households engaged and share running a shop."""
    v, where = _focus(out)
    x = _decimal_years(out)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    hh = metrics.series(out, "households", v)
    _band(ax, x, metrics.series(out, "engaged", v) / hh, COLOURS["main"],
          "engaged in the trade (shop or industry job)")
    _band(ax, x, metrics.series(out, "shops", v) / hh, COLOURS["second"], "running a shop")
    if out.scenario.targets == "dinglou":
        ax.errorbar([2018.96], [0.90], yerr=[[0.05], [0.05]], fmt="D", color=COLOURS["real"],
                    capsize=4, label="real: about 90% engaged in 2018-19 (target 85-95%)")
        ax.axvspan(2010, 2011, color=COLOURS["real"], alpha=0.08,
                   label="real: first online shop, 2010")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("year")
    ax.set_ylabel("share of households")
    _finish(fig, ax, f"Online selling in {where}", path, _caption(out))
    return path


def poverty(out: RunOutput, path: Path) -> Path:
    """Poor households at each assessment (December), with the real exit year."""
    v, where = _focus(out)
    years, poor = metrics.yearly(out, "poor", v, how="december")
    hh = metrics.series(out, "households", v)[:, 0:1]
    share = poor / hh
    fig, ax = plt.subplots(figsize=(8, 4.8))
    lo, hi = np.percentile(share, BAND, axis=0)
    ax.bar(years, share.mean(axis=0), color=COLOURS["main"], alpha=0.8, width=0.7,
           label="poor households (mean of replicates)")
    ax.vlines(years, lo, hi, color="black", lw=1.2, label="5-95% of replicates")
    if out.scenario.targets == "dinglou":
        ax.axvline(2015.5, color=COLOURS["real"], ls="--", lw=1.5,
                   label="real: whole village out of poverty in 2016")
    ax.set_xlabel("year (assessment in December on the year's income)")
    ax.set_ylabel("share of households below the poverty line")
    ax.set_ylim(bottom=0)
    _finish(fig, ax, f"Poverty in {where}", path, _caption(out))
    return path


def migration(out: RunOutput, path: Path) -> Path:
    """People away in the city (line) and people returning per year (bars)."""
    v, where = _focus(out)
    x = _decimal_years(out)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    _band(ax, x, metrics.series(out, "migrants", v), COLOURS["main"], "people away in the city")
    years, returns = metrics.yearly(out, "returns", v)
    ax.bar(years + 0.5, returns.mean(axis=0), width=0.7, color=COLOURS["second"], alpha=0.75,
           label="people returning in the year (mean)")
    if out.scenario.targets == "dinglou":
        sel = (years >= 2014) & (years <= 2018)
        total = returns[:, sel].sum(axis=1).mean()
        ax.axvspan(2014, 2019, color=COLOURS["real"], alpha=0.06,
                   label=f"real: over 200 returned 2014-2018 (simulated: {total:.0f})")
    ax.set_xlabel("year")
    ax.set_ylabel("people")
    ax.set_ylim(bottom=0)
    _finish(fig, ax, f"Migration in {where}", path, _caption(out))
    return path


def sales(out: RunOutput, path: Path) -> Path:
    """Online sales per year in million US dollars (log scale)."""
    v, where = _focus(out)
    years, yuan = metrics.yearly(out, "sales_yuan", v)
    fx = np.array([out.scenario.series.values["yuan_per_usd"].get(int(y), np.nan)
                   for y in years])
    usd = yuan / fx[None, :] / 1e6
    fig, ax = plt.subplots(figsize=(8, 4.8))
    mean = usd.mean(axis=0)
    lo, hi = np.percentile(usd, BAND, axis=0)
    ax.fill_between(years, np.maximum(lo, 1e-4), np.maximum(hi, 1e-4),
                    color=COLOURS["main"], alpha=0.22, lw=0)
    ax.plot(years, np.maximum(mean, 1e-4), "o-", color=COLOURS["main"], lw=2,
            label="simulated (mean, 5-95% band)")
    if out.scenario.targets == "dinglou":
        ax.errorbar([2018], [58], yerr=[[12], [12]], fmt="D", color=COLOURS["real"], capsize=4,
                    label="real: about $58 million in 2018 (target 46-70)")
    ax.set_yscale("log")
    ax.set_xlabel("year")
    ax.set_ylabel("online sales, million US dollars per year")
    _finish(fig, ax, f"Online sales in {where}", path, _caption(out))
    return path


def spread(out: RunOutput, path: Path) -> Path:
    """Map of villages coloured by final participation, and Taobao villages per year."""
    s = out.scenario
    xy = np.array([[v.x_km, v.y_km] for v in s.villages])
    part = (out.metrics[:, -1, :, 1] / out.metrics[:, -1, :, 0]).mean(axis=0)
    years, status = metrics.taobao_villages(out)
    n_tv = status.sum(axis=2)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.8),
                                   gridspec_kw={"width_ratios": [1.1, 1]})
    size = 30 + 120 * out.village_households / out.village_households.max()
    sc = ax1.scatter(xy[:, 0], xy[:, 1], c=part, s=size, cmap="viridis", vmin=0, vmax=1,
                     edgecolors="black", linewidths=0.5)
    focus = metrics.village_index(out, s.focus_village)
    ax1.annotate(s.focus_village, xy[focus], xytext=(6, 6), textcoords="offset points",
                 fontsize=9, weight="bold")
    fig.colorbar(sc, ax=ax1, label=f"share of households engaged, end {years[-1]}")
    ax1.set_xlabel("east-west, km")
    ax1.set_ylabel("north-south, km")
    ax1.set_aspect("equal", adjustable="datalim")
    ax1.set_title("Villages (size: households)", fontsize=11, loc="left")
    lo, hi = np.percentile(n_tv, BAND, axis=0)
    ax2.fill_between(years, lo, hi, color=COLOURS["main"], alpha=0.22, lw=0)
    ax2.plot(years, n_tv.mean(axis=0), "o-", color=COLOURS["main"],
             label="Taobao villages (mean, 5-95% band)")
    ax2.set_xlabel("year")
    ax2.set_ylabel("villages meeting the AliResearch rule")
    ax2.set_ylim(0, len(out.village_names))
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8.5, loc="upper left", frameon=False)
    ax2.set_title("Taobao villages", fontsize=11, loc="left")
    fig.text(0.99, 0.01, _caption(out), fontsize=7, color=COLOURS["grey"], ha="right")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _save(fig, path)
    return path


def calibration_figures(result, folder: Path) -> list[Path]:
    """Convergence, target fit and parameter ranges of a calibration."""
    folder = Path(folder)
    return [_convergence(result, folder / "calibration_convergence.png"),
            _target_fit(result, folder / "calibration_targets.png"),
            _parameter_ranges(result, folder / "calibration_ranges.png")]


def _convergence(result, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    gens = [h["generation"] for h in result.history]
    if gens:
        ax.plot(gens, [h["best_distance"] for h in result.history], "o-",
                color=COLOURS["main"], label="best candidate")
        ax.plot(gens, [h["mean_distance"] for h in result.history], "-",
                color=COLOURS["second"], alpha=0.8, label="population mean")
        ax.set_yscale("log")
    ax.set_xlabel("generation (differential evolution)")
    ax.set_ylabel("distance to targets (sum of weighted squared deviations)")
    _finish(fig, ax, "Calibration: convergence", path,
            f"taobao-sim calibrate, {result.spec.name}, {result.runs:,} model runs")
    return path


def _target_fit(result, path: Path) -> Path:
    by_id = {t.id: t for t in result.spec.targets}
    rows = [r for r in result.rows if by_id[r.id].calibrate]
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.0 + 0.75 * len(rows)))
    for ax, r in zip(np.atleast_1d(axes), rows, strict=False):
        t = by_id[r.id]
        lo = t.lower if t.lower is not None else 0.0
        hi = t.upper if t.upper is not None else (1.0 if t.share else
                                                 max(r.mean, t.lower) * 1.6)
        ax.axvspan(lo, hi, color=COLOURS["real"], alpha=0.12)
        if t.center is not None:
            ax.plot([t.center], [0], "D", color=COLOURS["real"], ms=7)
        colour = COLOURS["main"] if r.met else COLOURS["second"]
        if np.isfinite(r.p5):
            ax.plot([r.p5, r.p95], [0, 0], "-", color=colour, lw=3, alpha=0.6)
        ax.plot([r.mean], [0], "o", color=colour, ms=8)
        ax.set_yticks([])
        ax.set_ylabel(r.id, rotation=0, ha="right", va="center", fontsize=10)
        ax.set_title(f"{r.label} — {'met' if r.met else 'MISSED'}", fontsize=8.5, loc="left")
        if t.log:
            ax.set_xscale("log")
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("Targets at the calibrated values: tolerance (shaded), real figure (diamond), "
                 "simulated mean and 5-95% (circle, bar)", fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    return path


def _parameter_ranges(result, path: Path) -> Path:
    spec = result.spec
    P = len(spec.parameters)
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.6 * P))
    used = [i for i, t in enumerate(spec.targets) if spec.weights.get(t.id, 0) > 0]
    accepted = result.sample_met[:, used].all(axis=1) if len(result.samples) else \
        np.zeros(0, bool)
    for j, p in enumerate(spec.parameters):
        a, b = p.search_bounds

        def norm(v, p=p, a=a, b=b):
            return (np.array([p.to_search(x) for x in np.atleast_1d(v)]) - a) / (b - a)

        y = P - 1 - j
        ax.plot([0, 1], [y, y], "-", color=COLOURS["grey"], lw=1)
        box = result.extra["box_lo"][j], result.extra["box_hi"][j]
        ax.fill_between([(box[0] - a) / (b - a), (box[1] - a) / (b - a)], y - 0.3, y + 0.3,
                        color=COLOURS["main"], alpha=0.12, lw=0)
        if accepted.any():
            xs = norm(result.samples[accepted, j])
            jitter = np.linspace(-0.2, 0.2, len(xs)) if len(xs) > 1 else np.zeros(1)
            ax.plot(xs, y + jitter, ".", color=COLOURS["main"], ms=3, alpha=0.6)
        ax.plot(norm(result.best[p.name]), [y], "D", color=COLOURS["real"], ms=7)
        ax.text(1.03, y, result.ranges[j]["verdict"], va="center", fontsize=8.5)
    ax.set_yticks(range(P))
    ax.set_yticklabels([f"{p.name}\n[{p.lower:g}, {p.upper:g}]{' log' if p.log else ''}"
                        for p in reversed(spec.parameters)], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.6, P - 0.4)
    ax.set_xlabel("position within the search bounds (0 = lower, 1 = upper; log scale where "
                  "marked)")
    ax.set_title("Parameters: calibrated value (diamond), ABC box (shaded), samples meeting "
                 "every target (dots)", fontsize=9.5, loc="left")
    fig.subplots_adjust(left=0.30, right=0.84, top=0.92, bottom=0.12 + 0.3 / P)
    _save(fig, path)
    return path




# -- sweeps -----------------------------------------------------------------------

def sobol_bars(indices: dict, output: str, path: Path) -> Path:
    """First-order (S1) and total (ST) Sobol indices with 95% intervals."""
    names = sorted(indices, key=lambda n: -indices[n]["ST"])
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(8, 4.5))
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
    _finish(fig, ax, f"Sobol indices of {output} (95% intervals)", path,
            "taobao-sim analyze (SALib)")
    return path


def morris_plot(indices: dict, output: str, path: Path) -> Path:
    """Morris screening: mu* against sigma."""
    fig, ax = plt.subplots(figsize=(7, 5))
    for n, s in indices.items():
        ax.plot(s["mu_star"], s["sigma"], "o", color=COLOURS["main"])
        ax.annotate(n, (s["mu_star"], s["sigma"]), xytext=(4, 4), textcoords="offset points",
                    fontsize=7.5)
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (interactions, non-linearity)")
    _finish(fig, ax, f"Morris screening of {output}", path, "taobao-sim analyze (SALib)")
    return path


def tipping_heatmap(a, b, grid: np.ndarray, output: str, spec, path: Path) -> Path:
    """Mean output over a 2-D grid of parameters (the tipping-point map)."""
    fig, ax = plt.subplots(figsize=(7.5, 6))
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
    _save(fig, path)
    return path


def sweep_envelope(series, path: Path, name: str) -> Path:
    """The S-curve across all runs of a sweep: median and 5-95% / 25-75% envelopes."""
    dates_col = np.array(series.column("date").to_pylist())
    part = series.column("participation").to_numpy()
    months = np.unique(dates_col)
    x = np.array([int(d[:4]) + (int(d[5:]) - 0.5) / 12 for d in months])
    by = [part[dates_col == m] for m in months]
    q = np.array([np.percentile(v, [5, 25, 50, 75, 95]) for v in by])
    fig, ax = plt.subplots(figsize=(8, 4.8))
    ax.fill_between(x, q[:, 0], q[:, 4], color=COLOURS["main"], alpha=0.15, lw=0,
                    label="5-95% of runs")
    ax.fill_between(x, q[:, 1], q[:, 3], color=COLOURS["main"], alpha=0.3, lw=0,
                    label="25-75% of runs")
    ax.plot(x, q[:, 2], color=COLOURS["main"], lw=2, label="median")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("year")
    ax.set_ylabel("share of households engaged")
    _finish(fig, ax, f"{name}: adoption across the sweep", path, "taobao-sim analyze")
    return path


# -- scenario comparison --------------------------------------------------------

def comparison_figures(cmp, folder: Path) -> list[Path]:
    """Bars of every measure per scenario (mean, 5-95%), and poverty over time."""
    from .compare import MEASURES

    folder = Path(folder)
    keys = list(MEASURES)
    fig, axes = plt.subplots(2, 4, figsize=(15, 7.5))
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
        label, unit = MEASURES[key]
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
    _save(fig, bars)

    fig, ax = plt.subplots(figsize=(8, 4.8))
    palette = plt.get_cmap("tab10")
    for k, name in enumerate(cmp.names):
        out = cmp.outputs[name]
        years, poor = metrics.yearly(out, "poor_people", how="december")
        people = (out.metrics[:, 0, :, kernel.M_PEOPLE_HOME].sum(axis=1)
                  + out.metrics[:, 0, :, kernel.M_MIGRANTS].sum(axis=1))
        share = poor / people[:, None]
        ax.plot(years, share.mean(axis=0), "o-", color=palette(k % 10), label=name)
        lo, hi = np.percentile(share, BAND, axis=0)
        ax.fill_between(years, lo, hi, color=palette(k % 10), alpha=0.12, lw=0)
    ax.set_xlabel("year (assessment in December)")
    ax.set_ylabel("share of people in poor households")
    ax.set_ylim(bottom=0)
    _finish(fig, ax, "Poverty under each scenario", folder / "poverty.png",
            f"taobao-sim compare, {cmp.replicates} replicates")
    return [bars, folder / "poverty.png"]
