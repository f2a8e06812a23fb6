"""The look shared by every figure: colours, bands, titles, captions, saving.

Figures are built on matplotlib's object API (``matplotlib.figure.Figure``), never
through pyplot's global state, so the library sets no backend: the same functions
draw into files from the command line and show inline in a notebook.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..output.rundir import atomic_write

#: Percentiles of the ensemble band drawn around means.
BAND = (5, 95)
COLOURS = {"main": "#1f5f8b", "second": "#c2571a", "real": "#b8002e", "grey": "#777777"}


def subplots(*args, **kwargs):
    """A new figure and its axes (``Figure().subplots``), outside pyplot."""
    figsize = kwargs.pop("figsize", None)
    fig = Figure(figsize=figsize)
    gridspec_kw = kwargs.pop("gridspec_kw", None)
    return fig, fig.subplots(*args, gridspec_kw=gridspec_kw, **kwargs)


def band(ax, x, data, colour, label, alpha=0.22):
    """Ensemble mean with the 5-95% band across replicates (rows of ``data``)."""
    lo, hi = np.percentile(data, BAND, axis=0)
    ax.fill_between(x, lo, hi, color=colour, alpha=alpha, linewidth=0)
    ax.plot(x, data.mean(axis=0), color=colour, lw=2, label=f"{label} (mean, 5-95% band)")


def finish(fig, ax, title, path: Path, source: str) -> Figure:
    """Title, grid, legend and a caption naming the source; save to ``path``."""
    ax.set_title(title, fontsize=12, loc="left")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8.5, loc="upper left", frameon=False)
    fig.text(0.99, 0.01, source, fontsize=7, color=COLOURS["grey"], ha="right", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return save(fig, path)


def save(fig, path: Path) -> Figure:
    """Write a figure atomically (format from the file's suffix); return the figure."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=130, format=fmt))
    return fig

