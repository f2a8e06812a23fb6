"""Months as integers.

The model steps one calendar month at a time. A month is written ``YYYY-MM`` in
files and held as an absolute month number ``year * 12 + (month - 1)`` in code,
so that differences are month counts.
"""

from __future__ import annotations

import re

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """Parse ``"YYYY-MM"`` into an absolute month number.

    Raises:
        ValueError: if the text is not a real calendar month between 1900 and 2200.
    """
    m = _MONTH_RE.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"expected a month written YYYY-MM, got {text!r}")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} has month {month}; months run 01 to 12")
    if not 1900 <= year <= 2200:
        raise ValueError(f"{text!r} has year {year}; expected 1900-2200")
    return year * 12 + month - 1


def format_month(absolute: int) -> str:
    """Inverse of :func:`parse_month`."""
    return f"{absolute // 12:04d}-{absolute % 12 + 1:02d}"


def year_of(absolute: int) -> int:
    """Calendar year of an absolute month number."""
    return absolute // 12


def month_of_year(absolute: int) -> int:
    """Month of the year, 0 (January) to 11 (December)."""
    return absolute % 12
