"""Numbers as they appear in tables and reports."""

from __future__ import annotations

import math


def number(x: float | None) -> str:
    """A number for tables: thousands separated, three significant digits below."""
    if x is None or not math.isfinite(x):
        return "n/a"
    x = float(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x else "0"


def year(x: float | None) -> str:
    """A calendar year (or a mean of years) without a thousands separator."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"
