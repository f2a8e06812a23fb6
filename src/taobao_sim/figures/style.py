"""The look shared by every figure: colours, bands, titles, captions, axes, saving.

Figures are built on matplotlib's object API (``matplotlib.figure.Figure``), never
through pyplot's global state, so the library sets no backend: the same functions
draw into files from the command line and show inline in a notebook.

Time axes follow one convention: calendar year Y spans [Y, Y + 1) on the x axis.
A month is drawn at its middle (:func:`month_x`: December 2018 at 2018.96), a
year's total or its December assessment at the middle of its year
(:func:`year_x`: 2018.5), and :func:`year_axis` writes the label "2018" at the
middle of 2018 with thin lines at the turns of the year. December 2018 therefore
always lies within the span labelled 2018, never beside a "2019" tick.

Numbers on axes are plain (1,500 or 40k, 0.1 or 10 on log axes), never
scientific notation or an offset (:func:`plain_ticks`); counts such as
generations get whole-number ticks only (:func:`integer_ticks`).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FixedLocator,
    Formatter,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

from ..output.format import tick, ticks, year
from ..output.rundir import atomic_write
from . import FORMATS

#: Percentiles of the ensemble band drawn around means.
BAND = (5, 95)
COLOURS = {"main": "#1f5f8b", "second": "#c2571a", "real": "#b8002e", "grey": "#777777"}

#: Metadata left out of vector files, so the same figure gives the same bytes.
_NO_DATES = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}


def subplots(*args, **kwargs):
    """A new figure and its axes (``Figure().subplots``), outside pyplot."""
    figsize = kwargs.pop("figsize", None)
    fig = Figure(figsize=figsize)
    gridspec_kw = kwargs.pop("gridspec_kw", None)
    return fig, fig.subplots(*args, gridspec_kw=gridspec_kw, **kwargs)


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of :data:`FORMATS`; a ValueError otherwise."""
    if fmt not in FORMATS:
        raise ValueError(f"figure format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return fmt


def figure_path(folder: Path, name: str, fmt: str = "png") -> Path:
    """``folder/name.fmt``, for a format of :data:`FORMATS` (a ValueError otherwise)."""
    return Path(folder) / f"{name}.{check_format(fmt)}"


def band(ax, x, data, colour, label, alpha=0.22):
    """Ensemble mean with the 5-95% band across replicates (rows of ``data``)."""
    lo, hi = np.percentile(data, BAND, axis=0)
    ax.fill_between(x, lo, hi, color=colour, alpha=alpha, linewidth=0)
    ax.plot(x, data.mean(axis=0), color=colour, lw=2, label=f"{label} (mean, 5-95% band)")


# -- time axes ---------------------------------------------------------------------------

def month_x(months: np.ndarray) -> np.ndarray:
    """Where months (absolute numbers, ``year * 12 + month - 1``) go on a time
    axis: the middle of each month, in decimal years."""
    return np.asarray(months, dtype=float) / 12.0 + 1.0 / 24.0


def year_x(years: np.ndarray | float) -> np.ndarray:
    """Where a calendar year's value (a total, a December assessment) goes on a
    time axis: the middle of the year, in decimal years."""
    return np.asarray(years, dtype=float) + 0.5


def year_axis(ax, first: int, last: int) -> None:
    """The x axis from the start of ``first`` to the end of ``last``: each labelled
    year named at its middle (every year up to 12 years, every 2nd, 5th... beyond),
    the turns of the years ticked and gridded."""
    first, last = int(first), int(last)
    n = last - first + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if n / s <= 12)
    labelled = [y for y in range(first, last + 1) if y % step == 0] or [first]
    ax.set_xlim(first, last + 1)
    ax.xaxis.set_major_locator(FixedLocator([y + 0.5 for y in labelled]))
    # the label names the year whose middle the tick marks
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{math.floor(x):d}"))
    ax.xaxis.set_minor_locator(FixedLocator(range(first, last + 2)))
    ax.tick_params(axis="x", which="major", length=0)
    ax.tick_params(axis="x", which="minor", length=4)
    ax.grid(False, axis="x", which="major")
    ax.grid(True, axis="x", which="minor", alpha=0.3)


# -- number axes -------------------------------------------------------------------------

def _axes(ax, axis: str) -> list:
    return [a for name, a in (("x", ax.xaxis), ("y", ax.yaxis)) if axis in (name, "both")]


