"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC, pyabc).

The model is stochastic and its likelihood is unknown, so the posterior of the
free parameters is approximated by ABC-SMC (Toni et al. 2009; Klinger et al.
2018, pyabc): particles are drawn from the prior, then from perturbed earlier
populations, and kept when one simulated history of the village lies within a
shrinking distance ``epsilon`` of the observed one.

The pieces, each written once and shared by the calibration, the recovery test
on synthetic data and the leave-one-target-out checks:

- :class:`AbcProblem`: free parameters with their priors (uniform on the search
  scale: log-uniform for log parameters), the weighted targets and the runs
  they need (Dinglou alone, without e-commerce for D9, inside its township for
  T1 and P1).
- :func:`replicate_figures`: the figure of every target for one replicate per
  parameter set, run as one batch of universes.
- The distance (:meth:`AbcProblem.distance`): the root mean square of the
  targets' deviations in units of their tolerance (docs/TARGETS.md), weighted:
  distance 1 is "on average at the edge of every tolerance". One replicate is
  compared with the one observed history, as ABC requires; the model's noise is
  therefore part of the posterior rather than averaged away.
- :class:`TargetModel`: pyabc's integrated model. It runs the cheap Dinglou runs
  first and rejects at once if they alone exceed epsilon, so the township run (20
  times dearer) is only made for particles that can still be accepted.
- :class:`SeededMappingSampler`: pyabc's mapping sampler with a seed per task
  derived from the root seed and the generation, so that results do not depend
  on the number of workers or on the executor (in-process, local processes or a
  Dask cluster through ``--scheduler``). pyabc's own Dask sampler draws seeds
  from the operating system and is not reproducible.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyabc
from pyabc.sampler import MappingSampler

from ..core.scenario import Scenario
from ..engines import simulate_universes
from ..engines.fast import warm_up
from ..output.targets import Runs, Target, counterfactual_of
from .executors import Executor, InProcess
from .parameters import Parameter
from .posterior import Posterior, cast


@dataclass(frozen=True)
class AbcSettings:
    """How long ABC-SMC runs.

    Attributes:
        population: particles per generation.
        initial_epsilon: the first generation's epsilon (inf: every prior draw is
            accepted, so the first population is the prior's).
        alpha: each later epsilon is this quantile of the previous generation's
            distances.
        generations: at most this many generations (after the prior's).
        min_epsilon: stop once epsilon reaches this distance.
        min_acceptance: stop when a generation would accept fewer than this share
            of its simulations (the generation is abandoned, the last complete one
            is the posterior).
        max_simulations: stop after this many simulations in all.
        max_minutes: stop after this wall time (a generation is not cut short).
        seed: root seed of the particles and of their model runs.
    """

    population: int = 300
    initial_epsilon: float = math.inf
    alpha: float = 0.5
    generations: int = 8
    min_epsilon: float = 0.0
    min_acceptance: float = 0.02
    max_simulations: int = 30_000
    max_minutes: float = 50.0
    seed: int = 1


@dataclass(frozen=True)
class AbcProblem:
    """Priors, data and the runs a particle needs.

    Attributes:
        scenario: Dinglou alone (the base of every particle).
        township: Dinglou inside its township, for T1 and P1 (None: not used).
        parameters: the free parameters; their bounds are the prior's support.
        targets: the weighted targets (a target's interval or one-sided bound is
            the observed value with its tolerance).
        weights: one per target.
    """

    scenario: Scenario
    township: Scenario | None
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    weights: tuple[float, ...]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def pyabc_keys(self) -> list[str]:
        """pyabc's names for the parameters (no dots)."""
        return [f"p{j}" for j in range(len(self.parameters))]

    def without(self, target_id: str) -> AbcProblem:
        """The same problem with one target (or a group sharing an id prefix, e.g.
        "T1") left out."""
        keep = [k for k, t in enumerate(self.targets)
                if not (t.id == target_id or t.id.startswith(target_id + " "))]
        return dataclasses.replace(self, targets=tuple(self.targets[k] for k in keep),
                                   weights=tuple(self.weights[k] for k in keep))

    def stage(self, target: Target) -> str:
        return "township" if target.needs == "township" else "village"

    def values_of(self, z: np.ndarray) -> dict[str, float | int]:
        """Scenario values of a point of pyabc's space (:func:`from_normal`)."""
        return {p.name: p.from_search(float(v))
                for p, v in zip(self.parameters, from_normal(self, z), strict=True)}

    def deviations(self, figures: np.ndarray) -> np.ndarray:
        """(..., targets) deviations of per-replicate figures from the data."""
        f = np.asarray(figures, dtype=float)
        out = np.empty_like(f)
        for k, t in enumerate(self.targets):
            out[..., k] = np.vectorize(t.deviation, otypes=[float])(f[..., k])
        return out

    def distance(self, figures: np.ndarray, subset: np.ndarray | None = None) -> np.ndarray:
        """Weighted root mean square deviation; ``subset`` (bool per target): the
        part of the sum those targets make (over all targets' weights, so a partial
        distance never exceeds the whole)."""
        w = np.asarray(self.weights, dtype=float)
        d2 = self.deviations(figures) ** 2 * w
        if subset is not None:
            d2 = d2[..., subset]
        return np.sqrt(d2.sum(axis=-1) / w.sum())

    def inside(self, figures: np.ndarray) -> np.ndarray:
        """(..., targets) whether each replicate's figure lies in the target's range."""
        f = np.asarray(figures, dtype=float)
        out = np.zeros(f.shape, dtype=bool)
        for k, t in enumerate(self.targets):
            out[..., k] = np.vectorize(t.met, otypes=[bool])(f[..., k])
        return out


