"""A posterior sample of parameter sets: what a Bayesian calibration produces and
what posterior ensembles (``taobao-sim run --posterior``, ``compare --posterior``)
draw from.

A posterior is a set of weighted particles: one row per parameter set (model
units, the scenario keys' own units) and a weight per row (summing to 1). It is
stored as Parquet (``posterior.parquet``: one column per parameter, a ``weight``
column, and the calibration's name, base scenario and spec digest in the file's
metadata), so that any tool reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core import params
from ..core.errors import UsageError
from ..core.scenario import Scenario
from ..io.files import file_problem, path_problem
from ..output import rundir

_META_KEY = b"taobao_sim.posterior"
#: Separates the posterior draws' random stream from the replicates' own.
_DRAW_STREAM = 0x5057


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter sets.

    Attributes:
        names: dotted scenario keys, one per column of ``values``.
        values: (particles, parameters) in the keys' units.
        weights: (particles,) non-negative, summing to 1.
        meta: where it came from (calibration name, base scenario, spec digest).
    """

    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        if self.values.shape != (w.size, len(self.names)):
            raise ValueError(f"values of shape {self.values.shape} for {w.size} weights and "
                             f"{len(self.names)} names")
        if w.size == 0 or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        object.__setattr__(self, "weights", w / w.sum())

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def ess(self) -> float:
        """Effective sample size of the weights (Kish): 1 / sum(w**2)."""
        return float(1.0 / np.sum(self.weights ** 2))

    def draw(self, n: int, seed: int) -> np.ndarray:
        """Indices of ``n`` particles drawn with replacement in proportion to their
        weights; the same seed gives the same draws."""
        rng = np.random.default_rng(seed)
        return rng.choice(len(self.weights), size=n, replace=True, p=self.weights)

    def draw_replicates(self, root_seed: int, replicate_ids: list[int]) -> np.ndarray:
        """The particle of each replicate of a posterior ensemble: replicate ``r``
        draws from its own generator (root seed, r), so it keeps its parameters
        whatever the number of replicates."""
        return np.array([np.random.default_rng([root_seed, r, _DRAW_STREAM]).choice(
            len(self.weights), p=self.weights) for r in replicate_ids], dtype=np.int64)

    def quantile(self, q: float | np.ndarray) -> np.ndarray:
        """Weighted quantiles of each parameter, shape (len(q), parameters) or
        (parameters,) for one q."""
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        out = np.empty((qs.size, len(self.names)))
        for j in range(len(self.names)):
            out[:, j] = weighted_quantile(self.values[:, j], self.weights, qs)
        return out[0] if np.ndim(q) == 0 else out

    def point(self) -> dict[str, float | int]:
        """A point estimate that is itself a posterior particle: the particle
        closest to the marginal medians, each parameter measured in units of its
        posterior 5-95% width. (The vector of marginal medians need not lie on the
        ridge of a correlated posterior; a particle does.)"""
        med = self.quantile(0.5)
        q = self.quantile(np.array([0.05, 0.95]))
        width = np.where(q[1] > q[0], q[1] - q[0], 1.0)
        d = (((self.values - med) / width) ** 2).sum(axis=1)
        best = self.values[int(np.argmin(d))]
        return {n: cast(n, v) for n, v in zip(self.names, best, strict=True)}

    def scenarios(self, base: Scenario, rows: np.ndarray) -> list[Scenario]:
        """``base`` with each chosen particle's values."""
        return [base.replace({n: cast(n, v) for n, v in zip(self.names, self.values[r],
                                                            strict=True)})
                for r in rows]

    def ensemble(self, base: Scenario, root_seed: int, replicates: int
                 ) -> tuple[list[Scenario], np.ndarray]:
        """Each replicate's scenario in a posterior ensemble of ``base``, and the
        particle each drew."""
        rows = self.draw_replicates(root_seed, list(range(replicates)))
        return self.scenarios(base, rows), rows

    def draws_table(self, rows: np.ndarray, replicate_ids: list[int]) -> pa.Table:
        """Which particle each replicate drew, with its values."""
        cols: dict[str, Any] = {"replicate": replicate_ids, "particle": rows.tolist()}
        cols.update({n: self.values[rows, j] for j, n in enumerate(self.names)})
        return pa.table(cols)

    def digest(self) -> str:
        import hashlib

        h = hashlib.sha256(np.ascontiguousarray(self.values).tobytes())
        h.update(np.ascontiguousarray(self.weights).tobytes())
        h.update(json.dumps(self.names).encode())
        return h.hexdigest()

    def write(self, path: Path) -> None:
        cols = {n: self.values[:, j] for j, n in enumerate(self.names)}
        cols["weight"] = self.weights
        table = pa.table(cols).replace_schema_metadata(
            {_META_KEY: json.dumps(self.meta, sort_keys=True).encode()})

        def write(tmp: Path) -> None:
            pq.write_table(table, tmp)

        rundir.atomic_write(Path(path), write)


def cast(name: str, value: float) -> float | int:
    """A value of the key's kind (whole numbers for integer keys)."""
    return int(np.rint(value)) if params.TUNABLE[name].kind == "int" else float(value)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantiles of ``x`` under weights ``w`` (inverse of the weighted empirical
    distribution, midpoint rule so that equal weights give the usual quantiles)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    keep = w > 0  # particles without weight are not part of the distribution
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = (np.cumsum(ws) - 0.5 * ws) / ws.sum()
    return np.interp(q, cum, xs)


def load_posterior(path: str | Path) -> Posterior:
    """Read a ``posterior.parquet`` (or the calibration folder holding one). Errors
    name the file and what was expected."""
    problem = path_problem(path)
    if not problem and Path(path).is_dir():
        path = Path(path) / "posterior.parquet"
    problem = problem or file_problem(path, "a posterior.parquet", max_bytes=2**31)
    if problem:
        raise UsageError(f"--posterior {path}: {problem}; expected a "
                         "posterior.parquet written by taobao-sim calibrate (or its folder)")
    path = Path(path)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise UsageError(f"--posterior {path}: not a Parquet file ({exc})") from None
    names = [c for c in table.column_names if c != "weight"]
    if "weight" not in table.column_names or not names:
        raise UsageError(f"--posterior {path}: expected parameter columns and a 'weight' "
                         "column")
    unknown = [n for n in names if n not in params.TUNABLE]
    if unknown:
        raise UsageError(f"--posterior {path}: column {unknown[0]!r} is not a scenario "
                         "parameter")
    meta_raw = (table.schema.metadata or {}).get(_META_KEY, b"{}")
    try:
        values = np.column_stack([table.column(n).to_numpy().astype(float) for n in names])
        return Posterior(tuple(names), values, table.column("weight").to_numpy().astype(float),
                         json.loads(meta_raw))
    except (ValueError, TypeError, pa.ArrowException) as exc:
        raise UsageError(f"--posterior {path}: {exc}") from None


__all__ = ["Posterior", "cast", "load_posterior", "weighted_quantile"]
