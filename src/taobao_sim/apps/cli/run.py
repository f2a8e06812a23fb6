"""``taobao-sim run``: a scenario's ensemble, its target table and a run folder."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .calibrate import add_executor_flags, executor_from
from .common import (
    REPLICATES,
    SEED,
    SHARE,
    THREADS,
    Progress,
    check_threads,
    command_line,
    figure_format_flag,
    figure_writer,
    folder,
    memory_flag,
    print_columns,
    print_table,
    shown,
)


def households_list(text: str) -> list[int]:
    """An argparse type: household numbers separated by commas (``0,5,17``)."""
    try:
        ids = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected household numbers separated by commas "
                                         f"(e.g. 0,5,17), got {text!r}") from None
    if len(ids) > 10_000:
        raise argparse.ArgumentTypeError(f"has {len(ids):,} households; expected at most "
                                         "10,000")
    return ids


def add(sub) -> None:
    p = sub.add_parser(
        "run", help="run a scenario's ensemble and write a results folder",
        description="Run a scenario's ensemble of replicates, print its target table (or "
                    "headline figures) and write results/<scenario>/<run-id>/ with "
                    "manifest.json, timeseries.parquet/.csv, households.parquet/.csv, "
                    "summary.json and figures/.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Each replicate's seed is spawned from the root seed (numpy SeedSequence, "
               "spawn key = replicate number), so results depend only on the scenario and "
               "the seed, not on the number of threads.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml)")
    p.add_argument("--seed", type=SEED, metavar="N",
                   help="root seed (default: the scenario's 'seed')")
    p.add_argument("--replicates", type=REPLICATES, metavar="N",
                   help="number of replicates (default: the scenario's 'replicates')")
    p.add_argument("--out", type=folder, default=Path("results"), metavar="DIR",
                   help="folder under which <scenario>/<run-id>/ is written (default: results)")
    p.add_argument("--threads", type=THREADS, metavar="N",
                   help="threads for the engine (default: all cores)")
    p.add_argument("--engine", choices=["numba", "mesa"], default="numba",
                   help="numba: the fast engine (default); mesa: households as Mesa agents, "
                        "the same numbers, far slower")
    p.add_argument("--posterior", metavar="FILE",
                   help="a posterior ensemble: each replicate draws its parameter set from "
                        "this posterior.parquet (or calibration folder), so the ensemble "
                        "carries parameter and stochastic uncertainty together")
    p.add_argument("--trace", type=households_list, metavar="IDS",
                   help="record the whole state of these households (numbered from 0, as in "
                        "the household panel; e.g. 0,5,17) at the end of every month: "
                        "trace.parquet")
    p.add_argument("--no-households", action="store_true",
                   help="do not write the household panel (large worlds)")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    figure_format_flag(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    memory_flag(p)
    national = p.add_argument_group(
        "worlds of regions ([regions], e.g. china)",
        "run region by region, each region of each replicate a task")
    national.add_argument("--sample", type=SHARE, metavar="SHARE",
                          help="share of each region's townships to simulate (e.g. 0.01; "
                               "default: the scenario's regions.sample); counts are scaled back")
    add_executor_flags(national, threads=False)


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...engines import simulate
    from ...figures.run import run_figures
    from ...io.scenario_file import load_scenario
    from ...output import provenance, rundir, tables
    from ...output.targets import Runs, counterfactual_of, needs_counterfactual, target_table

    check_threads(args.threads)
    root = rundir.check_output_root(args.out)
    scenario = load_scenario(args.scenario)
    if scenario["regions.file"]:
        return execute_national(args, argv, scenario, root)
    if args.sample is not None or args.workers or args.cluster or args.scheduler:
        from ...core.errors import UsageError

        raise UsageError("--sample, --workers, --cluster and --scheduler are for worlds of "
                         f"regions; {scenario.name} has no [regions] table")
    if args.trace:
        from ...core.errors import UsageError
        from ...engines.fast import check_trace

        if args.engine != "numba":
            raise UsageError("--trace: the trace is recorded by the fast engine; expected "
                             "--engine numba")
        try:
            check_trace(scenario, args.trace)
        except ValueError as exc:
            raise UsageError(f"--trace: {exc}") from None
    if args.no_households:
        scenario = scenario.replace({"output.households_panel": False})
    seed = args.seed if args.seed is not None else scenario.seed
    n = args.replicates if args.replicates is not None else scenario.replicates
    posterior = per_replicate = None
    extra, manifest_extra = {}, {}
    if args.posterior:
        from ...experiments.posterior import load_posterior

        posterior = load_posterior(args.posterior)
        per_replicate, rows = posterior.ensemble(scenario, seed, n)
        extra["posterior_draws"] = posterior.draws_table(rows, list(range(n)))
        manifest_extra["posterior"] = {"path": str(Path(args.posterior).resolve()),
                                       "digest_sha256": posterior.digest(),
                                       "particles": len(posterior), "source": posterior.meta,
                                       "draws": "posterior_draws.parquet"}
    started = provenance.now_iso()
    t0 = time.perf_counter()
    with Progress(args.quiet, "months simulated") as tick:
        label = f"{scenario.name}: {n} replicates ({args.engine})"
        out = simulate(scenario, replicates=n, seed=seed, threads=args.threads,
                       progress=lambda done, total: tick(label, done, total),
                       engine=args.engine, per_replicate=per_replicate, trace=args.trace)
        counterfactual = None
        if needs_counterfactual(scenario):  # D9 and H3 compare with the same replicates
            label = f"{scenario.name} without e-commerce: {n} replicates ({args.engine})"
            counterfactual = simulate(
                counterfactual_of(scenario), replicates=n, seed=seed, threads=args.threads,
                engine=args.engine, progress=lambda done, total: tick(label, done, total),
                per_replicate=None if per_replicate is None else
                [counterfactual_of(s) for s in per_replicate])
    rows = target_table(Runs(out, counterfactual))
    if counterfactual is not None:
        extra["counterfactual_timeseries"] = tables.timeseries_table(counterfactual)
    folder = rundir.write_run(out, rows, root, seed, started, t0,
                              figures=None if args.no_figures else
                              figure_writer(run_figures, args.figure_format),
                              command=command_line(argv), extra_tables=extra,
                              manifest_extra=manifest_extra)
    print_table(out.scenario.name, rows, n, out.wall_seconds)
    print(f"results: {shown(folder)}")
    return 0


def execute_national(args: argparse.Namespace, argv: list[str] | None, scenario,
                     root: Path) -> int:
    """``run`` for a world of regions: region by region, streaming each region's
    village-years to the run folder (:mod:`taobao_sim.output.national`)."""
    from ...core.errors import UsageError
    from ...experiments.executors import running
    from ...experiments.national import run_national
    from ...figures.national import national_figures
    from ...io.published import published_counts
    from ...output import provenance
    from ...output.national import write_national_run

    if args.engine != "numba" or args.trace or args.posterior:
        raise UsageError("a world of regions runs on the fast engine, without --trace or "
                         "--posterior")
    if args.sample is not None:
        scenario = scenario.replace({"regions.sample": args.sample})
    seed = args.seed if args.seed is not None else scenario.seed
    n = args.replicates if args.replicates is not None else scenario.replicates
    published = published_counts(scenario)
    started = provenance.now_iso()
    t0 = time.perf_counter()
    if args.threads and not (args.workers or args.cluster or args.scheduler):
        import numba

        numba.set_num_threads(args.threads)
    with running(executor_from(args)) as executor, \
            Progress(args.quiet, "household-months") as tick:
        label = f"{scenario.name}: {n} replicate(s), sample {scenario['regions.sample']:g}"
        results = run_national(scenario, n, seed, executor,
                               progress=lambda done, total: tick(label, done, total))
        folder, summary = write_national_run(
            scenario, results, root, seed, n, started, t0, published,
            figures=None if args.no_figures else
            figure_writer(national_figures, args.figure_format),
            command=command_line(argv), executor=executor.name, workers=executor.workers)
    print_national(summary, time.perf_counter() - t0)
    print(f"results: {shown(folder)}")
    return 0


def print_national(summary: dict, seconds: float) -> None:
    """The national curve on the terminal: per year, the model's Taobao villages and
    towns (mean and 5-95% over replicates) beside the published counts."""
    rows = summary["national"]

    def band(r: dict, what: str) -> str:
        if summary["replicates"] == 1:
            return f"{r[what + '_mean']:,.0f}"
        return f"{r[what + '_mean']:,.0f} ({r[what + '_p5']:,.0f}-{r[what + '_p95']:,.0f})"

    def published(r: dict, what: str) -> str:
        v = r.get(what + "_published")
        return "-" if v is None or v != v else f"{v:,.0f}"

    print_columns(
        f"{summary['scenario']}: Taobao villages and towns, {summary['replicates']} "
        f"replicate(s), sample {summary['sample']:g} ({seconds:,.0f} s)",
        [str(r["year"]) for r in rows],
        [("villages", [band(r, "taobao_villages") for r in rows]),
         ("published", [published(r, "taobao_villages") for r in rows]),
         ("towns", [band(r, "taobao_towns") for r in rows]),
         ("published", [published(r, "taobao_towns") for r in rows])])
    for year, top in summary["top_provinces"].items():
        print(f"top provinces {year}: " + ", ".join(f"{t['province']} {t['taobao_villages']:,.0f}"
                                                     for t in top))
