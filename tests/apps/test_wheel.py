"""The package works without a clone: a wheel installed into a fresh virtual
environment runs the shipped scenarios by name from an empty folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list, cwd: Path, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=900, **kw)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_an_installed_wheel_runs_shipped_scenarios_from_an_empty_folder(tmp_path):
    # built from a copy: building in place would leave build/ in the clone
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "results", "build", "*.egg-info", "__pycache__", ".hypothesis"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source],
         tmp_path)
    wheel = next(wheels.glob("taobao_sim-*.whl"))
    fresh = tmp_path / "fresh"
    _run([sys.executable, "-m", "venv", "--without-pip", fresh], tmp_path)
    # The dependencies (numpy, numba, mesa...) come from this environment's
    # site-packages, through a path entry of the fresh one: installing them again
    # would only test the package index. The project itself must come from the
    # wheel: this environment has it only as an editable install of the clone.
    site = Path(_run([fresh / "bin" / "python", "-c",
                      "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     tmp_path).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", fresh / "bin" / "python", "install",
          "--no-deps", "-q", wheel], tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = _run([fresh / "bin" / "python", "-c", "import taobao_sim; print(taobao_sim.__file__)"],
                 empty, env=env).stdout
    assert str(site) in where  # the wheel's copy, not the clone's

    cli = fresh / "bin" / "taobao-sim"
    listed = _run([cli, "scenarios"], empty, env=env).stdout
    for name in ("dinglou", "daiji", "heze", "policies/training", "sweeps/sobol",
                 "calibration/dinglou"):
        assert name in listed
    out = _run([cli, "run", "dinglou", "--replicates", "2", "--quiet", "--no-figures",
                "--out", "results"], empty, env=env).stdout
    assert "targets met" in out
    assert len(list((empty / "results" / "dinglou").iterdir())) == 1
    _run([cli, "validate", "sweeps/sobol"], empty, env=env)
    code = ("from taobao_sim import TaobaoModel\n"
            "model = TaobaoModel('dinglou')\n"
            "model.step()\n"
            "print(len(model.agents))\n")
    assert _run([fresh / "bin" / "python", "-c", code], empty, env=env).stdout.strip() == "330"
    assert sorted(p.name for p in empty.iterdir()) == ["results"]  # nothing else written
