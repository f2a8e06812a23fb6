"""Figures in png, svg or pdf: valid files of the format asked for, the same bytes
for the same figure, and a clear error for any other format."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from taobao_sim.figures import FORMATS
from taobao_sim.figures import run as plots
from taobao_sim.figures.style import figure_path, save, subplots

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def assert_valid(path, fmt: str) -> None:
    assert path.suffix == f".{fmt}"
    data = path.read_bytes()
    if fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    else:
        assert data.startswith(MAGIC[fmt]), data[:8]
    assert len(data) > 1000


@pytest.mark.parametrize("fmt", FORMATS)
def test_run_figures_in_each_format(tmp_path, dinglou_run, fmt):
    paths = plots.run_figures(dinglou_run, tmp_path, fmt)
    assert {p.name for p in paths} == {f"{n}.{fmt}" for n in
                                       ("adoption", "poverty", "migration", "sales")}
    for p in paths:
        assert_valid(p, fmt)
    assert sorted(tmp_path.iterdir()) == sorted(paths)  # nothing else, no temporary files


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_files_are_reproducible(tmp_path, fmt):
    def draw():
        fig, ax = subplots()
        ax.plot([0, 1], [1, 2], label="line")
        ax.legend()
        return fig

    save(draw(), tmp_path / f"a.{fmt}")
    save(draw(), tmp_path / f"b.{fmt}")
    assert (tmp_path / f"a.{fmt}").read_bytes() == (tmp_path / f"b.{fmt}").read_bytes()


def test_other_formats_are_refused_before_drawing(tmp_path, dinglou_run):
    with pytest.raises(ValueError, match="expected one of png, svg, pdf"):
        plots.run_figures(dinglou_run, tmp_path, "bmp")
    assert not list(tmp_path.iterdir())
    assert figure_path(tmp_path, "x", "pdf") == tmp_path / "x.pdf"
