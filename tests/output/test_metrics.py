"""Metrics and scalar outputs on runs whose figures are set by hand."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from taobao_sim.core.records import M
from taobao_sim.output import metrics, scalars


@pytest.fixture
def run(dinglou_run):
    out = copy.deepcopy(dinglou_run)
    out.metrics[:] = 0.0
    out.metrics[..., M.HOUSEHOLDS] = 330
    out.metrics[..., M.PEOPLE] = 1000
    out.first_open[:] = -1
    return out


def _december(out, year):
    return int(np.flatnonzero(out.months == year * 12 + 11)[0])


def _incidence(out, by_year):
    for year, share in by_year.items():
        out.metrics[:, _december(out, year), 0, M.POOR_PEOPLE] = round(share * 1000)


def test_exit_year_is_when_poverty_falls_under_two_percent_for_good(run):
    _incidence(run, {2009: 0.10, 2010: 0.05, 2011: 0.01, 2012: 0.03, 2013: 0.01})
    # 2011 is under 2% but poverty comes back in 2012: the exit is 2013
    assert (metrics.poverty_exit_year(run, 0) == 2013).all()
    _incidence(run, {2018: 0.02})  # exactly 2% in the last year is not under it
    assert np.isnan(metrics.poverty_exit_year(run, 0)).all()
    years, inc = metrics.incidence(run, 0)
    assert inc[0, list(years).index(2012)] == pytest.approx(0.03)


def test_yearly_sums_and_december_values(run):
    run.metrics[:, :, 0, M.SALES_YUAN] = 1.0
    run.metrics[:, _december(run, 2012), 0, M.POOR] = 7
    years, sums = metrics.yearly(run, "sales_yuan")
    assert years[0] == 2009 and (sums == 12.0).all()
    _, dec = metrics.yearly(run, "poor", how="december")
    assert dec[0, list(years).index(2012)] == 7 and dec.sum() == 7 * run.metrics.shape[0]


def test_participation_is_recomputed_from_sums(daiji_run):
    engaged = daiji_run.metrics[..., M.ENGAGED].sum(axis=2)
    households = daiji_run.metrics[..., M.HOUSEHOLDS].sum(axis=2)
    np.testing.assert_allclose(metrics.series(daiji_run, "participation"), engaged / households)
    with pytest.raises(KeyError, match="not a recorded series"):
        metrics.series(daiji_run, "shopz")


def test_scalar_outputs(run):
    run.first_open[1, 0] = (_december(run, 2011) - 3, 5)
    run.metrics[:, run.months // 12 == 2014, 0, M.SALES_YUAN] = 1e7 / 12
    run.metrics[:, _december(run, 2014), 0, M.SHOPS] = 100
    run.metrics[:, -1, 0, M.ENGAGED] = 33
    run.metrics[:, :, 0, M.RETURNS] = 2
    for k, column in enumerate((M.SELLERS, M.FIRMS, M.POOR, M.MIGRANTS)):
        run.metrics[:, -1, 0, column] = 10 + k  # the last month's values, distinct
        run.metrics[:, -2, 0, column] = 99  # and the month before, which must not be read
    out = scalars.run_outputs(run, 0)
    assert set(out) == set(scalars.OUTPUTS)
    assert [out[k][0] for k in ("sellers_end", "firms_end", "poor_end", "migrants_end")] == \
        [10, 11, 12, 13]
    assert out["sales_last_year_yuan"][0] == 0.0
    assert (out["poverty_exit_year"] == 2009).all()  # never poor: out of poverty at once
    assert np.isnan(out["first_shop_year"][0]) and out["first_shop_year"][1] == 2011
    assert (out["taobao_village_year"] == 2014).all()
    assert (out["taobao_villages_end"] == 0).all()  # not in the last year
    assert out["participation_end"] == pytest.approx(0.1)
    assert (out["returns_total"] == 2 * run.months.size).all()


@pytest.fixture(scope="module")
def daiji_2019(daiji):
    from taobao_sim import simulate

    return simulate(daiji.replace({"end": "2019-12"}), replicates=1, seed=2, panel=False)


@pytest.fixture
def township_run(daiji_2019):
    """Daiji's 32 villages, run to 2019, grouped by hand: villages 0-3 in township A,
    4-7 in B, the others each a township of its own; all figures zero."""
    import dataclasses

    out = copy.deepcopy(daiji_2019)
    villages = tuple(dataclasses.replace(v, township="A" if i < 4 else "B" if i < 8 else "",
                                         county="C1" if i < 8 else "C2")
                     for i, v in enumerate(out.scenario.villages))
    out.scenarios = [dataclasses.replace(s, villages=villages) for s in out.scenarios]
    out.metrics[:] = 0.0
    return out


def _taobao_village(out, village, year):
    sel = (out.months // 12) == year
    out.metrics[:, sel, village, M.SALES_YUAN] = 1e7 / 12
    out.metrics[:, np.flatnonzero(sel)[-1], village, M.SHOPS] = 100


def test_taobao_towns_by_the_three_village_rule(township_run):
    for v in (0, 1, 2, 4, 5, 8, 9, 10):
        _taobao_village(township_run, v, 2016)
    years, names, towns = metrics.taobao_towns(township_run)
    k = list(years).index(2016)
    assert names[:2] == ["A", "B"] and len(names) == 2 + 24
    assert towns[:, k, 0].all()  # A: three Taobao villages
    assert not towns[:, k, 1].any()  # B: two
    assert not towns[:, k, 2:].any()  # villages of their own: one each
    counties, tv = metrics.by_county(township_run, metrics.taobao_villages(township_run)[1])
    assert counties == ["C1", "C2"] and (tv[:, k] == [5, 3]).all()


def test_taobao_towns_by_sales_and_shops_from_2019(township_run):
    """From 2019 a township with over 30 million yuan and over 300 shops counts,
    whatever its Taobao villages; before 2019 it does not."""
    for year in (2018, 2019):
        sel = (township_run.months // 12) == year
        township_run.metrics[:, sel, 4:8, M.SALES_YUAN] = 30e6 / 4 / 12 * 1.01
        township_run.metrics[:, np.flatnonzero(sel)[-1], 4:8, M.SHOPS] = 76  # 304 in all
    years, _names, towns = metrics.taobao_towns(township_run)
    b = 1
    assert not towns[:, list(years).index(2018), b].any()
    assert towns[:, list(years).index(2019), b].all()
