"""Parameter sweeps: designs, runs in tasks on this process, local processes or a
Dask cluster, results streamed to Parquet, resumable.

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
import json
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core import dates
from ..core.errors import ScenarioError, SpecError, UsageError
from ..core.lifeline import interrupted
from ..core.records import BY_NAME, DERIVED
from ..core.rng import spawned_seed
from ..core.scenario import Scenario, suggest
from ..engines.fast import simulate_universes, warm_up
from ..io.files import file_problem, path_problem
from ..io.spec_file import check_keys, read_spec, spec_name
from ..output import locks, metrics, provenance, rundir
from ..output.scalars import run_outputs
from .designs import Design, parse_design
from .executors import Executor, InProcess
from .parameters import Parameter, parse_parameters

DEFAULT_SERIES = ("participation", "sellers", "sales_yuan", "poor", "migrants", "returns")

StageProgress = Callable[[str, int, int, str], None]
"""``progress(stage, done, total, note)``, shared by sweeps and calibration."""


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec. Build with :func:`load_sweep`."""

    path: str
    text: str
    name: str
    scenario: Scenario
    parameters: tuple[Parameter, ...]
    design: Design
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

    def points(self) -> np.ndarray:
        """The design's parameter sets, (points, parameters), model units."""
        return self.design.points(self.parameters)

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
    return spawned_seed(root, (int(point), int(replicate)))


_TOP = {"name": str, "description": str, "scenario": str, "seed": int, "replicates": int,
        "design": dict, "parameters": dict, "record": dict, "runs_per_task": int}
_RECORD = {"every": str, "dates": list, "series": list, "village": str}


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec; every error names the file and the key.

    Every design point is checked as a scenario here, before anything is written.
    """
    raw, text, where, scenario = read_spec(path, _TOP, ("scenario", "parameters", "design"))
    design = parse_design(where, raw["design"])
    plist = parse_parameters(where, raw["parameters"], design.needs)
    every, rec_dates, series, village = _record(where, raw.get("record", {}), scenario)
    replicates = _whole(where, raw, "replicates", 1, 1, 100_000)
    spec = SweepSpec(
        path=str(Path(path).resolve()), text=text, name=spec_name(where, raw, path),
        scenario=scenario, parameters=plist, design=design, replicates=replicates,
        seed=_whole(where, raw, "seed", 1, 0, 2**63 - 1), every=every,
        record_dates=rec_dates, series=series, village=village,
        runs_per_task=_whole(where, raw, "runs_per_task", 64, 1, 1_000_000),
    )
    check_points(spec, where)
    return spec


def _whole(where: str, raw: dict, key: str, default: int, lo: int, hi: int) -> int:
    value = raw.get(key, default)
    if not lo <= value <= hi:
        raise SpecError(where, key, f"is {value}; expected {lo:,} to {hi:,}")
    return value


def _record(where: str, record: Any, scenario: Scenario):
    """(every, months, series, village) of the spec's ``[record]`` table."""
    if not isinstance(record, dict):
        raise SpecError(where, "record", "expected a table [record]")
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
    series = record.get("series", list(DEFAULT_SERIES))
    known = [*BY_NAME, *DERIVED]
    for s in series:
        if s not in known:
            raise SpecError(where, "record.series", f"has {s!r}, not a column"
                            + suggest(str(s), known))
    village = record.get("village", "")
    names = [v.name for v in scenario.villages]
    if village and village not in names:
        raise SpecError(where, "record.village", f"is {village!r}, not a village of the "
                        "scenario" + suggest(village, names))
    return every, tuple(rec_dates), tuple(series), village


def check_points(spec: SweepSpec, where: str) -> None:
    """Every design point must make a valid scenario (e.g. a swept margin_min above
    the scenario's margin_max is an error of the spec, found before any run)."""
    names = [p.name for p in spec.parameters]
    for row in spec.points():
        values = {n: p.cast(v) for n, p, v in zip(names, spec.parameters, row, strict=True)}
        try:
            spec.scenario.replace(values)
        except ScenarioError as exc:
            shown = ", ".join(f"{n} = {v:g}" for n, v in values.items())
            raise SpecError(where, "parameters", f"the point ({shown}) makes an invalid "
                            f"scenario: {exc.key}: {exc.detail}") from None


