"""Runs that would not fit in memory are refused before they start."""

from __future__ import annotations

import pytest

from taobao_sim import simulate
from taobao_sim.core import resources
from taobao_sim.core.errors import ScenarioError, TaobaoSimError
from taobao_sim.io.scenario_file import load_scenario

from ..conftest import MINIMAL


def test_the_limit_comes_from_the_machine_or_the_environment(monkeypatch):
    monkeypatch.delenv(resources.LIMIT_ENV, raising=False)
    limit, source = resources.limit_bytes()
    assert 0 < limit < resources.available_bytes() and "80%" in source
    monkeypatch.setenv(resources.LIMIT_ENV, "1.5")
    assert resources.limit_bytes() == (int(1.5 * 2**30), "the limit set to 1.5 GiB")
    monkeypatch.setenv(resources.LIMIT_ENV, "lots")
    with pytest.raises(TaobaoSimError, match="expected a number of GiB"):
        resources.limit_bytes()


def test_an_ensemble_too_large_is_refused_before_it_runs(tmp_path, monkeypatch):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL)
    s = load_scenario(path)
    monkeypatch.setenv(resources.LIMIT_ENV, "0.001")  # 1 MiB
    with pytest.raises(resources.ResourceError) as info:
        simulate(s, replicates=5000, seed=1)
    message = str(info.value)
    assert "a run of 5,000 replicates of 40 households over 24 months needs about" in message
    assert "--memory-limit" in message
    simulate(s, replicates=1, seed=1)  # a small one still runs


def test_a_synthetic_world_too_large_names_its_key(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "big"\n[synthetic]\nvillages = 10000000\nhouseholds = 100000\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.key == "synthetic.villages"
    assert "1,000,000,000,000 households" in str(info.value)


def test_the_estimate_bounds_what_a_run_takes():
    # 20 replicates of Daiji measured about 575 MiB above the interpreter's own
    # memory; the estimate must not be below what is really used
    h, v, months, years = 13_823, 32, 120, 10
    estimate = resources.run_bytes(h, v, months, 20, h, years, 41, 12)
    assert estimate > 575 * 2**20
    assert estimate < 4 * 575 * 2**20  # and not absurdly above
