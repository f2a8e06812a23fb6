"""Target and headline tables, computed on runs whose figures we set by hand."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from taobao_sim import metrics
from taobao_sim.core.records import H, M
from taobao_sim.output.targets import dinglou_targets, headline_figures, target_table


@pytest.fixture
def run(dinglou_run):
    out = copy.deepcopy(dinglou_run)
    out.metrics[:] = 0.0
    out.metrics[..., M.HOUSEHOLDS] = 330
    out.panel[:] = 0.0
    out.first_open[:] = -1
    return out


def _rows(out):
    return {r.id: r for r in dinglou_targets(out)}


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
    run.first_open[1, 0] = (_month(run, 2010, 12), 4)
    run.first_open[2, 0] = (_month(run, 2010, 1), 9)
    assert _rows(run)["D2"].mean == pytest.approx(1.0) and _rows(run)["D2"].met


def test_d4_engaged_in_december_2018(run):
    run.metrics[:, _month(run, 2018, 12), 0, M.ENGAGED] = [297, 290, 300]
    rows = _rows(run)
    assert rows["D4"].mean == pytest.approx(np.mean([297, 290, 300]) / 330)
    assert rows["D4"].met
    run.metrics[:, _month(run, 2018, 12), 0, M.ENGAGED] = 330
    assert not _rows(run)["D4"].met


def test_d5_poverty_exit(run):
    for year in (2009, 2010, 2011):
        run.metrics[:, _month(run, year, 12), 0, M.POOR] = 40
    assert _rows(run)["D5"].mean == 1.0 and _rows(run)["D5"].met
    run.metrics[1, _month(run, 2017, 12), 0, M.POOR] = 1  # one poor household in 2017
    assert _rows(run)["D5"].mean == pytest.approx(2 / 3) and not _rows(run)["D5"].met
    run.metrics[:, :, 0, M.POOR] = 0  # never poor: the story is not told either
    assert _rows(run)["D5"].mean == 0.0


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


def test_headline_table_for_scenarios_without_targets(daiji_run):
    rows = {r.id: r for r in headline_figures(daiji_run)}
    assert rows["households"].mean == 13823
    assert all(r.met is None for r in rows.values())
    assert 0 <= rows["participation"].mean <= 1
    assert target_table(daiji_run)[0].id == "households"
