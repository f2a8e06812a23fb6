"""``taobao-sim calibrate``: fit a scenario's free parameters to its targets."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import (
    THREADS,
    WORKERS,
    Progress,
    check_threads,
    command_line,
    figure_format_flag,
    folder,
    memory_flag,
    print_table,
    shown,
)


def add(sub) -> None:
    p = sub.add_parser(
        "calibrate", help="calibrate a scenario to its targets (ABC-SMC posterior, or "
                          "simulated moments)",
        description="Calibrate the free parameters of a calibration spec to the Dinglou "
                    "targets. method = \"abc-smc\": Morris screening, then a Bayesian "
                    "posterior by ABC-SMC (pyabc), a per-replicate posterior predictive "
                    "check and the target table at the point estimate; writes "
                    "posterior.parquet, abc.db, best.toml, report.md, figures. method = "
                    "\"msm\": differential evolution with common random numbers, then "
                    "rejection ABC around the optimum. Writes "
                    "results/calibration/<name>/<run-id>/.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Work is checkpointed after every generation; --resume continues an "
               "interrupted calibration of the same spec. --checks FOLDER runs the "
               "recovery test and the leave-one-target-out checks of a finished ABC-SMC "
               "calibration (and resumes them if interrupted).")
    p.add_argument("spec", metavar="SPEC", help="calibration spec (.toml)")
    p.add_argument("--out", type=folder, default=Path("results"), metavar="DIR",
                   help="folder under which calibration/<name>/<run-id>/ is written "
                        "(default: results)")
    add_executor_flags(p)
    memory_flag(p)
    figure_format_flag(p)
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="continue an interrupted calibration of this spec")
    again.add_argument("--restart", action="store_true",
                       help="discard an interrupted calibration of this spec and start again")
    p.add_argument("--checks", type=folder, metavar="FOLDER",
                   help="run the recovery and leave-one-target-out checks of the finished "
                        "calibration in FOLDER (method abc-smc), writing FOLDER/checks/")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--docs", type=folder, metavar="DIR",
                   help="also copy the report to DIR/CALIBRATION.md and its figures to "
                        "DIR/figures/")


def add_executor_flags(p, threads: bool = True) -> None:
    """--workers, --cluster, --scheduler and (unless the command has its own) --threads,
    the same for sweeps, calibration and national runs."""
    p.add_argument("--workers", type=WORKERS, metavar="N",
                   help="worker processes (default 0: run in this process, with --threads "
                        "numba threads)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--cluster", choices=["local"],
                       help="start a Dask LocalCluster with --workers workers (default 2)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="use the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786)")
    if threads:
        p.add_argument("--threads", type=THREADS, metavar="N",
                       help="numba threads when running in this process (default: all cores)")


def executor_from(args: argparse.Namespace):
    """The executor the flags ask for (checked before any work starts)."""
    import numba

    from ...experiments.executors import make_executor

    check_threads(args.threads)
    if args.threads:
        numba.set_num_threads(args.threads)
    return make_executor(args.workers, args.cluster, args.scheduler)


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...experiments.calibrate import calibrate, check_can_start, load_spec, publish_report
    from ...experiments.executors import running
    from ...output import rundir

    root = rundir.check_output_root(args.out)
    spec = load_spec(args.spec)
    if args.checks is not None:
        return _checks(args, spec)
    check_can_start(spec, root, args.resume, args.restart)  # before any worker starts
    if spec.method == "abc-smc":
        from ...experiments.bayes import calibrate_abc as method
    else:
        method = calibrate
    with running(executor_from(args)) as executor, \
            Progress(args.quiet, transient=False) as tick:
        result = method(spec, root=root, executor=executor, resume=args.resume,
                        restart=args.restart, progress=tick, command=command_line(argv),
                        fmt=args.figure_format)
    print_table(f"{spec.name} calibrated", result.rows, spec.final_replicates,
                result.wall_seconds, what="calibration")
    print_ranges(result.ranges, "90% interval" if spec.method == "abc-smc" else "range")
    if spec.method == "abc-smc":
        print(f"posterior: {shown(result.folder / 'posterior.parquet')}")
    print(f"{result.runs:,} model runs in {result.wall_seconds:.0f} s")
    print(f"results: {shown(result.folder)}")
    if args.docs:
        print(f"report: {shown(publish_report(result.folder, args.docs, spec.name))}")
    return 0


def print_ranges(ranges: list[dict], what: str) -> None:
    """The free parameters: value, interval and verdict, as a table sized to the
    terminal (long names fold, numbers never break)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="free parameters", title_justify="left")
    table.add_column("parameter", overflow="fold")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column(what, justify="right", no_wrap=True)
    table.add_column("verdict")
    for row in ranges:
        span = "-" if row.get("low") is None else f"{row['low']:.4g} - {row['high']:.4g}"
        table.add_row(row["name"], f"{row['value']:.5g}", span, row["verdict"])
    Console().print(table)


def _checks(args: argparse.Namespace, spec) -> int:
    from ...core.errors import UsageError
    from ...experiments.abc_checks import run_checks
    from ...experiments.executors import running

    if spec.method != "abc-smc":
        raise UsageError(f"--checks: {args.spec} has method = {spec.method!r}; the checks "
                         "need an ABC-SMC calibration")
    if not (args.checks / "posterior.parquet").is_file():
        raise UsageError(f"--checks {args.checks}: no posterior.parquet there; expected the "
                         "folder of a finished ABC-SMC calibration")
    with running(executor_from(args)) as executor, \
            Progress(args.quiet, transient=False) as tick:
        result = run_checks(spec, args.checks, executor, tick)
    rec = result["recovery"]
    print(f"recovery: coverage of the 90% intervals {rec['coverage']:.2f} over "
          f"{rec['truths']} synthetic truths")
    for g in result["leave_one_out"]["groups"]:
        shares = ", ".join(f"{t} {v:.0%}" for t, v in g["shares"]["without it"].items())
        print(f"left out {g['left_out']}: predicted inside its range in {shares}")
    print(f"checks: {shown(args.checks / 'checks' / 'checks.md')}")
    if args.docs:
        from ...experiments.abc_checks import publish_checks

        print(f"report: {shown(publish_checks(args.checks, args.docs))}")
    return 0