def replicate_figures(problem: AbcProblem, values: list[dict[str, Any]], seeds: list[int],
                      stages: tuple[str, ...] = ("village", "township")) -> np.ndarray:
    """Each target's figure for one replicate per parameter set (NaN for targets of
    a stage not run). Shape (sets, targets). The sets run as one batch of universes
    per kind of run; universe ``i`` uses ``seeds[i]`` in every kind (so D9's run
    without e-commerce shares its replicate's draws)."""
    n = len(values)
    out = np.full((n, len(problem.targets)), np.nan)
    if n == 0:
        return out
    needs = {t.needs for t in problem.targets}
    mains = [problem.scenario.replace(v) for v in values]
    ids = list(range(n))
    main = simulate_universes(mains, seeds, ids)
    runs = Runs(main)
    if "village" in stages and "counterfactual" in needs:
        runs = dataclasses.replace(runs, counterfactual=simulate_universes(
            [counterfactual_of(s) for s in mains], seeds, ids))
    if "township" in stages and "township" in needs and problem.township is not None:
        runs = dataclasses.replace(runs, township=simulate_universes(
            [problem.township.replace(v) for v in values], seeds, ids))
    for k, t in enumerate(problem.targets):
        if problem.stage(t) in stages and t.available(runs):
            out[:, k] = t.values(runs)
    return out


# -- pyabc -----------------------------------------------------------------------------

def prior(problem: AbcProblem) -> pyabc.Distribution:
    """The priors in pyabc's space: each parameter is uniform between its bounds on
    the search scale (log10 for log parameters), written as z = the normal
    quantile of its position in the bounds, so that z is standard normal.
    pyabc's normal perturbation kernels then work on an unbounded space whose
    prior has their own shape: on the bounded scale, kernels lose their mass
    at the box's faces and corners, and in a dozen dimensions the importance
    weights (prior over proposal density) become so uneven that a few particles
    carry all the weight."""
    return pyabc.Distribution(**{key: pyabc.RV("norm", 0.0, 1.0)
                                 for key in problem.pyabc_keys()})


def from_normal(problem: AbcProblem, z: np.ndarray) -> np.ndarray:
    """Search-scale values (log10 for log parameters) of points of pyabc's space:
    lower + (upper - lower) * Phi(z), uniform between the bounds when z is
    standard normal."""
    from scipy.special import ndtr

    lo = np.array([p.search_bounds[0] for p in problem.parameters])
    hi = np.array([p.search_bounds[1] for p in problem.parameters])
    return lo + (hi - lo) * ndtr(np.asarray(z, dtype=float))


class TargetModel(pyabc.IntegratedModel):
    """One replicate per particle, village stage first, township stage only if
    the particle can still be accepted."""

    def __init__(self, problem: AbcProblem) -> None:
        super().__init__(name="taobao-sim")
        self.problem = problem
        self.village = np.array([problem.stage(t) == "village" for t in problem.targets])

    def integrated_simulate(self, pars, eps):
        p = self.problem
        x = np.array([pars[k] for k in p.pyabc_keys()], dtype=float)
        values = p.values_of(x)
        # the particle's model seed comes from the task's seeded generator
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))
        figs = replicate_figures(p, [values], [seed], ("village",))
        partial = float(p.distance(figs, self.village)[0])
        if partial > eps:
            return pyabc.ModelResult(accepted=False)
        if not self.village.all():
            figs = np.where(self.village, figs, replicate_figures(p, [values], [seed],
                                                                  ("township",)))
        d = float(p.distance(figs)[0])
        if d > eps:
            return pyabc.ModelResult(accepted=False)
        return pyabc.ModelResult(accepted=True, distance=d, sum_stat={
            f"s{k}": float(v) for k, v in enumerate(figs[0])})


