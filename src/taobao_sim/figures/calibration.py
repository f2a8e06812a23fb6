"""Figures of a calibration: convergence, fit to the targets, parameter ranges.

They read a calibration result's fields (history, target rows, samples,
ranges); nothing here runs the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .style import COLOURS, finish, save, subplots


def calibration_figures(result, folder: Path) -> list[Path]:
    """Convergence, target fit and parameter ranges of a calibration."""
    folder = Path(folder)
    return [_convergence(result, folder / "calibration_convergence.png"),
            _target_fit(result, folder / "calibration_targets.png"),
            _parameter_ranges(result, folder / "calibration_ranges.png")]


def _convergence(result, path: Path) -> Path:
    fig, ax = subplots(figsize=(7, 4.2))
    gens = [h["generation"] for h in result.history]
    if gens:
        ax.plot(gens, [h["best_distance"] for h in result.history], "o-",
                color=COLOURS["main"], label="best candidate")
        ax.plot(gens, [h["mean_distance"] for h in result.history], "-",
                color=COLOURS["second"], alpha=0.8, label="population mean")
        ax.set_yscale("log")
    ax.set_xlabel("generation (differential evolution)")
    ax.set_ylabel("distance to targets (sum of weighted squared deviations)")
    finish(fig, ax, "Calibration: convergence", path,
            f"taobao-sim calibrate, {result.spec.name}, {result.runs:,} model runs")
    return path


def _target_fit(result, path: Path) -> Path:
    by_id = {t.id: t for t in result.spec.targets}
    rows = [r for r in result.rows if by_id[r.id].calibrate]
    fig, axes = subplots(len(rows), 1, figsize=(8, 1.0 + 0.75 * len(rows)))
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
    save(fig, path)
    return path


def _parameter_ranges(result, path: Path) -> Path:
    spec = result.spec
    P = len(spec.parameters)
    fig, ax = subplots(figsize=(10, 1.2 + 0.6 * P))
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
    save(fig, path)
    return path
