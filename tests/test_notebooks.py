"""The notebooks run from top to bottom (small sizes) and show every figure they
draw: a cell that plots but yields no image fails here, where a notebook runner
that only looks for errors would pass it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: Source that draws: pyplot, pandas' .plot, an image displayed, a figure function.
DRAWS = re.compile(r"plt\.|\.plot\(|Image\(|_figure\(|figures\.\w+\(")
IMAGES = {"image/png", "image/svg+xml", "image/jpeg"}


def images(cell) -> int:
    return sum(1 for o in cell.get("outputs", []) if IMAGES & set(o.get("data", {})))


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_its_figures(path, monkeypatch):
    monkeypatch.setenv("TAOBAO_SIM_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the notebook's own inline backend
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1200, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    blank = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and DRAWS.search(cell.source) and not images(cell)]
    assert not blank, f"{path.name}: code cells {blank} draw but show no image"
