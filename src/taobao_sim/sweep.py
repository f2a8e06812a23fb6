"""Parameter sweeps: designs, runs in chunks on local processes or a Dask cluster,
results streamed to Parquet, resumable.

A sweep spec (TOML) names a base scenario, the parameters to vary and a design
(full factorial grid, Latin hypercube, Sobol/Saltelli or Morris), the replicates
per point and what to record. Every run's seed comes from the spec's root seed
by ``SeedSequence(seed, spawn_key=(point, replicate))`` and is stored with its
row, so any run can be replayed alone (:func:`replay`) and results are the same
whatever the executor and the number of workers.

A sweep folder ``results/sweeps/<name>/<digest>/`` (the digest of the spec and
its scenario) holds ``spec.toml``, ``runs.parquet`` (run id, point, replicate,
seed, parameters), ``parts/`` (one Parquet file of outputs, and one of series,
per finished task, each written atomically), ``status.json`` and, once
complete, ``outputs.parquet``/``.csv`` and ``series.parquet``. An interrupted
sweep loses no finished task; ``resume=True`` runs only the missing ones.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import dates, metrics, params, provenance, results
from .errors import UsageError
from .scenario import Scenario
from .specfile import SpecError, check_keys, read_spec, suggest

DESIGNS = ("grid", "lhs", "sobol", "morris")

#: Scalar outputs recorded for every run: name -> description (unit).
OUTPUTS: dict[str, str] = {
    "participation_end": "share of households engaged in the last month (0-1)",
    "shops_end": "households whose shop sold in the last month",
    "sales_last_year_yuan": "online sales in the last (calendar) year, yuan",
    "poor_end": "households poor at the last assessment",
    "migrants_end": "people away in the city in the last month",
    "returns_total": "people who came back over the run",
    "first_shop_year": "year the first shop sold (NaN: never)",
    "poverty_exit_year": "first year from which no household is poor to the end (NaN: never)",
    "taobao_village_year": "first year a village meets the Taobao-village rule (NaN: never)",
    "taobao_villages_end": "villages meeting the Taobao-village rule in the last year",
}

DEFAULT_SERIES = ("participation", "shops", "sales_yuan", "poor", "migrants", "returns")


@dataclass(frozen=True)
class SweepParameter:
    """A varied parameter: a list of values (grid) or bounds (other designs)."""

    name: str
    spec: params.Param
    values: tuple[float, ...] = ()
    lower: float = 0.0
    upper: float = 0.0
    log: bool = False

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map [0, 1] to the bounds (on a log scale if asked)."""
        if self.log:
            return 10.0 ** (math.log10(self.lower) + u * (math.log10(self.upper)
                                                         - math.log10(self.lower)))
        return self.lower + u * (self.upper - self.lower)

    def cast(self, v: float) -> float | int:
        return int(np.rint(v)) if self.spec.kind == "int" else float(v)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec. Build with :func:`load_sweep`."""

    path: str
    text: str
    name: str
    scenario: Scenario
    parameters: tuple[SweepParameter, ...]
    design: str
    samples: int
    levels: int
    second_order: bool
    design_seed: int
    replicates: int
    seed: int
    every: str  # "month", "end" or "dates"
    record_dates: tuple[int, ...]
    series: tuple[str, ...]
    village: str  # "" = all villages summed
    runs_per_task: int

    def digest(self) -> str:
        key = json.dumps({"text": self.text, "scenario": self.scenario.digest()}, sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()

    def problem(self) -> dict[str, Any]:
        """The SALib problem (bounds on the log10 scale for log parameters)."""
        return {
            "num_vars": len(self.parameters),
            "names": [p.name for p in self.parameters],
            "bounds": [[math.log10(p.lower), math.log10(p.upper)] if p.log
                       else [p.lower, p.upper] for p in self.parameters],
        }

    def points(self) -> np.ndarray:
        """The design's parameter sets, (points, parameters), model units."""
        P = self.parameters
        if self.design == "grid":
            return np.array(list(itertools.product(*(p.values for p in P))), dtype=float)
        if self.design == "lhs":
            from scipy.stats import qmc

            u = qmc.LatinHypercube(d=len(P), rng=self.design_seed).random(self.samples)
            return np.column_stack([p.from_unit(u[:, j]) for j, p in enumerate(P)])
        if self.design == "sobol":
            from SALib.sample import sobol

            x = sobol.sample(self.problem(), self.samples, calc_second_order=self.second_order,
                             seed=self.design_seed)
        else:
            from SALib.sample import morris

            x = morris.sample(self.problem(), self.samples, num_levels=self.levels,
                              seed=self.design_seed)
        return np.column_stack([10.0 ** x[:, j] if p.log else x[:, j]
                                for j, p in enumerate(P)])

    def run_table(self) -> pa.Table:
        """Every run: id, point, replicate, seed and parameter values."""
        pts = self.points()
        n_p, R = len(pts), self.replicates
        point = np.repeat(np.arange(n_p), R)
        rep = np.tile(np.arange(R), n_p)
        cols: dict[str, Any] = {
            "run_id": np.arange(n_p * R, dtype=np.int64),
            "point": point.astype(np.int64),
            "replicate": rep.astype(np.int64),
            "seed": pa.array([run_seed(self.seed, p, r) for p, r in zip(point, rep,
                                                                        strict=True)],
                             type=pa.uint64()),
        }
        for j, p in enumerate(self.parameters):
            vals = [p.cast(v) for v in pts[point, j]]
            cols[p.name] = pa.array(vals, type=pa.int64() if p.spec.kind == "int"
                                    else pa.float64())
        return pa.table(cols)


