"""Analysis of a finished sweep: Sobol indices or Morris screening (SALib),
tipping-point heatmaps for 2-D grids, and envelopes of the S-curve.

Outputs are averaged over the replicates of each design point before the
analysis, and the report says how much of the variance across points is still
model noise (the within-point variance divided by the replicates, against the
variance of the point means): Sobol indices of noisy means can come out negative
or sum above one by about that share. A run in which an event never happens
(e.g. no poverty exit within the run) has NaN for that output; for the
sensitivity analysis such runs count as the year after the run ends, and the
analysis says how many there were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from ..core.errors import UsageError
from ..core.scenario import suggest
from ..figures import sweep as sweep_figures
from ..figures.labels import YEAR_OUTPUTS
from ..figures.style import check_format, figure_path, save
from ..output import rundir
from ..output.format import by_unit
from ..output.scalars import OUTPUTS
from .sweep import load_sweep_from_folder, read_results

#: Outputs analysed by default.
DEFAULT_OUTPUTS = ("participation_end", "poverty_exit_year")


def point_means(spec, runs, outputs, names: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """(points, outputs) means over replicates, with never-happened years filled."""
    Y, _noise, filled = point_moments(spec, runs, outputs, names)
    return Y, filled


def point_moments(spec, runs, outputs, names: list[str]
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Means over replicates per point (points, outputs); the variance those means
    owe to model noise alone, per output (the mean within-point variance over the
    replicates per point); and the count of never-happened years filled."""
    point = runs.column("point").to_numpy()
    n_points = int(point.max()) + 1
    last_year = spec.scenario.end // 12
    count = np.bincount(point, minlength=n_points)
    Y = np.zeros((n_points, len(names)))
    noise = np.full(len(names), np.nan)
    filled = {}
    for k, name in enumerate(names):
        v = outputs.column(name).to_numpy(zero_copy_only=False).astype(float)
        missing = ~np.isfinite(v)
        if name in YEAR_OUTPUTS:
            v = np.where(missing, last_year + 1, v)
            filled[name] = int(missing.sum())
        Y[:, k] = np.bincount(point, weights=v, minlength=n_points) / count
        if count.min() > 1:  # within-point (sample) variance, divided by the replicates
            sq = np.bincount(point, weights=(v - Y[point, k]) ** 2, minlength=n_points)
            noise[k] = float(np.mean(sq / (count - 1) / count))
    return Y, noise, filled


def design_matrix(spec, runs) -> np.ndarray:
    """The design's points in SALib's scale (log10 for log parameters)."""
    point = runs.column("point").to_numpy()
    first = np.unique(point, return_index=True)[1]
    cols = []
    for p in spec.parameters:
        v = runs.column(p.name).to_numpy().astype(float)[first]
        cols.append(np.log10(v) if p.log else v)
    return np.column_stack(cols)


