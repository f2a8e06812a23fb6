"""``taobao-sim compare``: scenarios (e.g. policies) on the same replicate seeds."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...output.format import YEAR_UNITS, by_unit, interval
from .common import (
    REPLICATES,
    SEED,
    THREADS,
    check_threads,
    command_line,
    figure_format_flag,
    folder,
    memory_flag,
    print_columns,
    shown,
)


def add(sub) -> None:
    p = sub.add_parser(
        "compare", help="compare scenarios (e.g. policies) on the same replicate seeds",
        description="Run each scenario with the same replicate seeds and compare the "
                    "poverty-exit year, households in the trade, the income distribution "
                    "(Gini, poorest 20%), returns, public spending and its cost per person "
                    "lifted out of poverty. Writes results/compare/<names>/<run-id>/.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files")
    p.add_argument("--replicates", type=REPLICATES, metavar="N",
                   help="replicates per scenario (default: the first scenario's)")
    p.add_argument("--seed", type=SEED, metavar="N",
                   help="root seed (default: the first scenario's)")
    p.add_argument("--threads", type=THREADS, metavar="N", help="engine threads")
    p.add_argument("--posterior", metavar="FILE",
                   help="draw each replicate's parameter set from this posterior.parquet (or "
                        "calibration folder), the same draw for every scenario: effects then "
                        "carry parameter and stochastic uncertainty (credible intervals)")
    p.add_argument("--out", type=folder, default=Path("results"), metavar="DIR",
                   help="folder under which compare/... is written (default: results)")
    figure_format_flag(p)
    memory_flag(p)


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...experiments.compare import compare, write_comparison
    from ...io.scenario_file import load_scenario
    from ...output import rundir

    check_threads(args.threads)
    root = rundir.check_output_root(args.out)
    scenarios = [load_scenario(p) for p in args.scenarios]
    posterior = None
    if args.posterior:
        from ...experiments.posterior import load_posterior

        posterior = load_posterior(args.posterior)
    cmp = compare(scenarios, args.replicates, args.seed, args.threads, posterior=posterior)
    folder = write_comparison(cmp, root, command_line(argv), args.figure_format)
    print_comparison(cmp, posterior is not None)
    print(f"results: {shown(folder)}")
    return 0


def print_comparison(cmp, posterior: bool = False, console=None) -> None:
    """The comparison's tables at the terminal's width: one row per measure, one
    column per scenario (as many tables as the width needs), then the effects
    over the baseline."""
    from ...experiments.compare import EFFECTS, MEASURES

    rows = cmp.table()
    labels = [_label(label, unit) for label, unit in MEASURES.values()]
    columns = [(row["scenario"], [_measure_cell(row, key, unit, cmp.replicates)
                                  for key, (_name, unit) in MEASURES.items()])
               for row in rows]
    print_columns(f"{len(cmp.names)} scenarios, {cmp.replicates} replicates each, same seeds "
                  f"(root {cmp.seed}); median [5-95%]", labels, columns, console)
    effects = cmp.effects()
    if effects:
        what = "posterior draws and seeds" if posterior else "seeds"
        labels = [_label(label, unit) for label, unit in EFFECTS.values()]
        columns = [(row["scenario"], [_effect_cell(row, key, cmp.replicates)
                                      for key in EFFECTS]) for row in effects]
        print_columns(f"Effects over {cmp.names[0]}, replicate by replicate (same {what}): "
                      "median [5-95%]", labels, columns, console)


def _label(label: str, unit: str) -> str:
    """A measure's label with its unit, unless the unit only says it is a year."""
    return label if unit in YEAR_UNITS else f"{label} ({unit})"


def _measure_cell(row: dict, key: str, unit: str, replicates: int) -> str:
    """Median over two lines: the value, then [5%-95%]; and in how many replicates
    it is defined where not all. Exit years past the run read "after the run"."""
    years = unit in YEAR_UNITS
    if row[key] is None and not years:
        return "-"

    def end(x: float | None) -> str:
        return "after" if x is None else by_unit(x, unit)

    lo, hi = row[key + "_p5"], row[key + "_p95"]
    cell = "after the run" if row[key] is None else by_unit(row[key], unit)
    if lo is not None or hi is not None:
        cell += f"\n[{end(lo)}-{end(hi)}]"
    n = row[key + "_n"]
    if n < replicates:
        cell += f"\n({n} of {replicates}{' exit' if years else ''})"
    return cell


def _effect_cell(row: dict, key: str, replicates: int) -> str:
    """Median effect, then [5% to 95%] (" to ": effects can be negative)."""
    if row[key] is None:
        return "-"
    cell = f"{by_unit(row[key])}\n[{interval(row[key + '_p5'], row[key + '_p95'], sep=' to ')}]"
    if row[key + "_n"] < replicates:
        cell += f"\n({row[key + '_n']} of {replicates})"
    return cell
