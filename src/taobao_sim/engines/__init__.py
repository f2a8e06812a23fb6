"""The engines that run the model: the fast engine (numba, :mod:`.fast`) and the
Mesa engine (households as ``mesa.Agent`` objects, :mod:`.mesa`), both built on
the one village-month update in :mod:`.month`, so they give the same numbers.

:func:`simulate` runs an ensemble on either.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core import resources
from ..core.rng import replicate_seeds
from ..core.run_output import RunOutput
from ..core.scenario import Scenario
from .fast import ProgressFn, check_batch_fits, simulate_universes

#: Engine names accepted by :func:`simulate` and ``taobao-sim run --engine``.
ENGINES = ("numba", "mesa")


def simulate(
    scenario: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    progress: ProgressFn | None = None,
    panel: bool | None = None,
    engine: str = "numba",
    per_replicate: Sequence[Scenario] | None = None,
    trace: Sequence[int] | None = None,
) -> RunOutput:
    """Run an ensemble of a scenario.

    Args:
        scenario: the scenario.
        replicates: number of replicates (default: the scenario's).
        seed: root seed (default: the scenario's); replicate i's seed is spawned
            from it with SeedSequence spawn key (i,).
        threads: numba threads (default: numba's current setting).
        progress: callback ``progress(done, total)`` in months.
        panel: record the yearly household panel (default: ``output.households_panel``).
        engine: "numba" (the fast engine) or "mesa" (households as Mesa agents;
            same numbers, much slower; ``threads`` does not apply).
        per_replicate: a scenario for each replicate, differing from ``scenario``
            in parameters only (a posterior ensemble:
            :meth:`taobao_sim.experiments.posterior.Posterior.ensemble`).
        trace: households (numbered from 0, as in the household panel) whose whole
            state is recorded every month (fast engine; on the Mesa engine every
            agent's state is at hand in the model itself).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    n = replicates if replicates is not None else scenario.replicates
    root = seed if seed is not None else scenario.seed
    scenarios = [scenario] * n if per_replicate is None else list(per_replicate)
    if len(scenarios) != n:
        raise ValueError(f"{len(scenarios)} scenarios for {n} replicates")
    if engine == "mesa":
        from .mesa.model import simulate_mesa

        if trace:
            raise ValueError("a household trace is recorded by the fast engine (numba); "
                             "the Mesa engine's agents hold their state themselves")
        check_batch_fits(scenario, n, bool(scenario["output.households_panel"]) if panel is None
                         else panel, resources.MESA_BYTES_PER_HOUSEHOLD)
        return simulate_mesa(scenario, n, root, progress, panel, scenarios)
    return simulate_universes(scenarios, replicate_seeds(root, n), list(range(n)), threads,
                              progress, panel, trace)


__all__ = ["ENGINES", "RunOutput", "simulate", "simulate_universes"]
