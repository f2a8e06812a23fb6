"""Figures are drawn and are real PNG files."""

from __future__ import annotations

from taobao_sim.figures import run as plots

PNG = b"\x89PNG\r\n\x1a\n"


def test_run_figures_single_village(tmp_path, dinglou_run):
    paths = plots.run_figures(dinglou_run, tmp_path)
    assert {p.name for p in paths} == {"adoption.png", "poverty.png", "migration.png",
                                      "sales.png"}
    for p in paths:
        data = p.read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000


def test_run_figures_many_villages(tmp_path, daiji_run):
    paths = plots.run_figures(daiji_run, tmp_path)
    assert "spread.png" in {p.name for p in paths}
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_taobao_year_is_the_median_of_first_years(daiji_run):
    """Village 0 becomes a Taobao village in 2014 in one replicate and 2016 in the
    other (median 2015); village 1 only in one of two (no majority: NaN)."""
    import copy

    import numpy as np

    from taobao_sim.core.records import M

    out = copy.deepcopy(daiji_run)
    out.metrics[..., M.SALES_YUAN] = 0.0
    years = out.months // 12
    for u, first, village in ((0, 2014, 0), (1, 2016, 0), (0, 2012, 1)):
        sel = years >= first
        out.metrics[u, sel, village, M.SALES_YUAN] = 1e7 / 12
        out.metrics[u, sel, village, M.SHOPS] = 100
    first = plots.taobao_year(out)
    assert first[0] == 2015
    assert np.isnan(first[1:]).all()
    assert plots.taobao_year(out, replicate=1)[0] == 2016
    assert plots.taobao_year(out, replicate=0)[1] == 2012


def test_county_figure_with_counties(tmp_path, daiji_run):
    import copy
    import dataclasses

    out = copy.deepcopy(daiji_run)
    villages = tuple(dataclasses.replace(v, county="A" if i < 8 else "B")
                     for i, v in enumerate(out.scenario.villages))
    out.scenarios = [dataclasses.replace(s, villages=villages) for s in out.scenarios]
    paths = plots.run_figures(out, tmp_path)
    assert {"spread.png", "counties.png"} <= {p.name for p in paths}
    assert (tmp_path / "counties.png").read_bytes().startswith(PNG)