def run_seed(root: int, point: int, replicate: int) -> int:
    """Seed of one run: ``SeedSequence(root, spawn_key=(point, replicate))``."""
    ss = np.random.SeedSequence(root, spawn_key=(int(point), int(replicate)))
    return int(ss.generate_state(1, dtype=np.uint64)[0])


_TOP = {"name": str, "description": str, "scenario": str, "seed": int, "replicates": int,
        "design": dict, "parameters": dict, "record": dict, "runs_per_task": int}
_DESIGN = {"kind": str, "samples": int, "levels": int, "second_order": bool, "seed": int}
_RECORD = {"every": str, "dates": list, "series": list, "village": str}
_PARAM = {"values": list, "range": list, "steps": int, "bounds": list, "log": bool}


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec; every error names the file and the key."""
    raw, text, where, scenario = read_spec(path, _TOP, ("scenario", "parameters", "design"))
    design = raw["design"]
    check_keys(where, design, _DESIGN, "design.")
    kind = design.get("kind", "grid")
    if kind not in DESIGNS:
        raise SpecError(where, "design.kind", f"is {kind!r}; expected one of "
                        + ", ".join(DESIGNS) + suggest(kind, DESIGNS))
    samples = design.get("samples", 0)
    if kind in ("lhs", "sobol", "morris") and samples < 1:
        raise SpecError(where, "design.samples", f"is {samples}; a {kind} design needs "
                        "samples >= 1")
    if kind == "sobol" and samples & (samples - 1):
        lo = 1 << (samples.bit_length() - 1)
        raise SpecError(where, "design.samples", f"is {samples}; the Sobol (Saltelli) design "
                        f"needs a power of two, e.g. {lo} or {2 * lo}")
    levels = design.get("levels", 4)
    if kind == "morris" and (levels < 2 or levels % 2):
        raise SpecError(where, "design.levels", f"is {levels}; Morris needs an even number "
                        ">= 2")

    if not raw["parameters"]:
        raise SpecError(where, "parameters", "expected at least one parameter to vary")
    plist = []
    for name, entry in raw["parameters"].items():
        dotted = f"parameters.{name}"
        spec = params.TUNABLE.get(name)
        if spec is None:
            raise SpecError(where, dotted, "is not a parameter of the model"
                            + suggest(name, tuple(params.TUNABLE)))
        if not isinstance(entry, dict):
            raise SpecError(where, dotted, "expected a table: { values = [...] }, "
                            "{ range = [lo, hi], steps = n } or { bounds = [lo, hi] }")
        check_keys(where, entry, _PARAM, dotted + ".")
        plist.append(_parameter(where, dotted, name, spec, entry, kind))
    if kind != "grid" and any(p.values for p in plist):
        bad = next(p for p in plist if p.values)
        raise SpecError(where, f"parameters.{bad.name}", f"gives values; a {kind} design "
                        "samples between bounds: expected { bounds = [lo, hi] }")

    record = raw.get("record", {})
    check_keys(where, record, _RECORD, "record.")
    every = record.get("every", "end")
    if every not in ("month", "end", "dates"):
        raise SpecError(where, "record.every", f"is {every!r}; expected \"month\", \"end\" or "
                        "\"dates\"")
    rec_dates = []
    for d in record.get("dates", []):
        try:
            m = dates.parse_month(d)
        except (ValueError, AttributeError) as exc:
            raise SpecError(where, "record.dates", f"{exc}") from None
        if not scenario.start <= m <= scenario.end:
            raise SpecError(where, "record.dates", f"has {d}, outside the run "
                            f"({dates.format_month(scenario.start)} to "
                            f"{dates.format_month(scenario.end)})")
        rec_dates.append(m)
    if every == "dates" and not rec_dates:
        raise SpecError(where, "record.dates", "is empty; every = \"dates\" needs months")
    series = tuple(record.get("series", DEFAULT_SERIES))
    known = tuple(c[0] for c in metrics.VILLAGE_COLUMNS)
    for s in series:
        if s not in known:
            raise SpecError(where, "record.series", f"has {s!r}, not a column"
                            + suggest(s, known))
    village = record.get("village", "")
    if village and village not in [v.name for v in scenario.villages]:
        raise SpecError(where, "record.village", f"is {village!r}, not a village of the "
                        "scenario" + suggest(village, [v.name for v in scenario.villages]))
    replicates = raw.get("replicates", 1)
    if replicates < 1:
        raise SpecError(where, "replicates", f"is {replicates}; expected at least 1")
    rpt = raw.get("runs_per_task", 64)
    if rpt < 1:
        raise SpecError(where, "runs_per_task", f"is {rpt}; expected at least 1")
    return SweepSpec(
        path=str(Path(path).resolve()), text=text, name=raw.get("name", Path(path).stem),
        scenario=scenario, parameters=tuple(plist), design=kind, samples=samples,
        levels=levels, second_order=design.get("second_order", False),
        design_seed=design.get("seed", 1), replicates=replicates, seed=raw.get("seed", 1),
        every=every, record_dates=tuple(rec_dates), series=series, village=village,
        runs_per_task=rpt,
    )


def _parameter(where: str, dotted: str, name: str, spec: params.Param, entry: dict,
               kind: str) -> SweepParameter:
    def in_range(v: float) -> None:
        if (spec.lo is not None and v < spec.lo) or (spec.hi is not None and v > spec.hi):
            raise SpecError(where, dotted, f"has {v:g}, outside the key's allowed range "
                            f"{spec.range_text()}")

    log = entry.get("log", False)
    if "values" in entry:
        vals = entry["values"]
        if not vals:
            raise SpecError(where, dotted + ".values", "is empty; expected at least one value")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            raise SpecError(where, dotted + ".values", "expected a list of numbers")
        for v in vals:
            in_range(v)
        return SweepParameter(name, spec, values=tuple(float(v) for v in vals))
    key = "range" if "range" in entry else "bounds" if "bounds" in entry else None
    if key is None:
        raise SpecError(where, dotted, "expected values = [...], range = [lo, hi] (with "
                        "steps) or bounds = [lo, hi]")
    pair = entry[key]
    if not (isinstance(pair, list) and len(pair) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)):
        raise SpecError(where, f"{dotted}.{key}", "expected [lower, upper]")
    lo, hi = float(pair[0]), float(pair[1])
    if not lo < hi:
        raise SpecError(where, f"{dotted}.{key}", f"is an empty range [{lo:g}, {hi:g}]; "
                        "expected lower < upper")
    in_range(lo)
    in_range(hi)
    if log and lo <= 0:
        raise SpecError(where, dotted, "log = true needs a lower bound > 0")
    if key == "range":
        steps = entry.get("steps", 0)
        if steps < 2:
            raise SpecError(where, dotted + ".steps", f"is {steps}; a range needs steps >= 2")
        vals = np.geomspace(lo, hi, steps) if log else np.linspace(lo, hi, steps)
        if kind == "grid":
            return SweepParameter(name, spec, values=tuple(float(v) for v in vals),
                                  lower=lo, upper=hi, log=log)
    return SweepParameter(name, spec, lower=lo, upper=hi, log=log)


# -- running ---------------------------------------------------------------------

def run_outputs(out, village: int | None) -> dict[str, np.ndarray]:
    """The scalar outputs of every universe of a run (see :data:`OUTPUTS`)."""
    def s(col: str) -> np.ndarray:
        return metrics.series(out, col, village)

    years = out.months // 12
    last_year = years[-1]
    _, poor_dec = metrics.yearly(out, "poor", village, how="december")
    uniq = np.unique(years)
    exit_year = np.full(len(poor_dec), np.nan)
    for u in range(len(poor_dec)):
        zero = poor_dec[u] == 0
        # first year from which the count stays at zero to the end
        for k in range(len(uniq)):
            if zero[k:].all():
                exit_year[u] = uniq[k]
                break
    first = out.first_open[:, :, 0] if village is None else out.first_open[:, [village], 0]
    first = np.where(first >= 0, first, np.iinfo(np.int64).max).min(axis=1)
    first_year = np.where(first < np.iinfo(np.int64).max, (out.months[0] + first) // 12,
                          np.nan)
    tv_years, status = metrics.taobao_villages(out)
    if village is not None:
        status = status[:, :, [village]]
    any_tv = status.any(axis=2)
    tv_year = np.where(any_tv.any(axis=1), tv_years[np.argmax(any_tv, axis=1)], np.nan)
    return {
        "participation_end": s("participation")[:, -1],
        "shops_end": s("shops")[:, -1],
        "sales_last_year_yuan": s("sales_yuan")[:, years == last_year].sum(axis=1),
        "poor_end": s("poor")[:, -1],
        "migrants_end": s("migrants")[:, -1],
        "returns_total": s("returns").sum(axis=1),
        "first_shop_year": first_year.astype(float),
        "poverty_exit_year": exit_year,
        "taobao_village_year": tv_year.astype(float),
        "taobao_villages_end": status[:, -1, :].sum(axis=1).astype(float),
    }


def run_task(spec: SweepSpec, rows: dict[str, list]) -> tuple[pa.Table, pa.Table | None]:
    """Run one task's runs (a batch of universes) and return its output and series
    tables. Runs in worker processes: numba uses one thread there."""
    from .engine import simulate_universes

    names = [p.name for p in spec.parameters]
    scenarios = [spec.scenario.replace({n: rows[n][k] for n in names})
                 for k in range(len(rows["run_id"]))]
    out = simulate_universes(scenarios, rows["seed"], rows["replicate"], panel=False)
    village = out.village_names.index(spec.village) if spec.village else None
    outputs = {"run_id": np.asarray(rows["run_id"], dtype=np.int64)}
    outputs.update(run_outputs(out, village))
    series = None
    if spec.every != "end":
        T = len(out.months)
        sel = np.arange(T) if spec.every == "month" else \
            np.flatnonzero(np.isin(out.months, spec.record_dates))
        n = len(outputs["run_id"])
        cols: dict[str, Any] = {
            "run_id": np.repeat(outputs["run_id"], len(sel)),
            "date": np.tile(np.array([dates.format_month(int(m)) for m in out.months[sel]]), n),
        }
        for name in spec.series:
            cols[name] = metrics.series(out, name, village)[:, sel].ravel()
        series = pa.table(cols)
    return pa.table(outputs), series


def _task_rows(runs: pa.Table, task: int, size: int) -> dict[str, list]:
    part = runs.slice(task * size, size)
    return {c: part.column(c).to_pylist() for c in part.column_names}


def _worker_init() -> None:
    """Worker processes run one numba thread each: the workers are the parallelism."""
    import numba

    numba.set_num_threads(1)


def _run_task_in_worker(spec: SweepSpec, rows: dict[str, list]):
    _worker_init()
    return run_task(spec, rows)


class Executor:
    """Where tasks run: this base class runs them one after another in this process
    (each task's kernel call uses all numba threads). ``run(spec, tasks)`` yields
    (task id, result) as tasks finish."""

    name = "inprocess"

    @property
    def workers(self) -> int:
        import numba

        return numba.get_num_threads()

    def run(self, spec: SweepSpec, tasks: dict[int, dict]) -> Iterator[tuple[int, Any]]:
        for task_id, rows in tasks.items():
            yield task_id, run_task(spec, rows)

    def close(self) -> None:
        pass


class LocalExecutor(Executor):
    """Local worker processes (spawned; each warms up from numba's cache)."""

    name = "local"
    workers = 1

    def __init__(self, workers: int) -> None:
        import concurrent.futures as cf
        import multiprocessing as mp

        self.workers = workers
        self._pool = cf.ProcessPoolExecutor(max_workers=workers,
                                            mp_context=mp.get_context("spawn"),
                                            initializer=_worker_init)

    def run(self, spec, tasks):
        import concurrent.futures as cf

        futures = {self._pool.submit(run_task, spec, rows): tid for tid, rows in tasks.items()}
        try:
            for fut in cf.as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """A Dask distributed cluster: a LocalCluster, or a scheduler at an address
    (e.g. one started by dask-jobqueue on Slurm)."""

    name = "dask"
    workers = 0

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 timeout: float = 5.0) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise UsageError(f"--scheduler {scheduler}: no Dask scheduler answered within "
                                 f"{timeout:g} s ({type(exc).__name__})") from None
        else:
            self._cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self.client = Client(self._cluster)
        self.workers = len(self.client.scheduler_info().get("workers", {})) or (workers or 0)

    def run(self, spec, tasks):
        from distributed import as_completed

        scattered = self.client.scatter(spec, broadcast=True)
        futures = {}
        for tid, rows in tasks.items():
            key = f"taobao-sim-{spec.digest()[:12]}-task-{tid}"
            futures[self.client.submit(_run_task_in_worker, scattered, rows, key=key,
                                       retries=3, pure=False)] = tid
        try:
            for fut in as_completed(list(futures)):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None = None, cluster: str | None = None,
                  scheduler: str | None = None) -> Executor:
    """``workers`` 0: in this process; ``cluster="local"``: a Dask LocalCluster;
    ``scheduler``: an existing Dask scheduler; otherwise local processes."""
    if scheduler:
        return DaskExecutor(scheduler=scheduler)
    if cluster == "local":
        return DaskExecutor(workers=workers or 2)
    if cluster not in (None, "processes"):
        raise UsageError(f"--cluster {cluster}: expected 'local'")
    if workers == 0:
        return Executor()
    return LocalExecutor(workers or os.cpu_count() or 1)