def analyze(folder: str | Path, outputs: list[str] | None = None,
            fmt: str = "png") -> dict[str, Any]:
    """Analyse a complete sweep folder; writes ``analysis/`` there (figures as
    ``fmt`` files: png, svg or pdf) and returns the results (also in
    ``analysis/analysis.json``)."""
    folder = Path(folder)
    check_format(fmt)  # before any work
    runs, outs = read_results(folder)
    spec = load_sweep_from_folder(folder)
    names = list(outputs or DEFAULT_OUTPUTS)
    for name in names:
        if name not in OUTPUTS:
            raise UsageError(f"--outputs {name}: not an output" + suggest(name, list(OUTPUTS)))
    Y, noise, filled = point_moments(spec, runs, outs, names)
    out_dir = folder / "analysis"
    figs = out_dir / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    design = spec.design
    report: dict[str, Any] = {"design": design.kind, "points": int(Y.shape[0]),
                              "replicates": spec.replicates, "outputs": names,
                              "never_happened_runs": filled, "results": {}}
    problem = design.problem(spec.parameters) if design.kind in ("sobol", "morris") else None
    for k, name in enumerate(names):
        y = Y[:, k]
        entry: dict[str, Any] = {"mean": float(y.mean()), "min": float(y.min()),
                                 "max": float(y.max())}
        # the share of the variance across points that the replicates' noise makes
        # (the variance of a mean of R replicates is the within-point variance / R):
        # indices computed from noisy means can be negative or sum above 1 by this much
        total = float(y.var(ddof=1)) if y.size > 1 else 0.0
        entry["noise_share"] = (float(min(1.0, noise[k] / total)) if total > 0 and
                                np.isfinite(noise[k]) else None)
        if design.kind == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(problem, y, calc_second_order=design.second_order,
                               print_to_console=False, seed=design.seed)
            entry["sobol"] = {p: {"S1": float(si["S1"][j]), "S1_conf": float(si["S1_conf"][j]),
                                  "ST": float(si["ST"][j]), "ST_conf": float(si["ST_conf"][j])}
                              for j, p in enumerate(problem["names"])}
            save(sweep_figures.sobol_bars(entry["sobol"], name),
                 figure_path(figs, f"sobol_{name}", fmt))
        elif design.kind == "morris":
            from SALib.analyze import morris

            X = design_matrix(spec, runs)
            mi = morris.analyze(problem, X, y, num_levels=design.levels,
                                print_to_console=False, seed=design.seed)
            entry["morris"] = {p: {"mu_star": float(mi["mu_star"][j]),
                                   "mu_star_conf": float(mi["mu_star_conf"][j]),
                                   "sigma": float(mi["sigma"][j])}
                               for j, p in enumerate(problem["names"])}
            save(sweep_figures.morris_plot(entry["morris"], name),
                 figure_path(figs, f"morris_{name}", fmt))
        elif design.kind == "grid" and len(spec.parameters) == 2:
            a, b = spec.parameters
            grid = y.reshape(len(a.values), len(b.values))
            entry["grid"] = {"rows": a.name, "row_values": list(a.values), "columns": b.name,
                             "column_values": list(b.values), "mean": grid.tolist()}
            save(sweep_figures.tipping_heatmap(a, b, grid, name, spec),
                 figure_path(figs, f"heatmap_{name}", fmt))
        report["results"][name] = entry
    series_path = folder / "series.parquet"
    if series_path.exists():
        series = pq.read_table(series_path)
        if "participation" in series.column_names:
            envelope = figure_path(figs, "envelope_participation", fmt)
            save(sweep_figures.sweep_envelope(series, spec.name), envelope)
            report["envelope"] = f"figures/{envelope.name}"
    rundir.atomic_write_json(out_dir / "analysis.json", report)
    return report


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The analysis as text lines for the terminal."""
    lines = []
    for name, entry in report["results"].items():
        unit = "year" if name in YEAR_OUTPUTS else ""
        lines.append(f"{name}: mean over points {by_unit(entry['mean'], unit)} "
                     f"(range {by_unit(entry['min'], unit)} - {by_unit(entry['max'], unit)})")
        share = entry.get("noise_share")
        lines.append("  model noise: " + ("not measured (1 replicate per point)" if share is None
                                          else f"{share:.1%} of the variance across points "
                                          f"(means of {report['replicates']} replicates)"))
        if "sobol" in entry:
            lines.append(f"  {'parameter':40s} {'S1':>16s} {'ST':>16s}")
            for p, s in sorted(entry["sobol"].items(), key=lambda kv: -kv[1]["ST"]):
                lines.append(f"  {p:40s} {s['S1']:7.3f} ± {s['S1_conf']:5.3f}  "
                             f"{s['ST']:7.3f} ± {s['ST_conf']:5.3f}")
        if "morris" in entry:
            lines.append(f"  {'parameter':40s} {'mu*':>12s} {'sigma':>10s}")
            for p, s in sorted(entry["morris"].items(), key=lambda kv: -kv[1]["mu_star"]):
                lines.append(f"  {p:40s} {s['mu_star']:12.4g} {s['sigma']:10.4g}")
        if "grid" in entry:
            g = entry["grid"]
            lines.append(f"  grid of {g['rows']} x {g['columns']}: see heatmap")
    for name, n in report.get("never_happened_runs", {}).items():
        if n:
            lines.append(f"note: {n} runs never reached {name}; counted as the year after "
                         "the run")
    return lines


__all__ = ["analyze", "summary_lines"]
