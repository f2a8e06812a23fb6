"""``taobao-sim sweep``: run a parameter sweep's design, resumably."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .calibrate import add_executor_flags, executor_from
from .common import Progress, command_line, folder, memory_flag, shown


def add(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris)",
        description="Run the runs of a sweep spec in tasks in this process (default), on "
                    "local processes (--workers N), on a Dask LocalCluster (--cluster local) "
                    "or on an existing Dask scheduler (--scheduler ADDRESS). Results stream "
                    "to results/sweeps/<name>/<digest>/parts/ as tasks finish; an interrupted "
                    "sweep keeps every finished task and --resume runs the rest.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Every run's seed is SeedSequence(seed, spawn_key=(point, replicate)) and is "
               "stored in runs.parquet: the results do not depend on the executor or the "
               "number of workers.")
    p.add_argument("spec", metavar="SPEC", help="sweep spec (.toml)")
    add_executor_flags(p)
    memory_flag(p)
    p.add_argument("--out", type=folder, default=Path("results"), metavar="DIR",
                   help="folder under which sweeps/<name>/<digest>/ is written "
                        "(default: results)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted sweep")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...experiments.executors import running
    from ...experiments.sweep import check_can_start, load_sweep, run_sweep
    from ...output import rundir

    root = rundir.check_output_root(args.out)
    spec = load_sweep(args.spec)
    n_runs = len(spec.points()) * spec.replicates
    check_can_start(spec, root, args.resume)  # before any worker starts
    with running(executor_from(args)) as executor, Progress(args.quiet, "runs") as tick:
        t0 = time.perf_counter()
        folder = run_sweep(spec, root, executor=executor, resume=args.resume,
                           progress=tick, command=command_line(argv))
    seconds = time.perf_counter() - t0
    print(f"{spec.name}: {n_runs} runs ({spec.design.kind}, {spec.replicates} replicates per "
          f"point) on {executor.name} with {executor.workers} worker(s) in {seconds:.1f} s")
    print(f"results: {shown(folder)}")
    return 0
