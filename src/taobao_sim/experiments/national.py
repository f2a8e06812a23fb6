"""A world of regions run region by region: the national run.

A [regions] scenario (:mod:`taobao_sim.core.regions`) is too large to hold as one
world's village-month records and its regions differ in parameters (courier
rates), so it runs as one task per (replicate, region): each task is a world of
its own with its own seed, streams its village-years
(:func:`taobao_sim.engines.fast.simulate_years`) and returns them with its
Taobao-village and Taobao-town counts. Tasks run in this process, on local
processes or on a Dask cluster (:mod:`taobao_sim.experiments.executors`) with the
same numbers, since each task's seed is fixed by (root seed, replicate, region).

What splitting by region leaves out (docs/ODD.md, 5.8): ties and commuting across
regional borders, and the coupling of regions through the market, which each
region faces in proportion to its households (``market.market_scale``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numba
import numpy as np

from ..core import regions
from ..core.records import N_VILLAGE_YEAR, Y
from ..core.rng import spawned_seed
from ..core.run_output import RegionResult
from ..core.scenario import Scenario
from ..engines.fast import simulate_years, warm_up
from ..output.metrics import taobao_town_rule, taobao_village_rule
from .executors import Executor, InProcess

#: A region's world gets one numba thread for every this many villages (at least one).
VILLAGES_PER_THREAD = 256


@dataclass(frozen=True)
class RegionTask:
    """One region of one replicate: its name, replicate number and 64-bit seed."""

    region: str
    replicate: int
    seed: int


def _index(labels: list[str]) -> tuple[list[str], np.ndarray]:
    unique = list(dict.fromkeys(labels))
    at = {name: k for k, name in enumerate(unique)}
    return unique, np.array([at[x] for x in labels], dtype=np.int64)


def region_scenario(base: Scenario, task: RegionTask) -> Scenario:
    """The scenario of one task: ``base`` restricted to its region, with the
    replicate's sample of townships."""
    return base.replace({"regions.province": task.region, "regions.sample_seed": task.replicate})


def run_region(base: Scenario, task: RegionTask,
               progress: Callable[[int, int], None] | None = None) -> RegionResult:
    """Run one region of one replicate, streaming its years (a module-level function,
    so it travels to worker processes)."""
    import time

    t0 = time.perf_counter()
    s = region_scenario(base, task)
    (region,) = regions.regions_of(s.regions, s.values)
    years: list[int] = []
    parts: list[np.ndarray] = []

    def keep(year: int, table: np.ndarray) -> None:
        years.append(year)
        parts.append(table.copy())

    # threads share the villages of each month: a small world is faster on fewer
    # (their synchronisation outweighs the work); the numbers are the same
    most = numba.get_num_threads()
    threads = max(1, min(most, len(s.villages) // VILLAGES_PER_THREAD))
    try:
        res = simulate_years(s, task.seed, keep, threads=threads, progress=progress)
    finally:
        numba.set_num_threads(most)
    table = np.stack(parts) if parts else np.zeros((0, len(s.villages), N_VILLAGE_YEAR))
    households = np.array([v.households for v in s.villages], dtype=np.int64)
    township_names, townships = _index([v.township for v in s.villages])
    county_names, counties = _index([v.county for v in s.villages])
    yrs = np.array(years, dtype=np.int64)
    sales, shops = table[..., Y.SALES_YUAN], table[..., Y.SHOPS]
    taobao = taobao_village_rule(sales, shops, households[None, :])
    towns = taobao_town_rule(yrs, taobao, sales, shops, townships, len(township_names))
    return RegionResult(
        region=task.region, replicate=task.replicate, seed=task.seed,
        scale=regions.region_scale(region, s.values), names=[v.name for v in s.villages],
        township_names=township_names, townships=townships, county_names=county_names,
        counties=counties, households=households, years=yrs, table=table, taobao=taobao,
        towns=towns, totals=res["totals"], wall_seconds=time.perf_counter() - t0,
        state_bytes=int(res["state_bytes"]))


def _run_task(base: Scenario, task: RegionTask) -> RegionResult:
    return run_region(base, task)


def region_tasks(scenario: Scenario, replicates: int, root_seed: int,
                 first: int = 0) -> dict[int, RegionTask]:
    """The tasks of a national run, largest region first (so the last tasks to finish
    are small ones). Replicate r of the region with code c has the seed
    ``SeedSequence(root_seed, spawn_key=(r, c))``."""
    chosen = regions.regions_of(scenario.regions, scenario.values)
    chosen.sort(key=lambda r: (-r.households, r.code))
    tasks = {}
    for r in range(first, first + replicates):
        for region in chosen:
            seed = spawned_seed(root_seed, (r, region.code))
            tasks[len(tasks)] = RegionTask(region.name, r, seed)
    return tasks


def light_base(scenario: Scenario) -> Scenario:
    """The scenario to send to workers: restricted to its smallest region, so that it
    carries few villages (each task rebuilds its own region's, at the same sample)."""
    chosen = regions.regions_of(scenario.regions, scenario.values)
    smallest = min(chosen, key=lambda r: r.villages)
    return scenario.replace({"regions.province": smallest.name})


def run_national(scenario: Scenario, replicates: int, root_seed: int,
                 executor: Executor | None = None,
                 progress: Callable[[int, int], None] | None = None
                 ) -> Iterator[RegionResult]:
    """Run every (replicate, region) task of a [regions] scenario; yield each result as
    it finishes (in any order: callers key them by region and replicate).

    ``progress(done, total)`` counts household-months; in this process it moves
    within each task, on workers as tasks finish.
    """
    if not scenario["regions.file"]:
        raise ValueError("run_national needs a scenario with a [regions] world")
    executor = executor or InProcess()
    tasks = region_tasks(scenario, replicates, root_seed)
    base = light_base(scenario)
    sizes = {r.name: r for r in regions.regions_of(scenario.regions, scenario.values)}
    months = scenario.months
    # households simulated in each task: known once its villages are drawn; the total
    # for the bar uses each region's households times its sampled share of townships
    expected = {tid: _expected_households(sizes[t.region], scenario, t.replicate) * months
                for tid, t in tasks.items()}
    total = sum(expected.values())
    done = 0
    if type(executor) is InProcess:  # here: progress within each task
        for tid, task in tasks.items():
            def moved(m: int, _t: int, _tid: int = tid, _done: int = done) -> None:
                if progress is not None:
                    progress(_done + expected[_tid] * m // months, total)
            result = run_region(base, task, progress=moved)
            done += expected[tid]
            yield result
        return
    # compiled here first, so that workers load it from numba's cache instead of all
    # compiling at once
    warm_up(base)
    for tid, result in executor.map(_run_task, base, tasks, name="region"):
        done += expected[tid]
        if progress is not None:
            progress(done, total)
        yield result


def _expected_households(region: regions.Region, scenario: Scenario, replicate: int) -> int:
    values = dict(scenario.values)
    values["regions.sample_seed"] = replicate
    return round(region.households / regions.region_scale(region, values))
