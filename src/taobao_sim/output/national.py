"""The run folder of a national run (a [regions] world run region by region).

Written as tasks finish, so memory holds one region's village-years at a time:

- ``villages/province=<region>/replicate-<r>.parquet``: one row a simulated
  village and year (:data:`~taobao_sim.core.records.VILLAGE_YEAR` columns, its
  township, county, households and Taobao-village status), a Hive-partitioned
  Parquet dataset (``pyarrow.dataset.dataset(path, partitioning="hive")``);
- ``provinces.parquet/.csv``: one row a replicate, region and year: villages and
  townships simulated, Taobao villages and towns simulated and scaled to the
  whole region (times ``scale``), households, sales;
- ``national.csv``: Taobao villages and towns per year over the replicates (mean,
  5%, 50%, 95%), scaled, beside any published counts given;
- ``timeseries_provinces.parquet``: each region's village-month records summed,
  per replicate and month;
- ``summary.json``, ``manifest.json`` and ``figures/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core import dates
from ..core.names import name_from_stem
from ..core.records import VILLAGE_MONTH, VILLAGE_YEAR, Y
from ..core.run_output import RegionResult
from ..core.scenario import Scenario
from . import provenance
from .rundir import atomic_write_json, new_run_id, run_folder, write_table


def village_years_table(r: RegionResult) -> pa.Table:
    """One region's village-years as a table (one row a village and year)."""
    n_years, n_villages = len(r.years), len(r.names)
    cols: dict[str, Any] = {
        "replicate": np.full(n_years * n_villages, r.replicate, dtype=np.int32),
        "year": np.repeat(r.years, n_villages).astype(np.int16),
        "village": pa.array(r.names * n_years).dictionary_encode(),
        "township": pa.array([r.township_names[k] for k in r.townships] * n_years
                             ).dictionary_encode(),
        "county": pa.array([r.county_names[k] for k in r.counties] * n_years
                           ).dictionary_encode(),
        "village_households": np.tile(r.households, n_years).astype(np.int32),
    }
    for k, (name, _how) in enumerate(VILLAGE_YEAR):
        values = r.table[:, :, k].ravel()
        cols[name] = values if name.endswith("_yuan") else values.astype(np.int32)
    cols["taobao_village"] = r.taobao.ravel()
    return pa.table(cols)


def region_rows(r: RegionResult) -> list[dict[str, Any]]:
    """One row a year of a region's replicate: counts simulated and scaled."""
    rows = []
    for k, year in enumerate(r.years):
        villages = int(r.taobao[k].sum())
        towns = int(r.towns[k].sum())
        rows.append({
            "replicate": r.replicate, "province": r.region, "year": int(year),
            "villages_simulated": len(r.names), "townships_simulated": len(r.township_names),
            "households_simulated": int(r.households.sum()), "scale": r.scale,
            "taobao_villages_simulated": villages, "taobao_towns_simulated": towns,
            "taobao_villages": villages * r.scale, "taobao_towns": towns * r.scale,
            "sales_yuan": float(r.table[k, :, Y.SALES_YUAN].sum()) * r.scale,
            "shops": float(r.table[k, :, Y.SHOPS].sum()) * r.scale,
            "sellers": float(r.table[k, :, Y.SELLERS].sum()) * r.scale,
            "poor_people": float(r.table[k, :, Y.POOR_PEOPLE].sum()) * r.scale,
            "migrants": float(r.table[k, :, Y.MIGRANTS].sum()) * r.scale,
            "wall_seconds": r.wall_seconds,
        })
    return rows


def totals_table(r: RegionResult, start: int) -> pa.Table:
    """A region's village-month records summed over its villages, one row a month."""
    months = len(r.totals)
    cols: dict[str, Any] = {
        "replicate": np.full(months, r.replicate, dtype=np.int32),
        "province": [r.region] * months,
        "date": [dates.format_month(start + t) for t in range(months)],
    }
    for k, c in enumerate(VILLAGE_MONTH):
        cols[c.name] = r.totals[:, k]
    return pa.table(cols)


def national_table(rows: list[dict[str, Any]],
                   published: dict[int, dict[str, float]] | None = None) -> pa.Table:
    """Taobao villages and towns per year, summed over regions (scaled), over the
    replicates: mean, 5%, 50% and 95%, beside published counts where given."""
    years = sorted({r["year"] for r in rows})
    reps = sorted({r["replicate"] for r in rows})
    out: dict[str, list] = {"year": years}
    for what in ("taobao_villages", "taobao_towns"):
        per = np.zeros((len(reps), len(years)))
        for r in rows:
            per[reps.index(r["replicate"]), years.index(r["year"])] += r[what]
        out[f"{what}_mean"] = list(per.mean(axis=0))
        for q in (5, 50, 95):
            out[f"{what}_p{q}"] = list(np.percentile(per, q, axis=0))
        if published is not None:
            out[f"{what}_published"] = [published.get(y, {}).get(what, float("nan"))
                                        for y in years]
    return pa.table(out)


