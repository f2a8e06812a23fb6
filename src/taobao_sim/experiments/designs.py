"""Designs: which parameter sets an experiment runs.

Full factorial grid, Latin hypercube (scipy), Sobol/Saltelli and Morris (SALib).
A :class:`Design` turns a tuple of :class:`~taobao_sim.experiments.parameters.Parameter`
into points (one row per parameter set, in the parameters' units).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import SpecError
from ..core.scenario import suggest
from ..io.spec_file import check_keys
from .parameters import Parameter

DESIGNS = ("grid", "lhs", "sobol", "morris")
_TABLE = {"kind": str, "samples": int, "levels": int, "second_order": bool, "seed": int}


@dataclass(frozen=True)
class Design:
    """How to choose parameter sets.

    Attributes:
        kind: "grid", "lhs", "sobol" or "morris".
        samples: Latin-hypercube points, Sobol base samples (a power of two) or
            Morris trajectories (unused by a grid).
        levels: Morris grid levels (even).
        second_order: Sobol second-order indices too.
        seed: seed of the sampler.
    """

    kind: str = "grid"
    samples: int = 0
    levels: int = 4
    second_order: bool = False
    seed: int = 1

    @property
    def needs(self) -> str:
        """What its parameters must give: "values" (a grid) or "bounds"."""
        return "values" if self.kind == "grid" else "bounds"

    def problem(self, parameters: tuple[Parameter, ...]) -> dict[str, Any]:
        """The SALib problem (bounds on the log10 scale for log parameters)."""
        return {"num_vars": len(parameters), "names": [p.name for p in parameters],
                "bounds": [list(p.search_bounds) for p in parameters]}

    def points(self, parameters: tuple[Parameter, ...]) -> np.ndarray:
        """The design's parameter sets, shape (points, parameters), model units."""
        P = parameters
        if self.kind == "grid":
            return np.array(list(itertools.product(*(p.values for p in P))), dtype=float)
        if self.kind == "lhs":
            from scipy.stats import qmc

            u = qmc.LatinHypercube(d=len(P), rng=self.seed).random(self.samples)
            return np.column_stack([p.from_unit(u[:, j]) for j, p in enumerate(P)])
        if self.kind == "sobol":
            from SALib.sample import sobol

            x = sobol.sample(self.problem(P), self.samples,
                             calc_second_order=self.second_order, seed=self.seed)
        else:
            from SALib.sample import morris

            x = morris.sample(self.problem(P), self.samples, num_levels=self.levels,
                              seed=self.seed)
        return np.column_stack([10.0 ** x[:, j] if p.log else x[:, j]
                                for j, p in enumerate(P)])


def parse_design(where: str, table: Any) -> Design:
    """The ``[design]`` table of a sweep spec; errors name the file and the key."""
    if not isinstance(table, dict):
        raise SpecError(where, "design", "expected a table [design]")
    check_keys(where, table, _TABLE, "design.")
    kind = table.get("kind", "grid")
    if kind not in DESIGNS:
        raise SpecError(where, "design.kind", f"is {kind!r}; expected one of "
                        + ", ".join(DESIGNS) + suggest(kind, list(DESIGNS)))
    samples = table.get("samples", 0)
    if kind != "grid" and not 1 <= samples <= 10_000_000:
        raise SpecError(where, "design.samples", f"is {samples}; a {kind} design needs "
                        "samples from 1 to 10,000,000")
    if kind == "sobol" and samples & (samples - 1):
        lo = 1 << (samples.bit_length() - 1)
        raise SpecError(where, "design.samples", f"is {samples}; the Sobol (Saltelli) design "
                        f"needs a power of two, e.g. {lo} or {2 * lo}")
    levels = table.get("levels", 4)
    if kind == "morris" and (levels < 2 or levels % 2 or levels > 1000):
        raise SpecError(where, "design.levels", f"is {levels}; Morris needs an even number "
                        "from 2 to 1000")
    seed = table.get("seed", 1)
    if not 0 <= seed < 2**32:
        raise SpecError(where, "design.seed", f"is {seed}; expected 0 to {2**32 - 1}")
    return Design(kind, samples, levels, table.get("second_order", False), seed)
