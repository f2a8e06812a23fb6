"""Annual public series that drive the model (poverty line, migrant wage, exchange rate).

The built-in values and their sources are in ``data/series.toml``. Every month
of a year uses that year's value.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from . import dates
from .frozen import FrozenDict


@dataclass(frozen=True)
class Series:
    """Annual series by name: ``{name: {year: value}}``, plus units and notes."""

    values: Mapping[str, Mapping[int, float]]
    units: Mapping[str, str]
    notes: Mapping[str, str]

    def get(self, name: str, year: int) -> float:
        """Value of a series in a year; KeyError if the series has none."""
        return float(self.values[name][year])

    def missing_years(self, name: str, first: int, last: int) -> list[int]:
        """Years in [first, last] without a value."""
        have = self.values.get(name, {})
        return [y for y in range(first, last + 1) if y not in have]

    def monthly(self, name: str, start: int, months: int) -> np.ndarray:
        """The series for each simulated month (float64, one value per month)."""
        return np.array([self.get(name, dates.year_of(start + t)) for t in range(months)])

    def overridden(self, changes: Mapping[str, Mapping[str, float]]) -> Series:
        """A copy with some years replaced or added (``{"name": {"2020": 4072}}``)."""
        values = {k: dict(v) for k, v in self.values.items()}
        for name, table in changes.items():
            values.setdefault(name, {}).update({int(y): float(v) for y, v in table.items()})
        return Series(_freeze(values), self.units, self.notes)

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {k: {str(y): v for y, v in sorted(t.items())} for k, t in self.values.items()}


def _freeze(values: dict[str, dict[int, float]]) -> Mapping[str, Mapping[int, float]]:
    return FrozenDict({k: FrozenDict(v) for k, v in values.items()})


@lru_cache(maxsize=1)
def load_default_series() -> Series:
    """The built-in series from ``data/series.toml``."""
    text = resources.files("taobao_sim").joinpath("data/series.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    values = {name: {int(y): float(v) for y, v in t["values"].items()}
              for name, t in raw.items()}
    return Series(_freeze(values),
                  FrozenDict({k: t["unit"] for k, t in raw.items()}),
                  FrozenDict({k: t["note"] for k, t in raw.items()}))
