"""Run folders and atomic writes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from taobao_sim.core.errors import UsageError
from taobao_sim.output import rundir as results
from taobao_sim.output import tables
from taobao_sim.output.targets import target_table


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old, complete\n")

    def half(tmp):
        tmp.write_text("new, half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        results.atomic_write(path, half)
    assert path.read_text() == "old, complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_atomic_write_replaces(tmp_path):
    path = tmp_path / "a.json"
    results.atomic_write_json(path, {"x": 1})
    results.atomic_write_json(path, {"x": 2})
    assert json.loads(path.read_text()) == {"x": 2}


def test_run_folder_vanishes_on_failure(tmp_path):
    with pytest.raises(RuntimeError), results.run_folder(tmp_path, "s", "id1") as run:
        (run.path / "timeseries.csv").write_text("partial")
        raise RuntimeError("disk full")
    assert not (tmp_path / "s").exists()  # the folder made for it goes too
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "earlier").mkdir()
    with pytest.raises(RuntimeError), results.run_folder(tmp_path, "s", "id1"):
        raise RuntimeError("disk full")
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["earlier"]  # what was there stays


def test_run_folder_never_overwrites(tmp_path):
    with results.run_folder(tmp_path, "s", "id1") as first:
        (first.path / "a").write_text("1")
    with results.run_folder(tmp_path, "s", "id1") as second:
        (second.path / "a").write_text("2")
    assert first.final.name == "id1" and second.final.name == "id1-2"
    assert (first.final / "a").read_text() == "1"


def test_check_output_root(tmp_path):
    assert results.check_output_root(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(UsageError, match="existing file"):
        results.check_output_root(afile)
    with pytest.raises(UsageError, match="is a file"):
        results.check_output_root(afile / "sub")


def test_tables_have_the_documented_columns(dinglou_run):
    ts = tables.timeseries_table(dinglou_run)
    needed = ["replicate", "date", "village", "households", "engaged", "participation",
              "shops", "sales_yuan", "poor", "migrants", "returns"]
    assert ts.column_names[:3] == needed[:3] and set(needed) <= set(ts.column_names)
    assert ts.num_rows == 3 * 120 * 1
    assert ts.column("date")[0].as_py() == "2009-01" and ts.column("date")[-1].as_py() == "2018-12"
    hh = tables.households_table(dinglou_run)
    needed = ["replicate", "year", "household", "village", "shop", "shop_sales_yuan",
              "shop_profit_yuan", "income_per_head_yuan", "poor", "members_home", "members_away"]
    assert set(needed) <= set(hh.column_names)
    assert hh.num_rows == 3 * 10 * 330


def test_write_run(tmp_path, dinglou_run):
    import time

    rows = target_table(dinglou_run)
    folder = results.write_run(dinglou_run, rows, tmp_path, 11, "2026-01-01T00:00:00+00:00",
                               time.perf_counter(), figures=None, command=["test"])
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["households.csv", "households.parquet", "manifest.json", "summary.json",
                     "timeseries.csv", "timeseries.parquet", "villages.csv", "villages.parquet"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"]["digest_sha256"] == dinglou_run.scenario.digest()
    assert manifest["scenario"]["files"][0]["text"].startswith("# Dinglou")
    assert [r["seed"] for r in manifest["replicates"]] == dinglou_run.seeds
    assert manifest["root_seed"] == 11
    assert "numba" in manifest["environment"]["packages"]
    assert manifest["environment"]["python"].startswith("3.")
    assert set(manifest["files"]) == set(names) - {"manifest.json"}
    assert pq.read_table(folder / "timeseries.parquet").num_rows == 360


def test_summary_verdict_needs_every_target(dinglou_run):
    import dataclasses

    rows = target_table(dinglou_run)
    met = [dataclasses.replace(r, met=True) for r in rows]
    assert results.summary(dinglou_run, met)["all_met"] is True
    one_missed = [*met[:-1], dataclasses.replace(met[-1], met=False)]
    assert results.summary(dinglou_run, one_missed)["all_met"] is False
    headline = [dataclasses.replace(r, met=None) for r in rows]
    assert results.summary(dinglou_run, headline)["all_met"] is None
    summary = results.summary(dinglou_run, met)
    assert summary["table"] == "targets" and summary["replicates"] == 3
    assert summary["scenario"] == "dinglou" and summary["focus_village"] == "Dinglou"
    plain = dataclasses.replace(dinglou_run, scenarios=[dinglou_run.scenario.replace(
        {"targets": "none"})])
    assert results.summary(plain, headline)["table"] == "headline"
