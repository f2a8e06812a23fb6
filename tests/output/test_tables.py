"""The output tables hold what their names say: each column is checked against an
identity or a value computed another way from the run, not against the code that
wrote it."""

from __future__ import annotations

import numpy as np
import pytest

from taobao_sim.core import dates
from taobao_sim.output import tables


@pytest.fixture(scope="module")
def ts(daiji_run):
    return tables.timeseries_table(daiji_run).to_pandas()


@pytest.fixture(scope="module")
def hh(dinglou_run):
    return tables.households_table(dinglou_run).to_pandas()


def test_dates_run_month_by_month_from_the_start(ts, daiji_run):
    start = daiji_run.scenario.start
    expected = [f"{(start + k) // 12}-{(start + k) % 12 + 1:02d}"
                for k in range(daiji_run.months.size)]
    for (_r, _v), g in ts.groupby(["replicate", "village"], sort=False):
        assert g["date"].tolist() == expected
    assert expected[0] == dates.format_month(start) == "2009-01"


def test_migrants_move_by_departures_and_returns(ts):
    """A swap of the returns and departures columns breaks this identity."""
    for _key, g in ts.groupby(["replicate", "village"], sort=False):
        change = np.diff(g["migrants"].to_numpy())
        flow = (g["departures"] - g["returns"]).to_numpy()[1:]
        assert np.array_equal(change, flow)


def test_people_counts_add_up(ts):
    assert (ts["people_home"] + ts["migrants"] == ts["people"]).all()
    assert np.allclose(ts["participation"], ts["engaged"] / ts["households"])
    assert (ts["poor"] <= ts["households"]).all() and (ts["poor_people"] <= ts["people"]).all()
    assert (ts["sellers"] <= ts["shops"]).all() and (ts["sellers"] <= ts["households"]).all()
    assert np.allclose(ts["orders_yuan"], ts["sales_yuan"] + ts["unserved_sales_yuan"])
    per_month = ts.groupby(["replicate", "date"])
    assert (per_month["commuters_in"].sum() == per_month["commuters_out"].sum()).all()
    # households never change; the market is one per category: the same in every village
    assert (ts.groupby(["replicate", "village"])["households"].nunique() == 1).all()
    assert (per_month["market_demand_yuan"].nunique() == 1).all()


def test_village_names_follow_the_scenario(ts, daiji_run):
    names = [v.name for v in daiji_run.scenario.villages]
    first_month = ts[(ts["replicate"] == ts["replicate"].iloc[0]) & (ts["date"] == "2009-01")]
    assert first_month["village"].tolist() == names
    sizes = dict(zip(names, [v.households for v in daiji_run.scenario.villages], strict=True))
    assert (first_month["households"] == first_month["village"].map(sizes)).all()


def test_households_table_agrees_with_the_timeseries(hh, dinglou_run):
    ts = tables.timeseries_table(dinglou_run).to_pandas()
    ts["year"] = ts["date"].str[:4].astype(int)
    december = ts[ts["date"].str.endswith("-12")].set_index(["replicate", "year"])
    by_year = hh.groupby(["replicate", "year"])
    # December counts and yearly sums, computed from the households' own rows
    assert (by_year["poor"].sum() == december["poor"]).all()
    people = hh["members_home"] + hh["members_away"]
    assert ((hh["poor"] * people).groupby([hh["replicate"], hh["year"]]).sum()
            == december["poor_people"]).all()
    assert (by_year["members_away"].sum() == december["migrants"]).all()
    assert (by_year["shop"].sum() == december["sellers"]).all()
    sales = ts.groupby(["replicate", "year"])["sales_yuan"].sum()
    np.testing.assert_allclose(by_year["shop_sales_yuan"].sum(), sales, rtol=1e-5)
    # a household keeps its members, at home or away, every year
    assert (people.groupby([hh["replicate"], hh["household"]]).nunique() == 1).all()


def test_replicate_ids_and_households_index_the_rows(hh, dinglou_run):
    assert sorted(hh["replicate"].unique()) == list(dinglou_run.replicate_ids)
    one = hh[(hh["replicate"] == hh["replicate"].iloc[0]) & (hh["year"] == 2018)]
    assert one["household"].tolist() == list(range(330))


def test_counties_table_sums_its_villages(daiji_run):
    """Daiji's villages split by hand into two counties: every county column is the
    sum of its villages' December values or yearly sums, and Taobao villages and
    towns follow the hand-set sales and shops."""
    import copy
    import dataclasses

    from taobao_sim.core.records import M

    out = copy.deepcopy(daiji_run)
    villages = tuple(dataclasses.replace(v, township=f"T{i // 4}", county="A" if i < 8 else "B")
                     for i, v in enumerate(out.scenario.villages))
    out.scenarios = [dataclasses.replace(s, villages=villages) for s in out.scenarios]
    y2016 = (out.months // 12) == 2016
    out.metrics[:, y2016, :, M.SALES_YUAN] = 0.0
    out.metrics[:, y2016, 0:3, M.SALES_YUAN] = 1e7 / 12  # T0: 3 Taobao villages
    out.metrics[:, y2016, 8, M.SALES_YUAN] = 1e7 / 12  # T2: one
    december = np.flatnonzero(y2016)[-1]
    out.metrics[:, december, :, M.SHOPS] = 0
    out.metrics[:, december, [0, 1, 2, 8], M.SHOPS] = 100
    df = tables.counties_table(out).to_pandas()
    assert len(df) == 2 * len(np.unique(out.months // 12)) * 2
    row = df[(df.replicate == out.replicate_ids[1]) & (df.year == 2016)].set_index("county")
    assert row.loc["A", "taobao_villages"] == 3 and row.loc["B", "taobao_villages"] == 1
    assert row.loc["A", "taobao_towns"] == 1 and row.loc["B", "taobao_towns"] == 0
    assert row.loc["A", "selling_villages"] == 3 and row.loc["B", "selling_villages"] == 1
    u = 1
    for county, sel in (("A", slice(0, 8)), ("B", slice(8, None))):
        assert row.loc[county, "households"] == out.village_households[sel].sum()
        assert row.loc[county, "poor_people"] == out.metrics[u, december, sel, M.POOR_PEOPLE].sum()
        income = out.metrics[u, y2016, sel, M.INCOME_YUAN].sum()
        assert row.loc[county, "income_yuan"] == pytest.approx(income)
    assert row.loc["A", "sales_yuan"] == pytest.approx(3e7)


def test_no_counties_table_without_counties(dinglou_run):
    assert tables.counties_table(dinglou_run) is None
