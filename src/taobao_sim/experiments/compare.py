"""Comparing scenarios (e.g. policies) on the same replicate seeds.

For each scenario and replicate: the poverty-exit year, the share of households
in the trade at the end, the income distribution in the last year (Gini of
income per head across households, and the mean income per head of the poorest
fifth), people returning home, public spending, people lifted out of poverty
(members of households registered poor at the start, before any policy, less
those poor at the last assessment) and the public cost per person lifted.
All scenarios use the same replicate seeds (common random numbers), so
differences between them are not noise in the seeds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..core.records import H, M
from ..core.run_output import RunOutput
from ..core.scenario import Scenario
from ..engines import simulate
from ..figures.compare import comparison_figures
from ..output import metrics, provenance, rundir
from ..output.scalars import run_outputs

#: name -> (label, unit)
MEASURES: dict[str, tuple[str, str]] = {
    "poverty_exit_year": ("poverty-exit year", "year"),
    "engaged_end": ("households in the trade, end", "share"),
    "gini_last_year": ("Gini of income per head, last year", "0-1"),
    "bottom20_income": ("income per head of the poorest 20%, last year", "yuan/year"),
    "returns_total": ("people returning home", "people"),
    "public_cost": ("public spending", "million yuan"),
    "people_lifted": ("people lifted out of poverty", "people"),
    "cost_per_person_lifted": ("public cost per person lifted", "yuan"),
}


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 equal, 1 one has all)."""
    x = np.sort(np.clip(np.asarray(x, dtype=float), 0.0, None))
    n = x.size
    if n == 0 or x.sum() == 0:
        return 0.0
    return float((2.0 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def measures(out: RunOutput) -> dict[str, np.ndarray]:
    """Each measure per replicate, for the whole world of the scenario."""
    scalars = run_outputs(out, None)
    U = out.metrics.shape[0]
    # registered poor at the start (the first month still carries the initial
    # registration, made before any policy) against the last December assessment
    start = metrics.series(out, "poor_people")[:, 0]
    _years, december = metrics.yearly(out, "poor_people", how="december")
    lifted = start - december[:, -1] if december.shape[1] else np.zeros(U)
    cost = out.metrics[..., M.PUBLIC_COST_YUAN].sum(axis=(1, 2))
    ginis = np.full(U, np.nan)
    bottom = np.full(U, np.nan)
    if out.panel is not None and out.panel.shape[1]:
        income = out.panel[:, -1, :, H.INCOME_PER_HEAD_YUAN].astype(float)
        for u in range(U):
            ginis[u] = gini(income[u])
            k = max(1, income.shape[1] // 5)
            bottom[u] = float(np.sort(income[u])[:k].mean())
    per_person = np.where(lifted > 0, cost / np.where(lifted > 0, lifted, 1), np.nan)
    return {
        "poverty_exit_year": scalars["poverty_exit_year"],
        "engaged_end": scalars["participation_end"],
        "gini_last_year": ginis,
        "bottom20_income": bottom,
        "returns_total": scalars["returns_total"],
        "public_cost": cost / 1e6,
        "people_lifted": lifted.astype(float),
        "cost_per_person_lifted": per_person,
    }


@dataclass
class Comparison:
    """Measures per scenario and replicate, and the runs behind them."""

    names: list[str]
    values: dict[str, dict[str, np.ndarray]]  # scenario -> measure -> per replicate
    outputs: dict[str, RunOutput]
    replicates: int
    seed: int
    wall_seconds: float

    def table(self) -> list[dict[str, Any]]:
        rows = []
        for name in self.names:
            row: dict[str, Any] = {"scenario": name}
            for key in MEASURES:
                v = self.values[name][key]
                f = v[np.isfinite(v)]
                row[key] = float(f.mean()) if f.size else None
                row[key + "_p5"] = float(np.percentile(f, 5)) if f.size else None
                row[key + "_p95"] = float(np.percentile(f, 95)) if f.size else None
                row[key + "_n"] = int(f.size)
            rows.append(row)
        return rows


def compare(scenarios: list[Scenario], replicates: int | None = None, seed: int | None = None,
            threads: int | None = None, progress=None) -> Comparison:
    """Run every scenario with the same replicate seeds and measure them."""
    t0 = time.perf_counter()
    n = replicates or scenarios[0].replicates
    root = seed if seed is not None else scenarios[0].seed
    values, outs, names = {}, {}, []
    for k, s in enumerate(scenarios):
        name = s.name
        while name in values:
            name += "'"
        out = simulate(s, replicates=n, seed=root, threads=threads, panel=True)
        values[name] = measures(out)
        outs[name] = out
        names.append(name)
        if progress:
            progress(k + 1, len(scenarios))
    return Comparison(names, values, outs, n, root, time.perf_counter() - t0)


def write_comparison(cmp: Comparison, root: Path, command: list[str] | None) -> Path:
    """``results/compare/<names>/<run-id>/``: table (CSV, JSON), figures, manifest."""
    with rundir.run_folder(Path(root) / "compare", "-".join(cmp.names)[:80],
                           rundir.new_run_id(cmp.seed)) as run:
        folder = run.path
        table = cmp.table()
        rundir.atomic_write_json(folder / "comparison.json", {
            "measures": {k: {"label": v[0], "unit": v[1]} for k, v in MEASURES.items()},
            "replicates": cmp.replicates, "seed": cmp.seed, "rows": table})
        rundir.write_table(folder, "comparison", pa.Table.from_pylist(table))
        (folder / "figures").mkdir()
        comparison_figures(cmp, MEASURES, folder / "figures")
        rundir.atomic_write_json(folder / "manifest.json", provenance.manifest(
            "taobao-sim compare", command, None, round(cmp.wall_seconds, 3), folder,
            scenarios=[{"name": n, "path": o.scenario.path,
                        "digest_sha256": o.scenario.digest()}
                       for n, o in cmp.outputs.items()],
            replicates=cmp.replicates, root_seed=cmp.seed))
    assert run.final is not None
    return run.final
