"""The parameter table: unique keys, engine indices, generated reference page."""

from __future__ import annotations

from taobao_sim.core import params
from taobao_sim.core.params import P

from ..conftest import ROOT


def test_engine_index_follows_the_table():
    assert [m.name for m in P] == [p.key.upper() for p in params.KERNEL_PARAMS]
    assert [int(m) for m in P] == list(range(len(params.KERNEL_PARAMS)))


def test_every_default_is_in_range():
    for p in params.ALL_PARAMS:
        if p.kind in ("float", "int") and p.default != "":
            assert p.lo is None or p.default >= p.lo, p.dotted
            assert p.hi is None or p.default <= p.hi, p.dotted


def test_every_key_is_documented():
    for p in params.ALL_PARAMS:
        assert p.doc.strip(), p.dotted
        assert p.kind in ("float", "int", "bool", "str", "month")


def test_reference_page_is_current():
    page = (ROOT / "docs" / "SCENARIO.md").read_text(encoding="utf-8")
    assert page.strip() == params.reference_markdown().strip(), (
        "docs/SCENARIO.md is out of date: run `make docs`")
