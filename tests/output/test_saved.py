"""Reading a run folder back (``load_run``) and the household trace."""

from __future__ import annotations

import json
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

import taobao_sim
from taobao_sim import load_scenario, simulate
from taobao_sim.core.errors import UsageError
from taobao_sim.output import rundir
from taobao_sim.output.targets import Runs, target_table

from ..conftest import SCENARIOS


@pytest.fixture(scope="module")
def traced():
    return simulate(load_scenario(SCENARIOS / "dinglou.toml"), replicates=2, seed=3,
                    trace=[0, 5, 17])


def test_a_trace_changes_no_number(traced):
    plain = simulate(load_scenario(SCENARIOS / "dinglou.toml"), replicates=2, seed=3)
    assert np.array_equal(traced.metrics, plain.metrics)
    assert np.array_equal(traced.panel, plain.panel, equal_nan=True)
    assert traced.trace.shape == (2, 120, 3)


def test_the_trace_agrees_with_the_household_panel(traced):
    """In each December the traced state is what the yearly panel recorded for the
    same household (ids numbered the same way in both)."""
    from taobao_sim.core.records import H

    december = np.flatnonzero(traced.months % 12 == 11)
    for k, h in enumerate(traced.trace_households):
        row = traced.trace[:, december, k]
        panel = traced.panel[:, :, h]  # households_every = 1
        assert np.array_equal(row["away"], panel[..., H.MEMBERS_AWAY])
        assert np.array_equal(row["members"] - row["away"], panel[..., H.MEMBERS_HOME])
        assert np.array_equal(row["poor"], panel[..., H.POOR])
        assert np.array_equal(row["stores"], panel[..., H.STORES])


def test_bad_trace_households():
    s = load_scenario(SCENARIOS / "dinglou.toml")
    with pytest.raises(ValueError, match="household 330 is not in the world; expected 0 to 329"):
        simulate(s, replicates=1, trace=[330])
    with pytest.raises(ValueError, match="fast engine"):
        simulate(s, replicates=1, trace=[1], engine="mesa")


def test_load_run_gives_back_tables_manifest_and_scenario(traced, tmp_path):
    rows = target_table(Runs(traced, None))
    folder = rundir.write_run(traced, rows, tmp_path, 3, "2026-01-01T00:00:00+00:00",
                              time.perf_counter())
    run = taobao_sim.load_run(folder)
    assert {"timeseries", "villages", "households", "trace"} <= set(run.tables)
    assert run["timeseries"].equals(pq.read_table(folder / "timeseries.parquet"))
    trace = run["trace"].to_pydict()
    assert sorted(set(trace["household"])) == [0, 5, 17]
    assert trace["date"][:3] == ["2009-01"] * 3
    assert run.seed == 3 and run.summary["replicates"] == 2
    assert run.scenario.digest() == traced.scenario.digest()
    with pytest.raises(KeyError, match="has no table 'counties'"):
        run["counties"]


def test_load_run_of_something_else(tmp_path):
    with pytest.raises(UsageError, match="expected a run folder"):
        taobao_sim.load_run(tmp_path / "missing")
    (tmp_path / "manifest.json").write_text("{broken")
    (tmp_path / "summary.json").write_text("{}")
    with pytest.raises(UsageError, match="is not valid JSON"):
        taobao_sim.load_run(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"scenario": {}}))
    with pytest.raises(UsageError, match="cannot rebuild the scenario"):
        _ = taobao_sim.load_run(tmp_path).scenario
