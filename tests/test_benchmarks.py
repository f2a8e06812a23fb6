"""The benchmarks' quick mode is a smoke test: it must not overwrite the tracked
results of a full run."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

import pytest

from .conftest import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs the git checkout")
def test_quick_results_go_to_an_untracked_file():
    bench = _bench()
    assert bench.QUICK_RESULTS != bench.RESULTS
    ignored = subprocess.run(["git", "check-ignore", "-q", str(bench.QUICK_RESULTS)], cwd=ROOT)
    assert ignored.returncode == 0  # git ignores it
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(bench.RESULTS)],
                             cwd=ROOT, capture_output=True)
    assert tracked.returncode == 0  # the full run's figures are kept
