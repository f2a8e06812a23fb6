"""taobao-sim: an agent-based model of rural e-commerce ("Taobao villages").

Households decide to open online shops, to work for others' shops, to migrate
to the city or to come back; the model follows adoption, income, poverty and
migration month by month. Quick use::

    from taobao_sim import load_scenario, simulate, metrics
    s = load_scenario("scenarios/dinglou.toml")
    out = simulate(s, replicates=5)
    metrics.series(out, "shops", village=0)

The package is layered (docs/ARCHITECTURE.md): ``core`` (the model), ``io``
(files), ``engines`` (fast and Mesa), ``output`` (series, tables, targets, run
folders), ``figures``, ``experiments`` (sweeps, calibration, comparisons) and
``apps`` (command line, dashboard). This module re-exports what most users need.
"""

from __future__ import annotations

from typing import Any

from .core.errors import ScenarioError, TaobaoSimError
from .core.run_output import RunOutput
from .core.scenario import Scenario
from .core.version import __version__
from .engines import simulate, simulate_universes
from .io.scenario_file import load_scenario
from .output import metrics, targets


def __getattr__(name: str) -> Any:
    # the Mesa engine imports mesa (slow); load it only when asked for
    if name in ("TaobaoModel", "Household"):
        from .engines import mesa

        return getattr(mesa, name)
    raise AttributeError(f"module 'taobao_sim' has no attribute {name!r}")


__all__ = [
    "Household",
    "RunOutput",
    "Scenario",
    "ScenarioError",
    "TaobaoModel",
    "TaobaoSimError",
    "__version__",
    "load_scenario",
    "metrics",
    "simulate",
    "simulate_universes",
    "targets",
]
