"""``taobao-sim analyze``: sensitivity analysis and figures of a finished sweep."""

from __future__ import annotations

import argparse

from .common import figure_format_flag, folder, shown


def add(sub) -> None:
    p = sub.add_parser("analyze", help="sensitivity analysis and figures of a finished sweep",
                       description="Sobol indices (S1, ST with 95% intervals) or Morris "
                                   "screening (SALib), tipping-point heatmaps for 2-D grids "
                                   "and envelopes of the S-curve; writes SWEEP_DIR/analysis/.")
    p.add_argument("folder", metavar="SWEEP_DIR", type=folder, help="a finished sweep folder")
    p.add_argument("--outputs", nargs="+", metavar="NAME",
                   help="outputs to analyse (default: participation_end poverty_exit_year)")
    figure_format_flag(p)


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...experiments.analyze import analyze, summary_lines

    report = analyze(args.folder, args.outputs, args.figure_format)
    for line in summary_lines(report):
        print(line)
    print(f"analysis: {shown(args.folder / 'analysis')}")
    return 0