ProgressFn = Callable[[int, int], None]


def sweep_folder(root: Path, spec: SweepSpec) -> Path:
    return Path(root) / "sweeps" / spec.name / spec.digest()[:12]


def check_can_start(spec: SweepSpec, root: Path, resume: bool) -> Path:
    """The sweep's folder, if this sweep may start (or resume) there; else a clear error."""
    folder = sweep_folder(root, spec)
    status_path = folder / "status.json"
    if folder.exists() and not resume:
        state = json.loads(status_path.read_text()).get("state") if status_path.exists() \
            else "unknown"
        if state == "complete":
            raise UsageError(f"this sweep is already complete in {folder}; remove it or "
                             "choose another --out")
        raise UsageError(f"an unfinished run of this sweep is in {folder}; add --resume to "
                         "finish it, or remove the folder")
    if resume and not folder.exists():
        raise UsageError(f"--resume: no run of this sweep under {root} (looked for {folder})")
    return folder


def run_sweep(spec: SweepSpec, root: Path = Path("results"), executor: Executor | None = None,
              resume: bool = False, progress: ProgressFn | None = None,
              command: Sequence[str] | None = None) -> Path:
    """Run (or finish) a sweep; return its folder."""
    folder = check_can_start(spec, root, resume)
    status_path = folder / "status.json"
    parts = folder / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    runs = spec.run_table()
    if not (folder / "runs.parquet").exists():
        results.atomic_write_text(folder / "spec.toml", spec.text)
        results.write_table(folder, "runs", runs)
        results.atomic_write_json(status_path, {"state": "running",
                                                "started": provenance.now_iso()})
    n_runs = runs.num_rows
    size = spec.runs_per_task
    n_tasks = math.ceil(n_runs / size)
    done = {int(p.stem.split("-")[1]) for p in parts.glob("outputs-*.parquet")}
    todo = {t: _task_rows(runs, t, size) for t in range(n_tasks) if t not in done}
    finished = sum(min(size, n_runs - t * size) for t in done)
    tick = progress or (lambda d, n: None)
    tick(finished, n_runs)
    t0 = time.perf_counter()
    if todo:
        from .engine import simulate

        simulate(spec.scenario, replicates=1, seed=1, panel=False)  # fill numba's cache first
        own = executor is None
        executor = executor or make_executor()
        try:
            for tid, (outputs, series) in executor.run(spec, todo):
                results.atomic_write(parts / f"outputs-{tid:06d}.parquet",
                                     lambda tmp, t=outputs: pq.write_table(t, tmp))
                if series is not None:
                    results.atomic_write(parts / f"series-{tid:06d}.parquet",
                                         lambda tmp, t=series: pq.write_table(t, tmp))
                finished += outputs.num_rows
                tick(finished, n_runs)
        finally:
            if own:
                executor.close()
    _consolidate(spec, folder, runs, n_tasks, time.perf_counter() - t0, executor, command)
    return folder


