"""Checks of a Bayesian calibration that need calibrations of their own
(``taobao-sim calibrate SPEC --checks CALIBRATION_FOLDER``):

- **Recovery on synthetic data.** ``truths`` parameter sets are drawn from the
  calibration's posterior (so they are plausible); one replicate of each is the
  synthetic "observed" history; ABC-SMC is run on it with the same priors, and we
  count how often the true value lies inside the 90% credible interval (the
  coverage; a well-calibrated posterior covers about 90%, and ABC's tolerance
  makes it err on the wide side).
- **Leave one target out.** For each data target (D2-D9, and T1 as a group),
  ABC-SMC without it; the posterior then predicts the left-out target (one
  replicate per posterior draw), and the share of replicates inside its range is
  compared with the prior's predictive share and with the full calibration's.

These checks run many calibrations, so each uses the smaller settings of the
spec's ``[checks]`` table, and the village targets only (a township run costs
20 times a village run): T1 is predicted, never fitted, in these checks. Every
check's pyabc database is kept under ``checks/work/`` for resume.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import UsageError
from ..core.rng import replicate_seeds
from ..figures.calibration import recovery as recovery_figure
from ..figures.style import save
from ..output import locks, rundir
from ..output.targets import Target
from .abc_smc import AbcProblem, AbcSettings, particle_values, replicate_figures, run_abc
from .bayes import predictive, problem_of
from .posterior import Posterior, load_posterior

#: Plausibility checks are constraints, not data: never left out.
PLAUSIBILITY = ("P1", "P2", "P3", "P4")


def synthetic_target(t: Target, value: float) -> Target:
    """The target as if the data were ``value``, with the same tolerance: an interval
    of the same half-width (on the same scale) around it. One-sided and share
    targets become intervals of half-width ``scale`` (a synthetic truth is known
    exactly, not only as a bound)."""
    if t.lower is not None and t.upper is not None and t.upper > t.lower:
        if t.log:
            h = 0.5 * (math.log(t.upper) - math.log(t.lower))
            v = max(value, 1e-9)
            lo, hi = math.exp(math.log(v) - h), math.exp(math.log(v) + h)
        else:
            h = 0.5 * (t.upper - t.lower)
            lo, hi = value - h, value + h
    else:
        lo, hi = value - t.scale, value + t.scale
    return dataclasses.replace(t, lower=lo, upper=hi, center=value, real=f"{value:.4g}",
                               tolerance=f"{lo:.4g}-{hi:.4g} (synthetic)")


def village_problem(problem: AbcProblem) -> AbcProblem:
    """The problem without its township targets."""
    keep = [k for k, t in enumerate(problem.targets) if problem.stage(t) == "village"]
    return dataclasses.replace(problem, township=None,
                               targets=tuple(problem.targets[k] for k in keep),
                               weights=tuple(problem.weights[k] for k in keep))


def check_settings(spec, seed: int) -> AbcSettings:
    c = spec.checks
    return dataclasses.replace(spec.abc, population=c.population, generations=c.generations,
                               max_simulations=c.max_simulations,
                               min_acceptance=c.min_acceptance, seed=seed)


def recovery(spec, posterior: Posterior, work: Path, executor=None, progress=None
             ) -> dict[str, Any]:
    """Coverage of the 90% credible intervals over synthetic truths."""
    base = village_problem(problem_of(spec))
    c = spec.checks
    # truths: distinct posterior particles whose synthetic replicate has every figure
    rng_seed = spec.seed + 101
    candidates = np.unique(posterior.draw(max(4 * c.truths, 20), rng_seed))
    truths = []
    seeds = replicate_seeds(rng_seed, len(candidates))
    figs = replicate_figures(base, particle_values(posterior, candidates), seeds, ("village",))
    for row, fig in zip(candidates, figs, strict=True):
        if np.all(np.isfinite(fig)) and len(truths) < c.truths:
            truths.append((int(row), fig))
    results = []
    for i, (row, fig) in enumerate(truths):
        problem = dataclasses.replace(base, targets=tuple(
            synthetic_target(t, float(v)) for t, v in zip(base.targets, fig, strict=True)))
        report = _stage(progress, f"recovery {i + 1}/{len(truths)}")
        run = run_abc(problem, check_settings(spec, spec.seed + 200 + i),
                      work / f"recovery_{i}.db", executor, report)
        q = run.posterior.quantile(np.array([0.05, 0.5, 0.95]))
        true = posterior.values[row]
        inside = (q[0] <= true) & (true <= q[2])
        results.append({"truth": {n: float(v) for n, v in zip(spec.names, true, strict=True)},
                        "p5": q[0].tolist(), "median": q[1].tolist(), "p95": q[2].tolist(),
                        "inside": inside.tolist(), "generations": len(run.generations),
                        "epsilon": run.generations[-1]["epsilon"],
                        "simulations": run.simulations})
    inside = np.array([r["inside"] for r in results], dtype=bool)
    return {"truths": len(results), "coverage": float(inside.mean()) if inside.size else None,
            "coverage_per_parameter": {n: float(inside[:, j].mean())
                                       for j, n in enumerate(spec.names)} if inside.size else {},
            "runs": results,
            "simulations": int(sum(r["simulations"] for r in results))}


def leave_one_out(spec, full: Posterior, work: Path, executor=None, progress=None
                  ) -> dict[str, Any]:
    """Each data target left out in turn: how well the rest predict it."""
    whole = problem_of(spec)
    village = village_problem(whole)
    c = spec.checks
    groups = []
    for t in whole.targets:
        gid = "T1" if t.id.startswith("T1") else t.id
        if gid not in PLAUSIBILITY and gid not in groups:
            groups.append(gid)
    prior = _prior_posterior(spec)
    out = []
    for i, gid in enumerate(groups):
        left = [k for k, t in enumerate(whole.targets)
                if t.id == gid or t.id.startswith(gid + " ")]
        fit = village.without(gid) if gid != "T1" else village
        report = _stage(progress, f"leave out {gid} ({i + 1}/{len(groups)})")
        run = run_abc(fit, check_settings(spec, spec.seed + 300 + i),
                      work / f"loo_{gid.replace(' ', '_')}.db", executor, report)
        stages = ("township",) if gid == "T1" else ("village",)
        shares = {}
        for name, post in (("without it", run.posterior), ("full calibration", full),
                           ("prior", prior)):
            _rows, figs = predictive(whole, post, c.draws, spec.seed + 400 + i, stages)
            inside = whole.inside(figs)[:, left]
            shares[name] = {whole.targets[k].id: float(inside[:, m].mean())
                            for m, k in enumerate(left)}
            if name == "without it":
                shares["mean without it"] = {
                    whole.targets[k].id: float(np.nanmean(figs[:, k])) for k in left}
        out.append({"left_out": gid, "shares": shares, "simulations": run.simulations,
                    "epsilon": run.generations[-1]["epsilon"]})
    return {"groups": out, "simulations": int(sum(g["simulations"] for g in out))}


def _prior_posterior(spec) -> Posterior:
    """The prior as equally weighted particles (a Latin hypercube on the search scale)."""
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(spec.parameters), rng=spec.seed).random(2000)
    vals = np.column_stack([p.from_unit(u[:, j]) for j, p in enumerate(spec.parameters)])
    return Posterior(tuple(spec.names), vals, np.ones(len(vals)))


def _stage(progress, name: str):
    if progress is None:
        return None
    return lambda stage, done, total, note: progress(f"{name}: {stage}", done, total, note)


def run_checks(spec, folder: Path, executor=None, progress=None) -> dict[str, Any]:
    """Recovery and leave-one-target-out for the calibration in ``folder``; writes
    ``checks.json`` and ``checks.md`` there and returns the results."""
    t0 = time.perf_counter()
    folder = Path(folder)
    posterior = load_posterior(folder / "posterior.parquet")
    if tuple(posterior.names) != tuple(spec.names):
        raise UsageError(f"--checks {folder}: its posterior has parameters "
                         f"{', '.join(posterior.names)}; the spec frees "
                         f"{', '.join(spec.names)}")
    work = folder / "checks" / "work"
    work.mkdir(parents=True, exist_ok=True)
    with locks.folder_lock(folder / "checks"):
        rec = recovery(spec, posterior, work, executor, progress)
        loo = leave_one_out(spec, posterior, work, executor, progress)
    result = {"recovery": rec, "leave_one_out": loo, "settings": dataclasses.asdict(spec.checks),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    rundir.atomic_write_json(folder / "checks" / "checks.json", result)
    if rec["runs"]:
        save(recovery_figure(rec, spec.parameters), folder / "checks" / "recovery.png")
    section = checks_markdown(spec, result)
    rundir.atomic_write_text(folder / "checks" / "checks.md", section)
    report = folder / "report.md"
    if report.exists():
        rundir.atomic_write_text(report, with_checks(report.read_text("utf-8"), section))
    return result


def checks_markdown(spec, result: dict[str, Any]) -> str:
    """The checks as a report section (appended to docs/CALIBRATION.md)."""
    rec, loo, s = result["recovery"], result["leave_one_out"], result["settings"]
    lines = ["## Checks: recovery and held-back targets", "",
             f"Each check is an ABC-SMC of its own with {s['population']} particles, at most "
             f"{s['generations']} generations after the prior's and "
             f"{s['max_simulations']:,} simulations, on the village targets (T1 is only "
             f"predicted here). {rec['simulations'] + loo['simulations']:,} simulations in "
             f"{result['wall_seconds'] / 60:.1f} minutes "
             "(`taobao-sim calibrate SPEC --checks FOLDER`).", "",
             "### Recovery of known parameters", "",
             f"{rec['truths']} synthetic truths drawn from the posterior; one replicate of each "
             "is the data. Coverage: the share of (truth, parameter) pairs whose true value "
             "lies inside the recovered 90% credible interval.", ""]
    if rec["coverage"] is not None:
        lines += [f"**Coverage of the 90% intervals: {rec['coverage']:.2f}** "
                  f"({sum(sum(r['inside']) for r in rec['runs'])} of "
                  f"{sum(len(r['inside']) for r in rec['runs'])}).", "",
                  "| parameter | coverage |", "|---|---|"]
        lines += [f"| `{n}` | {v:.2f} |" for n, v in rec["coverage_per_parameter"].items()]
    lines += ["", "### Leave one target out", "",
              "Each data target left out of the calibration in turn; the share of "
              f"predictive replicates ({s['draws']} posterior draws, one replicate each) "
              "inside the left-out target's range, from the posterior without it, from the "
              "full calibration (which saw it) and from the prior.", "",
              "| left out | target | without it | full calibration | prior | mean without it |",
              "|---|---|---|---|---|---|"]
    for g in loo["groups"]:
        sh = g["shares"]
        for tid in sh["without it"]:
            lines.append(f"| {g['left_out']} | {tid} | {sh['without it'][tid]:.0%} | "
                         f"{sh['full calibration'][tid]:.0%} | {sh['prior'][tid]:.0%} | "
                         f"{sh['mean without it'][tid]:.4g} |")
    return "\n".join(lines)


#: Where a report holds the checks' section.
CHECKS_BEGIN, CHECKS_END = "<!-- checks -->", "<!-- /checks -->"


def with_checks(report: str, section: str) -> str:
    """A report with its checks section replaced by ``section``."""
    if CHECKS_BEGIN not in report:
        return report.rstrip() + "\n\n" + CHECKS_BEGIN + "\n" + section + "\n" + CHECKS_END + "\n"
    head, rest = report.split(CHECKS_BEGIN, 1)
    tail = rest.split(CHECKS_END, 1)[1] if CHECKS_END in rest else ""
    return head + CHECKS_BEGIN + "\n" + section + "\n" + CHECKS_END + tail


def publish_checks(folder: Path, docs: Path) -> Path:
    """Put the checks' section into the calibration's report and into
    docs/CALIBRATION.md."""
    section = (Path(folder) / "checks" / "checks.md").read_text("utf-8")
    out = Path(docs) / "CALIBRATION.md"
    for path in (Path(folder) / "report.md", out):
        if path.exists():
            rundir.atomic_write_text(path, with_checks(path.read_text("utf-8"), section))
    return out


__all__ = ["leave_one_out", "publish_checks", "recovery", "run_checks", "synthetic_target",
           "with_checks"]
