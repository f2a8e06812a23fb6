"""Calibration by the method of simulated moments, and how well the targets pin
the parameters down.

1. Optimise: scipy's differential evolution searches the free parameters (within
   their bounds, on a log scale where asked) for the smallest distance to the
   targets, ``sum(weight * deviation**2)`` where a deviation is the ensemble
   statistic's distance from the target in units of its tolerance
   (:meth:`taobao_sim.targets.Target.deviation`). Every candidate is run with the
   same replicate seeds (common random numbers), and a whole generation runs as
   one batch of universes on the fast engine, so all workers are busy.
2. Check: the best parameters are run again with more replicates; the target
   table says which targets are met.
3. Uncertainty: rejection ABC around the optimum. Parameter sets are drawn by
   Latin hypercube in a box around the optimum and kept when every target is met;
   the kept sets give each parameter's range consistent with all targets. A
   parameter whose kept values fill most of the box is not identified by the
   targets (within that box); one confined to a narrow part of it is.

A calibration folder ``results/calibration/<name>/<run-id>/`` holds the best
parameters (``best.toml``, a scenario that extends the base), the convergence
history, the ABC samples, the ranges, the target table, figures, a report and a
manifest. Work in progress is checkpointed after each generation and each
batch of ABC samples; ``resume=True`` continues it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.optimize import differential_evolution
from scipy.stats import qmc

from ..core import params
from ..core.errors import SpecError, UsageError
from ..core.lifeline import interrupted
from ..core.rng import replicate_seeds
from ..core.scenario import Scenario, suggest
from ..engines import simulate, simulate_universes
from ..figures.calibration import calibration_figures
from ..io.scenario_file import load_scenario, toml_value
from ..io.spec_file import check_keys, read_spec, resolve_relative, spec_name
from ..output import locks, provenance, rundir
from ..output.format import by_unit, interval, number
from ..output.targets import (
    CITY_TARGETS,
    DINGLOU_TARGETS,
    HEZE_YEAR,
    TARGETS_BY_ID,
    TOWNSHIP_TARGETS,
    Runs,
    Target,
    TargetRow,
    counterfactual_of,
    dinglou_targets,
    township_targets,
)
from .executors import Executor, InProcess
from .parameters import Parameter, parse_parameters
from .sweep import StageProgress

#: Universes per kernel call: bounds the memory of the household panels.
CHUNK_UNIVERSES = 1200


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec. Build with :func:`load_spec`."""

    path: str
    text: str
    name: str
    scenario: Scenario
    parameters: tuple[Parameter, ...]
    weights: dict[str, float]
    targets: tuple[Target, ...]
    township: Scenario | None
    township_replicates: int
    replicates: int
    seed: int
    popsize: int
    maxiter: int
    tol: float
    optimizer_seed: int
    mutation: tuple[float, float]
    recombination: float
    start_from_scenario: bool
    samples: int
    box: float
    final_replicates: int
    city: Scenario | None = None
    city_replicates: int = 1
    method: str = "msm"
    abc: Any = None  # AbcSettings, for method "abc-smc"
    screening: Any = None  # ScreeningSettings, or None: no screening
    checks: Any = None  # ChecksSettings: recovery and leave-one-target-out
    posterior_draws: int = 200
    fixed: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def digest(self) -> str:
        import hashlib

        key = json.dumps({"text": self.text, "scenario": self.scenario.digest(),
                          "township": self.township.digest() if self.township else None,
                          "city": self.city.digest() if self.city else None}, sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()


_TOP = {"name": str, "scenario": str, "replicates": int, "seed": int, "optimizer": dict,
        "uncertainty": dict, "parameters": dict, "targets": dict, "description": str,
        "township": str, "township_replicates": int, "city": str, "city_replicates": int,
        "method": str, "abc": dict, "screening": dict, "check": dict, "checks": dict,
        "fixed": dict}
_OPTIMIZER = {"method": str, "popsize": int, "maxiter": int, "tol": float, "seed": int,
              "mutation": list, "recombination": float, "start": str}
_UNCERTAINTY = {"method": str, "samples": int, "box": float, "final_replicates": int}
_ABC = {"population": int, "generations": int, "initial_epsilon": float, "alpha": float,
        "min_epsilon": float, "min_acceptance": float, "max_simulations": int,
        "max_minutes": float}
_SCREENING = {"trajectories": int, "levels": int, "factor": float, "replicates": int,
              "threshold": float}
_CHECK = {"posterior_draws": int, "final_replicates": int}
_CHECKS = {"truths": int, "population": int, "generations": int, "max_simulations": int,
           "min_acceptance": float, "draws": int}
METHODS = ("abc-smc", "msm")


def load_spec(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration spec (TOML). Errors name the file and key."""
    raw, text, where, scenario = read_spec(path, _TOP, ("scenario", "parameters", "targets"))
    if scenario.targets != "dinglou":
        raise SpecError(where, "scenario", f"names a scenario with targets = "
                        f"{scenario.targets!r}; calibration needs targets = \"dinglou\"")
    method = raw.get("method", "msm")
    if method not in METHODS:
        raise SpecError(where, "method", f"is {method!r}; expected \"abc-smc\" (Bayesian, "
                        "pyabc) or \"msm\" (method of simulated moments)" +
                        suggest(method, list(METHODS)))
    wrong = [k for k in (("optimizer", "uncertainty") if method == "abc-smc" else
                         ("abc", "screening", "check", "checks")) if k in raw]
    if wrong:
        raise SpecError(where, wrong[0], f"is not used by method = {method!r}")
    opt = raw.get("optimizer", {})
    check_keys(where, opt, _OPTIMIZER, "optimizer.")
    if opt.get("method", "differential_evolution") != "differential_evolution":
        raise SpecError(where, "optimizer.method", f"is {opt['method']!r}; expected "
                        "\"differential_evolution\"")
    unc = raw.get("uncertainty", {})
    check_keys(where, unc, _UNCERTAINTY, "uncertainty.")
    if unc.get("method", "abc-rejection") != "abc-rejection":
        raise SpecError(where, "uncertainty.method", f"is {unc['method']!r}; expected "
                        "\"abc-rejection\"")

    free = parse_parameters(where, raw["parameters"], "bounds")
    township = None
    if "township" in raw:
        township = load_scenario(resolve_relative(path, raw["township"]))
        if township.focus_village != scenario.focus_village:
            raise SpecError(where, "township", f"names a scenario whose focus village is "
                            f"{township.focus_village!r}, not {scenario.focus_village!r}")
    city = None
    if "city" in raw:
        city = load_scenario(resolve_relative(path, raw["city"]))
        if city.targets != "heze":
            raise SpecError(where, "city", f"names a scenario with targets = {city.targets!r}; "
                            "expected a city scenario (targets = \"heze\")")
        # H1 and H2 are 2018 counts: the city's candidates stop there
        city = city.replace(end=f"{HEZE_YEAR}-12")
    weights, targets = _weighted_targets(where, raw["targets"], township is not None,
                                         city is not None)

    def positive(table: dict, key: str, default: Any, lo: float, hi: float, prefix: str):
        value = table.get(key, default)
        if not (math.isfinite(value) and lo <= value <= hi):
            shown = [f"{x:,}" if isinstance(x, int) else f"{x:g}" for x in (lo, hi)]
            raise SpecError(where, prefix + key, f"is {value!r}; expected {shown[0]} to "
                            f"{shown[1]}")
        return value

    start = opt.get("start", "random")
    if start not in ("random", "scenario"):
        raise SpecError(where, "optimizer.start", f"is {start!r}; expected \"random\" or "
                        "\"scenario\"")
    mutation = opt.get("mutation", [0.5, 1.0])
    if not (len(mutation) == 2 and all(isinstance(m, int | float) and not isinstance(m, bool)
                                       for m in mutation)
            and 0 <= mutation[0] <= mutation[1] <= 2):
        raise SpecError(where, "optimizer.mutation", "expected [low, high] with "
                        "0 <= low <= high <= 2")
    return CalibrationSpec(
        path=str(Path(path).resolve()), text=text, name=spec_name(where, raw, path),
        scenario=scenario, parameters=free, weights=weights,
        targets=targets, township=township,
        township_replicates=positive(raw, "township_replicates", 2, 1, 10_000, ""),
        replicates=positive(raw, "replicates", 20, 1, 10_000, ""),
        seed=positive(raw, "seed", 1, 0, 2**63 - 1, ""),
        popsize=positive(opt, "popsize", 6, 2, 1000, "optimizer."),
        maxiter=positive(opt, "maxiter", 25, 1, 100_000, "optimizer."),
        tol=positive(opt, "tol", 0.0, 0.0, 1e6, "optimizer."),
        optimizer_seed=positive(opt, "seed", 1, 0, 2**32 - 1, "optimizer."),
        mutation=(float(mutation[0]), float(mutation[1])),
        recombination=positive(opt, "recombination", 0.7, 0.0, 1.0, "optimizer."),
        start_from_scenario=start == "scenario",
        samples=positive(unc, "samples", 1000, 0, 10_000_000, "uncertainty."),
        box=positive(unc, "box", 0.3, 0.01, 1.0, "uncertainty."),
        final_replicates=positive(unc if method == "msm" else raw.get("check", {}),
                                  "final_replicates", 50, 1, 100_000,
                                  "uncertainty." if method == "msm" else "check."),
        city=city, city_replicates=positive(raw, "city_replicates", 1, 1, 10_000, ""),
        method=method, **_bayes_settings(where, raw, positive, free, scenario),
    )


def _bayes_settings(where: str, raw: dict, positive: Callable, free: tuple[Parameter, ...],
                    scenario: Scenario) -> dict[str, Any]:
    """The ABC-SMC tables of a spec: [abc], [screening], [check], [checks], [fixed]."""
    if raw.get("method", "msm") != "abc-smc":
        return {}
    from .abc_smc import AbcSettings
    from .screening import ScreeningSettings

    tables = {}
    for key, kinds in (("abc", _ABC), ("screening", _SCREENING), ("check", _CHECK),
                       ("checks", _CHECKS)):
        tables[key] = raw.get(key, {})
        if not isinstance(tables[key], dict):
            raise SpecError(where, key, f"expected a table [{key}]")
        check_keys(where, tables[key], kinds, key + ".")
    a, s, c, k = (tables[x] for x in ("abc", "screening", "check", "checks"))
    seed = raw.get("seed", 1)
    abc = AbcSettings(
        population=positive(a, "population", 300, 10, 1_000_000, "abc."),
        generations=positive(a, "generations", 8, 1, 1000, "abc."),
        # absent: every prior draw is accepted in the first generation
        initial_epsilon=positive(a, "initial_epsilon", 0.0, 1e-9, 1e9, "abc.")
        if "initial_epsilon" in a else math.inf,
        alpha=positive(a, "alpha", 0.5, 0.05, 0.95, "abc."),
        min_epsilon=positive(a, "min_epsilon", 0.0, 0.0, 1e9, "abc."),
        min_acceptance=positive(a, "min_acceptance", 0.02, 0.0, 1.0, "abc."),
        max_simulations=positive(a, "max_simulations", 30_000, 10, 10**9, "abc."),
        max_minutes=positive(a, "max_minutes", 50.0, 0.1, 60 * 24 * 30, "abc."),
        seed=seed)
    screening = None
    if s:
        levels = positive(s, "levels", 4, 2, 100, "screening.")
        if levels % 2:
            raise SpecError(where, "screening.levels", f"is {levels}; Morris needs an even "
                            "number of levels")
        screening = ScreeningSettings(
            trajectories=positive(s, "trajectories", 6, 2, 10_000, "screening."),
            levels=levels, factor=positive(s, "factor", 1.5, 1.01, 100.0, "screening."),
            replicates=positive(s, "replicates", 10, 1, 10_000, "screening."),
            threshold=positive(s, "threshold", 0.25, 0.0, 1e6, "screening."), seed=seed)
    checks = ChecksSettings(
        truths=positive(k, "truths", 5, 1, 1000, "checks."),
        population=positive(k, "population", 200, 10, 1_000_000, "checks."),
        generations=positive(k, "generations", 6, 1, 1000, "checks."),
        max_simulations=positive(k, "max_simulations", 8000, 10, 10**9, "checks."),
        min_acceptance=positive(k, "min_acceptance", 0.02, 0.0, 1.0, "checks."),
        draws=positive(k, "draws", 200, 10, 1_000_000, "checks."))
    fixed = raw.get("fixed", {})
    if not isinstance(fixed, dict):
        raise SpecError(where, "fixed", "expected a table [fixed] of \"section.key\" = \"reason\"")
    for name, reason in fixed.items():
        if name not in params.TUNABLE:
            raise SpecError(where, f"fixed.{name}", "is not a parameter of the model"
                            + suggest(name, list(params.TUNABLE)))
        if not isinstance(reason, str) or not reason.strip():
            raise SpecError(where, f"fixed.{name}", "expected a reason (text)")
        if name in {p.name for p in free}:
            raise SpecError(where, f"fixed.{name}", "is also a free parameter; expected one "
                            "or the other")
    return {"abc": abc, "screening": screening, "checks": checks, "fixed": dict(fixed),
            "posterior_draws": positive(c, "posterior_draws", 200, 10, 1_000_000, "check.")}


@dataclass(frozen=True)
class ChecksSettings:
    """The checks of an ABC-SMC calibration (``taobao-sim calibrate --checks``).

    Attributes:
        truths: synthetic data sets of the recovery test.
        population, generations, max_simulations, min_acceptance: each check's
            ABC-SMC (smaller than the calibration's: there are many of them).
        draws: posterior draws of each predictive check (one replicate each).
    """

    truths: int = 5
    population: int = 200
    generations: int = 6
    max_simulations: int = 8000
    min_acceptance: float = 0.02
    draws: int = 200


def _weighted_targets(where: str, table: Any, township: bool,
                      city: bool = False) -> tuple[dict[str, float], tuple[Target, ...]]:
    """The ``[targets]`` table: each target's weight, and its tolerance if the spec
    sets one (``{ weight = 1, center = ..., lower = ..., upper = ... }``)."""
    if not isinstance(table, dict):
        raise SpecError(where, "targets", "expected a table [targets]")
    weights: dict[str, float] = {}
    known = DINGLOU_TARGETS + (TOWNSHIP_TARGETS if township else ()) + \
        (CITY_TARGETS if city else ())
    targets = {t.id: t for t in known}
    for tid, w in table.items():
        if tid not in targets:
            hint = suggest(tid, list(targets))
            if tid in TARGETS_BY_ID:
                hint = " (H1 and H2 need city = a city scenario)" if tid.startswith("H") \
                    else " (T1 and P1 need township = a township scenario)"
            raise SpecError(where, f"targets.{tid}", "is not a target" + hint)
        if isinstance(w, dict):
            check_keys(where, w, {"weight": float, "center": float, "lower": float,
                                  "upper": float}, f"targets.{tid}.")
            for key, value in w.items():
                if not math.isfinite(value):
                    raise SpecError(where, f"targets.{tid}.{key}", f"is {value!r}; expected a "
                                    "finite number")
            t = targets[tid]
            lower, upper = w.get("lower", t.lower), w.get("upper", t.upper)
            if lower is not None and upper is not None and lower > upper:
                raise SpecError(where, f"targets.{tid}.lower", f"is {lower!r}, above upper "
                                f"{upper!r}")
            targets[tid] = dataclasses.replace(
                t, lower=lower, upper=upper, center=w.get("center", t.center),
                tolerance=f"{lower}-{upper} (set by the spec)")
            w = w.get("weight", 1.0)
        if isinstance(w, bool) or not isinstance(w, int | float) or not (math.isfinite(w)
                                                                        and w >= 0):
            raise SpecError(where, f"targets.{tid}", f"expected a finite weight >= 0, got {w!r}")
        if not TARGETS_BY_ID[tid].calibrate and w > 0:
            raise SpecError(where, f"targets.{tid}", "no parameter changes this target; "
                            "expected weight 0 or leave it out")
        weights[tid] = float(w)
    if not any(weights.values()):
        raise SpecError(where, "targets", "expected at least one target with weight > 0")
    return weights, tuple(targets[t.id] for t in known)


# -- evaluation ------------------------------------------------------------------

@dataclass
class Evaluation:
    """Targets of a batch of candidate parameter sets.

    Attributes:
        stats: (candidates, targets) ensemble statistic of each target.
        met: (candidates, targets) whether it is within tolerance.
        distance: (candidates,) the weighted sum of squared deviations.
    """

    stats: np.ndarray
    met: np.ndarray
    distance: np.ndarray


def evaluate_chunk(spec: CalibrationSpec, chunk: np.ndarray) -> np.ndarray:
    """Ensemble statistic of every target for a chunk of candidates, shape
    (candidates, targets). Every candidate runs the spec's replicates on the same
    seeds (common random numbers), offline too if a weighted target needs it, and
    its township if one does; each kind of run is one batch of universes. A
    module-level function, so that it can run in worker processes."""
    needs = {t.needs for t in spec.targets if spec.weights.get(t.id, 0.0) > 0}
    values = [dict(zip(spec.names, _cast(spec, v), strict=True)) for v in chunk]
    mains = [spec.scenario.replace(v) for v in values]
    runs = {"main": _batch(mains, spec.replicates, spec.seed)}
    if "counterfactual" in needs:
        runs["counterfactual"] = _batch([counterfactual_of(s) for s in mains],
                                        spec.replicates, spec.seed)
    if "township" in needs and spec.township is not None:
        runs["township"] = _batch([spec.township.replace(v) for v in values],
                                  spec.township_replicates, spec.seed)
    if "city" in needs and spec.city is not None:
        runs["city"] = _batch([spec.city.replace(v) for v in values], spec.city_replicates,
                              spec.seed)
    stats = np.full((len(chunk), len(spec.targets)), np.nan)
    for c in range(len(chunk)):
        one = Runs(**{kind: part[c] for kind, part in runs.items()})
        for k, t in enumerate(spec.targets):
            if t.available(one):
                stats[c, k] = t.statistic(t.values(one))
    return stats


def _batch(scenarios: list[Scenario], replicates: int, seed: int) -> list:
    """Each scenario's ensemble (the same replicate seeds for all), run as one batch of
    universes and split back into one RunOutput per scenario."""
    seeds = replicate_seeds(seed, replicates)
    out = simulate_universes([s for s in scenarios for _ in range(replicates)],
                             seeds * len(scenarios), list(range(replicates)) * len(scenarios))
    return [out.select(slice(c * replicates, (c + 1) * replicates))
            for c in range(len(scenarios))]


def _cast(spec: CalibrationSpec, values: np.ndarray) -> list[float | int]:
    return [p.cast(v) for p, v in zip(spec.parameters, values, strict=True)]


def scenario_for(spec: CalibrationSpec, values: np.ndarray) -> Scenario:
    """The base scenario with the free parameters set to ``values`` (model units)."""
    return spec.scenario.replace(dict(zip(spec.names, _cast(spec, values), strict=True)))


class Evaluator:
    """Runs candidate parameter sets (model units) in chunks on an executor."""

    def __init__(self, spec: CalibrationSpec, executor: Executor | None = None) -> None:
        self.spec = spec
        self.executor = executor or InProcess()
        self.targets = spec.targets
        self.weights = np.array([spec.weights.get(t.id, 0.0) for t in self.targets])
        self.runs = 0

    def __call__(self, values: np.ndarray) -> Evaluation:
        values = np.atleast_2d(values)
        per_chunk = max(1, CHUNK_UNIVERSES // self.spec.replicates)
        if type(self.executor) is not InProcess:  # spread a generation over the workers
            per_chunk = max(1, min(per_chunk, -(-len(values) // max(1, self.executor.workers))))
        chunks = {k: values[c0:c0 + per_chunk]
                  for k, c0 in enumerate(range(0, len(values), per_chunk))}
        stats = np.full((len(values), len(self.targets)), np.nan)
        for k, result in self.executor.map(evaluate_chunk, self.spec, chunks,
                                           name=f"cal-{self.spec.digest()[:12]}-{self.runs}"):
            stats[k * per_chunk:k * per_chunk + len(result)] = result
        self.runs += len(values) * self.spec.replicates
        met = np.array([[t.met(x) for t, x in zip(self.targets, row, strict=True)]
                        for row in stats])
        dev = np.array([[t.deviation(x) for t, x in zip(self.targets, row, strict=True)]
                        for row in stats])
        distance = (self.weights[None, :] * dev ** 2).sum(axis=1)
        return Evaluation(stats, met, distance)


# -- the calibration -------------------------------------------------------------

@dataclass
class CalibrationResult:
    """What a calibration found (also written to its folder)."""

    spec: CalibrationSpec
    best: dict[str, float | int]
    best_distance: float
    history: list[dict[str, Any]]
    rows: list[TargetRow]
    samples: np.ndarray
    sample_stats: np.ndarray
    sample_met: np.ndarray
    sample_distance: np.ndarray
    ranges: list[dict[str, Any]]
    runs: int
    wall_seconds: float
    folder: Path | None = None
    extra: dict = field(default_factory=dict)


def _checkpoint_path(folder: Path) -> Path:
    return folder / "checkpoint.npz"


def _save_checkpoint(folder: Path, **arrays: Any) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **{k: np.asarray(v) if not isinstance(v, str) else np.array(v)
                            for k, v in arrays.items()})

    rundir.atomic_write(_checkpoint_path(folder), write)


def _load_checkpoint(folder: Path) -> dict[str, Any]:
    path = _checkpoint_path(folder)
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def check_can_start(spec: CalibrationSpec, root: Path, resume: bool,
                    restart: bool = False) -> Path:
    """The work folder of the calibration, if it may start (or resume) there and no
    other process works in it; else a clear error. Nothing is created."""
    work = _check_state(spec, root, resume, restart)
    locks.check_free(work)
    return work


def _check_state(spec: CalibrationSpec, root: Path, resume: bool, restart: bool) -> Path:
    work = work_folder(root, spec)
    has_work = work.is_dir() and any(work.iterdir())
    if resume and restart:
        raise UsageError("--resume and --restart: expected one or the other")
    if resume and not has_work:
        raise UsageError(f"--resume: no unfinished calibration of {spec.path} under {root} "
                         f"(looked for {work})")
    if has_work and not (resume or restart):
        raise UsageError(f"an unfinished calibration of this spec is in {work}; add --resume "
                         "to continue it, or --restart to discard it")
    return work


@contextlib.contextmanager
def calibration_work(root: Path, spec: CalibrationSpec, resume: bool,
                     restart: bool = False) -> Iterator[Path]:
    """The work folder of a calibration, held by this process within the block.

    A failure or an interruption keeps the work (the checkpoint ``--resume``
    continues from; an :class:`~taobao_sim.core.lifeline.Interrupted` says where);
    a folder with no work yet is removed, with the folders made for it.
    """
    work = check_can_start(spec, root, resume, restart)
    created = rundir.make_folders(work.parent)
    try:
        with locks.folder_lock(work):
            _check_state(spec, root, resume, restart)  # again, now that we hold it
            if restart and work.exists():
                shutil.rmtree(work)
            work.mkdir(exist_ok=True)
            yield work
    except BaseException as exc:
        if not (work.is_dir() and any(work.iterdir())):
            shutil.rmtree(work, ignore_errors=True)
            rundir.remove_empty(created)
            raise
        if isinstance(exc, KeyboardInterrupt):
            raise interrupted(exc, f"the work so far is kept in {work}; add --resume to "
                              "continue") from None
        raise


def work_folder(root: Path, spec: CalibrationSpec) -> Path:
    """Where an unfinished calibration of this spec keeps its work."""
    return rundir.child_folder(Path(root) / "calibration", spec.name) / \
        f".partial-{spec.digest()[:16]}"


def calibrate(spec: CalibrationSpec, root: Path = Path("results"),
              executor: Executor | None = None, resume: bool = False,
              progress: StageProgress | None = None,
              command: list[str] | None = None, restart: bool = False,
              fmt: str = "png") -> CalibrationResult:
    """Run the whole calibration and write its folder; return what it found.

    Args:
        executor: where candidates run (default: this process, all numba threads).
        progress: called as ``progress(stage, done, total, note)``; the note gives
            the best distance so far.
    """
    t0 = time.perf_counter()
    started = provenance.now_iso()
    if spec.method == "abc-smc":
        raise UsageError(f"{spec.path}: method = \"abc-smc\" is run by "
                         "taobao_sim.experiments.bayes.calibrate_abc (taobao-sim calibrate "
                         "picks it by itself)")
    with calibration_work(root, spec, resume, restart) as work:
        state = _load_checkpoint(work)
        evaluator = Evaluator(spec, executor)
        evaluator.runs = int(state.get("runs", 0))
        report = progress or (lambda *a: None)

        def tick(stage: str, done: int, total: int, best: float) -> None:
            report(stage, done, total, f"best distance {best:.4g}" if best == best else "")

        # 1. optimise ------------------------------------------------------------------
        bounds = [p.search_bounds for p in spec.parameters]
        history = [dict(zip(("generation", "best_distance", "mean_distance"), row, strict=True))
                   for row in state.get("history", np.zeros((0, 3))).tolist()]
        best_x = state.get("best_x")
        generation = int(state.get("generation", 0))
        stage = str(state.get("stage", "optimize"))

        def to_model(x_search: np.ndarray) -> np.ndarray:
            return np.array([[p.from_search(v) for p, v in zip(spec.parameters, row, strict=True)]
                             for row in np.atleast_2d(x_search)], dtype=float)

        if stage == "optimize" and generation < spec.maxiter:
            def objective(x: np.ndarray) -> np.ndarray:  # x: (parameters, candidates)
                return evaluator(to_model(x.T)).distance

            def callback(intermediate_result) -> None:
                nonlocal generation
                generation += 1
                energies = intermediate_result.population_energies
                history.append({"generation": generation,
                                "best_distance": float(intermediate_result.fun),
                                "mean_distance": float(np.mean(energies))})
                _save_checkpoint(work, stage="optimize", generation=generation,
                                 population=intermediate_result.population,
                                 best_x=intermediate_result.x,
                                 history=[[h["generation"], h["best_distance"], h["mean_distance"]]
                                          for h in history], runs=evaluator.runs)
                tick("optimise", generation, spec.maxiter, float(intermediate_result.fun))

            init: Any = "latinhypercube"
            x0 = None
            if "population" in state:
                init = state["population"]
            elif spec.start_from_scenario:  # the base scenario's values join the first population
                x0 = np.clip([p.to_search(float(spec.scenario[p.name])) for p in spec.parameters],
                             [b[0] for b in bounds], [b[1] for b in bounds])
            tick("optimise", generation, spec.maxiter, history[-1]["best_distance"] if history
                 else float("nan"))
            res = differential_evolution(
                objective, bounds, popsize=spec.popsize, maxiter=spec.maxiter - generation,
                tol=spec.tol, mutation=spec.mutation, recombination=spec.recombination,
                rng=spec.optimizer_seed + generation, init=init, x0=x0, polish=False,
                vectorized=True, updating="deferred", callback=callback)
            best_x = res.x
            _save_checkpoint(work, stage="abc", generation=generation, best_x=best_x,
                             history=[[h["generation"], h["best_distance"], h["mean_distance"]]
                                      for h in history], runs=evaluator.runs)
        best_x = np.asarray(best_x, dtype=float)
        best_values = to_model(best_x)[0]

        # 2. uncertainty: rejection ABC in a box around the optimum ----------------------
        lo_b = np.array([b[0] for b in bounds])
        hi_b = np.array([b[1] for b in bounds])
        half = spec.box * (hi_b - lo_b)
        box_lo = np.maximum(lo_b, best_x - half)
        box_hi = np.minimum(hi_b, best_x + half)
        n = spec.samples
        if n:
            unit = qmc.LatinHypercube(d=len(bounds), rng=spec.seed).random(n)
            search = box_lo + unit * (box_hi - box_lo)
            samples = to_model(search)
        else:
            search = np.zeros((0, len(bounds)))
            samples = np.zeros((0, len(bounds)))
        T = len(spec.targets)
        done = int(state.get("abc_done", 0))
        sample_stats = np.full((n, T), np.nan)
        sample_met = np.zeros((n, T), dtype=bool)
        sample_distance = np.full(n, np.nan)
        if done:
            sample_stats[:done] = state["abc_stats"]
            sample_met[:done] = state["abc_met"]
            sample_distance[:done] = state["abc_distance"]
        step = max(1, CHUNK_UNIVERSES // spec.replicates)
        best_so_far = history[-1]["best_distance"] if history else float("nan")
        tick("uncertainty", done, n, best_so_far)
        while done < n:
            k = min(n, done + step)
            ev = evaluator(samples[done:k])
            sample_stats[done:k], sample_met[done:k], sample_distance[done:k] = \
                ev.stats, ev.met, ev.distance
            done = k
            _save_checkpoint(work, stage="abc", generation=generation, best_x=best_x,
                             history=[[h["generation"], h["best_distance"], h["mean_distance"]]
                                      for h in history], runs=evaluator.runs, abc_done=done,
                             abc_stats=sample_stats[:done], abc_met=sample_met[:done],
                             abc_distance=sample_distance[:done])
            tick("uncertainty", done, n, best_so_far)

        used = evaluator.weights > 0
        accepted = sample_met[:, used].all(axis=1) if n else np.zeros(0, bool)
        ranges = parameter_ranges(spec, best_values, samples, accepted, box_lo, box_hi, search)

        # 3. check the best with more replicates -------------------------------------
        tick("check", 0, 1, best_so_far)
        best_scenario = scenario_for(spec, best_values)
        rows = check_table(spec, best_scenario, evaluator)
        best_distance = float(history[-1]["best_distance"]) if history else float("nan")
        tick("check", 1, 1, best_distance)

        result = CalibrationResult(
            spec=spec, best=dict(zip(spec.names, best_values.tolist(), strict=True)),
            best_distance=best_distance, history=history, rows=rows, samples=samples,
            sample_stats=sample_stats, sample_met=sample_met, sample_distance=sample_distance,
            ranges=ranges, runs=evaluator.runs, wall_seconds=time.perf_counter() - t0,
            extra={"accepted": int(accepted.sum()), "box_lo": box_lo.tolist(),
                   "box_hi": box_hi.tolist(), "check_scenario": best_scenario},
        )
        result.folder = write_calibration(result, work, root, started, command, fmt)
        return result


def check_table(spec: CalibrationSpec, best: Scenario, evaluator: Evaluator) -> list[TargetRow]:
    """The target table at the calibrated values with the check's replicates (and the
    township's, if any), from the scenario's own seed."""
    n = spec.final_replicates
    runs = Runs(simulate(best, replicates=n, seed=best.seed),
                simulate(counterfactual_of(best), replicates=n, seed=best.seed))
    evaluator.runs += 2 * n
    rows = dinglou_targets(runs)
    if spec.township is not None:
        values = dict(zip(spec.names, [best[k] for k in spec.names], strict=True))
        k = max(spec.township_replicates, n // 5)
        township = simulate(spec.township.replace(values), replicates=k, seed=best.seed)
        evaluator.runs += k
        rows += township_targets(Runs(runs.main, township=township))
    if spec.city is not None:
        values = dict(zip(spec.names, [best[k] for k in spec.names], strict=True))
        k = max(spec.city_replicates, 3)
        city = simulate(spec.city.replace(values), replicates=k, seed=best.seed, panel=False)
        evaluator.runs += k
        rows += [t.row(Runs(runs.main, city=city)) for t in CITY_TARGETS]
    return rows


#: Accepted ABC samples needed before a parameter's range is judged.
MIN_ACCEPTED = 10


def parameter_ranges(spec: CalibrationSpec, best: np.ndarray, samples: np.ndarray,
                     accepted: np.ndarray, box_lo: np.ndarray, box_hi: np.ndarray,
                     search: np.ndarray) -> list[dict[str, Any]]:
    """Each parameter's range among the accepted samples, and a verdict.

    "identified": the accepted values use less than half of the searched box and
    stay clear of its edges (so the range is a real bound, not the box's).
    "weakly identified": they use less than 90% of the box.
    "not identified": they fill the box; the targets do not constrain it there.
    With fewer than :data:`MIN_ACCEPTED` accepted samples the range is reported but
    not judged: a handful of points says nothing about the width of the set that
    meets the targets.
    """
    out = []
    few = int(accepted.sum()) < MIN_ACCEPTED
    for j, p in enumerate(spec.parameters):
        row: dict[str, Any] = {"name": p.name, "unit": p.spec.unit, "doc": p.spec.doc,
                               "value": float(best[j]), "lower_bound": p.lower,
                               "upper_bound": p.upper, "log": p.log,
                               "box": [p.from_search(box_lo[j]), p.from_search(box_hi[j])]}
        if not accepted.any():
            row.update(low=None, high=None, share_of_box=None,
                       verdict="no sample met every target")
            out.append(row)
            continue
        x = search[accepted, j]
        width = box_hi[j] - box_lo[j]
        share = (x.max() - x.min()) / width if width > 0 else 0.0
        edge = 0.05 * width
        open_low = x.min() - box_lo[j] < edge and box_lo[j] > p.search_bounds[0]
        open_high = box_hi[j] - x.max() < edge and box_hi[j] < p.search_bounds[1]
        if few:
            verdict = f"not judged (fewer than {MIN_ACCEPTED} samples met every target)"
        elif share < 0.5 and not (open_low or open_high):
            verdict = "identified"
        elif share < 0.9:
            verdict = "weakly identified"
        else:
            verdict = "not identified"
        vals = samples[accepted, j]
        row.update(low=float(vals.min()), high=float(vals.max()),
                   p5=float(np.percentile(vals, 5)), p95=float(np.percentile(vals, 95)),
                   share_of_box=float(share), open_low=bool(open_low),
                   open_high=bool(open_high), verdict=verdict)
        out.append(row)
    return out


# -- writing ---------------------------------------------------------------------

def best_scenario_toml(result: CalibrationResult) -> str:
    """A scenario that extends the base with the calibrated values."""
    return best_scenario_toml_values(result.spec, result.best,
                                     f"best distance {result.best_distance:.4g}; "
                                     f"{result.runs} model runs")


def best_scenario_toml_values(spec: CalibrationSpec, values: dict[str, float | int],
                              note: str) -> str:
    """A scenario that extends the spec's base scenario with ``values``."""
    base = Path(spec.scenario.path)
    lines = [f"# Calibrated by `taobao-sim calibrate {Path(spec.path).name}`",
             f"# ({note}).",
             f'extends = "{base}"', f'name = "{spec.scenario.name}_calibrated"', ""]
    by_section: dict[str, list[str]] = {}
    for name, value in values.items():
        section, key = name.split(".", 1)
        v = int(value) if params.TUNABLE[name].kind == "int" else float(value)
        by_section.setdefault(section, []).append(f"{key} = {toml_value(v)}")
    for section, entries in by_section.items():
        lines += [f"[{section}]", *entries, ""]
    return "\n".join(lines)


def write_calibration(result: CalibrationResult, work: Path, root: Path, started: str,
                      command: list[str] | None, fmt: str = "png") -> Path:
    """Turn the work folder into a complete calibration folder (atomically). The
    report links PNG figures; ``fmt`` svg or pdf writes the figures in that format
    too."""
    spec = result.spec
    names = spec.names
    folder = work
    rundir.atomic_write_text(folder / "best.toml", best_scenario_toml(result))
    hist = pa.table({k: [h[k] for h in result.history]
                     for k in ("generation", "best_distance", "mean_distance")})
    rundir.write_table(folder, "history", hist)
    cols: dict[str, Any] = {n: result.samples[:, j] for j, n in enumerate(names)}
    for k, t in enumerate(spec.targets):
        cols[f"{t.id}_stat"] = result.sample_stats[:, k]
        cols[f"{t.id}_met"] = result.sample_met[:, k]
    cols["distance"] = result.sample_distance
    rundir.write_table(folder, "abc_samples", pa.table(cols))
    rundir.atomic_write_json(folder / "ranges.json", result.ranges)
    rundir.atomic_write_json(folder / "summary.json", {
        "calibration": spec.name, "replicates_in_check": spec.final_replicates,
        "best": result.best, "best_distance": result.best_distance,
        "rows": [r.as_dict() for r in result.rows],
        "all_met": all(bool(r.met) for r in result.rows),
        "abc": {"samples": len(result.samples), "accepted": result.extra["accepted"]},
        "model_runs": result.runs, "wall_seconds": round(result.wall_seconds, 1),
    })
    figs = folder / "figures"
    figs.mkdir(exist_ok=True)
    for kind in dict.fromkeys(("png", fmt)):
        calibration_figures(result, figs, kind)
    rundir.atomic_write_text(folder / "report.md", report_markdown(result))
    _checkpoint_path(folder).unlink(missing_ok=True)
    return finish_folder(spec, folder, command, started, result.wall_seconds, result.runs,
                         {"replicates": spec.seed, "optimizer": spec.optimizer_seed,
                          "replicate_seeds": replicate_seeds(spec.seed, spec.replicates)})


def finish_folder(spec: CalibrationSpec, folder: Path, command: list[str] | None,
                  started: str, wall_seconds: float, runs: int, seeds: dict) -> Path:
    """Write a calibration folder's manifest, then give the work folder its final
    name (a new run id under the spec's name); return that path."""
    rundir.atomic_write_json(folder / "manifest.json", provenance.manifest(
        "taobao-sim calibration", command, started, round(wall_seconds, 2), folder,
        model_runs=runs,
        spec={"path": spec.path, "text": spec.text, "digest_sha256": spec.digest()},
        scenario={"path": spec.scenario.path, "digest_sha256": spec.scenario.digest(),
                  "resolved": spec.scenario.resolved()},
        seeds=seeds))
    final = folder.parent / rundir.new_run_id(spec.seed)
    n = 2
    while final.exists():
        final = folder.parent / f"{rundir.new_run_id(spec.seed)}-{n}"
        n += 1
    folder.rename(final)
    return final


def identification_text(result: CalibrationResult) -> list[str]:
    """What the targets identify, in words, with the strongest trade-offs among the
    accepted samples (Spearman correlations of their values)."""
    groups: dict[str, list[str]] = {}
    for row in result.ranges:
        groups.setdefault(row["verdict"], []).append(f"`{row['name']}`")
    out = ["### What the targets identify", ""]
    order = ["identified", "weakly identified", "not identified"]
    for verdict in sorted(groups, key=lambda v: order.index(v) if v in order else len(order)):
        out.append(f"- {verdict[0].upper() + verdict[1:]}: {', '.join(groups[verdict])}.")
    spec = result.spec
    used = [i for i, t in enumerate(spec.targets) if spec.weights.get(t.id, 0) > 0]
    accepted = result.sample_met[:, used].all(axis=1) if len(result.samples) else \
        np.zeros(0, bool)
    if accepted.sum() >= 10 and len(spec.parameters) > 1:
        from scipy.stats import spearmanr

        rho = np.atleast_2d(spearmanr(result.samples[accepted]).statistic)
        pairs = sorted(((abs(rho[i, j]), rho[i, j], i, j) for i in range(len(rho))
                        for j in range(i + 1, len(rho))), reverse=True)[:3]
        text = "; ".join(f"`{spec.names[i]}` and `{spec.names[j]}` (rho = {r:+.2f})"
                         for _a, r, i, j in pairs if abs(r) >= 0.3)
        if text:
            out += ["", "Among the parameter sets that meet every target, the strongest "
                    f"trade-offs are {text}: the targets pin down these combinations more "
                    "than each parameter alone."]
    n_free, n_targets = len(spec.parameters), len(used)
    out += ["", f"{n_targets} weighted targets constrain {n_free} free parameters. A verdict "
            "of \"not identified\" means that, holding to every target, the parameter can "
            "take most values within the searched box around the optimum: treat its "
            "calibrated value as one plausible value, and test conclusions that depend on "
            "it with a sweep over its range."]
    return out


def _shown(path: str) -> str:
    """A path relative to the working folder where possible."""
    p = Path(path)
    return str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd()) else str(p)


def report_markdown(result: CalibrationResult) -> str:
    """A report of the calibration (docs/CALIBRATION.md is a copy of it)."""
    spec = result.spec
    lines = [
        f"# Calibration: {spec.name}",
        "",
        f"Base scenario `{Path(spec.scenario.path).name}`; {len(spec.parameters)} free "
        f"parameters; weighted targets {', '.join(t for t, w in spec.weights.items() if w)} "
        f"of docs/TARGETS.md"
        + (f" (T1 and P1 on `{Path(spec.township.path).name}`, {spec.township_replicates} "
           "replicates per candidate)" if spec.township is not None else "")
        + ". Method of simulated moments: "
        f"differential evolution (scipy; population {spec.popsize} per parameter, "
        f"{len(result.history)} generations"
        + (", the base scenario's values in the first population" if spec.start_from_scenario
           else "")
        + f"), {spec.replicates} replicates per candidate with "
        f"common random numbers (root seed {spec.seed}); then rejection ABC with "
        f"{len(result.samples)} Latin-hypercube samples in a box of ±{spec.box:.0%} of each "
        f"parameter's search range around the optimum, keeping samples that meet every "
        f"weighted target. {result.runs:,} model runs in {result.wall_seconds / 60:.1f} "
        f"minutes. The best candidate's distance at the calibration's own replicates is "
        f"{result.best_distance:.3g} (0: every weighted target met there); the table below "
        f"checks it on other replicates, from the scenario's seed.",
        "",
        "## Targets at the calibrated values",
        "",
        f"Ensemble of {spec.final_replicates} replicates (seed {spec.scenario.seed}).",
        "",
        "| | figure | real | mean | 5-95% | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result.rows:
        spread = interval(r.p5, r.p95, r.unit, " - ") if np.isfinite(r.p5) else "-"
        lines.append(f"| {r.id} | {r.label} | {r.real} | {by_unit(r.mean, r.unit)} | {spread} | "
                     f"{r.tolerance} | {'met' if r.met else '**missed**'} |")
    missed = [r.id for r in result.rows if not r.met]
    lines += ["", ("All targets are met." if not missed else
                   f"**Missed: {', '.join(missed)}.** The calibration did not find parameters "
                   "that meet these within their tolerance.")]
    lines += ["", "## Parameters", "",
              "Range: the values among the ABC samples that met every target (min - max); "
              "the verdict says whether the targets pin the parameter down within the "
              "searched box.", "",
              "| parameter | meaning | unit | calibrated | range | searched | verdict |",
              "|---|---|---|---|---|---|---|"]
    for row in result.ranges:
        if row.get("low") is None:
            rng_text = "-"
        else:
            low = number(row["low"]) + (" or less" if row.get("open_low") else "")
            high = number(row["high"]) + (" or more" if row.get("open_high") else "")
            rng_text = f"{low} - {high}"
        lines.append(f"| `{row['name']}` | {row['doc']} | {row['unit'] or '-'} | "
                     f"{number(row['value'])} | {rng_text} | {number(row['lower_bound'])} - "
                     f"{number(row['upper_bound'])}{' (log)' if row['log'] else ''} | "
                     f"{row['verdict']} |")
    lines += ["", f"{result.extra['accepted']} of {len(result.samples)} ABC samples met "
              "every weighted target.", "", *identification_text(result), "",
              "## Figures", "",
              "![Convergence](figures/calibration_convergence.png)", "",
              "![Target fit](figures/calibration_targets.png)", "",
              "![Parameter ranges](figures/calibration_ranges.png)", "",
              "## Reproduce", "", "```bash",
              f"taobao-sim calibrate {_shown(spec.path)}",
              "```", "",
              "The folder it writes holds `best.toml` (the calibrated values as a scenario), "
              "`history.csv`, `abc_samples.parquet`, `ranges.json`, `summary.json`, the "
              "figures and `manifest.json`. The run is deterministic: the same spec gives "
              "the same values. `--resume` continues an interrupted calibration from its "
              "last checkpoint (the ABC stage then gives exactly the same samples; a "
              "resumed optimisation restarts differential evolution from the saved "
              "population, so its path may differ from an uninterrupted run).", "",
              spec_help()]
    return "\n".join(lines)


def spec_help() -> str:
    """The calibration-spec reference appended to every report."""
    from importlib import resources

    return resources.files("taobao_sim").joinpath("data/calibration_spec.md").read_text("utf-8")


def publish_report(folder: Path, docs: Path, name: str = "dinglou") -> Path:
    """Copy a calibration's report and figures into a docs folder: for the Dinglou
    spec ``docs/CALIBRATION.md`` and ``docs/figures/calibration_*.png``; for a spec
    named otherwise ``docs/CALIBRATION_<NAME>.md`` and
    ``docs/figures/calibration_<name>_*.png``, so that one does not overwrite the other."""
    docs = Path(docs)
    (docs / "figures").mkdir(parents=True, exist_ok=True)
    prefix = "calibration_" if name == "dinglou" else f"calibration_{name}_"
    for png in sorted((Path(folder) / "figures").glob("calibration_*.png")):
        shutil.copyfile(png, docs / "figures" / png.name.replace("calibration_", prefix, 1))
    target = docs / ("CALIBRATION.md" if name == "dinglou" else f"CALIBRATION_{name.upper()}.md")
    text = (Path(folder) / "report.md").read_text(encoding="utf-8")
    rundir.atomic_write_text(target, text.replace("](figures/calibration_", f"](figures/{prefix}"))
    return target