def round_values(lo: float, hi: float, most: int = 8) -> list[float]:
    """Round values between ``lo`` and ``hi`` (both > 0) for ticks on a log scale:
    1, 2 and 5 times powers of ten; only the powers of ten where that gives more
    than ``most`` (every other one, or fewer, beyond); 1 to 9 times them where the
    range is too narrow for three ticks."""
    if not (lo > 0 and hi > lo):
        return []
    decades = range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
    lo, hi = lo * (1 - 1e-9), hi * (1 + 1e-9)  # 3 * 0.1 is 0.30000000000000004
    found = {subs: [m * 10.0 ** e for e in decades for m in subs if lo <= m * 10.0 ** e <= hi]
             for subs in ((1, 2, 5), (1,), tuple(range(1, 10)))}
    for subs in ((1, 2, 5), (1,), tuple(range(1, 10))):
        if 3 <= len(found[subs]) <= most:
            return found[subs]
    powers = found[(1,)]
    if len(powers) > most:  # very wide
        return powers[::math.ceil(len(powers) / most)]
    return found[(1, 2, 5)] if len(found[(1, 2, 5)]) >= 2 else found[tuple(range(1, 10))]


class _RoundLogLocator(LogLocator):
    """Ticks at :func:`round_values` of the axis' view."""

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        lo, hi = sorted((vmin, vmax))
        return round_values(lo, hi) or super().tick_values(vmin, vmax)


class PlainFormatter(Formatter):
    """Tick labels as plain numbers, the ticks of an axis written alike
    (:func:`taobao_sim.output.format.ticks`: 0, 4k, 8k, 12k). With ``log10``, the
    axis holds log10 of the values and the labels show the values themselves."""

    def __init__(self, log10: bool = False) -> None:
        self.log10 = log10

    def _values(self, x):
        return 10.0 ** np.asarray(x, dtype=float) if self.log10 else np.asarray(x, dtype=float)

    def format_ticks(self, values) -> list[str]:
        return ticks(self._values(values))

    def __call__(self, x: float, pos: int | None = None) -> str:
        return tick(float(self._values(x)))


def plain_ticks(ax, axis: str = "both") -> None:
    """Tick labels as plain numbers (1,500 or 40k; 0.01, 0.1, 1 on log axes), never
    1.5e+03 or an offset. Call after setting the axis' scale."""
    for a in _axes(ax, axis):
        if a.get_scale() == "log":
            a.set_major_locator(_RoundLogLocator(base=10))
            a.set_minor_formatter(NullFormatter())
        a.set_major_formatter(PlainFormatter())


def log10_ticks(axis, lo: float, hi: float) -> None:
    """An axis (``ax.xaxis``) drawn in log10 of a value, between log10 values ``lo``
    and ``hi``: ticks at round values (:func:`round_values`) labelled with the values
    themselves (1,000 rather than 3.0)."""
    values = round_values(10.0 ** lo, 10.0 ** hi, most=6)
    if len(values) >= 2:
        axis.set_major_locator(FixedLocator(np.log10(values)))
    else:  # too narrow for round values: evenly spaced ticks
        axis.set_major_locator(MaxNLocator(4))
    axis.set_major_formatter(PlainFormatter(log10=True))


def year_ticks(axis) -> None:
    """An axis (``ax.yaxis``, a colorbar's) whose values are calendar years:
    whole years only, written without a thousands separator or an offset."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: year(x)))


def integer_ticks(ax, axis: str = "x") -> None:
    """Whole-number ticks only (generations, counts): no 0.5 between 0 and 1."""
    for a in _axes(ax, axis):
        a.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        a.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))


# -- titles and files --------------------------------------------------------------------

def finish(fig, ax, title: str, source: str, years: tuple[int, int] | None = None) -> Figure:
    """Title, grid, legend and a caption naming the source; return the figure. With
    ``years`` (first, last), the x axis is a time axis (:func:`year_axis`)."""
    ax.set_title(title, fontsize=12, loc="left")
    ax.grid(alpha=0.3, axis="y")
    if years is not None:
        year_axis(ax, *years)
    else:
        ax.grid(alpha=0.3, axis="x")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8.5, loc="upper left", frameon=False)
    fig.text(0.99, 0.01, source, fontsize=7, color=COLOURS["grey"], ha="right", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def save(fig, path: Path) -> Figure:
    """Write a figure atomically in the format its suffix names (png, svg or pdf;
    vector files without dates, so the same figure gives the same bytes); return
    the figure."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    # svg ids are random unless salted
    with matplotlib.rc_context({"svg.hashsalt": "taobao-sim"}):
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=130, format=fmt,
                                                   metadata=_NO_DATES.get(fmt)))
    return fig