# -- running ---------------------------------------------------------------------

def run_task(spec: SweepSpec, rows: dict[str, list]) -> tuple[pa.Table, pa.Table | None]:
    """Run one task's runs (a batch of universes) and return its output and series
    tables. Runs in worker processes: numba uses one thread there."""
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


def sweep_folder(root: Path, spec: SweepSpec) -> Path:
    return rundir.child_folder(Path(root) / "sweeps", spec.name, spec.digest()[:12])


def read_status(folder: Path) -> dict[str, Any]:
    """A sweep folder's ``status.json`` (empty if there is none).

    Raises:
        UsageError: if it is damaged (not JSON, not a table).
    """
    path = Path(folder) / "status.json"
    if not path.exists():
        return {}
    problem = file_problem(path, "a status file", max_bytes=2**20)
    try:
        status = json.loads(path.read_text(encoding="utf-8")) if not problem else None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problem = "cannot be read" if isinstance(exc, OSError) else "is not valid JSON"
        status = None
    if not isinstance(status, dict):
        raise UsageError(f"{path}: {problem or 'is not a JSON table'}; the sweep folder is "
                         "damaged: remove it and run the sweep again")
    return status


def check_can_start(spec: SweepSpec, root: Path, resume: bool) -> Path:
    """The sweep's folder, if this sweep may start (or resume) there and no other
    process works in it; else a clear error."""
    folder = _check_state(spec, root, resume)
    locks.check_free(folder)
    return folder


def _check_state(spec: SweepSpec, root: Path, resume: bool) -> Path:
    folder = sweep_folder(root, spec)
    problem = path_problem(folder)
    if problem:
        raise UsageError(f"{folder}: {problem}")
    if folder.exists() and not resume:
        state = read_status(folder).get("state", "unknown")
        if state == "complete":
            raise UsageError(f"this sweep is already complete in {folder}; remove it or "
                             "choose another --out")
        raise UsageError(f"an unfinished run of this sweep is in {folder}; add --resume to "
                         "finish it, or remove the folder")
    if resume and not folder.exists():
        raise UsageError(f"--resume: no run of this sweep under {root} (looked for {folder})")
    if resume:
        read_status(folder)
    return folder


def run_sweep(spec: SweepSpec, root: Path = Path("results"), executor: Executor | None = None,
              resume: bool = False, progress: StageProgress | None = None,
              command: Sequence[str] | None = None) -> Path:
    """Run (or finish) a sweep; return its folder.

    One process at a time works in a sweep's folder (a lock beside it). A failure
    or an interruption keeps every finished task (an
    :class:`~taobao_sim.core.lifeline.Interrupted` says how many runs), or removes
    the folder if none had finished.

    Args:
        executor: where the tasks run (default: this process).
        progress: called as ``progress("runs", done, total, "")``.
    """
    folder = check_can_start(spec, root, resume)
    created = rundir.make_folders(folder.parent)
    try:
        with locks.folder_lock(folder):
            _check_state(spec, root, resume)  # again: another may have started meanwhile
            _run_tasks(spec, folder, executor or InProcess(), progress, command)
    except BaseException as exc:
        done = _finished_runs(spec, folder)
        if done == 0 and not resume:
            shutil.rmtree(folder, ignore_errors=True)
            rundir.remove_empty(created)
            raise
        if isinstance(exc, KeyboardInterrupt):
            raise interrupted(exc, f"{done:,} of {len(spec.points()) * spec.replicates:,} "
                              f"runs finished are kept in {folder}; add --resume to run the "
                              "rest") from None
        raise
    return folder


def _finished_runs(spec: SweepSpec, folder: Path) -> int:
    parts = folder / "parts"
    n_runs = len(spec.points()) * spec.replicates
    size = spec.runs_per_task
    return sum(min(size, n_runs - int(p.stem.split("-")[1]) * size)
               for p in parts.glob("outputs-*.parquet")) if parts.is_dir() else 0


