"""Numbers as they appear in tables, reports and on figure axes.

Every table and report formats a value through :func:`by_unit` (or :func:`interval`)
with the value's unit, so that calendar years are never written like quantities:
a year is 2015, not 2,015.
"""

from __future__ import annotations

import math

#: Units whose values are calendar years (or means and quantiles of years).
YEAR_UNITS = frozenset({"year"})


def _finite(x: float | None) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def number(x: float | None) -> str:
    """A quantity for tables: thousands separated from 1,000, three significant
    digits below (not for years: see :func:`year` and :func:`by_unit`)."""
    if not _finite(x):
        return "n/a"
    x = float(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x else "0"


def year(x: float | None) -> str:
    """A calendar year (or a mean or quantile of years) without a thousands
    separator: 2015, or 2015.5 between years."""
    if not _finite(x):
        return "n/a"
    x = float(x)
    return f"{x:.0f}" if x.is_integer() else f"{x:.1f}"


def by_unit(x: float | None, unit: str = "") -> str:
    """A value for tables and reports, written as its unit asks: years by
    :func:`year`, everything else by :func:`number`."""
    return year(x) if unit in YEAR_UNITS else number(x)


def interval(lo: float | None, hi: float | None, unit: str = "", sep: str = "-") -> str:
    """A range such as a 5-95% interval, both ends written by :func:`by_unit`; ``sep``
    goes between them (" to " where an end may be negative)."""
    return f"{by_unit(lo, unit)}{sep}{by_unit(hi, unit)}"


def tick(x: float) -> str:
    """A number for an axis tick: plain decimals, never scientific notation;
    thousands separated from 1,000, "k" and "M" from ten thousand and a million
    (three significant digits)."""
    if not _finite(x):
        return ""
    x = float(f"{float(x):.3g}")  # rounded first, so 999.7 is written as 1,000
    a = abs(x)
    if a >= 1e6:
        return f"{_sig(x / 1e6)}M"
    if a >= 1e4:
        return f"{_sig(x / 1e3)}k"
    if a >= 1000:
        return f"{x:,.0f}"
    return _sig(x)


def ticks(values) -> list[str]:
    """Labels for the ticks of one axis, written alike: with "k" (or "M") on every
    tick when all of them are thousands (millions) or zero, as in 0, 4k, 8k, 12k;
    otherwise each as :func:`tick` writes it."""
    values = [float(v) for v in values]
    sizes = [abs(v) for v in values if _finite(v) and v != 0]
    if sizes and max(sizes) >= 1e4:
        for scale, suffix in ((1e6, "M"), (1e3, "k")):
            if min(sizes) >= scale / 10 and max(sizes) >= scale:
                return [("0" if v == 0 else f"{_sig(v / scale)}{suffix}") if _finite(v)
                        else "" for v in values]
    return [tick(v) for v in values]


def _sig(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits as a plain decimal (no exponent, no
    trailing zeros)."""
    rounded = float(f"{x:.{digits}g}")
    if rounded.is_integer():
        return f"{rounded:.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")
