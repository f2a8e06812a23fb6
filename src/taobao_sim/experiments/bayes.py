"""Bayesian calibration of a spec with ``method = "abc-smc"``: screening, ABC-SMC,
the posterior and what is checked against it.

Stages (each checkpointed in the work folder, so ``--resume`` continues a killed
calibration from the last finished stage or ABC generation):

1. Morris screening of every parameter (:mod:`.screening`), to show which ones
   the targets can inform; free parameters are the spec's, and an influential
   parameter left fixed must have a reason in the spec's ``[fixed]`` table.
2. ABC-SMC (:mod:`.abc_smc`) on the free parameters: the posterior (particles and
   weights), epsilon, acceptance and effective sample size per generation.
3. Posterior predictive check, per replicate: ``posterior_draws`` parameter sets
   drawn from the posterior, one replicate each; the share of replicates inside
   each target's range (a target can pass on the ensemble mean while many
   replicates miss it: this says how many).
4. The point estimate (a posterior particle, :meth:`Posterior.point`) as
   ``best.toml``, and the target table at it with ``final_replicates``.
5. Identification from the posterior: a parameter's 90% credible interval
   against its prior's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..core.rng import replicate_seeds
from ..output import provenance, rundir
from ..output.format import by_unit, interval, number
from .abc_smc import AbcProblem, particle_values, replicate_figures, run_abc
from .executors import Executor
from .posterior import Posterior

#: A credible interval narrower than this share of the prior's is "identified";
#: one narrower than WEAK "weakly identified"; otherwise "not identified".
IDENTIFIED, WEAK = 0.5, 0.9


def problem_of(spec) -> AbcProblem:
    """The ABC problem of a calibration spec: its free parameters, its weighted
    targets and the runs they need."""
    used = [t for t in spec.targets if spec.weights.get(t.id, 0.0) > 0]
    return AbcProblem(spec.scenario, spec.township, spec.parameters, tuple(used),
                      tuple(spec.weights[t.id] for t in used))


def predictive(problem: AbcProblem, posterior: Posterior, draws: int, seed: int,
               stages: tuple[str, ...] = ("village", "township")) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Posterior predictive figures: ``draws`` particles drawn by weight, one replicate
    each. Returns (rows drawn, figures of shape (draws, targets))."""
    rows = posterior.draw(draws, seed)
    seeds = replicate_seeds(seed, draws)
    figs = np.full((draws, len(problem.targets)), np.nan)
    chunk = 400  # universes per batch: bounds memory
    for c in range(0, draws, chunk):
        figs[c:c + chunk] = replicate_figures(problem, particle_values(posterior,
                                                                       rows[c:c + chunk]),
                                              seeds[c:c + chunk], stages)
    return rows, figs


def identification(problem: AbcProblem, posterior: Posterior) -> list[dict[str, Any]]:
    """Each parameter's posterior median and 90% credible interval, and whether the
    data identify it: the interval's width on the search scale (log10 for log
    parameters) against the prior's 90% width."""
    q = posterior.quantile(np.array([0.05, 0.5, 0.95]))
    out = []
    for j, p in enumerate(problem.parameters):
        lo_s, hi_s = p.search_bounds
        prior_width = 0.9 * (hi_s - lo_s)
        width = p.to_search(q[2, j]) - p.to_search(q[0, j])
        share = float(width / prior_width) if prior_width > 0 else 0.0
        verdict = ("identified" if share < IDENTIFIED else
                   "weakly identified" if share < WEAK else "not identified")
        out.append({"name": p.name, "unit": p.spec.unit, "doc": p.spec.doc,
                    "prior": [p.lower, p.upper], "log": p.log, "median": float(q[1, j]),
                    "p5": float(q[0, j]), "p95": float(q[2, j]), "share_of_prior": share,
                    "verdict": verdict})
    return out


def correlations(posterior: Posterior, seed: int = 0, n: int = 4000) -> np.ndarray:
    """Spearman correlations of the posterior (on a weighted resample)."""
    from scipy.stats import spearmanr

    x = posterior.values[posterior.draw(n, seed)]
    if x.shape[1] < 2:
        return np.ones((1, 1))
    return np.atleast_2d(spearmanr(x).statistic)


