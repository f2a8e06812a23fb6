"""The Mesa engine: households as ``mesa.Agent`` objects (:mod:`.agents`), stepped by
a ``mesa.Model`` (:mod:`.model`), on the same village-month update as the fast
engine, so a replicate follows the same trajectory to the bit in either."""

from .agents import Household, Village
from .model import TaobaoModel, simulate_mesa

__all__ = ["Household", "TaobaoModel", "Village", "simulate_mesa"]
