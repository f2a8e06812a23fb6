"""Where numba keeps its compiled-code cache.

numba checks only the source file of a cached function when deciding whether
its cache is stale, not the files it calls. The cache therefore lives in a
folder named by a hash of all the engine's sources and the numba version, so
an edit anywhere in the engine starts a fresh cache instead of loading stale
machine code. Must run before any jitted module is imported.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

#: Folders (relative to the package) whose sources decide the compiled code.
ENGINE_FOLDERS = ("core", "engines")


def engine_sources() -> list[Path]:
    """Every source file that compiled code may come from, in a fixed order."""
    package = Path(__file__).resolve().parents[1]
    return sorted(p for folder in ENGINE_FOLDERS for p in (package / folder).rglob("*.py"))


def engine_fingerprint() -> str:
    """Short hash of the engine sources and the numba version."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(numba.__version__.encode())
    for path in engine_sources():
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def configure_cache() -> Path | None:
    """Point numba's cache at a per-fingerprint folder; return it (None if unusable)."""
    base = os.environ.get("TAOBAO_SIM_CACHE_DIR") or os.environ.get("NUMBA_CACHE_DIR")
    if base:
        root = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "taobao-sim" / "numba"
    folder = root / engine_fingerprint()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # numba falls back to its own default location
    numba.config.CACHE_DIR = str(folder)
    return folder


CACHE_DIR = configure_cache()
