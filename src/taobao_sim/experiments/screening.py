"""Morris screening of every numeric model parameter against the calibration
targets: which parameters the targets can possibly inform.

Each parameter is moved over a range around the base scenario's value (a factor
``factor`` either way, evenly on a log scale; see :func:`screening_range`), on a
Morris design (SALib) of ``trajectories`` trajectories. Every design point runs
an ensemble (the calibration's evaluator: Dinglou, its run without e-commerce,
Dinglou inside its township) and each target's deviation from the data is
measured in units of its tolerance. A parameter's influence on a target is the
Morris mu* of that deviation: the mean absolute change, in tolerance units, when
the parameter moves across its range. A parameter is *influential* when its
largest mu* over the targets reaches ``threshold``.

Policy parameters are not screened: no policy runs in the base scenario.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import params
from .parameters import Parameter

#: Name of the dummy parameter that only changes the replicates' seeds.
SEED = "(replicate seeds)"
#: A parameter is influential on a target only where its mu* exceeds this many
#: times the seed dummy's (the noise floor).
NOISE_FACTOR = 2.0

#: Pairs whose order the scenario enforces: the low key moves only down, the
#: high key only up, so no design point breaks the order.
_LOW_OF_PAIR = {"market.goods_share_min", "market.courier_rate_min"}
_HIGH_OF_PAIR = {"market.goods_share_max", "market.courier_rate_max"}


@dataclass(frozen=True)
class ScreeningSettings:
    """Attributes:
        trajectories: Morris trajectories (each costs parameters + 1 points).
        levels: Morris grid levels.
        factor: each parameter moves between value / factor and value * factor.
        replicates: Dinglou replicates per point (its township runs one).
        threshold: mu* (tolerance units) from which a parameter is influential.
        seed: seed of the design and of the replicates.
    """

    trajectories: int = 6
    levels: int = 4
    factor: float = 1.5
    replicates: int = 10
    threshold: float = 0.25
    seed: int = 1


def screening_range(name: str, value: float, factor: float) -> tuple[float, float] | None:
    """The range a parameter is screened over, inside its allowed range, or None
    when a relative range is empty (the value is 0) or the key is a policy's."""
    spec = params.TUNABLE[name]
    if spec.section == "policy" or spec.kind not in ("float", "int") or value == 0:
        return None
    lo, hi = sorted((value / factor, value * factor))
    if name in _LOW_OF_PAIR:
        hi = value
    if name in _HIGH_OF_PAIR:
        lo = value
    if spec.lo is not None:
        lo = max(lo, spec.lo)
    if spec.hi is not None:
        hi = min(hi, spec.hi)
    if spec.kind == "int":
        lo, hi = float(np.floor(lo)), float(np.ceil(hi))
        lo = max(lo, spec.lo) if spec.lo is not None else lo
    return (float(lo), float(hi)) if hi > lo else None


def screened_parameters(scenario, factor: float) -> tuple[tuple[Parameter, ...], list[str]]:
    """Every parameter with a screening range, and the names left out."""
    chosen, left = [], []
    for name, spec in params.TUNABLE.items():
        r = screening_range(name, float(scenario[name]), factor) \
            if spec.kind in ("float", "int") else None
        if r is None:
            left.append(name)
            continue
        # a log scale where the range spans a factor (positive values)
        chosen.append(Parameter(name, spec, r[0], r[1], log=r[0] > 0))
    return tuple(chosen), left


def screen(spec, settings: ScreeningSettings, evaluator_type, executor=None,
           progress=None) -> dict[str, Any]:
    """Morris screening of a calibration spec's targets over every parameter.

    ``evaluator_type``: the calibration's evaluator
    (:class:`taobao_sim.experiments.calibrate.Evaluator`), which runs ensembles of
    parameter sets and measures the targets.

    Returns a dict: ``parameters`` (one entry per screened parameter: its range,
    mu* per target, the largest mu* and whether it is influential), ``left_out``
    (names not screened), ``points`` and ``model_runs``.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    screened, left = screened_parameters(spec.scenario, settings.factor)
    problem = {"num_vars": len(screened) + 1, "names": [p.name for p in screened] + [SEED],
               "bounds": [list(p.search_bounds) for p in screened] + [[0.0, 1.0]]}
    Xs = morris_sample.sample(problem, settings.trajectories, num_levels=settings.levels,
                              seed=settings.seed)
    X = np.column_stack([10.0 ** Xs[:, j] if p.log else Xs[:, j]
                         for j, p in enumerate(screened)])
    # the dummy "seed" parameter picks the replicates' root seed: its mu* is what
    # the model's noise alone does to a target (the noise floor)
    level = np.rint(Xs[:, -1] * (settings.levels - 1)).astype(int)
    targets = spec.targets
    dev = np.full((len(X), len(targets)), np.nan)
    done = 0
    runs = 0
    for lv in np.unique(level):
        sspec = dataclasses.replace(spec, parameters=screened, replicates=settings.replicates,
                                    township_replicates=1, seed=settings.seed + int(lv))
        evaluator = evaluator_type(sspec, executor)
        idx = np.flatnonzero(level == lv)
        for start in range(0, len(idx), 120):
            part = idx[start:start + 120]
            ev = evaluator(X[part])
            dev[part] = [[t.deviation(x) for t, x in zip(targets, row, strict=True)]
                         for row in ev.stats]
            done += len(part)
            if progress:
                progress("screening", done, len(X), "")
        runs += evaluator.runs
    used = [k for k, t in enumerate(targets) if spec.weights.get(t.id, 0) > 0]
    mu = np.zeros((len(screened) + 1, len(used)))
    for i, k in enumerate(used):
        res = morris_analyze.analyze(problem, Xs, dev[:, k], num_levels=settings.levels,
                                     print_to_console=False, seed=settings.seed)
        mu[:, i] = res["mu_star"]
    noise = {targets[k].id: float(mu[-1, i]) for i, k in enumerate(used)}
    rows = []
    for j, p in enumerate(screened):
        per = {targets[k].id: float(mu[j, i]) for i, k in enumerate(used)}
        # influential: above the threshold and above twice the noise floor on some target
        signal = {t: v for t, v in per.items() if v >= settings.threshold
                  and v > NOISE_FACTOR * noise[t]}
        top = max(signal or per, key=(signal or per).get)
        rows.append({"name": p.name, "value": float(spec.scenario[p.name]),
                     "range": [p.lower, p.upper], "mu_star": per, "max_mu_star": per[top],
                     "most_on": top, "influential": bool(signal)})
    rows.sort(key=lambda r: (not r["influential"], -r["max_mu_star"]))
    return {"parameters": rows, "noise_floor": noise, "left_out": left,
            "points": len(X), "model_runs": int(runs),
            "settings": dataclasses.asdict(settings)}


__all__ = ["ScreeningSettings", "screen", "screened_parameters", "screening_range"]
