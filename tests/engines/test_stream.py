"""Streaming runs (FastRun stream mode, simulate_years) hold one year of records at a
time and give exactly what the whole run's records give."""

from __future__ import annotations

import numpy as np
import pytest

from taobao_sim.core.records import VILLAGE_YEAR, M, Y, add_month, village_year
from taobao_sim.engines.fast import FastRun, simulate_years

from ..conftest import SCENARIOS


@pytest.fixture(scope="module")
def small():
    from taobao_sim import load_scenario

    # starts mid-year: the first streamed year is short
    return load_scenario(SCENARIOS / "synthetic.toml").replace(
        {"synthetic.villages": 12, "start": "2009-05", "end": "2013-12"})


def test_add_month_builds_the_year(small):
    rng = np.random.default_rng(1)
    months = rng.random((5, 3, len(M)))
    year = np.full((3, len(VILLAGE_YEAR)), np.nan)
    for k, month in enumerate(months):
        add_month(year, month, first=k == 0)
    assert np.allclose(year, village_year(months))
    assert year[:, Y.SALES_YUAN] == pytest.approx(months[:, :, M.SALES_YUAN].sum(axis=0))
    assert np.array_equal(year[:, Y.SHOPS], months[-1, :, M.SHOPS])


def test_streamed_years_equal_the_whole_run(small):
    whole = FastRun.for_scenarios([small], [7], panel=False)
    whole.advance(10**6)
    got: dict[int, np.ndarray] = {}
    res = simulate_years(small, 7, lambda y, table: got.__setitem__(y, table.copy()))
    months = np.arange(small.start, small.end + 1)
    assert sorted(got) == [2009, 2010, 2011, 2012, 2013]
    for year, table in got.items():
        held = whole.metrics[months // 12 == year]
        # independent expectation: sums over the year's months, or its last month
        assert table[:, Y.SALES_YUAN] == pytest.approx(held[:, :, M.SALES_YUAN].sum(axis=0),
                                                       rel=0, abs=0)
        assert np.array_equal(table[:, Y.SHOPS], held[-1, :, M.SHOPS])
        assert np.array_equal(table[:, Y.DEPARTURES], held[:, :, M.DEPARTURES].sum(axis=0))
        assert np.allclose(table, village_year(held), rtol=1e-15, atol=0)
    assert len(got[2009]) == 12 and len(VILLAGE_YEAR) == table.shape[1]
    assert np.array_equal(res["totals"], whole.metrics.sum(axis=1))
    assert np.array_equal(res["first_open"], whole.first_open)


def test_a_streaming_run_holds_one_month(small):
    run = FastRun.for_scenarios([small], [7], panel=False, stream=True)
    assert run.metrics.shape[0] == 1
    month = run.advance_month()
    assert month.shape == (12, len(VILLAGE_YEAR) and month.shape[1])
    with pytest.raises(ValueError, match="a month at a time"):
        run.advance(2)
    with pytest.raises(ValueError, match="stream=True"):
        FastRun.for_scenarios([small], [7], panel=False).advance_month()