def calibrate_abc(spec, root: Path = Path("results"), executor: Executor | None = None,
                  resume: bool = False, progress=None, command: list[str] | None = None,
                  restart: bool = False, fmt: str = "png"):
    """The whole Bayesian calibration of a spec with ``method = "abc-smc"``; writes
    the calibration folder and returns what it found (:class:`BayesResult`)."""
    from .calibrate import Evaluator, calibration_work, check_table, scenario_for
    from .screening import screen

    t0 = time.perf_counter()
    started = provenance.now_iso()
    with calibration_work(root, spec, resume, restart) as work:
        report = progress or (lambda *a: None)
        problem = problem_of(spec)

        screening = None
        if spec.screening is not None:
            path = work / "screening.json"
            if path.exists():
                import json

                screening = json.loads(path.read_text("utf-8"))
            else:
                screening = screen(spec, spec.screening, Evaluator, executor, report)
                rundir.atomic_write_json(path, screening)

        meta = {"calibration": spec.name, "scenario": spec.scenario.path,
                "spec_digest_sha256": spec.digest()}
        abc = run_abc(problem, spec.abc, work / "abc.db", executor, report, meta)
        abc.posterior.write(work / "posterior.parquet")

        report("predictive check", 0, 1, "")
        rows, figs = predictive(problem, abc.posterior, spec.posterior_draws, spec.seed + 1)
        inside = problem.inside(figs)
        report("predictive check", 1, 1, "")

        point = abc.posterior.point()
        best = scenario_for(spec, np.array([point[n] for n in spec.names], dtype=float))
        evaluator = Evaluator(spec, executor)
        table = check_table(spec, best, evaluator)
        result = BayesResult(spec=spec, abc=abc, screening=screening, point=point,
                             identification=identification(problem, abc.posterior),
                             ppc_rows=rows, ppc_figures=figs, ppc_inside=inside, rows=table,
                             runs=abc.simulations + spec.posterior_draws + evaluator.runs
                             + (screening["model_runs"] if screening else 0),
                             wall_seconds=time.perf_counter() - t0)
        result.folder = write_bayes(result, work, started, command, fmt)
        return result


class BayesResult:
    """What a Bayesian calibration found (also written to its folder)."""

    def __init__(self, **kw: Any) -> None:
        self.folder: Path | None = None
        self.__dict__.update(kw)

    @property
    def best(self) -> dict[str, float | int]:
        return self.point

    @property
    def ranges(self) -> list[dict[str, Any]]:  # the terminal's per-parameter lines
        return [{"name": r["name"], "value": self.point[r["name"]], "low": r["p5"],
                 "high": r["p95"], "verdict": r["verdict"]} for r in self.identification]


def ppc_table(problem: AbcProblem, inside: np.ndarray, figs: np.ndarray) -> list[dict]:
    """Per target: the share of posterior-predictive replicates inside its range, and
    their mean and 5-95% spread."""
    out = []
    for k, t in enumerate(problem.targets):
        f = figs[:, k][np.isfinite(figs[:, k])]
        out.append({"id": t.id, "label": t.label, "tolerance": t.tolerance,
                    "share_inside": float(inside[:, k].mean()),
                    "mean": float(f.mean()) if f.size else None,
                    "p5": float(np.percentile(f, 5)) if f.size else None,
                    "p95": float(np.percentile(f, 95)) if f.size else None})
    return out


def write_bayes(result: BayesResult, work: Path, started: str,
                command: list[str] | None, fmt: str = "png") -> Path:
    """Turn the work folder into a complete calibration folder. The report links PNG
    figures; ``fmt`` svg or pdf writes the figures in that format too."""
    from ..figures.calibration import bayes_figures
    from .calibrate import best_scenario_toml_values, finish_folder

    spec = result.spec
    problem = problem_of(spec)
    folder = work
    rundir.atomic_write_text(folder / "best.toml", best_scenario_toml_values(
        spec, result.point, f"posterior point estimate; {result.abc.simulations:,} ABC "
        "simulations"))
    rundir.write_table(folder, "generations", pa.Table.from_pylist(result.abc.generations))
    cols: dict[str, Any] = {f"drawn_{n}": result.abc.posterior.values[result.ppc_rows, j]
                            for j, n in enumerate(spec.names)}
    for k, t in enumerate(problem.targets):
        cols[t.id] = result.ppc_figures[:, k]
    rundir.write_table(folder, "predictive", pa.table(cols))
    ppc = ppc_table(problem, result.ppc_inside, result.ppc_figures)
    rundir.atomic_write_json(folder / "identification.json", result.identification)
    rundir.atomic_write_json(folder / "summary.json", {
        "calibration": spec.name, "method": "abc-smc", "point": result.point,
        "posterior": result.identification, "generations": result.abc.generations,
        "stopped": result.abc.stopped, "predictive_check": ppc,
        "rows": [r.as_dict() for r in result.rows],
        "all_met": all(bool(r.met) for r in result.rows if r.met is not None),
        "abc_simulations": result.abc.simulations, "model_runs": result.runs,
        "wall_seconds": round(result.wall_seconds, 1)})
    figs = folder / "figures"
    figs.mkdir(exist_ok=True)
    for kind in dict.fromkeys(("png", fmt)):
        bayes_figures(result, problem, ppc, figs, kind)
    rundir.atomic_write_text(folder / "report.md", bayes_report(result, problem, ppc))
    return finish_folder(spec, folder, command, started, result.wall_seconds, result.runs,
                         {"abc": spec.abc.seed, "predictive": spec.seed + 1})


