"""The ``taobao-sim`` command.

Every error a user can cause (a bad scenario file, a bad flag) ends in one line
on standard error and exit status 2, before anything is written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from .errors import TaobaoSimError, UsageError
from .specfile import number

PROG = "taobao-sim"

EPILOG = """\
Examples:
  taobao-sim run scenarios/dinglou.toml                 20 replicates, the scenario's seed
  taobao-sim run scenarios/daiji.toml --replicates 5 --seed 7 --threads 2
  taobao-sim calibrate scenarios/calibration/dinglou.toml --workers 2
  taobao-sim sweep scenarios/sweeps/tipping_point.toml --workers 2
  taobao-sim analyze results/sweeps/tipping_point/<digest>
  taobao-sim compare scenarios/policies/*.toml --replicates 20
  taobao-sim dashboard                                  interactive page on localhost
  taobao-sim validate scenarios/my_variant.toml         check a file without running it
  taobao-sim keys                                       every scenario key with its unit

Exit status: 0 done; 2 bad input (scenario file or flag), nothing written;
130 interrupted, nothing written.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _pos_int(text: str) -> int:
    value = _nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Agent-based model of rural e-commerce (Taobao villages): households "
                    "start online shops, work for others' shops, migrate to the city or come "
                    "back; the model follows adoption, income, poverty and migration month by "
                    "month.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser(
        "run", help="run a scenario's ensemble and write a results folder",
        description="Run a scenario's ensemble of replicates, print its target table (or "
                    "headline figures) and write results/<scenario>/<run-id>/ with "
                    "manifest.json, timeseries.parquet/.csv, households.parquet/.csv, "
                    "summary.json and figures/.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Each replicate's seed is spawned from the root seed (numpy SeedSequence, "
               "spawn key = replicate number), so results depend only on the scenario and "
               "the seed, not on the number of threads.")
    run.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml)")
    run.add_argument("--seed", type=_nonneg_int, metavar="N",
                     help="root seed (default: the scenario's 'seed')")
    run.add_argument("--replicates", type=_pos_int, metavar="N",
                     help="number of replicates (default: the scenario's 'replicates')")
    run.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                     help="folder under which <scenario>/<run-id>/ is written "
                          "(default: results)")
    run.add_argument("--threads", type=_pos_int, metavar="N",
                     help="threads for the engine (default: all cores)")
    run.add_argument("--engine", choices=["numba", "mesa"], default="numba",
                     help="numba: the fast engine (default); mesa: households as Mesa "
                          "agents, the same numbers, far slower")
    run.add_argument("--no-households", action="store_true",
                     help="do not write the household panel (large worlds)")
    run.add_argument("--no-figures", action="store_true", help="do not draw figures")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    cal = sub.add_parser(
        "calibrate", help="calibrate a scenario to its targets (method of simulated moments)",
        description="Calibrate the free parameters of a calibration spec to the Dinglou "
                    "targets: differential evolution with common random numbers, then "
                    "rejection ABC around the optimum for the range of each parameter. "
                    "Writes results/calibration/<name>/<run-id>/ (best.toml, history, ABC "
                    "samples, ranges, target table, figures, report.md, manifest.json).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Work is checkpointed after every generation and every batch of ABC samples; "
               "--resume continues an interrupted calibration of the same spec.")
    cal.add_argument("spec", metavar="SPEC", help="calibration spec (.toml)")
    cal.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                     help="folder under which calibration/<name>/<run-id>/ is written "
                          "(default: results)")
    cal.add_argument("--workers", type=_pos_int, metavar="N",
                     help="threads running the candidates (default: all cores)")
    cal.add_argument("--resume", action="store_true",
                     help="continue an interrupted calibration of this spec")
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    cal.add_argument("--docs", type=Path, metavar="DIR",
                     help="also copy the report to DIR/CALIBRATION.md and its figures to "
                          "DIR/figures/")

    sw = sub.add_parser(
        "sweep", help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris)",
        description="Run the runs of a sweep spec in tasks on local processes (default), in "
                    "this process (--workers 0), on a Dask LocalCluster (--cluster local) or "
                    "on an existing Dask scheduler (--scheduler ADDRESS). Results stream to "
                    "results/sweeps/<name>/<digest>/parts/ as tasks finish; an interrupted "
                    "sweep keeps every finished task and --resume runs the rest.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Every run's seed is SeedSequence(seed, spawn_key=(point, replicate)) and is "
               "stored in runs.parquet: the results do not depend on the executor or the "
               "number of workers.")
    sw.add_argument("spec", metavar="SPEC", help="sweep spec (.toml)")
    sw.add_argument("--workers", type=_nonneg_int, metavar="N",
                    help="worker processes (default: all cores; 0: run in this process)")
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--cluster", choices=["local"],
                       help="start a Dask LocalCluster with --workers workers")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="use the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786)")
    sw.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                    help="folder under which sweeps/<name>/<digest>/ is written "
                         "(default: results)")
    sw.add_argument("--resume", action="store_true", help="finish an interrupted sweep")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")

    an = sub.add_parser("analyze", help="sensitivity analysis and figures of a finished sweep",
                        description="Sobol indices (S1, ST with 95%% intervals) or Morris "
                                    "screening (SALib), tipping-point heatmaps for 2-D grids "
                                    "and envelopes of the S-curve; writes SWEEP_DIR/analysis/.")
    an.add_argument("folder", metavar="SWEEP_DIR", type=Path, help="a finished sweep folder")
    an.add_argument("--outputs", nargs="+", metavar="NAME",
                    help="outputs to analyse (default: participation_end poverty_exit_year)")

    cmp = sub.add_parser(
        "compare", help="compare scenarios (e.g. policies) on the same replicate seeds",
        description="Run each scenario with the same replicate seeds and compare the "
                    "poverty-exit year, households in the trade, the income distribution "
                    "(Gini, poorest 20%%), returns, public spending and its cost per person "
                    "lifted out of poverty. Writes results/compare/<names>/<run-id>/.")
    cmp.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files")
    cmp.add_argument("--replicates", type=_pos_int, metavar="N",
                     help="replicates per scenario (default: the first scenario's)")
    cmp.add_argument("--seed", type=_nonneg_int, metavar="N",
                     help="root seed (default: the first scenario's)")
    cmp.add_argument("--threads", type=_pos_int, metavar="N", help="engine threads")
    cmp.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                     help="folder under which compare/... is written (default: results)")

    fig = sub.add_parser("figures", help="regenerate the README's headline figures",
                         description="Run the shipped scenarios and write the figures the "
                                     "README shows (Dinglou, Daiji, policies) into DIR.")
    fig.add_argument("folder", metavar="DIR", type=Path, nargs="?",
                     default=Path("results/figures"), help="default: results/figures")
    fig.add_argument("--replicates", type=_pos_int, default=20, metavar="N",
                     help="replicates per scenario (default: 20)")

    dash = sub.add_parser("dashboard", help="an interactive dashboard in the browser",
                          description="Start the dashboard (Solara) on localhost: sliders for "
                                      "the main parameters, play / step / reset, the village's "
                                      "households as a network, live plots.")
    dash.add_argument("scenario", metavar="SCENARIO", nargs="?",
                      help="scenario file (default: scenarios/dinglou.toml)")
    dash.add_argument("--port", type=_pos_int, default=8765, metavar="N",
                      help="port (default: 8765)")
    dash.add_argument("--host", default="127.0.0.1", help="address to listen on "
                      "(default: 127.0.0.1, this machine only)")

    val = sub.add_parser("validate", help="check a scenario file and print what it resolves to",
                         description="Load and validate a scenario file (with its extends "
                                     "chain) without running it.")
    val.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml)")

    keys = sub.add_parser("keys", help="list every scenario key with unit, default and range",
                          description="List every key a scenario file may hold.")
    keys.add_argument("--markdown", action="store_true",
                      help="print the reference page docs/SCENARIO.md")
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "run":
            return cmd_run(args, argv)
        if args.command == "calibrate":
            return cmd_calibrate(args, argv)
        if args.command == "sweep":
            return cmd_sweep(args, argv)
        if args.command == "analyze":
            return cmd_analyze(args)
        if args.command == "compare":
            return cmd_compare(args, argv)
        if args.command == "dashboard":
            return cmd_dashboard(args)
        if args.command == "figures":
            from .headline import make_headline_figures

            for path in make_headline_figures(Path.cwd(), args.folder, args.replicates):
                print(_rel(path))
            return 0
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "keys":
            return cmd_keys(args)
    except TaobaoSimError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted; nothing was written\n")
        return 130
    return 2  # pragma: no cover - argparse rejects other commands


def _check_threads(threads: int | None) -> None:
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    if threads is not None and threads > most:
        raise UsageError(f"--threads {threads}: this machine has {most} "
                         f"(numba's thread limit); expected 1 to {most}")


def cmd_run(args: argparse.Namespace, argv: list[str] | None) -> int:
    from . import results
    from .scenario import load_scenario

    _check_threads(args.threads)
    root = results.check_output_root(args.out)
    scenario = load_scenario(args.scenario)
    if args.no_households:
        scenario = scenario.replace({"output.households_panel": False})

    from . import provenance
    from .engine import simulate
    from .targets import target_table

    seed = args.seed if args.seed is not None else scenario.seed
    n = args.replicates if args.replicates is not None else scenario.replicates
    started = provenance.now_iso()
    t0 = time.perf_counter()
    with _Progress(args.quiet, f"{scenario.name}: {n} replicates ({args.engine})") as tick:
        out = simulate(scenario, replicates=n, seed=seed, threads=args.threads, progress=tick,
                       engine=args.engine)
    rows = target_table(out)
    folder = results.write_run(out, rows, root, seed, started, t0,
                               figures=not args.no_figures,
                               command=[PROG, *(argv if argv is not None else sys.argv[1:])])
    print_table(out.scenario.name, rows, n, out.wall_seconds)
    print(f"results: {_rel(folder)}")
    return 0


def cmd_calibrate(args: argparse.Namespace, argv: list[str] | None) -> int:
    from . import results
    from .calibrate import calibrate, load_spec

    _check_threads(args.workers)
    root = results.check_output_root(args.out)
    spec = load_spec(args.spec)
    with _StageProgress(args.quiet) as tick:
        result = calibrate(spec, root=root, threads=args.workers, resume=args.resume,
                           progress=tick,
                           command=[PROG, *(argv if argv is not None else sys.argv[1:])])
    print_table(f"{spec.name} calibrated", result.rows, spec.final_replicates,
                result.wall_seconds, what="calibration")
    for row in result.ranges:
        span = "-" if row.get("low") is None else f"{row['low']:.4g} - {row['high']:.4g}"
        print(f"  {row['name']:40s} {row['value']:12.5g}   range {span:24s} {row['verdict']}")
    print(f"{result.runs:,} model runs in {result.wall_seconds:.0f} s")
    print(f"results: {_rel(result.folder)}")
    if args.docs:
        from .calibrate import publish_report

        print(f"report: {_rel(publish_report(result.folder, args.docs))}")
    return 0


def cmd_sweep(args: argparse.Namespace, argv: list[str] | None) -> int:
    from . import results
    from .sweep import check_can_start, load_sweep, make_executor, run_sweep

    if args.workers:
        import os

        if args.workers > (os.cpu_count() or 1) and not (args.cluster or args.scheduler):
            raise UsageError(f"--workers {args.workers}: this machine has {os.cpu_count()} "
                             "cores; expected at most that for local processes")
    if args.cluster and args.workers == 0:
        raise UsageError("--cluster local needs --workers >= 1")
    root = results.check_output_root(args.out)
    spec = load_sweep(args.spec)
    n_runs = len(spec.points()) * spec.replicates
    check_can_start(spec, root, args.resume)  # before any worker starts
    executor = make_executor(args.workers, args.cluster, args.scheduler)
    try:
        with _Progress(args.quiet, f"{spec.name}: {n_runs} runs ({executor.name})",
                       unit="runs") as tick:
            t0 = time.perf_counter()
            folder = run_sweep(spec, root, executor=executor, resume=args.resume,
                               progress=tick,
                               command=[PROG, *(argv if argv is not None else sys.argv[1:])])
    finally:
        executor.close()
    seconds = time.perf_counter() - t0
    print(f"{spec.name}: {n_runs} runs ({spec.design}, {spec.replicates} replicates per point) "
          f"on {executor.name} with {executor.workers} worker(s) in {seconds:.1f} s")
    print(f"results: {_rel(folder)}")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from .analyze import analyze, summary_lines

    report = analyze(args.folder, args.outputs)
    for line in summary_lines(report):
        print(line)
    print(f"analysis: {_rel(args.folder / 'analysis')}")
    return 0


def cmd_compare(args: argparse.Namespace, argv: list[str] | None) -> int:
    from . import results
    from .compare import MEASURES, compare, write_comparison
    from .scenario import load_scenario

    _check_threads(args.threads)
    root = results.check_output_root(args.out)
    scenarios = [load_scenario(p) for p in args.scenarios]
    cmp = compare(scenarios, args.replicates, args.seed, args.threads)
    folder = write_comparison(cmp, root, [PROG, *(argv if argv is not None else sys.argv[1:])])
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(scenarios)} scenarios, {cmp.replicates} replicates each, "
                        f"same seeds (root {cmp.seed}); mean [5-95%]", title_justify="left")
    table.add_column("scenario", style="bold")
    for label, unit in MEASURES.values():
        table.add_column(f"{label} ({unit})", justify="right")
    for row in cmp.table():
        cells = [row["scenario"]]
        for key in MEASURES:
            if row[key] is None:
                cells.append("never" if key == "poverty_exit_year" else "-")
                continue
            band = f"[{number(row[key + '_p5'])}-{number(row[key + '_p95'])}]"
            some = f"\n({row[key + '_n']} of {cmp.replicates})" \
                if row[key + "_n"] < cmp.replicates else ""
            cells.append(f"{number(row[key])}\n{band}{some}")
        table.add_row(*cells)
    Console(width=max(160, Console().width)).print(table)
    print(f"results: {_rel(folder)}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from .dashboard import DEFAULT_SCENARIO, SCENARIO_ENV
    from .scenario import load_scenario

    path = Path(args.scenario) if args.scenario else DEFAULT_SCENARIO
    load_scenario(path)  # a bad file is a clear error here, not in the browser
    env = {**os.environ, SCENARIO_ENV: str(path.resolve())}
    print(f"taobao-sim dashboard: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    proc = subprocess.run([sys.executable, "-m", "solara", "run", "taobao_sim.dashboard",
                           "--host", args.host, "--port", str(args.port), "--production",
                           "--no-open"], env=env)
    return 0 if proc.returncode in (0, -2, 130) else 2


class _StageProgress:
    """A progress bar per calibration stage, showing the best distance so far."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self._bar = None
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        if not self.enabled:
            return lambda stage, done, total, best: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             TextColumn("{task.completed}/{task.total}"),
                             TextColumn("best distance {task.fields[best]}"),
                             TimeRemainingColumn(), console=Console(stderr=True))
        self._bar.__enter__()

        def tick(stage: str, done: int, total: int, best: float) -> None:
            if stage not in self._tasks:
                self._tasks[stage] = self._bar.add_task(stage, total=total, best="-")
            shown = f"{best:.4g}" if best == best else "-"
            self._bar.update(self._tasks[stage], completed=done, total=total, best=shown)

        return tick

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


class _Progress:
    """Context manager yielding a ``tick(done, total)`` callback that drives a
    rich progress bar on a terminal (silent otherwise or with --quiet)."""

    def __init__(self, quiet: bool, label: str, unit: str = "months simulated") -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.label = label
        self.unit = unit
        self._bar = None
        self._task = None

    def __enter__(self):
        if not self.enabled:
            return lambda done, total: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             TextColumn("{task.completed}/{task.total} " + self.unit),
                             TimeRemainingColumn(), console=Console(stderr=True),
                             transient=True)
        self._bar.__enter__()
        self._task = self._bar.add_task(self.label, total=None)

        def tick(done: int, total: int) -> None:
            self._bar.update(self._task, completed=done, total=total)

        return tick

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def print_table(name: str, rows: list, replicates: int, seconds: float,
                what: str = "simulation") -> None:
    """Print a target (or headline) table to standard output."""
    from rich.console import Console
    from rich.table import Table

    has_targets = any(r.met is not None for r in rows)
    title = (f"{name}: targets, {replicates} replicates" if has_targets
             else f"{name}: headline figures, {replicates} replicates")
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("", style="bold")
    table.add_column("figure")
    if has_targets:
        table.add_column("real")
    table.add_column("mean", justify="right")
    table.add_column("5-95%", justify="right")
    if has_targets:
        table.add_column("target")
        table.add_column("", justify="center")
    for r in rows:
        cells = [r.id, r.label]
        if has_targets:
            cells.append(r.real)
        spread = f"{number(r.p5)} - {number(r.p95)}" if r.n and r.p5 == r.p5 else "-"
        cells += [number(r.mean), spread]
        if has_targets:
            cells += [r.tolerance, "[green]met[/green]" if r.met else "[red]MISSED[/red]"]
        table.add_row(*cells)
        if r.detail:
            table.add_row("", f"[dim]{r.detail}[/dim]", *[""] * (len(cells) - 2))
    console = Console(width=max(140, Console().width))
    console.print(table)
    if has_targets:
        met = sum(1 for r in rows if r.met)
        console.print(f"{met} of {len(rows)} targets met; {what} {seconds:.2f} s")
    else:
        console.print(f"{what} {seconds:.2f} s")


def cmd_validate(args: argparse.Namespace) -> int:
    from . import dates
    from .scenario import load_scenario

    s = load_scenario(args.scenario)
    print(f"{s.path}: valid")
    print(f"  name {s.name}; {dates.format_month(s.start)} to {dates.format_month(s.end)} "
          f"({s.months} months); {len(s.villages)} villages, {s.households} households; "
          f"{s.replicates} replicates from seed {s.seed}; targets: {s.targets}")
    if len(s.sources) > 1:
        print("  extends: " + " -> ".join(p for p, _ in s.sources))
    print(f"  digest {s.digest()[:16]}")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from . import params

    if args.markdown:
        print(params.reference_markdown())
        return 0
    for p in params.ALL_PARAMS:
        default = p.default if p.default != "" else "-"
        print(f"{p.dotted:42s} {p.unit or '-':28s} default {default!s:12s} {p.range_text()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
