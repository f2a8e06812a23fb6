"""The generator of the documents' tables: it fills the markers it is given and
touches nothing else."""

from __future__ import annotations

from taobao_sim.apps.docs import STATE_END, STATE_START, refresh_odd
from taobao_sim.core import params


def _doc(market: str, shops: str) -> str:
    return (f"intro\n{STATE_START}\nold state\n{STATE_END}\n"
            f"## market\n<!-- parameters: market -->\n{market}<!-- end of parameters -->\n"
            "text between that must stay\n"
            f"## shops\n<!-- parameters: shops -->\n{shops}<!-- end of parameters -->\nend\n")


def test_empty_and_stale_tables_are_filled_and_the_rest_kept():
    for market, shops in (("", ""), ("| stale |\n", ""), ("", "| stale |\n| rows |\n")):
        out = refresh_odd(_doc(market, shops))
        assert "text between that must stay" in out and out.endswith("end\n")
        assert params.section_table("market") in out and params.section_table("shops") in out
        assert "stale" not in out and "old state" not in out
        assert out.count("<!-- end of parameters -->") == 2


def test_refreshing_twice_changes_nothing():
    once = refresh_odd(_doc("", ""))
    assert refresh_odd(once) == once
