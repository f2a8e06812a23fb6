"""Target and headline tables, computed on runs whose figures we set by hand."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from taobao_sim import metrics
from taobao_sim.core.records import H, M
from taobao_sim.output.targets import (
    TARGETS_BY_ID,
    Runs,
    dinglou_targets,
    headline_figures,
    target_table,
    township_targets,
)


@pytest.fixture
def run(dinglou_run):
    out = copy.deepcopy(dinglou_run)
    out.metrics[:] = 0.0
    out.metrics[..., M.HOUSEHOLDS] = 330
    out.metrics[..., M.PEOPLE] = 1100
    out.panel[:] = 0.0
    out.first_open[:] = -1
    return out


def _rows(out, counterfactual=None):
    return {r.id: r for r in dinglou_targets(Runs(out, counterfactual))}


def _month(out, year, month):
    return int(np.flatnonzero(out.months == year * 12 + month - 1)[0])


def test_d2_d3_first_shop(run):
    # replicate 0 opens in March 2010, 1 in 2011, 2 never
    run.first_open[0, 0] = (_month(run, 2010, 3), 17)
    run.first_open[1, 0] = (_month(run, 2011, 1), 4)
    run.panel[0, 1, 17, H.SHOP_PROFIT_YUAN] = 7000.0
    rows = _rows(run)
    assert rows["D2"].mean == pytest.approx(1 / 3) and not rows["D2"].met
    assert rows["D3"].mean == 7000.0 and rows["D3"].n == 1 and rows["D3"].met
    assert "; 1 replicates without a shop" in rows["D2"].detail
    run.first_open[1, 0] = (_month(run, 2010, 12), 4)
    run.first_open[2, 0] = (_month(run, 2010, 1), 9)
    assert _rows(run)["D2"].mean == pytest.approx(1.0) and _rows(run)["D2"].met
    assert "; 0 replicates without a shop" in _rows(run)["D2"].detail


def test_deviation_is_in_units_of_tolerance():
    d4, d6, d7, d8 = (TARGETS_BY_ID[k] for k in ("D4", "D6", "D7", "D8"))
    assert d6.deviation(58.0) == 0.0
    assert d6.deviation(70.0) == pytest.approx(1.0) and d6.deviation(46.0) == pytest.approx(-1.0)
    assert d4.deviation(0.0) == pytest.approx((0.0 - 0.9) / 0.05)  # linear, even at 0
    assert d7.deviation(2.4) == pytest.approx(1.0)  # log scale: 0.6-2.4 around 1.2
    assert d7.deviation(0.6) == pytest.approx(-1.0)
    assert d7.deviation(0.0) == -10.0  # no log of 0: as far below as it gets
    assert d8.deviation(500.0) == 0.0 and d8.deviation(100.0) == pytest.approx(1.0)
    assert d6.deviation(float("nan")) == 10.0


def test_d4_engaged_in_december_2018(run):
    run.metrics[:, _month(run, 2018, 12), 0, M.ENGAGED] = [297, 290, 300]
    rows = _rows(run)
    assert rows["D4"].mean == pytest.approx(np.mean([297, 290, 300]) / 330)
    assert rows["D4"].met
    run.metrics[:, _month(run, 2018, 12), 0, M.ENGAGED] = 330
    assert not _rows(run)["D4"].met


def _poor(out, year, households, people=None):
    t = _month(out, year, 12)
    out.metrics[:, t, 0, M.POOR] = households
    out.metrics[:, t, 0, M.POOR_PEOPLE] = households * 3 if people is None else people


def test_d5_exit_by_the_official_rule(run):
    # incidence 40*3/1100 = 11% until 2014, 1.6% (under 2%) from 2015 on
    for year in range(2009, 2015):
        _poor(run, year, 40)
    for year in (2015, 2016):
        _poor(run, year, 6)
    rows = _rows(run)
    assert rows["D5"].mean == 1.0 and rows["D5"].met
    assert rows["D5b"].mean == 1.0 and rows["D5b"].met
    _poor(run, 2015, 8)  # 24/1100 = 2.2%: the exit moves to 2016, still in time
    assert _rows(run)["D5"].met
    _poor(run, 2016, 8)  # 2017 is too late
    assert _rows(run)["D5"].mean == 0.0


def test_d5_too_early_or_without_early_poverty(run):
    for year in range(2009, 2013):
        _poor(run, year, 40)
    assert _rows(run)["D5"].mean == 0.0  # exits in 2013
    run.metrics[:, :, 0, M.POOR] = 0
    run.metrics[:, :, 0, M.POOR_PEOPLE] = 0
    assert _rows(run)["D5"].mean == 0.0  # never poor: the story is not told either


def test_d5b_one_poor_household_in_2017(run):
    run.metrics[1, _month(run, 2017, 12), 0, M.POOR] = 1
    run.metrics[1, _month(run, 2017, 12), 0, M.POOR_PEOPLE] = 2  # 0.2%: still exited
    rows = _rows(run)
    assert rows["D5b"].mean == pytest.approx(2 / 3) and not rows["D5b"].met


def test_d9_needs_the_counterfactual_to_stay_poor(run):
    alone = _rows(run)["D9"]  # not computed without a counterfactual, so not met
    assert alone.n == 0 and not alone.met and "not computed" in alone.detail
    cf = copy.deepcopy(run)
    for year in range(2009, 2017):
        _poor(cf, year, 40)
    rows = _rows(run, cf)
    assert rows["D9"].mean == 1.0 and rows["D9"].met
    _poor(cf, 2016, 5)  # 15/1100 = 1.4%: the village would have exited anyway
    assert _rows(run, cf)["D9"].mean == 0.0


def test_d6_sales_in_dollars(run):
    sel = (run.months // 12) == 2018
    run.metrics[:, sel, 0, M.SALES_YUAN] = 58e6 * 6.62 / 12
    rows = _rows(run)
    assert rows["D6"].mean == pytest.approx(58.0) and rows["D6"].met
    run.metrics[:, sel, 0, M.SALES_YUAN] /= 2
    assert not _rows(run)["D6"].met


def test_d7_largest_shop(run):
    run.panel[:, -1, :, H.SHOP_SALES_YUAN] = 1e5
    run.panel[:, -1, 5, H.SHOP_SALES_YUAN] = 1.2e6 * 6.62
    assert _rows(run)["D7"].mean == pytest.approx(1.2, rel=1e-6) and _rows(run)["D7"].met


def test_d8_returns_since_2014(run):
    years = run.months // 12
    run.metrics[:, years == 2013, 0, M.RETURNS] = 100  # before the window
    run.metrics[:, (years >= 2014) & (years <= 2018), 0, M.RETURNS] = 3
    rows = _rows(run)
    assert rows["D8"].mean == 3 * 60 and not rows["D8"].met
    run.metrics[:, (years >= 2014) & (years <= 2018), 0, M.RETURNS] = 4
    assert _rows(run)["D8"].met


def test_p2_engaged_swing(run):
    years = run.months // 12
    run.metrics[:, years >= 2016, 0, M.ENGAGED] = 290
    assert _rows(run)["P2"].mean == 0.0 and _rows(run)["P2"].met
    run.metrics[:, _month(run, 2017, 6), 0, M.ENGAGED] = 270  # 20/330 = 0.061
    assert _rows(run)["P2"].mean == pytest.approx(20 / 330) and not _rows(run)["P2"].met


def test_p3_vacancies_over_industry_workers(run):
    t = _month(run, 2018, 12)
    run.metrics[:, t, 0, M.INDUSTRY_WORKERS] = 500
    run.metrics[:, t, 0, M.VACANCIES] = 45
    assert _rows(run)["P3"].mean == pytest.approx(0.09) and _rows(run)["P3"].met
    run.metrics[:, t, 0, M.VACANCIES] = 51
    assert not _rows(run)["P3"].met


def test_p4_share_of_national_demand(run):
    sel = (run.months // 12) == 2018
    run.metrics[:, sel, 0, M.SALES_YUAN] = 1e6
    run.metrics[:, sel, 0, M.MARKET_DEMAND_YUAN] = 2e7
    assert _rows(run)["P4"].mean == pytest.approx(0.05) and _rows(run)["P4"].met
    run.metrics[:, sel, 0, M.MARKET_DEMAND_YUAN] = 5e6
    assert not _rows(run)["P4"].met


def test_township_rows_and_p1(run):
    sel = (run.months >= 2016 * 12) & (run.months < 2019 * 12)
    run.metrics[:, sel, 0, M.SALES_YUAN] = 9e6
    run.metrics[:, sel, 0, M.INDUSTRY_WORKERS] = 1000
    rows = {r.id: r for r in township_targets(Runs(run, township=run))}
    assert set(rows) == {"T1 D2", "T1 D4", "T1 D6", "P1"}
    assert rows["P1"].mean == pytest.approx(9000) and rows["P1"].met
    run.metrics[:, sel, 0, M.INDUSTRY_WORKERS] = 100  # 90,000 yuan a worker-month
    assert not {r.id: r for r in township_targets(Runs(run, township=run))}["P1"].met


def test_d1_household_count(run):
    assert _rows(run)["D1"].met
    run.metrics[..., M.HOUSEHOLDS] = 331
    assert not _rows(run)["D1"].met


def test_taobao_village_rule(run):
    years = run.months // 12
    sel = years == 2015
    dec = _month(run, 2015, 12)
    run.metrics[:, sel, 0, M.SALES_YUAN] = 1e7 / 12  # exactly 10 million yuan
    run.metrics[:, dec, 0, M.SHOPS] = 33  # exactly 10% of 330
    y, status = metrics.taobao_villages(run)
    assert status[:, y == 2015, 0].all()
    assert not status[:, y == 2014, 0].any()
    run.metrics[:, dec, 0, M.SHOPS] = 32
    assert not metrics.taobao_villages(run)[1][:, y == 2015, 0].any()
    run.metrics[:, dec, 0, M.SHOPS] = 33
    run.metrics[:, dec, 0, M.SALES_YUAN] -= 0.5  # half a yuan short of 10 million
    assert not metrics.taobao_villages(run)[1][:, y == 2015, 0].any()


def test_headline_table_for_scenarios_without_targets(daiji_run):
    out = copy.deepcopy(daiji_run)
    out.metrics[:, -1, :, M.SELLERS] = 0
    out.metrics[0, -1, :5, M.SELLERS] = 3  # five villages with sellers in replicate 0, none in 1
    assert {r.id: r for r in headline_figures(out)}["selling_villages"].mean == 2.5
    rows = {r.id: r for r in headline_figures(daiji_run)}
    assert rows["households"].mean == 13823
    assert all(r.met is None for r in rows.values())
    assert 0 <= rows["participation"].mean <= 1
    table = [r.id for r in target_table(daiji_run)]
    assert table[:4] == ["T1 D2", "T1 D4", "T1 D6", "P1"] and "households" in table
