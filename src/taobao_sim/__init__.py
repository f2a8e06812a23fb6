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

import importlib
from typing import Any

from .core.version import __version__

# Attributes are imported when first used: `import taobao_sim` (and the command
# line, which lives inside the package) start in milliseconds, so a Ctrl-C right
# after starting a command meets its handler, not an import half done.
_LAZY = {
    "ScenarioError": "core.errors",
    "TaobaoSimError": "core.errors",
    "RunOutput": "core.run_output",
    "Scenario": "core.scenario",
    "simulate": "engines",
    "simulate_universes": "engines",
    "load_scenario": "io.scenario_file",
    "load_run": "output.saved",
    "SavedRun": "output.saved",
    "metrics": "output",
    "targets": "output",
    # the Mesa engine imports mesa (slow)
    "TaobaoModel": "engines.mesa",
    "Household": "engines.mesa",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name) if hasattr(module, name) else \
            importlib.import_module(f".{_LAZY[name]}.{name}", __name__)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'taobao_sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Household",
    "RunOutput",
    "SavedRun",
    "Scenario",
    "ScenarioError",
    "TaobaoModel",
    "TaobaoSimError",
    "__version__",
    "load_run",
    "load_scenario",
    "metrics",
    "simulate",
    "simulate_universes",
    "targets",
]
