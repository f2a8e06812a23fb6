"""National runs: a world of regions run region by region, on any executor, into a
run folder whose tables hold what their names say."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from taobao_sim import load_scenario
from taobao_sim.core import regions
from taobao_sim.core.records import Y
from taobao_sim.experiments.executors import LocalProcesses, running
from taobao_sim.experiments.national import region_tasks, run_national
from taobao_sim.output.national import write_national_run

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def world():
    return load_scenario(DATA / "regions.toml").replace({"regions.sample": 0.5})


@pytest.fixture(scope="module")
def results(world):
    return sorted(run_national(world, 2, 5), key=lambda r: (r.replicate, r.region))


def test_tasks_have_seeds_of_their_own(world):
    tasks = region_tasks(world, 2, 5)
    assert len(tasks) == 6
    assert len({t.seed for t in tasks.values()}) == 6
    assert [t.region for t in tasks.values()][:3] == ["Hill", "Coast", "Plain"]  # largest first


def test_each_region_is_its_own_world(world, results):
    for r in results:
        alone = world.replace({"regions.province": r.region, "regions.sample_seed": r.replicate})
        assert r.names == [v.name for v in alone.villages]
        assert r.households.sum() == alone.households
        (region,) = regions.regions_of(alone.regions, alone.values)
        assert r.scale == regions.region_scale(region, alone.values)
    assert sum(r.taobao[-1].sum() for r in results) > 0  # the test world has some


def test_taobao_status_follows_the_rule(results):
    for r in results:
        sales, shops = r.table[..., Y.SALES_YUAN], r.table[..., Y.SHOPS]
        for k in range(len(r.years)):
            for v in range(len(r.names)):
                expected = sales[k, v] >= 1e7 and (shops[k, v] >= 100
                                                   or shops[k, v] >= 0.1 * r.households[v])
                assert r.taobao[k, v] == expected
            # a town: 3 Taobao villages in a township (or, from 2019, its sales rule)
            for t in range(len(r.township_names)):
                n = r.taobao[k, r.townships == t].sum()
                assert r.towns[k, t] == (n >= 3)  # the test world ends in 2016


def test_results_do_not_depend_on_the_executor(world, results):
    with running(LocalProcesses(2)) as ex:
        other = sorted(run_national(world, 1, 5, ex), key=lambda r: (r.replicate, r.region))
    for a, b in zip(results[:3], other, strict=True):
        assert (a.region, a.replicate, a.seed) == (b.region, b.replicate, b.seed)
        assert np.array_equal(a.table, b.table)
        assert np.array_equal(a.totals, b.totals)


def test_run_folder_tables(world, results, tmp_path):
    import time

    published = {2014: {"taobao_villages": 212.0, "taobao_towns": 19.0}}
    folder, summary = write_national_run(world, iter(results), tmp_path, 5, 2, "now",
                                         time.perf_counter(), published)
    data = ds.dataset(folder / "villages", partitioning="hive").to_table().to_pandas()
    assert set(data["province"]) == {"Hill", "Coast", "Plain"}
    assert len(data) == sum(len(r.names) * len(r.years) for r in results)
    provinces = pq.read_table(folder / "provinces.parquet").to_pandas()
    # every scaled count is the village table's count times the region's scale
    recount = data.groupby(["replicate", "province", "year"])["taobao_village"].sum()
    for _, row in provinces.iterrows():
        n = recount[(row["replicate"], row["province"], row["year"])]
        assert row["taobao_villages_simulated"] == n
        assert row["taobao_villages"] == pytest.approx(n * row["scale"])
    sales = data.groupby(["replicate", "province", "year"])["sales_yuan"].sum()
    for _, row in provinces.iterrows():
        assert row["sales_yuan"] == pytest.approx(
            sales[(row["replicate"], row["province"], row["year"])] * row["scale"])
    national = pq.read_table(folder / "national.parquet").to_pandas().set_index("year")
    per_rep = provinces.groupby(["year", "replicate"])["taobao_villages"].sum()
    for year in national.index:
        assert national.loc[year, "taobao_villages_mean"] == pytest.approx(
            per_rep[year].mean())
    assert national.loc[2014, "taobao_villages_published"] == 212
    assert np.isnan(national.loc[2015, "taobao_villages_published"])
    saved = json.loads((folder / "summary.json").read_text())
    assert saved["national"][-1]["year"] == 2016 and summary["replicates"] == 2
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {(t["province"], t["replicate"], t["seed"]) for t in manifest["tasks"]} == \
        {(r.region, r.replicate, r.seed) for r in results}
