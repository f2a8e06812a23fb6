"""The Mesa engine: households as ``mesa.Agent`` objects (:mod:`.agents`) in a Mesa
network space of their ties (:mod:`.space`), stepped by a ``mesa.Model``
(:mod:`.model`), on the same village-month update as the fast engine, so a
replicate follows the same trajectory to the bit in either. :mod:`.app` is its
page for Mesa's SolaraViz (``solara run taobao_sim.engines.mesa.app``; needs the
``viz`` extra), imported only when asked for.
"""

from .agents import Household, Village
from .model import AGENT_REPORTERS, MODEL_REPORTERS, TaobaoModel, simulate_mesa
from .space import TiesNetwork

__all__ = ["AGENT_REPORTERS", "MODEL_REPORTERS", "Household", "TaobaoModel", "TiesNetwork",
           "Village", "simulate_mesa"]