def top_regions(rows: list[dict[str, Any]], year: int, n: int = 5) -> list[tuple[str, float]]:
    """The ``n`` regions with the most Taobao villages in ``year`` (mean over replicates)."""
    totals: dict[str, list[float]] = {}
    for r in rows:
        if r["year"] == year:
            totals.setdefault(r["province"], []).append(r["taobao_villages"])
    means = sorted(((float(np.mean(v)), k) for k, v in totals.items()), reverse=True)
    return [(k, m) for m, k in means[:n]]


FiguresFn = Callable[[pa.Table, pa.Table, Scenario, Path], list[Path]]
"""Draws a national run's figures (national table, provinces table) into a folder."""


def write_national_run(scenario: Scenario, results: Iterable[RegionResult], root: Path,
                       root_seed: int, replicates: int, started: str, t0: float,
                       published: dict[int, dict[str, float]] | None = None,
                       figures: FiguresFn | None = None, command: list[str] | None = None,
                       executor: str = "in-process", workers: int = 1) -> tuple[Path, dict]:
    """Consume a national run's results into a new run folder; return its path and
    its summary. Nothing is left behind if the run fails or is interrupted."""
    with run_folder(root, scenario.name, new_run_id(root_seed)) as run:
        folder = run.path
        rows: list[dict[str, Any]] = []
        totals: list[pa.Table] = []
        tasks: list[dict[str, Any]] = []
        state_bytes = 0
        for r in results:
            part = folder / "villages" / f"province={name_from_stem(r.region)}"
            part.mkdir(parents=True, exist_ok=True)
            pq.write_table(village_years_table(r), part / f"replicate-{r.replicate}.parquet")
            rows += region_rows(r)
            totals.append(totals_table(r, scenario.start))
            tasks.append({"province": r.region, "replicate": r.replicate, "seed": r.seed,
                          "households": int(r.households.sum()), "villages": len(r.names),
                          "scale": r.scale, "wall_seconds": round(r.wall_seconds, 3)})
            state_bytes = max(state_bytes, r.state_bytes)
        rows.sort(key=lambda x: (x["replicate"], x["province"], x["year"]))
        provinces = pa.Table.from_pylist(rows)
        write_table(folder, "provinces", provinces)
        pq.write_table(pa.concat_tables(totals), folder / "timeseries_provinces.parquet")
        national = national_table(rows, published)
        write_table(folder, "national", national)
        summary = national_summary(scenario, rows, national, replicates)
        atomic_write_json(folder / "summary.json", summary)
        if figures is not None:
            (folder / "figures").mkdir()
            figures(national, provinces, scenario, folder / "figures")
        s = scenario
        atomic_write_json(folder / "manifest.json", provenance.manifest(
            "taobao-sim run (national)", command, started,
            {"total": round(time.perf_counter() - t0, 3)}, folder,
            engine="numba", executor=executor, workers=workers,
            scenario={"name": s.name, "path": s.path, "digest_sha256": s.digest(),
                      "files": [{"path": p, "text": t} for p, t in s.sources],
                      "resolved": s.resolved()},
            root_seed=root_seed, replicates=replicates, tasks=tasks,
            seed_rule="replicate r of the region with code c: numpy.random.SeedSequence("
                      "root_seed, spawn_key=(r, c)).generate_state(1, uint64)[0]",
            largest_task_state_bytes=state_bytes))
    assert run.final is not None
    return run.final, summary


def national_summary(scenario: Scenario, rows: list[dict[str, Any]], national: pa.Table,
                     replicates: int) -> dict[str, Any]:
    """What summary.json of a national run holds: the national curve, the top regions
    and how counts were scaled."""
    years = national.column("year").to_pylist()
    top = {str(y): top_regions(rows, y) for y in (2018, 2022) if y in years}
    return {
        "scenario": scenario.name, "table": "national", "replicates": replicates,
        "sample": scenario["regions.sample"],
        "scaling": "each region's counts are multiplied by its townships over the townships "
                   "simulated (the sample is a uniform draw of townships with all their "
                   "villages)",
        "national": national.to_pylist(),
        "top_provinces": {y: [{"province": k, "taobao_villages": v} for k, v in t]
                          for y, t in top.items()},
    }
