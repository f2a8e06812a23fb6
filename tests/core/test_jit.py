"""numba's on-disk cache, shared by every process of this machine (and by the
workers of a cluster with one home folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import SCENARIOS


@pytest.mark.slow
def test_a_process_uses_an_engine_cache_another_process_began(tmp_path: Path) -> None:
    """Workers that start on an empty cache compile the engine side by side, each
    writing the functions it has compiled, so a worker finds some functions cached
    and must compile the others on top of them. The household record conversions
    are generated code: their cache entries once named no module, and a process
    other than their writer failed on them ("'NoneType' object has no attribute
    'startswith'"). Here one process compiles only those conversions and a second
    runs a scenario on that cache."""
    env = {**os.environ, "TAOBAO_SIM_CACHE_DIR": str(tmp_path / "numba")}
    first = ("import numpy as np\n"
             "from taobao_sim.core import state\n"
             "state.load_household(np.zeros(1, dtype=state.HOUSEHOLD_DTYPE)[0])\n")
    done = subprocess.run([sys.executable, "-c", first], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "taobao_sim.apps.cli", "run",
                           str(SCENARIOS / "dinglou.toml"), "--replicates", "1",
                           "--no-households", "--no-figures", "--quiet", "--out",
                           str(tmp_path / "out")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
