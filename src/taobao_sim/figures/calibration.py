"""Figures of a calibration: convergence, fit to the targets, parameter ranges,
the ABC-SMC posterior and the recovery of known parameters.

They read a calibration result's fields (history, target rows, samples, ranges,
posterior, generations); nothing here runs the model. Each drawing function
returns its figure; :func:`calibration_figures` and :func:`bayes_figures` write
a calibration's set into a folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..output.format import ticks
from .labels import parameter_label
from .style import (
    COLOURS,
    PlainFormatter,
    figure_path,
    finish,
    integer_ticks,
    log10_ticks,
    plain_ticks,
    save,
    subplots,
)


def _write(drawings: list[tuple[str, Any]], folder: Path, fmt: str) -> list[Path]:
    """Draw and save each (name, draw) as ``folder/name.fmt``; return the paths."""
    paths = [figure_path(folder, name, fmt) for name, _draw in drawings]  # fmt checked first
    for path, (_name, draw) in zip(paths, drawings, strict=True):
        save(draw(), path)
    return paths


def calibration_figures(result, folder: Path, fmt: str = "png") -> list[Path]:
    """Convergence, target fit and parameter ranges of a calibration, written into
    ``folder`` as ``fmt`` files (png, svg or pdf)."""
    return _write([("calibration_convergence", lambda: convergence(result)),
                   ("calibration_targets", lambda: target_fit(result)),
                   ("calibration_ranges", lambda: parameter_ranges(result))], folder, fmt)


def convergence(result) -> Figure:
    """Best and mean distance per generation of differential evolution."""
    fig, ax = subplots(figsize=(7, 4.2))
    gens = [h["generation"] for h in result.history]
    if gens:
        ax.plot(gens, [h["best_distance"] for h in result.history], "o-",
                color=COLOURS["main"], label="best candidate")
        ax.plot(gens, [h["mean_distance"] for h in result.history], "-",
                color=COLOURS["second"], alpha=0.8, label="population mean")
        ax.set_yscale("log")
        plain_ticks(ax, "y")
        ax.set_xlim(min(gens) - 0.5, max(gens) + 0.5)
    integer_ticks(ax, "x")  # generations are whole numbers
    ax.set_xlabel("generation (differential evolution)")
    ax.set_ylabel("distance to targets (sum of weighted squared deviations)")
    return finish(fig, ax, "Calibration: convergence",
                  f"taobao-sim calibrate, {result.spec.name}, {result.runs:,} model runs")


def target_fit(result) -> Figure:
    """Each calibrated target: its tolerance, the real figure and the simulated mean."""
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
        plain_ticks(ax, "x")
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("Targets at the calibrated values: tolerance (shaded), real figure (diamond), "
                 "simulated mean and 5-95% (circle, bar)", fontsize=9)
    fig.tight_layout()
    return fig


def parameter_ranges(result) -> Figure:
    """Each parameter within its search bounds: calibrated value, ABC box, and the
    samples meeting every target."""
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
    ax.set_yticklabels([f"{parameter_label(p.name)}\n[{', '.join(ticks([p.lower, p.upper]))}]"
                        f"{' log scale' if p.log else ''}"
                        for p in reversed(spec.parameters)], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.6, P - 0.4)
    ax.set_xlabel("position within the search bounds (0 = lower, 1 = upper; log scale where "
                  "marked)")
    ax.set_title("Parameters: calibrated value (diamond), ABC box (shaded), samples meeting "
                 "every target (dots)", fontsize=9.5, loc="left")
    fig.subplots_adjust(left=0.30, right=0.84, top=0.92, bottom=0.12 + 0.3 / P)
    return fig


# -- Bayesian calibration (ABC-SMC) ------------------------------------------------------

def bayes_figures(result, problem, ppc: list[dict], folder: Path, fmt: str = "png"
                  ) -> list[Path]:
    """Posterior marginals, pairs, generations and the predictive check, written into
    ``folder`` as ``fmt`` files (png, svg or pdf)."""
    return _write([("calibration_posterior", lambda: marginals(result, problem)),
                   ("calibration_pairs", lambda: pairs(result, problem)),
                   ("calibration_generations", lambda: generations(result)),
                   ("calibration_predictive", lambda: predictive(ppc))], folder, fmt)


def _search(p, v):
    return np.log10(v) if p.log else np.asarray(v, dtype=float)


def _value_axis(axis, p) -> None:
    """An axis showing parameter ``p`` on its search scale, labelled in its own
    values (log10 for log parameters, but ticks read 1,000, not 3.0)."""
    if p.log:
        log10_ticks(axis, *p.search_bounds)
    else:
        axis.set_major_formatter(PlainFormatter())


def _unit_text(p) -> str:
    unit = p.spec.unit or "value"
    return f"{unit}, log scale" if p.log else unit


def marginals(result, problem, truth: dict[str, float] | None = None) -> Figure:
    """The posterior of each parameter (weighted histogram), its prior (flat on the
    search scale), the point estimate and, when known (``truth``: name -> value, as
    in a recovery test), the true value."""
    post = result.abc.posterior
    P = len(problem.parameters)
    cols = min(4, P)
    rows = -(-P // cols)
    fig, axes = subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False)
    for j, p in enumerate(problem.parameters):
        ax = axes[j // cols][j % cols]
        a, b = p.search_bounds
        ax.hist(_search(p, post.values[:, j]), bins=25, range=(a, b), weights=post.weights,
                density=True, color=COLOURS["main"], alpha=0.7)
        ax.axhline(1.0 / (b - a), color=COLOURS["grey"], ls="--", lw=1)
        ax.axvline(_search(p, result.point[p.name]), color=COLOURS["real"], lw=1.5)
        if truth is not None and p.name in truth:
            ax.axvline(_search(p, truth[p.name]), color="black", lw=1.5, ls=":",
                       label="true value")
        ax.set_xlim(a, b)
        _value_axis(ax.xaxis, p)
        ax.set_yticks([])
        ax.set_title(parameter_label(p.name, unit=False), fontsize=8)
        ax.set_xlabel(_unit_text(p), fontsize=7)
        ax.tick_params(labelsize=7)
    for j in range(P, rows * cols):
        axes[j // cols][j % cols].set_axis_off()
    marks = "point estimate (line)" + (", true value (dotted)" if truth else "")
    fig.suptitle(f"Posterior marginals (bars), prior (dashed), {marks}", fontsize=10)
    fig.tight_layout()
    return fig


def pairs(result, problem, most: int = 6) -> Figure:
    """Pairwise scatter of the posterior for the best-identified parameters."""
    post = result.abc.posterior
    ident = result.identification
    order = sorted(range(len(ident)), key=lambda j: ident[j]["share_of_prior"])[:most]
    n = len(order)
    fig, axes = subplots(n, n, figsize=(1.9 * n + 1, 1.9 * n + 1), squeeze=False)
    size = 4 + 40 * post.weights / post.weights.max()
    for r, i in enumerate(order):
        for c, j in enumerate(order):
            ax = axes[r][c]
            pi, pj = problem.parameters[i], problem.parameters[j]
            if r == c:
                ax.hist(_search(pi, post.values[:, i]), bins=20, range=pi.search_bounds,
                        weights=post.weights, color=COLOURS["main"], alpha=0.7)
            elif r > c:
                ax.scatter(_search(pj, post.values[:, j]), _search(pi, post.values[:, i]),
                           s=size, color=COLOURS["main"], alpha=0.35, lw=0)
                ax.set_xlim(*pj.search_bounds)
                ax.set_ylim(*pi.search_bounds)
                _value_axis(ax.yaxis, pi)
            else:
                ax.set_axis_off()
                continue
            _value_axis(ax.xaxis, pj)
            ax.tick_params(labelsize=6)
            if r == n - 1:
                ax.set_xlabel(parameter_label(pj.name, unit=False), fontsize=7)
            if c == 0 and r > 0:
                ax.set_ylabel(parameter_label(pi.name, unit=False), fontsize=7)
    fig.suptitle("Posterior pairs (log scale for log parameters; dot size: weight)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def generations(result) -> Figure:
    """Epsilon, acceptance rate and effective sample size per ABC-SMC generation."""
    gens = result.abc.generations
    t = [g["t"] for g in gens]
    fig, (a1, a2) = subplots(1, 2, figsize=(10, 3.8))
    eps = [g["epsilon"] for g in gens]
    a1.plot(t[1:], eps[1:], "o-", color=COLOURS["main"], label="epsilon")
    a1.plot(t, [g["acceptance"] for g in gens], "s--", color=COLOURS["second"],
            label="acceptance rate")
    a1.set_yscale("log")
    plain_ticks(a1, "y")
    a1.set_xlabel("generation")
    a1.legend(fontsize=8, frameon=False)
    a1.grid(alpha=0.3)
    a2.bar(t, [g["ess"] for g in gens], color=COLOURS["main"], alpha=0.7)
    a2.axhline(gens[0]["particles"], color=COLOURS["grey"], ls="--", lw=1)
    a2.set_xlabel("generation")
    a2.set_ylabel("effective sample size (dashed: particles)")
    a2.grid(alpha=0.3, axis="y")
    for ax in (a1, a2):  # generations are whole numbers, however few there are
        ax.set_xlim(min(t) - 0.5, max(t) + 0.5)
        integer_ticks(ax, "x")
    fig.suptitle("ABC-SMC generations (generation 0: the prior)", fontsize=10)
    fig.tight_layout()
    return fig


def predictive(ppc: list[dict]) -> Figure:
    """The share of posterior-predictive replicates inside each target's range."""
    fig, ax = subplots(figsize=(8, 0.9 + 0.38 * len(ppc)))
    y = np.arange(len(ppc))[::-1]
    share = [r["share_inside"] for r in ppc]
    ax.barh(y, share, color=[COLOURS["main"] if s >= 0.5 else COLOURS["second"]
                             for s in share], alpha=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([r["id"] for r in ppc], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of posterior-predictive replicates inside the target's range")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title("Posterior predictive check, per replicate", fontsize=10, loc="left")
    fig.tight_layout()
    return fig


# -- recovery of known parameters --------------------------------------------------------

def recovery(rec: dict[str, Any], parameters) -> Figure:
    """The recovery test: for each parameter, each synthetic truth's recovered 90%
    interval (bar) and median (dot), with the true value marked (red cross) and
    whether the interval holds it.

    Args:
        rec: the recovery result (:func:`taobao_sim.experiments.abc_checks.recovery`):
            ``runs``, each with ``truth`` (name -> value) and ``p5``, ``median``,
            ``p95``, ``inside`` (one entry per parameter).
        parameters: the calibrated parameters, in the order of those entries.
    """
    runs = rec["runs"]
    P = len(parameters)
    cols = min(3, P)
    rows = -(-P // cols)
    fig, axes = subplots(rows, cols, squeeze=False,
                         figsize=(max(7.0, 3.6 * cols), 1.0 + (0.35 * len(runs) + 1.2) * rows))
    y = np.arange(len(runs))[::-1]
    for j, p in enumerate(parameters):
        ax = axes[j // cols][j % cols]
        for k, run in zip(y, runs, strict=True):
            colour = COLOURS["main"] if run["inside"][j] else COLOURS["second"]
            ax.plot(_search(p, [run["p5"][j], run["p95"][j]]), [k, k], "-", color=colour,
                    lw=3, alpha=0.6)
            ax.plot(_search(p, [run["median"][j]]), [k], "o", color=colour, ms=5)
        truths = [run["truth"][p.name] for run in runs]
        ax.plot(_search(p, truths), y, "x", color=COLOURS["real"], ms=8, mew=2,
                label="true value")
        ax.set_xlim(*p.search_bounds)
        _value_axis(ax.xaxis, p)
        ax.set_yticks(y)
        ax.set_yticklabels([f"truth {i + 1}" for i in range(len(runs))], fontsize=7)
        ax.set_ylim(-0.7, len(runs) - 0.3)
        ax.set_title(parameter_label(p.name, unit=False), fontsize=8.5, loc="left")
        ax.set_xlabel(_unit_text(p), fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(alpha=0.3, axis="x")
    for j in range(P, rows * cols):
        axes[j // cols][j % cols].set_axis_off()
    coverage = rec.get("coverage")
    fig.suptitle("Recovery of known parameters"
                 + (f" (coverage {coverage:.2f})" if coverage is not None else "")
                 + ": true value (red cross), recovered 90% interval and median\n"
                   "(blue: the interval holds the true value, orange: it misses it)", fontsize=9)
    fig.tight_layout()
    return fig