def _interval(row: dict[str, Any]) -> str:
    return f"{number(row['p5'])} - {number(row['p95'])}"


def bayes_report(result: BayesResult, problem: AbcProblem, ppc: list[dict]) -> str:
    """The calibration report (docs/CALIBRATION.md is a copy of it)."""
    from .calibrate import _shown, spec_help

    spec, abc = result.spec, result.abc
    s = spec.abc
    gens = abc.generations
    last = gens[-1]
    lines = [
        f"# Calibration: {spec.name}", "",
        f"Bayesian calibration by ABC-SMC (pyabc) of {len(spec.parameters)} free parameters "
        f"of `{Path(spec.scenario.path).name}` to the targets "
        f"{', '.join(t.id for t in problem.targets)} of docs/TARGETS.md"
        + (f" (T1 and P1 on `{Path(spec.township.path).name}`)" if spec.township else "")
        + f". {len(gens)} generations of {s.population} particles; each particle is one "
        "replicate compared with the one observed history, so the posterior carries the "
        "model's own noise. Distance: the weighted root mean square of the targets' "
        "deviations in units of their tolerance (1 = on average at the edge of every "
        f"tolerance). Final epsilon {last['epsilon']:.3g}; stopped: {abc.stopped}. "
        f"{abc.simulations:,} ABC simulations and {result.runs:,} model runs in all "
        f"(screening, ABC, checks) in {result.wall_seconds / 60:.1f} minutes.", "",
        "Priors are uniform within each free parameter's bounds (log-uniform where marked "
        "log). Perturbation: pyabc's multivariate normal kernel fitted to the previous "
        f"generation; epsilon: the weighted {s.alpha:g} quantile of the previous "
        "generation's distances. Each particle task has its own seed, derived from the "
        "root seed and the generation, so the posterior is the same on one process, on "
        "local worker processes or on a Dask cluster, and after a resume.", "",
        "What this posterior does not contain: parameters held fixed (see the screening "
        "below); the two parameters that act between villages, independent discovery "
        "outside a craft base and weak ties between villages, set on Heze's Taobao villages "
        "and towns (docs/CALIBRATION_HEZE.md); and the Heze targets H1-H2 themselves, since "
        "one Heze run to 2018 takes minutes and ABC needs thousands of runs.", "",
        "## Posterior", "",
        "Median and 90% credible interval (weighted 5th-95th percentiles of the last "
        "generation). Identification: the interval's width against the prior's 90% width "
        f"on the search scale (< {IDENTIFIED:.0%}: identified; < {WEAK:.0%}: weakly "
        "identified; otherwise the data do not identify it).", "",
        "| parameter | meaning | unit | prior | median | 90% interval | share of prior "
        "| verdict |", "|---|---|---|---|---|---|---|---|"]
    for r in result.identification:
        lines.append(f"| `{r['name']}` | {r['doc']} | {r['unit'] or '-'} | "
                     f"{number(r['prior'][0])} - {number(r['prior'][1])}"
                     f"{' (log)' if r['log'] else ''} | {number(r['median'])} | "
                     f"{_interval(r)} | {r['share_of_prior']:.2f} | {r['verdict']} |")
    rho = correlations(abc.posterior, spec.seed)
    names = spec.names
    pairs = sorted(((abs(rho[i, j]), rho[i, j], i, j) for i in range(len(rho))
                    for j in range(i + 1, len(rho))), reverse=True)[:4]
    strong = [f"`{names[i]}` and `{names[j]}` (rho = {r:+.2f})" for _a, r, i, j in pairs
              if abs(r) >= 0.3]
    if strong:
        lines += ["", "Strongest posterior correlations: " + "; ".join(strong) + ". The data "
                  "pin down these combinations more than each parameter alone."]
    lines += ["", "## Generations", "", "| t | epsilon | particles | simulations | "
              "acceptance | effective sample size |", "|---|---|---|---|---|---|"]
    for g in gens:
        lines.append(f"| {g['t']} | {g['epsilon']:.3g} | {g['particles']} | "
                     f"{g['simulations']:,} | {g['acceptance']:.3f} | {g['ess']:.0f} |")
    lines += ["", "## Posterior predictive check, per replicate", "",
              f"{spec.posterior_draws} parameter sets drawn from the posterior, one replicate "
              "each (new seeds): the share of replicates whose figure lies inside the "
              "target's range, and the spread of the figure.", "",
              "| target | figure | tolerance | replicates inside | mean | 5-95% |",
              "|---|---|---|---|---|---|"]
    for r in ppc:
        spread = "-" if r["p5"] is None else f"{number(r['p5'])} - {number(r['p95'])}"
        mean = "-" if r["mean"] is None else number(r["mean"])
        lines.append(f"| {r['id']} | {r['label']} | {r['tolerance']} | "
                     f"{r['share_inside']:.0%} | {mean} | {spread} |")
    lines += ["", "## Targets at the point estimate", "",
              "The point estimate is the posterior particle closest to the marginal medians "
              f"(written as `best.toml`); ensemble of {spec.final_replicates} replicates "
              f"(seed {spec.scenario.seed}).", "",
              "| | figure | real | mean | 5-95% | target | |", "|---|---|---|---|---|---|---|"]
    for r in result.rows:
        spread = interval(r.p5, r.p95, r.unit, " - ") if np.isfinite(r.p5) else "-"
        verdict = "" if r.met is None else ("met" if r.met else "**missed**")
        lines.append(f"| {r.id} | {r.label} | {r.real} | {by_unit(r.mean, r.unit)} | {spread} | "
                     f"{r.tolerance} | {verdict} |")
    missed = [r.id for r in result.rows if r.met is False]
    lines += ["", "All targets are met at the point estimate." if not missed else
              f"**Missed at the point estimate: {', '.join(missed)}.**"]
    if result.screening:
        lines += screening_lines(result.screening, spec)
    lines += ["", "<!-- checks -->", "## Checks: recovery and held-back targets", "",
              "Not run yet for this calibration: `taobao-sim calibrate SPEC --checks FOLDER` "
              "(make calibrate-checks).", "<!-- /checks -->"]
    lines += ["", "## Figures", "",
              "![Posterior marginals](figures/calibration_posterior.png)", "",
              "![Pairs](figures/calibration_pairs.png)", "",
              "![Generations](figures/calibration_generations.png)", "",
              "![Predictive check](figures/calibration_predictive.png)", "",
              "## Reproduce", "", "```bash", f"taobao-sim calibrate {_shown(spec.path)}", "```",
              "", "The folder holds `posterior.parquet` (particles and weights; "
              "`taobao-sim run SCENARIO --posterior` draws from it), `abc.db` (pyabc's "
              "database of every generation), `generations.csv`, `predictive.parquet`, "
              "`identification.json`, `screening.json`, `summary.json`, `best.toml`, the "
              "figures and `manifest.json`. Seeds are fixed per particle task, so the same "
              "spec gives the same posterior with any number of workers; `--resume` "
              "continues from the last finished generation.", "", spec_help()]
    return "\n".join(lines)