def _consolidate(spec: SweepSpec, folder: Path, runs: pa.Table, n_tasks: int,
                 seconds: float, executor: Executor | None, command) -> None:
    parts = folder / "parts"
    tables = [pq.read_table(parts / f"outputs-{t:06d}.parquet") for t in range(n_tasks)]
    outputs = pa.concat_tables(tables).sort_by("run_id")
    ids = outputs.column("run_id").to_numpy()
    if not np.array_equal(ids, np.arange(runs.num_rows)):
        raise RuntimeError(f"sweep outputs do not cover every run exactly once ({folder})")
    results.write_table(folder, "outputs", outputs)
    if spec.every != "end":
        series = pa.concat_tables([pq.read_table(parts / f"series-{t:06d}.parquet")
                                   for t in range(n_tasks)]).sort_by([("run_id", "ascending")])
        results.atomic_write(folder / "series.parquet", lambda tmp: pq.write_table(series, tmp))
    status = json.loads((folder / "status.json").read_text())
    status.update(state="complete", finished=provenance.now_iso(), runs=runs.num_rows,
                  tasks=n_tasks)
    results.atomic_write_json(folder / "manifest.json", {
        "kind": "taobao-sim sweep", "command": list(command) if command else None,
        "spec": {"path": spec.path, "text": spec.text, "digest_sha256": spec.digest()},
        "scenario": {"path": spec.scenario.path, "digest_sha256": spec.scenario.digest()},
        "design": spec.design, "runs": runs.num_rows, "replicates": spec.replicates,
        "root_seed": spec.seed,
        "seed_rule": "run (point, replicate): numpy.random.SeedSequence(root_seed, "
                     "spawn_key=(point, replicate)).generate_state(1, uint64)[0]",
        "executor": executor.name if executor else None,
        "workers": executor.workers if executor else None,
        "wall_seconds_this_session": round(seconds, 3),
        "environment": provenance.environment(),
    })
    results.atomic_write_json(folder / "status.json", status)


