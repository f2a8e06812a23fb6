"""Sweeps: designs, executors, streaming, resume, lost workers, bad specs, analysis."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pyarrow.parquet as pq
import pytest

from taobao_sim.core.errors import SpecError, UsageError
from taobao_sim.experiments import executors, sweep
from taobao_sim.experiments.analyze import analyze

from ..conftest import SCENARIOS

GRID = f"""\
name = "tiny"
scenario = "{SCENARIOS / 'dinglou.toml'}"
seed = 5
replicates = 2
runs_per_task = 2
[design]
kind = "grid"
[parameters]
"shops.imitation" = {{ values = [0.1, 0.5] }}
"shops.startup_cost_yuan" = {{ range = [1000.0, 20000.0], steps = 3, log = true }}
[record]
every = "dates"
dates = ["2012-12", "2018-12"]
series = ["participation", "poor"]
"""


@pytest.fixture
def grid_spec(write_toml):
    return sweep.load_sweep(write_toml("tiny.toml", GRID))


def _outputs(folder):
    return pq.read_table(folder / "outputs.parquet")


def _same(a, b):
    assert a.column_names == b.column_names
    for c in a.column_names:
        x = a.column(c).to_numpy(zero_copy_only=False)
        y = b.column(c).to_numpy(zero_copy_only=False)
        numeric = x.dtype.kind in "fiu"
        assert np.array_equal(x, y, equal_nan=numeric), c


def test_design_and_run_table(grid_spec):
    runs = grid_spec.run_table()
    assert runs.num_rows == 2 * 3 * 2
    assert sorted(set(runs.column("shops.imitation").to_pylist())) == [0.1, 0.5]
    costs = sorted(set(runs.column("shops.startup_cost_yuan").to_pylist()))
    assert costs == pytest.approx([1000.0, np.sqrt(1000.0 * 20000.0), 20000.0])
    seeds = runs.column("seed").to_pylist()
    assert len(set(seeds)) == runs.num_rows
    assert seeds[3] == sweep.run_seed(5, 1, 1)


def test_same_results_whatever_the_executor(grid_spec, tmp_path):
    inproc = sweep.run_sweep(grid_spec, tmp_path / "a", executor=executors.InProcess())
    local = executors.LocalProcesses(2)
    try:
        procs = sweep.run_sweep(grid_spec, tmp_path / "b", executor=local)
    finally:
        local.close()
    dask = executors.DaskCluster(workers=2)
    try:
        cluster = sweep.run_sweep(grid_spec, tmp_path / "c", executor=dask)
    finally:
        dask.close()
    for other in (procs, cluster):
        _same(_outputs(inproc), _outputs(other))
        _same(pq.read_table(inproc / "series.parquet"), pq.read_table(other / "series.parquet"))
    status = json.loads((inproc / "status.json").read_text())
    assert status["state"] == "complete" and status["runs"] == 12
    manifest = json.loads((cluster / "manifest.json").read_text())
    assert manifest["executor"] == "dask" and manifest["workers"] == 2


def test_outputs_are_sensible(grid_spec, tmp_path):
    folder = sweep.run_sweep(grid_spec, tmp_path, executor=executors.InProcess())
    out = _outputs(folder)
    part = out.column("participation_end").to_numpy()
    assert ((part >= 0) & (part <= 1)).all()
    series = pq.read_table(folder / "series.parquet")
    assert series.num_rows == 12 * 2 and set(series.column("date").to_pylist()) == {
        "2012-12", "2018-12"}
    # the same run replayed alone gives the same outputs
    again, _ = sweep.replay(folder, 7)
    row = out.filter(out.column("run_id").to_numpy() == 7)
    _same(again, row)


def test_interrupted_sweep_resumes_with_every_run_once(grid_spec, tmp_path):
    whole = sweep.run_sweep(grid_spec, tmp_path / "whole", executor=executors.InProcess())

    def stop_after_two_tasks(stage, done, total, note):
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(grid_spec, tmp_path / "cut", executor=executors.InProcess(),
                        progress=stop_after_two_tasks)
    folder = sweep.sweep_folder(tmp_path / "cut", grid_spec)
    assert len(list((folder / "parts").glob("outputs-*.parquet"))) == 2
    with pytest.raises(UsageError, match="add --resume"):
        sweep.run_sweep(grid_spec, tmp_path / "cut", executor=executors.InProcess())
    seen = []
    sweep.run_sweep(grid_spec, tmp_path / "cut", executor=executors.InProcess(), resume=True,
                    progress=lambda stage, d, n, note: seen.append(d))
    assert seen[0] == 4  # the finished runs were kept, not rerun
    resumed = _outputs(folder)
    assert resumed.column("run_id").to_pylist() == list(range(12))
    _same(_outputs(whole), resumed)
    with pytest.raises(UsageError, match="already complete"):
        sweep.run_sweep(grid_spec, tmp_path / "cut", executor=executors.InProcess())


def test_lost_dask_worker_loses_and_duplicates_nothing(write_toml, tmp_path):
    text = GRID.replace("runs_per_task = 2", "runs_per_task = 1").replace(
        '{ values = [0.1, 0.5] }', '{ values = [0.1, 0.3, 0.5, 0.7] }')
    spec = sweep.load_sweep(write_toml("kill.toml", text))
    reference = sweep.run_sweep(spec, tmp_path / "ref", executor=executors.InProcess())
    dask = executors.DaskCluster(workers=2)
    killed = []

    def kill_one_worker(stage, done, total, note):
        if done >= 2 and not killed:
            pids = dask.client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    try:
        folder = sweep.run_sweep(spec, tmp_path / "kill", executor=dask,
                                 progress=kill_one_worker)
    finally:
        dask.close()
    assert killed
    out = _outputs(folder)
    assert out.column("run_id").to_pylist() == list(range(out.num_rows)) == \
        list(range(spec.run_table().num_rows))
    _same(_outputs(reference), out)


@pytest.mark.parametrize("old, new, key, expected", [
    ('"shops.imitation"', '"shops.imitaton"', "parameters.shops.imitaton", "did you mean"),
    ("range = [1000.0, 20000.0]", "range = [20000.0, 1000.0]",
     "parameters.shops.startup_cost_yuan.range", "expected lower < upper"),
    ("values = [0.1, 0.5]", "values = []", "parameters.shops.imitation.values", "is empty"),
    ("steps = 3", "steps = 1", "parameters.shops.startup_cost_yuan.steps", "steps >= 2"),
    ('kind = "grid"', 'kind = "gird"', "design.kind", "did you mean 'grid'"),
    ('kind = "grid"', 'kind = "sobol"\nsamples = 100', "design.samples", "power of two"),
    ('kind = "grid"', 'kind = "lhs"\nsamples = 8', "parameters.shops.imitation.values",
     "bounds"),
    ('"2012-12"', '"2030-12"', "record.dates", "outside the run"),
    ('"2012-12"', '"2012-13"', "record.dates", "01 to 12"),
    ('series = ["participation", "poor"]', 'series = ["participaton"]', "record.series",
     "did you mean"),
    ("replicates = 2", "replicates = 0", "replicates", "expected 1 to"),
    ("values = [0.1, 0.5]", "values = [0.1, 5.0]", "parameters.shops.imitation.values",
     "allowed range"),
])
def test_bad_specs(write_toml, old, new, key, expected):
    assert old in GRID
    path = write_toml("bad.toml", GRID.replace(old, new))
    with pytest.raises(SpecError) as info:
        sweep.load_sweep(path)
    assert info.value.key == key and expected in str(info.value)
    assert str(path) in str(info.value)


def test_scheduler_that_does_not_answer():
    with pytest.raises(UsageError, match="no Dask scheduler answered"):
        executors.DaskCluster(scheduler="tcp://127.0.0.1:9", timeout=2)


def test_sobol_and_grid_analysis(write_toml, tmp_path, grid_spec):
    grid = sweep.run_sweep(grid_spec, tmp_path / "g", executor=executors.InProcess())
    report = analyze(grid)
    assert report["results"]["participation_end"]["grid"]["columns"] == \
        "shops.startup_cost_yuan"
    assert (grid / "analysis" / "figures" / "heatmap_participation_end.png").exists()
    assert (grid / "analysis" / "figures" / "envelope_participation.png").exists()
    # model noise: the within-point variance over the replicates, against the
    # variance of the point means, recomputed by hand
    runs, outs = sweep.read_results(grid)
    point = runs.column("point").to_numpy()
    v = outs.column("participation_end").to_numpy().astype(float)
    groups = [v[point == p] for p in np.unique(point)]
    means = np.array([g.mean() for g in groups])
    noise = np.mean([g.var(ddof=1) / g.size for g in groups])
    share = report["results"]["participation_end"]["noise_share"]
    assert share == pytest.approx(min(1.0, noise / means.var(ddof=1)))
    assert 0 <= share <= 1

    text = GRID.replace('kind = "grid"', 'kind = "sobol"\nsamples = 8\nseed = 2').replace(
        '{ values = [0.1, 0.5] }', '{ bounds = [0.05, 0.8] }').replace(
        '{ range = [1000.0, 20000.0], steps = 3, log = true }',
        '{ bounds = [1000.0, 30000.0], log = true }').replace("replicates = 2",
                                                              "replicates = 1")
    spec = sweep.load_sweep(write_toml("sobol.toml", text))
    assert spec.run_table().num_rows == 8 * (2 + 2)
    folder = sweep.run_sweep(spec, tmp_path / "s", executor=executors.InProcess())
    report = analyze(folder)
    assert report["results"]["participation_end"]["noise_share"] is None  # 1 replicate
    s = report["results"]["participation_end"]["sobol"]
    assert set(s) == {"shops.imitation", "shops.startup_cost_yuan"}
    assert all(np.isfinite(v["ST"]) for v in s.values())
    assert (folder / "analysis" / "analysis.json").exists()


def test_analyze_needs_a_finished_sweep(tmp_path):
    with pytest.raises(UsageError, match="not a sweep folder"):
        analyze(tmp_path)