def _run_tasks(spec: SweepSpec, folder: Path, executor: Executor,
               progress: StageProgress | None, command: Sequence[str] | None) -> None:
    status_path = folder / "status.json"
    parts = folder / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    for place in (folder, parts):  # temporary files of a killed earlier attempt
        rundir.clean_stale(place)
    runs = spec.run_table()
    if not (folder / "runs.parquet").exists():
        rundir.atomic_write_text(folder / "spec.toml", spec.text)
        rundir.write_table(folder, "runs", runs)
        rundir.atomic_write_json(status_path, {"state": "running",
                                                "started": provenance.now_iso()})
    n_runs = runs.num_rows
    size = spec.runs_per_task
    n_tasks = math.ceil(n_runs / size)
    done = {int(p.stem.split("-")[1]) for p in parts.glob("outputs-*.parquet")}
    todo = {t: _task_rows(runs, t, size) for t in range(n_tasks) if t not in done}
    finished = _finished_runs(spec, folder)
    tick = progress or (lambda *a: None)
    tick("runs", finished, n_runs, "")
    t0 = time.perf_counter()
    if todo:
        warm_up(spec.scenario)
        for tid, (outputs, series) in executor.map(run_task, spec, todo,
                                                   name=f"{spec.digest()[:12]}-task"):
            rundir.atomic_write(parts / f"outputs-{tid:06d}.parquet",
                                lambda tmp, t=outputs: pq.write_table(t, tmp))
            if series is not None:
                rundir.atomic_write(parts / f"series-{tid:06d}.parquet",
                                    lambda tmp, t=series: pq.write_table(t, tmp))
            finished += outputs.num_rows
            tick("runs", finished, n_runs, "")
    _consolidate(spec, folder, runs, n_tasks, time.perf_counter() - t0, executor, command)


def _consolidate(spec: SweepSpec, folder: Path, runs: pa.Table, n_tasks: int,
                 seconds: float, executor: Executor, command) -> None:
    parts = folder / "parts"
    tables = [pq.read_table(parts / f"outputs-{t:06d}.parquet") for t in range(n_tasks)]
    outputs = pa.concat_tables(tables).sort_by("run_id")
    ids = outputs.column("run_id").to_numpy()
    if not np.array_equal(ids, np.arange(runs.num_rows)):
        raise RuntimeError(f"sweep outputs do not cover every run exactly once ({folder})")
    rundir.write_table(folder, "outputs", outputs)
    if spec.every != "end":
        series = pa.concat_tables([pq.read_table(parts / f"series-{t:06d}.parquet")
                                   for t in range(n_tasks)]).sort_by([("run_id", "ascending")])
        rundir.atomic_write(folder / "series.parquet", lambda tmp: pq.write_table(series, tmp))
    status = read_status(folder)
    status.update(state="complete", finished=provenance.now_iso(), runs=runs.num_rows,
                  tasks=n_tasks)
    rundir.atomic_write_json(folder / "manifest.json", provenance.manifest(
        "taobao-sim sweep", list(command) if command else None, status.get("started"),
        {"this_session": round(seconds, 3)},
        spec={"path": spec.path, "text": spec.text, "digest_sha256": spec.digest()},
        scenario={"path": spec.scenario.path, "digest_sha256": spec.scenario.digest()},
        design=spec.design.kind, runs=runs.num_rows, replicates=spec.replicates,
        root_seed=spec.seed,
        seed_rule="run (point, replicate): numpy.random.SeedSequence(root_seed, "
                  "spawn_key=(point, replicate)).generate_state(1, uint64)[0]",
        executor=executor.name, workers=executor.workers))
    rundir.atomic_write_json(folder / "status.json", status)


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
    if not (folder / "status.json").exists():
        raise UsageError(f"{folder}: not a sweep folder (no status.json)")
    if read_status(folder).get("state") != "complete":
        raise UsageError(f"{folder}: this sweep is not complete; finish it with "
                         "`taobao-sim sweep SPEC --resume`")
    return pq.read_table(folder / "runs.parquet"), pq.read_table(folder / "outputs.parquet")


__all__ = ["SweepSpec", "load_sweep", "replay", "run_sweep"]