class SeededMappingSampler(MappingSampler):
    """pyabc's mapping sampler with reproducible seeds: task ``i`` of generation
    ``t`` seeds numpy and ``random`` from (root seed, t, i). Each task simulates
    until it accepts one particle; the generation is abandoned, as pyabc's own
    samplers do, when the tasks together need more than ``max_eval``
    simulations (population / min_acceptance)."""

    def __init__(self, map_: Callable, seed: int) -> None:
        super().__init__(map_=map_)
        self.seed = seed
        #: called with t as each generation starts (for progress; not pickled)
        self.on_generation: Callable[[int], None] | None = None
        #: the generation abandoned for too low an acceptance, if any
        self.abandoned: int | None = None

    def __getstate__(self):
        return (*super().__getstate__(), self.seed)

    def __setstate__(self, state):
        super().__setstate__(state[:-1])
        self.seed = state[-1]
        self.on_generation = None
        self.abandoned = None

    def map_function(self, simulate_one, task):
        seed, cap = task
        simulate_one = self.unpickle(simulate_one)
        np.random.seed(seed % 2**32)
        random.seed(seed)
        sample = self._create_empty_sample()
        n = 0
        while n < cap:
            new = simulate_one()
            n += 1
            sample.append(new)
            if new.accepted:
                break
        return sample, n

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        if self.on_generation:
            self.on_generation(t)
        states = np.random.SeedSequence([self.seed, t + 2]).generate_state(n, np.uint64)
        # a task may take ten times its share of max_eval before it gives up; the
        # generation is abandoned when all tasks together exceed max_eval (a
        # share of 1 would abandon generations whose acceptance is only a few
        # times min_acceptance, by bad luck in one task)
        cap = math.inf if all_accepted or not np.isfinite(max_eval) else \
            max(1, math.ceil(10 * max_eval / n))
        tasks = [(int(s), cap) for s in states]
        fn = functools.partial(self.map_function, self.pickle(simulate_one))
        results = self.map_(fn, tasks)
        sample = self._create_empty_sample()
        self.nr_evaluations_ = 0
        for part, evals in results:
            sample += part
            self.nr_evaluations_ += evals
        if sample.n_accepted < n or self.nr_evaluations_ > max_eval:
            sample.ok = False
            self.abandoned = t
        return sample


def _call(fn: Callable, task: Any) -> Any:
    return fn(task)


def executor_map(executor: Executor, tick: Callable[[int, int], None] | None = None):
    """``map(fn, tasks)`` in task order on an executor, ticking as tasks finish."""

    def map_(fn: Callable, tasks: list) -> list:
        tasks = list(tasks)
        results: list[Any] = [None] * len(tasks)
        finished = executor.map(_call, fn, dict(enumerate(tasks)), name="abc")
        for done, (k, res) in enumerate(finished, start=1):
            results[k] = res
            if tick:
                tick(done, len(tasks))
        return results

    return map_


@dataclass
class AbcRun:
    """What ABC-SMC produced.

    Attributes:
        posterior: the last generation's particles and weights (model units).
        figures: (particles, targets) the accepted replicate's figures.
        generations: per generation: t, epsilon, particles, simulations,
            acceptance rate, effective sample size.
        simulations: model simulations in all (each one replicate of Dinglou,
            without e-commerce, and of its township when it got that far).
        stopped: why the run stopped.
    """

    posterior: Posterior
    figures: np.ndarray
    generations: list[dict[str, float]]
    simulations: int
    stopped: str