def replay(folder: Path, run_id: int):
    """Re-run one run of a sweep alone; returns its outputs (same as in the sweep)."""
    folder = Path(folder)
    spec = load_sweep_from_folder(folder)
    runs = pq.read_table(folder / "runs.parquet")
    rows = {c: [runs.column(c)[run_id].as_py()] for c in runs.column_names}
    return run_task(spec, rows)


def load_sweep_from_folder(folder: Path) -> SweepSpec:
    """The spec a sweep folder was made from (its copy, with the original's path
    for resolving the scenario)."""
    manifest = folder / "manifest.json"
    original = json.loads(manifest.read_text())["spec"]["path"] if manifest.exists() else None
    spec_path = Path(original) if original and Path(original).exists() else folder / "spec.toml"
    return load_sweep(spec_path)


def read_results(folder: Path) -> tuple[pa.Table, pa.Table]:
    """The runs and outputs tables of a complete sweep."""
    folder = Path(folder)
    status = folder / "status.json"
    if not status.exists():
        raise UsageError(f"{folder}: not a sweep folder (no status.json)")
    if json.loads(status.read_text()).get("state") != "complete":
        raise UsageError(f"{folder}: this sweep is not complete; finish it with "
                         "`taobao-sim sweep SPEC --resume`")
    return pq.read_table(folder / "runs.parquet"), pq.read_table(folder / "outputs.parquet")


__all__ = ["DESIGNS", "OUTPUTS", "SweepSpec", "load_sweep", "make_executor", "replay",
           "run_sweep"]
