"""Comparing scenarios (e.g. policies) on the same replicate seeds.

For each scenario and replicate: the poverty-exit year, the share of households
in the trade at the end, the income distribution in the last year (Gini of
income per head across households, and the mean income per head of the poorest
fifth), people returning home, public spending and people lifted out of
poverty (members of households registered poor at the start, before any
policy, less those poor at the last assessment). What a policy buys is an
effect over the baseline, replicate by replicate (:meth:`Comparison.effects`):
extra people lifted, extra spending, and the cost per extra person lifted.
Dividing a scenario's whole spending by everyone it lifts would credit a
policy with the people e-commerce lifts anyway. All scenarios use the same
replicate seeds (common random numbers), so differences between them are not
noise in the seeds.
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
from .posterior import Posterior

#: name -> (label, unit)
MEASURES: dict[str, tuple[str, str]] = {
    "poverty_exit_year": ("poverty-exit year", "year"),
    "engaged_end": ("households in the trade, end", "share"),
    "gini_last_year": ("Gini of income per head, last year", "0-1"),
    "bottom20_income": ("income per head of the poorest 20%, last year", "yuan/year"),
    "returns_total": ("people returning home", "people"),
    "public_cost": ("public spending", "million yuan"),
    "people_lifted": ("people lifted out of poverty", "people"),
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
    return {
        "poverty_exit_year": scalars["poverty_exit_year"],
        "engaged_end": scalars["participation_end"],
        "gini_last_year": ginis,
        "bottom20_income": bottom,
        "returns_total": scalars["returns_total"],
        "public_cost": cost / 1e6,
        "people_lifted": lifted.astype(float),
    }


#: name -> (label, unit) of a policy's effect over the baseline, per replicate.
EFFECTS: dict[str, tuple[str, str]] = {
    "exit_year_change": ("change of the poverty-exit year", "years"),
    "extra_people_lifted": ("extra people lifted out of poverty", "people"),
    "extra_public_cost": ("extra public spending", "million yuan"),
    "cost_per_extra_person": ("public cost per extra person lifted", "yuan"),
}


@dataclass
class Comparison:
    """Measures per scenario and replicate, and the runs behind them.

    Attributes:
        posterior: where the parameter sets came from in a posterior comparison
            (every scenario's replicate i runs with the same draw), else None.
    """

    names: list[str]
    values: dict[str, dict[str, np.ndarray]]  # scenario -> measure -> per replicate
    outputs: dict[str, RunOutput]
    replicates: int
    seed: int
    wall_seconds: float
    posterior: dict[str, Any] | None = None

    def effects(self) -> list[dict[str, Any]]:
        """Each scenario's effect over the first one (the baseline), replicate by
        replicate (same seeds, and in a posterior comparison the same parameter
        draw): median and 5-95% interval of each effect. A replicate in which a
        scenario never exits poverty counts as exiting the year after the run
        ends. The cost per extra person lifted is defined only where the scenario
        lifts more people than the baseline; the row says in how many replicates."""
        base = self.values[self.names[0]]
        last = self.outputs[self.names[0]].scenario.end // 12 + 1
        rows = []
        for name in self.names[1:]:
            v = self.values[name]
            extra_lifted = v["people_lifted"] - base["people_lifted"]
            extra_cost = v["public_cost"] - base["public_cost"]
            per = np.where(extra_lifted > 0, extra_cost * 1e6 / np.where(
                extra_lifted > 0, extra_lifted, 1), np.nan)
            exit_change = np.nan_to_num(v["poverty_exit_year"], nan=last) - \
                np.nan_to_num(base["poverty_exit_year"], nan=last)
            per_replicate = {"exit_year_change": exit_change,
                             "extra_people_lifted": extra_lifted,
                             "extra_public_cost": extra_cost, "cost_per_extra_person": per}
            row: dict[str, Any] = {"scenario": name, "baseline": self.names[0]}
            for key, x in per_replicate.items():
                row.update(summary(key, x))
            rows.append(row)
        return rows

    def table(self) -> list[dict[str, Any]]:
        """Each measure per scenario: median and 5-95% over the replicates, and in
        how many replicates it is defined (``_n``).

        A replicate that never exits poverty within the run is not dropped (the
        mean over the few that exit would show an exit year most replicates never
        reach): it counts as exiting after the run, and a statistic that falls on
        such replicates is None ("after the run").
        """
        rows = []
        for name in self.names:
            row: dict[str, Any] = {"scenario": name}
            for key in MEASURES:
                row.update(summary(key, self.values[name][key]))
            rows.append(row)
        return rows

    @property
    def last_year(self) -> int:
        """The last calendar year of the runs."""
        return int(self.outputs[self.names[0]].scenario.end // 12)


def summary(key: str, values: np.ndarray) -> dict[str, Any]:
    """Median, 5% and 95% quantiles and count of one measure's replicates, keyed
    ``key``, ``key_p5``, ``key_p95``, ``key_n``. Missing exit years count as after
    the run (quantiles falling there are None); other missing values are left out."""
    v = np.asarray(values, dtype=float)
    n = int(np.isfinite(v).sum())
    x = np.where(np.isnan(v), np.inf, v) if key == "poverty_exit_year" else v[np.isfinite(v)]
    if x.size == 0:
        return {key: None, f"{key}_p5": None, f"{key}_p95": None, f"{key}_n": n}
    # quantiles by the inverted CDF: an observed year, never one between two
    q = np.quantile(x, [0.5, 0.05, 0.95], method="inverted_cdf") \
        if key == "poverty_exit_year" else np.quantile(x, [0.5, 0.05, 0.95])
    shown = [float(y) if np.isfinite(y) else None for y in q]
    return {key: shown[0], f"{key}_p5": shown[1], f"{key}_p95": shown[2], f"{key}_n": n}


def compare(scenarios: list[Scenario], replicates: int | None = None, seed: int | None = None,
            threads: int | None = None, progress=None,
            posterior: Posterior | None = None) -> Comparison:
    """Run every scenario with the same replicate seeds and measure them. With a
    posterior, replicate i of every scenario runs with the same parameter set drawn
    from it, so effects carry parameter and stochastic uncertainty together."""
    t0 = time.perf_counter()
    n = replicates or scenarios[0].replicates
    root = seed if seed is not None else scenarios[0].seed
    values, outs, names = {}, {}, []
    for k, s in enumerate(scenarios):
        # a scenario given twice is told apart by a suffix that stays a safe name
        # (the names make the comparison's folder name)
        name, copy = s.name, 1
        while name in values:
            copy += 1
            name = f"{s.name}-{copy}"
        per_replicate = None if posterior is None else posterior.ensemble(s, root, n)[0]
        out = simulate(s, replicates=n, seed=root, threads=threads, panel=True,
                       per_replicate=per_replicate)
        values[name] = measures(out)
        outs[name] = out
        names.append(name)
        if progress:
            progress(k + 1, len(scenarios))
    source = None if posterior is None else {
        "digest_sha256": posterior.digest(), "particles": len(posterior),
        "source": posterior.meta}
    return Comparison(names, values, outs, n, root, time.perf_counter() - t0, source)


def write_comparison(cmp: Comparison, root: Path, command: list[str] | None,
                     fmt: str = "png") -> Path:
    """``results/compare/<names>/<run-id>/``: table (CSV, JSON), figures (``fmt``: png,
    svg or pdf), manifest."""
    with rundir.run_folder(Path(root) / "compare", "-".join(cmp.names)[:80],
                           rundir.new_run_id(cmp.seed)) as run:
        folder = run.path
        table = cmp.table()
        effects = cmp.effects()
        rundir.atomic_write_json(folder / "comparison.json", {
            "measures": {k: {"label": v[0], "unit": v[1]} for k, v in MEASURES.items()},
            "effects_measures": {k: {"label": v[0], "unit": v[1]} for k, v in EFFECTS.items()},
            "replicates": cmp.replicates, "seed": cmp.seed, "posterior": cmp.posterior,
            "rows": table, "effects": effects})
        rundir.write_table(folder, "comparison", pa.Table.from_pylist(table))
        if effects:
            rundir.write_table(folder, "effects", pa.Table.from_pylist(effects))
        (folder / "figures").mkdir()
        comparison_figures(cmp, MEASURES, folder / "figures", fmt)
        rundir.atomic_write_json(folder / "manifest.json", provenance.manifest(
            "taobao-sim compare", command, None, round(cmp.wall_seconds, 3), folder,
            scenarios=[{"name": n, "path": o.scenario.path,
                        "digest_sha256": o.scenario.digest()}
                       for n, o in cmp.outputs.items()],
            replicates=cmp.replicates, root_seed=cmp.seed, posterior=cmp.posterior))
    assert run.final is not None
    return run.final