def screening_lines(screening: dict, spec) -> list[str]:
    """The screening section of the report: influential parameters, free or fixed."""
    free = set(spec.names)
    rows = screening["parameters"]
    s = screening["settings"]
    lines = ["", "## Screening", "",
             f"Morris screening (SALib) of {len(rows)} parameters over a factor "
             f"{s['factor']:g} either way of the scenario's value, {s['trajectories']} "
             f"trajectories ({screening['points']} points, {s['replicates']} replicates each, "
             f"{screening['model_runs']:,} runs). mu*: the mean absolute change of a target's "
             "deviation (tolerance units) across that range; a parameter is influential "
             f"from {s['threshold']:g}. Not screened: policy parameters (no policy in the "
             "base scenario) and keys whose value is 0.", "",
             "| parameter | largest mu* | on | influential | in the calibration |",
             "|---|---|---|---|---|"]
    for r in rows:
        if not r["influential"] and r["name"] not in free:
            continue
        status = "free" if r["name"] in free else \
            "fixed: " + spec.fixed.get(r["name"], "**no reason given**")
        lines.append(f"| `{r['name']}` | {r['max_mu_star']:.2f} | {r['most_on']} | "
                     f"{'yes' if r['influential'] else 'no'} | {status} |")
    quiet = [r["name"] for r in rows if not r["influential"] and r["name"] not in free]
    lines += ["", f"The other {len(quiet)} screened parameters move no target by "
              f"{s['threshold']:g} tolerance units or more: the targets cannot inform "
              "them, and they stay at the scenario's documented values (docs/SCENARIO.md)."]
    return lines


__all__ = ["BayesResult", "calibrate_abc", "identification", "predictive", "problem_of"]

