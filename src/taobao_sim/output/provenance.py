"""What produced a result: versions, git revision, machine, time, and the manifest
every folder the tool writes carries (runs, sweeps, calibrations, comparisons)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..core.version import __version__


def installed_packages() -> dict[str, str]:
    """Every installed distribution and its version (sorted by name)."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            found[name] = dist.version
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def git_revision(folder: Path | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the git checkout holding the package, if any."""
    where = folder or Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                             text=True, timeout=5)
        if rev.returncode != 0:
            return {"revision": None, "dirty": None}
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=where, capture_output=True, text=True, timeout=5)
        return {"revision": rev.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}


def now_iso() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def environment() -> dict[str, Any]:
    """Python, platform, machine and package versions."""
    return {
        "taobao_sim": __version__,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "packages": installed_packages(),
        "git": git_revision(),
    }


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_files(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder, by path relative to it."""
    return {str(p.relative_to(folder)): sha256_file(p)
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def manifest(kind: str, command: list[str] | None, started: str | None,
             wall_seconds: Any, folder: Path | None = None, **fields: Any) -> dict[str, Any]:
    """The manifest of a folder the tool wrote: what kind of result, the command,
    when it started and how long it took, the fields of that kind, the environment,
    and (given the folder) the SHA-256 of every file already in it."""
    out: dict[str, Any] = {"kind": kind, "command": list(command) if command else sys.argv,
                           "started": started, "wall_seconds": wall_seconds}
    out.update(fields)
    out["environment"] = environment()
    if folder is not None:
        out["files"] = folder_files(folder)
    return out
