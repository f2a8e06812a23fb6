"""Shared fixtures: the shipped scenarios, small variants, and cached runs."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

# Thread-parity tests need two numba threads even on a one-core runner; numba reads
# this once, when it is first imported (below, through taobao_sim).
os.environ["NUMBA_NUM_THREADS"] = str(max(2, os.cpu_count() or 1))

import pytest

from taobao_sim import load_scenario, simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def dinglou():
    return load_scenario(SCENARIOS / "dinglou.toml")


@pytest.fixture(scope="session")
def daiji():
    return load_scenario(SCENARIOS / "daiji.toml")


@pytest.fixture(scope="session")
def dinglou_run(dinglou):
    """Three replicates of Dinglou, shared by tests that only read the output."""
    return simulate(dinglou, replicates=3, seed=11)


@pytest.fixture(scope="session")
def daiji_run(daiji):
    return simulate(daiji, replicates=2, seed=5)


@pytest.fixture
def write_toml(tmp_path):
    """Write a scenario file into tmp_path and return its path.

    ``write_toml("name.toml", '''...''')``; the text is dedented.
    """

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


MINIMAL = """\
name = "mini"
start = "2009-01"
end = "2010-12"
replicates = 2

[[villages]]
name = "A"
households = 40
"""
