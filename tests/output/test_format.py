"""Numbers in tables, reports and on axes: years never get a thousands separator,
quantities do, and tick labels are never in scientific notation."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from taobao_sim.output.format import by_unit, interval, number, tick, ticks, year


@pytest.mark.parametrize("x, expected", [
    (2015, "2015"), (2015.0, "2015"), (np.float64(2013.0), "2013"), (np.int64(2018), "2018"),
    (2015.5, "2015.5"), (1999, "1999"), (None, "n/a"), (float("nan"), "n/a"),
])
def test_years_have_no_thousands_separator(x, expected):
    assert year(x) == expected


@pytest.mark.parametrize("x, expected", [
    (2015, "2,015"), (13135.2, "13,135"), (330.0, "330.0"), (0.0288, "0.0288"), (0, "0"),
    (-1500, "-1,500"), (None, "n/a"), (float("inf"), "n/a"),
])
def test_quantities(x, expected):
    assert number(x) == expected


def test_by_unit_writes_years_as_years():
    assert by_unit(2015.0, "year") == "2015"
    assert by_unit(2015.0, "yuan") == "2,015"
    assert by_unit(2015.0) == "2,015"
    assert interval(2014.0, 2018.0, "year") == "2014-2018"
    assert interval(-2.0, 1500.0, sep=" to ") == "-2 to 1,500"


def test_no_year_is_ever_grouped():
    for x in np.arange(1000, 3000, 0.25):
        assert not re.search(r"\d,\d", by_unit(x, "year")), x


@pytest.mark.parametrize("x, expected", [
    (1500, "1,500"), (1500.0, "1,500"), (2598.1, "2,600"), (999.7, "1,000"), (40000, "40k"),
    (12345, "12.3k"), (2.5e6, "2.5M"), (500, "500"), (0.02, "0.02"), (0.0318, "0.0318"),
    (0.000123, "0.000123"), (0, "0"), (3.0, "3"), (-1500, "-1,500"),
])
def test_tick_labels(x, expected):
    assert tick(x) == expected


def test_tick_labels_are_never_scientific():
    for x in np.concatenate([np.logspace(-7, 9, 97), -np.logspace(-3, 5, 17)]):
        text = tick(x)
        assert re.fullmatch(r"-?[\d,]+(\.\d+)?[kM]?", text), text
        value = float(text.replace(",", "").rstrip("kM")) * \
            {"k": 1e3, "M": 1e6}.get(text[-1], 1.0)
        assert math.isclose(value, x, rel_tol=0.006), (x, text)  # three significant digits


def test_ticks_of_an_axis_are_written_alike():
    assert ticks([0, 4000, 8000, 12000, 16000]) == ["0", "4k", "8k", "12k", "16k"]
    assert ticks([0, 2000, 4000]) == ["0", "2,000", "4,000"]
    assert ticks([0, 2e5, 4e5, 1.2e6]) == ["0", "0.2M", "0.4M", "1.2M"]
    assert ticks([0.01, 1, 100, 10000]) == ["0.01", "1", "100", "10k"]  # decades of a log axis
