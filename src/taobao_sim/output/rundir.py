"""Run folders: ``results/<scenario>/<run-id>/`` with manifest, tables, summary, figures,
and the atomic writes every folder of the tool is made with.

Every file is written to a temporary name and renamed into place, and the
folder itself is assembled under a hidden temporary name and renamed when
complete: a crash or Ctrl-C never leaves a half-written file, or a folder that
looks whole but is not.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..core.errors import UsageError
from ..core.names import name_problem
from ..core.run_output import RunOutput
from ..io.files import path_problem
from . import provenance, tables
from .targets import TargetRow


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` to write a temporary file beside ``path``, then rename it
    over ``path``. If ``write`` fails, ``path`` is untouched and the temporary
    file removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, default=_json_default)
                      + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def write_table(folder: Path, stem: str, table: pa.Table, csv: bool = True) -> None:
    """Write ``stem.parquet`` and (unless ``csv`` is False) ``stem.csv``, each atomically."""
    atomic_write(folder / f"{stem}.parquet",
                 lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    if csv:
        atomic_write(folder / f"{stem}.csv", lambda tmp: pacsv.write_csv(table, tmp))


def check_output_root(root: Path) -> Path:
    """Check that results can be written under ``root``, creating nothing.

    Raises:
        UsageError: if ``root`` is a file, or neither it nor its nearest existing
            parent folder is writable.
    """
    problem = path_problem(root) if str(root).strip() else "is empty; expected a folder"
    if problem:
        raise UsageError(f"--out {str(root)!r}: {problem}")
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise UsageError(f"--out {root}: is an existing file; expected a folder")
    probe = root
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UsageError(f"--out {root}: {probe} is a file; expected a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"--out {root}: {probe} is not writable")
    return root


def new_run_id(seed: int) -> str:
    """A run id that sorts by time: ``YYYYmmdd-HHMMSS-s<seed>``."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-s{seed}"


@dataclass
class RunFolder:
    """A folder being assembled (``path``) and where it ended up (``final``)."""

    path: Path
    final: Path | None = None


def child_folder(root: Path, *names: str) -> Path:
    """``root/names...``, each name checked to be one safe path component, so the
    result is always inside ``root`` (a name such as ``../x`` is an error)."""
    path = Path(root)
    for name in names:
        problem = name_problem(name)
        if problem:
            raise UsageError(f"the name {name!r} cannot become a folder under {root}: "
                             f"{problem}")
        path = path / name
    return path


def make_folders(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; return those created, deepest first
    (so that a failed start can remove exactly what it made)."""
    missing = []
    probe = Path(path)
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders (deepest first) that are still empty."""
    for f in folders:
        with contextlib.suppress(OSError):
            f.rmdir()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def clean_stale(folder: Path) -> list[Path]:
    """Remove what killed processes of this machine left in ``folder``: hidden
    ``.<name>.partial-<pid>`` folders and ``.<name>.tmp-<pid>`` files whose process
    is gone. Return what was removed."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for entry in Path(folder).iterdir():
        name = entry.name
        if not name.startswith("."):
            continue
        for marker in (".partial-", ".tmp-"):
            head, sep, pid = name.rpartition(marker)
            if sep and head and pid.isdigit() and not pid_alive(int(pid)):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        entry.unlink()
                removed.append(entry)
    return removed


@contextlib.contextmanager
def run_folder(root: Path, scenario_name: str, run_id: str) -> Iterator[RunFolder]:
    """Yield a hidden temporary folder to fill; on success rename it to
    ``root/scenario_name/run_id`` (adding ``-2``, ``-3``... if taken), on failure
    or interruption remove it, and the folders it had to create.

    What earlier killed runs left in ``root/scenario_name`` is removed first.
    """
    parent = child_folder(root, scenario_name)
    created = make_folders(parent)
    clean_stale(parent)
    tmp = parent / f".{run_id}.partial-{os.getpid()}"
    holder = RunFolder(tmp)
    try:
        tmp.mkdir()
        yield holder
        final = parent / run_id
        n = 2
        while final.exists():
            final = parent / f"{run_id}-{n}"
            n += 1
        os.rename(tmp, final)
        holder.final = final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_empty(created)
        raise


def run_manifest(out: RunOutput, root_seed: int, started: str, total_seconds: float,
                 folder: Path, command: list[str] | None = None) -> dict[str, Any]:
    """The manifest of a run: what produced it and what it holds."""
    s = out.scenario
    return provenance.manifest(
        "taobao-sim run", command, started, {"simulation": round(out.wall_seconds, 4),
                                             "total": round(total_seconds, 4)}, folder,
        engine=out.engine,
        threads=out.threads,
        scenario={
            "name": s.name,
            "path": s.path,
            "digest_sha256": s.digest(),
            "files": [{"path": p, "sha256": hashlib.sha256(t.encode()).hexdigest(), "text": t}
                      for p, t in s.sources],
            "resolved": s.resolved(),
        },
        root_seed=root_seed,
        replicates=[{"replicate": r, "spawn_key": [r], "seed": sd}
                    for r, sd in zip(out.replicate_ids, out.seeds, strict=True)],
        seed_rule="replicate i: numpy.random.SeedSequence(root_seed, spawn_key=(i,))"
                  ".generate_state(1, uint64)[0]",
    )


def summary(out: RunOutput, rows: list[TargetRow]) -> dict[str, Any]:
    has_tol = any(r.met is not None for r in rows)
    return {
        "scenario": out.scenario.name,
        "table": "targets" if out.scenario.targets != "none" else "headline",
        "focus_village": out.scenario.focus_village,
        "replicates": len(out.seeds),
        "rows": [r.as_dict() for r in rows],
        "all_met": all(bool(r.met) for r in rows if r.met is not None) if has_tol else None,
    }


FiguresFn = Callable[[RunOutput, Path], list[Path]]
"""Draws a run's figures into a folder and returns their paths."""


def write_run(out: RunOutput, rows: list[TargetRow], root: Path, root_seed: int,
              started: str, t0: float, figures: FiguresFn | None = None,
              command: list[str] | None = None,
              extra_tables: dict[str, pa.Table] | None = None,
              manifest_extra: dict[str, Any] | None = None) -> Path:
    """Write a complete run folder and return its path.

    Args:
        figures: draws the run's figures into ``figures/`` (None: no figures).
        extra_tables: more tables to write (as ``<name>.parquet`` and ``.csv``), e.g.
            the time series of the run's counterfactual without e-commerce.
        manifest_extra: more entries of ``manifest.json`` (e.g. the posterior a
            posterior ensemble drew from).
    """
    with run_folder(root, out.scenario.name, new_run_id(root_seed)) as run:
        folder = run.path
        csv = bool(out.scenario["output.timeseries_csv"])
        write_table(folder, "timeseries", tables.timeseries_table(out), csv)
        write_table(folder, "villages", tables.villages_table(out))
        county = tables.counties_table(out)
        if county is not None:
            write_table(folder, "counties", county)
        panel = tables.households_table(out)
        if panel is not None:
            write_table(folder, "households", panel, csv)
        trace = tables.trace_table(out)
        if trace is not None:
            write_table(folder, "trace", trace, csv)
        for name, table in (extra_tables or {}).items():
            write_table(folder, name, table, csv)
        atomic_write_json(folder / "summary.json", summary(out, rows))
        if figures is not None:
            (folder / "figures").mkdir()
            figures(out, folder / "figures")
        atomic_write_json(folder / "manifest.json",
                          run_manifest(out, root_seed, started, time.perf_counter() - t0,
                                       folder, command) | (manifest_extra or {}))
    assert run.final is not None
    return run.final
