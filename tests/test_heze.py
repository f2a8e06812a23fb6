"""A small Heze-shaped world end to end: three townships of the Heze table (Daiji,
with Dinglou, another Caoxian township and one of Mudan District), run to 2020 with
Heze's targets. The Taobao-village and Taobao-town counts in the run folder are
recounted from its time series and villages table by AliResearch's rules, written
out here with pandas, not with the package's functions."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from taobao_sim.apps import cli

from .conftest import SCENARIOS

TOWNSHIPS = ("371721121", "371721109", "371702102")  # Daiji, a Caoxian and a Mudan one


@pytest.fixture(scope="module")
def heze_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("heze")
    with (SCENARIOS / "data" / "heze" / "villages_model.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["township"] in TOWNSHIPS]
    with (root / "villages.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (root / "small.toml").write_text(
        f'extends = "{(SCENARIOS / "heze.toml").as_posix()}"\n'
        'name = "small_heze"\nend = "2020-12"\nvillages_file = "villages.csv"\n',
        encoding="utf-8")
    code = cli.main(["run", str(root / "small.toml"), "--replicates", "2", "--out",
                     str(root / "out"), "--quiet", "--no-figures"])
    assert code == 0
    (folder,) = (root / "out" / "small_heze").iterdir()
    return folder, rows


def test_the_township_table_is_the_three_townships(heze_run):
    folder, rows = heze_run
    villages = pd.read_parquet(folder / "villages.parquet")
    assert sorted(villages.township.unique()) == sorted(TOWNSHIPS)
    assert villages.households.sum() == sum(int(r["households"]) for r in rows)
    counties = pd.read_parquet(folder / "counties.parquet")
    assert set(counties.county) == {"Caoxian", "Mudan"}
    assert (folder / "timeseries.csv").exists() and not (folder / "households.csv").exists()


def test_counts_recomputed_from_the_files(heze_run):
    folder, _rows = heze_run
    ts = pd.read_parquet(folder / "timeseries.parquet",
                         columns=["replicate", "date", "village", "sales_yuan", "shops"])
    villages = pd.read_parquet(folder / "villages.parquet")
    ts["year"] = ts.date.str[:4].astype("int32")
    ts = ts.merge(villages[["village", "township", "county", "households"]], on="village")
    yearly = ts.groupby(["replicate", "year", "village"]).agg(
        sales=("sales_yuan", "sum"), township=("township", "first"),
        county=("county", "first"), households=("households", "first"))
    december = ts[ts.date.str.endswith("-12")].set_index(["replicate", "year", "village"])
    yearly["shops"] = december.shops
    yearly["tv"] = (yearly.sales >= 10e6) & (
        (yearly.shops >= 100) | (yearly.shops >= 0.1 * yearly.households))
    towns = yearly.groupby(["replicate", "year", "township"]).agg(
        tvs=("tv", "sum"), sales=("sales", "sum"), shops=("shops", "sum"),
        county=("county", "first"))
    years = towns.index.get_level_values("year")
    towns["town"] = (towns.tvs >= 3) | ((years >= 2019) & (towns.sales > 30e6)
                                       & (towns.shops > 300))
    expected_tv = yearly.groupby(["replicate", "year", "county"]).tv.sum()
    expected_towns = towns.groupby(["replicate", "year", "county"]).town.sum()
    table = pd.read_parquet(folder / "counties.parquet").set_index(
        ["replicate", "year", "county"])
    pd.testing.assert_series_equal(table.taobao_villages.sort_index(),
                                   expected_tv.sort_index().astype("int64"),
                                   check_names=False)
    pd.testing.assert_series_equal(table.taobao_towns.sort_index(),
                                   expected_towns.sort_index().astype("int64"),
                                   check_names=False)
    assert expected_tv.xs(2018, level="year").sum() > 0  # Daiji's villages trade by 2018
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in summary["rows"]}
    h1 = expected_tv.xs(2018, level="year").groupby("replicate").sum().mean()
    assert rows["H1"]["mean"] == pytest.approx(h1)
    h2 = expected_towns.xs(2018, level="year").groupby("replicate").sum().mean()
    assert rows["H2"]["mean"] == pytest.approx(h2)
    assert rows["H3"]["mean"] is not None and rows["H3"]["met"] is None
