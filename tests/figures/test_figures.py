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
