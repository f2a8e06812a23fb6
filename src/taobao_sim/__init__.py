"""taobao-sim: an agent-based model of rural e-commerce ("Taobao villages").

Households decide to open online shops, to work for others' shops, to migrate
to the city or to come back; the model follows adoption, income, poverty and
migration month by month. Quick use::

    from taobao_sim import load_scenario, simulate
    s = load_scenario("scenarios/dinglou.toml")
    out = simulate(s, replicates=5)
"""

from . import _jit  # noqa: F401  (sets numba's cache folder before anything compiles)
from .engine import RunOutput, simulate, simulate_universes
from .errors import ScenarioError, TaobaoSimError
from .scenario import Scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "RunOutput",
    "Scenario",
    "ScenarioError",
    "TaobaoSimError",
    "__version__",
    "load_scenario",
    "simulate",
    "simulate_universes",
]
