"""The driving series: a calendar year's value applies to each of its twelve months,
in the model as in the data file."""

from __future__ import annotations

import numpy as np

from taobao_sim import simulate
from taobao_sim.core import dates
from taobao_sim.core.records import M
from taobao_sim.core.series import load_default_series


def test_each_month_takes_its_own_year():
    s = load_default_series()
    start = dates.parse_month("2010-07")
    wage = s.monthly("migrant_wage_yuan_month", start, 18)
    assert (wage[:6] == s.get("migrant_wage_yuan_month", 2010)).all()  # Jul-Dec 2010
    assert (wage[6:] == s.get("migrant_wage_yuan_month", 2011)).all()  # Jan-Dec 2011
    assert s.get("poverty_line_yuan_head_year", 2016) == 2952
    assert s.get("migrant_wage_yuan_month", 2021) == 4432


def test_december_is_assessed_against_its_own_years_line(dinglou):
    """Raise only 2012's poverty line a hundredfold: every household is poor at the
    December 2012 assessment and the 2011 assessment is untouched (a series shifted by
    a month would bring 2012's line into December 2011)."""
    import dataclasses

    line = 100 * dinglou.series.get("poverty_line_yuan_head_year", 2012)
    high = dataclasses.replace(dinglou, series=dinglou.series.overridden(
        {"poverty_line_yuan_head_year": {"2012": line}}))
    base = simulate(dinglou, replicates=2, seed=3)
    out = simulate(high, replicates=2, seed=3)
    dec = {y: int(np.flatnonzero(out.months == y * 12 + 11)[0]) for y in (2011, 2012)}
    assert np.array_equal(out.metrics[:, : dec[2011] + 1], base.metrics[:, : dec[2011] + 1])
    assert (out.metrics[:, dec[2012], 0, M.POOR] == 330).all()
