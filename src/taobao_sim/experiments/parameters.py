"""The parameters an experiment varies: one type for sweeps and calibration.

A :class:`Parameter` is a model key (:data:`taobao_sim.core.params.TUNABLE`) with
either a list of values (a grid) or bounds, searched or sampled on a linear or a
log scale. :func:`parse_parameters` reads them from a spec's ``[parameters]``
table, in any of these forms::

    "shops.imitation" = [0.05, 0.8]                          # bounds
    "shops.imitation" = { bounds = [0.05, 0.8], log = false }
    "shops.imitation" = { values = [0.1, 0.2, 0.4] }         # grid values
    "shops.imitation" = { range = [0.1, 0.4], steps = 4 }    # grid values, evenly spaced

and every error names the spec file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import params
from ..core.errors import SpecError
from ..core.scenario import suggest
from ..io.spec_file import check_keys

_ENTRY = {"values": list, "range": list, "steps": int, "bounds": list, "log": bool}


@dataclass(frozen=True)
class Parameter:
    """A varied model parameter.

    Attributes:
        name: dotted scenario key.
        spec: the key's definition (unit, meaning, allowed range).
        lower, upper: bounds in the key's unit (for a grid: its smallest and
            largest value).
        log: search or sample on a log10 scale.
        values: the grid's values (empty when the parameter is given by bounds).
    """

    name: str
    spec: params.Param
    lower: float
    upper: float
    log: bool = False
    values: tuple[float, ...] = ()

    def to_search(self, value: float) -> float:
        """A value on the search scale (log10 for log parameters)."""
        return math.log10(value) if self.log else value

    def from_search(self, x: float) -> float | int:
        """A value from the search scale, clipped to the bounds and cast to the key's kind."""
        v = 10.0 ** x if self.log else x
        return self.cast(min(max(v, self.lower), self.upper))

    @property
    def search_bounds(self) -> tuple[float, float]:
        return self.to_search(self.lower), self.to_search(self.upper)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map [0, 1] onto the bounds (evenly on the search scale)."""
        a, b = self.search_bounds
        x = a + np.asarray(u, dtype=float) * (b - a)
        return 10.0 ** x if self.log else x

    def cast(self, v: float) -> float | int:
        """A value of the key's kind (whole numbers for integer keys)."""
        return int(np.rint(v)) if self.spec.kind == "int" else float(v)


def parse_parameters(where: str, table: Any, need: str) -> tuple[Parameter, ...]:
    """The ``[parameters]`` table of a spec.

    Args:
        where: the spec file, for errors.
        table: the table as read from TOML.
        need: "values" (a grid: values or range with steps) or "bounds" (sampling
            and searching designs, and calibration).
    """
    if not isinstance(table, dict) or not table:
        raise SpecError(where, "parameters", "expected a table with at least one parameter "
                        "to vary")
    return tuple(_parse_one(where, name, entry, need) for name, entry in table.items())


def _parse_one(where: str, name: str, entry: Any, need: str) -> Parameter:
    dotted = f"parameters.{name}"
    spec = params.TUNABLE.get(name)
    if spec is None:
        raise SpecError(where, dotted, "is not a parameter of the model"
                        + suggest(name, list(params.TUNABLE)))
    if isinstance(entry, list):  # [lower, upper]: errors name the key itself
        if need == "values":
            raise SpecError(where, dotted, "gives bounds; a grid needs values = [...] or "
                            "range = [lo, hi] with steps = n")
        lo, hi = _pair(where, dotted, entry, spec)
        return Parameter(name, spec, lo, hi)
    if not isinstance(entry, dict):
        raise SpecError(where, dotted, "expected [lower, upper] or a table: { bounds = [lo, hi] }, "
                        "{ values = [...] } or { range = [lo, hi], steps = n }")
    check_keys(where, entry, _ENTRY, dotted + ".")
    log = entry.get("log", False)
    if "values" in entry:
        if need != "values":
            raise SpecError(where, f"{dotted}.values", "gives values; this design samples "
                            "between bounds: expected { bounds = [lo, hi] }")
        vals = [_number(where, f"{dotted}.values", v, spec) for v in entry["values"]]
        if not vals:
            raise SpecError(where, f"{dotted}.values", "is empty; expected at least one value")
        return Parameter(name, spec, min(vals), max(vals), log, tuple(vals))
    key = "range" if "range" in entry else "bounds" if "bounds" in entry else None
    if key is None:
        raise SpecError(where, dotted, "expected values = [...], range = [lo, hi] (with steps) "
                        "or bounds = [lo, hi]")
    lo, hi = _pair(where, f"{dotted}.{key}", entry[key], spec)
    if log and lo <= 0:
        raise SpecError(where, f"{dotted}.log", "a log scale needs a lower bound > 0")
    if key == "bounds":
        if need == "values":
            raise SpecError(where, f"{dotted}.bounds", "gives bounds; a grid needs values = "
                            "[...] or range = [lo, hi] with steps = n")
        return Parameter(name, spec, lo, hi, log)
    steps = entry.get("steps", 0)
    if steps < 2:
        raise SpecError(where, f"{dotted}.steps", f"is {steps}; a range needs steps >= 2")
    if need != "values":  # a range used as bounds by a sampling design
        return Parameter(name, spec, lo, hi, log)
    vals = np.geomspace(lo, hi, steps) if log else np.linspace(lo, hi, steps)
    return Parameter(name, spec, lo, hi, log, tuple(float(v) for v in vals))


def _number(where: str, dotted: str, v: Any, spec: params.Param) -> float:
    """A finite number inside the key's allowed range."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SpecError(where, dotted, f"expected numbers, got {v!r}")
    if not math.isfinite(v):
        raise SpecError(where, dotted, f"has {v!r}; expected finite numbers")
    if (spec.lo is not None and v < spec.lo) or (spec.hi is not None and v > spec.hi):
        raise SpecError(where, dotted, f"has {v:g}, outside the key's allowed range "
                        f"{spec.range_text()}")
    if spec.kind == "int" and v != int(v):
        raise SpecError(where, dotted, f"has {v:g}; the key takes whole numbers")
    return float(v)


def _pair(where: str, dotted: str, pair: Any, spec: params.Param) -> tuple[float, float]:
    """[lower, upper], both allowed values, lower < upper."""
    if not (isinstance(pair, list) and len(pair) == 2):
        raise SpecError(where, dotted, "expected [lower, upper]")
    lo, hi = (_number(where, dotted, v, spec) for v in pair)
    if not lo < hi:
        raise SpecError(where, dotted, f"is [{lo:g}, {hi:g}]; expected lower < upper")
    return lo, hi
