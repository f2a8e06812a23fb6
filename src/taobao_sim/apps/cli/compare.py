"""``taobao-sim compare``: scenarios (e.g. policies) on the same replicate seeds."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...output.format import number, year
from .common import (
    REPLICATES,
    SEED,
    THREADS,
    check_threads,
    command_line,
    folder,
    memory_flag,
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
    memory_flag(p)


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from rich.console import Console
    from rich.table import Table

    from ...experiments.compare import EFFECTS, MEASURES, compare, write_comparison
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
    folder = write_comparison(cmp, root, command_line(argv))
    table = Table(title=f"{len(scenarios)} scenarios, {cmp.replicates} replicates each, "
                        f"same seeds (root {cmp.seed}); mean [5-95%]", title_justify="left")
    table.add_column("scenario", style="bold")
    for label, unit in MEASURES.values():
        table.add_column(f"{label} ({unit})", justify="right")
    for row in cmp.table():
        cells = [row["scenario"]]
        for key, (_label, unit) in MEASURES.items():
            if row[key] is None:
                cells.append("never" if key == "poverty_exit_year" else "-")
                continue
            fmt = year if unit == "year" else number
            band = f"[{fmt(row[key + '_p5'])}-{fmt(row[key + '_p95'])}]"
            some = f"\n({row[key + '_n']} of {cmp.replicates})" \
                if row[key + "_n"] < cmp.replicates else ""
            cells.append(f"{fmt(row[key])}\n{band}{some}")
        table.add_row(*cells)
    Console(width=max(160, Console().width)).print(table)
    effects = cmp.effects()
    if effects:
        what = "posterior draws and seeds" if posterior is not None else "seeds"
        table = Table(title=f"Effects over {cmp.names[0]}, replicate by replicate (same "
                            f"{what}): median [5-95%]", title_justify="left")
        table.add_column("scenario", style="bold")
        for label, unit in EFFECTS.values():
            table.add_column(f"{label} ({unit})", justify="right")
        for row in effects:
            cells = [row["scenario"]]
            for key in EFFECTS:
                if row[key] is None:
                    cells.append("-")
                    continue
                some = f"\n({row[key + '_n']} of {cmp.replicates})" \
                    if row[key + "_n"] < cmp.replicates else ""
                cells.append(f"{number(row[key])}\n[{number(row[key + '_p5'])} to "
                             f"{number(row[key + '_p95'])}]{some}")
            table.add_row(*cells)
        Console(width=max(160, Console().width)).print(table)
    print(f"results: {shown(folder)}")
    return 0
