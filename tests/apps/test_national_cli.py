"""``taobao-sim run`` on a world of regions: region by region into a national run
folder; its flags refused where they do not apply."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from ..conftest import SCENARIOS
from .test_cli import _only_line, run_cli

DATA = Path(__file__).resolve().parents[1] / "data"


def test_national_run_folder(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", str(DATA / "regions.toml"), "--sample", "0.5",
                             "--replicates", "2", "--seed", "3", "--out", str(tmp_path),
                             "--quiet")
    assert code == 0, err
    assert "Taobao villages and towns" in out and "top provinces" not in out  # ends in 2016
    (folder,) = (tmp_path / "regions-test").iterdir()
    names = {p.name for p in folder.iterdir()}
    assert {"villages", "provinces.parquet", "provinces.csv", "national.parquet",
            "national.csv", "timeseries_provinces.parquet", "summary.json", "manifest.json",
            "figures"} <= names
    assert {p.name for p in (folder / "villages").iterdir()} == {
        "province=Hill", "province=Coast", "province=Plain"}
    table = ds.dataset(folder / "villages", partitioning="hive").to_table()
    assert sorted(set(table.column("replicate").to_pylist())) == [0, 1]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["root_seed"] == 3 and manifest["replicates"] == 2
    assert manifest["scenario"]["resolved"]["values"]["regions.sample"] == 0.5
    assert {p.name for p in (folder / "figures").iterdir()} == {
        "national_curve.png", "provinces.png", "first_taobao_villages.png"}


@pytest.mark.parametrize(("args", "expected"), [
    (["--sample", "0"], "expected a share above 0 and at most 1"),
    (["--sample", "x"], "expected a number"),
    (["--engine", "mesa"], "runs on the fast engine"),
])
def test_bad_national_flags(tmp_path, capsys, args, expected):
    try:
        code, _out, err = run_cli(capsys, "run", str(DATA / "regions.toml"), *args,
                                  "--out", str(tmp_path), "--quiet")
    except SystemExit as exc:  # argparse's own refusals
        code, err = exc.code, capsys.readouterr().err
    assert code == 2 and expected in _only_line(err)
    assert not any(tmp_path.iterdir())


def test_region_flags_need_regions(tmp_path, capsys):
    code, _out, err = run_cli(capsys, "run", str(SCENARIOS / "dinglou.toml"), "--sample",
                              "0.1", "--out", str(tmp_path), "--quiet")
    assert code == 2 and "for worlds of regions" in _only_line(err)
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_china_one_percent_sample(tmp_path, capsys):
    """The national scenario at a 1% sample of townships, one replicate, 2009-2022."""
    code, _out, err = run_cli(capsys, "run", str(SCENARIOS / "china.toml"), "--sample", "0.01",
                             "--replicates", "1", "--out", str(tmp_path), "--quiet",
                             "--no-figures")
    assert code == 0, err
    (folder,) = (tmp_path / "china").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    years = [r["year"] for r in summary["national"]]
    assert years == list(range(2009, 2023))
    assert summary["national"][-1]["taobao_villages_published"] == 7780
    assert len(summary["top_provinces"]["2018"]) == 5
    provinces = {p.name for p in (folder / "villages").iterdir()}
    assert len(provinces) == 31
