"""What the commands print: tables that fit the terminal (80 columns here) with every
number whole, years without thousands separators, and figures in the format asked
for (--format png, svg or pdf)."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest

from taobao_sim.apps import cli
from taobao_sim.apps.cli.common import print_table
from taobao_sim.apps.cli.compare import print_comparison
from taobao_sim.experiments.compare import EFFECTS, MEASURES
from taobao_sim.output.format import by_unit, interval
from taobao_sim.output.targets import Runs, TargetRow, target_table

from ..conftest import MINIMAL, SCENARIOS

DINGLOU = str(SCENARIOS / "dinglou.toml")
POLICIES = SCENARIOS / "policies"

#: A year written like a quantity: 2,015 or 1,998.
GROUPED_YEAR = re.compile(r"\b(1,9|2,0)\d\d\b")


def run_cli(capsys, *args):
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_fits(out: str, width: int = 80) -> None:
    """Every line within ``width`` characters (but the results folder's path)."""
    lines = [line for line in out.splitlines() if not line.startswith("results: ")]
    assert lines
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, "\n".join(too_wide)
    assert "…" not in out  # nothing cut short


def rows_of(folder) -> list[TargetRow]:
    nan = float("nan")
    rows = json.loads((folder / "summary.json").read_text())["rows"]
    return [TargetRow(**{**r, **{k: nan if r[k] is None else r[k] for k in ("mean", "p5", "p95")}})
            for r in rows]


def assert_numbers_intact(out: str, rows: list[TargetRow]) -> None:
    for r in rows:
        if r.n:
            assert by_unit(r.mean, r.unit) in out, r.id
        if r.n and r.p5 == r.p5:
            assert f"[{interval(r.p5, r.p95, r.unit)}]" in out, r.id
        if r.tolerance:
            assert any(r.tolerance in line for line in out.splitlines()), r.tolerance


def test_run_table_fits_80_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(capsys, "run", DINGLOU, "--replicates", "2", "--no-figures",
                             "--quiet", "--out", str(tmp_path))
    assert code == 0, err
    assert_fits(out)
    rows = rows_of(next((tmp_path / "dinglou").iterdir()))
    assert_numbers_intact(out, rows)
    for r in rows:
        assert re.search(rf"^{re.escape(r.id)}\s", out, re.MULTILINE), r.id
    assert "targets met" in out


def test_run_table_uses_a_wide_terminal(capsys, monkeypatch, dinglou_run):
    """On a wide terminal each target is one line: nothing wraps that need not."""
    monkeypatch.setenv("COLUMNS", "200")
    rows = target_table(Runs(dinglou_run))
    print_table("dinglou", rows, 3, 1.0)
    out = capsys.readouterr().out
    assert_fits(out, 200)
    for r in rows:
        line = next(line for line in out.splitlines() if line.startswith(r.id + " "))
        assert r.label in line and by_unit(r.mean, r.unit) in line, line


def test_headline_years_have_no_separator(tmp_path, capsys, monkeypatch, write_toml):
    """A scenario without targets prints headline figures; the year of the first
    Taobao village is a year (2013), not a quantity (2,013)."""
    monkeypatch.setenv("COLUMNS", "80")
    path = write_toml("base.toml", f'extends = "{POLICIES / "baseline.toml"}"\n'
                                   'name = "base_short"\nend = "2014-12"\n')
    code, out, err = run_cli(capsys, "run", str(path), "--replicates", "2", "--no-figures",
                             "--quiet", "--out", str(tmp_path))
    assert code == 0, err
    assert "headline figures" in out
    assert not GROUPED_YEAR.search(out), out
    assert_fits(out)
    rows = rows_of(next((tmp_path / "base_short").iterdir()))
    years = [r for r in rows if r.unit == "year" and r.n]
    assert years, "no year among the headline figures"
    assert_numbers_intact(out, rows)


@pytest.fixture
def short_policies(write_toml):
    """Two policies of the shipped comparison, cut to 2009-2014."""
    return [str(write_toml(f"{name}.toml", f'extends = "{POLICIES / (name + ".toml")}"\n'
                                          f'name = "{name}"\nend = "2014-12"\n'))
            for name in ("baseline", "training")]


def test_compare_output_fits_and_writes_years_as_years(tmp_path, capsys, monkeypatch,
                                                       short_policies):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(capsys, "compare", *short_policies, "--replicates", "2",
                             "--out", str(tmp_path), "--format", "svg")
    assert code == 0, err
    assert not GROUPED_YEAR.search(out), out
    assert_fits(out)
    folder = next((tmp_path / "compare").glob("*/*"))
    saved = json.loads((folder / "comparison.json").read_text())
    for row in saved["rows"]:
        assert row["scenario"] in out
        for key, (_label, unit) in MEASURES.items():
            if row[key] is not None:
                assert by_unit(row[key], unit) in out, key
            if row[key + "_p5"] is not None and row[key + "_p95"] is not None:
                assert f"[{interval(row[key + '_p5'], row[key + '_p95'], unit)}]" in out, key
    for path in (folder / "figures").iterdir():
        assert path.suffix == ".svg"
        ET.parse(path)


def _fake_comparison(names: list[str], replicates: int = 20) -> SimpleNamespace:
    """A comparison's table and effects, without running the model."""
    rng = np.random.default_rng(1)
    rows, effects = [], []
    for k, name in enumerate(names):
        row = {"scenario": name}
        for key, (_label, unit) in MEASURES.items():
            centre = 2014.0 + k % 3 if unit == "year" else float(rng.uniform(3000, 19000))
            row.update({key: centre, key + "_p5": centre * 0.9 if unit != "year" else 2013.0,
                        key + "_p95": centre * 1.1 if unit != "year" else 2018.0,
                        key + "_n": replicates})
        row["poverty_exit_year_p95"] = None  # past the run's end in some replicates
        row["poverty_exit_year_n"] = replicates - 3
        rows.append(row)
        if k:
            effect = {"scenario": name}
            for key in EFFECTS:
                effect.update({key: -1234.5, key + "_p5": -23456.0, key + "_p95": 12.5,
                               key + "_n": replicates})
            effects.append(effect)
    return SimpleNamespace(names=names, replicates=replicates, seed=7,
                           table=lambda: rows, effects=lambda: effects)


def test_many_scenarios_split_into_tables_that_fit():
    names = ["baseline", "no_ecommerce", "transfers_only", "training", "microcredit",
             "courier_subsidy", "early_broadband", "combined"]
    cmp = _fake_comparison(names)
    from rich.console import Console

    buffer = io.StringIO()
    print_comparison(cmp, console=Console(file=buffer, width=80))
    out = buffer.getvalue()
    assert_fits(out)
    assert not GROUPED_YEAR.search(out)
    assert "columns 1-" in out  # more than one table
    for row in cmp.table():
        assert row["scenario"] in out
        for key, (_label, unit) in MEASURES.items():
            assert by_unit(row[key], unit) in out
    assert "[2013-after]" in out and "(17 of 20 exit)" in out
    assert "[-23,456 to 12.5]" in out


def test_format_flag_writes_svg_and_pdf(tmp_path, capsys, write_toml):
    path = write_toml("mini.toml", MINIMAL)
    for fmt in ("svg", "pdf"):
        code, _out, err = run_cli(capsys, "run", str(path), "--quiet", "--format", fmt,
                                  "--out", str(tmp_path / fmt))
        assert code == 0, err
        figures = sorted((next((tmp_path / fmt / "mini").iterdir()) / "figures").iterdir())
        assert figures and {p.suffix for p in figures} == {f".{fmt}"}
        for p in figures:
            if fmt == "svg":
                assert ET.parse(p).getroot().tag.endswith("svg")
            else:
                assert p.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("command", [["run", DINGLOU], ["compare", DINGLOU],
                                     ["analyze", "x"], ["figures"]])
def test_other_formats_are_refused(tmp_path, capsys, command):
    with pytest.raises(SystemExit) as info:
        cli.main([*command, "--format", "bmp"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bmp'" in err and len(err.strip().splitlines()) == 1


def test_figures_command_checks_the_format_before_running(tmp_path):
    from taobao_sim.apps.headline import make_headline_figures

    with pytest.raises(ValueError, match="expected one of png, svg, pdf"):
        make_headline_figures(tmp_path / "out", 1, "bmp")
    assert not (tmp_path / "out").exists()


GRID = """\
name = "tiny"
scenario = "{scenario}"
seed = 5
replicates = 1
[design]
kind = "grid"
[parameters]
"shops.imitation" = {{ values = [0.1, 0.5] }}
"shops.startup_cost_yuan" = {{ values = [1500.0, 40000.0] }}
[record]
every = "dates"
dates = ["2010-12"]
series = ["participation"]
"""


def test_analyze_format_flag(tmp_path, capsys, write_toml):
    scenario = write_toml("mini.toml", MINIMAL)
    spec = write_toml("tiny.toml", GRID.format(scenario=scenario))
    code, _out, err = run_cli(capsys, "sweep", str(spec), "--workers", "0", "--quiet",
                              "--out", str(tmp_path))
    assert code == 0, err
    folder = next((tmp_path / "sweeps" / "tiny").iterdir())
    code, _out, err = run_cli(capsys, "analyze", str(folder), "--format", "pdf")
    assert code == 0, err
    figures = sorted((folder / "analysis" / "figures").iterdir())
    assert {p.suffix for p in figures} == {".pdf"} and len(figures) >= 2
    assert all(p.read_bytes().startswith(b"%PDF-") for p in figures)
    report = json.loads((folder / "analysis" / "analysis.json").read_text())
    assert report["envelope"] == "figures/envelope_participation.pdf"


def test_calibration_parameter_table_fits_80_columns(monkeypatch, capsys):
    from taobao_sim.apps.cli.calibrate import print_ranges

    monkeypatch.setenv("COLUMNS", "80")
    print_ranges([{"name": "market.outside_growth_per_year", "value": 0.263, "low": 0.13,
                   "high": 0.463, "verdict": "not identified"},
                  {"name": "shops.reputation_capacity", "value": 46.7, "low": 8.52,
                   "high": 252.0, "verdict": "weakly identified"}], "90% interval")
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "0.13 - 0.463" in out and "8.52 - 252" in out and "weakly identified" in out
