"""Streaming runs (FastRun stream mode, simulate_years) hold one year of records at a
time and give exactly what the whole run's records give."""

from __future__ import annotations

import numpy as np
import pytest

from taobao_sim.core.records import M, VILLAGE_YEAR, Y, village_year
from taobao_sim.engines.fast import FastRun, simulate_years

from ..conftest import SCENARIOS


@pytest.fixture(scope="module")
def small():
    from taobao_sim import load_scenario

    # starts mid-year: the first streamed year is short
    return load_scenario(SCENARIOS / "synthetic.toml").replace(
        {"synthetic.villages": 12, "start": "2009-05", "end": "2013-12"})


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
        assert np.array_equal(table, village_year(held))
    assert len(got[2009]) == 12 and len(VILLAGE_YEAR) == table.shape[1]
    assert np.array_equal(res["totals"], whole.metrics.sum(axis=1))
    assert np.array_equal(res["first_open"], whole.first_open)


def test_a_streaming_run_holds_one_year(small):
    run = FastRun.for_scenarios([small], [7], panel=False, stream=True)
    assert run.metrics.shape[0] == 12
    year, months = run.advance_year()
    assert (year, len(months)) == (2009, 8)  # May to December
    with pytest.raises(ValueError, match="calendar year"):
        run.advance(13)
    with pytest.raises(ValueError, match="stream=True"):
        FastRun.for_scenarios([small], [7], panel=False).advance_year()