def run_abc(problem: AbcProblem, settings: AbcSettings, db: Path,
            executor: Executor | None = None,
            progress: Callable[[str, int, int, str], None] | None = None,
            meta: dict | None = None) -> AbcRun:
    """Run ABC-SMC (or continue the run stored in ``db``, a SQLite file) and return
    its posterior. The database keeps every generation, so a killed run resumes
    from its last complete generation, to the same posterior as an uninterrupted
    run; once a run has stopped (``<db>.finished``), calling again only reads it."""
    executor = executor or InProcess()
    report = progress or (lambda *a: None)
    state = {"t": 0}
    warm_up(problem.scenario)

    def tick(done: int, total: int) -> None:
        report(f"generation {state['t']}", done, total, "")

    model = TargetModel(problem)
    sampler = SeededMappingSampler(executor_map(executor, tick), settings.seed)
    sampler.on_generation = lambda t: state.update(t=t)
    url = f"sqlite:///{Path(db).resolve()}"
    finished = Path(db).with_suffix(".finished")
    history = _stored(db)
    marker = Path(db).with_suffix(".abandoned")
    if history is not None and finished.exists():  # a resumed calibration past this stage
        return _result(problem, history, settings, meta or {},
                       int(marker.read_text()) if marker.exists() else None)
    t_done = history.max_t if history is not None else -1
    initial = settings.initial_epsilon
    if t_done >= 0:
        # pyabc applies the initial epsilon to the first generation of each run();
        # a resumed run's first is the quantile an uninterrupted run would take
        from pyabc.weighted_statistics import weighted_quantile

        wd = history.get_weighted_distances(t=t_done)
        w = wd.w.to_numpy(dtype=float)
        initial = float(weighted_quantile(points=wd.distance.to_numpy(), weights=w / w.sum(),
                                          alpha=settings.alpha))
    # the distance is computed inside the model; pyabc's is only a placeholder
    abc = pyabc.ABCSMC(model, prior(problem), distance_function=_unused_distance,
                       population_size=settings.population, sampler=sampler,
                       transitions=pyabc.MultivariateNormalTransition(),
                       eps=pyabc.QuantileEpsilon(initial_epsilon=initial, alpha=settings.alpha))
    remaining = settings.generations - t_done
    # pyabc logs several lines per generation; the caller reports progress itself
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        if t_done >= 0:
            abc.load(url, 1)
        else:
            Path(db).unlink(missing_ok=True)  # killed before its first generation was stored
            abc.new(url, {"observed": 0.0})
        if remaining > 0:
            with warnings.catch_warnings():
                # pyabc compares the first epsilon (inf) with the next by subtraction
                warnings.filterwarnings("ignore", "invalid value encountered in scalar "
                                        "subtract", RuntimeWarning)
                history = abc.run(minimum_epsilon=settings.min_epsilon,
                                  max_nr_populations=remaining,
                                  min_acceptance_rate=settings.min_acceptance,
                                  max_total_nr_simulations=settings.max_simulations,
                                  max_walltime=timedelta(minutes=settings.max_minutes))
        else:
            history = abc.history
    finally:
        logger.setLevel(level)
    finished.touch()
    if sampler.abandoned is not None:
        marker.write_text(str(sampler.abandoned))
    return _result(problem, history, settings, meta or {}, sampler.abandoned)


def _stored(db: Path):
    """The pyabc history in ``db`` if it holds a finished generation, else None."""
    if not Path(db).exists():
        return None
    try:
        history = pyabc.History(f"sqlite:///{Path(db).resolve()}")
        history.id = 1
        return history if history.max_t >= 0 else None
    except Exception:  # a database killed before its first generation was stored
        return None


def _unused_distance(x, x0):  # pragma: no cover - the integrated model never calls it
    return 0.0


def _result(problem: AbcProblem, history, settings: AbcSettings, meta: dict,
            abandoned: int | None = None) -> AbcRun:
    from pyabc.weighted_statistics import effective_sample_size

    pops = history.get_all_populations()
    pops = pops[pops.t >= 0]
    gens = []
    for _, row in pops.iterrows():
        t = int(row.t)
        _df, w = history.get_distribution(t=t)
        gens.append({"t": t, "epsilon": float(row.epsilon), "particles": len(w),
                     "simulations": int(row.samples),
                     "acceptance": float(len(w) / row.samples) if row.samples else float("nan"),
                     "ess": float(effective_sample_size(np.asarray(w)))})
    t = history.max_t
    df, w = history.get_distribution(t=t)
    x = from_normal(problem, df[problem.pyabc_keys()].to_numpy(dtype=float))
    values = np.array([[p.from_search(v) for p, v in zip(problem.parameters, row, strict=True)]
                       for row in x], dtype=float)
    _w2, stats = history.get_weighted_sum_stats(t=t)
    figures = np.array([[s[f"s{k}"] for k in range(len(problem.targets))] for s in stats])
    last = gens[-1] if gens else {}
    if last.get("epsilon", math.inf) <= settings.min_epsilon:
        stopped = f"epsilon reached {settings.min_epsilon:g}"
    elif len(gens) >= settings.generations + 1:
        stopped = f"{settings.generations} generations after the prior's"
    elif history.total_nr_simulations >= settings.max_simulations:
        stopped = f"{settings.max_simulations:,} simulations"
    elif abandoned is not None:
        stopped = (f"generation {abandoned} abandoned: its acceptance fell below "
                   f"{settings.min_acceptance:g}")
    else:
        stopped = f"the time limit ({settings.max_minutes:g} min)"
    posterior = Posterior(tuple(problem.names), values, np.asarray(w, dtype=float), meta)
    return AbcRun(posterior, figures, gens, int(history.total_nr_simulations), stopped)


def particle_values(posterior: Posterior, rows: np.ndarray) -> list[dict[str, Any]]:
    return [{n: cast(n, v) for n, v in zip(posterior.names, posterior.values[r], strict=True)}
            for r in rows]
