"""Execute every notebook in place, so the repository shows their outputs.

    TAOBAO_SIM_QUICK=1 python notebooks/execute.py     (make notebooks)

The outputs are those of the small sizes CI uses (each notebook says so at its
top); run a notebook yourself for the full sizes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in nb.cells:  # execution counts and timings only make diffs noisy
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for path in sorted(HERE.glob("*.ipynb")) if len(sys.argv) < 2 else map(Path, sys.argv[1:]):
        print(f"executing {path.name}", flush=True)
        execute(path)
