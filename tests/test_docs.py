"""The documents stay true to the code."""

from __future__ import annotations

import re

from taobao_sim.core import params

from .conftest import ROOT


def test_odd_names_every_parameter():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    missing = [p.dotted for p in params.WORLD + params.KERNEL_PARAMS + params.VILLAGE
               if f"`{p.key}`" not in odd]
    assert not missing, f"docs/ODD.md does not name: {missing}"


def test_odd_defaults_match_the_code():
    """Every parameter-table row of the ODD (| `key` | meaning | unit | default |)
    gives the code's default."""
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    wrong = []
    for p in params.WORLD + params.KERNEL_PARAMS:
        rows = [line for line in odd.splitlines() if line.startswith(f"| `{p.key}` |")]
        if not rows:
            wrong.append(f"{p.key}: no parameter-table row")
        for line in rows:
                cell = line.rstrip(" |").rsplit("|", 1)[-1].strip().replace(",", "")
                if p.kind not in ("float", "int"):
                    continue
                try:
                    if float(cell) != float(p.default):
                        wrong.append(f"{p.key}: ODD {cell}, code {p.default}")
                except ValueError:
                    wrong.append(f"{p.key}: ODD default {cell!r} is not a number")
    assert not wrong, wrong


def test_readme_quick_start_commands_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "\nrun:" in makefile and "\ntest:" in makefile
    assert "scenarios/dinglou.toml" in makefile


def test_odd_generated_tables_are_current():
    """docs/ODD.md's household state table and parameter tables are the ones generated
    from core/state.py and core/params.py (``make docs`` regenerates them)."""
    from taobao_sim.apps.docs import refresh_odd

    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert refresh_odd(odd) == odd, "docs/ODD.md is out of date: run `make docs`"


def test_odd_names_every_recorded_series():
    from taobao_sim.core.records import DERIVED, HOUSEHOLD_YEAR, VILLAGE_MONTH

    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    observation = odd[odd.index("### 4.10 Observation"):odd.index("### 4.11")]
    missing = [c.name for c in VILLAGE_MONTH if f"`{c.name}`" not in observation]
    missing += [n for n in DERIVED if f"`{n}`" not in observation]
    missing += [c.name for c in HOUSEHOLD_YEAR if f"`{c.name}`" not in observation]
    assert not missing, f"section 4.10 of docs/ODD.md does not name: {missing}"


def test_readme_lists_every_column_of_a_run_folder():
    """A reader finds every column of the time series, the household panel, the
    villages table and the trace in the README, without opening the code."""
    from taobao_sim.core.records import HOUSEHOLD_YEAR, TIMESERIES_COLUMNS
    from taobao_sim.core.state import FIELD_NAMES

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## What a run folder holds"):text.index("## Reproducibility")]
    words = set(re.findall(r"[a-z_0-9]+", section))
    missing = [c for c in (*TIMESERIES_COLUMNS, *(c.name for c in HOUSEHOLD_YEAR))
               if c not in words]
    assert not missing, f"README's run-folder section lacks {missing}"
    assert "trace.parquet" in section and "shop_state" in section
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in odd for name in FIELD_NAMES)  # the trace's columns, explained
