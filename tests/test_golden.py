"""The golden record (tests/golden/record.json): the shipped scenarios give exactly
the numbers recorded for fixed seeds, on both engines.

A change to the code that is not meant to change the model (a refactoring, a
speed-up) must leave every column of every output identical. When the model
changes on purpose, ``make golden`` rewrites the record and prints how each
headline figure moved.
"""

from __future__ import annotations

import json

import pytest

from .golden.cases import CASES, RECORD, case_id, differences, fingerprint

RECORDED = json.loads(RECORD.read_text())


@pytest.mark.parametrize("case", CASES, ids=[case_id(*c) for c in CASES])
def test_fast_engine_matches_the_record(case):
    lines = differences(RECORDED[case_id(*case)], fingerprint(*case))
    assert not lines, "\n".join(["outputs differ from the golden record", *lines,
                                 "if the model changed on purpose: make golden"])


MESA_CASES = [c for c in CASES if c[0] != "daiji"]


@pytest.mark.parametrize("case", MESA_CASES, ids=[case_id(*c) for c in MESA_CASES])
def test_mesa_engine_matches_the_record(case):
    lines = differences(RECORDED[case_id(*case)], fingerprint(*case, engine="mesa"))
    assert not lines, "\n".join(["Mesa engine outputs differ from the golden record", *lines])


@pytest.mark.slow
def test_mesa_engine_matches_the_record_for_daiji():
    case = next(c for c in CASES if c[0] == "daiji")
    lines = differences(RECORDED[case_id(*case)], fingerprint(*case, engine="mesa"))
    assert not lines, "\n".join(["Mesa engine outputs differ from the golden record", *lines])


def test_differences_name_what_moved():
    """The report a failing check gives is only useful if it names the change."""
    case = RECORDED[case_id(*CASES[0])]
    moved = json.loads(json.dumps(case))
    moved["timeseries"]["sales_yuan"] = "0" * 16
    moved["headline"]["sales_yuan"] *= 1.1
    lines = differences(case, moved)
    assert any("sales_yuan" in line and "columns" in line for line in lines)
    assert any("+10.00%" in line for line in lines)
    assert differences(case, case) == []
